/* Creating, opening, reclaiming, destroying, removing and listing rings:
 * the objects the kernel holds, and every way a ring can be half made,
 * half removed or not ours at all. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "anchor.h"
#include "classify.h"
#include "create.h"
#include "support.h"

TestSuite(lifecycle, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/* A short ready timeout: the half-made rings below never become ready. */
static const struct shmring_options quick = {.ready_timeout_ms = 200};

/* ---------------------------------------------------------------------- */
/* Helpers                                                                */

/* 0 if the segment exists, else the errno of IPC_STAT. */
static int shm_stat_errno(int shmid)
{
	struct shmid_ds ds;
	return shmctl(shmid, IPC_STAT, &ds) == 0 ? 0 : errno;
}

static int sem_stat_errno(int semid)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	return semctl(semid, 0, IPC_STAT, arg) == 0 ? 0 : errno;
}

static bool removed_errno(int err)
{
	return err == EINVAL || err == EIDRM;
}

static bool key_unused(int32_t key)
{
	return shmget(key, 0, 0) < 0 && errno == ENOENT && semget(key, 0, 0) < 0 && errno == ENOENT;
}

/* An existing anchor file whose key names no object right now. */
static const char *free_anchor(int32_t *key, struct anchor_id *anchor)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		const char *p = tr_new_anchor();
		int fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		cr_assert_geq(fd, 0, "open %s: %s", p, strerror(errno));
		close(fd);
		cr_assert_eq(shmring__anchor_stat(p, anchor), 0);
		*key = shmring__anchor_key(anchor);
		if (key_unused(*key))
			return p;
	}
	cr_assert_fail("no free key after 16 anchors");
	return NULL;
}

/* shmring_create() on a fresh anchor with options, retrying ftok
 * collisions with other tests; the ring is tracked. */
static struct shmring *create_tracked(unsigned flags, const struct shmring_options *opt,
				      const char **path)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		const char *p = tr_new_anchor();
		struct shmring *r = NULL;
		int rc = shmring_create(p, flags, opt, &r);
		if (rc == -EEXIST || rc == -ENOTUNIQ)
			continue;
		cr_assert_eq(rc, 0, "shmring_create: %s", shmring_strerror(rc));
		tr_track_ring(r);
		if (path)
			*path = p;
		return r;
	}
	cr_assert_fail("no free key after 8 anchors");
	return NULL;
}

static struct shmring_stats stats_of(struct shmring *r)
{
	struct shmring_stats st;
	int rc = shmring_stats(r, &st);
	cr_assert_eq(rc, 0, "shmring_stats: %s", shmring_strerror(rc));
	return st;
}

/* Open, and close again at once if that unexpectedly worked: the result. */
static int open_rc(const char *path, unsigned flags, const struct shmring_options *opt)
{
	struct shmring *r = NULL;
	int rc = shmring_open(path, flags, opt, &r);
	if (rc == 0)
		shmring_close(r);
	else
		cr_assert_null(r, "a failed open must not hand out a handle");
	return rc;
}

/* Track whatever the key names now (after a child made it). */
static void track_key(int32_t key)
{
	tr_track(shmget(key, 0, 0), semget(key, 0, 0));
}

/* One message through a fresh reader+writer handle: the ring works. */
static void assert_ring_works(const char *path)
{
	struct shmring *r;
	int rc = shmring_open(path, SHMRING_READER | SHMRING_WRITER, NULL, &r);
	cr_assert_eq(rc, 0, "open: %s", shmring_strerror(rc));
	uint8_t out[40], in[64];
	size_t len = sizeof(in);
	tr_fill(out, sizeof(out), 3, 77);
	cr_assert_eq(shmring_send(r, out, sizeof(out), SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_recv(r, in, &len, SHMRING_NOWAIT), 1);
	cr_assert_eq(len, sizeof(out));
	cr_assert_arr_eq(in, out, sizeof(out));
	shmring_close(r);
}

/* A child that plays a creator dying between shmget and the ready mark. */
struct unready_args {
	int32_t key;
	struct anchor_id anchor;
	const char *path;
	int with_semaphores;
};

static int create_unready_and_die(void *arg)
{
	struct unready_args *a = arg;
	int shmid = shmring__create_unready(a->key, NULL, &a->anchor, a->path, a->with_semaphores);
	CHILD_CHECK(shmid >= 0);
	return 0;
}

/* Leave the remains of a creator that died before the ready mark on a
 * fresh anchor; both objects are tracked. */
static const char *make_dead_creator_ring(int with_semaphores, int32_t *key, int *shmid, int *semid)
{
	struct unready_args a; /* the child reads its copy */
	a.path = free_anchor(&a.key, &a.anchor);
	a.with_semaphores = with_semaphores;
	pid_t pid = tr_fork(create_unready_and_die, &a, 10);
	int status = tr_wait(pid);
	track_key(a.key);
	cr_assert_eq(status, 0, "the dying creator failed (%d)", status);
	*key = a.key;
	*shmid = shmget(a.key, 0, 0);
	*semid = semget(a.key, 0, 0);
	cr_assert_geq(*shmid, 0, "the dead creator's segment is there");
	if (with_semaphores)
		cr_assert_geq(*semid, 0, "the dead creator's semaphore set is there");
	else
		cr_assert_lt(*semid, 0, "no semaphore set was made");
	return a.path;
}

/* A plain segment under @key, not made by shmring, with @bytes in it. */
static int make_foreign_segment(int32_t key, size_t size, const char *bytes)
{
	int shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert_geq(shmid, 0, "shmget: %s", strerror(errno));
	tr_track(shmid, -1);
	if (bytes) {
		char *p = shmat(shmid, NULL, 0);
		cr_assert_neq(p, (void *)-1);
		memcpy(p, bytes, strlen(bytes) + 1);
		shmdt(p);
	}
	return shmid;
}

static void assert_foreign_segment_intact(int shmid, const char *bytes)
{
	cr_assert_eq(shm_stat_errno(shmid), 0, "the foreign segment must survive");
	char *p = shmat(shmid, NULL, SHM_RDONLY);
	cr_assert_neq(p, (void *)-1);
	cr_assert_str_eq(p, bytes, "the foreign segment's bytes are untouched");
	shmdt(p);
}

/* Map a ring's header read-only, to watch the sleep flags. */
static const struct layout_header *watch_header(int shmid)
{
	const struct layout_header *h = shmat(shmid, NULL, SHM_RDONLY);
	cr_assert_neq(h, (void *)-1, "shmat: %s", strerror(errno));
	return h;
}

static bool wait_flag(const uint32_t *flag, double timeout_ms)
{
	double end = tr_now_ms() + timeout_ms;
	while (tr_now_ms() < end) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		usleep(1000);
	}
	return false;
}

static bool still_running(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return false;
	return si.si_pid == 0;
}

/* ---------------------------------------------------------------------- */
/* Creating                                                               */

Test(lifecycle, create_makes_the_anchor_file_when_it_is_missing)
{
	const char *path;
	struct shmring *r = create_tracked(0, NULL, &path);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "the anchor file exists after create");
	cr_assert(S_ISREG(st.st_mode));
	mode_t um = umask(0);
	umask(um);
	cr_assert_eq(st.st_mode & 0777, 0644 & ~um, "anchor mode %o", st.st_mode & 0777);
	int32_t key;
	cr_assert_eq(shmring_key(path, &key), 0);
	cr_assert_eq(stats_of(r).key, key, "the ring lives under the anchor's key");
	shmring_close(r);
}

