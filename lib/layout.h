/*
 * layout.h - the format of a shmring segment and semaphore set.
 *
 * This file is the only definition of what lives in shared memory. Anything
 * here that changes meaning bumps LAYOUT_VERSION.
 *
 * THE SEGMENT
 *
 * One System V shared-memory segment: a header of one page, then the data
 * area of `capacity` bytes (a whole number of pages). Every field is a
 * fixed-width integer at a fixed offset; nothing is a pointer, so the
 * segment works at any address in any process.
 *
 *   offset  size  field                 written by
 *   ------  ----  --------------------  ------------------------------------
 *        0     8  magic                 creator, first
 *        8     4  layout_version        creator
 *       12     4  data_offset           creator (== page size)
 *       16     8  capacity              creator
 *       24     8  max_msg               creator
 *       32     8  anchor_dev            creator (0 when created by key)
 *       40     8  anchor_ino            creator
 *       48     4  semid                 creator, right after semget()
 *       52     4  key                   creator
 *       56     4  ready                 creator, LAST (READY_MARK)
 *       60     4  destroyed             whoever removes the ring
 *       64     8  anchor_birth          creator: anchor's birth time in ns, 0 if unknown
 *      128     8  prod.tail             writers (the lock holder)
 *      136     8  prod.sent             writers
 *      144     8  prod.journal_tail     writers
 *      152     8  prod.journal_sent     writers
 *      160     8  prod.joins            every writer, +1 when it attaches
 *      256     8  cons.head             readers (the lock holder)
 *      264     8  cons.received         readers
 *      272     8  cons.journal_head     readers
 *      280     8  cons.journal_received readers
 *      288     8  cons.joins            every reader, +1 when it attaches
 *      384     4  prod_wait.sleeping    the writer waiting for room
 *      392     8  prod_wait.want        that writer: bytes free it waits for
 *      512     4  cons_wait.sleeping    the reader waiting for data
 *      520     8  cons_wait.want        that reader: 1 (any message)
 *      640  1024  anchor                creator: NUL-terminated path or ""
 *     1664     4  writers_hint.busy     the shared writer holding the lock
 *     1792     4  readers_hint.busy     the shared reader holding the lock
 *
 * Each group starts on its own 128-byte boundary (two cache lines, so the
 * adjacent-line prefetcher cannot make the sides share either): the
 * identity block is read-mostly, the producer and consumer blocks are each
 * written by one side only, and the two sleep flags are written only on the
 * slow path, so the fast path of one side never dirties a line the other
 * side reads on its own fast path. The two lock hints get lines of their
 * own too: they move with every lock taken by a shared handle, which the
 * peers of that side read, and the other side never does.
 *
 * LOCK HINTS
 *
 * A shared handle sets its side's busy word to 1 after its P on the lock
 * and clears it before its V. The word is never trusted: it only tells a
 * handle that wants the lock whether to spin a little before it calls
 * semop(), so that a lock held for a microsecond does not put it to sleep
 * (and through a context switch) on a 2-core box. A holder that dies
 * leaves 1 behind; the next one spins its bounded while, then asks the
 * kernel, takes the lock the kernel has released, and rewrites the word.
 * Handles that find the lock busy for longer sleep in semop() until it is
 * free without taking it (P and V in one call), then compete for it. A
 * holder that goes to sleep on the ring (empty or full) sets the word to
 * 2 meanwhile: nobody spins for a lock that will not come soon. Exclusive
 * handles, which hold their lock for life, leave it 0: their peers block
 * at once.
 *
 * INDEXES
 *
 * tail and head are free-running 64-bit byte counts: the byte offset in the
 * data area is index % capacity, the bytes queued are tail - head, and the
 * ring is empty when they are equal. 64 bits never wrap in practice (584
 * years at 1 GB/s), which keeps the arithmetic free of lap bits. Both are
 * multiples of RECORD_ALIGN. A reader trusts neither: every load is checked
 * for alignment and for 0 <= tail - head <= capacity before use.
 *
 * RECORDS
 *
 * The data area is a sequence of records, each starting at a multiple of 8:
 *
 *   +0  u32 len   payload bytes (MSG), or bytes skipped incl. header (PAD)
 *   +4  u32 tag   TAG_MSG or TAG_PAD
 *   +8  payload, padded to a multiple of 8
 *
 * A message never wraps: when it does not fit before the end of the data
 * area, the writer fills the rest with one PAD record and puts the message
 * at offset 0. So every message is contiguous and can be handed out in
 * place (zero copy). A PAD record is never at offset 0 and always reaches
 * exactly the end of the data area.
 *
 * COMMITTING
 *
 * A writer publishes by one release store of tail, after the records are
 * complete; a reader consumes by one release store of head, after it has
 * copied (or released) the payload. A process killed anywhere before that
 * store has published nothing. The message counters follow their index in
 * a second store; the journal makes that pair crash-safe: the lock holder
 * writes journal_tail, then journal_sent, then tail, then sent. Whoever next
 * takes the lock finds journal_tail == tail with sent != journal_sent only
 * when the previous holder died between the last two stores, and finishes
 * the job (see ring.c: shmring__ring_recover_counts).
 *
 * THE SEMAPHORE SET (SEM_COUNT semaphores, same key as the segment)
 *
 *   SEM_WRITERS_LOCK  1 = free. Writers' lock, P/V with SEM_UNDO. Guards prod.*.
 *   SEM_READERS_LOCK  1 = free. Readers' lock, P/V with SEM_UNDO. Guards cons.*.
 *   SEM_WRITERS       writer handles attached; +1/-1 with SEM_UNDO, so the
 *                     kernel takes a killed writer off the count.
 *   SEM_READERS       reader handles attached; likewise.
 *   SEM_DATA          wake-up tokens for the reader sleeping on an empty ring.
 *   SEM_SPACE         wake-up tokens for the writer sleeping on a full ring.
 *   SEM_TAG           constant SEM_TAG_VALUE: tells our sets from anyone
 *                     else's.
 *
 * WAKE-UP TOKENS
 *
 * No semaphore counts data, space or bytes, so none nears SEMVMX (32767).
 * Only the lock holder of a side ever sleeps on that side's wake-up
 * semaphore, so a token is posted only when the flag in prod_wait/cons_wait
 * says someone sleeps (taken with an atomic exchange: one token per sleep),
 * and only when no token is pending (a wait-for-zero in the same semop): a
 * sleeper that gave up just as a waker claimed its flag leaves one token
 * behind, and leftovers never add up. Posted tokens are thus 0 or 1; the
 * kernel's undo adds one per peer that died.
 *
 * A sleeper first stores in its want the bytes it waits for: a reader any
 * message (1, and writers wake it at every publication), a writer on a
 * full ring a quarter of the ring, or its record if that is larger.
 * Readers wake it only once that much is free (so a writer is
 * woken once per quarter of the ring, not once per record), and a reader
 * that goes idle has the whole ring free, so it always wakes it. After
 * SHARE_SLICE_MS (wait.c) the writer settles for the room its record
 * needs. The field is never trusted: over the capacity means the whole
 * ring, and 0 (what a writer of an older library leaves) means any room.
 *
 * Peers that die: attaching as a writer does, in one semop, SEM_WRITERS +1
 * (undo) and SEM_DATA +1 then -1 (the -1 with undo). The value is unchanged,
 * but the kernel now owes SEM_DATA one token at this process's exit, so a
 * writer killed by SIGKILL wakes the sleeping reader, which then sees
 * SEM_WRITERS at 0 and reports end of stream. A clean close pays the debt
 * back in the same semop that leaves (SEM_DATA +1 with undo, and -1), after
 * it has woken a sleeper through the flag: a close killed between the two
 * still owes its token, so no instant of it strands a sleeper. (Either pair
 * may run -1 first, which needs a token there, or +1 first, which needs
 * room below SEMVMX: sem.c takes whichever can run, so neither a join nor a
 * leave fails at any value.) Readers mirror this on SEM_SPACE.
 *
 * The debts of peers that die pile up where nobody sleeps to take them
 * (a reader that never finds the ring empty), and the kernel stops them
 * only at SEMVMX. So whoever joins a role takes every token beyond one from
 * that role's wake-up semaphore: at most one is ever needed, and nobody
 * sleeps while one is there. The value stays at most 1 plus the peers that
 * died since the last join.
 *
 * "Gone" is judged per handle: a reader sees end of stream when the ring is
 * empty, no writer is attached, and a writer was in its time: attached when
 * the reader opened, joined since (prod.joins moved), or left messages that
 * were waiting when the reader opened. Writers get -EPIPE when no reader is
 * attached and one was attached or joined since the writer opened. So a
 * ring outlives its sessions: a reader that finds an idle empty ring waits
 * for the next writer, and a writer after an earlier reader has left buffers.
 */
