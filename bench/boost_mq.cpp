/*
 * boost_mq.cpp - Boost.Interprocess message_queue behind the C functions
 * of boost_mq.h, for the benchmark's "boost-mq" peer.
 */
#include "config.h"

#include <cstdio>
#include <exception>
#include <new>

#include <boost/interprocess/ipc/message_queue.hpp>

#include "boost_mq.h"

namespace bip = boost::interprocess;

static void describe(char *err, size_t errlen, const std::exception &e)
{
	if (err && errlen)
		std::snprintf(err, errlen, "%s", e.what());
}

extern "C" int bmq_create(const char *name, size_t depth, size_t size, char *err, size_t errlen)
{
	try {
		bip::message_queue q(bip::create_only, name, depth, size);
		return 0;
	} catch (const std::exception &e) {
		describe(err, errlen, e);
		return -1;
	}
}

extern "C" void *bmq_open(const char *name, char *err, size_t errlen)
{
	try {
		return new bip::message_queue(bip::open_only, name);
	} catch (const std::exception &e) {
		describe(err, errlen, e);
		return nullptr;
	}
}

extern "C" int bmq_send(void *q, const void *buf, size_t len)
{
	try {
		static_cast<bip::message_queue *>(q)->send(buf, len, 0);
		return 0;
	} catch (const std::exception &) {
		return -1;
	}
}

extern "C" long bmq_recv(void *q, void *buf, size_t cap)
{
	try {
		bip::message_queue::size_type got = 0;
		unsigned int prio = 0;

		static_cast<bip::message_queue *>(q)->receive(buf, cap, got, prio);
		return static_cast<long>(got);
	} catch (const std::exception &) {
		return -1;
	}
}

extern "C" void bmq_close(void *q)
{
	delete static_cast<bip::message_queue *>(q);
}

extern "C" int bmq_remove(const char *name)
{
	return bip::message_queue::remove(name) ? 0 : -1;
}
