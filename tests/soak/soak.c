/*
 * soak.c - `make soak`: writers and readers killed and restarted for
 * minutes on a small ring, and an account of every message at the end.
 *
 * The run is cut into epochs, one ring each (64 KiB, so it is full and
 * empty all the time), with another max_msg per epoch: a quarter of the
 * ring, the whole ring (capacity - 8: one message fills it), an odd 1000
 * and a tiny 64. An epoch has three phases:
 *
 *  RUN       the supervisor kills a random writer or reader now and then
 *            (mostly SIGKILL, sometimes SIGTERM, now and then every writer
 *            or every reader at once), peers leave on their own after a
 *            random lifetime, and empty slots are refilled after a random
 *            pause. Writer 0 and reader 0 open exclusive handles half the
 *            time. A watchdog calls a process hung when it has not finished
 *            a call for STALL_S seconds.
 *  STOPPING  no more kills or retirements; empty slots are refilled until
 *            every slot has its handle open.
 *  FINAL     writers send a few more messages and close; readers receive
 *            until end of stream (0). Everything must be over within
 *            STOP_BOUND_S seconds of the stop, or the processes left are
 *            reported as hung and killed.
 *
 * Then the account (soak.h says what each side records):
 *  - duplicates, corrupt messages, per-reader order breaks, phantom
 *    sequence numbers, premature end of stream: each must be 0;
 *  - a writer that closed cleanly must have published exactly its
 *    confirmed messages: one seen past them is a "ghost";
 *  - the ring is drained (stats: messages 0, sent == received);
 *  - the ring's own count of published messages lies between the confirmed
 *    ones and those plus the in-flight messages of killed writers;
 *  - "unaccounted" = consumed by the ring's count minus recorded by the
 *    readers: only readers killed between taking and recording explain
 *    those, so it must not exceed the sum of their pending counts at death
 *    (the allowance), and every confirmed message not seen must be among
 *    them.
 * Finally the ring is destroyed and its System V objects must be gone.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layout.h" /* SEM_DATA, SEM_SPACE: the wake-up tokens we watch */
#include "soak.h"

#define STALL_S 20
#define STOP_BOUND_S 30
#define TERM_GRACE_MS 3000
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

struct soak_shared *S;
uint8_t *seen_map;
static const size_t seen_bytes = (size_t)MAX_INC * (SEQ_CAP / 8);

/* The supervisor's own view of each slot. */
struct proc {
	pid_t pid;
	uint64_t spawned, term_at; /* ns; term_at 0 = no SIGTERM pending */
	bool killed;		   /* we sent SIGKILL */
	uint64_t beat, beat_at;	   /* watchdog */
	uint64_t empty_since;
};

/* What one epoch (and the whole run) counts on the supervisor's side. */
struct tally {
	uint64_t sigkill[2], sigterm[2], term_escalated, mass_kills[2];
	uint64_t kill_opening, kill_closing; /* SIGKILLs that found the handle so */
	uint64_t clean_exits[2], killed_exits[2], failed_exits[2], crashed[2];
	uint64_t starts[2], restarts;
	uint64_t hangs, allowance, unaccounted, missing, in_flight, in_flight_seen, ghosts;
	uint64_t ring_sent, ring_received, confirmed, recorded, distinct;
	uint64_t violations;
	int sem_data_max, sem_space_max;
	struct counters c;
};

static struct options {
	unsigned seconds, writers, readers, epochs, kill_ms;
	uint64_t seed;
} opt = {120, 4, 3, 4, 60, 0};

static struct proc procs[2][MAX_WRITERS > MAX_READERS ? MAX_WRITERS : MAX_READERS];
static struct tally total;
static struct shmring *admin;
static int semid = -1, shmid = -1;
static uint64_t rng;
static volatile sig_atomic_t interrupted;

enum { W = 0, R = 1 };
static const char *const kind_name[2] = {"writer", "reader"};

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static struct slot *slot_of(int kind, unsigned i)
{
	return kind == W ? &S->w[i] : &S->r[i];
}

