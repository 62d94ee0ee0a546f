/*
 * t_shmring.c - shmring measured four ways, through its public API only:
 *
 *   shmring        exclusive writer and reader, shmring_send/shmring_recv
 *   shmring-batch  the same, shmring_send_burst/shmring_recv_burst
 *   shmring-zc     the same, reserve/commit and peek/release: the producer
 *                  writes each message in the ring, the consumer checks it
 *                  there
 *   shmring-4p     four shared (non-exclusive) writers, batch API, one
 *                  exclusive reader
 *
 * The parent creates each ring as IPC_PRIVATE with an admin handle (no
 * roles); children reach it by id and open their own handles.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>

#include "shmring.h"

#include "cleanup.h"
#include "t_shmring.h"
#include "transport.h"

/* Two rings at most: a -> b for streaming, and b -> a back for ping-pong. */
struct ring_priv {
	struct shmring *admin[2];
	int32_t shmid[2];
	int slot[2];
};

struct ring_ep {
	struct shmring *out, *in;
};

static int ring_make(struct ring_priv *p, int i, size_t capacity, size_t max_msg)
{
	struct shmring_options opt;
	struct shmring_stats st;
	int rc;

	memset(&opt, 0, sizeof(opt));
	opt.capacity = capacity;
	opt.max_msg = max_msg;
	opt.mode = 0600;
	rc = shmring_create_key(IPC_PRIVATE, 0, &opt, &p->admin[i]);
	if (rc < 0)
		return rc;
	rc = shmring_stats(p->admin[i], &st);
	if (rc < 0) {
		shmring_destroy(p->admin[i]);
		p->admin[i] = NULL;
		return rc;
	}
	p->shmid[i] = st.shmid;
	p->slot[i] = cleanup_add(CLEANUP_SYSV_RING, st.shmid, st.semid, NULL, NULL);
	return 0;
}

void ring_teardown(struct chan *c)
{
	struct ring_priv *p = c->priv;

	if (!p)
		return;
	for (int i = 0; i < 2; i++) {
		if (!p->admin[i])
			continue;
		shmring_destroy(p->admin[i]);
		cleanup_forget(p->slot[i]);
	}
	free(p);
	c->priv = NULL;
}

int ring_setup(struct chan *c)
{
	struct ring_priv *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->slot[0] = p->slot[1] = -1;
	rc = ring_make(p, 0, c->budget, c->size);
	if (rc == 0 && c->pingpong)
		rc = ring_make(p, 1, c->budget, c->size);
	if (rc < 0) {
		ring_teardown(c);
		return chan_fail(c, rc, "shmring_create_key");
	}
	return 0;
}

int ring_open(struct chan *c, int i, unsigned flags, struct shmring **ring)
{
	struct ring_priv *p = c->priv;
	int rc = shmring_open_id(p->shmid[i], flags, NULL, ring);

	if (rc < 0)
		return chan_fail(c, rc, "shmring_open_id(%s)",
				 flags & SHMRING_WRITER ? "writer" : "reader");
	return 0;
}

static int ring_fail(struct chan *c, int rc, const char *what)
{
	return chan_fail(c, rc, "%s after %" PRIu64 " messages", what,
			 c->gen ? c->gen->seq : c->check->received);
}

/* The consumer's verdict on one message: 0 more, 1 done, < 0 failed. */
static int ring_check(struct chan *c, const void *msg, size_t len)
{
	int rc = check_msg(c->check, msg, len);

	if (rc < 0)
		return chan_fail(c, -EBADMSG, "VERIFICATION FAILED: %s", c->check->err);
	chan_progress(c);
	if (rc == 1)
		chan_done(c);
	return rc;
}

int ring_end_of_stream(struct chan *c)
{
	return chan_fail(c, -EPIPE, "end of stream after %" PRIu64 " messages, before the last",
			 c->check->received);
}

/* ---------------------------------------------------------------------- */
/* Per message                                                             */

static int msg_produce(struct chan *c)
{
	struct shmring *ring;
	void *buf = chan_buffer(c, c->size);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = ring_open(c, 0, SHMRING_WRITER | SHMRING_EXCLUSIVE, &ring);
	if (rc < 0)
		return rc;
	rc = chan_sync(c);
	for (int last = 0; rc == 0 && !last;) {
		last = gen_fill(c->gen, buf);
		rc = shmring_send(ring, buf, c->size, SHMRING_FOREVER);
		if (rc < 0)
			ring_fail(c, rc, "shmring_send");
	}
	chan_sent(c, c->gen->seq);
	shmring_close(ring);
	chan_buffer_free(c, buf);
	return rc;
}

