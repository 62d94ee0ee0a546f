/* open.c - opening a ring: wait (bounded) for the creator's ready mark,
 * believe nothing in the header until then, and after it validate the
 * header against what the kernel says about the segment and the set. */
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
#include "close.h"
#include "copy.h"
#include "creator.h"
#include "fence.h"
#include "handle.h"
#include "open.h"
#include "presence.h"
#include "ring.h"
#include "sem.h"
#include "side.h"

/* Wait, bounded, for the creator's ready mark. */
static int wait_ready(struct layout_header *hdr, const struct shmid_ds *ds,
		      const struct shmring_options *opt)
{
	int timeout = opt && opt->ready_timeout_ms ? opt->ready_timeout_ms
						   : SHMRING_DEFAULT_READY_TIMEOUT_MS;
	struct deadline dl;
	shmring__deadline_init(&dl, timeout < 0 ? 0 : timeout);
	long nap = 50;
	for (;;) {
		uint64_t magic = shm_load_acquire(&hdr->id.magic);
		uint32_t ready = shm_load_acquire(&hdr->id.ready);
		/* A zero magic may be a creator between shmget and its first
		 * store; any other wrong value is somebody else's segment. */
		if (magic != LAYOUT_MAGIC && magic != 0)
			return -EMEDIUMTYPE;
		if (magic == LAYOUT_MAGIC &&
		    shm_load_relaxed(&hdr->id.layout_version) != LAYOUT_VERSION)
			return -EPROTONOSUPPORT;
		if (magic == LAYOUT_MAGIC && ready == READY_MARK)
			return 0;
		if (ready != 0 && ready != READY_MARK)
			return -EUCLEAN;
		if (shmring__deadline_expired(&dl)) {
			if (magic == 0)
				return shmring__creator_unmade_segment(hdr, ds) ? -ESTALE
										  : -EMEDIUMTYPE;
			return shmring__creator_alive(ds->shm_cpid, ds->shm_ctime) ? -ETIMEDOUT
											     : -ESTALE;
		}
		shmring__deadline_nap(&dl, nap);
		if (nap < 5000)
			nap *= 2;
	}
}

/* Check the identity block (already copied) against the kernel's facts. */
static int validate_identity(const struct layout_identity *id, const struct shmid_ds *ds)
{
	uint64_t segsz = ds->shm_segsz;
	if (id->data_offset < sizeof(struct layout_header) || id->data_offset % LAYOUT_BLOCK ||
	    id->data_offset > segsz)
		return -EUCLEAN;
	if (id->capacity == 0 || id->capacity % RECORD_ALIGN ||
	    id->capacity > segsz - id->data_offset)
		return -EUCLEAN;
	if (id->max_msg == 0 || id->max_msg > SHMRING_MAX_MSG_LIMIT ||
	    layout_record_size(id->max_msg) > id->capacity)
		return -EUCLEAN;
	if (id->key != (uint32_t)ds->shm_perm.__key)
		return -EUCLEAN;
	return 0;
}

static int check_semaphores(int semid, int32_t key)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	if (semid < 0)
		return -ESTALE;
	if (semctl(semid, 0, IPC_STAT, arg) < 0)
		return errno == EACCES ? -EACCES : -ESTALE;
	if (ds.sem_nsems != SEM_COUNT || ds.sem_perm.__key != key)
		return -EUCLEAN;
	int tag = shmring__sem_value(semid, SEM_TAG);
	if (tag < 0)
		return tag;
	return tag == SEM_TAG_VALUE ? 0 : -EUCLEAN;
}

