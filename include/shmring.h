/*
 * shmring.h - message rings in System V shared memory, guarded and woken
 * by System V semaphores.
 *
 * A ring lives in one shared-memory segment plus one semaphore set. It is
 * named by an anchor file (the key comes from ftok(3) of that path) or by a
 * raw key_t. The segment holds a fixed header and a byte ring of variable
 * length messages; no pointer is ever stored in it, so every process may
 * map it anywhere.
 *
 * Conventions, for every function below:
 *  - success returns 0 or a count; failure returns a negative errno value
 *    (-EAGAIN, -EPIPE, ...); errno itself is never relied upon.
 *  - a timeout_ms argument takes SHMRING_FOREVER (-1) to block, SHMRING_NOWAIT
 *    (0) never to block (-EAGAIN instead; such a poll on an empty or full
 *    ring makes no system call, and asks the kernel about the peers at most
 *    once a millisecond, so end of stream or -EPIPE may come that much
 *    later to a poll loop), or a positive number of
 *    milliseconds after which the call gives up with -ETIMEDOUT. Interrupted
 *    waits are resumed internally with the time that is left.
 *  - a handle is used by one thread at a time. It belongs to the process that
 *    opened it: after fork(2) the child opens its own handle. An inherited
 *    handle gives -EBADF to every call in the child but shmring_close()
 *    (which only unmaps it) and shmring_stats(); the parent's roles and locks
 *    are untouched. (A child made by a raw clone(2) that skips the
 *    pthread_atfork(3) handlers is not detected.)
 *  - shmring_strerror() describes every code, including the ones that carry
 *    a shmring-specific meaning (-EUCLEAN: corrupt ring, -EMEDIUMTYPE: not a
 *    shmring segment, -EPROTONOSUPPORT: other layout version, -ENOTUNIQ:
 *    ftok key collision, -ESTALE: half-created ring, -EIDRM: ring removed).
 */
#ifndef SHMRING_H
#define SHMRING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define SHMRING_API __attribute__((visibility("default")))
#else
#define SHMRING_API
#endif

/* Same major version = same ABI. */
#define SHMRING_VERSION_MAJOR 0
#define SHMRING_VERSION_MINOR 1
#define SHMRING_VERSION_PATCH 0
#define SHMRING_VERSION_STRING "0.1.0"

/* Timeouts (milliseconds). */
#define SHMRING_FOREVER (-1)
#define SHMRING_NOWAIT 0

/* Roles and options for shmring_create*() and shmring_open*(). */
#define SHMRING_READER 0x01u    /* this handle receives */
#define SHMRING_WRITER 0x02u    /* this handle sends */
#define SHMRING_EXCLUSIVE 0x04u /* sole reader / sole writer: holds the side's
				   lock for the handle's lifetime (the kernel
				   releases it if the process dies) and so needs
				   no system call per message */
#define SHMRING_RECLAIM 0x08u   /* create: remove a stale half-created ring of
				   ours that nobody is attached to, then create */

/* Defaults used where struct shmring_options leaves a field 0. */
#define SHMRING_DEFAULT_CAPACITY (64u * 1024u)
#define SHMRING_DEFAULT_MODE 0666u
#define SHMRING_DEFAULT_READY_TIMEOUT_MS 2000

/* Per message cost in the ring: an 8-byte record header, payload padded to 8. */
#define SHMRING_RECORD_OVERHEAD 8u

/* The largest max_msg any ring can have (4 GiB - 8: lengths are 32-bit). */
#define SHMRING_MAX_MSG_LIMIT 0xfffffff8u

struct shmring;

/*
 * Options for creating or opening a ring. Zero-initialise, then set what you
 * need; a NULL pointer means all defaults.
 */
struct shmring_options {
	/* create: bytes of message space wanted; rounded up to whole pages. */
	size_t capacity;
	/* create: largest message, 1 .. min(capacity - 8, SHMRING_MAX_MSG_LIMIT);
	   0 = capacity / 4, at most SHMRING_MAX_MSG_LIMIT. */
	size_t max_msg;
	/* create: permission bits of segment and semaphores; 0 = 0666. */
	unsigned int mode;
	/* open: how long to wait for a ring whose creator has not finished
	   initialising it, and for an exclusive side another handle holds
	   (then -EBUSY); 0 = SHMRING_DEFAULT_READY_TIMEOUT_MS, < 0 = no wait. */
	int ready_timeout_ms;
};

