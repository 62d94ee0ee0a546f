/* page.h - the page size segments are made of. */
#ifndef SHMRING_PAGE_H
#define SHMRING_PAGE_H

#include <stdint.h>
#include <unistd.h>

static inline uint64_t shmring__page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (uint64_t)p : 4096;
}

#endif
