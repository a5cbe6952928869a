/*
 * land.h: changes landed beneath a set root, atomically and confined.
 *
 * Every path is checked (path.c) by the caller and opened beneath root_fd
 * with openat2; a file body goes into an unnamed O_TMPFILE beside the
 * target, gets its metadata on the held fd, is fsynced and linked at the
 * target's name; where that name is taken, the body is renamed over it
 * from a temporary name: readers see the old file or the new one, never
 * a mix, and a killed receiver leaves at most a ".zc.*.zctmp" name behind
 * (removed by zc_land_sweep()).
 */
#ifndef ZC_LAND_H
#define ZC_LAND_H

#include <stdint.h>

#include "proto.h"

#define ZC_LAND_FSYNC	0x1	/* fsync file, then the directory after rename */
#define ZC_LAND_CHOWN	0x2	/* apply owners (we are root, the peer says so) */
#define ZC_LAND_DEFER_DIRSYNC 0x4 /* commit: leave dir_fd open, unsynced */
#define ZC_LAND_SWAP_OLD 0x8	/* place: exchange with a replaced file and
				   remove it after (live: the new one is
				   seen sooner) */
#define ZC_LAND_RENAME	0x10	/* every body comes in by a rename from a
				   temporary name, never by a bare link: we
				   watch this root (push_to), and inotify
				   shows a linked O_TMPFILE as IN_CREATE
				   alone, never its close (IN_EXCL_UNLINK),
				   while a rename is IN_MOVED_TO, complete */

/*
 * Bodies up to this size whose name is taken already land through a named
 * temporary file (create, write, rename over the old file); a new name
 * gets an O_TMPFILE linked there.  For a 4 KiB file on ext4 here, the
 * unnamed file linked at a new name cost 0.86 of a named temp renamed
 * (one directory insertion instead of an insertion, a rename and a
 * removal), but 1.13 of it where the name existed (its linkat fails
 * first, docs/benchmarks.md).  Larger bodies always go unnamed, which a
 * killed receiver cannot leave behind; a named temp left by a crash is
 * removed at the next start.
 */
#define ZC_LAND_NAMED_MAX	(64 * 1024)

/* Bodies larger than this are fallocate()d before any byte arrives. */
#define ZC_LAND_PREALLOC_MIN	(64 * 1024)

/*
 * The directory the last file landed in, kept open for the next one.  A
 * cached descriptor is never trusted alone: before each rename the
 * directory is opened beneath the root again and must be the same inode
 * (a local user may have moved it out of the root meanwhile).  Cleared
 * whenever a DELETE or RENAME could change what its path names, and when
 * a directory's attributes are set.
 *
 * With it: its inode (an open descriptor's never changes, so the check
 * before the rename need not fstat it again) and whether new files in it
 * get none of the attributes we keep (zc_xattr_dir_bare(): no default
 * ACL, no security.* label), so that a landed file's attribute list need
 * not be read to find inherited ones.  That answer is taken again when it
 * is older than ZC_LAND_BARE_TTL_MS: a default ACL given to the directory
 * by someone else meanwhile shows on the files landed within that time
 * until the next push compares their attributes.
 */
#define ZC_LAND_BARE_TTL_MS	100

struct zc_land_dirs {
	int		 fd;		/* owned; -1 = none */
	char		 rel[4096];	/* its path beneath the root; "" = root */
	uint64_t	 dev, ino;	/* fd's inode, if known */
	int		 known;		/* dev and ino are set */
	int		 bare;		/* new files get no attributes of ours */
	uint64_t	 bare_ms;	/* when bare was read (monotonic) */
};

void	zc_land_dirs_init(struct zc_land_dirs *);
void	zc_land_dirs_clear(struct zc_land_dirs *);

struct zc_backup;

/* One file being received. */
struct zc_land_file {
	int		 dir_fd;	/* owned; the target's directory */
	int		 fd;		/* owned; the temporary file */
	int		 root_fd;	/* borrowed; to check dir_fd again */
	char		 rel[4096];	/* the target, beneath the root */
	char		 leaf[256];	/* the target's name in dir_fd */
	char		 tmp[32];	/* named temp (fallback), or "" */
	struct zc_meta	 meta;
	const struct zc_backup *backup;	/* borrowed; NULL: keep nothing */
	uint8_t		*xattrs;	/* owned; XATTR block, NULL: none */
	size_t		 xattrs_len;
	int		 xattr_flags;	/* ZC_XATTR_PRIV */
	int		 xattr_err;	/* after commit: -ENOTSUP, to warn */
	uint64_t	 dir_dev, dir_ino; /* dir_fd's inode, if dir_known */
	int		 dir_known;
	int		 dir_bare;	/* zc_land_dirs.bare when it was opened */
	int		 old_reg;	/* the name held a regular file then */
};

