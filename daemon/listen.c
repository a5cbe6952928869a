/*
 * listen.c: accept connections and give each a receiving session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "log.h"
#include "proto.h"
#include "recv.h"
#include "xmalloc.h"
#include "zcsyncd.h"

/* The once-per-set warning flags of set (made on first use). */
static unsigned *
listen_warned(struct zcd *zcd, const char *set)
{
	struct zcd_set_warned	*w;

	for (w = zcd->warned; w != NULL; w = w->next)
		if (strcmp(w->set, set) == 0)
			return (&w->flags);
	w = xcalloc(1, sizeof *w);
	w->set = xstrdup(set);
	w->next = zcd->warned;
	zcd->warned = w;
	return (&w->flags);
}

void
zcd_warned_free(struct zcd *zcd)
{
	struct zcd_set_warned	*w, *next;

	for (w = zcd->warned; w != NULL; w = next) {
		next = w->next;
		free(w->set);
		free(w);
	}
	zcd->warned = NULL;
}

static uint32_t
listen_auth(void *arg, const char *peer, const char *set,
    struct zc_recv_target *t)
{
	struct zcd			*zcd = arg;
	const struct zc_config_set	*s;

	if ((s = zc_config_set(zcd->cfg, set)) == NULL)
		return (ZC_E_NOSET);
	if (!zc_config_set_accepts(s, peer))
		return (ZC_E_DENIED);
	t->warned = listen_warned(zcd, s->name);
	t->root = s->path;
	t->fsync = s->fsync;
	t->safe_links = s->safe_links;
	t->specials = s->specials;
	t->backup_dir = s->backup_dir;
	t->backup_keep = s->backup_keep;
	t->no_xattrs = !s->xattrs;
	t->numeric_ids = s->numeric_ids;
	t->watched = s->npush_to > 0;
	return (ZC_OK);
}

static void
listen_unlink(struct zcd_session *ss)
{
	struct zcd	*zcd = ss->zcd;

	if (ss->prev != NULL)
		ss->prev->next = ss->next;
	else
		zcd->sessions = ss->next;
	if (ss->next != NULL)
		ss->next->prev = ss->prev;
	zcd->nsessions--;
	if (ss->evicted)
		zcd->evicting--;
}

static void
listen_session_done(struct zc_recv *recv, int err, void *arg)
{
	struct zcd_session	*ss = arg;

	if (zc_recv_set(recv) != NULL)
		zcd_count_received(ss->zcd, zc_recv_set(recv),
		    zc_recv_peer(recv), zc_recv_stats(recv), err != 0);
	if (err == -EPROTO)
		ss->zcd->proto_errors++;
	listen_unlink(ss);
	zc_recv_free(recv);
	free(ss);
}

static uint32_t
listen_pull_auth(void *arg, const char *peer, const char *set,
    struct zc_recv_target *t)
{
	struct zcd			*zcd = arg;
	const struct zc_config_set	*s;

	if ((s = zc_config_set(zcd->cfg, set)) == NULL)
		return (ZC_E_NOSET);
	if (!zc_config_set_serves(s, peer))
		return (ZC_E_DENIED);
	t->root = s->path;
	t->include = s->include;
	t->ninclude = s->ninclude;
	t->exclude = s->exclude;
	t->nexclude = s->nexclude;
	t->max_delete = s->max_delete;
	t->backup_dir = s->backup_dir;
	t->rate = zcd_bwlimit_rate(zcd, peer);
	t->specials = s->specials;
	t->no_xattrs = !s->xattrs;
	t->numeric_ids = s->numeric_ids;
	return (ZC_OK);
}

/* The pinned peer's name, for the TLS handshake. */
static const char *
listen_peer_by_pin(void *arg, const uint8_t *fpr)
{
	struct zcd	*zcd = arg;
	size_t		 i, j;

	for (i = 0; i < zcd->cfg->npeers; i++)
		for (j = 0; j < zcd->cfg->peers[i].nfpr; j++)
			if (zc_tls_pin_equal(zcd->cfg->peers[i].fpr[j], fpr))
				return (zcd->cfg->peers[i].name);
	return (NULL);
}

