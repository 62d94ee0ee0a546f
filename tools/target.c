/* target.c - the ring a command line names: an anchor path, or a raw
 * System V key given with --key. Everything that opens, creates or removes
 * a ring goes through here so paths and keys behave alike. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "tool.h"

const char *target_name(const struct target *t)
{
	return t->path ? t->path : t->key_name;
}

void target_set_path(struct target *t, const char *path)
{
	t->path = path;
	t->key = 0;
	t->key_name[0] = '\0';
}

int target_set_key(struct target *t, const char *cmd, const char *key_text)
{
	int32_t key;
	int rc = parse_key(key_text, &key);
	if (rc < 0)
		return report_usage(cmd, "--key '%s' is not a 32-bit key such as 0x5300beef",
				    key_text);
	/* IPC_PRIVATE makes a new object on every call: it can't name a ring. */
	if (key == 0)
		return report_usage(cmd, "--key 0 (IPC_PRIVATE) cannot name a ring");
	t->path = NULL;
	t->key = key;
	snprintf(t->key_name, sizeof(t->key_name), "key 0x%08x", (unsigned)(uint32_t)key);
	return TOOL_OK;
}

int target_pick(struct target *t, const char *cmd, const char *key_text, int argc, char **argv,
		int *next)
{
	if (key_text)
		return target_set_key(t, cmd, key_text);
	if (*next >= argc)
		return report_usage(cmd, "missing RING (an anchor file path, or --key 0xHEX)");
	if (argv[*next][0] == '\0')
		return report_usage(cmd, "RING must not be an empty path");
	target_set_path(t, argv[(*next)++]);
	return TOOL_OK;
}

int target_open(const struct target *t, unsigned int flags, struct shmring **ring)
{
	if (t->path)
		return shmring_open(t->path, flags, NULL, ring);
	return shmring_open_key(t->key, flags, NULL, ring);
}

int target_create(const struct target *t, const struct shmring_options *opt, struct shmring **ring)
{
	if (t->path)
		return shmring_create(t->path, 0, opt, ring);
	return shmring_create_key(t->key, 0, opt, ring);
}

int target_remove(const struct target *t)
{
	if (t->path)
		return shmring_remove(t->path);
	return shmring_remove_key(t->key);
}
