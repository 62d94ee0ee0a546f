/* wait.h - sleeping on an empty or full ring, and waking the other side. */
#ifndef SHMRING_WAIT_H
#define SHMRING_WAIT_H

#include <stdint.h>

#include "clock.h"
#include "handle.h"

/* Result besides 0 and -errno: every member of the other side that was in
 * this handle's time is gone (a reader's end of stream, a writer's -EPIPE). */
#define WAIT_PEERS_GONE 1

/*
 * The lock holder of side @s waits until the ring has @need bytes for it:
 * room for a writer, data for a reader (need 1: any message). Returns 0
 * (refresh the other side's index and look), WAIT_PEERS_GONE (for a reader:
 * only once what they left is drained), or -EAGAIN, -ETIMEDOUT, -EIDRM.
 */
int shmring__wait_for(struct shmring *r, struct side *s, uint64_t need, const struct deadline *dl);

/*
 * A NOWAIT call of a shared handle, before it takes its side's lock: a look
 * at the two indexes alone. -EAGAIN when side @s has not @need bytes and
 * the peers are there, so the call can answer without a system call;
 * -EIDRM; or 0: take the lock and look properly.
 */
int shmring__poll_unlocked(struct shmring *r, struct side *s, uint64_t need);

/* After publishing, or leaving: wake the sleeper of side @s if it sleeps
 * and the @offer bytes (at least) the publication gives are what it waits
 * for. */
void shmring__wake(struct shmring *r, struct side *s, uint64_t offer);

#endif
