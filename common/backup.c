/*
 * backup.c: keeping replaced and deleted entries on the receiver (see
 * backup.h).
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
#include "xmalloc.h"

void
zc_backup_init(struct zc_backup *b, const char *dir, uint64_t keep)
{
	memset(b, 0, sizeof *b);
	if (dir != NULL && strlen(dir) < sizeof b->dir)
		strcpy(b->dir, dir);
	b->keep = keep == 0 ? ZC_BACKUP_KEEP_DEFAULT : keep;
}

int
zc_backup_on(const struct zc_backup *b)
{
	return (b != NULL && b->dir[0] != '\0');
}

int
zc_backup_owns(const struct zc_backup *b, const char *rel)
{
	size_t	n;

	if (!zc_backup_on(b))
		return (0);
	n = strlen(b->dir);
	return (strncmp(rel, b->dir, n) == 0 &&
	    (rel[n] == '\0' || rel[n] == '/'));
}

int
zc_backup_holds(const struct zc_backup *b, const char *rel)
{
	size_t	n = strlen(rel);

	if (!zc_backup_on(b))
		return (0);
	return (strncmp(b->dir, rel, n) == 0 && b->dir[n] == '/');
}

/* ".20261122T091500.123Z" for now, in UTC. */
static void
backup_stamp(char *out, size_t len)
{
	struct timespec	ts;
	struct tm	tm;
	char		buf[20];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
	snprintf(out, len, ".%s.%03ldZ", buf, ts.tv_nsec / 1000000);
}

const char *
zc_backup_match(const char *name, const char *leaf)
{
	size_t		 n = strlen(leaf), i;
	const char	*t;

	if (strncmp(name, leaf, n) != 0 || name[n] != '.')
		return (NULL);
	t = name + n + 1;
	/* YYYYMMDDTHHMMSS.mmmZ */
	for (i = 0; i < 20; i++) {
		switch (i) {
		case 8:
			if (t[i] != 'T')
				return (NULL);
			break;
		case 15:
			if (t[i] != '.')
				return (NULL);
			break;
		case 19:
			if (t[i] != 'Z')
				return (NULL);
			break;
		default:
			if (t[i] < '0' || t[i] > '9')
				return (NULL);
			break;
		}
	}
	if (t[20] == '\0')
		return (t);
	if (t[20] != '-' || t[21] < '1' || t[21] > '9')
		return (NULL);
	for (i = 22; t[i] != '\0'; i++)
		if (t[i] < '0' || t[i] > '9' || i > 22)
			return (NULL);
	return (t);
}

/*
 * Make the directory bdir (beneath the root) and its parents, each one
 * confined (zc_land_dir refuses a symlink in the way).
 */
static int
backup_mkdirs(int root_fd, char *bdir, int lflags)
{
	char	*p;
	int	 error;

	for (p = bdir; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		error = zc_land_dir(root_fd, bdir, lflags & ZC_LAND_FSYNC);
		*p = '/';
		if (error != 0)
			return (error);
	}
	return (zc_land_dir(root_fd, bdir, lflags & ZC_LAND_FSYNC));
}

/* One generation: its name and where its time starts in it. */
struct backup_gen {
	char		*name;		/* owned */
	const char	*t;		/* in name */
};

/* Oldest first: by time, then by "-N" (a name taken in that millisecond). */
static int
backup_cmp(const void *a, const void *b)
{
	const struct backup_gen	*x = a, *y = b;
	int			 r;

	if ((r = strncmp(x->t, y->t, ZC_BACKUP_STAMP_LEN - 2)) != 0)
		return (r);
	return (atoi(x->t[20] == '-' ? x->t + 21 : "0") -
	    atoi(y->t[20] == '-' ? y->t + 21 : "0"));
}

/*
 * Prune leaf's generations in bfd (the backup directory bdir) to keep, the
 * oldest first.  A directory is removed whole.
 */
