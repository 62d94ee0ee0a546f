/* Crash-proof lifecycle (issue 8): a process killed (SIGKILL) at a named
 * instant of close, create, remove or join must leave nothing that a peer
 * waits on for ever, no object that cannot be removed, and no semaphore
 * that grows without bound. The instants are the library's CRASH_POINTs
 * (lib/crash.h); a child sets the hook and is killed there. */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash.h"
#include "handle.h"
#include "creator.h"
#include "support.h"

TestSuite(crash, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

/* A sleeper hears of its peer's end in microseconds; the bound leaves room
 * for a loaded machine but stays below any backstop re-check (a second), so
 * a lost wake-up cannot pass for a slow one. */
#define PROMPT_MS 500.0

static const char *kill_point;

static void kill_at_point(const char *point)
{
	if (kill_point && strcmp(point, kill_point) == 0)
		raise(SIGKILL);
}

/* In a child: be killed at @point from now on. */
static void die_at(const char *point)
{
	kill_point = point;
	shmring__crash_hook = kill_at_point;
}

static bool wait_flag(const uint32_t *flag, int timeout_ms)
{
	double end = tr_now_ms() + timeout_ms;
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (tr_now_ms() > end)
			return false;
		usleep(200);
	}
	usleep(2000); /* from the flag into semop */
	return true;
}

/* Wait for @pid at most @ms; kill it if it is still there. Its status, or
 * -1 when it had to be killed. */
static int wait_within(pid_t pid, double ms)
{
	double end = tr_now_ms() + ms;
	int status;
	for (;;) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (tr_now_ms() > end) {
			kill(pid, SIGKILL);
			tr_wait(pid);
			return -1;
		}
		usleep(500);
	}
}

struct side_case {
	const char *path;
	unsigned flags; /* the sleeper's SHMRING_EXCLUSIVE or 0 */
	const char *point;
};

/* ---------------------------------------------------------------------- */
/* Hole 1: a peer killed inside shmring_close                             */

static int reader_until_end(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *r;
	CHILD_CHECK(shmring_open(c->path, SHMRING_READER | c->flags, NULL, &r) == 0);
	char buf[64];
	size_t len = sizeof(buf);
	CHILD_CHECK(shmring_recv(r, buf, &len, SHMRING_FOREVER) == 0);
	shmring_close(r);
	return 0;
}

static int writer_closes_and_dies(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(c->path, SHMRING_WRITER, NULL, &w) == 0);
	die_at(c->point);
	shmring_close(w);
	return 0; /* killed before, if the point is in close */
}

static int writer_until_epipe(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(c->path, SHMRING_WRITER | c->flags, NULL, &w) == 0);
	char buf[256] = {0};
	int rc;
	while ((rc = shmring_send(w, buf, sizeof(buf), 0)) == 0)
		;
	CHILD_CHECK(rc == -EAGAIN);
	CHILD_CHECK(shmring_send(w, buf, sizeof(buf), SHMRING_FOREVER) == -EPIPE);
	shmring_close(w);
	return 0;
}

static int reader_closes_and_dies(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *r;
	CHILD_CHECK(shmring_open(c->path, SHMRING_READER, NULL, &r) == 0);
	die_at(c->point);
	shmring_close(r);
	return 0;
}

static const char *const writer_close_points[] = {"close.begin", "close.writer.between",
						  "close.end"};
static const char *const reader_close_points[] = {"close.begin", "close.reader.between",
						  "close.end"};

/* The reader sleeps before any writer came (so it does not wait on the
 * writers' count), a writer joins and is killed inside its close: the
 * reader must see end of stream at once. */
static void reader_hears_a_writer_killed_in_close(unsigned flags, const char *point)
{
	struct side_case c = {.flags = flags, .point = point};
	struct shmring *admin = tr_create(0, 4096, 0, &c.path);
	pid_t reader = tr_fork(reader_until_end, &c, 20);
	cr_assert(wait_flag(&admin->hdr->cons_wait.sleeping, 5000), "the reader never slept");
	pid_t writer = tr_fork(writer_closes_and_dies, &c, 20);
	int ws = tr_wait(writer);
	double t0 = tr_now_ms();
	int rs = wait_within(reader, PROMPT_MS);
	cr_assert(ws == 0 || ws == 128 + SIGKILL, "writer: %d", ws);
	cr_assert_eq(rs, 0, "%s: the reader %s (%.0f ms after the writer's death at %s)",
		     flags ? "exclusive" : "shared",
		     rs < 0 ? "never saw end of stream" : "failed", tr_now_ms() - t0, point);
	shmring_close(admin);
}

