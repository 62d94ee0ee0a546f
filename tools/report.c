/* report.c - every message the command prints on stderr, and the exit
 * status that goes with it, so all subcommands fail the same way. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

__attribute__((format(printf, 2, 0))) static void vreport(const char *what, const char *fmt,
							  va_list ap)
{
	if (tool_stopping())
		return; /* dying of the signal says it all: no "interrupted" line */
	fprintf(stderr, "shmring: %s: ", what);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int report_error(const char *what, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(what, fmt, ap);
	va_end(ap);
	return TOOL_ERROR;
}

int status_for_error(int err)
{
	switch (err < 0 ? -err : err) {
	case ETIMEDOUT:
	case EAGAIN:
		return TOOL_WOULD_BLOCK;
	case EPIPE:
		return TOOL_BROKEN;
	default:
		return TOOL_ERROR;
	}
}

int report_ring_error(const char *what, int err)
{
	/* The library describes its own codes; for a plain system error it
	 * may only know "unknown error", where strerror(3) knows better. */
	const char *text = shmring_strerror(err);
	if (!strcmp(text, shmring_strerror(-INT_MAX)))
		text = strerror(err < 0 ? -err : err);
	if (!tool_stopping())
		fprintf(stderr, "shmring: %s: %s\n", what, text);
	return status_for_error(err);
}

int report_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "shmring: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see 'shmring %s --help')\n", cmd);
	va_end(ap);
	return TOOL_USAGE;
}

int report_bad_option(const char *cmd, int c, char **argv, int optind_now)
{
	/* getopt_long() leaves a short option's letter in optopt; for a long
	 * option the word it choked on is the argument it just stepped over. */
	const char *word = optind_now > 0 ? argv[optind_now - 1] : "?";
	if (c == ':')
		return report_usage(cmd, "option '%s' needs a value", word);
	if (optopt > 0 && optopt < 256)
		return report_usage(cmd, "unknown option '-%c'", optopt);
	return report_usage(cmd, "unknown option '%s'", word);
}
