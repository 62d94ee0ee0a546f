/* presence.c - whether the other side is there: the kernel counts each
 * side's members (SEM_WRITERS, SEM_READERS, undone at exit), and the
 * joins counters tell members that came and went since a handle opened. */
#include "config.h"

#include "presence.h"

#include "clock.h"
#include "sem.h"

/* How often a NOWAIT poll may ask the kernel: a peer that died is noticed
 * a millisecond later at most. */
#define POLL_PEERS_NS 1000000

/* The peers of this handle's time start here. Joins first, then the
 * counts: see shmring__peers_gone(). */
int shmring__presence_open(struct shmring *r)
{
	/* model: open_snapshot */
	r->writer.joins_at_open = shm_load_acquire(&r->hdr->prod.joins);
	r->reader.joins_at_open = shm_load_acquire(&r->hdr->cons.joins);
	int writers = shmring__sem_value(r->semid, SEM_WRITERS);
	int readers = shmring__sem_value(r->semid, SEM_READERS);
	if (writers < 0 || readers < 0)
		return writers < 0 ? writers : readers;
	/* Messages waiting have writers, gone or not: a reader that opens on
	 * them sees end of stream once it has drained them. */
	r->writer.present_at_open = writers > 0 || shm_load_acquire(&r->hdr->prod.index) !=
							   shm_load_acquire(&r->hdr->cons.index);
	r->reader.present_at_open = readers > 0;
	return 0;
}

bool shmring__peers_expected(const struct side *s)
{
	return s->present_at_open || shm_load_acquire(&s->line->joins) != s->joins_at_open;
}

/* Joins first, then the count: a peer counts itself in before it bumps
 * joins, so a moved joins with a zero count means it has really left. */
int shmring__peers_gone(struct shmring *r, const struct side *s)
{
	if (!shmring__peers_expected(s))
		return 0;
	int n = shmring__sem_value(r->semid, s->count_sem);
	return n < 0 ? n : n == 0;
}

int shmring__peers_gone_polled(struct shmring *r, struct side *s)
{
	int64_t now = clock_now_ns();
	if (now - s->seen_ns < POLL_PEERS_NS)
		return 0;
	int rc = shmring__peers_gone(r, s);
	if (rc == 0)
		s->seen_ns = now;
	return rc;
}
