/* Error codes and messages, version, and API misuse. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support.h"

TestSuite(errors, .init = tr_setup, .fini = tr_teardown);

static const int documented[] = {
	EEXIST, ENOENT, EMSGSIZE, ENOBUFS, EAGAIN, ETIMEDOUT, EPIPE, EIDRM, EUCLEAN, EMEDIUMTYPE,
	EPROTONOSUPPORT, ENOTUNIQ, ESTALE, EBUSY, EBADF, EINVAL, EACCES, EPERM, ENOMEM, ENOSPC,
	EFBIG,
};
#define N_DOCUMENTED (sizeof(documented) / sizeof(documented[0]))

Test(errors, every_documented_code_has_its_own_message)
{
	for (size_t i = 0; i < N_DOCUMENTED; i++) {
		const char *m = shmring_strerror(-documented[i]);
		cr_assert_str_neq(m, "unknown error", "code %d has no message", documented[i]);
		cr_assert_str_eq(m, shmring_strerror(documented[i]), "sign must not matter");
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(m, shmring_strerror(-documented[j]), "codes %d and %d share '%s'",
					  documented[i], documented[j], m);
	}
}

Test(errors, unknown_codes_say_so)
{
	cr_assert_str_eq(shmring_strerror(-99999), "unknown error");
	cr_assert_str_eq(shmring_strerror(0), "success");
}

Test(errors, version_string_matches_the_header_macros)
{
	char expect[32];
	snprintf(expect, sizeof(expect), "%d.%d.%d", SHMRING_VERSION_MAJOR, SHMRING_VERSION_MINOR,
		 SHMRING_VERSION_PATCH);
	cr_assert_str_eq(shmring_version(), expect);
	cr_assert_str_eq(shmring_version(), SHMRING_VERSION_STRING);
}

Test(errors, null_arguments_are_einval)
{
	struct shmring *r;
	char buf[8];
	size_t len = sizeof(buf);
	struct shmring_stats st;
	cr_assert_eq(shmring_create(NULL, 0, NULL, &r), -EINVAL);
	cr_assert_eq(shmring_create(tr_new_anchor(), 0, NULL, NULL), -EINVAL);
	cr_assert_eq(shmring_open(NULL, 0, NULL, &r), -EINVAL);
	cr_assert_eq(shmring_send(NULL, buf, 1, 0), -EINVAL);
	cr_assert_eq(shmring_recv(NULL, buf, &len, 0), -EINVAL);
	cr_assert_eq(shmring_stats(NULL, &st), -EINVAL);
	cr_assert_eq(shmring_key(NULL, NULL), -EINVAL);
	cr_assert_eq(shmring_close(NULL), 0);
}

Test(errors, roles_are_enforced_with_ebadf)
{
	const char *path;
	struct shmring *admin = tr_create(0, 0, 0, &path);
	struct shmring *w, *rd;
	cr_assert_eq(shmring_open(path, SHMRING_WRITER, NULL, &w), 0);
	cr_assert_eq(shmring_open(path, SHMRING_READER, NULL, &rd), 0);
	char buf[8] = "x";
	size_t len = sizeof(buf);
	void *p;
	const void *cp;
	cr_assert_eq(shmring_send(rd, buf, 1, 0), -EBADF);
	cr_assert_eq(shmring_reserve(rd, 1, &p, 0), -EBADF);
	cr_assert_eq(shmring_recv(w, buf, &len, 0), -EBADF);
	cr_assert_eq(shmring_peek(w, &cp, &len, 0), -EBADF);
	cr_assert_eq(shmring_send(admin, buf, 1, 0), -EBADF);
	shmring_close(w);
	shmring_close(rd);
	shmring_close(admin);
}

Test(errors, unknown_flags_are_einval_and_create_nothing)
{
	struct shmring *r;
	const char *path = tr_new_anchor();
	struct shmring_options bad_mode = {.mode = 01777};
	cr_assert_eq(shmring_create(path, 0x1000, NULL, &r), -EINVAL);
	cr_assert_eq(shmring_create(path, 0, &bad_mode, &r), -EINVAL);
	cr_assert_eq(access(path, F_OK), -1, "the anchor file was not made either");
	cr_assert_eq(shmring_open(path, 0, NULL, &r), -ENOENT);
}
