# SHMRING_TRY_CFLAG(FLAG, ACTION-IF-ACCEPTED)
# Runs ACTION when the C compiler accepts FLAG without a warning turned error.
AC_DEFUN([SHMRING_TRY_CFLAG], [
	AS_VAR_PUSHDEF([cache], [shmring_cv_cflag_$1])
	AC_CACHE_CHECK([whether $CC accepts $1], [cache], [
		save_CFLAGS=$CFLAGS
		CFLAGS="$CFLAGS -Werror $1"
		AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
			[AS_VAR_SET([cache], [yes])], [AS_VAR_SET([cache], [no])])
		CFLAGS=$save_CFLAGS])
	AS_VAR_IF([cache], [yes], [$2])
	AS_VAR_POPDEF([cache])
])

# SHMRING_TRY_LDFLAG(FLAG, ACTION-IF-ACCEPTED)
AC_DEFUN([SHMRING_TRY_LDFLAG], [
	AS_VAR_PUSHDEF([cache], [shmring_cv_ldflag_$1])
	AC_CACHE_CHECK([whether the linker accepts $1], [cache], [
		save_LDFLAGS=$LDFLAGS
		LDFLAGS="$LDFLAGS $1"
		AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
			[AS_VAR_SET([cache], [yes])], [AS_VAR_SET([cache], [no])])
		LDFLAGS=$save_LDFLAGS])
	AS_VAR_IF([cache], [yes], [$2])
	AS_VAR_POPDEF([cache])
])