/* A snapshot of a ring. Numbers may be stale the moment they are returned. */
struct shmring_stats {
	uint64_t capacity;     /* usable bytes of message space */
	uint64_t max_msg;      /* largest message accepted */
	uint64_t used;         /* bytes queued, record headers and padding included */
	uint64_t messages;     /* messages queued */
	uint64_t sent;         /* messages published since creation */
	uint64_t received;     /* messages consumed since creation */
	uint64_t segment_size; /* bytes of the shared-memory segment */
	uint32_t readers;      /* handles open as reader (kernel-counted) */
	uint32_t writers;      /* handles open as writer (kernel-counted) */
	uint32_t attached;     /* attachments to the segment, the caller's included */
	uint32_t mode;         /* permission bits */
	int32_t key;           /* System V key (key_t) */
	int32_t shmid;         /* shared-memory id */
	int32_t semid;         /* semaphore-set id */
	int32_t creator_pid;   /* process that created the segment */
	char anchor[1024];     /* anchor path at creation, "" if unknown */
};

/* ---------------------------------------------------------------------- */
/* Library                                                                */

/*
 * shmring_version - the library's version string, e.g. "0.1.0".
 * Thread-safe. Never fails.
 */
SHMRING_API const char *shmring_version(void);

/*
 * shmring_strerror - a one-line English description of an error code.
 * @err: a code returned by this library, negative or positive.
 * Thread-safe. Returns a static string, never NULL.
 */
SHMRING_API const char *shmring_strerror(int err);

/*
 * shmring_key - the System V key a ring anchored at @path uses.
 * @path: anchor file; must exist.
 * @key:  out.
 * Thread-safe.
 * Errors: -EINVAL (NULL argument), -ENOENT, -EACCES and the other stat(2)
 * errors for @path.
 */
SHMRING_API int shmring_key(const char *path, int32_t *key);

/* ---------------------------------------------------------------------- */
/* Lifecycle                                                              */

/*
 * shmring_create - create a ring anchored at @path and open a handle on it.
 * @path:  anchor file; created (mode 0644) if missing.
 * @flags: roles for the returned handle (SHMRING_READER, SHMRING_WRITER, or
 *         neither for an admin handle), SHMRING_EXCLUSIVE, SHMRING_RECLAIM.
 * @opt:   capacity, max_msg and mode; NULL for defaults.
 * @ringp: out: the handle.
 * The segment is made with IPC_CREAT|IPC_EXCL; the header is marked ready
 * last, so openers never see a half-made ring. The resulting capacity is
 * reported by shmring_capacity().
 * Concurrency: any number of processes may race to create the same ring;
 * exactly one wins, the others get -EEXIST. Creators of one anchor file take
 * turns under a flock(2) on it (waiting at most 2 s for one another).
 * Errors: -EEXIST (a ring or other object already uses the key; nothing was
 * changed), -ENOTUNIQ (path: the key is taken by the ring of another anchor
 * file, an ftok(3) collision or a reused inode), -ESTALE (a half-created ring of ours holds the key; pass
 * SHMRING_RECLAIM to remove it when nobody is attached), -EBUSY (stale ring
 * still attached, cannot reclaim), -EINVAL (bad flags, capacity or max_msg
 * out of range), -EFBIG (segment larger than shmmax), -ENOMEM / -ENOSPC
 * (over another system limit such as shmall, shmmni or semmni), -EACCES,
 * and the errors of open(2) for the anchor. A create that fails removes the
 * anchor file if it made it and no other creator made a ring on it, and
 * changes nothing else.
 */
SHMRING_API int shmring_create(const char *path, unsigned int flags,
			       const struct shmring_options *opt,
			       struct shmring **ringp);

/* shmring_create_key - shmring_create() for a raw key (IPC_PRIVATE allowed:
 * then only shmring_open_id() reaches the ring). Same errors. */
