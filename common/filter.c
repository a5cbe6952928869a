/*
 * filter.c: rsync's exclude and include rules (see filter.h).
 *
 * A pattern without a '/' (a trailing one aside) and without "**" matches
 * the last component of a path, at any depth.  Otherwise it matches the
 * whole path; unanchored, also any trailing part of it that starts at a
 * component.  A leading '/' anchors at the set root (for a .zcsyncignore,
 * at its directory); a trailing '/' matches directories only.  '*' and '?'
 * never match '/', "**" does; '[...]' is a class and '\' quotes.  A
 * pattern ending in a '/' and three stars also matches the directory
 * before them (rsync's "dir_name" + slash + "***").
 *
 * fnmatch(3) with FNM_PATHNAME is exactly that for patterns without "**".
 * It has no "**" (a pair of stars is two stars), so those patterns go to
 * filter_wild() below, the matcher of git's and rsync's wildmatch.c cut
 * down to what we need; its classes are still fnmatch's.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "filter.h"
#include "log.h"
#include "path.h"
#include "xmalloc.h"

struct filter_rule {
	char		*pat;		/* owned; no leading or trailing '/' */
	char		*dir3;		/* owned; the directory of "D" + slash +
					   three stars; else NULL */
	int		 flags;
#define FILTER_INCLUDE	0x1
#define FILTER_ANCHORED	0x2		/* leading '/' */
#define FILTER_DIRONLY	0x4		/* trailing '/' */
#define FILTER_WHOLE	0x8		/* has '/' or "**": the whole path */
#define FILTER_STAR2	0x10		/* has "**": filter_wild() */
};

struct filter_list {
	struct filter_rule	*v;		/* owned */
	size_t			 n;
};

/* The rules of one .zcsyncignore. */
struct filter_dir {
	char			*dir;		/* owned; NULL: empty slot */
	struct filter_list	 rules;
};

struct zc_filter {
	struct filter_list	 inc, exc;	/* the set's lists */
	struct filter_dir	*dirs;		/* owned; open addressing */
	size_t			 ndirs, nslots;
	size_t			 nloaded;	/* dirs with rules */
};

#define WILD_MATCH		0
#define WILD_NOMATCH		1
#define WILD_ABORT_ALL		2
#define WILD_ABORT_TO_STARSTAR	3

/*
 * Where the class at p ('[') ends: the ']', or NULL if it is not a class
 * (then '[' is a literal, as fnmatch(3) has it).
 */
static const char *
filter_class_end(const char *p)
{
	const char	*q = p + 1;

	if (*q == '!' || *q == '^')
		q++;
	if (*q == ']')
		q++;
	while (*q != '\0' && *q != ']') {
		if (q[0] == '[' && (q[1] == ':' || q[1] == '.' ||
		    q[1] == '=')) {
			const char *e = strchr(q + 2, q[1]);

			if (e == NULL || e[1] != ']')
				return (NULL);
			q = e + 2;
		} else if (q[0] == '\\' && q[1] != '\0')
			q += 2;
		else
			q++;
	}
	return (*q == ']' ? q : NULL);
}

/* Does the class p..end match byte c?  fnmatch(3) decides. */
static int
filter_class(const char *p, const char *end, unsigned char c)
{
	char	cls[ZC_FILTER_PAT_MAX + 1], s[2];
	size_t	n = (size_t)(end - p) + 1;

	if (c == '/' || n >= sizeof cls)
		return (0);
	memcpy(cls, p, n);
	cls[n] = '\0';
	s[0] = (char)c;
	s[1] = '\0';
	return (fnmatch(cls, s, FNM_PATHNAME) == 0);
}

/*
 * Match text against p, where '*' stops at '/' and "**" does not.  The
 * abort codes keep it polynomial: a star that cannot match at the end of
 * text will not match at any later start either (wildmatch.c).
 */
static int
filter_wild(const char *p, const char *text)
{
	const char	*end;
	int		 r, slash;

	for (; *p != '\0'; text++, p++) {
		if (*text == '\0' && *p != '*')
			return (WILD_ABORT_ALL);
		switch (*p) {
		case '\\':
			if (p[1] != '\0')
				p++;
			/* FALLTHROUGH */
		default:
			if (*text != *p)
				return (WILD_NOMATCH);
			continue;
		case '?':
			if (*text == '/')
				return (WILD_NOMATCH);
			continue;
		case '[':
			if ((end = filter_class_end(p)) == NULL) {
				if (*text != '[')
					return (WILD_NOMATCH);
				continue;
			}
			if (!filter_class(p, end, (unsigned char)*text))
				return (WILD_NOMATCH);
			p = end;
			continue;
		case '*':
			slash = 0;
			if (p[1] == '*') {
				slash = 1;
				while (p[1] == '*')
					p++;
			}
			p++;
			if (*p == '\0')
				return (slash || strchr(text, '/') == NULL ?
				    WILD_MATCH : WILD_NOMATCH);
			for (; *text != '\0'; text++) {
				r = filter_wild(p, text);
				if (r != WILD_NOMATCH) {
					if (!slash || r != WILD_ABORT_TO_STARSTAR)
						return (r);
				} else if (!slash && *text == '/')
					return (WILD_ABORT_TO_STARSTAR);
			}
			return (WILD_ABORT_ALL);
		}
	}
	return (*text == '\0' ? WILD_MATCH : WILD_NOMATCH);
}

