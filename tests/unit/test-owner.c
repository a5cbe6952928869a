/*
 * test-owner.c: IDMAP bookkeeping: names announced once per id, names
 * learned into local ids with a numeric fallback, the ceiling, and the
 * chown capability check.
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

#include "owner.h"
#include "proto.h"

#define BIG	(ZC_PROTO_HDR_LEN + ZC_PROTO_FRAME_MAX)

static void
test_announce(void **state)
{
	struct zc_owner_map	*m = zc_owner_map_new();
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_frame_hdr	 h;
	struct zc_rd		 rd;
	struct zc_idmap_msg	 im;

	(void)state;
	/* uid 0 is "root" everywhere: one IDMAP, then no more. */
	assert_int_equal(zc_owner_announce(m, b, ZC_IDMAP_USER, 0), 0);
	assert_int_equal(zc_proto_get_frame(b, &h, &rd), 0);
	assert_int_equal(h.type, ZC_MSG_IDMAP);
	assert_int_equal(zc_proto_get_idmap(&rd, &im), 0);
	assert_int_equal(im.kind, ZC_IDMAP_USER);
	assert_int_equal(im.id, 0);
	assert_int_equal(im.name_len, 4);
	assert_memory_equal(im.name, "root", 4);
	assert_int_equal(zc_owner_announce(m, b, ZC_IDMAP_USER, 0), 0);
	assert_int_equal(zc_buf_len(b), 0);
	/* The group of the same number is another kind. */
	assert_int_equal(zc_owner_announce(m, b, ZC_IDMAP_GROUP, 0), 0);
	assert_true(zc_buf_len(b) > 0);
	zc_buf_reset(b);
	/* An id without a name: nothing goes. */
	assert_int_equal(zc_owner_announce(m, b, ZC_IDMAP_USER, 3999999999U),
	    0);
	assert_int_equal(zc_buf_len(b), 0);
	assert_int_equal(zc_owner_announce(m, b, 3, 0), -EINVAL);
	zc_buf_free(b);
	zc_owner_map_free(m);
}

static void
test_learn(void **state)
{
	struct zc_owner_map	*m = zc_owner_map_new();
	struct zc_idmap_msg	 im;
	uint32_t		 i;

	(void)state;
	assert_int_equal(zc_owner_local(NULL, ZC_IDMAP_USER, 42), 42);
	assert_int_equal(zc_owner_local(m, ZC_IDMAP_USER, 42), 42);

	memset(&im, 0, sizeof(im));
	im.kind = ZC_IDMAP_USER;
	im.id = 4242;
	im.name = "root";
	im.name_len = 4;
	assert_int_equal(zc_owner_learn(m, &im), 0);
	assert_int_equal(zc_owner_local(m, ZC_IDMAP_USER, 4242), 0);
	/* Kinds are kept apart. */
	assert_int_equal(zc_owner_local(m, ZC_IDMAP_GROUP, 4242), 4242);

	/* A name we do not have: the number stays. */
	im.id = 77;
	im.name = "zc-no-such-user-here";
	im.name_len = strlen(im.name);
	assert_int_equal(zc_owner_learn(m, &im), 0);
	assert_int_equal(zc_owner_local(m, ZC_IDMAP_USER, 77), 77);

	/* A later IDMAP for the same id replaces the earlier. */
	im.id = 4242;
	assert_int_equal(zc_owner_learn(m, &im), 0);
	assert_int_equal(zc_owner_local(m, ZC_IDMAP_USER, 4242), 4242);

	im.kind = 9;
	assert_int_equal(zc_owner_learn(m, &im), -EPROTO);

	/* The ceiling: ZC_OWNER_MAP_MAX ids per kind, then a refusal. */
	im.kind = ZC_IDMAP_GROUP;
	for (i = 0; i < ZC_OWNER_MAP_MAX; i++) {
		im.id = 100000 + i;
		assert_int_equal(zc_owner_learn(m, &im), 0);
	}
	im.id = 1;
	assert_int_equal(zc_owner_learn(m, &im), -EPROTO);
	im.id = 100000;		/* one it has: still fine */
	assert_int_equal(zc_owner_learn(m, &im), 0);
	zc_owner_map_free(m);
}

static void
test_can_chown(void **state)
{
	(void)state;
	if (geteuid() == 0)
		assert_true(zc_owner_can_chown());
	else
		skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_announce),
		cmocka_unit_test(test_learn),
		cmocka_unit_test(test_can_chown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
