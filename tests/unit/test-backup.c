/*
 * test-backup.c: old versions kept on the receiver: names, hard links for
 * replaced files, renames for deleted entries (directories whole), pruning
 * to keep generations, and refusal of a symlink in the backup's way.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
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

#include "backup.h"
#include "test-dir.h"

/* How many backups of leaf dir (beneath the root) holds; the newest's name. */
static int
count(int root, const char *dir, const char *leaf, char *newest, size_t len)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, n = 0;

	if (newest != NULL)
		newest[0] = '\0';
	if ((fd = openat(root, dir, O_RDONLY | O_DIRECTORY)) == -1)
		return (0);
	assert_non_null(d = fdopendir(fd));
	while ((de = readdir(d)) != NULL) {
		if (zc_backup_match(de->d_name, leaf) == NULL)
			continue;
		n++;
		if (newest != NULL && strcmp(de->d_name, newest) > 0)
			snprintf(newest, len, "%s", de->d_name);
	}
	closedir(d);
	return (n);
}

static void
test_names(void **state)
{
	struct zc_backup	b;

	(void)state;
	zc_backup_init(&b, NULL, 0);
	assert_false(zc_backup_on(&b));
	assert_false(zc_backup_owns(&b, "x"));
	zc_backup_init(&b, "a/bk", 3);
	assert_true(zc_backup_on(&b));
	assert_true(zc_backup_owns(&b, "a/bk"));
	assert_true(zc_backup_owns(&b, "a/bk/x/y"));
	assert_false(zc_backup_owns(&b, "a/bkx"));
	assert_false(zc_backup_owns(&b, "a/b"));
	assert_false(zc_backup_owns(&b, "a"));
	assert_true(zc_backup_holds(&b, "a"));
	assert_false(zc_backup_holds(&b, "a/bk"));
	assert_false(zc_backup_holds(&b, "a/b"));
	assert_false(zc_backup_holds(&b, "ab"));

	assert_non_null(zc_backup_match("f.20261122T091500.123Z", "f"));
	assert_non_null(zc_backup_match("f.20261122T091500.123Z-7", "f"));
	assert_non_null(zc_backup_match("f.20261122T091500.123Z-42", "f"));
	assert_null(zc_backup_match("f.20261122T091500.123Z-0", "f"));
	assert_null(zc_backup_match("f.20261122T091500.123Z-100", "f"));
	assert_null(zc_backup_match("f.20261122T091500.123", "f"));
	assert_null(zc_backup_match("f.20261122T091500.123Zx", "f"));
	assert_null(zc_backup_match("f.b.20261122T091500.123Z", "f"));
	assert_null(zc_backup_match("f.20261122X091500.123Z", "f"));
	assert_null(zc_backup_match("g.20261122T091500.123Z", "f"));
	assert_null(zc_backup_match("f", "f"));
	assert_null(zc_backup_match("f.", "f"));
	assert_non_null(zc_backup_match("f.b.20261122T091500.123Z", "f.b"));
}

