/*
 * bench.h - small helpers every part of shmring-bench shares: the clock,
 * byte-size formatting and the limits of a run.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Most producers one throughput cell runs; the payload tag has 4 bits. */
#define BENCH_MAX_PRODUCERS 8

/* CLOCK_MONOTONIC is one clock for every process on the host, so a time
 * taken in the parent and one taken in a child can be subtracted. */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "8 B", "64 KiB", "1 MiB": exact binary units when they divide evenly. */
const char *bench_size_str(size_t size, char *buf, size_t len);

/* Parse "8", "64k", "1M", "4KiB" into bytes. Returns 0 or -EINVAL. */
int bench_parse_size(const char *s, size_t *out);

#endif /* BENCH_H */
