/*
 * peer.c: links, one per set and peer: dial, back off, run the catch-up
 * push and then the live session, each with its own queue so that a slow
 * or dead peer never delays the others.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "proto.h"
#include "xmalloc.h"
#include "zcsyncd.h"

static void	link_dial(struct zcd_link *);
static void	link_on_timer(uv_timer_t *);

struct zcd_link *
zcd_link_new(struct zcd_mirror *m, const char *peer, const struct zc_addr *a)
{
	struct zcd_link	*l;

	l = xcalloc(1, sizeof *l);
	l->mirror = m;
	l->peer = xstrdup(peer);
	l->addr = *a;
	l->fd = -1;
	l->backoff_ms = ZCD_BACKOFF_MIN_MS;
	zcd_queue_init(&l->queue);
	uv_timer_init(m->zcd->loop, &l->timer);
	l->timer.data = l;
	return (l);
}

/* Exponential backoff with jitter (+-25%), capped. */
static void
link_backoff(struct zcd_link *l, const char *why)
{
	uint32_t	r = 0;
	uint64_t	ms;

	if (l->state == ZCD_LINK_STOPPING)
		return;
	snprintf(l->last_error, sizeof l->last_error, "%s", why);
	(void)getrandom(&r, sizeof r, GRND_NONBLOCK);
	ms = l->backoff_ms - l->backoff_ms / 4 + (r % (l->backoff_ms / 2 + 1));
	zc_log_info("peer=%s set=%s: %s; retrying in %llu ms", l->peer,
	    l->mirror->name, why, (unsigned long long)ms);
	l->state = ZCD_LINK_BACKOFF;
	l->backoff_until = uv_now(l->mirror->zcd->loop) + ms;
	l->backoff_ms *= 2;
	if (l->backoff_ms > ZCD_BACKOFF_MAX_MS)
		l->backoff_ms = ZCD_BACKOFF_MAX_MS;
	uv_timer_start(&l->timer, link_on_timer, ms, 0);
}

static int
link_next(void *arg, struct zc_live_item *it)
{
	struct zcd_link	*l = arg;

	return (zcd_queue_take(&l->queue, uv_now(l->mirror->zcd->loop), it));
}

static void
link_covered(void *arg, const char *path)
{
	struct zcd_link	*l = arg;

	if (zcd_queue_forget(&l->queue, path))
		l->covered++;
}

static void
link_report(void *arg, enum zc_send_event ev, const char *path,
    const char *msg)
{
	struct zcd_link	*l = arg;
	char		 name[512];

	switch (ev) {
	case ZC_SEND_LIVE:
		l->state = ZCD_LINK_LIVE;
		if (l->send != NULL && zc_send_stats(l->send)->failed == 0)
			l->retry_ms = 0;	/* a clean catch-up */
		l->backoff_ms = ZCD_BACKOFF_MIN_MS;
		l->last_error[0] = '\0';
		zc_log_info("peer=%s set=%s: in sync; mirroring live",
		    l->peer, l->mirror->name);
#ifdef __GLIBC__
		/* The catch-up's lists are freed: give the pages back. */
		malloc_trim(0);
#endif
		/* Changes queued during the catch-up go now. */
		zcd_mirror_arm(l->mirror);
		break;
	case ZC_SEND_SECURE:
		zc_log_info("peer=%s set=%s: TLS 1.3 up; %s", l->peer,
		    l->mirror->name, msg);
		snprintf(l->path, sizeof l->path, "%s", msg);
		break;
	case ZC_SEND_SYNCED:
		l->last_sync = time(NULL);
		break;
	case ZC_SEND_FAILED:
		zc_log_info("peer=%s set=%s %s: %s", l->peer, l->mirror->name,
		    zc_log_name(path, name, sizeof name), msg);
		/*
		 * A disk full, an fsync error (discarded, never retried as
		 * such): compare again a little later, so the copies converge
		 * once the cause is gone, without a change to trigger it.
		 */
		if (!uv_is_active((uv_handle_t *)&l->timer)) {
			l->retry = 1;
			if (l->retry_ms == 0)
				l->retry_ms = ZCD_FAILED_RETRY_MS;
			uv_timer_start(&l->timer, link_on_timer, l->retry_ms,
			    0);
			/* A failure that stays is retried less and less often. */
			l->retry_ms *= 2;
			if (l->retry_ms > ZCD_FAILED_RETRY_MAX_MS)
				l->retry_ms = ZCD_FAILED_RETRY_MAX_MS;
		}
		break;
	case ZC_SEND_LANDED:
		if (zc_log_level() >= ZC_LOG_DEBUG)
			zc_log_debug("peer=%s set=%s %s %s", l->peer,
			    l->mirror->name, msg,
			    zc_log_name(path, name, sizeof name));
		break;
	default:
		break;
	}
}