static void
test_keep_link(void **state)
{
	struct dir		*d = *state;
	struct zc_backup	 b;
	struct stat		 a, k;
	char			 newest[256], path[512];
	int			 i;

	zc_backup_init(&b, "bk", 3);
	assert_int_equal(mkdirat(d->fd, "sub", 0755), 0);
	dir_put(d->fd, "sub/f", "version 0");
	/* Nothing there: nothing kept. */
	assert_int_equal(zc_backup_keep_path(&b, d->fd, "sub/none",
	    ZC_BACKUP_LINK, 0), 0);
	assert_int_equal(zc_backup_keep_path(&b, d->fd, "sub/f",
	    ZC_BACKUP_LINK, 0), 0);
	assert_int_equal(count(d->fd, "bk/sub", "f", newest, sizeof newest),
	    1);
	/* A hard link: the same inode, still in place. */
	snprintf(path, sizeof path, "bk/sub/%s", newest);
	assert_int_equal(fstatat(d->fd, "sub/f", &a, 0), 0);
	assert_int_equal(fstatat(d->fd, path, &k, 0), 0);
	assert_true(a.st_ino == k.st_ino);
	/* Many generations, some in the same millisecond: 3 stay. */
	for (i = 1; i < 8; i++) {
		assert_int_equal(unlinkat(d->fd, "sub/f", 0), 0);
		snprintf(path, sizeof path, "version %d", i);
		dir_put(d->fd, "sub/f", path);
		assert_int_equal(zc_backup_keep_path(&b, d->fd, "sub/f",
		    ZC_BACKUP_LINK, 0), 0);
	}
	assert_int_equal(count(d->fd, "bk/sub", "f", NULL, 0), 3);
	/* A directory is not "replaced" by a file: left alone. */
	assert_int_equal(mkdirat(d->fd, "sub/d", 0755), 0);
	assert_int_equal(zc_backup_keep_path(&b, d->fd, "sub/d",
	    ZC_BACKUP_LINK, 0), 0);
	assert_int_equal(count(d->fd, "bk/sub", "d", NULL, 0), 0);
}

static void
test_keep_move_dir(void **state)
{
	struct dir		*d = *state;
	struct zc_backup	 b;
	char			 newest[256], path[512];
	struct stat		 st;

	zc_backup_init(&b, "deep/bk", 0);	/* keep: the default */
	assert_int_equal(b.keep, ZC_BACKUP_KEEP_DEFAULT);
	assert_int_equal(mkdirat(d->fd, "t", 0755), 0);
	assert_int_equal(mkdirat(d->fd, "t/u", 0755), 0);
	dir_put(d->fd, "t/u/f", "inside");
	assert_int_equal(zc_backup_keep_path(&b, d->fd, "t", ZC_BACKUP_MOVE,
	    0), 0);
	assert_int_equal(fstatat(d->fd, "t", &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(count(d->fd, "deep/bk", "t", newest, sizeof newest),
	    1);
	snprintf(path, sizeof path, "deep/bk/%s/u/f", newest);
	assert_int_equal(fstatat(d->fd, path, &st, 0), 0);
	assert_true(st.st_size == 6);
	/* Backup subdirectories are private. */
	assert_int_equal(fstatat(d->fd, "deep/bk", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void
test_symlink_refused(void **state)
{
	struct dir		*d = *state;
	struct zc_backup	 b;
	struct stat		 st;
	DIR			*od;
	struct dirent		*de;
	int			 n = 0;

	zc_backup_init(&b, "bk", 3);
	dir_put(d->fd, "f", "old");
	assert_int_equal(symlinkat(d->out, d->fd, "bk"), 0);
	assert_true(zc_backup_keep_path(&b, d->fd, "f", ZC_BACKUP_LINK, 0) <
	    0);
	assert_true(zc_backup_keep_path(&b, d->fd, "f", ZC_BACKUP_MOVE, 0) <
	    0);
	/* The old file is where it was; nothing appeared outside. */
	assert_int_equal(fstatat(d->fd, "f", &st, 0), 0);
	assert_non_null(od = opendir(d->out));
	while ((de = readdir(od)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(od);
	assert_int_equal(n, 0);
	/* A symlink lower down, too. */
	assert_int_equal(unlinkat(d->fd, "bk", 0), 0);
	assert_int_equal(mkdirat(d->fd, "bk", 0700), 0);
	assert_int_equal(mkdirat(d->fd, "s", 0755), 0);
	dir_put(d->fd, "s/g", "old");
	assert_int_equal(symlinkat(d->out, d->fd, "bk/s"), 0);
	assert_true(zc_backup_keep_path(&b, d->fd, "s/g", ZC_BACKUP_LINK, 0) <
	    0);
	assert_int_equal(fstatat(d->fd, "s/g", &st, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_keep_link, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_keep_move_dir, dir_setup,
		    dir_teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, dir_setup,
		    dir_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
