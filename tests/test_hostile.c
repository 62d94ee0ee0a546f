/* Hostile segment contents: a real ring whose shared bytes another process
 * (or the test, through its own shmat) has overwritten. Every open, send,
 * receive and peek must end in a clean error code: never a crash, a hang,
 * or a read outside the segment (the suite also runs under ASan). The byte
 * offsets are those of layout.h, reached through struct layout_header. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handle.h"
#include "layout.h"
#include "support.h"

TestSuite(hostile, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

#define CAPACITY 4096u
#define MAX_MSG 1000u

/* A short ready timeout: a corrupt ring must not be waited for long. */
static const struct shmring_options quick = {.ready_timeout_ms = 200};

/* A real ring, with our own read-write mapping of its segment. */
struct victim {
	struct shmring *admin; /* no roles: keeps the ring's stats at hand */
	const char *path;
	int32_t key;
	int shmid;
	int semid;
	uint64_t segsz;
	struct layout_header *hdr;
	uint8_t *data;
	struct layout_identity id; /* as the creator wrote it */
};

static void victim_make(struct victim *v)
{
	v->admin = tr_create(0, CAPACITY, MAX_MSG, &v->path);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(v->admin, &st), 0);
	v->key = st.key;
	v->shmid = st.shmid;
	v->semid = st.semid;
	v->segsz = st.segment_size;
	v->hdr = shmat(v->shmid, NULL, 0);
	cr_assert_neq(v->hdr, (void *)-1, "shmat: %s", strerror(errno));
	v->id = v->hdr->id;
	cr_assert_eq(v->id.magic, LAYOUT_MAGIC);
	cr_assert_eq(v->id.capacity, CAPACITY);
	v->data = (uint8_t *)v->hdr + v->id.data_offset;
}

static void victim_done(struct victim *v)
{
	shmdt(v->hdr);
	shmring_close(v->admin);
}

static void restore_identity(struct victim *v)
{
	v->hdr->id = v->id;
}

/* The result of an open that must fail; a handle that was opened after all
 * is closed again (and the assertion then reports it). */
static int open_rc(const char *path, unsigned flags)
{
	struct shmring *r = NULL;
	int rc = shmring_open(path, flags, &quick, &r);
	if (rc == 0)
		shmring_close(r);
	else
		cr_assert_null(r, "a failed open hands out no handle");
	return rc;
}

static void expect_open(struct victim *v, int err, const char *what)
{
	const unsigned flags[] = {0, SHMRING_READER, SHMRING_WRITER,
				  SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int rc = open_rc(v->path, flags[i]);
		cr_assert_eq(rc, err, "%s, flags %#x: open gave %d (%s), want %s", what, flags[i],
			     rc, shmring_strerror(rc), shmring_strerror(err));
	}
	struct shmring *r = NULL;
	int rc = shmring_open_id(v->shmid, SHMRING_READER, &quick, &r);
	if (rc == 0)
		shmring_close(r);
	cr_assert_eq(rc, err, "%s: open_id gave %s", what, shmring_strerror(rc));
	rc = shmring_open_key(v->key, SHMRING_WRITER, &quick, &r);
	if (rc == 0)
		shmring_close(r);
	cr_assert_eq(rc, err, "%s: open_key gave %s", what, shmring_strerror(rc));

	/* No open, refused or closed again, leaves a role counted. */
	cr_assert_eq(semctl(v->semid, SEM_READERS, GETVAL), 0, "%s: a reader role was left", what);
	cr_assert_eq(semctl(v->semid, SEM_WRITERS, GETVAL), 0, "%s: a writer role was left", what);
}

static bool removed_errno(int err)
{
	return err == EINVAL || err == EIDRM;
}

/* An existing anchor file whose key names no object right now. */
static const char *free_anchor(int32_t *key)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		const char *p = tr_new_anchor();
		int fd = open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		cr_assert_geq(fd, 0);
		close(fd);
		cr_assert_eq(shmring_key(p, key), 0);
		if (shmget(*key, 0, 0) < 0 && errno == ENOENT && semget(*key, 0, 0) < 0 &&
		    errno == ENOENT)
			return p;
	}
	cr_assert_fail("no free key after 16 anchors");
	return NULL;
}

/* xorshift64*: the same hostile bytes on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

/* ---------------------------------------------------------------------- */
/* The identity block, checked on open                                    */

Test(hostile, bad_magic_is_emediumtype)
{
	struct victim v;
	victim_make(&v);
	const uint64_t bad[] = {LAYOUT_MAGIC ^ 1, LAYOUT_MAGIC << 8, UINT64_MAX,
				0x4f534c454e524b4cu};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.hdr->id.magic = bad[i];
		expect_open(&v, -EMEDIUMTYPE, "bad magic");
	}
	/* Nobody removes or replaces a segment that is not recognisably ours. */
	struct shmring *r = NULL;
	cr_assert_eq(shmring_create(v.path, SHMRING_RECLAIM, NULL, &r), -EEXIST);
	cr_assert_eq(shmring_remove(v.path), -EMEDIUMTYPE);
	struct shmid_ds ds;
	cr_assert_eq(shmctl(v.shmid, IPC_STAT, &ds), 0, "the segment survives");
	restore_identity(&v);
	expect_open(&v, 0, "magic restored");
	victim_done(&v);
}