static unsigned count_of(int kind)
{
	return kind == W ? S->nwriters : S->nreaders;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------------- */
/* Processes                                                              */

static bool spawn(int kind, unsigned i, struct tally *t)
{
	struct slot *s = slot_of(kind, i);
	bool exclusive = i == 0 && soak_below(&rng, 2);
	uint32_t inc = 0;
	pid_t pid;

	if (kind == W) {
		if (S->ninc >= MAX_INC)
			return false;
		inc = S->ninc;
		memset(&S->inc[inc], 0, sizeof(S->inc[inc]));
		S->inc[inc].slot = i;
		STORE(&S->ninc, inc + 1);
		s->inc = inc;
	} else {
		memset(S->order[i], 0, sizeof(S->order[i]));
		s->inc++;
	}
	s->pending = 0;
	s->beat = 0;
	s->op = OP_NONE;
	s->exclusive = exclusive;
	STORE(&s->state, ST_STARTING);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "soak: fork: %s\n", strerror(errno));
		STORE(&s->state, ST_EMPTY);
		return false;
	}
	if (pid == 0)
		_exit(kind == W ? writer_main(i, inc, exclusive) : reader_main(i, exclusive));
	s->pid = pid;
	procs[kind][i] = (struct proc){.pid = pid, .spawned = soak_now_ns()};
	procs[kind][i].beat_at = procs[kind][i].spawned;
	if (t->starts[kind]++ >= count_of(kind))
		t->restarts++;
	return true;
}

static bool find(pid_t pid, int *kind, unsigned *i)
{
	for (int k = 0; k < 2; k++)
		for (unsigned j = 0; j < count_of(k); j++)
			if (procs[k][j].pid == pid) {
				*kind = k;
				*i = j;
				return true;
			}
	return false;
}

/* Account for one process that ended. */
static void ended(pid_t pid, int status, struct tally *t)
{
	int kind;
	unsigned i;

	if (!find(pid, &kind, &i))
		return;
	struct slot *s = slot_of(kind, i);
	struct proc *p = &procs[kind][i];
	if (WIFSIGNALED(status)) {
		if (WTERMSIG(status) == SIGKILL && p->killed) {
			t->killed_exits[kind]++;
		} else {
			t->crashed[kind]++;
			fprintf(stderr, "soak: CRASH: %s %u pid %d died of signal %d in %s\n",
				kind_name[kind], i, (int)pid, WTERMSIG(status), op_names[s->op]);
		}
		if (kind == W)
			S->inc[s->inc].killed = 1;
		else
			t->allowance += s->pending;
	} else if (WEXITSTATUS(status) == 0) {
		t->clean_exits[kind]++;
	} else {
		t->failed_exits[kind]++;
		fprintf(stderr, "soak: FAILED: %s %u pid %d exited with status %d\n",
			kind_name[kind], i, (int)pid, WEXITSTATUS(status));
		if (kind == R)
			t->allowance += s->pending;
	}
	p->pid = 0;
	p->empty_since = soak_now_ns();
	s->pid = 0;
	STORE(&s->state, ST_EMPTY);
}

static void reap(struct tally *t)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		ended(pid, status, t);
}

static void kill_slot(int kind, unsigned i, int sig, struct tally *t)
{
	struct proc *p = &procs[kind][i];

	if (!p->pid || p->killed)
		return;
	if (sig == SIGTERM) {
		if (p->term_at)
			return;
		p->term_at = soak_now_ns();
		t->sigterm[kind]++;
	} else {
		uint32_t st = LOAD(&slot_of(kind, i)->state);
		p->killed = true;
		t->sigkill[kind]++;
		t->kill_opening += st == ST_STARTING;
		t->kill_closing += st == ST_CLOSING;
	}
	kill(p->pid, sig);
}

/* For a hang report: the ring's numbers and every semaphore. */
static void dump_ring(void)
{
	struct shmring_stats st;
	unsigned short v[SEM_COUNT];

	if (admin && shmring_stats(admin, &st) == 0)
		fprintf(stderr,
			"soak:   ring: %" PRIu64 " messages, %" PRIu64
			" bytes queued, sent %" PRIu64 ", received %" PRIu64 ", %" PRIu32
			" readers, %" PRIu32 " writers\n",
			st.messages, st.used, st.sent, st.received, st.readers, st.writers);
	if (semctl(semid, 0, GETALL, v) == 0)
		fprintf(stderr,
			"soak:   semaphores: writers-lock %u readers-lock %u writers %u readers %u data %u space "
			"%u\n",
			v[SEM_WRITERS_LOCK], v[SEM_READERS_LOCK], v[SEM_WRITERS], v[SEM_READERS], v[SEM_DATA],
			v[SEM_SPACE]);
}