static void writer_hears_a_reader_killed_in_close(unsigned flags, const char *point)
{
	struct side_case c = {.flags = flags, .point = point};
	struct shmring *admin = tr_create(0, 4096, 0, &c.path);
	pid_t writer = tr_fork(writer_until_epipe, &c, 20);
	cr_assert(wait_flag(&admin->hdr->prod_wait.sleeping, 5000), "the writer never slept");
	pid_t reader = tr_fork(reader_closes_and_dies, &c, 20);
	int rs = tr_wait(reader);
	double t0 = tr_now_ms();
	int ws = wait_within(writer, PROMPT_MS);
	cr_assert(rs == 0 || rs == 128 + SIGKILL, "reader: %d", rs);
	cr_assert_eq(ws, 0, "%s: the writer %s (%.0f ms after the reader's death at %s)",
		     flags ? "exclusive" : "shared", ws < 0 ? "never got -EPIPE" : "failed",
		     tr_now_ms() - t0, point);
	shmring_close(admin);
}

Test(crash, a_writer_killed_anywhere_in_close_ends_the_stream_of_a_sleeping_reader)
{
	for (unsigned f = 0; f < 2; f++)
		for (size_t i = 0; i < sizeof(writer_close_points) / sizeof(*writer_close_points); i++)
			reader_hears_a_writer_killed_in_close(f ? SHMRING_EXCLUSIVE : 0,
							      writer_close_points[i]);
}

Test(crash, a_reader_killed_anywhere_in_close_gives_a_sleeping_writer_epipe)
{
	for (unsigned f = 0; f < 2; f++)
		for (size_t i = 0; i < sizeof(reader_close_points) / sizeof(*reader_close_points); i++)
			writer_hears_a_reader_killed_in_close(f ? SHMRING_EXCLUSIVE : 0,
							      reader_close_points[i]);
}

/* ---------------------------------------------------------------------- */
/* Hole 2: wake-up semaphores stay bounded                                */

/* Each peer that dies without a clean close pays its debt (one token)
 * through the kernel's undo. Beside a peer that never sleeps, nobody takes
 * those tokens: they must not pile up. */

static int writer_sends_and_is_killed(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(c->path, SHMRING_WRITER, NULL, &w) == 0);
	CHILD_CHECK(shmring_send(w, "x", 1, 0) == 0);
	raise(SIGKILL);
	return 0;
}

static int reader_is_killed(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *r;
	CHILD_CHECK(shmring_open(c->path, SHMRING_READER, NULL, &r) == 0);
	raise(SIGKILL);
	return 0;
}

static int sem_get(struct shmring *r, int idx)
{
	int v = semctl(r->semid, idx, GETVAL);
	cr_assert_geq(v, 0, "GETVAL: %s", strerror(errno));
	return v;
}

#define KILLED_PEERS 100

Test(crash, writers_killed_beside_a_reader_that_never_sleeps_leave_at_most_two_tokens)
{
	struct side_case c = {0};
	struct shmring *admin = tr_create(0, 0, 0, &c.path);
	struct shmring *reader;
	cr_assert_eq(shmring_open(c.path, SHMRING_READER, NULL, &reader), 0);
	char buf[8];
	for (int i = 0; i < KILLED_PEERS; i++) {
		cr_assert_eq(tr_wait(tr_fork(writer_sends_and_is_killed, &c, 10)), 128 + SIGKILL);
		size_t len = sizeof(buf);
		cr_assert_eq(shmring_recv(reader, buf, &len, 0), 1); /* never sleeps */
	}
	cr_assert_leq(sem_get(admin, SEM_DATA), 2, "SEM_DATA after %d killed writers: %d",
		      KILLED_PEERS, sem_get(admin, SEM_DATA));
	shmring_close(reader);
	shmring_close(admin);
}

