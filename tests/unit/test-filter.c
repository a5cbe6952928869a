/*
 * test-filter.c: rsync's pattern rules (last component or whole path,
 * anchors, directories only, '*', '**', '?', classes), include before
 * exclude, .zcsyncignore files (closest first, anchored at their
 * directory, bad lines skipped, bounds), and the filtered tree walk.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/stat.h>

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
#include <unistd.h>

#include <cmocka.h>

#include "filter.h"
#include "log.h"
#include "manifest.h"

/* Does the exclude pattern pat leave out path (its parents included)? */
static int
ex1(const char *pat, const char *path, int isdir)
{
	struct zc_filter	*f = zc_filter_new();
	char			 err[128];
	int			 r;

	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, pat, err,
	    sizeof err), 0);
	r = zc_filter_match(f, path, isdir);
	zc_filter_free(f);
	return (r);
}

struct pcase {
	const char	*pat;
	const char	*path;
	int		 isdir;
	int		 excluded;
};

static const struct pcase pcases[] = {
	/* No '/': the last component, at any depth. */
	{ "*.o", "a.o", 0, 1 },
	{ "*.o", "src/deep/a.o", 0, 1 },
	{ "*.o", "a.oo", 0, 0 },
	{ "*.o", "x.o/y", 0, 0 },
	{ "*.o", ".o", 0, 1 },		/* '*' matches a leading dot */
	{ "foo", "foo", 0, 1 },
	{ "foo", "a/b/foo", 1, 1 },
	{ "foo", "foobar", 0, 0 },
	{ "foo", "a/foo/b", 0, 0 },	/* the walk stops at a/foo itself */
	{ ".*", ".hidden", 0, 1 },
	{ ".*", "d/.git", 1, 1 },
	{ ".*", "d/x", 0, 0 },
	{ "name with space", "d/name with space", 0, 1 },
	{ "?.c", "a.c", 0, 1 },
	{ "?.c", "ab.c", 0, 0 },
	{ "[ab].c", "b.c", 0, 1 },
	{ "[ab].c", "c.c", 0, 0 },
	{ "[!ab].c", "c.c", 0, 1 },
	{ "[^ab].c", "a.c", 0, 0 },
	{ "[[:digit:]]*", "9lives", 0, 1 },
	{ "[[:digit:]]*", "lives9", 0, 0 },
	{ "\\*", "*", 0, 1 },
	{ "\\*", "x", 0, 0 },
	{ "[", "[", 0, 1 },		/* not a class: a literal */
	/* Trailing '/': directories only. */
	{ "build/", "build", 1, 1 },
	{ "build/", "build", 0, 0 },
	{ "build/", "x/build", 1, 1 },
	{ "*/", "anydir", 1, 1 },
	{ "*/", "afile", 0, 0 },
	/* Leading '/': anchored at the root. */
	{ "/foo", "foo", 0, 1 },
	{ "/foo", "a/foo", 0, 0 },
	{ "/a/b", "a/b", 0, 1 },
	{ "/a/b", "x/a/b", 0, 0 },
	{ "/*.txt", "r.txt", 0, 1 },
	{ "/*.txt", "d/r.txt", 0, 0 },
	{ "/tmp/", "tmp", 1, 1 },
	{ "/tmp/", "tmp", 0, 0 },
	/* An inner '/': the whole path, or a trailing part of it. */
	{ "a/b", "a/b", 0, 1 },
	{ "a/b", "x/a/b", 0, 1 },
	{ "a/b", "xa/b", 0, 0 },	/* at a component boundary only */
	{ "a/b", "a/bc", 0, 0 },
	{ "a/*", "a/x", 0, 1 },
	{ "a/*", "q/a/x", 0, 1 },
	{ "a/*", "a/x/y", 0, 0 },	/* '*' stops at '/' */
	{ "a/?", "a/x", 0, 1 },
	{ "a?b", "a/b", 0, 0 },		/* '?' never matches '/' */
	{ "d*/x", "dd/x", 0, 1 },
	{ "d*/x", "d/e/x", 0, 0 },
	{ "src/*.c", "src/m.c", 0, 1 },
	{ "src/*.c", "top/src/m.c", 0, 1 },
	{ "src/*.c", "src/sub/m.c", 0, 0 },
	/* "**" crosses '/'. */
	{ "a/**/z", "a/b/c/z", 0, 1 },
	{ "a/**/z", "a/b/z", 0, 1 },
	{ "a/**/z", "a/z", 0, 0 },	/* rsync: the slashes stay */
	{ "/a/**", "a/b/c", 0, 1 },
	{ "/a/**", "x/a/b", 0, 0 },
	{ "**/cache", "x/y/cache", 1, 1 },
	{ "**/cache", "cache", 1, 0 },
	{ "foo**", "foo/bar/baz", 0, 1 },
	{ "foo**", "x/foobar", 0, 1 },
	{ "foo**", "xfoo", 0, 0 },
	{ "**.log", "a/b.log", 0, 1 },
	{ "**.log", "a/b.logx", 0, 0 },
	{ "a/**/*.c", "a/b/c/d.c", 0, 1 },
	{ "a/**/*.c", "a/b/c/d.h", 0, 0 },
	{ "/**/[0-9]", "x/y/7", 0, 1 },
	{ "/**/[0-9]", "x/y/a", 0, 0 },
	{ "**/\\*", "x/*", 0, 1 },
	{ "**/\\*", "x/y", 0, 0 },
	{ "a/**b/", "a/x/yb", 1, 1 },
	/* "D/***": D itself and all beneath it. */
	{ "logs/***", "logs", 1, 1 },
	{ "logs/***", "logs", 0, 0 },
	{ "logs/***", "x/logs/a/b", 0, 1 },
	{ "/logs/***", "x/logs", 1, 0 },
	{ "/logs/***", "logs/a", 0, 1 },
	{ "l*/***", "lib", 1, 1 },
	{ "a/**b/", "a/x/yb", 0, 0 },
};

