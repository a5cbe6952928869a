/*
 * watch.c: recursive inotify watching of one set root (see watch.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "filter.h"
#include "log.h"
#include "path.h"
#include "watch.h"
#include "xmalloc.h"

#define WATCH_MASK	(IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | \
	IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |	\
	IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
#define WATCH_READ_MAX	(64 * 1024)	/* event bytes per read */
#define WATCH_READS	16		/* reads per wakeup */
#define WATCH_LOOKAHEAD	8		/* events looked at after a creation */

static void	watch_on_poll(uv_poll_t *, int, int);
static void	watch_on_move_timer(uv_timer_t *);

size_t
zcd_watch_count(const struct zcd_watch *w)
{
	return (w->ndirs);
}

static size_t
watch_slot(const struct zcd_watch *w, int wd)
{
	size_t	h = ((size_t)(unsigned)wd * 2654435761U) & (w->nslots - 1);

	while (w->dirs[h].path != NULL && w->dirs[h].wd != wd)
		h = (h + 1) & (w->nslots - 1);
	return (h);
}

static struct zcd_watch_dir *
watch_find(const struct zcd_watch *w, int wd)
{
	size_t	h;

	if (w->nslots == 0)
		return (NULL);
	h = watch_slot(w, wd);
	return (w->dirs[h].path != NULL ? &w->dirs[h] : NULL);
}

static void
watch_grow(struct zcd_watch *w)
{
	struct zcd_watch_dir	*old = w->dirs;
	size_t			 i, n = w->nslots, h;

	w->nslots = n == 0 ? 256 : n * 2;
	w->dirs = xcalloc(w->nslots, sizeof *w->dirs);
	for (i = 0; i < n; i++) {
		if (old[i].path == NULL)
			continue;
		h = watch_slot(w, old[i].wd);
		w->dirs[h] = old[i];
	}
	free(old);
}

static void
watch_map_set(struct zcd_watch *w, int wd, const char *path)
{
	struct zcd_watch_dir	*d;
	size_t			 h;

	if ((d = watch_find(w, wd)) != NULL) {
		/* The same directory again (moved, or a duplicate add). */
		free(d->path);
		d->path = xstrdup(path);
		return;
	}
	if ((w->ndirs + 1) * 2 > w->nslots)
		watch_grow(w);
	h = watch_slot(w, wd);
	w->dirs[h].wd = wd;
	w->dirs[h].path = xstrdup(path);
	w->ndirs++;
}

/* Remove one slot, re-inserting the cluster after it (linear probing). */
static void
watch_map_del(struct zcd_watch *w, int wd)
{
	struct zcd_watch_dir	 e;
	size_t			 h, j;

	if (w->nslots == 0)
		return;
	h = watch_slot(w, wd);
	if (w->dirs[h].path == NULL)
		return;
	free(w->dirs[h].path);
	w->dirs[h].path = NULL;
	w->ndirs--;
	for (j = (h + 1) & (w->nslots - 1); w->dirs[j].path != NULL;
	    j = (j + 1) & (w->nslots - 1)) {
		e = w->dirs[j];
		w->dirs[j].path = NULL;
		w->dirs[watch_slot(w, e.wd)] = e;
	}
}

