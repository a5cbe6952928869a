/*
 * test-guard.c: the delete guard: a pass against a count or a percentage,
 * the live window (deletions in the last minute), --max-delete parsing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guard.h"

static void
test_pass_count(void **state)
{
	struct zc_config_limit	l = { .value = 5, .percent = 0, .set = 1 };
	char			err[256];

	(void)state;
	assert_int_equal(zc_guard_pass(&l, 0, 30, err, sizeof err), 0);
	assert_int_equal(zc_guard_pass(&l, 5, 30, err, sizeof err), 0);
	assert_int_equal(zc_guard_pass(&l, 6, 30, err, sizeof err),
	    -ENOTEMPTY);
	assert_string_equal(err, "max_delete: this pass would delete 6 of 30 "
	    "entries, more than the limit 5");
}

static void
test_pass_percent(void **state)
{
	struct zc_config_limit	l = { .value = 10, .percent = 1, .set = 1 };
	struct zc_config_limit	none = { 0 };
	char			err[256];

	(void)state;
	assert_int_equal(zc_guard_pass(&l, 20, 201, err, sizeof err), 0);
	assert_int_equal(zc_guard_pass(&l, 21, 201, err, sizeof err),
	    -ENOTEMPTY);
	assert_non_null(strstr(err, "(10% of 201)"));
	/* 10% of 5 entries is 0: any deletion is more. */
	assert_int_equal(zc_guard_pass(&l, 1, 5, err, sizeof err),
	    -ENOTEMPTY);
	assert_int_equal(zc_guard_pass(&l, 0, 0, err, sizeof err), 0);
	/* Unset: no limit. */
	assert_int_equal(zc_guard_pass(&none, UINT64_MAX, 1, err, sizeof err),
	    0);
}

static void
test_live_window(void **state)
{
	struct zc_config_limit	l = { .value = 3, .percent = 0, .set = 1 };
	struct zc_guard		g;
	char			err[256];
	uint64_t		t = 1000000;

	(void)state;
	zc_guard_init(&g, &l, 100);
	assert_int_equal(zc_guard_live(&g, t, err, sizeof err), 0);
	assert_int_equal(zc_guard_live(&g, t + 500, err, sizeof err), 0);
	assert_int_equal(zc_guard_live(&g, t + 30000, err, sizeof err), 0);
	assert_int_equal(zc_guard_recent(&g, t + 30000), 3);
	assert_int_equal(zc_guard_live(&g, t + 30001, err, sizeof err),
	    -ENOTEMPTY);
	assert_string_equal(err, "max_delete: 4 deletions within 60 s, more "
	    "than the limit 3");
	/* Refused deletions are not counted. */
	assert_int_equal(zc_guard_recent(&g, t + 30001), 3);
	/* A minute later the first two have left the window. */
	assert_int_equal(zc_guard_recent(&g, t + 60000), 1);
	assert_int_equal(zc_guard_live(&g, t + 60000, err, sizeof err), 0);
	assert_int_equal(zc_guard_live(&g, t + 60100, err, sizeof err), 0);
	assert_int_equal(zc_guard_live(&g, t + 60200, err, sizeof err),
	    -ENOTEMPTY);
	/* Long after: an empty window, slots reused. */
	assert_int_equal(zc_guard_recent(&g, t + 3600000), 0);
	assert_int_equal(zc_guard_live(&g, t + 3600000, err, sizeof err), 0);
	assert_int_equal(zc_guard_recent(&g, t + 3600000), 1);
}

static void
test_live_unset(void **state)
{
	struct zc_config_limit	l = { 0 };
	struct zc_guard		g;
	char			err[64];
	int			i;

	(void)state;
	zc_guard_init(&g, &l, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(zc_guard_live(&g, (uint64_t)i, err,
		    sizeof err), 0);
}

static void
test_parse(void **state)
{
	struct zc_config_limit	l;

	(void)state;
	assert_int_equal(zc_guard_parse("5", &l), 0);
	assert_true(l.set && !l.percent && l.value == 5);
	assert_int_equal(zc_guard_parse("0", &l), 0);
	assert_true(l.set && l.value == 0);
	assert_int_equal(zc_guard_parse("10%", &l), 0);
	assert_true(l.set && l.percent && l.value == 10);
	assert_int_equal(zc_guard_parse("100%", &l), 0);
	assert_int_equal(zc_guard_parse("101%", &l), -EINVAL);
	assert_false(l.set);
	assert_int_equal(zc_guard_parse("", &l), -EINVAL);
	assert_int_equal(zc_guard_parse("-1", &l), -EINVAL);
	assert_int_equal(zc_guard_parse(" 1", &l), -EINVAL);
	assert_int_equal(zc_guard_parse("1x", &l), -EINVAL);
	assert_int_equal(zc_guard_parse("5%%", &l), -EINVAL);
	assert_int_equal(zc_guard_parse("%", &l), -EINVAL);
	assert_int_equal(zc_guard_parse("99999999999999999999999", &l),
	    -EINVAL);
	assert_int_equal(zc_guard_parse("1099511627777", &l), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_pass_count),
		cmocka_unit_test(test_pass_percent),
		cmocka_unit_test(test_live_window),
		cmocka_unit_test(test_live_unset),
		cmocka_unit_test(test_parse),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
