/*
 * foreign_seg.c - test helper: System V objects a ring must refuse.
 *
 *   foreign-seg make KEY BYTES    make a segment that is not a ring (filled
 *                                 with 0xa5), print its shmid
 *   foreign-seg rm KEY            remove the segment with KEY
 *   foreign-seg poke SHMID OFFSET BYTE
 *                                 write one byte into a segment (to corrupt
 *                                 a ring's header)
 *   foreign-seg peek SHMID OFFSET print one byte of a segment, in decimal
 *
 * KEY is 0xHEX or decimal. Exit 0 on success, 1 with a message otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

static int fail(const char *what)
{
	fprintf(stderr, "foreign-seg: %s: %s\n", what, strerror(errno));
	return 1;
}

static unsigned long number(const char *text)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 0);
	if (errno || end == text || *end) {
		fprintf(stderr, "foreign-seg: '%s' is not a number\n", text);
		exit(2);
	}
	return v;
}

static unsigned char *attach(const char *shmid_text, unsigned long offset)
{
	int shmid = (int)number(shmid_text);
	struct shmid_ds ds;
	if (shmctl(shmid, IPC_STAT, &ds) < 0) {
		fail("shmctl IPC_STAT");
		exit(1);
	}
	if (offset >= ds.shm_segsz) {
		fprintf(stderr, "foreign-seg: offset %lu is past the segment's %zu bytes\n", offset,
			(size_t)ds.shm_segsz);
		exit(1);
	}
	unsigned char *p = shmat(shmid, NULL, 0);
	if (p == (void *)-1) {
		fail("shmat");
		exit(1);
	}
	return p;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "make")) {
		key_t key = (key_t)number(argv[2]);
		size_t size = number(argv[3]);
		int shmid = shmget(key, size, IPC_CREAT | IPC_EXCL | 0600);
		if (shmid < 0)
			return fail("shmget");
		unsigned char *p = shmat(shmid, NULL, 0);
		if (p == (void *)-1) {
			shmctl(shmid, IPC_RMID, NULL);
			return fail("shmat");
		}
		memset(p, 0xa5, size);
		shmdt(p);
		printf("%d\n", shmid);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "rm")) {
		int shmid = shmget((key_t)number(argv[2]), 0, 0);
		if (shmid < 0 || shmctl(shmid, IPC_RMID, NULL) < 0)
			return fail("remove");
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "poke")) {
		unsigned long offset = number(argv[3]);
		unsigned char *p = attach(argv[2], offset);
		p[offset] = (unsigned char)number(argv[4]);
		shmdt(p);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "peek")) {
		unsigned long offset = number(argv[3]);
		unsigned char *p = attach(argv[2], offset);
		printf("%u\n", p[offset]);
		shmdt(p);
		return 0;
	}
	fprintf(stderr, "usage: foreign-seg make KEY BYTES | rm KEY | poke SHMID OFFSET BYTE |"
			" peek SHMID OFFSET\n");
	return 2;
}
