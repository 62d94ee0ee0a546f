/*
 * sysinfo.c - cores, CPU model, kernel, memory, date.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sysinfo.h"

/* The value of the first "key : value" line of /proc/cpuinfo. */
static int cpuinfo(const char *key, char *out, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	size_t klen = strlen(key);
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, key, klen) != 0 || !colon)
			continue;
		colon++;
		while (*colon == ' ' || *colon == '\t')
			colon++;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, len, "%s", colon);
		found = 1;
	}
	fclose(f);
	return found;
}

static void first_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

void machine_facts(struct machine *m)
{
	struct utsname u;
	char mhz[32] = "";
	time_t now = time(NULL);
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);

	memset(m, 0, sizeof(*m));
	if (!cpuinfo("model name", m->cpu, sizeof(m->cpu)))
		snprintf(m->cpu, sizeof(m->cpu), "unknown CPU");
	if (cpuinfo("cpu MHz", mhz, sizeof(mhz)))
		m->mhz = (unsigned)(strtod(mhz, NULL) + 0.5);
	m->online = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release,
			 u.machine);
	if (pages > 0 && page > 0)
		m->mem_gib = (double)pages * (double)page / (1024.0 * 1024.0 * 1024.0);
	strftime(m->date, sizeof(m->date), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
	first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", m->clock,
		   sizeof(m->clock));
	first_line("/proc/loadavg", m->load, sizeof(m->load));
	/* Keep the three averages, drop the task counts. */
	for (int i = 0, fields = 0; m->load[i]; i++)
		if (m->load[i] == ' ' && ++fields == 3)
			m->load[i] = '\0';
}