Test(lifecycle, create_in_a_missing_directory_is_enoent_and_makes_nothing)
{
	char path[400];
	snprintf(path, sizeof(path), "%s.nodir/anchor", tr_new_anchor());
	struct shmring *r = NULL;
	cr_assert_eq(shmring_create(path, 0, NULL, &r), -ENOENT);
	cr_assert_null(r);
	cr_assert_eq(access(path, F_OK), -1);
}

/* shmmax is lowered in a private IPC namespace (root, or an unprivileged
 * user namespace), so the host's limit is never touched. */
static int create_over_shmmax(void *arg)
{
	const char *path = arg;
	if (unshare(CLONE_NEWIPC) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWIPC) < 0)
		return 77;
	FILE *f = fopen("/proc/sys/kernel/shmmax", "w");
	if (!f)
		return 77;
	fprintf(f, "%u\n", 1u << 20);
	if (fclose(f) != 0)
		return 77;
	struct shmring_options opt = {.capacity = 2u << 20};
	struct shmring *r = NULL;
	CHILD_CHECK(shmring_create(path, 0, &opt, &r) == -EFBIG);
	CHILD_CHECK(r == NULL);
	CHILD_CHECK(access(path, F_OK) == -1 && errno == ENOENT);
	/* An anchor file that was there before stays. */
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	CHILD_CHECK(fd >= 0);
	close(fd);
	CHILD_CHECK(shmring_create(path, 0, &opt, &r) == -EFBIG);
	CHILD_CHECK(access(path, F_OK) == 0);
	return 0;
}

Test(lifecycle, failed_create_removes_the_anchor_it_made_and_keeps_one_that_existed)
{
	const char *path = tr_new_anchor();
	int status = tr_wait(tr_fork(create_over_shmmax, (void *)path, 30));
	if (status == 77)
		cr_skip_test("no private IPC namespace to lower shmmax in (needs root or user "
			     "namespaces)");
	cr_assert_eq(status, 0, "child failed with %d", status);
}

Test(lifecycle, key_of_an_anchor_is_ftok_of_its_path)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	int32_t got;
	cr_assert_eq(shmring_key(path, &got), 0);
	cr_assert_eq(got, (int32_t)ftok(path, ANCHOR_PROJ_ID));
	cr_assert_eq(got, key);
}

Test(lifecycle, mode_defaults_to_0666_on_segment_and_semaphores)
{
	struct shmring *r = create_tracked(0, NULL, NULL);
	struct shmring_stats st = stats_of(r);
	cr_assert_eq(st.mode, 0666, "stats mode %o", st.mode);

	struct shmid_ds sds;
	cr_assert_eq(shmctl(st.shmid, IPC_STAT, &sds), 0);
	cr_assert_eq(sds.shm_perm.mode & 0777, 0666, "segment mode %o", sds.shm_perm.mode & 0777);
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	cr_assert_eq(semctl(st.semid, 0, IPC_STAT, arg), 0);
	cr_assert_eq(ds.sem_perm.mode & 0777, 0666, "semaphore mode %o", ds.sem_perm.mode & 0777);
	shmring_close(r);
}

Test(lifecycle, explicit_mode_0600_is_honoured_on_segment_and_semaphores)
{
	struct shmring_options opt = {.mode = 0600};
	struct shmring *r = create_tracked(0, &opt, NULL);
	struct shmring_stats st = stats_of(r);
	cr_assert_eq(st.mode, 0600, "stats mode %o", st.mode);

	struct shmid_ds sds;
	cr_assert_eq(shmctl(st.shmid, IPC_STAT, &sds), 0);
	cr_assert_eq(sds.shm_perm.mode & 0777, 0600, "segment mode %o", sds.shm_perm.mode & 0777);
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	cr_assert_eq(semctl(st.semid, 0, IPC_STAT, arg), 0);
	cr_assert_eq(ds.sem_perm.mode & 0777, 0600, "semaphore mode %o", ds.sem_perm.mode & 0777);
	shmring_close(r);
}

Test(lifecycle, capacity_is_rounded_up_to_pages_and_the_segment_matches)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t asked[] = {1, page - 1, page, page + 1, 3 * page + 17};
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		struct shmring_options opt = {.capacity = asked[i], .max_msg = 1};
		struct shmring *r = create_tracked(0, &opt, NULL);
		size_t want = (asked[i] + page - 1) / page * page;
		cr_assert_eq(shmring_capacity(r), want, "asked %zu", asked[i]);
		struct shmring_stats st = stats_of(r);
		cr_assert_eq(st.capacity, want);
		cr_assert_eq(st.max_msg, 1, "an explicit max_msg is kept");
		struct shmid_ds ds;
		cr_assert_eq(shmctl(st.shmid, IPC_STAT, &ds), 0);
		cr_assert_eq(ds.shm_segsz, want + page, "one header page plus the capacity");
		cr_assert_eq(st.segment_size, ds.shm_segsz);
		shmring_destroy(r);
	}
}

Test(lifecycle, invalid_options_are_einval_and_leave_no_object)
{
	const struct {
		unsigned flags;
		struct shmring_options opt;
		const char *what;
	} bad[] = {
	    {0, {.capacity = 4096, .max_msg = 4096 - 8 + 1}, "max_msg = capacity - 7"},
	    {0, {.capacity = 4096, .max_msg = 4096}, "max_msg = capacity"},
	    {0, {.capacity = 4096, .max_msg = (size_t)UINT32_MAX + 1}, "max_msg over 32 bits"},
	    {0, {.capacity = SIZE_MAX}, "capacity SIZE_MAX"},
	    {0, {.mode = 01000}, "sticky bit in mode"},
	    {0, {.mode = 04666}, "setuid bit in mode"},
	    {0, {.mode = 0x10000 | 0644}, "mode over 16 bits"},
	    {0x10, {0}, "unknown flag 0x10"},
	    {0x100, {0}, "unknown flag 0x100"},
	    {0x80000000u, {0}, "unknown flag 0x80000000"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* By path: refused before even the anchor file is made. */
		const char *path = tr_new_anchor();
		struct shmring *r = NULL;
		int rc = shmring_create(path, bad[i].flags, &bad[i].opt, &r);
		cr_assert_eq(rc, -EINVAL, "%s: create gave %s", bad[i].what, shmring_strerror(rc));
		cr_assert_null(r);
		cr_assert_eq(access(path, F_OK), -1, "%s: no anchor file", bad[i].what);

		/* By key: nothing appears under the key. */
		int32_t key;
		struct anchor_id aid;
		free_anchor(&key, &aid);
		rc = shmring_create_key(key, bad[i].flags, &bad[i].opt, &r);
		cr_assert_eq(rc, -EINVAL, "%s: create_key gave %s", bad[i].what,
			     shmring_strerror(rc));
		if (!key_unused(key)) {
			track_key(key);
			cr_assert_fail("%s: an object was left under the key", bad[i].what);
		}
	}
	/* The boundary itself is fine: max_msg = capacity - 8. */
	struct shmring_options edge = {.capacity = 4096, .max_msg = 4096 - 8};
	struct shmring *r = create_tracked(0, &edge, NULL);
	cr_assert_eq(shmring_max_msg(r), 4096 - 8);
	shmring_close(r);
}

Test(lifecycle, create_existing_ring_fails_eexist_and_changes_nothing)
{
	const char *path;
	struct shmring_options opt = {.capacity = 8192, .max_msg = 500};
	struct shmring *r = create_tracked(SHMRING_READER | SHMRING_WRITER, &opt, &path);
	uint8_t msg[3][100];
	for (uint32_t i = 0; i < 3; i++) {
		tr_fill(msg[i], sizeof(msg[i]), 5, i);
		cr_assert_eq(shmring_send(r, msg[i], sizeof(msg[i]), SHMRING_NOWAIT), 0);
	}
	struct shmring_stats before = stats_of(r);

	struct shmring_options other = {.capacity = 65536, .max_msg = 100, .mode = 0600};
	const unsigned flags[] = {0, SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE,
				  SHMRING_RECLAIM};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct shmring *again = NULL;
		int rc = shmring_create(path, flags[i], &other, &again);
		cr_assert_eq(rc, -EEXIST, "flags %#x: %s", flags[i], shmring_strerror(rc));
		cr_assert_null(again);
		rc = shmring_create_key(before.key, flags[i], NULL, &again);
		cr_assert_eq(rc, -EEXIST, "create_key, flags %#x: %s", flags[i],
			     shmring_strerror(rc));
		cr_assert_null(again);
	}

	struct shmring_stats after = stats_of(r);
	cr_assert_eq(after.shmid, before.shmid);
	cr_assert_eq(after.semid, before.semid);
	cr_assert_eq(after.capacity, before.capacity);
	cr_assert_eq(after.max_msg, before.max_msg);
	cr_assert_eq(after.mode, before.mode);
	cr_assert_eq(after.used, before.used);
	cr_assert_eq(after.messages, 3);
	cr_assert_eq(after.sent, before.sent);
	cr_assert_eq(after.received, before.received);
	cr_assert_eq(after.readers, 1);
	cr_assert_eq(after.writers, 1);
	cr_assert_eq(after.attached, before.attached);
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t buf[600];
		size_t len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		cr_assert_eq(len, sizeof(msg[i]));
		cr_assert_arr_eq(buf, msg[i], len, "message %u intact", i);
	}
	shmring_close(r);
}