static void
test_patterns(void **state)
{
	size_t	i;

	for (i = 0; i < sizeof pcases / sizeof pcases[0]; i++) {
		const struct pcase *c = &pcases[i];

		if (ex1(c->pat, c->path, c->isdir) != c->excluded)
			fail_msg("pattern \"%s\" path \"%s\" dir %d: want %d",
			    c->pat, c->path, c->isdir, c->excluded);
	}
}

/* Star runs against a long text must end quickly (no backtracking blowup). */
static void
test_wild_bounded(void **state)
{
	char	path[4000];

	memset(path, 'a', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	assert_int_equal(ex1("**a*a*a*a*a*a*a*a*a*a*a*b", path, 0), 0);
	assert_int_equal(ex1("*a*a*a*a*a*a*a*a*a*a*a*a*b", path, 0), 0);
	assert_int_equal(ex1("**a**a**a**a**a**a**a**b", path, 0), 0);
}

static void
test_bad_patterns(void **state)
{
	struct zc_filter	*f = zc_filter_new();
	char			 err[128], big[ZC_FILTER_PAT_MAX + 2];
	char			*inc[] = { "ok" }, *exc[] = { "x", "/" };
	int			 i;

	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "", err,
	    sizeof err), -EINVAL);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "/", err,
	    sizeof err), -EINVAL);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "//", err,
	    sizeof err), -EINVAL);
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, big, err,
	    sizeof err), -EINVAL);
	big[ZC_FILTER_PAT_MAX] = '\0';
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, big, err,
	    sizeof err), 0);
	for (i = 1; i < ZC_FILTER_RULES_MAX; i++)
		assert_int_equal(zc_filter_add(f, ZC_FILTER_INCLUDE, "y", err,
		    sizeof err), 0);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_INCLUDE, "y", err,
	    sizeof err), 0);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_INCLUDE, "y", err,
	    sizeof err), -EINVAL);
	zc_filter_free(f);

	f = (struct zc_filter *)1;
	assert_int_equal(zc_filter_from_lists(inc, 1, exc, 2, &f, err,
	    sizeof err), -EINVAL);
	assert_null(f);
	assert_non_null(strstr(err, "exclude /"));
	zc_filter_free(NULL);
}

/* rsync --include=X --exclude=Y: the include list first, whatever order. */
static void
test_order(void **state)
{
	struct zc_filter	*f, *c;
	char			*inc[] = { "*.c", "*/" }, *exc[] = { "*" };
	char			 err[128];

	assert_int_equal(zc_filter_from_lists(inc, 2, exc, 1, &f, err,
	    sizeof err), 0);
	assert_int_equal(zc_filter_match(f, "a.c", 0), 0);
	assert_int_equal(zc_filter_match(f, "d/a.c", 0), 0);
	assert_int_equal(zc_filter_match(f, "d", 1), 0);
	assert_int_equal(zc_filter_match(f, "a.h", 0), 1);
	assert_int_equal(zc_filter_match(f, "d/a.h", 0), 1);
	c = zc_filter_copy(f);
	zc_filter_free(f);
	assert_int_equal(zc_filter_match(c, "a.c", 0), 0);
	assert_int_equal(zc_filter_match(c, "a.h", 0), 1);
	zc_filter_free(c);

	/* An excluded directory hides everything beneath it. */
	f = zc_filter_new();
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "*", err,
	    sizeof err), 0);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_INCLUDE, "*.c", err,
	    sizeof err), 0);
	assert_int_equal(zc_filter_match(f, "d/a.c", 0), 0);
	assert_int_equal(zc_filter_excluded(f, "d/a.c", 0), 1);
	assert_int_equal(zc_filter_excluded(f, "a.c", 0), 0);
	zc_filter_free(f);

	/* No rules: nothing is excluded. */
	f = zc_filter_new();
	assert_true(zc_filter_empty(f));
	assert_int_equal(zc_filter_excluded(f, "a/b/c", 0), 0);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "*", err,
	    sizeof err), 0);
	assert_false(zc_filter_empty(f));
	/* The root itself is never excluded. */
	assert_int_equal(zc_filter_excluded(f, "", 1), 0);
	assert_int_equal(zc_filter_excluded(f, "a", 1), 1);
	zc_filter_free(f);
}

