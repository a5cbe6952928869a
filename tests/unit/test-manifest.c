/*
 * test-manifest.c: the entry list and its index (add, find, rehash) and
 * the tree walk (pre-order, sorted, parents, links never followed, temp
 * names and special files skipped).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "filter.h"
#include "manifest.h"
#include "path.h"

static struct zc_meta
file_meta(uint64_t size)
{
	struct zc_meta	m;

	memset(&m, 0, sizeof(m));
	m.type = ZC_TYPE_FILE;
	m.mode = 0644;
	m.size = size;
	m.mtime_sec = 1700000000;
	m.mtime_nsec = 123;
	return (m);
}

static int
add_s(struct zc_manifest *m, const char *path, uint32_t parent)
{
	struct zc_meta	meta = file_meta(strlen(path));

	return (zc_manifest_add(m, &meta, path, strlen(path), NULL, 0, parent));
}

static void
test_add_find(void **state)
{
	struct zc_manifest	*m;
	struct zc_mentry	*e;
	struct zc_meta		 dir, link;

	m = zc_manifest_new();
	assert_non_null(m);
	/* An empty manifest finds nothing (and has no index yet). */
	assert_null(zc_manifest_find(m, "a"));
	assert_null(zc_manifest_find(m, ""));

	memset(&dir, 0, sizeof(dir));
	dir.type = ZC_TYPE_DIR;
	dir.mode = 0755;
	assert_int_equal(zc_manifest_add(m, &dir, "a", 1, NULL, 0,
	    ZC_MANIFEST_NONE), 0);
	assert_int_equal(add_s(m, "a/b", 0), 1);
	memset(&link, 0, sizeof(link));
	link.type = ZC_TYPE_SYMLINK;
	link.mode = 0777;
	link.size = 5;
	/* Neither path nor target needs a terminator: only len bytes count. */
	assert_int_equal(zc_manifest_add(m, &link, "a/lnkXXX", 5, "../b/c",
	    5, 0), 2);
	assert_int_equal(m->n, 3);

	e = zc_manifest_find(m, "a");
	assert_non_null(e);
	assert_ptr_equal(e, &m->v[0]);
	assert_int_equal(e->meta.type, ZC_TYPE_DIR);
	assert_int_equal(e->parent, ZC_MANIFEST_NONE);
	assert_null(zc_mentry_target(e));
	assert_int_equal(e->flags, 0);

	e = zc_manifest_find(m, "a/b");
	assert_non_null(e);
	assert_string_equal(e->path, "a/b");
	assert_int_equal(e->parent, 0);
	assert_int_equal(e->meta.size, 3);
	assert_int_equal(e->meta.mtime_nsec, 123);

	e = zc_manifest_find(m, "a/lnk");
	assert_non_null(e);
	assert_string_equal(e->path, "a/lnk");
	assert_string_equal(zc_mentry_target(e), "../b/");
	assert_int_equal(e->meta.type, ZC_TYPE_SYMLINK);
	assert_null(zc_manifest_find(m, "a/lnkXXX"));

	/* Prefixes and extensions of a stored name are other names. */
	assert_null(zc_manifest_find(m, "a/"));
	assert_null(zc_manifest_find(m, "a/bb"));
	assert_null(zc_manifest_find(m, "a/l"));
	assert_null(zc_manifest_find(m, ""));
	assert_null(zc_manifest_find(m, "b"));

	/* A duplicate is refused and changes nothing, by length too. */
	assert_int_equal(add_s(m, "a/b", 0), -EEXIST);
	assert_int_equal(zc_manifest_add(m, &dir, "a/bcd", 3, NULL, 0, 0),
	    -EEXIST);
	assert_int_equal(zc_manifest_add(m, &link, "a/lnk", 5, "x", 1, 0),
	    -EEXIST);
	assert_int_equal(m->n, 3);
	assert_int_equal(zc_manifest_find(m, "a/b")->meta.type, ZC_TYPE_FILE);
	assert_string_equal(zc_mentry_target(zc_manifest_find(m, "a/lnk")),
	    "../b/");

	/* "ab" is not "a" (the index compares whole names). */
	assert_int_equal(add_s(m, "ab", ZC_MANIFEST_NONE), 3);
	assert_string_equal(zc_manifest_find(m, "a")->path, "a");
	assert_string_equal(zc_manifest_find(m, "ab")->path, "ab");

	zc_manifest_free(m);
	zc_manifest_free(NULL);
}

