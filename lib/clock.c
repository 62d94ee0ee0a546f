/* clock.c - deadlines: a timeout is turned into an absolute CLOCK_MONOTONIC
 * instant once, so that retried waits (EINTR, spurious wake-ups) shrink the
 * interval they pass to the kernel instead of starting over. */
#include "config.h"

#include "clock.h"

#include <errno.h>

#define NSEC_PER_SEC 1000000000L

static struct timespec now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

void shmring__deadline_init(struct deadline *dl, int timeout_ms)
{
	if (timeout_ms < 0) {
		dl->kind = DEADLINE_FOREVER;
		return;
	}
	if (timeout_ms == 0) {
		dl->kind = DEADLINE_NOWAIT;
		return;
	}
	dl->kind = DEADLINE_TIMED;
	dl->at = now();
	dl->at.tv_sec += timeout_ms / 1000;
	dl->at.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl->at.tv_nsec >= NSEC_PER_SEC) {
		dl->at.tv_sec++;
		dl->at.tv_nsec -= NSEC_PER_SEC;
	}
}

bool shmring__deadline_remaining(const struct deadline *dl, struct timespec *left)
{
	if (dl->kind != DEADLINE_TIMED)
		return false;
	struct timespec t = now();
	left->tv_sec = dl->at.tv_sec - t.tv_sec;
	left->tv_nsec = dl->at.tv_nsec - t.tv_nsec;
	if (left->tv_nsec < 0) {
		left->tv_sec--;
		left->tv_nsec += NSEC_PER_SEC;
	}
	return left->tv_sec > 0 || (left->tv_sec == 0 && left->tv_nsec > 0);
}

bool shmring__deadline_expired(const struct deadline *dl)
{
	struct timespec left;
	if (dl->kind == DEADLINE_FOREVER)
		return false;
	return !shmring__deadline_remaining(dl, &left);
}

bool shmring__deadline_before(const struct deadline *a, const struct deadline *b)
{
	return a->at.tv_sec < b->at.tv_sec ||
	       (a->at.tv_sec == b->at.tv_sec && a->at.tv_nsec < b->at.tv_nsec);
}

void shmring__deadline_nap(const struct deadline *dl, long usec)
{
	struct timespec nap = {usec / 1000000L, (usec % 1000000L) * 1000L};
	struct timespec left;
	if (dl->kind == DEADLINE_NOWAIT)
		return;
	if (dl->kind == DEADLINE_TIMED) {
		if (!shmring__deadline_remaining(dl, &left))
			return;
		if (left.tv_sec < nap.tv_sec ||
		    (left.tv_sec == nap.tv_sec && left.tv_nsec < nap.tv_nsec))
			nap = left;
	}
	nanosleep(&nap, NULL);
}
