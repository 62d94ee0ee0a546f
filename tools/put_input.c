/* put_input.c - cutting standard input into messages for `shmring put`.
 *
 * Lines: input is read in large blocks and every complete record in the
 * block becomes one iovec pointing into it, so a batch is copied once, into
 * the ring.
 * Before each read() whatever is pending is sent: a put fed by a terminal
 * delivers each line as soon as it is typed, one fed by a pipe or file
 * still sends hundreds of lines per batch.
 *
 * --stream: read() straight into a message reserved in the ring, and commit
 * what came; no buffer in between. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "put.h"
#include "tool.h"

#define READ_BLOCK (256u * 1024u)

struct input {
	int fd;
	char *buf;
	size_t size;  /* allocated */
	size_t start; /* buf[start..end) is read but not yet sent */
	size_t end;
	bool eof;
};

static int input_init(struct input *in, int fd, size_t at_least, const char *name)
{
	in->fd = fd;
	in->size = at_least > READ_BLOCK ? at_least : READ_BLOCK;
	in->start = in->end = 0;
	in->eof = false;
	in->buf = malloc(in->size);
	return in->buf ? TOOL_OK
		       : report_error(name, "out of memory for a %zu-byte buffer", in->size);
}

/* Move the unsent tail to the front and read more after it. Every iovec
 * into the buffer must have been sent before: they would move too. */
static int input_fill(struct input *in, const char *name)
{
	size_t pending = in->end - in->start;
	memmove(in->buf, in->buf + in->start, pending);
	in->start = 0;
	in->end = pending;
	for (;;) {
		ssize_t got = read(in->fd, in->buf + in->end, in->size - in->end);
		if (got > 0) {
			in->end += (size_t)got;
			return TOOL_OK;
		}
		if (got == 0) {
			in->eof = true;
			return TOOL_OK;
		}
		if (errno != EINTR || tool_stopping())
			return report_error(name, "standard input: %s", strerror(errno));
	}
}

static int too_long(const struct sender *s, char delim, uint64_t number, size_t len, bool whole)
{
	return report_error(s->name,
			    "%s %llu is %s%zu bytes, over the ring's maximum message of %zu bytes;"
			    " nothing of it was sent",
			    delim == '\n' ? "line" : "record", (unsigned long long)number,
			    whole ? "" : "at least ", len, s->max_msg);
}

int put_records(struct sender *s, int fd, char delim)
{
	struct iovec batch[PUT_BATCH];
	unsigned n = 0;
	uint64_t number = 0; /* of the record being cut, from 1 */
	struct input in;
	/* Room for the longest allowed record and its delimiter, so "no
	 * delimiter in a full buffer" always means "too long". */
	int status = input_init(&in, fd, s->max_msg + 1, s->name);

	while (status == TOOL_OK) {
		char *from = in.buf + in.start;
		char *delim_at = memchr(from, delim, in.end - in.start);
		if (delim_at || (in.eof && in.end > in.start)) {
			/* A record; the last one may lack its delimiter. */
			size_t len = delim_at ? (size_t)(delim_at - from) : in.end - in.start;
			number++;
			if (len > s->max_msg) {
				status = n ? send_batch(s, batch, n) : TOOL_OK;
				if (status == TOOL_OK)
					status = too_long(s, delim, number, len, true);
				break;
			}
			if (len > 0)
				batch[n++] = (struct iovec){.iov_base = from, .iov_len = len};
			in.start += len + (delim_at ? 1 : 0);
			if (n == PUT_BATCH) {
				status = send_batch(s, batch, n);
				n = 0;
			}
			continue;
		}
		if (n) {
			status = send_batch(s, batch, n);
			n = 0;
			if (status != TOOL_OK)
				break;
		}
		if (in.eof)
			break;
		if (in.end - in.start > s->max_msg) {
			status = too_long(s, delim, number + 1, in.end - in.start, false);
			break;
		}
		status = input_fill(&in, s->name);
	}
	free(in.buf);
	return status;
}

/* Can a read() of @fd block? Not when it is a regular file or a disk. */
static bool reads_may_block(int fd)
{
	struct stat st;
	return fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/* Wait until a read() of @fd returns at once: data, end of file or error. */
static int wait_readable(int fd, const char *name)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, -1) > 0)
			return TOOL_OK;
		if ((errno != EINTR && errno != EAGAIN) || tool_stopping())
			return report_error(name, "standard input: %s", strerror(errno));
	}
}

struct reservation {
	struct sender *s;
	void *buf;
};

static int reserve_call(void *arg, int timeout_ms)
{
	struct reservation *res = arg;
	return shmring_reserve(res->s->ring, res->s->max_msg, &res->buf, timeout_ms);
}

int put_stream(struct sender *s, int fd)
{
	bool may_block = reads_may_block(fd);
	for (;;) {
		/* A shared writer holds the writers' lock from reserve to
		 * commit: never across a read() that may wait for ever. */
		if (may_block) {
			int status = wait_readable(fd, s->name);
			if (status != TOOL_OK)
				return status;
		}
		struct reservation res = {s, NULL};
		int rc = tool_wait(s->timeout_ms, reserve_call, &res);
		void *buf = res.buf;
		if (rc < 0)
			return send_failed(s, rc);
		/* Straight into the ring. Killed before the commit, put
		 * publishes nothing of this block. */
		ssize_t got = read(fd, buf, s->max_msg);
		if (got > 0) {
			rc = shmring_commit(s->ring, (size_t)got);
			if (rc < 0)
				return report_ring_error(s->name, rc);
			s->sent++;
			continue;
		}
		int err = errno;
		shmring_abort(s->ring);
		if (got == 0)
			return TOOL_OK;
		if ((err != EINTR && err != EAGAIN) || tool_stopping())
			return report_error(s->name, "standard input: %s", strerror(err));
	}
}
