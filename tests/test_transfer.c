/* Copying send/receive in one process and across fork: sizes, limits,
 * wrap-around, non-blocking and timed forms, statistics. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "create.h"
#include "classify.h"
#include "support.h"

TestSuite(transfer, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

static struct shmring *rw_ring(size_t capacity, size_t max_msg)
{
	return tr_create(SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE, capacity, max_msg, NULL);
}

Test(transfer, message_round_trips_byte_for_byte)
{
	struct shmring *r = rw_ring(0, 0);
	const char msg[] = "hello, ring";
	char buf[64];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_send(r, msg, sizeof(msg), SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	cr_assert_eq(len, sizeof(msg));
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	shmring_close(r);
}

Test(transfer, capacity_is_rounded_up_to_whole_pages_and_reported)
{
	struct shmring *r = tr_create(0, 5000, 0, NULL);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	cr_assert_eq(shmring_capacity(r), (5000 + page - 1) / page * page);
	cr_assert_eq(shmring_max_msg(r), shmring_capacity(r) / 4);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	cr_assert_eq(st.segment_size, shmring_capacity(r) + page, "header is exactly one page");
	cr_assert_eq(st.mode, 0666);
	shmring_close(r);
}

Test(transfer, empty_and_oversized_messages_are_refused_whole)
{
	struct shmring *r = rw_ring(4096, 100);
	char big[101] = {0};
	cr_assert_eq(shmring_send(r, big, 0, SHMRING_NOWAIT), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, big, 101, SHMRING_NOWAIT), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, big, 100, SHMRING_NOWAIT), 0);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	cr_assert_eq(st.messages, 1, "only the valid message was queued");
	shmring_close(r);
}

Test(transfer, small_buffer_gets_needed_size_and_message_stays_queued)
{
	struct shmring *r = rw_ring(0, 0);
	char msg[300], buf[300];
	memset(msg, 'x', sizeof(msg));
	cr_assert_eq(shmring_send(r, msg, sizeof(msg), SHMRING_NOWAIT), 0);
	size_t len = 10;
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -ENOBUFS);
	cr_assert_eq(len, sizeof(msg));
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	cr_assert_eq(len, sizeof(msg));
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	shmring_close(r);
}

Test(transfer, nonblocking_forms_return_eagain_on_empty_and_full)
{
	struct shmring *r = rw_ring(4096, 1000);
	char buf[1000] = {0};
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -EAGAIN);
	int sent = 0;
	while (shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT) == 0)
		sent++;
	cr_assert_eq(sent, 4096 / 1008, "ring holds exactly what fits");
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), -EAGAIN);
	shmring_close(r);
}

Test(transfer, timed_waits_return_etimedout_on_time)
{
	struct shmring *r = rw_ring(4096, 2000);
	char buf[2000] = {0};
	size_t len = sizeof(buf);
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_recv(r, buf, &len, 150), -ETIMEDOUT);
	double waited = tr_now_ms() - t0;
	cr_assert(waited >= 145 && waited < 1000, "recv waited %.1f ms for a 150 ms timeout", waited);

	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	t0 = tr_now_ms();
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), 150), -ETIMEDOUT);
	waited = tr_now_ms() - t0;
	cr_assert(waited >= 145 && waited < 1000, "send waited %.1f ms for a 150 ms timeout", waited);
	shmring_close(r);
}

/* A signal every @interval_ms for as long as the test runs, with a handler
 * installed without SA_RESTART: every semop / semtimedop / nanosleep it
 * lands in fails with EINTR, which the library must retry with the time
 * that is left (neither returning -EINTR nor starting the timeout over). */
static volatile sig_atomic_t interruptions;

static void count_interruption(int sig)
{
	(void)sig;
	interruptions++;
}

static timer_t interrupt_every(long interval_ms)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_interruption;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	timer_t t;
	cr_assert_eq(timer_create(CLOCK_MONOTONIC, &sev, &t), 0, "timer_create: %s",
		     strerror(errno));
	struct itimerspec its = {{0, interval_ms * 1000000L}, {0, interval_ms * 1000000L}};
	cr_assert_eq(timer_settime(t, 0, &its, NULL), 0);
	return t;
}

/* Run @call (a timed wait of @asked ms that must time out) under the
 * signals; it must end with -ETIMEDOUT on time, having been interrupted. */
