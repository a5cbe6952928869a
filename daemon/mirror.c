/*
 * mirror.c: sets this node mirrors to peers.  The watcher's events go to
 * every link's queue; a timer (the set's delay, or the settle time of a
 * file still being written) kicks the links, each at its own pace.
 *
 * The root is checked on every catch-up and watched: if it is deleted,
 * moved, unmounted or replaced the set stops with an error.  An empty
 * mount point must never become "delete everything" on the peers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filter.h"
#include "log.h"
#include "path.h"
#include "xmalloc.h"
#include "zcsyncd.h"

static void	mirror_on_flush(uv_timer_t *);

/* Is the configured path still the directory we opened? */
int
zcd_mirror_root_ok(struct zcd_mirror *m, char *why, size_t whylen)
{
	struct stat	st;

	if (stat(m->path, &st) == -1) {
		snprintf(why, whylen, "%s: %s", m->path, strerror(errno));
		return (0);
	}
	if (st.st_dev != m->root_dev || st.st_ino != m->root_ino) {
		snprintf(why, whylen, "%s was replaced (device or inode "
		    "changed: unmounted or swapped?)", m->path);
		return (0);
	}
	return (1);
}

/*
 * Arm the flush timer for the earliest change ready after `after` (0: any).
 * From the flush callback itself only later changes count: what is ready
 * now is the links' to take, and libuv 1.44 runs a timer re-armed with 0
 * from its own callback again at once, forever.
 */
static void
mirror_arm_after(struct zcd_mirror *m, uint64_t after)
{
	uint64_t	now, next = UINT64_MAX, r;
	size_t		i;

	if (m->stopped)
		return;
	now = uv_now(m->zcd->loop);
	for (i = 0; i < m->nlinks; i++) {
		r = zcd_queue_next_ready(&m->links[i]->queue, after);
		if (r < next)
			next = r;
	}
	if (next == UINT64_MAX)
		return;
	/* Debounce: a running timer already covers an earlier time. */
	if (uv_is_active((uv_handle_t *)&m->flush) &&
	    uv_timer_get_due_in(&m->flush) <= (next > now ? next - now : 0))
		return;
	uv_timer_start(&m->flush, mirror_on_flush, next > now ? next - now : 0,
	    0);
}

void
zcd_mirror_arm(struct zcd_mirror *m)
{
	mirror_arm_after(m, 0);
}

static void
mirror_on_flush(uv_timer_t *t)
{
	struct zcd_mirror	*m = t->data;
	size_t			 i;

	for (i = 0; i < m->nlinks; i++)
		zcd_link_kick(m->links[i]);
	mirror_arm_after(m, uv_now(m->zcd->loop));	/* files settling */
}

/*
 * Queue a change on every link, and have the flush timer fire by its ready
 * time.  Only that time: a change queued earlier, still waiting, has its
 * own already armed (a scan of the queue per event made a sender behind
 * its peer spend 40% of its CPU in zcd_queue_next_ready()).
 */
static void
mirror_queue(struct zcd_mirror *m, enum zc_live_op op, const char *path,
    const char *path2, uint64_t ready)
{
	uint64_t	now = uv_now(m->zcd->loop), in;
	size_t		i;

	for (i = 0; i < m->nlinks; i++) {
		zcd_queue_add(&m->links[i]->queue, op, path, path2, ready);
		if (m->links[i]->queue.overflowed)
			zcd_link_resync(m->links[i]);
	}
	if (m->stopped)
		return;
	in = ready > now ? ready - now : 0;
	if (uv_is_active((uv_handle_t *)&m->flush) &&
	    uv_timer_get_due_in(&m->flush) <= in)
		return;
	uv_timer_start(&m->flush, mirror_on_flush, in, 0);
}

/*
 * Is path left out by the set's rules?  isdir -1: look.  A path gone is
 * left out if it would be as a file or as a directory: better a stale
 * entry on the peers than a protected one deleted.
 */
