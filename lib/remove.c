/* remove.c - removing a ring: by handle (destroy), by path or key, and the
 * remains of a stale one. */
#include "config.h"

#include "remove.h"

#include <errno.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "anchor.h"
#include "classify.h"
#include "close.h"
#include "crash.h"
#include "handle.h"
#include "open.h"

void shmring__remove_objects(int shmid, int semid)
{
	if (semid >= 0)
		semctl(semid, 0, IPC_RMID);
	if (shmid >= 0)
		shmctl(shmid, IPC_RMID, NULL);
}

/*
 * Remove both objects, the semaphore set first: the kernel decides who may
 * (its EPERM changes nothing), and its removal wakes every sleeper with
 * EIDRM. Only then mark the header, for the fast paths that never touch a
 * semaphore. A remover killed at any step leaves a ring without its set:
 * classified stale, which the next remove finishes.
 */
static int remove_ring(struct layout_header *hdr_rw, int shmid, int semid)
{
	if (semid >= 0 && semctl(semid, 0, IPC_RMID) < 0 && errno == EPERM)
		return -EPERM;
	CRASH_POINT("remove.step1");
	if (hdr_rw)
		shm_store_release(&hdr_rw->id.destroyed, DESTROYED_MARK);
	CRASH_POINT("remove.step2");
	if (shmctl(shmid, IPC_RMID, NULL) < 0)
		return errno == EPERM ? -EPERM : errno == EINVAL || errno == EIDRM ? 0 : -errno;
	return 0;
}

int shmring_destroy(struct shmring *r)
{
	if (!r)
		return -EINVAL;
	int rc = remove_ring(r->writable ? r->hdr : NULL, r->shmid, r->semid);
	shmring__handle_release(r);
	return rc;
}

/* Remove what is under @key if it is a ring of ours, whatever its state. */
static int remove_key(int32_t key, const struct anchor_id *anchor)
{
	int attached, shmid, semid;
	/* Only the objects the verdict is about are removed (a set only when
	 * it carries our tag): never a new ring made under the key since. */
	enum ring_state state = shmring__classify_objects(key, &attached, &shmid, &semid);
	switch (state) {
	case RING_ABSENT:
		return -ENOENT;
	case RING_DENIED:
		return -EACCES;
	case RING_FOREIGN:
		return -EMEDIUMTYPE;
	case RING_CREATING:
		return -EBUSY;
	case RING_STALE:
	case RING_OTHER_VERSION:
		/* Our magic (or our tag) but nothing to open: remove as is. */
		if (shmid < 0)
			return semctl(semid, 0, IPC_RMID) < 0 ? -errno : 0;
		return remove_ring(NULL, shmid, semid);
	case RING_LIVE:
		break;
	}
	struct shmring *r;
	struct shmring_options opt = {.ready_timeout_ms = -1};
	int rc = shmring__open_key(key, 0, &opt, anchor, &r);
	/* Ours, but corrupt, or marked removed by a remover killed before it
	 * finished (or by an older library, which marked first). */
	if (rc == -EUCLEAN || rc == -EIDRM)
		return remove_ring(NULL, shmid, semid);
	if (rc < 0)
		return rc;
	return shmring_destroy(r);
}

int shmring_remove(const char *path)
{
	struct anchor_id anchor_id;
	int rc = shmring__anchor_stat(path, &anchor_id);
	if (rc < 0)
		return rc;
	return remove_key(shmring__anchor_key(&anchor_id), &anchor_id);
}

int shmring_remove_key(int32_t key)
{
	if (key == IPC_PRIVATE)
		return -EINVAL;
	return remove_key(key, NULL);
}
