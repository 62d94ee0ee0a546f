/* side.h - what the writers and the readers do alike, written once:
 * joining and leaving the side's role, taking and giving back its lock,
 * taking over its index from the previous holder, publishing it. */
#ifndef SHMRING_SIDE_H
#define SHMRING_SIDE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/sem.h>

#include "clock.h"
#include "handle.h"

/* Fill in both sides' descriptors once the header is mapped and checked. */
void shmring__side_init(struct shmring *r);

/* At the start of a call on side @s: -EBADF when this handle has not
 * joined it (or is a fork's copy), -EBUSY when @busy (a reservation or a
 * peek is pending), -EIDRM when the ring is destroyed; else 0. */
int shmring__side_check(const struct shmring *r, const struct side *s, bool busy);

/* Join side @s: count in (arranging the kernel's wake-up for the other side
 * should we die), bump its joins, and for an exclusive handle take its lock
 * for life (-EBUSY when another handle holds it past @lock_dl). */
int shmring__side_join(struct shmring *r, struct side *s, const struct deadline *lock_dl);

/* Shared handles, per call: take @s's lock (with @extra operations in the
 * same semop, IPC_NOWAIT ones failing it with -EAGAIN) and adopt the side;
 * give it back afterwards. */
int shmring__side_lock(struct shmring *r, struct side *s, const struct sembuf *extra,
		       unsigned nextra, const struct deadline *dl);
void shmring__side_unlock(struct shmring *r, struct side *s);

/* Load the other side's index into s->peer_seen if it is sane: 0 or
 * -EUCLEAN. */
int shmring__side_refresh_peer(struct shmring *r, struct side *s);

/* Publish @s's index after @bytes more (@messages of them messages), then
 * wake the other side's sleeper if @offer bytes (room, or data) are what
 * it waits for. */
void shmring__side_publish(struct shmring *r, struct side *s, uint64_t bytes, unsigned messages,
			   uint64_t offer);

/* At close: wake the other side's sleeper, then leave the role (the order
 * that strands nobody, whatever instant we die at). Returns 0 or the
 * leave's error. */
int shmring__side_leave(struct shmring *r, struct side *s);

/* At close: give the lock back if this handle holds it. */
void shmring__side_release_lock(struct shmring *r, struct side *s);

#endif