static int msg_consume(struct chan *c)
{
	struct shmring *ring;
	void *buf = chan_buffer(c, c->size);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = ring_open(c, 0, SHMRING_READER | SHMRING_EXCLUSIVE, &ring);
	if (rc < 0)
		return rc;
	rc = chan_sync(c);
	while (rc == 0) {
		size_t len = c->size;

		rc = shmring_recv(ring, buf, &len, SHMRING_FOREVER);
		if (rc < 0) {
			ring_fail(c, rc, "shmring_recv");
			break;
		}
		if (rc == 0) {
			rc = ring_end_of_stream(c);
			break;
		}
		rc = ring_check(c, buf, len);
		if (rc == 1) {
			rc = 0;
			break;
		}
	}
	shmring_close(ring);
	chan_buffer_free(c, buf);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Batches                                                                 */

/* Messages per batch: the configured count, but at most ~256 KiB of them
   and never more than half the ring, so a batch always fits. */
static unsigned batch_count(const struct chan *c)
{
	size_t by_bytes = (256u << 10) / (c->size + SHMRING_RECORD_OVERHEAD);
	size_t by_ring = c->budget / 2 / (c->size + SHMRING_RECORD_OVERHEAD + 8);
	size_t n = c->batch;

	if (n > by_bytes)
		n = by_bytes;
	if (n > by_ring)
		n = by_ring;
	return n ? (unsigned)n : 1;
}

struct batch {
	unsigned n;
	unsigned char *bufs;
	struct iovec *iov;
};

static int batch_alloc(struct chan *c, struct batch *b)
{
	b->n = batch_count(c);
	/* One user buffer, the messages back to back: each starts where the
	   one before ends, so at c->buf_offset past a page only when the
	   size is a multiple of 4 KiB. */
	b->bufs = chan_buffer(c, (size_t)b->n * c->size);
	b->iov = calloc(b->n, sizeof(*b->iov));
	if (!b->bufs || !b->iov) {
		chan_buffer_free(c, b->bufs);
		free(b->iov);
		return chan_fail(c, -ENOMEM, "batch buffers");
	}
	return 0;
}

static void batch_free(struct chan *c, struct batch *b)
{
	chan_buffer_free(c, b->bufs);
	free(b->iov);
}

static int batch_produce_flags(struct chan *c, unsigned flags)
{
	struct shmring *ring;
	struct batch b;
	int rc = batch_alloc(c, &b);

	if (rc < 0)
		return rc;
	rc = ring_open(c, 0, flags, &ring);
	if (rc < 0) {
		batch_free(c, &b);
		return rc;
	}
	rc = chan_sync(c);
	for (int last = 0; rc == 0 && !last;) {
		unsigned n = 0, off = 0;

		while (n < b.n && !last) {
			unsigned char *m = b.bufs + (size_t)n * c->size;

			last = gen_fill(c->gen, m);
			b.iov[n].iov_base = m;
			b.iov[n].iov_len = c->size;
			n++;
		}
		/* "As many as fit": send the rest once the reader made room. */
		while (off < n) {
			rc = shmring_send_burst(ring, b.iov + off, n - off, SHMRING_FOREVER);
			if (rc < 0) {
				ring_fail(c, rc, "shmring_send_burst");
				break;
			}
			off += (unsigned)rc;
			rc = 0;
		}
	}
	chan_sent(c, c->gen->seq);
	shmring_close(ring);
	batch_free(c, &b);
	return rc;
}

static int batch_produce(struct chan *c)
{
	return batch_produce_flags(c, SHMRING_WRITER | SHMRING_EXCLUSIVE);
}

static int shared_produce(struct chan *c)
{
	return batch_produce_flags(c, SHMRING_WRITER);
}

static int batch_consume(struct chan *c)
{
	struct shmring *ring;
	struct batch b;
	int rc = batch_alloc(c, &b);

	if (rc < 0)
		return rc;
	rc = ring_open(c, 0, SHMRING_READER | SHMRING_EXCLUSIVE, &ring);
	if (rc < 0) {
		batch_free(c, &b);
		return rc;
	}
	rc = chan_sync(c);
	while (rc == 0) {
		int got;

		for (unsigned i = 0; i < b.n; i++) {
			b.iov[i].iov_base = b.bufs + (size_t)i * c->size;
			b.iov[i].iov_len = c->size;
		}
		got = shmring_recv_burst(ring, b.iov, b.n, SHMRING_FOREVER);
		if (got < 0) {
			rc = ring_fail(c, got, "shmring_recv_burst");
			break;
		}
		if (got == 0) {
			rc = ring_end_of_stream(c);
			break;
		}
		for (int i = 0; i < got && rc == 0; i++)
			rc = ring_check(c, b.iov[i].iov_base, b.iov[i].iov_len);
		if (rc == 1 && got > 0) {
			rc = 0;
			break;
		}
	}
	shmring_close(ring);
	batch_free(c, &b);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Zero copy                                                               */

static int zc_produce(struct chan *c)
{
	struct shmring *ring;
	int rc = ring_open(c, 0, SHMRING_WRITER | SHMRING_EXCLUSIVE, &ring);

	if (rc < 0)
		return rc;
	rc = chan_sync(c);
	for (int last = 0; rc == 0 && !last;) {
		void *slot;

		rc = shmring_reserve(ring, c->size, &slot, SHMRING_FOREVER);
		if (rc < 0) {
			ring_fail(c, rc, "shmring_reserve");
			break;
		}
		last = gen_fill(c->gen, slot); /* written in place */
		rc = shmring_commit(ring, c->size);
		if (rc < 0)
			ring_fail(c, rc, "shmring_commit");
	}
	chan_sent(c, c->gen->seq);
	shmring_close(ring);
	return rc;
}

static int zc_consume(struct chan *c)
{
	struct shmring *ring;
	int rc = ring_open(c, 0, SHMRING_READER | SHMRING_EXCLUSIVE, &ring);

	if (rc < 0)
		return rc;
	rc = chan_sync(c);
	while (rc == 0) {
		const void *msg;
		size_t len;

		rc = shmring_peek(ring, &msg, &len, SHMRING_FOREVER);
		if (rc < 0) {
			ring_fail(c, rc, "shmring_peek");
			break;
		}
		if (rc == 0) {
			rc = ring_end_of_stream(c);
			break;
		}
		rc = ring_check(c, msg, len); /* read in place */
		int rel = shmring_release(ring);
		if (rel < 0 && rc >= 0)
			rc = ring_fail(c, rel, "shmring_release");
		if (rc == 1) {
			rc = 0;
			break;
		}
	}
	shmring_close(ring);
	return rc;
}

/* ---------------------------------------------------------------------- */
/* Generic endpoint, for ping-pong: ring 0 carries pings, ring 1 pongs.    */

static int ep_open(struct chan *c, enum role role, void **epp)
{
	struct ring_ep *ep = calloc(1, sizeof(*ep));
	const unsigned w = SHMRING_WRITER | SHMRING_EXCLUSIVE;
	const unsigned r = SHMRING_READER | SHMRING_EXCLUSIVE;
	int out = -1, in = -1, rc = 0;

	if (!ep)
		return -ENOMEM;
	switch (role) {
	case ROLE_PRODUCER:
		out = 0;
		break;
	case ROLE_CONSUMER:
		in = 0;
		break;
	case ROLE_PING:
		out = 0;
		in = 1;
		break;
	case ROLE_PONG:
		in = 0;
		out = 1;
		break;
	}
	if (out >= 0)
		rc = ring_open(c, out, w, &ep->out);
	if (rc == 0 && in >= 0)
		rc = ring_open(c, in, r, &ep->in);
	if (rc < 0) {
		shmring_close(ep->out);
		free(ep);
		return rc;
	}
	*epp = ep;
	return 0;
}

static int ep_send(void *epv, const void *buf, size_t len)
{
	struct ring_ep *ep = epv;
	int rc = shmring_send(ep->out, buf, len, SHMRING_FOREVER);

	return rc < 0 ? rc : 0;
}

static int ep_recv(void *epv, void *buf, size_t cap)
{
	struct ring_ep *ep = epv;
	size_t len = cap;
	int rc = shmring_recv(ep->in, buf, &len, SHMRING_FOREVER);

	if (rc < 0)
		return rc;
	return rc == 0 ? -EPIPE : (int)len;
}

static void ep_close(void *epv)
{
	struct ring_ep *ep = epv;

	shmring_close(ep->out);
	shmring_close(ep->in);
	free(ep);
}

const struct transport transport_shmring = {
	.name = "shmring",
	.desc = "shmring, exclusive writer/reader, shmring_send/shmring_recv",
	.kind = KIND_SHMRING,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.setup = ring_setup,
	.teardown = ring_teardown,
	.open = ep_open,
	.send = ep_send,
	.recv = ep_recv,
	.close = ep_close,
	.produce = msg_produce,
	.consume = msg_consume,
};

const struct transport transport_shmring_batch = {
	.name = "shmring-batch",
	.desc = "shmring, exclusive, shmring_send_burst/shmring_recv_burst",
	.kind = KIND_SHMRING,
	.producers = 1,
	.flags = TR_THROUGHPUT,
	.setup = ring_setup,
	.teardown = ring_teardown,
	.produce = batch_produce,
	.consume = batch_consume,
};

const struct transport transport_shmring_zc = {
	.name = "shmring-zc",
	.desc = "shmring, exclusive, zero copy: reserve/commit, peek/release",
	.kind = KIND_SHMRING,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_IN_PLACE,
	.setup = ring_setup,
	.teardown = ring_teardown,
	.produce = zc_produce,
	.consume = zc_consume,
};

const struct transport transport_shmring_4p = {
	.name = "shmring-4p",
	.desc = "shmring, 4 shared writers (batch API) -> 1 exclusive reader",
	.kind = KIND_SHMRING,
	.producers = 4,
	.flags = TR_THROUGHPUT,
	.setup = ring_setup,
	.teardown = ring_teardown,
	.produce = shared_produce,
	.consume = batch_consume,
};
