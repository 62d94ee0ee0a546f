/* close.c - letting go of a handle: leave its roles, give back its locks,
 * unmap. Also the way out of an open that failed half way. */
#include "config.h"

#include "close.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/shm.h>

#include "crash.h"
#include "handle.h"
#include "side.h"

/* A ring removed under us has nothing left to leave; any other failure
 * to leave is the caller's to know (the first one). */
static int leave_error(int err, int first)
{
	return first < 0 || err == -EIDRM ? first : err;
}

int shmring__handle_release(struct shmring *r)
{
	int rc = 0;
	if (!r)
		return 0;
	/* After fork() the roles and locks belong to the parent: only unmap. */
	CRASH_POINT("close.begin");
	if (handle_is_ours(r) && r->semid >= 0) {
		r->reserved = false; /* an open reservation is dropped unpublished */
		if (r->flags & SHMRING_WRITER)
			rc = leave_error(shmring__side_leave(r, &r->writer), rc);
		if (r->flags & SHMRING_READER)
			rc = leave_error(shmring__side_leave(r, &r->reader), rc);
		/* model: close_unlock */
		/* The locks last (the kernel would release them too): the
		 * order doc/model/shmring.pml checks. A shared handle holds
		 * one here only for a reservation or a peek. */
		shmring__side_release_lock(r, &r->writer);
		shmring__side_release_lock(r, &r->reader);
	}
	CRASH_POINT("close.end");
	if (r->hdr)
		shmdt(r->hdr);
	free(r);
	return rc;
}

int shmring_close(struct shmring *r)
{
	return shmring__handle_release(r);
}