static int
filter_glob(const struct filter_rule *r, const char *pat, const char *s)
{
	if (r->flags & FILTER_STAR2)
		return (filter_wild(pat, s) == WILD_MATCH);
	return (fnmatch(pat, s, FNM_PATHNAME) == 0);
}

/* pat against path (whole-path rules): the path or a trailing part. */
static int
filter_glob_whole(const struct filter_rule *r, const char *pat,
    const char *path, const char *rel)
{
	const char	*p;

	if (r->flags & FILTER_ANCHORED)
		return (filter_glob(r, pat, rel));
	for (p = path;; p++) {
		if (filter_glob(r, pat, p))
			return (1);
		if ((p = strchr(p, '/')) == NULL)
			return (0);
	}
}

/*
 * Does rule r match path (from the set root), whose part below the rules'
 * directory is rel?
 */
static int
filter_rule_match(const struct filter_rule *r, const char *path,
    const char *rel, int isdir)
{
	const char	*p;

	if ((r->flags & FILTER_DIRONLY) && !isdir)
		return (0);
	if (!(r->flags & (FILTER_WHOLE | FILTER_ANCHORED))) {
		p = strrchr(path, '/');
		return (filter_glob(r, r->pat, p != NULL ? p + 1 : path));
	}
	if (filter_glob_whole(r, r->pat, path, rel))
		return (1);
	/* The pattern ends in a slash and three stars: D itself too. */
	return (r->dir3 != NULL && isdir &&
	    filter_glob_whole(r, r->dir3, path, rel));
}

/* The first rule of l matching: ZC_FILTER_INCLUDE/EXCLUDE, or -1. */
static int
filter_list_match(const struct filter_list *l, const char *path,
    const char *rel, int isdir)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (filter_rule_match(&l->v[i], path, rel, isdir))
			return ((l->v[i].flags & FILTER_INCLUDE) ?
			    ZC_FILTER_INCLUDE : ZC_FILTER_EXCLUDE);
	}
	return (-1);
}

static void
filter_list_clear(struct filter_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].pat);
		free(l->v[i].dir3);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Compile pattern into l.  0 or -EINVAL with err set. */
static int
filter_list_add(struct filter_list *l, int include, const char *pattern,
    char *err, size_t errlen)
{
	struct filter_rule	 r;
	size_t			 len = strlen(pattern);

	memset(&r, 0, sizeof r);
	if (l->n >= ZC_FILTER_RULES_MAX) {
		snprintf(err, errlen, "more than %d rules", ZC_FILTER_RULES_MAX);
		return (-EINVAL);
	}
	if (len > ZC_FILTER_PAT_MAX) {
		snprintf(err, errlen, "pattern longer than %d bytes",
		    ZC_FILTER_PAT_MAX);
		return (-EINVAL);
	}
	if (include)
		r.flags |= FILTER_INCLUDE;
	if (len > 0 && pattern[0] == '/') {
		r.flags |= FILTER_ANCHORED;
		pattern++;
		len--;
	}
	if (len > 0 && pattern[len - 1] == '/') {
		r.flags |= FILTER_DIRONLY;
		len--;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty pattern");
		return (-EINVAL);
	}
	r.pat = xstrndup(pattern, len);
	if (strchr(r.pat, '/') != NULL)
		r.flags |= FILTER_WHOLE;
	if (strstr(r.pat, "**") != NULL)
		r.flags |= FILTER_WHOLE | FILTER_STAR2;
	if (len > 4 && strcmp(r.pat + len - 4, "/***") == 0)
		r.dir3 = xstrndup(r.pat, len - 4);
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = r;
	return (0);
}

struct zc_filter *
zc_filter_new(void)
{
	return (xcalloc(1, sizeof(struct zc_filter)));
}

