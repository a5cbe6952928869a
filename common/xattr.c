/*
 * xattr.c: extended attributes and POSIX ACLs as the XATTR block.
 *
 * An entry is reached by a held fd (files and directories: f*xattr) or,
 * for a symlink and in the tree walk, by its leaf in a held parent
 * directory: listxattrat(2) where the kernel has it, else through
 * /proc/self/fd/N/leaf with the l* calls: the magic link names the
 * directory we hold, and l* does not follow the leaf.  Nothing goes by a
 * path a local user could swap.
 *
 * POSIX ACLs are the system.posix_acl_access and system.posix_acl_default
 * attributes in the kernel's binary format (struct posix_acl_xattr_header
 * and _entry in <linux/posix_acl_xattr.h>: le32 version 2, then le16 tag,
 * le16 perm, le32 id per entry), the same on every Linux, so they travel
 * as attributes.  Linux refuses user.* on symlinks (xattr(7)), so a
 * symlink only ever carries security.* and trusted.*.
 */
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include <fcntl.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "log.h"
#include "owner.h"
#include "proto.h"
#include "xattr.h"
#include "xmalloc.h"

/* The kernel's XATTR_LIST_MAX: a list never passes it. */
#define XATTR_LIST_CAP		65536
#define XATTR_RETRIES		4	/* the list or a value grew meanwhile */

/*
 * listxattrat(2), Linux 6.13: the list of a leaf in a held directory in
 * one call, without the walk through /proc (the tree walk's cost per entry
 * when nothing has attributes).  glibc has no wrapper yet; on an older
 * kernel it is ENOSYS and the /proc path serves.
 */
#if defined(__x86_64__) && !defined(SYS_listxattrat)
#define SYS_listxattrat		465
#endif

/* Where the attributes are: an fd, or a /proc path not followed. */
struct xattr_at {
	int		 fd;
	int		 dirfd;		/* with leaf: listxattrat */
	const char	*leaf;
	char		 path[64 + 256];
};

static int
xattr_at_init(struct xattr_at *a, int fd, int dirfd, const char *leaf)
{
	a->fd = fd;
	a->dirfd = dirfd;
	a->leaf = leaf;
	a->path[0] = '\0';
	if (fd >= 0)
		return (0);
	if (leaf == NULL || *leaf == '\0' || strchr(leaf, '/') != NULL ||
	    strlen(leaf) > 255)
		return (-EINVAL);
	snprintf(a->path, sizeof a->path, "/proc/self/fd/%d/%s", dirfd, leaf);
	return (0);
}

static ssize_t
xattr_list(const struct xattr_at *a, char *buf, size_t size)
{
#ifdef SYS_listxattrat
	long	n;
#endif

	if (a->fd >= 0)
		return (flistxattr(a->fd, buf, size));
#ifdef SYS_listxattrat
	n = syscall(SYS_listxattrat, a->dirfd, a->leaf, AT_SYMLINK_NOFOLLOW,
	    buf, size);
	if (n >= 0 || errno != ENOSYS)
		return ((ssize_t)n);
#endif
	return (llistxattr(a->path, buf, size));
}

static ssize_t
xattr_get(const struct xattr_at *a, const char *name, void *buf, size_t size)
{
	if (a->fd >= 0)
		return (fgetxattr(a->fd, name, buf, size));
	return (lgetxattr(a->path, name, buf, size));
}

static int
xattr_set(const struct xattr_at *a, const char *name, const void *v,
    size_t size)
{
	if (a->fd >= 0)
		return (fsetxattr(a->fd, name, v, size, 0));
	return (lsetxattr(a->path, name, v, size, 0));
}

static int
xattr_remove(const struct xattr_at *a, const char *name)
{
	if (a->fd >= 0)
		return (fremovexattr(a->fd, name));
	return (lremovexattr(a->path, name));
}

static int
xattr_prefix(const char *name, size_t len, const char *prefix)
{
	size_t	n = strlen(prefix);

	return (len > n && memcmp(name, prefix, n) == 0);
}

static int
xattr_exact(const char *name, size_t len, const char *s)
{
	return (len == strlen(s) && memcmp(name, s, len) == 0);
}

