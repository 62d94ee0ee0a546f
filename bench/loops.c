/*
 * loops.c - the children's side of the harness: the helpers transports
 * call (transport.h), and the generic producer, consumer, ping and pong
 * loops built on a transport's open/send/recv/close.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmring.h"

#include "loops.h"
#include "run.h"

/* ---------------------------------------------------------------------- */
/* Child-side helpers (transport.h)                                       */

int chan_fail(struct chan *c, int err, const char *fmt, ...)
{
	va_list ap;
	size_t used;

	if (!c->err || c->err[0])
		return err; /* keep the first, most specific message */
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	used = strlen(c->err);
	/* A shmring code can carry shmring's own meaning (EPIPE: no reader). */
	if (err < 0 && used + 4 < c->errlen)
		snprintf(c->err + used, c->errlen - used, ": %s",
			 c->tr && c->tr->kind == KIND_SHMRING ? shmring_strerror(err)
							      : strerror(-err));
	return err;
}

int chan_sync(struct chan *c)
{
	char b = 'r';
	ssize_t n;

	if (write(c->ready_fd, &b, 1) != 1)
		return -EPIPE;
	close(c->ready_fd);
	/* The parent starts everyone at once by closing the pipe: EOF. */
	do {
		n = read(c->go_fd, &b, 1);
	} while (n < 0 && errno == EINTR);
	close(c->go_fd);
	if (n != 0)
		return -EPIPE;
	if (c->gen)
		gen_start(c->gen);
	return 0;
}

void chan_done(struct chan *c)
{
	struct shared *s = run_shared();

	s->t_end = bench_now_ns();
	s->received = c->check->received;
	for (unsigned i = 0; i < c->check->producers; i++)
		s->got[i] = c->check->next[i];
}

void chan__progress(struct chan *c)
{
	run_shared()->received = c->check->received;
}

int chan_peer_done(void)
{
	struct shared *s = run_shared();

	return *(volatile uint64_t *)&s->t_end != 0 || s->ping_done;
}

void chan_sent(struct chan *c, uint64_t n)
{
	run_shared()->sent[c->id] = n;
}

void *chan_buffer(const struct chan *c, size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, CHAN_PAGE, c->buf_offset + (size ? size : 1)) != 0)
		return NULL;
	memset((char *)p + c->buf_offset, 0, size);
	return (char *)p + c->buf_offset;
}

void chan_buffer_free(const struct chan *c, void *buf)
{
	if (buf)
		free((char *)buf - c->buf_offset);
}

/* ---------------------------------------------------------------------- */
/* Generic loops over a transport's open/send/recv/close                  */

int loop_produce(struct chan *c)
{
	const struct transport *t = c->tr;
	void *ep, *buf = chan_buffer(c, c->size);
	int rc;

	if (!buf)
		return chan_fail(c, -ENOMEM, "producer buffer");
	rc = t->open(c, ROLE_PRODUCER, &ep);
	if (rc < 0)
		return chan_fail(c, rc, "producer %u: open", c->id);
	rc = chan_sync(c);
	for (int last = 0; rc == 0 && !last;) {
		last = gen_fill(c->gen, buf);
		rc = t->send(ep, buf, c->size);
		if (rc < 0)
			chan_fail(c, rc, "producer %u: send #%" PRIu64, c->id, c->gen->seq - 1);
	}
	chan_sent(c, c->gen->seq);
	t->close(ep);
	chan_buffer_free(c, buf);
	return rc < 0 ? rc : 0;
}

