/* Zero copy: reserve/commit/abort for writers, peek/release for readers. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(zerocopy, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

#define RW (SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE)

static struct shmring_stats stats_of(struct shmring *r)
{
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	return st;
}

Test(zerocopy, committed_message_is_read_in_place)
{
	struct shmring *r = tr_create(RW, 0, 0, NULL);
	void *w;
	cr_assert_eq(shmring_reserve(r, 100, &w, 0), 0);
	tr_fill(w, 100, 1, 42);
	cr_assert_eq(stats_of(r).messages, 0, "invisible until commit");
	cr_assert_eq(shmring_commit(r, 100), 0);
	const void *p;
	size_t len;
	cr_assert_eq(shmring_peek(r, &p, &len, 0), 1);
	cr_assert_eq(len, 100);
	cr_assert_eq(p, w, "the reader sees the very bytes the writer filled");
	uint32_t who, seq;
	cr_assert(tr_check(p, len, &who, &seq));
	cr_assert_eq(seq, 42);
	cr_assert_eq(stats_of(r).messages, 1, "still queued while peeked");
	cr_assert_eq(shmring_release(r), 0);
	cr_assert_eq(stats_of(r).messages, 0);
	shmring_close(r);
}

Test(zerocopy, commit_may_shorten_the_message)
{
	struct shmring *r = tr_create(RW, 0, 0, NULL);
	void *w;
	cr_assert_eq(shmring_reserve(r, 500, &w, 0), 0);
	memcpy(w, "short", 5);
	cr_assert_eq(shmring_commit(r, 501), -EINVAL, "longer than reserved");
	cr_assert_eq(shmring_commit(r, 5), 0);
	char buf[600];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, 0), 1);
	cr_assert_eq(len, 5);
	cr_assert_arr_eq(buf, "short", 5);
	cr_assert_eq(stats_of(r).used, 0);
	shmring_close(r);
}

Test(zerocopy, abort_publishes_nothing)
{
	struct shmring *r = tr_create(RW, 0, 0, NULL);
	void *w;
	cr_assert_eq(shmring_reserve(r, 64, &w, 0), 0);
	cr_assert_eq(shmring_abort(r), 0);
	cr_assert_eq(shmring_abort(r), -EINVAL, "nothing left to abort");
	char buf[64];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, 0), -EAGAIN);
	cr_assert_eq(stats_of(r).sent, 0);
	shmring_close(r);
}

Test(zerocopy, one_pending_operation_per_handle)
{
	struct shmring *r = tr_create(RW, 0, 0, NULL);
	void *w;
	const void *p;
	size_t len;
	cr_assert_eq(shmring_reserve(r, 8, &w, 0), 0);
	cr_assert_eq(shmring_reserve(r, 8, &w, 0), -EBUSY);
	cr_assert_eq(shmring_send(r, "x", 1, 0), -EBUSY);
	cr_assert_eq(shmring_commit(r, 8), 0);
	cr_assert_eq(shmring_commit(r, 8), -EINVAL);
	cr_assert_eq(shmring_peek(r, &p, &len, 0), 1);
	cr_assert_eq(shmring_peek(r, &p, &len, 0), -EBUSY);
	char buf[8];
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, 0), -EBUSY);
	cr_assert_eq(shmring_release(r), 0);
	cr_assert_eq(shmring_release(r), -EINVAL);
	shmring_close(r);
}

Test(zerocopy, reservations_wrap_around_contiguously)
{
	struct shmring *r = tr_create(RW, 4096, 1500, NULL);
	struct shmring_stats st = stats_of(r);
	(void)st;
	srand(5);
	for (uint32_t i = 0; i < 20000; i++) {
		size_t len = 12 + (size_t)rand() % 1400;
		void *w;
		int rc = shmring_reserve(r, len, &w, 0);
		if (rc == -EAGAIN) {
			/* Padding was published; the reader steps past it. */
			const void *p;
			size_t l;
			cr_assert_eq(shmring_peek(r, &p, &l, 0), -EAGAIN);
			rc = shmring_reserve(r, len, &w, 0);
		}
		cr_assert_eq(rc, 0, "reserve %u: %s", i, shmring_strerror(rc));
		tr_fill(w, len, 7, i);
		cr_assert_eq(shmring_commit(r, len), 0);
		const void *p;
		size_t l;
		cr_assert_eq(shmring_peek(r, &p, &l, 0), 1);
		uint32_t who, seq;
		cr_assert_eq(l, len);
		cr_assert(tr_check(p, l, &who, &seq), "message %u corrupt", i);
		cr_assert_eq(seq, i);
		cr_assert_eq(shmring_release(r), 0);
	}
	shmring_close(r);
}

