/* presence.h - are a side's members there, and were they ever, in this
 * handle's time (layout.h: "Gone" is judged per handle)? */
#ifndef SHMRING_PRESENCE_H
#define SHMRING_PRESENCE_H

#include <stdbool.h>

#include "handle.h"

/* At open: where this handle's time starts (who is attached, the joins so
 * far). Returns 0 or -errno. */
int shmring__presence_open(struct shmring *r);

/* Has a member of side @s been attached at some time since this handle
 * opened? */
bool shmring__peers_expected(const struct side *s);

/* The kernel's word on whether every member of @s attached since this
 * handle opened is gone: 1 gone, 0 not (or none came yet), or -errno. */
int shmring__peers_gone(struct shmring *r, const struct side *s);

/* The same for a NOWAIT poll: asked at most once per POLL_PEERS_NS while
 * the answer is "there", so a poll loop is not a semctl() loop. */
int shmring__peers_gone_polled(struct shmring *r, struct side *s);

#endif