Test(hostile, zero_magic_is_emediumtype_once_the_ready_timeout_passes)
{
	/* A zero magic is also what a creator looks like right after shmget:
	 * the opener may wait for it, but only up to its ready timeout. */
	struct victim v;
	victim_make(&v);
	v.hdr->id.magic = 0;
	double t0 = tr_now_ms();
	cr_assert_eq(open_rc(v.path, SHMRING_READER), -EMEDIUMTYPE);
	cr_assert_lt(tr_now_ms() - t0, 3000);
	victim_done(&v);
}

Test(hostile, other_layout_version_is_eprotonosupport)
{
	struct victim v;
	victim_make(&v);
	const uint32_t bad[] = {0, LAYOUT_VERSION + 1, 0x100 | LAYOUT_VERSION, UINT32_MAX};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.hdr->id.layout_version = bad[i];
		expect_open(&v, -EPROTONOSUPPORT, "other version");
	}
	victim_done(&v);
}

Test(hostile, garbage_in_the_ready_mark_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const uint32_t bad[] = {1, READY_MARK ^ 0x80, DESTROYED_MARK, UINT32_MAX};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.hdr->id.ready = bad[i];
		double t0 = tr_now_ms();
		expect_open(&v, -EUCLEAN, "garbage ready mark");
		cr_assert_lt(tr_now_ms() - t0, 3000, "no waiting for a mark that is garbage");
	}
	victim_done(&v);
}

Test(hostile, capacity_larger_than_the_segment_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const uint64_t bad[] = {
	    v.segsz - v.id.data_offset + RECORD_ALIGN, /* one record past the end */
	    v.segsz,
	    2 * v.segsz,
	    UINT64_MAX & ~(uint64_t)(RECORD_ALIGN - 1),
	    UINT64_MAX - v.id.data_offset + 1, /* wraps data_offset + capacity to 0 */
	    0,
	    CAPACITY - 4, /* not a whole number of records */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.hdr->id.capacity = bad[i];
		expect_open(&v, -EUCLEAN, "bogus capacity");
	}
	victim_done(&v);
}

Test(hostile, bogus_data_offset_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const uint32_t bad[] = {
	    0,						   /* the data area over the header */
	    RECORD_ALIGN,				   /* likewise */
	    (uint32_t)sizeof(struct layout_header) - LAYOUT_BLOCK, /* header's last line */
	    v.id.data_offset + 8,			   /* not on a line */
	    v.id.data_offset - 1,
	    (uint32_t)v.segsz,	      /* no room for the capacity */
	    (uint32_t)v.segsz + LAYOUT_BLOCK, /* past the segment */
	    (uint32_t)v.segsz - LAYOUT_BLOCK, /* capacity runs past the end */
	    UINT32_MAX & ~(LAYOUT_BLOCK - 1),
	    UINT32_MAX,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.hdr->id.data_offset = bad[i];
		expect_open(&v, -EUCLEAN, "bogus data_offset");
	}
	victim_done(&v);
}

Test(hostile, max_msg_beyond_the_capacity_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const uint64_t bad[] = {
	    0,
	    CAPACITY - RECORD_HEADER + 1, /* its record would not fit */
	    CAPACITY,
	    CAPACITY + 1,
	    UINT32_MAX,
	    (uint64_t)UINT32_MAX + 1,
	    UINT64_MAX, /* its record size wraps to a small number */
	    UINT64_MAX - RECORD_ALIGN,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v.hdr->id.max_msg = bad[i];
		expect_open(&v, -EUCLEAN, "bogus max_msg");
	}
	victim_done(&v);
}

Test(hostile, header_of_another_key_is_euclean)
{
	/* A header copied from some other ring: its key is not the segment's. */
	struct victim v;
	victim_make(&v);
	v.hdr->id.key = v.id.key ^ 0x10000;
	expect_open(&v, -EUCLEAN, "other key");
	victim_done(&v);
}

/* ---------------------------------------------------------------------- */
/* The semaphore set the header names                                     */

static void expect_semid_refused(struct victim *v, int semid, const char *what)
{
	v->hdr->id.semid = semid;
	const unsigned flags[] = {0, SHMRING_READER | SHMRING_WRITER,
				  SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int rc = open_rc(v->path, flags[i]);
		cr_assert(rc == -EUCLEAN || rc == -ESTALE, "%s, flags %#x: open gave %d (%s)", what,
			  flags[i], rc, shmring_strerror(rc));
	}
}

