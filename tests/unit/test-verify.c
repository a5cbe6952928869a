/*
 * test-verify.c: the VERIFY hash: XXH3-128 in canonical (big-endian) form,
 * the same whether fed from memory in pieces or read back from a file,
 * and a file that ends early is an error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>

#include "verify.h"

static void
test_verify_digest(void **state)
{
	struct zc_verify	*v;
	XXH128_hash_t		 h;
	uint8_t			 want[16], got[16], *data;
	size_t			 n = 3 * ZC_VERIFY_CHUNK + 77, i;
	char			 path[] = "/tmp/test-verify.XXXXXX";
	int			 fd;

	(void)state;
	data = malloc(n);
	assert_non_null(data);
	for (i = 0; i < n; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 9));
	h = XXH3_128bits(data, n);
	/* Canonical: the high 64 bits first, each big-endian. */
	for (i = 0; i < 8; i++) {
		want[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
		want[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
	}

	v = zc_verify_new();
	zc_verify_update(v, data, 1000);
	zc_verify_update(v, data + 1000, n - 1000);
	zc_verify_digest(v, got);
	assert_memory_equal(got, want, 16);

	/* Read back from a file, in two ranges, after a reset. */
	assert_true((fd = mkstemp(path)) != -1);
	unlink(path);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	zc_verify_reset(v);
	assert_int_equal(zc_verify_update_fd(v, fd, 0, 12345), 0);
	assert_int_equal(zc_verify_update_fd(v, fd, 12345, n - 12345), 0);
	zc_verify_digest(v, got);
	assert_memory_equal(got, want, 16);

	/* One byte changed: another hash. */
	zc_verify_reset(v);
	data[n / 2] ^= 1;
	zc_verify_update(v, data, n);
	zc_verify_digest(v, got);
	assert_memory_not_equal(got, want, 16);

	/* Past the end of the file, and a bad descriptor. */
	zc_verify_reset(v);
	assert_int_equal(zc_verify_update_fd(v, fd, n - 10, 11), -EIO);
	assert_int_equal(zc_verify_update_fd(v, -1, 0, 1), -EBADF);
	close(fd);

	/* Nothing hashed: the hash of the empty string. */
	zc_verify_reset(v);
	h = XXH3_128bits("", 0);
	for (i = 0; i < 8; i++) {
		want[i] = (uint8_t)(h.high64 >> (56 - 8 * i));
		want[8 + i] = (uint8_t)(h.low64 >> (56 - 8 * i));
	}
	zc_verify_digest(v, got);
	assert_memory_equal(got, want, 16);
	zc_verify_free(v);
	zc_verify_free(NULL);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_digest),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
