/*
 * test-xattr.c: attribute blocks read from files, directories and
 * symlinks (sorted, filtered, canonical), applied to another entry (set
 * what is listed, remove the rest), and refused when malformed.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>

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

#include "proto.h"
#include "xattr.h"
#include "test-dir.h"

static int
mkfile(struct dir *d, const char *name)
{
	int	fd;

	fd = openat(d->fd, name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	return (fd);
}

/* The file system under /tmp must keep user.* attributes, else skip. */
static int
have_user_xattrs(int fd)
{
	if (fsetxattr(fd, "user.zc-probe", "", 0, 0) == -1) {
		assert_true(errno == ENOTSUP);
		return (0);
	}
	assert_int_equal(fremovexattr(fd, "user.zc-probe"), 0);
	return (1);
}

static void
test_read_sorted(void **state)
{
	struct dir	*d = *state;
	static const uint8_t want[] = {
		0, 2,
		6, 'u', 's', 'e', 'r', '.', 'a', 0, 0, 0, 2, 'h', 'i',
		6, 'u', 's', 'e', 'r', '.', 'b', 0, 0, 0, 0,
	};
	uint8_t		*blk;
	size_t		 len;
	int		 fd;

	fd = mkfile(d, "f");
	if (!have_user_xattrs(fd)) {
		close(fd);
		skip();
	}
	/* None: an empty block, hash 0. */
	assert_int_equal(zc_xattr_read(fd, -1, NULL, 0, &blk, &len), 0);
	assert_int_equal(len, ZC_XATTR_EMPTY_LEN);
	assert_true(zc_xattr_hash(blk, len) == 0);
	free(blk);

	/* Set out of order; read back sorted, the same bytes every time. */
	assert_int_equal(fsetxattr(fd, "user.b", "", 0, 0), 0);
	assert_int_equal(fsetxattr(fd, "user.a", "hi", 2, 0), 0);
	assert_int_equal(zc_xattr_read(fd, -1, NULL, 0, &blk, &len), 0);
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(blk, want, sizeof(want));
	assert_int_equal(zc_xattr_check(blk, len), 0);
	assert_true(zc_xattr_hash(blk, len) != 0);
	free(blk);

	/* By name in a directory, not followed: the same block. */
	assert_int_equal(zc_xattr_read(-1, d->fd, "f", 0, &blk, &len), 0);
	assert_memory_equal(blk, want, sizeof(want));
	free(blk);
	assert_int_equal(zc_xattr_read(-1, d->fd, "a/b", 0, &blk, &len),
	    -EINVAL);
	assert_null(blk);
	close(fd);
}

static void
test_trusted_as_root(void **state)
{
	struct dir	*d = *state;
	uint8_t		*blk;
	size_t		 len;
	int		 fd;

	if (geteuid() != 0)
		skip();
	fd = mkfile(d, "t");
	if (fsetxattr(fd, "trusted.zc", "x", 1, 0) == -1) {
		close(fd);
		skip();
	}
	assert_int_equal(zc_xattr_read(fd, -1, NULL, 0, &blk, &len), 0);
	assert_int_equal(len, ZC_XATTR_EMPTY_LEN);
	free(blk);
	assert_int_equal(zc_xattr_read(fd, -1, NULL, ZC_XATTR_PRIV, &blk,
	    &len), 0);
	assert_int_equal(len, 2 + 1 + 10 + 4 + 1);
	free(blk);
	close(fd);
}

/* security.* and trusted.* are set (and removed) only with PRIV. */
static void
test_apply_priv(void **state)
{
	struct dir	*d = *state;
	static const uint8_t blk[] = {
		0, 1, 9, 't','r','u','s','t','e','d','.','a', 0, 0, 0, 1, 'x',
	};
	char		 v[8];
	int		 fd;

	if (geteuid() != 0)
		skip();
	fd = mkfile(d, "p");
	if (fsetxattr(fd, "trusted.old", "1", 1, 0) == -1) {
		close(fd);
		skip();
	}
	assert_int_equal(zc_xattr_apply(fd, -1, NULL, blk, sizeof(blk), 0), 0);
	assert_int_equal(fgetxattr(fd, "trusted.a", v, sizeof(v)), -1);
	assert_int_equal(fgetxattr(fd, "trusted.old", v, sizeof(v)), 1);
	assert_int_equal(zc_xattr_apply(fd, -1, NULL, blk, sizeof(blk),
	    ZC_XATTR_PRIV), 0);
	assert_int_equal(fgetxattr(fd, "trusted.a", v, sizeof(v)), 1);
	assert_int_equal(fgetxattr(fd, "trusted.old", v, sizeof(v)), -1);
	close(fd);
}

