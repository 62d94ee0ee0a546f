/*
 * payload.h - what every benchmark message carries, and how the consumer
 * proves it arrived whole, once and in order.
 *
 * A message of size >= 16 bytes:
 *
 *   offset  size  field
 *   0       8     tag: producer id (bits 63..60), last flag (bit 59),
 *                 sequence number of that producer (bits 58..0)
 *   8       8     check: checksum of the body, mixed with the tag
 *   16      n-16  body: 64-bit words seed + j * K, seed derived from the
 *                 tag; a short tail takes the low bytes of the next word
 *
 * The checksum is the sum over body words of (word XOR word index), so a
 * changed, lost or moved word shows. A message of 8..15 bytes is the same
 * idea squeezed: a 32-bit tag (id 31..28, last 27, sequence 26..0), a
 * 32-bit check of the tag, then bytes derived from the tag.
 *
 * The producer writes every byte of every message, and the consumer reads
 * every byte, for every transport: filling and checking are part of the
 * measured work, the same for all, so in-place (zero-copy) transports do
 * not get a free ride and copying ones are not penalised twice.
 */
#ifndef BENCH_PAYLOAD_H
#define BENCH_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

/* Smallest message that can carry a tag and a check. */
#define PAYLOAD_MIN_SIZE 8u

/* Producer side: the next message of one producer. */
struct gen {
	size_t size;       /* bytes per message */
	unsigned id;       /* producer id, 0 .. BENCH_MAX_PRODUCERS - 1 */
	uint64_t seq;      /* sequence number of the next message */
	uint64_t count;    /* send this many; 0: send until the deadline */
	uint64_t deadline; /* CLOCK_MONOTONIC ns; set by gen_start() */
	uint64_t run_ns;   /* how long to send when count is 0 */
	unsigned every;    /* look at the clock once per this many messages */
	unsigned tick;
};

/* Consumer side: what has arrived so far, per producer. */
struct check {
	size_t size;
	unsigned producers;
	unsigned finished; /* producers whose last message arrived */
	uint64_t received;
	uint64_t next[BENCH_MAX_PRODUCERS];
	uint8_t ended[BENCH_MAX_PRODUCERS];
	char err[256];
};

void gen_init(struct gen *g, unsigned id, size_t size, uint64_t count, uint64_t run_ns);

/* Start the clock: called once the whole cell is released. */
void gen_start(struct gen *g);

void check_init(struct check *k, size_t size, unsigned producers);

/* ---------------------------------------------------------------------- */
/* The per-message work, inline: it runs once per message in every loop.  */

#define PAYLOAD_K_STEP 0x9e3779b97f4a7c15ull /* odd: consecutive words differ */
#define PAYLOAD_K_SEED 0xbf58476d1ce4e5b9ull /* odd: distinct tags, distinct seeds */
#define PAYLOAD_K_CHECK 0x94d049bb133111ebull
#define PAYLOAD_SEQ_BITS 59
#define PAYLOAD_SEQ_MASK ((UINT64_C(1) << PAYLOAD_SEQ_BITS) - 1)
#define PAYLOAD_SEQ32_BITS 27
#define PAYLOAD_SEQ32_MASK ((UINT32_C(1) << PAYLOAD_SEQ32_BITS) - 1)
/* Bodies shorter than this are done word by word, inline; longer ones by
   the vector loops of payload.c. */
#define PAYLOAD_SHORT_BODY 128