SHMRING_API int shmring_create_key(int32_t key, unsigned int flags,
				   const struct shmring_options *opt,
				   struct shmring **ringp);

/*
 * shmring_open - open the existing ring anchored at @path.
 * @flags: SHMRING_READER and/or SHMRING_WRITER (or 0 for an admin handle
 *         that only reads stats), optionally SHMRING_EXCLUSIVE.
 * @opt:   only ready_timeout_ms is used; NULL for defaults.
 * Waits up to the ready timeout for a creator that is still initialising.
 * The header is validated against the segment's real size before use.
 * Errors: -ENOENT (no anchor file, or no ring for its key), -ENOTUNIQ (the
 * key belongs to a ring of another anchor: ftok collision), -EMEDIUMTYPE
 * (segment is not a shmring ring), -EPROTONOSUPPORT (other layout version),
 * -EUCLEAN (header inconsistent), -ESTALE (creator died before the ring was
 * ready, or its semaphores are gone), -ETIMEDOUT (creator still alive but
 * not ready in time), -EBUSY (SHMRING_EXCLUSIVE: that side is held by
 * another exclusive handle for longer than the ready timeout), -EIDRM (ring
 * removed meanwhile), -EUSERS (32767 handles of that role on the ring, or
 * in this process), -EACCES, -EINVAL, -ENOMEM.
 */
SHMRING_API int shmring_open(const char *path, unsigned int flags,
			     const struct shmring_options *opt,
			     struct shmring **ringp);

/* shmring_open_key - shmring_open() by raw key. Same errors, but -ENOTUNIQ. */
SHMRING_API int shmring_open_key(int32_t key, unsigned int flags,
				 const struct shmring_options *opt,
				 struct shmring **ringp);

/* shmring_open_id - shmring_open() by shared-memory id (as shown by ipcs or
 * shmring_stats()); the way to reach an IPC_PRIVATE ring. Same errors. */
SHMRING_API int shmring_open_id(int32_t shmid, unsigned int flags,
				const struct shmring_options *opt,
				struct shmring **ringp);

/*
 * shmring_close - leave the ring and free the handle. The ring stays.
 * Drops this handle's roles; if it was the last writer, readers see end of
 * stream once the ring is drained; if the last reader, writers get -EPIPE.
 * An uncommitted reservation is dropped; peeked messages stay queued.
 * NULL is a no-op. Returns 0 (cleanup cannot fail in a way worth reporting).
 */
SHMRING_API int shmring_close(struct shmring *ring);

/*
 * shmring_destroy - remove the ring (segment and semaphores, IPC_RMID), then
 * close the handle. Other processes blocked in the ring return -EIDRM
 * promptly; their mappings stay valid until they close.
 * Errors: -EPERM (not the owner or creator); the handle is closed anyway.
 * -EINVAL (NULL).
 */
SHMRING_API int shmring_destroy(struct shmring *ring);

/*
 * shmring_remove / shmring_remove_key - remove a ring by name without opening
 * roles on it. Only objects recognised as a shmring ring (or the stale
 * remains of one) are removed; anything else is left alone.
 * Errors: -ENOENT (nothing there), -EMEDIUMTYPE (key used by a segment that
 * is not ours), -ENOTUNIQ (path: ring belongs to another anchor), -EBUSY (a
 * creator is still making it), -EACCES (the objects may not be looked at),
 * -EPERM (not the owner or creator), -EINVAL (NULL or empty path,
 * IPC_PRIVATE key), and the stat(2) errors for @path.
 */
SHMRING_API int shmring_remove(const char *path);
SHMRING_API int shmring_remove_key(int32_t key);

/* ---------------------------------------------------------------------- */
/* Copying send and receive                                               */

