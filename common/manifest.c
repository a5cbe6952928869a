/*
 * manifest.c: walk a tree into a list of entries, and find entries by path.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "filter.h"
#include "log.h"
#include "manifest.h"
#include "meta.h"
#include "path.h"
#include "special.h"
#include "xattr.h"
#include "xmalloc.h"

struct manifest_chunk {
	struct manifest_chunk	*next;
	char			 data[];
};

struct zc_manifest *
zc_manifest_new(void)
{
	return (xcalloc(1, sizeof(struct zc_manifest)));
}

void
zc_manifest_free(struct zc_manifest *m)
{
	struct manifest_chunk	*c, *next;

	if (m == NULL)
		return;
	for (c = m->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(m->v);
	free(m->slots);
	free(m);
}

/*
 * size bytes in m's chunks.  Chunks double from ZC_MANIFEST_CHUNK_MIN to
 * ZC_MANIFEST_CHUNK_MAX, so a small manifest (one live subtree) stays
 * small and a large one needs few blocks.
 */
static char *
manifest_alloc(struct zc_manifest *m, size_t size)
{
	struct manifest_chunk	*c;
	size_t			 csize;
	char			*p;

	if (size > m->sleft) {
		csize = m->sbytes < ZC_MANIFEST_CHUNK_MIN ?
		    ZC_MANIFEST_CHUNK_MIN : m->sbytes;
		if (csize > ZC_MANIFEST_CHUNK_MAX)
			csize = ZC_MANIFEST_CHUNK_MAX;
		if (csize < size)
			csize = size;
		c = xmalloc(sizeof *c + csize);
		c->next = m->chunks;
		m->chunks = c;
		m->sp = c->data;
		m->sleft = csize;
		m->sbytes += csize;
	}
	p = m->sp;
	m->sp += size;
	m->sleft -= size;
	return (p);
}

/* What follows e's path (and its target): the HAS_LINK, HAS_XATTR bytes. */
static const char *
mentry_tail(const struct zc_mentry *e)
{
	const char	*p = e->path + strlen(e->path) + 1;

	if (e->flags & ZC_MENTRY_HAS_TARGET)
		p += strlen(p) + 1;
	return (p);
}

const char *
zc_mentry_target(const struct zc_mentry *e)
{
	if (!(e->flags & ZC_MENTRY_HAS_TARGET))
		return (NULL);
	return (e->path + strlen(e->path) + 1);
}

uint64_t
zc_mentry_link_id(const struct zc_mentry *e)
{
	uint64_t	id;

	if (!(e->flags & ZC_MENTRY_HAS_LINK))
		return (0);
	memcpy(&id, mentry_tail(e), sizeof id);
	return (id);
}

uint32_t
zc_mentry_link_dev(const struct zc_mentry *e)
{
	uint32_t	dev;

	if (!(e->flags & ZC_MENTRY_HAS_LINK))
		return (0);
	memcpy(&dev, mentry_tail(e) + sizeof(uint64_t), sizeof dev);
	return (dev);
}

uint64_t
zc_mentry_xattr_hash(const struct zc_mentry *e)
{
	const char	*p;
	uint64_t	 h;

	if (!(e->flags & ZC_MENTRY_HAS_XATTR))
		return (0);
	p = mentry_tail(e);
	if (e->flags & ZC_MENTRY_HAS_LINK)
		p += sizeof(uint64_t) + sizeof(uint32_t);
	memcpy(&h, p, sizeof h);
	return (h);
}

static size_t
manifest_hash(const char *p, size_t len)
{
	return ((size_t)XXH3_64bits(p, len));
}

static void
manifest_rehash(struct zc_manifest *m)
{
	size_t	i, h, mask;

	free(m->slots);
	m->nslots = m->nslots == 0 ? 1024 : m->nslots * 2;
	m->slots = xcalloc(m->nslots, sizeof *m->slots);
	mask = m->nslots - 1;
	for (i = 0; i < m->n; i++) {
		h = manifest_hash(m->v[i].path, strlen(m->v[i].path)) & mask;
		while (m->slots[h] != 0)
			h = (h + 1) & mask;
		m->slots[h] = (uint32_t)i + 1;
	}
}

/* The slot for path: an empty one, or the one holding it. */
static size_t
manifest_slot(const struct zc_manifest *m, const char *path, size_t len)
{
	size_t	h, mask = m->nslots - 1;
	const char *p;

	h = manifest_hash(path, len) & mask;
	while (m->slots[h] != 0) {
		p = m->v[m->slots[h] - 1].path;
		if (strncmp(p, path, len) == 0 && p[len] == '\0')
			break;
		h = (h + 1) & mask;
	}
	return (h);
}