/* Sniffing is over: serve the connection (TLS or plain) or drop it. */
static void
listen_on_sniffed(uv_handle_t *h)
{
	struct zcd_session	*ss = h->data;
	struct zcd		*zcd = ss->zcd;
	struct zc_recv_opts	 opts;
	int			 fd = ss->fd, error;

	if (--ss->closes > 0)
		return;
	ss->fd = -1;
	if (ss->verdict <= 0 || zcd->stopping) {
		close(fd);
		listen_unlink(ss);
		free(ss);
		return;
	}
	memset(&opts, 0, sizeof opts);
	opts.node_name = zcd->cfg->node.name;
	opts.idle_ms = ZCD_IDLE_MS;
	opts.no_zerocopy = zcd->no_zerocopy;
	opts.auth = listen_auth;
	opts.pull_auth = listen_pull_auth;
	opts.arg = zcd;
	if (ss->verdict == ZCD_SNIFF_TLS) {
		opts.tls = zcd->tls;
		opts.peer_by_pin = listen_peer_by_pin;
	}
	if ((error = zc_recv_start(zcd->loop, fd, ss->addr, &opts,
	    listen_session_done, ss, &ss->recv)) != 0) {
		zc_log_err("addr=%s: %s", ss->addr, uv_strerror(error));
		listen_unlink(ss);
		free(ss);
	}
}

static void
listen_sniff_end(struct zcd_session *ss, int verdict)
{
	ss->verdict = verdict;
	ss->closes = 2;
	uv_close((uv_handle_t *)&ss->sniff, listen_on_sniffed);
	uv_close((uv_handle_t *)&ss->deadline, listen_on_sniffed);
}

/*
 * The first byte says what a connection speaks: 0x16 opens a TLS record,
 * anything else is plain protocol v1, allowed only from loopback (or with
 * node.insecure): plain TCP authenticates nobody.
 */
static void
listen_on_sniff(uv_poll_t *h, int status, int events)
{
	struct zcd_session	*ss = h->data;
	struct zcd		*zcd = ss->zcd;
	unsigned char		 b;
	ssize_t			 n;

	uv_poll_stop(h);
	n = status < 0 ? -1 : recv(ss->fd, &b, 1, MSG_PEEK);
	if (n < 0 && status >= 0 && (errno == EAGAIN || errno == EINTR)) {
		uv_poll_start(h, UV_READABLE, listen_on_sniff);
		return;
	}
	if (n <= 0) {
		listen_sniff_end(ss, 0);
		return;
	}
	if (b == 0x16) {
		if (zcd->tls == NULL) {
			zc_log_info("addr=%s: refused: TLS, but this node has "
			    "no node.identity", ss->addr);
			zcd->refused++;
			listen_sniff_end(ss, 0);
			return;
		}
		listen_sniff_end(ss, ZCD_SNIFF_TLS);
		return;
	}
	if (!ss->loopback && !zcd->cfg->node.insecure) {
		zc_log_info("addr=%s: refused: plain TCP from beyond loopback "
		    "(TLS required; node.insecure is false)", ss->addr);
		zcd->refused++;
		listen_sniff_end(ss, 0);
		return;
	}
	listen_sniff_end(ss, ZCD_SNIFF_PLAIN);
}

static void
listen_on_sniff_timeout(uv_timer_t *t)
{
	struct zcd_session	*ss = t->data;

	zc_log_info("addr=%s: said nothing in %u ms, closing", ss->addr,
	    ZCD_SNIFF_MS);
	uv_poll_stop(&ss->sniff);
	listen_sniff_end(ss, 0);
}

static void	listen_on_accept(uv_poll_t *, int, int);

static void
listen_on_resume(uv_timer_t *t)
{
	struct zcd	*zcd = t->data;

	zcd->accept_paused = 0;
	if (zcd->listen_fd != -1 && !zcd->stopping)
		uv_poll_start(&zcd->listen_poll, UV_READABLE, listen_on_accept);
}

static void
listen_pause(struct zcd *zcd, unsigned ms)
{
	if (zcd->accept_paused)
		return;
	zcd->accept_paused = 1;
	uv_poll_stop(&zcd->listen_poll);
	uv_timer_start(&zcd->accept_pause, listen_on_resume, ms, 0);
}

/* Same host (the port aside)? */
static int
listen_same_host(const struct zc_addr *a, const struct zc_addr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->ss.ss_family != b->ss.ss_family)
		return (0);
	if (a->ss.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->ss;
		b4 = (const struct sockaddr_in *)&b->ss;
		return (a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	}
	a6 = (const struct sockaddr_in6 *)&a->ss;
	b6 = (const struct sockaddr_in6 *)&b->ss;
	return (memcmp(&a6->sin6_addr, &b6->sin6_addr,
	    sizeof a6->sin6_addr) == 0);
}

