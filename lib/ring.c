/* ring.c - where records go and whether a record read back is sane. */
#include "config.h"

#include "ring.h"

#include <errno.h>

#include "handle.h"

int shmring__ring_check_span(uint64_t capacity, uint64_t head, uint64_t tail)
{
	if ((head | tail) % RECORD_ALIGN)
		return -EUCLEAN;
	/* Unsigned: a head past the tail wraps to a huge span and fails too. */
	if (tail - head > capacity)
		return -EUCLEAN;
	return 0;
}

unsigned shmring__ring_plan(uint64_t capacity, uint64_t offset, uint64_t free,
		   const struct iovec *msgs, unsigned n, uint64_t *bytes)
{
	uint64_t used = 0;
	unsigned i;
	for (i = 0; i < n; i++) {
		uint64_t size = layout_record_size(msgs[i].iov_len);
		uint64_t need = ring_pad_before(capacity, offset, size) + size;
		if (need > free - used)
			break;
		used += need;
		offset = ring_advance(capacity, offset, need);
	}
	*bytes = used;
	return i;
}

uint64_t shmring__ring_batch_bytes(uint64_t capacity, uint64_t offset, const struct iovec *msgs, unsigned n)
{
	uint64_t used = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t size = layout_record_size(msgs[i].iov_len);
		uint64_t need = ring_pad_before(capacity, offset, size) + size;
		used += need;
		/* A batch larger than the ring laps it: keep the offset right
		 * all the same, so the caller can compare with capacity. */
		offset = (offset + need) % capacity;
	}
	return used;
}

void shmring__ring_recover_counts(struct layout_side *side)
{
	uint64_t index = shm_load_relaxed(&side->index);
	uint64_t journal_index = shm_load_relaxed(&side->journal_index);
	uint64_t journal_count = shm_load_relaxed(&side->journal_count);
	if (journal_index == index && shm_load_relaxed(&side->count) != journal_count)
		shm_store_relaxed(&side->count, journal_count);
}

void shmring__ring_publish(struct layout_side *side, uint64_t index, uint64_t count, bool light)
{
	shm_store_relaxed(&side->journal_index, index);
	shm_store_relaxed(&side->journal_count, count);
	/* Release: the records (or the consumed slots) are complete before the
	 * index says so. Without membarrier, seq-cst as well: ordered before
	 * our load of the peer's sleep flag (the Dekker pair in wait.c). */
	if (light)
		shm_store_release(&side->index, index);
	else
		shm_store_seq(&side->index, index);
	shm_store_relaxed(&side->count, count);
}