/* The namespaces that travel. */
int
zc_xattr_name_ok(const char *name, size_t len)
{
	if (len == 0 || len > ZC_XATTR_NAME_MAX ||
	    memchr(name, '\0', len) != NULL)
		return (0);
	return (xattr_prefix(name, len, "user.") ||
	    xattr_prefix(name, len, "security.") ||
	    xattr_prefix(name, len, "trusted.") ||
	    xattr_exact(name, len, "system.posix_acl_access") ||
	    xattr_exact(name, len, "system.posix_acl_default"));
}

/* May we set (and so remove) name here? */
static int
xattr_ours(const char *name, size_t len, int flags)
{
	if (xattr_prefix(name, len, "security.") ||
	    xattr_prefix(name, len, "trusted."))
		return ((flags & ZC_XATTR_PRIV) != 0);
	return (zc_xattr_name_ok(name, len));
}

/* Bytewise order of two names (strcmp compares as unsigned char). */
static int
xattr_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	c;

	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return (c);
	return (alen < blen ? -1 : alen > blen);
}

static uint32_t
xattr_r32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

/*
 * Walk a block: call fn for each attribute (fn may be NULL).  0, or
 * -EPROTO for a malformed block.
 */
typedef int (*xattr_each_cb)(void *arg, const char *name, size_t nlen,
    const uint8_t *v, size_t vlen);

static int
xattr_walk(const uint8_t *blk, size_t len, xattr_each_cb fn, void *arg)
{
	const uint8_t	*name, *prev = NULL;
	size_t		 off, nlen, prevlen = 0;
	uint32_t	 vlen, count, i;
	int		 r;

	if (blk == NULL || len < 2)
		return (-EPROTO);
	count = (uint32_t)blk[0] << 8 | blk[1];
	off = 2;
	for (i = 0; i < count; i++) {
		if (len - off < 1)
			return (-EPROTO);
		nlen = blk[off++];
		if (len - off < nlen + 4)
			return (-EPROTO);
		name = blk + off;
		off += nlen;
		vlen = xattr_r32(blk + off);
		off += 4;
		if (!zc_xattr_name_ok((const char *)name, nlen) ||
		    vlen > ZC_XATTR_VALUE_MAX || len - off < vlen)
			return (-EPROTO);
		if (prev != NULL && xattr_cmp(prev, prevlen, name, nlen) >= 0)
			return (-EPROTO);
		if (fn != NULL &&
		    (r = fn(arg, (const char *)name, nlen, blk + off, vlen)) != 0)
			return (r);
		prev = name;
		prevlen = nlen;
		off += vlen;
	}
	return (off == len ? 0 : -EPROTO);
}

/* Check a block from the wire. */
int
zc_xattr_check(const uint8_t *blk, size_t len)
{
	return (xattr_walk(blk, len, NULL, NULL));
}

/* XXH3-64 of the block, 0 for none (a real 0 is taken as 1). */
uint64_t
zc_xattr_hash(const uint8_t *blk, size_t len)
{
	uint64_t	h;

	if (blk == NULL || len <= ZC_XATTR_EMPTY_LEN)
		return (0);
	h = XXH3_64bits(blk, len);
	if (h == ZC_XATTR_UNKEPT)
		h--;
	return (h == 0 ? 1 : h);
}

/*
 * POSIX ACL values, <linux/posix_acl_xattr.h>: le32 a_version (2), then
 * per entry le16 e_tag, le16 e_perm, le32 e_id.  Only ACL_USER and
 * ACL_GROUP entries carry an id that means anything.
 */
#define XATTR_ACL_VERSION	2
#define XATTR_ACL_HDR		4
#define XATTR_ACL_ENTRY		8
#define XATTR_ACL_USER		0x02
#define XATTR_ACL_GROUP		0x08

static int
xattr_is_acl(const char *name, size_t nlen)
{
	return (xattr_exact(name, nlen, "system.posix_acl_access") ||
	    xattr_exact(name, nlen, "system.posix_acl_default"));
}

static uint32_t
xattr_le(const uint8_t *p, int n)
{
	uint32_t	v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return (v);
}

/* A value in the ACL format?  Others are left alone. */
static int
xattr_acl_ok(const uint8_t *v, size_t vlen)
{
	return (vlen >= XATTR_ACL_HDR &&
	    (vlen - XATTR_ACL_HDR) % XATTR_ACL_ENTRY == 0 &&
	    xattr_le(v, 4) == XATTR_ACL_VERSION);
}

