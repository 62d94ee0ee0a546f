/*
 * load.h - a busy host on demand (--load): CPU-bound processes that run
 * beside the whole measurement, so the tables show what each transport
 * does when it has to share the CPUs.
 *
 * Each load process is a child in its own process group (the harness
 * reaps its cell processes with waitpid(0), which never takes a load
 * process), registered with cleanup.h so that it is killed and reaped on
 * every way out: load_stop(), exit(), a signal; and it dies with the
 * parent (PR_SET_PDEATHSIG).
 */
#ifndef BENCH_LOAD_H
#define BENCH_LOAD_H

#include <stdint.h>

/* Most load processes --load accepts. */
#define LOAD_MAX 64

/* Start @n load processes. Returns 0, or -errno with none left running. */
int load_start(unsigned n);

/* How many load processes are running (0 without --load). */
unsigned load_count(void);

/* CPU time the load processes have used so far, in ns (0: none). */
uint64_t load_cpu_ns(void);

/*
 * Kill and reap every load process. *@cpus: the CPUs' worth of time they
 * got on average since load_start(). Returns how many of them had died
 * before (0 when all ran to the end).
 */
unsigned load_stop(double *cpus);

#endif /* BENCH_LOAD_H */
