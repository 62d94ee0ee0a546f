/* creator.c - is the process that made an IPC object still alive, and is an
 * all-zero segment one whose creator died before its first store? */
#include "config.h"

#include "creator.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <unistd.h>

#include "page.h"

/* When process @pid started, in seconds since the epoch, or -1 if /proc
 * cannot tell. */
static int64_t process_start_time(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold anything, ")" included: fields count
	 * from the last one. starttime is field 22, the 20th after it. */
	char *p = strrchr(buf, ')');
	unsigned long long ticks = 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	long long boot = -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %lld", &boot) == 1)
			break;
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	if (boot < 0 || hz <= 0)
		return -1;
	return boot + (int64_t)(ticks / (unsigned long long)hz);
}

/* Slack between the boot time /proc gives (whole seconds, moved by clock
 * adjustments) and the kernel's IPC times. */
#define START_TIME_SLACK_S 2

bool shmring__creator_alive(pid_t pid, time_t made)
{
	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	/* A process that started after the object was made is not its
	 * creator, only a reuse of its pid. */
	int64_t started = process_start_time(pid);
	return started < 0 || started <= (int64_t)made + START_TIME_SLACK_S;
}

bool shmring__creator_unmade_segment(const void *header, const struct shmid_ds *ds)
{
	/* What our creator makes before its first store: whole pages, a
	 * header page and at least one of data, all zero; and its maker
	 * is gone. */
	uint64_t page = shmring__page_size();
	if (ds->shm_segsz % page || ds->shm_segsz < 2 * page)
		return false;
	const uint8_t *p = header;
	for (uint64_t i = 0; i < page; i++)
		if (p[i])
			return false;
	return !shmring__creator_alive(ds->shm_cpid, ds->shm_ctime);
}

