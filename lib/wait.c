/*
 * wait.c - the slow path. Only the lock holder of a side ever sleeps, on its
 * side's wake-up semaphore, so one flag per side says whether anybody sleeps:
 *
 *   sleeper                          waker
 *   store flag = 1                   store index       (shmring__ring_publish)
 *   membarrier (shmring__fence_heavy) compiler barrier
 *   load index                       load flag
 *   if unchanged: P(wake)            if set: exchange(flag, 0) == 1 ? V(wake)
 *
 * The membarrier runs a full barrier on the waker's CPU, so at least one of
 * the two loads sees the other side's store (without it: seq-cst stores on
 * both sides, and sleeps cut into short slices as a backstop). A sleeper
 * never misses the publication it waits for, and the exchange lets only one
 * waker post per sleep: no semaphore counts anything but sleeps. A sleeper that gives up withdraws its flag with the
 * same exchange; if a waker got there first, the token it posts is left
 * over and costs one spurious wake-up later. Peers that die post through
 * the kernel's undo instead (layout.h). The sleep itself also asks the
 * kernel for the other side's role count (sleep_on()), so the last peer
 * leaving, cleanly or killed, wakes it too; a NOWAIT call never sleeps,
 * so it announces nothing and pays no fence.
 */
#include "config.h"

#include "wait.h"

#include <errno.h>
#include <sys/shm.h>

#include "fence.h"
#include "ring.h"
#include "sem.h"
#include "spin.h"

/* Attempts to take a lock without queueing, while its hint keeps clearing,
 * before sleeping until it is free. */
#define LOCK_TRIES 8

/* A writer that spins for room waits for 1/SPACE_HYSTERESIS of the ring. */
#define SPACE_HYSTERESIS 4

/* Longest sleep when membarrier is missing (see announce()). */
#define BACKSTOP_SLICE_MS 2

/* Longest sleep at all: then the sleeper looks again for itself, so no
 * lost wake-up (a bug, a stray store to a flag by a peer with write
 * access) strands it, and it notices a segment removed by ipcrm -m,
 * which the kernel keeps while it is attached and tells nobody about. */
#define RECHECK_SLICE_MS 1000

/* Longest a sleeping writer waits for its share of the ring (@plenty in
 * shmring__wait_for_space()) before it takes the room there is. */
#define SHARE_SLICE_MS 2

bool shmring__readers_expected(const struct shmring *r)
{
	return r->readers_at_open ||
	       shm_load_acquire(&r->hdr->cons.joins) != r->reader_joins_at_open;
}

static bool writers_expected(const struct shmring *r)
{
	return r->writers_at_open || r->backlog_at_open ||
	       shm_load_acquire(&r->hdr->prod.joins) != r->writer_joins_at_open;
}

/* Joins first, then the count: a peer counts itself in before it bumps
 * joins, so a moved joins with a zero count means it has really left. */
int shmring__readers_gone(struct shmring *r)
{
	if (!shmring__readers_expected(r))
		return 0;
	int n = shmring__sem_value(r->semid, SEM_READERS);
	return n < 0 ? n : n == 0;
}

int shmring__writers_gone(struct shmring *r)
{
	if (!writers_expected(r))
		return 0;
	int n = shmring__sem_value(r->semid, SEM_WRITERS);
	return n < 0 ? n : n == 0;
}

static void withdraw(uint32_t *flag)
{
	shm_exchange(flag, 0);
}

/* Wake the sleeper of @w if it sleeps and @free bytes (or more) are all it
 * waits for. */
static void wake(struct shmring *r, struct layout_wait *w, unsigned short sem, uint64_t free)
{
	uint32_t sleeping;
	if (r->light_fence) {
		/* The sleeper's membarrier orders this load after our index
		 * store; the compiler must not hoist it either. */
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		/* model: wake_load */
		sleeping = shm_load_relaxed(&w->sleeping);
	} else {
		sleeping = shm_load_seq(&w->sleeping);
	}
	if (!sleeping)
		return;
	/* Acquire: the want stored before the flag. Untrusted: any value
	 * over the capacity means "the whole ring", which an idle side
	 * always has. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint64_t want = shm_load_relaxed(&w->want);
	if (free < (want < r->capacity ? want : r->capacity))
		return;
	/* model: wake_exchange */
	if (shm_exchange(&w->sleeping, 0))
		/* model: wake_post */
		shmring__sem_post(r->semid, sem);
}