/*
 * Start a file: open its directory beneath root and an O_TMPFILE there
 * (a named temp where the file system has none), sized with fallocate.
 * 0 or -errno; on error nothing is left behind.
 */
int	zc_land_file_begin(struct zc_land_file *, int root_fd, const char *rel,
	    const struct zc_meta *, struct zc_land_dirs *, int flags);
/*
 * SPARSE: the same for a file of meta->size whose data is the segments
 * (proto.h, wire order): sized with ftruncate, space reserved for the
 * segments only.  The caller writes each segment at its offset.
 */
int	zc_land_file_begin_segs(struct zc_land_file *, int root_fd,
	    const char *rel, const struct zc_meta *, struct zc_land_dirs *,
	    int flags, const uint8_t *segs, uint32_t nsegs);
/*
 * Apply metadata, fsync, rename into place, fsync the directory.  0 or
 * -errno (then aborted).  With ZC_LAND_DEFER_DIRSYNC the directory is not
 * fsynced and lf->dir_fd stays open for the caller to fsync and close.
 */
int	zc_land_file_commit(struct zc_land_file *, int flags);
/*
 * The same in three steps, for a group commit (recv.c) that fsyncs a batch
 * of files before it renames any: prepare (metadata, attributes), sync
 * (the fsync, with ZC_LAND_FSYNC), place (link, rename, directory fsync as
 * for commit).  Each is 0 or -errno, and then the file is aborted.
 * zc_land_file_writeback() between prepare and sync starts the body's
 * writeback (sync_file_range, a hint: it neither waits nor consumes an
 * error), so that the first fsync of a batch commits the journal once for
 * all the files' allocations and the others find it done.
 */
int	zc_land_file_prepare(struct zc_land_file *, int flags);
void	zc_land_file_writeback(struct zc_land_file *);
int	zc_land_file_sync(struct zc_land_file *, int flags);
int	zc_land_file_place(struct zc_land_file *, int flags);
/*
 * zc_land_file_sync() for each of v[0..n) (at most ZC_LAND_SYNC_MAX):
 * errors[i] is 0 or -errno, and v[i] is then aborted.  Bodies over
 * ZC_LAND_NAMED_MAX are fsynced in order; the small ones at once, by the
 * threads of pool (syncpool.h), so that their cache flushes merge; in
 * order too if pool is NULL.
 */
#define ZC_LAND_SYNC_MAX	256
struct zc_syncpool;
void	zc_land_files_sync(struct zc_land_file *const *v, size_t n, int flags,
	    struct zc_syncpool *pool, int *errors);
/* Drop the temporary file; safe to call twice or after commit. */
void	zc_land_file_abort(struct zc_land_file *);
/*
 * XATTR: give the file in progress the attributes of blk (checked; it is
 * copied), set on the held fd at commit, before the rename.  A file system
 * without attributes does not fail the commit: lf->xattr_err says so.
 */
void	zc_land_file_xattrs(struct zc_land_file *, const uint8_t *blk,
	    size_t len, int xflags);
/*
 * XATTR: make the attributes of rel (of type, not followed) those of blk:
 * 0, -ENOTSUP (the file system keeps none) or -errno.
 */
int	zc_land_xattrs(int root_fd, const char *rel, uint8_t type,
	    const uint8_t *blk, size_t len, int xflags);

/*
 * mkdir beneath root if missing (mode 0700 until its metadata lands); with
 * ZC_LAND_FSYNC the parent is fsynced after a creation.
 */
int	zc_land_dir(int root_fd, const char *rel, int flags);
/* Apply a directory's metadata (after its contents). */
int	zc_land_dir_meta(int root_fd, const char *rel, const struct zc_meta *,
	    int flags);
/* Replace rel with a symlink to target (stored verbatim, never followed). */
int	zc_land_symlink(int root_fd, const char *rel, const char *target,
	    const struct zc_meta *, int flags);
/*
 * HARDLINK: replace rel with a hard link of target (a regular file beneath
 * root): -EISDIR for a directory at either, -EINVAL for a target that is
 * not a regular file.
 */
int	zc_land_link(int root_fd, const char *rel, const char *target,
	    int flags);
/* Apply metadata to an existing file or symlink (no body). */
int	zc_land_meta(int root_fd, const char *rel, const struct zc_meta *,
	    int flags);
/* Move from to to (both beneath root), replacing a file or empty dir. */
int	zc_land_rename(int root_fd, const char *from, const char *to,
	    int flags);
/* Remove rel; a directory recursively, never following symlinks. */
int	zc_land_delete(int root_fd, const char *rel);
/* Remove our leftover temporary names anywhere beneath root. */
int	zc_land_sweep(int root_fd, unsigned long *removed);

/* Map an -errno from the functions above to a wire code. */
uint32_t zc_land_code(int error);

#endif
