/* Copying send/receive in one process and across fork: sizes, limits,
 * wrap-around, non-blocking and timed forms, statistics. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(transfer, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

static struct shmring *rw_ring(size_t capacity, size_t max_msg)
{
	return tr_create(SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE, capacity, max_msg, NULL);
}

Test(transfer, message_round_trips_byte_for_byte)
{
	struct shmring *r = rw_ring(0, 0);
	const char msg[] = "hello, ring";
	char buf[64];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_send(r, msg, sizeof(msg), SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	cr_assert_eq(len, sizeof(msg));
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	shmring_close(r);
}

Test(transfer, capacity_is_rounded_up_to_whole_pages_and_reported)
{
	struct shmring *r = tr_create(0, 5000, 0, NULL);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	cr_assert_eq(shmring_capacity(r), (5000 + page - 1) / page * page);
	cr_assert_eq(shmring_max_msg(r), shmring_capacity(r) / 4);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	cr_assert_eq(st.segment_size, shmring_capacity(r) + page, "header is exactly one page");
	cr_assert_eq(st.mode, 0666);
	shmring_close(r);
}

Test(transfer, empty_and_oversized_messages_are_refused_whole)
{
	struct shmring *r = rw_ring(4096, 100);
	char big[101] = {0};
	cr_assert_eq(shmring_send(r, big, 0, SHMRING_NOWAIT), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, big, 101, SHMRING_NOWAIT), -EMSGSIZE);
	cr_assert_eq(shmring_send(r, big, 100, SHMRING_NOWAIT), 0);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	cr_assert_eq(st.messages, 1, "only the valid message was queued");
	shmring_close(r);
}

Test(transfer, small_buffer_gets_needed_size_and_message_stays_queued)
{
	struct shmring *r = rw_ring(0, 0);
	char msg[300], buf[300];
	memset(msg, 'x', sizeof(msg));
	cr_assert_eq(shmring_send(r, msg, sizeof(msg), SHMRING_NOWAIT), 0);
	size_t len = 10;
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -ENOBUFS);
	cr_assert_eq(len, sizeof(msg));
	len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	cr_assert_eq(len, sizeof(msg));
	cr_assert_arr_eq(buf, msg, sizeof(msg));
	shmring_close(r);
}

Test(transfer, nonblocking_forms_return_eagain_on_empty_and_full)
{
	struct shmring *r = rw_ring(4096, 1000);
	char buf[1000] = {0};
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -EAGAIN);
	int sent = 0;
	while (shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT) == 0)
		sent++;
	cr_assert_eq(sent, 4096 / 1008, "ring holds exactly what fits");
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), -EAGAIN);
	shmring_close(r);
}

Test(transfer, timed_waits_return_etimedout_on_time)
{
	struct shmring *r = rw_ring(4096, 2000);
	char buf[2000] = {0};
	size_t len = sizeof(buf);
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_recv(r, buf, &len, 150), -ETIMEDOUT);
	double waited = tr_now_ms() - t0;
	cr_assert(waited >= 145 && waited < 1000, "recv waited %.1f ms for a 150 ms timeout", waited);

	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), SHMRING_NOWAIT), 0);
	t0 = tr_now_ms();
	cr_assert_eq(shmring_send(r, buf, sizeof(buf), 150), -ETIMEDOUT);
	waited = tr_now_ms() - t0;
	cr_assert(waited >= 145 && waited < 1000, "send waited %.1f ms for a 150 ms timeout", waited);
	shmring_close(r);
}

Test(transfer, variable_lengths_wrap_around_contiguously_in_order)
{
	struct shmring *r = rw_ring(4096, 1500);
	uint8_t out[1500], in[1500];
	srand(7);
	uint32_t next_send = 0, next_recv = 0;
	while (next_recv < 20000) {
		size_t len = 12 + (size_t)rand() % (1500 - 12);
		tr_fill(out, len, 1, next_send);
		int rc = shmring_send(r, out, len, SHMRING_NOWAIT);
		if (rc == 0) {
			next_send++;
			continue;
		}
		cr_assert_eq(rc, -EAGAIN);
		/* full: drain a few */
		for (int k = 0; k < 3 && next_recv < next_send; k++) {
			size_t got = sizeof(in);
			cr_assert_eq(shmring_recv(r, in, &got, SHMRING_NOWAIT), 1);
			uint32_t who, seq;
			cr_assert(tr_check(in, got, &who, &seq), "payload %u corrupt", next_recv);
			cr_assert_eq(seq, next_recv);
			next_recv++;
		}
	}
	shmring_close(r);
}