/*
 * shmring_send - append one message.
 * @msg, @len: the payload, 1 .. shmring_max_msg() bytes.
 * Concurrency: any number of writer handles (up to 32767 per ring, the
 * kernel's SEMVMX, and per process, SEMAEM: then open gives -EUSERS);
 * messages of one handle arrive in the order sent. An exclusive writer makes no system call unless the
 * ring is full or a reader sleeps.
 * Errors: -EMSGSIZE (len is 0 or over max_msg; nothing sent), -EAGAIN (ring
 * full, timeout 0), -ETIMEDOUT, -EPIPE (no reader is attached and one was
 * since this handle opened; an exclusive writer notices within 1024
 * messages, and every later call fails too until a reader joins), -EIDRM (ring
 * removed), -EUCLEAN (ring corrupt), -EBADF (handle is not a writer),
 * -EBUSY (a zero-copy reservation is pending), -EINVAL (NULL handle).
 */
SHMRING_API int shmring_send(struct shmring *ring, const void *msg, size_t len,
			     int timeout_ms);

/*
 * shmring_recv - take the next message.
 * @buf: where to copy it.
 * @len: in: size of @buf; out: length of the message (or, on -ENOBUFS, the
 *       size @buf needs; the message then stays queued).
 * Returns 1 with a message, 0 at end of stream: the ring is empty, no writer
 * is attached, and a writer was in this handle's time (attached when it
 * opened, joined since, or left messages that were waiting when it opened).
 * A reader that opens on an empty ring nobody writes to waits for a writer.
 * Concurrency: any number of reader handles (up to 32767, as for writers); each message goes to exactly
 * one of them.
 * Errors: -ENOBUFS, -EAGAIN (empty, timeout 0), -ETIMEDOUT, -EIDRM,
 * -EUCLEAN (a record fails validation), -EBADF (not a reader), -EBUSY (a
 * peeked message is not released), -EINVAL (NULL handle or @len, or NULL
 * @buf with *len > 0).
 */
SHMRING_API int shmring_recv(struct shmring *ring, void *buf, size_t *len,
			     int timeout_ms);

/* ---------------------------------------------------------------------- */
/* Batches: one lock and one index publication per call                   */

/*
 * shmring_send_bulk - append all @n messages of @msgs, or none.
 * Waits until they all fit; they become visible to readers at once.
 * Returns @n. Errors: as shmring_send(); -EMSGSIZE also when the batch can
 * never fit in the ring; -EINVAL (n is 0 or msgs NULL).
 */
SHMRING_API int shmring_send_bulk(struct shmring *ring,
				  const struct iovec *msgs, unsigned int n,
				  int timeout_ms);

/*
 * shmring_send_burst - append as many of @msgs as fit, in order, at least one
 * (waiting for room for the first one as the timeout allows).
 * Returns how many were sent (1 .. n). Errors: as shmring_send(); -EINVAL
 * (n is 0 or msgs NULL).
 */
SHMRING_API int shmring_send_burst(struct shmring *ring,
				   const struct iovec *msgs, unsigned int n,
				   int timeout_ms);

/*
 * shmring_recv_burst - take up to @n messages, at least one (waiting as the
 * timeout allows). msgs[i].iov_base/iov_len give the buffer for message i;
 * on return msgs[i].iov_len holds its length, for i < the returned count.
 * Stops early at a message that does not fit its buffer; if that is the
 * first one, returns -ENOBUFS with msgs[0].iov_len set to the size needed.
 * Returns the count (1 .. n), 0 at end of stream.
 * Errors: as shmring_recv(); -EINVAL (n is 0 or msgs NULL).
 */
SHMRING_API int shmring_recv_burst(struct shmring *ring, struct iovec *msgs,
				   unsigned int n, int timeout_ms);

/* ---------------------------------------------------------------------- */
/* Zero copy: fill or read messages in place                              */

/*
 * shmring_reserve - reserve room for one message of up to @len bytes and
 * return a pointer to it in the ring. Nothing is visible to readers until
 * shmring_commit(). A writer that dies before committing publishes nothing
 * and leaves the ring usable. One reservation per handle at a time; a shared
 * (non-exclusive) writer holds the writers' lock until commit or abort.
 * Errors: as shmring_send(); -EBUSY (a reservation is already pending),
 * -EINVAL (NULL @buf).
 */
SHMRING_API int shmring_reserve(struct shmring *ring, size_t len, void **buf,
				int timeout_ms);

/*
 * shmring_commit - publish the reserved message with its final length @len
 * (1 .. the reserved length). Errors: -EINVAL (no reservation, or len out
 * of range), -EIDRM.
 */