Test(hostile, semid_naming_a_foreign_semaphore_set_is_refused_and_never_used)
{
	struct victim v;
	victim_make(&v);

	/* Same size as ours, even with our tag value, but not under our key. */
	int lookalike = semget(IPC_PRIVATE, SEM_COUNT, IPC_CREAT | 0600);
	cr_assert_geq(lookalike, 0);
	tr_track(-1, lookalike);
	unsigned short vals[SEM_COUNT] = {1, 1, 0, 0, 0, 0, SEM_TAG_VALUE};
	union semun arg = {.array = vals};
	cr_assert_eq(semctl(lookalike, 0, SETALL, arg), 0);
	int small = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	cr_assert_geq(small, 0);
	tr_track(-1, small);
	int gone = semget(IPC_PRIVATE, SEM_COUNT, IPC_CREAT | 0600);
	cr_assert_geq(gone, 0);
	cr_assert_eq(semctl(gone, 0, IPC_RMID), 0);

	/* Another live shmring ring's set: a perfect tag, the wrong key. */
	struct shmring *other = tr_create(0, 0, 0, NULL);
	struct shmring_stats ost;
	cr_assert_eq(shmring_stats(other, &ost), 0);

	expect_semid_refused(&v, lookalike, "look-alike set");
	expect_semid_refused(&v, small, "small set");
	expect_semid_refused(&v, ost.semid, "another ring's set");
	expect_semid_refused(&v, gone, "removed set");
	expect_semid_refused(&v, -1, "semid -1");
	expect_semid_refused(&v, INT32_MAX, "semid INT32_MAX");

	/* Nothing was done to any of them. */
	unsigned short now[SEM_COUNT];
	arg.array = now;
	cr_assert_eq(semctl(lookalike, 0, GETALL, arg), 0);
	cr_assert_arr_eq(now, vals, sizeof(vals), "the look-alike set was not touched");
	struct semid_ds ds;
	union semun sarg = {.buf = &ds};
	cr_assert_eq(semctl(lookalike, 0, IPC_STAT, sarg), 0);
	cr_assert_eq(ds.sem_otime, 0, "nobody ran semop on the look-alike set");
	cr_assert_eq(shmring_stats(other, &ost), 0);
	cr_assert_eq(ost.readers + ost.writers, 0, "no role was taken on the other ring");
	union semun darg = {.buf = &ds};
	cr_assert(semctl(gone, 0, IPC_STAT, darg) < 0 && removed_errno(errno));

	restore_identity(&v);
	expect_open(&v, 0, "semid restored");

	/* Removing the damaged ring by name takes its own objects at most,
	 * never the set its header names. */
	v.hdr->id.semid = ost.semid;
	int rc = shmring_remove(v.path);
	cr_assert(rc == 0 || rc == -EUCLEAN || rc == -EMEDIUMTYPE, "remove gave %d (%s)", rc,
		  shmring_strerror(rc));
	cr_assert_eq(shmring_stats(other, &ost), 0, "the other ring's set survives");
	cr_assert_eq(semctl(lookalike, 0, GETALL, arg), 0);
	cr_assert_arr_eq(now, vals, sizeof(vals), "the look-alike set was not touched");
	shmring_close(other);
	victim_done(&v);
}

/* ---------------------------------------------------------------------- */
/* Segments too small to be ours                                          */

/* A segment of @size under @key holding as much of a ready header, with
 * our magic, as fits in it. */
static int make_small_lookalike(int32_t key, size_t size)
{
	int shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
	cr_assert_geq(shmid, 0, "shmget %zu: %s", size, strerror(errno));
	tr_track(shmid, -1);
	uint8_t *p = shmat(shmid, NULL, 0);
	cr_assert_neq(p, (void *)-1);
	struct layout_identity id = {.magic = LAYOUT_MAGIC,
				     .layout_version = LAYOUT_VERSION,
				     .data_offset = 4096,
				     .capacity = 4096,
				     .max_msg = 100,
				     .semid = -1,
				     .key = (uint32_t)key,
				     .ready = READY_MARK};
	memcpy(p, &id, size < sizeof(id) ? size : sizeof(id));
	shmdt(p);
	return shmid;
}

static const size_t small_sizes[] = {
    1,
    64,
    sizeof(struct layout_header) - 1,
    sizeof(struct layout_header),		     /* a header, no data area */
    sizeof(struct layout_header) + RECORD_ALIGN - 1, /* not one record */
};
#define N_SMALL (sizeof(small_sizes) / sizeof(small_sizes[0]))

Test(hostile, segment_too_small_for_a_header_is_emediumtype)
{
	int32_t key;
	const char *path = free_anchor(&key);
	for (size_t i = 0; i < N_SMALL; i++) {
		int shmid = make_small_lookalike(key, small_sizes[i]);
		struct shmring *r = NULL;
		int rc = shmring_open(path, SHMRING_READER, &quick, &r);
		if (rc == 0)
			shmring_close(r);
		cr_assert_eq(rc, -EMEDIUMTYPE, "size %zu: open gave %s", small_sizes[i],
			     shmring_strerror(rc));
		rc = shmring_open_id(shmid, 0, &quick, &r);
		if (rc == 0)
			shmring_close(r);
		cr_assert_eq(rc, -EMEDIUMTYPE, "size %zu: open_id gave %s", small_sizes[i],
			     shmring_strerror(rc));
		rc = shmring_open_key(key, SHMRING_WRITER, &quick, &r);
		if (rc == 0)
			shmring_close(r);
		cr_assert_eq(rc, -EMEDIUMTYPE, "size %zu: open_key gave %s", small_sizes[i],
			     shmring_strerror(rc));
		cr_assert_eq(shmctl(shmid, IPC_RMID, NULL), 0);
	}
}

Test(hostile, segment_too_small_for_a_ring_is_never_removed_or_reclaimed)
{
	/* open says such a segment is not a shmring segment (-EMEDIUMTYPE);
	 * remove and reclaim must then leave it alone too. */
	int32_t key;
	const char *path = free_anchor(&key);
	for (size_t i = 0; i < N_SMALL; i++) {
		int shmid = make_small_lookalike(key, small_sizes[i]);
		struct shmid_ds ds;
		int rc = shmring_remove(path);
		cr_assert_eq(rc, -EMEDIUMTYPE, "size %zu: remove gave %s", small_sizes[i],
			     shmring_strerror(rc));
		cr_assert_eq(shmctl(shmid, IPC_STAT, &ds), 0, "size %zu: it survives remove",
			     small_sizes[i]);
		struct shmring *r = NULL;
		rc = shmring_create(path, SHMRING_RECLAIM, NULL, &r);
		if (rc == 0) {
			tr_track_ring(r);
			shmring_close(r);
		}
		cr_assert_eq(rc, -EEXIST, "size %zu: create with RECLAIM gave %s", small_sizes[i],
			     shmring_strerror(rc));
		cr_assert_eq(shmctl(shmid, IPC_STAT, &ds), 0, "size %zu: it survives reclaim",
			     small_sizes[i]);
		cr_assert_eq(shmctl(shmid, IPC_RMID, NULL), 0);
	}
}

