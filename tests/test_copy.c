/*
 * The payload copy (lib/copy.c): every variant this CPU runs, called
 * directly, not only the one the dispatcher picks, moves exactly n bytes
 * at every length and alignment the ring can hand it.
 *
 * Coverage. Every (source, destination) page offset pair in 0..63 times
 * every length 0..70,000 is ~10 TB of copying, so instead:
 *   - all 64 x 64 pairs of page offsets 0..63, each at every length
 *     0..640 (all the short cases and, for every width, the head, one or
 *     two loop blocks and every tail remainder) and at the edge lengths
 *     2^k - 1, 2^k, 2^k + 1 up to 65536, 4095..4097, 69999 and 70000;
 *   - every length 0..70,000, each at two pairs: length L runs at source
 *     offset L % 64 and destination offset (L / 64 + L / 4096) % 64, and
 *     with the two swapped, so each of the 4096 pairs gets two lengths out
 *     of every 4096;
 *   - page offsets {0, 8, 4088..4095} on both sides (copies that cross a
 *     page, the record-header case of issue 7) against every length within
 *     16 of 4096, 8192 and 65536.
 * The variants share one shape whose branches depend only on n and on the
 * destination address modulo the vector width, and the widest width is 64:
 * so the first part reaches every branch at every alignment, and the other
 * two add long copies, page crossings and loop counts.
 *
 * Each check: source byte j is a hash of j, so a chunk copied from the
 * wrong place, twice, or swapped shows; the destination starts as the
 * complement of what belongs there, GUARD bytes either side included, so
 * every byte the copy misses shows, and so does every byte it writes
 * before or after; the source must be unchanged, GUARD either side too.
 * Checks use memcmp and fail only on a mismatch, to stay fast under ASan.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "copy.h"

#define PAGE 4096u
#define GUARD 256u /* more than the widest variant's loop block */
#define MAX_LEN 70000u
/* A guard page, the page offset, the copy, the guard after, slack; whole
 * pages, as aligned_alloc wants a multiple of the alignment. */
#define BUF_LEN ((PAGE + PAGE + MAX_LEN + PAGE + PAGE - 1) / PAGE * PAGE)

TestSuite(copy);

static unsigned char *src_buf;	/* byte j = hash(j) */
static unsigned char *pristine; /* the same, never passed to a copy */
static unsigned char *not_src;	/* byte j = ~hash(j): the poison */
static unsigned char *dst_buf;

static unsigned char hash(size_t j)
{
	uint32_t x = (uint32_t)j * 0x9e3779b1u;
	x ^= x >> 15;
	x *= 0x85ebca77u;
	x ^= x >> 13;
	return (unsigned char)(x >> 24);
}

static void buffers_setup(void)
{
	src_buf = aligned_alloc(PAGE, BUF_LEN);
	pristine = aligned_alloc(PAGE, BUF_LEN);
	not_src = aligned_alloc(PAGE, BUF_LEN);
	dst_buf = aligned_alloc(PAGE, BUF_LEN);
	cr_assert(src_buf && pristine && not_src && dst_buf);
	for (size_t j = 0; j < BUF_LEN; j++) {
		src_buf[j] = pristine[j] = hash(j);
		not_src[j] = (unsigned char)~hash(j);
	}
}

static void buffers_teardown(void)
{
	free(src_buf);
	free(pristine);
	free(not_src);
	free(dst_buf);
}