static void
filter_list_copy(struct filter_list *to, const struct filter_list *from)
{
	size_t	i;

	to->n = from->n;
	to->v = from->n ? xcalloc(from->n, sizeof *to->v) : NULL;
	for (i = 0; i < from->n; i++) {
		to->v[i] = from->v[i];
		to->v[i].pat = xstrdup(from->v[i].pat);
		if (from->v[i].dir3 != NULL)
			to->v[i].dir3 = xstrdup(from->v[i].dir3);
	}
}

struct zc_filter *
zc_filter_copy(const struct zc_filter *f)
{
	struct zc_filter	*c = zc_filter_new();

	filter_list_copy(&c->inc, &f->inc);
	filter_list_copy(&c->exc, &f->exc);
	return (c);
}

void
zc_filter_free(struct zc_filter *f)
{
	size_t	i;

	if (f == NULL)
		return;
	filter_list_clear(&f->inc);
	filter_list_clear(&f->exc);
	for (i = 0; i < f->nslots; i++) {
		free(f->dirs[i].dir);
		filter_list_clear(&f->dirs[i].rules);
	}
	free(f->dirs);
	free(f);
}

int
zc_filter_empty(const struct zc_filter *f)
{
	return (f->inc.n == 0 && f->exc.n == 0 && f->nloaded == 0);
}

int
zc_filter_add(struct zc_filter *f, int kind, const char *pattern, char *err,
    size_t errlen)
{
	if (kind == ZC_FILTER_INCLUDE)
		return (filter_list_add(&f->inc, 1, pattern, err, errlen));
	return (filter_list_add(&f->exc, 0, pattern, err, errlen));
}

int
zc_filter_from_lists(char *const *include, size_t ninclude,
    char *const *exclude, size_t nexclude, struct zc_filter **out, char *err,
    size_t errlen)
{
	struct zc_filter	*f;
	char			 why[128];
	size_t			 i;
	int			 error;

	*out = NULL;
	f = zc_filter_new();
	for (i = 0; i < ninclude; i++) {
		if ((error = zc_filter_add(f, ZC_FILTER_INCLUDE, include[i],
		    why, sizeof why)) != 0) {
			snprintf(err, errlen, "include %s: %s", include[i], why);
			goto fail;
		}
	}
	for (i = 0; i < nexclude; i++) {
		if ((error = zc_filter_add(f, ZC_FILTER_EXCLUDE, exclude[i],
		    why, sizeof why)) != 0) {
			snprintf(err, errlen, "exclude %s: %s", exclude[i], why);
			goto fail;
		}
	}
	*out = f;
	return (0);
fail:
	zc_filter_free(f);
	return (error);
}

static size_t
filter_slot(const struct zc_filter *f, const char *dir, size_t len)
{
	size_t		 h, mask = f->nslots - 1;
	const char	*d;

	h = (size_t)XXH3_64bits(dir, len) & mask;
	while ((d = f->dirs[h].dir) != NULL) {
		if (strncmp(d, dir, len) == 0 && d[len] == '\0')
			break;
		h = (h + 1) & mask;
	}
	return (h);
}

/* The rules known for the directory dir[0..len), or NULL. */
static const struct filter_list *
filter_dir_rules(const struct zc_filter *f, const char *dir, size_t len)
{
	size_t	h;

	if (f->nloaded == 0)
		return (NULL);
	h = filter_slot(f, dir, len);
	if (f->dirs[h].dir == NULL || f->dirs[h].rules.n == 0)
		return (NULL);
	return (&f->dirs[h].rules);
}

static void
filter_grow(struct zc_filter *f)
{
	struct filter_dir	*old = f->dirs;
	size_t			 i, n = f->nslots, h;

	f->nslots = n == 0 ? 64 : n * 2;
	f->dirs = xcalloc(f->nslots, sizeof *f->dirs);
	for (i = 0; i < n; i++) {
		if (old[i].dir == NULL)
			continue;
		h = filter_slot(f, old[i].dir, strlen(old[i].dir));
		f->dirs[h] = old[i];
	}
	free(old);
}

/*
 * Set the rules of dir (taking l's).  Slots are never freed: a directory
 * that loses its file keeps an empty list (bounded by ZC_FILTER_DIRS_MAX).
 */
static int
filter_dir_set(struct zc_filter *f, const char *dir, struct filter_list *l)
{
	struct filter_dir	*d;
	size_t			 h;

	if (f->nslots != 0) {
		h = filter_slot(f, dir, strlen(dir));
		d = &f->dirs[h];
		if (d->dir != NULL) {
			if (d->rules.n != 0)
				f->nloaded--;
			filter_list_clear(&d->rules);
			d->rules = *l;
			if (l->n != 0)
				f->nloaded++;
			return (0);
		}
	}
	if (l->n == 0)
		return (0);
	if (f->ndirs >= ZC_FILTER_DIRS_MAX) {
		filter_list_clear(l);
		return (-E2BIG);
	}
	if ((f->ndirs + 1) * 2 > f->nslots)
		filter_grow(f);
	h = filter_slot(f, dir, strlen(dir));
	f->dirs[h].dir = xstrdup(dir);
	f->dirs[h].rules = *l;
	f->ndirs++;
	f->nloaded++;
	return (0);
}

