/*
 * load.c - CPU-bound processes beside the benchmark (see load.h).
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cleanup.h"
#include "load.h"

static pid_t pids[LOAD_MAX];
static clockid_t clocks[LOAD_MAX];
static int have_clock[LOAD_MAX];
static unsigned count;
static uint64_t t_start;
static volatile uint64_t sink; /* where a load process publishes its work */

/*
 * The work: xorshift64 steps folded into a multiply-add accumulator with
 * a 64-bit division each step, published to a volatile once per 4096
 * steps so that the compiler can drop none of it. No memory traffic: the
 * load takes CPU time, not cache or memory bandwidth.
 */
static __attribute__((noreturn)) void spin(unsigned id)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (id + 1u), acc = 1;

	for (;;) {
		for (unsigned i = 0; i < 4096; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			acc = acc * 6364136223846793005ull + x % 1000003u;
		}
		sink = acc;
	}
}

uint64_t load_cpu_ns(void)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < count; i++) {
		struct timespec ts;

		if (have_clock[i] && clock_gettime(clocks[i], &ts) == 0)
			sum += (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	return sum;
}

unsigned load_count(void)
{
	return count;
}

unsigned load_stop(double *cpus)
{
	uint64_t cpu = load_cpu_ns(), wall = bench_now_ns() - t_start;
	unsigned died = 0;

	*cpus = count && wall ? (double)cpu / (double)wall : 0;
	for (unsigned i = 0; i < count; i++) {
		int st;

		/* Still running, as it should be: a load process never exits. */
		if (waitpid(pids[i], &st, WNOHANG) == 0) {
			kill(pids[i], SIGKILL);
			while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR) {
			}
		} else {
			died++;
		}
		cleanup_helper_del(pids[i]);
	}
	count = 0;
	return died;
}

/* The @i-th CPU this process may run on, counting round the set. */
static int nth_cpu(unsigned i)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) == 0)
		return -1;
	unsigned k = i % (unsigned)CPU_COUNT(&set);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set) && k-- == 0)
			return cpu;
	return -1;
}

/* Load process @i stays on a CPU of its own (round the allowed set): "one
 * CPU-bound process per core" stays true for the whole run, instead of
 * two sharing a core while the benchmark has the other to itself, which
 * made the busy numbers depend on where the scheduler put them. */
static void pin(unsigned i)
{
	int cpu = nth_cpu(i);
	if (cpu < 0)
		return;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

int load_start(unsigned n)
{
	double ignored;

	if (n > LOAD_MAX)
		return -EINVAL;
	fflush(stdout);
	fflush(stderr);
	t_start = bench_now_ns();
	for (count = 0; count < n; count++) {
		pid_t pid = fork();

		if (pid < 0) {
			int err = -errno;
			load_stop(&ignored);
			return err;
		}
		if (pid == 0) {
			cleanup_in_child();
			setpgid(0, 0);
			prctl(PR_SET_NAME, "shmring-load");
			pin(count);
			spin(count);
		}
		/* Both sides set the group: whoever runs first, it holds. */
		setpgid(pid, pid);
		pids[count] = pid;
		have_clock[count] = clock_getcpuclockid(pid, &clocks[count]) == 0;
		cleanup_helper_add(pid);
	}
	return 0;
}
