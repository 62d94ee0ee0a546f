/*
 * run.c - the parent's side of the harness: fork, release, time and reap
 * the processes of one cell, and turn what they report into a result.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "load.h"
#include "loops.h"
#include "run.h"

static struct shared *shared;
static int pin_cpus;

void run_pin(int on)
{
	pin_cpus = on;
}

/* Child @index on CPU (index mod online CPUs): the consumer on 0, the
   producers spread over the others, then around again. */
static void pin_self(unsigned index)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (n < 1)
		return;
	CPU_ZERO(&set);
	CPU_SET((int)(index % (unsigned long)n), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

int run_init(void)
{
	void *p = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	shared = p;
	return 0;
}

struct shared *run_shared(void)
{
	return shared;
}

size_t run_budget(const struct run_cfg *cfg, size_t size)
{
	size_t four = 4 * (size + 64);
	size_t page = 4096;

	four = (four + page - 1) / page * page;
	return four > cfg->budget ? four : cfg->budget;
}

#define MAX_NOTES 16

static char notes[MAX_NOTES][200];
static unsigned note_count;

void run_note(const char *fmt, ...)
{
	va_list ap;

	if (note_count == MAX_NOTES)
		return;
	va_start(ap, fmt);
	vsnprintf(notes[note_count], sizeof(notes[0]), fmt, ap);
	va_end(ap);
	for (unsigned i = 0; i < note_count; i++)
		if (strcmp(notes[i], notes[note_count]) == 0)
			return; /* said already */
	note_count++;
}

unsigned run_note_count(void)
{
	return note_count;
}

const char *run_note_text(unsigned i)
{
	return i < note_count ? notes[i] : "";
}

/* ---------------------------------------------------------------------- */
/* Processes                                                              */

static void describe_status(struct result *r, unsigned idx, int status)
{
	size_t used = strlen(r->why);
	const char *e = shared->err[idx];

	if (used + 2 >= sizeof(r->why))
		return;
	if (WIFEXITED(status))
		snprintf(r->why + used, sizeof(r->why) - used, "%sprocess %u exited %d%s%s",
			 used ? "; " : "", idx, WEXITSTATUS(status), e[0] ? ": " : "", e);
	else
		snprintf(r->why + used, sizeof(r->why) - used,
			 "%sprocess %u killed by signal %d%s%s", used ? "; " : "", idx,
			 WTERMSIG(status), e[0] ? ": " : "", e);
}

/* CPU time used on the whole machine so far (all CPUs, including time
   the hypervisor stole), in clock ticks; 0 if unknown. */
static uint64_t machine_busy_ticks(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return 0;
	/* cpu user nice system idle iowait irq softirq steal */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 8)
		return 0;
	return v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
}

/* CPU time of this process and its reaped children, in ns. */
static uint64_t family_cpu_ns(void)
{
	struct rusage self, kids;
	uint64_t us;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	us = (uint64_t)(self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
			kids.ru_stime.tv_sec) * 1000000u +
	     (uint64_t)(self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
			kids.ru_stime.tv_usec);
	return us * 1000u;
}

/* Wait until @n children are ready, watching for early deaths. */
static int wait_ready(int fd, unsigned n, const pid_t *pids)
{
	unsigned got = 0;

	while (got < n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int rc = poll(&p, 1, 50);

		if (cleanup_timed_out())
			return -ETIMEDOUT;
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc > 0) {
			char buf[BENCH_MAX_PRODUCERS + 2];
			ssize_t k = read(fd, buf, n - got);

			if (k <= 0)
				return -EPIPE;
			got += (unsigned)k;
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			siginfo_t si;

			/* WNOWAIT: leave the corpse for the reaper's report. */
			si.si_pid = 0;
			if (waitid(P_PID, (id_t)pids[i], &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == pids[i])
				return -ECHILD;
		}
	}
	return 0;
}

int run_procs(struct chan *c, unsigned n, run_fn fn, unsigned timeout_s, uint64_t *t0,
	      struct result *r)
{
	int ready[2], go[2], failed = 0, rc;
	pid_t pids[BENCH_MAX_PRODUCERS + 2];
	unsigned started = 0, left;
	uint64_t busy0 = 0, ours0 = 0, load0 = 0;

