/* close.c - leaving a ring, and removing one. */
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

#include "crash.h"
#include "handle.h"
#include "lifecycle.h"
#include "ring.h"
#include "sem.h"
#include "wait.h"

/* A ring removed under us has nothing left to leave; any other failure
 * to leave is the caller's to know (the first one). */
static int leave_error(int err, int first)
{
	return first < 0 || err == -EIDRM ? first : err;
}

int shmring_close(struct shmring *r)
{
	int rc = 0;
	if (!r)
		return 0;
	/* After fork() the roles and locks belong to the parent: only unmap. */
	CRASH_POINT("close.begin");
	if (handle_is_ours(r) && r->semid >= 0) {
		if (r->reserved)
			shmring_abort(r);
		/* Wake the other side's sleeper first, then leave: killed in
		 * between, we still owe the kernel's token (and the count still
		 * falls), so the sleeper, woken or not, hears of it. Leaving
		 * first cancels that token, and a kill before the wake would
		 * strand a sleeper that does not wait on our count. */
		if (r->flags & SHMRING_WRITER) {
			/* model: close_wake */
			shmring__wake_reader(r); /* it may be waiting to see the end */
			CRASH_POINT("close.writer.between");
			/* model: close_leave */
			rc = leave_error(shmring__sem_leave_role(r->semid, SEM_WRITERS, SEM_DATA), rc);
		}
		if (r->flags & SHMRING_READER) {
			shmring__wake_writer(r); /* it may be waiting to see -EPIPE */
			CRASH_POINT("close.reader.between");
			rc = leave_error(shmring__sem_leave_role(r->semid, SEM_READERS, SEM_SPACE), rc);
		}
		/* model: close_unlock */
		/* The locks last (the kernel would release them too): the
		 * order doc/model/shmring.pml checks. */
		if (r->plock_held)
			shmring__sem_unlock(r->semid, SEM_PLOCK);
		if (r->clock_held) {
			/* A shared reader still holds it for a peek. */
			if (handle_is_shared(r))
				shmring__lock_hint_clear(&r->hdr->clock_hint.busy);
			shmring__sem_unlock(r->semid, SEM_CLOCK);
		}
	}
	CRASH_POINT("close.end");
	if (r->hdr)
		shmdt(r->hdr);
	free(r);
	return rc;
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
	shmring_close(r);
	return rc;
}

/* Remove what is under @key if it is a ring of ours, whatever its state. */
static int remove_key(int32_t key, const struct anchor_id *anchor)
{
	int attached, shmid, semid;
	/* Only the objects the verdict is about are removed (a set only when
	 * it carries our tag): never a new ring made under the key since. */
	enum ring_state state = shmring__lifecycle_classify_objects(key, &attached, &shmid, &semid);
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
	int rc = shmring__lifecycle_open_key(key, 0, &opt, anchor, &r);
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
	int rc = shmring__lifecycle_anchor_stat(path, &anchor_id);
	if (rc < 0)
		return rc;
	return remove_key(shmring__lifecycle_anchor_key(&anchor_id), &anchor_id);
}

int shmring_remove_key(int32_t key)
{
	if (key == IPC_PRIVATE)
		return -EINVAL;
	return remove_key(key, NULL);
}
