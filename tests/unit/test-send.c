/*
 * test-send.c: what send.c exposes without a session: reading a manifest
 * frame as a sender checks it (good, truncated, trailing bytes, bad and
 * duplicate paths, an item before its directory) and the comparison a
 * push makes (zc_send_plan), as `zcsync pull --dry-run` runs it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "manifest.h"
#include "proto.h"
#include "send.h"

struct item {
	uint8_t		 type;
	const char	*path;
	const char	*target;
	uint64_t	 size;
	int64_t		 mtime;
};

static struct zc_meta
item_meta(const struct item *it)
{
	struct zc_meta	m;

	memset(&m, 0, sizeof m);
	m.type = it->type;
	m.mode = it->type == ZC_TYPE_DIR ? 0755 : 0644;
	if (it->type == ZC_TYPE_SYMLINK)
		m.mode = 0777;
	m.size = it->type == ZC_TYPE_SYMLINK ? strlen(it->target) :
	    it->type == ZC_TYPE_FILE ? it->size : 0;
	m.mtime_sec = it->mtime != 0 ? it->mtime : 1700000000;
	m.mtime_nsec = 5;
	return (m);
}

/* One MANIFEST frame holding items; its payload in *rd (b keeps it). */
static void
frame_of(struct zc_buf *b, const struct item *items, size_t n,
    struct zc_rd *rd)
{
	struct zc_manifest_frame	mf;
	struct zc_frame_hdr		h;
	struct zc_entry			e;
	size_t				i;

	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	for (i = 0; i < n; i++) {
		memset(&e, 0, sizeof e);
		e.meta = item_meta(&items[i]);
		e.path = items[i].path;
		e.path_len = strlen(items[i].path);
		if (items[i].target != NULL) {
			e.target = items[i].target;
			e.target_len = strlen(items[i].target);
		}
		assert_int_equal(zc_proto_manifest_add(b, &mf, &e), 0);
	}
	zc_proto_manifest_finish(b, &mf);
	assert_int_equal(zc_proto_get_frame(b, &h, rd), 0);
	assert_int_equal(h.type, ZC_MSG_MANIFEST);
}

static int
read_items(const struct item *items, size_t n, struct zc_manifest *m)
{
	struct zc_buf	*b = zc_buf_new(1 << 20);
	struct zc_rd	 rd;
	char		 err[128];
	int		 r;

	frame_of(b, items, n, &rd);
	err[0] = '\0';
	r = zc_send_manifest_read(m, 0, &rd, err, sizeof err);
	if (r != 0)
		assert_true(err[0] != '\0');
	zc_buf_free(b);
	return (r);
}

static const struct item tree[] = {
	{ ZC_TYPE_DIR, "d", NULL, 0, 0 },
	{ ZC_TYPE_FILE, "d/f", NULL, 10, 0 },
	{ ZC_TYPE_DIR, "d/e", NULL, 0, 0 },
	{ ZC_TYPE_SYMLINK, "d/e/l", "../f", 0, 0 },
	{ ZC_TYPE_FILE, "top", NULL, 3, 0 },
};
#define NTREE	(sizeof tree / sizeof tree[0])

static void
test_read_good(void **state)
{
	struct zc_manifest	*m = zc_manifest_new();
	struct zc_mentry	*e;

	(void)state;
	assert_int_equal(read_items(tree, NTREE, m), 0);
	assert_int_equal(m->n, NTREE);
	assert_non_null(e = zc_manifest_find(m, "d/e/l"));
	assert_string_equal(zc_mentry_target(e), "../f");
	assert_string_equal(m->v[e->parent].path, "d/e");
	assert_non_null(e = zc_manifest_find(m, "top"));
	assert_int_equal(e->parent, ZC_MANIFEST_NONE);
	/* A second frame appends. */
	assert_int_equal(read_items((const struct item[]){
	    { ZC_TYPE_FILE, "d/g", NULL, 1, 0 } }, 1, m), 0);
	assert_int_equal(m->n, NTREE + 1);
	zc_manifest_free(m);
}

