/*
 * recv.c - the readers' side: copying receives, batches and zero-copy
 * peeks. Every path is: enter the side, find the next message (skipping
 * PAD records, validating each record header), copy or hand it out,
 * publish the head once, wake a sleeping writer, leave.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "copy.h"
#include "handle.h"
#include "ring.h"
#include "sem.h"
#include "side.h"
#include "wait.h"

static int check_reader(struct shmring *r)
{
	if (!r)
		return -EINVAL;
	if (!(r->flags & SHMRING_READER) || !handle_is_ours(r))
		return -EBADF;
	if (r->peeked)
		return -EBUSY;
	if (ring_destroyed(r))
		return -EIDRM;
	return 0;
}

int shmring__reader_adopt(struct shmring *r)
{
	shmring__ring_recover_counts(&r->hdr->cons);
	r->head = shm_load_acquire(&r->hdr->cons.index);
	r->head_off = r->head % r->capacity;
	r->received = shm_load_relaxed(&r->hdr->cons.count);
	r->tail_seen = shm_load_acquire(&r->hdr->prod.index);
	return shmring__ring_check_span(r->capacity, r->head, r->tail_seen);
}

static void reader_leave(struct shmring *r)
{
	if (handle_is_shared(r) && r->clock_held) {
		r->clock_held = false;
		shmring__lock_hint_clear(&r->hdr->clock_hint.busy);
		/* model: unlock_shared */
		shmring__sem_unlock(r->semid, SEM_CLOCK);
	}
}

/* The start of every receive: role and state checks, the deadline, and
 * the readers' side (locked now, unless this handle holds it for life). */
static int reader_begin(struct shmring *r, struct deadline *dl, int timeout_ms)
{
	int rc = check_reader(r);
	if (rc < 0)
		return rc;
	shmring__deadline_init(dl, timeout_ms);
	if (r->clock_held)
		return 0;
	if (dl->kind == DEADLINE_NOWAIT) {
		rc = shmring__poll_data_unlocked(r);
		if (rc < 0)
			return rc;
	}
	struct sembuf lock = {SEM_CLOCK, -1, SEM_UNDO};
	/* model: lock_shared */
	rc = shmring__lock_side(r->semid, &lock, 1, &r->hdr->clock_hint.busy, &r->lock_spin, dl);
	if (rc < 0)
		return rc;
	r->clock_held = true;
	rc = shmring__reader_adopt(r);
	if (rc < 0)
		reader_leave(r);
	return rc;
}

/* Where a reader has got to: an index and its offset in the data area. */
struct cursor {
	uint64_t index;
	uint64_t off;
};

static struct cursor head_cursor(const struct shmring *r)
{
	return (struct cursor){r->head, r->head_off};
}

static void publish_head(struct shmring *r, struct cursor c, unsigned messages)
{
	if (c.index == r->head)
		return;
	r->received += messages;
	r->head = c.index;
	r->head_off = c.off;
	/* model: consume_index */
	shmring__ring_publish(&r->hdr->cons, r->head, r->received, r->light_fence);
	/* tail_seen is at most the real tail: the room is at least this. */
	/* model: consume_wake */
	shmring__wake_writer_for_room(r, r->capacity - (r->tail_seen - r->head));
}

static void cursor_skip(const struct shmring *r, struct cursor *c, uint64_t bytes)
{
	c->index += bytes;
	c->off = ring_advance(r->capacity, c->off, bytes);
}

static int refresh_tail(struct shmring *r, uint64_t pos)
{
	/* Acquire: the records are complete before the writer moved tail. */
	uint64_t tail = shm_load_acquire(&r->hdr->prod.index);
	int rc = shmring__ring_check_span(r->capacity, r->head, tail);
	if (rc == 0)
		rc = shmring__ring_check_span(r->capacity, pos, tail);
	if (rc == 0)
		r->tail_seen = tail;
	return rc;
}

/*
 * Find the next message at or after *c (skipping PAD records, which moves
 * *c). Returns 1 with *rec, 0 at end of stream, or -errno; -EAGAIN without
 * any system call when the ring is empty and !may_wait.
 */
