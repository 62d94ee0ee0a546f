/* Peers coming and going (issue 2): the pipe's four situations, for shared
 * and exclusive handles, with peers that leave cleanly and peers killed by
 * SIGKILL - also while they hold a side's lock.
 *
 * Every peer that matters runs in a child that opens its own handle; the
 * parent holds only the roles a test needs (a parent writer would keep the
 * readers from ever seeing end of stream). Children and parent meet on
 * pipes: "ready" (child attached), "go" (parent says carry on) and "times"
 * (a CLOCK_MONOTONIC instant, comparable across processes). */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

#include "handle.h" /* the journal tests below recreate a crash state */
#include "support.h"

TestSuite(peers, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

#define SHARED 0u
#define EXCL SHMRING_EXCLUSIVE

/* Issue 2: end of stream and -EPIPE come "within ~100 ms even when the last
 * peer was killed". The kernel's SEM_UNDO posts the wake-up (layout.h), so
 * the real figure is about a millisecond; 100 ms leaves room for a loaded
 * machine without letting a polling design through. */
#define PROMPT_MS 100.0
/* Issue 2: after a process dies holding a lock, "the others go on within 1 s". */
#define GO_ON_MS 1000.0
/* shmring.h: an exclusive writer notices that the readers are gone "within
 * 1024 messages". */
#define READER_CHECK 1024u

/* ---------------------------------------------------------------------- */
/* Meeting points                                                         */

static void make_pipe(int fd[2])
{
	cr_assert_eq(pipe(fd), 0, "pipe: %s", strerror(errno));
}

static void close_pipe(int fd[2])
{
	close(fd[0]);
	close(fd[1]);
}

static void put_bytes(int fd, const void *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		p = (const char *)p + k;
		n -= (size_t)k;
	}
}

