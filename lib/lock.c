/* lock.c - taking a side's lock from a shared handle: try, spin on the
 * holder's hint, sleep until it is free, compete again (layout.h, LOCK
 * HINTS). */
#include "config.h"

#include "lock.h"

#include <errno.h>

#include "layout.h"
#include "sem.h"
#include "shm.h"

/* Attempts to take a lock without queueing, while its hint keeps clearing,
 * before sleeping until it is free. */
#define LOCK_TRIES 8

/* Spin while the hint says busy, until @end. Returns false when it never
 * cleared: its holder is preempted, slow or dead (a dead one leaves the
 * hint set). */
static bool lock_spin(const uint32_t *busy, struct spin *s)
{
	for (unsigned i = 0;; i++) {
		uint32_t hint = shm_load_relaxed(busy);
		if (hint == 0)
			return true;
		if (hint == LOCK_HINT_ASLEEP || !spin_on(s, i))
			return false;
	}
}

/* One attempt at @ops that never queues. */
static int lock_try(int semid, const struct sembuf *ops, unsigned nops)
{
	static const struct deadline nowait = {.kind = DEADLINE_NOWAIT};
	struct sembuf try_ops[SEM_COUNT];
	__builtin_memcpy(try_ops, ops, nops * sizeof(*ops));
	return shmring__sem_run(semid, try_ops, nops, &nowait);
}

/*
 * Sleep until the lock ops[0] names is free, without taking it: its P and
 * a V in one semop, which changes nothing and so is no hand-off; the
 * caller's other operations go with it, so their IPC_NOWAIT verdict comes
 * back as -EAGAIN. A queued P would be handed the lock by the kernel at the
 * holder's V, even when its process is not running, and every other
 * process then waits for that one to be scheduled (a lock convoy, the
 * worse the busier the host). Woken, the caller competes for the lock
 * with whoever runs.
 */
static int lock_wait_free(int semid, const struct sembuf *ops, unsigned nops,
			  const struct deadline *dl)
{
	struct sembuf wait_ops[SEM_COUNT];
	wait_ops[0] = (struct sembuf){ops[0].sem_num, -1, 0};
	wait_ops[1] = (struct sembuf){ops[0].sem_num, 1, 0};
	__builtin_memcpy(wait_ops + 2, ops + 1, (nops - 1) * sizeof(*ops));
	return shmring__sem_run(semid, wait_ops, nops + 1, dl);
}

int shmring__lock_side(int semid, struct sembuf *ops, unsigned nops, uint32_t *busy,
	      struct spin_budget *budget, const struct deadline *dl)
{
	int rc = lock_try(semid, ops, nops);
	if (rc == -EAGAIN && dl->kind != DEADLINE_NOWAIT) {
		struct spin s;
		spin_begin(&s, budget, dl);
		bool slept = false;
		for (int tries = 1; rc == -EAGAIN; tries++) {
			/* A hint still set when the budget is spent: its holder
			 * is off-CPU (or dead, and the kernel has released its
			 * lock). A hint that keeps clearing while the attempts
			 * fail: others take the lock first, or one of the
			 * caller's other operations fails. Either way, the
			 * kernel decides. */
			if (slept || tries > LOCK_TRIES || !lock_spin(busy, &s)) {
				slept = true;
				rc = lock_wait_free(semid, ops, nops, dl);
				if (rc < 0)
					break;
			}
			rc = lock_try(semid, ops, nops);
		}
		spin_end(&s, !slept);
	}
	if (rc == 0)
		shm_store_relaxed(busy, LOCK_HINT_HELD); /* relaxed: a hint orders nothing */
	return rc;
}

void shmring__lock_hint_clear(uint32_t *busy)
{
	shm_store_relaxed(busy, 0);
}
