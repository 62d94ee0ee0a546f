/*
 * t_zmq.c - ZeroMQ over ipc:// (a Unix socket in the run's private
 * directory): PUSH -> PULL for streaming, PAIR for ping-pong. One
 * zmq_send()/zmq_recv() per message, default high-water marks. Each child
 * makes its own context after fork(); the parent never touches ZeroMQ.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "cleanup.h"
#include "transport.h"

struct zmq_priv {
	char path[128];
	char endpoint[140];
	int slot;
};

struct zmq_ep {
	void *ctx, *sock;
	int sender_last; /* producer or ponger: sends the last message */
};

static unsigned zmq_counter;

static int zmq_setup(struct chan *c)
{
	struct zmq_priv *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	snprintf(p->path, sizeof(p->path), "%s/zmq-%u", cleanup_dir(), zmq_counter++);
	snprintf(p->endpoint, sizeof(p->endpoint), "ipc://%s", p->path);
	/* The socket file appears when the consumer binds. */
	p->slot = cleanup_add(CLEANUP_PATH, 0, 0, p->path, NULL);
	c->priv = p;
	return 0;
}

static void zmq_teardown(struct chan *c)
{
	struct zmq_priv *p = c->priv;

	if (!p)
		return;
	unlink(p->path);
	cleanup_forget(p->slot);
	free(p);
	c->priv = NULL;
}

/*
 * Connect only once the peer has bound: a connect that finds no socket
 * retries after ZMQ_RECONNECT_IVL (100 ms), which would be measured as
 * slowness, and we saw libzmq 4.3.4 lose a PUSH socket's queue on that
 * path. Waits up to 10 s.
 */
static int wait_bound(const char *path)
{
	struct timespec ms = {0, 1000000};
	struct stat st;

	for (int i = 0; i < 10000; i++) {
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return 0;
		nanosleep(&ms, NULL);
	}
	return -ETIMEDOUT;
}

static int zmq_open_role(struct chan *c, enum role role, void **epp)
{
	struct zmq_priv *p = c->priv;
	struct zmq_ep *ep = malloc(sizeof(*ep));
	int type, bind, rc;

	if (!ep)
		return -ENOMEM;
	switch (role) {
	case ROLE_PRODUCER:
		type = ZMQ_PUSH;
		bind = 0;
		break;
	case ROLE_CONSUMER:
		type = ZMQ_PULL;
		bind = 1;
		break;
	case ROLE_PING:
		type = ZMQ_PAIR;
		bind = 0;
		break;
	default:
		type = ZMQ_PAIR;
		bind = 1;
		break;
	}
	ep->sender_last = role == ROLE_PRODUCER || role == ROLE_PONG;
	if (!bind) {
		int rc0 = wait_bound(p->path);

		if (rc0 < 0) {
			free(ep);
			return chan_fail(c, rc0, "no ZeroMQ socket bound at %s", p->path);
		}
	}
	ep->ctx = zmq_ctx_new();
	ep->sock = ep->ctx ? zmq_socket(ep->ctx, type) : NULL;
	if (!ep->sock) {
		int err = -errno;
		if (ep->ctx)
			zmq_ctx_term(ep->ctx);
		free(ep);
		return chan_fail(c, err, "zmq_socket");
	}
	rc = bind ? zmq_bind(ep->sock, p->endpoint) : zmq_connect(ep->sock, p->endpoint);
	if (rc < 0) {
		int err = -zmq_errno();
		zmq_close(ep->sock);
		zmq_ctx_term(ep->ctx);
		free(ep);
		return chan_fail(c, err, "zmq_%s %s", bind ? "bind" : "connect", p->endpoint);
	}
	*epp = ep;
	return 0;
}

static int zmq_send_one(void *epv, const void *buf, size_t len)
{
	struct zmq_ep *ep = epv;

	while (zmq_send(ep->sock, buf, len, 0) < 0)
		if (zmq_errno() != EINTR)
			return -zmq_errno();
	return 0;
}

static int zmq_recv_one(void *epv, void *buf, size_t cap)
{
	struct zmq_ep *ep = epv;
	int n;

	while ((n = zmq_recv(ep->sock, buf, cap, 0)) < 0)
		if (zmq_errno() != EINTR)
			return -zmq_errno();
	/* n is the message's real length, even when it was truncated. */
	return n;
}

static void zmq_close_ep(void *epv)
{
	struct zmq_ep *ep = epv;

	/*
	 * The default infinite linger should deliver what is still queued
	 * before zmq_ctx_term() returns, but libzmq 4.3.4 over ipc:// loses
	 * the tail of a PUSH socket's queue about 1 time in 10 when the
	 * sender closes right after its last send (libzmq issues #1922,
	 * #4660). So the side that sends last keeps its socket open until the
	 * receiver has everything. The clock stopped at the receiver already.
	 */
	if (ep->sender_last) {
		struct timespec ms = {0, 1000000};

		for (int i = 0; i < 60000 && !chan_peer_done(); i++)
			nanosleep(&ms, NULL);
	}
	zmq_close(ep->sock);
	zmq_ctx_term(ep->ctx);
	free(ep);
}

const struct transport transport_zmq = {
	.name = "zmq",
	.desc = "ZeroMQ ipc://, PUSH/PULL (ping-pong: PAIR)",
	.kind = KIND_LIBRARY,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.setup = zmq_setup,
	.teardown = zmq_teardown,
	.open = zmq_open_role,
	.send = zmq_send_one,
	.recv = zmq_recv_one,
	.close = zmq_close_ep,
};