/* Read exactly @n bytes within @timeout_ms. True on success. */
static bool get_bytes(int fd, void *p, size_t n, int timeout_ms)
{
	double end = tr_now_ms() + timeout_ms;
	while (n > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int left = (int)(end - tr_now_ms());
		if (left < 0)
			return false;
		int rc = poll(&pfd, 1, left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return false;
		ssize_t k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p = (char *)p + k;
		n -= (size_t)k;
	}
	return true;
}

static void note(int fd)
{
	char c = 1;
	put_bytes(fd, &c, 1);
}

static bool await(int fd, int timeout_ms)
{
	char c;
	return get_bytes(fd, &c, 1, timeout_ms);
}

static void send_time(int fd, double t)
{
	put_bytes(fd, &t, sizeof(t));
}

static double get_time(int fd)
{
	double t = 0;
	cr_assert(get_bytes(fd, &t, sizeof(t), 10000), "no time reported by the child");
	return t;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Everything a child needs; each child kind uses some of it. */
struct peer {
	const char *path;
	unsigned flags; /* roles and mode of the child's own handle */
	int ready;	/* child -> parent, write end: attached (or set up) */
	int go;		/* parent -> child, read end: carry on; -1 = don't wait */
	int times;	/* child -> parent, write end: an instant */
	uint32_t who;	/* producer id in payloads */
	uint32_t count; /* messages to send / expected */
	size_t len;	/* payload length */
	unsigned delay_ms;
	pid_t victim; /* killer: whom to kill */
	bool suicide; /* raise SIGKILL instead of waiting to be killed */
	bool sticky;  /* writer_until_epipe: check that -EPIPE stays */
};

static struct peer new_peer(const char *path, unsigned flags)
{
	return (struct peer){
	    .path = path, .flags = flags, .ready = -1, .go = -1, .times = -1, .who = 1, .len = 64};
}

static int child_open(const struct peer *p, struct shmring **r)
{
	return shmring_open(p->path, p->flags, NULL, r);
}

static void child_ready(const struct peer *p)
{
	if (p->ready >= 0)
		note(p->ready);
}

static bool child_go(const struct peer *p)
{
	return p->go < 0 || await(p->go, 20000);
}

/* Send p->count messages of p->len bytes from producer p->who. */
static int child_send_all(const struct peer *p, struct shmring *w)
{
	uint8_t buf[1024];
	CHILD_CHECK(p->len <= sizeof(buf));
	for (uint32_t i = 0; i < p->count; i++) {
		tr_fill(buf, p->len, p->who, i);
		CHILD_CHECK(shmring_send(w, buf, p->len, 10000) == 0);
	}
	return 0;
}

/* Attach as writer, say so, wait for go (and p->delay_ms), send, leave. */
static int writer_after_go(void *arg)
{
	struct peer *p = arg;
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	child_ready(p);
	CHILD_CHECK(child_go(p));
	sleep_ms(p->delay_ms);
	int rc = child_send_all(p, w);
	if (rc)
		return rc;
	shmring_close(w);
	return 0;
}

/* Attach as writer, send, say so, then stay until killed. */
static int writer_then_hang(void *arg)
{
	struct peer *p = arg;
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	int rc = child_send_all(p, w);
	if (rc)
		return rc;
	child_ready(p);
	for (;;)
		pause();
}

/* Attach as writer, send, say so, wait p->delay_ms, report the instant,
 * then close. */
static int writer_closes_later(void *arg)
{
	struct peer *p = arg;
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	int rc = child_send_all(p, w);
	if (rc)
		return rc;
	child_ready(p);
	sleep_ms(p->delay_ms);
	send_time(p->times, tr_now_ms());
	shmring_close(w);
	return 0;
}

/* Attach as reader, say so, stay until killed. */
static int reader_then_hang(void *arg)
{
	struct peer *p = arg;
	struct shmring *r;
	CHILD_CHECK(child_open(p, &r) == 0);
	child_ready(p);
	for (;;)
		pause();
}

/* Attach as reader, say so, wait for go, report the instant, close. */
static int reader_closes_on_go(void *arg)
{
	struct peer *p = arg;
	struct shmring *r;
	CHILD_CHECK(child_open(p, &r) == 0);
	child_ready(p);
	CHILD_CHECK(child_go(p));
	if (p->times >= 0)
		send_time(p->times, tr_now_ms());
	shmring_close(r);
	return 0;
}

/* Attach as reader, say so, wait for go and p->delay_ms, then take
 * p->count messages of producer p->who in order, then end of stream. */
static int reader_after_go(void *arg)
{
	struct peer *p = arg;
	struct shmring *r;
	CHILD_CHECK(child_open(p, &r) == 0);
	child_ready(p);
	CHILD_CHECK(child_go(p));
	sleep_ms(p->delay_ms);
	uint8_t buf[1024];
	for (uint32_t i = 0; i < p->count; i++) {
		size_t len = sizeof(buf);
		uint32_t who, seq;
		CHILD_CHECK(shmring_recv(r, buf, &len, 10000) == 1);
		CHILD_CHECK(tr_check(buf, len, &who, &seq));
		CHILD_CHECK(who == p->who && seq == i);
	}
	size_t len = sizeof(buf);
	CHILD_CHECK(shmring_recv(r, buf, &len, 10000) == 0);
	shmring_close(r);
	return 0;
}

/* Attach as reader, say so, wait (asleep) for end of stream, report the
 * instant it came. */
static int reader_reports_end(void *arg)
{
	struct peer *p = arg;
	struct shmring *r;
	CHILD_CHECK(child_open(p, &r) == 0);
	child_ready(p);
	uint8_t buf[1024];
	size_t len = sizeof(buf);
	int rc = shmring_recv(r, buf, &len, 10000);
	send_time(p->times, tr_now_ms());
	CHILD_CHECK(rc == 0);
	shmring_close(r);
	return 0;
}

/* A writer that must learn that the readers are gone from -EPIPE, not from
 * a signal: SIGPIPE is at its default action, which would kill it. After
 * go, it sends p->len-byte messages until one fails; that must be -EPIPE,
 * after at most p->count successes. With p->sticky, -EPIPE must then stay:
 * every later send, in every form, fails the same way (the readers are
 * still gone; a success would be a message nobody can ever read). */
static int writer_until_epipe(void *arg)
{
	struct peer *p = arg;
	CHILD_CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	child_ready(p);
	CHILD_CHECK(child_go(p));
	uint8_t buf[1024];
	CHILD_CHECK(p->len <= sizeof(buf));
	tr_fill(buf, p->len, p->who, 0);
	uint32_t ok = 0;
	int rc;
	while ((rc = shmring_send(w, buf, p->len, 2000)) == 0 && ok <= p->count)
		ok++;
	if (rc != -EPIPE || ok > p->count)
		fprintf(stderr, "child %d: send gave %d (%s) after %u sends, at most %u allowed\n",
			(int)getpid(), rc, shmring_strerror(rc), ok, p->count);
	CHILD_CHECK(rc == -EPIPE);
	CHILD_CHECK(ok <= p->count);
	if (!p->sticky) {
		shmring_close(w);
		return 0;
	}
	struct iovec v = {.iov_base = buf, .iov_len = p->len};
	void *slot;
	for (int i = 0; i < 3; i++) {
		const char *form[] = {"send", "send_bulk", "send_burst", "reserve"};
		int got[4] = {
		    shmring_send(w, buf, p->len, 2000),
		    shmring_send_bulk(w, &v, 1, 2000),
		    shmring_send_burst(w, &v, 1, 2000),
		    shmring_reserve(w, p->len, &slot, 2000),
		};
		for (int f = 0; f < 4; f++) {
			if (got[f] == -EPIPE)
				continue;
			fprintf(stderr, "child %d: %s after -EPIPE gave %d (%s)\n", (int)getpid(),
				form[f], got[f], shmring_strerror(got[f]));
			CHILD_CHECK(got[f] == -EPIPE);
		}
	}
	shmring_close(w);
	return 0;
}

/* Attach as writer (SIGPIPE at its default), fill the ring, say so, then
 * block on the full ring until the readers are gone: -EPIPE, reported
 * with the instant it came. */
static int writer_blocks_until_epipe(void *arg)
{
	struct peer *p = arg;
	CHILD_CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	uint8_t buf[1024];
	CHILD_CHECK(p->len <= sizeof(buf));
	int rc;
	uint32_t n = 0;
	do
		tr_fill(buf, p->len, p->who, n++);
	while ((rc = shmring_send(w, buf, p->len, SHMRING_NOWAIT)) == 0);
	CHILD_CHECK(rc == -EAGAIN);
	child_ready(p);
	rc = shmring_send(w, buf, p->len, 10000);
	send_time(p->times, tr_now_ms());
	if (rc != -EPIPE)
		fprintf(stderr, "child %d: blocked send gave %d (%s)\n", (int)getpid(), rc,
			shmring_strerror(rc));
	CHILD_CHECK(rc == -EPIPE);
	shmring_close(w);
	return 0;
}

/* Sleep p->delay_ms, kill p->victim with SIGKILL, report the instant. */
static int killer(void *arg)
{
	struct peer *p = arg;
	sleep_ms(p->delay_ms);
	double t = tr_now_ms();
	CHILD_CHECK(kill(p->victim, SIGKILL) == 0);
	send_time(p->times, t);
	return 0;
}

/* Fill the ring with non-blocking sends; returns how many went in. */
static unsigned fill(struct shmring *w, size_t len, uint32_t who)
{
	uint8_t buf[1024];
	unsigned n = 0;
	for (;;) {
		tr_fill(buf, len, who, n);
		int rc = shmring_send(w, buf, len, SHMRING_NOWAIT);
		if (rc != 0) {
			cr_assert_eq(rc, -EAGAIN, "filling: %s", shmring_strerror(rc));
			return n;
		}
		n++;
	}
}

/* Receive one message and check it is message @seq of producer @who. */
static void expect_message(struct shmring *r, uint32_t who, uint32_t seq, int timeout_ms)
{
	uint8_t buf[1024];
	size_t len = sizeof(buf);
	int rc = shmring_recv(r, buf, &len, timeout_ms);
	cr_assert_eq(rc, 1, "expected message %u of %u, got %d (%s)", seq, who, rc,
		     shmring_strerror(rc));
	uint32_t w, s;
	cr_assert(tr_check(buf, len, &w, &s), "message %u of %u is corrupt", seq, who);
	cr_assert(w == who && s == seq, "expected message %u of %u, got %u of %u", seq, who, s, w);
}

static int recv_rc(struct shmring *r, int timeout_ms)
{
	uint8_t buf[1024];
	size_t len = sizeof(buf);
	return shmring_recv(r, buf, &len, timeout_ms);
}

static struct shmring_stats stats_of(struct shmring *r)
{
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	return st;
}

static void assert_counts_consistent(struct shmring *r, uint64_t sent)
{
	struct shmring_stats st = stats_of(r);
	cr_assert_eq(st.sent, sent, "sent %llu, expected %llu", (unsigned long long)st.sent,
		     (unsigned long long)sent);
	cr_assert_eq(st.sent, st.received + st.messages, "sent %llu != received %llu + queued %llu",
		     (unsigned long long)st.sent, (unsigned long long)st.received,
		     (unsigned long long)st.messages);
}

static void assert_on_time(double waited, double asked)
{
	cr_assert(waited >= asked - 10 && waited < 1000, "waited %.1f ms for a %.0f ms timeout",
		  waited, asked);
}

static void assert_prompt(double elapsed, const char *what)
{
	cr_log_info("%s %.2f ms after the peer left", what, elapsed);
	cr_assert(elapsed >= 0 && elapsed < PROMPT_MS, "%s %.1f ms after the peer left", what,
		  elapsed);
}

/* ---------------------------------------------------------------------- */
/* 1. Ring empty, writers present: the reader waits                       */

static void empty_ring_makes_reader_wait(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 512, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	int ready[2], go[2];
	make_pipe(ready);
	make_pipe(go);
	struct peer w = new_peer(path, SHMRING_WRITER | mode);
	w.ready = ready[1];
	w.go = go[0];
	w.count = 1;
	w.delay_ms = 150;
	pid_t pid = tr_fork(writer_after_go, &w, 30);
	cr_assert(await(ready[0], 10000), "writer did not attach");

	cr_assert_eq(recv_rc(rd, SHMRING_NOWAIT), -EAGAIN);
	double t0 = tr_now_ms();
	cr_assert_eq(recv_rc(rd, 200), -ETIMEDOUT);
	assert_on_time(tr_now_ms() - t0, 200);
	cr_assert_eq(stats_of(rd).writers, 1, "the writer is still there");

	note(go[1]); /* the writer sends 150 ms from now */
	t0 = tr_now_ms();
	expect_message(rd, 1, 0, SHMRING_FOREVER);
	cr_assert_geq(tr_now_ms() - t0, 100, "blocking recv returned before the send");
	cr_assert_eq(tr_wait(pid), 0);
	cr_assert_eq(recv_rc(rd, 2000), 0, "the writer has gone: end of stream");
	close_pipe(ready);
	close_pipe(go);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, reader_on_empty_ring_with_writer_present_gets_eagain_etimedout_or_waits_shared)
{
	empty_ring_makes_reader_wait(SHARED);
}

Test(peers, reader_on_empty_ring_with_writer_present_gets_eagain_etimedout_or_waits_exclusive)
{
	empty_ring_makes_reader_wait(EXCL);
}

/* ---------------------------------------------------------------------- */
/* 2. Ring full, readers present: the writer waits                        */

static void full_ring_makes_writer_wait(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 1000, &path);
	struct shmring *wr;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | mode, NULL, &wr), 0);
	unsigned fits = (unsigned)(shmring_capacity(admin) / (1000 + SHMRING_RECORD_OVERHEAD));
	int ready[2], go[2];
	make_pipe(ready);
	make_pipe(go);
	struct peer rp = new_peer(path, SHMRING_READER | mode);
	rp.ready = ready[1];
	rp.go = go[0];
	rp.who = 1;
	rp.count = fits + 1;
	rp.delay_ms = 150;
	pid_t pid = tr_fork(reader_after_go, &rp, 30);
	cr_assert(await(ready[0], 10000), "reader did not attach");

	cr_assert_eq(fill(wr, 1000, 1), fits);
	uint8_t buf[1000];
	tr_fill(buf, sizeof(buf), 1, fits);
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), SHMRING_NOWAIT), -EAGAIN);
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), 200), -ETIMEDOUT);
	assert_on_time(tr_now_ms() - t0, 200);
	cr_assert_eq(stats_of(wr).readers, 1, "the reader is still there");

	note(go[1]); /* the reader takes one message 150 ms from now */
	t0 = tr_now_ms();
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), SHMRING_FOREVER), 0);
	cr_assert_geq(tr_now_ms() - t0, 100, "blocking send returned before there was room");
	shmring_close(wr); /* the reader takes the rest, then sees the end */
	cr_assert_eq(tr_wait(pid), 0, "the reader saw a wrong message or no end of stream");
	assert_counts_consistent(admin, fits + 1);
	close_pipe(ready);
	close_pipe(go);
	shmring_close(admin);
}