Test(crash, readers_killed_beside_a_writer_that_never_sleeps_leave_at_most_two_tokens)
{
	struct side_case c = {0};
	struct shmring *admin = tr_create(0, 0, 0, &c.path);
	struct shmring *writer;
	cr_assert_eq(shmring_open(c.path, SHMRING_WRITER, NULL, &writer), 0);
	for (int i = 0; i < KILLED_PEERS; i++) {
		/* -EPIPE once a reader came and went: it never sleeps */
		int rc = shmring_send(writer, "y", 1, 0);
		cr_assert(rc == 0 || (i > 0 && rc == -EPIPE), "send: %s", shmring_strerror(rc));
		cr_assert_eq(tr_wait(tr_fork(reader_is_killed, &c, 10)), 128 + SIGKILL);
	}
	cr_assert_leq(sem_get(admin, SEM_SPACE), 2, "SEM_SPACE after %d killed readers: %d",
		      KILLED_PEERS, sem_get(admin, SEM_SPACE));
	shmring_close(writer);
	shmring_close(admin);
}

/* The state 32,767 deaths would leave (the kernel clamps the undo at
 * SEMVMX): joining and a clean leave must still work, on both sides, and
 * the stream must still end. */
Test(crash, a_wake_semaphore_at_semvmx_still_lets_peers_join_leave_and_end_the_stream)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	cr_assert_eq(semctl(admin->semid, SEM_DATA, SETVAL, 32767), 0);
	cr_assert_eq(semctl(admin->semid, SEM_SPACE, SETVAL, 32767), 0);
	struct shmring *reader, *writer;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &reader), 0);
	cr_assert_eq(shmring_open(path, SHMRING_WRITER, NULL, &writer), 0);
	cr_assert_eq(shmring_send(writer, "z", 1, 0), 0);
	cr_assert_eq(shmring_close(writer), 0);
	cr_assert_eq(sem_get(admin, SEM_WRITERS), 0, "the writer's clean close left its count");
	char buf[8];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(reader, buf, &len, 1000), 1);
	cr_assert_eq(shmring_recv(reader, buf, &len, 1000), 0, "no end of stream");
	cr_assert_eq(shmring_close(reader), 0);
	cr_assert_eq(sem_get(admin, SEM_READERS), 0, "the reader's clean close left its count");
	cr_assert_leq(sem_get(admin, SEM_DATA), 2);
	cr_assert_leq(sem_get(admin, SEM_SPACE), 2);
	shmring_close(admin);
}

/* ---------------------------------------------------------------------- */
/* Hole 10: no single lost wake-up strands a sleeper                       */

/* A peer with write access can store anything; a stray 0 in a sleep flag
 * (or any one lost wake-up) must cost a sleeper a bounded delay, not its
 * life. The re-check runs every second. */
#define RECHECK_BOUND_MS 2500.0

static int reader_gets_one(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *r;
	CHILD_CHECK(shmring_open(c->path, SHMRING_READER | c->flags, NULL, &r) == 0);
	char buf[64];
	size_t len = sizeof(buf);
	CHILD_CHECK(shmring_recv(r, buf, &len, SHMRING_FOREVER) == 1);
	shmring_close(r);
	return 0;
}

Test(crash, a_stray_store_to_the_readers_sleep_flag_delays_it_a_second_at_most)
{
	struct side_case c = {0};
	struct shmring *admin = tr_create(0, 4096, 0, &c.path);
	pid_t reader = tr_fork(reader_gets_one, &c, 20);
	cr_assert(wait_flag(&admin->hdr->cons_wait.sleeping, 5000), "the reader never slept");
	__atomic_store_n(&admin->hdr->cons_wait.sleeping, 0, __ATOMIC_SEQ_CST);
	struct shmring *w;
	cr_assert_eq(shmring_open(c.path, SHMRING_WRITER, NULL, &w), 0);
	cr_assert_eq(shmring_send(w, "a", 1, 0), 0);
	cr_assert_eq(shmring_send(w, "b", 1, 0), 0);
	double t0 = tr_now_ms();
	int rs = wait_within(reader, RECHECK_BOUND_MS);
	cr_assert_eq(rs, 0, "the reader %s (%.0f ms)", rs < 0 ? "never woke" : "failed",
		     tr_now_ms() - t0);
	shmring_close(w);
	shmring_close(admin);
}