/* Announce a sleep (never a NOWAIT one). Returns the deadline to sleep
 * with: @dl itself, or a slice of it when membarrier is unavailable and a
 * publisher may have missed the flag. */
static const struct deadline *announce(uint32_t *flag, const struct deadline *dl,
				       struct deadline *slice)
{
	shm_store_seq(flag, 1);
	shmring__deadline_init(slice, shmring__fence_heavy() ? RECHECK_SLICE_MS : BACKSTOP_SLICE_MS);
	if (dl->kind == DEADLINE_TIMED && shmring__deadline_before(dl, slice))
		return dl;
	return slice;
}

/* After a slice: has the segment been removed (ipcrm -m) while attached?
 * Then the ring is dead for every handle: say so where their fast paths
 * look. */
static bool segment_removed(struct shmring *r)
{
	struct shmid_ds ds;
	bool removed = shmctl(r->shmid, IPC_STAT, &ds) < 0 ? errno == EIDRM || errno == EINVAL
							  : (ds.shm_perm.mode & SHM_DEST) != 0;
	if (removed && r->writable)
		shm_store_release(&r->hdr->id.destroyed, DESTROYED_MARK);
	return removed;
}

/* A slice of a longer wait ran out: look again, unless the segment went. */
static bool slice_ended(int rc, const struct deadline *sleep_dl, const struct deadline *dl)
{
	return rc == -ETIMEDOUT && sleep_dl != dl && !shmring__deadline_expired(dl);
}

/* Spin while the hint says busy, until @end. Returns false when it never
 * cleared: its holder is preempted, slow or dead (a dead one leaves the
 * hint set). */
static bool lock_spin(const uint32_t *busy, struct spin *s)
{
	for (unsigned i = 0;; i++) {
		uint32_t hint = shm_load_relaxed(busy);
		if (hint == 0)
			return true;
		if (hint == LOCK_HINT_ASLEEP || !spin_on(s, i))
			return false;
	}
}

/* One attempt at @ops that never queues. */
static int lock_try(int semid, const struct sembuf *ops, unsigned nops)
{
	static const struct deadline nowait = {.kind = DEADLINE_NOWAIT};
	struct sembuf try_ops[SEM_COUNT];
	__builtin_memcpy(try_ops, ops, nops * sizeof(*ops));
	return shmring__sem_run(semid, try_ops, nops, &nowait);
}

/*
 * Sleep until the lock ops[0] names is free, without taking it: its P and
 * a V in one semop, which changes nothing and so is no hand-off; the
 * caller's other operations go with it, so their IPC_NOWAIT verdict comes
 * back as -EAGAIN. A queued P would be handed the lock by the kernel at the
 * holder's V, even when its process is not running, and every other
 * process then waits for that one to be scheduled (a lock convoy, the
 * worse the busier the host). Woken, the caller competes for the lock
 * with whoever runs.
 */
static int lock_wait_free(int semid, const struct sembuf *ops, unsigned nops,
			  const struct deadline *dl)
{
	struct sembuf wait_ops[SEM_COUNT];
	wait_ops[0] = (struct sembuf){ops[0].sem_num, -1, 0};
	wait_ops[1] = (struct sembuf){ops[0].sem_num, 1, 0};
	__builtin_memcpy(wait_ops + 2, ops + 1, (nops - 1) * sizeof(*ops));
	return shmring__sem_run(semid, wait_ops, nops + 1, dl);
}

