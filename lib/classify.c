/* classify.c - what a key names: nothing, a live ring, one being made, the
 * remains of one, or something that is not ours. */
#include "config.h"

#include "classify.h"

#include <errno.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "creator.h"
#include "layout.h"
#include "sem.h"
#include "shm.h"

bool shmring__set_is_ours(int semid)
{
	struct semid_ds ds;
	union semun arg = {.buf = &ds};
	if (semctl(semid, 0, IPC_STAT, arg) < 0 || ds.sem_nsems != SEM_COUNT)
		return false;
	return shmring__sem_value(semid, SEM_TAG) == SEM_TAG_VALUE;
}

bool shmring__set_in_use(int semid)
{
	return shmring__sem_value(semid, SEM_READERS) > 0 || shmring__sem_value(semid, SEM_WRITERS) > 0;
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

/* Attach read-only and copy what identifies the segment. */
int shmring__peek_identity(int shmid, struct layout_identity *id, struct shmid_ds *ds)
{
	if (shmctl(shmid, IPC_STAT, ds) < 0)
		return shmring__ipc_error(errno);
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
	bool ours = shmring__creator_unmade_segment(p, ds);
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
	bool sem_ours = semid >= 0 && (shmring__set_is_ours(semid) ||
				       semaphores_unset(semid));
	if (shmid < 0) {
		if (semid < 0)
			return shm_err == ENOENT && sem_err == ENOENT ? RING_ABSENT : RING_FOREIGN;
		if (!sem_ours)
			return RING_FOREIGN;
		*semidp = semid;
		*attached = shmring__set_in_use(semid);
		return RING_STALE;
	}
	*shmidp = shmid;
	*semidp = sem_ours ? semid : -1;
	int rc = shmring__peek_identity(shmid, &id, &ds);
	if (rc == -EACCES)
		return RING_DENIED;
	if (rc == 0 && id.magic == 0 && ds.shm_nattch == 0 && unmade_ours(shmid, &ds))
		return RING_STALE; /* its creator died before its first store */
	if (rc < 0 || id.magic != LAYOUT_MAGIC)
		return RING_FOREIGN;
	*attached = ds.shm_nattch > 0 || (semid >= 0 && shmring__set_in_use(semid));
	if (id.layout_version != LAYOUT_VERSION)
		return RING_OTHER_VERSION;
	if (id.ready != READY_MARK)
		return shmring__creator_alive(ds.shm_cpid, ds.shm_ctime) ? RING_CREATING
										    : RING_STALE;
	/* The set is made before the ready mark: a creator may have finished
	 * both since we looked, so look again now that it is ready. */
	semid = semget(key, 0, 0);
	sem_ours = semid >= 0 && shmring__set_is_ours(semid);
	/* Only the ring's own set belongs to this verdict. Another set under
	 * the key was made after this segment left it: a racer that removed
	 * it and is making (or has made) a new ring there. */
	*semidp = sem_ours && semid == id.semid ? semid : -1;
	if (semid < 0 || semid != id.semid || !sem_ours)
		return RING_STALE;
	return RING_LIVE;
}

enum ring_state shmring__classify_objects(int32_t key, int *attached, int *shmidp, int *semidp)
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

enum ring_state shmring__classify(int32_t key, int *attached)
{
	int shmid, semid;
	return shmring__classify_objects(key, attached, &shmid, &semid);
}
