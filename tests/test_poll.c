/* A non-blocking call on an empty ring (issue 8, hole 6) costs no system
 * call: a poll loop must not turn into a semctl/semop/membarrier loop. This
 * binary interposes the System V calls and syscall(2) (membarrier) to count
 * the library's, and forwards them. */
#include "config.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "support.h"

TestSuite(poll, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

static unsigned long sys_calls;

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

int semctl(int semid, int semnum, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	union semun arg = va_arg(ap, union semun); /* as glibc's own semctl reads it */
	va_end(ap);
	sys_calls++;
	return NEXT(semctl)(semid, semnum, cmd, arg);
}

int semop(int semid, struct sembuf *ops, size_t n)
{
	sys_calls++;
	return NEXT(semop)(semid, ops, n);
}

int semtimedop(int semid, struct sembuf *ops, size_t n, const struct timespec *t)
{
	sys_calls++;
	return NEXT(semtimedop)(semid, ops, n, t);
}

int shmctl(int shmid, int cmd, struct shmid_ds *ds)
{
	sys_calls++;
	return NEXT(shmctl)(shmid, cmd, ds);
}

long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
	va_end(ap);
	sys_calls++;
	return NEXT(syscall)(nr, a, b, c);
}

#define POLLS 1000
/* What "none" may cost at most: the kernel's word on the peers, asked at
 * a bounded rate (a few per millisecond at worst), never once a poll. */
#define MOST_CALLS (POLLS / 50)

static void empty_polls_cost_no_system_call(unsigned flags, bool with_writer)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 0, &path);
	struct shmring *r, *w = NULL;
	cr_assert_eq(shmring_open(path, SHMRING_READER | flags, NULL, &r), 0);
	if (with_writer)
		cr_assert_eq(shmring_open(path, SHMRING_WRITER, NULL, &w), 0);
	char buf[16];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -EAGAIN); /* warm up */
	unsigned long before = sys_calls;
	for (int i = 0; i < POLLS; i++) {
		len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -EAGAIN);
	}
	unsigned long calls = sys_calls - before;
	cr_assert_leq(calls, MOST_CALLS, "%s reader, %s writer: %lu system calls for %d polls",
		      flags ? "exclusive" : "shared", with_writer ? "a" : "no", calls, POLLS);
	/* and a poll still sees what comes */
	if (w) {
		cr_assert_eq(shmring_send(w, "m", 1, 0), 0);
		len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		shmring_close(w);
		len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, 100), 0, "no end of stream");
	}
	shmring_close(r);
	shmring_close(admin);
}

Test(poll, nonblocking_recv_on_an_empty_ring_makes_no_system_call)
{
	for (unsigned f = 0; f < 2; f++)
		for (int wr = 0; wr < 2; wr++)
			empty_polls_cost_no_system_call(f ? SHMRING_EXCLUSIVE : 0, wr);
}

static void full_polls_cost_no_system_call(unsigned flags)
{
	const char *path;
	struct shmring *admin = tr_create(0, 4096, 0, &path);
	struct shmring *w, *r;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER | flags, NULL, &w), 0);
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &r), 0);
	char buf[256] = {0};
	while (shmring_send(w, buf, sizeof(buf), SHMRING_NOWAIT) == 0)
		;
	unsigned long before = sys_calls;
	for (int i = 0; i < POLLS; i++)
		cr_assert_eq(shmring_send(w, buf, sizeof(buf), SHMRING_NOWAIT), -EAGAIN);
	unsigned long calls = sys_calls - before;
	cr_assert_leq(calls, MOST_CALLS, "%s writer: %lu system calls for %d polls",
		      flags ? "exclusive" : "shared", calls, POLLS);
	shmring_close(r);
	shmring_close(w);
	shmring_close(admin);
}

Test(poll, nonblocking_send_on_a_full_ring_makes_no_system_call)
{
	full_polls_cost_no_system_call(SHMRING_EXCLUSIVE);
	full_polls_cost_no_system_call(0);
}
