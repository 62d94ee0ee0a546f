/* error.c - one table gives every code its text, so the messages of the
 * library and of its tools can never disagree. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shmring.h"

static const struct {
	int code;
	const char *text;
} error_table[] = {
	{0, "success"},
	{EEXIST, "ring already exists"},
	{ENOENT, "no such ring"},
	{EMSGSIZE, "message size out of range (empty, or larger than the ring's maximum)"},
	{ENOBUFS, "buffer too small for the next message"},
	{EAGAIN, "operation would block"},
	{ETIMEDOUT, "timed out"},
	{EPIPE, "no reader left on the ring"},
	{EIDRM, "ring was removed"},
	{EUCLEAN, "ring is corrupt (shared memory failed validation)"},
	{EMEDIUMTYPE, "not a shmring ring (foreign shared-memory segment)"},
	{EPROTONOSUPPORT, "ring uses an unsupported layout version"},
	{ENOTUNIQ, "key collision: the ring belongs to another anchor file"},
	{ESTALE, "stale ring: half created, or one of its System V objects is gone"},
	{EBUSY, "ring or ring side is busy"},
	{EBADF, "handle was not opened for this role, or by this process (fork)"},
	{EUSERS, "too many handles of that role (32767, the kernel's semaphore limit)"},
	{EINVAL, "invalid argument"},
	{EACCES, "permission denied"},
	{EPERM, "operation not permitted"},
	{ENOMEM, "out of memory or over a shared-memory limit"},
	{ENOSPC, "system limit on System V objects reached"},
	{EFBIG, "segment size over the system limit (shmmax)"},
	{ENAMETOOLONG, "path too long"},
	{ENOTDIR, "a path component is not a directory"},
	{ELOOP, "too many symbolic links in path"},
	{EROFS, "read-only file system"},
	{EINTR, "interrupted"},
};

const char *shmring_strerror(int err)
{
	int code = abs(err);
	for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
		if (error_table[i].code == code)
			return error_table[i].text;
#ifdef HAVE_STRERRORDESC_NP
	/* Other errno values pass through from the system (open(2) of an
	 * anchor, say); this one is thread-safe and static, unlike strerror. */
	const char *text = strerrordesc_np(code);
	if (text)
		return text;
#endif
	return "unknown error";
}

const char *shmring_version(void)
{
	return SHMRING_VERSION_STRING;
}