/* Enough entries to grow the index several times over. */
static void
test_many(void **state)
{
	struct zc_manifest	*m;
	struct zc_mentry	*e;
	char			 p[64];
	size_t			 nslots = 0, grew = 0;
	int			 i, n = 20000;

	m = zc_manifest_new();
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "d%03d/f%05d", i % 97, i);
		assert_int_equal(add_s(m, p, ZC_MANIFEST_NONE), i);
		if (m->nslots != nslots) {
			grew++;
			nslots = m->nslots;
		}
		/* The index stays at most half full, a power of two. */
		assert_true(m->n * 2 <= m->nslots);
		assert_int_equal(m->nslots & (m->nslots - 1), 0);
	}
	assert_true(grew >= 4);
	assert_int_equal(m->n, (size_t)n);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "d%03d/f%05d", i % 97, i);
		e = zc_manifest_find(m, p);
		assert_non_null(e);
		assert_ptr_equal(e, &m->v[i]);
		assert_string_equal(e->path, p);
		assert_int_equal(e->meta.size, strlen(p));
	}
	/* Duplicates are still found after every rehash. */
	for (i = 0; i < n; i += 997) {
		snprintf(p, sizeof(p), "d%03d/f%05d", i % 97, i);
		assert_int_equal(add_s(m, p, ZC_MANIFEST_NONE), -EEXIST);
	}
	assert_int_equal(m->n, (size_t)n);
	/* And names that were never added are not. */
	for (i = 0; i < 1000; i++) {
		snprintf(p, sizeof(p), "d%03d/f%05d", (i + 1) % 97, i);
		assert_null(zc_manifest_find(m, p));
		snprintf(p, sizeof(p), "d%03d/f%05d", i % 97, n + i);
		assert_null(zc_manifest_find(m, p));
	}
	zc_manifest_free(m);
}

/* Temp trees. */
static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(p) == -1 ? -1 : 0);
}

