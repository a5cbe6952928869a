/*
 * test-path.c: name checks, temporary names and opens beneath a root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "path.h"

static int
check(const char *p, size_t len)
{
	char	 out[ZC_PATH_MAX + 1];
	int	 r;

	memset(out, 'z', sizeof(out));
	r = zc_path_check(p, len, out, sizeof(out));
	if (r == 0) {
		assert_memory_equal(out, p, len);
		assert_int_equal(out[len], '\0');
	} else
		assert_int_equal(out[0], '\0');
	return (r);
}

static int
check_s(const char *p)
{
	return (check(p, strlen(p)));
}

static void
test_check_accepts(void **state)
{
	assert_int_equal(check_s("a"), 0);
	assert_int_equal(check_s("a/b/c.txt"), 0);
	assert_int_equal(check_s(".hidden/..x/..."), 0);
	assert_int_equal(check_s("a b/\n\x1b[31m/\xff\xfe"), 0);
	assert_int_equal(check_s("a\\b"), 0);
	assert_int_equal(check_s(".zc.0123456789abcdef.zctm"), 0);
	assert_int_equal(check_s(".zc.0123456789ABCDEF.zctmp"), 0);
	assert_int_equal(check_s(".zc.0123456789abcdef.zctmpx"), 0);
	assert_int_equal(check_s(".zc.0123456789abcdeg.zctmp"), 0);
}

static void
test_check_rejects(void **state)
{
	assert_int_equal(check("", 0), -EINVAL);
	assert_int_equal(check_s("/"), -EINVAL);
	assert_int_equal(check_s("/etc"), -EINVAL);
	assert_int_equal(check_s("/etc/passwd"), -EINVAL);
	assert_int_equal(check_s("//x"), -EINVAL);
	assert_int_equal(check_s("."), -EINVAL);
	assert_int_equal(check_s(".."), -EINVAL);
	assert_int_equal(check_s("./a"), -EINVAL);
	assert_int_equal(check_s("../x"), -EINVAL);
	assert_int_equal(check_s("a/.."), -EINVAL);
	assert_int_equal(check_s("a/../../x"), -EINVAL);
	assert_int_equal(check_s("a/./b"), -EINVAL);
	assert_int_equal(check_s("a/."), -EINVAL);
	assert_int_equal(check_s("a//b"), -EINVAL);
	assert_int_equal(check_s("a/"), -EINVAL);
	assert_int_equal(check("ok\0/../../x", 11), -EINVAL);
	assert_int_equal(check("a\0", 2), -EINVAL);
	assert_int_equal(check("\0", 1), -EINVAL);
	/* Our own temporary names, anywhere in the path. */
	assert_int_equal(check_s(".zc.0123456789abcdef.zctmp"), -EINVAL);
	assert_int_equal(check_s("d/.zc.0123456789abcdef.zctmp"), -EINVAL);
	assert_int_equal(check_s(".zc.ffffffffffffffff.zctmp/x"), -EINVAL);
}

static void
test_check_limits(void **state)
{
	char	 p[ZC_PATH_MAX + 2], out[ZC_PATH_MAX + 1];
	size_t	 i;

	/* A component of 255 bytes is fine, 256 is not. */
	memset(p, 'n', sizeof(p));
	assert_int_equal(check(p, 255), 0);
	assert_int_equal(check(p, 256), -EINVAL);
	p[0] = 'd';
	p[1] = '/';
	assert_int_equal(check(p, 2 + 255), 0);
	assert_int_equal(check(p, 2 + 256), -EINVAL);

	/* Total length: 4095 bytes is fine, 4096 is not. */
	for (i = 0; i < sizeof(p); i++)
		p[i] = i % 200 == 199 ? '/' : 'x';
	assert_int_equal(check(p, ZC_PATH_MAX), 0);
	assert_int_equal(check(p, ZC_PATH_MAX + 1), -EINVAL);

	/* Depth: 256 components are fine, 257 are not. */
	for (i = 0; i < 2 * ZC_PATH_DEPTH_MAX; i += 2) {
		p[i] = 'a';
		p[i + 1] = '/';
	}
	assert_int_equal(check(p, 2 * ZC_PATH_DEPTH_MAX - 1), 0);
	p[2 * ZC_PATH_DEPTH_MAX] = 'a';
	assert_int_equal(check(p, 2 * ZC_PATH_DEPTH_MAX + 1), -EINVAL);

	/* An output buffer too small for the copy is refused. */
	assert_int_equal(zc_path_check("abc", 3, out, 3), -EINVAL);
	assert_int_equal(out[0], '\0');
	assert_int_equal(zc_path_check("abc", 3, out, 4), 0);
	assert_string_equal(out, "abc");
}

