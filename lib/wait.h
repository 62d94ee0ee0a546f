/* wait.h - sleeping on an empty or full ring, and waking the other side. */
#ifndef SHMRING_WAIT_H
#define SHMRING_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "handle.h"
#include "sem.h"

/* Results besides 0 and -errno. */
#define WAIT_END_OF_STREAM 1

/*
 * Reader lock holder: wait until the producer index moves past r->head.
 * Returns 0 (reload the tail), WAIT_END_OF_STREAM (empty, and every writer
 * that had attached is gone), or -EAGAIN, -ETIMEDOUT, -EIDRM.
 */
int shmring__wait_for_data(struct shmring *r, const struct deadline *dl);

/*
 * Writer lock holder: wait until at least @need bytes are free after r->tail.
 * Returns 0 (reload the head), -EPIPE (every reader that had attached is
 * gone), or -EAGAIN, -ETIMEDOUT, -EIDRM.
 */
int shmring__wait_for_space(struct shmring *r, uint64_t need, const struct deadline *dl);

/*
 * A shared handle takes its side's lock: run @ops (ops[0] is the lock's P,
 * with SEM_UNDO; the others go with it atomically) as @dl allows, and set
 * the side's hint @busy (layout.h, LOCK HINTS). Returns 0, -EAGAIN (@dl is
 * NOWAIT and the lock is busy, or an operation the caller marked
 * IPC_NOWAIT failed), -ETIMEDOUT, -EIDRM. It never queues a P: it tries
 * without queueing, spins on the hint for at most @budget (spin.h), and
 * then sleeps until the lock is free and tries again, so a released lock
 * goes to a process that runs, never to one the scheduler has not picked
 * (wait.c, lock_wait_free).
 */
int shmring__lock_side(int semid, struct sembuf *ops, unsigned nops, uint32_t *busy,
	      struct spin_budget *budget, const struct deadline *dl);

/* Clear the hint, right before giving the lock back. */
void shmring__lock_hint_clear(uint32_t *busy);

/* After publishing, or leaving: wake the other side's lock holder if it
 * sleeps. */
void shmring__wake_reader(struct shmring *r);
void shmring__wake_writer(struct shmring *r);

/* After consuming: wake a sleeping writer if the @free bytes the ring now
 * has (at least) are the share it waits for. A reader that goes idle has
 * the whole ring free, so it always wakes it. */
void shmring__wake_writer_for_room(struct shmring *r, uint64_t free);

/*
 * A NOWAIT call of a shared handle, before it takes its side's lock: a
 * look at the indexes alone. -EAGAIN when the ring is empty (for @need
 * bytes: full) and the peers are there, so the call can answer without
 * a system call; -EIDRM; or 0: take the lock and look properly.
 */
int shmring__poll_data_unlocked(struct shmring *r);
int shmring__poll_space_unlocked(struct shmring *r, uint64_t need);

/* Has a reader been attached at some time since this handle opened? */
bool shmring__readers_expected(const struct shmring *r);

/* The kernel's word on whether every peer attached since this handle opened
 * is gone: 1 gone, 0 not (or none came yet), or -errno. */
int shmring__readers_gone(struct shmring *r);
int shmring__writers_gone(struct shmring *r);

#endif