static int next_message(struct shmring *r, struct cursor *c, struct ring_record *rec,
			bool may_wait, const struct deadline *dl)
{
	for (;;) {
		/* model: recv_ready */
		if (r->tail_seen == c->index) {
			int rc = refresh_tail(r, c->index);
			if (rc < 0)
				return rc;
		}
		if (r->tail_seen == c->index) {
			if (!may_wait)
				return -EAGAIN;
			/* Skipped padding is room the writer may be waiting
			 * for: hand it back before sleeping. */
			publish_head(r, *c, 0);
			int rc = shmring__wait_for_data(r, dl);
			if (rc == WAIT_END_OF_STREAM)
				return 0;
			if (rc < 0)
				return rc;
			continue;
		}
		int rc = ring_read_record(r->data, r->capacity, r->max_msg, c->off,
					  r->tail_seen - c->index, rec);
		if (rc < 0)
			return rc;
		if (rec->tag == TAG_MSG)
			return 1;
		cursor_skip(r, c, rec->size);
	}
}

static int recv_batch(struct shmring *r, struct iovec *msgs, unsigned n, int timeout_ms)
{
	if (!msgs || n == 0 || n > INT32_MAX)
		return -EINVAL;
	struct deadline dl;
	int rc = reader_begin(r, &dl, timeout_ms);
	if (rc < 0)
		return rc;

	struct cursor c = head_cursor(r);
	unsigned count = 0;
	while (count < n) {
		struct ring_record rec;
		rc = next_message(r, &c, &rec, count == 0, &dl);
		if (rc <= 0)
			break;
		if (rec.len > msgs[count].iov_len) {
			if (count == 0) {
				msgs[0].iov_len = rec.len;
				rc = -ENOBUFS;
			}
			break;
		}
		ring_copy(msgs[count].iov_base, r->data + rec.offset, rec.len);
		msgs[count].iov_len = rec.len;
		cursor_skip(r, &c, rec.size);
		count++;
	}
	/* Consumed messages are published even when a later one failed; the
	 * failure is reported by the next call, which meets it first. */
	publish_head(r, c, count);
	reader_leave(r);
	return count > 0 ? (int)count : rc;
}

/* The common case, kept short: an exclusive reader and a message already
 * known to be published. Fills *rec and returns true, or false for the
 * general way (which reports a bad record, or skips the padding). */
static bool fast_message(struct shmring *r, struct ring_record *rec)
{
	if (!r->clock_held || handle_is_shared(r) || r->peeked || r->tail_seen == r->head ||
	    ring_destroyed(r) || !handle_is_ours(r))
		return false;
	return ring_read_record(r->data, r->capacity, r->max_msg, r->head_off,
				r->tail_seen - r->head, rec) == 0 &&
	       rec->tag == TAG_MSG;
}

/* The cursor past the message fast_message() found. */
static struct cursor fast_next(const struct shmring *r, const struct ring_record *rec)
{
	struct cursor c = head_cursor(r);
	cursor_skip(r, &c, rec->size);
	return c;
}

static bool recv_fast(struct shmring *r, void *buf, size_t *len)
{
	struct ring_record rec;
	if (!fast_message(r, &rec) || rec.len > *len)
		return false;
	/* Up to 64 bytes memcpy, not ring_copy: with the faster inline copy a
	 * lone reader caught up with its writer more often, and each catch-up
	 * pulls the writer's index line across; a 64-byte stream ran ~15 %
	 * slower. Longer payloads avoid memcpy's alignment cliff (copy.c). */
	if (rec.len > 64)
		shmring__copy(buf, r->data + rec.offset, rec.len);
	else
		memcpy(buf, r->data + rec.offset, rec.len);
	*len = rec.len;
	publish_head(r, fast_next(r, &rec), 1);
	return true;
}

int shmring_recv(struct shmring *r, void *buf, size_t *len, int timeout_ms)
{
	if (!len || (!buf && *len))
		return -EINVAL;
	if (r && recv_fast(r, buf, len))
		return 1;
	struct iovec one = {.iov_base = buf, .iov_len = *len};
	int rc = recv_batch(r, &one, 1, timeout_ms);
	if (rc > 0 || rc == -ENOBUFS)
		*len = one.iov_len;
	return rc;
}

int shmring_recv_burst(struct shmring *r, struct iovec *msgs, unsigned int n, int timeout_ms)
{
	return recv_batch(r, msgs, n, timeout_ms);
}

/* Hand out the peek that ends at @c: @count messages from r->head on. */
static void peek_hold(struct shmring *r, struct cursor c, unsigned count)
{
	r->peek_next = c.index;
	r->peek_next_off = c.off;
	r->peek_count = count;
	r->peeked = true;
}

