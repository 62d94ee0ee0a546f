/*
 * fuzz_reader.c - a libFuzzer target over everything a reader does with
 * bytes another process wrote: the header checks of shmring_open_id(), the
 * record walks of shmring_recv(), shmring_recv_burst(), shmring_peek() and
 * shmring_peek_burst(), the re-walk of shmring_release_burst(), and the
 * snapshots of shmring_stats() and shmring_list(). Between the calls the
 * input may also play the other processes: move the tail or the head, or
 * overwrite the record header the reader meets next. Input format:
 * control.h.
 *
 * WHERE THE BYTES ARE
 *
 * In a real System V segment, which the library maps itself with shmat()
 * in open. ASan does not see into shared memory, so an out-of-bounds read
 * there must fault instead: the segment has to end at an inaccessible page.
 * Where the kernel puts shmat(NULL) is not ours to choose, so this binary
 * defines shmat() and shmdt() itself; the library's calls bind to them at
 * link time (it is linked statically; lib/ is not changed). They put every
 * segment of up to FUZZ_MAX_PAGES pages into one of a few slots of a
 * PROT_NONE reservation made at start-up, with SHM_REMAP, so that its last
 * byte is followed by a guard page and everything before it, down to the
 * previous guard, is inaccessible too. shmdt() puts PROT_NONE back at once
 * (MAP_FIXED_NOREPLACE: it never takes over a mapping someone else made
 * meanwhile), so the hole is never reused for anything else.
 *
 * One segment, exactly as large as the input asks (whole pages), is kept
 * while inputs keep asking for that size and replaced when one asks for
 * another: a reader that walks past its capacity but stays inside a larger
 * segment would not fault, so the size is the input's, never a maximum.
 * The segment is marked removed as soon as the fuzzer has its own mapping
 * (Linux still reaches it by id), so a crash leaves no segment behind. The
 * one semaphore set is made once and removed at exit; run.sh also runs the
 * fuzzer in a private IPC namespace where it can. Before every input the
 * image is copied in (the rest of the segment zeroed) and the set is reset
 * with SETALL, which also clears every undo value on it, so no input sees
 * another's state.
 *
 * WHAT COUNTS AS A FINDING
 *
 * Sanitizer reports and faults, and any broken contract, which aborts: a
 * return code shmring.h does not list, a message outside the data area or
 * longer than max_msg, stats that do not add up, or a lock or role still
 * held on the set once the handle is closed.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "control.h"
#include "handle.h"
#include "layout.h"
#include "shmring.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static void die(const char *what, long value)
{
	fprintf(stderr, "fuzz_reader: %s (%ld)\n", what, value);
	abort();
}

/* ---------------------------------------------------------------------- */
/* Guarded placement of every attachment                                  */

#define SLOTS 4 /* the open handle, shmring_list()'s, and room to spare */
#define SLOT_SPAN ((size_t)FUZZ_MAX_PAGES * FUZZ_PAGE)
#define GUARD ((size_t)FUZZ_PAGE)

struct slot {
	uint8_t *end; /* SLOT_SPAN bytes below it are the slot; a guard page at it */
	void *at;     /* the attachment in the slot, NULL if free */
	size_t len;
};
static struct slot slots[SLOTS];

static void *raw_shmat(int id, const void *addr, int flags)
{
	long p = syscall(SYS_shmat, id, addr, flags);
	return p == -1 ? (void *)-1 : (void *)p;
}

static int raw_shmdt(const void *addr)
{
	return (int)syscall(SYS_shmdt, addr);
}

/* guard | slot 0 | guard | slot 1 | ... | slot n-1 | guard */
static void reserve_slots(void)
{
	size_t total = GUARD + SLOTS * (SLOT_SPAN + GUARD);
	uint8_t *p = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (p == MAP_FAILED)
		die("mmap of the guarded slots", errno);
	for (int i = 0; i < SLOTS; i++)
		slots[i].end = p + GUARD + (size_t)i * (SLOT_SPAN + GUARD) + SLOT_SPAN;
}

void *shmat(int id, const void *addr, int flags)
{
	struct shmid_ds ds;
	if (addr || !slots[0].end || shmctl(id, IPC_STAT, &ds) < 0 || ds.shm_segsz > SLOT_SPAN)
		return raw_shmat(id, addr, flags);
	struct slot *s = NULL;
	for (int i = 0; i < SLOTS && !s; i++)
		if (!slots[i].at)
			s = &slots[i];
	if (!s)
		die("more attachments at once than slots", SLOTS);
	size_t len = (ds.shm_segsz + FUZZ_PAGE - 1) / FUZZ_PAGE * FUZZ_PAGE;
	void *p = raw_shmat(id, s->end - len, flags | SHM_REMAP);
	if (p != (void *)-1) {
		s->at = p;
		s->len = len;
	}
	return p;
}

