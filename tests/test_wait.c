/* The wait strategy (lib/spin.h, lib/wait.c): spins bounded by an adaptive
 * time budget, no sched_yield() on any path, and lock waiters that sleep
 * until the lock is free instead of queueing for it. This binary
 * interposes sched_yield() to count the calls the library makes. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/uio.h>
#include <unistd.h>

#include "layout.h"
#include "spin.h"
#include "support.h"

TestSuite(wait, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

/* Calls to sched_yield() in this process: the library's go through here. */
static volatile unsigned yields;

int sched_yield(void)
{
	yields++;
	return 0;
}

/* A spin that ends now: caught or not, preempted or not. */
static void spin_once(struct spin_budget *b, bool caught, bool preempted)
{
	struct deadline forever;
	shmring__deadline_init(&forever, SHMRING_FOREVER);
	struct spin s;
	spin_begin(&s, b, &forever);
	s.preempted = preempted;
	spin_end(&s, caught);
}

Test(wait, a_budget_halves_on_each_sleep_down_to_its_minimum)
{
	struct spin_budget b;
	spin_budget_init(&b);
	cr_assert_eq(b.ns, SPIN_MAX_NS);
	spin_once(&b, false, false);
	cr_assert_eq(b.ns, SPIN_MAX_NS / 2);
	spin_once(&b, true, true);
	cr_assert_eq(b.ns, SPIN_MAX_NS / 4, "a preempted spin counts as one that slept");
	for (int i = 0; i < 64; i++)
		spin_once(&b, false, false);
	cr_assert_eq(b.ns, SPIN_MIN_NS, "never below the minimum");
}

Test(wait, a_wait_caught_makes_the_budget_four_times_what_it_took)
{
	struct spin_budget b = {.ns = SPIN_MIN_NS};
	struct deadline forever;
	shmring__deadline_init(&forever, SHMRING_FOREVER);
	struct spin s;
	spin_begin(&s, &b, &forever);
	s.start -= 5000; /* as if it had spun 5 us */
	spin_end(&s, true);
	int64_t took = clock_now_ns() - s.start; /* at least what spin_end saw */
	cr_assert(b.ns >= 20000 && (int64_t)b.ns <= 4 * took, "budget %u after %lld ns", b.ns,
		  (long long)took);
	spin_begin(&s, &b, &forever);
	spin_end(&s, true);
	cr_assert_geq(b.ns, 20000u, "a quick catch never lowers it");
	spin_begin(&s, &b, &forever);
	s.start -= 1000000;
	spin_end(&s, true);
	cr_assert_eq(b.ns, SPIN_MAX_NS, "never above the maximum");
}

Test(wait, a_budget_at_its_minimum_probes_with_the_maximum_now_and_then)
{
	struct spin_budget b = {.ns = SPIN_MIN_NS};
	struct deadline forever;
	shmring__deadline_init(&forever, SHMRING_FOREVER);
	unsigned probes = 0;
	for (unsigned i = 0; i < 4 * SPIN_PROBE_EVERY; i++) {
		struct spin s;
		spin_begin(&s, &b, &forever);
		if (s.end - s.start == SPIN_MAX_NS)
			probes++;
		else
			cr_assert_eq(s.end - s.start, SPIN_MIN_NS);
		spin_end(&s, false);
	}
	cr_assert_eq(probes, 4u);
}

Test(wait, a_spin_never_outlasts_its_budget_nor_the_callers_deadline)
{
	struct spin_budget b;
	spin_budget_init(&b);
	struct deadline forever, past;
	shmring__deadline_init(&forever, SHMRING_FOREVER);
	struct spin s;
	int64_t t0 = clock_now_ns();
	spin_begin(&s, &b, &forever);
	int64_t t1 = clock_now_ns();
	cr_assert(s.end >= t0 + SPIN_MAX_NS && s.end <= t1 + SPIN_MAX_NS, "the budget from now");
	unsigned i = 0;
	while (spin_on(&s, i))
		i++;
	/* On a loaded machine the spinner may be descheduled meanwhile, and
	 * then it rightly stops early (a_spinner_that_was_descheduled...). */
	cr_assert(s.preempted || clock_now_ns() >= s.end, "it ran until its end");

	shmring__deadline_init(&past, 1);
	past.at = (struct timespec){0, 0}; /* long past */
	spin_begin(&s, &b, &past);
	cr_assert_leq(s.end, 0, "a deadline before the budget ends it");
	for (i = 0; spin_on(&s, i); i++)
		;
	cr_assert_eq(i, SPIN_CLOCK_EVERY - 1, "over at the first look at the clock");
}

Test(wait, a_spinner_that_was_descheduled_stops_at_once)
{
	struct spin_budget b;
	spin_budget_init(&b);
	struct deadline forever;
	shmring__deadline_init(&forever, SHMRING_FOREVER);
	struct spin s;
	spin_begin(&s, &b, &forever);
	s.end += 1000000000; /* far away: only the gap may end it */
	usleep(2 * SPIN_PREEMPTED_NS / 1000); /* as if the CPU went to another */
	unsigned i = 0;
	while (spin_on(&s, i))
		i++;
	cr_assert(s.preempted);
	cr_assert_eq(i, SPIN_CLOCK_EVERY - 1, "stopped at the first look at the clock");
}

static int spin_forever(void *arg)
{
	(void)arg;
	for (volatile unsigned long x = 0;; x++)
		;
	return 0;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0);
}