static bool peek_fast(struct shmring *r, const void **msg, size_t *len)
{
	struct ring_record rec;
	if (!fast_message(r, &rec))
		return false;
	*msg = r->data + rec.offset;
	*len = rec.len;
	peek_hold(r, fast_next(r, &rec), 1);
	return true;
}

/* The peek of up to @n messages: the walk of recv_batch, handing out
 * pointers instead of copying. Padding before the first message is
 * published at once, so the peeked messages start at r->head. */
static int peek_batch(struct shmring *r, struct iovec *msgs, unsigned n, int timeout_ms)
{
	struct deadline dl;
	int rc = reader_begin(r, &dl, timeout_ms);
	if (rc < 0)
		return rc;
	struct cursor c = head_cursor(r);
	unsigned count = 0;
	while (count < n) {
		struct ring_record rec;
		rc = next_message(r, &c, &rec, count == 0, &dl);
		if (rc <= 0)
			break;
		if (count == 0)
			publish_head(r, c, 0); /* padding skipped on the way */
		msgs[count].iov_base = r->data + rec.offset;
		msgs[count].iov_len = rec.len;
		cursor_skip(r, &c, rec.size);
		count++;
	}
	if (count == 0) {
		publish_head(r, c, 0);
		reader_leave(r);
		return rc;
	}
	/* A bad record after good ones is met first by the next call. */
	peek_hold(r, c, count);
	return (int)count;
}

/* Not peek_batch() of one: its loop cost an exclusive reader that keeps
 * up with its writer (and so takes this way for every message) 40 more
 * instructions per message. */
int shmring_peek(struct shmring *r, const void **msg, size_t *len, int timeout_ms)
{
	if (!msg || !len)
		return -EINVAL;
	if (r && peek_fast(r, msg, len))
		return 1;
	struct deadline dl;
	int rc = reader_begin(r, &dl, timeout_ms);
	if (rc < 0)
		return rc;
	struct cursor c = head_cursor(r);
	struct ring_record rec;
	rc = next_message(r, &c, &rec, true, &dl);
	publish_head(r, c, 0); /* padding skipped on the way */
	if (rc <= 0) {
		reader_leave(r);
		return rc;
	}
	*msg = r->data + rec.offset;
	*len = rec.len;
	cursor_skip(r, &c, rec.size);
	peek_hold(r, c, 1);
	return 1;
}

int shmring_peek_burst(struct shmring *r, struct iovec *msgs, unsigned int n, int timeout_ms)
{
	if (!msgs || n == 0 || n > INT32_MAX)
		return -EINVAL;
	return peek_batch(r, msgs, n, timeout_ms);
}

/* The cursor past the first @n (< r->peek_count) peeked messages: walked
 * again from r->head, every record validated again (the writers may not
 * touch them, but the segment is theirs to scribble on). */
static __attribute__((noinline)) int peeked_prefix(struct shmring *r, unsigned n,
						   struct cursor *out)
{
	struct cursor c = head_cursor(r);
	while (n > 0) {
		struct ring_record rec;
		int rc = ring_read_record(r->data, r->capacity, r->max_msg, c.off,
					  r->tail_seen - c.index, &rec);
		if (rc < 0)
			return rc;
		if (rec.tag == TAG_MSG)
			n--;
		cursor_skip(r, &c, rec.size);
	}
	*out = c;
	return 0;
}

/* End the pending peek, consuming its first @n (<= r->peek_count). Inline
 * in both releases, the walk of a partial one out of line: the whole
 * release is the exclusive reader's per-message path. */
static inline __attribute__((always_inline)) int release_peeked(struct shmring *r, unsigned n)
{
	struct cursor c = {r->peek_next, r->peek_next_off};
	int rc = n < r->peek_count ? peeked_prefix(r, n, &c) : 0;
	r->peeked = false;
	if (rc == 0)
		publish_head(r, c, n);
	reader_leave(r);
	return rc;
}

int shmring_release_burst(struct shmring *r, unsigned int n)
{
	if (!r || !r->peeked || n > r->peek_count)
		return -EINVAL;
	if (!handle_is_ours(r))
		return -EBADF;
	return release_peeked(r, n);
}

int shmring_release(struct shmring *r)
{
	if (!r || !r->peeked)
		return -EINVAL;
	if (!handle_is_ours(r))
		return -EBADF;
	return release_peeked(r, r->peek_count);
}
