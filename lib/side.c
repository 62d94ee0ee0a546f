/*
 * side.c - the writers' side and the readers' side, one piece of code for
 * both. A side is its lock, its role count and its wake-up semaphore, its
 * index line, its sleep flag and its lock hint (layout.h); what differs is
 * only which of the two indexes is ours, and whether the bytes between them
 * are room (writers) or data (readers) (struct side, handle.h).
 */
#include "config.h"

#include "side.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "crash.h"
#include "lock.h"
#include "ring.h"
#include "sem.h"
#include "wait.h"

/* Extra operations a shared handle may run with its lock's P. */
#define SIDE_LOCK_EXTRA_MAX 2

/* What each side is; the descriptors of a handle point into its header. */
static const struct side_kind {
	unsigned int role;
	bool consumes;
	unsigned short lock_sem, count_sem, wake_sem;
	size_t line, wait, lock_hint; /* offsets in struct layout_header */
	const char *crash_leave;
} kinds[2] = {
	{SHMRING_WRITER, false, SEM_WRITERS_LOCK, SEM_WRITERS, SEM_SPACE,
	 offsetof(struct layout_header, prod), offsetof(struct layout_header, prod_wait),
	 offsetof(struct layout_header, writers_hint.busy), "close.writer.between"},
	{SHMRING_READER, true, SEM_READERS_LOCK, SEM_READERS, SEM_DATA,
	 offsetof(struct layout_header, cons), offsetof(struct layout_header, cons_wait),
	 offsetof(struct layout_header, readers_hint.busy), "close.reader.between"},
};

void shmring__side_init(struct shmring *r)
{
	struct side *sides[2] = {&r->writer, &r->reader};
	uint8_t *hdr = (uint8_t *)r->hdr;
	for (unsigned i = 0; i < 2; i++) {
		const struct side_kind *k = &kinds[i];
		struct side *s = sides[i];
		s->role = k->role;
		s->consumes = k->consumes;
		s->lock_sem = k->lock_sem;
		s->count_sem = k->count_sem;
		s->wake_sem = k->wake_sem;
		s->line = (struct layout_side *)(void *)(hdr + k->line);
		s->wait = (struct layout_wait *)(void *)(hdr + k->wait);
		s->lock_hint = (uint32_t *)(void *)(hdr + k->lock_hint);
		s->crash_leave = k->crash_leave;
		s->peer = sides[1 - i];
		spin_budget_init(&s->ring_spin);
		spin_budget_init(&s->lock_spin);
	}
}

int shmring__side_refresh_peer(struct shmring *r, struct side *s)
{
	/* Acquire: the other side is done with the bytes (wrote the records,
	 * or copied them out) before it moved its index. */
	uint64_t peer = shm_load_acquire(&s->peer->line->index);
	int rc = s->consumes ? shmring__ring_check_span(r->capacity, s->index, peer)
			     : shmring__ring_check_span(r->capacity, peer, s->index);
	if (rc == 0)
		s->peer_seen = peer;
	return rc;
}

/* Right after taking the lock: finish the counter update of a holder that
 * died (ring.c), then take the side's index and count over, checked
 * against the other side's index. Returns 0 or -EUCLEAN. */
static int adopt(struct shmring *r, struct side *s)
{
	shmring__ring_recover_counts(s->line);
	s->index = shm_load_acquire(&s->line->index);
	s->off = s->index % r->capacity;
	s->count = shm_load_relaxed(&s->line->count);
	return shmring__side_refresh_peer(r, s);
}

int shmring__side_join(struct shmring *r, struct side *s, const struct deadline *lock_dl)
{
	/* model: join_role */
	int rc = shmring__sem_join_role(r->semid, s->count_sem, s->peer->wake_sem);
	if (rc < 0)
		return rc;
	/* After the count: a peer that sees joins move and then reads the
	 * count can only find 0 once this member has really left. */
	/* model: join_joins */
	__atomic_fetch_add(&s->line->joins, 1, __ATOMIC_RELEASE);
	r->flags |= s->role;
	if (!(r->flags & SHMRING_EXCLUSIVE))
		return 0;
	/* model: lock_excl */
	rc = shmring__sem_lock(r->semid, s->lock_sem, lock_dl);
	if (rc < 0)
		return rc == -ETIMEDOUT || rc == -EAGAIN ? -EBUSY : rc;
	s->lock_held = true;
	return adopt(r, s);
}

static void give_back(struct shmring *r, struct side *s)
{
	s->lock_held = false;
	if (handle_is_shared(r))
		shmring__lock_hint_clear(s->lock_hint);
	/* model: unlock_shared */
	shmring__sem_unlock(r->semid, s->lock_sem);
}

int shmring__side_lock(struct shmring *r, struct side *s, const struct sembuf *extra,
		       unsigned nextra, const struct deadline *dl)
{
	struct sembuf ops[1 + SIDE_LOCK_EXTRA_MAX] = {{s->lock_sem, -1, SEM_UNDO}};
	if (nextra > SIDE_LOCK_EXTRA_MAX)
		return -EINVAL;
	if (nextra)
		memcpy(ops + 1, extra, nextra * sizeof(*extra));
	/* model: lock_shared */
	int rc = shmring__lock_side(r->semid, ops, 1 + nextra, s->lock_hint, &s->lock_spin, dl);
	if (rc < 0)
		return rc;
	s->lock_held = true;
	rc = adopt(r, s);
	if (rc < 0)
		give_back(r, s);
	return rc;
}

void shmring__side_unlock(struct shmring *r, struct side *s)
{
	if (handle_is_shared(r) && s->lock_held)
		give_back(r, s);
}

void shmring__side_publish(struct shmring *r, struct side *s, uint64_t bytes, unsigned messages,
			   uint64_t offer)
{
	if (bytes == 0)
		return;
	s->count += messages;
	s->index += bytes;
	s->off = ring_advance(r->capacity, s->off, bytes);
	/* model: publish_index */ /* model: consume_index */
	shmring__ring_publish(s->line, s->index, s->count, r->light_fence);
	/* model: publish_wake */ /* model: consume_wake */
	shmring__wake(r, s->peer, offer);
}

int shmring__side_leave(struct shmring *r, struct side *s)
{
	/* Wake the other side's sleeper first, then leave: killed in between,
	 * we still owe the kernel's token (and the count still falls), so the
	 * sleeper, woken or not, hears of it. Leaving first cancels that
	 * token, and a kill before the wake would strand a sleeper that does
	 * not wait on our count. */
	/* model: close_wake */
	shmring__wake(r, s->peer, UINT64_MAX); /* it may be waiting to see us go */
	CRASH_POINT(s->crash_leave);
	/* model: close_leave */
	return shmring__sem_leave_role(r->semid, s->count_sem, s->peer->wake_sem);
}

int shmring__side_check(const struct shmring *r, const struct side *s, bool busy)
{
	if (!(r->flags & s->role) || !handle_is_ours(r))
		return -EBADF;
	if (busy)
		return -EBUSY;
	if (ring_destroyed(r))
		return -EIDRM;
	return 0;
}

void shmring__side_release_lock(struct shmring *r, struct side *s)
{
	if (s->lock_held)
		give_back(r, s);
}
