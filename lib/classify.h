/* classify.h - what a key names, and telling our semaphore sets from
 * anyone else's. */
#ifndef SHMRING_CLASSIFY_H
#define SHMRING_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>

enum ring_state {
	RING_ABSENT,        /* no segment, no semaphore set */
	RING_LIVE,          /* a ready shmring ring */
	RING_CREATING,      /* ours, not ready, creator alive */
	RING_STALE,         /* ours, half made or half removed, creator gone */
	RING_FOREIGN,       /* something that is not ours */
	RING_DENIED,        /* something we may not look at */
	RING_OTHER_VERSION, /* ours, another layout version */
};

struct layout_identity;
struct shmid_ds;

/* A semaphore set with our size and our tag value. */
bool shmring__set_is_ours(int semid);
/* Any reader or writer role held on it. */
bool shmring__set_in_use(int semid);

/* Attach read-only, copy the identity block; the kernel's stat in *ds. */
int shmring__peek_identity(int shmid, struct layout_identity *id, struct shmid_ds *ds);

/* Classify @key; for RING_STALE, *attached tells whether any process still
 * maps the segment or holds a role. */
enum ring_state shmring__classify(int32_t key, int *attached);

/* The same, and the objects the verdict is about (-1 = none; a semaphore
 * set only when it carries our tag): whoever removes what was judged must
 * remove exactly these, never what the key names by then (a racer may have
 * replaced them with a new ring). */
enum ring_state shmring__classify_objects(int32_t key, int *attached, int *shmid, int *semid);

#endif
