/*
 * peer.c - the soak's writer and reader processes.
 *
 * Each is forked by the supervisor, opens its own handle (shared, or
 * exclusive when the supervisor says so) and then, call after call, picks
 * one way of using the ring at random: every send and receive form the API
 * has, blocking forever, with a timeout, or not at all. It leaves on its
 * own after a random lifetime (a clean close), on SIGTERM (a clean close
 * once the call in progress returns), or is killed by SIGKILL anywhere.
 *
 * A call may only fail in the ways its timeout allows (-EAGAIN for NOWAIT,
 * -ETIMEDOUT for a timeout) or with -EPIPE (writers: every reader gone for
 * a moment); anything else is counted as unexpected and ends the process
 * with status 3.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "soak.h"

const char *const op_names[OP_COUNT] = {
    [OP_NONE] = "none",
    [OP_OPEN] = "open",
    [OP_SEND] = "send(FOREVER)",
    [OP_SEND_TIMED] = "send(timeout)",
    [OP_SEND_NOWAIT] = "send(NOWAIT)",
    [OP_SEND_BULK] = "send_bulk",
    [OP_SEND_BURST] = "send_burst",
    [OP_RESERVE] = "reserve+commit",
    [OP_RESERVE_ABORT] = "reserve+abort",
    [OP_SEND_BADLEN] = "send(bad length)",
    [OP_RECV] = "recv(FOREVER)",
    [OP_RECV_TIMED] = "recv(timeout)",
    [OP_RECV_NOWAIT] = "recv(NOWAIT)",
    [OP_RECV_SMALL] = "recv(small buffer)",
    [OP_RECV_BURST] = "recv_burst",
    [OP_PEEK] = "peek+release",
    [OP_PEEK_BURST] = "peek_burst+release",
    [OP_CLOSE] = "close",
};

static volatile sig_atomic_t terminated;

static void on_term(int sig)
{
	(void)sig;
	terminated = 1;
}

/* Die with the supervisor; leave on SIGTERM once the call returns. */
static void child_setup(void)
{
	struct sigaction sa;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != S->supervisor)
		_exit(9);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGINT, SIG_DFL);
}

static int unexpected(const char *who, unsigned slot, enum op op, int rc)
{
	ADD(unexpected, 1);
	fprintf(stderr, "soak: UNEXPECTED: %s %u pid %d: %s returned %d (%s)\n", who, slot,
		(int)getpid(), op_names[op], rc, shmring_strerror(rc));
	return -1;
}

/* A failure the timeout allows: 0 (go on); any other: -1. */
static int allowed_failure(const char *who, unsigned slot, enum op op, int rc, int timeout)
{
	if (rc == -EAGAIN && timeout == SHMRING_NOWAIT) {
		ADD(eagain, 1);
		sched_yield();
		return 0;
	}
	if (rc == -ETIMEDOUT && timeout > 0) {
		ADD(timedout, 1);
		return 0;
	}
	if (rc == -EPIPE && who[0] == 'w') {
		ADD(epipe, 1);
		usleep(200);
		return 0;
	}
	return unexpected(who, slot, op, rc);
}

/* How often each call is picked, in percent. */
struct choice {
	enum op op;
	unsigned percent;
};

static const struct choice write_ops[] = {
    {OP_SEND, 18},	 {OP_SEND_TIMED, 15}, {OP_SEND_NOWAIT, 10},  {OP_SEND_BULK, 15},
    {OP_SEND_BURST, 15}, {OP_RESERVE, 20},    {OP_RESERVE_ABORT, 5}, {OP_SEND_BADLEN, 2},
};

static const struct choice read_ops[] = {
    {OP_RECV, 18},	 {OP_RECV_TIMED, 12}, {OP_RECV_NOWAIT, 10}, {OP_RECV_SMALL, 5},
    {OP_RECV_BURST, 20}, {OP_PEEK, 17},	      {OP_PEEK_BURST, 18},
};

static enum op pick_op(uint64_t *rng, const struct choice *c, size_t n)
{
	uint64_t d = soak_below(rng, 100);

	for (size_t i = 0; i + 1 < n; i++) {
		if (d < c[i].percent)
			return c[i].op;
		d -= c[i].percent;
	}
	return c[n - 1].op;
}

