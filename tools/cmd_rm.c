/* cmd_rm.c - `shmring rm`: remove rings. The library removes only what it
 * recognises as a ring of ours, so a mistyped key cannot hit someone
 * else's segment. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

static const char rm_usage[] =
    "Usage: shmring rm RING... [--key 0xHEX]...\n"
    "Remove rings: their shared-memory segment and semaphore set. Processes\n"
    "still using a ring see it removed. Anchor files are left in place.\n"
    "\n"
    "  --key 0xHEX  also remove the ring with this System V key (repeatable)\n"
    "Exit status: 0 all removed, 1 some could not be (each one is named),\n"
    "2 usage error.\n";

static int remove_one(const struct target *t)
{
	int rc = target_remove(t);
	return rc < 0 ? report_ring_error(target_name(t), rc) : TOOL_OK;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option options[] = {
	    {"key", required_argument, NULL, OPT_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	/* Every --key is checked before anything is removed. */
	const char **keys = calloc((size_t)argc, sizeof(*keys));
	int nkeys = 0, c, status = TOOL_OK;
	struct target t;

	if (!keys)
		return report_error(argv[0], "out of memory");
	while ((c = getopt_long(argc, argv, ":hV", options, NULL)) != -1) {
		switch (c) {
		case OPT_KEY:
			if (target_set_key(&t, argv[0], optarg) != TOOL_OK) {
				free(keys);
				return TOOL_USAGE;
			}
			keys[nkeys++] = optarg;
			break;
		case 'V':
			free(keys);
			return print_version(argv[0]);
		case 'h':
			free(keys);
			fputs(rm_usage, stdout);
			return finish_stdout(argv[0]);
		default:
			free(keys);
			return report_bad_option(argv[0], c, argv, optind);
		}
	}
	if (nkeys == 0 && optind >= argc) {
		free(keys);
		return report_usage(argv[0], "missing RING (an anchor file path, or --key 0xHEX)");
	}
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '\0') {
			free(keys);
			return report_usage(argv[0], "RING must not be an empty path");
		}
	}
	for (int i = 0; i < nkeys; i++) {
		target_set_key(&t, argv[0], keys[i]);
		if (remove_one(&t) != TOOL_OK)
			status = TOOL_ERROR;
	}
	for (int i = optind; i < argc; i++) {
		target_set_path(&t, argv[i]);
		if (remove_one(&t) != TOOL_OK)
			status = TOOL_ERROR;
	}
	free(keys);
	return status;
}
