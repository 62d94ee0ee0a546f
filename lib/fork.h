/* fork.h - telling the process that opened a handle from a child that
 * inherited it through fork(): the child must open its own (its locks and
 * roles are the parent's), and a check costs one load, no getpid(). */
#ifndef SHMRING_FORK_H
#define SHMRING_FORK_H

#include <stdint.h>

/* Moves in every child made by fork() once a handle has been opened. */
extern uint32_t shmring__fork_generation;

/* At open: start counting forks (once per process). Returns the
 * generation to store in the handle, or -errno. */
int64_t shmring__fork_watch(void);

#endif