/* The IDMAP kind of an entry's tag, or 0 for one without an id. */
static uint8_t
xattr_acl_kind(const uint8_t *e)
{
	switch (xattr_le(e, 2)) {
	case XATTR_ACL_USER:
		return (ZC_IDMAP_USER);
	case XATTR_ACL_GROUP:
		return (ZC_IDMAP_GROUP);
	}
	return (0);
}

struct xattr_acl_walk {
	zc_xattr_id_cb	 fn;
	void		*arg;
};

static int
xattr_acl_ids_one(void *arg, const char *name, size_t nlen, const uint8_t *v,
    size_t vlen)
{
	struct xattr_acl_walk	*w = arg;
	size_t			 off;
	uint8_t			 kind;
	int			 r;

	if (!xattr_is_acl(name, nlen) || !xattr_acl_ok(v, vlen))
		return (0);
	for (off = XATTR_ACL_HDR; off < vlen; off += XATTR_ACL_ENTRY) {
		if ((kind = xattr_acl_kind(v + off)) != 0 &&
		    (r = w->fn(w->arg, kind, xattr_le(v + off + 4, 4))) != 0)
			return (r);
	}
	return (0);
}

/* The ids of the named entries of blk's ACLs; see xattr.h. */
int
zc_xattr_acl_ids(const uint8_t *blk, size_t len, zc_xattr_id_cb fn,
    void *arg)
{
	struct xattr_acl_walk	w = { fn, arg };
	int			r;

	r = xattr_walk(blk, len, xattr_acl_ids_one, &w);
	return (r == -EPROTO ? 0 : r);
}

static int
xattr_acl_entry_cmp(const void *a, const void *b)
{
	const uint8_t	*x = a, *y = b;
	uint32_t	 tx = xattr_le(x, 2), ty = xattr_le(y, 2);
	uint32_t	 ix = xattr_le(x + 4, 4), iy = xattr_le(y + 4, 4);

	if (tx != ty)
		return (tx < ty ? -1 : 1);
	return (ix < iy ? -1 : ix > iy);
}

struct xattr_acl_remap {
	uint8_t		*blk;		/* the writable copy */
	const uint8_t	*base;		/* the same, as xattr_walk sees it */
	zc_xattr_map_cb	 map;
	void		*arg;
};

static int
xattr_acl_map_one(void *arg, const char *name, size_t nlen, const uint8_t *v,
    size_t vlen)
{
	struct xattr_acl_remap	*m = arg;
	uint8_t			*w, kind;
	uint32_t		 id;
	size_t			 off;

	if (!xattr_is_acl(name, nlen) || !xattr_acl_ok(v, vlen))
		return (0);
	w = m->blk + (v - m->base);
	for (off = XATTR_ACL_HDR; off < vlen; off += XATTR_ACL_ENTRY) {
		if ((kind = xattr_acl_kind(w + off)) == 0)
			continue;
		id = m->map(m->arg, kind, xattr_le(w + off + 4, 4));
		w[off + 4] = (uint8_t)id;
		w[off + 5] = (uint8_t)(id >> 8);
		w[off + 6] = (uint8_t)(id >> 16);
		w[off + 7] = (uint8_t)(id >> 24);
	}
	/* The kernel wants each tag's entries by ascending id. */
	if (vlen > XATTR_ACL_HDR + XATTR_ACL_ENTRY)
		qsort(w + XATTR_ACL_HDR, (vlen - XATTR_ACL_HDR) /
		    XATTR_ACL_ENTRY, XATTR_ACL_ENTRY, xattr_acl_entry_cmp);
	return (0);
}

/* Map the named ACL entries' ids in place; see xattr.h. */
void
zc_xattr_acl_map(uint8_t *blk, size_t len, zc_xattr_map_cb map, void *arg)
{
	struct xattr_acl_remap	m = { blk, blk, map, arg };

	(void)xattr_walk(blk, len, xattr_acl_map_one, &m);
}

static int
xattr_has_named(void *arg, uint8_t kind, uint32_t id)
{
	(void)arg;
	(void)kind;
	(void)id;
	return (1);
}

/* A growing byte string for the named hash. */
struct xattr_str {
	uint8_t	*p;
	size_t	 len, cap;
};

static void
xattr_str_add(struct xattr_str *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 64;
		s->p = xrealloc(s->p, s->cap);
	}
	if (n != 0)
		memcpy(s->p + s->len, p, n);
	s->len += n;
}

