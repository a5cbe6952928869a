/*
 * land.c: landing changes beneath a set root (see land.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "land.h"
#include "log.h"
#include "meta.h"
#include "xattr.h"
#include "xmalloc.h"
#include "path.h"
#include "sparse.h"
#include "syncpool.h"

static int	land_file_open(struct zc_land_file *, int, const char *,
		    const struct zc_meta *, struct zc_land_dirs *, int, int);

static int
land_copy_leaf(char *out, size_t outlen, const char *leaf)
{
	if (strlen(leaf) >= outlen)
		return (-ENAMETOOLONG);
	strcpy(out, leaf);
	return (0);
}

void
zc_land_dirs_init(struct zc_land_dirs *d)
{
	d->fd = -1;
	d->rel[0] = '\0';
	d->dev = d->ino = 0;
	d->known = d->bare = 0;
	d->bare_ms = 0;
}

void
zc_land_dirs_clear(struct zc_land_dirs *d)
{
	if (d->fd != -1)
		close(d->fd);
	zc_land_dirs_init(d);
}

static uint64_t
land_now_ms(void)
{
	struct timespec	ts;

	/* The vDSO's coarse clock: no system call. */
	if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == -1)
		return (0);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Read again whether new files in d get attributes (land.h). */
static void
land_dirs_bare(struct zc_land_dirs *d)
{
	uint64_t	now = land_now_ms();

	if (d->bare_ms != 0 && now - d->bare_ms < ZC_LAND_BARE_TTL_MS)
		return;
	d->bare = zc_xattr_dir_bare(d->fd);
	d->bare_ms = now == 0 ? 1 : now;
}

/*
 * The parent of rel (owned fd): from the cache, or opened and cached.
 * What the cache knows of it (land.h) goes into lf.
 */
static int
land_parent(int root_fd, const char *rel, const char **leaf,
    struct zc_land_dirs *d, struct zc_land_file *lf)
{
	const char	*slash = strrchr(rel, '/');
	size_t		 plen = slash != NULL ? (size_t)(slash - rel) : 0;
	struct stat	 st;
	int		 fd;

	if (d != NULL && d->fd != -1 && strlen(d->rel) == plen &&
	    strncmp(d->rel, rel, plen) == 0) {
		*leaf = slash != NULL ? slash + 1 : rel;
		if ((fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0)) == -1)
			return (-errno);
		goto known;
	}
	if ((fd = zc_path_open_parent(root_fd, rel, leaf)) < 0)
		return (fd);
	if (d != NULL && plen < sizeof d->rel) {
		zc_land_dirs_clear(d);
		if ((d->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) != -1) {
			memcpy(d->rel, rel, plen);
			d->rel[plen] = '\0';
			if (fstat(d->fd, &st) == 0) {
				d->dev = (uint64_t)st.st_dev;
				d->ino = (uint64_t)st.st_ino;
				d->known = 1;
			}
			goto known;
		}
	}
	return (fd);
known:
	land_dirs_bare(d);
	lf->dir_dev = d->dev;
	lf->dir_ino = d->ino;
	lf->dir_known = d->known;
	lf->dir_bare = d->bare;
	return (fd);
}

int
zc_land_file_begin(struct zc_land_file *lf, int root_fd, const char *rel,
    const struct zc_meta *meta, struct zc_land_dirs *dirs, int flags)
{
	return (land_file_open(lf, root_fd, rel, meta, dirs, flags, 1));
}

/* SPARSE: the same, sized with holes; only the data is reserved. */
int
zc_land_file_begin_segs(struct zc_land_file *lf, int root_fd, const char *rel,
    const struct zc_meta *meta, struct zc_land_dirs *dirs, int flags,
    const uint8_t *segs, uint32_t nsegs)
{
	int	error;

	if ((error = land_file_open(lf, root_fd, rel, meta, dirs, flags,
	    0)) != 0)
		return (error);
	if ((error = zc_sparse_prepare(lf->fd, segs, nsegs, meta->size,
	    ZC_LAND_PREALLOC_MIN)) != 0)
		zc_land_file_abort(lf);
	return (error);
}

