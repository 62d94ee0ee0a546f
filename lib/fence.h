/* fence.h - the asymmetric StoreLoad fence between a publishing side and a
 * sleeping side (see wait.c): publishers pay nothing, sleepers pay one
 * membarrier(2) call, which runs a full barrier on every CPU that executes
 * a registered process. Where membarrier is missing, publishers fall back
 * to a sequentially consistent store, and sleepers nap in short slices. */
#ifndef SHMRING_FENCE_H
#define SHMRING_FENCE_H

#include <stdbool.h>

/* Register this process for global expedited barriers. True when the
 * handle may publish with a plain release store. */
bool shmring__fence_register(void);

/* The sleeper's heavy fence. False when the kernel cannot do it: the
 * caller must then not sleep longer than a short slice. */
bool shmring__fence_heavy(void);

#endif
