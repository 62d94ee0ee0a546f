/*
 * main.c - shmring-bench: run the plan (throughput cells, ping-pong, idle
 * reader), show progress on stderr, then the report: table on stdout, CSV
 * file, PNG plot.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shmring.h"

#include "cleanup.h"
#include "load.h"
#include "options.h"
#include "report.h"
#include "run.h"
#include "t_shmring.h"
#include "transport.h"

/* ---------------------------------------------------------------------- */
/* Running                                                                 */

static unsigned step, steps;

static void progress(const char *name, const char *what, const struct result *r)
{
	char rate[192];

	step++;
	if (r->state == RESULT_SKIPPED)
		snprintf(rate, sizeof(rate), "skipped");
	else if (r->state == RESULT_FAILED)
		snprintf(rate, sizeof(rate), "FAILED");
	else if (r->rounds)
		snprintf(rate, sizeof(rate), "p50 %.2f us, p99 %.2f us", (double)r->p50_ns / 1e3,
			 (double)r->p99_ns / 1e3);
	else
		snprintf(rate, sizeof(rate), "%.3f M msgs/s (%llu msgs in %.3f s)", r->rate / 1e6,
			 (unsigned long long)r->messages, r->seconds);
	if (r->state == RESULT_OK && r->alt_rate > 0) {
		char at[32];
		size_t used = strlen(rate);

		snprintf(rate + used, sizeof(rate) - used, " [%s slower by %.1f %%]",
			 run_placement_str(r->buf_offset, at, sizeof(at)),
			 100.0 * (1.0 - r->rate / r->alt_rate));
	}
	if (r->state == RESULT_OK && r->foreign >= FOREIGN_NOTE)
		snprintf(rate + strlen(rate), sizeof(rate) - strlen(rate),
			 " [other processes: %.2f CPU]", r->foreign);
	fprintf(stderr, "[%2u/%u] %-15s %-9s %s\n", step, steps, name, what, rate);
	if (r->state == RESULT_FAILED)
		fprintf(stderr, "        %s\n", r->why);
}

static int cmp_rate(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	return x->rate < y->rate ? -1 : x->rate > y->rate;
}

/*
 * Run a cell @repeat times with each placement of the user buffers (page-
 * aligned, and p->cfg.buf_offset past a page), the two interleaved so that
 * both see the same host; keep the median of each and report the slower,
 * with the other's rate beside it. The first failure ends the cell.
 */
static void measure(const struct plan *p, const struct transport *t, size_t size,
		    struct result *out)
{
	static struct result runs[2][16];
	const size_t offsets[2] = {0, p->cfg.buf_offset};
	unsigned n = p->repeat > 16 ? 16 : p->repeat;
	unsigned ways = (t->flags & TR_IN_PLACE) || offsets[1] == 0 ? 1 : 2;
	const struct result *slow, *fast;

	for (unsigned i = 0; i < n; i++) {
		for (unsigned w = 0; w < ways; w++) {
			struct result *r = &runs[w][i];

			run_throughput(t, &p->cfg, size, offsets[w], r);
			if (r->state == RESULT_OK)
				continue;
			*out = *r;
			if (ways > 1) {
				size_t used = strlen(out->why);
				char at[32];

				snprintf(out->why + used, sizeof(out->why) - used,
					 " (user buffers at %s)",
					 run_placement_str(offsets[w], at, sizeof(at)));
			}
			return;
		}
	}
	for (unsigned w = 0; w < ways; w++)
		qsort(runs[w], n, sizeof(runs[w][0]), cmp_rate);
	slow = &runs[0][n / 2];
	fast = NULL;
	if (ways > 1) {
		fast = &runs[1][n / 2];
		if (fast->rate < slow->rate) {
			fast = slow;
			slow = &runs[1][n / 2];
		}
	}
	*out = *slow;
	if (fast) {
		out->alt_rate = fast->rate;
		out->alt_offset = fast->buf_offset;
	}
}

