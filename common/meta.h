/*
 * meta.h: struct zc_meta (proto.h) from fstat() to the wire to futimens().
 */
#ifndef ZC_META_H
#define ZC_META_H

#include <sys/stat.h>

#include "proto.h"

#define ZC_META_CHOWN	0x1	/* apply uid/gid (we are root) */

/* Fill m from st: 0, or -ENOTSUP for types we do not carry (fifo, dev). */
int	zc_meta_from_stat(const struct stat *st, struct zc_meta *m);

/*
 * Apply mode, owner (with ZC_META_CHOWN) and mtime to an open regular file
 * or directory: 0 or the first -errno.  Owner first, then mode (chown can
 * clear set-id bits), then times.
 */
int	zc_meta_apply_fd(int fd, const struct zc_meta *m, int flags);

/* The same for a symlink leaf in dirfd (owner and times; links have no mode). */
int	zc_meta_apply_link(int dirfd, const char *leaf, const struct zc_meta *m,
	    int flags);

/* 1 if the body need not move: same type, size and mtime to the ns. */
int	zc_meta_same_content(const struct zc_meta *a, const struct zc_meta *b);

/* 1 if mode (not for links) and, with ZC_META_CHOWN, owner are equal. */
int	zc_meta_same_attrs(const struct zc_meta *a, const struct zc_meta *b,
	    int flags);

#endif
