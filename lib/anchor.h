/* anchor.h - the file that names a ring: its identity, its key, and the
 * lock its creators take turns under. */
#ifndef SHMRING_ANCHOR_H
#define SHMRING_ANCHOR_H

#include <stdbool.h>
#include <stdint.h>

#define ANCHOR_PROJ_ID 'S'

/* What identifies an anchor file. */
struct anchor_id {
	uint64_t dev;
	uint64_t ino;
	uint64_t birth; /* ns since the epoch, 0 where the file system has none */
};

struct layout_identity;

/* Identify the anchor file at @path (which must exist). */
int shmring__anchor_stat(const char *path, struct anchor_id *anchor);

/* For a create: open the anchor (making it if missing) and take the lock
 * its creators share, so that they take turns. Returns the fd, which holds
 * the lock until closed, or -errno. *made tells whether this call made the
 * file; it is false too when the lock could not be had, as then another
 * creator may be using the file unseen. */
int shmring__anchor_claim(const char *path, bool *made, struct anchor_id *anchor);

/* Remove the anchor file a failed create made, if @path still names it.
 * Only under the lock of shmring__anchor_claim(), and only when no ring was
 * made for it: another creator may have used the file before we failed. */
void shmring__anchor_unmake(const char *path, const struct anchor_id *anchor);

/* ftok(3)'s key for an anchor we have already identified. */
int32_t shmring__anchor_key(const struct anchor_id *anchor);

/* Is the ring whose identity block is @id the one made for @anchor? */
bool shmring__anchor_matches(const struct layout_identity *id, const struct anchor_id *anchor);

#endif
