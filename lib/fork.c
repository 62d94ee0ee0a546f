/* fork.c - see fork.h. */
#include "config.h"

#include "fork.h"

#include <errno.h>
#include <pthread.h>

uint32_t shmring__fork_generation;

static int watch_error;

/* Runs in the child, which has one thread: nothing races the store. */
static void child_after_fork(void)
{
	shmring__fork_generation++;
}

static void start_watching(void)
{
	watch_error = pthread_atfork(NULL, NULL, child_after_fork);
}

int64_t shmring__fork_watch(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, start_watching);
	if (watch_error)
		return -watch_error;
	return __atomic_load_n(&shmring__fork_generation, __ATOMIC_RELAXED);
}
