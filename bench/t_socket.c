/*
 * t_socket.c - Unix domain sockets from socketpair(2):
 *
 *   unix-stream     SOCK_STREAM, exact-size framing on the reader side
 *   unix-seqpacket  SOCK_SEQPACKET, one message per send/recv
 *
 * Both get send and receive buffers of the channel's budget (forced past
 * net.core.wmem_max when privileged). A seqpacket message must fit in the
 * sender's buffer, which decides the largest size it can carry.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"
#include "transport.h"

struct sock_priv {
	int sv[2];
};

/* Ask for @bytes of buffering each way; returns the send buffer we got. */
static int sock_buffers(int fd, size_t bytes)
{
	int v = bytes > (1u << 30) ? 1 << 30 : (int)bytes;
	socklen_t sl = sizeof(v);

	/* The kernel doubles the value for its bookkeeping; ask for half. */
	v /= 2;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &sl) < 0)
		return -errno;
	return v;
}

static int sock_setup_type(struct chan *c, int type)
{
	struct sock_priv *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (socketpair(AF_UNIX, type, 0, p->sv) < 0) {
		int err = -errno;
		free(p);
		return chan_fail(c, err, "socketpair");
	}
	for (int i = 0; i < 2; i++) {
		int got = sock_buffers(p->sv[i], c->budget);

		if (got < 0) {
			close(p->sv[0]);
			close(p->sv[1]);
			free(p);
			return chan_fail(c, got, "socket buffers");
		}
	}
	c->priv = p;
	return 0;
}

static int stream_setup(struct chan *c)
{
	return sock_setup_type(c, SOCK_STREAM);
}

static int seqpacket_setup(struct chan *c)
{
	return sock_setup_type(c, SOCK_SEQPACKET);
}

static void sock_teardown(struct chan *c)
{
	struct sock_priv *p = c->priv;

	if (!p)
		return;
	close(p->sv[0]);
	close(p->sv[1]);
	free(p);
	c->priv = NULL;
}

/* Producer and pinger use end 0, consumer and ponger end 1. */
static int sock_open_packet(struct chan *c, enum role role, int packet, void **epp)
{
	struct sock_priv *p = c->priv;
	int mine = (role == ROLE_PRODUCER || role == ROLE_PING) ? 0 : 1;
	int fd = p->sv[mine];

	close(p->sv[!mine]);
	if (role == ROLE_PRODUCER)
		shutdown(fd, SHUT_RD);
	*epp = fd_ep_new(role == ROLE_PRODUCER ? -1 : fd, role == ROLE_CONSUMER ? -1 : fd, packet);
	if (!*epp)
		return -ENOMEM;
	/* fd_close() closes each side once: do not let it close fd twice. */
	if (role == ROLE_PING || role == ROLE_PONG)
		((struct fd_ep *)*epp)->rfd = dup(fd);
	return 0;
}

static int stream_open(struct chan *c, enum role role, void **epp)
{
	return sock_open_packet(c, role, 0, epp);
}

static int seqpacket_open(struct chan *c, enum role role, void **epp)
{
	return sock_open_packet(c, role, 1, epp);
}

/* A seqpacket message must fit in the sender's buffer in one piece. */
static const char *seqpacket_skip(size_t size, size_t budget, char *buf, size_t len)
{
	int sv[2], got;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0) {
		snprintf(buf, len, "socketpair: %s", strerror(errno));
		return buf;
	}
	got = sock_buffers(sv[0], budget);
	close(sv[0]);
	close(sv[1]);
	if (got > 0 && size + 1024 <= (size_t)got)
		return NULL;
	snprintf(buf, len, "message does not fit the socket buffer (%d B; raise "
		 "net.core.wmem_max or run as root)", got);
	return buf;
}

const struct transport transport_unix_stream = {
	.name = "unix-stream",
	.desc = "Unix stream socket pair",
	.kind = KIND_KERNEL,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.setup = stream_setup,
	.teardown = sock_teardown,
	.open = stream_open,
	.send = fd_send,
	.recv = fd_recv,
	.close = fd_close,
};

const struct transport transport_unix_seqpacket = {
	.name = "unix-seqpacket",
	.desc = "Unix seqpacket socket pair, one message per packet",
	.kind = KIND_KERNEL,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.skip = seqpacket_skip,
	.setup = seqpacket_setup,
	.teardown = sock_teardown,
	.open = seqpacket_open,
	.send = fd_send,
	.recv = fd_recv,
	.close = fd_close,
};
