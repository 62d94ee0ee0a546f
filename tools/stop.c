/* stop.c - ending on SIGINT, SIGTERM or SIGHUP the way a pipe tool should:
 * the library call in progress returns, the ring is closed cleanly (its
 * roles left, its wake-up debt paid back: no token for a peer to take),
 * and the process then dies of the signal, so its parent sees what
 * happened. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "tool.h"

/* How long one library wait lasts before the tool looks at the signals.
 * Only an idle blocked command wakes this often, 5 times a second. */
#define STOP_SLICE_MS 200

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

void tool_catch_stop_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: a blocked read(2) returns */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;
		/* A signal ignored by whoever started us stays ignored (nohup). */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

bool tool_stopping(void)
{
	return stop_signal != 0;
}

void tool_die_of_stop_signal(void)
{
	int sig = stop_signal;
	if (!sig)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int tool_wait(int timeout_ms, int (*call)(void *arg, int timeout_ms), void *arg)
{
	if (timeout_ms >= 0 && timeout_ms <= STOP_SLICE_MS)
		return stop_signal ? -EINTR : call(arg, timeout_ms);
	long long end = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	for (;;) {
		if (stop_signal)
			return -EINTR;
		int slice = STOP_SLICE_MS;
		bool last = false;
		if (end >= 0) {
			long long left = end - now_ms();
			if (left <= STOP_SLICE_MS) {
				slice = left > 0 ? (int)left : SHMRING_NOWAIT;
				last = true;
			}
		}
		int rc = call(arg, slice);
		if (rc != -ETIMEDOUT || last)
			return rc == -EAGAIN && slice == SHMRING_NOWAIT ? -ETIMEDOUT : rc;
	}
}
