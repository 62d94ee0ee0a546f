/*
 * copy.c - our own copy for payloads over 64 bytes (issue 7).
 *
 * Why not memcpy: on AMD Zen3/Zen4 (family 25) glibc copies anything above
 * its rep_movsb_threshold with `rep movsb`, and the microcode behind it has
 * an alignment cliff: 64 KiB from a page-aligned buffer to page offset 8
 * (a payload right after the 8-byte record header) ran at 1.6 GB/s where
 * every other relative alignment ran at 30-41 GB/s, both directions. perf
 * put 53 % of the 64 KiB benchmark cell in __memmove_avx_unaligned_erms;
 * GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=4194304 took the cell
 * from 0.021 M to 0.171 M msgs/s. A library cannot ask its users for a
 * tunable, so this file never uses rep movsb: a plain vector loop has no
 * alignment-dependent microcode path, on any CPU.
 *
 * Shape of every variant (W = vector width): short copies are two or four
 * moves that overlap (no loop, no byte tail); long ones store the first W
 * bytes unaligned, advance to the next W-aligned destination address, run
 * a loop of unaligned loads and aligned stores, and finish with the last
 * 4W bytes as unaligned moves that overlap the loop's last stores. Source
 * and destination never overlap (one is the ring, one is the caller's), so
 * writing some bytes twice is harmless.
 *
 * No non-temporal stores: the ring carries at most its capacity per
 * message, and the reader reads the bytes right after they are written, so
 * keeping them in cache is the point.
 *
 * Measured with bench/shmring-copybench on AMD EPYC family 26 (Zen5, where
 * glibc has no cliff; a shared 2-core VM, so +-10 %), GB/s, min / median /
 * max over 121 source x destination page-offset pairs, warm caches:
 *           512 B        4 KiB        64 KiB       1 MiB
 *   memcpy  40/115/177   89/103/132   85/115/120   53/54/58
 *   sse2    34/77/82     62/83/86     51/67/85     45/50/52
 *   avx2    39/98/151    96/154/169   83/88/93     45/51/53
 *   avx512  34/129/190   141/155/232  82/85/89     50/52/53
 * (16 KiB: memcpy 88/140/155, avx2 106/163/173, avx512 182/214/244.)
 * Up to L1 size AVX-512 wins by 1.4x over AVX2, and both beat memcpy; at
 * 64 KiB (L2-bound) every vector loop tops out near 88 GB/s, where glibc's
 * rep movsb reaches 115 on this CPU at its best alignments (its worst pair
 * is no faster than ours), and the same microcode is the 1.6 GB/s cliff on
 * Zen3/Zen4. Tried and dropped, at 64 KiB..1 MiB: non-temporal stores
 * (33-43 GB/s), prefetchw ahead of the stores (-10 %), 2 or 8 vectors per
 * loop step instead of 4 (within noise).
 *
 * So the choice is made by measurement, once per process, on the CPU it
 * runs on (shmring__copy_calibrate()): the widest vector loop the CPU
 * has, unless the C library's memcpy is as fast at the placements a
 * record gives a payload
 * (a page-aligned user buffer to page offset 8 and back, 64 KiB). On this
 * Zen5 memcpy wins there and in the benchmark (4 KiB messages 4.6-4.8 M/s
 * against 3.6-4.4 M/s with AVX-512, 64 KiB 284-300 k/s against 248-261
 * k/s); on Zen3/Zen4 its rep movsb is 20x slower there and loses.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "copy.h"
#include "layout.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define COPY_X86 1
#endif

static void copy_memcpy(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

#ifdef COPY_X86

/* The compiler must not see the loops below as a copy idiom and turn them
 * back into a call to memcpy: an empty asm hides the pointer's value. */
#define OPAQUE(p) __asm__("" : "+r"(p))