#ifndef SHMRING_LAYOUT_H
#define SHMRING_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define LAYOUT_MAGIC UINT64_C(0x31474e4952524d53) /* "SMRRING1" little-endian */
#define LAYOUT_VERSION 1u
#define READY_MARK UINT32_C(0x52454459)           /* "YDER" */
#define DESTROYED_MARK UINT32_C(0x44454144)       /* "DAED" */

#define RECORD_ALIGN 8u
#define RECORD_HEADER 8u
#define TAG_MSG UINT32_C(0x4753454d) /* "MESG" */
#define TAG_PAD UINT32_C(0x44444150) /* "PADD" */

/* Each group of fields starts on its own block of two cache lines. */
#define LAYOUT_BLOCK 128u
#define ANCHOR_MAX 1024u

enum sem_index {
	SEM_WRITERS_LOCK,
	SEM_READERS_LOCK,
	SEM_WRITERS,
	SEM_READERS,
	SEM_DATA,
	SEM_SPACE,
	SEM_TAG,
	SEM_COUNT
};
#define SEM_TAG_VALUE 0x5352 /* "SR", below SEMVMX */

struct layout_identity {
	uint64_t magic;
	uint32_t layout_version;
	uint32_t data_offset;
	uint64_t capacity;
	uint64_t max_msg;
	uint64_t anchor_dev;
	uint64_t anchor_ino;
	int32_t semid;
	uint32_t key;
	uint32_t ready;
	uint32_t destroyed;
	uint64_t anchor_birth;
};