Test(zerocopy, peek_returns_end_of_stream)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *w, *rd;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER, NULL, &w), 0);
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	cr_assert_eq(shmring_send(w, "last", 4, 0), 0);
	shmring_close(w);
	const void *p;
	size_t len;
	cr_assert_eq(shmring_peek(rd, &p, &len, 1000), 1);
	cr_assert_eq(shmring_release(rd), 0);
	cr_assert_eq(shmring_peek(rd, &p, &len, 1000), 0);
	shmring_close(rd);
	shmring_close(admin);
}

struct killed_args {
	const char *path;
	unsigned flags;
};

static int reserve_then_die(void *arg)
{
	struct killed_args *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, a->flags, NULL, &w) == 0);
	CHILD_CHECK(shmring_send(w, "committed", 9, 1000) == 0);
	void *buf;
	CHILD_CHECK(shmring_reserve(w, 200, &buf, 1000) == 0);
	memset(buf, 'X', 150); /* half written */
	raise(SIGKILL);
	return 1;
}

static void writer_killed_between_reserve_and_commit(unsigned flags)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	struct killed_args a = {path, flags};
	pid_t pid = tr_fork(reserve_then_die, &a, 30);
	cr_assert_eq(tr_wait(pid), 128 + SIGKILL);

	char buf[256];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(rd, buf, &len, 1000), 1);
	cr_assert_eq(len, 9);
	cr_assert_arr_eq(buf, "committed", 9);
	/* The dead writer's reservation was never published... */
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(rd, buf, &len, SHMRING_NOWAIT), 0,
		     "only end of stream follows (the only writer is gone)");
	struct shmring_stats st = stats_of(admin);
	cr_assert_eq(st.sent, 1);
	cr_assert_eq(st.used, 0);
	cr_assert_eq(st.writers, 0);
	/* ...and the ring is not wedged: a new writer of the same kind works
	 * at once (the kernel released the dead one's lock). */
	struct shmring *w;
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_open(path, flags, NULL, &w), 0);
	cr_assert_eq(shmring_send(w, "after", 5, 1000), 0);
	cr_assert_lt(tr_now_ms() - t0, 1000);
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(rd, buf, &len, 1000), 1);
	cr_assert_arr_eq(buf, "after", 5);
	shmring_close(w);
	shmring_close(rd);
	shmring_close(admin);
}

Test(zerocopy, shared_writer_killed_between_reserve_and_commit_publishes_nothing)
{
	writer_killed_between_reserve_and_commit(SHMRING_WRITER);
}

Test(zerocopy, exclusive_writer_killed_between_reserve_and_commit_publishes_nothing)
{
	writer_killed_between_reserve_and_commit(SHMRING_WRITER | SHMRING_EXCLUSIVE);
}

struct zc_args {
	const char *path;
	uint32_t who;
	uint32_t count;
	unsigned flags; /* SHMRING_EXCLUSIVE or 0 */
};

/* The length of message @seq of producer @who. */
static size_t zc_len(uint32_t who, uint32_t seq)
{
	return 12 + (seq * 31 + who) % 300;
}

static int zc_producer(void *arg)
{
	struct zc_args *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, SHMRING_WRITER | a->flags, NULL, &w) == 0);
	for (uint32_t i = 0; i < a->count; i++) {
		size_t len = zc_len(a->who, i);
		void *buf;
		CHILD_CHECK(shmring_reserve(w, len, &buf, SHMRING_FOREVER) == 0);
		tr_fill(buf, len, a->who, i);
		CHILD_CHECK(shmring_commit(w, len) == 0);
	}
	shmring_close(w);
	return 0;
}