/* 0..15 bytes as at most two overlapping scalar moves (after ring_copy). */
static inline __attribute__((always_inline)) void copy_under16(unsigned char *d,
							       const unsigned char *s, size_t n)
{
	if (n >= 8) {
		uint64_t a, b;
		__builtin_memcpy(&a, s, 8);
		__builtin_memcpy(&b, s + n - 8, 8);
		__builtin_memcpy(d, &a, 8);
		__builtin_memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		uint32_t a, b;
		__builtin_memcpy(&a, s, 4);
		__builtin_memcpy(&b, s + n - 4, 4);
		__builtin_memcpy(d, &a, 4);
		__builtin_memcpy(d + n - 4, &b, 4);
	} else if (n > 0) {
		/* 1..3: first, middle, last (the same byte when n == 1). */
		unsigned char a = s[0], b = s[n / 2], c = s[n - 1];
		d[0] = a;
		d[n / 2] = b;
		d[n - 1] = c;
	}
}

/*
 * The long path, the same for every width. Needs n > 4W. V is the vector
 * type, LOADU/STOREU/STORE its intrinsics. The head store covers the bytes
 * skipped to reach alignment; the tail covers whatever the loop left.
 */
#define COPY_LONG(...) COPY_LONG_(__VA_ARGS__)
#define COPY_LONG_(V, W, LOADU, STOREU, STORE)                                                     \
	do {                                                                                       \
		unsigned char *end = d + n;                                                        \
		const unsigned char *send = s + n;                                                 \
		STOREU((V *)(void *)d, LOADU((const V *)(const void *)s));                         \
		size_t skip = W - ((uintptr_t)d & (W - 1));                                        \
		d += skip;                                                                         \
		s += skip;                                                                         \
		n -= skip;                                                                         \
		while (n > 4 * W) {                                                                \
			V v0 = LOADU((const V *)(const void *)s);                                  \
			V v1 = LOADU((const V *)(const void *)(s + W));                            \
			V v2 = LOADU((const V *)(const void *)(s + 2 * W));                        \
			V v3 = LOADU((const V *)(const void *)(s + 3 * W));                        \
			STORE((V *)(void *)d, v0);                                                 \
			STORE((V *)(void *)(d + W), v1);                                           \
			STORE((V *)(void *)(d + 2 * W), v2);                                       \
			STORE((V *)(void *)(d + 3 * W), v3);                                       \
			d += 4 * W;                                                                \
			s += 4 * W;                                                                \
			n -= 4 * W;                                                                \
			OPAQUE(d);                                                                 \
		}                                                                                  \
		/* 0 < n <= 4W is left: the last 4W bytes, ending where the copy ends. */          \
		V t0 = LOADU((const V *)(const void *)(send - 4 * W));                             \
		V t1 = LOADU((const V *)(const void *)(send - 3 * W));                             \
		V t2 = LOADU((const V *)(const void *)(send - 2 * W));                             \
		V t3 = LOADU((const V *)(const void *)(send - 1 * W));                             \
		STOREU((V *)(void *)(end - 4 * W), t0);                                            \
		STOREU((V *)(void *)(end - 3 * W), t1);                                            \
		STOREU((V *)(void *)(end - 2 * W), t2);                                            \
		STOREU((V *)(void *)(end - 1 * W), t3);                                            \
	} while (0)

/* k <= n <= 2k as two overlapping k-byte moves; with 4, k <= n <= 4k as
 * the first two and the last two. Loads before stores, as in COPY_LONG. */
#define COPY_2(...) COPY_2_(__VA_ARGS__)
#define COPY_2_(V, W, LOADU, STOREU)                                                               \
	do {                                                                                       \
		V a = LOADU((const V *)(const void *)s);                                           \
		V b = LOADU((const V *)(const void *)(s + n - W));                                 \
		STOREU((V *)(void *)d, a);                                                         \
		STOREU((V *)(void *)(d + n - W), b);                                               \
	} while (0)
#define COPY_4(...) COPY_4_(__VA_ARGS__)
#define COPY_4_(V, W, LOADU, STOREU)                                                               \
	do {                                                                                       \
		V a = LOADU((const V *)(const void *)s);                                           \
		V b = LOADU((const V *)(const void *)(s + W));                                     \
		V c = LOADU((const V *)(const void *)(s + n - 2 * W));                             \
		V e = LOADU((const V *)(const void *)(s + n - W));                                 \
		STOREU((V *)(void *)d, a);                                                         \
		STOREU((V *)(void *)(d + W), b);                                                   \
		STOREU((V *)(void *)(d + n - 2 * W), c);                                           \
		STOREU((V *)(void *)(d + n - W), e);                                               \
	} while (0)