struct layout_side {
	uint64_t index; /* tail for the producer side, head for the consumer */
	uint64_t count; /* sent / received */
	uint64_t journal_index;
	uint64_t journal_count;
	uint64_t joins; /* writers / readers that ever attached */
};

struct layout_wait {
	uint32_t sleeping;
	uint32_t reserved;
	uint64_t want; /* bytes the sleeper waits for (WAKE-UP TOKENS) */
};

struct layout_lock_hint {
	uint32_t busy; /* 0 free, LOCK_HINT_HELD, LOCK_HINT_ASLEEP */
};
#define LOCK_HINT_HELD 1u
#define LOCK_HINT_ASLEEP 2u

struct layout_header {
	struct layout_identity id;
	uint8_t pad0[LAYOUT_BLOCK - sizeof(struct layout_identity)];
	struct layout_side prod;
	uint8_t pad1[LAYOUT_BLOCK - sizeof(struct layout_side)];
	struct layout_side cons;
	uint8_t pad2[LAYOUT_BLOCK - sizeof(struct layout_side)];
	struct layout_wait prod_wait;
	uint8_t pad3[LAYOUT_BLOCK - sizeof(struct layout_wait)];
	struct layout_wait cons_wait;
	uint8_t pad4[LAYOUT_BLOCK - sizeof(struct layout_wait)];
	char anchor[ANCHOR_MAX];
	struct layout_lock_hint writers_hint;
	uint8_t pad5[LAYOUT_BLOCK - sizeof(struct layout_lock_hint)];
	struct layout_lock_hint readers_hint;
	uint8_t pad6[LAYOUT_BLOCK - sizeof(struct layout_lock_hint)];
};

struct layout_record {
	uint32_t len;
	uint32_t tag;
};

_Static_assert(offsetof(struct layout_header, id.magic) == 0, "magic");
_Static_assert(offsetof(struct layout_header, id.layout_version) == 8, "version");
_Static_assert(offsetof(struct layout_header, id.data_offset) == 12, "data_offset");
_Static_assert(offsetof(struct layout_header, id.capacity) == 16, "capacity");
_Static_assert(offsetof(struct layout_header, id.max_msg) == 24, "max_msg");
_Static_assert(offsetof(struct layout_header, id.anchor_dev) == 32, "anchor_dev");
_Static_assert(offsetof(struct layout_header, id.anchor_ino) == 40, "anchor_ino");
_Static_assert(offsetof(struct layout_header, id.semid) == 48, "semid");
_Static_assert(offsetof(struct layout_header, id.key) == 52, "key");
_Static_assert(offsetof(struct layout_header, id.ready) == 56, "ready");
_Static_assert(offsetof(struct layout_header, id.destroyed) == 60, "destroyed");
_Static_assert(offsetof(struct layout_header, prod) == 128, "prod");
_Static_assert(offsetof(struct layout_header, prod.journal_count) == 152, "journal");
_Static_assert(offsetof(struct layout_header, id.anchor_birth) == 64, "anchor_birth");
_Static_assert(offsetof(struct layout_header, prod.joins) == 160, "writer joins");
_Static_assert(offsetof(struct layout_header, cons) == 256, "cons");
_Static_assert(offsetof(struct layout_header, cons.joins) == 288, "reader joins");
_Static_assert(offsetof(struct layout_header, prod_wait) == 384, "prod_wait");
_Static_assert(offsetof(struct layout_header, prod_wait.want) == 392, "prod_wait.want");
_Static_assert(offsetof(struct layout_header, cons_wait) == 512, "cons_wait");
_Static_assert(offsetof(struct layout_header, anchor) == 640, "anchor");
_Static_assert(offsetof(struct layout_header, writers_hint) == 1664, "writers_hint");
_Static_assert(offsetof(struct layout_header, readers_hint) == 1792, "readers_hint");
_Static_assert(sizeof(struct layout_header) == 1920, "header size");
_Static_assert(sizeof(struct layout_header) <= 4096, "header fits one page");
_Static_assert(sizeof(struct layout_record) == RECORD_HEADER, "record header");

/* No segment smaller than this can be a ring: a header and one record. */
#define LAYOUT_MIN_SEGMENT (sizeof(struct layout_header) + RECORD_ALIGN)

/* Bytes a message of @len payload bytes takes in the ring. */
static inline uint64_t layout_record_size(uint64_t len)
{
	return RECORD_HEADER + ((len + RECORD_ALIGN - 1) & ~(uint64_t)(RECORD_ALIGN - 1));
}

#endif /* SHMRING_LAYOUT_H */