static size_t first_difference(const unsigned char *a, const unsigned char *b, size_t n)
{
	size_t i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Copy @n bytes from page offset @so to page offset @dof with @fn and check
 * everything the file comment lists; fails the test with the case. */
static void check(shmring__copy_fn *fn, const char *name, size_t so, size_t dof, size_t n)
{
	unsigned char *src = src_buf + PAGE + so, *dst = dst_buf + PAGE + dof;
	const unsigned char *want = src_buf + PAGE + so, *poison = not_src + PAGE + so;
	const unsigned char *orig = pristine + PAGE + so;

	memcpy(dst - GUARD, poison - GUARD, n + 2 * GUARD);
	fn(dst, src, n);

	if (memcmp(dst - GUARD, poison - GUARD, GUARD) != 0)
		cr_assert_fail(
		    "%s: src offset %zu dst offset %zu n %zu: wrote %zu bytes before dst", name, so,
		    dof, n, GUARD - first_difference(dst - GUARD, poison - GUARD, GUARD));
	if (memcmp(dst, want, n) != 0)
		cr_assert_fail("%s: src offset %zu dst offset %zu n %zu: byte %zu wrong", name, so,
			       dof, n, first_difference(dst, want, n));
	if (memcmp(dst + n, poison + n, GUARD) != 0)
		cr_assert_fail("%s: src offset %zu dst offset %zu n %zu: wrote byte n + %zu", name,
			       so, dof, n, first_difference(dst + n, poison + n, GUARD));
	if (memcmp(src - GUARD, orig - GUARD, n + 2 * GUARD) != 0)
		cr_assert_fail("%s: src offset %zu dst offset %zu n %zu: source changed at %zd",
			       name, so, dof, n,
			       (ssize_t)first_difference(src - GUARD, orig - GUARD, n + 2 * GUARD) -
				   (ssize_t)GUARD);
}

/* The variant under test, or the test is skipped on this CPU/build. */
static shmring__copy_fn *variant(enum shmring__copy_variant v)
{
	shmring__copy_fn *fn = shmring__copy_variant(v);
	if (!fn)
		cr_skip_test("%s: not on this CPU or build", shmring__copy_variant_name(v));
	return fn;
}

static size_t edge_lengths(size_t *out)
{
	size_t n = 0;
	for (size_t p = 1024; p <= 65536; p *= 2) { /* below 1024: all lengths anyway */
		out[n++] = p - 1;
		out[n++] = p;
		out[n++] = p + 1;
	}
	out[n++] = 4095; /* (again: cheap, and named by the issue) */
	out[n++] = 4096;
	out[n++] = 4097;
	out[n++] = 69999;
	out[n++] = 70000;
	return n;
}

ParameterizedTestParameters(copy, every_alignment_pair_every_short_and_edge_length)
{
	static enum shmring__copy_variant v[] = {SHMRING__COPY_SSE2, SHMRING__COPY_AVX2,
						 SHMRING__COPY_AVX512};
	return cr_make_param_array(enum shmring__copy_variant, v, sizeof(v) / sizeof(v[0]));
}

ParameterizedTest(enum shmring__copy_variant *v, copy,
		  every_alignment_pair_every_short_and_edge_length, .init = buffers_setup,
		  .fini = buffers_teardown)
{
	shmring__copy_fn *fn = variant(*v);
	const char *name = shmring__copy_variant_name(*v);
	size_t edges[32], nedges = edge_lengths(edges);

	for (size_t so = 0; so < 64; so++)
		for (size_t dof = 0; dof < 64; dof++) {
			for (size_t n = 0; n <= 640; n++)
				check(fn, name, so, dof, n);
			for (size_t i = 0; i < nedges; i++)
				check(fn, name, so, dof, edges[i]);
		}
}

ParameterizedTestParameters(copy, every_length_to_70000_at_rotating_alignment_pairs)
{
	static enum shmring__copy_variant v[] = {SHMRING__COPY_SSE2, SHMRING__COPY_AVX2,
						 SHMRING__COPY_AVX512};
	return cr_make_param_array(enum shmring__copy_variant, v, sizeof(v) / sizeof(v[0]));
}

ParameterizedTest(enum shmring__copy_variant *v, copy,
		  every_length_to_70000_at_rotating_alignment_pairs, .init = buffers_setup,
		  .fini = buffers_teardown)
{
	shmring__copy_fn *fn = variant(*v);
	const char *name = shmring__copy_variant_name(*v);

	for (size_t n = 0; n <= MAX_LEN; n++) {
		check(fn, name, n % 64, (n / 64 + n / PAGE) % 64, n);
		check(fn, name, (n / 64 + n / PAGE) % 64, n % 64, n);
	}
}

/* Page offsets {0, 8, 4088..4095} on both sides, lengths within 16 of
 * 4096, 8192 and 65536: shared by the variants and the dispatcher. */
static void page_crossings(shmring__copy_fn *fn, const char *name)
{
	static const size_t offs[] = {0, 8, 4088, 4089, 4090, 4091, 4092, 4093, 4094, 4095};
	static const size_t around[] = {4096, 8192, 65536};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (size_t j = 0; j < sizeof(offs) / sizeof(offs[0]); j++)
			for (size_t a = 0; a < sizeof(around) / sizeof(around[0]); a++)
				for (size_t n = around[a] - 16; n <= around[a] + 16; n++)
					check(fn, name, offs[i], offs[j], n);
}

ParameterizedTestParameters(copy, page_crossing_offsets_around_page_sizes)
{
	static enum shmring__copy_variant v[] = {SHMRING__COPY_SSE2, SHMRING__COPY_AVX2,
						 SHMRING__COPY_AVX512};
	return cr_make_param_array(enum shmring__copy_variant, v, sizeof(v) / sizeof(v[0]));
}

ParameterizedTest(enum shmring__copy_variant *v, copy, page_crossing_offsets_around_page_sizes,
		  .init = buffers_setup, .fini = buffers_teardown)
{
	page_crossings(variant(*v), shmring__copy_variant_name(*v));
}

Test(copy, dispatcher_picks_memcpy_or_the_widest_loop_once_and_copies_with_it, .init = buffers_setup,
     .fini = buffers_teardown)
{
	enum shmring__copy_variant chosen = shmring__copy_chosen();
	cr_assert_not_null(shmring__copy_variant(chosen), "chose %s",
			   shmring__copy_variant_name(chosen));
#if defined(__x86_64__)
	/* memcpy only where it measured as fast at the cliff's placements
	 * (lib/copy.c, calibrate()); otherwise the widest loop there is. */
	if (chosen != SHMRING__COPY_MEMCPY && __builtin_cpu_supports("avx2"))
		cr_assert_neq(chosen, SHMRING__COPY_SSE2, "AVX2 present but SSE2 chosen");
	cr_assert_eq(shmring__copy_chosen(), chosen, "measured once, kept");
#endif
	page_crossings(shmring__copy, "shmring__copy");
	for (size_t n = 0; n <= 640; n++)
		check(shmring__copy, "shmring__copy", n % 64, (n * 7) % 64, n);
}

/* A memcpy that falls off a cliff: one byte at a time, as slow as the
 * rep movsb this library avoids on Zen3/Zen4 (1.6 GB/s). */
static void cliff_copy(void *dst, const void *src, size_t n)
{
	volatile unsigned char *d = dst;
	const volatile unsigned char *s = src;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

Test(copy, a_memcpy_with_a_cliff_is_never_chosen)
{
	enum shmring__copy_variant v = shmring__copy_calibrate(cliff_copy);
#if defined(__x86_64__)
	cr_assert_neq(v, SHMRING__COPY_MEMCPY, "chose a copy 10x slower than its own loop");
#endif
	cr_assert_not_null(shmring__copy_variant(v));
}
