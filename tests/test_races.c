/* Races that need a process paused at one instruction of the library: this
 * binary interposes shmdt(2) and statx(2) (calls go to the kernel directly),
 * and an armed interposer stops its caller there until a racer has done its
 * part. Also: timed calls on a CPU another process keeps busy. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "support.h"

TestSuite(races, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

/* The pause: on the armed_at-th call, tell the racer to go (to_racer) and
 * wait for it to say it is done (from_racer), at most pause_ms. */
static int armed_at, calls, pause_ms;
static int to_racer[2], from_racer[2];

static void pause_point(void)
{
	if (!armed_at || ++calls != armed_at)
		return;
	armed_at = 0;
	char c = 'g';
	(void)!write(to_racer[1], &c, 1);
	struct pollfd p = {.fd = from_racer[0], .events = POLLIN};
	if (poll(&p, 1, pause_ms) == 1)
		(void)!read(from_racer[0], &c, 1);
}

int shmdt(const void *addr)
{
	int rc = (int)syscall(SYS_shmdt, addr);
	pause_point(); /* after the detach: the racer must not see us attached */
	return rc;
}

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	int rc = (int)syscall(SYS_statx, dirfd, path, flags, mask, stx);
	pause_point();
	return rc;
}

/* Before forking the racer; arm with armed_at = N after the fork, so that
 * the racer's own calls never pause. */
static void make_pause_pipes(int ms)
{
	cr_assert_eq(pipe(to_racer), 0);
	cr_assert_eq(pipe(from_racer), 0);
	calls = 0;
	pause_ms = ms;
}

static void racer_wait_go(void)
{
	char c;
	(void)!read(to_racer[0], &c, 1);
}

static void racer_done(void)
{
	(void)!write(from_racer[1], "d", 1);
}

static int32_t unused_key(void)
{
	for (int32_t k = 0x5e000000 + (getpid() & 0xffff) * 16;; k++)
		if (shmget(k, 0, 0) < 0 && errno == ENOENT && semget(k, 0, 0) < 0 && errno == ENOENT)
			return k;
}

/* A ring by key whose semaphore set is gone: a remover killed between its
 * two IPC_RMIDs. Ready segment, no set: stale. */
static void make_setless_ring(int32_t key)
{
	struct shmring *r;
	cr_assert_eq(shmring_create_key(key, 0, NULL, &r), 0);
	shmring_close(r);
	int semid = semget(key, 0, 0);
	cr_assert_geq(semid, 0);
	cr_assert_eq(semctl(semid, 0, IPC_RMID), 0);
	tr_track(shmget(key, 0, 0), -1);
}

/* The racer: reclaim the stale ring and make a new one; once told, check
 * that the new ring still works. 0 = it does. */
static int32_t race_key;
static int reclaim_then_check(void *arg)
{
	(void)arg;
	racer_wait_go();
	struct shmring *w;
	int rc = shmring_create_key(race_key, SHMRING_RECLAIM | SHMRING_WRITER, NULL, &w);
	racer_done();
	CHILD_CHECK(rc == 0);
	racer_wait_go(); /* the parent is done */
	rc = shmring_send(w, "x", 1, 100);
	if (rc != 0)
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
	CHILD_CHECK(rc == 0);
	shmring_close(w);
	return 0;
}

/* Run the racer against @our_call, paused at its @at-th shmdt. */
static void race_a_reclaimer(int at, int (*our_call)(int32_t))
{
	race_key = unused_key();
	make_setless_ring(race_key);
	make_pause_pipes(5000);
	pid_t pid = tr_fork(reclaim_then_check, NULL, 20);
	armed_at = at;
	int rc = our_call(race_key);
	armed_at = 0;
	(void)rc;
	tr_track(shmget(race_key, 0, 0), semget(race_key, 0, 0));
	(void)!write(to_racer[1], "e", 1);
	cr_assert_eq(tr_wait(pid), 0, "the racer's new ring lost its semaphore set");
}

static int remove_by_key(int32_t key)
{
	return shmring_remove_key(key);
}

static int create_reclaiming(int32_t key)
{
	struct shmring *r = NULL;
	int rc = shmring_create_key(key, SHMRING_RECLAIM, NULL, &r);
	if (rc == 0)
		shmring_close(r);
	return rc;
}

Test(races, remove_of_a_stale_ring_never_removes_the_set_of_a_ring_made_meanwhile)
{
	/* Paused after its look at the segment, before it looks at the set. */
	race_a_reclaimer(1, remove_by_key);
}

Test(races, reclaimers_never_remove_the_set_of_a_ring_made_meanwhile)
{
	/* The first shmdt is create_ring's classify, the second reclaim's. */
	race_a_reclaimer(2, create_reclaiming);
}

