/* cmd_info.c - `shmring info`: one ring's settings and counters, through
 * an admin handle (no role, so looking never changes what it sees). */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "tool.h"

static const char info_usage[] =
    "Usage: shmring info RING [--json]\n"
    "       shmring info --key 0xHEX [--json]\n"
    "Show a ring's key, ids, sizes, queue and counters.\n"
    "\n"
    "  --json       print one JSON object instead\n"
    "  --key 0xHEX  name the ring by System V key instead of a path\n"
    "Exit status: 0 shown, 1 error (no such ring, not a ring, corrupt...),\n"
    "2 usage error.\n";

int cmd_info(int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *key_text = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, ":hV", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_KEY:
			key_text = optarg;
			break;
		case 'V':
			return print_version(argv[0]);
		case 'h':
			fputs(info_usage, stdout);
			return finish_stdout(argv[0]);
		default:
			return report_bad_option(argv[0], c, argv, optind);
		}
	}
	struct target t;
	int next = optind;
	int rc = target_pick(&t, argv[0], key_text, argc, argv, &next);
	if (rc != TOOL_OK)
		return rc;
	if (next < argc)
		return report_usage(argv[0], "unexpected argument '%s'", argv[next]);

	const char *name = target_name(&t);
	struct shmring *ring;
	struct shmring_stats st;
	rc = target_open(&t, 0, &ring);
	if (rc < 0)
		return report_ring_error(name, rc);
	rc = shmring_stats(ring, &st);
	shmring_close(ring);
	if (rc < 0)
		return report_ring_error(name, rc);
	if (json) {
		show_json(stdout, name, &st);
		fputc('\n', stdout);
	} else {
		show_info_text(stdout, name, &st);
	}
	return finish_stdout(name);
}
