/*
 * payload.c - the parts of filling and verifying messages that are not on
 * the inline fast path (format in payload.h): long bodies, short tails,
 * messages under 16 bytes, and the diagnosis of a message that failed.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "payload.h"

#define SEQ32_BITS PAYLOAD_SEQ32_BITS
#define SEQ32_MASK PAYLOAD_SEQ32_MASK

/* splitmix64's finaliser: every input bit moves every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t payload__fill_tail(unsigned char *p, size_t n, uint64_t x, size_t j)
{
	uint64_t v = 0;

	memcpy(p, &x, n);
	memcpy(&v, p, n);
	return v ^ j;
}

uint64_t payload__sum_tail(const unsigned char *p, size_t n, size_t j)
{
	uint64_t v = 0;

	memcpy(&v, p, n);
	return v ^ j;
}

/*
 * Long bodies run at memory speed, so that checking costs every transport
 * about what one more copy would: four words per vector, compiled for AVX2
 * where the CPU has it (target_clones picks at load time), for SSE2
 * otherwise. Vectors are moved with memcpy: messages are only 8-byte
 * aligned.
 */
typedef uint64_t v4u64 __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BODY_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define BODY_CLONES
#endif

BODY_CLONES
uint64_t payload__fill_long(unsigned char *p, size_t n, uint64_t seed)
{
	const uint64_t k = PAYLOAD_K_STEP;
	const v4u64 step = {4 * k, 4 * k, 4 * k, 4 * k};
	const v4u64 four = {4, 4, 4, 4};
	v4u64 w = {seed, seed + k, seed + 2 * k, seed + 3 * k};
	v4u64 idx = {0, 1, 2, 3}, acc = {0, 0, 0, 0};
	size_t words = n / 8, j = 0;
	uint64_t sum, x;

	for (; j + 4 <= words; j += 4) {
		memcpy(p + 8 * j, &w, sizeof(w));
		acc += w ^ idx;
		w += step;
		idx += four;
	}
	sum = acc[0] + acc[1] + acc[2] + acc[3];
	for (x = w[0]; j < words; j++, x += k) {
		payload_store64(p + 8 * j, x);
		sum += x ^ j;
	}
	return n % 8 ? sum + payload__fill_tail(p + 8 * j, n % 8, x, j) : sum;
}

BODY_CLONES
uint64_t payload__sum_long(const unsigned char *p, size_t n)
{
	const v4u64 four = {4, 4, 4, 4};
	v4u64 idx = {0, 1, 2, 3}, acc = {0, 0, 0, 0}, w;
	size_t words = n / 8, j = 0;
	uint64_t sum;

	for (; j + 4 <= words; j += 4) {
		memcpy(&w, p + 8 * j, sizeof(w));
		acc += w ^ idx;
		idx += four;
	}
	sum = acc[0] + acc[1] + acc[2] + acc[3];
	for (; j < words; j++)
		sum += payload_load64(p + 8 * j) ^ j;
	return n % 8 ? sum + payload__sum_tail(p + 8 * j, n % 8, j) : sum;
}


void payload__fill_small(unsigned char *p, size_t size, unsigned id, uint64_t seq, int last)
{
	uint32_t tag = (uint32_t)id << 28 | (uint32_t)(last != 0) << SEQ32_BITS |
		       ((uint32_t)seq & SEQ32_MASK);
	uint32_t chk = payload_check32(tag);

	memcpy(p, &tag, 4);
	memcpy(p + 4, &chk, 4);
	if (size > 8) {
		uint64_t extra = mix64((uint64_t)tag + 1);

		memcpy(p + 8, &extra, size - 8);
	}
}

void gen_init(struct gen *g, unsigned id, size_t size, uint64_t count, uint64_t run_ns)
{
	memset(g, 0, sizeof(*g));
	g->id = id;
	g->size = size;
	g->count = count;
	g->run_ns = run_ns;
	/* Reading the clock costs ~20 ns: amortise it over small messages. */
	g->every = size >= 4096 ? 1 : size >= 512 ? 8 : 64;
}

void gen_start(struct gen *g)
{
	g->deadline = bench_now_ns() + g->run_ns;
}

void check_init(struct check *k, size_t size, unsigned producers)
{
	memset(k, 0, sizeof(*k));
	k->size = size;
	k->producers = producers;
}

/* ---------------------------------------------------------------------- */
/* The slow path: small messages, and saying what is wrong                */

static int fail(struct check *k, const char *what, unsigned id, uint64_t seq)
{
	snprintf(k->err, sizeof(k->err), "message #%" PRIu64 " received (producer %u, seq %" PRIu64
		 "): %s", k->received, id, seq, what);
	return -1;
}

/* Is (@id, @seq) the next message we expect? Says why not if it is not. */
static int check_order(struct check *k, unsigned id, uint64_t seq, unsigned bits)
{
	uint64_t want;
	char what[96];

	if (id >= k->producers)
		return fail(k, "unknown producer id (corrupt tag)", id, seq);
	if (k->ended[id])
		return fail(k, "message after that producer's last one (duplicate?)", id, seq);
	want = k->next[id] & ((UINT64_C(1) << bits) - 1);
	if (seq == want)
		return 0;
	snprintf(what, sizeof(what), "out of order: expected seq %" PRIu64 " (%s)", want,
		 seq > want ? "messages lost" : "duplicate or reordered");
	return fail(k, what, id, seq);
}

int payload__check_slow(struct check *k, const unsigned char *p, size_t len)
{
	unsigned id;
	int last;

	if (len != k->size) {
		char what[80];

		snprintf(what, sizeof(what), "length %zu, expected %zu", len, k->size);
		return fail(k, what, 0, k->received);
	}
	if (len < 16) {
		uint32_t tag, chk, seq;

		memcpy(&tag, p, 4);
		memcpy(&chk, p + 4, 4);
		id = tag >> 28;
		last = (tag >> SEQ32_BITS) & 1;
		seq = tag & SEQ32_MASK;
		if (chk != payload_check32(tag))
			return fail(k, "corrupt header (check word mismatch)", id, seq);
		if (len > 8) {
			uint64_t extra = mix64((uint64_t)tag + 1);

			if (memcmp(p + 8, &extra, len - 8) != 0)
				return fail(k, "corrupt payload bytes", id, seq);
		}
		if (check_order(k, id, seq, SEQ32_BITS) < 0)
			return -1;
	} else {
		uint64_t tag = payload_load64(p), seq = tag & PAYLOAD_SEQ_MASK, sum;

		id = (unsigned)(tag >> 60);
		last = (int)((tag >> PAYLOAD_SEQ_BITS) & 1);
		if (check_order(k, id, seq, PAYLOAD_SEQ_BITS) < 0)
			return -1;
		sum = len - 16 < PAYLOAD_SHORT_BODY ? payload_short_sum(p + 16, len - 16)
						    : payload__sum_long(p + 16, len - 16);
		if ((sum ^ tag * PAYLOAD_K_CHECK) != payload_load64(p + 8))
			return fail(k, "checksum mismatch (corrupt body)", id, seq);
	}
	k->next[id]++;
	k->received++;
	if (last) {
		k->ended[id] = 1;
		k->finished++;
	}
	return k->finished == k->producers;
}