int shmring__lock_side(int semid, struct sembuf *ops, unsigned nops, uint32_t *busy,
	      struct spin_budget *budget, const struct deadline *dl)
{
	int rc = lock_try(semid, ops, nops);
	if (rc == -EAGAIN && dl->kind != DEADLINE_NOWAIT) {
		struct spin s;
		spin_begin(&s, budget, dl);
		bool slept = false;
		for (int tries = 1; rc == -EAGAIN; tries++) {
			/* A hint still set when the budget is spent: its holder
			 * is off-CPU (or dead, and the kernel has released its
			 * lock). A hint that keeps clearing while the attempts
			 * fail: others take the lock first, or one of the
			 * caller's other operations fails. Either way, the
			 * kernel decides. */
			if (slept || tries > LOCK_TRIES || !lock_spin(busy, &s)) {
				slept = true;
				rc = lock_wait_free(semid, ops, nops, dl);
				if (rc < 0)
					break;
			}
			rc = lock_try(semid, ops, nops);
		}
		spin_end(&s, !slept);
	}
	if (rc == 0)
		shm_store_relaxed(busy, LOCK_HINT_HELD); /* relaxed: a hint orders nothing */
	return rc;
}

void shmring__lock_hint_clear(uint32_t *busy)
{
	shm_store_relaxed(busy, 0);
}

void shmring__wake_reader(struct shmring *r)
{
	wake(r, &r->hdr->cons_wait, SEM_DATA, UINT64_MAX);
}

void shmring__wake_writer(struct shmring *r)
{
	wake(r, &r->hdr->prod_wait, SEM_SPACE, UINT64_MAX);
}

void shmring__wake_writer_for_room(struct shmring *r, uint64_t free)
{
	wake(r, &r->hdr->prod_wait, SEM_SPACE, free);
}

static bool data_ready(struct shmring *r)
{
	return shm_load_seq(&r->hdr->prod.index) != r->head;
}

static bool space_ready(struct shmring *r, uint64_t need)
{
	uint64_t head = shm_load_seq(&r->hdr->cons.index);
	/* A corrupt head shows as "ready": the caller's validation reports it. */
	return r->capacity - (r->tail - head) >= need || r->tail - head > r->capacity;
}

/*
 * Sleep for a token on @wake (the flag is announced), and while the peers
 * this handle expects hold the role @count: -EAGAIN when every one of
 * them is gone, at once or while asleep. Folding that check into the
 * sleep saves a semctl() per sleep, and a peer that leaves, however it
 * leaves, wakes the sleeper through the kernel.
 */
static int sleep_on(struct shmring *r, unsigned short wake, unsigned short count, bool expected,
		    const struct deadline *dl)
{
	/* A shared handle sleeps holding its side's lock: its hint says so,
	 * and its peers stop spinning for a lock that will not come soon. */
	uint32_t *busy = NULL;
	if (handle_is_shared(r))
		busy = wake == SEM_DATA ? &r->hdr->clock_hint.busy : &r->hdr->plock_hint.busy;
	if (busy)
		shm_store_relaxed(busy, LOCK_HINT_ASLEEP);
	/* model: rsleep_wait */ /* model: wsleep_wait */
	int rc = expected ? shmring__sem_wait_token_while(r->semid, wake, count, dl)
			  : shmring__sem_wait_token(r->semid, wake, dl);
	if (busy)
		shm_store_relaxed(busy, LOCK_HINT_HELD);
	return rc;
}

/* How often a NOWAIT poll may ask the kernel whether the peers are there:
 * a poll loop must not become a semctl() loop, and a peer that died is
 * noticed a millisecond later at most. */
#define POLL_PEERS_NS 1000000

/* @gone, asked at most once per POLL_PEERS_NS while the answer is "there". */
static int gone_polled(struct shmring *r, int (*gone)(struct shmring *), int64_t *seen_ns)
{
	int64_t now = clock_now_ns();
	if (now - *seen_ns < POLL_PEERS_NS)
		return 0;
	int rc = gone(r);
	if (rc == 0)
		*seen_ns = now;
	return rc;
}