struct race_args {
	int gun[2]; /* a pipe: EOF on the read end is the starting gun */
	const char *path;
};

/* Fork @n children running fn(a), each waiting for the starting gun at
 * its first read of a->gun[0]; the pipe is made here. */
static void racers_fork(struct race_args *a, int (*fn)(void *), int n, pid_t *pids)
{
	cr_assert_eq(pipe(a->gun), 0);
	for (int i = 0; i < n; i++)
		pids[i] = tr_fork(fn, a, 20);
}

/* Fire the gun: every racer's read sees EOF at once. */
static void racers_go(struct race_args *a)
{
	close(a->gun[1]);
	close(a->gun[0]);
}

/* In a racer: wait for the gun. False if the pipe said anything but EOF. */
static bool racer_await_gun(const struct race_args *a)
{
	char c;
	close(a->gun[1]);
	return read(a->gun[0], &c, 1) == 0;
}

/* Wait for @n racers; count those that exited 0 (won) and 1 (lost). */
static void racers_tally(const pid_t *pids, int n, int *winners, int *losers)
{
	*winners = *losers = 0;
	for (int i = 0; i < n; i++) {
		int status = tr_wait(pids[i]);
		*winners += status == 0;
		*losers += status == 1;
	}
}

/* Exits 0 when it created the ring, 1 on -EEXIST. */
static int race_to_create(void *arg)
{
	const struct race_args *a = arg;
	CHILD_CHECK(racer_await_gun(a));
	struct shmring *r;
	int rc = shmring_create(a->path, SHMRING_WRITER, NULL, &r);
	if (rc == -EEXIST)
		return 1;
	if (rc != 0)
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
	CHILD_CHECK(rc == 0);
	uint8_t msg[16];
	tr_fill(msg, sizeof(msg), 1, 1);
	CHILD_CHECK(shmring_send(r, msg, sizeof(msg), SHMRING_NOWAIT) == 0);
	shmring_close(r);
	return 0;
}

Test(lifecycle, racing_creators_exactly_one_wins_the_others_get_eexist)
{
	/* The window a loser can fall into is a few microseconds wide: race
	 * often enough to go through it. */
	enum { ROUNDS = 60, RACERS = 6 };
	for (int round = 0; round < ROUNDS; round++) {
		int32_t key;
		struct anchor_id aid;
		struct race_args a = {.path = free_anchor(&key, &aid)};
		pid_t pid[RACERS];
		racers_fork(&a, race_to_create, RACERS, pid);
		racers_go(&a);
		int winners, losers;
		racers_tally(pid, RACERS, &winners, &losers);
		track_key(key);
		cr_assert_eq(winners, 1, "round %d: exactly one creator wins (%d won, %d lost)",
			     round, winners, losers);
		cr_assert_eq(losers, RACERS - 1, "round %d: every other one gets -EEXIST", round);
		struct shmring *r;
		cr_assert_eq(shmring_open(a.path, 0, NULL, &r), 0);
		struct shmring_stats s = stats_of(r);
		cr_assert_eq(s.sent, 1, "the winner's ring is the one that stayed");
		cr_assert_eq(s.writers, 0);
		cr_assert_eq(shmring_destroy(r), 0);
	}
}

/* Exits 0 when it reclaimed and created the ring (and it is still the
 * ring under the key once every racer is done), 1 when it lost. */
static int race_to_reclaim(void *arg)
{
	const struct race_args *a = arg;
	CHILD_CHECK(racer_await_gun(a));
	struct shmring *r;
	int rc = shmring_create(a->path, SHMRING_WRITER | SHMRING_RECLAIM, NULL, &r);
	/* A loser sees the winner's ring (-EEXIST), the stale one still
	 * mapped by another racer's look at it (-EBUSY), or stale remains
	 * again after its own reclaim (-ESTALE). */
	if (rc == -EEXIST || rc == -EBUSY || rc == -ESTALE)
		return 1;
	if (rc != 0)
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
	CHILD_CHECK(rc == 0);
	uint8_t msg[16];
	tr_fill(msg, sizeof(msg), 1, 1);
	CHILD_CHECK(shmring_send(r, msg, sizeof(msg), SHMRING_NOWAIT) == 0);
	shmring_close(r);
	return 0;
}

Test(lifecycle, racing_reclaimers_at_most_one_wins_and_no_new_ring_is_removed)
{
	/* Reclaim looks at the stale remains, then removes what is under the
	 * key: a racer that reclaimed first and made its new ring meanwhile
	 * must not lose it to the second racer's removal. */
	enum { ROUNDS = 25, RACERS = 6 };
	int won_rounds = 0;
	for (int round = 0; round < ROUNDS; round++) {
		int32_t key;
		int shmid, semid;
		struct race_args a = {.path = make_dead_creator_ring(1, &key, &shmid, &semid)};
		pid_t pid[RACERS];
		racers_fork(&a, race_to_reclaim, RACERS, pid);
		racers_go(&a);
		int winners, losers;
		racers_tally(pid, RACERS, &winners, &losers);
		track_key(key);
		cr_assert_eq(winners + losers, RACERS, "round %d: a racer failed", round);
		cr_assert_leq(winners, 1,
			      "round %d: %d racers each made a ring: a new ring was removed by a "
			      "racer that reclaimed after it",
			      round, winners);
		if (winners == 0)
			continue;
		won_rounds++;
		struct shmring *r;
		cr_assert_eq(shmring_open(a.path, 0, NULL, &r), 0, "round %d", round);
		cr_assert_eq(stats_of(r).sent, 1, "round %d: the winner's ring stayed", round);
		cr_assert_eq(shmring_destroy(r), 0);
	}
	cr_assert_gt(won_rounds, 0, "some round had a winner");
}

/* ---------------------------------------------------------------------- */
/* Opening what is not there, or not this anchor's                        */

