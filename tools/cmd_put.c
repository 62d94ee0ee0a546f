/* cmd_put.c - `shmring put`: send the arguments, or standard input, as
 * messages. Opens the ring as a shared writer, so any number of puts may
 * feed the same ring at once. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "put.h"
#include "tool.h"

static const char put_usage[] =
    "Usage: shmring put RING [MESSAGE...] [--stream] [-0] [--timeout MS] [--nonblock]\n"
    "       shmring put --key 0xHEX [MESSAGE...] [options]\n"
    "Send each MESSAGE as one message; with none, send standard input: one\n"
    "message per line (the newline removed).\n"
    "\n"
    "  -0            split standard input on NUL bytes instead of newlines\n"
    "  --stream      send standard input as raw bytes, in chunks of up to the\n"
    "                ring's maximum message: 'get --stream' rebuilds it exactly\n"
    "  --timeout MS  give up (exit 3) after waiting MS milliseconds for room\n"
    "  --nonblock    never wait: exit 3 when the ring is full\n"
    "  --key 0xHEX   name the ring by System V key instead of a path\n"
    "Empty lines and empty messages are skipped: a ring has no empty messages.\n"
    "A line over the ring's maximum message is an error; nothing of it is sent.\n"
    "Exit status: 0 sent, 1 error, 2 usage error, 3 timed out or ring full,\n"
    "4 every reader that had attached to the ring is gone.\n";

int send_failed(struct sender *s, int rc)
{
	if (rc == -EAGAIN) {
		report_error(s->name, "ring is full (--nonblock); %llu messages were sent",
			     (unsigned long long)s->sent);
		return TOOL_WOULD_BLOCK;
	}
	if (rc == -ETIMEDOUT) {
		report_error(s->name, "no room within %d ms; %llu messages were sent",
			     s->timeout_ms, (unsigned long long)s->sent);
		return TOOL_WOULD_BLOCK;
	}
	return report_ring_error(s->name, rc);
}

struct burst {
	struct sender *s;
	struct iovec *msgs;
	unsigned int n;
};

static int send_call(void *arg, int timeout_ms)
{
	struct burst *b = arg;
	return shmring_send_burst(b->s->ring, b->msgs, b->n, timeout_ms);
}

int send_batch(struct sender *s, struct iovec *msgs, unsigned int n)
{
	while (n > 0) {
		struct burst b = {s, msgs, n};
		int rc = tool_wait(s->timeout_ms, send_call, &b);
		if (rc < 0)
			return send_failed(s, rc);
		msgs += rc;
		n -= (unsigned)rc;
		s->sent += (unsigned)rc;
	}
	return TOOL_OK;
}

/* The arguments are all checked before the first is sent: a bad one in
 * the middle must not leave half a command line in the ring. */
static int put_arguments(struct sender *s, char **msgs, int count)
{
	struct iovec batch[PUT_BATCH];
	unsigned n = 0;
	for (int i = 0; i < count; i++) {
		size_t len = strlen(msgs[i]);
		if (len > s->max_msg)
			return report_error(
			    s->name,
			    "message %d is %zu bytes, over the ring's maximum message"
			    " of %zu bytes; nothing was sent",
			    i + 1, len, s->max_msg);
	}
	for (int i = 0; i < count; i++) {
		size_t len = strlen(msgs[i]);
		if (len == 0)
			continue;
		batch[n++] = (struct iovec){.iov_base = msgs[i], .iov_len = len};
		if (n == PUT_BATCH) {
			int status = send_batch(s, batch, n);
			if (status != TOOL_OK)
				return status;
			n = 0;
		}
	}
	return n ? send_batch(s, batch, n) : TOOL_OK;
}

int cmd_put(int argc, char **argv)
{
	static const struct option options[] = {
	    {"stream", no_argument, NULL, OPT_STREAM},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"nonblock", no_argument, NULL, OPT_NONBLOCK},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct sender s = {.timeout_ms = SHMRING_FOREVER};
	bool stream = false, nul = false, nonblock = false;
	const char *key_text = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":0hV", options, NULL)) != -1) {
		switch (c) {
		case '0':
			nul = true;
			break;
		case OPT_STREAM:
			stream = true;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &s.timeout_ms) < 0)
				return report_usage(
				    argv[0], "--timeout '%s' is not a number of milliseconds",
				    optarg);
			break;
		case OPT_NONBLOCK:
			nonblock = true;
			break;
		case OPT_KEY:
			key_text = optarg;
			break;
		case 'V':
			return print_version(argv[0]);
		case 'h':
			fputs(put_usage, stdout);
			return finish_stdout(argv[0]);
		default:
			return report_bad_option(argv[0], c, argv, optind);
		}
	}
	struct target t;
	int next = optind;
	int status = target_pick(&t, argv[0], key_text, argc, argv, &next);
	if (status != TOOL_OK)
		return status;
	if (stream && nul)
		return report_usage(argv[0], "--stream and -0 do not go together");
	if ((stream || nul) && next < argc)
		return report_usage(argv[0], "%s reads standard input: give no MESSAGE",
				    stream ? "--stream" : "-0");
	if (nonblock)
		s.timeout_ms = SHMRING_NOWAIT;

	s.name = target_name(&t);
	int rc = target_open(&t, SHMRING_WRITER, &s.ring);
	if (rc < 0)
		return report_ring_error(s.name, rc);
	s.max_msg = shmring_max_msg(s.ring);
	if (next < argc)
		status = put_arguments(&s, argv + next, argc - next);
	else if (stream)
		status = put_stream(&s, STDIN_FILENO);
	else
		status = put_records(&s, STDIN_FILENO, nul ? '\0' : '\n');
	shmring_close(s.ring);
	return status;
}
