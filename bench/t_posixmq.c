/*
 * t_posixmq.c - a POSIX message queue (mq_send/mq_receive), opened by name
 * in each process. Depth: the channel's budget in messages, 4 .. 1024.
 * The kernel caps message size (fs.mqueue.msgsize_max), depth
 * (fs.mqueue.msg_max) and the bytes a user may queue (RLIMIT_MSGQUEUE);
 * when privileged the run raises them and puts them back afterwards,
 * otherwise sizes that cannot fit are skipped with the reason.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cleanup.h"
#include "run.h"
#include "transport.h"

#define MSGSIZE_PATH "/proc/sys/fs/mqueue/msgsize_max"
#define MSGMAX_PATH "/proc/sys/fs/mqueue/msg_max"
#define MQ_DEPTH_MAX 1024u
/* Kernel bookkeeping per queued message, generously (struct msg_msg and
   the priority tree node). */
#define MQ_MSG_OVERHEAD 128u
#define MQ_RLIMIT_WANT (256ul << 20)

struct mq_priv {
	char name[2][64];
	int slot[2];
};

static int size_slot = -1, depth_slot = -1;
static struct rlimit old_rlimit;
static int rlimit_changed;
static unsigned mq_counter;

static void raise_one(const char *path, const char *what, unsigned long want, int *slot)
{
	unsigned long old = 0;
	int rc;

	sysctl_read(path, &old);
	rc = sysctl_raise(path, want, slot);
	if (rc < 0)
		run_note("posix-mq: cannot raise %s from %lu to %lu (%s)", what, old, want,
			 sysctl_why(rc));
	else if (*slot >= 0)
		run_note("posix-mq: %s raised from %lu to %lu for the run, then restored", what,
			 old, want);
}

static int mq_prepare(size_t max_size, size_t budget, char *why, size_t len)
{
	struct rlimit rl;

	(void)budget;
	(void)why;
	(void)len;
	raise_one(MSGSIZE_PATH, "fs.mqueue.msgsize_max", max_size, &size_slot);
	raise_one(MSGMAX_PATH, "fs.mqueue.msg_max", MQ_DEPTH_MAX, &depth_slot);
	if (getrlimit(RLIMIT_MSGQUEUE, &old_rlimit) == 0 && old_rlimit.rlim_cur < MQ_RLIMIT_WANT) {
		rl.rlim_cur = MQ_RLIMIT_WANT;
		rl.rlim_max = old_rlimit.rlim_max > MQ_RLIMIT_WANT ? old_rlimit.rlim_max
								    : MQ_RLIMIT_WANT;
		if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0) {
			rl.rlim_cur = old_rlimit.rlim_max;
			rl.rlim_max = old_rlimit.rlim_max;
			setrlimit(RLIMIT_MSGQUEUE, &rl);
		}
		rlimit_changed = 1;
	}
	return 0;
}

static void mq_finish(void)
{
	cleanup_undo(size_slot);
	cleanup_undo(depth_slot);
	size_slot = depth_slot = -1;
	if (rlimit_changed)
		setrlimit(RLIMIT_MSGQUEUE, &old_rlimit);
	rlimit_changed = 0;
}

/* How deep each of @queues queues of @size-byte messages can be; 0 if
   not even 2 messages fit. */
