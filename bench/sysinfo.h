/*
 * sysinfo.h - the machine facts printed above every result.
 */
#ifndef BENCH_SYSINFO_H
#define BENCH_SYSINFO_H

struct machine {
	char cpu[128];     /* model name */
	unsigned online;   /* cores online */
	unsigned mhz;      /* current clock of cpu 0, 0 if unknown */
	char kernel[200];  /* sysname release machine */
	double mem_gib;    /* physical memory */
	char date[40];     /* UTC, ISO 8601 */
	char clock[32];    /* clocksource */
	char load[64];     /* /proc/loadavg at the start */
};

void machine_facts(struct machine *m);

#endif /* BENCH_SYSINFO_H */