static int cmp_p50(const void *a, const void *b)
{
	const struct result *x = a, *y = b;

	return x->p50_ns < y->p50_ns ? -1 : x->p50_ns > y->p50_ns;
}

/* Round trips @repeat times; keep the run with the median p50. */
static void measure_pingpong(const struct plan *p, const struct transport *t,
			     const struct run_cfg *cfg, struct result *out)
{
	struct result runs[16];
	unsigned n = p->repeat > 16 ? 16 : p->repeat;

	for (unsigned i = 0; i < n; i++) {
		run_pingpong(t, cfg, p->pp_size, &runs[i]);
		if (runs[i].state != RESULT_OK) {
			*out = runs[i];
			return;
		}
	}
	qsort(runs, n, sizeof(runs[0]), cmp_p50);
	*out = runs[n / 2];
}

static size_t max_size(const struct plan *p)
{
	size_t m = p->pp_size;

	for (unsigned s = 0; s < p->nsizes; s++)
		if (p->sizes[s] > m)
			m = p->sizes[s];
	return m;
}

static void run_transport(struct plan *p, unsigned i, const struct options *o)
{
	const struct transport *t = p->tr[i];
	char why[256] = "", sz[24], buf[256];
	int prepared = 0, rc = 0;

	if (t->prepare) {
		rc = t->prepare(max_size(p), run_budget(&p->cfg, max_size(p)), why, sizeof(why));
		prepared = rc == 0;
	}
	if (t->flags & TR_THROUGHPUT) {
		p->tp_run[i] = 1;
		for (unsigned s = 0; s < p->nsizes; s++) {
			struct result *r = &p->tp[i][s];
			const char *skip = NULL;

			memset(r, 0, sizeof(*r));
			if (rc < 0)
				skip = why[0] ? why : strerror(-rc);
			else if (t->skip)
				skip = t->skip(p->sizes[s], run_budget(&p->cfg, p->sizes[s]), buf,
					       sizeof(buf));
			if (skip) {
				r->state = RESULT_SKIPPED;
				snprintf(r->why, sizeof(r->why), "%s", skip);
			} else {
				measure(p, t, p->sizes[s], r);
			}
			progress(t->name, bench_size_str(p->sizes[s], sz, sizeof(sz)), r);
		}
	}
	if ((t->flags & TR_PINGPONG) && !o->no_pingpong) {
		struct run_cfg cfg = p->cfg;
		struct result *r = &p->pp[i];

		p->pp_run[i] = 1;
		cfg.run_ns = p->pp_ns;
		if (p->cfg.count)
			cfg.count = 500;
		if (rc < 0) {
			r->state = RESULT_SKIPPED;
			snprintf(r->why, sizeof(r->why), "%s", why);
		} else {
			measure_pingpong(p, t, &cfg, r);
		}
		progress(t->name, "ping-pong", r);
	}
	if (prepared && t->finish)
		t->finish();
}

static int has_shmring(const struct plan *p)
{
	for (unsigned i = 0; i < p->ntr; i++)
		if (p->tr[i]->kind == KIND_SHMRING)
			return 1;
	return 0;
}

static void run_idle(struct plan *p)
{
	for (int i = 0; i < 2; i++) {
		struct idle_result *r = &p->idle[i];

		shmring_idle(&p->cfg, i == 0, p->idle_ns, r);
		step++;
		if (r->ok)
			fprintf(stderr, "[%2u/%u] %-15s %-9s %.3f ms CPU in %.3f s blocked\n", step,
				steps, i == 0 ? "shmring" : "shmring-shared", "idle",
				(double)r->cpu_ns / 1e6, (double)r->wall_ns / 1e9);
		else
			fprintf(stderr, "[%2u/%u] %-15s %-9s FAILED: %s\n", step, steps,
				i == 0 ? "shmring" : "shmring-shared", "idle", r->why);
	}
	p->idle_run = 1;
}