static int pick_timeout(uint64_t *rng)
{
	uint64_t d = soak_below(rng, 3);

	return d == 0 ? SHMRING_FOREVER : d == 1 ? SHMRING_NOWAIT : 1 + (int)soak_below(rng, 20);
}

/* The timeout a call of kind @op takes. */
static int timeout_of(uint64_t *rng, enum op op)
{
	switch (op) {
	case OP_SEND:
	case OP_RECV:
		return SHMRING_FOREVER;
	case OP_SEND_NOWAIT:
	case OP_RECV_NOWAIT:
	case OP_SEND_BADLEN:
		return SHMRING_NOWAIT;
	case OP_RECV_SMALL:
		return soak_below(rng, 2) ? SHMRING_NOWAIT : 5;
	case OP_SEND_TIMED:
	case OP_RECV_TIMED:
		return 1 + (int)soak_below(rng, 20);
	default: /* batches and zero copy: any of the three */
		return pick_timeout(rng);
	}
}

static uint64_t lifetime_ns(uint64_t *rng, bool exclusive)
{
	uint64_t ms = 100 + soak_below(rng, exclusive ? 1900 : 2900);

	return soak_now_ns() + ms * 1000000u;
}

static struct shmring *open_ring(struct slot *me, const char *who, unsigned slot, unsigned role,
				 bool exclusive)
{
	unsigned flags = role | (exclusive ? SHMRING_EXCLUSIVE : 0);

	me->op = OP_OPEN;
	for (;;) {
		struct shmring *r = NULL;
		int rc = shmring_open_id(S->shmid, flags, NULL, &r);
		if (rc == 0) {
			if (exclusive)
				ADD(excl_opens[role == SHMRING_READER], 1);
			return r;
		}
		if (rc == -EBUSY && exclusive && !terminated) {
			ADD(open_busy, 1);
			continue;
		}
		if (rc == -EBUSY && terminated)
			return NULL;
		unexpected(who, slot, OP_OPEN, rc);
		return NULL;
	}
}

static void leave(struct slot *me, struct shmring *r)
{
	STORE(&me->state, ST_CLOSING);
	me->op = OP_CLOSE;
	shmring_close(r);
	STORE(&me->state, ST_CLOSED);
}

/* ---------------------------------------------------------------------- */
/* Writers                                                                */

struct writer {
	struct shmring *r;
	struct slot *me;
	struct wrinc *wi;
	unsigned slot;
	uint32_t inc;
	uint32_t seq; /* next sequence number */
	size_t max;
	uint8_t *buf; /* MAX_BATCH slots of max + 1 bytes */
	uint64_t rng;
};

static size_t pick_len(uint64_t *rng, size_t max)
{
	uint64_t d = soak_below(rng, 100);
	size_t small = max < 256 ? max : 256;

	if (d < 10)
		return max;
	if (d < 20)
		return MSG_MIN;
	if (d < 50)
		return MSG_MIN + soak_below(rng, small - MSG_MIN + 1);
	return MSG_MIN + soak_below(rng, max - MSG_MIN + 1);
}

static uint64_t record_bytes(size_t len)
{
	return SHMRING_RECORD_OVERHEAD + ((len + 7) & ~(size_t)7);
}

/* Messages seq .. seq + n - 1 are about to be handed to a call. */
static void attempt(struct writer *w, unsigned n)
{
	if (w->seq + n > w->wi->attempted)
		STORE(&w->wi->attempted, w->seq + n);
}

static void confirm(struct writer *w, const struct iovec *v, unsigned k)
{
	for (unsigned i = 0; i < k; i++)
		if (v[i].iov_len == w->max)
			ADD(at_max, 1);
	w->seq += k;
	STORE(&w->wi->confirmed, w->seq);
	ADD(sent, k);
}

/* Fill up to @n messages; a bulk batch stops at what an empty ring holds. */
static unsigned prepare(struct writer *w, struct iovec *v, unsigned n, bool bulk)
{
	uint64_t bytes = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t len = pick_len(&w->rng, w->max);
		if (bulk && i > 0 && bytes + record_bytes(len) > S->capacity)
			break;
		bytes += record_bytes(len);
		v[i].iov_base = w->buf + i * (w->max + 1);
		v[i].iov_len = len;
		msg_fill(v[i].iov_base, len, w->slot, w->inc, w->seq + i);
	}
	return i;
}