int shmdt(const void *addr)
{
	int rc = raw_shmdt(addr);
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &slots[i];
		if (!s->at || s->at != addr)
			continue;
		if (rc == 0 && mmap(s->at, s->len, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
				    -1, 0) != s->at)
			die("the guard could not be put back", errno);
		s->at = NULL;
	}
	return rc;
}

/* ---------------------------------------------------------------------- */
/* The segment and the semaphore set                                      */

static int semid = -1;
static int shmid = -1;
static uint8_t *view; /* the fuzzer's own mapping, anywhere */
static size_t view_len;
static uint32_t seg_key;

static void remove_set(void)
{
	if (semid >= 0)
		semctl(semid, 0, IPC_RMID);
	semid = -1;
}

static void use_segment(size_t len)
{
	if (view && view_len == len)
		return;
	if (view)
		raw_shmdt(view);
	view = NULL;
	shmid = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
	if (shmid < 0)
		die("shmget", errno);
	view = raw_shmat(shmid, NULL, 0);
	int err = errno;
	/* Removed now: freed with the last attachment, even if we crash. */
	shmctl(shmid, IPC_RMID, NULL);
	if (view == (void *)-1)
		die("shmat of our own view", err);
	struct shmid_ds ds;
	if (shmctl(shmid, IPC_STAT, &ds) < 0)
		die("IPC_STAT of a removed segment", errno);
	seg_key = (uint32_t)ds.shm_perm.__key;
	view_len = len;
}

static const unsigned short sem_init[SEM_COUNT] = {
    [SEM_WRITERS_LOCK] = 1, [SEM_READERS_LOCK] = 1, [SEM_TAG] = SEM_TAG_VALUE};

static void reset_set(void)
{
	unsigned short v[SEM_COUNT];
	memcpy(v, sem_init, sizeof(v));
	union semun arg = {.array = v};
	if (semctl(semid, 0, SETALL, arg) < 0)
		die("SETALL", errno);
}