int
zc_manifest_add(struct zc_manifest *m, const struct zc_meta *meta,
    const char *path, size_t path_len, const char *target, size_t target_len,
    uint32_t parent)
{
	struct zc_mextra	x;

	memset(&x, 0, sizeof x);
	x.target = target;
	x.target_len = target_len;
	return (zc_manifest_add_extra(m, meta, path, path_len, &x, parent));
}

/*
 * The entry's strings, one block in the chunks: path, NUL, then only what
 * it has: target and NUL; link_id and link_dev; xattr_hash (unaligned:
 * read with memcpy).
 */
int
zc_manifest_add_extra(struct zc_manifest *m, const struct zc_meta *meta,
    const char *path, size_t path_len, const struct zc_mextra *x,
    uint32_t parent)
{
	struct zc_mentry	*e;
	const struct zc_manifest *nm = m->names;
	const char		*target = x->target;
	size_t			 slot, ns, size, target_len = x->target_len;
	char			*p;

	if (m->n >= ZC_MANIFEST_MAX)
		return (-E2BIG);
	if ((m->n + 1) * 2 > m->nslots)
		manifest_rehash(m);
	slot = manifest_slot(m, path, path_len);
	if (m->slots[slot] != 0)
		return (-EEXIST);
	if (m->n == m->cap) {
		m->cap = m->cap == 0 ? 256 : m->cap * 2;
		m->v = xreallocarray(m->v, m->cap, sizeof *m->v);
	}
	e = &m->v[m->n];
	memset(e, 0, sizeof *e);
	e->meta = *meta;
	e->parent = parent;
	if (target == NULL && meta->type == ZC_TYPE_SYMLINK) {
		target = "";
		target_len = 0;
	}
	size = path_len + 1;
	if (target != NULL) {
		e->flags |= ZC_MENTRY_HAS_TARGET;
		size += target_len + 1;
	}
	if (x->link_id != 0) {
		e->flags |= ZC_MENTRY_HAS_LINK;
		size += sizeof x->link_id + sizeof x->link_dev;
	}
	if (x->xattr_hash != 0) {
		e->flags |= ZC_MENTRY_HAS_XATTR;
		size += sizeof x->xattr_hash;
	}
	if (size == path_len + 1 && nm != NULL && nm->nslots != 0) {
		ns = manifest_slot(nm, path, path_len);
		if (nm->slots[ns] != 0) {
			e->path = nm->v[nm->slots[ns] - 1].path;
			goto done;
		}
	}
	e->path = p = manifest_alloc(m, size);
	memcpy(p, path, path_len);
	p[path_len] = '\0';
	p += path_len + 1;
	if (target != NULL) {
		memcpy(p, target, target_len);
		p[target_len] = '\0';
		p += target_len + 1;
	}
	if (x->link_id != 0) {
		memcpy(p, &x->link_id, sizeof x->link_id);
		memcpy(p + sizeof x->link_id, &x->link_dev,
		    sizeof x->link_dev);
		p += sizeof x->link_id + sizeof x->link_dev;
	}
	if (x->xattr_hash != 0)
		memcpy(p, &x->xattr_hash, sizeof x->xattr_hash);
done:
	m->slots[slot] = (uint32_t)m->n + 1;
	return ((int)m->n++);
}

struct zc_mentry *
zc_manifest_find(const struct zc_manifest *m, const char *path)
{
	size_t	slot;

	if (m->nslots == 0)
		return (NULL);
	slot = manifest_slot(m, path, strlen(path));
	if (m->slots[slot] == 0)
		return (NULL);
	return (&m->v[m->slots[slot] - 1]);
}

static int
manifest_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Read the names of one directory, sorted.  The caller frees names[i] and
 * names.  0 or -errno.
 */
static int
manifest_readdir(int dfd, char ***namesp, size_t *np)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL;
	size_t		 n = 0, cap = 0;
	int		 fd;

	*namesp = NULL;
	*np = 0;
	if ((fd = dup(dfd)) == -1)
		return (-errno);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-errno);
	}
	rewinddir(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    zc_path_is_temp(de->d_name))
			continue;
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			names = xreallocarray(names, cap, sizeof *names);
		}
		names[n++] = xstrdup(de->d_name);
		errno = 0;
	}
	closedir(d);
	/* An empty directory has names == NULL: qsort(3) wants nonnull. */
	if (n > 1)
		qsort(names, n, sizeof *names, manifest_cmp);
	*namesp = names;
	*np = n;
	return (0);
}

