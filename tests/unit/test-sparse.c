/*
 * test-sparse.c: mapping a file's data segments (SEEK_DATA/SEEK_HOLE, the
 * st_blocks shortcut, merging) and sizing a receiver's file with holes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "sparse.h"

#define MIB	(1024 * 1024)

static int
tmpfile_fd(void)
{
	char	path[] = "/tmp/test-sparse.XXXXXX";
	int	fd;

	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	return (fd);
}

static void
put_data(int fd, off_t off, size_t len)
{
	static char	buf[MIB];

	memset(buf, 'x', sizeof(buf));
	assert_true(len <= sizeof(buf));
	assert_true(pwrite(fd, buf, len, off) == (ssize_t)len);
}

/* Does this file system keep holes?  (The test then says what it maps.) */
static int
keeps_holes(int fd)
{
	struct stat	st;

	assert_int_equal(fstat(fd, &st), 0);
	return ((uint64_t)st.st_blocks * 512 < (uint64_t)st.st_size);
}

static void
test_map(void **state)
{
	struct stat	 st;
	uint8_t		*segs;
	uint32_t	 n;
	uint64_t	 off, len;
	int		 fd = tmpfile_fd();

	/* Empty: no segments. */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(zc_sparse_map(fd, &st, 100, &segs, &n), 0);
	assert_int_equal(n, 0);
	assert_null(segs);

	/* Dense: one segment, whole. */
	put_data(fd, 0, 10000);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(zc_sparse_map(fd, &st, 100, &segs, &n), 0);
	assert_int_equal(n, 1);
	zc_proto_seg_get(segs, 0, &off, &len);
	assert_true(off == 0 && len == 10000);
	free(segs);

	/* 64 MiB with data at 0, 16 MiB and the end: three segments. */
	assert_int_equal(ftruncate(fd, 64 * MIB), 0);
	put_data(fd, 16 * MIB, MIB);
	put_data(fd, 64 * MIB - 4096, 4096);
	assert_int_equal(fstat(fd, &st), 0);
	if (!keeps_holes(fd)) {
		close(fd);
		skip();
	}
	assert_int_equal(zc_sparse_map(fd, &st, 100, &segs, &n), 0);
	assert_int_equal(n, 3);
	zc_proto_seg_get(segs, 0, &off, &len);
	assert_true(off == 0 && len >= 10000 && len < MIB);
	zc_proto_seg_get(segs, 1, &off, &len);
	assert_true(off <= 16 * MIB && off + len >= 17 * MIB &&
	    len < 2 * MIB);
	zc_proto_seg_get(segs, 2, &off, &len);
	assert_true(off + len == 64 * MIB);
	free(segs);

	/* At most two: the first two are merged over their hole. */
	assert_int_equal(zc_sparse_map(fd, &st, 2, &segs, &n), 0);
	assert_int_equal(n, 2);
	zc_proto_seg_get(segs, 0, &off, &len);
	assert_true(off == 0 && len >= 17 * MIB && len < 18 * MIB);
	free(segs);
	/* At most one: everything from the first data to the end. */
	assert_int_equal(zc_sparse_map(fd, &st, 1, &segs, &n), 0);
	assert_int_equal(n, 1);
	zc_proto_seg_get(segs, 0, &off, &len);
	assert_true(off == 0 && len == 64 * MIB);
	free(segs);
	close(fd);
}

static void
test_prepare(void **state)
{
	struct stat	st;
	uint8_t		segs[2 * ZC_PROTO_SEG_LEN];
	int		fd = tmpfile_fd();

	zc_proto_seg_set(segs, 0, 0, MIB);
	zc_proto_seg_set(segs, 1, 512 * MIB, MIB);
	assert_int_equal(zc_sparse_prepare(fd, segs, 2, 1024ULL * MIB,
	    64 * 1024), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size == 1024LL * MIB);
	/* Only the data is reserved (2 MiB and a little metadata). */
	assert_true((uint64_t)st.st_blocks * 512 < 4ULL * MIB);
	/* No segments: an empty file of the size, all hole. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(zc_sparse_prepare(fd, NULL, 0, 5 * MIB, 0), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(st.st_size == 5 * MIB);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_prepare),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