Test(peers, writer_on_full_ring_with_reader_present_gets_eagain_etimedout_or_waits_shared)
{
	full_ring_makes_writer_wait(SHARED);
}

Test(peers, writer_on_full_ring_with_reader_present_gets_eagain_etimedout_or_waits_exclusive)
{
	full_ring_makes_writer_wait(EXCL);
}

/* ---------------------------------------------------------------------- */
/* 3. All writers gone after one attached: drain, then end of stream       */

static void drain_then_end_after_close(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	struct peer w = new_peer(path, SHMRING_WRITER | mode);
	w.count = 100;
	w.len = 100;
	pid_t pid = tr_fork(writer_after_go, &w, 30);
	cr_assert_eq(tr_wait(pid), 0);

	for (uint32_t i = 0; i < w.count; i++)
		expect_message(rd, 1, i, SHMRING_NOWAIT);
	double t0 = tr_now_ms();
	cr_assert_eq(recv_rc(rd, SHMRING_FOREVER), 0, "drained and no writer left: end of stream");
	assert_prompt(tr_now_ms() - t0, "end of stream came");
	cr_assert_eq(recv_rc(rd, SHMRING_NOWAIT), 0, "the end stays (non-blocking)");
	cr_assert_eq(recv_rc(rd, 200), 0, "the end stays (timed)");
	assert_counts_consistent(rd, w.count);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, reader_drains_then_sees_end_after_last_writer_closes_shared)
{
	drain_then_end_after_close(SHARED);
}

Test(peers, reader_drains_then_sees_end_after_last_writer_closes_exclusive)
{
	drain_then_end_after_close(EXCL);
}

static void drain_then_end_after_kill(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	int ready[2];
	make_pipe(ready);
	struct peer w = new_peer(path, SHMRING_WRITER | mode);
	w.ready = ready[1];
	w.count = 100;
	w.len = 100;
	pid_t pid = tr_fork(writer_then_hang, &w, 30);
	cr_assert(await(ready[0], 10000), "writer did not send its messages");

	double t_kill = tr_now_ms();
	cr_assert_eq(kill(pid, SIGKILL), 0);
	for (uint32_t i = 0; i < w.count; i++)
		expect_message(rd, 1, i, 5000);
	int rc = recv_rc(rd, 5000);
	double elapsed = tr_now_ms() - t_kill;
	cr_assert_eq(rc, 0, "killed writer: end of stream, got %d (%s)", rc, shmring_strerror(rc));
	assert_prompt(elapsed, "end of stream came");
	cr_assert_eq(tr_wait(pid), 128 + SIGKILL);
	cr_assert_eq(recv_rc(rd, SHMRING_NOWAIT), 0, "the end stays");
	assert_counts_consistent(rd, w.count);
	close_pipe(ready);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, reader_drains_then_sees_end_after_last_writer_is_killed_shared)
{
	drain_then_end_after_kill(SHARED);
}

Test(peers, reader_drains_then_sees_end_after_last_writer_is_killed_exclusive)
{
	drain_then_end_after_kill(EXCL);
}

/* The parent's reader is asleep on an empty ring when the writer leaves. */
static void blocked_reader_sees_end(unsigned mode, bool killed)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	int ready[2], times[2];
	make_pipe(ready);
	make_pipe(times);
	struct peer w = new_peer(path, SHMRING_WRITER | mode);
	w.ready = ready[1];
	w.times = times[1];
	w.count = 3;
	w.delay_ms = 300;
	pid_t pid = tr_fork(killed ? writer_then_hang : writer_closes_later, &w, 30);
	cr_assert(await(ready[0], 10000), "writer did not attach");
	pid_t kpid = -1;
	if (killed) {
		struct peer k = new_peer(path, 0);
		k.victim = pid;
		k.delay_ms = 300;
		k.times = times[1];
		kpid = tr_fork(killer, &k, 30);
	}
	for (uint32_t i = 0; i < w.count; i++)
		expect_message(rd, 1, i, 5000);
	/* Now asleep: the writer leaves in about 300 ms. */
	int rc = recv_rc(rd, 5000);
	double t_ret = tr_now_ms();
	cr_assert_eq(rc, 0, "end of stream, got %d (%s)", rc, shmring_strerror(rc));
	double t_left = get_time(times[0]);
	assert_prompt(t_ret - t_left, "the blocked reader saw the end");
	cr_assert_eq(tr_wait(pid), killed ? 128 + SIGKILL : 0);
	if (kpid > 0)
		cr_assert_eq(tr_wait(kpid), 0);
	close_pipe(ready);
	close_pipe(times);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, blocked_reader_sees_end_promptly_when_last_writer_is_killed_shared)
{
	blocked_reader_sees_end(SHARED, true);
}

Test(peers, blocked_reader_sees_end_promptly_when_last_writer_is_killed_exclusive)
{
	blocked_reader_sees_end(EXCL, true);
}

Test(peers, blocked_reader_sees_end_promptly_when_last_writer_closes_shared)
{
	blocked_reader_sees_end(SHARED, false);
}

Test(peers, blocked_reader_sees_end_promptly_when_last_writer_closes_exclusive)
{
	blocked_reader_sees_end(EXCL, false);
}

Test(peers, end_of_stream_waits_for_the_last_of_several_writers)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	int ready[2];
	make_pipe(ready);
	struct peer stays = new_peer(path, SHMRING_WRITER);
	stays.ready = ready[1];
	stays.who = 2;
	stays.count = 1;
	pid_t p_stays = tr_fork(writer_then_hang, &stays, 30);
	cr_assert(await(ready[0], 10000));
	struct peer leaves = new_peer(path, SHMRING_WRITER);
	leaves.who = 1;
	leaves.count = 1;
	cr_assert_eq(tr_wait(tr_fork(writer_after_go, &leaves, 30)), 0);

	uint8_t buf[256];
	bool seen[3] = {false};
	for (int i = 0; i < 2; i++) {
		size_t len = sizeof(buf);
		uint32_t who, seq;
		cr_assert_eq(shmring_recv(rd, buf, &len, 5000), 1);
		cr_assert(tr_check(buf, len, &who, &seq) && who >= 1 && who <= 2 && seq == 0);
		cr_assert(!seen[who], "message of %u twice", who);
		seen[who] = true;
	}
	cr_assert_eq(recv_rc(rd, SHMRING_NOWAIT), -EAGAIN, "one writer remains: no end yet");
	cr_assert_eq(recv_rc(rd, 200), -ETIMEDOUT, "one writer remains: no end yet");

	double t_kill = tr_now_ms();
	cr_assert_eq(kill(p_stays, SIGKILL), 0);
	cr_assert_eq(recv_rc(rd, 5000), 0, "the last writer was killed: end of stream");
	assert_prompt(tr_now_ms() - t_kill, "end of stream came");
	cr_assert_eq(tr_wait(p_stays), 128 + SIGKILL);
	close_pipe(ready);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, several_blocked_shared_readers_all_see_end_when_last_writer_is_killed)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	int ready[2], times[2];
	make_pipe(ready);
	make_pipe(times);
	struct peer w = new_peer(path, SHMRING_WRITER);
	w.ready = ready[1];
	pid_t wpid = tr_fork(writer_then_hang, &w, 30);
	cr_assert(await(ready[0], 10000));
	/* Two readers asleep: one on the empty ring, one on the readers' lock. */
	struct peer rp = new_peer(path, SHMRING_READER);
	rp.ready = ready[1];
	rp.times = times[1];
	pid_t rpid[2];
	for (int i = 0; i < 2; i++)
		rpid[i] = tr_fork(reader_reports_end, &rp, 30);
	cr_assert(await(ready[0], 10000) && await(ready[0], 10000));
	sleep_ms(200); /* both are asleep by now */

	double t_kill = tr_now_ms();
	cr_assert_eq(kill(wpid, SIGKILL), 0);
	for (int i = 0; i < 2; i++)
		assert_prompt(get_time(times[0]) - t_kill, "a blocked reader saw the end");
	cr_assert_eq(tr_wait(wpid), 128 + SIGKILL);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(tr_wait(rpid[i]), 0, "reader %d did not see end of stream", i);
	close_pipe(ready);
	close_pipe(times);
	shmring_close(admin);
}