static long mq_depth(size_t size, size_t budget, unsigned queues)
{
	unsigned long msg_max = 10;
	struct rlimit rl;
	size_t depth = budget / size, fit;

	sysctl_read(MSGMAX_PATH, &msg_max);
	if (depth > MQ_DEPTH_MAX)
		depth = MQ_DEPTH_MAX;
	if (depth < 4)
		depth = 4;
	if (depth > msg_max)
		depth = msg_max;
	/* The limit counts every queue of the user. */
	if (getrlimit(RLIMIT_MSGQUEUE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		fit = rl.rlim_cur / queues / (size + MQ_MSG_OVERHEAD);
		if (depth > fit)
			depth = fit;
	}
	return depth >= 2 ? (long)depth : 0;
}

static const char *mq_skip(size_t size, size_t budget, char *buf, size_t len)
{
	unsigned long size_max = 8192;

	sysctl_read(MSGSIZE_PATH, &size_max);
	if (size > size_max) {
		snprintf(buf, len, "over fs.mqueue.msgsize_max (%lu B), %s", size_max,
			 sysctl_hint());
		return buf;
	}
	if (mq_depth(size, budget, 1) == 0) {
		struct rlimit rl;

		getrlimit(RLIMIT_MSGQUEUE, &rl);
		snprintf(buf, len, "RLIMIT_MSGQUEUE (%llu B) cannot hold 2 messages; raising it "
			 "needs CAP_SYS_RESOURCE", (unsigned long long)rl.rlim_cur);
		return buf;
	}
	return NULL;
}

static void mq_teardown(struct chan *c)
{
	struct mq_priv *p = c->priv;

	if (!p)
		return;
	for (int i = 0; i < 2; i++) {
		if (!p->name[i][0])
			continue;
		mq_unlink(p->name[i]);
		cleanup_forget(p->slot[i]);
	}
	free(p);
	c->priv = NULL;
}

static int mq_setup(struct chan *c)
{
	struct mq_priv *p = calloc(1, sizeof(*p));
	struct mq_attr attr;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	memset(&attr, 0, sizeof(attr));
	attr.mq_maxmsg = mq_depth(c->size, c->budget, 1u + (unsigned)c->pingpong);
	attr.mq_msgsize = (long)c->size;
	for (int i = 0; i < 1 + c->pingpong; i++) {
		mqd_t q;

		snprintf(p->name[i], sizeof(p->name[i]), "/shmring-bench-%d-%u", (int)getpid(),
			 mq_counter++);
		q = mq_open(p->name[i], O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
		if (q == (mqd_t)-1) {
			int err = -errno;
			p->name[i][0] = '\0';
			mq_teardown(c);
			return chan_fail(c, err, "mq_open(depth %ld, size %zu)", attr.mq_maxmsg,
					 c->size);
		}
		p->slot[i] = cleanup_add(CLEANUP_POSIX_MQ, 0, 0, p->name[i], NULL);
		mq_close(q);
	}
	return 0;
}

struct mq_ep {
	mqd_t in, out;
};

static int mq_open_role(struct chan *c, enum role role, void **epp)
{
	struct mq_priv *p = c->priv;
	struct mq_ep *ep = malloc(sizeof(*ep));
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
	ep->in = ep->out = (mqd_t)-1;
	if (out >= 0)
		ep->out = mq_open(p->name[out], O_WRONLY);
	if (in >= 0)
		ep->in = mq_open(p->name[in], O_RDONLY);
	if ((out >= 0 && ep->out == (mqd_t)-1) || (in >= 0 && ep->in == (mqd_t)-1)) {
		int err = -errno;
		if (ep->out != (mqd_t)-1)
			mq_close(ep->out);
		free(ep);
		return chan_fail(c, err, "mq_open");
	}
	*epp = ep;
	return 0;
}

static int mq_send_one(void *epv, const void *buf, size_t len)
{
	struct mq_ep *ep = epv;

	while (mq_send(ep->out, buf, len, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

static int mq_recv_one(void *epv, void *buf, size_t cap)
{
	struct mq_ep *ep = epv;
	ssize_t n;

	do {
		n = mq_receive(ep->in, buf, cap, NULL);
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : (int)n;
}

static void mq_close_ep(void *epv)
{
	struct mq_ep *ep = epv;

	if (ep->in != (mqd_t)-1)
		mq_close(ep->in);
	if (ep->out != (mqd_t)-1)
		mq_close(ep->out);
	free(ep);
}

const struct transport transport_posix_mq = {
	.name = "posix-mq",
	.desc = "POSIX message queue, mq_send/mq_receive",
	.kind = KIND_KERNEL,
	.producers = 1,
	.flags = TR_THROUGHPUT | TR_PINGPONG,
	.prepare = mq_prepare,
	.finish = mq_finish,
	.skip = mq_skip,
	.setup = mq_setup,
	.teardown = mq_teardown,
	.open = mq_open_role,
	.send = mq_send_one,
	.recv = mq_recv_one,
	.close = mq_close_ep,
};