static void kill_hung(int kind, unsigned i, const char *when, struct tally *t)
{
	struct slot *s = slot_of(kind, i);
	struct proc *p = &procs[kind][i];

	t->hangs++;
	fprintf(stderr,
		"soak: HANG (%s): %s %u pid %d%s, state %u, in %s, %" PRIu64
		" calls done, pending %u; killed\n",
		when, kind_name[kind], i, (int)p->pid, s->exclusive ? " (exclusive)" : "", s->state,
		op_names[s->op], s->beat, s->pending);
	dump_ring();
	p->killed = true;
	kill(p->pid, SIGKILL);
}

/* SIGTERM not obeyed within the grace time becomes SIGKILL. */
static void escalate(struct tally *t)
{
	uint64_t now = soak_now_ns();

	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++) {
			struct proc *p = &procs[k][i];
			if (p->pid && p->term_at && !p->killed &&
			    now - p->term_at > TERM_GRACE_MS * NS_PER_MS) {
				t->term_escalated++;
				p->killed = true;
				kill(p->pid, SIGKILL);
			}
		}
}

static void watchdog(struct tally *t)
{
	uint64_t now = soak_now_ns();

	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++) {
			struct proc *p = &procs[k][i];
			uint64_t beat = __atomic_load_n(&slot_of(k, i)->beat, __ATOMIC_RELAXED);
			if (!p->pid || p->killed)
				continue;
			if (beat != p->beat) {
				p->beat = beat;
				p->beat_at = now;
			} else if (now - p->beat_at > STALL_S * NS_PER_S) {
				kill_hung(k, i, "no call finished for 20 s", t);
			}
		}
}

static void sample_sems(struct tally *t)
{
	int d = semctl(semid, SEM_DATA, GETVAL), s = semctl(semid, SEM_SPACE, GETVAL);

	if (d > t->sem_data_max)
		t->sem_data_max = d;
	if (s > t->sem_space_max)
		t->sem_space_max = s;
}

static void random_kill(struct tally *t)
{
	uint64_t d = soak_below(&rng, 100);
	int kind = d % 2 ? R : W;
	unsigned i = (unsigned)soak_below(&rng, count_of(kind));

	if (d < 2) {
		/* Everyone of one side at once: -EPIPE, or end of stream. */
		t->mass_kills[kind]++;
		for (unsigned j = 0; j < count_of(kind); j++)
			kill_slot(kind, j, SIGKILL, t);
	} else if (d < 20) {
		kill_slot(kind, i, SIGTERM, t);
	} else {
		kill_slot(kind, i, SIGKILL, t);
	}
}

/* Refill empty slots; during RUN only after a random pause. */
static bool refill(bool now_please, struct tally *t)
{
	uint64_t now = soak_now_ns();
	bool ok = true;

	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++) {
			struct proc *p = &procs[k][i];
			if (p->pid)
				continue;
			if (!now_please && now - p->empty_since < soak_below(&rng, 30) * NS_PER_MS)
				continue;
			if (!spawn(k, i, t))
				ok = false;
		}
	return ok;
}

static bool all_open(void)
{
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++)
			if (!procs[k][i].pid || procs[k][i].term_at || procs[k][i].killed ||
			    LOAD(&slot_of(k, i)->state) != ST_OPEN)
				return false;
	return true;
}

static unsigned alive(void)
{
	unsigned n = 0;

	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++)
			n += procs[k][i].pid != 0;
	return n;
}

static void kill_everyone(struct tally *t)
{
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++)
			if (procs[k][i].pid) {
				procs[k][i].killed = true;
				kill(procs[k][i].pid, SIGKILL);
			}
	while (alive()) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0 && errno == ECHILD)
			break;
		if (pid > 0)
			ended(pid, status, t);
	}
}

/* ---------------------------------------------------------------------- */
/* The account                                                            */