Test(lifecycle, open_of_a_missing_anchor_is_enoent_and_makes_no_file)
{
	const char *path = tr_new_anchor();
	cr_assert_eq(open_rc(path, SHMRING_READER, NULL), -ENOENT);
	cr_assert_eq(open_rc(path, 0, NULL), -ENOENT);
	cr_assert_eq(access(path, F_OK), -1, "open never creates the anchor");
	int32_t key;
	cr_assert_eq(shmring_key(path, &key), -ENOENT);
	cr_assert_eq(shmring_remove(path), -ENOENT);
}

Test(lifecycle, open_of_an_anchor_without_a_ring_is_enoent)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	double t0 = tr_now_ms();
	cr_assert_eq(open_rc(path, SHMRING_READER | SHMRING_WRITER, NULL), -ENOENT);
	cr_assert_lt(tr_now_ms() - t0, 1000, "nothing to wait for");
	struct shmring *r = NULL;
	cr_assert_eq(shmring_open_key(key, SHMRING_READER, NULL, &r), -ENOENT);
	cr_assert_eq(shmring_remove(path), -ENOENT);
	cr_assert_eq(shmring_remove_key(key), -ENOENT);
	cr_assert(key_unused(key), "open and remove made nothing");
}

Test(lifecycle, open_with_unknown_flags_is_einval)
{
	const char *path;
	struct shmring *r = create_tracked(0, NULL, &path);
	struct shmring_stats st = stats_of(r);
	shmring_close(r);
	const unsigned known = SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE;
	for (unsigned bit = 1; bit; bit <<= 1) {
		if (bit & known)
			continue;
		const unsigned tries[] = {bit, SHMRING_READER | bit};
		for (int t = 0; t < 2; t++) {
			struct shmring *h = NULL;
			int rc = shmring_open(path, tries[t], NULL, &h);
			if (rc == 0)
				shmring_close(h);
			cr_assert_eq(rc, -EINVAL, "flags %#x: %s", tries[t], shmring_strerror(rc));
			cr_assert_null(h);
		}
	}
	cr_assert_eq(semctl(st.semid, SEM_READERS, GETVAL), 0, "no refused open left a role");
}

Test(lifecycle, ring_of_another_anchor_under_the_same_key_is_enotuniq)
{
	/* The ftok collision: a ring made by key (or by another anchor) sits
	 * under the key anchor B computes to. */
	int32_t key;
	struct anchor_id aid;
	const char *b = free_anchor(&key, &aid);
	struct shmring *r;
	int rc = shmring_create_key(key, SHMRING_WRITER, NULL, &r);
	cr_assert_eq(rc, 0, "create_key: %s", shmring_strerror(rc));
	tr_track_ring(r);
	uint8_t msg[24];
	tr_fill(msg, sizeof(msg), 2, 2);
	cr_assert_eq(shmring_send(r, msg, sizeof(msg), SHMRING_NOWAIT), 0);

	cr_assert_eq(open_rc(b, SHMRING_READER, NULL), -ENOTUNIQ);
	cr_assert_eq(open_rc(b, 0, NULL), -ENOTUNIQ);
	cr_assert_eq(shmring_remove(b), -ENOTUNIQ, "never remove another anchor's ring");
	struct shmring *again = NULL;
	cr_assert_eq(shmring_create(b, 0, NULL, &again), -ENOTUNIQ);
	cr_assert_eq(shmring_create(b, SHMRING_RECLAIM, NULL, &again), -ENOTUNIQ,
		     "never reclaim another anchor's ring");
	cr_assert_null(again);
	cr_assert_eq(access(b, F_OK), 0, "a failed create keeps the anchor it did not make");

	struct shmring *byk;
	cr_assert_eq(shmring_open_key(key, SHMRING_READER, NULL, &byk), 0, "by key it is fine");
	uint8_t buf[64];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(byk, buf, &len, SHMRING_NOWAIT), 1, "the ring survived intact");
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	shmring_close(byk);
	shmring_close(r);
}

/* ---------------------------------------------------------------------- */
/* Half-created rings                                                     */

Test(lifecycle, unready_ring_of_a_live_creator_times_out_on_open_and_is_kept)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	int shmid = shmring__create_unready(key, NULL, &aid, path, 1);
	cr_assert_geq(shmid, 0, "create_unready: %s", shmring_strerror(shmid));
	int semid = semget(key, 0, 0);
	tr_track(shmid, semid);
	cr_assert_geq(semid, 0);

	struct shmring_options opt = {.ready_timeout_ms = 300};
	double t0 = tr_now_ms();
	cr_assert_eq(open_rc(path, SHMRING_READER, &opt), -ETIMEDOUT);
	double waited = tr_now_ms() - t0;
	cr_assert(waited >= 280 && waited < 3000, "waited %.0f ms for a 300 ms ready timeout",
		  waited);

	struct shmring_options nowait = {.ready_timeout_ms = -1};
	t0 = tr_now_ms();
	cr_assert_eq(open_rc(path, SHMRING_READER, &nowait), -ETIMEDOUT);
	cr_assert_lt(tr_now_ms() - t0, 1000, "a negative ready timeout does not wait");

	/* Its creator is alive: it is not stale, nothing may take it away. */
	int attached;
	cr_assert_eq(shmring__classify(key, &attached), RING_CREATING);
	struct shmring *r = NULL;
	cr_assert_eq(shmring_create(path, 0, NULL, &r), -EEXIST);
	cr_assert_eq(shmring_create(path, SHMRING_RECLAIM, NULL, &r), -EEXIST);
	cr_assert_eq(shmring_remove(path), -EBUSY);
	cr_assert_eq(shm_stat_errno(shmid), 0, "segment kept");
	cr_assert_eq(sem_stat_errno(semid), 0, "semaphores kept");

	/* And once marked ready it opens. */
	cr_assert_eq(shmring__create_mark_ready(shmid), 0);
	assert_ring_works(path);
}

static void check_dead_creator(int with_semaphores)
{
	int32_t key;
	int shmid, semid;
	const char *path = make_dead_creator_ring(with_semaphores, &key, &shmid, &semid);

	int attached;
	cr_assert_eq(shmring__classify(key, &attached), RING_STALE);
	cr_assert_eq(attached, 0);
	cr_assert_eq(open_rc(path, SHMRING_READER, &quick), -ESTALE);
	cr_assert_eq(open_rc(path, 0, &quick), -ESTALE);
	struct shmring *r = NULL;
	cr_assert_eq(shmring_create(path, SHMRING_WRITER, NULL, &r), -ESTALE);
	cr_assert_null(r);
	cr_assert_eq(shm_stat_errno(shmid), 0, "without RECLAIM the remains stay");

	int rc = shmring_create(path, SHMRING_WRITER | SHMRING_RECLAIM, NULL, &r);
	cr_assert_eq(rc, 0, "reclaim: %s", shmring_strerror(rc));
	tr_track_ring(r);
	struct shmring_stats st = stats_of(r);
	cr_assert_neq(st.shmid, shmid, "a new segment");
	cr_assert(removed_errno(shm_stat_errno(shmid)), "the stale segment is gone");
	if (with_semaphores)
		cr_assert(removed_errno(sem_stat_errno(semid)), "the stale semaphores are gone");
	cr_assert_eq(st.creator_pid, getpid());
	shmring_close(r);
	assert_ring_works(path);
}

Test(lifecycle, creator_died_before_ready_is_estale_and_reclaim_replaces_it)
{
	check_dead_creator(1);
}

Test(lifecycle, creator_died_before_making_semaphores_is_estale_and_reclaim_replaces_it)
{
	check_dead_creator(0);
}

