/* support.h - fixtures shared by the test suites.
 *
 * Every ring a test makes comes from tr_create*() (or is registered with
 * tr_track()), on an anchor in a directory private to the test process, and
 * is removed by tr_teardown() - the .fini of every test - whether the test
 * passed or failed. Children made with tr_fork() get an alarm, so a bug
 * cannot leave them blocked forever, and report through their exit status.
 */
#ifndef SHMRING_TEST_SUPPORT_H
#define SHMRING_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmring.h"

/* Fixture hooks: use as .init = tr_setup, .fini = tr_teardown. */
void tr_setup(void);
void tr_teardown(void);

/* A fresh anchor path in the private directory (file not created). */
const char *tr_new_anchor(void);

/* Create a ring on a fresh anchor; capacity/max_msg 0 = defaults. Asserts
 * success. *path (optional) gets the anchor. */
struct shmring *tr_create(unsigned flags, size_t capacity, size_t max_msg, const char **path);

/* Register System V objects for removal at teardown (-1 = none). */
void tr_track(int shmid, int semid);

/* Register the ring's objects (from its stats). */
void tr_track_ring(struct shmring *r);

/* Fork a child running fn(arg); the child _exits with fn's return value and
 * is killed by SIGALRM after @seconds. Returns the pid (asserts success). */
pid_t tr_fork(int (*fn)(void *), void *arg, unsigned seconds);

/* Wait for a child: its exit status, or 128 + signal number. */
int tr_wait(pid_t pid);

/* Milliseconds on CLOCK_MONOTONIC. */
double tr_now_ms(void);

/* In a child: report a failed check on stderr and return a distinct code. */
#define CHILD_CHECK(cond)                                                             \
	do {                                                                           \
		if (!(cond)) {                                                         \
			tr_child_fail(__FILE__, __LINE__, #cond);                      \
			return 100 + __LINE__ % 100;                                   \
		}                                                                      \
	} while (0)
void tr_child_fail(const char *file, int line, const char *what);

/* Deterministic payloads: message @seq of producer @who, length @len. */
void tr_fill(uint8_t *buf, size_t len, uint32_t who, uint32_t seq);
bool tr_check(const uint8_t *buf, size_t len, uint32_t *who, uint32_t *seq);

#endif
