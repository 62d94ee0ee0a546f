/*
 * cleanup.h - everything the benchmark creates outside its own memory is
 * registered here (System V objects, FIFOs, sockets, message queues,
 * raised kernel limits, child processes, load processes) and undone on
 * every way out:
 * normal teardown, exit(), SIGINT/SIGTERM/SIGHUP, or a hung cell.
 *
 * The signal path uses only system calls (msgctl, shmctl, semctl, unlink,
 * mq_unlink, shm_unlink, open/write), so it is safe inside a handler.
 * Only the process that called cleanup_init() ever cleans up; a forked
 * child calls cleanup_in_child() and leaves everything alone.
 */
#ifndef BENCH_CLEANUP_H
#define BENCH_CLEANUP_H

#include <sys/types.h>

enum cleanup_kind {
	CLEANUP_SYSV_MSQ,  /* a: msqid */
	CLEANUP_SYSV_RING, /* a: shmid, b: semid (a shmring ring's two objects) */
	CLEANUP_PATH,      /* name: a file to unlink (FIFO, socket) */
	CLEANUP_POSIX_MQ,  /* name: for mq_unlink */
	CLEANUP_POSIX_SHM, /* name: for shm_unlink */
	CLEANUP_SYSCTL,    /* name: /proc/sys path, value: text to write back */
};

/* Install handlers, make the private temporary directory, atexit(). */
int cleanup_init(void);

/* The private temporary directory (for FIFOs and sockets). */
const char *cleanup_dir(void);

/* Register an object. Returns a slot (>= 0) or -ENOSPC. */
int cleanup_add(enum cleanup_kind kind, int a, int b, const char *name, const char *value);

/* The owner removed the object of @slot itself: forget it. Ignores < 0. */
void cleanup_forget(int slot);

/* Undo the registered action of @slot now and forget it. Ignores < 0. */
void cleanup_undo(int slot);

/* Undo everything still registered; restores kernel limits last. */
void cleanup_run(void);

/* Child processes to kill if the run is interrupted or hangs. */
void cleanup_child_add(pid_t pid);
void cleanup_child_del(pid_t pid);
void cleanup_kill_children(void);

/* Long-lived helpers (the --load processes, load.h): unlike the children
   of a cell, a failed or hung cell leaves them alone; exit() and a signal
   kill and reap them. */
void cleanup_helper_add(pid_t pid);
void cleanup_helper_del(pid_t pid);

/* In a freshly forked child: default signals, die with the parent. */
void cleanup_in_child(void);

/* Kill the children if they are not all reaped within @seconds (0: off). */
void cleanup_watchdog(unsigned seconds);
int cleanup_timed_out(void);

/*
 * Kernel limits under /proc/sys: read one number; raise one to at least
 * @want, registering the restore in *@slot (-1 when the value was already
 * big enough). Return 0 or -errno (EACCES/EROFS: not allowed here).
 */
int sysctl_read(const char *path, unsigned long *value);
int sysctl_raise(const char *path, unsigned long want, int *slot);

/* Forbid sysctl_raise() (it then returns -ECANCELED), e.g. under make check. */
void sysctl_forbid(void);

/* Why a limit is still low, for a skip reason. */
const char *sysctl_hint(void);

/* Why sysctl_raise() returned @rc, in words. */
const char *sysctl_why(int rc);

#endif /* BENCH_CLEANUP_H */
