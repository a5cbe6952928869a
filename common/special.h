/*
 * special.h: fifos, sockets and device nodes (SPECIAL, docs/PROTOCOL.md
 * 12.3): their META block, and making them beneath a set root.
 */
#ifndef ZC_SPECIAL_H
#define ZC_SPECIAL_H

#include <stdint.h>
#include <sys/stat.h>

#include "proto.h"

/* Which kinds a pass skipped, for the note that says so. */
#define ZC_SPECIAL_KIND_FIFO	0x1
#define ZC_SPECIAL_KIND_SOCK	0x2
#define ZC_SPECIAL_KIND_DEV	0x4

/* 1 for ZC_TYPE_FIFO .. ZC_TYPE_BLK. */
int	zc_special_type(uint8_t type);
/*
 * Fill m from st (lstat) for a fifo, socket or device: 0, or -ENOTSUP for
 * any other type.  A device's size is its rdev, major << 32 | minor.
 */
int	zc_special_from_stat(const struct stat *st, struct zc_meta *m);
/* ZC_SPECIAL_KIND_* of an lstat mode (0 for other types). */
int	zc_special_kind(mode_t mode);
/* "fifo, socket, device" for a set of kinds, in buf. */
const char *zc_special_kinds_str(int kinds, char *buf, size_t len);
/*
 * Replace rel with a special file as m says: mknodat to a temporary name
 * beside it, owner (with chown), mode and mtime on that name, renameat
 * over rel.  Devices need root (-EPERM otherwise, before anything is
 * made); a directory at rel is -EISDIR.  0 or -errno.
 */
int	zc_special_land(int root_fd, const char *rel, const struct zc_meta *m,
	    int chown, int fsync_dir);

#endif