static int
watch_is_under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	return (strncmp(path, dir, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/'));
}

/* A directory moved within the root: its watches keep their wds. */
static void
watch_map_rename(struct zcd_watch *w, const char *from, const char *to)
{
	size_t	 i, n = strlen(from);
	char	*p;

	for (i = 0; i < w->nslots; i++) {
		if (w->dirs[i].path == NULL ||
		    !watch_is_under(w->dirs[i].path, from))
			continue;
		xasprintf(&p, "%s%s", to, w->dirs[i].path + n);
		free(w->dirs[i].path);
		w->dirs[i].path = p;
	}
}

/* A directory left the root (or is gone): drop the watches beneath it. */
static void
watch_map_drop(struct zcd_watch *w, const char *dir)
{
	size_t	i;
	int	again = 1;

	while (again) {
		again = 0;
		for (i = 0; i < w->nslots; i++) {
			if (w->dirs[i].path == NULL ||
			    !watch_is_under(w->dirs[i].path, dir))
				continue;
			(void)inotify_rm_watch(w->fd, w->dirs[i].wd);
			watch_map_del(w, w->dirs[i].wd);
			again = 1;	/* deletion moved entries around */
			break;
		}
	}
}

static void
watch_out_of_watches(struct zcd_watch *w)
{
	if (w->degraded)
		return;
	w->degraded = 1;
	zc_log_err("set %s: out of inotify watches after %zu directories: "
	    "raise fs.inotify.max_user_watches (sysctl); until then this set "
	    "is rescanned periodically", w->set, w->ndirs);
}

/*
 * Watch dfd (the directory at rel) and every directory beneath it.  The
 * watch is added through /proc/self/fd, so it lands on the directory we
 * opened (O_NOFOLLOW) and never on whatever a name points to now.  That
 * path is a magic link: IN_DONT_FOLLOW would watch the link itself.
 */
static int
watch_add_tree(struct zcd_watch *w, int dfd, const char *rel, int depth)
{
	char		 proc[64], *child;
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	int		 wd, fd, cfd, error = 0, isdir;

	if (depth > ZC_PATH_DEPTH_MAX)
		return (-ELOOP);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", dfd);
	if ((wd = inotify_add_watch(w->fd, proc, WATCH_MASK)) == -1) {
		if (errno == ENOSPC) {
			watch_out_of_watches(w);
			return (0);
		}
		if (errno == ENOENT || errno == ENOTDIR)
			return (0);	/* gone meanwhile */
		return (-errno);
	}
	watch_map_set(w, wd, rel);
	if (w->filter != NULL)
		(void)zc_filter_load_dir(w->filter, dfd, rel);
	if ((fd = dup(dfd)) == -1)
		return (-errno);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (-errno);
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		isdir = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN)
			isdir = fstatat(dfd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
		if (!isdir)
			continue;
		if (*rel == '\0')
			child = xstrdup(de->d_name);
		else
			xasprintf(&child, "%s/%s", rel, de->d_name);
		if ((w->filter != NULL && zc_filter_match(w->filter, child,
		    1)) || (w->skip != NULL && watch_is_under(child, w->skip))) {
			free(child);
			continue;	/* excluded, or the backups: not watched */
		}
		cfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (cfd == -1) {
			free(child);
			continue;	/* gone, or not a directory now */
		}
		error = watch_add_tree(w, cfd, child, depth + 1);
		free(child);
		close(cfd);
		if (error != 0)
			break;
	}
	closedir(d);
	return (error);
}

/* Watch the directory rel (beneath the root) and its subtree. */
static int
watch_add_path(struct zcd_watch *w, const char *rel)
{
	int	fd, error;

	if (w->filter != NULL && zc_filter_excluded(w->filter, rel, 1))
		return (0);
	fd = zc_path_openat(w->root_fd, rel, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW, 0);
	if (fd < 0)
		return (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP ? 0 :
		    fd);
	error = watch_add_tree(w, fd, rel, 0);
	close(fd);
	return (error);
}

void
zcd_watch_skip(struct zcd_watch *w, const char *dir)
{
	free(w->skip);
	w->skip = xstrdup(dir);
	watch_map_drop(w, dir);
}

int
zcd_watch_start(uv_loop_t *loop, int root_fd, const char *set,
    struct zc_filter *filter, zcd_watch_cb cb, void *arg,
    struct zcd_watch **out, char *err, size_t errlen)
{
	struct zcd_watch	*w;
	int			 error;

	*out = NULL;
	w = xcalloc(1, sizeof *w);
	w->root_fd = root_fd;
	w->filter = filter;
	w->cb = cb;
	w->arg = arg;
	snprintf(w->set, sizeof w->set, "%s", set);
	if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		error = -errno;
		snprintf(err, errlen, "inotify_init1: %s", strerror(errno));
		if (errno == EMFILE)
			snprintf(err, errlen, "inotify_init1: %s (raise "
			    "fs.inotify.max_user_instances)", strerror(EMFILE));
		free(w);
		return (error);
	}
	if ((error = watch_add_tree(w, root_fd, "", 0)) != 0) {
		snprintf(err, errlen, "watching: %s", strerror(-error));
		goto fail;
	}
	if ((error = uv_poll_init(loop, &w->poll, w->fd)) != 0) {
		snprintf(err, errlen, "poll: %s", uv_strerror(error));
		goto fail;
	}
	uv_timer_init(loop, &w->move_timer);
	w->poll.data = w;
	w->move_timer.data = w;
	uv_poll_start(&w->poll, UV_READABLE, watch_on_poll);
	*out = w;
	return (0);
fail:
	close(w->fd);
	for (size_t i = 0; i < w->nslots; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	free(w);
	return (error);
}

