/*
 * util.c - byte sizes in and out.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"

const char *bench_size_str(size_t size, char *buf, size_t len)
{
	if (size >= 1024 * 1024 && size % (1024 * 1024) == 0)
		snprintf(buf, len, "%zu MiB", size / (1024 * 1024));
	else if (size >= 1024 && size % 1024 == 0)
		snprintf(buf, len, "%zu KiB", size / 1024);
	else
		snprintf(buf, len, "%zu B", size);
	return buf;
}

int bench_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	size_t mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		mult = 1024;
	else if (*end == 'm' || *end == 'M')
		mult = 1024 * 1024;
	if (mult != 1) {
		end++;
		if (strcasecmp(end, "ib") == 0 || strcasecmp(end, "b") == 0)
			end += strlen(end);
	} else if (strcasecmp(end, "b") == 0) {
		end++;
	}
	if (*end != '\0' || v == 0 || v > (1ull << 30) / mult)
		return -EINVAL;
	*out = (size_t)v * mult;
	return 0;
}
