/* crash.h - named instants where the tests kill a process, to prove that a
 * SIGKILL there leaves nothing a peer waits on for ever (tests/test_crash.c).
 * Only on slow paths (open, close, create, remove): in a program that never
 * sets the hook, each point is one load of a NULL pointer. */
#ifndef SHMRING_CRASH_H
#define SHMRING_CRASH_H

extern void (*shmring__crash_hook)(const char *point);

#define CRASH_POINT(point)                                                           \
	do {                                                                         \
		if (__builtin_expect(shmring__crash_hook != 0, 0))                   \
			shmring__crash_hook(point);                                  \
	} while (0)

#endif
