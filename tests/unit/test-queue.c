/*
 * test-queue.c: a link's queue of changes (daemon/queue.c): coalescing by
 * path, ready times, moves, and dropping what a directory walk covered.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "queue.h"

/* Take everything ready at now, as "op:path[>path2]" joined by spaces. */
static void
drain(struct zcd_queue *q, uint64_t now, char *out, size_t outlen)
{
	struct zc_live_item	it;
	size_t			n = 0;

	out[0] = '\0';
	while (zcd_queue_take(q, now, &it)) {
		n += (size_t)snprintf(out + n, outlen - n, "%s%d:%s%s%s",
		    n ? " " : "", (int)it.op, it.path, it.path2 ? ">" : "",
		    it.path2 ? it.path2 : "");
		assert_true(n < outlen);
	}
}

static void
test_coalesce(void **state)
{
	struct zcd_queue	q;
	char			out[256];

	(void)state;
	zcd_queue_init(&q);
	zcd_queue_add(&q, ZC_LIVE_ATTR, "a", NULL, 10);
	zcd_queue_add(&q, ZC_LIVE_PATH, "a", NULL, 20);
	zcd_queue_add(&q, ZC_LIVE_PATH, "b", NULL, 5);
	assert_int_equal(q.pending, 2);
	drain(&q, 9, out, sizeof out);
	assert_string_equal(out, "0:b");	/* a is ready at 10 */
	drain(&q, 10, out, sizeof out);
	assert_string_equal(out, "0:a");	/* PATH won, earlier time */
	assert_int_equal(q.pending, 0);
	zcd_queue_clear(&q);
}

static void
test_forget(void **state)
{
	struct zcd_queue	q;
	char			out[256];

	(void)state;
	zcd_queue_init(&q);
	assert_int_equal(zcd_queue_forget(&q, "d/f"), 0);	/* empty */
	zcd_queue_add(&q, ZC_LIVE_TREE, "d", NULL, 1);
	zcd_queue_add(&q, ZC_LIVE_PATH, "d/f", NULL, 1);
	zcd_queue_add(&q, ZC_LIVE_PATH, "d/g", NULL, 1000);	/* writing */
	zcd_queue_add(&q, ZC_LIVE_ATTR, "d/h", NULL, 1);
	assert_int_equal(zcd_queue_forget(&q, "d/f"), 1);
	assert_int_equal(zcd_queue_forget(&q, "d/f"), 0);	/* gone */
	assert_int_equal(zcd_queue_forget(&q, "d/g"), 1);	/* not ready */
	assert_int_equal(zcd_queue_forget(&q, "d/x"), 0);
	assert_int_equal(q.pending, 2);
	drain(&q, 1000, out, sizeof out);
	assert_string_equal(out, "3:d 1:d/h");
	/* A change after the walk is queued again. */
	zcd_queue_add(&q, ZC_LIVE_PATH, "d/f", NULL, 2000);
	drain(&q, 2000, out, sizeof out);
	assert_string_equal(out, "0:d/f");
	zcd_queue_clear(&q);
}

static void
test_forget_not_past_rename(void **state)
{
	struct zcd_queue	q;
	char			out[256];

	(void)state;
	zcd_queue_init(&q);
	/* mv x d/f, then d/f changed: the rename may put x's bytes there. */
	zcd_queue_add(&q, ZC_LIVE_RENAME, "x", "d/f", 1);
	zcd_queue_add(&q, ZC_LIVE_PATH, "d/f", NULL, 1);
	assert_int_equal(q.renames, 1);
	assert_int_equal(zcd_queue_forget(&q, "d/f"), 0);
	drain(&q, 1, out, sizeof out);
	assert_string_equal(out, "2:x>d/f 0:d/f");
	assert_int_equal(q.renames, 0);
	/* With the move sent, a walk covers the name again. */
	zcd_queue_add(&q, ZC_LIVE_PATH, "d/f", NULL, 2);
	assert_int_equal(zcd_queue_forget(&q, "d/f"), 1);
	assert_int_equal(q.pending, 0);
	zcd_queue_clear(&q);
}

static void
test_rename_moves_pending(void **state)
{
	struct zcd_queue	q;
	char			out[256];

	(void)state;
	zcd_queue_init(&q);
	zcd_queue_add(&q, ZC_LIVE_PATH, "a/f", NULL, 1);
	zcd_queue_add(&q, ZC_LIVE_PATH, "other", NULL, 1);
	zcd_queue_add(&q, ZC_LIVE_RENAME, "a", "b", 1);
	assert_int_equal(q.renames, 1);
	drain(&q, 1, out, sizeof out);
	assert_string_equal(out, "0:other 2:a>b 0:b/f");
	assert_int_equal(q.renames, 0);
	zcd_queue_clear(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_forget_not_past_rename),
		cmocka_unit_test(test_rename_moves_pending),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
