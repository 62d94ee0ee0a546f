/* ring.h - record placement and validation: pure arithmetic on indexes and
 * bytes, no locking, no system calls. The rules are in layout.h. */
#ifndef SHMRING_RING_H
#define SHMRING_RING_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "copy.h"
#include "layout.h"

/* Check a (head, tail) pair read from shared memory: both aligned, and
 * 0 <= tail - head <= capacity. Returns 0 or -EUCLEAN. */
int shmring__ring_check_span(uint64_t capacity, uint64_t head, uint64_t tail);

/* Functions below take byte offsets in the data area (index % capacity):
 * handles keep them next to their indexes, so the hot path never divides. */

/* The offset @n bytes after @offset (n <= capacity). */
static inline uint64_t ring_advance(uint64_t capacity, uint64_t offset, uint64_t n)
{
	offset += n;
	return offset >= capacity ? offset - capacity : offset;
}

/* Bytes of padding a record of @size needs before it when appended at
 * @offset: 0 when it fits before the end, else the rest of the area. */
static inline uint64_t ring_pad_before(uint64_t capacity, uint64_t offset, uint64_t size)
{
	uint64_t room = capacity - offset;
	return room < size ? room : 0;
}

/* Plan the append of @msgs[0..n) at @offset with @free bytes available.
 * Returns how many messages fit (all of them, or the longest prefix), and
 * the bytes they take, padding included, in *bytes. Lengths must have been
 * checked. */
unsigned shmring__ring_plan(uint64_t capacity, uint64_t offset, uint64_t free,
		   const struct iovec *msgs, unsigned n, uint64_t *bytes);

/* Bytes the whole batch takes when appended at @offset (pads included). */
uint64_t shmring__ring_batch_bytes(uint64_t capacity, uint64_t offset, const struct iovec *msgs,
			  unsigned n);

/* Copy @n bytes, k <= n <= 2k, as a first and a last move of k bytes that
 * overlap (source and destination never do: one is the ring, one is the
 * caller's). Always inlined, so @k is a constant and each move is a single
 * fixed-size load and store. */
static inline __attribute__((always_inline)) void ring_copy_ends(unsigned char *d,
								  const unsigned char *s,
								  size_t n, size_t k)
{
	__builtin_memcpy(d, s, k);
	__builtin_memcpy(d + n - k, s + n - k, k);
}

/* Copy a payload into or out of the ring. Up to 64 bytes, most messages,
 * inline with two overlapping moves of a fixed size (no call, no length
 * dispatch); longer ones through shmring__copy(), not memcpy, whose rep
 * movsb has an alignment cliff on some CPUs (copy.c). @n comes from a
 * validated length. */
static inline void ring_copy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (n > 64)
		shmring__copy(d, s, n);
	else if (n >= 32)
		ring_copy_ends(d, s, n, 32);
	else if (n >= 16)
		ring_copy_ends(d, s, n, 16);
	else if (n >= 8)
		ring_copy_ends(d, s, n, 8);
	else if (n >= 4)
		ring_copy_ends(d, s, n, 4);
	else
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
}

/* Write a record header at @offset. */
static inline void ring_put_header(uint8_t *data, uint64_t offset, uint32_t len, uint32_t tag)
{
	struct layout_record rec = {.len = len, .tag = tag};
	__builtin_memcpy(data + offset, &rec, sizeof(rec));
}

/* A record as found by the reader, after validation. */
struct ring_record {
	uint32_t tag;    /* TAG_MSG or TAG_PAD */
	uint32_t len;    /* payload bytes (MSG) */
	uint64_t size;   /* bytes to advance head by */
	uint64_t offset; /* byte offset of the payload (MSG) */
};

/*
 * Read and validate the record at @offset, given @avail bytes known to be
 * published after it. The header is copied once; nothing else is read.
 * Returns 0 or -EUCLEAN. Inline: readers run it once per message.
 */
static inline int ring_read_record(const uint8_t *data, uint64_t capacity, uint64_t max_msg,
				   uint64_t offset, uint64_t avail, struct ring_record *out)
{
	uint64_t room = capacity - offset;
	struct layout_record rec;

	if (avail < RECORD_HEADER)
		return -EUCLEAN;
	/* One copy of the header, by one load the compiler may not repeat
	 * (records are 8-aligned); everything below looks at the copy only. */
	uint64_t raw = __atomic_load_n((const uint64_t *)(const void *)(data + offset),
				       __ATOMIC_RELAXED);
	__builtin_memcpy(&rec, &raw, sizeof(rec));

	if (rec.tag == TAG_PAD) {
		if (offset == 0 || rec.len != room || room > avail)
			return -EUCLEAN;
		*out = (struct ring_record){.tag = TAG_PAD, .size = room};
		return 0;
	}
	if (rec.tag != TAG_MSG || rec.len == 0 || rec.len > max_msg)
		return -EUCLEAN;
	uint64_t size = layout_record_size(rec.len);
	if (size > room || size > avail)
		return -EUCLEAN;
	*out = (struct ring_record){
		.tag = TAG_MSG,
		.len = rec.len,
		.size = size,
		.offset = offset + RECORD_HEADER,
	};
	return 0;
}

/* Finish the counter update of a lock holder that died between publishing
 * its index and its count (layout.h, COMMITTING). Call with the lock held. */
void shmring__ring_recover_counts(struct layout_side *side);

/* Publish a side's new index and count, crash-safely, in journal order.
 * The index store must be ordered before the load of the other side's sleep
 * flag that follows it (wait.c): by the sleeper's membarrier when @light,
 * else by making the store sequentially consistent. */
void shmring__ring_publish(struct layout_side *side, uint64_t index, uint64_t count, bool light);

#endif