static int bad_lengths(struct writer *w)
{
	int rc = shmring_send(w->r, w->buf, 0, SHMRING_NOWAIT);

	if (rc != -EMSGSIZE)
		return unexpected("writer", w->slot, OP_SEND_BADLEN, rc);
	rc = shmring_send(w->r, w->buf, w->max + 1, SHMRING_NOWAIT);
	if (rc != -EMSGSIZE)
		return unexpected("writer", w->slot, OP_SEND_BADLEN, rc);
	ADD(emsgsize, 2);
	return 0;
}

static int zero_copy(struct writer *w, enum op op, int timeout)
{
	size_t len = pick_len(&w->rng, w->max), fill = len;
	void *p = NULL;
	int rc;

	attempt(w, 1);
	rc = shmring_reserve(w->r, len, &p, timeout);
	if (rc < 0)
		return allowed_failure("writer", w->slot, op, rc, timeout);
	if (soak_below(&w->rng, 2))
		fill = MSG_MIN + soak_below(&w->rng, len - MSG_MIN + 1);
	msg_fill(p, fill, w->slot, w->inc, w->seq);
	if (op == OP_RESERVE_ABORT) {
		rc = shmring_abort(w->r);
		if (rc != 0)
			return unexpected("writer", w->slot, op, rc);
		ADD(aborts, 1);
		return 0;
	}
	rc = shmring_commit(w->r, fill);
	if (rc != 0)
		return unexpected("writer", w->slot, op, rc);
	struct iovec one = {.iov_base = p, .iov_len = fill};
	confirm(w, &one, 1);
	return 1;
}

/* One call; returns the messages it sent, or -1. */
static int write_op(struct writer *w)
{
	struct iovec v[MAX_BATCH];
	enum op op;
	int timeout, rc;
	unsigned n;

	op = pick_op(&w->rng, write_ops, sizeof(write_ops) / sizeof(write_ops[0]));
	timeout = timeout_of(&w->rng, op);
	w->me->op = op;
	ADD(ops[op], 1);
	switch (op) {
	case OP_SEND_BADLEN:
		return bad_lengths(w);
	case OP_RESERVE:
	case OP_RESERVE_ABORT:
		return zero_copy(w, op, timeout);
	case OP_SEND_BULK:
	case OP_SEND_BURST:
		n = prepare(w, v, 2 + (unsigned)soak_below(&w->rng, MAX_BATCH - 1),
			    op == OP_SEND_BULK);
		attempt(w, n);
		rc = op == OP_SEND_BULK ? shmring_send_bulk(w->r, v, n, timeout)
					: shmring_send_burst(w->r, v, n, timeout);
		if (rc < 0)
			return allowed_failure("writer", w->slot, op, rc, timeout);
		if (rc == 0 || (unsigned)rc > n || (op == OP_SEND_BULK && (unsigned)rc != n))
			return unexpected("writer", w->slot, op, rc);
		confirm(w, v, (unsigned)rc);
		return rc;
	default:
		prepare(w, v, 1, false);
		attempt(w, 1);
		rc = shmring_send(w->r, v[0].iov_base, v[0].iov_len, timeout);
		if (rc < 0)
			return allowed_failure("writer", w->slot, op, rc, timeout);
		if (rc != 0)
			return unexpected("writer", w->slot, op, rc);
		confirm(w, v, 1);
		return 1;
	}
}