#define SSE_ARGS __m128i, 16, _mm_loadu_si128, _mm_storeu_si128
#define AVX_ARGS __m256i, 32, _mm256_loadu_si256, _mm256_storeu_si256
#define AVX512_ARGS __m512i, 64, _mm512_loadu_si512, _mm512_storeu_si512

/*
 * The ladder of every variant, whose widest vector is W: under 16 bytes
 * scalar moves; then, for each vector width w up to W (@STEPS, narrowest
 * first), up to 2w bytes as two w-byte moves; up to 4W as four W-byte
 * moves; longer, the loop. The body of a function (dst, src, n).
 */
#define COPY_LADDER(STEPS, WIDEST, STORE)                                                         \
	unsigned char *d = dst;                                                                    \
	const unsigned char *s = src;                                                              \
	if (n < 16)                                                                                \
		copy_under16(d, s, n);                                                             \
	STEPS else if (n <= 4 * COPY_WIDTH(WIDEST)) COPY_4(WIDEST);                                \
	else COPY_LONG(WIDEST, STORE)
#define COPY_STEP(...) COPY_STEP_(__VA_ARGS__)
#define COPY_STEP_(V, W, LOADU, STOREU) else if (n <= 2 * W) COPY_2_(V, W, LOADU, STOREU);
#define COPY_WIDTH(...) COPY_WIDTH_(__VA_ARGS__)
#define COPY_WIDTH_(V, W, LOADU, STOREU) W

/* SSE2 is part of x86-64 itself: always available. */
static void copy_sse2(void *dst, const void *src, size_t n)
{
	COPY_LADDER(COPY_STEP(SSE_ARGS), SSE_ARGS, _mm_store_si128);
}

__attribute__((target("avx2"))) static void copy_avx2(void *dst, const void *src, size_t n)
{
	COPY_LADDER(COPY_STEP(SSE_ARGS) COPY_STEP(AVX_ARGS), AVX_ARGS, _mm256_store_si256);
}

__attribute__((target("avx512f"))) static void copy_avx512(void *dst, const void *src, size_t n)
{
	COPY_LADDER(COPY_STEP(SSE_ARGS) COPY_STEP(AVX_ARGS) COPY_STEP(AVX512_ARGS), AVX512_ARGS,
		    _mm512_store_si512);
}

static shmring__copy_fn *const variants[SHMRING__COPY_NVARIANTS] = {
    [SHMRING__COPY_MEMCPY] = copy_memcpy,
    [SHMRING__COPY_SSE2] = copy_sse2,
    [SHMRING__COPY_AVX2] = copy_avx2,
    [SHMRING__COPY_AVX512] = copy_avx512,
};

/* __builtin_cpu_supports also checks that the kernel saves the registers. */
static bool cpu_has(enum shmring__copy_variant v)
{
	__builtin_cpu_init();
	switch (v) {
	case SHMRING__COPY_AVX2:
		return __builtin_cpu_supports("avx2");
	case SHMRING__COPY_AVX512:
		return __builtin_cpu_supports("avx512f");
	default:
		return true;
	}
}

/* AVX-512 only where it was measured to pay: on AMD (Zen5 above, and Zen4
 * runs 512-bit moves as two 256-bit halves at no clock penalty). Intel
 * parts may lower the clock for 512-bit work, which a 64 KiB copy cannot
 * win back; unmeasured there, so AVX2. */
static enum shmring__copy_variant widest(void)
{
	if (cpu_has(SHMRING__COPY_AVX512) && __builtin_cpu_is("amd"))
		return SHMRING__COPY_AVX512;
	return cpu_has(SHMRING__COPY_AVX2) ? SHMRING__COPY_AVX2 : SHMRING__COPY_SSE2;
}

#else /* not x86-64: the C library's memcpy is the copy */

static shmring__copy_fn *const variants[SHMRING__COPY_NVARIANTS] = {
    [SHMRING__COPY_MEMCPY] = copy_memcpy,
};

static bool cpu_has(enum shmring__copy_variant v)
{
	(void)v;
	return true;
}