static void
test_read_refused(void **state)
{
	static const struct item bad[][2] = {
	    { { ZC_TYPE_FILE, "../x", NULL, 1, 0 } },
	    { { ZC_TYPE_FILE, "/etc/passwd", NULL, 1, 0 } },
	    { { ZC_TYPE_FILE, "a//b", NULL, 1, 0 } },
	    { { ZC_TYPE_FILE, ".zc.0123456789abcdef.zctmp", NULL, 1, 0 } },
	    { { ZC_TYPE_FILE, "nodir/f", NULL, 1, 0 } },
	    /* A file is no directory. */
	    { { ZC_TYPE_FILE, "f", NULL, 1, 0 },
	      { ZC_TYPE_FILE, "f/g", NULL, 1, 0 } },
	    { { ZC_TYPE_FILE, "dup", NULL, 1, 0 },
	      { ZC_TYPE_FILE, "dup", NULL, 2, 0 } },
	};
	struct zc_manifest	*m;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m = zc_manifest_new();
		n = bad[i][1].path != NULL ? 2 : 1;
		assert_int_equal(read_items(bad[i], n, m), -EPROTO);
		zc_manifest_free(m);
	}
}

static void
test_read_truncated(void **state)
{
	struct zc_buf		*b = zc_buf_new(1 << 20);
	struct zc_manifest	*m;
	struct zc_rd		 rd, cut;
	char			 err[128];
	size_t			 len;

	(void)state;
	frame_of(b, tree, NTREE, &rd);
	/* Every shorter payload is refused, whole or cut anywhere. */
	for (len = 0; len < rd.left; len++) {
		cut = rd;
		cut.left = len;
		m = zc_manifest_new();
		assert_int_equal(zc_send_manifest_read(m, 0, &cut, err,
		    sizeof err), -EPROTO);
		zc_manifest_free(m);
	}
	zc_buf_free(b);
}

static void
test_read_trailing(void **state)
{
	struct zc_buf		*b = zc_buf_new(1 << 20);
	struct zc_manifest	*m = zc_manifest_new();
	struct zc_rd		 rd;
	uint8_t			*copy;
	char			 err[128];

	(void)state;
	frame_of(b, tree, NTREE, &rd);
	copy = malloc(rd.left + 1);
	memcpy(copy, rd.p, rd.left);
	copy[rd.left] = 0;
	rd.p = copy;
	rd.left++;
	assert_int_equal(zc_send_manifest_read(m, 0, &rd, err, sizeof err),
	    -EPROTO);
	assert_non_null(strstr(err, "trailing"));
	free(copy);
	zc_manifest_free(m);
	zc_buf_free(b);
}

static void
test_read_garbage(void **state)
{
	struct zc_manifest	*m;
	struct zc_rd		 rd;
	uint8_t			 junk[512];
	char			 err[128];
	unsigned		 seed = 7, i, round;

	(void)state;
	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof junk; i++) {
			seed = seed * 1103515245 + 12345;
			junk[i] = (uint8_t)(seed >> 16);
		}
		rd.p = junk;
		rd.left = 1 + round % sizeof junk;
		m = zc_manifest_new();
		(void)zc_send_manifest_read(m, 0, &rd, err, sizeof err);
		zc_manifest_free(m);
	}
}

/* Planned changes, "action path" each, in the order reported. */
struct plan {
	char	lines[32][64];
	size_t	n;
};

static void
plan_report(void *arg, enum zc_send_event ev, const char *path,
    const char *msg)
{
	struct plan	*p = arg;

	assert_int_equal(ev, ZC_SEND_PLAN);
	assert_true(p->n < 32);
	snprintf(p->lines[p->n++], sizeof p->lines[0], "%s %s", msg, path);
}

