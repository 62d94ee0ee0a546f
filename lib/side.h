/* side.h - taking over a side of the ring once its lock is held. */
#ifndef SHMRING_SIDE_H
#define SHMRING_SIDE_H

#include "handle.h"

/* Called right after taking the writers' (readers') lock: finish the
 * counter update of a holder that died (ring.c), then load this side's
 * index, offset and count into the handle and check them against the other
 * side's index. Returns 0 or -EUCLEAN. */
int shmring__writer_adopt(struct shmring *r);
int shmring__reader_adopt(struct shmring *r);

#endif
