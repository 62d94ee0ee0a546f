# Criterion suites, one binary per module; they link the convenience
# library so they can reach internals (lib/*.h) where a test needs to.
#
# ipc-begin runs first and ipc-end last (see the .log dependencies below):
# together they fail `make check` when the suite leaves a System V object.

TESTS += tests/ipc-begin.sh
EXTRA_DIST += tests/ipc-begin.sh tests/ipc-end.sh tests/ipc-snapshot.sh
CLEANFILES += tests/ipc-before.txt

# lib/copy.c's variants contain no rep movs and call nothing (issue 7).
TESTS += tests/copy-asm.sh
EXTRA_DIST += tests/copy-asm.sh

# The protocol's Promela model, checked by spin (doc/model/README.md).
# tests/model-sync.sh fails when a "model: <label>" marker is on one side only.
TESTS += tests/model.sh tests/model-sync.sh
EXTRA_DIST += tests/model.sh tests/model-sync.sh doc/model/shmring.pml doc/model/README.md

if HAVE_CRITERION
criterion_tests = \
	tests/ring.test \
	tests/lifecycle.test \
	tests/transfer.test \
	tests/peers.test \
	tests/mpmc.test \
	tests/hostile.test \
	tests/batch.test \
	tests/zerocopy.test \
	tests/errors.test \
	tests/races.test \
	tests/wait.test \
	tests/copy.test \
	tests/crash.test \
	tests/poll.test \
	tests/tools.test

check_PROGRAMS += $(criterion_tests)
TESTS += $(criterion_tests) tests/exports.sh tests/layers.sh
EXTRA_DIST += tests/exports.sh tests/layers.sh

test_common_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/lib -I$(top_srcdir)/tests
test_common_cflags = $(AM_CFLAGS) $(CRITERION_CFLAGS)
test_common_ldadd = tests/libsupport.la lib/libshmring_core.la $(CRITERION_LIBS)

noinst_LTLIBRARIES += tests/libsupport.la
tests_libsupport_la_SOURCES = tests/support.c tests/support.h
tests_libsupport_la_CPPFLAGS = $(test_common_cppflags)
tests_libsupport_la_CFLAGS = $(test_common_cflags)

tests_ring_test_SOURCES = tests/test_ring.c
tests_ring_test_CPPFLAGS = $(test_common_cppflags)
tests_ring_test_CFLAGS = $(test_common_cflags)
tests_ring_test_LDADD = $(test_common_ldadd)

tests_lifecycle_test_SOURCES = tests/test_lifecycle.c
tests_lifecycle_test_CPPFLAGS = $(test_common_cppflags)
tests_lifecycle_test_CFLAGS = $(test_common_cflags)
tests_lifecycle_test_LDADD = $(test_common_ldadd)

tests_transfer_test_SOURCES = tests/test_transfer.c
tests_transfer_test_CPPFLAGS = $(test_common_cppflags)
tests_transfer_test_CFLAGS = $(test_common_cflags)
tests_transfer_test_LDADD = $(test_common_ldadd)

tests_peers_test_SOURCES = tests/test_peers.c
tests_peers_test_CPPFLAGS = $(test_common_cppflags)
tests_peers_test_CFLAGS = $(test_common_cflags)
tests_peers_test_LDADD = $(test_common_ldadd)

tests_mpmc_test_SOURCES = tests/test_mpmc.c
tests_mpmc_test_CPPFLAGS = $(test_common_cppflags)
tests_mpmc_test_CFLAGS = $(test_common_cflags)
tests_mpmc_test_LDADD = $(test_common_ldadd)

tests_hostile_test_SOURCES = tests/test_hostile.c
tests_hostile_test_CPPFLAGS = $(test_common_cppflags)
tests_hostile_test_CFLAGS = $(test_common_cflags)
tests_hostile_test_LDADD = $(test_common_ldadd)

tests_batch_test_SOURCES = tests/test_batch.c
tests_batch_test_CPPFLAGS = $(test_common_cppflags)
tests_batch_test_CFLAGS = $(test_common_cflags)
tests_batch_test_LDADD = $(test_common_ldadd)

tests_zerocopy_test_SOURCES = tests/test_zerocopy.c
tests_zerocopy_test_CPPFLAGS = $(test_common_cppflags)
tests_zerocopy_test_CFLAGS = $(test_common_cflags)
tests_zerocopy_test_LDADD = $(test_common_ldadd)

tests_errors_test_SOURCES = tests/test_errors.c
tests_errors_test_CPPFLAGS = $(test_common_cppflags)
tests_errors_test_CFLAGS = $(test_common_cflags)
tests_errors_test_LDADD = $(test_common_ldadd)

tests_races_test_SOURCES = tests/test_races.c
tests_races_test_CPPFLAGS = $(test_common_cppflags)
tests_races_test_CFLAGS = $(test_common_cflags)
tests_races_test_LDADD = $(test_common_ldadd)

tests_wait_test_SOURCES = tests/test_wait.c
tests_wait_test_CPPFLAGS = $(test_common_cppflags)
tests_wait_test_CFLAGS = $(test_common_cflags)
tests_wait_test_LDADD = $(test_common_ldadd)

tests_crash_test_SOURCES = tests/test_crash.c
tests_crash_test_CPPFLAGS = $(test_common_cppflags)
tests_crash_test_CFLAGS = $(test_common_cflags)
tests_crash_test_LDADD = $(test_common_ldadd)

tests_poll_test_SOURCES = tests/test_poll.c
tests_poll_test_CPPFLAGS = $(test_common_cppflags)
tests_poll_test_CFLAGS = $(test_common_cflags)
tests_poll_test_LDADD = $(test_common_ldadd) -ldl

tests_copy_test_SOURCES = tests/test_copy.c
tests_copy_test_CPPFLAGS = $(test_common_cppflags)
tests_copy_test_CFLAGS = $(test_common_cflags)
tests_copy_test_LDADD = $(test_common_ldadd)

# The tools' zero-copy stream, run as programs: the one just built.
tests_tools_test_SOURCES = tests/test_tools.c
tests_tools_test_CPPFLAGS = $(test_common_cppflags) \
	-DSHMRING_TOOL='"$(abs_top_builddir)/tools/shmring"'
tests_tools_test_CFLAGS = $(test_common_cflags)
tests_tools_test_LDADD = $(test_common_ldadd)
tests/tools.log: tools/shmring$(EXEEXT)

else
check-local:
	@echo "make check needs Criterion (Debian: apt-get install libcriterion-dev)" >&2
	@exit 1
endif

TESTS += tests/ipc-end.sh

# Order: the snapshot before everything, the comparison after everything.
$(filter-out tests/ipc-begin.log,$(TEST_LOGS)): tests/ipc-begin.log
tests/ipc-end.log: $(filter-out tests/ipc-end.log,$(TEST_LOGS))