static char	tmpl[PATH_MAX];

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(p));
}

static int
setup_tree(void **state)
{
	snprintf(tmpl, sizeof tmpl, "%s/zc-filter-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpl) == NULL)
		return (-1);
	return (0);
}

static int
teardown_tree(void **state)
{
	nftw(tmpl, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return (0);
}

static void
put(const char *rel, const char *text)
{
	char	p[PATH_MAX];
	FILE	*fp;

	snprintf(p, sizeof p, "%s/%s", tmpl, rel);
	if (text == NULL) {
		assert_int_equal(mkdir(p, 0755), 0);
		return;
	}
	assert_non_null(fp = fopen(p, "w"));
	fputs(text, fp);
	fclose(fp);
}

static void
test_ignore_files(void **state)
{
	struct zc_filter	*f;
	int			 root;
	char			 err[128], text[ZC_FILTER_PAT_MAX + 64];

	put("a", NULL);
	put("a/b", NULL);
	put(".zcsyncignore", "# comment\n\n*.tmp\n- /top-only\n+ keep.o\n");
	/* A line too long is logged and skipped; the others stand. */
	memset(text, 'x', sizeof text);
	memcpy(text, "+ x.tmp\r\n/anch\n- sub/\n", 22);
	memcpy(text + sizeof text - 6, "\n[\n-\n", 6);
	text[sizeof text - 1] = '\0';
	put("a/.zcsyncignore", text);
	put("a/b/.zcsyncignore", "- x.tmp\n");
	assert_true((root = open(tmpl, O_RDONLY | O_DIRECTORY)) >= 0);

	f = zc_filter_new();
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "*.o", err,
	    sizeof err), 0);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_INCLUDE, "top-only", err,
	    sizeof err), 0);
	assert_int_equal(zc_filter_load_path(f, root, ""), 0);
	assert_int_equal(zc_filter_load_path(f, root, "a"), 0);
	assert_int_equal(zc_filter_load_path(f, root, "a/b"), 0);
	assert_int_equal(zc_filter_load_path(f, root, "nonexistent"), 0);

	assert_int_equal(zc_filter_match(f, "y.tmp", 0), 1);
	assert_int_equal(zc_filter_match(f, "a/y.tmp", 0), 1);
	/* The closer file wins, whichever way. */
	assert_int_equal(zc_filter_match(f, "a/x.tmp", 0), 0);
	assert_int_equal(zc_filter_match(f, "a/b/x.tmp", 0), 1);
	assert_int_equal(zc_filter_match(f, "a/c/x.tmp", 0), 0);
	/* Before the set's lists: the set includes top-only. */
	assert_int_equal(zc_filter_match(f, "top-only", 0), 1);
	assert_int_equal(zc_filter_match(f, "a/top-only", 0), 0);
	assert_int_equal(zc_filter_match(f, "keep.o", 0), 0);
	assert_int_equal(zc_filter_match(f, "a/b/keep.o", 0), 0);
	assert_int_equal(zc_filter_match(f, "other.o", 0), 1);
	/* Anchored at the file's directory. */
	assert_int_equal(zc_filter_match(f, "a/anch", 0), 1);
	assert_int_equal(zc_filter_match(f, "anch", 0), 0);
	assert_int_equal(zc_filter_match(f, "a/b/anch", 0), 0);
	assert_int_equal(zc_filter_match(f, "a/b/sub", 1), 1);
	assert_int_equal(zc_filter_match(f, "a/b/sub", 0), 0);
	/* The bad line "[" was skipped, "[" itself is a literal pattern. */
	assert_int_equal(zc_filter_match(f, "a/[", 0), 1);
	assert_int_equal(zc_filter_excluded(f, "a/b/sub/z", 0), 1);

	/* A changed file replaces the old rules; a removed one forgets. */
	put("a/.zcsyncignore", "other\n");
	assert_int_equal(zc_filter_load_path(f, root, "a"), 0);
	assert_int_equal(zc_filter_match(f, "a/anch", 0), 0);
	assert_int_equal(zc_filter_match(f, "a/x.tmp", 0), 1);
	assert_int_equal(zc_filter_match(f, "a/other", 0), 1);
	assert_int_equal(unlinkat(root, "a/b/.zcsyncignore", 0), 0);
	assert_int_equal(zc_filter_load_path(f, root, "a/b"), 0);
	assert_int_equal(zc_filter_match(f, "a/b/x.tmp", 0), 1);
	assert_int_equal(zc_filter_match(f, "a/b/sub", 1), 0);
	zc_filter_free(f);
	close(root);
}

