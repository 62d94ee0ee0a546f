/* The shmring command's zero-copy stream (issue 7), driven as a program:
 * `put --stream` reads straight into reserved messages, `get --stream`
 * writes straight from the ring. The program under test is the one just
 * built, named at compile time (SHMRING_TOOL, an absolute path), so this
 * suite runs from any directory. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support.h"

TestSuite(tools, .init = tr_setup, .fini = tr_teardown, .timeout = 120);

/* Start `shmring ARGV...` with standard input @in and output @out (-1:
 * /dev/null), killed by SIGALRM after 60 s if it hangs. */
static pid_t run_tool(char *const argv[], int in, int out)
{
	fflush(NULL);
	pid_t pid = fork();
	cr_assert_neq(pid, -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(in >= 0 ? in : null, STDIN_FILENO);
		dup2(out >= 0 ? out : null, STDOUT_FILENO);
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		alarm(60);
		execv(SHMRING_TOOL, argv);
		_exit(127);
	}
	return pid;
}

static void sleep_us(long us)
{
	struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static struct shmring_stats stats_of(struct shmring *admin)
{
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(admin, &st), 0);
	return st;
}

/* Write the counters @next, @next + 1, ... in 8-byte units to @fd, in
 * writes of 1 .. 512 counters (each one atomic: at most PIPE_BUF bytes),
 * for @ms milliseconds, pausing up to @pause_us between writes. Returns
 * the next counter not written. */
static uint64_t feed(int fd, uint64_t next, double ms, long pause_us)
{
	double until = tr_now_ms() + ms;
	uint64_t buf[512];
	while (tr_now_ms() < until) {
		unsigned n = 1 + (unsigned)rand() % 512;
		for (unsigned i = 0; i < n; i++)
			buf[i] = next + i;
		ssize_t done = write(fd, buf, n * sizeof(buf[0]));
		cr_assert_eq(done, (ssize_t)(n * sizeof(buf[0])), "feeding put: %s",
			     strerror(errno));
		next += n;
		if (pause_us)
			sleep_us(rand() % pause_us);
	}
	return next;
}

Test(tools, stream_of_a_writer_killed_mid_block_is_never_partial)
{
	/* 8 KiB messages (a multiple of 8) in a 64 KiB ring: put waits for
	 * room as often as it waits for input. */
	const char *path;
	struct shmring *admin = tr_create(0, 64 * 1024, 8192, &path);
	const char *out_path = tr_new_anchor();
	srand(7);
	uint64_t next = 0, kept = 0;
	enum { ROUNDS = 12 };
	for (int round = 0; round < ROUNDS; round++) {
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		cr_assert_geq(out, 0, "%s: %s", out_path, strerror(errno));
		char *get_argv[] = {"shmring", "get", (char *)path, "--stream", NULL};
		pid_t getter = run_tool(get_argv, -1, out);
		close(out);
		while (stats_of(admin).readers == 0)
			sleep_us(2000);

		int pipefd[2];
		cr_assert_eq(pipe(pipefd), 0);
		char *put_argv[] = {"shmring", "put", (char *)path, "--stream", NULL};
		pid_t putter = run_tool(put_argv, pipefd[0], -1);
		close(pipefd[0]);
		/* Killed before it attached, put would leave get waiting for
		 * a writer for ever. */
		while (stats_of(admin).writers == 0)
			sleep_us(2000);
		/* Slow rounds leave put waiting for input; fast ones keep it
		 * in read() and waiting for room, with a block reserved. */
		uint64_t first = next;
		next = feed(pipefd[1], next, 10 + rand() % 150, round % 2 ? 0 : 3000);
		kill(putter, SIGKILL);
		close(pipefd[1]);
		int status;
		cr_assert_eq(waitpid(putter, &status, 0), putter);
		cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			  "round %d: put ended before it was killed (status %#x)", round, status);
		/* The only writer is gone: get drains the ring and ends. */
		cr_assert_eq(waitpid(getter, &status, 0), getter);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "round %d: get --stream status %#x", round, status);

		/* What came out is the start of what went in, in whole
		 * counters: first, first + 1, ... with no byte of garbage. The
		 * counters put had read but not committed are gone, as are
		 * those still in the pipe. */
		int in = open(out_path, O_RDONLY);
		cr_assert_geq(in, 0);
		struct stat st;
		cr_assert_eq(fstat(in, &st), 0);
		cr_assert_eq(st.st_size % 8, 0, "round %d: %lld bytes, not whole counters", round,
			     (long long)st.st_size);
		uint64_t got = (uint64_t)st.st_size / 8;
		cr_assert_leq(got, next - first, "round %d: more out than in", round);
		uint64_t *seen = malloc(st.st_size ? (size_t)st.st_size : 1);
		cr_assert_not_null(seen);
		cr_assert_eq(read(in, seen, (size_t)st.st_size), st.st_size);
		close(in);
		for (uint64_t i = 0; i < got; i++)
			cr_assert_eq(seen[i], first + i,
				     "round %d: counter %llu of the output is %#llx, not %llu",
				     round, (unsigned long long)i, (unsigned long long)seen[i],
				     (unsigned long long)(first + i));
		free(seen);
		kept += got;
		/* Nothing is left in the ring for the next round. */
		struct shmring_stats rs = stats_of(admin);
		cr_assert_eq(rs.messages, 0);
		cr_assert_eq(rs.used, 0, "round %d: a killed reservation left %llu bytes", round,
			     (unsigned long long)rs.used);
	}
	cr_assert_gt(kept, 0, "no round got anything through");
	cr_log_info("%llu of %llu counters through %d killed puts", (unsigned long long)kept,
		    (unsigned long long)next, ROUNDS);
	shmring_close(admin);
}