/* ---------------------------------------------------------------------- */
/* Indexes                                                                */

static void set_indexes(struct victim *v, uint64_t head, uint64_t tail)
{
	__atomic_store_n(&v->hdr->cons.index, head, __ATOMIC_SEQ_CST);
	__atomic_store_n(&v->hdr->prod.index, tail, __ATOMIC_SEQ_CST);
}

Test(hostile, indexes_out_of_range_are_euclean_on_open)
{
	struct victim v;
	victim_make(&v);
	const struct {
		uint64_t head, tail;
		const char *what;
	} bad[] = {
	    {0, 3, "misaligned tail"},
	    {4, 8, "misaligned head"},
	    {0, CAPACITY + RECORD_ALIGN, "tail - head over capacity"},
	    {1u << 20, (1u << 20) + 2 * CAPACITY, "two laps queued"},
	    {16, 8, "head past tail"},
	    {UINT64_C(1) << 63, 0, "head far past tail"},
	    {0, UINT64_MAX & ~(uint64_t)7, "tail at the end of the number line"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_indexes(&v, bad[i].head, bad[i].tail);
		expect_open(&v, -EUCLEAN, bad[i].what);
	}
	/* Free-running indexes far from zero are fine when consistent. */
	set_indexes(&v, (UINT64_C(1) << 40) + 64, (UINT64_C(1) << 40) + 64);
	expect_open(&v, 0, "consistent indexes");
	victim_done(&v);
}

static void expect_recv_rc(struct shmring *r, int err, const char *what)
{
	uint8_t buf[MAX_MSG];
	size_t len = sizeof(buf);
	int rc = shmring_recv(r, buf, &len, SHMRING_NOWAIT);
	cr_assert_eq(rc, err, "%s: recv gave %d (%s)", what, rc, shmring_strerror(rc));
	len = sizeof(buf);
	double t0 = tr_now_ms();
	rc = shmring_recv(r, buf, &len, 2000);
	cr_assert_eq(rc, err, "%s: timed recv gave %d (%s)", what, rc, shmring_strerror(rc));
	cr_assert_lt(tr_now_ms() - t0, 1000, "%s: corruption is reported, not waited on", what);
	const void *p;
	rc = shmring_peek(r, &p, &len, SHMRING_NOWAIT);
	if (rc == 1)
		shmring_release(r);
	cr_assert_eq(rc, err, "%s: peek gave %d (%s)", what, rc, shmring_strerror(rc));
	struct iovec iov[2] = {{buf, 500}, {buf + 500, 500}};
	rc = shmring_recv_burst(r, iov, 2, SHMRING_NOWAIT);
	cr_assert_eq(rc, err, "%s: recv_burst gave %d (%s)", what, rc, shmring_strerror(rc));
}

static void expect_send_rc(struct shmring *w, int err, const char *what)
{
	uint8_t msg[100] = {1};
	int rc = shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT);
	cr_assert_eq(rc, err, "%s: send gave %d (%s)", what, rc, shmring_strerror(rc));
	double t0 = tr_now_ms();
	rc = shmring_send(w, msg, sizeof(msg), 2000);
	cr_assert_eq(rc, err, "%s: timed send gave %d (%s)", what, rc, shmring_strerror(rc));
	cr_assert_lt(tr_now_ms() - t0, 1000, "%s: corruption is reported, not waited on", what);
	struct iovec iov[2] = {{msg, 10}, {msg, 20}};
	rc = shmring_send_bulk(w, iov, 2, SHMRING_NOWAIT);
	cr_assert_eq(rc, err, "%s: send_bulk gave %d (%s)", what, rc, shmring_strerror(rc));
	void *p;
	rc = shmring_reserve(w, 10, &p, SHMRING_NOWAIT);
	if (rc == 0)
		shmring_abort(w);
	cr_assert_eq(rc, err, "%s: reserve gave %d (%s)", what, rc, shmring_strerror(rc));
}

Test(hostile, indexes_corrupted_under_open_shared_handles_fail_recv_and_send)
{
	struct victim v;
	victim_make(&v);
	struct shmring *w, *r;
	cr_assert_eq(shmring_open(v.path, SHMRING_WRITER, NULL, &w), 0);
	cr_assert_eq(shmring_open(v.path, SHMRING_READER, NULL, &r), 0);
	uint8_t msg[100] = {7};
	for (int i = 0; i < 3; i++)
		cr_assert_eq(shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT), 0);
	uint64_t head = v.hdr->cons.index, tail = v.hdr->prod.index;
	cr_assert_eq(tail - head, 3 * layout_record_size(sizeof(msg)));

	const struct {
		uint64_t head, tail;
		const char *what;
	} bad[] = {
	    {head, tail + 4, "misaligned tail"},
	    {head + 4, tail, "misaligned head"},
	    {head, head + CAPACITY + RECORD_ALIGN, "tail - head over capacity"},
	    {tail + RECORD_ALIGN, tail, "head past tail"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_indexes(&v, bad[i].head, bad[i].tail);
		expect_recv_rc(r, -EUCLEAN, bad[i].what);
		expect_send_rc(w, -EUCLEAN, bad[i].what);
		struct shmring_stats st;
		cr_assert_eq(shmring_stats(v.admin, &st), -EUCLEAN, "%s: stats", bad[i].what);
		cr_assert_eq(v.hdr->cons.index, bad[i].head, "%s: nothing consumed", bad[i].what);
		cr_assert_eq(v.hdr->prod.index, bad[i].tail, "%s: nothing published", bad[i].what);
	}

	/* Put right, both go on: no lock was left behind by the failures. */
	set_indexes(&v, head, tail);
	uint8_t buf[MAX_MSG];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, 1000), 1);
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	cr_assert_eq(shmring_send(w, msg, sizeof(msg), 1000), 0);
	shmring_close(r);
	shmring_close(w);
	victim_done(&v);
}

