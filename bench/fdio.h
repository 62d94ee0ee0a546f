/*
 * fdio.h - one message over a file descriptor: pipes, FIFOs and Unix
 * sockets share these endpoint operations.
 */
#ifndef BENCH_FDIO_H
#define BENCH_FDIO_H

#include <stddef.h>

struct fd_ep {
	int rfd, wfd; /* -1 when unused */
	int packet;   /* 1: one read is one message (SOCK_SEQPACKET) */
};

/* A new endpoint; NULL when out of memory. */
struct fd_ep *fd_ep_new(int rfd, int wfd, int packet);

/* Write all @len bytes. Returns 0 or -errno. */
int fd_send(void *ep, const void *buf, size_t len);

/* Byte stream: read exactly @cap bytes; packet: read one message of at
   most @cap bytes. Returns its length, -EPIPE at end of file, or -errno. */
int fd_recv(void *ep, void *buf, size_t cap);

/* Close both descriptors and free the endpoint. */
void fd_close(void *ep);

/* Ask for a pipe buffer of about @bytes (F_SETPIPE_SZ), within what the
   system allows unprivileged users (fs.pipe-max-size). */
void fd_pipe_size(int fd, size_t bytes);

#endif /* BENCH_FDIO_H */
