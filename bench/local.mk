# shmring-bench (issues 4, 7): shmring against every IPC a user would pick
# instead. `make bench` runs the quick version twice, on an idle host and
# on a busy one; `make check` runs a tiny one (bench/tiny-run.sh) so the
# program cannot rot.
bin_PROGRAMS += bench/shmring-bench
bench_shmring_bench_SOURCES = \
	bench/bench.h bench/util.c \
	bench/payload.c bench/payload.h \
	bench/cleanup.c bench/cleanup.h \
	bench/sysinfo.c bench/sysinfo.h \
	bench/transport.h bench/run.c bench/run.h bench/loops.c bench/loops.h \
	bench/report.c bench/report.h \
	bench/fdio.c bench/fdio.h \
	bench/t_shmring.c bench/t_shmring.h bench/idle.c \
	bench/t_pipe.c \
	bench/t_socket.c \
	bench/t_sysvmsg.c \
	bench/t_posixmq.c \
	bench/load.c bench/load.h \
	bench/options.c bench/options.h \
	bench/main.c
bench_shmring_bench_CPPFLAGS = $(AM_CPPFLAGS) $(ZMQ_CFLAGS)
bench_shmring_bench_LDADD = lib/libshmring.la
if HAVE_ZMQ
bench_shmring_bench_SOURCES += bench/t_zmq.c
bench_shmring_bench_LDADD += $(ZMQ_LIBS)
endif
# The C++ file makes automake link with the C++ compiler in every
# configuration, which also links plain C objects fine.
if HAVE_BOOST_IPC
bench_shmring_bench_SOURCES += bench/t_boost.c bench/boost_mq.cpp bench/boost_mq.h
endif

# shmring-ceiling: the same payload moved between two processes through
# bare shared memory, no library: the machine's own limit (ceiling.c).
noinst_PROGRAMS += bench/shmring-ceiling
bench_shmring_ceiling_SOURCES = bench/ceiling.c bench/bench.h bench/util.c \
	bench/payload.c bench/payload.h

dist_man_MANS += man/shmring-bench.1

TESTS += bench/tiny-run.sh
EXTRA_DIST += bench/tiny-run.sh
CLEANFILES += bench/results/bench.csv bench/results/bench.png \
	bench/results/bench-busy.csv bench/results/bench-busy.png

# Idle host first (bench/results/bench.csv, .png), then busy: one
# CPU-bound process per online CPU beside the whole run (--load;
# bench-busy.csv, .png). Each report checks its own targets; both run
# even when the first fails.
.PHONY: bench
bench: bench/shmring-bench$(EXEEXT)
	@rc=0; \
	./bench/shmring-bench$(EXEEXT) || rc=1; \
	./bench/shmring-bench$(EXEEXT) --load || rc=1; \
	exit $$rc

# shmring-copybench (issue 7): lib/copy.c's variants against memcpy at every
# alignment pair that matters; it reaches the internal lib/copy.h.
noinst_PROGRAMS += bench/shmring-copybench
bench_shmring_copybench_SOURCES = bench/copybench.c bench/bench.h bench/util.c
bench_shmring_copybench_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
bench_shmring_copybench_LDADD = lib/libshmring_core.la