Test(lifecycle, semaphores_without_segment_are_estale_and_reclaim_replaces_them)
{
	const char *path;
	struct shmring *r = tr_create(0, 0, 0, &path);
	struct shmring_stats st = stats_of(r);
	shmring_close(r);
	cr_assert_eq(shmctl(st.shmid, IPC_RMID, NULL), 0);

	cr_assert_eq(open_rc(path, SHMRING_READER, &quick), -ESTALE);
	cr_assert_eq(open_rc(path, 0, &quick), -ESTALE);
	struct shmring *again = NULL;
	cr_assert_eq(shmring_open_key(st.key, SHMRING_WRITER, &quick, &again), -ESTALE);
	cr_assert_eq(shmring_create(path, 0, NULL, &again), -ESTALE);
	cr_assert_eq(sem_stat_errno(st.semid), 0, "without RECLAIM the set stays");
	cr_assert_lt(shmget(st.key, 0, 0), 0, "the failed create left no segment");

	int rc = shmring_create(path, SHMRING_RECLAIM, NULL, &again);
	cr_assert_eq(rc, 0, "reclaim: %s", shmring_strerror(rc));
	tr_track_ring(again);
	cr_assert(removed_errno(sem_stat_errno(st.semid)), "the orphaned set is gone");
	cr_assert_neq(stats_of(again).semid, st.semid);
	shmring_close(again);
	assert_ring_works(path);
}

Test(lifecycle, segment_without_semaphores_is_estale_and_reclaim_replaces_it)
{
	const char *path;
	struct shmring *r = tr_create(0, 0, 0, &path);
	struct shmring_stats st = stats_of(r);
	shmring_close(r);
	union semun arg = {.val = 0};
	cr_assert_eq(semctl(st.semid, 0, IPC_RMID, arg), 0);

	cr_assert_eq(open_rc(path, SHMRING_READER, &quick), -ESTALE);
	cr_assert_eq(open_rc(path, SHMRING_WRITER | SHMRING_EXCLUSIVE, &quick), -ESTALE);
	cr_assert_eq(open_rc(path, 0, &quick), -ESTALE);
	struct shmring *again = NULL;
	cr_assert_eq(shmring_create(path, 0, NULL, &again), -ESTALE);
	cr_assert_eq(shm_stat_errno(st.shmid), 0, "without RECLAIM the segment stays");
	cr_assert_lt(semget(st.key, 0, 0), 0, "the failed create left no semaphore set");

	int rc = shmring_create(path, SHMRING_RECLAIM, NULL, &again);
	cr_assert_eq(rc, 0, "reclaim: %s", shmring_strerror(rc));
	tr_track_ring(again);
	cr_assert(removed_errno(shm_stat_errno(st.shmid)), "the orphaned segment is gone");
	shmring_close(again);
	assert_ring_works(path);
}

Test(lifecycle, reclaim_refuses_ebusy_while_a_process_maps_the_stale_segment)
{
	int32_t key;
	int shmid, semid;
	const char *path = make_dead_creator_ring(1, &key, &shmid, &semid);
	void *p = shmat(shmid, NULL, SHM_RDONLY);
	cr_assert_neq(p, (void *)-1);

	struct shmring *r = NULL;
	cr_assert_eq(shmring_create(path, SHMRING_RECLAIM, NULL, &r), -EBUSY);
	cr_assert_null(r);
	cr_assert_eq(shm_stat_errno(shmid), 0, "segment kept while attached");
	cr_assert_eq(sem_stat_errno(semid), 0, "semaphores kept while attached");

	shmdt(p);
	int rc = shmring_create(path, SHMRING_RECLAIM, NULL, &r);
	cr_assert_eq(rc, 0, "reclaim once detached: %s", shmring_strerror(rc));
	tr_track_ring(r);
	cr_assert(removed_errno(shm_stat_errno(shmid)));
	shmring_close(r);
}

Test(lifecycle, reclaim_refuses_ebusy_while_a_role_holds_orphaned_semaphores)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring_stats st = stats_of(admin);
	shmring_close(admin);
	struct shmring *reader;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &reader), 0);
	/* Marked for removal, gone from the key, mapped until the reader
	 * closes: the set is orphaned but a reader still counts on it. */
	cr_assert_eq(shmctl(st.shmid, IPC_RMID, NULL), 0);

	struct shmring *r = NULL;
	cr_assert_eq(shmring_create(path, SHMRING_RECLAIM, NULL, &r), -EBUSY);
	cr_assert_eq(sem_stat_errno(st.semid), 0, "the set is kept while a role is held");

	shmring_close(reader);
	int rc = shmring_create(path, SHMRING_RECLAIM, NULL, &r);
	cr_assert_eq(rc, 0, "reclaim once the reader left: %s", shmring_strerror(rc));
	tr_track_ring(r);
	cr_assert(removed_errno(sem_stat_errno(st.semid)));
	shmring_close(r);
}

Test(lifecycle, reclaim_never_removes_a_foreign_segment)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	const char *bytes = "somebody else's data";
	int shmid = make_foreign_segment(key, 8192, bytes);

	struct shmring *r = NULL;
	cr_assert_eq(shmring_create(path, 0, NULL, &r), -EEXIST);
	cr_assert_eq(shmring_create(path, SHMRING_RECLAIM, NULL, &r), -EEXIST);
	cr_assert_eq(shmring_create_key(key, SHMRING_RECLAIM, NULL, &r), -EEXIST);
	cr_assert_null(r);
	assert_foreign_segment_intact(shmid, bytes);
	cr_assert_lt(semget(key, 0, 0), 0, "no semaphore set was made beside it");
	cr_assert_eq(open_rc(path, SHMRING_READER, &quick), -EMEDIUMTYPE);
}

/* A semaphore set under @key that is not ours: our size, other values. */
static int make_foreign_set(int32_t key, unsigned short *vals)
{
	int semid = semget(key, SEM_COUNT, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert_geq(semid, 0, "semget: %s", strerror(errno));
	tr_track(-1, semid);
	for (int i = 0; i < SEM_COUNT; i++)
		vals[i] = (unsigned short)(SEM_COUNT - i);
	union semun arg = {.array = vals};
	cr_assert_eq(semctl(semid, 0, SETALL, arg), 0);
	return semid;
}

static void assert_foreign_set_intact(int semid, const unsigned short *vals)
{
	unsigned short now[SEM_COUNT];
	union semun arg = {.array = now};
	cr_assert_eq(semctl(semid, 0, GETALL, arg), 0, "the foreign set survives");
	cr_assert_arr_eq(now, vals, sizeof(now), "its values are untouched");
}

Test(lifecycle, reclaim_never_removes_a_foreign_semaphore_set)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	unsigned short vals[SEM_COUNT];
	int semid = make_foreign_set(key, vals);

	struct shmring *r = NULL;
	int rc = shmring_create(path, SHMRING_RECLAIM, NULL, &r);
	if (rc == 0)
		tr_track_ring(r);
	int leftover = shmget(key, 0, 0);
	if (leftover >= 0)
		tr_track(leftover, -1);
	cr_assert_eq(rc, -EEXIST, "create: %s", shmring_strerror(rc));
	cr_assert_lt(leftover, 0, "the failed create left no segment");
	assert_foreign_set_intact(semid, vals);
	cr_assert_eq(open_rc(path, SHMRING_READER, &quick), -ENOENT, "no ring there to open");
}

