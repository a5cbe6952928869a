/*
 * test-buf.c: bounded buffers and the payload reader.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void
test_put_get_ints(void **state)
{
	struct zc_buf	*b = zc_buf_new(64);
	struct zc_rd	 r;
	uint8_t		 u8;
	uint16_t	 u16;
	uint32_t	 u32;
	uint64_t	 u64;
	static const uint8_t want[] = {
		0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
	};

	assert_int_equal(zc_buf_len(b), 0);
	assert_int_equal(zc_buf_put_u8(b, 0xab), 0);
	assert_int_equal(zc_buf_put_u16(b, 0x1234), 0);
	assert_int_equal(zc_buf_put_u32(b, 0xdeadbeef), 0);
	assert_int_equal(zc_buf_put_u64(b, 0x0102030405060708ULL), 0);
	assert_int_equal(zc_buf_len(b), sizeof(want));
	assert_memory_equal(zc_buf_ptr(b), want, sizeof(want));

	zc_rd_init(&r, zc_buf_ptr(b), zc_buf_len(b));
	assert_int_equal(zc_rd_u8(&r, &u8), 0);
	assert_int_equal(u8, 0xab);
	assert_int_equal(zc_rd_u16(&r, &u16), 0);
	assert_int_equal(u16, 0x1234);
	assert_int_equal(zc_rd_u32(&r, &u32), 0);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(zc_rd_u64(&r, &u64), 0);
	assert_true(u64 == 0x0102030405060708ULL);
	assert_int_equal(r.left, 0);
	assert_int_equal(zc_rd_u8(&r, &u8), -EPROTO);
	zc_buf_free(b);
}

static void
test_max_enobufs(void **state)
{
	struct zc_buf	*b = zc_buf_new(10);
	uint8_t		 x[16], *p;

	memset(x, 'x', sizeof(x));
	assert_int_equal(zc_buf_put(b, x, 8), 0);
	assert_int_equal(zc_buf_put_u32(b, 1), -ENOBUFS);
	assert_int_equal(zc_buf_put_u64(b, 1), -ENOBUFS);
	assert_int_equal(zc_buf_put(b, x, 3), -ENOBUFS);
	assert_int_equal(zc_buf_put_str16(b, x, 1), -ENOBUFS);
	assert_int_equal(zc_buf_len(b), 8);
	assert_memory_equal(zc_buf_ptr(b), x, 8);
	assert_int_equal(zc_buf_put_u16(b, 0x4142), 0);
	assert_int_equal(zc_buf_len(b), 10);
	assert_int_equal(zc_buf_put_u8(b, 1), -ENOBUFS);
	assert_int_equal(zc_buf_reserve(b, 1, &p), -ENOBUFS);
	assert_null(p);
	assert_int_equal(zc_buf_reserve(b, 0, &p), 0);
	/* A huge n must not wrap around the ceiling check. */
	assert_int_equal(zc_buf_reserve(b, SIZE_MAX, &p), -ENOBUFS);
	assert_int_equal(zc_buf_reserve(b, SIZE_MAX - 5, &p), -ENOBUFS);
	assert_true(b->cap <= b->max);
	assert_memory_equal(zc_buf_ptr(b), "xxxxxxxxAB", 10);
	zc_buf_free(b);
}

