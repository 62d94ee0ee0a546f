/*
 * send.c - what only writers do: copying sends, batches and zero-copy
 * reservations. Every path is: enter the writers' side (side.c: its lock,
 * unless this handle holds it for life), make room (waiting in wait.c),
 * write records, publish the tail once (which wakes a sleeping reader),
 * leave.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "handle.h"
#include "presence.h"
#include "ring.h"
#include "sem.h"
#include "side.h"
#include "wait.h"

static int check_writer(const struct shmring *r)
{
	return r ? shmring__side_check(r, &r->writer, r->reserved) : -EINVAL;
}

/* A shared writer takes the lock and, in the same semop, proves that a
 * reader is still attached (once one ever was): SEM_READERS -1 then +1 with
 * IPC_NOWAIT fails at once when the count is 0. */
static int lock_shared_writer(struct shmring *r, const struct deadline *dl)
{
	static const struct sembuf reader_there[] = {
		{SEM_READERS, -1, IPC_NOWAIT},
		{SEM_READERS, 1, 0},
	};
	for (;;) {
		unsigned n = shmring__peers_expected(&r->reader) ? 2 : 0;
		/* model: lock_shared */
		int rc = shmring__side_lock(r, &r->writer, reader_there, n, dl);
		if (rc != -EAGAIN && rc != -ETIMEDOUT)
			return rc;
		/* model: lock_epipe */
		int gone = shmring__peers_gone(r, &r->reader);
		if (gone)
			return gone > 0 ? -EPIPE : gone;
		if (rc == -ETIMEDOUT || dl->kind == DEADLINE_NOWAIT)
			return rc;
		/* The readers' check failed but one has joined since: again. */
	}
}

static int writer_enter(struct shmring *r, unsigned n, const struct deadline *dl)
{
	if (!r->writer.lock_held)
		return lock_shared_writer(r, dl);
	/* Exclusive: the lock is ours for life, so ask now and then. */
	r->since_reader_check += n;
	if (r->since_reader_check >= READER_CHECK_INTERVAL) {
		int gone = shmring__peers_gone(r, &r->reader);
		if (gone)
			return gone > 0 ? -EPIPE : gone;
		r->since_reader_check = 0;
	}
	return 0;
}

/* Once the readers are gone, every later call asks the kernel again (the
 * fast path stays off) until one returns: no message slips in unread. */
static int note_epipe(struct shmring *r, int rc)
{
	if (rc == -EPIPE)
		r->since_reader_check = READER_CHECK_INTERVAL;
	return rc;
}

/* The start of every send of @n messages: the deadline, then the writers'
 * side (locked now, unless this handle holds it for life). */
static int writer_begin(struct shmring *r, unsigned n, size_t first_len, struct deadline *dl,
			int timeout_ms)
{
	shmring__deadline_init(dl, timeout_ms);
	if (dl->kind == DEADLINE_NOWAIT && !r->writer.lock_held) {
		int rc = shmring__poll_unlocked(r, &r->writer, layout_record_size(first_len));
		if (rc < 0)
			return rc;
	}
	return writer_enter(r, n, dl);
}

/* Publish @bytes more of records holding @messages messages: any of it is
 * what a sleeping reader waits for. */
static void publish_tail(struct shmring *r, uint64_t bytes, unsigned messages)
{
	shmring__side_publish(r, &r->writer, bytes, messages, UINT64_MAX);
}

/*
 * Make room for msgs[0..n): all of them (@all) or at least the first.
 * Returns how many fit now. When the batch cannot fit from the current
 * offset even in an empty ring, a PAD to the end is published first so the
 * batch starts at offset 0 (callers checked it fits there).
 */
