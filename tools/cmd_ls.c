/* cmd_ls.c - `shmring ls`: every ring on the host. The library walks the
 * kernel's segment table and attaches read-only; segments that are not
 * rings are skipped without being touched. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>

#include "tool.h"

static const char ls_usage[] =
    "Usage: shmring ls [--json]\n"
    "List every shmring ring on this host that you may read, one line each,\n"
    "including rings whose anchor file is gone.\n"
    "\n"
    "  --json  print a JSON array of objects, as 'shmring info --json' does\n"
    "Exit status: 0 listed (maybe none), 1 error, 2 usage error.\n";

struct listing {
	bool json;
	unsigned count;
};

static int list_one(const struct shmring_stats *st, void *arg)
{
	struct listing *l = arg;
	if (l->json) {
		fputs(l->count ? ",\n" : "\n", stdout);
		show_json(stdout, NULL, st);
	} else {
		show_ls_line(stdout, st);
	}
	l->count++;
	return 0;
}

int cmd_ls(int argc, char **argv)
{
	static const struct option options[] = {
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct listing l = {.json = false};
	int c;

	while ((c = getopt_long(argc, argv, ":hV", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			l.json = true;
			break;
		case 'V':
			return print_version(argv[0]);
		case 'h':
			fputs(ls_usage, stdout);
			return finish_stdout(argv[0]);
		default:
			return report_bad_option(argv[0], c, argv, optind);
		}
	}
	if (optind < argc)
		return report_usage(argv[0], "unexpected argument '%s'", argv[optind]);

	if (l.json)
		fputc('[', stdout);
	else
		show_ls_header(stdout);
	int rc = shmring_list(list_one, &l);
	if (rc < 0) {
		/* Whatever was listed stays valid; the error says it is partial. */
		finish_stdout(argv[0]);
		return report_error(argv[0], "cannot read the kernel's segment table: %s",
				    shmring_strerror(rc));
	}
	if (l.json)
		fputs(l.count ? "\n]\n" : "]\n", stdout);
	return finish_stdout(argv[0]);
}
