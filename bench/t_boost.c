/*
 * t_boost.c - Boost.Interprocess message_queue (a mutex and two condition
 * variables in POSIX shared memory), through boost_mq.h. The parent
 * creates the queue, each child opens it by name. Depth: the channel's
 * budget in messages, 4 .. 1024.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boost_mq.h"
#include "cleanup.h"
#include "transport.h"

struct boost_priv {
	char name[2][64];
	int slot[2];
};

struct boost_ep {
	void *in, *out;
};

static unsigned boost_counter;

static void boost_teardown(struct chan *c)
{
	struct boost_priv *p = c->priv;

	if (!p)
		return;
	for (int i = 0; i < 2; i++) {
		if (!p->name[i][0])
			continue;
		bmq_remove(p->name[i]);
		cleanup_forget(p->slot[i]);
	}
	free(p);
	c->priv = NULL;
}

static int boost_setup(struct chan *c)
{
	struct boost_priv *p = calloc(1, sizeof(*p));
	size_t depth = c->budget / c->size;
	char err[160] = "";

	if (!p)
		return -ENOMEM;
	c->priv = p;
	depth = depth < 4 ? 4 : depth > 1024 ? 1024 : depth;
	for (int i = 0; i < 1 + c->pingpong; i++) {
		char shm[80];

		snprintf(p->name[i], sizeof(p->name[i]), "shmring-bench-%d-%u", (int)getpid(),
			 boost_counter++);
		/* On Linux the queue is the POSIX shared memory object "/name";
		   the signal path removes it with shm_unlink(). */
		snprintf(shm, sizeof(shm), "/%s", p->name[i]);
		p->slot[i] = cleanup_add(CLEANUP_POSIX_SHM, 0, 0, shm, NULL);
		if (bmq_create(p->name[i], depth, c->size, err, sizeof(err)) < 0) {
			cleanup_forget(p->slot[i]);
			p->name[i][0] = '\0';
			boost_teardown(c);
			return chan_fail(c, -EIO, "message_queue(create_only): %s", err);
		}
	}
	return 0;
}

static int boost_open(struct chan *c, enum role role, void **epp)
{
	struct boost_priv *p = c->priv;
	struct boost_ep *ep = calloc(1, sizeof(*ep));
	char err[160] = "";
	int in = -1, out = -1;

	if (!ep)
		return -ENOMEM;
	if (role == ROLE_PRODUCER || role == ROLE_PING)
		out = 0;
	if (role == ROLE_CONSUMER || role == ROLE_PONG)
		in = 0;
	if (role == ROLE_PING)
		in = 1;
	if (role == ROLE_PONG)
		out = 1;
	if (out >= 0)
		ep->out = bmq_open(p->name[out], err, sizeof(err));
	if (in >= 0)
		ep->in = bmq_open(p->name[in], err, sizeof(err));
	if ((out >= 0 && !ep->out) || (in >= 0 && !ep->in)) {
		if (ep->out)
			bmq_close(ep->out);
		free(ep);
		return chan_fail(c, -EIO, "message_queue(open_only): %s", err);
	}
	*epp = ep;
	return 0;
}

static int boost_send(void *epv, const void *buf, size_t len)
{
	struct boost_ep *ep = epv;

	return bmq_send(ep->out, buf, len) < 0 ? -EIO : 0;
}

static int boost_recv(void *epv, void *buf, size_t cap)
{
	struct boost_ep *ep = epv;
	long n = bmq_recv(ep->in, buf, cap);

	return n < 0 ? -EIO : (int)n;
}

static void boost_close(void *epv)
{
	struct boost_ep *ep = epv;

	if (ep->in)
		bmq_close(ep->in);
	if (ep->out)
		bmq_close(ep->out);
	free(ep);
}

const struct transport transport_boost_mq = {
	.name = "boost-mq",
	.desc = "Boost.Interprocess message_queue",
	.kind = KIND_LIBRARY,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.setup = boost_setup,
	.teardown = boost_teardown,
	.open = boost_open,
	.send = boost_send,
	.recv = boost_recv,
	.close = boost_close,
};
