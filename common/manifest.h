/*
 * manifest.h: the entries of a tree, in pre-order walk order, with an
 * index by path.  The receiver walks its set root and sends this; the
 * sender walks its source and compares.
 */
#ifndef ZC_MANIFEST_H
#define ZC_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define ZC_MANIFEST_MAX		(16U * 1024 * 1024)	/* entries */
#define ZC_MANIFEST_NONE	UINT32_MAX

struct zc_mentry {
	struct zc_meta	 meta;
	char		*path;		/* owned; relative, NUL-terminated */
	char		*target;	/* owned; symlinks only, else NULL */
	uint32_t	 parent;	/* index of the parent dir, or NONE */
	uint64_t	 link_id;	/* HARDLINK: st_ino of a file whose
					   nlink > 1, else 0 */
	uint32_t	 link_dev;	/* its st_dev, folded to 32 bits */
	uint64_t	 xattr_hash;	/* XATTR: zc_xattr_hash(), 0: none */
	uint64_t	 xattr_ctime;	/* XATTR: st_ctim in ns of a file the
					   walk read no attributes of, else 0 */
	uint32_t	 flags;
#define ZC_MENTRY_SEEN	0x1		/* matched by the other side */
#define ZC_MENTRY_SEND	0x2		/* sender: send this entry */
#define ZC_MENTRY_META	0x4		/* sender: metadata only */
#define ZC_MENTRY_DIRTY	0x8		/* sender: dir whose contents change */
#define ZC_MENTRY_DEL	0x10		/* sender: delete on the receiver */
#define ZC_MENTRY_HLINK	0x80		/* sender: LINK to its group's first */
};

struct zc_manifest {
	struct zc_mentry *v;		/* owned */
	size_t		  n;
	size_t		  cap;
	uint32_t	 *slots;	/* owned; open addressing, index + 1 */
	size_t		  nslots;	/* power of two */
	uint64_t	  skipped_specials; /* the walk left these out */
	int		  skipped_kinds;    /* ZC_SPECIAL_KIND_* of them */
	int		  walk_flags;	/* set before zc_manifest_walk */
#define ZC_MANIFEST_XATTR	0x1	/* hash each entry's attributes */
#define ZC_MANIFEST_XPRIV	0x2	/* trusted.* too (we are root) */
#define ZC_MANIFEST_XNAMES	0x4	/* ACL ids hashed as names (IDMAP) */
};

struct zc_manifest *zc_manifest_new(void);
void	zc_manifest_free(struct zc_manifest *);

/*
 * Append an entry (path/target need not be NUL-terminated): its index, or
 * -EEXIST for a duplicate path, -E2BIG past ZC_MANIFEST_MAX.
 */
int	zc_manifest_add(struct zc_manifest *, const struct zc_meta *,
	    const char *path, size_t path_len, const char *target,
	    size_t target_len, uint32_t parent);

/* Remove path and its subtree: how many entries went. */
size_t	zc_manifest_drop(struct zc_manifest *, const char *path);

/*
 * A stat's st_ctim as xattr_ctime keeps it: nanoseconds, never 0.  An
 * attribute set or removed moves it (the ctime of a file just stat()ed
 * moves on its next change, to the nanosecond where the file system keeps
 * multigrain times).
 */
struct stat;
uint64_t zc_manifest_ctime(const struct stat *);

/* The entry for path, or NULL. */
struct zc_mentry *zc_manifest_find(const struct zc_manifest *,
	    const char *path);

/*
 * Walk the tree beneath root_fd (never following symlinks, skipping our
 * temporary names, fifos, devices and sockets) in pre-order with names
 * sorted bytewise.  0, or -errno with err naming the path.  Entries that
 * vanish during the walk are skipped.
 */
int	zc_manifest_walk(struct zc_manifest *, int root_fd, char *err,
	    size_t errlen);
/*
 * The same; with ZC_MANIFEST_SPECIALS fifos, sockets and devices are
 * listed too (SPECIAL), otherwise counted in skipped_specials.
 */
#define ZC_MANIFEST_SPECIALS	0x1
int	zc_manifest_walk_flags(struct zc_manifest *, int root_fd, int flags,
	    char *err, size_t errlen);
/*
 * The same, leaving out what filter excludes (and all beneath an excluded
 * directory), reading each .zcsyncignore into filter on the way down.
 * root_fd is the directory at base (relative to the set root, "" for the
 * root): entries are named relative to root_fd, rules see the set's path.
 */
struct zc_filter;
int	zc_manifest_walk_filtered(struct zc_manifest *, int root_fd,
	    const char *base, struct zc_filter *filter, int flags, char *err,
	    size_t errlen);

#endif