int writer_main(unsigned slot, uint32_t inc, bool exclusive)
{
	struct writer w = {.slot = slot, .inc = inc, .me = &S->w[slot], .wi = &S->inc[inc]};
	int final_left = -1, status = 0;
	uint64_t retire;

	child_setup();
	w.rng = (S->seed ^ ((uint64_t)inc << 20) ^ (uint64_t)getpid()) * 0x9e3779b97f4a7c15ull | 1;
	w.max = S->max_msg;
	w.buf = malloc(MAX_BATCH * (w.max + 1));
	if (!w.buf)
		return 4;
	w.r = open_ring(w.me, "writer", slot, SHMRING_WRITER, exclusive);
	if (!w.r)
		return terminated ? 0 : 3;
	STORE(&w.me->state, ST_OPEN);
	retire = lifetime_ns(&w.rng, exclusive);
	while (!terminated) {
		uint32_t ph = LOAD(&S->phase);
		if (ph == PHASE_RUN && soak_now_ns() >= retire)
			break;
		if (ph == PHASE_FINAL) {
			if (final_left < 0)
				final_left = (int)soak_below(&w.rng, 200);
			if (final_left == 0)
				break;
		}
		if (w.seq + MAX_BATCH >= SEQ_CAP) {
			/* Used up its numbers: leave, or wait for the end. */
			if (ph != PHASE_STOPPING)
				break;
			usleep(1000);
			continue;
		}
		int k = write_op(&w);
		if (k < 0) {
			status = 3;
			break;
		}
		if (final_left > 0)
			final_left = final_left > k ? final_left - k : 0;
		__atomic_fetch_add(&w.me->beat, 1, __ATOMIC_RELAXED);
	}
	leave(w.me, w.r);
	free(w.buf);
	return status;
}

/* ---------------------------------------------------------------------- */
/* Readers                                                                */

struct reader {
	struct shmring *r;
	struct slot *me;
	unsigned slot;
	size_t max;
	uint8_t *buf; /* MAX_BATCH slots of max bytes */
	uint64_t rng;
};

/* 0 from a receive. Returns 1 when it is the end of the final drain. */
static int end_of_stream(struct reader *rd, uint32_t phase_before)
{
	if (phase_before != PHASE_FINAL) {
		/* Every writer gone for a moment: they are restarted. */
		ADD(eos_run, 1);
		usleep(500);
		return 0;
	}
	/* Every final writer was open when FINAL was set, before this call
	 * began: end of stream now means each has at least begun to close. */
	for (unsigned i = 0; i < S->nwriters; i++) {
		uint32_t st = LOAD(&S->w[i].state);
		if (st == ST_OPEN || st == ST_STARTING) {
			ADD(premature_eos, 1);
			fprintf(stderr,
				"soak: PREMATURE END OF STREAM: reader %u pid %d while writer %u "
				"(pid %d) is in state %u\n",
				rd->slot, (int)getpid(), i, (int)S->w[i].pid, st);
		}
	}
	ADD(eos_final, 1);
	return 1;
}

static void set_pending(struct reader *rd, unsigned n)
{
	__atomic_store_n(&rd->me->pending, n, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Messages taken: check and record each, counting pending down. */
static void take(struct reader *rd, const struct iovec *v, unsigned n, const char *how)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t inc, seq;
		if (msg_check(v[i].iov_base, v[i].iov_len, rd->slot, &inc, &seq) == 0)
			msg_record(rd->slot, inc, seq, how);
		set_pending(rd, n - i - 1);
	}
}

static int read_copy(struct reader *rd, enum op op, int timeout, uint32_t ph)
{
	struct iovec v[MAX_BATCH];
	unsigned n = 1, small_at = MAX_BATCH; /* the buffer made smaller than max_msg */
	size_t len;
	int rc;

	if (op == OP_RECV_BURST) {
		n = 2 + (unsigned)soak_below(&rd->rng, MAX_BATCH - 1);
		if (soak_below(&rd->rng, 5) == 0)
			small_at = (unsigned)soak_below(&rd->rng, n);
	}
	for (unsigned i = 0; i < n; i++) {
		v[i].iov_base = rd->buf + i * rd->max;
		v[i].iov_len = rd->max;
	}
	if (small_at < n)
		v[small_at].iov_len = MSG_MIN + soak_below(&rd->rng, rd->max - MSG_MIN);
	if (op == OP_RECV_SMALL)
		v[0].iov_len = soak_below(&rd->rng, MSG_MIN);
	set_pending(rd, n);
	if (op == OP_RECV_BURST) {
		rc = shmring_recv_burst(rd->r, v, n, timeout);
	} else {
		len = v[0].iov_len;
		rc = shmring_recv(rd->r, v[0].iov_base, &len, timeout);
		v[0].iov_len = len;
	}
	if (rc == -ENOBUFS && (op == OP_RECV_SMALL || small_at == 0)) {
		set_pending(rd, 0);
		if (v[0].iov_len < MSG_MIN || v[0].iov_len > rd->max)
			return unexpected("reader", rd->slot, op, (int)v[0].iov_len);
		ADD(enobufs, 1);
		return 0;
	}
	if (rc < 0) {
		set_pending(rd, 0);
		return allowed_failure("reader", rd->slot, op, rc, timeout);
	}
	if (rc == 0) {
		set_pending(rd, 0);
		return end_of_stream(rd, ph);
	}
	if ((unsigned)rc > n || op == OP_RECV_SMALL)
		return unexpected("reader", rd->slot, op, rc);
	take(rd, v, (unsigned)rc, op_names[op]);
	return 0;
}