static int
listen_unauth(const struct zcd_session *ss)
{
	return (ss->recv == NULL || (zc_recv_set(ss->recv) == NULL &&
	    !zc_recv_serving(ss->recv)));
}

/* In its handshake and not on its way out: what the caps count. */
static int
listen_evictable(const struct zcd_session *ss)
{
	return (listen_unauth(ss) && ss->closes == 0 && !ss->evicted &&
	    !(ss->recv != NULL && zc_recv_closing(ss->recv)));
}

/* Drop a connection still in its handshake to make room for a new one. */
static void
listen_evict(struct zcd_session *ss, const char *why)
{
	zc_log_info("addr=%s: evicted before its handshake was done: %s",
	    ss->addr, why);
	ss->zcd->refused++;
	ss->evicted = 1;
	ss->zcd->evicting++;
	if (ss->recv != NULL)
		zc_recv_close(ss->recv);
	else if (ss->fd != -1 && ss->closes == 0) {
		uv_poll_stop(&ss->sniff);
		listen_sniff_end(ss, 0);
	}
}

/*
 * Caps on connections not yet past PUSH/PULL, before anything is
 * allocated: ZCD_MAX_PER_ADDR from one address, ZCD_MAX_UNAUTH in all.
 * A new connection over a cap evicts the oldest one it competes with
 * (sshd's MaxStartups, without the randomness): tricklers recycle their
 * own slots, and a real peer, whose handshake takes milliseconds, gets in.
 */
static void
listen_make_room(struct zcd *zcd, const struct zc_addr *peer)
{
	struct zcd_session	*ss, *oldest_same = NULL, *oldest = NULL;
	unsigned		 same = 0, unauth = 0, cap = ZCD_MAX_UNAUTH;

	/* Lowered when descriptors ran out (listen_shed), for a while. */
	if (zcd->unauth_cap != 0) {
		if (uv_now(zcd->loop) - zcd->unauth_cap_at >=
		    ZCD_UNAUTH_CAP_MS) {
			zc_log_info("handshake cap back to %u", ZCD_MAX_UNAUTH);
			zcd->unauth_cap = 0;
		} else if (zcd->unauth_cap < cap)
			cap = zcd->unauth_cap;
	}
	/* The list is newest first: the last match is the oldest. */
	for (ss = zcd->sessions; ss != NULL; ss = ss->next) {
		if (!listen_evictable(ss))
			continue;
		unauth++;
		oldest = ss;
		if (listen_same_host(&ss->ss_addr, peer)) {
			same++;
			oldest_same = ss;
		}
	}
	if (same >= ZCD_MAX_PER_ADDR && oldest_same != NULL) {
		listen_evict(oldest_same, "too many from this address");
		if (oldest == oldest_same)
			return;
		unauth--;
	}
	if (unauth >= cap && oldest != NULL)
		listen_evict(oldest, "too many handshakes at once");
}

/*
 * Over the session cap.  A peer that has already spoken plain protocol
 * (its first byte is not a TLS record, and plain TCP is allowed from it)
 * is told why with ERROR INTERNAL, if that fits in the socket buffer now;
 * a TLS peer before its handshake, or one still silent, is just closed:
 * anything more would wait, holding the descriptor.  What it sent is read
 * and dropped first, so that close(2) ends with FIN, not with a reset that
 * could overtake the ERROR.
 */
static void
listen_refuse_busy(struct zcd *zcd, int fd, const struct zc_addr *peer,
    const char *addr)
{
	struct zc_buf	*b;
	unsigned char	 first, sink[4096];
	char		 msg[128];
	ssize_t		 n;
	int		 i, told = 0;

	n = recv(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 1 && first != 0x16 && (zc_addr_is_loopback(peer) ||
	    zcd->cfg->node.insecure)) {
		snprintf(msg, sizeof msg, "server busy: %u connections "
		    "already, try again later", zcd->nsessions);
		b = zc_buf_new(ZC_PROTO_HDR_LEN + ZC_PROTO_MSG_MAX + 16);
		if (zc_proto_put_error(b, ZC_E_INTERNAL, msg) == 0 &&
		    send(fd, zc_buf_ptr(b), zc_buf_len(b), MSG_DONTWAIT |
		    MSG_NOSIGNAL) == (ssize_t)zc_buf_len(b))
			told = 1;
		zc_buf_free(b);
		for (i = 0; i < 16 && recv(fd, sink, sizeof sink,
		    MSG_DONTWAIT) > 0; i++)
			;
	}
	zc_log_info("addr=%s: refused: %u connections already%s", addr,
	    zcd->nsessions, told ? " (sent ERROR: server busy)" : "");
	zcd->refused++;
	close(fd);
}

