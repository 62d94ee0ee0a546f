/*
 * report.c - turn a plan's results into the table, CSV, plot and targets.
 * Ratios compare rows with the same number of producers at the same size:
 * "x pipe" against pipe (pipe-4w for four producers), "x best peer"
 * against the fastest non-shmring transport.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "shmring.h"

#include "report.h"

#define KINDS_PEER 1 /* kernel and library transports */
#define KINDS_KERNEL 2

static int find(const struct plan *p, const char *name)
{
	for (unsigned i = 0; i < p->ntr; i++)
		if (strcmp(p->tr[i]->name, name) == 0)
			return (int)i;
	return -1;
}

static int find_size(const struct plan *p, size_t size)
{
	for (unsigned i = 0; i < p->nsizes; i++)
		if (p->sizes[i] == size)
			return (int)i;
	return -1;
}

static double rate(const struct plan *p, int ti, int si)
{
	if (ti < 0 || si < 0 || !p->tp_run[ti] || p->tp[ti][si].state != RESULT_OK)
		return 0;
	return p->tp[ti][si].rate;
}

static double pipe_ref(const struct plan *p, unsigned producers, int si)
{
	return rate(p, find(p, producers > 1 ? "pipe-4w" : "pipe"), si);
}

/* The fastest transport of @kinds with @producers at size @si. */
static double best_peer(const struct plan *p, unsigned producers, int si, int kinds, int *which)
{
	double best = 0;

	*which = -1;
	for (unsigned i = 0; i < p->ntr; i++) {
		const struct transport *t = p->tr[i];
		double r = rate(p, (int)i, si);

		if (t->kind == KIND_SHMRING || t->producers != producers)
			continue;
		if (kinds == KINDS_KERNEL && t->kind != KIND_KERNEL)
			continue;
		if (r > best) {
			best = r;
			*which = (int)i;
		}
	}
	return best;
}

