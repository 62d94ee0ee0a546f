/*
 * soak.h - what the supervisor and its writers and readers share.
 *
 * The supervisor maps two MAP_SHARED anonymous regions before it forks
 * anyone, so every child sees the same memory at the same address:
 *
 *  - struct soak_shared: the phase, one slot per writer and reader process,
 *    one record per writer incarnation (what it tried to send and what it
 *    knows it sent), per-reader order tables and the counters;
 *  - the seen bitmaps: SEQ_CAP bits per writer incarnation. A reader sets
 *    the bit of every message it takes with an atomic fetch-or, so a
 *    message delivered twice is caught the moment the second copy lands.
 *    The region is MAP_NORESERVE: only pages of sequence numbers actually
 *    sent are ever touched.
 *
 * A writer incarnation sends sequence numbers 0, 1, 2, ... in order; a send
 * that fails (-EAGAIN, -ETIMEDOUT, -EPIPE, an abort) is retried with the
 * same number, so what one incarnation got through is always a prefix. It
 * stores `attempted` (one past the highest number handed to a call) before
 * every call and `confirmed` (one past the last number a call reported
 * sent) after it returns. A writer killed by a signal may thus have
 * published numbers in [confirmed, attempted) without knowing: those are
 * "in flight", never counted as lost. One that closed cleanly must have
 * published exactly [0, confirmed).
 *
 * A reader sets `pending` to the number of messages the call it is about to
 * make may consume, and counts it down as it records each one. A reader
 * killed by a signal leaves there an upper bound on the messages it took
 * from the ring and never recorded: the only messages that may be lost.
 */
#ifndef SHMRING_SOAK_H
#define SHMRING_SOAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmring.h"

#define MAX_WRITERS 16u
#define MAX_READERS 16u
#define SEQ_CAP (1u << 18) /* sequence numbers per writer incarnation */
#define MAX_INC 16384u	   /* writer incarnations per epoch */
#define MAX_BATCH 16u	   /* messages per batch call */
#define RING_CAPACITY (64u * 1024u)

/* Every message starts with this; the 64-bit FNV-1a covers the whole
 * message with the sum field taken as 0. */
struct msg_head {
	uint32_t wid; /* writer slot */
	uint32_t inc; /* writer incarnation (unique in the epoch) */
	uint32_t seq; /* that incarnation's sequence number */
	uint32_t len; /* length of the whole message */
	uint64_t sum;
};
#define MSG_MIN ((uint32_t)sizeof(struct msg_head))

enum phase {
	PHASE_RUN,	/* kills, restarts, retirements */
	PHASE_STOPPING, /* no kills, no retirements; dead slots are refilled */
	PHASE_FINAL,	/* writers send a few more, then close; readers drain */
};

enum slot_state {
	ST_EMPTY,    /* no process */
	ST_STARTING, /* forked, opening */
	ST_OPEN,     /* handle open */
	ST_CLOSING,  /* about to call shmring_close (set before the call) */
	ST_CLOSED,   /* shmring_close returned */
};

/* What a process is doing, for the report of one that hangs. */
enum op {
	OP_NONE,
	OP_OPEN,
	OP_SEND,
	OP_SEND_TIMED,
	OP_SEND_NOWAIT,
	OP_SEND_BULK,
	OP_SEND_BURST,
	OP_RESERVE,
	OP_RESERVE_ABORT,
	OP_SEND_BADLEN,
	OP_RECV,
	OP_RECV_TIMED,
	OP_RECV_NOWAIT,
	OP_RECV_SMALL,
	OP_RECV_BURST,
	OP_PEEK,
	OP_PEEK_BURST,
	OP_CLOSE,
	OP_COUNT
};

struct slot {
	int32_t pid;
	uint32_t state;	    /* enum slot_state */
	uint32_t inc;	    /* writer: its incarnation; reader: incarnation count */
	uint32_t exclusive; /* opened with SHMRING_EXCLUSIVE */
	uint32_t op;	    /* enum op in progress */
	uint32_t pending;   /* reader: messages taken, not yet recorded (bound) */
	uint64_t beat;	    /* calls completed: the watchdog's progress sign */
};

struct wrinc {
	uint32_t slot;
	uint32_t attempted;
	uint32_t confirmed;
	uint32_t killed; /* supervisor: ended by a signal */
};

/* Counters every process adds to (atomically). */
struct counters {
	uint64_t sent;	   /* messages a call reported sent */
	uint64_t received; /* messages recorded, duplicates included */
	uint64_t duplicates;
	uint64_t corrupt;	/* bad length, checksum, or header */
	uint64_t order;		/* per-writer order broken within one reader */
	uint64_t phantom;	/* a sequence number no call was ever given */
	uint64_t premature_eos; /* end of stream while a final writer was open */
	uint64_t unexpected;	/* an error return the API does not allow here */
	uint64_t eos_run;	/* end of stream seen while peers came and went */
	uint64_t eos_final;
	uint64_t epipe;
	uint64_t timedout;
	uint64_t eagain;
	uint64_t enobufs;  /* asked for with a small buffer */
	uint64_t emsgsize; /* asked for with length 0 or max_msg + 1 */
	uint64_t aborts;
	uint64_t open_busy;	/* exclusive open: -EBUSY, retried */
	uint64_t excl_opens[2]; /* writers, readers */
	uint64_t ops[OP_COUNT];
	uint64_t at_max; /* messages of exactly max_msg bytes sent */
};

struct soak_shared {
	uint32_t phase;
	int32_t shmid;
	int32_t supervisor;
	uint32_t nwriters, nreaders;
	uint32_t ninc; /* incarnations handed out this epoch */
	uint64_t max_msg;
	uint64_t capacity;
	uint64_t seed;
	struct counters c;
	struct slot w[MAX_WRITERS], r[MAX_READERS];
	struct wrinc inc[MAX_INC];
	/* Per reader slot, per writer incarnation: last seq seen + 1, reset
	 * for every reader incarnation (order holds within one handle). */
	uint32_t order[MAX_READERS][MAX_INC];
};

extern struct soak_shared *S;
extern uint8_t *seen_map; /* MAX_INC * SEQ_CAP / 8 bytes */

#define ADD(field, n) __atomic_fetch_add(&S->c.field, (n), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* msg.c */
uint64_t soak_now_ns(void);
uint64_t soak_rand(uint64_t *state);
uint64_t soak_below(uint64_t *state, uint64_t n);
void msg_fill(uint8_t *buf, size_t len, uint32_t wid, uint32_t inc, uint32_t seq);
/* Verify a message; 0 if whole, else -1 after counting and reporting it.
 * *inc and *seq say which message it is. */
int msg_check(const uint8_t *buf, size_t len, unsigned reader, uint32_t *inc, uint32_t *seq);
/* Record (inc, seq) as seen by @reader: duplicates and order breaks are
 * counted and reported here. */
void msg_record(unsigned reader, uint32_t inc, uint32_t seq, const char *how);

/* peer.c */
int writer_main(unsigned slot, uint32_t inc, bool exclusive);
int reader_main(unsigned slot, bool exclusive);

extern const char *const op_names[OP_COUNT];

#endif
