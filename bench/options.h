/*
 * options.h - the command line of shmring-bench (options.c).
 */
#ifndef BENCH_OPTIONS_H
#define BENCH_OPTIONS_H

#include "report.h"

/* What the command line asks for beyond the plan itself. */
struct options {
	const char *csv;  /* NULL: bench/results/bench.csv */
	const char *plot; /* NULL: bench/results/bench.png */
	int no_plot, no_pingpong, no_idle, plot_given;
};

/*
 * Fill @p (mode, sizes, transports, run configuration) and @o from the
 * command line. --help and --list print and exit(0). Returns 0, or -1
 * after a message on stderr.
 */
int parse_args(int argc, char **argv, struct plan *p, struct options *o);

#endif /* BENCH_OPTIONS_H */
