/*
 * create.c - making a ring, and reclaiming the remains of a failed one.
 *
 * Creation order (each step leaves something recognisable if we die):
 *   1. shmget(IPC_CREAT|IPC_EXCL)        a zero segment: ours if it has our
 *                                        shape (whole pages, header all zero)
 *                                        and its creator is dead
 *   2. magic + layout version            "ours, not ready"
 *   3. semget(IPC_CREAT|IPC_EXCL), semid stored in the header
 *   4. SETALL: locks free, counts 0, tag (before it, a set of our size,
 *      all zero and never operated on, is taken for ours too)
 *   5. identity block, anchor path
 *   6. ready mark, release store          openers may now use it
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include "anchor.h"
#include "classify.h"
#include "crash.h"
#include "create.h"
#include "handle.h"
#include "open.h"
#include "page.h"
#include "remove.h"
#include "ring.h"
#include "sem.h"
#include "wait.h"

#define KNOWN_FLAGS (SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE | SHMRING_RECLAIM)

static int check_options(const struct shmring_options *opt, uint64_t *capacity,
			 uint64_t *max_msg, unsigned int *mode)
{
	uint64_t page = shmring__page_size();
	uint64_t want = opt && opt->capacity ? opt->capacity : SHMRING_DEFAULT_CAPACITY;
	if (want > UINT64_MAX / 2)
		return -EINVAL;
	*capacity = (want + page - 1) / page * page;
	*max_msg = opt && opt->max_msg ? opt->max_msg : *capacity / 4;
	if (!(opt && opt->max_msg) && *max_msg > SHMRING_MAX_MSG_LIMIT)
		*max_msg = SHMRING_MAX_MSG_LIMIT;
	if (*max_msg > SHMRING_MAX_MSG_LIMIT || layout_record_size(*max_msg) > *capacity)
		return -EINVAL;
	*mode = opt && opt->mode ? opt->mode : SHMRING_DEFAULT_MODE;
	if (*mode & ~0777u)
		return -EINVAL;
	return 0;
}

static int set_semaphores(int semid)
{
	unsigned short init[SEM_COUNT] = {0};
	init[SEM_WRITERS_LOCK] = 1;
	init[SEM_READERS_LOCK] = 1;
	init[SEM_TAG] = SEM_TAG_VALUE;
	union semun arg = {.array = init};
	return semctl(semid, 0, SETALL, arg) < 0 ? -errno : 0;
}

int shmring__create_unready(int32_t key, const struct shmring_options *opt,
			    const struct anchor_id *anchor, const char *anchor_path,
			    int with_semaphores)
{
	uint64_t capacity, max_msg, page = shmring__page_size();
	unsigned int mode;
	int rc = check_options(opt, &capacity, &max_msg, &mode);
	if (rc < 0)
		return rc;
	if (capacity > SIZE_MAX - page)
		return -EINVAL;

	int shmid = shmget(key, (size_t)(page + capacity), IPC_CREAT | IPC_EXCL | (int)mode);
	if (shmid < 0)
		return errno == EINVAL ? -EFBIG : -errno;
	struct layout_header *hdr = shmat(shmid, NULL, 0);
	if (hdr == (void *)-1) {
		rc = -errno;
		shmctl(shmid, IPC_RMID, NULL);
		return rc;
	}
	CRASH_POINT("create.segment_made");
	hdr->id.layout_version = LAYOUT_VERSION;
	shm_store_release(&hdr->id.magic, LAYOUT_MAGIC);

	int semid = -1;
	if (with_semaphores) {
		semid = semget(key, SEM_COUNT, IPC_CREAT | IPC_EXCL | (int)mode);
		if (semid < 0) {
			/* A set with our key but no segment: the remains of a
			 * ring whose segment went away. Not ours to take. */
			rc = errno == EEXIST ? -ESTALE : -errno;
			goto fail;
		}
		CRASH_POINT("create.set_made");
		hdr->id.semid = semid;
		rc = set_semaphores(semid);
		if (rc < 0)
			goto fail;
	} else {
		hdr->id.semid = -1;
	}
	hdr->id.data_offset = (uint32_t)page;
	hdr->id.capacity = capacity;
	hdr->id.max_msg = max_msg;
	hdr->id.key = (uint32_t)key;
	if (anchor) {
		hdr->id.anchor_dev = anchor->dev;
		hdr->id.anchor_ino = anchor->ino;
		hdr->id.anchor_birth = anchor->birth;
	}
	if (anchor_path) {
		char *real = realpath(anchor_path, NULL);
		const char *shown = real ? real : anchor_path;
		if (strlen(shown) < ANCHOR_MAX)
			strcpy(hdr->anchor, shown);
		free(real);
	}
	shmdt(hdr);
	return shmid;
