/* clock.h - absolute deadlines on CLOCK_MONOTONIC for timed waits. */
#ifndef SHMRING_CLOCK_H
#define SHMRING_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum deadline_kind { DEADLINE_FOREVER, DEADLINE_NOWAIT, DEADLINE_TIMED };

struct deadline {
	enum deadline_kind kind;
	struct timespec at; /* CLOCK_MONOTONIC, for DEADLINE_TIMED */
};

/* CLOCK_MONOTONIC in nanoseconds: for spins and measurements, which
 * compare instants microseconds apart. */
static inline int64_t clock_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* From a public timeout argument: < 0 forever, 0 no wait, > 0 milliseconds. */
void shmring__deadline_init(struct deadline *dl, int timeout_ms);

/* Time left until @dl as a relative interval, for semtimedop(). Returns false
 * when the deadline has passed (or is NOWAIT). Must not be called FOREVER. */
bool shmring__deadline_remaining(const struct deadline *dl, struct timespec *left);

/* True once a timed deadline has passed; always true for NOWAIT. */
bool shmring__deadline_expired(const struct deadline *dl);

/* True when timed deadline @a comes before timed deadline @b. */
bool shmring__deadline_before(const struct deadline *a, const struct deadline *b);

/* Sleep for @usec microseconds, never past @dl. */
void shmring__deadline_nap(const struct deadline *dl, long usec);

#endif