/* Two creators of one missing anchor: the one that makes the file stops
 * right after it; the other creates the ring if it can. Whoever wins, the
 * anchor of the ring that exists must stay. */
static const char *race_path;
static int create_too(void *arg)
{
	(void)arg;
	racer_wait_go();
	struct shmring *r;
	int rc = shmring_create(race_path, SHMRING_WRITER, NULL, &r);
	racer_done();
	if (rc == 0)
		shmring_close(r);
	CHILD_CHECK(rc == 0 || rc == -EEXIST);
	return rc == 0 ? 0 : 1;
}

Test(races, a_creator_that_made_the_anchor_and_lost_keeps_the_winners_anchor)
{
	race_path = tr_new_anchor();
	make_pause_pipes(500);
	pid_t pid = tr_fork(create_too, NULL, 20);
	armed_at = 1; /* the first statx is of the file just made */
	struct shmring *r = NULL;
	int rc = shmring_create(race_path, SHMRING_WRITER, NULL, &r);
	armed_at = 0;
	if (rc == 0) {
		tr_track_ring(r);
		shmring_close(r);
	}
	int status = tr_wait(pid);
	cr_assert(status == 0 || status == 1, "racer failed: %d", status);
	int32_t key;
	if (shmring_key(race_path, &key) == 0)
		tr_track(shmget(key, 0, 0), semget(key, 0, 0));
	cr_assert((rc == 0) != (status == 0), "exactly one creator wins (ours %d, racer %d)", rc,
		  status);
	cr_assert_eq(access(race_path, F_OK), 0, "the anchor of the live ring was removed");
	struct shmring *o;
	cr_assert_eq(shmring_open(race_path, SHMRING_READER, NULL, &o), 0);
	shmring_close(o);
}

/* Timed calls on a CPU shared with a busy process: spinners yield there,
 * and a yield may give the CPU away for a whole slice. */
static int spin_forever(void *arg)
{
	(void)arg;
	for (volatile unsigned long x = 0;; x++)
		;
	return 0;
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	cr_assert_eq(sched_setaffinity(0, sizeof(set), &set), 0);
}

/* The longest of ten 1 ms receives that time out, with this process
 * pinned to CPU 0 beside a process that keeps it busy. */
static double worst_timed_recv_beside_a_hog(struct shmring *r)
{
	pin_to_cpu0(); /* the hog inherits it */
	pid_t hog = tr_fork(spin_forever, NULL, 10);
	usleep(20000);
	double worst = 0;
	for (int i = 0; i < 10; i++) {
		char buf[16];
		size_t len = sizeof(buf);
		double t0 = tr_now_ms();
		cr_assert_eq(shmring_recv(r, buf, &len, 1), -ETIMEDOUT);
		double d = tr_now_ms() - t0;
		if (d > worst)
			worst = d;
	}
	kill(hog, SIGKILL);
	tr_wait(hog);
	return worst;
}

Test(races, a_timed_recv_on_a_busy_cpu_keeps_to_its_timeout)
{
	struct shmring *w = tr_create(SHMRING_WRITER | SHMRING_EXCLUSIVE, 0, 0, NULL);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(w, &st), 0);
	struct shmring *r;
	cr_assert_eq(shmring_open_id(st.shmid, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &r), 0);
	double worst = worst_timed_recv_beside_a_hog(r);
	shmring_close(r);
	shmring_close(w);
	/* One slice of the hog is a few ms; the spinner's yields without a
	 * look at the clock took over 100 ms. */
	cr_assert_lt(worst, 30.0, "a 1 ms recv took %.1f ms", worst);
}

Test(races, a_timed_lock_on_a_busy_cpu_keeps_to_its_timeout)
{
	struct shmring *w = tr_create(SHMRING_WRITER, 0, 0, NULL);
	cr_assert_eq(shmring_send(w, "m", 1, SHMRING_NOWAIT), 0);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(w, &st), 0);
	struct shmring *holder, *r;
	cr_assert_eq(shmring_open_id(st.shmid, SHMRING_READER, NULL, &holder), 0);
	cr_assert_eq(shmring_open_id(st.shmid, SHMRING_READER, NULL, &r), 0);
	const void *m;
	size_t len;
	/* A pending peek holds the readers' lock, its hint set. */
	cr_assert_eq(shmring_peek(holder, &m, &len, SHMRING_NOWAIT), 1);
	double worst = worst_timed_recv_beside_a_hog(r);
	shmring_release(holder);
	shmring_close(holder);
	shmring_close(r);
	shmring_close(w);
	cr_assert_lt(worst, 30.0, "a 1 ms recv took %.1f ms", worst);
}
