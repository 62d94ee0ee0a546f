/* remove.h - removing a ring's System V objects. */
#ifndef SHMRING_REMOVE_H
#define SHMRING_REMOVE_H

/* IPC_RMID both (-1 = skip), the set first. */
void shmring__remove_objects(int shmid, int semid);

#endif
