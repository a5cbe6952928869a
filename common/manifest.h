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

/*
 * One entry: 48 bytes.  Its path lives in the manifest's string chunks,
 * and behind it what few entries have (a symlink's target, a hard link's
 * inode, an attribute hash): read them with zc_mentry_target() and the
 * others, which the ZC_MENTRY_HAS_* bits say are there.  At 100,000
 * entries every byte here is 100 KB (docs/benchmarks.md, memory at scale).
 */
struct zc_mentry {
	struct zc_meta	 meta;
	char		*path;		/* borrowed: in the manifest's chunks
					   (or its names'); relative,
					   NUL-terminated */
	uint32_t	 parent;	/* index of the parent dir, or NONE */
	uint32_t	 flags;
#define ZC_MENTRY_SEEN	0x1		/* matched by the other side */
#define ZC_MENTRY_SEND	0x2		/* sender: send this entry */
#define ZC_MENTRY_META	0x4		/* sender: metadata only */
#define ZC_MENTRY_DIRTY	0x8		/* sender: dir whose contents change */
#define ZC_MENTRY_DEL	0x10		/* sender: delete on the receiver */
#define ZC_MENTRY_SAME	0x20		/* sender: the receiver has this file
					   as is (its item was not kept) */
#define ZC_MENTRY_HLINK	0x80		/* sender: LINK to its group's first */
#define ZC_MENTRY_HAS_TARGET	0x100	/* a target follows the path */
#define ZC_MENTRY_HAS_LINK	0x200	/* then link_id, link_dev */
#define ZC_MENTRY_HAS_XATTR	0x400	/* then xattr_hash */
#define ZC_MENTRY_XNONE	0x800		/* XATTR: the walk read none of this
					   file (see zc_manifest_xnone()) */
};

/* What an entry may carry besides its metadata and path. */
struct zc_mextra {
	const char	*target;	/* symlinks; need not end in NUL */
	size_t		 target_len;
	uint64_t	 link_id;	/* HARDLINK: st_ino of a file whose
					   nlink > 1, else 0 */
	uint32_t	 link_dev;	/* its st_dev, folded to 32 bits */
	uint64_t	 xattr_hash;	/* XATTR: zc_xattr_hash(), 0: none */
};

/* A symlink's target ("" if none was given); NULL for other types. */
const char *zc_mentry_target(const struct zc_mentry *);
/* HARDLINK: the inode of a file with more than one link, else 0. */
uint64_t zc_mentry_link_id(const struct zc_mentry *);
uint32_t zc_mentry_link_dev(const struct zc_mentry *);
/* XATTR: the attributes' hash, 0 for none. */
uint64_t zc_mentry_xattr_hash(const struct zc_mentry *);

/*
 * Paths and targets are packed into chunks (a manifest_chunk each) that
 * only zc_manifest_free() releases: no allocation per entry, and a tree's
 * names go back in a few large blocks.
 */
#define ZC_MANIFEST_CHUNK_MIN	1024		/* bytes; then doubling */
#define ZC_MANIFEST_CHUNK_MAX	(256U * 1024)

struct manifest_chunk;
struct zc_manifest {
	struct zc_mentry *v;		/* owned */
	size_t		  n;
	size_t		  cap;
	uint32_t	 *slots;	/* owned; open addressing, index + 1 */
	size_t		  nslots;	/* power of two */
	struct manifest_chunk *chunks;	/* owned; newest first */
	char		 *sp;		/* free bytes of chunks[0] */
	size_t		  sleft;
	size_t		  sbytes;	/* all chunks' sizes */
	/*
	 * Borrowed, NULL: none.  An entry added with nothing but a path
	 * shares the path of the same name here instead of copying it (a
	 * sender's list of the receiver's tree and its own): names must be
	 * freed after this manifest, or with it.
	 */
	const struct zc_manifest *names;
	uint64_t	  skipped_specials; /* the walk left these out */
	int		  skipped_kinds;    /* ZC_SPECIAL_KIND_* of them */
	uint64_t	  walk_t0;	/* the first walk's start, ns of
					   CLOCK_REALTIME_COARSE */
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
/* The same with a hard link's inode and an attribute hash (x: all). */
int	zc_manifest_add_extra(struct zc_manifest *, const struct zc_meta *,
	    const char *path, size_t path_len, const struct zc_mextra *x,
	    uint32_t parent);

/* Remove path and its subtree: how many entries went. */
size_t	zc_manifest_drop(struct zc_manifest *, const char *path);

/*
 * XATTR: may the walk's "no attributes" for e still be taken as true of
 * the file now stat()ed as st?  Yes when the walk read none and st's ctime
 * is before the walk began: setting or removing an attribute moves the
 * ctime, to at least the coarse clock's time then.  Then a sender need not
 * list them again when it sends the file.
 */
struct stat;
int	zc_manifest_xnone(const struct zc_manifest *,
	    const struct zc_mentry *e, const struct stat *st);

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

/*
 * The same walk in steps, for a sender that starts sending before it has
 * seen its whole tree.  zc_mwalk_start() lists root_fd (so a missing or
 * unreadable root fails at once), with base and filter as for
 * zc_manifest_walk_filtered() (filter may be NULL); prune, if not NULL, is
 * a path relative to the set root left out with all beneath it (a
 * sender's backup directory).  Each zc_mwalk_step() adds at most max
 * names' entries to m, in the order one walk adds them, and returns 1 when
 * the walk is over, 0 when there is more, or -errno with err set (and the
 * same on every later step).  m and filter are borrowed and must outlive
 * the walk; m must not be changed meanwhile but by the walk.
 */
struct zc_mwalk;
int	zc_mwalk_start(struct zc_manifest *, int root_fd, const char *base,
	    struct zc_filter *filter, int flags, const char *prune,
	    struct zc_mwalk **out, char *err, size_t errlen);
int	zc_mwalk_step(struct zc_mwalk *, size_t max, char *err,
	    size_t errlen);
/* 1 when the walk is over without an error (or w is NULL). */
int	zc_mwalk_done(const struct zc_mwalk *);
void	zc_mwalk_free(struct zc_mwalk *);

#endif