/* One directory being listed: its names, sorted, and the next to look at. */
struct manifest_frame {
	int		  fd;		/* owned; the walk's root: borrowed */
	char		**names;	/* owned */
	size_t		  n, i;
	size_t		  plen;		/* path[0..plen) names it */
	uint32_t	  parent;	/* its entry's index, or NONE */
};

/*
 * A walk in steps: a stack of the directories being listed, one frame per
 * level (at most ZC_PATH_DEPTH_MAX), so that it can stop after any entry
 * and go on later with the same result as in one go.
 */
struct zc_mwalk {
	struct zc_manifest	*m;		/* borrowed */
	struct zc_filter	*filter;	/* borrowed; NULL: none */
	char			*prune;		/* owned; NULL: none */
	size_t			 base;		/* path[0..base) is not ours */
	struct manifest_frame	*stack;		/* owned */
	size_t			 depth, cap;
	int			 flags;		/* ZC_MANIFEST_* */
	int			 error;		/* the first; then every step */
	char			 err[512];
	char			 path[ZC_PATH_MAX + 1];
};

/*
 * XATTR: the hash of an entry's attributes (leaf in dfd, not followed).
 * One listxattr for an entry without any.  A failure to read them is
 * logged and hashes as none: the entry itself is still carried.
 */
static uint64_t
manifest_xattr_hash(struct zc_mwalk *w, int dfd, const char *leaf, int *none)
{
	uint8_t		*blk;
	size_t		 len;
	uint64_t	 h;
	int		 error;

	error = zc_xattr_read(-1, dfd, leaf,
	    (w->m->walk_flags & ZC_MANIFEST_XPRIV) ? ZC_XATTR_PRIV : 0,
	    &blk, &len);
	if (error != 0) {
		zc_log_info("%s: extended attributes: %s", w->path,
		    strerror(-error));
		return (0);
	}
	h = (w->m->walk_flags & ZC_MANIFEST_XNAMES) ?
	    zc_xattr_hash_named(blk, len) : zc_xattr_hash(blk, len);
	*none = len <= ZC_XATTR_EMPTY_LEN;
	free(blk);
	return (h);
}