static enum shmring__copy_variant widest(void)
{
	return SHMRING__COPY_MEMCPY;
}

#endif

#define CALIBRATE_BYTES (64u * 1024u)
#define CALIBRATE_RUNS 8
#define PAGE 4096u

/* The fastest of a few copies of @n bytes: the minimum is what the copy
 * costs, whatever else ran meanwhile. */
static int64_t time_copy(shmring__copy_fn *f, unsigned char *d, const unsigned char *s, size_t n)
{
	int64_t best = INT64_MAX;
	for (int i = 0; i < CALIBRATE_RUNS; i++) {
		int64_t t0 = clock_now_ns();
		f(d, s, n);
		__asm__ __volatile__("" ::"r"(d) : "memory"); /* the copy happened */
		int64_t t = clock_now_ns() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

/* The slower direction between a page-aligned buffer and page offset 8,
 * where rep movsb falls off its cliff on Zen3/Zen4. */
static int64_t worst_placement(shmring__copy_fn *f, unsigned char *buf)
{
	unsigned char *user = buf;
	unsigned char *ring = buf + CALIBRATE_BYTES + PAGE + RECORD_HEADER;
	int64_t in = time_copy(f, ring, user, CALIBRATE_BYTES);
	int64_t out = time_copy(f, user, ring, CALIBRATE_BYTES);
	return in > out ? in : out;
}

/* The widest vector loop, or @libc where it measures as fast (within
 * 10 %) at the worst placement; the vector loop when in doubt. */
enum shmring__copy_variant shmring__copy_calibrate(shmring__copy_fn *libc)
{
	enum shmring__copy_variant vec = widest();
	if (vec == SHMRING__COPY_MEMCPY)
		return vec;
	unsigned char *buf = aligned_alloc(PAGE, 2 * (CALIBRATE_BYTES + 2 * PAGE));
	if (!buf)
		return vec;
	memset(buf, 0x5a, 2 * (CALIBRATE_BYTES + 2 * PAGE));
	int64_t t_vec = worst_placement(variants[vec], buf);
	int64_t t_libc = worst_placement(libc, buf);
	free(buf);
	return t_libc * 10 <= t_vec * 11 ? SHMRING__COPY_MEMCPY : vec;
}

/* The variant for this process, measured once; racing first callers may
 * each measure, and each stores a variant that works. */
static int chosen = -1;

static enum shmring__copy_variant pick(void)
{
	int v = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
	if (v < 0) {
		v = (int)shmring__copy_calibrate(copy_memcpy);
		__atomic_store_n(&chosen, v, __ATOMIC_RELAXED);
	}
	return (enum shmring__copy_variant)v;
}

/*
 * The choice (pick()) is kept in a pointer, so a copy costs one indirect
 * call. Threads that race on the first copy may each measure and store a
 * different variant, but any value a load sees is a complete, working
 * function, so relaxed atomics are enough. A forked child inherits the
 * pointer, and runs on the same CPU.
 */
static void copy_first(void *dst, const void *src, size_t n);
static shmring__copy_fn *copy_impl = copy_first;

static void copy_first(void *dst, const void *src, size_t n)
{
	shmring__copy_fn *f = variants[pick()];
	__atomic_store_n(&copy_impl, f, __ATOMIC_RELAXED);
	f(dst, src, n);
}

void shmring__copy(void *dst, const void *src, size_t n)
{
	__atomic_load_n(&copy_impl, __ATOMIC_RELAXED)(dst, src, n);
}

shmring__copy_fn *shmring__copy_variant(enum shmring__copy_variant v)
{
	if ((unsigned)v >= SHMRING__COPY_NVARIANTS || !variants[v] || !cpu_has(v))
		return NULL;
	return variants[v];
}

const char *shmring__copy_variant_name(enum shmring__copy_variant v)
{
	static const char *const names[SHMRING__COPY_NVARIANTS] = {"memcpy", "sse2", "avx2",
								   "avx512"};
	return (unsigned)v < SHMRING__COPY_NVARIANTS ? names[v] : "?";
}

enum shmring__copy_variant shmring__copy_chosen(void)
{
	return pick();
}