fail:
	if (semid >= 0)
		semctl(semid, 0, IPC_RMID);
	shmdt(hdr);
	shmctl(shmid, IPC_RMID, NULL);
	return rc;
}

int shmring__create_mark_ready(int shmid)
{
	struct layout_header *hdr = shmat(shmid, NULL, 0);
	if (hdr == (void *)-1)
		return -errno;
	/* Release: every field above is written before an opener, which reads
	 * ready with acquire, may look at any of them. */
	shm_store_release(&hdr->id.ready, READY_MARK);
	shmdt(hdr);
	return 0;
}

/* Remove the remains a stale ring left under @key: only objects that are
 * ours (our magic in the segment, our tag in the semaphore set). */
static int reclaim(int32_t key)
{
	int attached, shmid, semid;
	if (shmring__classify_objects(key, &attached, &shmid, &semid) != RING_STALE)
		return -EEXIST;
	if (attached)
		return -EBUSY;
	/* Exactly the objects found stale, not what the key names now: a
	 * racer that reclaimed first may already be making its new ring. */
	shmring__remove_objects(shmid, semid);
	return 0;
}

/* Was the live ring under @key made for this anchor? (If not, the anchor's
 * ftok key collides with another ring's, or reuses a deleted anchor's inode.) */
static bool key_is_ours(int32_t key, const struct anchor_id *anchor)
{
	struct layout_identity id;
	struct shmid_ds ds;
	int shmid = shmget(key, 0, 0);
	return shmid >= 0 && shmring__peek_identity(shmid, &id, &ds) == 0 &&
	       shmring__anchor_matches(&id, anchor);
}

static int create_ring(int32_t key, unsigned int flags, const struct shmring_options *opt,
		       const char *path, const struct anchor_id *anchor, struct shmring **ringp)
{
	if (!ringp || (flags & ~KNOWN_FLAGS))
		return -EINVAL;
	for (int attempt = 0;; attempt++) {
		int shmid = shmring__create_unready(key, opt, anchor, path, 1);
		if (shmid == -EEXIST || shmid == -ESTALE) {
			int attached;
			enum ring_state state = shmring__classify(key, &attached);
			if (state == RING_LIVE && anchor && !key_is_ours(key, anchor))
				return -ENOTUNIQ;
			if (state != RING_STALE)
				return -EEXIST;
			if (!(flags & SHMRING_RECLAIM) || attempt > 0)
				return -ESTALE;
			int rc = reclaim(key);
			if (rc < 0)
				return rc;
			continue;
		}
		if (shmid < 0)
			return shmid;
		int rc = shmring__create_mark_ready(shmid);
		if (rc == 0) {
			struct shmring_options o = opt ? *opt : (struct shmring_options){0};
			o.ready_timeout_ms = -1;
			rc = shmring__open_shmid(shmid, flags & ~SHMRING_RECLAIM, &o, anchor, ringp);
		}
		if (rc < 0) {
			struct layout_identity id;
			struct shmid_ds ds;
			int semid = shmring__peek_identity(shmid, &id, &ds) == 0 ? id.semid : -1;
			shmring__remove_objects(shmid, semid);
		}
		return rc;
	}
}

int shmring_create(const char *path, unsigned int flags, const struct shmring_options *opt,
		   struct shmring **ringp)
{
	struct anchor_id anchor_id;
	uint64_t capacity, max_msg;
	unsigned int mode;
	/* Refuse bad arguments before the anchor file is made. */
	if (!ringp || (flags & ~KNOWN_FLAGS))
		return -EINVAL;
	int rc = check_options(opt, &capacity, &max_msg, &mode);
	if (rc < 0)
		return rc;
	bool made;
	int fd = shmring__anchor_claim(path, &made, &anchor_id);
	if (fd < 0)
		return fd;
	int32_t key = shmring__anchor_key(&anchor_id);
	rc = create_ring(key, flags, opt, path, &anchor_id, ringp);
	/* A failure changes nothing: the file goes if this call made it, but
	 * not if another creator made a ring on it before we failed (one may
	 * have opened the file between our O_EXCL and our lock; creators take
	 * turns under the lock, so none is at work now). */
	if (rc < 0 && made && !key_is_ours(key, &anchor_id))
		shmring__anchor_unmake(path, &anchor_id);
	close(fd);
	return rc;
}

int shmring_create_key(int32_t key, unsigned int flags, const struct shmring_options *opt,
		       struct shmring **ringp)
{
	return create_ring(key, flags, opt, NULL, NULL, ringp);
}