static int
planned(const struct plan *p, const char *line)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->lines[i], line) == 0)
			return (1);
	return (0);
}

static struct zc_manifest *
manifest_of(const struct item *items, size_t n)
{
	struct zc_manifest	*m = zc_manifest_new();

	if (n > 0)
		assert_int_equal(read_items(items, n, m), 0);
	return (m);
}

static void
test_plan(void **state)
{
	/* The server (sender): a new file, a changed one, one the same. */
	static const struct item src[] = {
	    { ZC_TYPE_DIR, "d", NULL, 0, 0 },
	    { ZC_TYPE_FILE, "d/changed", NULL, 20, 1800000000 },
	    { ZC_TYPE_FILE, "d/new", NULL, 7, 0 },
	    { ZC_TYPE_FILE, "same", NULL, 3, 0 },
	};
	/* The client (receiver): the old file, one only it has. */
	static const struct item dst[] = {
	    { ZC_TYPE_DIR, "d", NULL, 0, 0 },
	    { ZC_TYPE_FILE, "d/changed", NULL, 10, 0 },
	    { ZC_TYPE_DIR, "local", NULL, 0, 0 },
	    { ZC_TYPE_FILE, "local/x", NULL, 1, 0 },
	    { ZC_TYPE_FILE, "same", NULL, 3, 0 },
	};
	struct zc_manifest	*s, *d;
	struct zc_send_stats	 st;
	struct plan		 p;
	char			 err[256];

	(void)state;
	/* Without DELETE: what differs, and the directory it is in. */
	s = manifest_of(src, 4);
	d = manifest_of(dst, 5);
	memset(&p, 0, sizeof p);
	assert_int_equal(zc_send_plan(s, d, 0, 0, plan_report, &p, &st, err,
	    sizeof err), 0);
	assert_true(planned(&p, "send d/changed"));
	assert_true(planned(&p, "send d/new"));
	assert_true(planned(&p, "dir d"));
	assert_false(planned(&p, "send same"));
	assert_false(planned(&p, "delete local"));
	assert_int_equal(p.n, 3);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.bytes, 27);
	assert_int_equal(st.skipped, 1);
	assert_int_equal(st.dirs, 1);
	assert_int_equal(st.deleted, 0);
	zc_manifest_free(s);
	zc_manifest_free(d);

	/* With DELETE: the top of what only the receiver has, counted whole. */
	s = manifest_of(src, 4);
	d = manifest_of(dst, 5);
	memset(&p, 0, sizeof p);
	assert_int_equal(zc_send_plan(s, d, ZC_PUSH_DELETE, 0, plan_report, &p,
	    &st, err, sizeof err), 0);
	assert_true(planned(&p, "delete local"));
	assert_true(planned(&p, "delete local/x"));
	assert_int_equal(st.deleted, 2);
	assert_int_equal(st.files, 2);
	zc_manifest_free(s);
	zc_manifest_free(d);

	/* An empty source may not empty the receiver. */
	s = manifest_of(NULL, 0);
	d = manifest_of(dst, 5);
	memset(&p, 0, sizeof p);
	assert_int_equal(zc_send_plan(s, d, ZC_PUSH_DELETE, 0, plan_report, &p,
	    &st, err, sizeof err), -ENOTEMPTY);
	assert_non_null(strstr(err, "refusing to delete all 5 entries"));
	assert_int_equal(p.n, 0);
	/* Without DELETE it is only a plan that does nothing. */
	assert_int_equal(zc_send_plan(s, d, 0, 0, plan_report, &p, &st, err,
	    sizeof err), 0);
	assert_int_equal(p.n, 0);
	zc_manifest_free(s);
	zc_manifest_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_good),
		cmocka_unit_test(test_read_refused),
		cmocka_unit_test(test_read_truncated),
		cmocka_unit_test(test_read_trailing),
		cmocka_unit_test(test_read_garbage),
		cmocka_unit_test(test_plan),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
