/* cmd_get.c - `shmring get`: receive messages to standard output. Opens
 * the ring as a shared reader: several gets share the messages of a ring,
 * each message going to exactly one of them. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

/* Up to this many bytes of message buffers, and up to GET_BATCH messages,
 * per receive: one lock and one index publication in the library each. */
#define GET_BUFFER_BYTES (4u * 1024u * 1024u)
#define GET_BATCH 256u

static const char get_usage[] =
    "Usage: shmring get RING [--stream] [-0] [-n COUNT] [--timeout MS] [--nonblock]\n"
    "                        [--follow]\n"
    "       shmring get --key 0xHEX [options]\n"
    "Receive messages and write each to standard output followed by a newline.\n"
    "Stops at end of stream: the ring is empty and every writer that had\n"
    "attached is gone (before any writer attached, get waits).\n"
    "\n"
    "  -0            end each message with a NUL byte instead\n"
    "  --stream      write the bytes of the messages only (see 'put --stream')\n"
    "  -n COUNT      stop after COUNT messages\n"
    "  --timeout MS  give up (exit 3) after waiting MS milliseconds for a message\n"
    "  --nonblock    never wait: exit 3 as soon as the ring is empty\n"
    "  --follow      at end of stream, wait for new writers instead of stopping\n"
    "  --key 0xHEX   name the ring by System V key instead of a path\n"
    "Exit status: 0 COUNT messages or end of stream, 1 error, 2 usage error,\n"
    "3 timed out or ring empty.\n";

struct receiver {
	struct shmring *ring;
	struct target *target; /* to open the ring again (--follow) */
	const char *name;
	int timeout_ms;
	bool follow;
	bool limited; /* -n given */
	uint64_t limit;
	uint64_t got;
	char terminator;
	bool stream;
	size_t max_msg;
	unsigned nbuf;
	char *bufs;	    /* nbuf buffers of max_msg bytes */
	struct iovec *msgs; /* nbuf */
	struct iovec *out;  /* 2 * nbuf: each message, then its terminator */
};

static int receiver_alloc(struct receiver *r)
{
	size_t n = GET_BUFFER_BYTES / r->max_msg;
	r->nbuf = n < 1 ? 1 : n > GET_BATCH ? GET_BATCH : (unsigned)n;
	/* malloc, not calloc: pages no message reaches are never touched. */
	r->bufs = malloc((size_t)r->nbuf * r->max_msg);
	r->msgs = calloc(r->nbuf, sizeof(*r->msgs));
	r->out = calloc(2 * (size_t)r->nbuf, sizeof(*r->out));
	if (r->bufs && r->msgs && r->out)
		return TOOL_OK;
	return report_error(r->name, "out of memory for %u buffers of %zu bytes", r->nbuf,
			    r->max_msg);
}

static void receiver_free(struct receiver *r)
{
	free(r->bufs);
	free(r->msgs);
	free(r->out);
}

static int write_messages(struct receiver *r, unsigned count)
{
	int n = 0;
	for (unsigned i = 0; i < count; i++) {
		r->out[n++] = r->msgs[i];
		if (!r->stream)
			r->out[n++] = (struct iovec){.iov_base = &r->terminator, .iov_len = 1};
	}
	int rc = write_all_iov(STDOUT_FILENO, r->out, n);
	if (rc < 0)
		return report_error(r->name, "standard output: %s (%u received messages lost)",
				    strerror(-rc), count);
	return TOOL_OK;
}

static int nothing_came(const struct receiver *r)
{
	if (r->timeout_ms == SHMRING_NOWAIT)
		report_error(r->name, "ring is empty (--nonblock); %llu messages were received",
			     (unsigned long long)r->got);
	else
		report_error(r->name, "no message within %d ms; %llu messages were received",
			     r->timeout_ms, (unsigned long long)r->got);
	return TOOL_WOULD_BLOCK;
}

