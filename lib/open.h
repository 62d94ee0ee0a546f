/* open.h - opening a handle on a ring by shmid or by key. */
#ifndef SHMRING_OPEN_H
#define SHMRING_OPEN_H

#include <stdint.h>

struct anchor_id;
struct shmring;
struct shmring_options;

/* Internal open flag: attach read-only, as `shmring ls` must. */
#define OPEN_READONLY 0x100u

/* Open by shmid / key; @anchor (may be NULL) must match the header. */
int shmring__open_shmid(int shmid, unsigned int flags, const struct shmring_options *opt,
			const struct anchor_id *anchor, struct shmring **ringp);
int shmring__open_key(int32_t key, unsigned int flags, const struct shmring_options *opt,
		      const struct anchor_id *anchor, struct shmring **ringp);

#endif
