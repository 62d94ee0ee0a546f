/* fence.c - membarrier(2) wrappers; see fence.h. */
#include "config.h"

#include "fence.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

bool shmring__fence_register(void)
{
	/* Idempotent and cheap; done per handle because a forked child does
	 * not reliably inherit the registration. */
	return membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
}

bool shmring__fence_heavy(void)
{
	return membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0;
}