Test(hostile, lock_hints_stuck_at_busy_only_delay_shared_handles)
{
	struct victim v;
	victim_make(&v);
	struct shmring *w, *r;
	cr_assert_eq(shmring_open(v.path, SHMRING_WRITER, NULL, &w), 0);
	cr_assert_eq(shmring_open(v.path, SHMRING_READER, NULL, &r), 0);
	/* What a holder killed with the lock leaves, or any garbage: the
	 * hint is never trusted, so both sides still lock and go on. */
	const uint32_t stuck[] = {1, UINT32_MAX};
	uint8_t msg[100] = {9}, buf[MAX_MSG];
	for (size_t i = 0; i < sizeof(stuck) / sizeof(stuck[0]); i++) {
		v.hdr->writers_hint.busy = stuck[i];
		v.hdr->readers_hint.busy = stuck[i];
		double start = tr_now_ms();
		for (int k = 0; k < 50; k++) {
			cr_assert_eq(shmring_send(w, msg, sizeof(msg), 1000), 0);
			size_t len = sizeof(buf);
			cr_assert_eq(shmring_recv(r, buf, &len, 1000), 1);
			cr_assert_eq(len, sizeof(msg));
		}
		cr_assert_lt(tr_now_ms() - start, 1000.0, "100 calls took %.0f ms",
			     tr_now_ms() - start);
		/* Each holder rewrote the hint and cleared it when done. */
		cr_assert_eq(v.hdr->writers_hint.busy, 0);
		cr_assert_eq(v.hdr->readers_hint.busy, 0);
	}
	/* A non-blocking call does not spin on the hint: it only asks. */
	v.hdr->writers_hint.busy = 1;
	cr_assert_eq(shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT), 0);
	shmring_close(r);
	shmring_close(w);
	victim_done(&v);
}

Test(hostile, indexes_corrupted_under_exclusive_handles_fail_when_they_are_reloaded)
{
	struct victim v;
	victim_make(&v);
	struct shmring *w, *r;
	cr_assert_eq(shmring_open(v.path, SHMRING_WRITER | SHMRING_EXCLUSIVE, NULL, &w), 0);
	cr_assert_eq(shmring_open(v.path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &r), 0);
	uint8_t msg[500] = {9};
	int sent = 0;
	while (shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT) == 0)
		sent++;
	cr_assert_gt(sent, 0);
	uint64_t head = v.hdr->cons.index, tail = v.hdr->prod.index;

	/* The exclusive writer owns the tail but must reload the head for
	 * room; the exclusive reader owns the head but reloads the tail. */
	const uint64_t bad_head[] = {head + 4, tail + RECORD_ALIGN, tail - CAPACITY - RECORD_ALIGN};
	for (size_t i = 0; i < sizeof(bad_head) / sizeof(bad_head[0]); i++) {
		__atomic_store_n(&v.hdr->cons.index, bad_head[i], __ATOMIC_SEQ_CST);
		int rc = shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT);
		cr_assert_eq(rc, -EUCLEAN, "head %#lx: send gave %s", (unsigned long)bad_head[i],
			     shmring_strerror(rc));
		rc = shmring_send(w, msg, sizeof(msg), 500);
		cr_assert_eq(rc, -EUCLEAN, "head %#lx: timed send gave %s",
			     (unsigned long)bad_head[i], shmring_strerror(rc));
	}
	__atomic_store_n(&v.hdr->cons.index, head, __ATOMIC_SEQ_CST);

	const uint64_t bad_tail[] = {tail + 4, head + CAPACITY + RECORD_ALIGN, head - RECORD_ALIGN};
	for (size_t i = 0; i < sizeof(bad_tail) / sizeof(bad_tail[0]); i++) {
		__atomic_store_n(&v.hdr->prod.index, bad_tail[i], __ATOMIC_SEQ_CST);
		expect_recv_rc(r, -EUCLEAN, "exclusive reader, bad tail");
	}
	__atomic_store_n(&v.hdr->prod.index, tail, __ATOMIC_SEQ_CST);

	uint8_t buf[MAX_MSG];
	for (int i = 0; i < sent; i++) {
		size_t len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1, "message %d", i);
		cr_assert_eq(len, sizeof(msg));
	}
	cr_assert_eq(shmring_send(w, msg, sizeof(msg), SHMRING_NOWAIT), 0, "the writer goes on");
	shmring_close(r);
	shmring_close(w);
	victim_done(&v);
}

/* ---------------------------------------------------------------------- */
/* Records                                                                */

/* Put head and tail at @index (nobody holds a side), then have a writer
 * send messages of @lens: real records, ready to be damaged. */
static void place_messages(struct victim *v, uint64_t index, const size_t *lens, size_t n)
{
	set_indexes(v, index, index);
	struct shmring *w;
	cr_assert_eq(shmring_open(v->path, SHMRING_WRITER, NULL, &w), 0);
	uint8_t msg[MAX_MSG];
	for (size_t i = 0; i < n; i++) {
		tr_fill(msg, lens[i], 6, (uint32_t)i);
		cr_assert_eq(shmring_send(w, msg, lens[i], SHMRING_NOWAIT), 0);
	}
	shmring_close(w);
}

