/*
 * t_shmring.h - the shmring channel helpers, and the measurements only
 * shmring has (idle.c): the CPU time of a reader that sleeps on an empty
 * ring, and the memory a ring takes.
 */
#ifndef BENCH_T_SHMRING_H
#define BENCH_T_SHMRING_H

#include <stddef.h>
#include <stdint.h>

#include "shmring.h"

#include "transport.h"

struct run_cfg;

/*
 * The rings of a channel (t_shmring.c), shared with idle.c: setup creates
 * ring 0 (and ring 1 for ping-pong) as IPC_PRIVATE with an admin handle in
 * the parent; a child opens its own handle on ring @i with @flags.
 */
int ring_setup(struct chan *c);
void ring_teardown(struct chan *c);
int ring_open(struct chan *c, int i, unsigned flags, struct shmring **ring);

/* The consumer met the end of stream before every last message. */
int ring_end_of_stream(struct chan *c);

struct idle_result {
	int ok;
	int exclusive;    /* reader opened with SHMRING_EXCLUSIVE */
	uint64_t cpu_ns;  /* reader's user + system time while blocked */
	uint64_t wall_ns; /* how long it was blocked */
	char why[1024];
};

/* Block a reader on an empty ring for @idle_ns, then wake it with one
   message; measure its CPU time (getrusage) across the wait. */
void shmring_idle(const struct run_cfg *cfg, int exclusive, uint64_t idle_ns,
		  struct idle_result *r);

/* Create a ring asking for @capacity bytes; report what it really has and
   the size of its segment. Returns 0 or -errno. */
int shmring_footprint(size_t capacity, uint64_t *real_capacity, uint64_t *segment);

#endif /* BENCH_T_SHMRING_H */