/* NOWAIT: never announced, never asleep, so no fence and no system call
 * while data or writers are there. When the writers' count says gone, a
 * second look at the ring (what the last writer published before leaving
 * is visible once its count is) tells data from end of stream. */
static int poll_for_data(struct shmring *r)
{
	if (data_ready(r))
		return 0;
	if (ring_destroyed(r))
		return -EIDRM;
	int gone = gone_polled(r, shmring__writers_gone, &r->writers_seen_ns);
	if (gone < 0)
		return gone;
	if (gone)
		return data_ready(r) ? 0 : WAIT_END_OF_STREAM;
	return -EAGAIN;
}

int shmring__poll_data_unlocked(struct shmring *r)
{
	/* Acquire both, so a head or tail moved since is no surprise. Equal:
	 * the ring was empty at that instant, which is all -EAGAIN claims. */
	if (shm_load_acquire(&r->hdr->prod.index) != shm_load_acquire(&r->hdr->cons.index))
		return 0;
	if (ring_destroyed(r))
		return -EIDRM;
	int gone = gone_polled(r, shmring__writers_gone, &r->writers_seen_ns);
	return gone == 0 ? -EAGAIN : 0; /* gone, or the kernel failed: the locked path says */
}

int shmring__poll_space_unlocked(struct shmring *r, uint64_t need)
{
	uint64_t head = shm_load_acquire(&r->hdr->cons.index);
	uint64_t used = shm_load_acquire(&r->hdr->prod.index) - head;
	if (used > r->capacity || r->capacity - used >= need)
		return 0; /* room (or nonsense the locked path reports) */
	if (ring_destroyed(r))
		return -EIDRM;
	int gone = gone_polled(r, shmring__readers_gone, &r->readers_seen_ns);
	return gone == 0 ? -EAGAIN : 0;
}

int shmring__wait_for_data(struct shmring *r, const struct deadline *dl)
{
	uint32_t *flag = &r->hdr->cons_wait.sleeping;

	if (dl->kind == DEADLINE_NOWAIT)
		return poll_for_data(r);
	/* The next record is written just before the tail moves: keep its
	 * lines coming so their transfer overlaps the tail's. */
	const uint8_t *next = r->data + r->head_off;
	const uint8_t *after = r->head_off + 64 < r->capacity ? next + 64 : next;
	struct spin s;
	spin_begin(&s, &r->data_spin, dl);
	for (unsigned i = 0;; i++) {
		__builtin_prefetch(next);
		__builtin_prefetch(after);
		if (data_ready(r)) {
			spin_end(&s, true);
			return 0;
		}
		if (!spin_on(&s, i))
			break;
	}
	spin_end(&s, false);

	for (;;) {
		struct deadline slice;
		/* model: rsleep_announce */
		const struct deadline *sleep_dl = announce(flag, dl, &slice);
		/* model: rsleep_recheck */
		if (data_ready(r))
			break;
		if (ring_destroyed(r)) {
			withdraw(flag);
			return -EIDRM;
		}
		/* model: rsleep_expect */
		int rc = sleep_on(r, SEM_DATA, SEM_WRITERS, writers_expected(r), sleep_dl);
		/* Woken to what it waited for: no drain, no second announce
		 * (a leftover token costs one spurious wake-up, later). */
		/* model: rsleep_woken */
		if (rc == 0 && data_ready(r))
			break;
		/* model: rsleep_end */
		if (rc == -EAGAIN) {
			/* Every writer is gone. Whatever the last one published
			 * before leaving is visible now: drain it first. */
			withdraw(flag);
			return data_ready(r) ? 0 : WAIT_END_OF_STREAM;
		}
		if (slice_ended(rc, sleep_dl, dl) && segment_removed(r))
			rc = -EIDRM;
		else if (rc == 0 || slice_ended(rc, sleep_dl, dl)) {
			/* model: rsleep_drain */
			shmring__sem_drain(r->semid, SEM_DATA);
			continue;
		}
		withdraw(flag);
		if (rc == -ETIMEDOUT && data_ready(r))
			return 0;
		return rc;
	}
	withdraw(flag);
	return 0;
}

