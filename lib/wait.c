/*
 * wait.c - the slow path, for both sides alike. Only the lock holder of a
 * side ever sleeps, on its side's wake-up semaphore, so one flag per side
 * says whether anybody sleeps:
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
 * waker post per sleep (layout.h, WAKE-UP TOKENS, says what follows for
 * tokens left over and for peers that die). The sleep itself also asks the
 * kernel for the other side's role count (sleep_on()), so the last peer
 * leaving, cleanly or killed, wakes it too; a NOWAIT call never sleeps,
 * so it announces nothing and pays no fence.
 */
#include "config.h"

#include "wait.h"

#include <errno.h>
#include <sys/shm.h>

#include "fence.h"
#include "presence.h"
#include "sem.h"
#include "spin.h"

/* A writer that waits for room waits for 1/SPACE_HYSTERESIS of the ring. */
#define SPACE_HYSTERESIS 4

/* Longest sleep when membarrier is missing (see announce()). */
#define BACKSTOP_SLICE_MS 2

/* Longest sleep at all: then the sleeper looks again for itself, so no
 * lost wake-up (a bug, a stray store to a flag by a peer with write
 * access) strands it, and it notices a segment removed by ipcrm -m,
 * which the kernel keeps while it is attached and tells nobody about. */
#define RECHECK_SLICE_MS 1000

/* Longest a sleeping writer waits for its share of the ring (@plenty in
 * shmring__wait_for()) before it takes the room there is. */
#define SHARE_SLICE_MS 2

/* Bytes side @s has to go on with when its own index is @own and the other
 * side's is @peer: data for readers, room for writers. Indexes further
 * apart than the ring count as plenty: the caller's validation reports
 * them. */
static uint64_t available(const struct shmring *r, const struct side *s, uint64_t own,
			  uint64_t peer)
{
	uint64_t used = s->consumes ? peer - own : own - peer;
	if (used > r->capacity)
		return UINT64_MAX;
	return s->consumes ? used : r->capacity - used;
}

/* Has the lock holder of @s @need bytes now? A seq-cst load: the other half
 * of the Dekker pair at the top of this file. */
static bool ready(const struct shmring *r, const struct side *s, uint64_t need)
{
	return available(r, s, s->index, shm_load_seq(&s->peer->line->index)) >= need;
}

static void withdraw(struct side *s)
{
	shm_exchange(&s->wait->sleeping, 0);
}

void shmring__wake(struct shmring *r, struct side *s, uint64_t offer)
{
	struct layout_wait *w = s->wait;
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
	if (offer < (want < r->capacity ? want : r->capacity))
		return;
	/* model: wake_exchange */
	if (shm_exchange(&w->sleeping, 0))
		/* model: wake_post */
		shmring__sem_post(r->semid, s->wake_sem);
}

/* Announce a sleep (never a NOWAIT one). Returns the deadline to sleep
 * with: @dl itself, or a slice of it when membarrier is unavailable and a
 * publisher may have missed the flag. */