Test(transfer, largest_message_fits_from_any_offset)
{
	/* max_msg = capacity - 8 fits only at offset 0 of an empty ring: the
	 * writer publishes padding to the end, and the message goes in once a
	 * reader has stepped past it. Non-blocking, in one process, that is:
	 * EAGAIN, a recv that consumes the padding (EAGAIN: no message), then
	 * the send succeeds. */
	struct shmring *r = rw_ring(4096, 4096 - 8);
	uint8_t big[4088], small[40], buf[4096];
	tr_fill(big, sizeof(big), 2, 1);
	tr_fill(small, sizeof(small), 2, 0);
	for (int round = 0; round < 5; round++) {
		size_t len = sizeof(buf);
		cr_assert_eq(shmring_send(r, small, sizeof(small), SHMRING_NOWAIT), 0);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		cr_assert_eq(shmring_send(r, big, sizeof(big), SHMRING_NOWAIT), -EAGAIN,
			     "round %d: only padding fits now", round);
		struct shmring_stats st;
		cr_assert_eq(shmring_stats(r, &st), 0);
		cr_assert_eq(st.used, 4096 - 48, "round %d: the padding is queued", round);
		cr_assert_eq(st.messages, 0);
		len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), -EAGAIN);
		cr_assert_eq(shmring_send(r, big, sizeof(big), SHMRING_NOWAIT), 0);
		len = sizeof(buf);
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		cr_assert_eq(len, sizeof(big));
		cr_assert_arr_eq(buf, big, sizeof(big));
	}
	shmring_close(r);
}

Test(transfer, stats_count_queued_sent_and_received)
{
	struct shmring *r = rw_ring(0, 0);
	char buf[100] = {0};
	for (int i = 0; i < 5; i++)
		cr_assert_eq(shmring_send(r, buf, 10, SHMRING_NOWAIT), 0);
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	cr_assert_eq(st.sent, 5);
	cr_assert_eq(st.received, 1);
	cr_assert_eq(st.messages, 4);
	cr_assert_eq(st.used, 4 * 24, "4 records of 8 + 16 bytes");
	cr_assert_eq(st.readers, 1);
	cr_assert_eq(st.writers, 1);
	cr_assert_geq(st.attached, 1);
	shmring_close(r);
}

struct stream_args {
	const char *path;
	uint32_t count;
};

static int stream_producer(void *arg)
{
	struct stream_args *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, SHMRING_WRITER | SHMRING_EXCLUSIVE, NULL, &w) == 0);
	uint8_t buf[256];
	for (uint32_t i = 0; i < a->count; i++) {
		size_t len = 12 + i % 200;
		tr_fill(buf, len, 9, i);
		CHILD_CHECK(shmring_send(w, buf, len, SHMRING_FOREVER) == 0);
	}
	shmring_close(w);
	return 0;
}

Test(transfer, stream_between_processes_ends_with_end_of_stream)
{
	const char *path;
	struct shmring *admin = tr_create(0, 8192, 512, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &rd), 0);
	struct stream_args a = {path, 200000};
	pid_t pid = tr_fork(stream_producer, &a, 60);
	uint8_t buf[512];
	uint32_t expect = 0;
	for (;;) {
		size_t len = sizeof(buf);
		int rc = shmring_recv(rd, buf, &len, 10000);
		if (rc == 0)
			break;
		cr_assert_eq(rc, 1, "recv: %s", shmring_strerror(rc));
		uint32_t who, seq;
		cr_assert(tr_check(buf, len, &who, &seq));
		cr_assert_eq(seq, expect);
		expect++;
	}
	cr_assert_eq(expect, a.count);
	cr_assert_eq(tr_wait(pid), 0);
	shmring_close(rd);
	shmring_close(admin);
}