/* ---------------------------------------------------------------------- */
/* 4. All readers gone after one attached: -EPIPE, never SIGPIPE           */

/* How many sends may still succeed after the last reader left: none for a
 * shared writer (it asks the kernel on every lock); for an exclusive one,
 * at most the 1024 of shmring.h ("notices within 1024 messages"), or as
 * many as still fit when the ring fills first. */
static uint32_t allowed_after_readers_left(unsigned mode)
{
	return mode == EXCL ? READER_CHECK : 0;
}

static void epipe_after_readers_leave(unsigned mode, bool killed, size_t len, size_t capacity,
				      bool sticky)
{
	const char *path;
	struct shmring *admin = tr_create(0, capacity, len, &path);
	int ready[2], rgo[2], wgo[2];
	make_pipe(ready);
	make_pipe(rgo);
	make_pipe(wgo);
	struct peer rp = new_peer(path, SHMRING_READER | mode);
	rp.ready = ready[1];
	rp.go = rgo[0];
	pid_t rpid = tr_fork(killed ? reader_then_hang : reader_closes_on_go, &rp, 30);
	cr_assert(await(ready[0], 10000), "reader did not attach");
	struct peer wp = new_peer(path, SHMRING_WRITER | mode);
	wp.ready = ready[1];
	wp.go = wgo[0];
	wp.len = len;
	wp.sticky = sticky;
	/* Room in an empty ring, in messages of @len. */
	uint32_t room = (uint32_t)(shmring_capacity(admin) / (len + SHMRING_RECORD_OVERHEAD));
	wp.count = allowed_after_readers_left(mode);
	if (mode == EXCL && room < wp.count)
		wp.count = room; /* the ring fills first: -EPIPE as soon as it is full */
	pid_t wpid = tr_fork(writer_until_epipe, &wp, 30);
	cr_assert(await(ready[0], 10000), "writer did not attach");

	if (killed)
		cr_assert_eq(kill(rpid, SIGKILL), 0);
	else
		note(rgo[1]);
	cr_assert_eq(tr_wait(rpid), killed ? 128 + SIGKILL : 0);
	cr_assert_eq(stats_of(admin).readers, 0);
	note(wgo[1]);
	int st = tr_wait(wpid);
	cr_assert_neq(st, 128 + SIGPIPE, "the writer was killed by SIGPIPE");
	cr_assert_eq(st, 0, "the writer did not get -EPIPE as it should (status %d)", st);
	close_pipe(ready);
	close_pipe(rgo);
	close_pipe(wgo);
	shmring_close(admin);
}

Test(peers, writer_gets_epipe_not_sigpipe_after_last_reader_closes_shared)
{
	epipe_after_readers_leave(SHARED, false, 16, 0, false);
}

Test(peers, writer_gets_epipe_not_sigpipe_after_last_reader_closes_exclusive)
{
	epipe_after_readers_leave(EXCL, false, 16, 0, false);
}

Test(peers, writer_gets_epipe_not_sigpipe_after_last_reader_is_killed_shared)
{
	epipe_after_readers_leave(SHARED, true, 16, 0, false);
}

Test(peers, writer_gets_epipe_not_sigpipe_after_last_reader_is_killed_exclusive)
{
	epipe_after_readers_leave(EXCL, true, 16, 0, false);
}

Test(peers, exclusive_writer_gets_epipe_as_soon_as_ring_is_full_after_last_reader_closes)
{
	epipe_after_readers_leave(EXCL, false, 1000, 4096, false);
}

Test(peers, exclusive_writer_gets_epipe_as_soon_as_ring_is_full_after_last_reader_is_killed)
{
	epipe_after_readers_leave(EXCL, true, 1000, 4096, false);
}

/* Once told, a writer keeps getting -EPIPE while no reader is attached: from
 * send, send_bulk, send_burst and reserve alike. */
Test(peers, writer_keeps_getting_epipe_from_every_send_form_while_readers_are_gone_shared)
{
	epipe_after_readers_leave(SHARED, true, 16, 0, true);
}

Test(peers, writer_keeps_getting_epipe_from_every_send_form_while_readers_are_gone_exclusive)
{
	epipe_after_readers_leave(EXCL, true, 16, 0, true);
}

/* Writers asleep on a full ring when the last reader leaves. */
static void blocked_writers_get_epipe(unsigned mode, bool killed, int writers)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 512, &path);
	int ready[2], rgo[2], times[2];
	make_pipe(ready);
	make_pipe(rgo);
	make_pipe(times);
	struct peer rp = new_peer(path, SHMRING_READER | mode);
	rp.ready = ready[1];
	rp.go = rgo[0];
	rp.times = times[1];
	pid_t rpid = tr_fork(killed ? reader_then_hang : reader_closes_on_go, &rp, 30);
	cr_assert(await(ready[0], 10000), "reader did not attach");
	struct peer wp = new_peer(path, SHMRING_WRITER | mode);
	wp.ready = ready[1];
	wp.times = times[1];
	wp.len = 500;
	pid_t wpid[2];
	for (int i = 0; i < writers; i++) {
		wp.who = (uint32_t)i;
		wpid[i] = tr_fork(writer_blocks_until_epipe, &wp, 30);
		cr_assert(await(ready[0], 10000), "writer %d did not fill the ring", i);
	}
	sleep_ms(200); /* every writer is asleep by now */

	double t_left;
	if (killed) {
		t_left = tr_now_ms();
		cr_assert_eq(kill(rpid, SIGKILL), 0);
	} else {
		note(rgo[1]);
		t_left = get_time(times[0]);
	}
	for (int i = 0; i < writers; i++)
		assert_prompt(get_time(times[0]) - t_left, "a blocked writer got -EPIPE");
	cr_assert_eq(tr_wait(rpid), killed ? 128 + SIGKILL : 0);
	for (int i = 0; i < writers; i++) {
		int st = tr_wait(wpid[i]);
		cr_assert_neq(st, 128 + SIGPIPE, "writer %d was killed by SIGPIPE", i);
		cr_assert_eq(st, 0, "writer %d did not get -EPIPE (status %d)", i, st);
	}
	close_pipe(ready);
	close_pipe(rgo);
	close_pipe(times);
	shmring_close(admin);
}

Test(peers, blocked_writer_gets_epipe_promptly_when_last_reader_is_killed_shared)
{
	blocked_writers_get_epipe(SHARED, true, 1);
}

Test(peers, blocked_writer_gets_epipe_promptly_when_last_reader_is_killed_exclusive)
{
	blocked_writers_get_epipe(EXCL, true, 1);
}

Test(peers, blocked_writer_gets_epipe_promptly_when_last_reader_closes_shared)
{
	blocked_writers_get_epipe(SHARED, false, 1);
}

Test(peers, blocked_writer_gets_epipe_promptly_when_last_reader_closes_exclusive)
{
	blocked_writers_get_epipe(EXCL, false, 1);
}

Test(peers, several_blocked_shared_writers_all_get_epipe_when_last_reader_is_killed)
{
	/* One sleeps on the full ring holding the writers' lock, the other on
	 * the lock itself. */
	blocked_writers_get_epipe(SHARED, true, 2);
}

static void writer_before_any_reader(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 512, &path);
	struct shmring *wr;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | mode, NULL, &wr), 0);
	unsigned n = fill(wr, 200, 1);
	cr_assert_eq(n, shmring_capacity(admin) / (200 + SHMRING_RECORD_OVERHEAD),
		     "no reader yet: the ring is a buffer and fills up");
	uint8_t buf[200];
	tr_fill(buf, sizeof(buf), 1, n);
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), SHMRING_NOWAIT), -EAGAIN);
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), 200), -ETIMEDOUT,
		     "no reader ever attached: wait, not -EPIPE");
	assert_on_time(tr_now_ms() - t0, 200);
	cr_assert_eq(stats_of(wr).readers, 0);
	shmring_close(wr);

	/* A reader that comes later finds every message, then the end. */
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	for (uint32_t i = 0; i < n; i++)
		expect_message(rd, 1, i, SHMRING_NOWAIT);
	cr_assert_eq(recv_rc(rd, 2000), 0);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, writer_before_any_reader_fills_ring_then_times_out_instead_of_epipe_shared)
{
	writer_before_any_reader(SHARED);
}

