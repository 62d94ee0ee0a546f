/*
 * t_sysvmsg.c - a System V message queue (msgsnd/msgrcv), one message per
 * call. The queue may hold the channel's budget in bytes (msg_qbytes,
 * above kernel.msgmnb only with privilege). Messages above kernel.msgmax
 * need that limit raised: done (and undone afterwards) when allowed,
 * otherwise those sizes are skipped. Ping-pong uses one queue and two
 * message types.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include "cleanup.h"
#include "run.h"
#include "transport.h"

#define MSGMAX_PATH "/proc/sys/kernel/msgmax"
#define MSGMNB_PATH "/proc/sys/kernel/msgmnb"

struct msq_priv {
	int id;
	int slot;
};

/* What msgsnd/msgrcv take: a long mtype, then the message. */
struct msq_msg {
	long mtype;
	char mtext[];
};

/* The message buffer is the user buffer: mtext, where a message is
   filled and checked, starts c->buf_offset past a page (transport.h).
   So mtype may be unaligned: it is reached through memcpy only. */
struct msq_ep {
	int id;
	long stype, rtype;
	size_t cap;
	void *msg;   /* the struct msq_msg for msgsnd/msgrcv */
	char *mtext; /* its message bytes */
	char *mem;   /* from chan_buffer(): msg is inside */
	const struct chan *chan;
};

static void msq_set_type(struct msq_ep *ep, long type)
{
	memcpy(ep->msg, &type, sizeof(type));
}

static int msgmax_slot = -1, msgmnb_slot = -1;

static void raise_limit(const char *path, const char *what, size_t want, int *slot)
{
	unsigned long old = 0;
	int rc;

	sysctl_read(path, &old);
	rc = sysctl_raise(path, want, slot);
	if (rc < 0)
		run_note("sysv-msgq: cannot raise %s from %lu to %zu (%s)", what, old, want,
			 sysctl_why(rc));
	else if (*slot >= 0)
		run_note("sysv-msgq: %s raised from %lu to %zu for the run, then restored", what,
			 old, want);
}

static int msq_prepare(size_t max_size, size_t budget, char *why, size_t len)
{
	(void)why;
	(void)len;
	raise_limit(MSGMAX_PATH, "kernel.msgmax", max_size, &msgmax_slot);
	/* New queues start with msg_qbytes = msgmnb; IPC_SET may raise it
	   only with CAP_SYS_RESOURCE, so raise the default itself. */
	raise_limit(MSGMNB_PATH, "kernel.msgmnb", budget, &msgmnb_slot);
	return 0;
}

static void msq_finish(void)
{
	cleanup_undo(msgmax_slot);
	cleanup_undo(msgmnb_slot);
	msgmax_slot = msgmnb_slot = -1;
}

/* The bytes a new queue may hold once we asked for @budget (IPC_SET
   above kernel.msgmnb needs CAP_SYS_RESOURCE). */
static size_t queue_bytes(int id, size_t budget)
{
	struct msqid_ds ds;

	if (msgctl(id, IPC_STAT, &ds) < 0)
		return 0;
	if (ds.msg_qbytes < budget) {
		ds.msg_qbytes = budget;
		msgctl(id, IPC_SET, &ds); /* EPERM: keep the default */
		if (msgctl(id, IPC_STAT, &ds) < 0)
			return 0;
	}
	return ds.msg_qbytes;
}

static const char *msq_skip(size_t size, size_t budget, char *buf, size_t len)
{
	unsigned long msgmax = 8192;
	size_t qbytes;
	int id;

	sysctl_read(MSGMAX_PATH, &msgmax);
	if (size > msgmax) {
		snprintf(buf, len, "over kernel.msgmax (%lu B), %s", msgmax, sysctl_hint());
		return buf;
	}
	/* A message larger than the queue would block msgsnd() for ever. */
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id < 0) {
		snprintf(buf, len, "msgget: %s", strerror(errno));
		return buf;
	}
	qbytes = queue_bytes(id, budget);
	msgctl(id, IPC_RMID, NULL);
	if (size > qbytes) {
		snprintf(buf, len, "over the queue size (%zu B, kernel.msgmnb), %s", qbytes,
			 sysctl_hint());
		return buf;
	}
	return NULL;
}

static void msq_teardown(struct chan *c);