/* Peek and release until end of stream, checking each message in place:
 * intact, of its producer's next sequence number and length. Returns how
 * many arrived; next[who] ends as each producer's count. */
static uint32_t zc_consume_in_place(struct shmring *rd, uint32_t producers, uint32_t *next)
{
	uint32_t total = 0;
	for (;;) {
		const void *p;
		size_t len;
		int rc = shmring_peek(rd, &p, &len, 20000);
		if (rc == 0)
			return total;
		cr_assert_eq(rc, 1, "peek: %s", shmring_strerror(rc));
		uint32_t who, seq;
		cr_assert(tr_check(p, len, &who, &seq), "message %u corrupt", total);
		cr_assert_lt(who, producers);
		cr_assert_eq(seq, next[who]);
		cr_assert_eq(len, zc_len(who, seq), "message %u of %u: length %zu", seq, who, len);
		next[who]++;
		total++;
		cr_assert_eq(shmring_release(rd), 0);
	}
}

Test(zerocopy, concurrent_producers_keep_exactly_once_and_order)
{
	const char *path;
	struct shmring *admin = tr_create(0, 8192, 400, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &rd), 0);
	enum { PRODUCERS = 3, COUNT = 20000 };
	struct zc_args args[PRODUCERS];
	pid_t pids[PRODUCERS];
	for (uint32_t p = 0; p < PRODUCERS; p++) {
		args[p] = (struct zc_args){path, p, COUNT, 0};
		pids[p] = tr_fork(zc_producer, &args[p], 60);
	}
	uint32_t next[PRODUCERS] = {0};
	uint32_t total = zc_consume_in_place(rd, PRODUCERS, next);
	for (int p = 0; p < PRODUCERS; p++)
		cr_assert_eq(tr_wait(pids[p]), 0);
	cr_assert_eq(total, PRODUCERS * COUNT);
	shmring_close(rd);
	shmring_close(admin);
}

Test(zerocopy, exclusive_pair_streams_in_place_across_processes_without_loss)
{
	/* Both fast paths (reserve on known room, peek on a known message)
	 * against a writer in another process, through many laps of a small
	 * ring: full, empty and padding at the end all happen often. */
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 400, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &rd), 0);
	enum { COUNT = 200000 };
	struct zc_args args = {path, 0, COUNT, SHMRING_EXCLUSIVE};
	pid_t pid = tr_fork(zc_producer, &args, 60);
	uint32_t next = 0;
	cr_assert_eq(zc_consume_in_place(rd, 1, &next), COUNT);
	cr_assert_eq(tr_wait(pid), 0);
	cr_assert_eq(next, COUNT);
	struct shmring_stats st = stats_of(rd);
	cr_assert_eq(st.sent, COUNT);
	cr_assert_eq(st.received, COUNT);
	cr_assert_eq(st.messages, 0);
	shmring_close(rd);
	shmring_close(admin);
}

/* ---- peek_burst / release_burst ---- */

/* The length of message @seq in the burst tests: 12 .. 61 bytes. */
static size_t burst_len(uint32_t seq)
{
	return 12 + seq % 50;
}

static void burst_send(struct shmring *w, uint32_t seq)
{
	uint8_t buf[64];
	size_t len = burst_len(seq);
	tr_fill(buf, len, 3, seq);
	int rc = shmring_send(w, buf, len, 0);
	cr_assert_eq(rc, 0, "send %u: %s", seq, shmring_strerror(rc));
}

/* msgs[0..count) are the messages @first, @first + 1, ... in place. */
static void burst_check(const struct iovec *msgs, int count, uint32_t first)
{
	for (int i = 0; i < count; i++) {
		uint32_t who, seq;
		cr_assert(tr_check(msgs[i].iov_base, msgs[i].iov_len, &who, &seq),
			  "message %d of the burst corrupt", i);
		cr_assert_eq(seq, first + (uint32_t)i, "message %d of the burst", i);
		cr_assert_eq(msgs[i].iov_len, burst_len(seq));
	}
}