static void
test_str16(void **state)
{
	struct zc_buf	*b = zc_buf_new(70000);
	static uint8_t	 big[65536];
	struct zc_rd	 r;
	const char	*s;
	size_t		 n;

	assert_int_equal(zc_buf_put_str16(b, big, 65536), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	assert_int_equal(zc_buf_put_str16(b, "hello", 5), 0);
	assert_int_equal(zc_buf_put_str16(b, NULL, 0), 0);
	assert_int_equal(zc_buf_put_str16(b, big, 65535), 0);
	assert_int_equal(zc_buf_len(b), 7 + 2 + 65537);
	assert_memory_equal(zc_buf_ptr(b), "\0\5hello\0\0\xff\xff", 11);

	zc_rd_init(&r, zc_buf_ptr(b), zc_buf_len(b));
	assert_int_equal(zc_rd_str16(&r, &s, &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(s, "hello", 5);
	assert_int_equal(zc_rd_str16(&r, &s, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(zc_rd_str16(&r, &s, &n), 0);
	assert_int_equal(n, 65535);
	assert_int_equal(r.left, 0);
	zc_buf_free(b);
}

/* Consumed space is reused by moving the unread bytes to the front. */
static void
test_reserve_compaction(void **state)
{
	struct zc_buf	*b = zc_buf_new(16);
	uint8_t		*p;
	int		 i;

	for (i = 0; i < 16; i++)
		assert_int_equal(zc_buf_put_u8(b, i), 0);
	assert_int_equal(zc_buf_put_u8(b, 16), -ENOBUFS);
	zc_buf_consume(b, 10);
	assert_int_equal(zc_buf_len(b), 6);
	assert_int_equal(zc_buf_ptr(b)[0], 10);

	assert_int_equal(zc_buf_reserve(b, 10, &p), 0);
	assert_non_null(p);
	assert_int_equal(b->off, 0);
	for (i = 0; i < 10; i++)
		p[i] = 16 + i;
	zc_buf_commit(b, 10);
	assert_int_equal(zc_buf_len(b), 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(zc_buf_ptr(b)[i], 10 + i);
	assert_int_equal(zc_buf_reserve(b, 1, &p), -ENOBUFS);
	assert_true(b->cap <= 16);

	/* Consuming everything rewinds; reset empties. */
	zc_buf_consume(b, 16);
	assert_int_equal(zc_buf_len(b), 0);
	assert_int_equal(b->off, 0);
	assert_int_equal(zc_buf_put(b, "abc", 3), 0);
	zc_buf_reset(b);
	assert_int_equal(zc_buf_len(b), 0);
	zc_buf_free(b);
}

/* Growth doubles but never past max, and keeps the contents. */
static void
test_growth(void **state)
{
	struct zc_buf	*b = zc_buf_new(100000);
	uint32_t	 i, v;
	struct zc_rd	 r;

	for (i = 0; i < 25000; i++)
		assert_int_equal(zc_buf_put_u32(b, i), 0);
	assert_int_equal(zc_buf_len(b), 100000);
	assert_int_equal(b->cap, 100000);
	assert_int_equal(zc_buf_put_u8(b, 0), -ENOBUFS);
	zc_rd_init(&r, zc_buf_ptr(b), zc_buf_len(b));
	for (i = 0; i < 25000; i++) {
		assert_int_equal(zc_rd_u32(&r, &v), 0);
		assert_int_equal(v, i);
	}
	zc_buf_free(b);
	zc_buf_free(NULL);
}

/* Every getter on every truncation fails and leaves the reader alone. */
static void
test_rd_truncated(void **state)
{
	static const uint8_t data[] = {
		0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0x11, 0x22, 0x33,
		0x44, 0x55, 0x66, 0x77, 0x88
	};
	struct zc_rd	 r, save;
	const uint8_t	*p;
	const char	*s;
	uint8_t		 u8;
	uint16_t	 u16;
	uint32_t	 u32;
	uint64_t	 u64;
	size_t		 n, len;

	for (len = 0; len < 8; len++) {
		zc_rd_init(&r, data, len);
		save = r;
		if (len < 1) {
			assert_int_equal(zc_rd_u8(&r, &u8), -EPROTO);
			assert_int_equal(u8, 0);
		}
		if (len < 2)
			assert_int_equal(zc_rd_u16(&r, &u16), -EPROTO);
		if (len < 4)
			assert_int_equal(zc_rd_u32(&r, &u32), -EPROTO);
		assert_int_equal(zc_rd_u64(&r, &u64), -EPROTO);
		assert_true(u64 == 0);
		if (len < 7) {
			assert_int_equal(zc_rd_str16(&r, &s, &n), -EPROTO);
			assert_null(s);
			assert_int_equal(n, 0);
		}
		assert_int_equal(zc_rd_bytes(&r, len + 1, &p), -EPROTO);
		assert_null(p);
		assert_ptr_equal(r.p, save.p);
		assert_int_equal(r.left, save.left);
	}
	zc_rd_init(&r, data, sizeof(data));
	assert_int_equal(zc_rd_str16(&r, &s, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(zc_rd_u64(&r, &u64), 0);
	assert_true(u64 == 0x1122334455667788ULL);
	assert_int_equal(zc_rd_bytes(&r, 0, &p), 0);
	assert_int_equal(zc_rd_bytes(&r, SIZE_MAX, &p), -EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_ints),
		cmocka_unit_test(test_max_enobufs),
		cmocka_unit_test(test_str16),
		cmocka_unit_test(test_reserve_compaction),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_rd_truncated),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
