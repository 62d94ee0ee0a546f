/* list.c - every shmring ring on the host: walk the kernel's segment
 * table and keep what opens as a ready ring of our layout. Each candidate
 * is opened as an admin handle (no roles, no locks, no waiting). */
#include "config.h"

#include <errno.h>
#include <sys/shm.h>

#include "close.h"
#include "handle.h"
#include "open.h"

int shmring_list(shmring_list_fn fn, void *arg)
{
	struct shm_info info;
	struct shmid_ds ds;
	if (!fn)
		return -EINVAL;
	int max_index = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&info);
	if (max_index < 0)
		return -errno;
	for (int i = 0; i <= max_index; i++) {
		int shmid = shmctl(i, SHM_STAT, &ds);
		if (shmid < 0 || ds.shm_segsz < sizeof(struct layout_header))
			continue;
		struct shmring *r;
		struct shmring_options opt = {.ready_timeout_ms = -1};
		if (shmring__open_shmid(shmid, OPEN_READONLY, &opt, NULL, &r) < 0)
			continue;
		struct shmring_stats st;
		int rc = shmring_stats(r, &st);
		shmring__handle_release(r);
		if (rc < 0)
			continue;
		rc = fn(&st, arg);
		if (rc)
			return rc;
	}
	return 0;
}
