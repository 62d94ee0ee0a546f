/*
 * tool.h - what the parts of the shmring command share.
 *
 * The command uses only the public API (shmring.h). Every subcommand is a
 * function taking its own argc/argv (argv[0] is the subcommand's name) and
 * returning the process exit status.
 */
#ifndef SHMRING_TOOL_H
#define SHMRING_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shmring.h"

/* Exit status, the same for every subcommand; shmring(1) documents it. */
enum tool_status {
	TOOL_OK = 0,
	TOOL_ERROR = 1,	      /* one line on stderr says what and why */
	TOOL_USAGE = 2,	      /* bad command line */
	TOOL_WOULD_BLOCK = 3, /* timed out, or --nonblock would have waited */
	TOOL_BROKEN = 4,      /* put: every reader that had attached is gone */
};

/* Subcommands (cmd_*.c). */
int cmd_create(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_put(int argc, char **argv);
int cmd_get(int argc, char **argv);

/* Long-option values that have no short letter. */
enum {
	OPT_KEY = 256,
	OPT_SIZE,
	OPT_MAX_MSG,
	OPT_MODE,
	OPT_JSON,
	OPT_STREAM,
	OPT_TIMEOUT,
	OPT_NONBLOCK,
	OPT_FOLLOW,
};

/* ---- stop.c: SIGINT, SIGTERM, SIGHUP ---- */

/* Catch them: the command then closes its ring and dies of the signal. */
void tool_catch_stop_signals(void);
bool tool_stopping(void);
/* After the subcommand returned: die of the signal that stopped it, if any. */
void tool_die_of_stop_signal(void);
/* @call(@arg, ms) in slices, so that a stop signal ends the wait: returns
 * what @call returned, -ETIMEDOUT when @timeout_ms passed, or -EINTR. */
int tool_wait(int timeout_ms, int (*call)(void *arg, int timeout_ms), void *arg);

/* ---- report.c: messages and exit status ---- */

/* "shmring: WHAT: MESSAGE" on stderr; returns TOOL_ERROR. */
int report_error(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The library's description of @err for ring @what; returns the exit status
 * that @err means (3 for a timeout or would-block, 1 otherwise). */
int report_ring_error(const char *what, int err);

/* "shmring: CMD: MESSAGE (see 'shmring CMD --help')"; returns TOOL_USAGE. */
int report_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* getopt_long() returned @c ('?' unknown option, ':' missing value; the
 * option string must start with ':'): a usage error naming the option. */
int report_bad_option(const char *cmd, int c, char **argv, int optind_now);

/* The exit status a library error code stands for. */
int status_for_error(int err);

/* ---- args.c: numbers on the command line ---- */

/* Each returns 0, or -EINVAL (not a number of that kind), or -ERANGE. */
int parse_size(const char *text, uint64_t *bytes); /* 123, 64K, 16M, 1G */
int parse_count(const char *text, uint64_t *count);
int parse_timeout(const char *text, int *ms);
int parse_key(const char *text, int32_t *key);	      /* 0x1234abcd or decimal */
int parse_mode(const char *text, unsigned int *mode); /* octal, <= 0777 */

/* ---- target.c: which ring a command line names ---- */

struct target {
	const char *path; /* anchor file, or NULL when named by key */
	int32_t key;
	char key_name[32]; /* "key 0x1234abcd", for messages */
};

/* How messages name the ring: the path as given, or "key 0x...". */
const char *target_name(const struct target *t);

/* Fill @t from the --key value @key_text (may be NULL) or else from the
 * operand argv[*next] (consumed); a usage error when there is neither. The
 * caller decides what any further operands mean. */
int target_pick(struct target *t, const char *cmd, const char *key_text, int argc, char **argv,
		int *next);

/* Name a ring by key (a usage error for a malformed or zero key) or path. */
int target_set_key(struct target *t, const char *cmd, const char *key_text);
void target_set_path(struct target *t, const char *path);

int target_open(const struct target *t, unsigned int flags, struct shmring **ring);
int target_create(const struct target *t, const struct shmring_options *opt, struct shmring **ring);
int target_remove(const struct target *t);

/* ---- show.c: a ring's numbers, for people and for programs ---- */

/* Our own mapping is counted in st->attached; this removes it. */
uint32_t stats_others_attached(const struct shmring_stats *st);
void show_info_text(FILE *out, const char *name, const struct shmring_stats *st);
void show_json(FILE *out, const char *name, const struct shmring_stats *st);
void show_ls_header(FILE *out);
void show_ls_line(FILE *out, const struct shmring_stats *st);
/* The anchor named in @st still exists and still gives the ring's key. */
bool anchor_is_current(const struct shmring_stats *st);

/* ---- json.c ---- */

/* @s as a JSON string (quotes included); invalid UTF-8 becomes U+FFFD. */
void json_string(FILE *out, const char *s);

/* ---- output.c ---- */

/* Write every byte of @iov[0..count) to @fd, resuming short writes and
 * EINTR; *done grows by the bytes written, on failure too. Returns 0 or
 * -errno. @iov is consumed (modified). */
int write_all_iov(int fd, struct iovec *iov, int count, uint64_t *done);

/* Flush stdout and check it; reports "standard output: ..." against @what
 * and returns TOOL_ERROR on failure, TOOL_OK otherwise. */
int finish_stdout(const char *what);

/* --version, top level or after any subcommand: the command's and the
 * library's versions on stdout; returns the exit status. */
int print_version(const char *what);

#endif /* SHMRING_TOOL_H */
