/*
 * ceiling.c - shmring-ceiling: how fast this machine can move messages from
 * one core to another through shared memory at all, with no IPC library.
 *
 * A producer process fills messages in place (the benchmark's own payload,
 * every byte written) in fixed-size slots of a shared anonymous mapping,
 * as many as the benchmark's 256 KiB per channel holds (4 at least); a
 * consumer process verifies them in place (every byte read). The two hand
 * slots over with one free-running counter each, published with release,
 * read with acquire only when the cached value says stop, and spin on them:
 * no locks, no records, no validation, no system call, nothing that
 * survives a peer's death. That is the zero-copy
 * transfer with the transport taken away, so shmring-zc can be read
 * against it: the gap between the two is all the library costs, and what
 * a kernel peer reaches next to it is what any transport can gain.
 *
 * Usage: shmring-ceiling [SIZE [SECONDS]]   (default 64k, 1 s)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "payload.h"

#define BUDGET (256u << 10) /* as shmring-bench's default --budget */
#define MIN_SLOTS 4u
#define CACHE_PAIR 128u

struct counters {
	uint64_t filled; /* producer: slots filled so far */
	uint8_t pad[CACHE_PAIR - sizeof(uint64_t)];
	uint64_t emptied; /* consumer: slots verified so far */
};

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static int consume(struct counters *c, unsigned char *slots, size_t size, uint64_t nslots)
{
	struct check k;
	uint64_t filled = 0;
	check_init(&k, size, 1);
	for (uint64_t i = 0;; i++) {
		while (filled == i) {
			filled = __atomic_load_n(&c->filled, __ATOMIC_ACQUIRE);
			if (filled == i)
				relax();
		}
		int rc = check_msg(&k, slots + (i % nslots) * size, size);
		__atomic_store_n(&c->emptied, i + 1, __ATOMIC_RELEASE);
		if (rc < 0) {
			fprintf(stderr, "shmring-ceiling: VERIFICATION FAILED: %s\n", k.err);
			return 1;
		}
		if (rc == 1)
			return 0;
	}
}

int main(int argc, char **argv)
{
	size_t size = 64u << 10;
	double seconds = argc > 2 ? atof(argv[2]) : 1.0;
	if ((argc > 1 && bench_parse_size(argv[1], &size) < 0) || size < PAYLOAD_MIN_SIZE ||
	    size > (256u << 20) || seconds <= 0) {
		fprintf(stderr, "Usage: shmring-ceiling [SIZE [SECONDS]]\n");
		return 2;
	}
	uint64_t nslots = BUDGET / size < MIN_SLOTS ? MIN_SLOTS : BUDGET / size;
	size_t bytes = CACHE_PAIR * 2 + nslots * size;
	void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		perror("shmring-ceiling: mmap");
		return 1;
	}
	struct counters *c = map;
	unsigned char *slots = (unsigned char *)map + CACHE_PAIR * 2;

	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("shmring-ceiling: fork");
		return 1;
	}
	if (pid == 0)
		_exit(consume(c, slots, size, nslots));

	struct gen g;
	gen_init(&g, 0, size, 0, (uint64_t)(seconds * 1e9));
	gen_start(&g);
	uint64_t start = bench_now_ns(), emptied = 0;
	for (uint64_t i = 0;; i++) {
		while (i - emptied >= nslots) {
			emptied = __atomic_load_n(&c->emptied, __ATOMIC_ACQUIRE);
			if (i - emptied >= nslots)
				relax();
		}
		int last = gen_fill(&g, slots + (i % nslots) * size);
		__atomic_store_n(&c->filled, i + 1, __ATOMIC_RELEASE);
		if (last)
			break;
	}
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	double elapsed = (double)(bench_now_ns() - start) / 1e9;
	char sz[32];
	printf("ceiling %s: %.3f M msgs/s, %.1f MB/s (%llu messages in %.3f s, %llu slots)\n",
	       bench_size_str(size, sz, sizeof(sz)), (double)g.seq / elapsed / 1e6,
	       (double)g.seq * (double)size / elapsed / 1e6, (unsigned long long)g.seq, elapsed,
	       (unsigned long long)nslots);
	munmap(map, bytes);
	return 0;
}