/* The earlier of @a and @b, both deadlines a sleep may use. */
static const struct deadline *earlier(const struct deadline *a, const struct deadline *b)
{
	if (a->kind == DEADLINE_NOWAIT || b->kind == DEADLINE_FOREVER)
		return a;
	if (b->kind == DEADLINE_NOWAIT || a->kind == DEADLINE_FOREVER)
		return b;
	return shmring__deadline_before(a, b) ? a : b;
}

/* NOWAIT: as poll_for_data(), for room. */
static int poll_for_space(struct shmring *r, uint64_t need)
{
	int gone = gone_polled(r, shmring__readers_gone, &r->readers_seen_ns);
	if (gone != 0)
		return gone > 0 ? -EPIPE : gone;
	if (space_ready(r, need))
		return 0;
	return ring_destroyed(r) ? -EIDRM : -EAGAIN;
}

int shmring__wait_for_space(struct shmring *r, uint64_t need, const struct deadline *dl)
{
	struct layout_wait *w = &r->hdr->prod_wait;
	/* Wait for a good share of the ring rather than the one record we
	 * need: a writer that refills a full ring a record at a time pulls
	 * the readers' index line over for every record while it spins, and
	 * is woken once per record while it sleeps. */
	uint64_t plenty = r->capacity / SPACE_HYSTERESIS;
	if (plenty < need)
		plenty = need;

	if (dl->kind == DEADLINE_NOWAIT)
		return poll_for_space(r, need);
	struct spin s;
	spin_begin(&s, &r->space_spin, dl);
	for (unsigned i = 0;; i++) {
		if (space_ready(r, plenty)) {
			spin_end(&s, true);
			return 0;
		}
		if (!spin_on(&s, i))
			break;
	}
	spin_end(&s, false);
	if (space_ready(r, need))
		return 0;

	uint64_t want = plenty;
	for (;;) {
		/* The readers wake us once @want bytes are free (or they go
		 * idle): stored before the flag that makes them look at it. */
		shm_store_relaxed(&w->want, want);
		struct deadline backstop, share;
		/* model: wsleep_announce */
		const struct deadline *sleep_dl = announce(&w->sleeping, dl, &backstop);
		/* A reader that frees less and then stops for a while must not
		 * keep us waiting for more than we need: after one slice, the
		 * room there is will do. */
		if (want > need) {
			shmring__deadline_init(&share, SHARE_SLICE_MS);
			sleep_dl = earlier(sleep_dl, &share);
		}
		/* model: wsleep_recheck */
		if (space_ready(r, want))
			goto room;
		if (ring_destroyed(r)) {
			withdraw(&w->sleeping);
			return -EIDRM;
		}
		/* model: wsleep_expect */
		int rc = sleep_on(r, SEM_SPACE, SEM_READERS, shmring__readers_expected(r), sleep_dl);
		/* model: wsleep_epipe */
		if (rc == -EAGAIN) {
			withdraw(&w->sleeping);
			return -EPIPE; /* every reader is gone */
		}
		/* Woken to what it waited for: no drain, no second announce
		 * (a leftover token costs one spurious wake-up, later). */
		/* model: wsleep_woken */
		if (rc == 0 && space_ready(r, need))
			goto room;
		if (rc == -ETIMEDOUT && sleep_dl == &share && !shmring__deadline_expired(dl)) {
			if (space_ready(r, need))
				goto room;
			want = need;
			continue;
		}
		if (slice_ended(rc, sleep_dl, dl) && segment_removed(r))
			rc = -EIDRM;
		else if (rc == 0 || slice_ended(rc, sleep_dl, dl)) {
			/* model: wsleep_drain */
			shmring__sem_drain(r->semid, SEM_SPACE);
			continue;
		}
		withdraw(&w->sleeping);
		if (rc == -ETIMEDOUT && space_ready(r, need))
			return 0;
		return rc;
	}
room:
	withdraw(&w->sleeping);
	return 0;
}