Test(crash, a_stray_store_to_the_writers_sleep_flag_delays_its_epipe_a_second_at_most)
{
	struct side_case c = {0};
	struct shmring *admin = tr_create(0, 4096, 0, &c.path);
	pid_t writer = tr_fork(writer_until_epipe, &c, 20);
	cr_assert(wait_flag(&admin->hdr->prod_wait.sleeping, 5000), "the writer never slept");
	__atomic_store_n(&admin->hdr->prod_wait.sleeping, 0, __ATOMIC_SEQ_CST);
	struct shmring *r;
	cr_assert_eq(shmring_open(c.path, SHMRING_READER, NULL, &r), 0);
	cr_assert_eq(shmring_close(r), 0);
	double t0 = tr_now_ms();
	int ws = wait_within(writer, RECHECK_BOUND_MS);
	cr_assert_eq(ws, 0, "the writer %s (%.0f ms)", ws < 0 ? "never got -EPIPE" : "failed",
		     tr_now_ms() - t0);
	shmring_close(admin);
}

/* ---------------------------------------------------------------------- */
/* Hole 11: ipcrm -m of the segment while a caller sleeps                  */

static int reader_until_eidrm(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *r;
	CHILD_CHECK(shmring_open(c->path, SHMRING_READER | c->flags, NULL, &r) == 0);
	char buf[64];
	size_t len = sizeof(buf);
	CHILD_CHECK(shmring_recv(r, buf, &len, SHMRING_FOREVER) == -EIDRM);
	shmring_close(r);
	return 0;
}

static int writer_until_eidrm(void *arg)
{
	const struct side_case *c = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(c->path, SHMRING_WRITER | c->flags, NULL, &w) == 0);
	char buf[256] = {0};
	while (shmring_send(w, buf, sizeof(buf), 0) == 0)
		;
	CHILD_CHECK(shmring_send(w, buf, sizeof(buf), SHMRING_FOREVER) == -EIDRM);
	shmring_close(w);
	return 0;
}

static void sleeper_hears_ipcrm_m(int (*sleeper)(void *), bool writer_side)
{
	struct side_case c = {0};
	struct shmring *admin = tr_create(0, 4096, 0, &c.path);
	/* a peer on the other side, so the sleeper waits for it */
	struct shmring *peer;
	cr_assert_eq(shmring_open(c.path, writer_side ? SHMRING_READER : SHMRING_WRITER, NULL, &peer),
		     0);
	pid_t child = tr_fork(sleeper, &c, 20);
	cr_assert(wait_flag(writer_side ? &admin->hdr->prod_wait.sleeping
					: &admin->hdr->cons_wait.sleeping,
			    5000),
		  "never slept");
	cr_assert_eq(shmctl(admin->shmid, IPC_RMID, NULL), 0); /* what ipcrm -m does */
	double t0 = tr_now_ms();
	int st = wait_within(child, RECHECK_BOUND_MS);
	cr_assert_eq(st, 0, "the %s %s (%.0f ms)", writer_side ? "writer" : "reader",
		     st < 0 ? "never noticed" : "failed", tr_now_ms() - t0);
	shmring_close(peer);
	shmring_close(admin);
}

Test(crash, ipcrm_m_of_the_segment_wakes_a_sleeping_reader_with_eidrm)
{
	sleeper_hears_ipcrm_m(reader_until_eidrm, false);
}

Test(crash, ipcrm_m_of_the_segment_wakes_a_sleeping_writer_with_eidrm)
{
	sleeper_hears_ipcrm_m(writer_until_eidrm, true);
}

/* ---------------------------------------------------------------------- */
/* Hole 3: a failed or interrupted remove                                 */

static int key_of(const char *path)
{
	int32_t key;
	cr_assert_eq(shmring_key(path, &key), 0);
	return key;
}

static bool objects_gone(int32_t key)
{
	return shmget(key, 0, 0) < 0 && errno == ENOENT && semget(key, 0, 0) < 0 &&
	       errno == ENOENT;
}

static int remove_as_nobody(void *arg)
{
	const int32_t *key = arg;
	CHILD_CHECK(setgid(65534) == 0 && setuid(65534) == 0);
	CHILD_CHECK(shmring_remove_key(*key) == -EPERM);
	return 0;
}