/*
 * Out of descriptors (EMFILE, ENFILE), and nothing evicted is still on its
 * way out: connections still in their handshake give theirs back, the
 * oldest first (as at the handshake caps), so that silent or trickling
 * clients cannot hold them until their deadline while a real peer waits
 * in the backlog.  ZCD_FD_RESERVE of them go at once, and the cap on
 * handshakes drops by as many for ZCD_UNAUTH_CAP_MS: a peer that gets in
 * then finds descriptors for its work (its set's walk, the files it
 * lands).  1 if any was evicted.
 */
static int
listen_shed(struct zcd *zcd)
{
	struct zcd_session	*ss, *tail = NULL;
	unsigned		 n = 0, cap, evict;

	for (ss = zcd->sessions; ss != NULL; ss = ss->next) {
		tail = ss;
		n += listen_evictable(ss);
	}
	if (n == 0)
		return (0);
	cap = n > ZCD_FD_RESERVE ? n - ZCD_FD_RESERVE : 1;
	evict = n > cap ? n - cap : 1;
	if (zcd->unauth_cap == 0 || cap < zcd->unauth_cap)
		zc_log_info("out of descriptors with %u connections in their "
		    "handshake: evicting %u, at most %u in their handshake "
		    "for %u s", n, evict, cap, ZCD_UNAUTH_CAP_MS / 1000);
	zcd->unauth_cap = cap;
	zcd->unauth_cap_at = uv_now(zcd->loop);
	/* The list is newest first: walk it back from the oldest. */
	for (ss = tail; ss != NULL && evict > 0; ss = ss->prev) {
		if (!listen_evictable(ss))
			continue;
		listen_evict(ss, "out of descriptors");
		evict--;
	}
	return (1);
}

static void
listen_on_accept(uv_poll_t *h, int status, int events)
{
	struct zcd		*zcd = h->data;
	struct zcd_session	*ss;
	struct zc_addr		 peer;
	char			 addr[64];
	int			 fd, n, error;

	if (status < 0) {
		zc_log_err("listen: %s", uv_strerror(status));
		return;
	}
	/* A bounded batch per wakeup: accepting must not starve transfers. */
	for (n = 0; n < 64; n++) {
		peer.len = sizeof peer.ss;
		fd = accept4(zcd->listen_fd, (struct sockaddr *)&peer.ss,
		    &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ECONNABORTED)
				continue;
			/*
			 * Out of descriptors (EMFILE, ENFILE, ENOBUFS): the
			 * listener stays readable, so polling it again at
			 * once would spin.  Pause accepting: briefly when a
			 * connection still in its handshake was evicted (its
			 * descriptor is closed at the end of this loop
			 * iteration), else for a second.
			 */
			error = errno;
			if ((error == EMFILE || error == ENFILE) &&
			    (zcd->evicting > 0 || listen_shed(zcd))) {
				/* Once a second, however often it happens. */
				if (zcd->emfile_said == 0 || uv_now(zcd->loop) -
				    zcd->emfile_said >= ZCD_ACCEPT_PAUSE_MS) {
					zcd->emfile_said = uv_now(zcd->loop);
					zc_log_err("accept: %s; evicting "
					    "connections still in their "
					    "handshake, oldest first",
					    strerror(error));
				}
				listen_pause(zcd, ZCD_ACCEPT_EVICT_MS);
				return;
			}
			zc_log_err("accept: %s; not accepting for %u ms",
			    strerror(error), ZCD_ACCEPT_PAUSE_MS);
			listen_pause(zcd, ZCD_ACCEPT_PAUSE_MS);
			return;
		}
		zc_addr_str(&peer, addr, sizeof addr);
		listen_make_room(zcd, &peer);
		if (zcd->stopping) {
			zc_log_info("addr=%s: refused: stopping", addr);
			zcd->refused++;
			close(fd);
			continue;
		}
		if (zcd->nsessions >= ZCD_MAX_SESSIONS) {
			listen_refuse_busy(zcd, fd, &peer, addr);
			continue;
		}
		ss = xcalloc(1, sizeof *ss);
		ss->zcd = zcd;
		ss->fd = fd;
		ss->ss_addr = peer;
		ss->loopback = zc_addr_is_loopback(&peer);
		snprintf(ss->addr, sizeof ss->addr, "%s", addr);
		if ((error = uv_poll_init(zcd->loop, &ss->sniff, fd)) != 0) {
			zc_log_err("addr=%s: %s", addr, uv_strerror(error));
			close(fd);
			free(ss);
			continue;
		}
		uv_timer_init(zcd->loop, &ss->deadline);
		ss->sniff.data = ss->deadline.data = ss;
		uv_poll_start(&ss->sniff, UV_READABLE, listen_on_sniff);
		uv_timer_start(&ss->deadline, listen_on_sniff_timeout,
		    ZCD_SNIFF_MS, 0);
		zc_log_debug("addr=%s: connected", addr);
		ss->next = zcd->sessions;
		if (ss->next != NULL)
			ss->next->prev = ss;
		zcd->sessions = ss;
		zcd->nsessions++;
	}
}