static void
watch_free(struct zcd_watch *w)
{
	size_t	i;

	close(w->fd);
	for (i = 0; i < w->nslots; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	for (i = 0; i < w->nmoves; i++)
		free(w->moves[i].path);
	free(w->moves);
	free(w->skip);
	free(w);
}

static void
watch_on_closed(uv_handle_t *h)
{
	struct zcd_watch	*w = h->data;

	if (--w->closes > 0)
		return;
	if (w->on_closed != NULL)
		w->on_closed(w);
	watch_free(w);
}

void
zcd_watch_stop(struct zcd_watch *w, void (*on_closed)(struct zcd_watch *))
{
	w->on_closed = on_closed;
	w->closes = 2;
	uv_close((uv_handle_t *)&w->poll, watch_on_closed);
	uv_close((uv_handle_t *)&w->move_timer, watch_on_closed);
}

/* An unpaired IN_MOVED_FROM: the entry left the root. */
static void
watch_move_out(struct zcd_watch *w, struct zcd_watch_move *m)
{
	if (m->is_dir)
		watch_map_drop(w, m->path);
	if (!zc_path_is_temp(strrchr(m->path, '/') ?
	    strrchr(m->path, '/') + 1 : m->path))
		w->cb(w->arg, m->is_dir ? ZCD_WATCH_DIR_DELETED :
		    ZCD_WATCH_DELETED, m->path, NULL);
	free(m->path);
}

static void
watch_flush_moves(struct zcd_watch *w)
{
	size_t	i;

	for (i = 0; i < w->nmoves; i++)
		watch_move_out(w, &w->moves[i]);
	w->nmoves = 0;
}

static void
watch_on_move_timer(uv_timer_t *t)
{
	watch_flush_moves(t->data);
}

static int
watch_leaf_is_temp(const char *name)
{
	return (zc_path_is_temp(name));
}

/*
 * A directory moved within the root: moved out of sight of the rules it
 * loses its watches, moved into it, it gains them.
 */
static void
watch_moved_filter(struct zcd_watch *w, const char *from, const char *to)
{
	int	error;

	if (zc_filter_excluded(w->filter, to, 1))
		watch_map_drop(w, to);
	else if (zc_filter_excluded(w->filter, from, 1) &&
	    (error = watch_add_path(w, to)) != 0)
		zc_log_warn("set %s: watching %s: %s", w->set, to,
		    strerror(-error));
}

void
zcd_watch_refilter(struct zcd_watch *w)
{
	size_t	i;
	int	again = 1, error;

	if (w->filter == NULL)
		return;
	while (again) {
		again = 0;
		for (i = 0; i < w->nslots; i++) {
			if (w->dirs[i].path == NULL ||
			    *w->dirs[i].path == '\0' ||
			    !zc_filter_excluded(w->filter, w->dirs[i].path, 1))
				continue;
			(void)inotify_rm_watch(w->fd, w->dirs[i].wd);
			watch_map_del(w, w->dirs[i].wd);
			again = 1;	/* deletion moved entries around */
			break;
		}
	}
	/* An existing watch keeps its wd: only the missing ones are new. */
	if ((error = watch_add_tree(w, w->root_fd, "", 0)) != 0)
		zc_log_warn("set %s: watching: %s", w->set, strerror(-error));
}

/* Appeared: a directory gets watched and scanned; anything else changed. */
static void
watch_appeared(struct zcd_watch *w, const char *path, int is_dir, int moved)
{
	struct stat	st;
	int		error;

	if (is_dir) {
		if ((error = watch_add_path(w, path)) != 0)
			zc_log_warn("set %s: watching %s: %s", w->set, path,
			    strerror(-error));
		w->cb(w->arg, ZCD_WATCH_DIR_ADDED, path, NULL);
		return;
	}
	/*
	 * A regular file just created is usually still being written: wait
	 * for IN_CLOSE_WRITE (or the settle time).  A symlink, or anything
	 * moved in whole, is complete now.
	 */
	if (!moved && fstatat(w->root_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		w->cb(w->arg, ZCD_WATCH_WRITING, path, NULL);
	else
		w->cb(w->arg, ZCD_WATCH_CHANGED, path, NULL);
}

/*
 * Does one of the next few events read with a creation say that the file
 * is being written (IN_MODIFY, IN_CLOSE_WRITE)?  Then those events queue
 * it, and the creation needs no fstatat() to tell a file being written from
 * one complete already (a symlink, a hard link).
 */
static int
watch_writes_follow(const struct inotify_event *ev, const char *p,
    const char *end)
{
	const struct inotify_event	*nx;
	int				 k;

	for (k = 0; k < WATCH_LOOKAHEAD && end - p >=
	    (ptrdiff_t)sizeof(struct inotify_event); k++) {
		nx = (const struct inotify_event *)(const void *)p;
		if (nx->wd == ev->wd && nx->len > 0 &&
		    strcmp(nx->name, ev->name) == 0) {
			if (nx->mask & (IN_MODIFY | IN_CLOSE_WRITE))
				return (1);
			if (nx->mask & (IN_DELETE | IN_MOVED_FROM))
				return (0);
		}
		p += sizeof(struct inotify_event) + nx->len;
	}
	return (0);
}

/* One event; [next, end) are the ones read after it. */
static void
watch_event(struct zcd_watch *w, const struct inotify_event *ev,
    const char *next, const char *end)
{
	struct zcd_watch_dir	*d;
	struct zcd_watch_move	*m;
	char			*path;
	size_t			 i;
	int			 is_dir = (ev->mask & IN_ISDIR) != 0;

	if (ev->mask & IN_Q_OVERFLOW) {
		/*
		 * Events were lost: directories made or moved meanwhile have
		 * no watch or a stale name.  Walk again (an existing watch
		 * keeps its wd and gets its current name), then rescan.
		 */
		zc_log_warn("set %s: inotify queue overflowed: rescanning",
		    w->set);
		(void)watch_add_tree(w, w->root_fd, "", 0);
		w->cb(w->arg, ZCD_WATCH_RESCAN, NULL, NULL);
		return;
	}
	if ((d = watch_find(w, ev->wd)) == NULL)
		return;
	if (ev->mask & IN_IGNORED) {
		if (*d->path == '\0')
			w->cb(w->arg, ZCD_WATCH_ROOT_LOST, "", NULL);
		watch_map_del(w, ev->wd);
		return;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
		if (*d->path == '\0')
			w->cb(w->arg, ZCD_WATCH_ROOT_LOST, "", NULL);
		return;		/* the parent reports the name */
	}
	if (ev->len == 0 || ev->name[0] == '\0')
		return;		/* about the directory itself */
	if (*d->path == '\0')
		path = xstrdup(ev->name);
	else
		xasprintf(&path, "%s/%s", d->path, ev->name);

	if (ev->mask & IN_MOVED_FROM) {
		if (w->nmoves == w->moves_cap) {
			w->moves_cap = w->moves_cap ? w->moves_cap * 2 : 16;
			w->moves = xreallocarray(w->moves, w->moves_cap,
			    sizeof *w->moves);
		}
		m = &w->moves[w->nmoves++];
		m->cookie = ev->cookie;
		m->path = path;
		m->is_dir = is_dir;
		uv_timer_start(&w->move_timer, watch_on_move_timer,
		    ZCD_WATCH_MOVE_MS, 0);
		return;
	}
	if (ev->mask & IN_MOVED_TO) {
		for (i = 0; i < w->nmoves; i++)
			if (w->moves[i].cookie == ev->cookie)
				break;
		if (i == w->nmoves) {
			if (!watch_leaf_is_temp(ev->name))
				watch_appeared(w, path, is_dir, 1);
		} else {
			m = &w->moves[i];
			if (is_dir)
				watch_map_rename(w, m->path, path);
			if (is_dir && w->filter != NULL)
				watch_moved_filter(w, m->path, path);
			/* Our own temp renamed into place: a new version. */
			if (watch_leaf_is_temp(strrchr(m->path, '/') ?
			    strrchr(m->path, '/') + 1 : m->path))
				w->cb(w->arg, ZCD_WATCH_CHANGED, path, NULL);
			else if (watch_leaf_is_temp(ev->name))
				w->cb(w->arg, ZCD_WATCH_DELETED, m->path, NULL);
			else
				w->cb(w->arg, ZCD_WATCH_RENAMED, m->path, path);
			free(m->path);
			w->moves[i] = w->moves[--w->nmoves];
		}
		free(path);
		return;
	}
	if (watch_leaf_is_temp(ev->name)) {
		free(path);
		return;
	}
	if (ev->mask & IN_CREATE) {
		if (is_dir || !watch_writes_follow(ev, next, end))
			watch_appeared(w, path, is_dir, 0);
	}
	else if (ev->mask & IN_CLOSE_WRITE)
		w->cb(w->arg, ZCD_WATCH_CHANGED, path, NULL);
	else if (ev->mask & IN_MODIFY)
		w->cb(w->arg, ZCD_WATCH_WRITING, path, NULL);
	else if (ev->mask & IN_ATTRIB)
		w->cb(w->arg, ZCD_WATCH_ATTRIB, path, NULL);
	else if (ev->mask & IN_DELETE) {
		if (is_dir)
			watch_map_drop(w, path);
		w->cb(w->arg, is_dir ? ZCD_WATCH_DIR_DELETED :
		    ZCD_WATCH_DELETED, path, NULL);
	}
	free(path);
}

static void
watch_on_poll(uv_poll_t *h, int status, int events)
{
	struct zcd_watch		*w = h->data;
	const struct inotify_event	*ev;
	char				*buf, *p;
	ssize_t				 n;
	int				 reads;

	if (status < 0) {
		zc_log_err("set %s: inotify: %s", w->set, uv_strerror(status));
		return;
	}
	buf = xmalloc(WATCH_READ_MAX);
	for (reads = 0; reads < WATCH_READS; reads++) {
		n = read(w->fd, buf, WATCH_READ_MAX);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				zc_log_err("set %s: reading inotify: %s",
				    w->set, strerror(errno));
			break;
		}
		for (p = buf; p < buf + n;
		    p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			watch_event(w, ev, p + sizeof(struct inotify_event) +
			    ev->len, buf + n);
		}
	}
	free(buf);
}
