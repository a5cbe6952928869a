/*
 * xattr.c: extended attributes and POSIX ACLs as the XATTR block.
 *
 * An entry is reached by a held fd (files and directories: f*xattr) or,
 * for a symlink, by its leaf in a held parent directory through
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
#include <sys/types.h>
#include <sys/xattr.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "log.h"
#include "xattr.h"
#include "xmalloc.h"

/* The kernel's XATTR_LIST_MAX: a list never passes it. */
#define XATTR_LIST_CAP		65536
#define XATTR_RETRIES		4	/* the list or a value grew meanwhile */

/* Where the attributes are: an fd, or a /proc path not followed. */
struct xattr_at {
	int	 fd;
	char	 path[64 + 256];
};

static int
xattr_at_init(struct xattr_at *a, int fd, int dirfd, const char *leaf)
{
	a->fd = fd;
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
	if (a->fd >= 0)
		return (flistxattr(a->fd, buf, size));
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
		if ((n = xattr_list(a, NULL, 0)) < 0)
			return (errno == ENOTSUP ? 0 : -errno);
		if (n == 0)
			return (0);
		if (n > XATTR_LIST_CAP)
			return (-E2BIG);
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
		if ((n = xattr_get(a, name, NULL, 0)) < 0)
			return (errno == ENODATA ? 0 : -errno);
		if (n > ZC_XATTR_VALUE_MAX)
			return (-E2BIG);
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

	/* Then remove what the sender does not have, in our namespaces. */
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