#define EXPECT_TIMEOUT_UNDER_SIGNALS(call, asked, what)                                            \
	do {                                                                                       \
		sig_atomic_t before = interruptions;                                               \
		double t0 = tr_now_ms();                                                           \
		int rc_ = (call);                                                                  \
		double waited = tr_now_ms() - t0;                                                  \
		int hits = (int)(interruptions - before);                                          \
		cr_assert_eq(rc_, -ETIMEDOUT, "%s under signals gave %d (%s)", what, rc_,          \
			     shmring_strerror(rc_));                                               \
		cr_assert(waited >= (asked)-5 && waited < (asked) + 500,                           \
			  "%s: waited %.1f ms for %d ms with %d interruptions", what, waited,      \
			  (int)(asked), hits);                                                     \
		cr_assert_geq(hits, 10, "%s: only %d signals landed in the wait", what, hits);     \
	} while (0)

Test(transfer, timed_waits_interrupted_by_signals_end_on_time_with_etimedout)
{
	/* Every kind of timed wait: for data, for room, for a side's lock,
	 * and for a creator's ready mark. */
	const char *path;
	struct shmring *r = tr_create(SHMRING_READER | SHMRING_WRITER, 4096, 2000, &path);
	timer_t t = interrupt_every(5);
	char buf[2000] = {0};
	size_t len = sizeof(buf);
	EXPECT_TIMEOUT_UNDER_SIGNALS(shmring_recv(r, buf, &len, 300), 300, "recv on empty ring");

	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	EXPECT_TIMEOUT_UNDER_SIGNALS(shmring_send(r, buf, sizeof(buf), 300), 300,
				     "send on full ring");

	/* A peek holds the readers' lock of a shared reader: a second reader
	 * waits for that lock. */
	const void *p;
	size_t plen;
	cr_assert_eq(shmring_peek(r, &p, &plen, SHMRING_NOWAIT), 1);
	struct shmring *r2;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &r2), 0);
	len = sizeof(buf);
	EXPECT_TIMEOUT_UNDER_SIGNALS(shmring_recv(r2, buf, &len, 300), 300,
				     "recv waiting for the readers' lock");
	cr_assert_eq(shmring_release(r), 0);
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(r2, buf, &len, SHMRING_NOWAIT), 1, "the lock is free again");
	shmring_close(r2);

	/* A ring whose creator is alive (this process) but not done. */
	int shmid = shmring__create_unready(IPC_PRIVATE, NULL, NULL, NULL, 1);
	cr_assert_geq(shmid, 0, "create_unready: %s", shmring_strerror(shmid));
	struct layout_identity id;
	struct shmid_ds ds;
	cr_assert_eq(shmring__peek_identity(shmid, &id, &ds), 0);
	tr_track(shmid, id.semid);
	struct shmring_options opt = {.ready_timeout_ms = 300};
	struct shmring *unready = NULL;
	EXPECT_TIMEOUT_UNDER_SIGNALS(shmring_open_id(shmid, SHMRING_READER, &opt, &unready), 300,
				     "open waiting for the ready mark");
	cr_assert_null(unready);

	timer_delete(t);
	shmring_close(r);
}

struct late_sender {
	const char *path;
	unsigned delay_ms;
};

static int send_one_later(void *arg)
{
	const struct late_sender *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, SHMRING_WRITER, NULL, &w) == 0);
	usleep(a->delay_ms * 1000u);
	uint8_t msg[64];
	tr_fill(msg, sizeof(msg), 3, 0);
	CHILD_CHECK(shmring_send(w, msg, sizeof(msg), 5000) == 0);
	shmring_close(w);
	return 0;
}

Test(transfer, blocking_recv_interrupted_by_signals_waits_on_and_gets_the_message)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 500, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	struct late_sender a = {path, 300};
	pid_t pid = tr_fork(send_one_later, &a, 20);
	timer_t t = interrupt_every(5);
	sig_atomic_t before = interruptions;
	uint8_t buf[500];
	size_t len = sizeof(buf);
	double t0 = tr_now_ms();
	int rc = shmring_recv(rd, buf, &len, SHMRING_FOREVER);
	double waited = tr_now_ms() - t0;
	int hits = (int)(interruptions - before);
	timer_delete(t);
	cr_assert_eq(rc, 1, "blocking recv under signals gave %d (%s)", rc, shmring_strerror(rc));
	uint32_t who, seq;
	cr_assert(tr_check(buf, len, &who, &seq) && who == 3 && seq == 0);
	cr_assert_geq(waited, 250, "returned after %.1f ms, before the message was sent", waited);
	cr_assert_geq(hits, 10, "only %d signals landed in the wait", hits);
	cr_assert_eq(tr_wait(pid), 0);
	shmring_close(rd);
	shmring_close(admin);
}