#define STREAM_MESSAGES 20000u
#define STREAM_WRITERS 3u

static const char *stream_path;

/* A shared writer: its messages in bursts, then its count of yields. */
static int stream_writer(void *arg)
{
	uint32_t who = (uint32_t)(uintptr_t)arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(stream_path, SHMRING_WRITER, NULL, &w) == 0);
	uint8_t buf[8][100];
	struct iovec iov[8];
	for (uint32_t seq = 0; seq < STREAM_MESSAGES; seq += 8) {
		for (unsigned k = 0; k < 8; k++) {
			tr_fill(buf[k], sizeof(buf[k]), who, seq + k);
			iov[k] = (struct iovec){buf[k], sizeof(buf[k])};
		}
		CHILD_CHECK(shmring_send_bulk(w, iov, 8, 10000) == 8);
	}
	shmring_close(w);
	CHILD_CHECK(yields == 0);
	return 0;
}

Test(wait, no_wait_ever_yields_the_cpu_even_beside_a_busy_process)
{
	/* Three shared writers contend for their lock and a small ring keeps
	 * every side waiting for the other, while a CPU-bound process shares
	 * CPU 0 with all of them: the conditions in which the old spin loops
	 * called sched_yield() hundreds of times a second. */
	struct shmring *admin = tr_create(0, 8192, 0, &stream_path);
	struct shmring *r;
	cr_assert_eq(shmring_open(stream_path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &r), 0);
	pin_to_cpu(0);
	pid_t hog = tr_fork(spin_forever, NULL, 30);
	pid_t writers[STREAM_WRITERS];
	for (uint32_t i = 0; i < STREAM_WRITERS; i++)
		writers[i] = tr_fork(stream_writer, (void *)(uintptr_t)i, 30);

	uint32_t next[STREAM_WRITERS] = {0};
	for (unsigned n = 0; n < STREAM_WRITERS * STREAM_MESSAGES; n++) {
		uint8_t buf[100];
		size_t len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, 10000), 1, "message %u", n);
		uint32_t who, seq;
		cr_assert(tr_check(buf, len, &who, &seq) && who < STREAM_WRITERS);
		cr_assert_eq(seq, next[who]++, "writer %u out of order", who);
	}
	for (uint32_t i = 0; i < STREAM_WRITERS; i++)
		cr_assert_eq(tr_wait(writers[i]), 0, "writer %u yielded or failed", i);
	kill(hog, SIGKILL);
	tr_wait(hog);
	cr_assert_eq(yields, 0, "the reader yielded %u times", yields);
	shmring_close(r);
	shmring_close(admin);
}

static const char *handoff_path;

/* A shared reader that blocks for the readers' lock, then takes a message.
 * It runs as SCHED_IDLE on CPU 0 beside a CPU-bound process, so once it
 * sleeps, being woken does not make it run for a long while. */
static int blocked_reader(void *arg)
{
	(void)arg;
	struct sched_param idle = {0};
	CHILD_CHECK(sched_setscheduler(0, SCHED_IDLE, &idle) == 0);
	struct shmring *r;
	CHILD_CHECK(shmring_open(handoff_path, SHMRING_READER, NULL, &r) == 0);
	char buf[16];
	size_t len = sizeof(buf);
	CHILD_CHECK(shmring_recv(r, buf, &len, 20000) == 1);
	shmring_close(r);
	return 0;
}

static int readers_lock(int semid, int cmd)
{
	return semctl(semid, SEM_READERS_LOCK, cmd);
}

Test(wait, a_released_lock_is_never_handed_to_a_waiter_that_is_not_running)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		cr_skip_test("needs two CPUs: one for the waiter and a hog, one for us");
	struct shmring *w = tr_create(SHMRING_WRITER, 0, 0, &handoff_path);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(shmring_send(w, "m", 1, SHMRING_NOWAIT), 0);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(w, &st), 0);
	struct shmring *holder, *runner;
	cr_assert_eq(shmring_open(handoff_path, SHMRING_READER, NULL, &holder), 0);
	cr_assert_eq(shmring_open(handoff_path, SHMRING_READER, NULL, &runner), 0);
	const void *m;
	size_t len;
	/* A pending peek holds the readers' lock. */
	cr_assert_eq(shmring_peek(holder, &m, &len, SHMRING_NOWAIT), 1);

	pin_to_cpu(0); /* the children inherit it */
	pid_t hog = tr_fork(spin_forever, NULL, 30);
	pid_t waiter = tr_fork(blocked_reader, NULL, 30);
	pin_to_cpu(1);
	double t0 = tr_now_ms();
	while (readers_lock(st.semid, GETNCNT) < 1 && tr_now_ms() - t0 < 10000)
		usleep(1000);
	cr_assert_eq(readers_lock(st.semid, GETNCNT), 1, "the waiter never slept on the lock");

	cr_assert_eq(shmring_release(holder), 0);
	/* The waiter has been woken, but cannot have run yet: a lock handed
	 * to it by the kernel would show as taken now. */
	cr_assert_eq(readers_lock(st.semid, GETVAL), 1, "the lock went to a process not running");
	char buf[16];
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(runner, buf, &len, SHMRING_NOWAIT), 1,
		     "a running reader gets the free lock");

	kill(hog, SIGKILL);
	tr_wait(hog);
	cr_assert_eq(tr_wait(waiter), 0, "the waiter gets the lock once it runs");
	shmring_close(holder);
	shmring_close(runner);
	shmring_close(w);
}
