/* main.c - the shmring command: pick the subcommand, print the overall
 * help and the versions. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const char usage[] =
    "Usage: shmring SUBCOMMAND [OPTION...] [ARG...]\n"
    "Move messages between processes through System V shared-memory rings.\n"
    "\n"
    "  create RING [--size BYTES] [--max-msg BYTES] [--mode OCTAL]\n"
    "                       make a ring (and its anchor file, if missing)\n"
    "  rm RING...           remove rings: segment and semaphore set\n"
    "  info RING [--json]   show a ring's settings and counters\n"
    "  ls [--json]          list every shmring ring on this host\n"
    "  put RING [MESSAGE...] [--stream] [-0] [--timeout MS] [--nonblock]\n"
    "                       send the MESSAGEs, or standard input, one line each\n"
    "  get RING [--stream] [-0] [-n COUNT] [--timeout MS] [--nonblock] [--follow]\n"
    "                       receive messages to standard output, one line each\n"
    "\n"
    "RING is the ring's anchor file; '--key 0xHEX' names a ring by its System V\n"
    "key instead. BYTES takes a K, M or G suffix (powers of 1024).\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  error (one line on standard error names the ring and the cause)\n"
    "  2  usage error\n"
    "  3  timed out, or would block (--nonblock)\n"
    "  4  broken ring: put while every reader that had attached is gone\n"
    "\n"
    "'shmring SUBCOMMAND --help' describes one subcommand; --version (-V), alone\n"
    "or after a subcommand, prints the versions. See also shmring(1).\n";

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
    {"create", cmd_create}, {"rm", cmd_rm},   {"info", cmd_info},
    {"ls", cmd_ls},	    {"put", cmd_put}, {"get", cmd_get},
};

int main(int argc, char **argv)
{
	/* A closed pipe, whether our own stdout or anything else, must come
	 * back as EPIPE from write() and end in an exit status of ours, not
	 * kill us halfway through a batch. */
	signal(SIGPIPE, SIG_IGN);
	tool_catch_stop_signals();

	if (argc < 2) {
		fputs(usage, stderr);
		return TOOL_USAGE;
	}
	const char *word = argv[1];
	if (!strcmp(word, "--help") || !strcmp(word, "-h") || !strcmp(word, "help")) {
		fputs(usage, stdout);
		return finish_stdout("--help");
	}
	if (!strcmp(word, "--version") || !strcmp(word, "-V"))
		return print_version("--version");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(word, subcommands[i].name)) {
			int status = subcommands[i].run(argc - 1, argv + 1);
			tool_die_of_stop_signal(); /* its ring is closed by now */
			return status;
		}
	if (word[0] == '-')
		fprintf(stderr, "shmring: unknown option '%s' (see 'shmring --help')\n", word);
	else
		fprintf(stderr, "shmring: unknown subcommand '%s' (see 'shmring --help')\n", word);
	return TOOL_USAGE;
}