static int make_room(struct shmring *r, const struct iovec *msgs, unsigned n, bool all,
		     const struct deadline *dl)
{
	struct side *w = &r->writer;
	uint64_t cap = r->capacity;
	unsigned want = all ? n : 1;
	for (;;) {
		uint64_t bytes;
		/* model: send_room */
		unsigned fit = shmring__ring_plan(cap, w->off, cap - (w->index - w->peer_seen), msgs, n,
						  &bytes);
		if (fit < want) {
			int rc = shmring__side_refresh_peer(r, w);
			if (rc < 0)
				return rc;
			fit = shmring__ring_plan(cap, w->off, cap - (w->index - w->peer_seen), msgs, n,
						 &bytes);
		}
		if (fit >= want)
			return (int)fit;

		uint64_t need = shmring__ring_batch_bytes(cap, w->off, msgs, want);
		if (need > cap) {
			uint64_t room = cap - w->off;
			if (room <= cap - (w->index - w->peer_seen)) {
				ring_put_header(r->data, w->off, (uint32_t)room, TAG_PAD);
				publish_tail(r, room, 0);
				continue;
			}
			need = room;
		}
		int rc = shmring__wait_for(r, w, need, dl);
		if (rc == WAIT_PEERS_GONE)
			return -EPIPE;
		if (rc < 0)
			return rc;
		rc = shmring__side_refresh_peer(r, w);
		if (rc < 0)
			return rc;
	}
}

/* Write records for msgs[0..n) at the tail; returns the bytes they take. */
static uint64_t write_records(struct shmring *r, const struct iovec *msgs, unsigned n)
{
	uint64_t cap = r->capacity, off = r->writer.off, bytes = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t size = layout_record_size(msgs[i].iov_len);
		uint64_t pad = ring_pad_before(cap, off, size);
		if (pad) {
			ring_put_header(r->data, off, (uint32_t)pad, TAG_PAD);
			off = 0;
		}
		ring_put_header(r->data, off, (uint32_t)msgs[i].iov_len, TAG_MSG);
		ring_copy(r->data + off + RECORD_HEADER, msgs[i].iov_base, msgs[i].iov_len);
		off = ring_advance(cap, off, size);
		bytes += pad + size;
	}
	return bytes;
}

/* Count the leading messages whose length is acceptable. */
static unsigned valid_prefix(const struct shmring *r, const struct iovec *msgs, unsigned n)
{
	unsigned i;
	for (i = 0; i < n; i++)
		if (msgs[i].iov_len == 0 || msgs[i].iov_len > r->max_msg ||
		    (!msgs[i].iov_base && msgs[i].iov_len))
			break;
	return i;
}

static int send_batch(struct shmring *r, const struct iovec *msgs, unsigned n, bool all,
		      int timeout_ms)
{
	int rc = check_writer(r);
	if (rc < 0)
		return rc;
	if (!msgs || n == 0 || n > INT32_MAX)
		return -EINVAL;
	unsigned ok = valid_prefix(r, msgs, n);
	if (ok == 0 || (all && ok < n))
		return -EMSGSIZE;
	/* One message always fits (max_msg); a batch must fit from offset 0. */
	if (all && n > 1 && shmring__ring_batch_bytes(r->capacity, 0, msgs, n) > r->capacity)
		return -EMSGSIZE;
	n = ok;

	struct deadline dl;
	rc = writer_begin(r, n, msgs[0].iov_len, &dl, timeout_ms);
	if (rc < 0)
		return note_epipe(r, rc);
	rc = make_room(r, msgs, n, all, &dl);
	if (rc > 0)
		publish_tail(r, write_records(r, msgs, (unsigned)rc), (unsigned)rc);
	shmring__side_unlock(r, &r->writer);
	return note_epipe(r, rc);
}

/* The common case, kept short: an exclusive writer, one message of @len
 * bytes that fits before the end of the area, in room already known to be
 * free. Claims the record's turn at the readers' check and returns true,
 * or false for the general way (or any doubt). Always inlined: as a call,
 * zero-copy streaming of 8-byte messages ran at a quarter of the speed. */
