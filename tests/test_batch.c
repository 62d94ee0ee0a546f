/* Batches: send_bulk (all or nothing), send_burst (as many as fit),
 * recv_burst (up to n), in one process and across processes. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(batch, .init = tr_setup, .fini = tr_teardown, .timeout = 60);

#define RW (SHMRING_READER | SHMRING_WRITER | SHMRING_EXCLUSIVE)

static uint8_t payload[64][600];

static void make_batch(struct iovec *v, unsigned n, size_t len, uint32_t who, uint32_t first)
{
	for (unsigned i = 0; i < n; i++) {
		tr_fill(payload[i], len, who, first + i);
		v[i].iov_base = payload[i];
		v[i].iov_len = len;
	}
}

static uint64_t queued(struct shmring *r)
{
	struct shmring_stats st;
	cr_assert_eq(shmring_stats(r, &st), 0);
	return st.messages;
}

Test(batch, bulk_sends_all_or_nothing)
{
	/* 4096 bytes hold 4096 / 520 = 7 records of 512 bytes. */
	struct shmring *r = tr_create(RW, 4096, 1000, NULL);
	struct iovec v[7];
	make_batch(v, 7, 512, 1, 0);
	cr_assert_eq(shmring_send(r, payload[0], 512, SHMRING_NOWAIT), 0);
	cr_assert_eq(shmring_send_bulk(r, v, 7, SHMRING_NOWAIT), -EAGAIN,
		     "7 fit an empty ring, not one holding a message");
	cr_assert_eq(queued(r), 1, "nothing of a refused batch is queued");
	uint8_t buf[600];
	size_t len = sizeof(buf);
	cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
	cr_assert_eq(shmring_send_bulk(r, v, 7, SHMRING_NOWAIT), 7);
	cr_assert_eq(queued(r), 7);
	shmring_close(r);
}

Test(batch, bulk_larger_than_the_ring_is_emsgsize_at_once)
{
	struct shmring *r = tr_create(RW, 4096, 1000, NULL);
	struct iovec v[9];
	make_batch(v, 9, 512, 1, 0);
	double t0 = tr_now_ms();
	cr_assert_eq(shmring_send_bulk(r, v, 9, SHMRING_FOREVER), -EMSGSIZE);
	cr_assert_lt(tr_now_ms() - t0, 1000, "must not wait for room that can never come");
	cr_assert_eq(queued(r), 0);
	shmring_close(r);
}

Test(batch, bulk_with_one_invalid_message_sends_nothing)
{
	struct shmring *r = tr_create(RW, 0, 100, NULL);
	struct iovec v[3];
	make_batch(v, 3, 50, 1, 0);
	v[1].iov_len = 101;
	cr_assert_eq(shmring_send_bulk(r, v, 3, SHMRING_NOWAIT), -EMSGSIZE);
	v[1].iov_len = 0;
	cr_assert_eq(shmring_send_bulk(r, v, 3, SHMRING_NOWAIT), -EMSGSIZE);
	cr_assert_eq(queued(r), 0);
	shmring_close(r);
}

Test(batch, burst_sends_the_prefix_that_fits_in_order)
{
	struct shmring *r = tr_create(RW, 4096, 1000, NULL);
	struct iovec v[10];
	make_batch(v, 10, 512, 3, 0);
	cr_assert_eq(shmring_send_burst(r, v, 10, SHMRING_NOWAIT), 7);
	cr_assert_eq(shmring_send_burst(r, v, 10, SHMRING_NOWAIT), -EAGAIN, "first one must fit");
	uint8_t buf[600];
	for (uint32_t i = 0; i < 7; i++) {
		size_t len = sizeof(buf);
		uint32_t who, seq;
		cr_assert_eq(shmring_recv(r, buf, &len, SHMRING_NOWAIT), 1);
		cr_assert(tr_check(buf, len, &who, &seq));
		cr_assert_eq(seq, i);
	}
	shmring_close(r);
}

Test(batch, burst_stops_at_the_first_invalid_message)
{
	struct shmring *r = tr_create(RW, 0, 100, NULL);
	struct iovec v[4];
	make_batch(v, 4, 50, 1, 0);
	v[2].iov_len = 500;
	cr_assert_eq(shmring_send_burst(r, v, 4, SHMRING_NOWAIT), 2);
	v[0].iov_len = 500;
	cr_assert_eq(shmring_send_burst(r, v, 4, SHMRING_NOWAIT), -EMSGSIZE);
	shmring_close(r);
}