Test(peers, writer_before_any_reader_fills_ring_then_times_out_instead_of_epipe_exclusive)
{
	writer_before_any_reader(EXCL);
}

static void reader_before_any_writer(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	cr_assert_eq(recv_rc(rd, SHMRING_NOWAIT), -EAGAIN, "no writer yet: empty, not the end");
	double t0 = tr_now_ms();
	cr_assert_eq(recv_rc(rd, 200), -ETIMEDOUT, "no writer yet: wait, not the end");
	assert_on_time(tr_now_ms() - t0, 200);
	/* A handle without roles is no writer. */
	struct shmring *other;
	cr_assert_eq(shmring_open(path, 0, NULL, &other), 0);
	shmring_close(other);
	cr_assert_eq(recv_rc(rd, 100), -ETIMEDOUT, "an admin handle is no writer");

	int ready[2];
	make_pipe(ready);
	struct peer w = new_peer(path, SHMRING_WRITER | mode);
	w.ready = ready[1];
	w.count = 2;
	w.delay_ms = 100;
	pid_t pid = tr_fork(writer_after_go, &w, 30);
	expect_message(rd, 1, 0, SHMRING_FOREVER);
	expect_message(rd, 1, 1, 5000);
	cr_assert_eq(tr_wait(pid), 0);
	cr_assert_eq(recv_rc(rd, 2000), 0);
	close_pipe(ready);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, reader_before_any_writer_waits_without_false_end_of_stream_shared)
{
	reader_before_any_writer(SHARED);
}

Test(peers, reader_before_any_writer_waits_without_false_end_of_stream_exclusive)
{
	reader_before_any_writer(EXCL);
}

static void new_writer_after_end(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	struct peer first = new_peer(path, SHMRING_WRITER | mode);
	first.who = 1;
	first.count = 3;
	cr_assert_eq(tr_wait(tr_fork(writer_after_go, &first, 30)), 0);
	for (uint32_t i = 0; i < 3; i++)
		expect_message(rd, 1, i, 5000);
	cr_assert_eq(recv_rc(rd, 2000), 0);

	int ready[2], go[2];
	make_pipe(ready);
	make_pipe(go);
	struct peer second = new_peer(path, SHMRING_WRITER | mode);
	second.ready = ready[1];
	second.go = go[0];
	second.who = 2;
	second.count = 3;
	pid_t pid = tr_fork(writer_after_go, &second, 30);
	cr_assert(await(ready[0], 10000));
	cr_assert_eq(recv_rc(rd, SHMRING_NOWAIT), -EAGAIN, "a writer is back: no end any more");
	cr_assert_eq(recv_rc(rd, 100), -ETIMEDOUT, "a writer is back: no end any more");
	note(go[1]);
	for (uint32_t i = 0; i < 3; i++)
		expect_message(rd, 2, i, SHMRING_FOREVER);
	cr_assert_eq(tr_wait(pid), 0);
	cr_assert_eq(recv_rc(rd, 2000), 0, "and the end again once it has gone");
	assert_counts_consistent(rd, 6);
	close_pipe(ready);
	close_pipe(go);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, new_writer_after_end_of_stream_makes_data_flow_again_shared)
{
	new_writer_after_end(SHARED);
}

Test(peers, new_writer_after_end_of_stream_makes_data_flow_again_exclusive)
{
	new_writer_after_end(EXCL);
}

static void new_reader_after_epipe(unsigned mode)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 1000, &path);
	struct shmring *wr;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | mode, NULL, &wr), 0);
	struct peer rp = new_peer(path, SHMRING_READER | mode);
	cr_assert_eq(tr_wait(tr_fork(reader_closes_on_go, &rp, 30)), 0);
	uint8_t buf[1000];
	tr_fill(buf, sizeof(buf), 1, 0);
	int rc;
	unsigned ok = 0;
	while ((rc = shmring_send(wr, buf, sizeof(buf), 2000)) == 0 && ok < READER_CHECK)
		ok++;
	cr_assert_eq(rc, -EPIPE, "the reader has gone, got %d (%s)", rc, shmring_strerror(rc));
	/* The ring may hold what an exclusive writer sent before noticing. */
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	for (uint32_t i = 0; i < ok; i++)
		expect_message(rd, 1, 0, SHMRING_NOWAIT);
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), 2000), 0, "a reader is back");
	expect_message(rd, 1, 0, 2000);
	shmring_close(rd);
	shmring_close(wr);
	shmring_close(admin);
}

Test(peers, new_reader_after_epipe_lets_the_writer_send_again_shared)
{
	new_reader_after_epipe(SHARED);
}

Test(peers, new_reader_after_epipe_lets_the_writer_send_again_exclusive)
{
	new_reader_after_epipe(EXCL);
}

/* ---------------------------------------------------------------------- */
/* 5. Killed while holding a lock                                         */

static void die_or_hang(const struct peer *p)
{
	if (p->suicide)
		raise(SIGKILL);
	for (;;)
		pause();
}

/* Commit p->count messages, reserve one more and fill it, say so, die. A
 * shared writer holds the writers' lock from reserve to commit; an
 * exclusive one holds it for life. */
static int writer_dies_mid_reservation(void *arg)
{
	struct peer *p = arg;
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	int rc = child_send_all(p, w);
	if (rc)
		return rc;
	void *slot;
	CHILD_CHECK(shmring_reserve(w, p->len, &slot, 5000) == 0);
	tr_fill(slot, p->len, p->who, p->count);
	child_ready(p);
	die_or_hang(p);
	return 0;
}

/* Say so, then attach as writer (an exclusive open waits for the lock)
 * and send p->count messages; report the instant the first one went in. */
static int writer_waits_for_the_lock(void *arg)
{
	struct peer *p = arg;
	child_ready(p);
	struct shmring_options opt = {.ready_timeout_ms = 10000};
	struct shmring *w;
	int rc = shmring_open(p->path, p->flags, &opt, &w);
	if (rc != 0)
		fprintf(stderr, "child %d: open gave %d (%s)\n", (int)getpid(), rc,
			shmring_strerror(rc));
	CHILD_CHECK(rc == 0);
	uint8_t buf[1024];
	CHILD_CHECK(p->len <= sizeof(buf));
	for (uint32_t i = 0; i < p->count; i++) {
		tr_fill(buf, p->len, p->who, i);
		rc = shmring_send(w, buf, p->len, 10000);
		if (i == 0)
			send_time(p->times, tr_now_ms());
		CHILD_CHECK(rc == 0);
	}
	shmring_close(w);
	return 0;
}