static void
test_apply(void **state)
{
	struct dir	*d = *state;
	uint8_t		*blk, *got;
	size_t		 len, glen;
	char		 v[8];
	int		 src, dst;

	src = mkfile(d, "src");
	if (!have_user_xattrs(src)) {
		close(src);
		skip();
	}
	dst = mkfile(d, "dst");
	assert_int_equal(fsetxattr(src, "user.keep", "1", 1, 0), 0);
	assert_int_equal(fsetxattr(src, "user.new", "22", 2, 0), 0);
	assert_int_equal(fsetxattr(dst, "user.keep", "old", 3, 0), 0);
	assert_int_equal(fsetxattr(dst, "user.extra", "x", 1, 0), 0);
	assert_int_equal(zc_xattr_read(src, -1, NULL, 0, &blk, &len), 0);

	assert_int_equal(zc_xattr_apply(dst, -1, NULL, blk, len, 0), 0);
	assert_int_equal(zc_xattr_read(dst, -1, NULL, 0, &got, &glen), 0);
	assert_int_equal(glen, len);
	assert_memory_equal(got, blk, len);
	free(got);
	assert_int_equal(fgetxattr(dst, "user.keep", v, sizeof(v)), 1);
	assert_int_equal(fgetxattr(dst, "user.extra", v, sizeof(v)), -1);
	assert_int_equal(errno, ENODATA);

	/* An empty block clears them; a malformed one changes nothing. */
	assert_int_equal(zc_xattr_apply(dst, -1, NULL,
	    (const uint8_t *)"\0\0", 2, 0), 0);
	assert_int_equal(flistxattr(dst, NULL, 0), 0);
	assert_int_equal(zc_xattr_apply(dst, -1, NULL, blk, len - 1, 0),
	    -EINVAL);
	assert_int_equal(flistxattr(dst, NULL, 0), 0);

	/* A symlink: no user.* on Linux, so that part is skipped, no error. */
	assert_int_equal(symlinkat("src", d->fd, "ln"), 0);
	assert_int_equal(zc_xattr_apply(-1, d->fd, "ln", blk, len, 0), 0);
	assert_int_equal(zc_xattr_read(-1, d->fd, "ln", 0, &got, &glen), 0);
	assert_int_equal(glen, ZC_XATTR_EMPTY_LEN);
	free(got);
	/* ... and the file it points at was not touched. */
	assert_int_equal(fgetxattr(src, "user.new", v, sizeof(v)), 2);

	free(blk);
	close(src);
	close(dst);
}

/*
 * A directory is bare (its new files inherit nothing we would remove)
 * until it has a default ACL or a security.* attribute; user.* on it does
 * not count.  FRESH skips the removal of what the block does not list,
 * and only that.
 */
