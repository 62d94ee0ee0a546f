/*
 * seeds.c - the fuzzer's seed corpus: real ring images, made by the
 * library itself (through its public API), each written with a few control
 * prefixes (control.h) into the directory named on the command line.
 *
 *   empty      a ring nobody wrote to
 *   several    five messages of 1 .. 1000 bytes
 *   wrapped    a message, a PAD record to the end, messages from offset 0
 *   full       8-byte messages until the ring is full
 *   max        one message of max_msg = capacity - 8: the whole area
 *   big        64 KiB (the largest the fuzzer places), lapped many times
 *
 * Every ring is IPC_PRIVATE and destroyed before the next one is made.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "control.h"
#include "layout.h"
#include "shmring.h"

static const char *dir;
static unsigned written;

static void fail(const char *what, int rc)
{
	fprintf(stderr, "seeds: %s: %s\n", what, shmring_strerror(rc));
	exit(1);
}

static struct shmring *make(size_t capacity, size_t max_msg)
{
	struct shmring_options opt = {.capacity = capacity, .max_msg = max_msg};
	struct shmring *r;
	int rc = shmring_create_key(IPC_PRIVATE, SHMRING_READER | SHMRING_WRITER, &opt, &r);
	if (rc < 0)
		fail("create", rc);
	return r;
}

static void send_n(struct shmring *r, size_t len, unsigned n)
{
	static unsigned char msg[65536];
	for (unsigned i = 0; i < n; i++) {
		memset(msg, 'a' + (int)(written + i) % 26, len);
		int rc = shmring_send(r, msg, len, SHMRING_NOWAIT);
		if (rc < 0)
			fail("send", rc);
	}
}

static void recv_n(struct shmring *r, unsigned n)
{
	static unsigned char buf[65536];
	for (unsigned i = 0; i < n; i++) {
		size_t len = sizeof(buf);
		int rc = shmring_recv(r, buf, &len, SHMRING_NOWAIT);
		if (rc != 1)
			fail("recv", rc);
	}
}

/* Control prefixes: shared and exclusive readers, peeking in bursts and
 * releasing part, an admin handle; with the other side's moves between. */
#define OPS8(a, b, c, d, e, f, g, h) a, b, c, d, e, f, g, h
static const unsigned char controls[][FUZZ_CONTROL - 1] = {
    {0, 0,
     OPS8(FUZZ_OP(OP_RECV, 0), FUZZ_OP(OP_RECV_BURST, 4), FUZZ_OP(OP_PEEK, 0),
	  FUZZ_OP(OP_SCRIBBLE, 0), FUZZ_OP(OP_RELEASE, 0), FUZZ_OP(OP_TAIL, 2),
	  FUZZ_OP(OP_RECV, 0), FUZZ_OP(OP_STATS, 0))},
    {0, HANDLE_EXCLUSIVE,
     OPS8(FUZZ_OP(OP_PEEK_BURST, 7), FUZZ_OP(OP_RELEASE_BURST, 2), FUZZ_OP(OP_RECV, 0),
	  FUZZ_OP(OP_LIST, 0), FUZZ_OP(OP_STATS, 0), FUZZ_OP(OP_HEAD, 2), FUZZ_OP(OP_RECV, 0),
	  FUZZ_OP(OP_PEEK, 0))},
    {0, 0,
     OPS8(FUZZ_OP(OP_PEEK_BURST, 15), FUZZ_OP(OP_SCRIBBLE, 1), FUZZ_OP(OP_RELEASE_BURST, 1),
	  FUZZ_OP(OP_PEEK, 0), FUZZ_OP(OP_RECV, 3), FUZZ_OP(OP_RELEASE, 0), FUZZ_OP(OP_TAIL, 1),
	  FUZZ_OP(OP_PEEK_BURST, 3))},
    {0, HANDLE_ADMIN | HANDLE_LIST_FIRST,
     OPS8(FUZZ_OP(OP_STATS, 0), FUZZ_OP(OP_LIST, 0), FUZZ_OP(OP_RECV, 0), FUZZ_OP(OP_PEEK, 0),
	  FUZZ_OP(OP_STATS, 0), FUZZ_OP(OP_HEAD, 1), FUZZ_OP(OP_STATS, 0), FUZZ_OP(OP_TAIL, 0))},
    {0, HANDLE_EXCLUSIVE | HANDLE_WRITER,
     OPS8(FUZZ_OP(OP_RECV, 0), FUZZ_OP(OP_RECV, 0), FUZZ_OP(OP_SCRIBBLE, 2), FUZZ_OP(OP_RECV, 0),
	  FUZZ_OP(OP_PEEK_BURST, 15), FUZZ_OP(OP_SCRIBBLE, 3), FUZZ_OP(OP_RELEASE_BURST, 4),
	  FUZZ_OP(OP_STATS, 0))},
};

