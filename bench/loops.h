/*
 * loops.h - the generic loops a child runs for a transport that has no
 * specialised produce()/consume() of its own (loops.c). Each returns 0 or
 * -errno, having described a failure with chan_fail().
 */
#ifndef BENCH_LOOPS_H
#define BENCH_LOOPS_H

#include "transport.h"

int loop_produce(struct chan *c); /* c->gen's messages, until the last */
int loop_consume(struct chan *c); /* check each against c->check */
int loop_ping(struct chan *c);    /* send, await the echo, time it */
int loop_pong(struct chan *c);    /* echo until the pinger's last */

#endif /* BENCH_LOOPS_H */