static void
test_dir_bare(void **state)
{
	struct dir	*d = *state;
	/*
	 * The kernel's format, version 2: USER_OBJ rwx, USER 12345 r--,
	 * GROUP_OBJ r-x, MASK rwx, OTHER --- (a named entry, so that a new
	 * file keeps an access ACL: one the mode says all of is not stored).
	 */
	static const uint8_t dacl[] = {
		2, 0, 0, 0,
		0x01, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
		0x02, 0, 4, 0, 0x39, 0x30, 0, 0,
		0x04, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
		0x10, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
		0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	};
	static const uint8_t blk[] = {
		0, 1, 6, 'u','s','e','r','.','a', 0, 0, 0, 1, 'x',
	};
	char	 v[8];
	int	 sub, fd;

	fd = mkfile(d, "probe");
	if (!have_user_xattrs(fd)) {
		close(fd);
		skip();
	}
	close(fd);
	assert_int_equal(mkdirat(d->fd, "sub", 0755), 0);
	sub = openat(d->fd, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sub >= 0);
	assert_int_equal(zc_xattr_dir_bare(sub), 1);
	assert_int_equal(fsetxattr(sub, "user.dir", "1", 1, 0), 0);
	assert_int_equal(zc_xattr_dir_bare(sub), 1);
	if (fsetxattr(sub, "system.posix_acl_default", dacl, sizeof(dacl),
	    0) == 0) {
		assert_int_equal(zc_xattr_dir_bare(sub), 0);
		/* What a new file gets from it: an apply removes it... */
		fd = openat(sub, "f", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		assert_true(fd >= 0);
		assert_true(fgetxattr(fd, "system.posix_acl_access", NULL,
		    0) > 0);
		assert_int_equal(zc_xattr_apply(fd, -1, NULL, blk,
		    sizeof(blk), 0), 0);
		assert_int_equal(fgetxattr(fd, "system.posix_acl_access",
		    NULL, 0), -1);
		close(fd);
		assert_int_equal(fremovexattr(sub,
		    "system.posix_acl_default"), 0);
		assert_int_equal(zc_xattr_dir_bare(sub), 1);
	}
	if (geteuid() == 0 && fsetxattr(sub, "security.zctest", "1", 1,
	    0) == 0) {
		assert_int_equal(zc_xattr_dir_bare(sub), 0);
		assert_int_equal(fremovexattr(sub, "security.zctest"), 0);
	}

	/* FRESH: what is listed is set, nothing else is looked for. */
	fd = mkfile(d, "fresh");
	assert_int_equal(fsetxattr(fd, "user.stale", "1", 1, 0), 0);
	assert_int_equal(zc_xattr_apply(fd, -1, NULL, blk, sizeof(blk),
	    ZC_XATTR_FRESH), 0);
	assert_int_equal(fgetxattr(fd, "user.a", v, sizeof(v)), 1);
	assert_int_equal(fgetxattr(fd, "user.stale", v, sizeof(v)), 1);
	assert_int_equal(zc_xattr_apply(fd, -1, NULL, blk, sizeof(blk), 0),
	    0);
	assert_int_equal(fgetxattr(fd, "user.stale", v, sizeof(v)), -1);
	close(fd);
	close(sub);
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(zc_xattr_name_ok("user.x", 6));
	assert_true(zc_xattr_name_ok("security.selinux", 16));
	assert_true(zc_xattr_name_ok("trusted.a", 9));
	assert_true(zc_xattr_name_ok("system.posix_acl_access", 23));
	assert_false(zc_xattr_name_ok("system.posix_acl_accessX", 24));
	assert_false(zc_xattr_name_ok("system.nfs4_acl", 15));
	assert_false(zc_xattr_name_ok("user", 4));
	assert_false(zc_xattr_name_ok("user.a\0b", 8));
	assert_false(zc_xattr_name_ok("", 0));
}

static uint32_t
map_acl(void *arg, uint8_t kind, uint32_t id)
{
	(void)arg;
	if (kind == ZC_IDMAP_USER && id == 500)
		return (900);
	if (kind == ZC_IDMAP_USER && id == 300)
		return (100);
	return (id + (kind == ZC_IDMAP_GROUP ? 1 : 0));
}

static int
count_ids(void *arg, uint8_t kind, uint32_t id)
{
	(void)kind;
	(void)id;
	(*(int *)arg)++;
	return (0);
}

/* ACL ids: listed, mapped in place (kernel order kept), hashed as names. */
static void
test_acl_ids(void **state)
{
	uint8_t	blk[] = {
		0, 2,
		23, 's','y','s','t','e','m','.','p','o','s','i','x','_',
		'a','c','l','_','a','c','c','e','s','s',
		0, 0, 0, 4 + 6 * 8,
		2, 0, 0, 0,
		0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,		/* USER_OBJ */
		0x02, 0, 4, 0, 0xf4, 0x01, 0, 0,		/* USER 500 */
		0x02, 0, 6, 0, 0x2c, 0x01, 0, 0,		/* USER 300 */
		0x04, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,		/* GROUP_OBJ */
		0x08, 0, 4, 0, 0, 0, 0, 0,			/* GROUP 0 */
		0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,		/* OTHER */
		6, 'u','s','e','r','.','x', 0, 0, 0, 0,
	};
	static const uint8_t plain[] = {
		0, 1, 6, 'u','s','e','r','.','a', 0, 0, 0, 1, 'x',
	};
	const size_t	v = 2 + 1 + 23 + 4;	/* the ACL value */
	int		n = 0;

	(void)state;
	assert_int_equal(zc_xattr_check(blk, sizeof(blk)), 0);
	assert_int_equal(zc_xattr_acl_ids(blk, sizeof(blk), count_ids, &n), 0);
	assert_int_equal(n, 3);
	/* gid 0 has a name here: the named hash is not the plain one. */
	assert_true(zc_xattr_hash_named(blk, sizeof(blk)) != 0);
	assert_true(zc_xattr_hash_named(blk, sizeof(blk)) !=
	    zc_xattr_hash(blk, sizeof(blk)));

	zc_xattr_acl_map(blk, sizeof(blk), map_acl, NULL);
	assert_int_equal(zc_xattr_check(blk, sizeof(blk)), 0);
	/* USER 300 -> 100 (perm 6) now comes before USER 500 -> 900. */
	assert_int_equal(blk[v + 4 + 8], 0x02);
	assert_int_equal(blk[v + 4 + 8 + 2], 6);
	assert_int_equal(blk[v + 4 + 8 + 4], 100);
	assert_int_equal(blk[v + 4 + 8 + 5], 0);
	assert_int_equal(blk[v + 4 + 16 + 4], 900 & 0xff);
	assert_int_equal(blk[v + 4 + 16 + 5], 900 >> 8);
	/* GROUP 0 -> 1; USER_OBJ and OTHER untouched. */
	assert_int_equal(blk[v + 4 + 32 + 4], 1);
	assert_int_equal(blk[v + 4 + 4], 0xff);
	assert_int_equal(blk[v + 4 + 40 + 4], 0xff);

	/* No ACL: the named hash is the plain one. */
	assert_true(zc_xattr_hash_named(plain, sizeof(plain)) ==
	    zc_xattr_hash(plain, sizeof(plain)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_sorted, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_trusted_as_root,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_apply, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_apply_priv, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_bare, dir_setup,
		    dir_teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_acl_ids),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
