/* close.c - leaving a ring. */
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
