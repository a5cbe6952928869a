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

static void
mirror_queue(struct zcd_mirror *m, enum zc_live_op op, const char *path,
    const char *path2, uint64_t ready)
{
	size_t	i;

	for (i = 0; i < m->nlinks; i++) {
		zcd_queue_add(&m->links[i]->queue, op, path, path2, ready);
		if (m->links[i]->queue.overflowed)
			zcd_link_resync(m->links[i]);
	}
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
	zc_log_debug("set %s: event %d %s%s%s", m->name, (int)ev,
	    path != NULL ? path : "", path2 != NULL ? " -> " : "",
	    path2 != NULL ? path2 : "");
	switch (ev) {
	case ZCD_WATCH_CHANGED:
	case ZCD_WATCH_DELETED:
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
	zcd_mirror_arm(m);
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
	return (sig);
}

static int
mirror_start(struct zcd *zcd, const struct zc_config_set *cs, char *err,
    size_t errlen)
{
	struct zcd_mirror		*m;
	const struct zc_config_peer	*p;
	struct stat			 st;
	size_t				 i;
	int				 error;

	m = xcalloc(1, sizeof *m);
	m->zcd = zcd;
	m->name = xstrdup(cs->name);
	m->path = xstrdup(cs->path);
	m->delete = cs->delete;
	m->no_xattrs = !cs->xattrs;
	m->numeric_ids = cs->numeric_ids;
	m->delay_ms = cs->delay_ms;
	m->settle_ms = cs->settle_ms;
	m->sig = mirror_signature(zcd->cfg, cs);
	if ((m->root_fd = zc_path_open_root(cs->path)) < 0 ||
	    fstat(m->root_fd, &st) == -1) {
		error = m->root_fd < 0 ? m->root_fd : -errno;
		snprintf(err, errlen, "set %s: %s: %s", cs->name, cs->path,
		    strerror(-error));
		if (m->root_fd >= 0)
			close(m->root_fd);
		free(m->sig);
		free(m->name);
		free(m->path);
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
	    mirror_on_event, m, &m->watch, err, errlen)) != 0)
		return (error);		/* stopped with the others */
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

static void
mirror_on_closed(uv_handle_t *h)
{
	struct zcd_mirror	*m = h->data;
	struct zcd_mirror	**pp;

	if (--m->closes > 0)
		return;
	for (pp = &m->zcd->mirrors; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	close(m->root_fd);
	free(m->links);
	free(m->sig);
	free(m->name);
	free(m->path);
	free(m);
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
		    "until the daemon is restarted or reloaded", m->name, why);
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
		zcd_mirror_stop(m, NULL);
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
		if (m->stopped)
			continue;
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
