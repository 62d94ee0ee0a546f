/* put.h - the parts of `shmring put`: cmd_put.c opens the ring and sends
 * batches, put_input.c cuts standard input into messages. */
#ifndef SHMRING_TOOL_PUT_H
#define SHMRING_TOOL_PUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "shmring.h"

/* Messages handed to send_batch() at most at once: one lock and one index
 * publication in the library per batch. */
#define PUT_BATCH 1024u

struct sender {
	struct shmring *ring;
	const char *name; /* for messages */
	int timeout_ms;	  /* each wait for room: -1 forever, 0 never */
	size_t max_msg;
	uint64_t sent;
};

/* Report a failed send, reservation or commit (@rc < 0) and return its
 * exit status. */
int send_failed(struct sender *s, int rc);

/* Send all @n messages in order, waiting for room as the timeout allows.
 * Returns TOOL_OK, or reports the failure and returns its exit status. */
int send_batch(struct sender *s, struct iovec *msgs, unsigned int n);

/* Standard input split on @delim ('\n' or '\0'), one message per record,
 * delimiter removed; empty records are skipped (a ring has no empty
 * messages). A record over max_msg stops the put: the records before it
 * are sent, nothing of it is. Returns an exit status. */
int put_records(struct sender *s, int fd, char delim);

/* Standard input as raw bytes in messages of up to max_msg, so that
 * `get --stream` writes back exactly the same bytes: each read() goes
 * straight into a reserved message, and only what it read is committed. */
int put_stream(struct sender *s, int fd);

#endif /* SHMRING_TOOL_PUT_H */