/* Overwrite the record header at @offset of the data area. */
static void put_record(struct victim *v, uint64_t offset, uint32_t len, uint32_t tag)
{
	cr_assert(offset % RECORD_ALIGN == 0 && offset < CAPACITY, "offset %lu",
		  (unsigned long)offset);
	struct layout_record rec = {.len = len, .tag = tag};
	memcpy(v->data + offset, &rec, sizeof(rec));
}

static struct layout_record get_record(struct victim *v, uint64_t offset)
{
	struct layout_record rec;
	memcpy(&rec, v->data + offset, sizeof(rec));
	return rec;
}

/* Shared and exclusive readers, each way of reading: -EUCLEAN, and the
 * head does not move past the bad record. */
static void expect_record_refused(struct victim *v, const char *what)
{
	uint64_t head = v->hdr->cons.index;
	const unsigned flags[] = {SHMRING_READER, SHMRING_READER | SHMRING_EXCLUSIVE};
	for (size_t i = 0; i < 2; i++) {
		struct shmring *r;
		int rc = shmring_open(v->path, flags[i], NULL, &r);
		cr_assert_eq(rc, 0, "%s: open: %s", what, shmring_strerror(rc));
		expect_recv_rc(r, -EUCLEAN, what);
		shmring_close(r);
		cr_assert_eq(v->hdr->cons.index, head, "%s: the head stayed put", what);
	}
}

Test(hostile, message_record_of_length_zero_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const size_t lens[] = {40};
	place_messages(&v, 0, lens, 1);
	put_record(&v, 0, 0, get_record(&v, 0).tag);
	expect_record_refused(&v, "length 0");
	victim_done(&v);
}

Test(hostile, message_record_longer_than_max_msg_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const size_t lens[] = {40, 40};
	place_messages(&v, 0, lens, 2);
	const uint32_t bad[] = {MAX_MSG + 1, CAPACITY, UINT32_MAX, UINT32_MAX - 7, 0x80000000u};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_record(&v, 0, bad[i], get_record(&v, 0).tag);
		expect_record_refused(&v, "huge length");
	}
	victim_done(&v);
}

Test(hostile, message_record_crossing_the_end_of_the_data_area_is_euclean)
{
	/* Two records published: one in the last 16 bytes of the area, one
	 * wrapped to offset 0. The first one then claims more than the 8
	 * payload bytes left before the end, but no more than is published. */
	struct victim v;
	victim_make(&v);
	const size_t lens[] = {8, 200};
	uint64_t start = 7 * (uint64_t)CAPACITY + CAPACITY - 16;
	place_messages(&v, start, lens, 2);
	cr_assert_eq(v.hdr->prod.index - start, 16 + layout_record_size(200), "no padding needed");
	const uint32_t bad[] = {9, 16, 100, 200};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_record(&v, CAPACITY - 16, bad[i], get_record(&v, CAPACITY - 16).tag);
		expect_record_refused(&v, "crossing the end");
	}
	victim_done(&v);
}

Test(hostile, message_record_longer_than_what_was_published_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const size_t lens[] = {8};
	place_messages(&v, 0, lens, 1);
	const uint32_t bad[] = {9, 100, MAX_MSG};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_record(&v, 0, bad[i], get_record(&v, 0).tag);
		expect_record_refused(&v, "past the published bytes");
	}
	victim_done(&v);
}

Test(hostile, record_with_an_unknown_tag_is_euclean)
{
	struct victim v;
	victim_make(&v);
	const size_t lens[] = {24, 24};
	place_messages(&v, 0, lens, 2);
	const uint32_t bad[] = {0, TAG_MSG ^ 1, TAG_PAD ^ 0x100, 0x12345678u, UINT32_MAX};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_record(&v, 0, get_record(&v, 0).len, bad[i]);
		expect_record_refused(&v, "unknown tag");
	}
	victim_done(&v);
}

/* Messages that fill the data area exactly from @offset to its end. */
static const size_t fill_from_0[] = {1000, 1000, 1000, 1000, 56};  /* 4 x 1008 + 64 */
static const size_t fill_from_16[] = {1000, 1000, 1000, 1000, 40}; /* 4 x 1008 + 48 */

Test(hostile, padding_record_at_offset_zero_is_euclean)
{
	/* The whole area is published, so even padding as long as the area
	 * would be within bounds: it is refused for being at offset 0. */
	struct victim v;
	victim_make(&v);
	place_messages(&v, 2 * (uint64_t)CAPACITY, fill_from_0, 5);
	cr_assert_eq(v.hdr->prod.index - v.hdr->cons.index, CAPACITY, "the ring is full");
	const uint32_t bad[] = {CAPACITY, (uint32_t)layout_record_size(1000), 8, 0};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_record(&v, 0, bad[i], TAG_PAD);
		expect_record_refused(&v, "padding at 0");
	}
	victim_done(&v);
}

Test(hostile, padding_record_of_the_wrong_length_is_euclean)
{
	/* Everything from offset 16 to the end is published; the record at
	 * 16 turned into padding that does not reach exactly the end. */
	struct victim v;
	victim_make(&v);
	place_messages(&v, 5 * (uint64_t)CAPACITY + 16, fill_from_16, 5);
	cr_assert_eq(v.hdr->prod.index - v.hdr->cons.index, CAPACITY - 16);
	const uint32_t room = CAPACITY - 16;
	const uint32_t bad[] = {0, 8, 16, room - 8, room + 8, CAPACITY, UINT32_MAX};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_record(&v, 16, bad[i], TAG_PAD);
		expect_record_refused(&v, "padding of the wrong length");
	}
	victim_done(&v);
}

