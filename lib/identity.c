/* identity.c - what a key or a path names: anchors and their keys, and
 * telling our segments and semaphore sets from anyone else's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/file.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "clock.h"
#include "handle.h"
#include "lifecycle.h"
#include "ring.h"
#include "sem.h"
#include "wait.h"

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

uint64_t shmring__lifecycle_page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (uint64_t)p : 4096;
}

/* When process @pid started, in seconds since the epoch, or -1 if /proc
 * cannot tell. */
static int64_t process_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold anything, ")" included: fields count
	 * from the last one. starttime is field 22, the 20th after it. */
	char *p = strrchr(buf, ')');
	unsigned long long ticks = 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	long long boot = -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %lld", &boot) == 1)
			break;
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	if (boot < 0 || hz <= 0)
		return -1;
	return boot + (int64_t)(ticks / (unsigned long long)hz);
}

/* Slack between the boot time /proc gives (whole seconds, moved by clock
 * adjustments) and the kernel's IPC times. */
#define START_TIME_SLACK_S 2

bool shmring__lifecycle_creator_alive(pid_t pid, time_t made)
{
	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	/* A process that started after the object was made is not its
	 * creator, only a reuse of its pid. */
	int64_t started = process_start_time(pid);
	return started < 0 || started <= (int64_t)made + START_TIME_SLACK_S;
}

bool shmring__lifecycle_unmade_segment(const void *header, const struct shmid_ds *ds)
{
	/* What our creator makes before its first store: whole pages, a
	 * header page and at least one of data, all zero; and its maker
	 * is gone. */
	uint64_t page = shmring__lifecycle_page_size();
	if (ds->shm_segsz % page || ds->shm_segsz < 2 * page)
		return false;
	const uint8_t *p = header;
	for (uint64_t i = 0; i < page; i++)
		if (p[i])
			return false;
	return !shmring__lifecycle_creator_alive(ds->shm_cpid, ds->shm_ctime);
}

/* A set of ours whose creator died between semget and SETALL: our size,
 * every value 0, never operated on. */
static bool semaphores_unset(int semid)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	unsigned short v[SEM_COUNT];
	if (semctl(semid, 0, IPC_STAT, arg) < 0 || ds.sem_nsems != SEM_COUNT || ds.sem_otime != 0)
		return false;
	arg.array = v;
	if (semctl(semid, 0, GETALL, arg) < 0)
		return false;
	for (unsigned i = 0; i < SEM_COUNT; i++)
		if (v[i])
			return false;
	return true;
}

/* ---------------------------------------------------------------------- */
/* Anchors                                                                */

static void anchor_from_statx(const struct statx *stx, struct anchor_id *anchor)
{
	anchor->dev = makedev(stx->stx_dev_major, stx->stx_dev_minor);
	anchor->ino = stx->stx_ino;
	anchor->birth = 0;
	if (stx->stx_mask & STATX_BTIME)
		anchor->birth = (uint64_t)stx->stx_btime.tv_sec * 1000000000u + stx->stx_btime.tv_nsec;
}

/* The birth time tells a new file from an old one that had the same inode
 * number: file systems reuse inodes at once. */
#define ANCHOR_STATX_MASK (STATX_BASIC_STATS | STATX_BTIME)

/* Longest wait for another creator of the same anchor; a create holds the
 * lock for one attempt at making a ring, which never waits this long. */
#define ANCHOR_LOCK_WAIT_MS SHMRING_DEFAULT_READY_TIMEOUT_MS
#define ANCHOR_CLAIM_ROUNDS 8

/* The creators' lock of an anchor file. False if it cannot be had: no
 * flock(2) on this file system, or a creator holds it for too long (one
 * that is stopped, say). */
static bool lock_anchor(int fd)
{
	struct deadline dl;
	shmring__deadline_init(&dl, ANCHOR_LOCK_WAIT_MS);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return true;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK || shmring__deadline_expired(&dl))
			return false;
		shmring__deadline_nap(&dl, 1000);
	}
}

static bool same_file(const struct statx *a, const struct statx *b)
{
	return a->stx_ino == b->stx_ino && a->stx_dev_major == b->stx_dev_major &&
	       a->stx_dev_minor == b->stx_dev_minor;
}