Test(batch, recv_burst_takes_up_to_n_and_reports_lengths)
{
	struct shmring *r = tr_create(RW, 0, 0, NULL);
	struct iovec v[5];
	for (unsigned i = 0; i < 5; i++) {
		tr_fill(payload[i], 20 + i, 4, i);
		v[i] = (struct iovec){payload[i], 20 + i};
	}
	cr_assert_eq(shmring_send_bulk(r, v, 5, SHMRING_NOWAIT), 5);
	uint8_t bufs[3][64];
	struct iovec in[3];
	for (unsigned i = 0; i < 3; i++)
		in[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
	cr_assert_eq(shmring_recv_burst(r, in, 3, SHMRING_NOWAIT), 3);
	for (unsigned i = 0; i < 3; i++) {
		cr_assert_eq(in[i].iov_len, 20 + i);
		cr_assert_arr_eq(bufs[i], payload[i], 20 + i);
	}
	for (unsigned i = 0; i < 3; i++)
		in[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
	cr_assert_eq(shmring_recv_burst(r, in, 3, SHMRING_NOWAIT), 2, "only two were left");
	cr_assert_eq(shmring_recv_burst(r, in, 3, SHMRING_NOWAIT), -EAGAIN);
	shmring_close(r);
}

Test(batch, recv_burst_stops_before_a_message_too_big_for_its_buffer)
{
	struct shmring *r = tr_create(RW, 0, 0, NULL);
	uint8_t small[10] = "0123456789", big[200];
	memset(big, 'b', sizeof(big));
	cr_assert_eq(shmring_send(r, small, sizeof(small), 0), 0);
	cr_assert_eq(shmring_send(r, big, sizeof(big), 0), 0);
	uint8_t b0[16], b1[16];
	struct iovec in[2] = {{b0, sizeof(b0)}, {b1, sizeof(b1)}};
	cr_assert_eq(shmring_recv_burst(r, in, 2, 0), 1);
	in[0] = (struct iovec){b0, sizeof(b0)};
	cr_assert_eq(shmring_recv_burst(r, in, 2, 0), -ENOBUFS);
	cr_assert_eq(in[0].iov_len, sizeof(big), "needed size reported");
	cr_assert_eq(queued(r), 1, "and the message stays queued");
	shmring_close(r);
}

Test(batch, batches_wrap_around_the_ring_intact)
{
	struct shmring *r = tr_create(RW, 4096, 600, NULL);
	uint32_t sent = 0, got = 0;
	srand(11);
	uint8_t bufs[16][600];
	while (got < 30000) {
		unsigned n = 1 + (unsigned)rand() % 8;
		size_t len = 12 + (size_t)rand() % 500;
		struct iovec v[8];
		make_batch(v, n, len, 5, sent);
		int rc = shmring_send_burst(r, v, n, SHMRING_NOWAIT);
		if (rc > 0)
			sent += (uint32_t)rc;
		else
			cr_assert_eq(rc, -EAGAIN);
		struct iovec in[16];
		for (unsigned i = 0; i < 16; i++)
			in[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		unsigned want = 1 + (unsigned)rand() % 16;
		rc = shmring_recv_burst(r, in, want, SHMRING_NOWAIT);
		if (rc == -EAGAIN)
			continue;
		cr_assert_gt(rc, 0, "recv_burst: %s", shmring_strerror(rc));
		for (int i = 0; i < rc; i++) {
			uint32_t who, seq;
			cr_assert(tr_check(bufs[i], in[i].iov_len, &who, &seq), "message %u corrupt", got);
			cr_assert_eq(seq, got);
			got++;
		}
	}
	shmring_close(r);
}

struct producer_args {
	const char *path;
	uint32_t who;
	uint32_t batches;
};

#define BULK 5

static int bulk_producer(void *arg)
{
	struct producer_args *a = arg;
	struct shmring *w;
	CHILD_CHECK(shmring_open(a->path, SHMRING_WRITER, NULL, &w) == 0);
	static uint8_t bufs[BULK][300];
	struct iovec v[BULK];
	for (uint32_t b = 0; b < a->batches; b++) {
		for (uint32_t i = 0; i < BULK; i++) {
			size_t len = 12 + (b * 7 + i * 13) % 280;
			tr_fill(bufs[i], len, a->who, b * BULK + i);
			v[i] = (struct iovec){bufs[i], len};
		}
		int rc = shmring_send_bulk(w, v, BULK, SHMRING_FOREVER);
		if (rc != BULK)
			fprintf(stderr, "producer %u batch %u: %s\n", a->who, b, shmring_strerror(rc));
		CHILD_CHECK(rc == BULK);
	}
	shmring_close(w);
	return 0;
}

Test(batch, concurrent_bulk_batches_arrive_whole_and_in_order)
{
	const char *path;
	struct shmring *admin = tr_create(0, 8192, 400, &path);
	struct shmring *rd;
	cr_assert_eq(shmring_open(path, SHMRING_READER | SHMRING_EXCLUSIVE, NULL, &rd), 0);
	enum { PRODUCERS = 3, BATCHES = 4000 };
	struct producer_args args[PRODUCERS];
	pid_t pids[PRODUCERS];
	for (uint32_t p = 0; p < PRODUCERS; p++) {
		args[p] = (struct producer_args){path, p, BATCHES};
		pids[p] = tr_fork(bulk_producer, &args[p], 60);
	}
	uint32_t next[PRODUCERS] = {0};
	uint32_t total = 0, run_who = UINT32_MAX, run_len = 0;
	uint8_t bufs[32][400];
	for (;;) {
		struct iovec in[32];
		for (unsigned i = 0; i < 32; i++)
			in[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
		int rc = shmring_recv_burst(rd, in, 32, 20000);
		if (rc == 0)
			break;
		cr_assert_gt(rc, 0, "recv_burst: %s", shmring_strerror(rc));
		for (int i = 0; i < rc; i++) {
			uint32_t who, seq;
			cr_assert(tr_check(bufs[i], in[i].iov_len, &who, &seq));
			cr_assert_lt(who, PRODUCERS);
			cr_assert_eq(seq, next[who], "producer %u: got %u, expected %u", who, seq,
				     next[who]);
			next[who]++;
			total++;
			/* A bulk batch is published at once, under the lock:
			 * nobody else's message can sit inside it. */
			if (seq % BULK == 0) {
				cr_assert(run_who == UINT32_MAX || run_len == BULK,
					  "batch of %u cut after %u", run_who, run_len);
				run_who = who;
				run_len = 1;
			} else {
				cr_assert_eq(who, run_who, "batch of %u interleaved with %u", run_who,
					     who);
				run_len++;
			}
		}
	}
	for (int p = 0; p < PRODUCERS; p++)
		cr_assert_eq(tr_wait(pids[p]), 0, "producer %d failed", p);
	cr_assert_eq(total, PRODUCERS * BATCHES * BULK);
	shmring_close(rd);
	shmring_close(admin);
}