static int
xattr_repr_cmp(const void *a, const void *b)
{
	const struct xattr_str	*x = a, *y = b;
	int			 c;

	c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return (c);
	return (x->len < y->len ? -1 : x->len > y->len);
}

static int
xattr_named_one(void *arg, const char *name, size_t nlen, const uint8_t *v,
    size_t vlen)
{
	struct xattr_str	*out = arg, *rep;
	uint8_t			 b[8], kind, n8;
	char			*who;
	size_t			 i, n, off;
	uint32_t		 id;

	n8 = (uint8_t)nlen;
	xattr_str_add(out, &n8, 1);
	xattr_str_add(out, name, nlen);
	if (!xattr_is_acl(name, nlen) || !xattr_acl_ok(v, vlen)) {
		b[0] = 'V';
		b[1] = (uint8_t)(vlen >> 24);
		b[2] = (uint8_t)(vlen >> 16);
		b[3] = (uint8_t)(vlen >> 8);
		b[4] = (uint8_t)vlen;
		xattr_str_add(out, b, 5);
		xattr_str_add(out, v, vlen);
		return (0);
	}
	/*
	 * Each entry as tag (big-endian, so they sort by tag), perm, then
	 * its id as a name where we have one; sorted, since the ids' order
	 * is not the names'.
	 */
	n = (vlen - XATTR_ACL_HDR) / XATTR_ACL_ENTRY;
	rep = xcalloc(n, sizeof *rep);
	for (i = 0; i < n; i++) {
		off = XATTR_ACL_HDR + i * XATTR_ACL_ENTRY;
		b[0] = v[off + 1];
		b[1] = v[off];
		b[2] = v[off + 3];
		b[3] = v[off + 2];
		xattr_str_add(&rep[i], b, 4);
		id = xattr_le(v + off + 4, 4);
		who = NULL;
		if ((kind = xattr_acl_kind(v + off)) != 0 &&
		    (who = zc_owner_name(kind, id)) != NULL) {
			xattr_str_add(&rep[i], "n", 1);
			xattr_str_add(&rep[i], who, strlen(who) + 1);
		} else {
			b[4] = '#';
			b[5] = (uint8_t)(id >> 24);
			xattr_str_add(&rep[i], b + 4, 2);
			b[0] = (uint8_t)(id >> 16);
			b[1] = (uint8_t)(id >> 8);
			b[2] = (uint8_t)id;
			xattr_str_add(&rep[i], b, 3);
		}
		free(who);
	}
	if (n > 1)
		qsort(rep, n, sizeof *rep, xattr_repr_cmp);
	xattr_str_add(out, "A", 1);
	for (i = 0; i < n; i++) {
		b[0] = (uint8_t)(rep[i].len >> 8);
		b[1] = (uint8_t)rep[i].len;
		xattr_str_add(out, b, 2);
		xattr_str_add(out, rep[i].p, rep[i].len);
		free(rep[i].p);
	}
	free(rep);
	return (0);
}

/* The hash with ACL ids as names; see xattr.h. */
uint64_t
zc_xattr_hash_named(const uint8_t *blk, size_t len)
{
	struct xattr_str	s;
	uint64_t		h;

	if (zc_xattr_acl_ids(blk, len, xattr_has_named, NULL) == 0)
		return (zc_xattr_hash(blk, len));
	memset(&s, 0, sizeof s);
	(void)xattr_walk(blk, len, xattr_named_one, &s);
	h = XXH3_64bits(s.p, s.len);
	free(s.p);
	if (h == ZC_XATTR_UNKEPT)
		h--;
	return (h == 0 ? 1 : h);
}

static int
xattr_sort_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* The names list of a: *list (owned) and *n, or -errno. */
static int
xattr_names(const struct xattr_at *a, char **listp, size_t *lenp)
{
	char	*list = NULL;
	ssize_t	 n;
	int	 tries;

	*listp = NULL;
	*lenp = 0;
	for (tries = 0; tries < XATTR_RETRIES; tries++) {
		if ((n = xattr_list(a, NULL, 0)) <= 0 || n > XATTR_LIST_CAP) {
			/* None, none here (ENOTSUP), or more than there can be. */
			n = n > XATTR_LIST_CAP ? -E2BIG : n == 0 ? 0 :
			    errno == ENOTSUP ? 0 : -errno;
			free(list);
			return ((int)n);
		}
		list = xrealloc(list, (size_t)n);
		if ((n = xattr_list(a, list, (size_t)n)) >= 0) {
			*listp = list;
			*lenp = (size_t)n;
			return (0);
		}
		if (errno != ERANGE)
			break;
	}
	n = errno == ERANGE ? -EAGAIN : -errno;
	free(list);
	return ((int)n);
}