	memset(shared, 0, sizeof(*shared));
	if (pipe(ready) < 0 || pipe(go) < 0) {
		snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	cleanup_watchdog(timeout_s);
	for (; started < n; started++) {
		pid_t pid = fork();

		if (pid == 0) {
			cleanup_in_child();
			if (pin_cpus)
				pin_self(started);
			close(ready[0]);
			close(go[1]);
			c->ready_fd = ready[1];
			c->go_fd = go[0];
			c->err = shared->err[started];
			c->errlen = sizeof(shared->err[started]);
			_exit(fn(c, started) == 0 ? 0 : 1);
		}
		if (pid < 0) {
			snprintf(r->why, sizeof(r->why), "fork: %s", strerror(errno));
			failed = 1;
			break;
		}
		pids[started] = pid;
		cleanup_child_add(pid);
	}
	close(ready[1]);
	close(go[0]);
	if (!failed) {
		rc = wait_ready(ready[0], n, pids);
		if (rc == -ETIMEDOUT)
			snprintf(r->why, sizeof(r->why), "hung before the start (%u s)", timeout_s);
		failed = rc < 0;
	}
	/* A cell that cannot start must not run half-way: the others would
	   wait for their missing peer until the watchdog. */
	if (failed)
		cleanup_kill_children();
	busy0 = machine_busy_ticks();
	ours0 = family_cpu_ns();
	load0 = load_cpu_ns();
	*t0 = bench_now_ns();
	close(go[1]); /* everyone starts now */
	close(ready[0]);

	for (left = started; left > 0;) {
		int st;
		/* Our process group only: the load processes (load.h) have their
		   own, and stay running. */
		pid_t pid = waitpid(0, &st, 0);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (unsigned i = 0; i < started; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			cleanup_child_del(pid);
			left--;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				describe_status(r, i, st);
				if (!failed)
					cleanup_kill_children();
				failed = 1;
			}
		}
	}
	{
		/* CPU time others used meanwhile: a disturbed measurement. Our
		   own load processes (--load) are not others. */
		double wall = (double)(bench_now_ns() - *t0) / 1e9;
		double busy = (double)(machine_busy_ticks() - busy0) / (double)sysconf(_SC_CLK_TCK);
		uint64_t load1 = load_cpu_ns();
		/* (a load process that died early takes its time away) */
		double ours = (double)(family_cpu_ns() - ours0) / 1e9 +
			      (load1 > load0 ? (double)(load1 - load0) / 1e9 : 0);

		r->foreign = busy0 && wall > 0 && busy > ours ? (busy - ours) / wall : 0;
	}
	if (cleanup_timed_out()) {
		size_t used = strlen(r->why);
		snprintf(r->why + used, sizeof(r->why) - used,
			 "%shung: killed after %u s (consumer had verified about %" PRIu64
			 " messages)",
			 used ? "; " : "", timeout_s, shared->received);
		failed = 1;
	}
	cleanup_watchdog(0);
	return failed ? -1 : 0;
}

/* ---------------------------------------------------------------------- */
/* The two measurements                                                   */

static const struct run_cfg *cur_cfg;

static int throughput_child(struct chan *c, unsigned idx)
{
	const struct transport *t = c->tr;
	struct check k;
	struct gen g;

	if (idx == 0) {
		check_init(&k, c->size, c->producers);
		c->check = &k;
		return t->consume ? t->consume(c) : loop_consume(c);
	}
	c->id = idx - 1;
	gen_init(&g, c->id, c->size, cur_cfg->count, cur_cfg->run_ns);
	c->gen = &g;
	return t->produce ? t->produce(c) : loop_produce(c);
}

static int pingpong_child(struct chan *c, unsigned idx)
{
	struct check k;
	struct gen g;

	if (idx == 0) {
		check_init(&k, c->size, 1);
		c->check = &k;
		return loop_pong(c);
	}
	gen_init(&g, 0, c->size, cur_cfg->count, cur_cfg->run_ns);
	g.every = 1; /* a round trip costs far more than reading the clock */
	c->gen = &g;
	return loop_ping(c);
}

static unsigned cell_timeout(const struct run_cfg *cfg)
{
	return cfg->timeout_s + (unsigned)(cfg->run_ns / 1000000000u) * 4;
}