static unsigned count_steps(const struct plan *p, const struct options *o)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->ntr; i++) {
		if (p->tr[i]->flags & TR_THROUGHPUT)
			n += p->nsizes;
		if ((p->tr[i]->flags & TR_PINGPONG) && !o->no_pingpong)
			n++;
	}
	if (has_shmring(p) && !o->no_idle)
		n += 2;
	return n;
}

/* mkdir -p for the directory part of @path. */
static void make_parent(const char *path)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *s = strchr(dir + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(dir, 0777);
		*s = '/';
	}
}

static void write_outputs(const struct plan *p, struct options *o)
{
	/* A busy run never overwrites the idle one's results. */
	const char *csv = p->load ? "bench/results/bench-busy.csv" : "bench/results/bench.csv";
	int rc;

	if (o->csv)
		csv = o->csv;
	make_parent(csv);
	rc = report_csv(csv, p);
	if (rc < 0)
		fprintf(stderr, "shmring-bench: cannot write %s: %s\n", csv, strerror(-rc));
	else
		printf("\nCSV: %s\n", csv);
	if (o->no_plot || (strcmp(p->mode, "tiny") == 0 && !o->plot_given))
		return;
	if (!GNUPLOT_PATH[0]) {
		printf("Plot: skipped (configure found no gnuplot)\n");
		return;
	}
	if (!o->plot)
		o->plot = p->load ? "bench/results/bench-busy.png" : "bench/results/bench.png";
	make_parent(o->plot);
	fflush(stdout);
	rc = report_plot(GNUPLOT_PATH, o->plot, p);
	if (rc < 0)
		fprintf(stderr, "shmring-bench: plot %s failed: %s\n", o->plot, strerror(-rc));
	else
		printf("Plot: %s\n", o->plot);
}

int main(int argc, char **argv)
{
	static struct plan plan;
	struct options opts;
	unsigned failed;
	int rc;

	memset(&opts, 0, sizeof(opts));
	if (parse_args(argc, argv, &plan, &opts) < 0)
		return 2;
	machine_facts(&plan.machine);
	rc = cleanup_init();
	if (rc == 0)
		rc = run_init();
	if (rc < 0) {
		fprintf(stderr, "shmring-bench: cannot start: %s\n", strerror(-rc));
		return 1;
	}
	steps = count_steps(&plan, &opts);
	report_header(stderr, &plan, "# ");
	if (plan.load) {
		rc = load_start(plan.load);
		if (rc < 0) {
			fprintf(stderr, "shmring-bench: cannot start the load: %s\n",
				strerror(-rc));
			return 1;
		}
	}
	for (unsigned i = 0; i < plan.ntr; i++)
		run_transport(&plan, i, &opts);
	if (has_shmring(&plan) && !opts.no_idle)
		run_idle(&plan);
	if (has_shmring(&plan)) {
		plan.fp_asked = SHMRING_DEFAULT_CAPACITY;
		plan.fp_ok = shmring_footprint(plan.fp_asked, &plan.fp_capacity,
					       &plan.fp_segment) == 0;
	}
	if (plan.load)
		plan.load_died = load_stop(&plan.load_cpus);
	cleanup_run(); /* everything is gone and every limit is back now */

	printf("\n");
	report_header(stdout, &plan, "# ");
	report_tables(stdout, &plan);
	if (has_shmring(&plan))
		report_targets(stdout, &plan);
	write_outputs(&plan, &opts);
	failed = report_failures(&plan);
	if (plan.load_died) {
		fprintf(stderr, "shmring-bench: %u load process%s died during the run\n",
			plan.load_died, plan.load_died > 1 ? "es" : "");
		failed++;
	}
	if (failed) {
		fprintf(stderr, "shmring-bench: %u measurement%s FAILED (see the table)\n", failed,
			failed > 1 ? "s" : "");
		return 1;
	}
	return 0;
}