/* Every lock free and no role held: what a closed handle must leave. */
static void check_set_released(void)
{
	unsigned short v[SEM_COUNT];
	union semun arg = {.array = v};
	if (semctl(semid, 0, GETALL, arg) < 0)
		die("GETALL", errno);
	const unsigned short idx[] = {SEM_WRITERS_LOCK, SEM_READERS_LOCK, SEM_WRITERS, SEM_READERS, SEM_TAG};
	for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		if (v[idx[i]] != sem_init[idx[i]])
			die("a closed handle left a lock or a role on semaphore", idx[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	reserve_slots();
	semid = semget(IPC_PRIVATE, SEM_COUNT, IPC_CREAT | 0600);
	if (semid < 0)
		die("semget", errno);
	atexit(remove_set);
	/* For run.sh, which removes the set if we die before atexit runs. */
	const char *note = getenv("SHMRING_FUZZ_SEMID_FILE");
	if (note) {
		FILE *f = fopen(note, "a");
		if (f) {
			fprintf(f, "%d\n", semid);
			fclose(f);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Operations and their contracts                                         */

#define BIG 65536u
#define BURST_MAX 16u
static uint8_t bufs[8][BIG];
static volatile uint8_t sink;

struct run {
	struct shmring *r;
	bool admin;
	bool peeked;
	const uint8_t *img; /* the input's image, for OP_SCRIBBLE */
	size_t img_len;
};

/* The codes every receive or peek may return (besides a count). */
static bool reader_rc(const struct run *x, int rc)
{
	return rc == 0 || rc == -EAGAIN || rc == -EUCLEAN || rc == -EIDRM ||
	       (rc == -EBUSY && x->peeked) || (rc == -EBADF && x->admin);
}

static void expect(bool ok, const char *what, int rc)
{
	if (!ok)
		die(what, rc);
}

/* A message handed out in place lies inside the data area; read it all,
 * so one that does not meets a guard page. */
static void check_in_place(const struct shmring *r, const void *msg, size_t len)
{
	const uint8_t *p = msg, *lo = r->data, *hi = r->data + r->capacity;
	expect(len >= 1 && len <= r->max_msg, "peeked length", (int)len);
	expect(p >= lo && p <= hi && len <= (size_t)(hi - p), "peeked message outside the area",
	       (int)(p - lo));
	uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= p[i];
	sink = x;
}

static int list_fn(const struct shmring_stats *st, void *arg)
{
	(void)arg;
	expect(st->used <= st->capacity, "list: used over capacity", (int)st->used);
	expect(st->capacity <= st->segment_size, "list: capacity over the segment",
	       (int)st->capacity);
	sink = (uint8_t)(st->anchor[0] ^ st->anchor[sizeof(st->anchor) - 1]);
	return 0;
}

static void op_list(void)
{
	int rc = shmring_list(list_fn, NULL);
	expect(rc == 0, "shmring_list", rc);
}

static void op_recv(struct run *x, unsigned arg)
{
	size_t cap = arg == 0 ? BIG : arg * 16u;
	size_t len = cap;
	int rc = shmring_recv(x->r, bufs[0], &len, SHMRING_NOWAIT);
	if (rc == 1)
		expect(len >= 1 && len <= cap && len <= x->r->max_msg, "received length", (int)len);
	else if (rc == -ENOBUFS)
		expect(len > cap && len <= x->r->max_msg, "length asked for", (int)len);
	else
		expect(reader_rc(x, rc), "shmring_recv", rc);
}

static void op_recv_burst(struct run *x, unsigned arg)
{
	unsigned n = 1 + arg % 8;
	size_t cap = arg & 8 ? 64 : BIG;
	struct iovec msgs[8];
	for (unsigned i = 0; i < n; i++)
		msgs[i] = (struct iovec){.iov_base = bufs[i], .iov_len = cap};
	int rc = shmring_recv_burst(x->r, msgs, n, SHMRING_NOWAIT);
	if (rc > 0) {
		expect((unsigned)rc <= n, "recv_burst count", rc);
		for (int i = 0; i < rc; i++)
			expect(msgs[i].iov_len >= 1 && msgs[i].iov_len <= cap &&
				       msgs[i].iov_len <= x->r->max_msg,
			       "burst length", (int)msgs[i].iov_len);
	} else if (rc == -ENOBUFS) {
		expect(msgs[0].iov_len > cap && msgs[0].iov_len <= x->r->max_msg,
		       "burst length asked for", (int)msgs[0].iov_len);
	} else {
		expect(reader_rc(x, rc), "shmring_recv_burst", rc);
	}
}

static void op_peek(struct run *x)
{
	const void *msg;
	size_t len;
	int rc = shmring_peek(x->r, &msg, &len, SHMRING_NOWAIT);
	if (rc == 1) {
		check_in_place(x->r, msg, len);
		x->peeked = true;
	} else {
		expect(reader_rc(x, rc), "shmring_peek", rc);
	}
}

static void op_peek_burst(struct run *x, unsigned arg)
{
	unsigned n = 1 + arg;
	struct iovec msgs[BURST_MAX];
	int rc = shmring_peek_burst(x->r, msgs, n, SHMRING_NOWAIT);
	if (rc > 0) {
		expect((unsigned)rc <= n, "peek_burst count", rc);
		for (int i = 0; i < rc; i++)
			check_in_place(x->r, msgs[i].iov_base, msgs[i].iov_len);
		x->peeked = true;
	} else {
		expect(reader_rc(x, rc), "shmring_peek_burst", rc);
	}
}

static void op_release(struct run *x, bool burst, unsigned arg)
{
	int rc = burst ? shmring_release_burst(x->r, arg) : shmring_release(x->r);
	if (!x->peeked) {
		expect(rc == -EINVAL, "release with no peek", rc);
		return;
	}
	/* -EINVAL: more than were peeked, and the peek stays pending. */
	expect(rc == 0 || (burst && (rc == -EINVAL || rc == -EUCLEAN)), "release", rc);
	if (rc != -EINVAL)
		x->peeked = false;
}

static void op_stats(struct run *x)
{
	struct shmring_stats st;
	int rc = shmring_stats(x->r, &st);
	if (rc == 0) {
		expect(st.used <= st.capacity && st.capacity == x->r->capacity, "stats: used",
		       (int)st.used);
		expect(st.max_msg == x->r->max_msg, "stats: max_msg", (int)st.max_msg);
		expect(st.readers <= 1 && st.writers <= 1, "stats: roles", (int)st.readers);
	} else {
		expect(rc == -EUCLEAN, "shmring_stats", rc);
	}
}

/* The other processes, between two calls: through our own mapping, as
 * they would through theirs. */
static struct layout_side *view_side(bool prod)
{
	struct layout_header *hdr = (struct layout_header *)(void *)view;
	return prod ? &hdr->prod : &hdr->cons;
}

static void op_tail(unsigned arg)
{
	uint64_t head = shm_load_relaxed(&view_side(false)->index);
	uint64_t tail = shm_load_relaxed(&view_side(true)->index);
	shm_store_release(&view_side(true)->index, arg ? tail + arg * 8u : head);
}

static void op_head(unsigned arg)
{
	uint64_t head = shm_load_relaxed(&view_side(false)->index);
	shm_store_release(&view_side(false)->index, head + arg * 8u);
}

/* Overwrite the 8 bytes @arg words after the head (where the reader's
 * next records are) with word @arg of the image's scribble area. */
static void op_scribble(const struct run *x, unsigned arg)
{
	const struct shmring *r = x->r;
	uint64_t word = 0;
	size_t from = FUZZ_SCRIBBLE_AT + arg * 8u;
	if (from + 8 <= x->img_len)
		memcpy(&word, x->img + from, 8);
	uint64_t head = shm_load_relaxed(&view_side(false)->index);
	uint64_t off = (head % r->capacity + arg * 8u) % r->capacity & ~(uint64_t)7;
	size_t data_offset = (size_t)(r->data - (const uint8_t *)r->hdr);
	__atomic_store_n((uint64_t *)(void *)(view + data_offset + off), word, __ATOMIC_RELEASE);
}

static void run_op(struct run *x, uint8_t op)
{
	unsigned arg = op >> 4;
	switch (op & 15) {
	case OP_RECV:
		op_recv(x, arg);
		break;
	case OP_RECV_BURST:
		op_recv_burst(x, arg);
		break;
	case OP_PEEK:
		op_peek(x);
		break;
	case OP_PEEK_BURST:
		op_peek_burst(x, arg);
		break;
	case OP_RELEASE:
		op_release(x, false, arg);
		break;
	case OP_RELEASE_BURST:
		op_release(x, true, arg);
		break;
	case OP_STATS:
		op_stats(x);
		break;
	case OP_LIST:
		op_list();
		break;
	case OP_TAIL:
		op_tail(arg);
		break;
	case OP_HEAD:
		op_head(arg);
		break;
	case OP_SCRIBBLE:
		op_scribble(x, arg);
		break;
	default:
		break;
	}
}

/* ---------------------------------------------------------------------- */

static void place_image(const uint8_t *img, size_t n, unsigned fixups)
{
	size_t copy = n < view_len ? n : view_len;
	memcpy(view, img, copy);
	memset(view + copy, 0, view_len - copy);
	struct layout_header *hdr = (struct layout_header *)(void *)view;
	if (!(fixups & FIX_RAW_KEY))
		hdr->id.key = seg_key;
	if (!(fixups & FIX_RAW_SEMID))
		hdr->id.semid = semid;
	if (!(fixups & FIX_RAW_MARKS)) {
		hdr->id.magic = LAYOUT_MAGIC;
		hdr->id.layout_version = LAYOUT_VERSION;
		hdr->id.ready = READY_MARK;
	}
}

static bool open_rc(int rc)
{
	return rc == -EUCLEAN || rc == -EMEDIUMTYPE || rc == -EPROTONOSUPPORT || rc == -ESTALE ||
	       rc == -ETIMEDOUT || rc == -EIDRM || rc == -EACCES;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < FUZZ_CONTROL)
		return -1; /* not worth keeping in the corpus */
	const uint8_t *ctl = data;
	use_segment((1 + ctl[0] % FUZZ_MAX_PAGES) * (size_t)FUZZ_PAGE);
	place_image(data + FUZZ_CONTROL, size - FUZZ_CONTROL, ctl[1]);
	reset_set();

	unsigned handle = ctl[2];
	if (handle & HANDLE_LIST_FIRST)
		op_list();
	unsigned flags = 0;
	if (!(handle & HANDLE_ADMIN))
		flags = SHMRING_READER | (handle & HANDLE_WRITER ? SHMRING_WRITER : 0);
	if (handle & HANDLE_EXCLUSIVE)
		flags |= SHMRING_EXCLUSIVE;
	struct shmring_options opt = {.ready_timeout_ms = -1};
	struct run x = {.admin = !(flags & SHMRING_READER),
			.img = data + FUZZ_CONTROL,
			.img_len = size - FUZZ_CONTROL};
	int rc = shmring_open_id(shmid, flags, &opt, &x.r);
	if (rc < 0) {
		expect(open_rc(rc), "shmring_open_id", rc);
		expect(x.r == NULL, "a failed open handed out a handle", rc);
	} else {
		struct shmring *r = x.r;
		expect(r->capacity >= RECORD_ALIGN && r->data + r->capacity <=
							      (uint8_t *)r->hdr + r->segment_size,
		       "the data area is not inside the segment", (int)r->capacity);
		for (unsigned i = 0; i < FUZZ_OPS; i++)
			run_op(&x, ctl[3 + i]);
		shmring_close(r);
	}
	check_set_released();
	return 0;
}
