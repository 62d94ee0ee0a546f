/*
 * boost_mq.h - a C face for Boost.Interprocess message_queue (boost_mq.cpp).
 * Every function catches its C++ exceptions and returns -1 with a message
 * in @err instead.
 */
#ifndef BENCH_BOOST_MQ_H
#define BENCH_BOOST_MQ_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Create the queue @name holding @depth messages of up to @size bytes. */
int bmq_create(const char *name, size_t depth, size_t size, char *err, size_t errlen);

/* Open the existing queue @name; NULL on failure. */
void *bmq_open(const char *name, char *err, size_t errlen);

/* Send one message, waiting while the queue is full. 0 or -1. */
int bmq_send(void *q, const void *buf, size_t len);

/* Receive one message into @buf (@cap bytes); its length, or -1. */
long bmq_recv(void *q, void *buf, size_t cap);

void bmq_close(void *q);

/* Remove the queue @name; 0, or -1 if there was none. */
int bmq_remove(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_BOOST_MQ_H */
