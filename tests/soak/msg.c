/*
 * msg.c - the soak's message: fill it, prove it whole, record that it came.
 *
 * A message is a struct msg_head (writer slot, incarnation, sequence
 * number, length, checksum) and then bytes drawn from a generator seeded by
 * (incarnation, sequence number). The checksum is a 64-bit FNV-1a of the
 * whole message with its own field taken as zero, so a changed byte, a
 * shortened or lengthened message and a header of another message all show.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "soak.h"

uint64_t soak_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: plenty for choosing what to do next. */
uint64_t soak_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t soak_below(uint64_t *state, uint64_t n)
{
	return n ? soak_rand(state) % n : 0;
}

static uint64_t fnv64(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t msg_sum(const uint8_t *buf, size_t len)
{
	static const uint8_t zero[8];
	const size_t at = offsetof(struct msg_head, sum);
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv64(h, buf, at);
	h = fnv64(h, zero, sizeof(zero));
	return fnv64(h, buf + at + 8, len - at - 8);
}

void msg_fill(uint8_t *buf, size_t len, uint32_t wid, uint32_t inc, uint32_t seq)
{
	struct msg_head h = {.wid = wid, .inc = inc, .seq = seq, .len = (uint32_t)len};
	uint64_t x = ((uint64_t)inc << 32 | seq) * 0x9e3779b97f4a7c15ull | 1;
	size_t i = MSG_MIN;

	for (; i + 8 <= len; i += 8) {
		uint64_t v = soak_rand(&x);
		memcpy(buf + i, &v, 8);
	}
	if (i < len) {
		uint64_t v = soak_rand(&x);
		memcpy(buf + i, &v, len - i);
	}
	memcpy(buf, &h, sizeof(h));
	h.sum = msg_sum(buf, len);
	memcpy(buf + offsetof(struct msg_head, sum), &h.sum, sizeof(h.sum));
}

static int corrupt(unsigned reader, const uint8_t *buf, size_t len, const char *why)
{
	uint64_t n = ADD(corrupt, 1);

	if (n < 20) {
		char hex[3 * 24 + 1] = "";
		for (size_t i = 0; i < len && i < 24; i++)
			snprintf(hex + 3 * i, 4, "%02x ", buf[i]);
		fprintf(stderr, "soak: CORRUPT: reader %u pid %d: %zu-byte message: %s [%s]\n",
			reader, (int)getpid(), len, why, hex);
	}
	return -1;
}

int msg_check(const uint8_t *buf, size_t len, unsigned reader, uint32_t *inc, uint32_t *seq)
{
	struct msg_head h;

	if (len < MSG_MIN)
		return corrupt(reader, buf, len, "shorter than any message sent");
	memcpy(&h, buf, sizeof(h));
	if (h.len != len)
		return corrupt(reader, buf, len, "length differs from the one sent");
	if (h.sum != msg_sum(buf, len))
		return corrupt(reader, buf, len, "checksum mismatch");
	if (h.wid >= S->nwriters || h.inc >= LOAD(&S->ninc) || h.seq >= SEQ_CAP ||
	    S->inc[h.inc].slot != h.wid)
		return corrupt(reader, buf, len, "header names no writer incarnation");
	*inc = h.inc;
	*seq = h.seq;
	return 0;
}

void msg_record(unsigned reader, uint32_t inc, uint32_t seq, const char *how)
{
	uint64_t bit = (uint64_t)inc * SEQ_CAP + seq;
	uint8_t mask = (uint8_t)(1u << (bit % 8));
	uint8_t old = __atomic_fetch_or(&seen_map[bit / 8], mask, __ATOMIC_RELAXED);
	uint32_t *last = &S->order[reader][inc];

	ADD(received, 1);
	if (old & mask) {
		if (ADD(duplicates, 1) < 20)
			fprintf(stderr,
				"soak: DUPLICATE: reader %u pid %d (%s): writer %u inc %" PRIu32
				" seq %" PRIu32 "\n",
				reader, (int)getpid(), how, S->inc[inc].slot, inc, seq);
	}
	/* Acquire: attempted was stored before the call that sent it. */
	if (seq >= LOAD(&S->inc[inc].attempted) && ADD(phantom, 1) < 20)
		fprintf(stderr,
			"soak: PHANTOM: reader %u (%s): inc %" PRIu32 " seq %" PRIu32
			" was never handed to a send\n",
			reader, how, inc, seq);
	if (seq + 1 <= *last) {
		if (ADD(order, 1) < 20)
			fprintf(stderr,
				"soak: ORDER: reader %u pid %d (%s): inc %" PRIu32 " seq %" PRIu32
				" after seq %" PRIu32 "\n",
				reader, (int)getpid(), how, inc, seq, *last - 1);
	} else {
		*last = seq + 1;
	}
}