static void
link_on_done(struct zc_send *s, int err, const char *why, void *arg)
{
	struct zcd_link	*l = arg;
	char		 line[600], reason[512];

	/* why is borrowed from s, which is freed here. */
	snprintf(reason, sizeof reason, "%s", why != NULL ? why : "");
	why = reason;
	l->send = NULL;
	l->files_sent += zc_send_stats(s)->files;
	l->bytes_sent += zc_send_stats(s)->bytes;
	l->failures += zc_send_stats(s)->failed;
	zc_send_free(s);
	if (l->state == ZCD_LINK_STOPPING) {
		zcd_link_stop(l);	/* the session was the last thing */
		return;
	}
	if (l->resync || l->queue.overflowed) {
		l->resync = 0;
		zcd_queue_clear(&l->queue);
		zc_log_info("peer=%s set=%s: full resync", l->peer,
		    l->mirror->name);
		l->backoff_ms = ZCD_BACKOFF_MIN_MS;
		link_dial(l);
		return;
	}
	if (err == -ENOTEMPTY) {
		/*
		 * A delete guard (send.c: the empty source; guard.c:
		 * max_delete): stop the set for all its peers, do not retry.
		 */
		l->mirror->zcd->guard_stops++;
		zcd_mirror_stop(l->mirror, why);
		return;
	}
	snprintf(line, sizeof line, "connection ended: %s",
	    why[0] ? why : (err ? strerror(-err) : "closed"));
	link_backoff(l, line);
}

static void
link_session(struct zcd_link *l, int fd)
{
	struct zc_send_opts		 opts;
	const struct zc_config_peer	*p;
	char				 err[512];

	/* Never catch up from a root that is not the one we watch. */
	if (!zcd_mirror_root_ok(l->mirror, err, sizeof err)) {
		close(fd);
		zcd_mirror_stop(l->mirror, err);
		return;
	}
	/* The catch-up compares everything: what was queued is covered. */
	zcd_queue_clear(&l->queue);
	memset(&opts, 0, sizeof opts);
	opts.node_name = l->mirror->zcd->cfg->node.name;
	opts.set = l->mirror->name;
	opts.flags = l->mirror->delete ? ZC_PUSH_DELETE : 0;
	opts.max_delete = l->mirror->max_delete;
	opts.backup_dir = l->mirror->backup_dir;
	opts.no_zerocopy = l->mirror->zcd->no_zerocopy;
	opts.specials = l->mirror->specials;
	opts.no_xattrs = l->mirror->no_xattrs;
	opts.numeric_ids = l->mirror->numeric_ids;
	opts.idle_ms = 0;
	opts.report = link_report;
	opts.next = link_next;
	opts.covered = link_covered;
	opts.filter = l->mirror->filter;
	opts.arg = l;
	opts.rate = zcd_bwlimit_rate(l->mirror->zcd, l->peer);
	if (l->mirror->verify)
		opts.flags |= ZC_PUSH_VERIFY;
	/* A pinned peer is spoken to over TLS; the config allows the rest. */
	p = zc_config_peer(l->mirror->zcd->cfg, l->peer);
	if (p != NULL && p->nfpr > 0 && l->mirror->zcd->tls != NULL) {
		opts.tls = l->mirror->zcd->tls;
		opts.pins = (const uint8_t (*)[32])p->fpr;
		opts.npins = p->nfpr;
	}
	l->state = ZCD_LINK_SYNCING;
	l->sessions++;
	snprintf(l->path, sizeof l->path, "%s", opts.tls != NULL ?
	    "TLS (handshaking)" : "plain TCP: no pin for this peer");
	if (zc_send_start(l->mirror->zcd->loop, fd, l->mirror->root_fd, &opts,
	    link_on_done, l, &l->send, err, sizeof err) != 0) {
		link_backoff(l, err);
		return;
	}
	zc_log_info("peer=%s set=%s: connected (%s); catching up", l->peer,
	    l->mirror->name, opts.tls != NULL ? "TLS" :
	    "plain TCP: no pin for this peer");
}

static void
link_on_dial_closed(uv_handle_t *h)
{
	struct zcd_link	*l = h->data;
	int		 fd = l->fd, soerr = 0;
	socklen_t	 len = sizeof soerr;
	char		 why[300];

	l->dialling = 0;
	l->fd = -1;
	if (l->state == ZCD_LINK_STOPPING) {
		close(fd);
		zcd_link_stop(l);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr == 0 && l->state == ZCD_LINK_CONNECTING) {
		uv_timer_stop(&l->timer);
		link_session(l, fd);
		return;
	}
	close(fd);
	snprintf(why, sizeof why, "connecting to %s: %s", l->peer,
	    soerr != 0 ? strerror(soerr) : "timed out");
	link_backoff(l, why);
}