Test(transfer, variable_lengths_wrap_around_contiguously_in_order)
{
	struct shmring *r = rw_ring(4096, 1500);
	uint8_t out[1500], in[1500];
	srand(7);
	uint32_t next_send = 0, next_recv = 0;
	while (next_recv < 20000) {
		size_t len = 12 + (size_t)rand() % (1500 - 12);
		tr_fill(out, len, 1, next_send);
		int rc = shmring_send(r, out, len, SHMRING_NOWAIT);
		if (rc == 0) {
			next_send++;
			continue;
		}
		cr_assert_eq(rc, -EAGAIN);
		/* full: drain a few */
		for (int k = 0; k < 3 && next_recv < next_send; k++) {
			size_t got = sizeof(in);
			cr_assert_eq(shmring_recv(r, in, &got, SHMRING_NOWAIT), 1);
			uint32_t who, seq;
			cr_assert(tr_check(in, got, &who, &seq), "payload %u corrupt", next_recv);
			cr_assert_eq(seq, next_recv);
			next_recv++;
		}
	}
	shmring_close(r);
}

Test(transfer, largest_message_fits_from_any_offset)
{
	/* max_msg = capacity - 8 fits only at offset 0 of an empty ring: the
	 * writer publishes padding to the end, and the message goes in once a
	 * reader has stepped past it. Non-blocking, in one process, that is:
	 * EAGAIN, a recv that consumes the padding (EAGAIN: no message), then
	 * the send succeeds. */
	struct shmring *r = rw_ring(4096, 4096 - 8);
	uint8_t big[4088], small[40], buf[4096];
	tr_fill(big, sizeof(big), 2, 1);
	tr_fill(small, sizeof(small), 2, 0);
	for (int round = 0; round < 5; round++) {
		size_t len = sizeof(buf);
		cr_assert_eq(shmring_send(r, small, sizeof(small), SHMRING_NOWAIT), 0);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		cr_assert_eq(shmring_send(r, big, sizeof(big), SHMRING_NOWAIT), -EAGAIN,
			     "round %d: only padding fits now", round);
		struct shmring_stats st;
		cr_assert_eq(shmring_stats(r, &st), 0);
		cr_assert_eq(st.used, 4096 - 48, "round %d: the padding is queued", round);
		cr_assert_eq(st.messages, 0);
		len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -EAGAIN);
		cr_assert_eq(shmring_send(r, big, sizeof(big), SHMRING_NOWAIT), 0);
		len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		cr_assert_eq(len, sizeof(big));
		cr_assert_arr_eq(buf, big, sizeof(big));
	}
	shmring_close(r);
}

Test(transfer, stats_count_queued_sent_and_received)
{
	struct shmring *r = rw_ring(0, 0);
	char buf[100] = {0};
	for (int i = 0; i < 5; i++)
		cr_assert_eq(shmring_send(r, buf, 10, SHMRING_NOWAIT), 0);
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	cr_assert_eq(st.sent, 5);
	cr_assert_eq(st.received, 1);
	cr_assert_eq(st.messages, 4);
	cr_assert_eq(st.used, 4 * 24, "4 records of 8 + 16 bytes");
	cr_assert_eq(st.readers, 1);
	cr_assert_eq(st.writers, 1);
	cr_assert_geq(st.attached, 1);
	shmring_close(r);
}

struct stream_args {
	const char *path;
	uint32_t count;
};

static int stream_producer(void *arg)
{
	struct stream_args *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, SHMRING_WRITER | SHMRING_EXCLUSIVE, NULL, &w) == 0);
	uint8_t buf[256];
	for (uint32_t i = 0; i < a->count; i++) {
		size_t len = 12 + i % 200;
		tr_fill(buf, len, 9, i);
		CHILD_CHECK(shmring_send(w, buf, len, SHMRING_FOREVER) == 0);
	}
	shmring_close(w);
	return 0;
}

Test(transfer, stream_between_processes_ends_with_end_of_stream)
{
	const char *path;
	struct shmring *admin = tr_create(0, 8192, 512, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &rd), 0);
	struct stream_args a = {path, 200000};
	pid_t pid = tr_fork(stream_producer, &a, 60);
	uint8_t buf[512];
	uint32_t expect = 0;
	for (;;) {
		size_t len = sizeof(buf);
		int rc = shmring_recv(rd, buf, &len, 10000);
		if (rc == 0)
			break;
		cr_assert_eq(rc, 1, "recv: %s", shmring_strerror(rc));
		uint32_t who, seq;
		cr_assert(tr_check(buf, len, &who, &seq));
		cr_assert_eq(seq, expect);
		expect++;
	}
	cr_assert_eq(expect, a.count);
	cr_assert_eq(tr_wait(pid), 0);
	shmring_close(rd);
	shmring_close(admin);
}