static int setup_chan(struct chan *c, const struct transport *t, const struct run_cfg *cfg,
		      size_t size, size_t buf_offset, int pingpong, struct result *r)
{
	char err[256] = "";
	int rc;

	memset(c, 0, sizeof(*c));
	c->tr = t;
	c->size = size;
	c->buf_offset = buf_offset == RUN_IN_PLACE ? 0 : buf_offset;
	c->pingpong = pingpong;
	c->producers = pingpong ? 1 : t->producers;
	c->budget = run_budget(cfg, size);
	c->batch = cfg->batch;
	c->err = err;
	c->errlen = sizeof(err);
	rc = t->setup(c);
	c->err = NULL;
	if (rc < 0) {
		snprintf(r->why, sizeof(r->why), "setup: %s%s%s", err[0] ? err : "",
			 err[0] ? ": " : "", strerror(-rc));
		r->state = RESULT_FAILED;
		return -1;
	}
	return 0;
}

const char *run_placement_str(size_t buf_offset, char *buf, size_t len)
{
	if (buf_offset == RUN_IN_PLACE)
		snprintf(buf, len, "in place");
	else if (buf_offset == 0)
		snprintf(buf, len, "page");
	else
		snprintf(buf, len, "page+%zu", buf_offset);
	return buf;
}

void run_throughput(const struct transport *t, const struct run_cfg *cfg, size_t size,
		    size_t buf_offset, struct result *r)
{
	struct run_cfg mine = *cfg;
	struct chan c;
	uint64_t t0;

	memset(r, 0, sizeof(*r));
	/* A fixed count is split between producers and kept to ~8 MiB. */
	if (mine.count) {
		uint64_t cap = (8u << 20) / size;

		if (mine.count > cap)
			mine.count = cap < 16 ? 16 : cap;
		mine.count = (mine.count + t->producers - 1) / t->producers;
	}
	cur_cfg = &mine;
	r->buf_offset = t->flags & TR_IN_PLACE ? RUN_IN_PLACE : buf_offset;
	if (setup_chan(&c, t, cfg, size, r->buf_offset, 0, r) < 0)
		return;
	if (run_procs(&c, 1 + t->producers, throughput_child, cell_timeout(cfg), &t0, r) < 0) {
		r->state = RESULT_FAILED;
	} else {
		struct shared *s = shared;

		for (unsigned i = 0; i < t->producers; i++) {
			if (s->sent[i] != s->got[i]) {
				snprintf(r->why, sizeof(r->why),
					 "VERIFICATION FAILED: producer %u sent %" PRIu64
					 ", consumer verified %" PRIu64,
					 i, s->sent[i], s->got[i]);
				r->state = RESULT_FAILED;
			}
		}
		if (r->state == RESULT_OK && s->t_end <= t0) {
			snprintf(r->why, sizeof(r->why), "consumer never finished");
			r->state = RESULT_FAILED;
		}
		if (r->state == RESULT_OK) {
			r->messages = s->received;
			r->seconds = (double)(s->t_end - t0) / 1e9;
			r->rate = (double)r->messages / r->seconds;
		}
	}
	t->teardown(&c);
}

void run_pingpong(const struct transport *t, const struct run_cfg *cfg, size_t size,
		  struct result *r)
{
	struct run_cfg mine = *cfg;
	struct chan c;
	uint64_t t0;

	memset(r, 0, sizeof(*r));
	if (mine.count > 20000)
		mine.count = 20000;
	cur_cfg = &mine;
	/* Round trips: page-aligned buffers, as ever. */
	if (setup_chan(&c, t, cfg, size, 0, 1, r) < 0)
		return;
	if (run_procs(&c, 2, pingpong_child, cell_timeout(cfg), &t0, r) < 0) {
		r->state = RESULT_FAILED;
	} else if (shared->rounds == 0) {
		snprintf(r->why, sizeof(r->why), "no round trip measured");
		r->state = RESULT_FAILED;
	} else {
		r->rounds = shared->rounds;
		r->p50_ns = shared->p50_ns;
		r->p99_ns = shared->p99_ns;
		r->mean_ns = shared->mean_ns;
		r->messages = shared->rounds;
	}
	t->teardown(&c);
}
