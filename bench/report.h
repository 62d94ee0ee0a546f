/*
 * report.h - everything one run measured, and the ways to show it: the
 * terminal table, the CSV file, the PNG plot and the targets summary.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include <stdio.h>

#include "run.h"
#include "sysinfo.h"
#include "t_shmring.h"
#include "transport.h"

/* A measurement during which other processes used this much CPU (in
   CPUs) is marked as disturbed. */
#define FOREIGN_NOTE 0.10

#define PLAN_MAX_TRANSPORTS 16
#define PLAN_MAX_SIZES 16

struct plan {
	const char *mode; /* "quick", "full", "tiny" */
	struct run_cfg cfg;
	unsigned repeat;    /* runs per cell; the median is kept */
	int pinned;         /* --pin */
	unsigned load;      /* --load: CPU-bound processes beside the benchmark */
	double load_cpus;   /* after the run: the CPUs' worth of time they got */
	unsigned load_died; /* after the run: how many of them died early */
	uint64_t pp_ns;     /* ping-pong duration */
	uint64_t idle_ns;
	struct machine machine;

	const struct transport *tr[PLAN_MAX_TRANSPORTS];
	unsigned ntr;
	size_t sizes[PLAN_MAX_SIZES];
	unsigned nsizes;
	size_t pp_size;

	struct result tp[PLAN_MAX_TRANSPORTS][PLAN_MAX_SIZES];
	int tp_run[PLAN_MAX_TRANSPORTS];
	struct result pp[PLAN_MAX_TRANSPORTS];
	int pp_run[PLAN_MAX_TRANSPORTS];
	struct idle_result idle[2];
	int idle_run;
	int fp_ok;
	uint64_t fp_asked, fp_capacity, fp_segment;
};

void report_header(FILE *f, const struct plan *p, const char *prefix);
void report_tables(FILE *f, const struct plan *p);
void report_targets(FILE *f, const struct plan *p);

/* Write the CSV file / the PNG plot. Return 0 or -errno. */
int report_csv(const char *path, const struct plan *p);
int report_plot(const char *gnuplot, const char *png, const struct plan *p);

/* Cells that failed (throughput, ping-pong, idle). */
unsigned report_failures(const struct plan *p);

#endif /* BENCH_REPORT_H */