Test(hostile, padding_record_past_the_published_bytes_is_euclean)
{
	/* The right length to reach the end, but only 16 bytes published. */
	struct victim v;
	victim_make(&v);
	const size_t lens[] = {8};
	place_messages(&v, 16, lens, 1);
	put_record(&v, 16, CAPACITY - 16, TAG_PAD);
	expect_record_refused(&v, "padding past the published bytes");
	victim_done(&v);
}

struct hostile_args {
	int shmid;
	uint64_t offset; /* byte offset in the segment */
	struct layout_record rec;
};

/* Another process: attach the segment and overwrite one record header. */
static int overwrite_record(void *arg)
{
	const struct hostile_args *a = arg;
	uint8_t *p = shmat(a->shmid, NULL, 0);
	CHILD_CHECK(p != (void *)-1);
	memcpy(p + a->offset, &a->rec, sizeof(a->rec));
	CHILD_CHECK(shmdt(p) == 0);
	return 0;
}

Test(hostile, record_damaged_by_another_process_is_euclean_for_an_open_reader)
{
	/* An exclusive reader that already knows three messages are published
	 * takes two; another process then damages the third. */
	struct victim v;
	victim_make(&v);
	struct shmring *w, *r;
	cr_assert_eq(shmring_open(v.path, SHMRING_WRITER, NULL, &w), 0);
	cr_assert_eq(shmring_open(v.path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &r), 0);
	uint8_t msg[3][64], buf[MAX_MSG];
	uint64_t at[3];
	for (uint32_t i = 0; i < 3; i++) {
		tr_fill(msg[i], sizeof(msg[i]), 1, i);
		at[i] = v.hdr->prod.index % CAPACITY;
		cr_assert_eq(shmring_send(w, msg[i], sizeof(msg[i]), SHMRING_NOWAIT), 0);
	}
	for (int i = 0; i < 2; i++) {
		size_t len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		cr_assert_arr_eq(buf, msg[i], sizeof(msg[i]));
	}

	const struct layout_record bad[] = {
	    {.len = UINT32_MAX - 3, .tag = TAG_MSG},
	    {.len = 0, .tag = TAG_MSG},
	    {.len = sizeof(msg[2]), .tag = 0},
	    {.len = (uint32_t)(CAPACITY - at[2]), .tag = TAG_PAD},
	};
	struct hostile_args a = {v.shmid, v.id.data_offset + at[2], {0}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		a.rec = bad[i];
		cr_assert_eq(tr_wait(tr_fork(overwrite_record, &a, 10)), 0);
		expect_recv_rc(r, -EUCLEAN, "record overwritten by another process");
	}

	/* Put right by the same process, the message is there as sent. */
	a.rec = (struct layout_record){.len = sizeof(msg[2]), .tag = TAG_MSG};
	cr_assert_eq(tr_wait(tr_fork(overwrite_record, &a, 10)), 0);
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	cr_assert_eq(len, sizeof(msg[2]));
	cr_assert_arr_eq(buf, msg[2], sizeof(msg[2]));
	shmring_close(r);
	shmring_close(w);
	victim_done(&v);
}

/* ---------------------------------------------------------------------- */
/* Random damage                                                          */

/* Lengths and tags a hostile writer would try first, then anything. */
static struct layout_record random_record(uint64_t offset)
{
	const uint32_t room = (uint32_t)(CAPACITY - offset);
	const uint32_t lens[] = {0,	      1,    7,	      8,	9,	  MAX_MSG,
				 MAX_MSG + 1, room, room - 8, room + 8, CAPACITY, UINT32_MAX};
	const uint32_t tags[] = {TAG_MSG, TAG_MSG, TAG_PAD, 0};
	uint64_t x = rnd();
	struct layout_record rec;
	rec.len = x % 4 ? lens[(x >> 8) % (sizeof(lens) / sizeof(lens[0]))] : (uint32_t)(x >> 32);
	rec.tag = (x >> 16) % 8 ? tags[(x >> 20) % 4] : (uint32_t)(x >> 24);
	return rec;
}

