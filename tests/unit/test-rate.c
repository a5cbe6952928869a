/*
 * test-rate.c: the bwlimit token bucket, driven by a fake clock: a busy
 * sender gets the rate (within one slice), slices are bounded, an idle
 * sender gets one slice of burst, no more; 0 means no limit; shared
 * references.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rate.h"

#define MS	1000000ULL	/* ns */
#define SEC	(1000 * MS)

/*
 * A sender that always has want bytes to send, for secs seconds of fake
 * time: it sends what the bucket allows, else sleeps the delay it is told.
 */
static uint64_t
busy_send(struct zc_rate *r, uint64_t *now, uint64_t secs, size_t want)
{
	uint64_t	end = *now + secs * SEC, sent = 0, ms;
	size_t		n;
	int		guard = 0;

	while (*now < end && guard++ < 1000000) {
		if ((n = zc_rate_allow(r, *now, want)) > 0) {
			zc_rate_charge(r, n);
			sent += n;
			continue;
		}
		ms = zc_rate_delay_ms(r, *now);
		assert_true(ms >= 1 && ms <= 2000);
		*now += ms * MS;
	}
	assert_true(guard < 1000000);
	return (sent);
}

static void
test_rate_paces(void **state)
{
	struct zc_rate	*r;
	uint64_t	 now = 1 * SEC, sent, rates[] = { 1000, 100000,
	    2 * 1048576, 50 * 1048576 };
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		r = zc_rate_new(rates[i], now);
		assert_int_equal(zc_rate_get(r), rates[i]);
		sent = busy_send(r, &now, 10, 8 * 1048576);
		/* rate * 10 s, within a slice (plus the first burst). */
		assert_true(sent >= rates[i] * 10 - 2 * ZC_RATE_SLICE_MIN);
		assert_true(sent <= rates[i] * 10 + 2 *
		    (rates[i] / ZC_RATE_HZ + ZC_RATE_SLICE_MIN));
		zc_rate_free(r);
	}
}

static void
test_rate_slices(void **state)
{
	struct zc_rate	*r;
	uint64_t	 now = SEC;

	(void)state;
	r = zc_rate_new(50 * 100000, now);
	/* A slice is rate / ZC_RATE_HZ; a smaller want is granted whole. */
	assert_int_equal(zc_rate_allow(r, now, 1 << 30), 100000);
	assert_int_equal(zc_rate_allow(r, now, 10), 10);
	zc_rate_charge(r, 100000);
	assert_int_equal(zc_rate_allow(r, now, 1 << 30), 0);
	assert_true(zc_rate_delay_ms(r, now) >= 1);
	assert_true(zc_rate_delay_ms(r, now) <= 21);
	/* Idle for a minute: one slice of burst, not a minute's worth. */
	now += 60 * SEC;
	assert_int_equal(zc_rate_allow(r, now, 1 << 30), 100000);
	zc_rate_charge(r, 100000);
	assert_int_equal(zc_rate_allow(r, now, 1 << 30), 0);
	/* Slow rates still send whole slices of ZC_RATE_SLICE_MIN. */
	zc_rate_set(r, 10, now);
	assert_int_equal(zc_rate_allow(r, now, 1 << 30), ZC_RATE_SLICE_MIN);
	zc_rate_charge(r, 2 * ZC_RATE_SLICE_MIN);
	assert_true(zc_rate_delay_ms(r, now) > 100 * 1000);
	/* A time that goes backwards refills nothing. */
	assert_int_equal(zc_rate_allow(r, now - SEC, 1), 0);
	zc_rate_free(r);
}

static void
test_rate_unlimited(void **state)
{
	struct zc_rate	*r, *r2;
	uint64_t	 now = SEC;

	(void)state;
	r = zc_rate_new(0, now);
	assert_int_equal(zc_rate_allow(r, now, 1 << 30), 1 << 30);
	zc_rate_charge(r, 1 << 30);
	assert_int_equal(zc_rate_delay_ms(r, now), 0);
	/* A reload sets a limit, then lifts it; references share it. */
	r2 = zc_rate_ref(r);
	zc_rate_set(r, 1000, now);
	assert_int_equal(zc_rate_get(r2), 1000);
	zc_rate_charge(r2, ZC_RATE_SLICE_MIN);
	assert_int_equal(zc_rate_allow(r, now, 1), 0);
	zc_rate_set(r2, 0, now);
	assert_int_equal(zc_rate_allow(r, now, 5), 5);
	zc_rate_free(r);
	zc_rate_free(r2);
	zc_rate_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_paces),
		cmocka_unit_test(test_rate_slices),
		cmocka_unit_test(test_rate_unlimited),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