Test(lifecycle, remove_of_a_foreign_semaphore_set_is_emediumtype_and_it_survives)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	unsigned short vals[SEM_COUNT];
	int semid = make_foreign_set(key, vals);
	int rc = shmring_remove(path);
	cr_assert_eq(rc, -EMEDIUMTYPE, "remove by path gave %d (%s)", rc, shmring_strerror(rc));
	rc = shmring_remove_key(key);
	cr_assert_eq(rc, -EMEDIUMTYPE, "remove by key gave %d (%s)", rc, shmring_strerror(rc));
	assert_foreign_set_intact(semid, vals);
}

struct opener_args {
	const char *path;
	uint32_t who;
};

/* Open while the creator is still at work, send one message, take one:
 * exits 10 + the sender of the message it got. */
static int open_and_exchange(void *arg)
{
	const struct opener_args *a = arg;
	struct shmring_options opt = {.ready_timeout_ms = 5000};
	struct shmring *r;
	int rc = shmring_open(a->path, SHMRING_READER | SHMRING_WRITER, &opt, &r);
	if (rc != 0)
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
	CHILD_CHECK(rc == 0);
	uint8_t buf[64];
	tr_fill(buf, 40, a->who, 0);
	CHILD_CHECK(shmring_send(r, buf, 40, 10000) == 0);
	size_t len = sizeof(buf);
	CHILD_CHECK(shmring_recv(r, buf, &len, 10000) == 1);
	uint32_t who, seq;
	CHILD_CHECK(len == 40 && tr_check(buf, len, &who, &seq));
	CHILD_CHECK(who < 8 && seq == 0);
	shmring_close(r);
	return 10 + (int)who;
}

Test(lifecycle, many_openers_wait_for_a_slow_creator_and_all_exchange)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	struct shmring_options copt = {.capacity = 8192, .max_msg = 256};
	int shmid = shmring__create_unready(key, &copt, &aid, path, 1);
	cr_assert_geq(shmid, 0, "create_unready: %s", shmring_strerror(shmid));
	tr_track(shmid, semget(key, 0, 0));

	enum { OPENERS = 8 };
	struct opener_args args[OPENERS];
	pid_t pid[OPENERS];
	for (uint32_t i = 0; i < OPENERS; i++) {
		args[i] = (struct opener_args){path, i};
		pid[i] = tr_fork(open_and_exchange, &args[i], 30);
	}
	usleep(200 * 1000);
	for (int i = 0; i < OPENERS; i++)
		cr_assert(still_running(pid[i]), "opener %d gave up before the ring was ready", i);
	cr_assert_eq(shmring__create_mark_ready(shmid), 0);

	bool got[OPENERS] = {false};
	for (int i = 0; i < OPENERS; i++) {
		int status = tr_wait(pid[i]);
		cr_assert(status >= 10 && status < 10 + OPENERS, "opener %d failed (%d)", i,
			  status);
		cr_assert_not(got[status - 10], "message of opener %d delivered twice",
			      status - 10);
		got[status - 10] = true;
	}
	struct shmring *r;
	cr_assert_eq(shmring_open(path, 0, NULL, &r), 0);
	struct shmring_stats s = stats_of(r);
	cr_assert_eq(s.sent, OPENERS);
	cr_assert_eq(s.received, OPENERS);
	cr_assert_eq(s.readers + s.writers, 0, "every opener left");
	shmring_close(r);
}

/* Open as soon as the key names anything: exits 0 when the open worked,
 * 2 when the ring never appeared, else 3 (with the code on stderr). */
static int open_as_soon_as_it_appears(void *arg)
{
	const struct race_args *a = arg;
	CHILD_CHECK(racer_await_gun(a));
	struct shmring_options opt = {.ready_timeout_ms = 5000};
	double end = tr_now_ms() + 5000;
	int rc;
	struct shmring *r;
	while ((rc = shmring_open(a->path, SHMRING_READER, &opt, &r)) == -ENOENT)
		if (tr_now_ms() > end)
			return 2;
	if (rc != 0) {
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
		return 3;
	}
	shmring_close(r);
	return 0;
}

Test(lifecycle, openers_racing_a_real_creator_never_see_a_half_made_ring)
{
	/* The openers are already knocking when shmring_create() starts: each
	 * meets the ring at whatever step the creator is at (no segment yet,
	 * a zero segment, a set not yet initialised, no ready mark) and must
	 * either see nothing yet (-ENOENT, and try again) or open it. */
	enum { ROUNDS = 30, OPENERS = 4 };
	for (int round = 0; round < ROUNDS; round++) {
		int32_t key;
		struct anchor_id aid;
		struct race_args a = {.path = free_anchor(&key, &aid)};
		pid_t pid[OPENERS];
		racers_fork(&a, open_as_soon_as_it_appears, OPENERS, pid);
		racers_go(&a);
		usleep((useconds_t)(round % 5) * 100);
		struct shmring *r;
		int rc = shmring_create(a.path, 0, NULL, &r);
		cr_assert_eq(rc, 0, "round %d: create: %s", round, shmring_strerror(rc));
		tr_track_ring(r);
		for (int i = 0; i < OPENERS; i++) {
			int status = tr_wait(pid[i]);
			cr_assert_eq(status, 0, "round %d: opener %d %s", round, i,
				     status == 2 ? "never saw the ring" : "got an error");
		}
		cr_assert_eq(shmring_destroy(r), 0);
	}
}

/* ---------------------------------------------------------------------- */
/* Destroying and removing                                                */

struct blocked_args {
	const char *path;
	int report; /* pipe: the child writes the time its call returned */
	bool writer; /* lock_wait_until_destroyed: which side */
};

static int recv_until_destroyed(void *arg)
{
	struct blocked_args *a = arg;
	struct shmring *r;
	CHILD_CHECK(shmring_open(a->path, SHMRING_READER, NULL, &r) == 0);
	uint8_t buf[64];
	size_t len = sizeof(buf);
	int rc = shmring_recv(r, buf, &len, SHMRING_FOREVER);
	double t = tr_now_ms();
	CHILD_CHECK(write(a->report, &t, sizeof(t)) == sizeof(t));
	if (rc != -EIDRM)
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
	CHILD_CHECK(rc == -EIDRM);
	shmring_close(r);
	return 0;
}

static int send_until_destroyed(void *arg)
{
	struct blocked_args *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, SHMRING_WRITER, NULL, &w) == 0);
	uint8_t buf[500] = {0};
	int sent = 0, rc;
	while ((rc = shmring_send(w, buf, sizeof(buf), SHMRING_NOWAIT)) == 0)
		sent++;
	CHILD_CHECK(rc == -EAGAIN && sent > 0);
	rc = shmring_send(w, buf, sizeof(buf), SHMRING_FOREVER);
	double t = tr_now_ms();
	CHILD_CHECK(write(a->report, &t, sizeof(t)) == sizeof(t));
	if (rc != -EIDRM)
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
	CHILD_CHECK(rc == -EIDRM);
	shmring_close(w);
	return 0;
}

/* Fork @fn, wait until it sleeps (its side's flag), destroy the ring and
 * return how long the child took to come back. */
static double destroy_under_sleeper(int (*fn)(void *), bool writer_side)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 500, &path);
	struct shmring_stats st = stats_of(admin);
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	struct blocked_args a = {path, fds[1], false};
	pid_t pid = tr_fork(fn, &a, 20);
	close(fds[1]);

	const struct layout_header *h = watch_header(st.shmid);
	const uint32_t *flag = writer_side ? &h->prod_wait.sleeping : &h->cons_wait.sleeping;
	cr_assert(wait_flag(flag, 5000), "the child never went to sleep");
	usleep(50 * 1000); /* from the flag into semop */
	cr_assert(still_running(pid), "the child returned before the destroy");

	double t0 = tr_now_ms();
	cr_assert_eq(shmring_destroy(admin), 0);
	struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "the blocked call never returned");
	double t1;
	cr_assert_eq(read(fds[0], &t1, sizeof(t1)), (ssize_t)sizeof(t1));
	close(fds[0]);
	cr_assert_eq(tr_wait(pid), 0, "the blocked call must return -EIDRM");
	shmdt(h);
	cr_assert(removed_errno(shm_stat_errno(st.shmid)), "segment gone once all detached");
	cr_assert(removed_errno(sem_stat_errno(st.semid)), "semaphores gone");
	return t1 - t0;
}