SHMRING_API int shmring_commit(struct shmring *ring, size_t len);

/* shmring_abort - drop the pending reservation; nothing is published.
 * Errors: -EINVAL (no reservation). */
SHMRING_API int shmring_abort(struct shmring *ring);

/*
 * shmring_peek - the next message, in place: *msg points into the shared
 * segment and stays valid and unchanged by the ring until shmring_release()
 * (or shmring_release_burst() of 0 or 1).
 * Its length was validated; its bytes were written by another process, so
 * validate them before trusting them. Returns 1, or 0 at end of stream.
 * A shared (non-exclusive) reader holds the readers' lock until release;
 * a reader that dies first leaves the message queued for the others.
 * Errors: as shmring_recv() but -ENOBUFS; -EBUSY (a peek is pending).
 */
SHMRING_API int shmring_peek(struct shmring *ring, const void **msg,
			     size_t *len, int timeout_ms);

/*
 * shmring_peek_burst - up to @n queued messages, in place, in order, at least
 * one (waiting for the first as the timeout allows, like shmring_peek()).
 * On return msgs[i].iov_base points into the shared segment (read-only) and
 * msgs[i].iov_len is the length of message i, for i < the returned count;
 * the rest of @msgs is untouched. Like shmring_peek(), the handle holds the
 * messages, each one validated, until shmring_release_burst() or
 * shmring_release(); their bytes were written by another process.
 * Returns the count (1 .. n), 0 at end of stream.
 * Concurrency: a shared (non-exclusive) reader holds the readers' lock until
 * the release, so other readers wait; a reader that dies first leaves every
 * peeked message queued, in order, for the others. An exclusive reader
 * makes no system call unless it waits.
 * Errors: as shmring_peek(); -EINVAL (n is 0 or over INT32_MAX, or msgs
 * NULL).
 */
SHMRING_API int shmring_peek_burst(struct shmring *ring, struct iovec *msgs, unsigned int n,
				   int timeout_ms);

/*
 * shmring_release_burst - consume the first @n of the messages the last
 * shmring_peek() or shmring_peek_burst() handed out (0 .. that count; 0
 * consumes none). The rest stay queued, in order, for the next receive or
 * peek, of this handle or another. Ends the peek either way: the pointers it
 * handed out are no longer valid, and a shared reader gives the readers'
 * lock back.
 * Errors: -EINVAL (no peek pending, or n over its count; the peek then stays
 * pending), -EUCLEAN (a peeked record no longer validates: nothing consumed,
 * the peek ended).
 */
SHMRING_API int shmring_release_burst(struct shmring *ring, unsigned int n);

/* shmring_release - consume every message of the pending peek (one for
 * shmring_peek(), the whole count for shmring_peek_burst()).
 * Errors: -EINVAL (none pending). */
SHMRING_API int shmring_release(struct shmring *ring);

/* ---------------------------------------------------------------------- */
/* Inspection                                                             */

/* shmring_capacity - usable bytes of message space. Never fails. */
SHMRING_API size_t shmring_capacity(const struct shmring *ring);

/* shmring_max_msg - the largest message this ring accepts. Never fails. */
SHMRING_API size_t shmring_max_msg(const struct shmring *ring);

/*
 * shmring_stats - fill @st with a snapshot of the ring.
 * Errors: -EINVAL (NULL), -EIDRM (ring removed), -EUCLEAN.
 */
SHMRING_API int shmring_stats(struct shmring *ring, struct shmring_stats *st);

/*
 * shmring_list - call @fn once for every shmring ring on this host that the
 * caller may read (segments are attached read-only; anything that is not a
 * ready shmring ring is skipped and never touched). Rings whose anchor file
 * is gone are included. A non-zero return from @fn stops the walk and is
 * returned. Returns 0 otherwise.
 * Errors: -EACCES / -ENOENT if the kernel's segment table cannot be read,
 * -EINVAL (NULL @fn).
 */
typedef int (*shmring_list_fn)(const struct shmring_stats *st, void *arg);
SHMRING_API int shmring_list(shmring_list_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* SHMRING_H */