int shmring__lifecycle_anchor_claim(const char *path, bool *made, struct anchor_id *anchor)
{
	if (!path || !*path)
		return -EINVAL;
	for (int round = 1;; round++) {
		/* O_EXCL first, so we know whether the file is ours to remove
		 * should the create fail. */
		int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		*made = fd >= 0;
		if (fd < 0 && errno == EEXIST) /* O_CREAT again: EISDIR for a directory */
			fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		bool locked = lock_anchor(fd);
		struct statx stx, now;
		if (statx(fd, "", AT_EMPTY_PATH, ANCHOR_STATX_MASK, &stx) < 0) {
			int err = errno;
			close(fd);
			return -err;
		}
		/* A creator that made the file, failed and removed it while we
		 * waited for its lock: start again with what the path names now. */
		if (locked && round < ANCHOR_CLAIM_ROUNDS &&
		    (statx(AT_FDCWD, path, 0, ANCHOR_STATX_MASK, &now) < 0 || !same_file(&stx, &now))) {
			close(fd);
			continue;
		}
		/* Unlocked, another creator may use the file unseen: keep it. */
		if (!locked || round == ANCHOR_CLAIM_ROUNDS)
			*made = false;
		anchor_from_statx(&stx, anchor);
		return fd;
	}
}

int shmring__lifecycle_anchor_stat(const char *path, struct anchor_id *anchor)
{
	struct statx stx;
	if (!path || !*path)
		return -EINVAL;
	if (statx(AT_FDCWD, path, 0, ANCHOR_STATX_MASK, &stx) < 0)
		return -errno;
	anchor_from_statx(&stx, anchor);
	return 0;
}

void shmring__lifecycle_anchor_unmake(const char *path, const struct anchor_id *anchor)
{
	struct anchor_id now;
	if (shmring__lifecycle_anchor_stat(path, &now) == 0 && now.dev == anchor->dev &&
	    now.ino == anchor->ino && now.birth == anchor->birth)
		unlink(path);
}

int32_t shmring__lifecycle_anchor_key(const struct anchor_id *anchor)
{
	/* ftok(3)'s formula, applied to the stat we already hold, so the key
	 * and the identity we store can't come from two different files. */
	return (int32_t)(((uint32_t)(anchor->ino & 0xffff)) | ((uint32_t)(anchor->dev & 0xff) << 16) |
			 ((uint32_t)ANCHOR_PROJ_ID << 24));
}

bool shmring__lifecycle_anchor_matches(const struct layout_identity *id, const struct anchor_id *anchor)
{
	if (id->anchor_dev != anchor->dev || id->anchor_ino != anchor->ino)
		return false;
	/* Either side may not know the birth time (file system without it). */
	return !id->anchor_birth || !anchor->birth || id->anchor_birth == anchor->birth;
}

int shmring_key(const char *path, int32_t *key)
{
	struct anchor_id anchor;
	if (!key)
		return -EINVAL;
	int rc = shmring__lifecycle_anchor_stat(path, &anchor);
	if (rc < 0)
		return rc;
	*key = shmring__lifecycle_anchor_key(&anchor);
	return 0;
}

bool shmring__lifecycle_semaphores_are_ours(int semid)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	if (semctl(semid, 0, IPC_STAT, arg) < 0 || ds.sem_nsems != SEM_COUNT)
		return false;
	return shmring__sem_value(semid, SEM_TAG) == SEM_TAG_VALUE;
}

bool shmring__lifecycle_semaphores_in_use(int semid)
{
	return shmring__sem_value(semid, SEM_READERS) > 0 || shmring__sem_value(semid, SEM_WRITERS) > 0;
}

void shmring__lifecycle_remove_objects(int shmid, int semid)
{
	if (semid >= 0)
		semctl(semid, 0, IPC_RMID);
	if (shmid >= 0)
		shmctl(shmid, IPC_RMID, NULL);
}

/* ---------------------------------------------------------------------- */
/* Classification of what a key names                                     */

