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
 * the way a ski-rental strategy does: a wait caught while polling raises
 * it to four times what that wait took (up to SPIN_MAX_NS), a wait that had
 * to sleep halves it (down to SPIN_MIN_NS), and a budget at the minimum
 * probes with the maximum now and then. A spinner that finds it was
 * descheduled mid-spin (a gap between two looks at the clock) stops at
 * once: its CPU is wanted by someone else, maybe by the peer it waits for.
 * On an idle host a streaming pair keeps a budget that covers its waits
 * and never sleeps; on a busy one a waiter whose peer is off-CPU sleeps
 * almost at once, leaving its CPU to whoever needs it.
 * Nothing here ever yields: a sched_yield() beside a CPU-bound process
 * hands it a whole time slice.
 */
#ifndef SHMRING_SPIN_H
#define SHMRING_SPIN_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

/* Longest poll before sleeping: above what a sleep and wake-up cost here
 * (10-50 us), so an idle streaming pair never sleeps between messages. */
#define SPIN_MAX_NS 50000u

/* Shortest: a peer that is running answers a round trip well within it
 * (0.2-0.5 us between two cores), and it costs next to nothing. */
#define SPIN_MIN_NS 250u

/* Polls between two looks at the clock (a vDSO call, ~20 ns). */
#define SPIN_CLOCK_EVERY 32

/* A gap this long between two looks at the clock during a spin means the
 * spinner was descheduled: its CPU is wanted by another process. */
#define SPIN_PREEMPTED_NS 20000

/* A budget at the minimum spins the maximum once every SPIN_PROBE_EVERY
 * waits: halving alone could never learn that waits got a little longer
 * than the minimum, say when the peer moved to another CPU. */
#define SPIN_PROBE_EVERY 128u

struct spin_budget {
	uint32_t ns;
	uint32_t waits; /* at the minimum, since the last probe */
};

static inline void spin_budget_init(struct spin_budget *b)
{
	b->ns = SPIN_MAX_NS;
	b->waits = 0;
}

/* One spin in progress. */
struct spin {
	struct spin_budget *budget;
	int64_t end;  /* CLOCK_MONOTONIC ns: the budget or the deadline */
	int64_t start;
	int64_t last; /* the last look at the clock */
	bool preempted;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Start a spin: it ends when @b's budget is spent, or at the caller's
 * timed deadline if that comes first. */
static inline void spin_begin(struct spin *s, struct spin_budget *b, const struct deadline *dl)
{
	uint32_t ns = b->ns;
	if (ns == SPIN_MIN_NS && ++b->waits == SPIN_PROBE_EVERY) {
		b->waits = 0;
		ns = SPIN_MAX_NS;
	}
	s->budget = b;
	s->last = clock_now_ns();
	s->start = s->last;
	s->end = s->last + ns;
	s->preempted = false;
	if (dl->kind == DEADLINE_TIMED) {
		int64_t at = (int64_t)dl->at.tv_sec * 1000000000 + dl->at.tv_nsec;
		if (at < s->end)
			s->end = at;
	}
}

/* One poll: false once the spin is over. @i counts the polls so far; the
 * clock is read every SPIN_CLOCK_EVERY. A spinner found descheduled stops:
 * the peer it waits for may be the one that needs this CPU. */
static inline bool spin_on(struct spin *s, unsigned i)
{
	if (i % SPIN_CLOCK_EVERY == SPIN_CLOCK_EVERY - 1) {
		int64_t t = clock_now_ns();
		if (t - s->last > SPIN_PREEMPTED_NS)
			s->preempted = true;
		s->last = t;
		if (s->preempted || t >= s->end)
			return false;
	}
	cpu_relax();
	return true;
}

/* The spin is over: @caught says whether what it waited for came. A wait
 * caught after t ns makes the budget at least 4t: a wait caught is cheap
 * whatever the budget, and the next may be longer. A wait that had to
 * sleep, or whose spinner was descheduled, halves it. */
static inline void spin_end(struct spin *s, bool caught)
{
	struct spin_budget *b = s->budget;
	if (caught && !s->preempted) {
		int64_t t = clock_now_ns() - s->start;
		uint32_t want = t >= SPIN_MAX_NS / 4 ? SPIN_MAX_NS : (uint32_t)t * 4;
		if (want > b->ns)
			b->ns = want;
	} else {
		b->ns = b->ns <= SPIN_MIN_NS * 2 ? SPIN_MIN_NS : b->ns / 2;
	}
}

#endif