int loop_consume(struct chan *c)
{
	const struct transport *t = c->tr;
	void *ep, *buf = chan_buffer(c, c->size);
	int rc;

	if (!buf)
		return chan_fail(c, -ENOMEM, "consumer buffer");
	rc = t->open(c, ROLE_CONSUMER, &ep);
	if (rc < 0)
		return chan_fail(c, rc, "consumer: open");
	rc = chan_sync(c);
	while (rc == 0) {
		int n = t->recv(ep, buf, c->size);

		if (n < 0) {
			rc = chan_fail(c, n, "consumer: receive after %" PRIu64 " messages",
				       c->check->received);
			break;
		}
		rc = check_msg(c->check, buf, (size_t)n);
		if (rc < 0) {
			rc = chan_fail(c, -EBADMSG, "VERIFICATION FAILED: %s", c->check->err);
			break;
		}
		chan_progress(c);
		if (rc == 1) {
			chan_done(c);
			rc = 0;
			break;
		}
	}
	t->close(ep);
	chan_buffer_free(c, buf);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentiles of the round trips, the first 1 % (warm-up) left out. */
static void rtt_stats(uint64_t *rtt, uint64_t n)
{
	uint64_t skip = n >= 1000 ? n / 100 : 0, sum = 0;
	struct shared *s = run_shared();

	rtt += skip;
	n -= skip;
	qsort(rtt, n, sizeof(*rtt), cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		sum += rtt[i];
	s->rounds = n;
	s->p50_ns = rtt[n / 2];
	s->p99_ns = rtt[n * 99 / 100];
	s->mean_ns = sum / n;
}

int loop_ping(struct chan *c)
{
	const struct transport *t = c->tr;
	struct check echo;
	void *ep, *out = chan_buffer(c, c->size), *in = chan_buffer(c, c->size);
	uint64_t *rtt = NULL, n = 0, cap = 0;
	int rc;

	if (!out || !in)
		return chan_fail(c, -ENOMEM, "ping buffers");
	check_init(&echo, c->size, 1);
	rc = t->open(c, ROLE_PING, &ep);
	if (rc < 0)
		return chan_fail(c, rc, "ping: open");
	rc = chan_sync(c);
	for (int last = 0; rc == 0 && !last;) {
		uint64_t t0, t1;
		int len;

		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			rtt = realloc(rtt, cap * sizeof(*rtt));
			if (!rtt) {
				rc = chan_fail(c, -ENOMEM, "ping: samples");
				break;
			}
		}
		last = gen_fill(c->gen, out);
		t0 = bench_now_ns();
		rc = t->send(ep, out, c->size);
		if (rc < 0) {
			chan_fail(c, rc, "ping: send");
			break;
		}
		len = t->recv(ep, in, c->size);
		t1 = bench_now_ns();
		if (len < 0) {
			rc = chan_fail(c, len, "ping: receive");
			break;
		}
		if (check_msg(&echo, in, (size_t)len) < 0) {
			rc = chan_fail(c, -EBADMSG, "VERIFICATION FAILED (echo): %s", echo.err);
			break;
		}
		rtt[n++] = t1 - t0;
	}
	run_shared()->ping_done = 1;
	if (rc == 0)
		rtt_stats(rtt, n);
	t->close(ep);
	free(rtt);
	chan_buffer_free(c, out);
	chan_buffer_free(c, in);
	return rc;
}

int loop_pong(struct chan *c)
{
	const struct transport *t = c->tr;
	void *ep, *buf = chan_buffer(c, c->size);
	int rc;

	if (!buf)
		return chan_fail(c, -ENOMEM, "pong buffer");
	rc = t->open(c, ROLE_PONG, &ep);
	if (rc < 0)
		return chan_fail(c, rc, "pong: open");
	rc = chan_sync(c);
	while (rc == 0) {
		int len = t->recv(ep, buf, c->size);

		if (len < 0) {
			rc = chan_fail(c, len, "pong: receive");
			break;
		}
		int done = check_msg(c->check, buf, (size_t)len);
		if (done < 0) {
			rc = chan_fail(c, -EBADMSG, "VERIFICATION FAILED: %s", c->check->err);
			break;
		}
		rc = t->send(ep, buf, (size_t)len);
		if (rc < 0)
			chan_fail(c, rc, "pong: send");
		if (done)
			break;
	}
	t->close(ep);
	chan_buffer_free(c, buf);
	return rc < 0 ? rc : 0;
}