Test(hostile, random_indexes_and_records_give_clean_results_and_stay_in_bounds)
{
	struct victim v;
	victim_make(&v);
	struct shmring *w, *r;
	cr_assert_eq(shmring_open(v.path, SHMRING_WRITER, NULL, &w), 0);
	cr_assert_eq(shmring_open(v.path, SHMRING_READER, NULL, &r), 0);
	/* Where the reader's own mapping of the data area lies. */
	const uint8_t *lo = r->data, *hi = r->data + r->capacity;
	uint8_t buf[MAX_MSG];
	uint8_t msg[MAX_MSG];
	memset(msg, 0x5a, sizeof(msg));
	int outcomes[4] = {0};

	for (int round = 0; round < 3000; round++) {
		/* Mostly valid spans, sometimes anything at all. */
		uint64_t head = (rnd() % 64) * CAPACITY + (rnd() % CAPACITY & ~(uint64_t)7);
		uint64_t tail = head + (rnd() % (CAPACITY / 8 + 1)) * 8;
		if (rnd() % 8 == 0)
			tail = rnd();
		if (rnd() % 16 == 0)
			head = rnd();
		/* Records at random places, including the ones the reader meets. */
		for (int k = 0; k < 6; k++) {
			uint64_t off = (k == 0 ? head % CAPACITY : rnd() % CAPACITY) & ~(uint64_t)7;
			struct layout_record rec = random_record(off);
			put_record(&v, off, rec.len, rec.tag);
		}
		set_indexes(&v, head, tail);

		const void *p;
		size_t len = sizeof(buf);
		int rc = shmring_peek(r, &p, &len, SHMRING_NOWAIT);
		cr_assert(rc == 1 || rc == -EAGAIN || rc == -EUCLEAN, "round %d: peek %d (%s)",
			  round, rc, shmring_strerror(rc));
		if (rc == 1) {
			const uint8_t *m = p;
			cr_assert(len >= 1 && len <= MAX_MSG, "round %d: peeked length %zu", round,
				  len);
			cr_assert(m >= lo && m + len <= hi,
				  "round %d: peeked message outside the area", round);
			cr_assert_eq(shmring_release(r), 0);
			outcomes[0]++;
		} else {
			outcomes[rc == -EAGAIN ? 1 : 2]++;
		}

		set_indexes(&v, head, tail);
		len = sizeof(buf);
		rc = shmring_recv(r, buf, &len, SHMRING_NOWAIT);
		cr_assert(rc == 1 || rc == -EAGAIN || rc == -EUCLEAN || rc == -ENOBUFS,
			  "round %d: recv %d (%s)", round, rc, shmring_strerror(rc));
		if (rc == 1)
			cr_assert(len >= 1 && len <= MAX_MSG, "round %d: received length %zu",
				  round, len);

		set_indexes(&v, head, tail);
		size_t n = 1 + rnd() % MAX_MSG;
		rc = shmring_send(w, msg, n, SHMRING_NOWAIT);
		cr_assert(rc == 0 || rc == -EAGAIN || rc == -EUCLEAN, "round %d: send %d (%s)",
			  round, rc, shmring_strerror(rc));
		if (rc == 0)
			outcomes[3]++;
		struct shmring_stats st;
		rc = shmring_stats(v.admin, &st);
		cr_assert(rc == 0 || rc == -EUCLEAN, "round %d: stats %d", round, rc);
		if (rc == 0)
			cr_assert_leq(st.used, CAPACITY);
	}
	/* The damage really took each path. */
	cr_assert_gt(outcomes[0], 0, "some peeks found a message");
	cr_assert_gt(outcomes[1], 0, "some found the ring empty");
	cr_assert_gt(outcomes[2], 0, "some found corruption");
	cr_assert_gt(outcomes[3], 0, "some sends went through");
	shmring_close(r);
	shmring_close(w);
	victim_done(&v);
}

Test(hostile, random_identity_blocks_open_cleanly_or_not_at_all)
{
	struct victim v;
	victim_make(&v);
	struct shmring_options nowait = {.ready_timeout_ms = -1};
	int opened = 0, refused = 0;
	for (int round = 0; round < 2000; round++) {
		struct layout_identity id = v.id;
		/* Damage one to three fields, with values near the real ones or
		 * anything at all. */
		int fields = 1 + (int)(rnd() % 3);
		for (int f = 0; f < fields; f++) {
			uint64_t x = rnd(), small = x % 3 == 0 ? x >> 32 : (x >> 8) % 16384;
			switch (rnd() % 8) {
			case 0:
				id.data_offset = (uint32_t)small & ~(LAYOUT_BLOCK - 1);
				break;
			case 1:
				id.data_offset = (uint32_t)small;
				break;
			case 2:
				id.capacity = x % 2 ? small & ~(uint64_t)7 : x;
				break;
			case 3:
				id.max_msg = x % 2 ? small : x;
				break;
			case 4:
				id.semid = (int32_t)x;
				break;
			case 5:
				id.key = (uint32_t)x;
				break;
			case 6:
				id.ready = x % 2 ? READY_MARK : (uint32_t)x;
				break;
			default:
				id.layout_version = x % 2 ? LAYOUT_VERSION : (uint32_t)x;
				break;
			}
		}
		v.hdr->id = id;
		struct shmring *h = NULL;
		int rc = shmring_open(v.path, SHMRING_READER | SHMRING_WRITER, &nowait, &h);
		cr_assert(rc == 0 || rc == -EUCLEAN || rc == -EPROTONOSUPPORT || rc == -ESTALE ||
			      rc == -ETIMEDOUT || rc == -EMEDIUMTYPE,
			  "round %d: open gave %d (%s)", round, rc, shmring_strerror(rc));
		if (rc == 0) {
			/* Whatever it accepted must be safe to use. */
			uint8_t m[8] = "ok";
			uint8_t buf[8];
			size_t len = sizeof(buf);
			cr_assert_leq(shmring_capacity(h), v.segsz - id.data_offset);
			int s = shmring_send(h, m, 1 + rnd() % 8, SHMRING_NOWAIT);
			cr_assert(s == 0 || s == -EAGAIN || s == -EMSGSIZE, "round %d: send %d",
				  round, s);
			s = shmring_recv(h, buf, &len, SHMRING_NOWAIT);
			cr_assert(s == 1 || s == -EAGAIN || s == -ENOBUFS || s == -EUCLEAN,
				  "round %d: recv %d", round, s);
			shmring_close(h);
			set_indexes(&v, 0, 0);
			opened++;
		} else {
			cr_assert_null(h);
			refused++;
		}
	}
	restore_identity(&v);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(v.admin, &st), 0);
	cr_assert_eq(st.readers + st.writers, 0, "no role leaked from any attempt");
	cr_assert_gt(refused, 0, "some damage was refused");
	cr_assert_gt(opened, 0, "some damage left a usable ring, and it was used");
	victim_done(&v);
}