/* Fail the walk: the first error stays (and its text in w->err). */
static int
manifest_walk_fail(struct zc_mwalk *w, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
manifest_walk_fail(struct zc_mwalk *w, int error, const char *fmt, ...)
{
	va_list	ap;

	if (w->error == 0) {
		w->error = error;
		va_start(ap, fmt);
		vsnprintf(w->err, sizeof w->err, fmt, ap);
		va_end(ap);
	}
	return (error);
}

/*
 * List the directory dfd (the root's fd is borrowed, any other is taken),
 * named path[0..plen), and put it on top of the stack: its names are the
 * next to walk.  0 or -errno.
 */
static int
manifest_walk_push(struct zc_mwalk *w, int dfd, size_t plen, uint32_t parent)
{
	struct manifest_frame	*f;
	char			**names;
	size_t			  n;
	int			  error;

	if (w->depth >= ZC_PATH_DEPTH_MAX) {
		if (w->depth > 0)
			close(dfd);
		return (manifest_walk_fail(w, -ELOOP, "%s: too deep",
		    w->path));
	}
	if ((error = manifest_readdir(dfd, &names, &n)) != 0) {
		if (w->depth > 0)
			close(dfd);
		return (manifest_walk_fail(w, error, "%s: %s",
		    plen ? w->path : ".", strerror(-error)));
	}
	if (w->filter != NULL)
		(void)zc_filter_load_dir(w->filter, dfd, w->path);
	if (w->depth == w->cap) {
		w->cap = w->cap == 0 ? 16 : w->cap * 2;
		w->stack = xreallocarray(w->stack, w->cap, sizeof *w->stack);
	}
	f = &w->stack[w->depth++];
	f->fd = dfd;
	f->names = names;
	f->n = n;
	f->i = 0;
	f->plen = plen;
	f->parent = parent;
	return (0);
}

/* Done with the directory on top of the stack. */
static void
manifest_walk_pop(struct zc_mwalk *w)
{
	struct manifest_frame	*f = &w->stack[--w->depth];
	size_t			 i;

	if (w->depth > 0)
		close(f->fd);
	for (i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f->names);
	w->path[f->plen] = '\0';
}

/*
 * The next name of the directory on top: its entry, and, for a directory,
 * its listing pushed on top (pre-order).  0 or -errno.
 */
static int
manifest_walk_name(struct zc_mwalk *w)
{
	struct manifest_frame	*f = &w->stack[w->depth - 1];
	const char		*name = f->names[f->i++];
	char			 target[ZC_PATH_MAX + 1];
	struct stat		 st;
	struct zc_meta		 meta;
	struct zc_mextra	 x;
	size_t			 plen = f->plen, nlen, tlen;
	ssize_t			 r;
	int			 dfd = f->fd, idx, cfd, xnone;

	nlen = strlen(name);
	if (plen + (plen ? 1 : 0) + nlen > ZC_PATH_MAX) {
		zc_log_warn("skipping a name under %s: path too long",
		    plen ? w->path : ".");
		return (0);
	}
	if (plen)
		w->path[plen] = '/';
	memcpy(w->path + plen + (plen ? 1 : 0), name, nlen + 1);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return (0);	/* vanished */
		return (manifest_walk_fail(w, -errno, "%s: %s", w->path,
		    strerror(errno)));
	}
	if (zc_meta_from_stat(&st, &meta) != 0 &&
	    ((w->flags & ZC_MANIFEST_SPECIALS) == 0 ||
	    zc_special_from_stat(&st, &meta) != 0)) {
		/* fifo, device, socket: said once per walk */
		w->m->skipped_specials++;
		w->m->skipped_kinds |= zc_special_kind(st.st_mode);
		return (0);
	}
	if (w->filter != NULL && zc_filter_match(w->filter, w->path,
	    meta.type == ZC_TYPE_DIR))
		return (0);	/* excluded: and not descended into */
	if (w->prune != NULL && strcmp(w->path, w->prune) == 0)
		return (0);	/* left out with all beneath it */
	tlen = 0;
	if (meta.type == ZC_TYPE_SYMLINK) {
		r = readlinkat(dfd, name, target, sizeof target);
		if (r <= 0 || (size_t)r >= sizeof target) {
			zc_log_warn("skipping symlink %s: %s", w->path,
			    r < 0 ? strerror(errno) : "bad length");
			return (0);
		}
		tlen = (size_t)r;
		target[tlen] = '\0';
		meta.size = tlen;
	}
	memset(&x, 0, sizeof x);
	if (meta.type == ZC_TYPE_SYMLINK) {
		x.target = target;
		x.target_len = tlen;
	}
	if (meta.type == ZC_TYPE_FILE && st.st_nlink > 1) {
		/* HARDLINK: the inode, for grouping and manifests. */
		x.link_id = (uint64_t)st.st_ino;
		x.link_dev = (uint32_t)(st.st_dev ^
		    ((uint64_t)st.st_dev >> 32));
	}
	xnone = 0;
	if (w->m->walk_flags & ZC_MANIFEST_XATTR)
		x.xattr_hash = manifest_xattr_hash(w, dfd, name, &xnone);
	idx = zc_manifest_add_extra(w->m, &meta, w->path + w->base,
	    plen + (plen ? 1 : 0) + nlen - w->base, &x, f->parent);
	if (idx < 0)
		return (manifest_walk_fail(w, idx, "%s: %s", w->path,
		    strerror(-idx)));
	if (xnone && meta.type == ZC_TYPE_FILE)
		w->m->v[idx].flags |= ZC_MENTRY_XNONE;
	if (meta.type != ZC_TYPE_DIR)
		return (0);
	cfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (cfd == -1) {
		if (errno == ENOENT)
			return (0);
		return (manifest_walk_fail(w, -errno, "%s: %s", w->path,
		    strerror(errno)));
	}
	/* f is not used past here: the push may move the stack. */
	return (manifest_walk_push(w, cfd, plen + (plen ? 1 : 0) + nlen,
	    (uint32_t)idx));
}

/* The first walk's start (zc_manifest_xnone()). */
static void
manifest_walk_start(struct zc_manifest *m)
{
	struct timespec	ts;

	if (m->walk_t0 != 0 ||
	    clock_gettime(CLOCK_REALTIME_COARSE, &ts) == -1)
		return;
	m->walk_t0 = (uint64_t)ts.tv_sec * 1000000000 +
	    (uint64_t)ts.tv_nsec;
}