int shmring__open_shmid(int shmid, unsigned int flags, const struct shmring_options *opt,
			const struct anchor_id *anchor, struct shmring **ringp)
{
	struct shmid_ds ds;
	const unsigned roles = SHMRING_READER | SHMRING_WRITER;
	if (!ringp || (flags & ~(roles | SHMRING_EXCLUSIVE | OPEN_READONLY)) ||
	    ((flags & OPEN_READONLY) && (flags & roles)))
		return -EINVAL;
	*ringp = NULL;
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		return errno == EACCES ? -EACCES : errno == EINVAL || errno == EIDRM ? -ENOENT : -errno;
	if (ds.shm_segsz < LAYOUT_MIN_SEGMENT)
		return -EMEDIUMTYPE;

	struct shmring *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->shmid = shmid;
	r->semid = -1;
	int64_t generation = shmring__fork_watch();
	if (generation < 0) {
		free(r);
		return (int)generation;
	}
	r->fork_generation = (uint32_t)generation;
	r->segment_size = ds.shm_segsz;
	r->key = ds.shm_perm.__key;
	/* An admin handle maps read-write when it may (destroy marks the
	 * header), read-only otherwise; OPEN_READONLY never writes. */
	void *p = (void *)-1;
	if (!(flags & OPEN_READONLY))
		p = shmat(shmid, NULL, 0);
	r->writable = p != (void *)-1;
	if (!r->writable && !(flags & roles) && (errno == EACCES || (flags & OPEN_READONLY)))
		p = shmat(shmid, NULL, SHM_RDONLY);
	if (p == (void *)-1) {
		int err = errno;
		free(r);
		return err == EINVAL || err == EIDRM ? -ENOENT : -err;
	}
	r->hdr = p;

	int rc = wait_ready(r->hdr, &ds, opt);
	if (rc < 0)
		goto fail;
	struct layout_identity id;
	memcpy(&id, &r->hdr->id, sizeof(id)); /* one copy, then only the copy */
	rc = validate_identity(&id, &ds);
	if (rc < 0)
		goto fail;
	if (anchor && !shmring__anchor_matches(&id, anchor)) {
		rc = -ENOTUNIQ;
		goto fail;
	}
	rc = check_semaphores(id.semid, r->key);
	if (rc < 0)
		goto fail;
	r->semid = id.semid;
	r->capacity = id.capacity;
	r->max_msg = id.max_msg;
	r->data = (uint8_t *)r->hdr + id.data_offset;
	rc = shmring__ring_check_span(r->capacity, shm_load_acquire(&r->hdr->cons.index),
			     shm_load_acquire(&r->hdr->prod.index));
	if (rc < 0)
		goto fail;
	if (ring_destroyed(r)) {
		rc = -EIDRM;
		goto fail;
	}

	r->flags = flags & SHMRING_EXCLUSIVE;
	r->light_fence = shmring__fence_register();
	shmring__copy_chosen(); /* measured here once, not in a first send */
	shmring__side_init(r);
	if ((flags & roles) && !r->writable) {
		rc = -EACCES;
		goto fail;
	}
	rc = shmring__presence_open(r);
	if (rc < 0)
		goto fail;

	/* The same bound for an exclusive side held by another handle: < 0
	 * is no wait (the lock is tried once). */
	int timeout = !opt || !opt->ready_timeout_ms ? SHMRING_DEFAULT_READY_TIMEOUT_MS
	              : opt->ready_timeout_ms < 0 ? SHMRING_NOWAIT
						   : opt->ready_timeout_ms;
	struct deadline lock_dl;
	shmring__deadline_init(&lock_dl, timeout);
	if (flags & SHMRING_WRITER) {
		rc = shmring__side_join(r, &r->writer, &lock_dl);
		if (rc < 0)
			goto fail;
	}
	if (flags & SHMRING_READER) {
		rc = shmring__side_join(r, &r->reader, &lock_dl);
		if (rc < 0)
			goto fail;
	}
	*ringp = r;
	return 0;
fail:
	shmring__handle_release(r);
	return rc;
}

int shmring__open_key(int32_t key, unsigned int flags, const struct shmring_options *opt,
		      const struct anchor_id *anchor, struct shmring **ringp)
{
	if (!ringp)
		return -EINVAL;
	int shmid = shmget(key, 0, 0);
	if (shmid < 0) {
		if (errno != ENOENT)
			return -errno;
		int semid = semget(key, 0, 0);
		if (semid < 0 || !shmring__set_is_ours(semid))
			return -ENOENT;
		/* Our set but no segment: left over, unless a creator made
		 * both since we missed the segment (it makes that first). */
		shmid = shmget(key, 0, 0);
		if (shmid < 0)
			return errno == ENOENT ? -ESTALE : -errno;
	}
	return shmring__open_shmid(shmid, flags, opt, anchor, ringp);
}

#define OPEN_FLAGS (SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE)

int shmring_open(const char *path, unsigned int flags, const struct shmring_options *opt,
		 struct shmring **ringp)
{
	if (flags & ~OPEN_FLAGS)
		return -EINVAL;
	struct anchor_id anchor_id;
	int rc = shmring__anchor_stat(path, &anchor_id);
	if (rc < 0)
		return rc;
	return shmring__open_key(shmring__anchor_key(&anchor_id), flags, opt, &anchor_id, ringp);
}

int shmring_open_key(int32_t key, unsigned int flags, const struct shmring_options *opt,
		     struct shmring **ringp)
{
	if (key == IPC_PRIVATE || (flags & ~OPEN_FLAGS))
		return -EINVAL;
	return shmring__open_key(key, flags, opt, NULL, ringp);
}

int shmring_open_id(int32_t shmid, unsigned int flags, const struct shmring_options *opt,
		    struct shmring **ringp)
{
	if (shmid < 0 || (flags & ~OPEN_FLAGS))
		return -EINVAL;
	return shmring__open_shmid(shmid, flags, opt, NULL, ringp);
}