/* Record headers for OP_SCRIBBLE, in the header page's unused tail: each
 * one a way to damage a record (layout.h, RECORDS). */
static const struct {
	uint32_t len, tag;
} scribbles[] = {
    {0, TAG_MSG},          /* MSG of length 0 */
    {UINT32_MAX, TAG_MSG}, /* MSG longer than anything */
    {8, 0},                /* unknown tag */
    {16, TAG_PAD},         /* PAD that does not reach the end */
    {8, TAG_MSG},          /* a good MSG header */
};

/* Write the ring's segment, behind each control prefix, then destroy it. */
static void dump(struct shmring *r, const char *name)
{
	struct shmring_stats st;
	int rc = shmring_stats(r, &st);
	if (rc < 0)
		fail("stats", rc);
	if (st.segment_size % FUZZ_PAGE || st.segment_size > FUZZ_MAX_PAGES * FUZZ_PAGE)
		fail("segment size", -EINVAL);
	const unsigned char *seg = shmat(st.shmid, NULL, SHM_RDONLY);
	if (seg == (void *)-1)
		fail("shmat", -errno);
	static unsigned char img[FUZZ_MAX_PAGES * FUZZ_PAGE];
	memcpy(img, seg, st.segment_size);
	shmdt(seg);
	memcpy(img + FUZZ_SCRIBBLE_AT, scribbles, sizeof(scribbles));
	unsigned char pages = (unsigned char)(st.segment_size / FUZZ_PAGE - 1);
	for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s-%zu", dir, name, i);
		FILE *f = fopen(path, "wb");
		if (!f || fputc(pages, f) == EOF ||
		    fwrite(controls[i], sizeof(controls[i]), 1, f) != 1 ||
		    fwrite(img, st.segment_size, 1, f) != 1 || fclose(f) != 0) {
			perror(path);
			exit(1);
		}
		written++;
	}
	rc = shmring_destroy(r);
	if (rc < 0)
		fail("destroy", rc);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	struct shmring *r;

	dump(make(4096, 1024), "empty");

	r = make(4096, 1024);
	send_n(r, 1, 1);
	send_n(r, 7, 1);
	send_n(r, 8, 1);
	send_n(r, 100, 1);
	send_n(r, 1000, 1);
	dump(r, "several");

	/* 3 x 1008 taken: head = tail = 3024. 1000 goes to 3024..4032; 200
	 * does not fit in the 64 bytes left, which become one PAD record. */
	r = make(4096, 1024);
	send_n(r, 1000, 3);
	recv_n(r, 3);
	send_n(r, 1000, 1);
	send_n(r, 200, 1);
	send_n(r, 24, 3);
	dump(r, "wrapped");

	r = make(4096, 1024);
	send_n(r, 8, 4096 / 16);
	dump(r, "full");

	r = make(4096, 4088);
	send_n(r, 4088, 1);
	dump(r, "max");

	r = make(65536, 0);
	for (unsigned lap = 0; lap < 60; lap++) {
		send_n(r, 1 + lap * 397 % 3000, 3);
		recv_n(r, 3);
	}
	for (unsigned i = 0; i < 10; i++)
		send_n(r, 1 + i * 1201 % 3000, 1);
	dump(r, "big");

	printf("seeds: %u files in %s\n", written, dir);
	return 0;
}