/*
 * Does no entry have this name yet?  Then a small body goes into an
 * O_TMPFILE that is linked at the name (one directory insertion); else
 * into a named temporary file renamed over the old one, which is cheaper
 * than an unnamed file whose linkat() fails first (land.h).  The answer
 * is a hint: the commit copes with either.  The lookup leaves its entry
 * (or its absence) in the dentry cache, so the linkat's own lookup does
 * not search the directory again.
 */
static int
land_name_free(struct zc_land_file *lf)
{
	struct stat	st;

	if (fstatat(lf->dir_fd, lf->leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return (errno == ENOENT);
	lf->old_reg = S_ISREG(st.st_mode);
	return (0);
}

static int
land_file_open(struct zc_land_file *lf, int root_fd, const char *rel,
    const struct zc_meta *meta, struct zc_land_dirs *dirs, int flags,
    int prealloc)
{
	const char	*leaf;
	int		 error;

	memset(lf, 0, sizeof *lf);
	lf->dir_fd = lf->fd = -1;
	lf->meta = *meta;
	lf->root_fd = root_fd;
	if (strlen(rel) >= sizeof lf->rel)
		return (-ENAMETOOLONG);
	strcpy(lf->rel, rel);
	if ((lf->dir_fd = land_parent(root_fd, rel, &leaf, dirs, lf)) < 0) {
		error = lf->dir_fd;
		lf->dir_fd = -1;
		return (error);
	}
	if ((error = land_copy_leaf(lf->leaf, sizeof lf->leaf, leaf)) != 0)
		goto fail;
	/*
	 * A directory in the way is the sender's to delete first; the final
	 * renameat() refuses to replace it (EISDIR).
	 */
	lf->fd = -1;
	errno = EOPNOTSUPP;
	/*
	 * O_RDWR: VERIFY reads the body back before the rename.  An unnamed
	 * file can be opened by nobody else (only through our /proc/PID/fd),
	 * so it gets its permission bits now and the usual file no fchmod()
	 * (meta.c); a named temporary file stays 0600 until its owner is set.
	 */
	if (meta->size > ZC_LAND_NAMED_MAX || (!(flags & ZC_LAND_RENAME) &&
	    land_name_free(lf)))
		lf->fd = openat(lf->dir_fd, ".", O_TMPFILE | O_RDWR |
		    O_CLOEXEC, (mode_t)((meta->mode & 0777) | 0600));
	if (lf->fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR ||
	    errno == EINVAL)) {
		/* No O_TMPFILE here (open(2)): a named temp, swept later. */
		zc_path_make_temp(lf->tmp, sizeof lf->tmp);
		lf->fd = openat(lf->dir_fd, lf->tmp, O_CREAT | O_EXCL |
		    O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lf->fd == -1)
			lf->tmp[0] = '\0';
	}
	if (lf->fd == -1) {
		error = -errno;
		goto fail;
	}
	/*
	 * Fail now, not half-way, when the disk is full (SECURITY.md).  Small
	 * files skip it: it cost as much as their write (strace -c).
	 */
	if (prealloc && meta->size > ZC_LAND_PREALLOC_MIN &&
	    fallocate(lf->fd, 0, 0, (off_t)meta->size) == -1 &&
	    errno != EOPNOTSUPP) {
		error = -errno;
		goto fail;
	}
	return (0);
fail:
	zc_land_file_abort(lf);
	return (error);
}

void
zc_land_file_abort(struct zc_land_file *lf)
{
	free(lf->xattrs);
	lf->xattrs = NULL;
	if (lf->fd != -1)
		close(lf->fd);
	if (lf->tmp[0] != '\0' && lf->dir_fd != -1)
		unlinkat(lf->dir_fd, lf->tmp, 0);
	if (lf->dir_fd != -1)
		close(lf->dir_fd);
	lf->fd = lf->dir_fd = -1;
	lf->tmp[0] = '\0';
}

/*
 * Is the directory we hold still the one the target's path names beneath
 * the root?  A local user may have moved it (or a parent) out of the root
 * while the body arrived: then nothing lands (-EXDEV), as openat2 would
 * have refused the path itself.  Checked right before the rename.
 */
static int
land_still_beneath(struct zc_land_file *lf)
{
	struct stat	 a, b;
	const char	*leaf;
	int		 fd, error = 0;

	if ((fd = zc_path_open_parent(lf->root_fd, lf->rel, &leaf)) < 0)
		return (fd == -ENOENT ? -EXDEV : fd);
	/* dir_fd's inode is known from when it was opened (land.h). */
	if (lf->dir_known) {
		b.st_dev = (dev_t)lf->dir_dev;
		b.st_ino = (ino_t)lf->dir_ino;
	}
	if (fstat(fd, &a) == -1 || (!lf->dir_known &&
	    fstat(lf->dir_fd, &b) == -1))
		error = -errno;
	else if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		error = -EXDEV;
	close(fd);
	return (error);
}

int
zc_land_file_commit(struct zc_land_file *lf, int flags)
{
	int	error;

	if ((error = zc_land_file_prepare(lf, flags)) != 0 ||
	    (error = zc_land_file_sync(lf, flags)) != 0)
		return (error);
	return (zc_land_file_place(lf, flags));
}

int
zc_land_file_prepare(struct zc_land_file *lf, int flags)
{
	int	error;

	if ((error = zc_meta_apply_fd(lf->fd, &lf->meta,
	    (flags & ZC_LAND_CHOWN) ? ZC_META_CHOWN : 0)) != 0)
		goto fail;
	if (lf->xattrs != NULL) {
		error = zc_xattr_apply(lf->fd, -1, NULL, lf->xattrs,
		    lf->xattrs_len, lf->xattr_flags |
		    (lf->dir_bare ? ZC_XATTR_FRESH : 0));
		if (error == -ENOTSUP)
			lf->xattr_err = error;
		else if (error != 0)
			goto fail;
		free(lf->xattrs);
		lf->xattrs = NULL;
	}
	return (0);
fail:
	zc_land_file_abort(lf);
	return (error);
}

/*
 * Only a hint: SYNC_FILE_RANGE_WRITE neither waits nor consumes a write
 * error (no WAIT flag), so the fsync that follows still reports one.
 */
void
zc_land_file_writeback(struct zc_land_file *lf)
{
	(void)sync_file_range(lf->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

int
zc_land_file_sync(struct zc_land_file *lf, int flags)
{
	int	error;

	/*
	 * fsyncgate: after a failed fsync the dirty pages may be gone and a
	 * second fsync "succeeds"; never retry, discard and resend.
	 */
	if ((flags & ZC_LAND_FSYNC) && fsync(lf->fd) == -1) {
		error = -errno;
		zc_land_file_abort(lf);
		return (error);
	}
	return (0);
}

void
zc_land_files_sync(struct zc_land_file *const *v, size_t n, int flags,
    struct zc_syncpool *pool, int *errors)
{
	size_t	idx[ZC_LAND_SYNC_MAX];
	int	fds[ZC_LAND_SYNC_MAX], errs[ZC_LAND_SYNC_MAX];
	size_t	i, nsmall = 0;
	int	first = 1;

	for (i = 0; i < n; i++)
		errors[i] = 0;
	if (!(flags & ZC_LAND_FSYNC))
		return;
	/*
	 * Large bodies in order, here: their fsync is mostly writing data,
	 * which threads would only share.  The first small one here too: its
	 * journal commit covers the others' allocations, which then need only
	 * their flushes.  The rest together.
	 */
	for (i = 0; i < n; i++) {
		if (v[i]->meta.size > ZC_LAND_NAMED_MAX || n < 2 ||
		    first || nsmall == ZC_LAND_SYNC_MAX) {
			if (v[i]->meta.size <= ZC_LAND_NAMED_MAX)
				first = 0;
			if (fsync(v[i]->fd) == -1)
				errors[i] = -errno;
		} else
			idx[nsmall++] = i;
	}
	/*
	 * The small ones at once, from the pool's threads and ours: the
	 * journal is committed already, and the cache flush each fsync still
	 * asks for is merged by the block layer with the ones in flight (a
	 * few flushes for the batch, not one per file).
	 */
	if (nsmall < 2 || pool == NULL) {
		for (i = 0; i < nsmall; i++) {
			if (fsync(v[idx[i]]->fd) == -1)
				errors[idx[i]] = -errno;
		}
	} else {
		for (i = 0; i < nsmall; i++)
			fds[i] = v[idx[i]]->fd;
		zc_syncpool_fsync(pool, fds, nsmall, errs);
		for (i = 0; i < nsmall; i++)
			errors[idx[i]] = errs[i];
	}
	/* fsyncgate: never again; discarded (zc_land_file_sync()). */
	for (i = 0; i < n; i++) {
		if (errors[i] != 0)
			zc_land_file_abort(v[i]);
	}
}

/*
 * Give the unnamed body the name leaf in its directory: linkat(2) with
 * AT_EMPTY_PATH, which needs CAP_DAC_READ_SEARCH before Linux 6.10 and,
 * since, only that the file was opened with our credentials; else
 * (ENOENT) through /proc, which needs neither but costs a path walk.
 * 0, or -1 with errno set.
 */
static int
land_link(struct zc_land_file *lf, const char *leaf)
{
	char	proc[64];

	if (linkat(lf->fd, "", lf->dir_fd, leaf, AT_EMPTY_PATH) == 0)
		return (0);
	if (errno != ENOENT)
		return (-1);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", lf->fd);
	return (linkat(AT_FDCWD, proc, lf->dir_fd, leaf, AT_SYMLINK_FOLLOW));
}

/*
 * Live: the new file takes the old one's name by RENAME_EXCHANGE, and the
 * old one, now under the temporary name, is removed after.  A renameat()
 * over a file makes ext4 write the new file's blocks out first
 * (auto_da_alloc) and only then switch the name, and frees the old file
 * after: 90-140 us for 4 KiB here, against 12 us for the exchange
 * (docs/benchmarks.md).  The same write-out is started right after the
 * exchange, so the new bytes go with the exchange's journal commit as they
 * did with renameat() (unless a commit falls between the two calls).  1:
 * nothing exchanged (no old file, or no RENAME_EXCHANGE here), rename as
 * usual; 0: placed; or -errno.  Only where the name held a regular file
 * when the body began (lf->old_reg): a directory put in its place since
 * is swapped back, but a crash between the two exchanges would leave it
 * under our temporary name.
 */
static int
land_swap(struct zc_land_file *lf)
{
	int	error;

	if (renameat2(lf->dir_fd, lf->tmp, lf->dir_fd, lf->leaf,
	    RENAME_EXCHANGE) == -1)
		return (1);
	zc_land_file_writeback(lf);
	if (unlinkat(lf->dir_fd, lf->tmp, 0) == 0 || errno != EISDIR)
		return (0);	/* else the sweep at the next start takes it */
	/* A directory was in the way: back, refused as renameat() would. */
	error = -EISDIR;
	if (renameat2(lf->dir_fd, lf->tmp, lf->dir_fd, lf->leaf,
	    RENAME_EXCHANGE) == -1) {
		error = -errno;
		lf->tmp[0] = '\0';	/* the directory: not ours to unlink */
	}
	return (error);
}

int
zc_land_file_place(struct zc_land_file *lf, int flags)
{
	int	error, tries, checked = 0;

	if (lf->tmp[0] == '\0') {
		/*
		 * A new name: the unnamed file is linked there at once
		 * (land_link()), and a reader sees nothing, then all of it.
		 * linkat() will not replace a name (EEXIST), and a watched
		 * root wants a rename (ZC_LAND_RENAME): then link it to a
		 * fresh temporary name and rename that over the target.
		 */
		if ((error = land_still_beneath(lf)) != 0)
			goto fail;
		checked = 1;
		if (!(flags & ZC_LAND_RENAME)) {
			if (land_link(lf, lf->leaf) == 0)
				goto placed;
			if (errno != EEXIST) {
				error = -errno;
				goto fail;
			}
		}
		for (tries = 0; tries < 8; tries++) {
			zc_path_make_temp(lf->tmp, sizeof lf->tmp);
			if (land_link(lf, lf->tmp) == 0)
				break;
			if (errno != EEXIST) {
				error = -errno;
				lf->tmp[0] = '\0';
				goto fail;
			}
		}
		if (tries == 8) {
			lf->tmp[0] = '\0';
			error = -EEXIST;
			goto fail;
		}
	}
	/* The file it replaces is kept first (backup.h), if asked. */
	if (lf->backup != NULL && (error = zc_backup_keep(lf->backup,
	    lf->root_fd, lf->dir_fd, lf->leaf, lf->rel, ZC_BACKUP_LINK,
	    flags)) != 0)
		goto fail;
	/* Checked again if a backup was made since. */
	if ((!checked || lf->backup != NULL) &&
	    (error = land_still_beneath(lf)) != 0)
		goto fail;
	if (!(flags & ZC_LAND_SWAP_OLD) || !lf->old_reg ||
	    (error = land_swap(lf)) == 1) {
		error = 0;
		if (renameat(lf->dir_fd, lf->tmp, lf->dir_fd, lf->leaf) == -1)
			error = -errno;
	}
	if (error != 0)
		goto fail;
placed:
	lf->tmp[0] = '\0';
	if ((flags & ZC_LAND_FSYNC) && !(flags & ZC_LAND_DEFER_DIRSYNC) &&
	    fsync(lf->dir_fd) == -1) {
		error = -errno;
		goto fail;
	}
	close(lf->fd);
	lf->fd = -1;
	if (flags & ZC_LAND_DEFER_DIRSYNC)
		return (0);	/* the caller takes dir_fd and fsyncs it */
	close(lf->dir_fd);
	lf->dir_fd = -1;
	return (0);
fail:
	zc_land_file_abort(lf);
	return (error);
}

int
zc_land_dir(int root_fd, const char *rel, int flags)
{
	const char	*leaf;
	struct stat	 st;
	int		 dfd, error = 0;

	if ((dfd = zc_path_open_parent(root_fd, rel, &leaf)) < 0)
		return (dfd);
	if (mkdirat(dfd, leaf, 0700) == 0) {
		/* The new name must outlive a crash as its files will. */
		if ((flags & ZC_LAND_FSYNC) && fsync(dfd) == -1)
			error = -errno;
	} else {
		error = -errno;
		if (error == -EEXIST) {
			if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
				error = -errno;
			else
				error = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
		}
	}
	close(dfd);
	return (error);
}

int
zc_land_dir_meta(int root_fd, const char *rel, const struct zc_meta *meta,
    int flags)
{
	int	fd, error;

	fd = zc_path_openat(root_fd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
	    0);
	if (fd < 0)
		return (fd);
	error = zc_meta_apply_fd(fd, meta,
	    (flags & ZC_LAND_CHOWN) ? ZC_META_CHOWN : 0);
	close(fd);
	return (error);
}

int
zc_land_symlink(int root_fd, const char *rel, const char *target,
    const struct zc_meta *meta, int flags)
{
	char		 tmp[32];
	const char	*leaf;
	struct stat	 st;
	int		 dfd, error = 0, tries;

	if ((dfd = zc_path_open_parent(root_fd, rel, &leaf)) < 0)
		return (dfd);
	if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		error = -EISDIR;
		goto out;
	}
	for (tries = 0; tries < 8; tries++) {
		zc_path_make_temp(tmp, sizeof tmp);
		if (symlinkat(target, dfd, tmp) == 0)
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
	if ((error = zc_meta_apply_link(dfd, tmp, meta,
	    (flags & ZC_LAND_CHOWN) ? ZC_META_CHOWN : 0)) != 0 ||
	    renameat(dfd, tmp, dfd, leaf) == -1) {
		if (error == 0)
			error = -errno;
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	if ((flags & ZC_LAND_FSYNC) && fsync(dfd) == -1)
		error = -errno;
out:
	close(dfd);
	return (error);
}

/*
 * HARDLINK: make rel a hard link of target, a regular file already
 * beneath the root.  Both parents are opened beneath the root (openat2);
 * the link is made to a temporary name beside rel, checked to be the very
 * inode target named (a local user may swap target for a symlink between
 * the fstatat and the linkat, which would link the symlink), then renamed
 * over rel.  Nothing is applied: the inode already has its metadata.
 */
int
zc_land_link(int root_fd, const char *rel, const char *target, int flags)
{
	struct stat	 tst, st;
	const char	*tleaf, *leaf;
	char		 tmp[32];
	int		 tdfd, dfd = -1, error = 0, tries;

	if ((tdfd = zc_path_open_parent(root_fd, target, &tleaf)) < 0)
		return (tdfd);
	if (fstatat(tdfd, tleaf, &tst, AT_SYMLINK_NOFOLLOW) == -1) {
		error = -errno;
		goto out;
	}
	if (!S_ISREG(tst.st_mode)) {
		/* A directory is a type conflict; anything else a path. */
		error = S_ISDIR(tst.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((dfd = zc_path_open_parent(root_fd, rel, &leaf)) < 0) {
		error = dfd;
		dfd = -1;
		goto out;
	}
	if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISDIR(st.st_mode)) {
			error = -EISDIR;
			goto out;
		}
		if (st.st_dev == tst.st_dev && st.st_ino == tst.st_ino)
			goto out;	/* already one inode */
	}
	for (tries = 0; tries < 8; tries++) {
		zc_path_make_temp(tmp, sizeof tmp);
		if (linkat(tdfd, tleaf, dfd, tmp, 0) == 0)
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
	if (fstatat(dfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode) || st.st_dev != tst.st_dev ||
	    st.st_ino != tst.st_ino) {
		unlinkat(dfd, tmp, 0);
		error = -EINVAL;	/* target changed under us */
		goto out;
	}
	if (renameat(dfd, tmp, dfd, leaf) == -1) {
		error = -errno;
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	/* rename(2) does nothing when both names are links of one inode. */
	(void)unlinkat(dfd, tmp, 0);
	if ((flags & ZC_LAND_FSYNC) && fsync(dfd) == -1)
		error = -errno;
out:
	if (dfd != -1)
		close(dfd);
	close(tdfd);
	return (error);
}

int
zc_land_meta(int root_fd, const char *rel, const struct zc_meta *meta,
    int flags)
{
	const char	*leaf;
	int		 fd, error, mflags;

	mflags = (flags & ZC_LAND_CHOWN) ? ZC_META_CHOWN : 0;
	if (meta->type == ZC_TYPE_SYMLINK) {
		if ((fd = zc_path_open_parent(root_fd, rel, &leaf)) < 0)
			return (fd);
		error = zc_meta_apply_link(fd, leaf, meta, mflags);
	} else {
		/* O_PATH fds refuse fchmod; a mode-000 file needs root. */
		fd = zc_path_openat(root_fd, rel, O_RDONLY | O_NOFOLLOW |
		    (meta->type == ZC_TYPE_DIR ? O_DIRECTORY : 0), 0);
		if (fd < 0)
			return (fd);
		error = zc_meta_apply_fd(fd, meta, mflags);
	}
	close(fd);
	return (error);
}

int
zc_land_rename(int root_fd, const char *from, const char *to, int flags)
{
	const char	*lfrom, *lto;
	int		 ffd, tfd, error = 0;

	if ((ffd = zc_path_open_parent(root_fd, from, &lfrom)) < 0)
		return (ffd);
	if ((tfd = zc_path_open_parent(root_fd, to, &lto)) < 0) {
		close(ffd);
		return (tfd);
	}
	if (renameat(ffd, lfrom, tfd, lto) == -1)
		error = -errno;
	else if (flags & ZC_LAND_FSYNC) {
		if (fsync(tfd) == -1 || fsync(ffd) == -1)
			error = -errno;
	}
	close(ffd);
	close(tfd);
	return (error);
}

/* Empty the directory dfd (which we own), depth-bounded. */
static int
land_empty_dir(int dfd, int depth)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, cfd, error = 0;

	if (depth > 4096)
		return (-ELOOP);
	if ((fd = dup(dfd)) == -1)
		return (-errno);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-errno);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			error = -errno;
			break;
		}
		/* A directory: O_NOFOLLOW, so a swapped-in symlink fails. */
		cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (cfd == -1) {
			error = -errno;
			break;
		}
		error = land_empty_dir(cfd, depth + 1);
		close(cfd);
		if (error != 0)
			break;
		if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) == -1 &&
		    errno != ENOENT) {
			error = -errno;
			break;
		}
	}
	closedir(d);
	return (error);
}