/* One value of a into *v (owned): its length, 0 if gone, or -errno. */
static ssize_t
xattr_value(const struct xattr_at *a, const char *name, uint8_t **vp)
{
	uint8_t	*v = NULL;
	ssize_t	 n;
	int	 tries;

	*vp = NULL;
	for (tries = 0; tries < XATTR_RETRIES; tries++) {
		if ((n = xattr_get(a, name, NULL, 0)) < 0 ||
		    n > ZC_XATTR_VALUE_MAX) {
			/* Gone meanwhile (ENODATA): not an error. */
			n = n > ZC_XATTR_VALUE_MAX ? -E2BIG :
			    errno == ENODATA ? 0 : -errno;
			free(v);
			return (n);
		}
		v = xrealloc(v, n == 0 ? 1 : (size_t)n);
		if ((n = xattr_get(a, name, v, (size_t)n)) >= 0) {
			*vp = v;
			return (n);
		}
		if (errno != ERANGE)
			break;
	}
	n = errno == ENODATA ? 0 : -errno;
	free(v);
	return (n);
}

/* Read the canonical block of an entry; see xattr.h. */
int
zc_xattr_read(int fd, int dirfd, const char *leaf, int flags, uint8_t **blkp,
    size_t *lenp)
{
	struct xattr_at	  a;
	char		 *list = NULL, **names = NULL, *p;
	uint8_t		 *blk = NULL, *v;
	size_t		  llen, n = 0, i, nlen, len, count = 0;
	ssize_t		  vlen;
	int		  error;

	*blkp = NULL;
	*lenp = 0;
	if ((error = xattr_at_init(&a, fd, dirfd, leaf)) != 0)
		return (error);
	if ((error = xattr_names(&a, &list, &llen)) != 0)
		return (error);
	/* The list is NUL-separated names; keep those that travel. */
	for (p = list; p < list + llen; p += nlen + 1) {
		nlen = strnlen(p, list + llen - p);
		if (p + nlen == list + llen)
			break;		/* unterminated: the kernel never */
		if (!zc_xattr_name_ok(p, nlen) ||
		    (xattr_prefix(p, nlen, "trusted.") &&
		    !(flags & ZC_XATTR_PRIV)))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = p;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, xattr_sort_cmp);

	blk = xmalloc(ZC_XATTR_EMPTY_LEN);
	len = ZC_XATTR_EMPTY_LEN;
	for (i = 0; i < n && count < UINT16_MAX; i++) {
		nlen = strlen(names[i]);
		if ((vlen = xattr_value(&a, names[i], &v)) < 0) {
			if (vlen == -E2BIG) {
				zc_log_info("skipping attribute %s: value "
				    "over %d bytes", names[i],
				    ZC_XATTR_VALUE_MAX);
				continue;
			}
			error = (int)vlen;
			goto out;
		}
		if (v == NULL)
			continue;	/* removed meanwhile */
		if (len + 1 + nlen + 4 + (size_t)vlen > ZC_XATTR_BLOCK_MAX) {
			zc_log_info("skipping attribute %s: the block would "
			    "pass %d bytes", names[i], ZC_XATTR_BLOCK_MAX);
			free(v);
			continue;
		}
		blk = xrealloc(blk, len + 1 + nlen + 4 + (size_t)vlen);
		blk[len++] = (uint8_t)nlen;
		memcpy(blk + len, names[i], nlen);
		len += nlen;
		blk[len++] = (uint8_t)((uint32_t)vlen >> 24);
		blk[len++] = (uint8_t)((uint32_t)vlen >> 16);
		blk[len++] = (uint8_t)((uint32_t)vlen >> 8);
		blk[len++] = (uint8_t)vlen;
		if (vlen > 0)
			memcpy(blk + len, v, (size_t)vlen);
		len += (size_t)vlen;
		free(v);
		count++;
	}
	blk[0] = (uint8_t)(count >> 8);
	blk[1] = (uint8_t)count;
	*blkp = blk;
	*lenp = len;
	blk = NULL;
	error = 0;
out:
	free(blk);
	free(names);
	free(list);
	return (error);
}