/* No semaphore counts messages, bytes or room (layout.h), so none nears
 * SEMVMX (32767): the locks are 0 or 1, the role counts count handles, the
 * wake-up semaphores hold tokens for sleepers. Sampled while 40,000
 * messages (2.5 MB) go through a 4 KiB ring with both sides sleeping now
 * and then: a semaphore that counted bytes or messages sent would pass
 * thousands. (Tokens a waker posts while the sleeper withdraws are left
 * over until the sleeper next really sleeps, so the wake-up semaphores
 * may hold more than one: the bound is loose on purpose.) */
struct stream_side {
	const char *path;
	unsigned flags;
	uint32_t count;
};

static int stream_writer(void *arg)
{
	const struct stream_side *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, a->flags, NULL, &w) == 0);
	uint8_t buf[64];
	for (uint32_t i = 0; i < a->count; i++) {
		tr_fill(buf, sizeof(buf), 5, i);
		CHILD_CHECK(shmring_send(w, buf, sizeof(buf), 10000) == 0);
		if (i % 4096 == 0)
			usleep(3000); /* the reader drains and sleeps */
	}
	shmring_close(w);
	return 0;
}

static int stream_reader(void *arg)
{
	const struct stream_side *a = arg;
	struct shmring *r;
	CHILD_CHECK(shmring_open(a->path, a->flags, NULL, &r) == 0);
	uint8_t buf[64];
	uint32_t got = 0;
	for (;;) {
		size_t len = sizeof(buf);
		int rc = shmring_recv(r, buf, &len, 10000);
		if (rc == 0)
			break;
		CHILD_CHECK(rc == 1);
		uint32_t who, seq;
		CHILD_CHECK(tr_check(buf, len, &who, &seq) && seq == got);
		got++;
		if (got % 4096 == 2048)
			usleep(3000); /* the writer fills the ring and sleeps */
	}
	CHILD_CHECK(got == a->count);
	shmring_close(r);
	return 0;
}

Test(transfer, no_semaphore_counts_bytes_or_messages_while_40000_flow_through_a_small_ring)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 256, &path);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(admin, &st), 0);
	const uint32_t count = 40000;
	struct stream_side ws = {path, SHMRING_WRITER, count}, rs = {path, SHMRING_READER, count};
	/* Both attached before the stream starts (else an early end). */
	struct shmring *hold;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER, NULL, &hold), 0);
	pid_t rpid = tr_fork(stream_reader, &rs, 60);
	pid_t wpid = tr_fork(stream_writer, &ws, 60);
	usleep(20000);
	shmring_close(hold);

	unsigned short max[SEM_COUNT] = {0}, v[SEM_COUNT];
	union {
		int val;
		struct semid_ds *buf;
		unsigned short *array;
	} arg = {.array = v};
	unsigned samples = 0;
	double give_up = tr_now_ms() + 30000;
	for (;;) {
		cr_assert_lt(tr_now_ms(), give_up, "the stream did not finish");
		if (semctl(st.semid, 0, GETALL, arg) == 0) {
			samples++;
			for (int i = 0; i < SEM_COUNT; i++)
				if (v[i] > max[i])
					max[i] = v[i];
			cr_assert_eq(v[SEM_TAG], SEM_TAG_VALUE, "the tag semaphore never moves");
		}
		if (shmring_stats(admin, &st) == 0 && st.received == count)
			break;
		usleep(100);
	}
	cr_assert_eq(tr_wait(wpid), 0, "writer");
	cr_assert_eq(tr_wait(rpid), 0, "reader");
	cr_log_info("%u samples; max data %u space %u writers-lock %u readers-lock %u writers %u readers %u",
		    samples, max[SEM_DATA], max[SEM_SPACE], max[SEM_WRITERS_LOCK], max[SEM_READERS_LOCK],
		    max[SEM_WRITERS], max[SEM_READERS]);
	cr_assert_gt(samples, 10);
	cr_assert_leq(max[SEM_WRITERS_LOCK], 1);
	cr_assert_leq(max[SEM_READERS_LOCK], 1);
	cr_assert_leq(max[SEM_WRITERS], 2, "a writer handle or two, never more");
	cr_assert_leq(max[SEM_READERS], 1);
	/* A token is posted only when none is pending: at most one each. */
	cr_assert_leq(max[SEM_DATA], 1, "the reader's wake-up semaphore counts something: %u",
		      max[SEM_DATA]);
	cr_assert_leq(max[SEM_SPACE], 1, "the writer's wake-up semaphore counts something: %u",
		      max[SEM_SPACE]);
	shmring_close(admin);
}