int
zc_land_delete(int root_fd, const char *rel)
{
	const char	*leaf;
	int		 dfd, cfd, error = 0;

	if ((dfd = zc_path_open_parent(root_fd, rel, &leaf)) < 0)
		return (dfd == -ENOENT ? 0 : dfd);
	if (unlinkat(dfd, leaf, 0) == 0 || errno == ENOENT)
		goto out;
	if (errno != EISDIR && errno != EPERM) {
		error = -errno;
		goto out;
	}
	cfd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (cfd == -1) {
		error = -errno;
		goto out;
	}
	error = land_empty_dir(cfd, 0);
	close(cfd);
	if (error == 0 && unlinkat(dfd, leaf, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		error = -errno;
out:
	close(dfd);
	return (error);
}

static int
land_sweep_dir(int dfd, int depth, unsigned long *removed)
{
	DIR		*d;
	struct dirent	*de;
	int		 fd, cfd, error = 0;

	if (depth > 4096)
		return (-ELOOP);
	if ((fd = dup(dfd)) == -1)
		return (-errno);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-errno);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (zc_path_is_temp(de->d_name)) {
			if (unlinkat(dfd, de->d_name, 0) == 0)
				(*removed)++;
			continue;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (cfd == -1)
			continue;	/* not a directory, or gone */
		error = land_sweep_dir(cfd, depth + 1, removed);
		close(cfd);
		if (error != 0)
			break;
	}
	closedir(d);
	return (error);
}

int
zc_land_sweep(int root_fd, unsigned long *removed)
{
	*removed = 0;
	return (land_sweep_dir(root_fd, 0, removed));
}

uint32_t
zc_land_code(int error)
{
	switch (error) {
	case 0:
		return (ZC_OK);
	case -ENOSPC:
	case -EDQUOT:
		return (ZC_E_NOSPACE);
	case -EXDEV:
	case -ELOOP:
	case -EINVAL:
	case -ENAMETOOLONG:
		return (ZC_E_PATH);
	case -EISDIR:
	case -ENOTDIR:
	case -ENOTEMPTY:
		return (ZC_E_TYPE);
	default:
		return (ZC_E_IO);
	}
}

void
zc_land_file_xattrs(struct zc_land_file *lf, const uint8_t *blk, size_t len,
    int xflags)
{
	free(lf->xattrs);
	lf->xattrs = xmalloc(len == 0 ? 1 : len);
	if (len != 0)
		memcpy(lf->xattrs, blk, len);
	lf->xattrs_len = len;
	lf->xattr_flags = xflags;
	lf->xattr_err = 0;
}

int
zc_land_xattrs(int root_fd, const char *rel, uint8_t type, const uint8_t *blk,
    size_t len, int xflags)
{
	const char	*leaf;
	int		 fd, error;

	if (type == ZC_TYPE_SYMLINK) {
		if ((fd = zc_path_open_parent(root_fd, rel, &leaf)) < 0)
			return (fd);
		error = zc_xattr_apply(-1, fd, leaf, blk, len, xflags);
	} else {
		fd = zc_path_openat(root_fd, rel, O_RDONLY | O_NOFOLLOW |
		    (type == ZC_TYPE_DIR ? O_DIRECTORY : 0), 0);
		if (fd < 0)
			return (fd);
		error = zc_xattr_apply(fd, -1, NULL, blk, len, xflags);
	}
	close(fd);
	return (error);
}