static void writer_killed_mid_reservation(unsigned mode, bool suicide)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	int ready[2], times[2];
	make_pipe(ready);
	make_pipe(times);
	struct peer a = new_peer(path, SHMRING_WRITER | mode);
	a.ready = ready[1];
	a.who = 1;
	a.count = 3;
	a.len = 200;
	a.suicide = suicide;
	pid_t apid = tr_fork(writer_dies_mid_reservation, &a, 30);
	cr_assert(await(ready[0], 10000), "writer did not reserve");
	for (uint32_t i = 0; i < a.count; i++)
		expect_message(rd, 1, i, 5000);
	struct peer b = new_peer(path, SHMRING_WRITER | mode);
	b.ready = ready[1];
	b.times = times[1];
	b.who = 2;
	b.count = 3;
	b.len = 100;
	pid_t bpid;
	double t_dead;
	if (suicide) {
		cr_assert_eq(tr_wait(apid), 128 + SIGKILL);
		t_dead = tr_now_ms();
		cr_assert_eq(recv_rc(rd, 2000), 0,
			     "the reservation is not a message; its writer is gone: the end");
		bpid = tr_fork(writer_waits_for_the_lock, &b, 30);
		cr_assert(await(ready[0], 10000));
	} else {
		cr_assert_eq(recv_rc(rd, SHMRING_NOWAIT), -EAGAIN,
			     "a reservation is invisible until committed");
		bpid = tr_fork(writer_waits_for_the_lock, &b, 30);
		cr_assert(await(ready[0], 10000));
		sleep_ms(300); /* b is asleep on the writers' lock by now */
		t_dead = tr_now_ms();
		cr_assert_eq(kill(apid, SIGKILL), 0);
		cr_assert_eq(tr_wait(apid), 128 + SIGKILL);
	}
	double waited = get_time(times[0]) - t_dead;
	cr_assert(waited < GO_ON_MS, "the next writer got in %.1f ms after the kill", waited);
	cr_assert_eq(tr_wait(bpid), 0, "the next writer failed");

	for (uint32_t i = 0; i < b.count; i++)
		expect_message(rd, 2, i, 5000);
	cr_assert_eq(recv_rc(rd, 2000), 0, "nothing else: the reservation never shows");
	assert_counts_consistent(rd, a.count + b.count);
	cr_assert_eq(stats_of(rd).used, 0);
	close_pipe(ready);
	close_pipe(times);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, shared_writer_killed_mid_reservation_lets_a_waiting_writer_in_and_publishes_nothing)
{
	writer_killed_mid_reservation(SHARED, false);
}

Test(peers, shared_writer_raising_sigkill_mid_reservation_blocks_nobody_and_publishes_nothing)
{
	writer_killed_mid_reservation(SHARED, true);
}

Test(peers, exclusive_writer_killed_mid_reservation_lets_a_waiting_writer_in_and_publishes_nothing)
{
	writer_killed_mid_reservation(EXCL, false);
}

Test(peers, exclusive_writer_raising_sigkill_mid_reservation_blocks_nobody_and_publishes_nothing)
{
	writer_killed_mid_reservation(EXCL, true);
}

/* Peek the first message (check it), say so, die holding it. A shared
 * reader holds the readers' lock from peek to release. */
static int reader_dies_after_peek(void *arg)
{
	struct peer *p = arg;
	struct shmring *r;
	CHILD_CHECK(child_open(p, &r) == 0);
	const void *msg;
	size_t len;
	CHILD_CHECK(shmring_peek(r, &msg, &len, 5000) == 1);
	uint32_t who, seq;
	CHILD_CHECK(tr_check(msg, len, &who, &seq) && who == p->who && seq == 0);
	child_ready(p);
	die_or_hang(p);
	return 0;
}

static void reader_killed_after_peek(unsigned mode, bool suicide)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *wr;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | mode, NULL, &wr), 0);
	uint8_t buf[100];
	for (uint32_t i = 0; i < 5; i++) {
		tr_fill(buf, sizeof(buf), 1, i);
		cr_assert_eq(shmring_send(wr, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	}
	shmring_close(wr); /* no writer left: the next reader ends with 0 */

	int ready[2], times[2];
	make_pipe(ready);
	make_pipe(times);
	struct peer r1 = new_peer(path, SHMRING_READER | mode);
	r1.ready = ready[1];
	r1.suicide = suicide;
	pid_t rpid = tr_fork(reader_dies_after_peek, &r1, 30);
	cr_assert(await(ready[0], 10000), "reader did not peek");
	struct shmring_stats st = stats_of(admin);
	cr_assert_eq(st.received, 0, "a peeked message is not consumed");
	cr_assert_eq(st.messages, 5);

	double t_dead = 0;
	pid_t kpid = -1;
	if (suicide) {
		cr_assert_eq(tr_wait(rpid), 128 + SIGKILL);
		t_dead = tr_now_ms();
	} else {
		struct peer k = new_peer(path, 0);
		k.victim = rpid;
		k.delay_ms = 300;
		k.times = times[1];
		kpid = tr_fork(killer, &k, 30);
	}
	/* Shared: the recv below sleeps on the readers' lock until the kill;
	 * exclusive: the open does. */
	struct shmring_options opt = {.ready_timeout_ms = 10000};
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, &opt, &rd), 0);
	expect_message(rd, 1, 0, 5000);
	double t_got = tr_now_ms();
	if (!suicide)
		t_dead = get_time(times[0]);
	cr_assert(t_got - t_dead < GO_ON_MS, "the next reader got in %.1f ms after the kill",
		  t_got - t_dead);
	for (uint32_t i = 1; i < 5; i++)
		expect_message(rd, 1, i, SHMRING_NOWAIT);
	cr_assert_eq(recv_rc(rd, 2000), 0);
	if (!suicide) {
		cr_assert_eq(tr_wait(rpid), 128 + SIGKILL);
		cr_assert_eq(tr_wait(kpid), 0);
	}
	assert_counts_consistent(rd, 5);
	cr_assert_eq(stats_of(rd).messages, 0);
	close_pipe(ready);
	close_pipe(times);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, shared_reader_killed_after_peek_leaves_the_message_to_the_waiting_reader)
{
	reader_killed_after_peek(SHARED, false);
}

Test(peers, shared_reader_raising_sigkill_after_peek_leaves_the_message_to_the_next_reader)
{
	reader_killed_after_peek(SHARED, true);
}

Test(peers, exclusive_reader_killed_after_peek_leaves_the_message_to_the_waiting_reader)
{
	reader_killed_after_peek(EXCL, false);
}

Test(peers, exclusive_reader_raising_sigkill_after_peek_leaves_the_message_to_the_next_reader)
{
	reader_killed_after_peek(EXCL, true);
}

/* Send sequence-numbered messages of random length until killed. */
static int writer_sends_until_killed(void *arg)
{
	struct peer *p = arg;
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	child_ready(p);
	uint8_t buf[1024];
	unsigned seed = (unsigned)getpid();
	for (uint32_t seq = 0;; seq++) {
		size_t len = 12 + (size_t)rand_r(&seed) % (p->len - 11);
		tr_fill(buf, len, p->who, seq);
		CHILD_CHECK(shmring_send(w, buf, len, 20000) == 0);
	}
}

#define KILL_TRIALS 20

static void writer_killed_at_random(unsigned mode)
{
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	cr_log_info("seed %u", seed);
	for (int trial = 0; trial < KILL_TRIALS; trial++) {
		const char *path;
		struct shmring *admin = tr_create(0, 8192, 300, &path);
		struct shmring *rd;
		cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
		int ready[2];
		make_pipe(ready);
		struct peer w = new_peer(path, SHMRING_WRITER | mode);
		w.ready = ready[1];
		w.who = 7;
		w.len = 300;
		pid_t pid = tr_fork(writer_sends_until_killed, &w, 30);
		cr_assert(await(ready[0], 10000));

		/* Let the writer run: take a random number of messages
		 * (the ring wraps every ~50), sometimes let it run ahead
		 * and fill the ring, then kill it wherever it is. */
		uint32_t before = (uint32_t)rand_r(&seed) % 2000, next = 0;
		uint8_t buf[300];
		for (; next < before; next++) {
			size_t len = sizeof(buf);
			uint32_t who, seq;
			int rc = shmring_recv(rd, buf, &len, 5000);
			cr_assert_eq(rc, 1, "trial %d (seed %u): recv %d (%s)", trial, seed, rc,
				     shmring_strerror(rc));
			cr_assert(tr_check(buf, len, &who, &seq) && who == 7 && seq == next,
				  "trial %d (seed %u): message %u wrong", trial, seed, next);
		}
		if (rand_r(&seed) % 2)
			usleep((useconds_t)(rand_r(&seed) % 2000));
		cr_assert_eq(kill(pid, SIGKILL), 0);

		/* Drain: every message whole, in order, no gap; then the end. */
		int rc;
		for (;;) {
			size_t len = sizeof(buf);
			uint32_t who, seq;
			rc = shmring_recv(rd, buf, &len, 5000);
			if (rc != 1)
				break;
			cr_assert(tr_check(buf, len, &who, &seq),
				  "trial %d (seed %u): message after %u corrupt", trial, seed,
				  next);
			cr_assert(who == 7 && seq == next,
				  "trial %d (seed %u): got %u of %u, expected %u", trial, seed, seq,
				  who, next);
			next++;
		}
		cr_assert_eq(rc, 0, "trial %d (seed %u): drained %u, then %d (%s)", trial, seed,
			     next, rc, shmring_strerror(rc));
		cr_assert_eq(tr_wait(pid), 128 + SIGKILL);
		struct shmring_stats st = stats_of(rd);
		cr_assert_eq(st.messages, 0, "trial %d: drained", trial);
		cr_assert_eq(st.used, 0, "trial %d: drained", trial);
		cr_assert_eq(st.received, next, "trial %d: received %llu, took %u", trial,
			     (unsigned long long)st.received, next);
		cr_assert_eq(st.sent, st.received + st.messages,
			     "trial %d (seed %u): sent %llu != received %llu + queued %llu", trial,
			     seed, (unsigned long long)st.sent, (unsigned long long)st.received,
			     (unsigned long long)st.messages);

		/* And the ring is still usable: a new writer gets in at once. */
		struct shmring *wr;
		struct shmring_options opt = {.ready_timeout_ms = (int)GO_ON_MS};
		cr_assert_eq(shmring_open(path, SHMRING_WRITER | mode, &opt, &wr), 0);
		tr_fill(buf, 50, 8, 0);
		cr_assert_eq(shmring_send(wr, buf, 50, (int)GO_ON_MS), 0);
		shmring_close(wr);
		expect_message(rd, 8, 0, 1000);
		cr_assert_eq(recv_rc(rd, 1000), 0);
		close_pipe(ready);
		shmring_close(rd);
		shmring_close(admin);
	}
}