struct xattr_apply {
	const struct xattr_at	*a;
	int			 flags;
	int			 error;
	int			 notsup;
};

static int
xattr_apply_one(void *arg, const char *name, size_t nlen, const uint8_t *v,
    size_t vlen)
{
	struct xattr_apply	*ap = arg;
	char			 buf[ZC_XATTR_NAME_MAX + 1];

	if (!xattr_ours(name, nlen, ap->flags)) {
		zc_log_debug("%s: not ours to set: %.*s", __func__, (int)nlen,
		    name);
		return (0);
	}
	memcpy(buf, name, nlen);
	buf[nlen] = '\0';
	if (xattr_set(ap->a, buf, v, vlen) == 0)
		return (0);
	if (errno == ENOTSUP)
		ap->notsup = 1;
	else if (errno == EPERM && ap->a->fd < 0 &&
	    xattr_prefix(name, nlen, "user."))
		;	/* a symlink: Linux allows no user.* there */
	else if (ap->error == 0)
		ap->error = -errno;
	return (0);
}

struct xattr_find {
	const char	*name;
	size_t		 nlen;
	int		 found;
};

static int
xattr_find_one(void *arg, const char *name, size_t nlen, const uint8_t *v,
    size_t vlen)
{
	struct xattr_find	*f = arg;

	(void)v;
	(void)vlen;
	if (nlen == f->nlen && memcmp(name, f->name, nlen) == 0) {
		f->found = 1;
		return (1);
	}
	return (0);
}

/* Apply blk to an entry; see xattr.h. */
int
zc_xattr_apply(int fd, int dirfd, const char *leaf, const uint8_t *blk,
    size_t len, int flags)
{
	struct xattr_at		a;
	struct xattr_apply	ap;
	struct xattr_find	f;
	char			*list = NULL, *p;
	size_t			 llen, nlen;
	int			 error;

	if ((error = xattr_at_init(&a, fd, dirfd, leaf)) != 0)
		return (error);
	if (zc_xattr_check(blk, len) != 0)
		return (-EINVAL);
	memset(&ap, 0, sizeof ap);
	ap.a = &a;
	ap.flags = flags;
	(void)xattr_walk(blk, len, xattr_apply_one, &ap);

	/*
	 * Then remove what the sender does not have, in our namespaces: a
	 * fresh file in a bare directory has nothing else (no list to read).
	 */
	if ((flags & ZC_XATTR_FRESH) && fd >= 0)
		goto out;
	if ((error = xattr_names(&a, &list, &llen)) != 0) {
		if (ap.error == 0)
			ap.error = error;
		goto out;
	}
	for (p = list; p < list + llen; p += nlen + 1) {
		nlen = strnlen(p, list + llen - p);
		if (p + nlen == list + llen)
			break;
		if (!xattr_ours(p, nlen, flags))
			continue;
		memset(&f, 0, sizeof f);
		f.name = p;
		f.nlen = nlen;
		(void)xattr_walk(blk, len, xattr_find_one, &f);
		if (f.found)
			continue;
		if (xattr_remove(&a, p) == -1 && errno != ENODATA &&
		    errno != ENOTSUP && ap.error == 0 &&
		    !xattr_prefix(p, nlen, "security."))
			ap.error = -errno;
	}
out:
	free(list);
	if (ap.error != 0)
		return (ap.error);
	return (ap.notsup ? -ENOTSUP : 0);
}

/* Does a new file in dirfd inherit attributes of ours?  See xattr.h. */
int
zc_xattr_dir_bare(int dirfd)
{
	struct xattr_at	 a;
	char		*list, *p;
	size_t		 llen, nlen;
	int		 bare = 1;

	if (xattr_at_init(&a, dirfd, -1, NULL) != 0 ||
	    xattr_names(&a, &list, &llen) != 0)
		return (0);
	for (p = list; p < list + llen; p += nlen + 1) {
		nlen = strnlen(p, list + llen - p);
		if (xattr_exact(p, nlen, "system.posix_acl_default") ||
		    xattr_prefix(p, nlen, "security.")) {
			bare = 0;
			break;
		}
	}
	free(list);
	return (bare);
}
