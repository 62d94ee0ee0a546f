/* sem.h - the System V semaphore operations shmring needs, with EINTR and
 * timeouts handled and kernel errors mapped to our codes. */
#ifndef SHMRING_SEM_H
#define SHMRING_SEM_H

#include <stdbool.h>
#include <sys/sem.h>

#include "clock.h"

/* semctl(2)'s fourth argument, which the caller must define. */
union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

/*
 * Run @n operations atomically, waiting as @dl allows. Returns 0, -ETIMEDOUT
 * (or -EAGAIN for a NOWAIT deadline) when the wait ran out, -EAGAIN when an
 * operation the caller marked IPC_NOWAIT could not proceed, -EIDRM when the
 * set is gone (EIDRM and EINVAL alike), or another -errno.
 */
int shmring__sem_run(int semid, struct sembuf *ops, unsigned n, const struct deadline *dl);

/* Take / give back a lock semaphore (SEM_UNDO: released if we die). */
int shmring__sem_lock(int semid, unsigned short idx, const struct deadline *dl);
int shmring__sem_unlock(int semid, unsigned short idx);

/* Post one wake-up token (no undo), unless one is pending already. */
int shmring__sem_post(int semid, unsigned short idx);

/* Wait for one wake-up token. */
int shmring__sem_wait_token(int semid, unsigned short idx, const struct deadline *dl);

/* Wait for one wake-up token on @idx while the role count @count_idx is
 * above 0: -EAGAIN, at once or later, when it is (or falls to) 0. @dl must
 * not be NOWAIT (its -EAGAIN would mean either). */
int shmring__sem_wait_token_while(int semid, unsigned short idx, unsigned short count_idx,
			 const struct deadline *dl);

/* Take every token that is there without waiting. */
void shmring__sem_drain(int semid, unsigned short idx);

/* Current value, or -errno (-EIDRM when the set is gone). */
int shmring__sem_value(int semid, unsigned short idx);

/*
 * Join / leave a role: count +1 / -1 on @count_idx, and arrange (join) or
 * cancel (leave) one token on @wake_idx that the kernel posts if we die
 * holding the role. See layout.h, "Peers that die". The value of @wake_idx
 * does not move, at any value; a join then takes the tokens of dead peers
 * beyond one. Join: -EUSERS when the kernel cannot count one more (32767
 * handles on a side, or in this process). Leave: -EUCLEAN when somebody
 * set the count below the roles held.
 */
int shmring__sem_join_role(int semid, unsigned short count_idx, unsigned short wake_idx);
int shmring__sem_leave_role(int semid, unsigned short count_idx, unsigned short wake_idx);

/* Map an errno from a System V IPC call (semaphores or segments) to ours:
 * EINVAL and EIDRM, an object removed under us, both -> -EIDRM. */
int shmring__ipc_error(int err);

#endif