static void
test_ignore_bounds(void **state)
{
	struct zc_filter	*f;
	char			 p[PATH_MAX];
	int			 root, fd;

	put("d", NULL);
	put("e", NULL);
	put("e/.zcsyncignore", NULL);	/* a directory: ignored */
	snprintf(p, sizeof p, "%s/d/.zcsyncignore", tmpl);
	assert_true((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
	assert_int_equal(write(fd, "big\n", 4), 4);
	assert_int_equal(ftruncate(fd, ZC_FILTER_FILE_MAX + 1), 0);
	close(fd);
	assert_true((root = open(tmpl, O_RDONLY | O_DIRECTORY)) >= 0);
	f = zc_filter_new();
	assert_int_equal(zc_filter_load_path(f, root, "d"), 0);
	assert_int_equal(zc_filter_match(f, "d/big", 0), 0);
	assert_true(zc_filter_empty(f));
	assert_int_equal(zc_filter_load_path(f, root, "e"), 0);
	/* A symlink is not read. */
	assert_int_equal(symlinkat("../d/.zcsyncignore", root,
	    ".zcsyncignore"), 0);
	assert_int_equal(zc_filter_load_path(f, root, ""), 0);
	assert_int_equal(zc_filter_match(f, "big", 0), 0);
	zc_filter_free(f);
	close(root);
}

static void
test_walk(void **state)
{
	struct zc_manifest	*m;
	struct zc_filter	*f;
	char			 err[256];
	int			 root, sub;

	put("src", NULL);
	put("src/a.c", "a");
	put("src/a.o", "o");
	put("src/gen", NULL);
	put("src/gen/g.c", "g");
	put("build", NULL);
	put("build/b.c", "b");
	put("src/.zcsyncignore", "/gen\n");
	put("top.c", "t");
	assert_true((root = open(tmpl, O_RDONLY | O_DIRECTORY)) >= 0);
	f = zc_filter_new();
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "*.o", err,
	    sizeof err), 0);
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "build/", err,
	    sizeof err), 0);
	m = zc_manifest_new();
	assert_int_equal(zc_manifest_walk_filtered(m, root, "", f, 0, err,
	    sizeof err), 0);
	assert_int_equal(m->n, 4);
	assert_string_equal(m->v[0].path, "src");
	assert_string_equal(m->v[1].path, "src/.zcsyncignore");
	assert_string_equal(m->v[2].path, "src/a.c");
	assert_string_equal(m->v[3].path, "top.c");
	zc_manifest_free(m);
	/* The rules read on the way are the filter's now. */
	assert_int_equal(zc_filter_excluded(f, "src/gen/x", 0), 1);
	assert_int_equal(zc_filter_excluded(f, "build/x", 0), 1);
	assert_int_equal(zc_filter_excluded(f, "src/x", 0), 0);
	zc_filter_free(f);

	/* A subtree: named below it, matched by the set's path. */
	f = zc_filter_new();
	assert_int_equal(zc_filter_add(f, ZC_FILTER_EXCLUDE, "/src/a.c", err,
	    sizeof err), 0);
	assert_true((sub = openat(root, "src", O_RDONLY | O_DIRECTORY)) >= 0);
	m = zc_manifest_new();
	assert_int_equal(zc_manifest_walk_filtered(m, sub, "src", f, 0, err,
	    sizeof err), 0);
	assert_int_equal(m->n, 2);
	assert_string_equal(m->v[0].path, ".zcsyncignore");
	assert_string_equal(m->v[1].path, "a.o");
	assert_int_equal(m->v[1].parent, ZC_MANIFEST_NONE);
	zc_manifest_free(m);
	zc_filter_free(f);
	close(sub);
	close(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_wild_bounded),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_order),
		cmocka_unit_test_setup_teardown(test_ignore_files, setup_tree,
		    teardown_tree),
		cmocka_unit_test_setup_teardown(test_ignore_bounds, setup_tree,
		    teardown_tree),
		cmocka_unit_test_setup_teardown(test_walk, setup_tree,
		    teardown_tree),
	};

	zc_log_init("test-filter", ZC_LOG_ERR);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
