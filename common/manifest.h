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
	uint64_t	 xattr_hash;	/* XATTR: zc_xattr_hash(), 0: none */
	uint32_t	 flags;
#define ZC_MENTRY_SEEN	0x1		/* matched by the other side */
#define ZC_MENTRY_SEND	0x2		/* sender: send this entry */
#define ZC_MENTRY_META	0x4		/* sender: metadata only */
#define ZC_MENTRY_DIRTY	0x8		/* sender: dir whose contents change */
#define ZC_MENTRY_DEL	0x10		/* sender: delete on the receiver */
};

struct zc_manifest {
	struct zc_mentry *v;		/* owned */
	size_t		  n;
	size_t		  cap;
	uint32_t	 *slots;	/* owned; open addressing, index + 1 */
	size_t		  nslots;	/* power of two */
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

#endif