/* An admin handle on a fresh ring, a shared writer and a reader opened
 * with @reader_flags (SHMRING_READER, maybe SHMRING_EXCLUSIVE). */
struct burst_ring {
	const char *path;
	struct shmring *admin, *w, *rd;
};

static struct burst_ring burst_ring(size_t capacity, unsigned reader_flags)
{
	struct burst_ring b;
	b.admin = tr_create(0, capacity, 0, &b.path);
	cr_assert_eq(shmring_open(b.path, SHMRING_WRITER, NULL, &b.w), 0);
	cr_assert_eq(shmring_open(b.path, reader_flags, NULL, &b.rd), 0);
	return b;
}

static void burst_ring_close(struct burst_ring *b)
{
	shmring_close(b->rd);
	shmring_close(b->w);
	shmring_close(b->admin);
}

static void partial_release_keeps_the_rest_in_order(unsigned reader_flags)
{
	struct burst_ring b = burst_ring(0, reader_flags);
	for (uint32_t i = 0; i < 10; i++)
		burst_send(b.w, i);
	struct iovec msgs[16];
	memset(msgs, 0, sizeof(msgs));
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 4, 0), 4, "no more than n");
	burst_check(msgs, 4, 0);
	cr_assert_null(msgs[4].iov_base, "the rest of msgs untouched");
	cr_assert_eq(stats_of(b.admin).messages, 10, "still queued while peeked");
	cr_assert_eq(shmring_release_burst(b.rd, 3), 0);
	struct shmring_stats st = stats_of(b.admin);
	cr_assert_eq(st.messages, 7);
	cr_assert_eq(st.received, 3);
	/* The unreleased one comes first again, then the others. */
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 16, 0), 7);
	burst_check(msgs, 7, 3);
	cr_assert_eq(shmring_release_burst(b.rd, 1), 0);
	uint8_t buf[64];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(b.rd, buf, &len, 0), 1, "a copying receive continues");
	uint32_t who, seq;
	cr_assert(tr_check(buf, len, &who, &seq));
	cr_assert_eq(seq, 4);
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 16, 0), 5);
	burst_check(msgs, 5, 5);
	cr_assert_eq(shmring_release(b.rd), 0, "release takes the whole burst");
	st = stats_of(b.admin);
	cr_assert_eq(st.messages, 0);
	cr_assert_eq(st.received, 10);
	cr_assert_eq(st.used, 0);
	burst_ring_close(&b);
}

Test(zerocopy, exclusive_burst_peek_partial_release_keeps_the_rest_in_order)
{
	partial_release_keeps_the_rest_in_order(SHMRING_READER | SHMRING_EXCLUSIVE);
}

Test(zerocopy, shared_burst_peek_partial_release_keeps_the_rest_in_order)
{
	partial_release_keeps_the_rest_in_order(SHMRING_READER);
}

static void release_zero_consumes_nothing(unsigned reader_flags)
{
	struct burst_ring b = burst_ring(0, reader_flags);
	for (uint32_t i = 0; i < 5; i++)
		burst_send(b.w, i);
	struct iovec msgs[8];
	for (int round = 0; round < 3; round++) {
		cr_assert_eq(shmring_peek_burst(b.rd, msgs, 8, 0), 5);
		burst_check(msgs, 5, 0);
		cr_assert_eq(shmring_release_burst(b.rd, 0), 0);
		cr_assert_eq(shmring_release_burst(b.rd, 0), -EINVAL, "the peek has ended");
		struct shmring_stats st = stats_of(b.admin);
		cr_assert_eq(st.messages, 5);
		cr_assert_eq(st.received, 0);
	}
	/* A plain peek sees the same first message. */
	const void *p;
	size_t len;
	cr_assert_eq(shmring_peek(b.rd, &p, &len, 0), 1);
	burst_check(&(struct iovec){(void *)p, len}, 1, 0);
	cr_assert_eq(shmring_release_burst(b.rd, 2), -EINVAL, "a plain peek holds one");
	cr_assert_eq(shmring_release_burst(b.rd, 1), 0);
	cr_assert_eq(stats_of(b.admin).messages, 4);
	burst_ring_close(&b);
}