Test(crash, a_remove_the_kernel_refuses_leaves_the_ring_working_and_removable)
{
	if (geteuid() != 0)
		cr_skip_test("needs root, to be another user");
	const char *path;
	struct shmring *w = tr_create(SHMRING_WRITER, 4096, 0, &path); /* mode 0666 */
	struct shmring *r;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &r), 0);
	int32_t key = key_of(path);
	cr_assert_eq(tr_wait(tr_fork(remove_as_nobody, &key, 10)), 0);
	cr_assert_eq(shmring_send(w, "still", 5, 0), 0, "the owner's writer was poisoned");
	char buf[8];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, 0), 1, "the owner's reader was poisoned");
	shmring_close(r);
	shmring_close(w);
	cr_assert_eq(shmring_remove(path), 0);
	cr_assert(objects_gone(key));
}

struct remover {
	const char *path;
	const char *point;
};

static int remove_and_die(void *arg)
{
	const struct remover *m = arg;
	die_at(m->point);
	shmring_remove(m->path);
	return 1; /* not killed: the point is not on this path */
}

Test(crash, a_remove_killed_at_any_step_is_finished_by_the_next_remove)
{
	static const char *const points[] = {"remove.step1", "remove.step2"};
	for (size_t i = 0; i < sizeof(points) / sizeof(*points); i++) {
		const char *path;
		struct shmring *w = tr_create(SHMRING_WRITER, 4096, 0, &path);
		int32_t key = key_of(path);
		struct remover m = {path, points[i]};
		cr_assert_eq(tr_wait(tr_fork(remove_and_die, &m, 10)), 128 + SIGKILL);
		shmring_close(w);
		int rc = shmring_remove(path);
		cr_assert_eq(rc, 0, "after a remover killed at %s: %s", points[i], shmring_strerror(rc));
		cr_assert(objects_gone(key), "left behind after a kill at %s", points[i]);
	}
}

/* What a remover of an older library left when killed: the mark without
 * the removal. */
Test(crash, a_ring_marked_removed_but_still_there_is_removable)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 0, &path);
	int32_t key = key_of(path);
	__atomic_store_n(&admin->hdr->id.destroyed, DESTROYED_MARK, __ATOMIC_RELEASE);
	shmring_close(admin);
	cr_assert_eq(shmring_remove(path), 0);
	cr_assert(objects_gone(key));
}

/* ---------------------------------------------------------------------- */
/* Hole 5: a handle inherited through fork() is not the child's           */

struct inherited {
	struct shmring *w, *r;
};

static int child_uses_inherited_handles(void *arg)
{
	struct inherited *h = arg;
	char buf[8];
	size_t len = sizeof(buf);
	void *slot;
	const void *msg;
	struct iovec iov = {buf, sizeof(buf)};
	CHILD_CHECK(shmring_send(h->w, "child", 5, 0) == -EBADF);
	CHILD_CHECK(shmring_send_burst(h->w, &iov, 1, 0) == -EBADF);
	CHILD_CHECK(shmring_reserve(h->w, 4, &slot, 0) == -EBADF);
	CHILD_CHECK(shmring_recv(h->r, buf, &len, 0) == -EBADF);
	CHILD_CHECK(shmring_recv_burst(h->r, &iov, 1, 0) == -EBADF);
	CHILD_CHECK(shmring_peek(h->r, &msg, &len, 0) == -EBADF);
	CHILD_CHECK(shmring_close(h->w) == 0);
	CHILD_CHECK(shmring_close(h->r) == 0);
	return 0;
}

static void inherited_handles_are_ebadf_in_the_child(unsigned flags)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 0, &path);
	struct inherited h;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | flags, NULL, &h.w), 0);
	cr_assert_eq(shmring_open(path, SHMRING_READER | flags, NULL, &h.r), 0);
	cr_assert_eq(shmring_send(h.w, "parent", 6, 0), 0);
	cr_assert_eq(tr_wait(tr_fork(child_uses_inherited_handles, &h, 10)), 0);
	/* the parent's handles, roles and locks are untouched */
	cr_assert_eq(shmring_send(h.w, "again", 5, 0), 0);
	char buf[8];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(h.r, buf, &len, 0), 1);
	cr_assert_eq(len, 6);
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(h.r, buf, &len, 0), 1);
	cr_assert_eq(len, 5);
	shmring_close(h.r);
	shmring_close(h.w);
	shmring_close(admin);
}