/* Attach read-only and copy what identifies the segment. */
int shmring__lifecycle_peek_identity(int shmid, struct layout_identity *id, struct shmid_ds *ds)
{
	if (shmctl(shmid, IPC_STAT, ds) < 0)
		return shmring__sem_error(errno);
	if (ds->shm_segsz < LAYOUT_MIN_SEGMENT)
		return -EMEDIUMTYPE;
	void *p = shmat(shmid, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return -errno;
	struct layout_header *hdr = p;
	uint64_t magic = shm_load_acquire(&hdr->id.magic);
	uint32_t ready = shm_load_acquire(&hdr->id.ready);
	memcpy(id, &hdr->id, sizeof(*id));
	id->magic = magic;
	id->ready = ready;
	shmdt(p);
	return 0;
}

static bool unmade_ours(int shmid, const struct shmid_ds *ds)
{
	void *p = shmat(shmid, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return false;
	bool ours = shmring__lifecycle_unmade_segment(p, ds);
	shmdt(p);
	return ours;
}

/* One look at what @key names; *shmidp and *semidp get the objects the
 * verdict is about (-1 = none; a semaphore set only when it carries our
 * tag). */
static enum ring_state classify_once(int32_t key, int *attached, int *shmidp, int *semidp)
{
	struct layout_identity id;
	struct shmid_ds ds;
	*attached = 0;
	*shmidp = -1;
	*semidp = -1;
	int shmid = shmget(key, 0, 0);
	int shm_err = shmid < 0 ? errno : 0;
	int semid = semget(key, 0, 0);
	int sem_err = semid < 0 ? errno : 0;
	if (shm_err == EACCES || sem_err == EACCES)
		return RING_DENIED;
	bool sem_ours = semid >= 0 && (shmring__lifecycle_semaphores_are_ours(semid) ||
				       semaphores_unset(semid));
	if (shmid < 0) {
		if (semid < 0)
			return shm_err == ENOENT && sem_err == ENOENT ? RING_ABSENT : RING_FOREIGN;
		if (!sem_ours)
			return RING_FOREIGN;
		*semidp = semid;
		*attached = shmring__lifecycle_semaphores_in_use(semid);
		return RING_STALE;
	}
	*shmidp = shmid;
	*semidp = sem_ours ? semid : -1;
	int rc = shmring__lifecycle_peek_identity(shmid, &id, &ds);
	if (rc == -EACCES)
		return RING_DENIED;
	if (rc == 0 && id.magic == 0 && ds.shm_nattch == 0 && unmade_ours(shmid, &ds))
		return RING_STALE; /* its creator died before its first store */
	if (rc < 0 || id.magic != LAYOUT_MAGIC)
		return RING_FOREIGN;
	*attached = ds.shm_nattch > 0 || (semid >= 0 && shmring__lifecycle_semaphores_in_use(semid));
	if (id.layout_version != LAYOUT_VERSION)
		return RING_OTHER_VERSION;
	if (id.ready != READY_MARK)
		return shmring__lifecycle_creator_alive(ds.shm_cpid, ds.shm_ctime) ? RING_CREATING
										    : RING_STALE;
	/* The set is made before the ready mark: a creator may have finished
	 * both since we looked, so look again now that it is ready. */
	semid = semget(key, 0, 0);
	sem_ours = semid >= 0 && shmring__lifecycle_semaphores_are_ours(semid);
	/* Only the ring's own set belongs to this verdict. Another set under
	 * the key was made after this segment left it: a racer that removed
	 * it and is making (or has made) a new ring there. */
	*semidp = sem_ours && semid == id.semid ? semid : -1;
	if (semid < 0 || semid != id.semid || !sem_ours)
		return RING_STALE;
	return RING_LIVE;
}

enum ring_state shmring__lifecycle_classify_objects(int32_t key, int *attached, int *shmidp, int *semidp)
{
	for (int look = 0;; look++) {
		enum ring_state state = classify_once(key, attached, shmidp, semidp);
		/* Our set without a segment: a creator makes the segment first,
		 * so unless one has appeared since we missed it, the set is
		 * left over. If one has, the creator is at work: look again. */
		if (state != RING_STALE || *shmidp >= 0 || look == 2 ||
		    (shmget(key, 0, 0) < 0 && errno == ENOENT))
			return state;
	}
}

enum ring_state shmring__lifecycle_classify(int32_t key, int *attached)
{
	int shmid, semid;
	return shmring__lifecycle_classify_objects(key, attached, &shmid, &semid);
}