Test(peers, shared_writer_killed_at_random_moments_of_a_send_loop_leaves_the_ring_consistent)
{
	writer_killed_at_random(SHARED);
}

Test(peers, exclusive_writer_killed_at_random_moments_of_a_send_loop_leaves_the_ring_consistent)
{
	writer_killed_at_random(EXCL);
}

/* A SIGKILL can land between the two stores that publish a side (layout.h,
 * COMMITTING: index, then count). The random kills above reach that window
 * too rarely to test it by chance (none in 4000 kills), so these two tests
 * build the state such a kill leaves - index and journal new, count old -
 * in the segment of a ring whose peer was really killed, and ask stats. */
static void kill_and_recreate_torn_publish(struct layout_side *side, pid_t pid)
{
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(tr_wait(pid), 128 + SIGKILL);
	uint64_t count = __atomic_load_n(&side->count, __ATOMIC_RELAXED);
	cr_assert_eq(__atomic_load_n(&side->journal_index, __ATOMIC_RELAXED),
		     __atomic_load_n(&side->index, __ATOMIC_RELAXED));
	cr_assert_eq(__atomic_load_n(&side->journal_count, __ATOMIC_RELAXED), count);
	__atomic_store_n(&side->count, count - 1, __ATOMIC_RELAXED);
}

Test(peers, stats_count_every_message_of_a_writer_killed_between_publishing_tail_and_count)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | EXCL, NULL, &rd), 0);
	int ready[2];
	make_pipe(ready);
	struct peer w = new_peer(path, SHMRING_WRITER | EXCL);
	w.ready = ready[1];
	w.count = 5;
	pid_t pid = tr_fork(writer_then_hang, &w, 30);
	cr_assert(await(ready[0], 10000));
	kill_and_recreate_torn_publish(&admin->hdr->prod, pid);

	for (uint32_t i = 0; i < w.count; i++)
		expect_message(rd, 1, i, 2000);
	cr_assert_eq(recv_rc(rd, 2000), 0);
	struct shmring_stats st = stats_of(rd);
	cr_assert_eq(st.received, 5);
	cr_assert_eq(st.sent, st.received + st.messages,
		     "sent %llu != received %llu + queued %llu: the dead writer's journal was "
		     "not applied",
		     (unsigned long long)st.sent, (unsigned long long)st.received,
		     (unsigned long long)st.messages);
	close_pipe(ready);
	shmring_close(rd);
	shmring_close(admin);
}

/* Attach as reader, take p->count messages, say so, stay until killed. */
static int reader_takes_then_hangs(void *arg)
{
	struct peer *p = arg;
	struct shmring *r;
	CHILD_CHECK(child_open(p, &r) == 0);
	for (uint32_t i = 0; i < p->count; i++) {
		uint8_t buf[1024];
		size_t len = sizeof(buf);
		CHILD_CHECK(shmring_recv(r, buf, &len, 5000) == 1);
	}
	child_ready(p);
	for (;;)
		pause();
}

Test(peers, stats_count_every_message_of_a_reader_killed_between_publishing_head_and_count)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *wr;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | EXCL, NULL, &wr), 0);
	uint8_t buf[64];
	for (uint32_t i = 0; i < 5; i++) {
		tr_fill(buf, sizeof(buf), 1, i);
		cr_assert_eq(shmring_send(wr, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	}
	int ready[2];
	make_pipe(ready);
	struct peer r = new_peer(path, SHMRING_READER | EXCL);
	r.ready = ready[1];
	r.count = 5;
	pid_t pid = tr_fork(reader_takes_then_hangs, &r, 30);
	cr_assert(await(ready[0], 10000));
	kill_and_recreate_torn_publish(&admin->hdr->cons, pid);

	struct shmring_stats st = stats_of(admin);
	cr_assert_eq(st.used, 0, "the reader consumed everything");
	cr_assert_eq(st.messages, 0,
		     "ring empty, yet %llu queued (sent %llu, received %llu): the dead reader's "
		     "journal was not applied",
		     (unsigned long long)st.messages, (unsigned long long)st.sent,
		     (unsigned long long)st.received);
	cr_assert_eq(st.received, 5);
	close_pipe(ready);
	shmring_close(wr);
	shmring_close(admin);
}

Test(peers, writer_opened_after_the_readers_left_buffers_instead_of_epipe)
{
	/* A reader came and went before this writer opened: that reader was
	 * not in the writer's time, so the ring is a buffer again (a later
	 * `shmring put` must not fail because an earlier `get` has ended). */
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 512, &path);
	struct shmring *rd, *wr;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	shmring_close(rd);
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | SHMRING_EXCLUSIVE, NULL, &wr), 0);
	uint8_t buf[200];
	tr_fill(buf, sizeof(buf), 1, 0);
	for (int i = 0; i < 2000; i++) {
		int rc = shmring_send(wr, buf, sizeof(buf), SHMRING_NOWAIT);
		cr_assert(rc == 0 || rc == -EAGAIN, "send %d: %s", i, shmring_strerror(rc));
	}
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), 100), -ETIMEDOUT, "full: wait, not -EPIPE");
	/* Once a reader joins in its time and leaves, the writer does get -EPIPE. */
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	shmring_close(rd);
	cr_assert_eq(shmring_send(wr, buf, sizeof(buf), 100), -EPIPE);
	shmring_close(wr);
	shmring_close(admin);
}

/* ---------------------------------------------------------------------- */
/* 6. What the kernel undoes when a peer dies                              */

/* SEM_UNDO belongs on locks and role counts only (layout.h): a peer that
 * posted wake-up tokens and is then killed must give back its role, its
 * lock and the one token it owes for its death (which wakes a sleeper),
 * and nothing else. An undo on a token post would take those tokens back
 * at its death: the kernel would leave the wake-up semaphore one lower
 * per post (down to 0), and the sleeper would never hear of the death. */

static bool wait_sleeping(const uint32_t *flag, int timeout_ms)
{
	double end = tr_now_ms() + timeout_ms;
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		if (tr_now_ms() > end)
			return false;
		else
			usleep(200);
	return true;
}

/* Writer: p->count times, wait until the parent's reader sleeps, then send
 * (so the send posts a token); say so, stay until killed. */
static int writer_wakes_sleeper_then_hangs(void *arg)
{
	struct peer *p = arg;
	struct shmring *w;
	CHILD_CHECK(child_open(p, &w) == 0);
	uint8_t buf[64];
	for (uint32_t i = 0; i < p->count; i++) {
		CHILD_CHECK(wait_sleeping(&w->hdr->cons_wait.sleeping, 5000));
		usleep(2000); /* from the flag into semop */
		tr_fill(buf, sizeof(buf), p->who, i);
		CHILD_CHECK(shmring_send(w, buf, sizeof(buf), 5000) == 0);
	}
	child_ready(p);
	for (;;)
		pause();
}