static void
test_link_safe(void **state)
{
	static const struct {
		const char	*path, *target;
		int		 safe;
	} cases[] = {
		{ "l", "x", 1 },
		{ "l", "a/b/c", 1 },
		{ "l", "./x", 1 },
		{ "l", "a/../x", 1 },
		{ "l", "a//b/", 1 },
		{ "d/l", "../x", 1 },
		{ "d/e/l", "../../x", 1 },
		{ "d/l", "../d/../x", 1 },
		{ "l", "/etc/passwd", 0 },
		{ "l", "/", 0 },
		{ "l", "", 0 },
		{ "l", "..", 0 },
		{ "l", "../x", 0 },
		{ "l", "a/../../x", 0 },
		{ "d/l", "../../x", 0 },
		{ "d/l", "x/../../../y", 0 },
		{ "d/e/l", "../../../etc", 0 },
		{ "d/l", "./../..", 0 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (zc_path_link_is_safe(cases[i].path, cases[i].target) !=
		    cases[i].safe)
			fail_msg("%s -> %s: want %s", cases[i].path,
			    cases[i].target, cases[i].safe ? "safe" : "unsafe");
	}
}

static void
test_temp(void **state)
{
	char	 a[ZC_PATH_TMP_LEN + 1], b[ZC_PATH_TMP_LEN + 1];
	char	 small[8];
	int	 i;

	assert_true(zc_path_is_temp(".zc.0123456789abcdef.zctmp"));
	assert_true(zc_path_is_temp(".zc.0000000000000000.zctmp"));
	assert_false(zc_path_is_temp(".zc.0123456789ABCDEF.zctmp"));
	assert_false(zc_path_is_temp(".zc.0123456789abcde.zctmp"));
	assert_false(zc_path_is_temp(".zc.0123456789abcdef0.zctmp"));
	assert_false(zc_path_is_temp(".zc.0123456789abcdef.zctmpx"));
	assert_false(zc_path_is_temp("x.zc.0123456789abcdef.zctmp"));
	assert_false(zc_path_is_temp(".zc.012345678 abcdef.zctmp"));
	assert_false(zc_path_is_temp(".zc."));
	assert_false(zc_path_is_temp(""));

	zc_path_make_temp(a, sizeof(a));
	assert_int_equal(strlen(a), ZC_PATH_TMP_LEN);
	assert_true(zc_path_is_temp(a));
	for (i = 0; i < 100; i++) {
		zc_path_make_temp(b, sizeof(b));
		assert_true(zc_path_is_temp(b));
		assert_string_not_equal(a, b);
	}
	/* A temp name is never a valid peer path. */
	assert_int_equal(check_s(a), -EINVAL);
	zc_path_make_temp(small, sizeof(small));
	assert_string_equal(small, "");
}

/*
 * A temporary tree:
 *   root/f            regular file
 *   root/d/g          regular file in a directory
 *   root/lf -> outside/secret     symlink leaf to outside
 *   root/ld -> outside            symlink parent to outside
 *   root/in -> f      symlink inside the tree
 *   outside/secret
 */
struct tree {
	char	 base[64];
	char	 root[128];
	int	 root_fd;
};

static int
tree_setup(void **state)
{
	struct tree	*t;
	char		 p[256];
	int		 fd;

	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	strcpy(t->base, "/tmp/zc-test-path.XXXXXX");
	assert_non_null(mkdtemp(t->base));
	snprintf(t->root, sizeof(t->root), "%s/root", t->base);
	assert_int_equal(mkdir(t->root, 0755), 0);
	snprintf(p, sizeof(p), "%s/outside", t->base);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/outside/secret", t->base);
	assert_true((fd = open(p, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(write(fd, "secret", 6), 6);
	close(fd);
	snprintf(p, sizeof(p), "%s/root/f", t->base);
	assert_true((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
	assert_int_equal(write(fd, "file", 4), 4);
	close(fd);
	snprintf(p, sizeof(p), "%s/root/d", t->base);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/d/g", t->base);
	assert_true((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/root/lf", t->base);
	assert_int_equal(symlink("../outside/secret", p), 0);
	snprintf(p, sizeof(p), "%s/root/ld", t->base);
	assert_int_equal(symlink("../outside", p), 0);
	snprintf(p, sizeof(p), "%s/root/in", t->base);
	assert_int_equal(symlink("f", p), 0);
	snprintf(p, sizeof(p), "%s/root/abs", t->base);
	assert_int_equal(symlink(t->base, p), 0);

	t->root_fd = zc_path_open_root(t->root);
	assert_true(t->root_fd >= 0);
	*state = t;
	return (0);
}

static int
tree_teardown(void **state)
{
	struct tree	*t = *state;
	char		 cmd[256];

	close(t->root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->base);
	assert_int_equal(system(cmd), 0);
	free(t);
	return (0);
}

static void
test_open_root(void **state)
{
	struct tree	*t = *state;
	char		 p[256];

	assert_int_equal(zc_path_open_root("/nonexistent/zc"), -ENOENT);
	snprintf(p, sizeof(p), "%s/f", t->root);
	assert_int_equal(zc_path_open_root(p), -ENOTDIR);
	/* The trusted root itself may be reached through a symlink. */
	snprintf(p, sizeof(p), "%s/ld", t->root);
	{
		int fd = zc_path_open_root(p);

		assert_true(fd >= 0);
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		close(fd);
	}
}

static void
test_openat(void **state)
{
	struct tree	*t = *state;
	char		 buf[16];
	int		 fd;

	/* Plain files open, with close-on-exec. */
	fd = zc_path_openat(t->root_fd, "f", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "file", 4);
	close(fd);
	fd = zc_path_openat(t->root_fd, "d/g", O_RDONLY, 0);
	assert_true(fd >= 0);
	close(fd);

	/* Symlinks: refused, wherever they point. */
	assert_int_equal(zc_path_openat(t->root_fd, "lf", O_RDONLY, 0),
	    -ELOOP);
	assert_int_equal(zc_path_openat(t->root_fd, "in", O_RDONLY, 0),
	    -ELOOP);
	fd = zc_path_openat(t->root_fd, "ld/secret", O_RDONLY, 0);
	assert_true(fd == -ELOOP || fd == -EXDEV);
	fd = zc_path_openat(t->root_fd, "abs/outside/secret", O_RDONLY, 0);
	assert_true(fd == -ELOOP || fd == -EXDEV);
	fd = zc_path_openat(t->root_fd, "ld/new", O_WRONLY | O_CREAT | O_EXCL,
	    0600);
	assert_true(fd == -ELOOP || fd == -EXDEV);
	assert_int_equal(zc_path_openat(t->root_fd, "lf",
	    O_WRONLY | O_CREAT | O_TRUNC, 0600), -ELOOP);
	assert_int_equal(access("/tmp", F_OK), 0);

	/* What zc_path_check would refuse is refused here too. */
	assert_int_equal(zc_path_openat(t->root_fd, "../root/f", O_RDONLY, 0),
	    -EXDEV);
	assert_int_equal(zc_path_openat(t->root_fd, "/etc/passwd", O_RDONLY,
	    0), -EXDEV);

	/* Creating with a mode, and O_TMPFILE in a directory. */
	fd = zc_path_openat(t->root_fd, "d/new", O_WRONLY | O_CREAT | O_EXCL,
	    0640);
	assert_true(fd >= 0);
	close(fd);
	fd = zc_path_openat(t->root_fd, "d", O_TMPFILE | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	/* A mode without O_CREAT is ignored rather than an EINVAL. */
	fd = zc_path_openat(t->root_fd, "d/new", O_RDONLY, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(zc_path_openat(t->root_fd, "missing", O_RDONLY, 0),
	    -ENOENT);
}

static void
test_open_parent(void **state)
{
	struct tree	*t = *state;
	const char	*leaf;
	struct stat	 st;
	int		 fd;

	fd = zc_path_open_parent(t->root_fd, "f", &leaf);
	assert_true(fd >= 0 && fd != t->root_fd);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_string_equal(leaf, "f");
	assert_int_equal(fstatat(fd, leaf, &st, AT_SYMLINK_NOFOLLOW), 0);
	close(fd);

	fd = zc_path_open_parent(t->root_fd, "d/g", &leaf);
	assert_true(fd >= 0);
	assert_string_equal(leaf, "g");
	assert_int_equal(fstatat(fd, leaf, &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	close(fd);

	/* The leaf may be a symlink (the caller uses *at with NOFOLLOW). */
	fd = zc_path_open_parent(t->root_fd, "lf", &leaf);
	assert_true(fd >= 0);
	close(fd);

	/* A parent that is a symlink, or a file, or missing, is refused. */
	fd = zc_path_open_parent(t->root_fd, "ld/secret", &leaf);
	assert_true(fd == -ELOOP || fd == -EXDEV);
	assert_null(leaf);
	assert_int_equal(zc_path_open_parent(t->root_fd, "f/x", &leaf),
	    -ENOTDIR);
	assert_int_equal(zc_path_open_parent(t->root_fd, "nope/x", &leaf),
	    -ENOENT);
	assert_null(leaf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_accepts),
		cmocka_unit_test(test_check_rejects),
		cmocka_unit_test(test_check_limits),
		cmocka_unit_test(test_link_safe),
		cmocka_unit_test(test_temp),
		cmocka_unit_test(test_open_root),
		cmocka_unit_test(test_openat),
		cmocka_unit_test(test_open_parent),
	};

	return (cmocka_run_group_tests(tests, tree_setup, tree_teardown));
}
