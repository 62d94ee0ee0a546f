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

/* Messages per peek: one lock and one index publication in the library
 * each. A burst is written out straight from the ring and only the messages
 * written in full are released; the rest stay queued for the next reader. */
#define GET_BATCH 4096u
/* Line mode copies the messages and their terminators into one buffer of
 * this size and writes it at once (a longer message goes out on its own). */
#define GET_LINE_BYTES (64u * 1024u)

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
	uint64_t got; /* messages written out and released */
	char terminator;
	bool stream;
	size_t burst_bytes; /* --stream: write at most this much per peek */
	struct iovec *msgs; /* GET_BATCH: the peeked messages, in the ring */
	struct iovec *out;  /* GET_BATCH: --stream's writev, consumed by it */
	char *line_buf;	    /* GET_LINE_BYTES: line mode's output */
};

static int receiver_alloc(struct receiver *r)
{
	/* --stream: a quarter of the ring per write, so the writers have the
	 * rest to fill meanwhile. */
	r->burst_bytes = shmring_capacity(r->ring) / 4;
	r->msgs = calloc(GET_BATCH, sizeof(*r->msgs));
	r->out = r->stream ? calloc(GET_BATCH, sizeof(*r->out)) : NULL;
	r->line_buf = r->stream ? NULL : malloc(GET_LINE_BYTES);
	if (r->msgs && (r->stream ? r->out != NULL : r->line_buf != NULL))
		return TOOL_OK;
	return report_error(r->name, "out of memory for %u messages", GET_BATCH);
}

static void receiver_free(struct receiver *r)
{
	free(r->msgs);
	free(r->out);
	free(r->line_buf);
}

/* --stream: the payloads of msgs[0..count), by one writev from the ring.
 * A copy of the iovecs is consumed: msgs keeps the lengths, to count the
 * messages written in full after a short write. */
static int write_stream(struct receiver *r, unsigned count, uint64_t *done)
{
	memcpy(r->out, r->msgs, count * sizeof(*r->out));
	return write_all_iov(STDOUT_FILENO, r->out, (int)count, done);
}

/* Line mode: each message and its terminator, copied into line_buf and
 * written a buffer at a time (a message too long for it by a writev of its
 * own, from the ring). */
static int write_lines(struct receiver *r, unsigned count, uint64_t *done)
{
	size_t fill = 0;
	for (unsigned i = 0; i < count; i++) {
		size_t len = r->msgs[i].iov_len;
		if (fill + len + 1 > GET_LINE_BYTES) {
			struct iovec buf = {.iov_base = r->line_buf, .iov_len = fill};
			int rc = write_all_iov(STDOUT_FILENO, &buf, 1, done);
			if (rc < 0)
				return rc;
			fill = 0;
		}
		if (len + 1 > GET_LINE_BYTES) {
			struct iovec one[2] = {r->msgs[i],
					       {.iov_base = &r->terminator, .iov_len = 1}};
			int rc = write_all_iov(STDOUT_FILENO, one, 2, done);
			if (rc < 0)
				return rc;
			continue;
		}
		memcpy(r->line_buf + fill, r->msgs[i].iov_base, len);
		r->line_buf[fill + len] = r->terminator;
		fill += len + 1;
	}
	struct iovec buf = {.iov_base = r->line_buf, .iov_len = fill};
	return fill ? write_all_iov(STDOUT_FILENO, &buf, 1, done) : 0;
}

/* How many of msgs[0..count) lie wholly within the first @bytes of output. */
static unsigned whole_messages(const struct receiver *r, unsigned count, uint64_t bytes)
{
	unsigned i = 0;
	for (uint64_t end = 0; i < count; i++) {
		end += r->msgs[i].iov_len + (r->stream ? 0 : 1);
		if (end > bytes)
			break;
	}
	return i;
}

/* Write out the @count messages just peeked and release exactly those that
 * went out in full: on a failed write the rest stay queued, in order. */
static int write_peeked(struct receiver *r, unsigned count)
{
	if (r->stream) {
		/* At most burst_bytes (but one message at least); the rest of
		 * the burst stays queued for the next peek. */
		uint64_t bytes = r->msgs[0].iov_len;
		unsigned n = 1;
		while (n < count && bytes + r->msgs[n].iov_len <= r->burst_bytes)
			bytes += r->msgs[n++].iov_len;
		count = n;
	}
	uint64_t done = 0;
	int wrc = r->stream ? write_stream(r, count, &done) : write_lines(r, count, &done);
	unsigned whole = wrc < 0 ? whole_messages(r, count, done) : count;
	int rc = shmring_release_burst(r->ring, whole);
	if (rc < 0)
		return report_ring_error(r->name, rc);
	r->got += whole;
	if (wrc < 0)
		return report_error(r->name,
				    "standard output: %s; %llu messages were written, the rest"
				    " stay queued",
				    strerror(-wrc), (unsigned long long)r->got);
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

struct peek {
	struct receiver *r;
	unsigned want;
};

static int peek_call(void *arg, int timeout_ms)
{
	struct peek *p = arg;
	return shmring_peek_burst(p->r->ring, p->r->msgs, p->want, timeout_ms);
}

static int receive(struct receiver *r)
{
	for (;;) {
		if (r->limited && r->got >= r->limit)
			return TOOL_OK;
		/* Never peek more than -n still allows: get takes no more than
		 * COUNT, and what it holds the other readers must wait for. */
		unsigned want = GET_BATCH;
		if (r->limited && r->limit - r->got < want)
			want = (unsigned)(r->limit - r->got);
		struct peek p = {r, want};
		int rc = tool_wait(r->timeout_ms, peek_call, &p);
		if (rc > 0) {
			int status = write_peeked(r, (unsigned)rc);
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
	status = receiver_alloc(&r);
	if (status == TOOL_OK)
		status = receive(&r);
	receiver_free(&r);
	shmring_close(r.ring);
	return status;
}
