/*
 * special.c: fifos, sockets and device nodes (see special.h).  None is
 * ever opened: a fifo's open blocks, a device's may do anything.  They are
 * read with fstatat and made with mknodat beneath a root held by openat2.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "meta.h"
#include "path.h"
#include "special.h"

int
zc_special_type(uint8_t type)
{
	return (type >= ZC_TYPE_FIFO && type <= ZC_TYPE_BLK);
}

int
zc_special_from_stat(const struct stat *st, struct zc_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (S_ISFIFO(st->st_mode))
		m->type = ZC_TYPE_FIFO;
	else if (S_ISSOCK(st->st_mode))
		m->type = ZC_TYPE_SOCK;
	else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		m->type = S_ISCHR(st->st_mode) ? ZC_TYPE_CHR : ZC_TYPE_BLK;
		m->size = (uint64_t)major(st->st_rdev) << 32 |
		    (uint32_t)minor(st->st_rdev);
	} else
		return (-ENOTSUP);
	m->mode = st->st_mode & 07777;
	m->uid = st->st_uid;
	m->gid = st->st_gid;
	m->mtime_sec = st->st_mtim.tv_sec;
	m->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	return (0);
}

int
zc_special_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return (ZC_SPECIAL_KIND_FIFO);
	if (S_ISSOCK(mode))
		return (ZC_SPECIAL_KIND_SOCK);
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return (ZC_SPECIAL_KIND_DEV);
	return (0);
}

const char *
zc_special_kinds_str(int kinds, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s",
	    (kinds & ZC_SPECIAL_KIND_FIFO) ? "fifo" : "",
	    (kinds & ZC_SPECIAL_KIND_FIFO) && (kinds & ~ZC_SPECIAL_KIND_FIFO) ?
	    ", " : "",
	    (kinds & ZC_SPECIAL_KIND_SOCK) ? "socket" : "",
	    (kinds & ZC_SPECIAL_KIND_SOCK) && (kinds & ZC_SPECIAL_KIND_DEV) ?
	    ", " : "",
	    (kinds & ZC_SPECIAL_KIND_DEV) ? "device" : "");
	return (buf);
}

int
zc_special_land(int root_fd, const char *rel, const struct zc_meta *m,
    int chown, int fsync_dir)
{
	struct stat	 st;
	const char	*leaf;
	char		 tmp[32];
	mode_t		 fmt;
	dev_t		 rdev = 0;
	int		 dfd, error = 0, tries;

	switch (m->type) {
	case ZC_TYPE_FIFO:
		fmt = S_IFIFO;
		break;
	case ZC_TYPE_SOCK:
		fmt = S_IFSOCK;
		break;
	case ZC_TYPE_CHR:
	case ZC_TYPE_BLK:
		/* CAP_MKNOD: say so here, not as mknodat's EPERM later. */
		if (geteuid() != 0)
			return (-EPERM);
		fmt = m->type == ZC_TYPE_CHR ? S_IFCHR : S_IFBLK;
		rdev = makedev((unsigned int)(m->size >> 32),
		    (unsigned int)(m->size & 0xffffffffU));
		break;
	default:
		return (-EINVAL);
	}
	if ((dfd = zc_path_open_parent(root_fd, rel, &leaf)) < 0)
		return (dfd);
	if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		error = -EISDIR;
		goto out;
	}
	for (tries = 0; tries < 8; tries++) {
		zc_path_make_temp(tmp, sizeof tmp);
		if (mknodat(dfd, tmp, fmt | 0600, rdev) == 0)
			break;
		if (errno != EEXIST) {
			error = -errno;
			goto out;
		}
	}
	if (tries == 8) {
		error = -EEXIST;
		goto out;
	}
	/* Owner first (it clears set-id bits), then mode, then times. */
	if ((error = zc_meta_apply_link(dfd, tmp, m,
	    chown ? ZC_META_CHOWN : 0)) != 0 ||
	    fchmodat(dfd, tmp, (mode_t)m->mode, 0) == -1 ||
	    renameat(dfd, tmp, dfd, leaf) == -1) {
		if (error == 0)
			error = -errno;
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	if (fsync_dir && fsync(dfd) == -1)
		error = -errno;
out:
	close(dfd);
	return (error);
}
