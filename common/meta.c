/*
 * meta.c: struct zc_meta from fstat() to the wire to futimens().
 *
 * Metadata is applied on a held fd (fchown, fchmod, futimens) or, for a
 * symlink, relative to a held parent dirfd with AT_SYMLINK_NOFOLLOW: never
 * by a path that a local user could swap between our checks and our call.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "meta.h"

/* Fill m from st: 0, or -ENOTSUP for types we do not carry. */
int
zc_meta_from_stat(const struct stat *st, struct zc_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (S_ISREG(st->st_mode)) {
		m->type = ZC_TYPE_FILE;
		m->size = (uint64_t)st->st_size;
	} else if (S_ISDIR(st->st_mode)) {
		m->type = ZC_TYPE_DIR;
		m->size = 0;
	} else if (S_ISLNK(st->st_mode)) {
		/* lstat(2) gives a link's st_size as its target length. */
		m->type = ZC_TYPE_SYMLINK;
		m->size = (uint64_t)st->st_size;
	} else
		return (-ENOTSUP);
	m->mode = st->st_mode & 07777;
	m->uid = st->st_uid;
	m->gid = st->st_gid;
	m->mtime_sec = st->st_mtim.tv_sec;
	m->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	return (0);
}

/*
 * Fill times for futimens()/utimensat(): atime is left alone (UTIME_OMIT),
 * mtime is set to the nanosecond.
 */
static void
meta_times(const struct zc_meta *m, struct timespec ts[2])
{
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = (time_t)m->mtime_sec;
	ts[1].tv_nsec = (long)m->mtime_nsec;
}

/*
 * Apply owner, mode and mtime to an open file or directory.  Every step is
 * tried even after one fails, and the first error is returned.  chown(2)
 * clears set-user-ID and set-group-ID bits, so the mode comes after it.
 * An owner the fd already has is not set again: fstat(2) is cheaper than
 * a chown, which dirties the inode in the journal even when nothing
 * changes (a file we have just created is ours, and often meant to be).
 * Only the fd's owner or root could change the owner meanwhile.
 */
int
zc_meta_apply_fd(int fd, const struct zc_meta *m, int flags)
{
	struct timespec	 ts[2];
	struct stat	 st;
	int		 r = 0, known = 0, chowned = 0;

	if ((flags & ZC_META_CHOWN) != 0) {
		known = fstat(fd, &st) == 0;
		if (!known || st.st_uid != (uid_t)m->uid ||
		    st.st_gid != (gid_t)m->gid) {
			if (fchown(fd, (uid_t)m->uid, (gid_t)m->gid) == -1)
				r = -errno;
			else
				chowned = 1;
		}
	}
	/*
	 * The mode already right (land.c makes an unnamed file with its final
	 * permission bits) needs no fchmod, unless a chown just cleared a
	 * set-id bit.
	 */
	if ((!known || (st.st_mode & 07777) != (m->mode & 07777) ||
	    (chowned && (m->mode & (S_ISUID | S_ISGID)))) &&
	    fchmod(fd, (mode_t)(m->mode & 07777)) == -1 && r == 0)
		r = -errno;
	meta_times(m, ts);
	if (futimens(fd, ts) == -1 && r == 0)
		r = -errno;
	return (r);
}

/*
 * Apply owner and mtime to the symlink leaf in dirfd, never to what it
 * points at.  Linux symlinks have no mode of their own.  leaf must be one
 * component: the parent was opened beneath the root, so a name with a '/'
 * would bypass that.
 */
int
zc_meta_apply_link(int dirfd, const char *leaf, const struct zc_meta *m,
    int flags)
{
	struct timespec	 ts[2];
	int		 r = 0;

	if (*leaf == '\0' || strchr(leaf, '/') != NULL)
		return (-EINVAL);
	if ((flags & ZC_META_CHOWN) != 0 && fchownat(dirfd, leaf,
	    (uid_t)m->uid, (gid_t)m->gid, AT_SYMLINK_NOFOLLOW) == -1)
		r = -errno;
	meta_times(m, ts);
	if (utimensat(dirfd, leaf, ts, AT_SYMLINK_NOFOLLOW) == -1 && r == 0)
		r = -errno;
	return (r);
}

/*
 * 1 if the body need not move: same type, size and mtime to the ns.  A
 * directory has no body, so two directories always match.
 */
int
zc_meta_same_content(const struct zc_meta *a, const struct zc_meta *b)
{
	if (a->type != b->type)
		return (0);
	if (a->type == ZC_TYPE_DIR)
		return (1);
	return (a->size == b->size && a->mtime_sec == b->mtime_sec &&
	    a->mtime_nsec == b->mtime_nsec);
}

/* 1 if mode (not for links) and, with ZC_META_CHOWN, owner are equal. */
int
zc_meta_same_attrs(const struct zc_meta *a, const struct zc_meta *b,
    int flags)
{
	if (a->type != ZC_TYPE_SYMLINK && b->type != ZC_TYPE_SYMLINK &&
	    (a->mode & 07777) != (b->mode & 07777))
		return (0);
	if ((flags & ZC_META_CHOWN) != 0 &&
	    (a->uid != b->uid || a->gid != b->gid))
		return (0);
	return (1);
}
