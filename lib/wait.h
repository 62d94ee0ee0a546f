/* wait.h - sleeping on an empty or full ring, and waking the other side. */
#ifndef SHMRING_WAIT_H
#define SHMRING_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "handle.h"

/* Results besides 0 and -errno. */
#define WAIT_END_OF_STREAM 1

/*
 * Reader lock holder: wait until the producer index moves past r->head.
 * Returns 0 (reload the tail), WAIT_END_OF_STREAM (empty, and every writer
 * that had attached is gone), or -EAGAIN, -ETIMEDOUT, -EIDRM.
 */
int wait_for_data(struct shmring *r, const struct deadline *dl);

/*
 * Writer lock holder: wait until at least @need bytes are free after r->tail.
 * Returns 0 (reload the head), -EPIPE (every reader that had attached is
 * gone), or -EAGAIN, -ETIMEDOUT, -EIDRM.
 */
int wait_for_space(struct shmring *r, uint64_t need, const struct deadline *dl);

/* Before a shared handle takes its side's lock, unless it must not wait:
 * spin a bounded while as long as the hint says another shared handle
 * holds it (layout.h, LOCK
 * HINTS). The hint is set after the lock is taken and cleared before it is
 * given back. */
void lock_spin(const uint32_t *busy);
void lock_hint_set(uint32_t *busy);
void lock_hint_clear(uint32_t *busy);

/* After publishing: wake the other side's lock holder if it sleeps. */
void wake_reader(struct shmring *r);
void wake_writer(struct shmring *r);

/* Has a reader been attached at some time since this handle opened? */
bool readers_expected(const struct shmring *r);

/* The kernel's word on whether every peer attached since this handle opened
 * is gone: 1 gone, 0 not (or none came yet), or -errno. */
int readers_gone(struct shmring *r);
int writers_gone(struct shmring *r);

#endif