static inline __attribute__((always_inline)) bool fast_room(struct shmring *r, size_t len)
{
	const struct side *w = &r->writer;
	uint64_t size = layout_record_size(len);
	if (!w->lock_held || handle_is_shared(r) || r->reserved || len == 0 || len > r->max_msg ||
	    ring_destroyed(r) || !handle_is_ours(r))
		return false;
	if (size > r->capacity - w->off || size > r->capacity - (w->index - w->peer_seen) ||
	    r->since_reader_check + 1 >= READER_CHECK_INTERVAL)
		return false;
	r->since_reader_check++;
	return true;
}

static bool send_fast(struct shmring *r, const void *msg, size_t len)
{
	if (!msg || !fast_room(r, len))
		return false;
	ring_put_header(r->data, r->writer.off, (uint32_t)len, TAG_MSG);
	ring_copy(r->data + r->writer.off + RECORD_HEADER, msg, len);
	publish_tail(r, layout_record_size(len), 1);
	return true;
}

int shmring_send(struct shmring *r, const void *msg, size_t len, int timeout_ms)
{
	if (r && send_fast(r, msg, len))
		return 0;
	struct iovec one = {.iov_base = (void *)msg, .iov_len = len};
	int rc = send_batch(r, &one, 1, true, timeout_ms);
	return rc < 0 ? rc : 0;
}

int shmring_send_bulk(struct shmring *r, const struct iovec *msgs, unsigned int n, int timeout_ms)
{
	return send_batch(r, msgs, n, true, timeout_ms);
}

int shmring_send_burst(struct shmring *r, const struct iovec *msgs, unsigned int n,
		       int timeout_ms)
{
	return send_batch(r, msgs, n, false, timeout_ms);
}

static bool reserve_fast(struct shmring *r, size_t len, void **buf)
{
	if (!buf || !fast_room(r, len))
		return false;
	r->reserve_at = r->writer.index;
	r->reserve_off = r->writer.off;
	r->reserve_len = len;
	r->reserved = true;
	*buf = r->data + r->writer.off + RECORD_HEADER;
	return true;
}

int shmring_reserve(struct shmring *r, size_t len, void **buf, int timeout_ms)
{
	if (r && reserve_fast(r, len, buf))
		return 0;
	int rc = check_writer(r);
	if (rc < 0)
		return rc;
	if (!buf)
		return -EINVAL;
	if (len == 0 || len > r->max_msg)
		return -EMSGSIZE;
	struct iovec one = {.iov_base = NULL, .iov_len = len};
	struct deadline dl;
	rc = writer_begin(r, 1, len, &dl, timeout_ms);
	if (rc < 0)
		return note_epipe(r, rc);
	rc = make_room(r, &one, 1, true, &dl);
	if (rc < 0) {
		shmring__side_unlock(r, &r->writer);
		return note_epipe(r, rc);
	}
	/* Padding is written now and published with the message at commit. */
	uint64_t pad = ring_pad_before(r->capacity, r->writer.off, layout_record_size(len));
	if (pad)
		ring_put_header(r->data, r->writer.off, (uint32_t)pad, TAG_PAD);
	r->reserve_at = r->writer.index + pad;
	r->reserve_off = pad ? 0 : r->writer.off;
	r->reserve_len = len;
	r->reserved = true;
	*buf = r->data + r->reserve_off + RECORD_HEADER;
	return 0;
}

int shmring_commit(struct shmring *r, size_t len)
{
	if (!r || !r->reserved || len == 0 || len > r->reserve_len)
		return -EINVAL;
	if (!handle_is_ours(r))
		return -EBADF;
	r->reserved = false;
	if (ring_destroyed(r)) {
		shmring__side_unlock(r, &r->writer);
		return -EIDRM;
	}
	ring_put_header(r->data, r->reserve_off, (uint32_t)len, TAG_MSG);
	publish_tail(r, r->reserve_at - r->writer.index + layout_record_size(len), 1);
	shmring__side_unlock(r, &r->writer);
	return 0;
}

int shmring_abort(struct shmring *r)
{
	if (!r || !r->reserved)
		return -EINVAL;
	if (!handle_is_ours(r))
		return -EBADF;
	r->reserved = false;
	shmring__side_unlock(r, &r->writer);
	return 0;
}
