/* creator.h - whether the maker of an IPC object is still alive. */
#ifndef SHMRING_CREATOR_H
#define SHMRING_CREATOR_H

#include <stdbool.h>
#include <sys/types.h>

struct shmid_ds;

/* Is the process that made an IPC object at @made (its ctime) alive? A
 * pid now used by a process that started later is not. */
bool shmring__creator_alive(pid_t pid, time_t made);

/* Is this all-zero segment one our creator made and died before its first
 * store to (@header: its first page, mapped)? */
bool shmring__creator_unmade_segment(const void *header, const struct shmid_ds *ds);

#endif
