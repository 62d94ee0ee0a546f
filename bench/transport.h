/*
 * transport.h - the common face of every way to move messages that the
 * benchmark compares: shmring (four ways), kernel IPC and libraries.
 *
 * Life of one measurement ("cell"): the parent calls setup() to create the
 * channel (ring, queue, FIFO...), then forks the consumer and producer
 * processes; each child calls open() for its role (or runs a specialised
 * produce()/consume() loop), then chan_sync() to wait for the start, then
 * moves messages; the parent reaps them and calls teardown(). Children
 * never touch objects the parent opened: they open their own, and leave
 * with _exit().
 *
 * A transport reports a failure as -errno and may describe it first with
 * chan_fail(); the harness turns it into a failed cell.
 *
 * User buffers: where a transport copies a message from the producer's
 * memory or into the consumer's (shmring_send/recv and the burst calls,
 * write/read, msgsnd/msgrcv, mq_send...), that memory comes from
 * chan_buffer(), and where it starts is a parameter of the cell,
 * c->buf_offset: 0 for page-aligned buffers (aligned_alloc(4096), what
 * the harness always used), or bytes past a page boundary (1: a byte
 * offset, the hardest case for a copy). Every copying cell is measured
 * both ways and the slower is reported. Transports that move messages in
 * their own memory only (TR_IN_PLACE) are measured once.
 */
#ifndef BENCH_TRANSPORT_H
#define BENCH_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "payload.h"

enum peer_kind {
	KIND_SHMRING, /* the subject */
	KIND_KERNEL,  /* pipe, sockets, message queues */
	KIND_LIBRARY, /* ZeroMQ, Boost.Interprocess */
};

enum role {
	ROLE_PRODUCER, /* throughput: writes c->gen's messages */
	ROLE_CONSUMER, /* throughput: reads and checks them */
	ROLE_PING,     /* ping-pong: sends, waits for the echo */
	ROLE_PONG,     /* ping-pong: echoes */
};

/* The page size user buffers are placed against. */
#define CHAN_PAGE 4096u

/* What a transport can be measured for. */
#define TR_THROUGHPUT 0x1u
#define TR_PINGPONG 0x2u
#define TR_IN_PLACE 0x4u /* no user buffer: written and read in the channel */

/* One channel: made by setup() in the parent, inherited by the children. */
struct chan {
	const struct transport *tr;
	size_t size;         /* bytes per message */
	unsigned producers;  /* processes writing (throughput) */
	size_t budget;       /* bytes of buffering the channel may have */
	unsigned batch;      /* messages per batch call, where batching */
	int pingpong;        /* 1: two directions, for a round trip */
	size_t buf_offset;   /* user buffers start this far past a page */
	unsigned id;         /* in a producer: its id (0 .. producers - 1) */
	void *priv;          /* the transport's own state */
	struct gen *gen;     /* in a producer or pinger */
	struct check *check; /* in a consumer or ponger */
	/* harness-owned */
	int ready_fd, go_fd;
	char *err;
	size_t errlen;
};

struct transport {
	const char *name; /* command-line and table name, e.g. "pipe" */
	const char *desc; /* one line for --help */
	enum peer_kind kind;
	unsigned producers; /* writer processes in a throughput cell */
	unsigned flags;     /* TR_THROUGHPUT, TR_PINGPONG */

	/* Once before the transport's first cell, e.g. to raise kernel limits
	   for messages up to @max_size and channels of @budget bytes; NULL:
	   nothing to do. On failure (-errno) @why says why the transport is
	   skipped. */
	int (*prepare)(size_t max_size, size_t budget, char *why, size_t len);
	/* Undo prepare(); NULL: nothing. */
	void (*finish)(void);
	/* NULL when @size can be measured, else a reason (may use @buf). */
	const char *(*skip)(size_t size, size_t budget, char *buf, size_t len);

	int (*setup)(struct chan *c);     /* parent */
	void (*teardown)(struct chan *c); /* parent; also after a failure */

	/* Children: one endpoint per process, one message per call. recv()
	   returns the message length (exact-size framing for byte streams). */
	int (*open)(struct chan *c, enum role role, void **ep);
	int (*send)(void *ep, const void *buf, size_t len);
	int (*recv)(void *ep, void *buf, size_t cap);
	void (*close)(void *ep);

	/* Optional loops that replace the generic ones (batch, zero-copy):
	   return 0 or -errno; the consumer calls chan_done() at the end. */
	int (*produce)(struct chan *c);
	int (*consume)(struct chan *c);
};

/* In a child: tell the parent we are ready, wait for the start signal;
   starts the producer's clock. Returns 0 or -EPIPE (parent gone). */
int chan_sync(struct chan *c);

/* In the consumer: every message is in and checked (stops the clock). */
void chan_done(struct chan *c);

/* In the consumer, after each verified message: progress, for a report
   on a hang (published once per 1024 messages). */
void chan__progress(struct chan *c);
static inline void chan_progress(struct chan *c)
{
	if ((c->check->received & 1023) == 1)
		chan__progress(c);
}

/* Whether the receiving side has everything (consumer done, or the
   pinger has its last echo): for transports that lose queued messages
   when the sender closes early. */
int chan_peer_done(void);

/* In a producer: how many messages it sent (for the loss check). */
void chan_sent(struct chan *c, uint64_t n);

/* Describe a failure; returns @err for "return chan_fail(c, rc, ...)". */
int chan_fail(struct chan *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A zeroed user buffer for @size bytes, starting c->buf_offset bytes past
   a page boundary; NULL when out of memory. Free with chan_buffer_free(). */
void *chan_buffer(const struct chan *c, size_t size);
void chan_buffer_free(const struct chan *c, void *buf);

/* Every transport, in table order; NULL-terminated. */
extern const struct transport *const transports[];

extern const struct transport transport_shmring;
extern const struct transport transport_shmring_batch;
extern const struct transport transport_shmring_zc;
extern const struct transport transport_shmring_4p;
extern const struct transport transport_pipe;
extern const struct transport transport_pipe_4w;
extern const struct transport transport_fifo;
extern const struct transport transport_unix_stream;
extern const struct transport transport_unix_seqpacket;
extern const struct transport transport_sysv_msgq;
extern const struct transport transport_posix_mq;
#ifdef HAVE_ZMQ
extern const struct transport transport_zmq;
#endif
#ifdef HAVE_BOOST_IPC
extern const struct transport transport_boost_mq;
#endif

#endif /* BENCH_TRANSPORT_H */