static int
mirror_excluded(struct zcd_mirror *m, const char *path, int isdir)
{
	struct stat	st;
	int		file, dir;

	if (isdir != -1)
		return (zc_filter_excluded(m->filter, path, isdir));
	/* Only a rule for directories alone (dir/) needs to know. */
	file = zc_filter_excluded(m->filter, path, 0);
	dir = zc_filter_excluded(m->filter, path, 1);
	if (file == dir)
		return (file);
	if (fstatat(m->root_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return (S_ISDIR(st.st_mode) ? dir : file);
	return (1);
}

/*
 * A .zcsyncignore (path) was written, deleted or moved: read its
 * directory's rules again, watch what they now allow and catch up (a
 * catch-up reads every rule anew).  0 if path is no such file.
 */
static int
mirror_rules_changed(struct zcd_mirror *m, const char *path)
{
	const char	*leaf = strrchr(path, '/');
	char		*dir;
	size_t		 i;

	if (strcmp(leaf != NULL ? leaf + 1 : path, ZC_FILTER_FILE) != 0)
		return (0);
	dir = xstrndup(path, leaf != NULL ? (size_t)(leaf - path) : 0);
	if (*dir != '\0' && mirror_excluded(m, dir, 1)) {
		free(dir);
		return (0);	/* a directory never walked: rules unread */
	}
	zc_log_info("set %s: %s changed: rereading the rules", m->name, path);
	(void)zc_filter_load_path(m->filter, m->root_fd, dir);
	free(dir);
	if (m->watch != NULL)
		zcd_watch_refilter(m->watch);
	for (i = 0; i < m->nlinks; i++)
		zcd_link_resync(m->links[i]);
	m->rescans++;
	return (1);
}

/* The set's rules on an event: 0 to queue it as it is, 1 if handled. */
static int
mirror_filter_event(struct zcd_mirror *m, enum zcd_watch_event ev,
    const char *path, const char *path2, uint64_t ready)
{
	struct stat	st;
	size_t		i;
	int		isdir, from, to;

	switch (ev) {
	case ZCD_WATCH_CHANGED:
	case ZCD_WATCH_DELETED:
		if (mirror_rules_changed(m, path))
			return (1);
		/* FALLTHROUGH */
	case ZCD_WATCH_WRITING:
	case ZCD_WATCH_ATTRIB:
		return (mirror_excluded(m, path, -1));
	case ZCD_WATCH_DIR_ADDED:
		return (mirror_excluded(m, path, 1));
	case ZCD_WATCH_DIR_DELETED:
		if (mirror_excluded(m, path, 1))
			return (1);
		if (!m->delete || zc_filter_empty(m->filter))
			return (0);
		/*
		 * The peers' copy may hold entries our rules exclude, which a
		 * DELETE of the directory would take with it: a catch-up
		 * deletes around them (send.c, send_plan_protect()).
		 */
		for (i = 0; i < m->nlinks; i++)
			zcd_link_resync(m->links[i]);
		m->rescans++;
		return (1);
	case ZCD_WATCH_RENAMED:
		if (mirror_rules_changed(m, path) ||
		    mirror_rules_changed(m, path2))
			return (1);
		isdir = fstatat(m->root_fd, path2, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 ? S_ISDIR(st.st_mode) : -1;
		from = mirror_excluded(m, path, isdir);
		to = mirror_excluded(m, path2, isdir);
		if (from && !to)	/* came into sight: new there */
			mirror_queue(m, isdir == 1 ? ZC_LIVE_TREE :
			    ZC_LIVE_PATH, path2, NULL, ready);
		else if (!from && to) {	/* went out of sight: gone */
			if (isdir != 1 || !mirror_filter_event(m,
			    ZCD_WATCH_DIR_DELETED, path, NULL, ready))
				mirror_queue(m, ZC_LIVE_PATH, path, NULL,
				    ready);
		}
		return (from || to);
	default:
		return (0);
	}
}

static int
mirror_is_backup(const struct zcd_mirror *m, const char *path)
{
	size_t	n;

	if (m->backup_dir == NULL)
		return (0);
	n = strlen(m->backup_dir);
	return (strncmp(path, m->backup_dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}

static void
mirror_on_event(void *arg, enum zcd_watch_event ev, const char *path,
    const char *path2)
{
	struct zcd_mirror	*m = arg;
	uint64_t		 now = uv_now(m->zcd->loop);
	uint64_t		 ready = now + m->delay_ms;
	size_t			 i;
	char			 why[512];

	if (m->stopped)
		return;
	/* The receiver-local backup directory is neither watched nor sent. */
	if (path != NULL && mirror_is_backup(m, path)) {
		if (ev != ZCD_WATCH_RENAMED || path2 == NULL ||
		    mirror_is_backup(m, path2))
			return;
		/* Moved out of the backup directory: new here. */
		ev = ZCD_WATCH_DIR_ADDED;
		path = path2;
		path2 = NULL;
	} else if (ev == ZCD_WATCH_RENAMED && path2 != NULL &&
	    mirror_is_backup(m, path2)) {
		/* Moved into it: gone from the set. */
		ev = ZCD_WATCH_DELETED;
		path2 = NULL;
	}
	zc_log_debug("set %s: event %d %s%s%s", m->name, (int)ev,
	    path != NULL ? path : "", path2 != NULL ? " -> " : "",
	    path2 != NULL ? path2 : "");
	if (mirror_filter_event(m, ev, path, path2, ready))
		return;
	switch (ev) {
	case ZCD_WATCH_CHANGED:
	case ZCD_WATCH_DELETED:
	case ZCD_WATCH_DIR_DELETED:
		mirror_queue(m, ZC_LIVE_PATH, path, NULL, ready);
		break;
	case ZCD_WATCH_WRITING:
		mirror_queue(m, ZC_LIVE_PATH, path, NULL, now + m->settle_ms);
		break;
	case ZCD_WATCH_ATTRIB:
		mirror_queue(m, ZC_LIVE_ATTR, path, NULL, ready);
		break;
	case ZCD_WATCH_RENAMED:
		mirror_queue(m, ZC_LIVE_RENAME, path, path2, ready);
		break;
	case ZCD_WATCH_DIR_ADDED:
		mirror_queue(m, ZC_LIVE_TREE, path, NULL, ready);
		break;
	case ZCD_WATCH_RESCAN:
		for (i = 0; i < m->nlinks; i++)
			zcd_link_resync(m->links[i]);
		m->rescans++;
		return;
	case ZCD_WATCH_ROOT_LOST:
		snprintf(why, sizeof why, "the root %s was deleted, moved or "
		    "unmounted", m->path);
		zcd_mirror_stop(m, why);
		return;
	}
}

static void
mirror_on_rescan(uv_timer_t *t)
{
	struct zcd_mirror	*m = t->data;
	char			 why[512];
	size_t			 i;

	/*
	 * A lazy unmount (umount -l) sends no inotify event while we hold
	 * the root open; a stat of the path a second sees it.
	 */
	if (!zcd_mirror_root_ok(m, why, sizeof why)) {
		zcd_mirror_stop(m, why);
		return;
	}
	if (m->watch == NULL || !m->watch->degraded ||
	    uv_now(t->loop) - m->last_rescan < ZCD_RESCAN_MS)
		return;
	m->last_rescan = uv_now(t->loop);
	for (i = 0; i < m->nlinks; i++)
		zcd_link_resync(m->links[i]);
}

/*
 * What a mirror is made of, as one string: a reload keeps a mirror (and
 * its connections) whose signature did not change.
 */
static char *
mirror_signature(const struct zc_config *cfg, const struct zc_config_set *cs)
{
	const struct zc_config_peer	*p;
	char				*sig, *next, addr[64];
	size_t				 i;

	xasprintf(&sig, "%s|%s|%d|%llu|%llu|%s", cs->name, cs->path, cs->delete,
	    (unsigned long long)cs->delay_ms, (unsigned long long)cs->settle_ms,
	    cfg->node.name);
	for (i = 0; i < cs->ninclude; i++) {
		xasprintf(&next, "%s|+%s", sig, cs->include[i]);
		free(sig);
		sig = next;
	}
	for (i = 0; i < cs->nexclude; i++) {
		xasprintf(&next, "%s|-%s", sig, cs->exclude[i]);
		free(sig);
		sig = next;
	}
	xasprintf(&next, "%s|max_delete=%d,%d,%llu|backup=%s", sig,
	    cs->max_delete.set, cs->max_delete.percent,
	    (unsigned long long)cs->max_delete.value,
	    cs->backup_dir != NULL ? cs->backup_dir : "");
	free(sig);
	sig = next;
	/* SPECIAL: a mirror that starts sending specials starts again. */
	xasprintf(&next, "%s|specials=%d", sig, cs->specials);
	free(sig);
	sig = next;
	xasprintf(&next, "%s|xattrs=%d|numeric_ids=%d", sig, cs->xattrs,
	    cs->numeric_ids);
	free(sig);
	sig = next;
	for (i = 0; i < cs->npush_to; i++) {
		p = zc_config_peer(cfg, cs->push_to[i]);
		xasprintf(&next, "%s|%s=%s", sig, cs->push_to[i],
		    p != NULL && p->address != NULL ?
		    zc_addr_str(&p->addr, addr, sizeof addr) : "-");
		free(sig);
		sig = next;
	}
	/* verify: a restart of the links, with or without the flag. */
	if (cs->verify) {
		xasprintf(&next, "%s|verify", sig);
		free(sig);
		sig = next;
	}
	return (sig);
}

static int
mirror_start(struct zcd *zcd, const struct zc_config_set *cs, char *err,
    size_t errlen)
{
	struct zcd_mirror		*m;
	const struct zc_config_peer	*p;
	struct stat			 st;
	char				 why[256];
	size_t				 i;
	int				 error;

	m = xcalloc(1, sizeof *m);
	m->zcd = zcd;
	m->name = xstrdup(cs->name);
	m->path = xstrdup(cs->path);
	m->delete = cs->delete;
	m->verify = cs->verify;
	m->specials = cs->specials;
	m->no_xattrs = !cs->xattrs;
	m->numeric_ids = cs->numeric_ids;
	m->delay_ms = cs->delay_ms;
	m->settle_ms = cs->settle_ms;
	m->max_delete = cs->max_delete;
	m->backup_dir = cs->backup_dir != NULL ? xstrdup(cs->backup_dir) : NULL;
	m->sig = mirror_signature(zcd->cfg, cs);
	m->root_fd = -1;
	if ((error = zc_filter_from_lists(cs->include, cs->ninclude,
	    cs->exclude, cs->nexclude, &m->filter, why, sizeof why)) != 0 ||
	    (m->root_fd = zc_path_open_root(cs->path)) < 0 ||
	    fstat(m->root_fd, &st) == -1) {
		if (error != 0)
			snprintf(err, errlen, "set %s: %s", cs->name, why);
		else {
			error = m->root_fd < 0 ? m->root_fd : -errno;
			snprintf(err, errlen, "set %s: %s: %s", cs->name,
			    cs->path, strerror(-error));
		}
		if (m->root_fd >= 0)
			close(m->root_fd);
		zc_filter_free(m->filter);
		free(m->sig);
		free(m->name);
		free(m->path);
		free(m->backup_dir);
		free(m);
		return (error);
	}
	m->root_dev = st.st_dev;
	m->root_ino = st.st_ino;
	uv_timer_init(zcd->loop, &m->flush);
	uv_timer_init(zcd->loop, &m->rescan);
	m->flush.data = m->rescan.data = m;
	m->next = zcd->mirrors;
	zcd->mirrors = m;
	if ((error = zcd_watch_start(zcd->loop, m->root_fd, m->name,
	    m->filter, mirror_on_event, m, &m->watch, err, errlen)) != 0)
		return (error);		/* stopped with the others */
	if (m->backup_dir != NULL)
		zcd_watch_skip(m->watch, m->backup_dir);
	m->links = xcalloc(cs->npush_to, sizeof *m->links);
	for (i = 0; i < cs->npush_to; i++) {
		p = zc_config_peer(zcd->cfg, cs->push_to[i]);
		if (p == NULL || p->address == NULL) {
			zc_log_warn("set %s: peer %s has no address: it must "
			    "dial us (not yet supported), skipped", cs->name,
			    cs->push_to[i]);
			continue;
		}
		m->links[m->nlinks++] = zcd_link_new(m, p->name, &p->addr);
	}
	m->last_rescan = uv_now(zcd->loop);
	uv_timer_start(&m->rescan, mirror_on_rescan, ZCD_ROOT_CHECK_MS,
	    ZCD_ROOT_CHECK_MS);
	for (i = 0; i < m->nlinks; i++)
		zcd_link_start(m->links[i]);
	zc_log_info("set %s: watching %s (%zu directories), mirroring to %zu "
	    "peers", m->name, m->path, zcd_watch_count(m->watch), m->nlinks);
	return (0);
}

int
zcd_mirror_start_all(struct zcd *zcd, char *err, size_t errlen)
{
	size_t	i;
	int	error;

	for (i = 0; i < zcd->cfg->nsets; i++) {
		if (zcd->cfg->sets[i].npush_to == 0)
			continue;
		if ((error = mirror_start(zcd, &zcd->cfg->sets[i], err,
		    errlen)) != 0)
			return (error);
	}
	return (0);
}

/* Unlink and free a mirror whose handles are closed. */
static void
mirror_free(struct zcd_mirror *m)
{
	struct zcd_mirror	**pp;

	for (pp = &m->zcd->mirrors; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	zc_filter_free(m->filter);
	if (m->root_fd != -1)
		close(m->root_fd);
	free(m->links);
	free(m->backup_dir);
	free(m->sig);
	free(m->name);
	free(m->path);
	free(m);
}

/*
 * A mirror stopped for a reason (root lost, delete guard) stays listed,
 * without links, so that `zcsync status` says why, until a reload or
 * `zcsync sync SET` starts the set again (zcd_mirror_forget()).
 */
static void
mirror_on_closed(uv_handle_t *h)
{
	struct zcd_mirror	*m = h->data;

	if (--m->closes > 0)
		return;
	m->closed = 1;
	m->nlinks = 0;		/* the links free themselves */
	if (m->stop_reason[0] != '\0' && !m->forget && !m->zcd->stopping) {
		/* Kept for status: let go of the root (an unmount waits). */
		close(m->root_fd);
		m->root_fd = -1;
		return;
	}
	mirror_free(m);
}

void
zcd_mirror_forget(struct zcd_mirror *m)
{
	if (!m->stopped)
		zcd_mirror_stop(m, NULL);
	if (m->closed)
		mirror_free(m);
	else
		m->forget = 1;
}

/* zcsync sync SET on a stopped set: start it again (a fresh catch-up). */
int
zcd_mirror_restart(struct zcd *zcd, const char *name, char *err,
    size_t errlen)
{
	const struct zc_config_set	*cs;
	struct zcd_mirror		*m, *next;

	for (m = zcd->mirrors; m != NULL; m = next) {
		next = m->next;
		if (strcmp(m->name, name) == 0) {
			if (!m->stopped)
				return (0);
			zcd_mirror_forget(m);
		}
	}
	cs = zc_config_set(zcd->cfg, name);
	if (cs == NULL || cs->npush_to == 0) {
		snprintf(err, errlen, "set %s is not mirrored here", name);
		return (-ENOENT);
	}
	zc_log_info("set %s: started again", name);
	return (mirror_start(zcd, cs, err, errlen));
}

void
zcd_mirror_stop(struct zcd_mirror *m, const char *why)
{
	size_t	i;

	if (m->stopped)
		return;
	m->stopped = 1;
	if (why != NULL) {
		zc_log_err("set %s: stopped: %s; nothing more is sent for it "
		    "until the daemon is restarted or reloaded, or `zcsync "
		    "sync %s`", m->name, why, m->name);
		snprintf(m->stop_reason, sizeof m->stop_reason, "%s", why);
	}
	for (i = 0; i < m->nlinks; i++)
		zcd_link_stop(m->links[i]);
	if (m->watch != NULL)
		zcd_watch_stop(m->watch, NULL);
	m->watch = NULL;
	m->closes = 2;
	uv_close((uv_handle_t *)&m->flush, mirror_on_closed);
	uv_close((uv_handle_t *)&m->rescan, mirror_on_closed);
}

void
zcd_mirror_stop_all(struct zcd *zcd)
{
	struct zcd_mirror	*m, *next;

	for (m = zcd->mirrors; m != NULL; m = next) {
		next = m->next;
		zcd_mirror_forget(m);
	}
}

/*
 * After a reload (zcd->cfg is the new config): keep the mirrors whose set,
 * peers and addresses did not change, stop the others and start the new.
 */
void
zcd_mirror_reload(struct zcd *zcd)
{
	struct zcd_mirror	*m, *next;
	char			*sig, err[512];
	size_t			 i;
	int			 keep;

	for (m = zcd->mirrors; m != NULL; m = next) {
		next = m->next;
		if (m->stopped) {
			/* A reload starts a stopped set again. */
			zcd_mirror_forget(m);
			continue;
		}
		keep = 0;
		for (i = 0; i < zcd->cfg->nsets; i++) {
			if (zcd->cfg->sets[i].npush_to == 0 ||
			    strcmp(zcd->cfg->sets[i].name, m->name) != 0)
				continue;
			sig = mirror_signature(zcd->cfg, &zcd->cfg->sets[i]);
			keep = strcmp(sig, m->sig) == 0;
			free(sig);
		}
		if (!keep) {
			zc_log_info("set %s: changed or removed by the reload: "
			    "restarting its mirror", m->name);
			zcd_mirror_stop(m, NULL);
		}
	}
	for (i = 0; i < zcd->cfg->nsets; i++) {
		if (zcd->cfg->sets[i].npush_to == 0)
			continue;
		for (m = zcd->mirrors; m != NULL; m = m->next)
			if (!m->stopped &&
			    strcmp(m->name, zcd->cfg->sets[i].name) == 0)
				break;
		if (m != NULL)
			continue;
		if (mirror_start(zcd, &zcd->cfg->sets[i], err,
		    sizeof err) != 0)
			zc_log_err("reload: %s", err);
	}
}
