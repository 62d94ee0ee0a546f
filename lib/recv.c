/*
 * recv.c - what only readers do: copying receives, batches and zero-copy
 * peeks. Every path is: enter the readers' side (side.c), find the next
 * message (skipping PAD records, validating each record header, waiting
 * in wait.c), copy or hand it out, publish the head once (which wakes a
 * sleeping writer), leave.
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

static int check_reader(const struct shmring *r)
{
	return r ? shmring__side_check(r, &r->reader, r->peeked) : -EINVAL;
}

/* The start of every receive: role and state checks, the deadline, and
 * the readers' side (locked now, unless this handle holds it for life). */
static int reader_begin(struct shmring *r, struct deadline *dl, int timeout_ms)
{
	int rc = check_reader(r);
	if (rc < 0)
		return rc;
	shmring__deadline_init(dl, timeout_ms);
	if (r->reader.lock_held)
		return 0;
	if (dl->kind == DEADLINE_NOWAIT) {
		rc = shmring__poll_unlocked(r, &r->reader, 1);
		if (rc < 0)
			return rc;
	}
	/* model: lock_shared */
	return shmring__side_lock(r, &r->reader, NULL, 0, dl);
}

/* Where a reader has got to: an index and its offset in the data area. */
struct cursor {
	uint64_t index;
	uint64_t off;
};

static struct cursor head_cursor(const struct shmring *r)
{
	return (struct cursor){r->reader.index, r->reader.off};
}

static void publish_head(struct shmring *r, struct cursor c, unsigned messages)
{
	struct side *rd = &r->reader;
	/* The room is this or less (the tail may have moved since we saw
	 * it): a writer woken early looks and sleeps again. */
	shmring__side_publish(r, rd, c.index - rd->index, messages,
			      r->capacity - (rd->peer_seen - c.index));
}

static void cursor_skip(const struct shmring *r, struct cursor *c, uint64_t bytes)
{
	c->index += bytes;
	c->off = ring_advance(r->capacity, c->off, bytes);
}

/* The writers' tail, checked against the head and against @pos too. */
static int refresh_tail(struct shmring *r, uint64_t pos)
{
	int rc = shmring__side_refresh_peer(r, &r->reader);
	return rc < 0 ? rc : shmring__ring_check_span(r->capacity, pos, r->reader.peer_seen);
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
		if (r->reader.peer_seen == c->index) {
			int rc = refresh_tail(r, c->index);
			if (rc < 0)
				return rc;
		}
		if (r->reader.peer_seen == c->index) {
			if (!may_wait)
				return -EAGAIN;
			/* Skipped padding is room the writer may be waiting
			 * for: hand it back before sleeping. */
			publish_head(r, *c, 0);
			int rc = shmring__wait_for(r, &r->reader, 1, dl);
			if (rc == WAIT_PEERS_GONE)
				return 0;
			if (rc < 0)
				return rc;
			continue;
		}
		int rc = ring_read_record(r->data, r->capacity, r->max_msg, c->off,
					  r->reader.peer_seen - c->index, rec);
		if (rc < 0)
			return rc;
		if (rec->tag == TAG_MSG)
			return 1;
		cursor_skip(r, c, rec->size);
	}
}

/* Hand out the peek that ends at @c: @count messages from the head on. */
static void peek_hold(struct shmring *r, struct cursor c, unsigned count)
{
	r->peek_next = c.index;
	r->peek_next_off = c.off;
	r->peek_count = count;
	r->peeked = true;
}

/*
 * The walk of every batch: up to @n messages from the head, waiting (as
 * @dl allows) for the first one only. Copies them into @msgs, or for a
 * @peek points @msgs at them, publishing at once the padding before the
 * first so that the peeked messages start at the head. Returns how many,
 * or what ended the walk before the first (0 at end of stream); *c ends
 * past the last one.
 */
static int take_messages(struct shmring *r, struct iovec *msgs, unsigned n, bool peek,
			 struct cursor *c, const struct deadline *dl)
{
	unsigned count = 0;
	int rc = 0;
	*c = head_cursor(r);
	while (count < n) {
		struct ring_record rec;
		rc = next_message(r, c, &rec, count == 0, dl);
		if (rc <= 0)
			break;
		if (peek) {
			if (count == 0)
				publish_head(r, *c, 0);
			msgs[count].iov_base = r->data + rec.offset;
		} else if (rec.len > msgs[count].iov_len) {
			if (count == 0) {
				msgs[0].iov_len = rec.len;
				rc = -ENOBUFS;
			}
			break;
		} else {
			ring_copy(msgs[count].iov_base, r->data + rec.offset, rec.len);
		}
		msgs[count].iov_len = rec.len;
		cursor_skip(r, c, rec.size);
		count++;
	}
	return count > 0 ? (int)count : rc;
}

/* Receive (copy out and consume) or peek (point at, and hold until the
 * release) up to @n messages. */
static int read_batch(struct shmring *r, struct iovec *msgs, unsigned n, bool peek,
		      int timeout_ms)
{
	if (!msgs || n == 0 || n > INT32_MAX)
		return -EINVAL;
	struct deadline dl;
	int rc = reader_begin(r, &dl, timeout_ms);
	if (rc < 0)
		return rc;
	struct cursor c;
	rc = take_messages(r, msgs, n, peek, &c, &dl);
	if (peek && rc > 0) {
		/* A bad record after good ones is met first by the next call. */
		peek_hold(r, c, (unsigned)rc);
		return rc;
	}
	/* Consumed messages are published even when a later one failed; the
	 * failure is reported by the next call, which meets it first. */
	publish_head(r, c, peek || rc < 0 ? 0 : (unsigned)rc);
	shmring__side_unlock(r, &r->reader);
	return rc;
}

/* The common case, kept short: an exclusive reader and a message already
 * known to be published. Fills *rec and returns true, or false for the
 * general way (which reports a bad record, or skips the padding). */
static bool fast_message(struct shmring *r, struct ring_record *rec)
{
	const struct side *rd = &r->reader;
	if (!rd->lock_held || handle_is_shared(r) || r->peeked || rd->peer_seen == rd->index ||
	    ring_destroyed(r) || !handle_is_ours(r))
		return false;
	return ring_read_record(r->data, r->capacity, r->max_msg, rd->off, rd->peer_seen - rd->index,
				rec) == 0 &&
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
	int rc = read_batch(r, &one, 1, false, timeout_ms);
	if (rc > 0 || rc == -ENOBUFS)
		*len = one.iov_len;
	return rc;
}

int shmring_recv_burst(struct shmring *r, struct iovec *msgs, unsigned int n, int timeout_ms)
{
	return read_batch(r, msgs, n, false, timeout_ms);
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

/* Not read_batch() of one: its loop cost an exclusive reader that keeps
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
		shmring__side_unlock(r, &r->reader);
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
	return read_batch(r, msgs, n, true, timeout_ms);
}

/* The cursor past the first @n (< r->peek_count) peeked messages: walked
 * again from the head, every record validated again (the writers may not
 * touch them, but the segment is theirs to scribble on). */
static __attribute__((noinline)) int peeked_prefix(struct shmring *r, unsigned n,
						   struct cursor *out)
{
	struct cursor c = head_cursor(r);
	while (n > 0) {
		struct ring_record rec;
		int rc = ring_read_record(r->data, r->capacity, r->max_msg, c.off,
					  r->reader.peer_seen - c.index, &rec);
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
	shmring__side_unlock(r, &r->reader);
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
