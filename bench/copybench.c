/*
 * copybench.c - shmring-copybench: the library's payload copy (lib/copy.c)
 * against the C library's memcpy, in one process, at every alignment pair
 * that matters (issue 7: glibc's rep movsb ran at 1.6 GB/s to page offset
 * 8 on Zen3/Zen4, at 30-41 GB/s everywhere else).
 *
 * For each size, each source offset x destination offset in {0, 8, ...,
 * 56, 1, 3, 4088} (offsets into page-aligned buffers) and each variant this
 * CPU runs, the best of REPS timings of about 32 MiB of copies; printed as
 * GB/s (10^9 bytes): min / median / max over the 121 pairs, and the pair
 * that was slowest. Warm caches: the ring's reader reads what was just
 * written, so that is the case to win.
 *
 * Unlike the rest of bench/ this program reaches an internal (lib/copy.h),
 * because the variants are not public API.
 *
 * Usage: shmring-copybench [SIZE...]   (default 128 512 4k 64k 1M)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "copy.h"

#define REPS 3
#define VOLUME (32u << 20)
#define MAX_PAIRS 128

static const size_t offsets[] = {0, 8, 16, 24, 32, 40, 48, 56, 1, 3, 4088};
#define NOFF (sizeof(offsets) / sizeof(offsets[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* GB/s of @fn copying @size bytes from @s to @d, best of REPS. */
static double measure(shmring__copy_fn *fn, unsigned char *d, const unsigned char *s, size_t size)
{
	size_t iters = VOLUME / size ? VOLUME / size : 1;
	double best = 0;
	fn(d, s, size); /* warm up caches and TLB */
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = bench_now_ns();
		for (size_t i = 0; i < iters; i++)
			fn(d, s, size);
		uint64_t ns = bench_now_ns() - t0;
		double gbs = (double)size * (double)iters / (double)(ns ? ns : 1);
		if (gbs > best)
			best = gbs;
	}
	return best;
}

static void run_size(size_t size)
{
	size_t len = (size + 8192 + 4095) / 4096 * 4096; /* aligned_alloc: whole pages */
	unsigned char *src = aligned_alloc(4096, len), *dst = aligned_alloc(4096, len);
	char sz[32];
	if (!src || !dst) {
		fprintf(stderr, "copybench: out of memory\n");
		exit(1);
	}
	memset(src, 0x5a, len);
	memset(dst, 0xa5, len);
	bench_size_str(size, sz, sizeof(sz));
	for (int v = 0; v < SHMRING__COPY_NVARIANTS; v++) {
		shmring__copy_fn *fn = shmring__copy_variant(v);
		double gbs[MAX_PAIRS], sorted[MAX_PAIRS];
		size_t n = 0, worst = 0;
		if (!fn)
			continue;
		for (size_t i = 0; i < NOFF; i++)
			for (size_t j = 0; j < NOFF; j++) {
				gbs[n] = measure(fn, dst + offsets[j], src + offsets[i], size);
				if (gbs[n] < gbs[worst])
					worst = n;
				n++;
			}
		memcpy(sorted, gbs, n * sizeof(gbs[0]));
		qsort(sorted, n, sizeof(sorted[0]), cmp_double);
		printf("%-8s %-7s %7.1f %7.1f %7.1f   src %4zu dst %4zu\n", sz,
		       shmring__copy_variant_name(v), sorted[0], sorted[n / 2], sorted[n - 1],
		       offsets[worst / NOFF], offsets[worst % NOFF]);
		fflush(stdout);
	}
	free(src);
	free(dst);
}

int main(int argc, char **argv)
{
	static const size_t defaults[] = {128, 512, 4096, 65536, 1u << 20};
	printf("# shmring-copybench: GB/s over %zu src x dst offsets, best of %d runs each\n",
	       NOFF * NOFF, REPS);
	printf("# shmring__copy uses: %s\n", shmring__copy_variant_name(shmring__copy_chosen()));
	printf("%-8s %-7s %7s %7s %7s   %s\n", "size", "copy", "min", "median", "max",
	       "slowest pair");
	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			size_t size;
			if (bench_parse_size(argv[i], &size) < 0 || size == 0) {
				fprintf(stderr, "copybench: bad size '%s'\n", argv[i]);
				return 2;
			}
			run_size(size);
		}
	} else {
		for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
			run_size(defaults[i]);
	}
	return 0;
}
