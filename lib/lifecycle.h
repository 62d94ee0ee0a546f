/* lifecycle.h - internal steps of creating and opening a ring, exposed to
 * the tests (which play slow or dying creators with them). */
#ifndef SHMRING_LIFECYCLE_H
#define SHMRING_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "shmring.h"

#define ANCHOR_PROJ_ID 'S'

/* What a key currently names. */
enum ring_state {
	RING_ABSENT,     /* no segment, no semaphore set */
	RING_LIVE,       /* a ready shmring ring */
	RING_CREATING,   /* ours, not ready, creator alive */
	RING_STALE,      /* ours, half made or half removed, creator gone */
	RING_FOREIGN,    /* something that is not ours */
	RING_DENIED,     /* something we may not look at */
	RING_OTHER_VERSION, /* ours, another layout version */
};

/* What identifies an anchor file. */
struct anchor_id {
	uint64_t dev;
	uint64_t ino;
	uint64_t birth; /* ns since the epoch, 0 where the file system has none */
};

/* Internal open flag: attach read-only, as `shmring ls` must. */
#define LIFECYCLE_READONLY 0x100u

struct layout_identity;
struct shmid_ds;
struct shmring;

uint64_t shmring__lifecycle_page_size(void);
/* Is the process that made an IPC object at @made (its ctime) alive? A
 * pid now used by a process that started later is not. */
bool shmring__lifecycle_creator_alive(pid_t pid, time_t made);
/* Is this all-zero segment one our creator made and died before its first
 * store to (@header: its first page, mapped)? */
bool shmring__lifecycle_unmade_segment(const void *header, const struct shmid_ds *ds);

/* Identify the anchor file at @path (which must exist). */
int shmring__lifecycle_anchor_stat(const char *path, struct anchor_id *anchor);

/* For a create: open the anchor (making it if missing) and take the lock
 * its creators share, so that they take turns. Returns the fd, which holds
 * the lock until closed, or -errno. *made tells whether this call made the
 * file; it is false too when the lock could not be had, as then another
 * creator may be using the file unseen. */
int shmring__lifecycle_anchor_claim(const char *path, bool *made, struct anchor_id *anchor);

/* Remove the anchor file a failed create made, if @path still names it.
 * Only under the lock of shmring__lifecycle_anchor_claim(), and only when no ring was
 * made for it: another creator may have used the file before we failed. */
void shmring__lifecycle_anchor_unmake(const char *path, const struct anchor_id *anchor);
/* ftok(3)'s key for an anchor we have already identified. */
int32_t shmring__lifecycle_anchor_key(const struct anchor_id *anchor);
/* Is the ring whose identity block is @id the one made for @anchor? */
bool shmring__lifecycle_anchor_matches(const struct layout_identity *id, const struct anchor_id *anchor);

/* A semaphore set with our size and our tag value. */
bool shmring__lifecycle_semaphores_are_ours(int semid);
/* Any reader or writer role held on it. */
bool shmring__lifecycle_semaphores_in_use(int semid);
/* IPC_RMID both (-1 = skip). */
void shmring__lifecycle_remove_objects(int shmid, int semid);
/* Attach read-only, copy the identity block; the kernel's stat in *ds. */
int shmring__lifecycle_peek_identity(int shmid, struct layout_identity *id, struct shmid_ds *ds);

/* Open by shmid / key; @anchor (may be NULL) must match the header. */
int shmring__lifecycle_open_shmid(int shmid, unsigned int flags, const struct shmring_options *opt,
			 const struct anchor_id *anchor, struct shmring **ringp);
int shmring__lifecycle_open_key(int32_t key, unsigned int flags, const struct shmring_options *opt,
		       const struct anchor_id *anchor, struct shmring **ringp);

/* Classify @key; for RING_STALE, *attached tells whether any process still
 * maps the segment or holds a role. */
enum ring_state shmring__lifecycle_classify(int32_t key, int *attached);
/* The same, and the objects the verdict is about (-1 = none; a semaphore
 * set only when it carries our tag): whoever removes what was judged must
 * remove exactly these, never what the key names by then (a racer may have
 * replaced them with a new ring). */
enum ring_state shmring__lifecycle_classify_objects(int32_t key, int *attached, int *shmid, int *semid);

/* The first half of creation, stopping before the ready mark: the tests use
 * it to be a creator that is slow, or dies. Returns the shmid or -errno;
 * the semaphore set is made too when @with_semaphores. */
int shmring__lifecycle_create_unready(int32_t key, const struct shmring_options *opt,
			     const struct anchor_id *anchor, const char *anchor_path,
			     int with_semaphores);

/* Second half: mark @shmid ready. */
int shmring__lifecycle_mark_ready(int shmid);

#endif
