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

/*
 * One side of the ring as a handle sees it: the writers (who produce) or
 * the readers (who consume). Both sides are the same code, run with a
 * different descriptor (side.c); only what a message is differs (send.c,
 * recv.c).
 */
struct side {
	/* What the side is: set when the handle opens (shmring__side_init). */
	unsigned int role;         /* SHMRING_WRITER / SHMRING_READER */
	bool consumes;             /* readers: the bytes queued are theirs to take,
				      also after the writers left */
	unsigned short lock_sem;   /* SEM_WRITERS_LOCK / SEM_READERS_LOCK */
	unsigned short count_sem;  /* SEM_WRITERS / SEM_READERS */
	unsigned short wake_sem;   /* SEM_SPACE / SEM_DATA: where its lock holder sleeps */
	struct layout_side *line;  /* its index line: hdr->prod / hdr->cons */
	struct layout_wait *wait;  /* its sleeper's flag: hdr->prod_wait / hdr->cons_wait */
	uint32_t *lock_hint;       /* hdr->writers_hint.busy / hdr->readers_hint.busy */
	struct side *peer;         /* the other side, in the same handle */
	const char *crash_leave;   /* the crash point between its wake and its leave */

	/* This handle on the side. index, off and count are ours while the
	 * lock is held. */
	bool lock_held;
	uint64_t index;     /* tail / head */
	uint64_t off;       /* index % capacity */
	uint64_t count;     /* sent / received */
	uint64_t peer_seen; /* the peer's index when last validated: a bound
			       on the room (data) there is at least */
	struct spin_budget ring_spin; /* for room (data) before sleeping (spin.h) */
	struct spin_budget lock_spin; /* shared handles: for the lock */

	/* The side's members as the other side of this handle judges them
	 * (presence.c): attached when it opened, joins then, and when the
	 * kernel last said some are there (NOWAIT polls). */
	bool present_at_open; /* writers: also messages left waiting */
	uint64_t joins_at_open;
	int64_t seen_ns;
};

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

	struct side writer;
	struct side reader;

	/* What only one side has: the writer's zero-copy reservation and its
	 * count towards asking whether readers remain, the reader's peek. */
	unsigned int since_reader_check;
	bool reserved;
	uint64_t reserve_at;  /* index of its record header */
	uint64_t reserve_off; /* reserve_at % capacity */
	uint64_t reserve_len;
	bool peeked;             /* peeked messages are pending */
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