int
zc_mwalk_start(struct zc_manifest *m, int root_fd, const char *base,
    struct zc_filter *filter, int flags, const char *prune,
    struct zc_mwalk **out, char *err, size_t errlen)
{
	struct zc_mwalk	*w;
	size_t		 blen = strlen(base);
	int		 error;

	*out = NULL;
	if (blen >= ZC_PATH_MAX) {
		snprintf(err, errlen, "%s: path too long", base);
		return (-ENAMETOOLONG);
	}
	manifest_walk_start(m);
	w = xcalloc(1, sizeof *w);
	w->m = m;
	w->filter = filter;
	w->flags = flags;
	if (prune != NULL)
		w->prune = xstrdup(prune);
	memcpy(w->path, base, blen + 1);
	w->base = blen ? blen + 1 : 0;
	if ((error = manifest_walk_push(w, root_fd, blen,
	    ZC_MANIFEST_NONE)) != 0) {
		snprintf(err, errlen, "%s", w->err);
		zc_mwalk_free(w);
		return (error);
	}
	*out = w;
	return (0);
}

int
zc_mwalk_step(struct zc_mwalk *w, size_t max, char *err, size_t errlen)
{
	int	error;

	while (w->error == 0 && w->depth > 0 && max > 0) {
		if (w->stack[w->depth - 1].i == w->stack[w->depth - 1].n) {
			manifest_walk_pop(w);
			continue;
		}
		max--;
		if ((error = manifest_walk_name(w)) != 0)
			break;
	}
	if (w->error != 0) {
		snprintf(err, errlen, "%s", w->err);
		return (w->error);
	}
	return (w->depth == 0);
}

int
zc_mwalk_done(const struct zc_mwalk *w)
{
	return (w == NULL || (w->error == 0 && w->depth == 0));
}

void
zc_mwalk_free(struct zc_mwalk *w)
{
	if (w == NULL)
		return;
	while (w->depth > 0)
		manifest_walk_pop(w);
	free(w->stack);
	free(w->prune);
	free(w);
}

int
zc_manifest_walk(struct zc_manifest *m, int root_fd, char *err, size_t errlen)
{
	return (zc_manifest_walk_flags(m, root_fd, 0, err, errlen));
}

int
zc_manifest_xnone(const struct zc_manifest *m, const struct zc_mentry *e,
    const struct stat *st)
{
	uint64_t	ctime;

	if (!(e->flags & ZC_MENTRY_XNONE) || m->walk_t0 == 0)
		return (0);
	ctime = (uint64_t)st->st_ctim.tv_sec * 1000000000 +
	    (uint64_t)st->st_ctim.tv_nsec;
	return (ctime < m->walk_t0);
}

int
zc_manifest_walk_flags(struct zc_manifest *m, int root_fd, int flags,
    char *err, size_t errlen)
{
	return (zc_manifest_walk_filtered(m, root_fd, "", NULL, flags, err,
	    errlen));
}

int
zc_manifest_walk_filtered(struct zc_manifest *m, int root_fd,
    const char *base, struct zc_filter *filter, int flags, char *err,
    size_t errlen)
{
	struct zc_mwalk	*w;
	int		 error;

	if ((error = zc_mwalk_start(m, root_fd, base, filter, flags, NULL, &w,
	    err, errlen)) != 0)
		return (error);
	error = zc_mwalk_step(w, SIZE_MAX, err, errlen);
	zc_mwalk_free(w);
	return (error < 0 ? error : 0);
}

/*
 * Remove top and everything beneath it (contiguous in a pre-order walk)
 * from m; parent indices after it move down.  The number removed.
 */
size_t
zc_manifest_drop(struct zc_manifest *m, const char *top)
{
	struct zc_mentry	*e;
	size_t			 i, end, n = strlen(top), k;

	if ((e = zc_manifest_find(m, top)) == NULL)
		return (0);
	i = (size_t)(e - m->v);
	for (end = i + 1; end < m->n; end++)
		if (strncmp(m->v[end].path, top, n) != 0 ||
		    m->v[end].path[n] != '/')
			break;
	k = end - i;
	/* Their names stay in the chunks until zc_manifest_free(). */
	memmove(&m->v[i], &m->v[end], (m->n - end) * sizeof *m->v);
	m->n -= k;
	for (e = &m->v[i]; e < &m->v[m->n]; e++)
		if (e->parent != ZC_MANIFEST_NONE && e->parent >= end)
			e->parent -= (uint32_t)k;
	/* Same table size, filled again. */
	m->nslots /= 2;
	manifest_rehash(m);
	return (k);
}