int
zcd_listen_start(struct zcd *zcd, char *err, size_t errlen)
{
	const struct zc_addr	*a = &zcd->cfg->node.listen_addr;
	int			 fd, one = 1, error;

	zcd->listen_fd = -1;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (-errno);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1 ||
	    listen(fd, 512) == -1) {
		error = -errno;
		snprintf(err, errlen, "listen on %s: %s", zcd->cfg->node.listen,
		    strerror(errno));
		close(fd);
		return (error);
	}
	zcd->bound.len = sizeof zcd->bound.ss;
	if (getsockname(fd, (struct sockaddr *)&zcd->bound.ss,
	    &zcd->bound.len) == -1) {
		error = -errno;
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		close(fd);
		return (error);
	}
	if ((error = uv_poll_init(zcd->loop, &zcd->listen_poll, fd)) != 0) {
		snprintf(err, errlen, "poll: %s", uv_strerror(error));
		close(fd);
		return (error);
	}
	zcd->listen_poll.data = zcd;
	zcd->listen_fd = fd;
	uv_timer_init(zcd->loop, &zcd->accept_pause);
	zcd->accept_pause.data = zcd;
	uv_poll_start(&zcd->listen_poll, UV_READABLE, listen_on_accept);
	return (0);
}

static void
listen_on_closed(uv_handle_t *h)
{
	struct zcd	*zcd = h->data;

	close(zcd->listen_fd);
	zcd->listen_fd = -1;
}

void
zcd_listen_stop(struct zcd *zcd)
{
	if (zcd->listen_fd == -1 || uv_is_closing((uv_handle_t *)
	    &zcd->listen_poll))
		return;
	uv_close((uv_handle_t *)&zcd->accept_pause, NULL);
	uv_close((uv_handle_t *)&zcd->listen_poll, listen_on_closed);
}

/*
 * After a reload: a session whose peer may no longer write into its set
 * (accept_from changed, the set is gone) ends now, not when it idles out;
 * a live session never would.
 */
void
zcd_sessions_recheck(struct zcd *zcd)
{
	struct zcd_session	*ss;
	struct zc_recv_target	 t;
	const char		*peer, *set;

	for (ss = zcd->sessions; ss != NULL; ss = ss->next) {
		if (ss->recv == NULL ||
		    (peer = zc_recv_peer(ss->recv)) == NULL ||
		    (set = zc_recv_set(ss->recv)) == NULL)
			continue;
		memset(&t, 0, sizeof t);
		if (listen_auth(zcd, peer, set, &t) == ZC_OK &&
		    strcmp(t.root, zc_recv_root(ss->recv)) == 0)
			continue;
		zc_log_info("peer=%s set=%s: no longer allowed after the "
		    "reload: closing its connection", peer, set);
		zc_recv_close(ss->recv);
	}
}

void
zcd_sessions_close(struct zcd *zcd)
{
	struct zcd_session	*ss;

	for (ss = zcd->sessions; ss != NULL; ss = ss->next) {
		if (ss->recv != NULL)
			zc_recv_close(ss->recv);
		else if (ss->fd != -1 && ss->closes == 0) {
			uv_poll_stop(&ss->sniff);
			listen_sniff_end(ss, 0);
		}
	}
}
