/*
 * test-meta.c: metadata from stat(2), applied with fchmod/futimens, and the
 * comparisons the sender uses to decide what to send.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "meta.h"
#include "test-dir.h"

static void
test_from_stat(void **state)
{
	struct dir	*d = *state;
	struct zc_meta	 m;
	struct stat	 st;
	int		 fd;

	fd = openat(d->fd, "f", O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello, world", 12), 12);
	assert_int_equal(fchmod(fd, 04750), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_int_equal(zc_meta_from_stat(&st, &m), 0);
	assert_int_equal(m.type, ZC_TYPE_FILE);
	assert_int_equal(m.mode, 04750);
	assert_true(m.size == 12);
	assert_int_equal(m.uid, st.st_uid);
	assert_int_equal(m.gid, st.st_gid);
	assert_true(m.mtime_sec == st.st_mtim.tv_sec);
	assert_int_equal(m.mtime_nsec, st.st_mtim.tv_nsec);

	assert_int_equal(mkdirat(d->fd, "sub", 0755), 0);
	assert_int_equal(fstatat(d->fd, "sub", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(zc_meta_from_stat(&st, &m), 0);
	assert_int_equal(m.type, ZC_TYPE_DIR);
	assert_int_equal(m.mode, st.st_mode & 07777);
	assert_true(m.size == 0);

	assert_int_equal(symlinkat("some/target", d->fd, "l"), 0);
	assert_int_equal(fstatat(d->fd, "l", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(zc_meta_from_stat(&st, &m), 0);
	assert_int_equal(m.type, ZC_TYPE_SYMLINK);
	assert_true(m.size == 11);

	assert_int_equal(mkfifoat(d->fd, "p", 0600), 0);
	assert_int_equal(fstatat(d->fd, "p", &st, AT_SYMLINK_NOFOLLOW), 0);
	m.type = 99;
	assert_int_equal(zc_meta_from_stat(&st, &m), -ENOTSUP);
	assert_int_equal(m.type, 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_int_equal(zc_meta_from_stat(&st, &m), -ENOTSUP);
}

static void
test_apply_fd(void **state)
{
	struct dir	*d = *state;
	struct zc_meta	 m, got;
	struct stat	 st;
	int		 fd;

	fd = openat(d->fd, "a", O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(zc_meta_from_stat(&st, &m), 0);
	m.mode = 02751;
	m.mtime_sec = 1234567890;
	m.mtime_nsec = 987654321;
	assert_int_equal(zc_meta_apply_fd(fd, &m, 0), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(zc_meta_from_stat(&st, &got), 0);
	assert_int_equal(got.mode, 02751);
	assert_true(got.mtime_sec == 1234567890);
	assert_int_equal(got.mtime_nsec, 987654321);
	assert_true(zc_meta_same_content(&m, &got));
	assert_true(zc_meta_same_attrs(&m, &got, ZC_META_CHOWN));

	m.mtime_nsec = 1000000000;
	assert_int_equal(zc_meta_apply_fd(fd, &m, 0), -EINVAL);
	close(fd);
	assert_int_equal(zc_meta_apply_fd(-1, &m, 0), -EBADF);

	/* A directory. */
	assert_int_equal(mkdirat(d->fd, "dd", 0700), 0);
	fd = openat(d->fd, "dd", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	memset(&m, 0, sizeof(m));
	m.type = ZC_TYPE_DIR;
	m.mode = 0755;
	m.mtime_sec = 5;
	m.mtime_nsec = 6;
	assert_int_equal(zc_meta_apply_fd(fd, &m, 0), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_true(st.st_mtim.tv_sec == 5 && st.st_mtim.tv_nsec == 6);
	close(fd);
}

/*
 * Owner changes by zc_meta_apply_fd(ZC_META_CHOWN), each row from an owner
 * and mode of its own, so that a row fails alone and says which it is.
 */
static const struct chown_row {
	const char	*what;
	uid_t		 uid0;		/* the file's before */
	gid_t		 gid0;
	mode_t		 mode0;
	uid_t		 uid;		/* applied, and expected after */
	gid_t		 gid;
	mode_t		 mode;
} chown_rows[] = {
	/* Mode after chown, so the set-id bits survive. */
	{ "new owner, set-id mode", 0, 0, 02751, 4242, 4343, 06755 },
	/* Not set again (fstat instead): the mode still lands. */
	{ "same owner, new mode", 4242, 4343, 06755, 4242, 4343, 04711 },
	/* Only the group differs: it is set. */
	{ "new group only", 4242, 4343, 04711, 4242, 4444, 04711 },
};

static void
test_apply_chown(void **state)
{
	struct dir		*d = *state;
	const struct chown_row	*r;
	struct zc_meta		 m;
	struct stat		 st;
	size_t			 i;
	int			 fd, error, failed = 0;

	if (geteuid() != 0)
		skip();
	fd = openat(d->fd, "o", O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (i = 0; i < sizeof(chown_rows) / sizeof(chown_rows[0]); i++) {
		r = &chown_rows[i];
		assert_int_equal(fchown(fd, r->uid0, r->gid0), 0);
		assert_int_equal(fchmod(fd, r->mode0), 0);
		assert_int_equal(fstat(fd, &st), 0);
		assert_int_equal(zc_meta_from_stat(&st, &m), 0);
		m.uid = r->uid;
		m.gid = r->gid;
		m.mode = r->mode;
		error = zc_meta_apply_fd(fd, &m, ZC_META_CHOWN);
		assert_int_equal(fstat(fd, &st), 0);
		if (error != 0 || st.st_uid != r->uid || st.st_gid != r->gid ||
		    (st.st_mode & 07777) != r->mode) {
			print_error("%s: %u:%u %04o -> %d, %u:%u %04o; "
			    "expected 0, %u:%u %04o\n", r->what,
			    (unsigned)r->uid0, (unsigned)r->gid0,
			    (unsigned)r->mode0, error, (unsigned)st.st_uid,
			    (unsigned)st.st_gid, (unsigned)st.st_mode & 07777,
			    (unsigned)r->uid, (unsigned)r->gid,
			    (unsigned)r->mode);
			failed++;
		}
	}
	close(fd);
	assert_int_equal(failed, 0);
}

static void
test_apply_link(void **state)
{
	struct dir	*d = *state;
	struct zc_meta	 m;
	struct stat	 st, tst;
	int		 fd;

	fd = openat(d->fd, "t", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(d->fd, "t", &tst, 0), 0);
	assert_int_equal(symlinkat("t", d->fd, "tl"), 0);

	memset(&m, 0, sizeof(m));
	m.type = ZC_TYPE_SYMLINK;
	m.size = 1;
	m.mtime_sec = 1000000;
	m.mtime_nsec = 42;
	m.uid = 4242;
	m.gid = 4343;
	assert_int_equal(zc_meta_apply_link(d->fd, "tl", &m,
	    geteuid() == 0 ? ZC_META_CHOWN : 0), 0);
	assert_int_equal(fstatat(d->fd, "tl", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(st.st_mtim.tv_sec == 1000000 && st.st_mtim.tv_nsec == 42);
	if (geteuid() == 0) {
		assert_int_equal(st.st_uid, 4242);
		assert_int_equal(st.st_gid, 4343);
	}
	/* The link's target is untouched. */
	assert_int_equal(fstatat(d->fd, "t", &st, 0), 0);
	assert_true(st.st_mtim.tv_sec == tst.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == tst.st_mtim.tv_nsec);
	assert_int_equal(st.st_uid, tst.st_uid);

	assert_int_equal(zc_meta_apply_link(d->fd, "x/tl", &m, 0), -EINVAL);
	assert_int_equal(zc_meta_apply_link(d->fd, "", &m, 0), -EINVAL);
	assert_int_equal(zc_meta_apply_link(d->fd, "missing", &m, 0),
	    -ENOENT);
}

static void
test_same(void **state)
{
	struct zc_meta	 a, b;

	memset(&a, 0, sizeof(a));
	a.type = ZC_TYPE_FILE;
	a.mode = 0644;
	a.uid = 1;
	a.gid = 2;
	a.size = 100;
	a.mtime_sec = 1700000000;
	a.mtime_nsec = 5;
	b = a;
	assert_true(zc_meta_same_content(&a, &b));
	assert_true(zc_meta_same_attrs(&a, &b, 0));
	assert_true(zc_meta_same_attrs(&a, &b, ZC_META_CHOWN));

	/* Content: size, mtime to the ns, type. */
	b.mtime_nsec = 6;
	assert_false(zc_meta_same_content(&a, &b));
	b = a;
	b.mtime_sec++;
	assert_false(zc_meta_same_content(&a, &b));
	b = a;
	b.size++;
	assert_false(zc_meta_same_content(&a, &b));
	b = a;
	b.type = ZC_TYPE_SYMLINK;
	assert_false(zc_meta_same_content(&a, &b));
	/* Attributes do not change content. */
	b = a;
	b.mode = 0600;
	b.uid = 9;
	assert_true(zc_meta_same_content(&a, &b));

	/* Attributes: mode always, owner only with CHOWN. */
	b = a;
	b.mode = 0600;
	assert_false(zc_meta_same_attrs(&a, &b, 0));
	b = a;
	b.uid = 9;
	assert_true(zc_meta_same_attrs(&a, &b, 0));
	assert_false(zc_meta_same_attrs(&a, &b, ZC_META_CHOWN));
	b = a;
	b.gid = 9;
	assert_false(zc_meta_same_attrs(&a, &b, ZC_META_CHOWN));

	/* Directories: no content to compare. */
	a.type = b.type = ZC_TYPE_DIR;
	a.size = b.size = 0;
	b = a;
	b.mtime_sec = 1;
	assert_true(zc_meta_same_content(&a, &b));
	b.mode = 0700;
	assert_false(zc_meta_same_attrs(&a, &b, 0));

	/* Symlinks: mode is ignored, owner is not. */
	a.type = b.type = ZC_TYPE_SYMLINK;
	a.size = b.size = 3;
	a.mode = 0777;
	b = a;
	b.mode = 0755;
	assert_true(zc_meta_same_attrs(&a, &b, ZC_META_CHOWN));
	b.uid = 77;
	assert_false(zc_meta_same_attrs(&a, &b, ZC_META_CHOWN));
	assert_true(zc_meta_same_content(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_stat),
		cmocka_unit_test(test_apply_fd),
		cmocka_unit_test(test_apply_chown),
		cmocka_unit_test(test_apply_link),
		cmocka_unit_test(test_same),
	};

	return (cmocka_run_group_tests(tests, dir_setup, dir_teardown));
}
