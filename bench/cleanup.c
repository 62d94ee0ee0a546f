/*
 * cleanup.c - the registry of things to undo (see cleanup.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

#define MAX_SLOTS 64
#define MAX_CHILDREN 16
#define MAX_HELPERS 64

struct slot {
	volatile sig_atomic_t used;
	enum cleanup_kind kind;
	int a, b;
	char name[256];
	char value[64];
};

static struct slot slots[MAX_SLOTS];
static volatile pid_t children[MAX_CHILDREN];
static volatile pid_t helpers[MAX_HELPERS];
static pid_t owner;
static char tmpdir[64];
static volatile sig_atomic_t timed_out;
static int sysctl_forbidden;

/* Runs in signal handlers too: system calls only. */
static void undo(struct slot *s)
{
	int fd;

	if (!s->used)
		return;
	s->used = 0;
	switch (s->kind) {
	case CLEANUP_SYSV_MSQ:
		msgctl(s->a, IPC_RMID, NULL);
		break;
	case CLEANUP_SYSV_RING:
		shmctl(s->a, IPC_RMID, NULL);
		semctl(s->b, 0, IPC_RMID);
		break;
	case CLEANUP_PATH:
		unlink(s->name);
		break;
	case CLEANUP_POSIX_MQ:
		mq_unlink(s->name);
		break;
	case CLEANUP_POSIX_SHM:
		shm_unlink(s->name);
		break;
	case CLEANUP_SYSCTL:
		fd = open(s->name, O_WRONLY | O_TRUNC);
		if (fd >= 0) {
			if (write(fd, s->value, strlen(s->value)) < 0) {
				/* nothing more we can do; main() reported the raise */
			}
			close(fd);
		}
		break;
	}
}

void cleanup_kill_children(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] > 0)
			kill(children[i], SIGKILL);
}

/* Kill the helpers and wait for each: system calls only (signal path). */
static void stop_helpers(void)
{
	for (int i = 0; i < MAX_HELPERS; i++)
		if (helpers[i] > 0)
			kill(helpers[i], SIGKILL);
	for (int i = 0; i < MAX_HELPERS; i++) {
		if (helpers[i] <= 0)
			continue;
		while (waitpid(helpers[i], NULL, 0) < 0 && errno == EINTR) {
		}
		helpers[i] = 0;
	}
}

void cleanup_run(void)
{
	sigset_t all, old;

	if (getpid() != owner)
		return;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* Objects first, kernel limits after: a limit goes back down only
	   once nothing that needed it exists any more. */
	for (int i = MAX_SLOTS - 1; i >= 0; i--)
		if (slots[i].kind != CLEANUP_SYSCTL)
			undo(&slots[i]);
	for (int i = MAX_SLOTS - 1; i >= 0; i--)
		undo(&slots[i]);
	if (tmpdir[0])
		rmdir(tmpdir);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void on_signal(int sig)
{
	if (getpid() == owner) {
		cleanup_kill_children();
		stop_helpers();
		while (waitpid(-1, NULL, 0) > 0) {
		}
		cleanup_run();
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	cleanup_kill_children();
}

static void at_exit(void)
{
	if (getpid() == owner)
		stop_helpers();
	cleanup_kill_children();
	cleanup_run();
}

int cleanup_init(void)
{
	struct sigaction sa;

	owner = getpid();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/shmring-bench-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		int err = -errno;
		tmpdir[0] = '\0';
		return err;
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/* A reader that went away must show as EPIPE, not kill the writer. */
	signal(SIGPIPE, SIG_IGN);
	atexit(at_exit);
	return 0;
}

const char *cleanup_dir(void)
{
	return tmpdir;
}

int cleanup_add(enum cleanup_kind kind, int a, int b, const char *name, const char *value)
{
	for (int i = 0; i < MAX_SLOTS; i++) {
		struct slot *s = &slots[i];

		if (s->used)
			continue;
		s->kind = kind;
		s->a = a;
		s->b = b;
		snprintf(s->name, sizeof(s->name), "%s", name ? name : "");
		snprintf(s->value, sizeof(s->value), "%s", value ? value : "");
		s->used = 1; /* last: a handler sees a slot only when complete */
		return i;
	}
	return -ENOSPC;
}

void cleanup_forget(int slot)
{
	if (slot >= 0 && slot < MAX_SLOTS)
		slots[slot].used = 0;
}

void cleanup_undo(int slot)
{
	if (slot >= 0 && slot < MAX_SLOTS)
		undo(&slots[slot]);
}

void cleanup_child_add(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] <= 0) {
			children[i] = pid;
			return;
		}
	}
}

void cleanup_child_del(pid_t pid)
{
	for (int i = 0; i < MAX_CHILDREN; i++)
		if (children[i] == pid)
			children[i] = 0;
}

void cleanup_helper_add(pid_t pid)
{
	for (int i = 0; i < MAX_HELPERS; i++) {
		if (helpers[i] <= 0) {
			helpers[i] = pid;
			return;
		}
	}
}

void cleanup_helper_del(pid_t pid)
{
	for (int i = 0; i < MAX_HELPERS; i++)
		if (helpers[i] == pid)
			helpers[i] = 0;
}

void cleanup_in_child(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	alarm(0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != owner)
		_exit(3); /* the parent died before we could ask */
}

void cleanup_watchdog(unsigned seconds)
{
	timed_out = 0;
	alarm(seconds);
}

int cleanup_timed_out(void)
{
	return timed_out;
}

int sysctl_read(const char *path, unsigned long *value)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%lu", value) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

static int sysctl_write(const char *path, unsigned long value)
{
	char text[32];
	int fd = open(path, O_WRONLY | O_TRUNC);
	int len, err = 0;

	if (fd < 0)
		return -errno;
	len = snprintf(text, sizeof(text), "%lu\n", value);
	if (write(fd, text, (size_t)len) != len)
		err = -errno;
	close(fd);
	return err ? err : 0;
}

int sysctl_raise(const char *path, unsigned long want, int *slot)
{
	unsigned long old;
	char text[32];
	int rc;

	*slot = -1;
	rc = sysctl_read(path, &old);
	if (rc < 0)
		return rc;
	if (old >= want)
		return 0;
	if (sysctl_forbidden)
		return -ECANCELED;
	snprintf(text, sizeof(text), "%lu\n", old);
	rc = cleanup_add(CLEANUP_SYSCTL, 0, 0, path, text);
	if (rc < 0)
		return rc;
	*slot = rc;
	rc = sysctl_write(path, want);
	if (rc < 0) {
		cleanup_forget(*slot);
		*slot = -1;
	}
	return rc;
}

void sysctl_forbid(void)
{
	sysctl_forbidden = 1;
}

const char *sysctl_why(int rc)
{
	if (rc == -ECANCELED)
		return "kernel limits are left alone in this mode";
	return strerror(-rc);
}

const char *sysctl_hint(void)
{
	if (sysctl_forbidden)
		return "not raised in this mode (--tiny, --no-sysctl)";
	return geteuid() == 0 ? "could not be raised" : "raising it needs root";
}
