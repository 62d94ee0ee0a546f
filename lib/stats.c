/* stats.c - a snapshot of a ring. The numbers come from shared memory
 * (bounded before use) and from the kernel (role counts, attach count). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/shm.h>

#include "handle.h"
#include "ring.h"
#include "sem.h"

/* A side's count as the journal says it is: when the index is the one the
 * journal announced, the journal's count is right even if the holder died
 * (or is about to write it) before storing count (layout.h, COMMITTING). */
static uint64_t side_count(const struct layout_side *side)
{
	uint64_t journal_count = shm_load_relaxed(&side->journal_count);
	uint64_t journal_index = shm_load_acquire(&side->journal_index);
	if (journal_index == shm_load_acquire(&side->index))
		return journal_count;
	return shm_load_relaxed(&side->count);
}

int shmring_stats(struct shmring *r, struct shmring_stats *st)
{
	struct shmid_ds ds;
	if (!r || !st)
		return -EINVAL;
	if (shmctl(r->shmid, IPC_STAT, &ds) < 0)
		return shmring__ipc_error(errno);
	memset(st, 0, sizeof(*st));

	uint64_t head = shm_load_acquire(&r->hdr->cons.index);
	uint64_t tail = shm_load_acquire(&r->hdr->prod.index);
	uint64_t received = side_count(&r->hdr->cons);
	uint64_t sent = side_count(&r->hdr->prod);
	/* Readers may have moved on between the two loads; a second look at
	 * the tail keeps the span honest, and only a corrupt ring fails twice. */
	if (shmring__ring_check_span(r->capacity, head, tail) < 0) {
		tail = shm_load_acquire(&r->hdr->prod.index);
		if (shmring__ring_check_span(r->capacity, head, tail) < 0)
			return -EUCLEAN;
	}
	int readers = shmring__sem_value(r->semid, SEM_READERS);
	int writers = shmring__sem_value(r->semid, SEM_WRITERS);
	if (readers < 0)
		return readers;
	if (writers < 0)
		return writers;

	st->capacity = r->capacity;
	st->max_msg = r->max_msg;
	st->used = tail - head;
	st->sent = sent;
	st->received = received;
	st->messages = sent >= received ? sent - received : 0;
	st->segment_size = ds.shm_segsz;
	st->readers = (uint32_t)readers;
	st->writers = (uint32_t)writers;
	st->attached = (uint32_t)ds.shm_nattch;
	st->mode = ds.shm_perm.mode & 0777;
	st->key = ds.shm_perm.__key;
	st->shmid = r->shmid;
	st->semid = r->semid;
	st->creator_pid = ds.shm_cpid;
	memcpy(st->anchor, r->hdr->anchor, sizeof(st->anchor) - 1);
	st->anchor[sizeof(st->anchor) - 1] = '\0';
	return 0;
}

size_t shmring_capacity(const struct shmring *r)
{
	return r ? (size_t)r->capacity : 0;
}

size_t shmring_max_msg(const struct shmring *r)
{
	return r ? (size_t)r->max_msg : 0;
}