static int read_peek(struct reader *rd, enum op op, int timeout, uint32_t ph)
{
	struct iovec v[MAX_BATCH];
	uint32_t incs[MAX_BATCH], seqs[MAX_BATCH];
	bool ok[MAX_BATCH];
	unsigned n = 1, k;
	int rc;

	if (op == OP_PEEK) {
		const void *p = NULL;
		size_t len = 0;
		rc = shmring_peek(rd->r, &p, &len, timeout);
		v[0].iov_base = (void *)p;
		v[0].iov_len = len;
	} else {
		n = 2 + (unsigned)soak_below(&rd->rng, MAX_BATCH - 1);
		rc = shmring_peek_burst(rd->r, v, n, timeout);
	}
	if (rc < 0)
		return allowed_failure("reader", rd->slot, op, rc, timeout);
	if (rc == 0)
		return end_of_stream(rd, ph);
	if ((unsigned)rc > n)
		return unexpected("reader", rd->slot, op, rc);
	n = (unsigned)rc;
	/* In place, before the release: after it the bytes may be reused. */
	for (unsigned i = 0; i < n; i++)
		ok[i] = msg_check(v[i].iov_base, v[i].iov_len, rd->slot, &incs[i], &seqs[i]) == 0;
	k = n;
	if (op == OP_PEEK_BURST && soak_below(&rd->rng, 3) != 0)
		k = (unsigned)soak_below(&rd->rng, n + 1);
	set_pending(rd, k);
	rc = k == n && soak_below(&rd->rng, 2) ? shmring_release(rd->r)
					       : shmring_release_burst(rd->r, k);
	if (rc != 0) {
		set_pending(rd, 0);
		return unexpected("reader", rd->slot, op, rc);
	}
	for (unsigned i = 0; i < k; i++) {
		if (ok[i])
			msg_record(rd->slot, incs[i], seqs[i], op_names[op]);
		set_pending(rd, k - i - 1);
	}
	return 0;
}

static int read_op(struct reader *rd)
{
	uint32_t ph = LOAD(&S->phase);
	enum op op;
	int timeout;

	op = pick_op(&rd->rng, read_ops, sizeof(read_ops) / sizeof(read_ops[0]));
	timeout = timeout_of(&rd->rng, op);
	rd->me->op = op;
	ADD(ops[op], 1);
	if (op == OP_PEEK || op == OP_PEEK_BURST)
		return read_peek(rd, op, timeout, ph);
	return read_copy(rd, op, timeout, ph);
}

int reader_main(unsigned slot, bool exclusive)
{
	struct reader rd = {.slot = slot, .me = &S->r[slot]};
	int status = 0;
	uint64_t retire;

	child_setup();
	rd.rng =
	    (S->seed ^ ((uint64_t)slot << 40) ^ (uint64_t)getpid() << 8) * 0xbf58476d1ce4e5b9ull |
	    1;
	rd.max = S->max_msg;
	rd.buf = malloc(MAX_BATCH * rd.max);
	if (!rd.buf)
		return 4;
	rd.r = open_ring(rd.me, "reader", slot, SHMRING_READER, exclusive);
	if (!rd.r)
		return terminated ? 0 : 3;
	STORE(&rd.me->state, ST_OPEN);
	retire = lifetime_ns(&rd.rng, exclusive);
	while (!terminated) {
		if (LOAD(&S->phase) == PHASE_RUN && soak_now_ns() >= retire)
			break;
		int rc = read_op(&rd);
		if (rc < 0) {
			status = 3;
			break;
		}
		__atomic_fetch_add(&rd.me->beat, 1, __ATOMIC_RELAXED);
		if (rc == 1)
			break;
	}
	leave(rd.me, rd.r);
	free(rd.buf);
	return status;
}
