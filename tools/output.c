/* output.c - writing to standard output without losing bytes or errors.
 * The command ignores SIGPIPE (main.c), so a closed reader shows up here as
 * EPIPE and becomes an ordinary error with exit status 1. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

#include "tool.h"

int write_all_iov(int fd, struct iovec *iov, int count, uint64_t *done)
{
	while (count > 0) {
		ssize_t wrote = writev(fd, iov, count < IOV_MAX ? count : IOV_MAX);
		if (wrote < 0) {
			if (errno == EINTR && !tool_stopping())
				continue;
			return -errno;
		}
		*done += (uint64_t)wrote;
		/* Step over what went out: whole buffers, then part of one. */
		size_t left = (size_t)wrote;
		while (count > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			count--;
		}
		if (count > 0) {
			iov->iov_base = (char *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return 0;
}

int finish_stdout(const char *what)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return TOOL_OK;
	return report_error(what, "standard output: %s", strerror(errno ? errno : EIO));
}

int print_version(const char *what)
{
	printf("shmring %s\nlibshmring %s\n", PACKAGE_VERSION, shmring_version());
	return finish_stdout(what);
}
