/*
 * fdio.c - message framing over file descriptors (see fdio.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdio.h"

struct fd_ep *fd_ep_new(int rfd, int wfd, int packet)
{
	struct fd_ep *ep = malloc(sizeof(*ep));

	if (!ep)
		return NULL;
	ep->rfd = rfd;
	ep->wfd = wfd;
	ep->packet = packet;
	return ep;
}

int fd_send(void *epv, const void *buf, size_t len)
{
	struct fd_ep *ep = epv;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(ep->wfd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_recv(void *epv, void *buf, size_t cap)
{
	struct fd_ep *ep = epv;
	char *p = buf;
	size_t got = 0;

	while (got < cap) {
		ssize_t n = read(ep->rfd, p + got, cap - got);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		got += (size_t)n;
		if (ep->packet)
			break;
	}
	return (int)got;
}

void fd_close(void *epv)
{
	struct fd_ep *ep = epv;

	if (ep->rfd >= 0)
		close(ep->rfd);
	if (ep->wfd >= 0)
		close(ep->wfd);
	free(ep);
}

void fd_pipe_size(int fd, size_t bytes)
{
	unsigned long max = 1u << 20;

	sysctl_read("/proc/sys/fs/pipe-max-size", &max);
	if (bytes > max)
		bytes = max;
	/* The kernel rounds up to a power-of-two number of pages. */
	fcntl(fd, F_SETPIPE_SZ, (int)bytes);
}
