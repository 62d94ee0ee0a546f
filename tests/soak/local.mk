# make soak (tests/soak/README): minutes of writers and readers killed and
# restarted on one small ring, then an account of every message. Not part
# of make check; the program is built only by this target.
EXTRA_PROGRAMS += tests/soak/shmring-soak
tests_soak_shmring_soak_SOURCES = tests/soak/soak.c tests/soak/soak.h \
	tests/soak/peer.c tests/soak/msg.c
tests_soak_shmring_soak_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
tests_soak_shmring_soak_LDADD = lib/libshmring.la
CLEANFILES += tests/soak/shmring-soak$(EXEEXT)
EXTRA_DIST += tests/soak/README

SOAK_SECONDS = 120
SOAK_WRITERS = 4
SOAK_READERS = 3
SOAK_FLAGS =

.PHONY: soak
soak: tests/soak/shmring-soak$(EXEEXT)
	./tests/soak/shmring-soak$(EXEEXT) --seconds $(SOAK_SECONDS) \
		--writers $(SOAK_WRITERS) --readers $(SOAK_READERS) $(SOAK_FLAGS)