static int
backup_prune(const struct zc_backup *b, int root_fd, int bfd,
    const char *bdir, const char *leaf)
{
	DIR			*d;
	struct dirent		*de;
	struct backup_gen	*v = NULL;
	char			 rel[ZC_PATH_MAX + 1];
	size_t			 n = 0, cap = 0, i;
	int			 fd, error = 0;

	if ((fd = dup(bfd)) == -1)
		return (-errno);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-errno);
	}
	while ((de = readdir(d)) != NULL) {
		if (zc_backup_match(de->d_name, leaf) == NULL)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[n].name = xstrdup(de->d_name);
		v[n].t = zc_backup_match(v[n].name, leaf);
		n++;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof *v, backup_cmp);
	for (i = 0; i + b->keep < n && error == 0; i++) {
		if (unlinkat(bfd, v[i].name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			error = -errno;
			break;
		}
		if (snprintf(rel, sizeof rel, "%s/%s", bdir, v[i].name) >=
		    (int)sizeof rel) {
			error = -ENAMETOOLONG;
			break;
		}
		error = zc_land_delete(root_fd, rel);
	}
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	return (error);
}

/*
 * The receiver's own problem (a symlink or a file where the backup
 * directory should be, a full disk): the entry is not replaced, and the
 * operator needs to know why.
 */
static void
backup_log(const struct zc_backup *b, const char *rel, int error)
{
	char	name[1024];

	zc_log_err("backup %s: cannot keep the old %s, so it is not replaced: "
	    "%s%s", b->dir, zc_log_name(rel, name, sizeof name),
	    strerror(-error), error == -ENOTDIR || error == -ELOOP ?
	    " (a symlink or a file in the backup directory's way?)" : "");
}

int
zc_backup_keep(const struct zc_backup *b, int root_fd, int dir_fd,
    const char *leaf, const char *rel, int how, int lflags)
{
	struct stat	 st;
	const char	*slash;
	char		 bdir[ZC_PATH_MAX + 1], name[ZC_PATH_NAME_MAX + 1];
	char		 stamp[48];
	int		 bfd = -1, error = 0, i, r;

	if (!zc_backup_on(b))
		return (0);
	if (fstatat(dir_fd, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return (errno == ENOENT ? 0 : -errno);
	if (how == ZC_BACKUP_LINK && S_ISDIR(st.st_mode))
		return (0);
	slash = strrchr(rel, '/');
	if (slash != NULL)
		r = snprintf(bdir, sizeof bdir, "%s/%.*s", b->dir,
		    (int)(slash - rel), rel);
	else
		r = snprintf(bdir, sizeof bdir, "%s", b->dir);
	if (r < 0 || (size_t)r >= sizeof bdir)
		return (-ENAMETOOLONG);
	if ((error = backup_mkdirs(root_fd, bdir, lflags)) != 0 ||
	    (bfd = zc_path_openat(root_fd, bdir, O_RDONLY | O_DIRECTORY,
	    0)) < 0) {
		if (error == 0)
			error = bfd;
		backup_log(b, rel, error);
		return (error);
	}
	backup_stamp(stamp, sizeof stamp);
	for (i = 0; i <= ZC_BACKUP_SUFFIX_MAX; i++) {
		if (i == 0)
			r = snprintf(name, sizeof name, "%s%s", leaf, stamp);
		else
			r = snprintf(name, sizeof name, "%s%s-%d", leaf, stamp,
			    i);
		if (r < 0 || (size_t)r >= sizeof name) {
			error = -ENAMETOOLONG;
			goto out;
		}
		if (how == ZC_BACKUP_LINK)
			r = linkat(dir_fd, leaf, bfd, name, 0);
		else
			r = renameat2(dir_fd, leaf, bfd, name,
			    RENAME_NOREPLACE);
		if (r == 0)
			break;
		if (errno == ENOENT) {
			error = 0;	/* gone meanwhile: nothing to keep */
			goto out;
		}
		if (errno != EEXIST) {
			error = -errno;
			goto out;
		}
	}
	if (i > ZC_BACKUP_SUFFIX_MAX) {
		error = -EEXIST;
		goto out;
	}
	if ((lflags & ZC_LAND_FSYNC) && fsync(bfd) == -1) {
		error = -errno;
		goto out;
	}
	error = backup_prune(b, root_fd, bfd, bdir, leaf);
out:
	close(bfd);
	if (error != 0)
		backup_log(b, rel, error);
	return (error);
}

int
zc_backup_keep_path(const struct zc_backup *b, int root_fd, const char *rel,
    int how, int lflags)
{
	const char	*leaf;
	int		 dfd, error;

	if (!zc_backup_on(b))
		return (0);
	if ((dfd = zc_path_open_parent(root_fd, rel, &leaf)) < 0)
		return (dfd == -ENOENT ? 0 : dfd);
	error = zc_backup_keep(b, root_fd, dfd, leaf, rel, how, lflags);
	close(dfd);
	return (error);
}