Test(zerocopy, exclusive_release_burst_of_zero_consumes_nothing)
{
	release_zero_consumes_nothing(SHMRING_READER | SHMRING_EXCLUSIVE);
}

Test(zerocopy, shared_release_burst_of_zero_consumes_nothing)
{
	release_zero_consumes_nothing(SHMRING_READER);
}

/* Many laps of a small ring, with bursts and releases of random sizes: the
 * bursts step over the padding at the end and every message comes once, in
 * order, intact. */
static void bursts_wrap_around(unsigned reader_flags)
{
	struct burst_ring b = burst_ring(4096, reader_flags);
	srand(11);
	uint32_t sent = 0, next = 0, pads_seen = 0;
	while (next < 20000) {
		/* Fill up: the last records before the end are often padding. */
		for (;;) {
			uint8_t buf[64];
			size_t len = burst_len(sent);
			tr_fill(buf, len, 3, sent);
			int rc = shmring_send(b.w, buf, len, 0);
			if (rc == -EAGAIN)
				break;
			cr_assert_eq(rc, 0, "send %u: %s", sent, shmring_strerror(rc));
			sent++;
		}
		struct iovec msgs[64];
		unsigned n = 1 + (unsigned)rand() % 64;
		int got = shmring_peek_burst(b.rd, msgs, n, 0);
		cr_assert_gt(got, 0, "peek_burst: %s", shmring_strerror(got));
		cr_assert_leq((unsigned)got, n);
		cr_assert_eq((uint32_t)got, n < sent - next ? n : sent - next,
			     "a burst takes every message queued, up to n");
		burst_check(msgs, got, next);
		for (int i = 1; i < got; i++)
			if ((const uint8_t *)msgs[i].iov_base <
			    (const uint8_t *)msgs[i - 1].iov_base)
				pads_seen++;
		unsigned keep = (unsigned)rand() % 4 == 0 ? (unsigned)rand() % (unsigned)got : 0;
		cr_assert_eq(shmring_release_burst(b.rd, (unsigned)got - keep), 0);
		next += (uint32_t)got - keep;
		cr_assert_eq(stats_of(b.admin).messages, sent - next);
	}
	cr_assert_gt(pads_seen, 100, "bursts wrapped past the end %u times", pads_seen);
	burst_ring_close(&b);
}

Test(zerocopy, exclusive_bursts_step_over_padding_and_wrap_in_order)
{
	bursts_wrap_around(SHMRING_READER | SHMRING_EXCLUSIVE);
}

Test(zerocopy, shared_bursts_step_over_padding_and_wrap_in_order)
{
	bursts_wrap_around(SHMRING_READER);
}

Test(zerocopy, burst_peek_and_release_report_their_errors)
{
	struct burst_ring b = burst_ring(0, SHMRING_READER);
	struct iovec msgs[4];
	cr_assert_eq(shmring_peek_burst(NULL, msgs, 4, 0), -EINVAL);
	cr_assert_eq(shmring_peek_burst(b.rd, NULL, 4, 0), -EINVAL);
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 0, 0), -EINVAL);
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 0x80000000u, 0), -EINVAL);
	cr_assert_eq(shmring_peek_burst(b.w, msgs, 4, 0), -EBADF, "not a reader");
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 4, 0), -EAGAIN, "empty, no wait");
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 4, 50), -ETIMEDOUT);
	cr_assert_geq(tr_now_ms() - t0, 45);
	cr_assert_eq(shmring_release_burst(NULL, 0), -EINVAL);
	cr_assert_eq(shmring_release_burst(b.rd, 0), -EINVAL, "nothing peeked");
	cr_assert_eq(shmring_release(b.rd), -EINVAL, "nothing peeked");

	burst_send(b.w, 0);
	burst_send(b.w, 1);
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 4, 0), 2);
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 4, 0), -EBUSY, "a peek is pending");
	const void *p;
	size_t len = 64;
	cr_assert_eq(shmring_peek(b.rd, &p, &len, 0), -EBUSY);
	uint8_t buf[64];
	cr_assert_eq(shmring_recv(b.rd, buf, &len, 0), -EBUSY);
	cr_assert_eq(shmring_release_burst(b.rd, 3), -EINVAL, "over the count");
	burst_check(msgs, 2, 0);
	cr_assert_eq(shmring_release_burst(b.rd, 2), 0, "the peek stayed pending");
	cr_assert_eq(stats_of(b.admin).messages, 0);

	/* End of stream: the only writer is gone and the ring is empty. */
	shmring_close(b.w);
	b.w = NULL;
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 4, 1000), 0);
	cr_assert_eq(shmring_release_burst(b.rd, 0), -EINVAL, "end of stream peeks nothing");
	burst_ring_close(&b);
}