Test(crash, exclusive_handles_inherited_through_fork_are_ebadf_in_the_child)
{
	inherited_handles_are_ebadf_in_the_child(SHMRING_EXCLUSIVE);
}

Test(crash, shared_handles_inherited_through_fork_are_ebadf_in_the_child)
{
	inherited_handles_are_ebadf_in_the_child(0);
}

/* ---------------------------------------------------------------------- */
/* Hole 7: ready_timeout_ms < 0 means no wait, for the exclusive lock too  */

Test(crash, a_negative_ready_timeout_does_not_wait_for_a_held_exclusive_side)
{
	const char *path;
	struct shmring *holder = tr_create(SHMRING_WRITER | SHMRING_EXCLUSIVE, 4096, 0, &path);
	struct shmring_options opt = {.ready_timeout_ms = -1};
	struct shmring *w;
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | SHMRING_EXCLUSIVE, &opt, &w), -EBUSY);
	double took = tr_now_ms() - t0;
	cr_assert_lt(took, 200.0, "waited %.0f ms", took);
	shmring_close(holder);
}

/* ---------------------------------------------------------------------- */
/* Hole 4: a creator killed at any step leaves remains we can reclaim      */

struct creator {
	const char *path;
	const char *point;
};

static int create_and_die(void *arg)
{
	const struct creator *m = arg;
	struct shmring *r;
	die_at(m->point);
	shmring_create(m->path, 0, NULL, &r);
	return 1; /* not killed: the point is not on this path */
}

static const char *const create_points[] = {"create.segment_made", "create.set_made"};

static void track_key_objects(int32_t key)
{
	tr_track(shmget(key, 0, 0), semget(key, 0, 0));
}

Test(crash, a_creator_killed_at_any_step_leaves_a_stale_ring_that_reclaim_replaces)
{
	for (size_t i = 0; i < sizeof(create_points) / sizeof(*create_points); i++) {
		struct creator m = {tr_new_anchor(), create_points[i]};
		cr_assert_eq(tr_wait(tr_fork(create_and_die, &m, 10)), 128 + SIGKILL);
		int32_t key = key_of(m.path);
		track_key_objects(key);
		struct shmring_options quick = {.ready_timeout_ms = 200};
		struct shmring *r;
		int rc = shmring_open(m.path, SHMRING_READER, &quick, &r);
		cr_assert_eq(rc, -ESTALE, "open after a kill at %s: %s", m.point, shmring_strerror(rc));
		rc = shmring_create(m.path, SHMRING_WRITER | SHMRING_RECLAIM, NULL, &r);
		cr_assert_eq(rc, 0, "reclaim after a kill at %s: %s", m.point, shmring_strerror(rc));
		tr_track_ring(r);
		cr_assert_eq(shmring_send(r, "ok", 2, 0), 0);
		shmring_close(r);
	}
}

Test(crash, a_creator_killed_at_any_step_leaves_remains_that_remove_takes)
{
	for (size_t i = 0; i < sizeof(create_points) / sizeof(*create_points); i++) {
		struct creator m = {tr_new_anchor(), create_points[i]};
		cr_assert_eq(tr_wait(tr_fork(create_and_die, &m, 10)), 128 + SIGKILL);
		int32_t key = key_of(m.path);
		track_key_objects(key);
		int rc = shmring_remove(m.path);
		cr_assert_eq(rc, 0, "remove after a kill at %s: %s", m.point, shmring_strerror(rc));
		cr_assert(objects_gone(key), "left behind after a kill at %s", m.point);
	}
}

/* A dead creator's pid taken by a later process: the ring is not "being
 * created" for ever. This process plays the later one. */
Test(crash, a_pid_reused_by_a_later_process_is_not_the_creator)
{
	time_t now = time(NULL);
	cr_assert(shmring__creator_alive(getpid(), now), "we made it just now");
	cr_assert_not(shmring__creator_alive(getpid(), now - 3600),
		      "an object made an hour before this process started is not its own");
}
