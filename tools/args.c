/* args.c - numbers on the command line: sizes with K/M/G suffixes, counts,
 * timeouts, System V keys and permission modes. Strict: no sign, no
 * surrounding blanks, no trailing junk, and overflow is an error rather
 * than a silently wrapped value. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "tool.h"

/* Leading decimal digits of @text into *value; *end after the last one. */
static int parse_decimal(const char *text, uint64_t *value, const char **end)
{
	uint64_t v = 0;
	const char *p = text;
	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		v = v * 10 + digit;
	}
	*value = v;
	*end = p;
	return 0;
}

int parse_size(const char *text, uint64_t *bytes)
{
	uint64_t v;
	const char *end;
	int rc = parse_decimal(text, &v, &end);
	if (rc < 0)
		return rc;
	unsigned shift = 0;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1] != '\0')
		return -EINVAL;
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*bytes = v << shift;
	return 0;
}

int parse_count(const char *text, uint64_t *count)
{
	const char *end;
	int rc = parse_decimal(text, count, &end);
	if (rc == 0 && *end != '\0')
		rc = -EINVAL;
	return rc;
}

int parse_timeout(const char *text, int *ms)
{
	uint64_t v;
	int rc = parse_count(text, &v);
	if (rc < 0)
		return rc;
	if (v > INT_MAX)
		return -ERANGE;
	*ms = (int)v;
	return 0;
}

int parse_key(const char *text, int32_t *key)
{
	uint64_t v = 0;
	const char *p = text;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		p += 2;
		if (*p == '\0')
			return -EINVAL;
		for (; *p; p++) {
			unsigned digit;
			if (*p >= '0' && *p <= '9')
				digit = (unsigned)(*p - '0');
			else if (*p >= 'a' && *p <= 'f')
				digit = (unsigned)(*p - 'a' + 10);
			else if (*p >= 'A' && *p <= 'F')
				digit = (unsigned)(*p - 'A' + 10);
			else
				return -EINVAL;
			v = v * 16 + digit;
			if (v > UINT32_MAX)
				return -ERANGE;
		}
	} else {
		int rc = parse_count(text, &v);
		if (rc < 0)
			return rc;
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	/* key_t is a 32-bit int; ipcs prints it as unsigned hex, so we take it
	 * the same way and keep the bit pattern. */
	*key = (int32_t)(uint32_t)v;
	return 0;
}

int parse_mode(const char *text, unsigned int *mode)
{
	unsigned v = 0;
	const char *p = text;
	if (*p == '\0')
		return -EINVAL;
	for (; *p; p++) {
		if (*p < '0' || *p > '7')
			return -EINVAL;
		v = v * 8 + (unsigned)(*p - '0');
		if (v > 0777)
			return -ERANGE;
	}
	*mode = v;
	return 0;
}
