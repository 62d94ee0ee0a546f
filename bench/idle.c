/*
 * idle.c - what a sleeping shmring reader costs: the CPU time of a reader
 * blocked on an empty ring while its writer stays attached but silent, and
 * the memory a ring of a given capacity takes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <time.h>

#include "shmring.h"

#include "cleanup.h"
#include "run.h"
#include "t_shmring.h"

static uint64_t idle_wait_ns;
static int idle_exclusive;

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
	       ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static int idle_child(struct chan *c, unsigned idx)
{
	struct shared *s = run_shared();
	struct shmring *ring;
	unsigned excl = idle_exclusive ? SHMRING_EXCLUSIVE : 0;
	void *buf = chan_buffer(c, c->size);
	int rc;

	if (!buf)
		return -ENOMEM;
	if (idx == 1) {
		/* The writer: attached, but silent for the idle time. */
		struct timespec ts = {(time_t)(idle_wait_ns / 1000000000u),
				      (long)(idle_wait_ns % 1000000000u)};

		rc = ring_open(c, 0, SHMRING_WRITER | excl, &ring);
		if (rc < 0)
			return rc;
		rc = chan_sync(c);
		while (rc == 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR) {
		}
		payload_fill(buf, c->size, 0, 0, 1);
		if (rc == 0)
			rc = shmring_send(ring, buf, c->size, SHMRING_FOREVER);
		if (rc < 0)
			chan_fail(c, rc, "idle writer: shmring_send");
		shmring_close(ring);
		return rc < 0 ? rc : 0;
	}
	rc = ring_open(c, 0, SHMRING_READER | excl, &ring);
	if (rc < 0)
		return rc;
	rc = chan_sync(c);
	if (rc == 0) {
		uint64_t cpu0 = cpu_ns(), t0 = bench_now_ns();
		size_t len = c->size;

		rc = shmring_recv(ring, buf, &len, SHMRING_FOREVER);
		s->wall_ns = bench_now_ns() - t0;
		s->cpu_ns = cpu_ns() - cpu0;
		if (rc < 0)
			chan_fail(c, rc, "idle reader: shmring_recv");
		else if (rc == 0)
			rc = ring_end_of_stream(c);
		else if (check_msg(c->check, buf, len) < 0)
			rc = chan_fail(c, -EBADMSG, "VERIFICATION FAILED: %s", c->check->err);
	}
	shmring_close(ring);
	return rc < 0 ? rc : 0;
}

void shmring_idle(const struct run_cfg *cfg, int exclusive, uint64_t idle_ns,
		  struct idle_result *r)
{
	struct result res;
	struct check k;
	struct chan c;
	uint64_t t0;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&res, 0, sizeof(res));
	memset(&c, 0, sizeof(c));
	r->exclusive = exclusive;
	c.tr = &transport_shmring;
	c.size = 64;
	c.producers = 1;
	c.budget = run_budget(cfg, c.size);
	check_init(&k, c.size, 1);
	c.check = &k;
	rc = ring_setup(&c);
	if (rc < 0) {
		snprintf(r->why, sizeof(r->why), "setup: %s", shmring_strerror(rc));
		return;
	}
	idle_wait_ns = idle_ns;
	idle_exclusive = exclusive;
	if (run_procs(&c, 2, idle_child, cfg->timeout_s + (unsigned)(idle_ns / 1000000000u), &t0,
		      &res) == 0) {
		r->ok = 1;
		r->cpu_ns = run_shared()->cpu_ns;
		r->wall_ns = run_shared()->wall_ns;
	} else {
		snprintf(r->why, sizeof(r->why), "%s", res.why);
	}
	ring_teardown(&c);
}

int shmring_footprint(size_t capacity, uint64_t *real_capacity, uint64_t *segment)
{
	struct shmring_options opt;
	struct shmring_stats st;
	struct shmring *admin;
	int rc, slot;

	memset(&opt, 0, sizeof(opt));
	opt.capacity = capacity;
	opt.mode = 0600;
	rc = shmring_create_key(IPC_PRIVATE, 0, &opt, &admin);
	if (rc < 0)
		return rc;
	rc = shmring_stats(admin, &st);
	slot = rc == 0 ? cleanup_add(CLEANUP_SYSV_RING, st.shmid, st.semid, NULL, NULL) : -1;
	if (rc == 0) {
		*real_capacity = st.capacity;
		*segment = st.segment_size;
	}
	shmring_destroy(admin);
	cleanup_forget(slot);
	return rc;
}
