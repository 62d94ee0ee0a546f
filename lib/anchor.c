/* anchor.c - anchor files: what identifies one, its key (ftok's formula),
 * and the lock its creators share. */
#include "config.h"

#include "anchor.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "clock.h"
#include "layout.h"
#include "shmring.h"

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

int shmring__anchor_claim(const char *path, bool *made, struct anchor_id *anchor)
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

int shmring__anchor_stat(const char *path, struct anchor_id *anchor)
{
	struct statx stx;
	if (!path || !*path)
		return -EINVAL;
	if (statx(AT_FDCWD, path, 0, ANCHOR_STATX_MASK, &stx) < 0)
		return -errno;
	anchor_from_statx(&stx, anchor);
	return 0;
}

void shmring__anchor_unmake(const char *path, const struct anchor_id *anchor)
{
	struct anchor_id now;
	if (shmring__anchor_stat(path, &now) == 0 && now.dev == anchor->dev &&
	    now.ino == anchor->ino && now.birth == anchor->birth)
		unlink(path);
}

int32_t shmring__anchor_key(const struct anchor_id *anchor)
{
	/* ftok(3)'s formula, applied to the stat we already hold, so the key
	 * and the identity we store can't come from two different files. */
	return (int32_t)(((uint32_t)(anchor->ino & 0xffff)) | ((uint32_t)(anchor->dev & 0xff) << 16) |
			 ((uint32_t)ANCHOR_PROJ_ID << 24));
}

bool shmring__anchor_matches(const struct layout_identity *id, const struct anchor_id *anchor)
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
	int rc = shmring__anchor_stat(path, &anchor);
	if (rc < 0)
		return rc;
	*key = shmring__anchor_key(&anchor);
	return 0;
}
