/*
 * backup.h: old versions kept on the receiver (sets[].backup).
 *
 * Before a file is replaced or an entry deleted beneath a set root, the old
 * one is kept in the backup directory (beneath the same root) as
 * BACKUPDIR/<its path>.<UTC time>, e.g. .zcsync-backup/docs/a.txt.
 * 20261122T091500.123Z: a replaced file or symlink by a hard link, a deleted
 * entry (a directory as a whole) by a rename.  Each path keeps at most
 * `keep` generations, the oldest pruned first.  Everything is reached
 * beneath the root with openat2 (path.c), on held directory descriptors.
 *
 * The backup directory belongs to the receiver: it is never listed in its
 * manifest, and an entry from a peer naming it or anything beneath it is
 * refused (ACK PATH), as is a DELETE or RENAME of a directory holding it.
 */
#ifndef ZC_BACKUP_H
#define ZC_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "path.h"

/* ".20261122T091500.123Z" (22) and a "-NN" for a name taken. */
#define ZC_BACKUP_STAMP_LEN	22
#define ZC_BACKUP_SUFFIX_MAX	99
#define ZC_BACKUP_KEEP_DEFAULT	5	/* as sets[].backup.keep */

#define ZC_BACKUP_LINK	1	/* replaced: hard-link the old one */
#define ZC_BACKUP_MOVE	2	/* deleted: rename it away (dirs too) */

struct zc_backup {
	char		 dir[ZC_PATH_MAX + 1];	/* beneath the root; "": off */
	uint64_t	 keep;			/* generations per path */
};

/* dir: checked relative path (config), or NULL for off. */
void	zc_backup_init(struct zc_backup *, const char *dir, uint64_t keep);
int	zc_backup_on(const struct zc_backup *);
/* 1 if rel is the backup directory or beneath it. */
int	zc_backup_owns(const struct zc_backup *, const char *rel);
/* 1 if rel is a directory above the backup directory. */
int	zc_backup_holds(const struct zc_backup *, const char *rel);

/*
 * Keep leaf of dir_fd (held; rel is its path beneath root_fd) before it is
 * replaced (ZC_BACKUP_LINK: files and symlinks; a directory is left alone)
 * or deleted (ZC_BACKUP_MOVE: anything).  lflags: ZC_LAND_FSYNC.  0 when
 * kept or when there is nothing to keep, else -errno (then the caller
 * must not replace or delete it).
 */
int	zc_backup_keep(const struct zc_backup *, int root_fd, int dir_fd,
	    const char *leaf, const char *rel, int how, int lflags);
/* The same for rel, its directory opened beneath root_fd. */
int	zc_backup_keep_path(const struct zc_backup *, int root_fd,
	    const char *rel, int how, int lflags);

/*
 * The suffix of a backup of leaf, if name is one ("." + a time, with an
 * optional "-N"): a pointer to the time in name, else NULL.
 */
const char *zc_backup_match(const char *name, const char *leaf);

#endif