static int receive(struct receiver *r)
{
	for (;;) {
		if (r->limited && r->got >= r->limit)
			return TOOL_OK;
		/* Never take more than -n still allows: a taken message is gone
		 * from the ring, and would be lost to the other readers. */
		unsigned want = r->nbuf;
		if (r->limited && r->limit - r->got < want)
			want = (unsigned)(r->limit - r->got);
		for (unsigned i = 0; i < want; i++)
			r->msgs[i] = (struct iovec){.iov_base = r->bufs + (size_t)i * r->max_msg,
						    .iov_len = r->max_msg};
		int rc = shmring_recv_burst(r->ring, r->msgs, want, r->timeout_ms);
		if (rc > 0) {
			r->got += (unsigned)rc;
			int status = write_messages(r, (unsigned)rc);
			if (status != TOOL_OK)
				return status;
			continue;
		}
		if (rc == -EAGAIN || rc == -ETIMEDOUT)
			return nothing_came(r);
		if (rc < 0)
			return report_ring_error(r->name, rc);
		/* End of stream. With --follow, start over as a new reader: a
		 * reader that opens on an idle, empty ring sleeps in the kernel
		 * until the next writer comes (no polling, no CPU). The new
		 * handle opens before the old one closes, so a put starting
		 * meanwhile never sees the ring without a reader (4). */
		if (!r->follow)
			return TOOL_OK;
		struct shmring *next;
		rc = target_open(r->target, SHMRING_READER, &next);
		if (rc < 0)
			return report_ring_error(r->name, rc);
		shmring_close(r->ring);
		r->ring = next;
	}
}

int cmd_get(int argc, char **argv)
{
	static const struct option options[] = {
	    {"stream", no_argument, NULL, OPT_STREAM},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"nonblock", no_argument, NULL, OPT_NONBLOCK},
	    {"follow", no_argument, NULL, OPT_FOLLOW},
	    {"key", required_argument, NULL, OPT_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct receiver r = {.timeout_ms = SHMRING_FOREVER, .terminator = '\n'};
	bool nonblock = false;
	const char *key_text = NULL;
	int c;

	while ((c = getopt_long(argc, argv, ":0n:hV", options, NULL)) != -1) {
		switch (c) {
		case '0':
			r.terminator = '\0';
			break;
		case 'n':
			if (parse_count(optarg, &r.limit) < 0)
				return report_usage(argv[0], "-n '%s' is not a count of messages",
						    optarg);
			r.limited = true;
			break;
		case OPT_STREAM:
			r.stream = true;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &r.timeout_ms) < 0)
				return report_usage(
				    argv[0], "--timeout '%s' is not a number of milliseconds",
				    optarg);
			break;
		case OPT_NONBLOCK:
			nonblock = true;
			break;
		case OPT_FOLLOW:
			r.follow = true;
			break;
		case OPT_KEY:
			key_text = optarg;
			break;
		case 'V':
			return print_version(argv[0]);
		case 'h':
			fputs(get_usage, stdout);
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
	if (next < argc)
		return report_usage(argv[0], "unexpected argument '%s'", argv[next]);
	if (r.stream && r.terminator == '\0')
		return report_usage(argv[0], "--stream and -0 do not go together");
	if (nonblock)
		r.timeout_ms = SHMRING_NOWAIT;

	r.name = target_name(&t);
	r.target = &t;
	/* -n 0 takes nothing, so it does not join as a reader either: a put
	 * running now would count it as a reader that came and left (4). */
	unsigned int role = r.limited && r.limit == 0 ? 0 : SHMRING_READER;
	int rc = target_open(&t, role, &r.ring);
	if (rc < 0)
		return report_ring_error(r.name, rc);
	if (!role) {
		shmring_close(r.ring);
		return TOOL_OK;
	}
	r.max_msg = shmring_max_msg(r.ring);
	status = receiver_alloc(&r);
	if (status == TOOL_OK)
		status = receive(&r);
	receiver_free(&r);
	shmring_close(r.ring);
	return status;
}