Test(lifecycle, destroy_wakes_a_reader_blocked_in_recv_with_eidrm)
{
	double took = destroy_under_sleeper(recv_until_destroyed, false);
	cr_assert_lt(took, 1000, "the reader came back %.0f ms after destroy", took);
}

Test(lifecycle, destroy_wakes_a_writer_blocked_in_send_on_a_full_ring_with_eidrm)
{
	double took = destroy_under_sleeper(send_until_destroyed, true);
	cr_assert_lt(took, 1000, "the writer came back %.0f ms after destroy", took);
}

/* Block on a side's lock (held by the parent's peek or reservation), in a
 * timed call much longer than the test waits: it must end with -EIDRM. */
static int lock_wait_until_destroyed(void *arg)
{
	const struct blocked_args *a = arg;
	bool writer = a->writer;
	struct shmring *h;
	CHILD_CHECK(shmring_open(a->path, writer ? SHMRING_WRITER : SHMRING_READER, NULL, &h) == 0);
	uint8_t buf[64] = {0};
	size_t len = sizeof(buf);
	int rc =
	    writer ? shmring_send(h, buf, sizeof(buf), 15000) : shmring_recv(h, buf, &len, 15000);
	double t = tr_now_ms();
	CHILD_CHECK(write(a->report, &t, sizeof(t)) == sizeof(t));
	if (rc != -EIDRM)
		tr_child_fail(__FILE__, __LINE__, shmring_strerror(rc));
	CHILD_CHECK(rc == -EIDRM);
	shmring_close(h);
	return 0;
}

static void destroy_under_lock_waiter(bool writer)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 500, &path);
	struct shmring *holder;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_WRITER, NULL, &holder), 0);
	void *slot;
	const void *msg;
	size_t len;
	if (writer) {
		cr_assert_eq(shmring_reserve(holder, 100, &slot, SHMRING_NOWAIT), 0);
	} else {
		uint8_t m[16] = "held";
		cr_assert_eq(shmring_send(holder, m, sizeof(m), SHMRING_NOWAIT), 0);
		cr_assert_eq(shmring_peek(holder, &msg, &len, SHMRING_NOWAIT), 1);
	}
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	struct blocked_args a = {path, fds[1], writer};
	pid_t pid = tr_fork(lock_wait_until_destroyed, &a, 20);
	close(fds[1]);
	usleep(300 * 1000); /* opened, and asleep on the lock */
	cr_assert(still_running(pid), "the child returned before the destroy");

	double t0 = tr_now_ms();
	cr_assert_eq(shmring_destroy(admin), 0);
	struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 5000), 1, "the blocked call never returned");
	double t1;
	cr_assert_eq(read(fds[0], &t1, sizeof(t1)), (ssize_t)sizeof(t1));
	close(fds[0]);
	cr_assert_eq(tr_wait(pid), 0, "the call blocked on the lock must return -EIDRM");
	cr_assert_lt(t1 - t0, 1000, "it came back %.0f ms after destroy", t1 - t0);
	if (writer)
		cr_assert_eq(shmring_commit(holder, 100), -EIDRM, "the holder hears of it too");
	else
		cr_assert_eq(shmring_release(holder), 0);
	shmring_close(holder);
}

Test(lifecycle, destroy_wakes_a_reader_blocked_on_the_readers_lock_with_eidrm)
{
	destroy_under_lock_waiter(false);
}

Test(lifecycle, destroy_wakes_a_writer_blocked_on_the_writers_lock_with_eidrm)
{
	destroy_under_lock_waiter(true);
}

Test(lifecycle, after_destroy_open_is_enoent_and_neither_object_exists)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring_stats st = stats_of(admin);
	struct shmring *w;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER, NULL, &w), 0);

	cr_assert_eq(shmring_destroy(admin), 0);
	cr_assert_eq(open_rc(path, SHMRING_READER, NULL), -ENOENT);
	cr_assert(key_unused(st.key), "the key names nothing any more");
	cr_assert(removed_errno(sem_stat_errno(st.semid)), "semaphore set removed");

	/* A handle still open elsewhere sees a removed ring, cleanly. */
	uint8_t msg[8] = "gone";
	struct shmring_stats s2;
	cr_assert_eq(shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT), -EIDRM);
	cr_assert_eq(shmring_send(w, msg, sizeof(msg), 1000), -EIDRM);
	cr_assert_eq(shmring_stats(w, &s2), -EIDRM);
	shmring_close(w);

	cr_assert(removed_errno(shm_stat_errno(st.shmid)), "segment removed after the last detach");
	cr_assert_eq(shmring_remove(path), -ENOENT);
}

Test(lifecycle, remove_by_path_takes_segment_and_semaphores)
{
	const char *path;
	struct shmring *r = tr_create(0, 0, 0, &path);
	struct shmring_stats st = stats_of(r);
	shmring_close(r);
	cr_assert_eq(shmring_remove(path), 0);
	cr_assert(removed_errno(shm_stat_errno(st.shmid)));
	cr_assert(removed_errno(sem_stat_errno(st.semid)));
	cr_assert_eq(open_rc(path, 0, NULL), -ENOENT);
	cr_assert_eq(shmring_remove(path), -ENOENT);
	cr_assert_eq(access(path, F_OK), 0, "the anchor file is the user's: it stays");
}

Test(lifecycle, remove_by_key_takes_segment_and_semaphores)
{
	struct shmring *r = tr_create(0, 0, 0, NULL);
	struct shmring_stats st = stats_of(r);
	shmring_close(r);
	cr_assert_eq(shmring_remove_key(st.key), 0);
	cr_assert(removed_errno(shm_stat_errno(st.shmid)));
	cr_assert(removed_errno(sem_stat_errno(st.semid)));
	cr_assert_eq(shmring_remove_key(st.key), -ENOENT);
	cr_assert_eq(shmring_remove_key(IPC_PRIVATE), -EINVAL);
}

Test(lifecycle, remove_clears_the_remains_of_a_dead_creator)
{
	int32_t key;
	int shmid, semid;
	const char *path = make_dead_creator_ring(1, &key, &shmid, &semid);
	cr_assert_eq(shmring_remove(path), 0);
	cr_assert(removed_errno(shm_stat_errno(shmid)));
	cr_assert(removed_errno(sem_stat_errno(semid)));
	cr_assert(key_unused(key));
}

Test(lifecycle, remove_of_a_foreign_segment_is_emediumtype_and_it_survives)
{
	int32_t key;
	struct anchor_id aid;
	const char *path = free_anchor(&key, &aid);
	const char *bytes = "not a ring at all";
	int shmid = make_foreign_segment(key, 8192, bytes);
	cr_assert_eq(shmring_remove(path), -EMEDIUMTYPE);
	cr_assert_eq(shmring_remove_key(key), -EMEDIUMTYPE);
	assert_foreign_segment_intact(shmid, bytes);

	/* A zero-filled one (what a creator's first instant looks like) is
	 * not ours either. */
	cr_assert_eq(shmctl(shmid, IPC_RMID, NULL), 0);
	shmid = make_foreign_segment(key, 8192, NULL);
	cr_assert_eq(shmring_remove_key(key), -EMEDIUMTYPE);
	cr_assert_eq(shm_stat_errno(shmid), 0, "the zeroed foreign segment survives");
}