static const struct deadline *announce(struct side *s, const struct deadline *dl,
				       struct deadline *slice)
{
	shm_store_seq(&s->wait->sleeping, 1);
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

/* The earlier of @a and @b, both deadlines a sleep may use. */
static const struct deadline *earlier(const struct deadline *a, const struct deadline *b)
{
	if (a->kind == DEADLINE_NOWAIT || b->kind == DEADLINE_FOREVER)
		return a;
	if (b->kind == DEADLINE_NOWAIT || a->kind == DEADLINE_FOREVER)
		return b;
	return shmring__deadline_before(a, b) ? a : b;
}

/*
 * Sleep for a token on @s's wake-up semaphore (the flag is announced), and
 * while the peers this handle expects hold their role: -EAGAIN when every
 * one of them is gone, at once or while asleep. Folding that check into the
 * sleep saves a semctl() per sleep, and a peer that leaves, however it
 * leaves, wakes the sleeper through the kernel.
 */
static int sleep_on(struct shmring *r, struct side *s, const struct deadline *dl)
{
	/* model: rsleep_expect */ /* model: wsleep_expect */
	bool expected = shmring__peers_expected(s->peer);
	/* A shared handle sleeps holding its side's lock: its hint says so,
	 * and its peers stop spinning for a lock that will not come soon. */
	bool shared = handle_is_shared(r);
	if (shared)
		shm_store_relaxed(s->lock_hint, LOCK_HINT_ASLEEP);
	/* model: rsleep_wait */ /* model: wsleep_wait */
	int rc = expected ? shmring__sem_wait_token_while(r->semid, s->wake_sem, s->peer->count_sem, dl)
			  : shmring__sem_wait_token(r->semid, s->wake_sem, dl);
	if (shared)
		shm_store_relaxed(s->lock_hint, LOCK_HINT_HELD);
	return rc;
}

/* NOWAIT with the lock held: never announced, never asleep, so no fence
 * and no system call while the ring or the peers have something. When the
 * peers' count says gone, a reader looks at the ring once more (what the
 * last writer published before leaving is visible once its count is) to
 * tell data from end of stream; a writer has no use for room nobody reads. */
static int poll_locked(struct shmring *r, struct side *s, uint64_t need)
{
	if (s->consumes && ready(r, s, need))
		return 0;
	if (ring_destroyed(r))
		return -EIDRM;
	int gone = shmring__peers_gone_polled(r, s->peer);
	if (gone < 0)
		return gone;
	if (gone)
		return s->consumes && ready(r, s, need) ? 0 : WAIT_PEERS_GONE;
	return ready(r, s, need) ? 0 : -EAGAIN;
}

int shmring__poll_unlocked(struct shmring *r, struct side *s, uint64_t need)
{
	/* Acquire both, so an index moved since is no surprise. Short: the
	 * ring was empty (full) at that instant, which is all -EAGAIN claims. */
	uint64_t own = shm_load_acquire(&s->line->index);
	if (available(r, s, own, shm_load_acquire(&s->peer->line->index)) >= need)
		return 0;
	if (ring_destroyed(r))
		return -EIDRM;
	int gone = shmring__peers_gone_polled(r, s->peer);
	return gone == 0 ? -EAGAIN : 0; /* gone, or the kernel failed: the locked path says */
}

/* Poll the ring for @plenty bytes, within @s's budget. */
static bool spin_until_ready(struct shmring *r, struct side *s, uint64_t plenty,
			     const struct deadline *dl)
{
	/* The next record is written (or freed) just before the index moves:
	 * keep its lines coming so their transfer overlaps the index's. */
	const uint8_t *next = r->data + s->off;
	const uint8_t *after = s->off + 64 < r->capacity ? next + 64 : next;
	struct spin sp;
	spin_begin(&sp, &s->ring_spin, dl);
	for (unsigned i = 0;; i++) {
		__builtin_prefetch(next);
		__builtin_prefetch(after);
		if (ready(r, s, plenty)) {
			spin_end(&sp, true);
			return true;
		}
		if (!spin_on(&sp, i))
			break;
	}
	spin_end(&sp, false);
	return false;
}

int shmring__wait_for(struct shmring *r, struct side *s, uint64_t need, const struct deadline *dl)
{
	/* A writer waits for a good share of the ring rather than the one
	 * record it needs: one that refills a full ring a record at a time
	 * pulls the readers' index line over for every record while it spins,
	 * and is woken once per record while it sleeps. */
	uint64_t plenty = need;
	if (!s->consumes && plenty < r->capacity / SPACE_HYSTERESIS)
		plenty = r->capacity / SPACE_HYSTERESIS;

	if (dl->kind == DEADLINE_NOWAIT)
		return poll_locked(r, s, need);
	if (spin_until_ready(r, s, plenty, dl) || ready(r, s, need))
		return 0;

	uint64_t want = plenty;
	for (;;) {
		/* The other side wakes us once @want bytes are there (a reader
		 * that goes idle frees the whole ring): stored before the flag
		 * that makes it look. */
		shm_store_relaxed(&s->wait->want, want);
		struct deadline backstop, share;
		/* model: rsleep_announce */ /* model: wsleep_announce */
		const struct deadline *sleep_dl = announce(s, dl, &backstop);
		/* One that frees less and then stops for a while must not keep
		 * us waiting for more than we need: after one slice, what is
		 * there will do. */
		if (want > need) {
			shmring__deadline_init(&share, SHARE_SLICE_MS);
			sleep_dl = earlier(sleep_dl, &share);
		}
		/* model: rsleep_recheck */ /* model: wsleep_recheck */
		if (ready(r, s, want))
			break;
		if (ring_destroyed(r)) {
			withdraw(s);
			return -EIDRM;
		}
		int rc = sleep_on(r, s, sleep_dl);
		/* Woken to what it waited for: no drain, no second announce
		 * (a leftover token costs one spurious wake-up, later). */
		/* model: rsleep_woken */ /* model: wsleep_woken */
		if (rc == 0 && ready(r, s, need))
			break;
		/* model: rsleep_end */ /* model: wsleep_epipe */
		if (rc == -EAGAIN) {
			/* Every peer is gone. A reader drains what the last
			 * writer published before leaving: it is visible now. */
			withdraw(s);
			return s->consumes && ready(r, s, need) ? 0 : WAIT_PEERS_GONE;
		}
		if (rc == -ETIMEDOUT && sleep_dl == &share && !shmring__deadline_expired(dl)) {
			if (ready(r, s, need))
				break;
			want = need;
			continue;
		}
		if (slice_ended(rc, sleep_dl, dl) && segment_removed(r))
			rc = -EIDRM;
		else if (rc == 0 || slice_ended(rc, sleep_dl, dl)) {
			/* model: rsleep_drain */ /* model: wsleep_drain */
			shmring__sem_drain(r->semid, s->wake_sem);
			continue;
		}
		withdraw(s);
		if (rc == -ETIMEDOUT && ready(r, s, need))
			return 0;
		return rc;
	}
	withdraw(s);
	return 0;
}
