/*
 * spin.h - how long a waiter polls shared memory before it sleeps.
 *
 * Sleeping on a semaphore costs a membarrier, a semop on each side and two
 * context switches, and on a virtual machine the wake-up of an idle vCPU
 * takes tens of microseconds. Polling is cheaper when the peer answers
 * soon, and pure loss when it cannot: when it is preempted by other work,
 * or worse, waits for the very CPU the poller burns. So a waiter polls for
 * a budget of time, never of polls (a poll costs 10 ns on one machine and
 * 100 on another), and the budget adapts per handle and per kind of wait,
 * the way a ski-rental strategy does: a wait that ended while polling
 * doubles it (up to SPIN_MAX_NS), a wait that had to sleep halves it (down
 * to SPIN_MIN_NS). On an idle host a streaming pair keeps the long budget
 * and never sleeps; on a busy one, where the peer is often off-CPU, the
 * budget falls to a microsecond and the waiter sleeps almost at once,
 * leaving its CPU to whoever needs it. Nothing here ever yields: a
 * sched_yield() beside a CPU-bound process hands it a whole time slice.
 */
#ifndef SHMRING_SPIN_H
#define SHMRING_SPIN_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"

/* Longest poll before sleeping: above what a sleep and wake-up cost here
 * (10-50 us), so an idle streaming pair never sleeps between messages. */
#define SPIN_MAX_NS 50000u

/* Shortest: a peer that is running answers a round trip well within it
 * (0.2-0.5 us between two cores), and it costs next to nothing. */
#define SPIN_MIN_NS 1000u

/* Polls between two looks at the clock (a vDSO call, ~20 ns). */
#define SPIN_CLOCK_EVERY 32

struct spin_budget {
	uint32_t ns;
};

static inline void spin_budget_init(struct spin_budget *b)
{
	b->ns = SPIN_MAX_NS;
}

static inline void spin_succeeded(struct spin_budget *b)
{
	b->ns = b->ns >= SPIN_MAX_NS / 2 ? SPIN_MAX_NS : b->ns * 2;
}

static inline void spin_failed(struct spin_budget *b)
{
	b->ns = b->ns <= SPIN_MIN_NS * 2 ? SPIN_MIN_NS : b->ns / 2;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static inline int64_t spin_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The instant a spin of @budget_ns started now must end: the budget, or
 * the caller's timed deadline if that comes first. */
static inline int64_t spin_end(uint32_t budget_ns, const struct deadline *dl)
{
	int64_t end = spin_now_ns() + budget_ns;
	if (dl->kind == DEADLINE_TIMED) {
		int64_t at = (int64_t)dl->at.tv_sec * 1000000000 + dl->at.tv_nsec;
		if (at < end)
			end = at;
	}
	return end;
}

/* One poll of a spin that ends at @end: false once that time has come.
 * @i counts the polls so far; the clock is read every SPIN_CLOCK_EVERY. */
static inline bool spin_on(unsigned i, int64_t end)
{
	if (i % SPIN_CLOCK_EVERY == SPIN_CLOCK_EVERY - 1 && spin_now_ns() >= end)
		return false;
	cpu_relax();
	return true;
}

#endif
