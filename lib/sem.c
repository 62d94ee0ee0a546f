/* sem.c - semop() wrappers. Every wait in shmring goes through shmring__sem_run(). */
#include "config.h"

#include "sem.h"

#include <errno.h>

int shmring__ipc_error(int err)
{
	/* A set removed under us shows as EIDRM to a sleeper and as EINVAL
	 * to the next caller: one event, one code. */
	if (err == EIDRM || err == EINVAL)
		return -EIDRM;
	return -err;
}

int shmring__sem_run(int semid, struct sembuf *ops, unsigned n, const struct deadline *dl)
{
	if (dl->kind == DEADLINE_NOWAIT)
		for (unsigned i = 0; i < n; i++)
			ops[i].sem_flg |= IPC_NOWAIT;
	for (;;) {
		int rc;
		if (dl->kind == DEADLINE_TIMED) {
			struct timespec left;
			if (!shmring__deadline_remaining(dl, &left))
				return -ETIMEDOUT;
			rc = semtimedop(semid, ops, n, &left);
		} else {
			rc = semop(semid, ops, n);
		}
		if (rc == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			/* semtimedop says EAGAIN both for "timed out" and for
			 * an IPC_NOWAIT operation that failed: the clock tells. */
			if (dl->kind == DEADLINE_NOWAIT)
				return -EAGAIN;
			if (dl->kind == DEADLINE_TIMED && shmring__deadline_expired(dl))
				return -ETIMEDOUT;
			return -EAGAIN;
		}
		return shmring__ipc_error(errno);
	}
}

int shmring__sem_lock(int semid, unsigned short idx, const struct deadline *dl)
{
	struct sembuf op = {idx, -1, SEM_UNDO};
	return shmring__sem_run(semid, &op, 1, dl);
}

int shmring__sem_unlock(int semid, unsigned short idx)
{
	struct sembuf op = {idx, 1, SEM_UNDO};
	struct deadline dl = {.kind = DEADLINE_FOREVER};
	return shmring__sem_run(semid, &op, 1, &dl);
}

int shmring__sem_post(int semid, unsigned short idx)
{
	/* Wait-for-zero without waiting, then +1, in one semop: the token is
	 * posted only when none is pending. A sleeper that withdrew after a
	 * waker had claimed its flag leaves that waker's token behind; with
	 * this, such leftovers cannot pile up towards SEMVMX. A pending token
	 * already wakes the next sleeper, which then looks at the ring again. */
	struct sembuf ops[2] = {{idx, 0, IPC_NOWAIT}, {idx, 1, 0}};
	struct deadline dl = {.kind = DEADLINE_FOREVER};
	int rc = shmring__sem_run(semid, ops, 2, &dl);
	return rc == -EAGAIN ? 0 : rc;
}

int shmring__sem_wait_token(int semid, unsigned short idx, const struct deadline *dl)
{
	struct sembuf op = {idx, -1, 0};
	return shmring__sem_run(semid, &op, 1, dl);
}

int shmring__sem_wait_token_while(int semid, unsigned short idx, unsigned short count_idx,
			 const struct deadline *dl)
{
	/* The count's -1 and +1 change nothing; the -1 fails (IPC_NOWAIT)
	 * when it is 0. The kernel evaluates the three again whenever the
	 * set changes, so the count falling to 0 wakes the sleeper too. */
	struct sembuf ops[3] = {
		{count_idx, -1, IPC_NOWAIT},
		{count_idx, 1, 0},
		{idx, -1, 0},
	};
	return shmring__sem_run(semid, ops, 3, dl);
}

void shmring__sem_drain(int semid, unsigned short idx)
{
	struct sembuf op = {idx, -1, IPC_NOWAIT};
	while (semop(semid, &op, 1) == 0 || errno == EINTR)
		;
}

int shmring__sem_value(int semid, unsigned short idx)
{
	int v = semctl(semid, idx, GETVAL);
	return v < 0 ? shmring__ipc_error(errno) : v;
}

/*
 * Move this process's undo debt on @wake_idx by one token (@debt +1 on a
 * join, -1 on a leave) and its role count @count_idx by @count, in one
 * semop, without changing the value of @wake_idx: a +1 and a -1, one of
 * them with SEM_UNDO. Which goes first matters at the edges: taking first
 * needs a token there (else it would wait), giving first needs room below
 * SEMVMX (else -ERANGE). Taking first is tried without waiting; when there
 * is no token, giving first cannot hit SEMVMX.
 */
static int move_debt(int semid, unsigned short count_idx, short count, unsigned short wake_idx,
		     short debt)
{
	static const struct deadline forever = {.kind = DEADLINE_FOREVER};
	/* The kernel pays back at exit minus the sum of the undone values. */
	short undone = (short)-debt;
	struct sembuf take_first[3] = {
		{count_idx, count, SEM_UNDO | IPC_NOWAIT},
		{wake_idx, -1, (short)((undone < 0 ? SEM_UNDO : 0) | IPC_NOWAIT)},
		{wake_idx, 1, undone > 0 ? SEM_UNDO : 0},
	};
	int rc = shmring__sem_run(semid, take_first, 3, &forever);
	if (rc != -EAGAIN)
		return rc;
	struct sembuf give_first[3] = {
		{count_idx, count, SEM_UNDO | IPC_NOWAIT},
		{wake_idx, 1, undone > 0 ? SEM_UNDO : 0},
		{wake_idx, -1, undone < 0 ? SEM_UNDO : 0},
	};
	rc = shmring__sem_run(semid, give_first, 3, &forever);
	/* Only the count can be short now: a role we hold, taken off by
	 * somebody else's SETVAL. */
	return rc == -EAGAIN ? -EUCLEAN : rc;
}

/* Leave one token at most on @wake_idx. A sleeper needs one to wake, and
 * nobody sleeps while there is one; more are the debts of dead peers that
 * nobody took (layout.h, "Peers that die"). Never down to 0: that token may
 * be a waker's, for a sleeper that has not reached semop yet. */
static void trim_tokens(int semid, unsigned short wake_idx)
{
	for (int tries = 0; tries < 4; tries++) {
		int v = semctl(semid, wake_idx, GETVAL);
		if (v <= 1)
			return;
		/* All v, then one back: it runs only while all v are still
		 * there, so a token taken meanwhile cannot make it leave 0. */
		struct sembuf ops[2] = {{wake_idx, (short)-v, IPC_NOWAIT}, {wake_idx, 1, 0}};
		if (semop(semid, ops, 2) == 0 || errno != EAGAIN)
			return; /* EAGAIN: taken meanwhile, look again */
	}
}

int shmring__sem_join_role(int semid, unsigned short count_idx, unsigned short wake_idx)
{
	int rc = move_debt(semid, count_idx, 1, wake_idx, 1);
	if (rc == -ERANGE)
		return -EUSERS; /* SEMVMX handles on this side, or SEMAEM in this process */
	if (rc == 0)
		/* model: join_trim */
		trim_tokens(semid, wake_idx);
	return rc;
}

int shmring__sem_leave_role(int semid, unsigned short count_idx, unsigned short wake_idx)
{
	return move_debt(semid, count_idx, -1, wake_idx, -1);
}
