/* create.h - the two halves of making a ring, apart so that the tests can
 * be a creator that is slow, or dies, between them. */
#ifndef SHMRING_CREATE_H
#define SHMRING_CREATE_H

#include <stdint.h>

struct anchor_id;
struct shmring_options;

/* Make the segment (and the semaphore set when @with_semaphores), stopping
 * before the ready mark. Returns the shmid or -errno. */
int shmring__create_unready(int32_t key, const struct shmring_options *opt,
			    const struct anchor_id *anchor, const char *anchor_path,
			    int with_semaphores);

/* Mark @shmid ready: openers may use it from now on. */
int shmring__create_mark_ready(int shmid);

#endif
