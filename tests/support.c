/* support.c - see support.h. */
#include "config.h"

#include "support.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TRACKED 64

static char private_dir[256];
static unsigned anchors_made;
static char anchor_path[64][300];
static struct {
	int shmid;
	int semid;
} tracked[MAX_TRACKED];
static unsigned tracked_count;
static pid_t setup_pid;

void tr_setup(void)
{
	const char *base = getenv("TMPDIR");
	snprintf(private_dir, sizeof(private_dir), "%s/shmring-test-XXXXXX", base ? base : "/tmp");
	cr_assert_not_null(mkdtemp(private_dir), "mkdtemp: %s", strerror(errno));
	anchors_made = 0;
	tracked_count = 0;
	setup_pid = getpid();
}

void tr_teardown(void)
{
	if (getpid() != setup_pid)
		return; /* a child that fell through: the parent cleans up */
	for (unsigned i = 0; i < tracked_count; i++) {
		if (tracked[i].semid >= 0)
			semctl(tracked[i].semid, 0, IPC_RMID);
		if (tracked[i].shmid >= 0)
			shmctl(tracked[i].shmid, IPC_RMID, NULL);
	}
	tracked_count = 0;
	for (unsigned i = 0; i < anchors_made && i < 64; i++)
		unlink(anchor_path[i]);
	if (private_dir[0])
		rmdir(private_dir);
	private_dir[0] = '\0';
}

const char *tr_new_anchor(void)
{
	cr_assert(anchors_made < 64, "too many anchors in one test");
	char *p = anchor_path[anchors_made];
	snprintf(p, sizeof(anchor_path[0]), "%s/ring%u", private_dir, anchors_made);
	anchors_made++;
	return p;
}

void tr_track(int shmid, int semid)
{
	cr_assert(tracked_count < MAX_TRACKED, "too many tracked objects");
	tracked[tracked_count].shmid = shmid;
	tracked[tracked_count].semid = semid;
	tracked_count++;
}

void tr_track_ring(struct shmring *r)
{
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	tr_track(st.shmid, st.semid);
}

struct shmring *tr_create(unsigned flags, size_t capacity, size_t max_msg, const char **path)
{
	struct shmring_options opt = {.capacity = capacity, .max_msg = max_msg};
	struct shmring *r = NULL;
	/* ftok keys of different files can collide (-EEXIST, or -ENOTUNIQ when
	 * the other ring's anchor is known): try another anchor. */
	for (int attempt = 0; attempt < 8; attempt++) {
		const char *p = tr_new_anchor();
		int rc = shmring_create(p, flags, &opt, &r);
		if (rc == -EEXIST || rc == -ENOTUNIQ)
			continue;
		cr_assert_eq(rc, 0, "shmring_create: %s", shmring_strerror(rc));
		tr_track_ring(r);
		if (path)
			*path = p;
		return r;
	}
	cr_assert_fail("no free key after 8 anchors");
	return NULL;
}

pid_t tr_fork(int (*fn)(void *), void *arg, unsigned seconds)
{
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		alarm(seconds);
		_exit(fn(arg));
	}
	return pid;
}

int tr_wait(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

double tr_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void tr_child_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "child %d: %s:%d: check failed: %s\n", (int)getpid(), file, line, what);
}

/* Payload: who (4 bytes), seq (4), then bytes derived from both, then a
 * 32-bit FNV-1a of everything before it in the last 4 bytes (when len >= 12). */
static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

void tr_fill(uint8_t *buf, size_t len, uint32_t who, uint32_t seq)
{
	uint8_t head[8];
	memcpy(head, &who, 4);
	memcpy(head + 4, &seq, 4);
	for (size_t i = 0; i < len; i++)
		buf[i] = i < 8 ? head[i] : (uint8_t)(who * 31 + seq * 7 + i);
	if (len >= 12) {
		uint32_t h = fnv(buf, len - 4);
		memcpy(buf + len - 4, &h, 4);
	}
}

bool tr_check(const uint8_t *buf, size_t len, uint32_t *who, uint32_t *seq)
{
	if (len < 12)
		return false;
	uint32_t h;
	memcpy(&h, buf + len - 4, 4);
	if (h != fnv(buf, len - 4))
		return false;
	memcpy(who, buf, 4);
	memcpy(seq, buf + 4, 4);
	return true;
}