/* Parse the text of a .zcsyncignore into l, logging bad lines. */
static void
filter_parse(struct filter_list *l, const char *dir, char *text)
{
	char	*line, *next, why[128];
	size_t	 len, lineno = 0;
	int	 include;

	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		include = 0;
		if ((line[0] == '-' || line[0] == '+') && line[1] == ' ') {
			include = line[0] == '+';
			line += 2;
		}
		if (filter_list_add(l, include, line, why, sizeof why) != 0)
			zc_log_err("%s%s" ZC_FILTER_FILE ":%zu: %s", dir,
			    *dir != '\0' ? "/" : "", lineno, why);
	}
}

int
zc_filter_load_dir(struct zc_filter *f, int dfd, const char *dir)
{
	struct filter_list	 l;
	struct stat		 st;
	char			*text = NULL;
	ssize_t			 r;
	size_t			 got = 0;
	int			 fd, error;

	memset(&l, 0, sizeof l);
	fd = openat(dfd, ZC_FILTER_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno != ENOENT)
			zc_log_err("%s%s" ZC_FILTER_FILE ": %s", dir,
			    *dir != '\0' ? "/" : "", strerror(errno));
		return (filter_dir_set(f, dir, &l));
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > ZC_FILTER_FILE_MAX) {
		zc_log_err("%s%s" ZC_FILTER_FILE ": %s: ignored", dir,
		    *dir != '\0' ? "/" : "", !S_ISREG(st.st_mode) ?
		    "not a regular file" : "too large");
		close(fd);
		return (filter_dir_set(f, dir, &l));
	}
	/* What it held at fstat(); a file growing meanwhile is cut there. */
	text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		r = read(fd, text + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	text[got] = '\0';
	if (memchr(text, '\0', got) != NULL)
		zc_log_err("%s%s" ZC_FILTER_FILE ": a NUL byte: ignored from "
		    "there", dir, *dir != '\0' ? "/" : "");
	filter_parse(&l, dir, text);
	free(text);
	if ((error = filter_dir_set(f, dir, &l)) != 0)
		zc_log_err("%s%s" ZC_FILTER_FILE ": more than %d such files: "
		    "ignored", dir, *dir != '\0' ? "/" : "",
		    ZC_FILTER_DIRS_MAX);
	return (error);
}

int
zc_filter_load_path(struct zc_filter *f, int root_fd, const char *dir)
{
	struct filter_list	l;
	int			fd, error;

	if (*dir == '\0')
		return (zc_filter_load_dir(f, root_fd, dir));
	fd = zc_path_openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
	    0);
	if (fd < 0) {
		memset(&l, 0, sizeof l);
		return (filter_dir_set(f, dir, &l));	/* gone: forget */
	}
	error = zc_filter_load_dir(f, fd, dir);
	close(fd);
	return (error);
}

int
zc_filter_match(const struct zc_filter *f, const char *path, int isdir)
{
	const struct filter_list	*l;
	size_t				 len;
	int				 v;

	if (*path == '\0')
		return (0);	/* the root is never excluded */
	/* Per-directory rules, the closest directory first. */
	for (len = strlen(path); f->nloaded != 0;) {
		while (len > 0 && path[len - 1] != '/')
			len--;
		/* path[0..len) is now "dir/" or empty (the root). */
		l = filter_dir_rules(f, path, len ? len - 1 : 0);
		if (l != NULL &&
		    (v = filter_list_match(l, path, path + len, isdir)) != -1)
			return (v == ZC_FILTER_EXCLUDE);
		if (len == 0)
			break;
		len--;
	}
	if (filter_list_match(&f->inc, path, path, isdir) != -1)
		return (0);
	return (filter_list_match(&f->exc, path, path, isdir) != -1);
}

int
zc_filter_excluded(const struct zc_filter *f, const char *path, int isdir)
{
	char	buf[ZC_PATH_MAX + 1];
	size_t	i, len = strlen(path);

	if (len > ZC_PATH_MAX)
		return (zc_filter_match(f, path, isdir));
	memcpy(buf, path, len + 1);
	for (i = 0; i < len; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (zc_filter_match(f, buf, 1))
			return (1);
		buf[i] = '/';
	}
	return (zc_filter_match(f, path, isdir));
}