Test(zerocopy, shared_readers_take_turns_at_a_burst)
{
	struct burst_ring b = burst_ring(0, SHMRING_READER);
	struct shmring *other;
	cr_assert_eq(shmring_open(b.path, SHMRING_READER, NULL, &other), 0);
	for (uint32_t i = 0; i < 6; i++)
		burst_send(b.w, i);
	struct iovec msgs[8];
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 3, 0), 3);
	uint8_t buf[64];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(other, buf, &len, 0), -EAGAIN,
		     "the readers' lock is held through the peek");
	cr_assert_eq(shmring_release_burst(b.rd, 1), 0);
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(other, buf, &len, 0), 1);
	uint32_t who, seq;
	cr_assert(tr_check(buf, len, &who, &seq));
	cr_assert_eq(seq, 1, "the other reader gets the first unreleased message");
	cr_assert_eq(shmring_peek_burst(b.rd, msgs, 8, 0), 4);
	burst_check(msgs, 4, 2);
	cr_assert_eq(shmring_release(b.rd), 0);
	shmring_close(other);
	burst_ring_close(&b);
}

static int peek_burst_then_die(void *arg)
{
	struct killed_args *a = arg;
	struct shmring *rd;
	CHILD_CHECK(shmring_open(a->path, a->flags, NULL, &rd) == 0);
	struct iovec msgs[64];
	CHILD_CHECK(shmring_peek_burst(rd, msgs, 64, 1000) == 50);
	raise(SIGKILL);
	return 1;
}

static void reader_killed_holding_a_burst(unsigned flags)
{
	struct burst_ring b = burst_ring(0, 0); /* b.rd: an admin handle */
	for (uint32_t i = 0; i < 50; i++)
		burst_send(b.w, i);
	struct killed_args a = {b.path, flags};
	pid_t pid = tr_fork(peek_burst_then_die, &a, 30);
	cr_assert_eq(tr_wait(pid), 128 + SIGKILL);
	struct shmring_stats st = stats_of(b.admin);
	cr_assert_eq(st.messages, 50, "the whole burst stays queued");
	cr_assert_eq(st.received, 0);
	/* The next reader, of the same kind, gets all of it at once. */
	struct shmring *rd;
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_open(b.path, flags, NULL, &rd), 0);
	struct iovec msgs[64];
	cr_assert_eq(shmring_peek_burst(rd, msgs, 64, 1000), 50);
	cr_assert_lt(tr_now_ms() - t0, 1000);
	burst_check(msgs, 50, 0);
	cr_assert_eq(shmring_release(rd), 0);
	cr_assert_eq(stats_of(b.admin).messages, 0);
	shmring_close(rd);
	burst_ring_close(&b);
}

Test(zerocopy, shared_reader_killed_holding_a_burst_leaves_it_all_queued)
{
	reader_killed_holding_a_burst(SHMRING_READER);
}

Test(zerocopy, exclusive_reader_killed_holding_a_burst_leaves_it_all_queued)
{
	reader_killed_holding_a_burst(SHMRING_READER | SHMRING_EXCLUSIVE);
}