static void
link_on_dial(uv_poll_t *h, int status, int events)
{
	uv_poll_stop(h);
	uv_close((uv_handle_t *)h, link_on_dial_closed);
}

static void
link_dial(struct zcd_link *l)
{
	char	why[300];
	int	fd, error;

	l->state = ZCD_LINK_CONNECTING;
	fd = socket(l->addr.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(why, sizeof why, "socket: %s", strerror(errno));
		link_backoff(l, why);
		return;
	}
	if (connect(fd, (struct sockaddr *)&l->addr.ss, l->addr.len) == -1 &&
	    errno != EINPROGRESS) {
		snprintf(why, sizeof why, "connecting to %s: %s", l->peer,
		    strerror(errno));
		close(fd);
		link_backoff(l, why);
		return;
	}
	if ((error = uv_poll_init(l->mirror->zcd->loop, &l->dial, fd)) != 0) {
		close(fd);
		link_backoff(l, uv_strerror(error));
		return;
	}
	l->fd = fd;
	l->dialling = 1;
	l->dial.data = l;
	uv_poll_start(&l->dial, UV_WRITABLE, link_on_dial);
	uv_timer_start(&l->timer, link_on_timer, ZCD_CONNECT_MS, 0);
}

static void
link_on_timer(uv_timer_t *t)
{
	struct zcd_link	*l = t->data;

	if (l->state == ZCD_LINK_CONNECTING && l->dialling) {
		/* Dial deadline: give up on this attempt. */
		uv_poll_stop(&l->dial);
		l->state = ZCD_LINK_BACKOFF;	/* closed cb sees a timeout */
		uv_close((uv_handle_t *)&l->dial, link_on_dial_closed);
		return;
	}
	if (l->state == ZCD_LINK_BACKOFF)
		link_dial(l);
	else if (l->retry && l->state == ZCD_LINK_LIVE) {
		l->retry = 0;
		zc_log_info("peer=%s set=%s: entries failed earlier: catching "
		    "up again", l->peer, l->mirror->name);
		zcd_link_resync(l);
	} else if (l->retry && l->state == ZCD_LINK_SYNCING)
		uv_timer_start(&l->timer, link_on_timer, ZCD_FAILED_RETRY_MS,
		    0);
}

void
zcd_link_start(struct zcd_link *l)
{
	link_dial(l);
}

void
zcd_link_kick(struct zcd_link *l)
{
	if (l->send != NULL && l->state == ZCD_LINK_LIVE)
		zc_send_kick(l->send);
}

void
zcd_link_resync(struct zcd_link *l)
{
	if (l->send != NULL) {
		l->resync = 1;
		l->resyncs++;
		zc_send_close(l->send, -ECANCELED);
	}
	/* Not connected: the next connection catches up anyway. */
}

static void
link_on_closed(uv_handle_t *h)
{
	struct zcd_link	*l = h->data;

	zcd_queue_clear(&l->queue);
	free(l->peer);
	free(l);
}

/*
 * Stop: close the session or the dial first; their callbacks call back
 * here, and the last step frees the link.
 */
void
zcd_link_stop(struct zcd_link *l)
{
	l->state = ZCD_LINK_STOPPING;
	if (l->send != NULL) {
		zc_send_close(l->send, -ECANCELED);
		return;
	}
	if (l->dialling) {
		if (!uv_is_closing((uv_handle_t *)&l->dial)) {
			uv_poll_stop(&l->dial);
			uv_close((uv_handle_t *)&l->dial, link_on_dial_closed);
		}
		return;
	}
	if (!uv_is_closing((uv_handle_t *)&l->timer))
		uv_close((uv_handle_t *)&l->timer, link_on_closed);
}

uint64_t
zcd_link_files(const struct zcd_link *l)
{
	return (l->files_sent + (l->send != NULL ?
	    zc_send_stats(l->send)->files : 0));
}

uint64_t
zcd_link_bytes(const struct zcd_link *l)
{
	return (l->bytes_sent + (l->send != NULL ?
	    zc_send_stats(l->send)->bytes : 0));
}

uint64_t
zcd_link_failures(const struct zcd_link *l)
{
	return (l->failures + (l->send != NULL ?
	    zc_send_stats(l->send)->failed : 0));
}
