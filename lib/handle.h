/* handle.h - the process-local state behind struct shmring. Never shared. */
#ifndef SHMRING_HANDLE_H
#define SHMRING_HANDLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fork.h"
#include "layout.h"
#include "shm.h"
#include "shmring.h"
#include "spin.h"

/* An exclusive writer asks the kernel whether readers remain at least this
 * often (in messages); shared writers ask on every lock. */
#define READER_CHECK_INTERVAL 1024u

struct shmring {
	struct layout_header *hdr; /* the mapping */
	uint8_t *data;             /* hdr + data_offset */
	uint64_t capacity;         /* validated copies of the identity block */
	uint64_t max_msg;
	uint64_t segment_size;
	int shmid;
	int semid;
	int32_t key;
	unsigned int flags; /* SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE */
	bool writable;      /* mapped read-write */
	bool light_fence;   /* publish without a StoreLoad fence (fence.h) */
	uint32_t fork_generation; /* shmring__fork_generation at open (fork.h) */

	/* How long each kind of wait polls before it sleeps (spin.h). */
	struct spin_budget data_spin;  /* reader, for a message */
	struct spin_budget space_spin; /* writer, for room */
	struct spin_budget lock_spin;  /* shared handle, for its side's lock */

	/* Peers present when this handle opened, and the join counts then:
	 * the baseline for "every peer that attached in my time is gone". */
	bool writers_at_open;
	bool readers_at_open;
	bool backlog_at_open; /* messages were waiting: their writers count */
	uint64_t writer_joins_at_open;
	uint64_t reader_joins_at_open;
	/* When the kernel last said the peers were there (NOWAIT polls). */
	int64_t writers_seen_ns;
	int64_t readers_seen_ns;

	/* Writer side; tail and sent are ours while the writers' lock is held. */
	bool plock_held;
	uint64_t tail;
	uint64_t tail_off; /* tail % capacity */
	uint64_t sent;
	uint64_t head_seen; /* last validated head: a lower bound on free space */
	unsigned int since_reader_check;
	bool reserved; /* zero copy: a reservation is pending */
	uint64_t reserve_at;  /* index of its record header */
	uint64_t reserve_off; /* reserve_at % capacity */
	uint64_t reserve_len;

	/* Reader side; head and received are ours while the readers' lock is held. */
	bool clock_held;
	uint64_t head;
	uint64_t head_off; /* head % capacity */
	uint64_t received;
	uint64_t tail_seen; /* last validated tail: a lower bound on data queued */
	bool peeked;             /* zero copy: peeked messages are pending */
	unsigned int peek_count; /* how many (1 for shmring_peek) */
	uint64_t peek_next;      /* head after releasing them all */
	uint64_t peek_next_off;
};

static inline bool handle_is_shared(const struct shmring *r)
{
	return !(r->flags & SHMRING_EXCLUSIVE);
}

/* Is this the process that opened the handle (not a child of it)? */
static inline bool handle_is_ours(const struct shmring *r)
{
	return r->fork_generation == shmring__fork_generation;
}

static inline bool ring_destroyed(const struct shmring *r)
{
	return shm_load_relaxed(&r->hdr->id.destroyed) == DESTROYED_MARK;
}

#endif