static unsigned popcount_range(const uint8_t *map, uint64_t from, uint64_t to)
{
	unsigned n = 0;

	for (uint64_t b = from; b < to; b++)
		n += (map[b / 8] >> (b % 8)) & 1;
	return n;
}

__attribute__((format(printf, 2, 3))) static void violation(struct tally *t, const char *fmt, ...)
{
	va_list ap;

	t->violations++;
	fprintf(stderr, "soak: VIOLATION: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void account(struct tally *t)
{
	struct shmring_stats st;
	int rc = shmring_stats(admin, &st);

	if (rc < 0) {
		violation(t, "stats of the ring failed: %s", shmring_strerror(rc));
		return;
	}
	for (uint32_t inc = 0; inc < S->ninc; inc++) {
		const struct wrinc *wi = &S->inc[inc];
		const uint8_t *map = seen_map + (size_t)inc * (SEQ_CAP / 8);
		unsigned confirmed_seen = popcount_range(map, 0, wi->confirmed);
		unsigned beyond = popcount_range(map, wi->confirmed, wi->attempted);

		t->confirmed += wi->confirmed;
		/* From the bitmap: a reader killed right after setting a bit
		 * has recorded that message, whatever else it had not done. */
		t->distinct += confirmed_seen + beyond;
		t->missing += wi->confirmed - confirmed_seen;
		if (wi->killed) {
			t->in_flight += wi->attempted - wi->confirmed;
			t->in_flight_seen += beyond;
		} else if (beyond) {
			t->ghosts += beyond;
			violation(t,
				  "incarnation %" PRIu32
				  " closed cleanly, yet %u messages whose send failed arrived",
				  inc, beyond);
		}
	}
	t->c = S->c;
	t->recorded = S->c.received;
	t->ring_sent = st.sent;
	t->ring_received = st.received;
	if (st.messages || st.used || st.sent != st.received)
		violation(t, "ring not drained: %" PRIu64 " messages, %" PRIu64 " bytes left",
			  st.messages, st.used);
	if (st.readers || st.writers)
		violation(t, "handles still counted: %" PRIu32 " readers, %" PRIu32 " writers",
			  st.readers, st.writers);
	if (st.sent < t->confirmed || st.sent > t->confirmed + t->in_flight)
		violation(t,
			  "ring counts %" PRIu64 " sent; writers confirmed %" PRIu64
			  " plus %" PRIu64 " in flight at kills",
			  st.sent, t->confirmed, t->in_flight);
	if (st.received < t->distinct) {
		violation(
		    t, "readers recorded %" PRIu64 " distinct messages, the ring consumed %" PRIu64,
		    t->distinct, st.received);
	} else {
		t->unaccounted = st.received - t->distinct;
	}
	if (t->unaccounted > t->allowance)
		violation(t,
			  "%" PRIu64 " consumed messages unaccounted, more than the %" PRIu64
			  " killed readers may have held",
			  t->unaccounted, t->allowance);
	if (t->missing > t->unaccounted)
		violation(t,
			  "%" PRIu64 " confirmed messages never seen, only %" PRIu64
			  " may have been taken by killed readers",
			  t->missing, t->unaccounted);
}

static uint64_t bad_of(const struct tally *t)
{
	const struct counters *c = &t->c;

	return c->duplicates + c->corrupt + c->order + c->phantom + c->premature_eos +
	       c->unexpected + t->crashed[W] + t->crashed[R] + t->failed_exits[W] +
	       t->failed_exits[R] + t->hangs + t->violations;
}

static void add_tally(struct tally *sum, const struct tally *t)
{
	const uint64_t *src = (const uint64_t *)&t->c;
	uint64_t *dst = (uint64_t *)&sum->c;

	for (size_t i = 0; i < sizeof(t->c) / sizeof(uint64_t); i++)
		dst[i] += src[i];
	for (int k = 0; k < 2; k++) {
		sum->sigkill[k] += t->sigkill[k];
		sum->sigterm[k] += t->sigterm[k];
		sum->mass_kills[k] += t->mass_kills[k];
		sum->clean_exits[k] += t->clean_exits[k];
		sum->killed_exits[k] += t->killed_exits[k];
		sum->failed_exits[k] += t->failed_exits[k];
		sum->crashed[k] += t->crashed[k];
		sum->starts[k] += t->starts[k];
	}
	sum->term_escalated += t->term_escalated;
	sum->kill_opening += t->kill_opening;
	sum->kill_closing += t->kill_closing;
	sum->restarts += t->restarts;
	sum->hangs += t->hangs;
	sum->allowance += t->allowance;
	sum->unaccounted += t->unaccounted;
	sum->missing += t->missing;
	sum->in_flight += t->in_flight;
	sum->in_flight_seen += t->in_flight_seen;
	sum->ghosts += t->ghosts;
	sum->ring_sent += t->ring_sent;
	sum->ring_received += t->ring_received;
	sum->confirmed += t->confirmed;
	sum->recorded += t->recorded;
	sum->distinct += t->distinct;
	sum->violations += t->violations;
	if (t->sem_data_max > sum->sem_data_max)
		sum->sem_data_max = t->sem_data_max;
	if (t->sem_space_max > sum->sem_space_max)
		sum->sem_space_max = t->sem_space_max;
}

#define ROW(name, v) printf("  %-52s %12" PRIu64 "\n", name, (uint64_t)(v))

static void print_tally(const struct tally *t)
{
	const struct counters *c = &t->c;

	ROW("messages sent (a call returned success)", c->sent);
	ROW("  of them exactly max_msg bytes", c->at_max);
	ROW("messages received (recorded by readers)", c->received);
	ROW("  distinct", t->distinct);
	ROW("ring: published (stats.sent)", t->ring_sent);
	ROW("ring: consumed (stats.received)", t->ring_received);
	ROW("in flight at writer kills (may or may not be sent)", t->in_flight);
	ROW("  of them delivered", t->in_flight_seen);
	ROW("lost-in-flight allowance (pending at reader kills)", t->allowance);
	ROW("unaccounted (consumed, never recorded)", t->unaccounted);
	ROW("confirmed but never seen (within unaccounted)", t->missing);
	ROW("DUPLICATES", c->duplicates);
	ROW("CORRUPT", c->corrupt);
	ROW("ORDER VIOLATIONS", c->order);
	ROW("PHANTOMS (seq never handed to a send)", c->phantom);
	ROW("GHOSTS (failed send arrived)", t->ghosts);
	ROW("PREMATURE END OF STREAM", c->premature_eos);
	ROW("UNEXPECTED ERRORS", c->unexpected);
	ROW("HANGS", t->hangs);
	ROW("CRASHES (signals we did not send)", t->crashed[W] + t->crashed[R]);
	ROW("FAILED EXITS", t->failed_exits[W] + t->failed_exits[R]);
	ROW("OTHER VIOLATIONS (account, drain, IPC left)", t->violations);
	ROW("writers killed: SIGKILL", t->sigkill[W]);
	ROW("writers sent SIGTERM (close when the call returns)", t->sigterm[W]);
	ROW("readers killed: SIGKILL", t->sigkill[R]);
	ROW("readers sent SIGTERM (close when the call returns)", t->sigterm[R]);
	ROW("SIGKILLs before the handle was open", t->kill_opening);
	ROW("SIGKILLs inside shmring_close", t->kill_closing);
	ROW("every writer killed at once", t->mass_kills[W]);
	ROW("every reader killed at once", t->mass_kills[R]);
	ROW("SIGTERM not obeyed in 3 s, then SIGKILL", t->term_escalated);
	ROW("writer exits: clean (close)", t->clean_exits[W]);
	ROW("writer exits: killed", t->killed_exits[W]);
	ROW("reader exits: clean (close)", t->clean_exits[R]);
	ROW("reader exits: killed", t->killed_exits[R]);
	ROW("processes started", t->starts[W] + t->starts[R]);
	ROW("restarts", t->restarts);
	ROW("exclusive opens: writer", c->excl_opens[0]);
	ROW("exclusive opens: reader", c->excl_opens[1]);
	ROW("exclusive open -EBUSY, retried", c->open_busy);
	ROW("end of stream seen: final drain", c->eos_final);
	ROW("end of stream seen: while peers came and went", c->eos_run);
	ROW("EPIPE seen", c->epipe);
	ROW("ETIMEDOUT seen", c->timedout);
	ROW("EAGAIN seen (NOWAIT)", c->eagain);
	ROW("ENOBUFS asked for and seen", c->enobufs);
	ROW("EMSGSIZE asked for and seen", c->emsgsize);
	ROW("reservations aborted", c->aborts);
	for (int i = OP_SEND; i < OP_CLOSE; i++) {
		char name[64];
		snprintf(name, sizeof(name), "calls: %s", op_names[i]);
		ROW(name, c->ops[i]);
	}
	ROW("SEM_DATA highest value seen", t->sem_data_max);
	ROW("SEM_SPACE highest value seen", t->sem_space_max);
}

/* ---------------------------------------------------------------------- */
/* An epoch                                                               */

static bool map_seen(void)
{
	if (seen_map)
		munmap(seen_map, seen_bytes);
	seen_map = mmap(NULL, seen_bytes, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (seen_map == MAP_FAILED) {
		seen_map = NULL;
		fprintf(stderr, "soak: mmap of %zu bytes: %s\n", seen_bytes, strerror(errno));
		return false;
	}
	return true;
}

static void destroy_ring(struct tally *t)
{
	struct shmid_ds ds;

	if (!admin)
		return;
	int rc = shmring_destroy(admin);
	admin = NULL;
	if (rc < 0)
		violation(t, "shmring_destroy: %s", shmring_strerror(rc));
	if (shmctl(shmid, IPC_STAT, &ds) == 0 || semctl(semid, 0, GETVAL) >= 0)
		violation(t, "System V objects left: shmid %d semid %d", shmid, semid);
	shmid = semid = -1;
}

static void phase(uint32_t p)
{
	__atomic_store_n(&S->phase, p, __ATOMIC_SEQ_CST);
}

static void stop_and_drain(struct tally *t)
{
	uint64_t stop = soak_now_ns(), bound = stop + STOP_BOUND_S * NS_PER_S;

	phase(PHASE_STOPPING);
	while (!all_open() && soak_now_ns() < bound && !interrupted) {
		reap(t);
		escalate(t);
		refill(true, t);
		sleep_ms(2);
	}
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++)
			if (procs[k][i].pid && LOAD(&slot_of(k, i)->state) != ST_OPEN)
				kill_hung(k, i, "handle not open 30 s after the stop", t);
	phase(PHASE_FINAL);
	while (alive() && soak_now_ns() < bound && !interrupted) {
		reap(t);
		sleep_ms(2);
	}
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < count_of(k); i++)
			if (procs[k][i].pid && !procs[k][i].killed)
				kill_hung(k, i, "not finished 30 s after the stop", t);
	kill_everyone(t);
}

static int run_epoch(unsigned e, unsigned seconds, size_t max_msg, struct tally *t)
{
	struct shmring_options o = {.capacity = RING_CAPACITY, .max_msg = max_msg, .mode = 0600};
	struct shmring_stats st;
	uint64_t end;
	int rc;

	memset(S, 0, sizeof(*S));
	memset(procs, 0, sizeof(procs));
	S->supervisor = getpid();
	S->nwriters = opt.writers;
	S->nreaders = opt.readers;
	S->seed = soak_rand(&rng);
	if (!map_seen())
		return -1;
	rc = shmring_create_key(IPC_PRIVATE, 0, &o, &admin);
	if (rc < 0) {
		fprintf(stderr, "soak: shmring_create_key: %s\n", shmring_strerror(rc));
		return -1;
	}
	rc = shmring_stats(admin, &st);
	if (rc < 0) {
		fprintf(stderr, "soak: shmring_stats: %s\n", shmring_strerror(rc));
		shmring_destroy(admin);
		admin = NULL;
		return -1;
	}
	shmid = st.shmid;
	semid = st.semid;
	S->shmid = st.shmid;
	S->capacity = shmring_capacity(admin);
	S->max_msg = shmring_max_msg(admin);
	printf("soak: epoch %u: %u s, ring shmid %d semid %d, capacity %" PRIu64
	       ", max_msg %" PRIu64 ", %u writers, %u readers\n",
	       e, seconds, shmid, semid, S->capacity, S->max_msg, opt.writers, opt.readers);
	fflush(stdout);

	refill(true, t);
	end = soak_now_ns() + seconds * NS_PER_S;
	while (soak_now_ns() < end && !interrupted) {
		unsigned tick = 1 + (unsigned)soak_below(&rng, 9);
		reap(t);
		escalate(t);
		watchdog(t);
		sample_sems(t);
		if (S->ninc + MAX_WRITERS + 1 >= MAX_INC) {
			printf("soak: epoch %u: writer incarnations used up, stopping early\n", e);
			break;
		}
		refill(false, t);
		if (soak_below(&rng, opt.kill_ms) < tick)
			random_kill(t);
		sleep_ms(tick);
	}
	stop_and_drain(t);
	sample_sems(t);
	if (!interrupted)
		account(t);
	destroy_ring(t);
	return 0;
}

/* ---------------------------------------------------------------------- */

static unsigned number(const char *name, const char *arg, unsigned lo, unsigned hi)
{
	char *end;
	unsigned long v = strtoul(arg ? arg : "", &end, 10);

	if (!arg || *end || v < lo || v > hi) {
		fprintf(stderr, "soak: %s wants a number in %u..%u\n", name, lo, hi);
		exit(2);
	}
	return (unsigned)v;
}

static void parse(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--seconds"))
			opt.seconds = number(a, v, 1, 86400);
		else if (!strcmp(a, "--writers"))
			opt.writers = number(a, v, 1, MAX_WRITERS);
		else if (!strcmp(a, "--readers"))
			opt.readers = number(a, v, 1, MAX_READERS);
		else if (!strcmp(a, "--epochs"))
			opt.epochs = number(a, v, 1, 100);
		else if (!strcmp(a, "--kill-ms"))
			opt.kill_ms = number(a, v, 1, 100000);
		else if (!strcmp(a, "--seed"))
			opt.seed = number(a, v, 0, 4000000000u);
		else {
			fprintf(stderr,
				"usage: shmring-soak [--seconds N] [--writers N] [--readers N]"
				" [--epochs N] [--kill-ms N] [--seed N]\n");
			exit(2);
		}
		i++;
	}
}