/* Reader: p->count times, wait until the parent's writer sleeps on the
 * full ring, then take a message (which posts a token); say so, stay. */
static int reader_wakes_sleeper_then_hangs(void *arg)
{
	struct peer *p = arg;
	struct shmring *r;
	CHILD_CHECK(child_open(p, &r) == 0);
	child_ready(p);
	CHILD_CHECK(child_go(p)); /* the ring is full */
	uint8_t buf[1024];
	for (uint32_t i = 0; i < p->count; i++) {
		CHILD_CHECK(wait_sleeping(&r->hdr->prod_wait.sleeping, 5000));
		usleep(2000);
		size_t len = sizeof(buf);
		CHILD_CHECK(shmring_recv(r, buf, &len, 5000) == 1);
	}
	child_ready(p);
	for (;;)
		pause();
}

struct sem_values {
	int lock, role, wake;
};

static struct sem_values sem_values_of(int semid, int lock, int role, int wake)
{
	struct sem_values v = {semctl(semid, lock, GETVAL), semctl(semid, role, GETVAL),
			       semctl(semid, wake, GETVAL)};
	cr_assert(v.lock >= 0 && v.role >= 0 && v.wake >= 0, "GETVAL: %s", strerror(errno));
	return v;
}

static void killed_writer_undoes_only_role_lock_and_debt(unsigned mode)
{
	enum { WAKES = 5 };
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	int semid = stats_of(admin).semid;
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	int ready[2];
	make_pipe(ready);
	struct peer w = new_peer(path, SHMRING_WRITER | mode);
	w.ready = ready[1];
	w.count = WAKES;
	pid_t pid = tr_fork(writer_wakes_sleeper_then_hangs, &w, 30);
	for (uint32_t i = 0; i < WAKES; i++)
		expect_message(rd, 1, i, 5000); /* asleep each time the writer sends */
	cr_assert(await(ready[0], 10000), "writer did not finish");

	struct sem_values before = sem_values_of(semid, SEM_WRITERS_LOCK, SEM_WRITERS, SEM_DATA);
	cr_assert_eq(before.role, 1);
	cr_assert_eq(before.lock, mode == EXCL ? 0 : 1, "the writers' lock");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(tr_wait(pid), 128 + SIGKILL);
	struct sem_values after = sem_values_of(semid, SEM_WRITERS_LOCK, SEM_WRITERS, SEM_DATA);
	cr_assert_eq(after.role, 0, "the kernel took the dead writer off the count");
	cr_assert_eq(after.lock, 1, "the writers' lock is free");
	cr_assert_eq(after.wake, before.wake + 1,
		     "the dead writer's undo must add exactly its one wake-up token "
		     "(%d before, %d after, %d tokens posted while it lived)",
		     before.wake, after.wake, WAKES);
	cr_assert_eq(recv_rc(rd, 1000), 0, "and that token tells the reader: end of stream");
	close_pipe(ready);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, killed_writer_gives_back_its_role_its_lock_and_one_token_nothing_it_posted_shared)
{
	killed_writer_undoes_only_role_lock_and_debt(SHARED);
}

Test(peers, killed_writer_gives_back_its_role_its_lock_and_one_token_nothing_it_posted_exclusive)
{
	killed_writer_undoes_only_role_lock_and_debt(EXCL);
}

static void killed_reader_undoes_only_role_lock_and_debt(unsigned mode)
{
	enum { WAKES = 5, LEN = 500 };
	const char *path;
	struct shmring *admin = tr_create(0, 4096, LEN, &path);
	int semid = stats_of(admin).semid;
	struct shmring *wr;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER, NULL, &wr), 0);
	int ready[2], go[2];
	make_pipe(ready);
	make_pipe(go);
	struct peer r = new_peer(path, SHMRING_READER | mode);
	r.ready = ready[1];
	r.go = go[0];
	r.count = WAKES;
	pid_t pid = tr_fork(reader_wakes_sleeper_then_hangs, &r, 30);
	cr_assert(await(ready[0], 10000), "reader did not attach");
	unsigned n = fill(wr, LEN, 1);
	note(go[1]);
	uint8_t buf[LEN];
	for (uint32_t i = 0; i < WAKES; i++) {
		tr_fill(buf, LEN, 1, n + i);
		int rc = shmring_send(wr, buf, LEN, 5000); /* asleep until the reader takes one */
		cr_assert_eq(rc, 0, "send %u: %s", i, shmring_strerror(rc));
	}
	cr_assert(await(ready[0], 10000), "reader did not finish");

	struct sem_values before = sem_values_of(semid, SEM_READERS_LOCK, SEM_READERS, SEM_SPACE);
	cr_assert_eq(before.role, 1);
	cr_assert_eq(before.lock, mode == EXCL ? 0 : 1, "the readers' lock");
	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(tr_wait(pid), 128 + SIGKILL);
	struct sem_values after = sem_values_of(semid, SEM_READERS_LOCK, SEM_READERS, SEM_SPACE);
	cr_assert_eq(after.role, 0, "the kernel took the dead reader off the count");
	cr_assert_eq(after.lock, 1, "the readers' lock is free");
	cr_assert_eq(after.wake, before.wake + 1,
		     "the dead reader's undo must add exactly its one wake-up token "
		     "(%d before, %d after, %d tokens posted while it lived)",
		     before.wake, after.wake, WAKES);
	tr_fill(buf, LEN, 1, n + WAKES);
	cr_assert_eq(shmring_send(wr, buf, LEN, 1000), -EPIPE, "and the writer hears of it");
	close_pipe(ready);
	close_pipe(go);
	shmring_close(wr);
	shmring_close(admin);
}

Test(peers, killed_reader_gives_back_its_role_its_lock_and_one_token_nothing_it_posted_shared)
{
	killed_reader_undoes_only_role_lock_and_debt(SHARED);
}

Test(peers, killed_reader_gives_back_its_role_its_lock_and_one_token_nothing_it_posted_exclusive)
{
	killed_reader_undoes_only_role_lock_and_debt(EXCL);
}

/* ---------------------------------------------------------------------- */
/* 7. Sleeping, not spinning                                               */

static double thread_cpu_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A reader on an empty ring and a writer on a full one, each with its peer
 * attached, wait 500 ms: asleep in the kernel, so a few milliseconds of CPU
 * at most (the bounded spin before sleeping is microseconds). */
static void idle_waits_use_no_cpu(unsigned mode)
{
	enum { WAIT_MS = 500, LEN = 500 };
	const char *path;
	struct shmring *admin = tr_create(0, 4096, LEN, &path);
	struct shmring *rd, *wr;
	cr_assert_eq(shmring_open(path, SHMRING_READER | mode, NULL, &rd), 0);
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | mode, NULL, &wr), 0);

	uint8_t buf[LEN];
	size_t len = sizeof(buf);
	double cpu0 = thread_cpu_ms(), t0 = tr_now_ms();
	cr_assert_eq(shmring_recv(rd, buf, &len, WAIT_MS), -ETIMEDOUT);
	double cpu = thread_cpu_ms() - cpu0, waited = tr_now_ms() - t0;
	cr_log_info("idle reader: %.2f ms CPU in %.0f ms", cpu, waited);
	cr_assert_lt(cpu, 25.0, "an idle reader used %.1f ms of CPU in %.0f ms", cpu, waited);

	fill(wr, LEN, 1);
	tr_fill(buf, LEN, 1, 0);
	cpu0 = thread_cpu_ms();
	t0 = tr_now_ms();
	cr_assert_eq(shmring_send(wr, buf, LEN, WAIT_MS), -ETIMEDOUT);
	cpu = thread_cpu_ms() - cpu0;
	waited = tr_now_ms() - t0;
	cr_log_info("idle writer: %.2f ms CPU in %.0f ms", cpu, waited);
	cr_assert_lt(cpu, 25.0, "an idle writer used %.1f ms of CPU in %.0f ms", cpu, waited);
	shmring_close(wr);
	shmring_close(rd);
	shmring_close(admin);
}

Test(peers, idle_reader_and_idle_writer_sleep_in_the_kernel_without_cpu_shared)
{
	idle_waits_use_no_cpu(SHARED);
}

Test(peers, idle_reader_and_idle_writer_sleep_in_the_kernel_without_cpu_exclusive)
{
	idle_waits_use_no_cpu(EXCL);
}
