/* copy.h - the payload copy for messages over 64 bytes (copy.c says why
 * the library has its own). Internal: never installed, never exported. */
#ifndef SHMRING_COPY_H
#define SHMRING_COPY_H

#include <stddef.h>

/* Copy @n bytes from @src to @dst; the two must not overlap (memcpy's
 * contract). Any n and any alignment; chosen once per process for the CPU. */
void shmring__copy(void *dst, const void *src, size_t n);

/* For tests and bench/copybench only, don't call from the library: each
 * variant by number, so every one can be checked and measured whatever the
 * dispatcher picks. */
enum shmring__copy_variant {
	SHMRING__COPY_MEMCPY, /* the C library's memcpy, for comparison */
	SHMRING__COPY_SSE2,
	SHMRING__COPY_AVX2,
	SHMRING__COPY_AVX512,
	SHMRING__COPY_NVARIANTS
};

typedef void shmring__copy_fn(void *dst, const void *src, size_t n);

/* The variant's function, or NULL when this build or this CPU lacks it. */
shmring__copy_fn *shmring__copy_variant(enum shmring__copy_variant v);

/* "memcpy", "sse2", "avx2", "avx512". */
const char *shmring__copy_variant_name(enum shmring__copy_variant v);

/* The variant shmring__copy() uses in this process: measured on first use
 * (or first call of this), then kept. */
enum shmring__copy_variant shmring__copy_chosen(void);

/* The measurement behind the choice, with @libc standing for memcpy: the
 * widest vector loop this CPU has, or SHMRING__COPY_MEMCPY when @libc is
 * as fast where rep movsb has its cliff. For tests. */
enum shmring__copy_variant shmring__copy_calibrate(shmring__copy_fn *libc);

#endif
