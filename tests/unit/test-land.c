/*
 * test-land.c: a small body landed over what is at its name, with and
 * without ZC_LAND_SWAP_OLD (the live receiver's exchange): the new bytes
 * and mode under the name, a reader of the old file keeps the old bytes,
 * another hard link of the old file keeps it, no temporary name is left,
 * and a directory in the way is refused (EISDIR) and left as it was.
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

#include "land.h"
#include "path.h"
#include "test-dir.h"

static void
check_bytes(int dfd, const char *name, const char *want)
{
	char	buf[256];
	ssize_t	n;
	int	fd;

	fd = openat(dfd, name, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

/* Entries of dir (beneath base) named like our temporary files. */
static int
temps(int dfd, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, n = 0;

	fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_non_null(d = fdopendir(fd));
	while ((de = readdir(d)) != NULL)
		if (zc_path_is_temp(de->d_name))
			n++;
	closedir(d);
	return (n);
}

/* Land data (mode) at rel beneath base with flags: 0 or -errno. */
static int
land_mode(int root, const char *rel, const char *data, mode_t mode,
    int flags)
{
	struct zc_land_file	lf;
	struct zc_meta		meta;
	int			error;

	memset(&meta, 0, sizeof meta);
	meta.type = ZC_TYPE_FILE;
	meta.mode = mode;
	meta.size = strlen(data);
	meta.mtime_sec = 1700000000;
	meta.uid = getuid();
	meta.gid = getgid();
	if ((error = zc_land_file_begin(&lf, root, rel, &meta, NULL,
	    flags)) != 0)
		return (error);
	assert_int_equal(write(lf.fd, data, strlen(data)),
	    (ssize_t)strlen(data));
	return (zc_land_file_commit(&lf, flags));
}

static int
land(int root, const char *rel, const char *data, int flags)
{
	return (land_mode(root, rel, data, 0600, flags));
}

static void
replace(void **state, int flags)
{
	struct dir	*d = *state;
	struct stat	 st, old;
	char		 buf[16];
	int		 fd;

	assert_int_equal(mkdirat(d->fd, "d", 0755), 0);
	dir_put(d->fd, "d/f", "old bytes");
	assert_int_equal(linkat(d->fd, "d/f", d->fd, "d/other", 0), 0);
	assert_int_equal(fstatat(d->fd, "d/f", &old, 0), 0);
	fd = openat(d->fd, "d/f", O_RDONLY);	/* a reader of the old one */
	assert_true(fd >= 0);

	assert_int_equal(land(d->fd, "d/f", "new bytes, longer", flags), 0);
	check_bytes(d->fd, "d/f", "new bytes, longer");
	assert_int_equal(fstatat(d->fd, "d/f", &st, 0), 0);
	assert_true(st.st_ino != old.st_ino);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_mtim.tv_sec, 1700000000);
	/* The old file: still what the reader reads and the link names. */
	assert_int_equal(pread(fd, buf, sizeof buf, 0), 9);
	assert_memory_equal(buf, "old bytes", 9);
	close(fd);
	check_bytes(d->fd, "d/other", "old bytes");
	assert_int_equal(fstatat(d->fd, "d/other", &st, 0), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(temps(d->fd, "d"), 0);

	/* A new name. */
	assert_int_equal(land(d->fd, "d/g", "fresh", flags), 0);
	check_bytes(d->fd, "d/g", "fresh");
	assert_int_equal(temps(d->fd, "d"), 0);
}

/*
 * A new name gets an unnamed file made with its permission bits, and no
 * fchmod() when they came out right: whatever the umask took away, a
 * chown cleared or the mode holds beyond them must still be set.
 */
static void
test_new_name_modes(void **state)
{
	static const mode_t	 modes[] = { 0644, 0664, 0640, 0444, 0000,
	    04755, 02750, 01777, 0700 };
	struct dir		*d = *state;
	struct stat		 st;
	char			 name[32];
	mode_t			 old;
	size_t			 i;
	int			 pass;

	old = umask(027);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
			snprintf(name, sizeof name, "m%d-%zu", pass, i);
			assert_int_equal(land_mode(d->fd, name, "x", modes[i],
			    pass ? ZC_LAND_CHOWN : 0), 0);
			assert_int_equal(fstatat(d->fd, name, &st, 0), 0);
			assert_int_equal(st.st_mode & 07777, modes[i]);
			check_bytes(d->fd, name, "x");
		}
	}
	umask(old);
	assert_int_equal(temps(d->fd, "."), 0);
}

static void
test_replace_rename(void **state)
{
	replace(state, 0);
}

static void
test_replace_swap(void **state)
{
	replace(state, ZC_LAND_SWAP_OLD);
}

/* A directory where the file goes: refused, and left whole in place. */
static void
dir_in_way(void **state, int flags)
{
	struct dir	*d = *state;
	struct stat	 st;

	assert_int_equal(mkdirat(d->fd, "d", 0755), 0);
	assert_int_equal(mkdirat(d->fd, "d/x", 0750), 0);
	dir_put(d->fd, "d/x/inside", "kept");
	assert_int_equal(land(d->fd, "d/x", "a file", flags), -EISDIR);
	assert_int_equal(fstatat(d->fd, "d/x", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
	check_bytes(d->fd, "d/x/inside", "kept");
	assert_int_equal(temps(d->fd, "d"), 0);
}

static void
test_dir_in_way_rename(void **state)
{
	dir_in_way(state, 0);
}

static void
test_dir_in_way_swap(void **state)
{
	dir_in_way(state, ZC_LAND_SWAP_OLD);
}

/* A symlink where the file goes: replaced, its target untouched. */
static void
test_symlink_swap(void **state)
{
	struct dir	*d = *state;
	struct stat	 st;

	dir_put(d->fd, "target", "target bytes");
	assert_int_equal(symlinkat("target", d->fd, "l"), 0);
	assert_int_equal(land(d->fd, "l", "instead", ZC_LAND_SWAP_OLD), 0);
	assert_int_equal(fstatat(d->fd, "l", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	check_bytes(d->fd, "l", "instead");
	check_bytes(d->fd, "target", "target bytes");
	assert_int_equal(temps(d->fd, "."), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_new_name_modes,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_replace_rename,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_replace_swap,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_in_way_rename,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_dir_in_way_swap,
		    dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_symlink_swap,
		    dir_setup, dir_teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
