# The library is built once as a convenience archive, so the tests can reach
# internal helpers, and wrapped into libshmring, which exports only shmring_*.
noinst_LTLIBRARIES = lib/libshmring_core.la
lib_libshmring_core_la_SOURCES = \
	lib/anchor.c lib/anchor.h \
	lib/classify.c lib/classify.h \
	lib/clock.c lib/clock.h \
	lib/close.c lib/close.h \
	lib/copy.c lib/copy.h \
	lib/crash.c lib/crash.h \
	lib/create.c lib/create.h \
	lib/creator.c lib/creator.h \
	lib/error.c \
	lib/fence.c lib/fence.h \
	lib/fork.c lib/fork.h \
	lib/handle.h \
	lib/layout.h \
	lib/list.c \
	lib/lock.c lib/lock.h \
	lib/open.c lib/open.h \
	lib/page.h \
	lib/presence.c lib/presence.h \
	lib/recv.c \
	lib/remove.c lib/remove.h \
	lib/ring.c lib/ring.h \
	lib/sem.c lib/sem.h \
	lib/send.c \
	lib/shm.h \
	lib/side.c lib/side.h \
	lib/spin.h \
	lib/stats.c \
	lib/wait.c lib/wait.h
lib_libshmring_core_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
lib_libshmring_core_la_CFLAGS = $(AM_CFLAGS) $(SHMRING_VISIBILITY_CFLAGS)

lib_LTLIBRARIES = lib/libshmring.la
lib_libshmring_la_SOURCES =
lib_libshmring_la_LIBADD = lib/libshmring_core.la
lib_libshmring_la_LDFLAGS = -no-undefined \
	-version-info $(SHMRING_LT_VERSION) \
	-export-symbols-regex '^shmring_[a-z]' \
	$(SHMRING_LDFLAGS)

include_HEADERS = include/shmring.h
pkgconfig_DATA = shmring.pc
DISTCLEANFILES = shmring.pc