static const char *si_rate(double v, char *buf, size_t len)
{
	if (v >= 1e9)
		snprintf(buf, len, "%.2f G", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2f M", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1f k", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}

static const char *ratio(double num, double den, char *buf, size_t len)
{
	if (num <= 0 || den <= 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2fx", num / den);
	return buf;
}

void report_header(FILE *f, const struct plan *p, const char *pre)
{
	const struct machine *m = &p->machine;
	char b1[32];

	fprintf(f, "%sshmring-bench %s (libshmring %s), %s mode, %s\n", pre, PACKAGE_VERSION,
		shmring_version(), p->mode, m->date);
	fprintf(f, "%smachine: %u cores online, %s", pre, m->online, m->cpu);
	if (m->mhz)
		fprintf(f, " @ %u MHz", m->mhz);
	fprintf(f, ", %.1f GiB RAM, %s, clocksource %s, load average %s\n", m->mem_gib,
		m->kernel, m->clock[0] ? m->clock : "?", m->load[0] ? m->load : "?");
	fprintf(f, "%smethod: producer(s) and consumer in separate processes (fork), %s; ", pre,
		p->pinned ? "pinned to CPUs round-robin" : "unpinned");
	if (p->cfg.count)
		fprintf(f, "%" PRIu64 " messages per cell", p->cfg.count);
	else
		fprintf(f, "producers send for %.2f s per cell", (double)p->cfg.run_ns / 1e9);
	fprintf(f, ", %u run%s per cell (median kept)\n", p->repeat, p->repeat > 1 ? "s" : "");
	fprintf(f, "%spayload: the producer writes every byte of every message (sequence number "
		   "+ checksum), the consumer verifies every byte\n",
		pre);
	fprintf(f, "%sbuffering: %s per channel or 4 messages, whichever is more (ring capacity, "
		   "pipe size, socket buffers, queue bytes/depth); batch calls of up to %u "
		   "messages\n",
		pre, bench_size_str(p->cfg.budget, b1, sizeof(b1)), p->cfg.batch);
	if (p->cfg.buf_offset)
		fprintf(f, "%suser buffers: each copying cell runs with page-aligned buffers and "
			   "with buffers at page+%zu (producer's source and consumer's destination "
			   "alike), and shows the slower; round trips use page-aligned buffers\n",
			pre, p->cfg.buf_offset);
	else
		fprintf(f, "%suser buffers: page-aligned only (--buf-offset 0)\n", pre);
	if (p->load) {
		fprintf(f, "%sbusy host: %u CPU-bound process%s beside the benchmark", pre,
			p->load, p->load > 1 ? "es" : "");
		if (p->load_cpus > 0)
			fprintf(f, " (they got %.2f CPU on average)", p->load_cpus);
		fprintf(f, "; * marks a cell only when other processes used CPU besides them\n");
	} else {
		fprintf(f, "%sidle host: nothing else runs by design (see --load)\n", pre);
	}
	for (unsigned i = 0; i < run_note_count(); i++)
		fprintf(f, "%snote: %s\n", pre, run_note_text(i));
}

static void disturbed_note(FILE *f, const struct plan *p, unsigned n)
{
	if (n)
		fprintf(f,
			"* %u measurement%s disturbed: other processes%s used >= %.2f CPU "
			"meanwhile\n",
			n, n > 1 ? "s" : "", p->load ? " (not counting our load)" : "",
			FOREIGN_NOTE);
}

/* Which buffer placement the cell's number is, and how far below the
   other it was: "page+1 -3.2%", "page -0.4%", "in place". */
static const char *slower_str(const struct result *r, char *buf, size_t len)
{
	char at[32];

	run_placement_str(r->buf_offset, at, sizeof(at));
	if (r->alt_rate > 0)
		snprintf(buf, len, "%s -%.1f%%", at, 100.0 * (1.0 - r->rate / r->alt_rate));
	else
		snprintf(buf, len, "%s", at);
	return buf;
}

static void throughput_table(FILE *f, const struct plan *p)
{
	char sz[24], r1[24], x1[16], x2[16], peer[40], slower[40];
	unsigned disturbed = 0;

	fprintf(f, "\nThroughput, one-way streaming (higher is better; MB = 10^6 bytes)\n");
	if (p->cfg.buf_offset)
		fprintf(f, "Each copying cell: the slower of page-aligned and page+%zu user "
			   "buffers; \"slower\" says which, and by how much\n",
			p->cfg.buf_offset);
	fprintf(f, "%-8s %-15s %4s %10s %10s %8s %12s  %-16s %s\n", "size", "transport", "prod",
		"msgs/s", "MB/s", "x pipe", "x best peer", "(best peer)", "slower");
	for (unsigned s = 0; s < p->nsizes; s++) {
		for (unsigned i = 0; i < p->ntr; i++) {
			const struct transport *t = p->tr[i];
			const struct result *r = &p->tp[i][s];
			int w;
			double best;

			if (!p->tp_run[i])
				continue;
			bench_size_str(p->sizes[s], sz, sizeof(sz));
			if (r->state != RESULT_OK) {
				fprintf(f, "%-8s %-15s %4u %s: %s\n", sz, t->name, t->producers,
					r->state == RESULT_SKIPPED ? "skipped" : "FAILED", r->why);
				continue;
			}
			best = best_peer(p, t->producers, (int)s, KINDS_PEER, &w);
			snprintf(peer, sizeof(peer), "(%s)", w >= 0 ? p->tr[w]->name : "none");
			fprintf(f, "%-8s %-15s %4u %10s %10.1f %8s %12s  %-16s %s%s\n", sz,
				t->name, t->producers, si_rate(r->rate, r1, sizeof(r1)),
				r->rate * (double)p->sizes[s] / 1e6,
				ratio(r->rate, pipe_ref(p, t->producers, (int)s), x1, sizeof(x1)),
				ratio(r->rate, best, x2, sizeof(x2)), peer,
				slower_str(r, slower, sizeof(slower)),
				r->foreign >= FOREIGN_NOTE ? " *" : "");
			disturbed += r->foreign >= FOREIGN_NOTE;
		}
		if (s + 1 < p->nsizes)
			fprintf(f, "\n");
	}
	disturbed_note(f, p, disturbed);
}

static void pingpong_table(FILE *f, const struct plan *p)
{
	int pi = find(p, "pipe");
	double pipe50 = pi >= 0 && p->pp_run[pi] && p->pp[pi].state == RESULT_OK
				? (double)p->pp[pi].p50_ns
				: 0;
	char sz[24], x[16];
	unsigned disturbed = 0;
	int any = 0;

	for (unsigned i = 0; i < p->ntr; i++)
		any |= p->pp_run[i];
	if (!any)
		return;
	fprintf(f, "\nRound trip (ping-pong), %s messages, one in flight (lower is better)\n",
		bench_size_str(p->pp_size, sz, sizeof(sz)));
	fprintf(f, "%-15s %9s %9s %9s %12s %14s\n", "transport", "p50 us", "p99 us", "mean us",
		"round trips", "pipe p50 / p50");
	for (unsigned i = 0; i < p->ntr; i++) {
		const struct result *r = &p->pp[i];

		if (!p->pp_run[i])
			continue;
		if (r->state != RESULT_OK) {
			fprintf(f, "%-15s %s: %s\n", p->tr[i]->name,
				r->state == RESULT_SKIPPED ? "skipped" : "FAILED", r->why);
			continue;
		}
		fprintf(f, "%-15s %9.2f %9.2f %9.2f %12" PRIu64 " %14s%s\n", p->tr[i]->name,
			(double)r->p50_ns / 1e3, (double)r->p99_ns / 1e3, (double)r->mean_ns / 1e3,
			r->rounds, ratio(pipe50, (double)r->p50_ns, x, sizeof(x)),
			r->foreign >= FOREIGN_NOTE ? " *" : "");
		disturbed += r->foreign >= FOREIGN_NOTE;
	}
	disturbed_note(f, p, disturbed);
}

static void idle_table(FILE *f, const struct plan *p)
{
	if (p->idle_run) {
		fprintf(f, "\nIdle reader: CPU time (getrusage) of a shmring reader blocked in "
			   "shmring_recv on an empty ring, writer attached but silent\n");
		for (int i = 0; i < 2; i++) {
			const struct idle_result *r = &p->idle[i];
			const char *who = r->exclusive ? "exclusive reader" : "shared reader";

			if (!r->ok) {
				fprintf(f, "  %-17s FAILED: %s\n", who, r->why);
				continue;
			}
			fprintf(f, "  %-17s %8.3f ms CPU in %.3f s blocked (%.3f %% of one core)\n",
				who, (double)r->cpu_ns / 1e6, (double)r->wall_ns / 1e9,
				100.0 * (double)r->cpu_ns / (double)r->wall_ns);
		}
	}
	if (p->fp_ok)
		fprintf(f, "\nMemory: a ring created with capacity %" PRIu64 " B has %" PRIu64
			   " B of message space in a %" PRIu64 " B segment (+%" PRIu64 " B)\n",
			p->fp_asked, p->fp_capacity, p->fp_segment, p->fp_segment - p->fp_capacity);
}

void report_tables(FILE *f, const struct plan *p)
{
	int any = 0;

	for (unsigned i = 0; i < p->ntr; i++)
		any |= p->tp_run[i];
	if (any)
		throughput_table(f, p);
	pingpong_table(f, p);
	idle_table(f, p);
}

/* ---------------------------------------------------------------------- */
/* Targets                                                                 */

static void target_line(FILE *f, const char *what, double got, double want, int higher,
			const char *unit)
{
	if (got <= 0) {
		fprintf(f, "  %-62s %12s\n", what, "not measured");
		return;
	}
	fprintf(f, "  %-62s %10.2f%s  %s\n", what, got, unit,
		(higher ? got >= want : got <= want) ? "met" : "MISSED");
}

/* @name over @ref_name at @size ("pipe", "best-kernel", "pipe-4w", ...). */
static double ratio_at(const struct plan *p, const char *name, const char *ref, size_t size,
		       char *refname, size_t len)
{
	int si = find_size(p, size), ti = find(p, name), w = -1;
	double mine = rate(p, ti, si), other;

	if (strcmp(ref, "best-kernel") == 0) {
		other = best_peer(p, 1, si, KINDS_KERNEL, &w);
		snprintf(refname, len, "%s", w >= 0 ? p->tr[w]->name : "kernel peer");
	} else {
		other = rate(p, find(p, ref), si);
		snprintf(refname, len, "%s", ref);
	}
	return mine > 0 && other > 0 ? mine / other : 0;
}

/* A target with a stretch goal: @got against @want, then @stretch. */
static void stretch_line(FILE *f, const char *what, double got, double want, double stretch)
{
	if (got <= 0) {
		fprintf(f, "  %-62s %12s\n", what, "not measured");
		return;
	}
	fprintf(f, "  %-62s %10.2fx  %s; stretch %.0fx %s\n", what, got,
		got >= want ? "met" : "MISSED", stretch, got >= stretch ? "met" : "MISSED");
}

/*
 * The lowest ratio of transport @ti over pipe at the same size, over the
 * plan's sizes from 8 B to 1 MiB: several producers against pipe-4w
 * where it runs (up to PIPE_BUF), else against the one-writer pipe. *@at:
 * the size index of the lowest; *@met: sizes at @want or more; *@n: sizes
 * compared; *@missing: sizes in range without both numbers. 0 when no
 * size could be compared.
 */
static double worst_vs_pipe(const struct plan *p, int ti, double want, int *at, unsigned *met,
			    unsigned *n, unsigned *missing)
{
	unsigned producers = p->tr[ti]->producers;
	double worst = 0;

	*at = -1;
	*met = *n = *missing = 0;
	for (unsigned s = 0; s < p->nsizes; s++) {
		double mine = rate(p, ti, (int)s), ref = pipe_ref(p, producers, (int)s);

		if (p->sizes[s] < 8 || p->sizes[s] > (1u << 20))
			continue;
		if (ref <= 0 && producers > 1)
			ref = pipe_ref(p, 1, (int)s);
		if (mine <= 0 || ref <= 0) {
			(*missing)++;
			continue;
		}
		(*n)++;
		*met += mine / ref >= want;
		if (*at < 0 || mine / ref < worst) {
			worst = mine / ref;
			*at = (int)s;
		}
	}
	return worst;
}

/* shmring's ping-pong p50 over pipe's; 0 when either is missing. */
static double pingpong_vs_pipe(const struct plan *p)
{
	int si = find(p, "shmring"), pi = find(p, "pipe");

	if (si < 0 || pi < 0 || !p->pp_run[si] || !p->pp_run[pi] ||
	    p->pp[si].state != RESULT_OK || p->pp[pi].state != RESULT_OK)
		return 0;
	return (double)p->pp[si].p50_ns / (double)p->pp[pi].p50_ns;
}

/* The targets for a busy host (--load). */
static void busy_targets(FILE *f, const struct plan *p)
{
	char what[160], sz[24];

	for (unsigned i = 0; i < p->ntr; i++) {
		const struct transport *t = p->tr[i];
		unsigned met, n, missing;
		int at;
		double v;

		if (t->kind != KIND_SHMRING || !p->tp_run[i])
			continue;
		v = worst_vs_pipe(p, (int)i, 1.5, &at, &met, &n, &missing);
		snprintf(what, sizeof(what), "%s vs %s: %u/%u sizes >= 1.5x, worst %s%s",
			 t->name, t->producers > 1 ? "pipe-4w/pipe" : "pipe", met, n,
			 at >= 0 ? bench_size_str(p->sizes[at], sz, sizeof(sz)) : "-",
			 missing ? " (some not measured)" : "");
		stretch_line(f, what, v, 1.5, 3);
	}
	target_line(f, "ping-pong p50 / pipe's p50 (<= 1.00)", pingpong_vs_pipe(p), 1.0, 0, "");
}

/* The targets for an idle host, and those of issue 4 kept. */
static void idle_targets(FILE *f, const struct plan *p)
{
	static const size_t big[] = {65536, 1048576};
	char what[160], ref[32];
	double v;

	v = ratio_at(p, "shmring", "pipe", 4096, ref, sizeof(ref));
	target_line(f, "copy 4 KiB vs pipe (>= 2x)", v, 2, 1, "x");
	v = ratio_at(p, "shmring-batch", "pipe", 4096, ref, sizeof(ref));
	target_line(f, "  (batch API copy 4 KiB vs pipe)", v, 2, 1, "x");
	for (int i = 0; i < 2; i++) {
		char sz[24];

		bench_size_str(big[i], sz, sizeof(sz));
		v = ratio_at(p, "shmring", "best-kernel", big[i], ref, sizeof(ref));
		snprintf(what, sizeof(what), "copy %s vs fastest kernel peer %s (>= 2x)", sz, ref);
		target_line(f, what, v, 2, 1, "x");
		v = ratio_at(p, "shmring-batch", "best-kernel", big[i], ref, sizeof(ref));
		snprintf(what, sizeof(what), "  (batch API copy %s vs %s)", sz, ref);
		target_line(f, what, v, 2, 1, "x");
		v = ratio_at(p, "shmring-zc", "best-kernel", big[i], ref, sizeof(ref));
		snprintf(what, sizeof(what), "zero-copy %s vs fastest kernel peer %s (>= 4x)", sz,
			 ref);
		target_line(f, what, v, 4, 1, "x");
	}
	v = ratio_at(p, "shmring", "pipe", 64, ref, sizeof(ref));
	target_line(f, "per-message 64 B vs pipe (>= 10x)", v, 10, 1, "x");
	v = ratio_at(p, "shmring-batch", "pipe", 64, ref, sizeof(ref));
	target_line(f, "batch 64 B vs pipe (>= 25x)", v, 25, 1, "x");
	fprintf(f, "  kept from issue 4:\n");
	v = ratio_at(p, "shmring", "boost-mq", 64, ref, sizeof(ref));
	target_line(f, "per-message 64 B vs boost-mq (>= 2x)", v, 2, 1, "x");
	v = ratio_at(p, "shmring-batch", "pipe", 8, ref, sizeof(ref));
	target_line(f, "batch 8 B vs pipe (>= 25x)", v, 25, 1, "x");
	v = ratio_at(p, "shmring-4p", "pipe-4w", 64, ref, sizeof(ref));
	target_line(f, "4 producers 64 B vs pipe with 4 writers (>= 3x)", v, 3, 1, "x");
	target_line(f, "ping-pong p50 / pipe's p50 (<= 0.10)", pingpong_vs_pipe(p), 0.10, 0, "");
}

/*
 * The targets of issue 7, from this run's numbers (the slower buffer
 * placement of each copying cell): those for a busy host when the run had
 * a load, else those for an idle one; the idle reader and the memory of a
 * ring either way.
 */
void report_targets(FILE *f, const struct plan *p)
{
	char what[160];
	double v;

	if (p->load) {
		fprintf(f, "\nTargets (issue 7), busy host: %u CPU-bound process%s beside the "
			   "benchmark\n",
			p->load, p->load > 1 ? "es" : "");
		fprintf(f, "  every shmring cell 8 B .. 1 MiB >= 1.5x pipe at its size (stretch "
			   "3x); the worst size decides\n");
		busy_targets(f, p);
	} else {
		fprintf(f, "\nTargets (issue 7), idle host\n");
		idle_targets(f, p);
	}
	if (p->idle_run) {
		for (int i = 0; i < 2; i++) {
			const struct idle_result *r = &p->idle[i];

			snprintf(what, sizeof(what),
				 "idle %s reader CPU, %% of time blocked (< 1 %%)",
				 r->exclusive ? "exclusive" : "shared");
			v = r->ok ? 100.0 * (double)r->cpu_ns / (double)r->wall_ns : 0;
			/* 0 % is the ideal: show it as such, not as "not measured". */
			if (r->ok && v <= 0)
				fprintf(f, "  %-62s %10.2f%%  met\n", what, 0.0);
			else
				target_line(f, what, v, 1.0, 0, "%");
		}
	}
	if (p->fp_ok) {
		v = (double)(p->fp_segment - p->fp_capacity);
		target_line(f, "ring memory beyond capacity, bytes (<= 4096)", v > 0 ? v : 0.001,
			    4096, 0, " B");
	}
}

unsigned report_failures(const struct plan *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->ntr; i++) {
		for (unsigned s = 0; p->tp_run[i] && s < p->nsizes; s++)
			n += p->tp[i][s].state == RESULT_FAILED;
		n += p->pp_run[i] && p->pp[i].state == RESULT_FAILED;
	}
	for (int i = 0; p->idle_run && i < 2; i++)
		n += !p->idle[i].ok;
	return n;
}

/* ---------------------------------------------------------------------- */
/* CSV                                                                     */

static const char *kind_name(enum peer_kind k)
{
	return k == KIND_SHMRING ? "shmring" : k == KIND_KERNEL ? "kernel" : "library";
}

static const char *state_name(enum result_state s)
{
	return s == RESULT_OK ? "ok" : s == RESULT_SKIPPED ? "skipped" : "failed";
}

/* A CSV field: quoted, with inner quotes doubled. */
static void csv_text(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int report_csv(const char *path, const struct plan *p)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	report_header(f, p, "# ");
	fprintf(f, "test,transport,kind,producers,size,messages,seconds,msgs_per_s,mb_per_s,"
		   "x_pipe,x_best_peer,best_peer,p50_ns,p99_ns,mean_ns,cpu_ns,other_cpu,"
		   "buffers,other_buffers,other_msgs_per_s,status,note\n");
	for (unsigned i = 0; i < p->ntr; i++) {
		const struct transport *t = p->tr[i];

		for (unsigned s = 0; p->tp_run[i] && s < p->nsizes; s++) {
			const struct result *r = &p->tp[i][s];
			double best, ref;
			char at[32];
			int w;

			best = best_peer(p, t->producers, (int)s, KINDS_PEER, &w);
			ref = pipe_ref(p, t->producers, (int)s);
			fprintf(f, "throughput,%s,%s,%u,%zu,%" PRIu64 ",%.6f,%.1f,%.3f,", t->name,
				kind_name(t->kind), t->producers, p->sizes[s], r->messages,
				r->seconds, r->rate, r->rate * (double)p->sizes[s] / 1e6);
			if (r->state == RESULT_OK && ref > 0)
				fprintf(f, "%.4f", r->rate / ref);
			fputc(',', f);
			if (r->state == RESULT_OK && best > 0)
				fprintf(f, "%.4f", r->rate / best);
			fprintf(f, ",%s,,,,,%.3f,%s,", w >= 0 ? p->tr[w]->name : "", r->foreign,
				r->state == RESULT_OK
					? run_placement_str(r->buf_offset, at, sizeof(at))
					: "");
			if (r->alt_rate > 0)
				fprintf(f, "%s,%.1f",
					run_placement_str(r->alt_offset, at, sizeof(at)),
					r->alt_rate);
			else
				fputc(',', f);
			fprintf(f, ",%s,", state_name(r->state));
			csv_text(f, r->why);
			fputc('\n', f);
		}
		if (p->pp_run[i]) {
			const struct result *r = &p->pp[i];

			fprintf(f, "pingpong,%s,%s,1,%zu,%" PRIu64 ",,,,,,,%" PRIu64 ",%" PRIu64
				   ",%" PRIu64 ",,%.3f,page,,,%s,",
				t->name, kind_name(t->kind), p->pp_size, r->rounds, r->p50_ns,
				r->p99_ns, r->mean_ns, r->foreign, state_name(r->state));
			csv_text(f, r->why);
			fputc('\n', f);
		}
	}
	for (int i = 0; p->idle_run && i < 2; i++) {
		const struct idle_result *r = &p->idle[i];

		fprintf(f, "idle,shmring-%s,shmring,1,64,1,%.6f,,,,,,,,,%" PRIu64 ",,page,,,%s,",
			r->exclusive ? "exclusive" : "shared", (double)r->wall_ns / 1e9, r->cpu_ns,
			r->ok ? "ok" : "failed");
		csv_text(f, r->why);
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Plot                                                                    */

static int has_data(const struct plan *p, unsigned i)
{
	for (unsigned s = 0; p->tp_run[i] && s < p->nsizes; s++)
		if (p->tp[i][s].state == RESULT_OK)
			return 1;
	return 0;
}

int report_plot(const char *gnuplot, const char *png, const struct plan *p)
{
	char cpu[160];
	FILE *g;
	int st, n = 0;

	for (unsigned i = 0; i < p->ntr; i++)
		n += has_data(p, i);
	if (n == 0)
		return -ENODATA;

	if (strchr(png, '\'') || strchr(png, '\n'))
		return -EINVAL;
	snprintf(cpu, sizeof(cpu), "%s, %u cores, %s", p->machine.cpu, p->machine.online,
		 p->load ? "busy host (--load)" : "idle host");
	for (char *c = cpu; *c; c++)
		if (*c == '\'' || *c == '"')
			*c = ' ';
	g = popen(gnuplot, "w");
	if (!g)
		return -errno;
	/* One data block per transport that has at least one number. */
	for (unsigned i = 0; i < p->ntr; i++) {
		if (!has_data(p, i))
			continue;
		fprintf(g, "$t%u << EOD\n", i);
		for (unsigned s = 0; s < p->nsizes; s++)
			if (p->tp[i][s].state == RESULT_OK)
				fprintf(g, "%zu %.3f %.6f\n", p->sizes[s], p->tp[i][s].rate,
					p->tp[i][s].rate * (double)p->sizes[s] / 1e6);
		fprintf(g, "EOD\n");
	}
	fprintf(g, "set terminal pngcairo size 1400,600 noenhanced font ',10'\n"
		   "set output '%s'\n"
		   "set multiplot layout 1,2 title 'shmring-bench: one-way throughput, %s (%s)'\n"
		   "set logscale xy\n"
		   "set grid\n"
		   "set xlabel 'message size (bytes)'\n"
		   "set xtics ('8' 8, '64' 64, '512' 512, '4K' 4096, '64K' 65536, '1M' 1048576)\n"
		   "set key outside right top\n",
		png, cpu, p->machine.date);
	for (int panel = 0; panel < 2; panel++) {
		fprintf(g, "set ylabel '%s'\n", panel ? "MB/s (10^6 bytes)" : "messages/s");
		fprintf(g, panel ? "set key outside right top\n" : "unset key\n");
		fprintf(g, "plot ");
		n = 0;
		for (unsigned i = 0; i < p->ntr; i++) {
			const struct transport *t = p->tr[i];

			if (!has_data(p, i))
				continue;
			int dash = t->kind == KIND_SHMRING ? 1 : t->kind == KIND_KERNEL ? 2 : 4;

			fprintf(g, "%s$t%u using 1:%d with linespoints lw %d dt %d title '%s'",
				n++ ? ", " : "", i, panel ? 3 : 2, t->kind == KIND_SHMRING ? 3 : 1,
				dash, t->name);
		}
		fprintf(g, "\n");
	}
	fprintf(g, "unset multiplot\n");
	st = pclose(g);
	if (st == -1)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}