int main(int argc, char **argv)
{
	static const size_t max_msgs[] = {RING_CAPACITY / 4, RING_CAPACITY - 8, 1000, 64};
	struct sigaction sa;
	uint64_t bad;

	parse(argc, argv);
	if (!opt.seed)
		opt.seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
	rng = opt.seed * 0x9e3779b97f4a7c15ull | 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED) {
		fprintf(stderr, "soak: mmap: %s\n", strerror(errno));
		return 1;
	}
	printf("soak: %u s, %u epochs, %u writers, %u readers, a kill every ~%u ms, seed %" PRIu64
	       "\n",
	       opt.seconds, opt.epochs, opt.writers, opt.readers, opt.kill_ms, opt.seed);
	for (unsigned e = 0; e < opt.epochs && !interrupted; e++) {
		struct tally t = {0};
		unsigned secs = opt.seconds / opt.epochs;
		if (run_epoch(e, secs ? secs : 1, max_msgs[e % 4], &t) < 0)
			return 1;
		add_tally(&total, &t);
		printf("soak: epoch %u: %" PRIu64 " sent, %" PRIu64 " received, %" PRIu64
		       " unaccounted (allowance %" PRIu64 "), %" PRIu64 " kills, %" PRIu64
		       " violations\n",
		       e, t.c.sent, t.c.received, t.unaccounted, t.allowance,
		       t.sigkill[W] + t.sigkill[R] + t.sigterm[W] + t.sigterm[R], bad_of(&t));
	}
	if (interrupted) {
		struct tally t = {0};
		kill_everyone(&t);
		destroy_ring(&t);
		fprintf(stderr, "soak: interrupted; ring removed, children killed\n");
		return 1;
	}
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		violation(&total, "children left behind");
	printf("soak: totals over %u epochs (seed %" PRIu64 "):\n", opt.epochs, opt.seed);
	print_tally(&total);
	bad = bad_of(&total);
	printf("soak: %s (%" PRIu64 " violations)\n", bad ? "FAILED" : "PASSED", bad);
	return bad ? 1 : 0;
}