static int msq_setup(struct chan *c)
{
	struct msq_priv *p = malloc(sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (p->id < 0) {
		int err = -errno;
		free(p);
		return chan_fail(c, err, "msgget");
	}
	p->slot = cleanup_add(CLEANUP_SYSV_MSQ, p->id, 0, NULL, NULL);
	c->priv = p;
	if (queue_bytes(p->id, c->budget) < c->size) {
		msq_teardown(c);
		return chan_fail(c, -EMSGSIZE, "queue smaller than one message");
	}
	return 0;
}

static void msq_teardown(struct chan *c)
{
	struct msq_priv *p = c->priv;

	if (!p)
		return;
	msgctl(p->id, IPC_RMID, NULL);
	cleanup_forget(p->slot);
	free(p);
	c->priv = NULL;
}

static int msq_open(struct chan *c, enum role role, void **epp)
{
	struct msq_priv *p = c->priv;
	struct msq_ep *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return -ENOMEM;
	ep->id = p->id;
	ep->cap = c->size;
	ep->chan = c;
	ep->mem = chan_buffer(c, CHAN_PAGE + c->size);
	if (!ep->mem) {
		free(ep);
		return -ENOMEM;
	}
	ep->mtext = ep->mem + CHAN_PAGE;
	ep->msg = ep->mtext - offsetof(struct msq_msg, mtext);
	/* Type 1 travels from producer/ping, type 2 back from pong. */
	ep->stype = role == ROLE_PONG ? 2 : 1;
	ep->rtype = role == ROLE_PING ? 2 : role == ROLE_PONG ? 1 : 0;
	*epp = ep;
	return 0;
}

static int msq_send(void *epv, const void *buf, size_t len)
{
	struct msq_ep *ep = epv;

	msq_set_type(ep, ep->stype);
	memcpy(ep->mtext, buf, len);
	while (msgsnd(ep->id, ep->msg, len, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int msq_recv(void *epv, void *buf, size_t cap)
{
	struct msq_ep *ep = epv;
	ssize_t n;

	do {
		n = msgrcv(ep->id, ep->msg, ep->cap, ep->rtype, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n > cap)
		return -EMSGSIZE;
	memcpy(buf, ep->mtext, (size_t)n);
	return (int)n;
}

static void msq_close(void *epv)
{
	struct msq_ep *ep = epv;

	chan_buffer_free(ep->chan, ep->mem);
	free(ep);
}

/* Streaming loops fill and check the message in msgsnd's own buffer, so
   the queue pays no copy the other transports do not. */
static int msq_produce(struct chan *c)
{
	struct msq_ep *ep;
	int rc = msq_open(c, ROLE_PRODUCER, (void **)&ep);

	if (rc < 0)
		return chan_fail(c, rc, "producer");
	rc = chan_sync(c);
	msq_set_type(ep, ep->stype);
	for (int last = 0; rc == 0 && !last;) {
		last = gen_fill(c->gen, ep->mtext);
		while (msgsnd(ep->id, ep->msg, c->size, 0) < 0) {
			if (errno != EINTR) {
				rc = chan_fail(c, -errno, "msgsnd #%" PRIu64, c->gen->seq - 1);
				break;
			}
		}
	}
	chan_sent(c, c->gen->seq);
	msq_close(ep);
	return rc;
}

static int msq_consume(struct chan *c)
{
	struct msq_ep *ep;
	int rc = msq_open(c, ROLE_CONSUMER, (void **)&ep);

	if (rc < 0)
		return chan_fail(c, rc, "consumer");
	rc = chan_sync(c);
	while (rc == 0) {
		ssize_t n = msgrcv(ep->id, ep->msg, ep->cap, 0, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = chan_fail(c, -errno, "msgrcv after %" PRIu64 " messages",
				       c->check->received);
			break;
		}
		rc = check_msg(c->check, ep->mtext, (size_t)n);
		chan_progress(c);
		if (rc < 0) {
			rc = chan_fail(c, -EBADMSG, "VERIFICATION FAILED: %s", c->check->err);
		} else if (rc == 1) {
			chan_done(c);
			rc = 0;
			break;
		}
	}
	msq_close(ep);
	return rc;
}

const struct transport transport_sysv_msgq = {
	.name = "sysv-msgq",
	.desc = "System V message queue, msgsnd/msgrcv",
	.kind = KIND_KERNEL,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.prepare = msq_prepare,
	.finish = msq_finish,
	.skip = msq_skip,
	.setup = msq_setup,
	.teardown = msq_teardown,
	.open = msq_open,
	.send = msq_send,
	.recv = msq_recv,
	.close = msq_close,
	.produce = msq_produce,
	.consume = msq_consume,
};
