/* close.h - releasing a handle, whole or half opened. */
#ifndef SHMRING_CLOSE_H
#define SHMRING_CLOSE_H

#include "shmring.h"

/* Leave the roles @r joined, give back the locks it holds, unmap and free
 * it. Returns 0 or the first failure to leave. */
int shmring__handle_release(struct shmring *r);

#endif