static void
rm_tree(const char *dir)
{
	assert_int_equal(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static void
mkfile(int dfd, const char *rel, const char *content)
{
	int	fd;

	fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
}

static const struct zc_mentry *
want(const struct zc_manifest *m, size_t i, const char *path, int type,
    uint32_t parent)
{
	const struct zc_mentry	*e;

	assert_true(i < m->n);
	e = &m->v[i];
	assert_string_equal(e->path, path);
	assert_int_equal(e->meta.type, type);
	assert_int_equal(e->parent, parent);
	assert_ptr_equal(zc_manifest_find(m, path), e);
	if (type != ZC_TYPE_SYMLINK)
		assert_null(zc_mentry_target(e));
	return (e);
}

static void
test_walk(void **state)
{
	struct zc_manifest		*m;
	const struct zc_mentry		*e;
	struct sockaddr_un		 sun;
	struct timespec			 ts[2];
	char				 tmpl[] = "/tmp/test-manifest.XXXXXX";
	char				 err[512], outside[PATH_MAX];
	int				 root, fd, s;

	umask(022);
	assert_non_null(mkdtemp(tmpl));
	root = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);

	/*
	 * root/
	 *   B            (bytewise, "B" sorts before "a")
	 *   a
	 *   b/ z a sub/ deep
	 *   c -> b       (a link to a directory: listed, not entered)
	 *   d -> /nonexistent/x
	 *   e/           (empty)
	 *   f/ -> outside tree through a link: not entered
	 *   .zc.0123456789abcdef.zctmp        (our temp name: skipped)
	 *   b/.zc.fedcba9876543210.zctmp/x    (a temp-named dir: skipped)
	 *   fifo, sock   (skipped)
	 */
	mkfile(root, "B", "upper");
	mkfile(root, "a", "top");
	assert_int_equal(mkdirat(root, "b", 0750), 0);
	mkfile(root, "b/z", "zz");
	mkfile(root, "b/a", "");
	assert_int_equal(mkdirat(root, "b/sub", 0700), 0);
	mkfile(root, "b/sub/deep", "deeper");
	assert_int_equal(symlinkat("b", root, "c"), 0);
	assert_int_equal(symlinkat("/nonexistent/x", root, "d"), 0);
	assert_int_equal(mkdirat(root, "e", 0755), 0);
	snprintf(outside, sizeof(outside), "%s/b/sub", tmpl);
	assert_int_equal(symlinkat(outside, root, "f"), 0);
	mkfile(root, ".zc.0123456789abcdef.zctmp", "temp");
	assert_int_equal(mkdirat(root, "b/.zc.fedcba9876543210.zctmp", 0700),
	    0);
	mkfile(root, "b/.zc.fedcba9876543210.zctmp/x", "hidden");
	assert_int_equal(mkfifoat(root, "fifo", 0600), 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", tmpl);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(s);
	ts[0].tv_sec = ts[1].tv_sec = 1234567890;
	ts[0].tv_nsec = ts[1].tv_nsec = 987654321;
	assert_int_equal(utimensat(root, "a", ts, 0), 0);

	m = zc_manifest_new();
	err[0] = '\0';
	assert_int_equal(zc_manifest_walk(m, root, err, sizeof(err)), 0);
	assert_int_equal(m->n, 11);

	/* Pre-order, names sorted bytewise at each level. */
	e = want(m, 0, "B", ZC_TYPE_FILE, ZC_MANIFEST_NONE);
	assert_int_equal(e->meta.size, 5);
	e = want(m, 1, "a", ZC_TYPE_FILE, ZC_MANIFEST_NONE);
	assert_int_equal(e->meta.size, 3);
	assert_int_equal(e->meta.mode, 0640);
	assert_int_equal(e->meta.mtime_sec, 1234567890);
	assert_int_equal(e->meta.mtime_nsec, 987654321);
	e = want(m, 2, "b", ZC_TYPE_DIR, ZC_MANIFEST_NONE);
	assert_int_equal(e->meta.mode, 0750);
	assert_int_equal(e->meta.size, 0);
	e = want(m, 3, "b/a", ZC_TYPE_FILE, 2);
	assert_int_equal(e->meta.size, 0);
	want(m, 4, "b/sub", ZC_TYPE_DIR, 2);
	e = want(m, 5, "b/sub/deep", ZC_TYPE_FILE, 4);
	assert_int_equal(e->meta.size, 6);
	e = want(m, 6, "b/z", ZC_TYPE_FILE, 2);
	assert_int_equal(e->meta.size, 2);
	e = want(m, 7, "c", ZC_TYPE_SYMLINK, ZC_MANIFEST_NONE);
	assert_string_equal(zc_mentry_target(e), "b");
	assert_int_equal(e->meta.size, 1);
	e = want(m, 8, "d", ZC_TYPE_SYMLINK, ZC_MANIFEST_NONE);
	assert_string_equal(zc_mentry_target(e), "/nonexistent/x");
	assert_int_equal(e->meta.size, strlen("/nonexistent/x"));
	want(m, 9, "e", ZC_TYPE_DIR, ZC_MANIFEST_NONE);
	e = want(m, 10, "f", ZC_TYPE_SYMLINK, ZC_MANIFEST_NONE);
	assert_string_equal(zc_mentry_target(e), outside);

	/* Links were not entered, temp names and special files not listed. */
	assert_null(zc_manifest_find(m, "c/z"));
	assert_null(zc_manifest_find(m, "f/deep"));
	assert_null(zc_manifest_find(m, ".zc.0123456789abcdef.zctmp"));
	assert_null(zc_manifest_find(m, "b/.zc.fedcba9876543210.zctmp"));
	assert_null(zc_manifest_find(m, "b/.zc.fedcba9876543210.zctmp/x"));
	assert_null(zc_manifest_find(m, "fifo"));
	assert_null(zc_manifest_find(m, "sock"));
	zc_manifest_free(m);

	/* A walk of an empty directory lists nothing. */
	fd = openat(root, "e", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	m = zc_manifest_new();
	assert_int_equal(zc_manifest_walk(m, fd, err, sizeof(err)), 0);
	assert_int_equal(m->n, 0);
	assert_null(zc_manifest_find(m, "x"));
	zc_manifest_free(m);
	close(fd);

	/* A walk of something that is not a directory fails and says why. */
	fd = openat(root, "a", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	m = zc_manifest_new();
	err[0] = '\0';
	assert_true(zc_manifest_walk(m, fd, err, sizeof(err)) < 0);
	assert_true(err[0] != '\0');
	zc_manifest_free(m);
	close(fd);

	close(root);
	rm_tree(tmpl);
}

/* a and b hold the same entries, in the same order, with the same data. */
static void
same_manifest(const struct zc_manifest *a, const struct zc_manifest *b)
{
	const struct zc_mentry	*x, *y;
	size_t			 i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		x = &a->v[i];
		y = &b->v[i];
		assert_string_equal(x->path, y->path);
		assert_int_equal(x->parent, y->parent);
		assert_int_equal(x->flags, y->flags);
		assert_memory_equal(&x->meta, &y->meta, sizeof(x->meta));
		if (zc_mentry_target(x) != NULL)
			assert_string_equal(zc_mentry_target(x),
			    zc_mentry_target(y));
		assert_true(zc_mentry_link_id(x) == zc_mentry_link_id(y));
	}
	assert_int_equal(a->skipped_specials, b->skipped_specials);
}

/* A filter that leaves out *.o, reading .zcsyncignore files on the way. */
static struct zc_filter *
steps_filter(void)
{
	struct zc_filter	*f = zc_filter_new();
	char			 err[256];

	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "*.o", err,
	    sizeof(err)), 0);
	return (f);
}

/*
 * The walk in steps (zc_mwalk_step) lists what one walk lists, in the same
 * order, whatever the step: one name at a time adds at most one entry per
 * step, and each entry is in place before the names after it are looked
 * at, so a sender may send entry i as soon as the walk has reached it.
 * Filters (set rules and .zcsyncignore files at two levels) and the
 * pruned directory (a backup directory) give the same result too.
 */
static void
test_walk_steps(void **state)
{
	struct zc_manifest	*one, *m;
	struct zc_filter	*f;
	struct zc_mwalk		*w;
	char			 tmpl[] = "/tmp/test-manifest.XXXXXX";
	char			 err[512], rel[64];
	size_t			 step, before, steps;
	int			 root, i, r;

	assert_non_null(mkdtemp(tmpl));
	root = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	for (i = 0; i < 3; i++) {
		snprintf(rel, sizeof(rel), "d%d", i);
		assert_int_equal(mkdirat(root, rel, 0755), 0);
		snprintf(rel, sizeof(rel), "d%d/in", i);
		assert_int_equal(mkdirat(root, rel, 0755), 0);
		snprintf(rel, sizeof(rel), "d%d/in/deep", i);
		assert_int_equal(mkdirat(root, rel, 0755), 0);
		snprintf(rel, sizeof(rel), "d%d/in/deep/f", i);
		mkfile(root, rel, "x");
		snprintf(rel, sizeof(rel), "d%d/a.o", i);
		mkfile(root, rel, "object");
		snprintf(rel, sizeof(rel), "d%d/z", i);
		mkfile(root, rel, "zz");
	}
	mkfile(root, ".zcsyncignore", "skip-top\n");
	mkfile(root, "skip-top", "no");
	mkfile(root, "d1/.zcsyncignore", "in\n");
	assert_int_equal(mkdirat(root, "empty", 0755), 0);
	assert_int_equal(symlinkat("d0", root, "link"), 0);
	mkfile(root, "hard", "linked");
	assert_int_equal(linkat(root, "hard", root, "d2/hard2", 0), 0);
	assert_int_equal(mkdirat(root, "bak", 0700), 0);
	mkfile(root, "bak/old", "backup");
	assert_int_equal(mkfifoat(root, "d0/fifo", 0600), 0);

	one = zc_manifest_new();
	f = steps_filter();
	assert_int_equal(zc_mwalk_start(one, root, "", f, 0, "bak", &w, err,
	    sizeof(err)), 0);
	assert_int_equal(zc_mwalk_step(w, SIZE_MAX, err, sizeof(err)), 1);
	assert_true(zc_mwalk_done(w));
	zc_mwalk_free(w);
	zc_filter_free(f);
	/* What the rules and the prune left out; what they kept. */
	assert_null(zc_manifest_find(one, "d0/a.o"));
	assert_null(zc_manifest_find(one, "skip-top"));
	assert_null(zc_manifest_find(one, "d1/in"));
	assert_null(zc_manifest_find(one, "d1/in/deep/f"));
	assert_null(zc_manifest_find(one, "bak"));
	assert_null(zc_manifest_find(one, "bak/old"));
	assert_non_null(zc_manifest_find(one, "d0/in/deep/f"));
	assert_non_null(zc_manifest_find(one, "d2/hard2"));
	assert_non_null(zc_manifest_find(one, "empty"));
	assert_int_equal(one->skipped_specials, 1);
	assert_true(zc_mentry_link_id(zc_manifest_find(one, "hard")) != 0);

	for (step = 1; step <= 4; step++) {
		m = zc_manifest_new();
		f = steps_filter();
		assert_int_equal(zc_mwalk_start(m, root, "", f, 0, "bak", &w,
		    err, sizeof(err)), 0);
		assert_int_equal(m->n, 0);	/* the root is only listed */
		steps = 0;
		do {
			before = m->n;
			r = zc_mwalk_step(w, step, err, sizeof(err));
			assert_true(r == 0 || r == 1);
			assert_true(m->n - before <= step);
			/* What is there is what one walk has there. */
			assert_true(m->n <= one->n);
			if (m->n > 0)
				assert_string_equal(m->v[m->n - 1].path,
				    one->v[m->n - 1].path);
			assert_true(++steps < 1000);
		} while (r == 0);
		assert_true(zc_mwalk_done(w));
		/* Over: more steps add nothing. */
		assert_int_equal(zc_mwalk_step(w, 10, err, sizeof(err)), 1);
		zc_mwalk_free(w);
		zc_filter_free(f);
		same_manifest(one, m);
		if (step == 1)
			assert_true(steps > one->n);	/* really in steps */
		zc_manifest_free(m);
	}

	/* A walk freed half way closes what it holds. */
	m = zc_manifest_new();
	assert_int_equal(zc_mwalk_start(m, root, "", NULL, 0, NULL, &w, err,
	    sizeof(err)), 0);
	assert_int_equal(zc_mwalk_step(w, 5, err, sizeof(err)), 0);
	assert_false(zc_mwalk_done(w));
	zc_mwalk_free(w);
	zc_manifest_free(m);

	/* A root that is not a directory fails at the start. */
	m = zc_manifest_new();
	i = openat(root, "hard", O_RDONLY | O_CLOEXEC);
	assert_true(i >= 0);
	err[0] = '\0';
	w = (struct zc_mwalk *)1;
	assert_int_equal(zc_mwalk_start(m, i, "", NULL, 0, NULL, &w, err,
	    sizeof(err)), -ENOTDIR);
	assert_null(w);
	assert_true(err[0] != '\0');
	close(i);
	zc_manifest_free(m);

	zc_manifest_free(one);
	close(root);
	rm_tree(tmpl);
}

/* Deep trees: each entry's parent is the directory just above it. */
static void
test_walk_parents(void **state)
{
	struct zc_manifest	*m;
	const struct zc_mentry	*e;
	char			 tmpl[] = "/tmp/test-manifest.XXXXXX";
	char			 rel[256], err[256];
	int			 root, depth = 20, i;
	size_t			 k;

	assert_non_null(mkdtemp(tmpl));
	root = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	rel[0] = '\0';
	for (i = 0; i < depth; i++) {
		snprintf(rel + strlen(rel), sizeof(rel) - strlen(rel), "%s%c",
		    i ? "/" : "", 'a' + i);
		assert_int_equal(mkdirat(root, rel, 0755), 0);
	}
	strncat(rel, "/leaf", sizeof(rel) - strlen(rel) - 1);
	mkfile(root, rel, "x");
	mkfile(root, "sibling", "y");

	m = zc_manifest_new();
	assert_int_equal(zc_manifest_walk(m, root, err, sizeof(err)), 0);
	assert_int_equal(m->n, (size_t)depth + 2);
	for (k = 0; k < (size_t)depth + 1; k++) {
		e = &m->v[k];
		if (k == 0)
			assert_int_equal(e->parent, ZC_MANIFEST_NONE);
		else {
			assert_int_equal(e->parent, k - 1);
			/* The parent's path is this path up to the last '/'. */
			assert_int_equal(strrchr(e->path, '/') - e->path,
			    strlen(m->v[e->parent].path));
			assert_memory_equal(e->path, m->v[e->parent].path,
			    strlen(m->v[e->parent].path));
		}
	}
	assert_string_equal(m->v[depth].path, rel);
	assert_int_equal(m->v[depth].meta.type, ZC_TYPE_FILE);
	assert_string_equal(m->v[depth + 1].path, "sibling");
	assert_int_equal(m->v[depth + 1].parent, ZC_MANIFEST_NONE);
	zc_manifest_free(m);
	close(root);
	rm_tree(tmpl);
}

/*
 * XATTR: a file the walk read no attributes of is marked XNONE, and
 * zc_manifest_xnone() takes that as still true while its ctime is before
 * the walk began; one with attributes, and a directory, are not marked.
 * Setting an attribute moves the ctime past the walk's start.
 */
static uint64_t
coarse_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

static void
test_walk_xattr_ctime(void **state)
{
	struct zc_manifest	*m;
	const struct zc_mentry	*e;
	struct stat		 st;
	char			 tmpl[] = "/tmp/test-manifest.XXXXXX";
	char			 err[256];
	int			 root, fd, i;

	assert_non_null(mkdtemp(tmpl));
	root = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	mkfile(root, "bare", "x");
	mkfile(root, "tagged", "y");
	assert_int_equal(mkdirat(root, "dir", 0755), 0);
	fd = openat(root, "tagged", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (fsetxattr(fd, "user.t", "1", 1, 0) == -1) {
		close(fd);
		close(root);
		rm_tree(tmpl);
		skip();
	}
	close(fd);
	/* The coarse clock past the files' ctimes (bounded: 2 s). */
	assert_int_equal(fstatat(root, "tagged", &st, AT_SYMLINK_NOFOLLOW), 0);
	for (i = 0; i < 200 && coarse_ns() <= (uint64_t)st.st_ctim.tv_sec *
	    1000000000 + (uint64_t)st.st_ctim.tv_nsec; i++)
		usleep(10000);

	m = zc_manifest_new();
	m->walk_flags = ZC_MANIFEST_XATTR;
	assert_int_equal(zc_manifest_walk(m, root, err, sizeof(err)), 0);
	assert_non_null(e = zc_manifest_find(m, "bare"));
	assert_int_equal(fstatat(root, "bare", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(e->flags & ZC_MENTRY_XNONE);
	assert_true(zc_manifest_xnone(m, e, &st));
	assert_non_null(e = zc_manifest_find(m, "tagged"));
	assert_false(e->flags & ZC_MENTRY_XNONE);
	assert_true(zc_mentry_xattr_hash(e) != 0);
	assert_non_null(e = zc_manifest_find(m, "dir"));
	assert_false(e->flags & ZC_MENTRY_XNONE);

	/* An attribute set after the walk: the ctime no longer matches. */
	fd = openat(root, "bare", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fsetxattr(fd, "user.late", "1", 1, 0), 0);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	assert_non_null(e = zc_manifest_find(m, "bare"));
	assert_false(zc_manifest_xnone(m, e, &st));

	/* Without XATTR nothing is read, nothing kept. */
	zc_manifest_free(m);
	m = zc_manifest_new();
	assert_int_equal(zc_manifest_walk(m, root, err, sizeof(err)), 0);
	assert_non_null(e = zc_manifest_find(m, "bare"));
	assert_false(e->flags & ZC_MENTRY_XNONE);
	zc_manifest_free(m);
	close(root);
	rm_tree(tmpl);
}

/* Dropping a subtree (the receiver's backup directory) keeps the rest. */
static void
test_drop(void **state)
{
	struct zc_manifest	*m;
	struct zc_meta		 dir;
	int			 a, bk, c;

	(void)state;
	memset(&dir, 0, sizeof(dir));
	dir.type = ZC_TYPE_DIR;
	dir.mode = 0755;
	m = zc_manifest_new();
	a = zc_manifest_add(m, &dir, "a", 1, NULL, 0, ZC_MANIFEST_NONE);
	assert_int_equal(add_s(m, "a/x", (uint32_t)a), 1);
	bk = zc_manifest_add(m, &dir, "bk", 2, NULL, 0, ZC_MANIFEST_NONE);
	assert_int_equal(bk, 2);
	assert_int_equal(zc_manifest_add(m, &dir, "bk/d", 4, NULL, 0,
	    (uint32_t)bk), 3);
	assert_int_equal(add_s(m, "bk/d/f", 3), 4);
	assert_int_equal(add_s(m, "bk/g", (uint32_t)bk), 5);
	assert_int_equal(add_s(m, "bk.txt", ZC_MANIFEST_NONE), 6);
	c = zc_manifest_add(m, &dir, "c", 1, NULL, 0, ZC_MANIFEST_NONE);
	assert_int_equal(add_s(m, "c/y", (uint32_t)c), 8);

	assert_int_equal(zc_manifest_drop(m, "nosuch"), 0);
	assert_int_equal(zc_manifest_drop(m, "bk"), 4);
	assert_int_equal(m->n, 5);
	assert_null(zc_manifest_find(m, "bk"));
	assert_null(zc_manifest_find(m, "bk/d/f"));
	assert_non_null(zc_manifest_find(m, "bk.txt"));
	assert_string_equal(m->v[2].path, "bk.txt");
	assert_string_equal(m->v[3].path, "c");
	assert_string_equal(m->v[4].path, "c/y");
	/* Parents after the hole moved down with their entries. */
	assert_int_equal(m->v[4].parent, 3);
	assert_int_equal(m->v[1].parent, 0);
	assert_ptr_equal(zc_manifest_find(m, "c/y"), &m->v[4]);
	/* A leaf, and adding after a drop. */
	assert_int_equal(zc_manifest_drop(m, "a/x"), 1);
	assert_int_equal(m->n, 4);
	assert_int_equal(m->v[3].parent, 2);
	assert_int_equal(add_s(m, "bk", ZC_MANIFEST_NONE), 4);
	assert_int_equal(add_s(m, "c/y", 2), -EEXIST);
	zc_manifest_free(m);
}

/*
 * What an entry carries besides its path (target, hard link, attribute
 * hash) is packed behind it, each only when present, and read back whole;
 * a second list that borrows names shares the path of an entry that has
 * nothing else, and copies the others.
 */
static void
test_extra_names(void **state)
{
	struct zc_manifest	*a, *b;
	struct zc_mentry	*e, *f;
	struct zc_mextra	 x;
	struct zc_meta		 meta = file_meta(7), link;
	char			 name[32];
	int			 i, r;

	(void)state;
	a = zc_manifest_new();
	b = zc_manifest_new();
	memset(&link, 0, sizeof link);
	link.type = ZC_TYPE_SYMLINK;
	link.mode = 0777;
	/* Enough names for several chunks. */
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "dir/file-%04d", i);
		memset(&x, 0, sizeof x);
		if (i % 3 == 1) {
			x.link_id = 0x1122334455667788ULL + (uint64_t)i;
			x.link_dev = 0xa0b0c0d0U;
		}
		if (i % 5 == 2)
			x.xattr_hash = 0xfedcba9876543210ULL ^ (uint64_t)i;
		r = zc_manifest_add_extra(a, &meta, name, strlen(name), &x,
		    ZC_MANIFEST_NONE);
		assert_int_equal(r, i);
	}
	memset(&x, 0, sizeof x);
	x.target = "../t/aXXX";
	x.target_len = 6;
	x.link_id = 5;
	x.xattr_hash = 9;
	assert_int_equal(zc_manifest_add_extra(a, &link, "sym", 3, &x,
	    ZC_MANIFEST_NONE), 5000);
	assert_true(a->sbytes > ZC_MANIFEST_CHUNK_MIN * 32);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "dir/file-%04d", i);
		e = zc_manifest_find(a, name);
		assert_non_null(e);
		assert_string_equal(e->path, name);
		assert_null(zc_mentry_target(e));
		assert_true(zc_mentry_link_id(e) == (i % 3 == 1 ?
		    0x1122334455667788ULL + (uint64_t)i : 0));
		assert_true(zc_mentry_link_dev(e) == (i % 3 == 1 ?
		    0xa0b0c0d0U : 0));
		assert_true(zc_mentry_xattr_hash(e) == (i % 5 == 2 ?
		    0xfedcba9876543210ULL ^ (uint64_t)i : 0));
	}
	e = zc_manifest_find(a, "sym");
	assert_string_equal(zc_mentry_target(e), "../t/a");
	assert_true(zc_mentry_link_id(e) == 5);
	assert_true(zc_mentry_xattr_hash(e) == 9);

	/* b borrows a's names: shared when b's entry has nothing else. */
	b->names = a;
	assert_int_equal(add_s(b, "dir/file-0001", ZC_MANIFEST_NONE), 0);
	memset(&x, 0, sizeof x);
	x.xattr_hash = 3;
	assert_int_equal(zc_manifest_add_extra(b, &meta, "dir/file-0002",
	    13, &x, ZC_MANIFEST_NONE), 1);
	assert_int_equal(add_s(b, "only-b", ZC_MANIFEST_NONE), 2);
	assert_int_equal(zc_manifest_add(b, &link, "sym", 3, NULL, 0,
	    ZC_MANIFEST_NONE), 3);
	e = zc_manifest_find(b, "dir/file-0001");
	f = zc_manifest_find(a, "dir/file-0001");
	assert_ptr_equal(e->path, f->path);
	/* a's entry has a link behind its name; b's has none. */
	assert_true(zc_mentry_link_id(f) != 0);
	assert_true(zc_mentry_link_id(e) == 0);
	e = zc_manifest_find(b, "dir/file-0002");
	assert_ptr_not_equal(e->path, zc_manifest_find(a,
	    "dir/file-0002")->path);
	assert_true(zc_mentry_xattr_hash(e) == 3);
	assert_string_equal(zc_manifest_find(b, "only-b")->path, "only-b");
	/* A symlink always has a target, "" if none was given: copied. */
	e = zc_manifest_find(b, "sym");
	assert_string_equal(zc_mentry_target(e), "");
	assert_ptr_not_equal(e->path, zc_manifest_find(a, "sym")->path);
	assert_null(zc_manifest_find(b, "dir/file-0003"));
	zc_manifest_free(b);
	zc_manifest_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_parents),
		cmocka_unit_test(test_walk_steps),
		cmocka_unit_test(test_walk_xattr_ctime),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_extra_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