static inline uint64_t payload_load64(const unsigned char *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline void payload_store64(unsigned char *p, uint64_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

/* Internal to payload.c and this header; do not call. */
uint64_t payload__fill_long(unsigned char *p, size_t n, uint64_t seed);
uint64_t payload__sum_long(const unsigned char *p, size_t n);
uint64_t payload__fill_tail(unsigned char *p, size_t n, uint64_t x, size_t j);
uint64_t payload__sum_tail(const unsigned char *p, size_t n, size_t j);
void payload__fill_small(unsigned char *p, size_t size, unsigned id, uint64_t seq, int last);
int payload__check_slow(struct check *k, const unsigned char *p, size_t len);

/* The check word of a message under 16 bytes. */
static inline uint32_t payload_check32(uint32_t tag)
{
	return (uint32_t)(((uint64_t)tag * PAYLOAD_K_CHECK) >> 32);
}

/* Fill a short body with the words seed + j * K; return sum(word_j ^ j). */
static inline uint64_t payload_short_fill(unsigned char *p, size_t n, uint64_t x)
{
	size_t words = n / 8, j;
	uint64_t sum = 0;

	for (j = 0; j < words; j++, x += PAYLOAD_K_STEP) {
		payload_store64(p + 8 * j, x);
		sum += x ^ j;
	}
	return n % 8 ? sum + payload__fill_tail(p + 8 * j, n % 8, x, j) : sum;
}

static inline uint64_t payload_short_sum(const unsigned char *p, size_t n)
{
	size_t words = n / 8, j;
	uint64_t sum = 0;

	for (j = 0; j < words; j++)
		sum += payload_load64(p + 8 * j) ^ j;
	return n % 8 ? sum + payload__sum_tail(p + 8 * j, n % 8, j) : sum;
}

/* Write message number @seq of producer @id into @buf (@size bytes). */
static inline void payload_fill(void *buf, size_t size, unsigned id, uint64_t seq, int last)
{
	unsigned char *p = buf;
	uint64_t tag, seed, sum;

	if (size == 8) {
		uint32_t tag32 = (uint32_t)id << 28 | (uint32_t)(last != 0) << PAYLOAD_SEQ32_BITS |
				 ((uint32_t)seq & PAYLOAD_SEQ32_MASK);
		uint32_t chk = payload_check32(tag32);

		__builtin_memcpy(p, &tag32, 4);
		__builtin_memcpy(p + 4, &chk, 4);
		return;
	}
	if (size < 16) {
		payload__fill_small(p, size, id, seq, last);
		return;
	}
	tag = (uint64_t)id << 60 | (uint64_t)(last != 0) << PAYLOAD_SEQ_BITS |
	      (seq & PAYLOAD_SEQ_MASK);
	seed = (tag + 1) * PAYLOAD_K_SEED;
	sum = size - 16 < PAYLOAD_SHORT_BODY ? payload_short_fill(p + 16, size - 16, seed)
					     : payload__fill_long(p + 16, size - 16, seed);
	payload_store64(p, tag);
	payload_store64(p + 8, sum ^ tag * PAYLOAD_K_CHECK);
}

/*
 * gen_fill - write the next message into @buf.
 * Returns 1 when it is the last one this producer sends, else 0.
 */
static inline int gen_fill(struct gen *g, void *buf)
{
	int last;

	if (g->count) {
		last = g->seq + 1 >= g->count;
	} else if (++g->tick >= g->every) {
		g->tick = 0;
		last = bench_now_ns() >= g->deadline;
	} else {
		last = 0;
	}
	payload_fill(buf, g->size, g->id, g->seq, last);
	g->seq++;
	return last;
}

/*
 * check_msg - verify one received message of @len bytes.
 * Returns 0 (more to come), 1 (every producer's last message is in) or -1
 * (lost, duplicated, reordered, truncated or corrupt message: k->err says
 * which).
 */
static inline int check_msg(struct check *k, const void *msg, size_t len)
{
	const unsigned char *p = msg;
	uint64_t tag, seq, sum;
	unsigned id;
	int last;

	if (__builtin_expect(len != k->size || (len < 16 && len != 8), 0))
		return payload__check_slow(k, p, len);
	if (len == 8) {
		uint32_t tag32, chk;

		__builtin_memcpy(&tag32, p, 4);
		__builtin_memcpy(&chk, p + 4, 4);
		id = tag32 >> 28;
		if (__builtin_expect(chk != payload_check32(tag32) || id >= k->producers ||
					     k->ended[id] ||
					     (tag32 & PAYLOAD_SEQ32_MASK) !=
						     (k->next[id] & PAYLOAD_SEQ32_MASK),
				     0))
			return payload__check_slow(k, p, len);
		last = (tag32 >> PAYLOAD_SEQ32_BITS) & 1;
	} else {
		tag = payload_load64(p);
		seq = tag & PAYLOAD_SEQ_MASK;
		id = (unsigned)(tag >> 60);
		if (__builtin_expect(id >= k->producers || k->ended[id] ||
					     seq != (k->next[id] & PAYLOAD_SEQ_MASK),
				     0))
			return payload__check_slow(k, p, len);
		sum = len - 16 < PAYLOAD_SHORT_BODY ? payload_short_sum(p + 16, len - 16)
						    : payload__sum_long(p + 16, len - 16);
		if (__builtin_expect((sum ^ tag * PAYLOAD_K_CHECK) != payload_load64(p + 8), 0))
			return payload__check_slow(k, p, len);
		last = (int)((tag >> PAYLOAD_SEQ_BITS) & 1);
	}
	k->next[id]++;
	k->received++;
	if (last) {
		k->ended[id] = 1;
		k->finished++;
	}
	return k->finished == k->producers;
}

#endif /* BENCH_PAYLOAD_H */
