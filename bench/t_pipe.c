/*
 * t_pipe.c - anonymous pipes and FIFOs: one write(2) per message, the
 * reader reads exactly one message's bytes per message. The pipe buffer
 * is raised to the channel's budget (F_SETPIPE_SZ, within
 * fs.pipe-max-size).
 *
 *   pipe     pipe(2) made by the parent, inherited by the children
 *   pipe-4w  the same pipe with four writer processes; only for messages
 *            up to PIPE_BUF, since longer writes may interleave
 *   fifo     mkfifo(3) in the run's private directory, opened by path
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdio.h"
#include "transport.h"

/* Channel 0 carries pings (or the stream), channel 1 carries pongs. */
struct pipe_priv {
	int fd[2][2];
	char path[2][128];
	int slot[2];
};

static unsigned fifo_counter;

static void pipe_teardown(struct chan *c)
{
	struct pipe_priv *p = c->priv;

	if (!p)
		return;
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 2; j++)
			if (p->fd[i][j] >= 0)
				close(p->fd[i][j]);
		if (p->path[i][0]) {
			unlink(p->path[i]);
			cleanup_forget(p->slot[i]);
		}
	}
	free(p);
	c->priv = NULL;
}

static struct pipe_priv *priv_new(struct chan *c)
{
	struct pipe_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	for (int i = 0; i < 2; i++) {
		p->fd[i][0] = p->fd[i][1] = -1;
		p->slot[i] = -1;
	}
	c->priv = p;
	return p;
}

static int pipe_setup(struct chan *c)
{
	struct pipe_priv *p = priv_new(c);

	if (!p)
		return -ENOMEM;
	for (int i = 0; i < 1 + c->pingpong; i++) {
		if (pipe(p->fd[i]) < 0) {
			int err = -errno;
			pipe_teardown(c);
			return chan_fail(c, err, "pipe");
		}
		fd_pipe_size(p->fd[i][1], c->budget);
	}
	return 0;
}

static int fifo_setup(struct chan *c)
{
	struct pipe_priv *p = priv_new(c);

	if (!p)
		return -ENOMEM;
	for (int i = 0; i < 1 + c->pingpong; i++) {
		snprintf(p->path[i], sizeof(p->path[i]), "%s/fifo-%u", cleanup_dir(),
			 fifo_counter++);
		if (mkfifo(p->path[i], 0600) < 0) {
			int err = -errno;
			p->path[i][0] = '\0';
			pipe_teardown(c);
			return chan_fail(c, err, "mkfifo");
		}
		p->slot[i] = cleanup_add(CLEANUP_PATH, 0, 0, p->path[i], NULL);
	}
	return 0;
}

/* Which channel this role reads and which it writes (-1: none). */
static void role_dirs(enum role role, int *in, int *out)
{
	*in = *out = -1;
	switch (role) {
	case ROLE_PRODUCER:
		*out = 0;
		break;
	case ROLE_CONSUMER:
		*in = 0;
		break;
	case ROLE_PING:
		*out = 0;
		*in = 1;
		break;
	case ROLE_PONG:
		*in = 0;
		*out = 1;
		break;
	}
}

static int pipe_open(struct chan *c, enum role role, void **epp)
{
	struct pipe_priv *p = c->priv;
	int in, out, rfd = -1, wfd = -1;

	role_dirs(role, &in, &out);
	/* Keep only our ends: a pipe whose other side is gone must say so. */
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < 2; j++) {
			int fd = p->fd[i][j];

			if (fd < 0)
				continue;
			if (i == in && j == 0)
				rfd = fd;
			else if (i == out && j == 1)
				wfd = fd;
			else
				close(fd);
		}
	}
	*epp = fd_ep_new(rfd, wfd, 0);
	return *epp ? 0 : -ENOMEM;
}

static int fifo_open(struct chan *c, enum role role, void **epp)
{
	struct pipe_priv *p = c->priv;
	int in, out, rfd = -1, wfd = -1;

	role_dirs(role, &in, &out);
	/* Both sides open channel 0 first, so the blocking opens pair up. */
	for (int i = 0; i < 2; i++) {
		int fd;

		if (i != in && i != out)
			continue;
		fd = open(p->path[i], i == in ? O_RDONLY : O_WRONLY);
		if (fd < 0) {
			int err = -errno;
			if (rfd >= 0)
				close(rfd);
			if (wfd >= 0)
				close(wfd);
			return chan_fail(c, err, "open %s", p->path[i]);
		}
		if (i == in) {
			rfd = fd;
		} else {
			wfd = fd;
			fd_pipe_size(fd, c->budget);
		}
	}
	*epp = fd_ep_new(rfd, wfd, 0);
	return *epp ? 0 : -ENOMEM;
}

static const char *pipe_4w_skip(size_t size, size_t budget, char *buf, size_t len)
{
	(void)budget;
	if (size <= PIPE_BUF)
		return NULL;
	snprintf(buf, len, "writes over PIPE_BUF (%d B) from several writers interleave", PIPE_BUF);
	return buf;
}

const struct transport transport_pipe = {
	.name = "pipe",
	.desc = "anonymous pipe, one write/read per message",
	.kind = KIND_KERNEL,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.setup = pipe_setup,
	.teardown = pipe_teardown,
	.open = pipe_open,
	.send = fd_send,
	.recv = fd_recv,
	.close = fd_close,
};

const struct transport transport_pipe_4w = {
	.name = "pipe-4w",
	.desc = "anonymous pipe, 4 writer processes -> 1 reader (sizes <= PIPE_BUF)",
	.kind = KIND_KERNEL,
	.producers = 4,
	.flags = TR_THROUGHPUT,
	.skip = pipe_4w_skip,
	.setup = pipe_setup,
	.teardown = pipe_teardown,
	.open = pipe_open,
	.send = fd_send,
	.recv = fd_recv,
	.close = fd_close,
};

const struct transport transport_fifo = {
	.name = "fifo",
	.desc = "named pipe (mkfifo), opened by path",
	.kind = KIND_KERNEL,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.setup = fifo_setup,
	.teardown = pipe_teardown,
	.open = fifo_open,
	.send = fd_send,
	.recv = fd_recv,
	.close = fd_close,
};