/* ---------------------------------------------------------------------- */
/* Exclusive sides and fork                                               */

Test(lifecycle, exclusive_open_of_a_held_side_is_ebusy_within_the_ready_timeout)
{
	const char *path;
	struct shmring *w = tr_create(SHMRING_WRITER | SHMRING_EXCLUSIVE, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &rd), 0);

	struct shmring_options opt = {.ready_timeout_ms = 300};
	const unsigned sides[] = {SHMRING_WRITER, SHMRING_READER};
	for (int i = 0; i < 2; i++) {
		double t0 = tr_now_ms();
		cr_assert_eq(open_rc(path, sides[i] | SHMRING_EXCLUSIVE, &opt), -EBUSY);
		double waited = tr_now_ms() - t0;
		cr_assert(waited >= 280 && waited < 3000, "side %#x: waited %.0f ms for 300 ms",
			  sides[i], waited);
	}
	struct shmring_stats st = stats_of(w);
	cr_assert_eq(st.writers, 1, "the refused writer left no count behind");
	cr_assert_eq(st.readers, 1, "the refused reader left no count behind");

	/* The holders still work, and the side is free once its holder goes. */
	uint8_t msg[16] = "still mine";
	uint8_t buf[16];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_recv(rd, buf, &len, SHMRING_NOWAIT), 1);
	shmring_close(w);
	struct shmring *w2;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | SHMRING_EXCLUSIVE, &opt, &w2), 0);
	shmring_close(w2);
	shmring_close(rd);
}

static int close_inherited(void *arg)
{
	struct shmring *r = *(struct shmring **)arg;
	CHILD_CHECK(shmring_close(r) == 0);
	return 0;
}

static int close_inherited_then_send_own(void *arg)
{
	const struct {
		struct shmring *r;
		const char *path;
	} *a = arg;
	CHILD_CHECK(shmring_close(a->r) == 0);
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, SHMRING_WRITER, NULL, &w) == 0);
	uint8_t msg[20];
	tr_fill(msg, sizeof(msg), 4, 1);
	CHILD_CHECK(shmring_send(w, msg, sizeof(msg), 5000) == 0);
	shmring_close(w);
	return 0;
}

Test(lifecycle, close_in_a_forked_child_leaves_the_parents_roles_and_locks)
{
	const char *path;
	struct shmring *r =
	    tr_create(SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE, 0, 0, &path);
	struct shmring *shared;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_WRITER, NULL, &shared), 0);
	struct shmring_stats before = stats_of(r);
	cr_assert_eq(before.readers, 2);
	cr_assert_eq(before.writers, 2);

	pid_t pid = tr_fork(close_inherited, &r, 10);
	cr_assert_eq(tr_wait(pid), 0);
	pid = tr_fork(close_inherited, &shared, 10);
	cr_assert_eq(tr_wait(pid), 0);

	struct shmring_stats after = stats_of(r);
	cr_assert_eq(after.readers, 2, "a child's close took a parent's reader role");
	cr_assert_eq(after.writers, 2, "a child's close took a parent's writer role");
	cr_assert_eq(after.attached, before.attached, "the child's mappings are gone");
	struct shmring_options opt = {.ready_timeout_ms = 200};
	cr_assert_eq(open_rc(path, SHMRING_WRITER | SHMRING_EXCLUSIVE, &opt), -EBUSY,
		     "the parent still holds the writers' lock");
	cr_assert_eq(open_rc(path, SHMRING_READER | SHMRING_EXCLUSIVE, &opt), -EBUSY,
		     "the parent still holds the readers' lock");

	/* A child may close what it inherited and then work on its own (the
	 * exclusive handle goes first: its locks would keep the child out). */
	shmring_close(r);
	struct {
		struct shmring *r;
		const char *path;
	} a = {shared, path};
	pid = tr_fork(close_inherited_then_send_own, &a, 10);
	uint8_t buf[64];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(shared, buf, &len, 5000), 1);
	uint32_t who, seq;
	cr_assert(tr_check(buf, len, &who, &seq) && who == 4 && seq == 1);
	cr_assert_eq(tr_wait(pid), 0);
	struct shmring_stats last = stats_of(shared);
	cr_assert_eq(last.readers, 1);
	cr_assert_eq(last.writers, 1);
	cr_assert_eq(shmring_send(shared, buf, len, SHMRING_NOWAIT), 0,
		     "the parent's writer works");
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(shared, buf, &len, SHMRING_NOWAIT), 1,
		     "the parent's reader works");
	shmring_close(shared);
}

/* ---------------------------------------------------------------------- */
/* Listing                                                                */

struct listing {
	int want[2];
	int found[2];
	struct shmring_stats st[2];
	int foreign_shmid;
	int unready_shmid;
	int foreign_seen;
	int calls;
};

static int note_ring(const struct shmring_stats *st, void *arg)
{
	struct listing *l = arg;
	l->calls++;
	for (int i = 0; i < 2; i++)
		if (st->shmid == l->want[i]) {
			l->found[i]++;
			l->st[i] = *st;
		}
	if (st->shmid == l->foreign_shmid || st->shmid == l->unready_shmid)
		l->foreign_seen++;
	return 0;
}

static int stop_at_first(const struct shmring_stats *st, void *arg)
{
	(void)st;
	++*(int *)arg;
	return 42;
}

Test(lifecycle, list_finds_rings_by_shmid_even_with_the_anchor_gone_and_skips_others)
{
	const char *p0, *p1;
	struct shmring *r0 = tr_create(0, 4096, 0, &p0);
	struct shmring *r1 = tr_create(0, 8192, 0, &p1);
	char *real1 = realpath(p1, NULL);
	cr_assert_not_null(real1);
	cr_assert_eq(unlink(p1), 0);

	/* A foreign segment big enough to be looked at, and a ring whose
	 * creator has not finished. */
	int32_t key;
	struct anchor_id aid;
	const char *pf = free_anchor(&key, &aid);
	int foreign = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	cr_assert_geq(foreign, 0);
	tr_track(foreign, -1);
	int unready = shmring__create_unready(key, NULL, &aid, pf, 1);
	cr_assert_geq(unready, 0);
	tr_track(unready, semget(key, 0, 0));

	/* Nobody has the anchorless ring open: it lives on in the kernel. */
	int shmid1 = stats_of(r1).shmid;
	shmring_close(r1);
	struct listing l = {.want = {stats_of(r0).shmid, shmid1},
			    .foreign_shmid = foreign,
			    .unready_shmid = unready};
	cr_assert_eq(shmring_list(note_ring, &l), 0);
	cr_assert_eq(l.found[0], 1, "the ring is listed once");
	cr_assert_eq(l.found[1], 1, "the ring without anchor file is listed once");
	cr_assert_eq(l.foreign_seen, 0, "neither a foreign segment nor an unready ring is listed");
	cr_assert_eq(l.st[0].capacity, 4096);
	cr_assert_eq(l.st[1].capacity, 8192);
	cr_assert_eq(l.st[0].key, stats_of(r0).key);
	cr_assert_str_eq(l.st[1].anchor, real1, "the anchor path at creation is shown");
	free(real1);

	int calls = 0;
	cr_assert_eq(shmring_list(stop_at_first, &calls), 42, "a non-zero return stops the walk");
	cr_assert_eq(calls, 1);
	cr_assert_eq(shmring_list(NULL, NULL), -EINVAL);
	shmring_close(r0);
}
