/* lock.h - taking a side's lock from a shared handle. */
#ifndef SHMRING_LOCK_H
#define SHMRING_LOCK_H

#include <stdint.h>
#include <sys/sem.h>

#include "clock.h"
#include "spin.h"

/*
 * Run @ops (ops[0] is the lock's P, with SEM_UNDO; the others go with it
 * atomically) as @dl allows, and set the side's hint @busy (layout.h, LOCK
 * HINTS). Returns 0, -EAGAIN (@dl is NOWAIT and the lock is busy, or an
 * operation the caller marked IPC_NOWAIT failed), -ETIMEDOUT, -EIDRM. It
 * never queues a P: it tries without queueing, spins on the hint for at
 * most @budget (spin.h), and then sleeps until the lock is free and tries
 * again, so a released lock goes to a process that runs, never to one the
 * scheduler has not picked (lock.c, lock_wait_free).
 */
int shmring__lock_side(int semid, struct sembuf *ops, unsigned nops, uint32_t *busy,
		       struct spin_budget *budget, const struct deadline *dl);

/* Clear the hint, right before giving the lock back. */
void shmring__lock_hint_clear(uint32_t *busy);

#endif
