# The shmring command (issue 3): one program, one small file per job.
bin_PROGRAMS += tools/shmring
tools_shmring_SOURCES = \
	tools/tool.h tools/main.c \
	tools/args.c tools/report.c tools/target.c tools/output.c tools/stop.c \
	tools/json.c tools/show.c \
	tools/cmd_create.c tools/cmd_rm.c tools/cmd_info.c tools/cmd_ls.c \
	tools/put.h tools/cmd_put.c tools/put_input.c \
	tools/cmd_get.c
tools_shmring_LDADD = lib/libshmring.la
dist_man_MANS += man/shmring.1

# Shell tests that drive the real binary. Automake runs them from the top
# build directory (so ./tools/shmring is the program under test) with
# $srcdir exported; TEST_EXTENSIONS and SH_LOG_COMPILER come from the top
# Makefile.am. foreign-seg makes the System V objects a ring must refuse.
tool_tests = \
	tests/tool/admin.sh \
	tests/tool/lines.sh \
	tests/tool/stream.sh \
	tests/tool/keep.sh \
	tests/tool/signals.sh \
	tests/tool/writers.sh \
	tests/tool/status.sh \
	tests/tool/hostile.sh \
	tests/tool/perm.sh \
	tests/tool/manpage.sh
TESTS += $(tool_tests)
EXTRA_DIST += $(tool_tests) tests/tool/common.sh
check_PROGRAMS += tests/tool/foreign-seg
tests_tool_foreign_seg_SOURCES = tests/tool/foreign_seg.c
