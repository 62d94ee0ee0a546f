/*
 * run.h - the harness: fork the processes of one measurement, release them
 * together, time them, reap them, and say whether every message arrived.
 */
#ifndef BENCH_RUN_H
#define BENCH_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "transport.h"

/* How hard to measure. */
struct run_cfg {
	uint64_t run_ns;    /* producers send for this long ... */
	uint64_t count;     /* ... or, when non-zero, this many messages */
	size_t budget;      /* least buffering per channel, in bytes */
	unsigned batch;     /* messages per batch call */
	unsigned timeout_s; /* a cell that takes longer has hung */
	size_t buf_offset;  /* user buffers' second placement (0: page only) */
};

/* The buffer placement of a transport that has no user buffer. */
#define RUN_IN_PLACE ((size_t)-1)

enum result_state { RESULT_OK, RESULT_SKIPPED, RESULT_FAILED };

/* One cell of the table. */
struct result {
	enum result_state state;
	uint64_t messages; /* delivered and verified */
	double seconds;    /* start signal to last message verified */
	double rate;       /* messages per second */
	uint64_t rounds;   /* ping-pong: round trips measured */
	uint64_t p50_ns, p99_ns, mean_ns;
	double foreign; /* CPUs' worth of time other processes used meanwhile */
	/* Throughput: where the user buffers started (bytes past a page, or
	   RUN_IN_PLACE); with both placements measured, the slower is this
	   result and the other one's rate is alt_rate (else 0). */
	size_t buf_offset, alt_offset;
	double alt_rate;
	char why[1024]; /* skipped or failed: the reason */
};

/* Results the children write and the parent reads (MAP_SHARED). */
struct shared {
	uint64_t t_end; /* consumer: last message verified */
	uint64_t received;
	uint64_t sent[BENCH_MAX_PRODUCERS]; /* each producer's own count */
	uint64_t got[BENCH_MAX_PRODUCERS];  /* consumer's count per producer */
	uint64_t rounds, p50_ns, p99_ns, mean_ns;
	uint64_t cpu_ns, wall_ns; /* idle test */
	volatile int ping_done;   /* the pinger has its last echo */
	char err[BENCH_MAX_PRODUCERS + 2][256];
};

/* Pin each child to one CPU (consumer on CPU 0, others round-robin). */
void run_pin(int on);

/* Map the shared results page; call once before any run. */
int run_init(void);
struct shared *run_shared(void);

/* Buffering a channel for @size-byte messages gets: the configured budget,
   or four messages when that is more. */
size_t run_budget(const struct run_cfg *cfg, size_t size);

/* One-way streaming throughput: producers -> one consumer, every user
   buffer starting @buf_offset bytes past a page (transport.h). */
void run_throughput(const struct transport *t, const struct run_cfg *cfg, size_t size,
		    size_t buf_offset, struct result *r);

/* "page", "page+1", "in place": a buffer placement in words. */
const char *run_placement_str(size_t buf_offset, char *buf, size_t len);

/* Round-trip latency: ping sends, pong echoes, one message in flight. */
void run_pingpong(const struct transport *t, const struct run_cfg *cfg, size_t size,
		  struct result *r);

/*
 * The building block of both: fork @n children running @fn(c, index), wait
 * until each has called chan_sync(), note the start time in *@t0, release
 * them, reap them (killing the rest when one fails or the cell hangs).
 * Returns 0 when every child exited 0; else fills r->why and returns -1.
 */
typedef int (*run_fn)(struct chan *c, unsigned index);
int run_procs(struct chan *c, unsigned n, run_fn fn, unsigned timeout_s, uint64_t *t0,
	      struct result *r);

/* Remarks for the report header (limits raised, sizes skipped...). */
void run_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned run_note_count(void);
const char *run_note_text(unsigned i);

#endif /* BENCH_RUN_H */
