/*
 * ctl.c: the control socket (node.control): `zcsync status`, `sync` and
 * `metrics` ask the running daemon.  A Unix stream socket, mode 0660,
 * callers checked with SO_PEERCRED (root or the daemon's own uid).  One
 * request per connection: a line of at most ZCD_CTL_LINE_MAX bytes, one
 * reply, then close.  A malformed request gets "error: ..." and the daemon
 * lives on.  Requests are one table (sftp-server handlers[]).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "log.h"
#include "version.h"
#include "xmalloc.h"
#include "zcsyncd.h"

#define ZCD_CTL_LINE_MAX	4096
#define ZCD_CTL_REPLY_MAX	(64 * 1024 * 1024)
#define ZCD_CTL_TIMEOUT_MS	5000
#define ZCD_CTL_CLIENTS_MAX	32

struct ctl_client;

struct zcd_ctl {
	struct zcd		*zcd;		/* borrowed */
	uv_pipe_t		 pipe;
	char			*path;		/* owned */
	unsigned		 clients;
	struct ctl_client	*list;		/* the clients, to close on stop */
	int			 closed;	/* the listener is closed */
};

struct ctl_client {
	uv_pipe_t	 pipe;
	uv_timer_t	 timer;
	uv_write_t	 wr;
	struct zcd_ctl	*ctl;		/* borrowed */
	char		 line[ZCD_CTL_LINE_MAX + 1];
	size_t		 len;
	struct zc_buf	*reply;		/* owned */
	int		 closes;
	int		 done;
	int		 allowed;	/* SO_PEERCRED said yes */
	uid_t		 uid;
	struct ctl_client *prev, *next;
};

struct ctl_request {
	const char	*name;
	const char	*usage;
	void		(*handler)(struct zcd *, int argc, char **argv,
			    struct zc_buf *);
};

static void	ctl_status(struct zcd *, int, char **, struct zc_buf *);
static void	ctl_sync(struct zcd *, int, char **, struct zc_buf *);
static void	ctl_metrics(struct zcd *, int, char **, struct zc_buf *);
static void	ctl_help(struct zcd *, int, char **, struct zc_buf *);

static const struct ctl_request ctl_requests[] = {
	{ "status", "status [json]", ctl_status },
	{ "sync", "sync SET [PEER]", ctl_sync },
	{ "metrics", "metrics", ctl_metrics },
	{ "help", "help", ctl_help },
};

static void
ctl_printf(struct zc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
ctl_printf(struct zc_buf *b, const char *fmt, ...)
{
	char	 small[1024], *big = NULL;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		(void)zc_buf_put(b, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n >= 0)
		(void)zc_buf_put(b, big, (size_t)n);
	free(big);
}

/* A JSON string: quotes, escapes; bytes >= 0x80 as \u00XX (valid JSON). */
static void
ctl_json_str(struct zc_buf *b, const char *s)
{
	const unsigned char	*p;

	(void)zc_buf_put_u8(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			ctl_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			ctl_printf(b, "\\u%04x", *p);
		else
			(void)zc_buf_put_u8(b, *p);
	}
	(void)zc_buf_put_u8(b, '"');
}

static const char *
ctl_link_state(const struct zcd_link *l)
{
	switch (l->state) {
	case ZCD_LINK_CONNECTING:
		return ("connecting");
	case ZCD_LINK_SYNCING:
		return ("catching-up");
	case ZCD_LINK_LIVE:
		return ("live");
	case ZCD_LINK_BACKOFF:
		return ("backing-off");
	default:
		return ("stopping");
	}
}

static void
ctl_time(time_t t, char *out, size_t outlen)
{
	struct tm	tm;

	if (t == 0) {
		snprintf(out, outlen, "never");
		return;
	}
	localtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static uint64_t
ctl_link_queue(const struct zcd_link *l)
{
	return (l->queue.pending);
}

static void
ctl_status_text(struct zcd *zcd, struct zc_buf *b)
{
	struct zcd_mirror	*m;
	struct zcd_link		*l;
	struct zcd_recv_count	*rc;
	struct zcd_session	*ss;
	char			 t[64], name[512], addr[64];
	size_t			 i, nrc;
	uint64_t		 now = uv_now(zcd->loop);

	ctl_printf(b, "node %s: zcsyncd %s (%s), up %llds, %s\n",
	    zcd->cfg->node.name, zc_version(), zc_version_features(),
	    (long long)(time(NULL) - zcd->started), zcd->listen_fd != -1 ?
	    zc_addr_str(&zcd->bound, addr, sizeof addr) : "not listening");
	ctl_printf(b, "connections: %u open, %llu refused, %llu closed for "
	    "protocol errors\n", zcd->nsessions,
	    (unsigned long long)zcd->refused,
	    (unsigned long long)zcd->proto_errors);
	for (m = zcd->mirrors; m != NULL; m = m->next) {
		ctl_printf(b, "\nset %s  %s  %s%s%s\n", m->name,
		    zc_log_name(m->path, name, sizeof name),
		    m->stopped ? "STOPPED" : "mirroring",
		    m->stopped && m->stop_reason[0] ? ": " : "",
		    m->stopped ? m->stop_reason : "");
		if (!m->stopped && m->watch != NULL)
			ctl_printf(b, "  watching %zu directories%s; %llu "
			    "rescans\n", zcd_watch_count(m->watch),
			    m->watch->degraded ? " (out of inotify watches: "
			    "rescanned every 30 s)" : "",
			    (unsigned long long)m->rescans);
		ctl_printf(b, "  %-12s %-12s %7s %9s %12s %6s  %-25s %s\n",
		    "PEER", "STATE", "QUEUED", "FILES", "BYTES", "FAILED",
		    "LAST SYNC", "DATA PATH / LAST ERROR");
		for (i = 0; i < m->nlinks; i++) {
			l = m->links[i];
			ctl_time(l->last_sync, t, sizeof t);
			ctl_printf(b, "  %-12s %-12s %7llu %9llu %12llu %6llu  "
			    "%-25s %s", l->peer, ctl_link_state(l),
			    (unsigned long long)ctl_link_queue(l),
			    (unsigned long long)zcd_link_files(l),
			    (unsigned long long)zcd_link_bytes(l),
			    (unsigned long long)zcd_link_failures(l), t, l->path);
			if (l->state == ZCD_LINK_BACKOFF)
				ctl_printf(b, "; retry in %llu ms: %s",
				    (unsigned long long)(l->backoff_until > now ?
				    l->backoff_until - now : 0), l->last_error);
			ctl_printf(b, "\n");
		}
	}
	nrc = zcd_received(zcd, &rc);
	if (nrc > 0)
		ctl_printf(b, "\nreceived  %-12s %-12s %9s %12s %6s %8s\n",
		    "SET", "PEER", "FILES", "BYTES", "FAILED", "SESSIONS");
	for (i = 0; i < nrc; i++)
		ctl_printf(b, "          %-12s %-12s %9llu %12llu %6llu %8llu\n",
		    rc[i].set, rc[i].peer, (unsigned long long)rc[i].files,
		    (unsigned long long)rc[i].bytes,
		    (unsigned long long)rc[i].failures,
		    (unsigned long long)rc[i].sessions);
	free(rc);
	for (ss = zcd->sessions; ss != NULL; ss = ss->next) {
		if (ss->recv == NULL || zc_recv_set(ss->recv) == NULL)
			continue;
		ctl_printf(b, "  now receiving: set %s from %s (%s): %llu files, "
		    "%llu bytes so far\n", zc_recv_set(ss->recv),
		    zc_recv_peer(ss->recv), ss->addr,
		    (unsigned long long)zc_recv_stats(ss->recv)->files,
		    (unsigned long long)zc_recv_stats(ss->recv)->bytes);
	}
}

static void
ctl_status_json(struct zcd *zcd, struct zc_buf *b)
{
	struct zcd_mirror	*m;
	struct zcd_link		*l;
	struct zcd_recv_count	*rc;
	char			 addr[64];
	size_t			 i, nrc;
	uint64_t		 now = uv_now(zcd->loop);
	const char		*sep = "";

	ctl_printf(b, "{\"node\":");
	ctl_json_str(b, zcd->cfg->node.name);
	ctl_printf(b, ",\"version\":");
	ctl_json_str(b, zc_version());
	ctl_printf(b, ",\"features\":");
	ctl_json_str(b, zc_version_features());
	ctl_printf(b, ",\"uptime_s\":%lld,\"listen\":",
	    (long long)(time(NULL) - zcd->started));
	if (zcd->listen_fd != -1)
		ctl_json_str(b, zc_addr_str(&zcd->bound, addr, sizeof addr));
	else
		ctl_printf(b, "null");
	ctl_printf(b, ",\"connections\":%u,\"refused\":%llu,"
	    "\"protocol_errors\":%llu,\"sets\":[", zcd->nsessions,
	    (unsigned long long)zcd->refused,
	    (unsigned long long)zcd->proto_errors);
	for (m = zcd->mirrors; m != NULL; m = m->next) {
		ctl_printf(b, "%s{\"name\":", sep);
		ctl_json_str(b, m->name);
		ctl_printf(b, ",\"path\":");
		ctl_json_str(b, m->path);
		ctl_printf(b, ",\"state\":\"%s\",\"reason\":",
		    m->stopped ? "stopped" : "mirroring");
		ctl_json_str(b, m->stop_reason);
		ctl_printf(b, ",\"watched_dirs\":%zu,\"watch_degraded\":%s,"
		    "\"rescans\":%llu,\"peers\":[", !m->stopped && m->watch ?
		    zcd_watch_count(m->watch) : 0, !m->stopped && m->watch &&
		    m->watch->degraded ? "true" : "false",
		    (unsigned long long)m->rescans);
		for (i = 0; i < m->nlinks; i++) {
			l = m->links[i];
			ctl_printf(b, "%s{\"peer\":", i ? "," : "");
			ctl_json_str(b, l->peer);
			ctl_printf(b, ",\"state\":\"%s\",\"queued\":%llu,"
			    "\"files_sent\":%llu,\"bytes_sent\":%llu,"
			    "\"failures\":%llu,\"sessions\":%llu,"
			    "\"last_sync\":%lld,\"retry_in_ms\":%llu,"
			    "\"data_path\":", ctl_link_state(l),
			    (unsigned long long)ctl_link_queue(l),
			    (unsigned long long)zcd_link_files(l),
			    (unsigned long long)zcd_link_bytes(l),
			    (unsigned long long)zcd_link_failures(l),
			    (unsigned long long)l->sessions,
			    (long long)l->last_sync,
			    (unsigned long long)(l->state == ZCD_LINK_BACKOFF &&
			    l->backoff_until > now ? l->backoff_until - now : 0));
			ctl_json_str(b, l->path);
			ctl_printf(b, ",\"last_error\":");
			ctl_json_str(b, l->last_error);
			ctl_printf(b, "}");
		}
		ctl_printf(b, "]}");
		sep = ",";
	}
	ctl_printf(b, "],\"received\":[");
	sep = "";
	nrc = zcd_received(zcd, &rc);
	for (i = 0; i < nrc; i++) {
		ctl_printf(b, "%s{\"set\":", sep);
		ctl_json_str(b, rc[i].set);
		ctl_printf(b, ",\"peer\":");
		ctl_json_str(b, rc[i].peer);
		ctl_printf(b, ",\"files\":%llu,\"bytes\":%llu,\"failures\":%llu,"
		    "\"sessions\":%llu}", (unsigned long long)rc[i].files,
		    (unsigned long long)rc[i].bytes,
		    (unsigned long long)rc[i].failures,
		    (unsigned long long)rc[i].sessions);
		sep = ",";
	}
	free(rc);
	ctl_printf(b, "]}\n");
}

void
zcd_render_status(struct zcd *zcd, struct zc_buf *b, int json)
{
	if (json)
		ctl_status_json(zcd, b);
	else
		ctl_status_text(zcd, b);
}

/*
 * What was received per (set, peer): the finished sessions' totals plus
 * the sessions still running (a live one may never end).  An array the
 * caller frees; names borrowed.
 */
size_t
zcd_received(struct zcd *zcd, struct zcd_recv_count **out)
{
	struct zcd_recv_count		*v = NULL, *rc;
	struct zcd_session		*ss;
	const struct zc_recv_stats	*st;
	const char			*set, *peer;
	size_t				 n = 0, i;

	for (rc = zcd->received; rc != NULL; rc = rc->next) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n] = *rc;
		v[n++].next = NULL;
	}
	for (ss = zcd->sessions; ss != NULL; ss = ss->next) {
		if (ss->recv == NULL || (set = zc_recv_set(ss->recv)) == NULL)
			continue;
		peer = zc_recv_peer(ss->recv);
		st = zc_recv_stats(ss->recv);
		for (i = 0; i < n; i++)
			if (strcmp(v[i].set, set) == 0 &&
			    strcmp(v[i].peer, peer) == 0)
				break;
		if (i == n) {
			v = xreallocarray(v, n + 1, sizeof *v);
			memset(&v[n], 0, sizeof v[n]);
			v[n].set = (char *)set;
			v[n++].peer = (char *)peer;
		}
		v[i].files += st->files;
		v[i].bytes += st->bytes;
		v[i].entries += st->entries;
		v[i].failures += st->failures;
		v[i].sessions++;
	}
	*out = v;
	return (n);
}

void
zcd_received_free(struct zcd *zcd)
{
	struct zcd_recv_count	*rc, *next;

	for (rc = zcd->received; rc != NULL; rc = next) {
		next = rc->next;
		free(rc->set);
		free(rc->peer);
		free(rc);
	}
	zcd->received = NULL;
}

/* Received counters per (set, peer), kept across sessions. */
void
zcd_count_received(struct zcd *zcd, const char *set, const char *peer,
    const struct zc_recv_stats *st, int failed)
{
	struct zcd_recv_count	*rc;

	for (rc = zcd->received; rc != NULL; rc = rc->next)
		if (strcmp(rc->set, set) == 0 && strcmp(rc->peer, peer) == 0)
			break;
	if (rc == NULL) {
		rc = xcalloc(1, sizeof *rc);
		rc->set = xstrdup(set);
		rc->peer = xstrdup(peer);
		rc->next = zcd->received;
		zcd->received = rc;
	}
	rc->files += st->files;
	rc->bytes += st->bytes;
	rc->entries += st->entries;
	/* Entries, not sessions: a live session always ends "early". */
	rc->failures += st->failures;
	rc->sessions++;
}

static void
ctl_status(struct zcd *zcd, int argc, char **argv, struct zc_buf *b)
{
	zcd_render_status(zcd, b, argc > 1 && strcmp(argv[1], "json") == 0);
}

static void
ctl_metrics(struct zcd *zcd, int argc, char **argv, struct zc_buf *b)
{
	zcd_render_metrics(zcd, b);
}

/* Is set listed only as stopped (no running mirror)? */
static int
ctl_sync_stopped(struct zcd *zcd, const char *set)
{
	struct zcd_mirror	*m;
	int			 stopped = 0;

	for (m = zcd->mirrors; m != NULL; m = m->next) {
		if (strcmp(m->name, set) != 0)
			continue;
		if (!m->stopped)
			return (0);
		stopped = 1;
	}
	return (stopped);
}

static void
ctl_sync(struct zcd *zcd, int argc, char **argv, struct zc_buf *b)
{
	struct zcd_mirror	*m;
	size_t			 i, n = 0;
	char			 err[512];

	if (argc < 2 || argc > 3) {
		ctl_printf(b, "error: usage: sync SET [PEER]\n");
		return;
	}
	if (ctl_sync_stopped(zcd, argv[1])) {
		/* Stopped (delete guard, root lost): start it again. */
		if (zcd_mirror_restart(zcd, argv[1], err, sizeof err) != 0) {
			ctl_printf(b, "error: %s\n", err);
			return;
		}
		ctl_printf(b, "ok: set %s started again: catching up\n",
		    argv[1]);
		return;
	}
	for (m = zcd->mirrors; m != NULL; m = m->next) {
		if (m->stopped || strcmp(m->name, argv[1]) != 0)
			continue;
		for (i = 0; i < m->nlinks; i++) {
			if (argc == 3 && strcmp(m->links[i]->peer, argv[2]) != 0)
				continue;
			zcd_link_resync(m->links[i]);
			n++;
		}
	}
	if (n == 0) {
		ctl_printf(b, "error: no running mirror of set %s%s%s\n",
		    argv[1], argc == 3 ? " to peer " : "", argc == 3 ?
		    argv[2] : "");
		return;
	}
	zc_log_info("control: sync %s: %zu links catching up again", argv[1],
	    n);
	ctl_printf(b, "ok: %zu link%s catching up again\n", n, n == 1 ? "" :
	    "s");
}

static void
ctl_help(struct zcd *zcd, int argc, char **argv, struct zc_buf *b)
{
	size_t	i;

	for (i = 0; i < nitems(ctl_requests); i++)
		ctl_printf(b, "%s\n", ctl_requests[i].usage);
}

/* Split the request line on spaces (at most 8 words) and dispatch. */
static void
ctl_dispatch(struct zcd *zcd, char *line, struct zc_buf *b)
{
	char	*argv[8], *p, *save = NULL;
	int	 argc = 0;
	size_t	 i;

	for (p = strtok_r(line, " \t", &save); p != NULL && argc < 8;
	    p = strtok_r(NULL, " \t", &save))
		argv[argc++] = p;
	if (argc == 0) {
		ctl_printf(b, "error: empty request\n");
		return;
	}
	for (i = 0; i < nitems(ctl_requests); i++) {
		if (strcmp(argv[0], ctl_requests[i].name) == 0) {
			ctl_requests[i].handler(zcd, argc, argv, b);
			return;
		}
	}
	ctl_printf(b, "error: unknown request \"%.64s\" (try help)\n",
	    argv[0]);
}

static void
ctl_client_closed(uv_handle_t *h)
{
	struct ctl_client	*c = h->data;

	if (--c->closes > 0)
		return;
	c->ctl->clients--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (c->ctl->list == c)
		c->ctl->list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	if (c->ctl->closed && c->ctl->clients == 0)
		free(c->ctl);
	zc_buf_free(c->reply);
	free(c);
}

static void
ctl_client_close(struct ctl_client *c)
{
	if (c->closes > 0)
		return;
	c->closes = 2;
	uv_close((uv_handle_t *)&c->pipe, ctl_client_closed);
	uv_close((uv_handle_t *)&c->timer, ctl_client_closed);
}

static void
ctl_on_written(uv_write_t *w, int status)
{
	ctl_client_close(w->data);
}

static void
ctl_reply(struct ctl_client *c)
{
	uv_buf_t	buf;

	c->done = 1;
	uv_read_stop((uv_stream_t *)&c->pipe);
	buf = uv_buf_init((char *)zc_buf_ptr(c->reply),
	    (unsigned)zc_buf_len(c->reply));
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &buf, 1,
	    ctl_on_written) != 0)
		ctl_client_close(c);
}

static void
ctl_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct ctl_client	*c = h->data;

	buf->base = c->line + c->len;
	buf->len = ZCD_CTL_LINE_MAX - c->len;
}

static void
ctl_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct ctl_client	*c = s->data;
	char			*nl;

	if (c->done || n == 0)
		return;
	if (n < 0) {
		ctl_client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	if ((nl = memchr(c->line, '\n', c->len)) == NULL) {
		if (c->len < ZCD_CTL_LINE_MAX)
			return;
		ctl_printf(c->reply, "error: request longer than %u bytes\n",
		    ZCD_CTL_LINE_MAX);
		ctl_reply(c);
		return;
	}
	*nl = '\0';
	if (nl > c->line && nl[-1] == '\r')
		nl[-1] = '\0';
	/*
	 * Judged after the request is read: refusing at once would close
	 * with the request unread, and the caller would see a reset, not
	 * the refusal.
	 */
	if (!c->allowed) {
		zc_log_info("control: uid %ld refused", (long)c->uid);
		ctl_printf(c->reply, "error: permission denied (uid %ld)\n",
		    (long)c->uid);
	} else
		ctl_dispatch(c->ctl->zcd, c->line, c->reply);
	ctl_reply(c);
}

static void
ctl_on_timeout(uv_timer_t *t)
{
	struct ctl_client	*c = t->data;

	if (!c->done)
		ctl_client_close(c);
}

/*
 * Root, our own uid, or a member of node.control_group (its primary group,
 * or a supplementary one: SO_PEERGROUPS); everyone else is refused.
 */
static int
ctl_allowed(struct zcd *zcd, uv_pipe_t *p, uid_t *uid)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	uv_os_fd_t	fd;
	gid_t		groups[256], want = zcd->cfg->node.control_gid;
	size_t		i;

	if (uv_fileno((uv_handle_t *)p, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return (0);
	*uid = cred.uid;
	if (cred.uid == 0 || cred.uid == geteuid())
		return (1);
	if (zcd->cfg->node.control_group == NULL || want == (gid_t)-1)
		return (0);
	if (cred.gid == want)
		return (1);
	len = sizeof groups;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		return (0);
	for (i = 0; i < len / sizeof groups[0]; i++)
		if (groups[i] == want)
			return (1);
	return (0);
}

static void
ctl_on_connect(uv_stream_t *server, int status)
{
	struct zcd_ctl		*ctl = server->data;
	struct ctl_client	*c;
	uid_t			 uid = (uid_t)-1;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof *c);
	c->ctl = ctl;
	c->reply = zc_buf_new(ZCD_CTL_REPLY_MAX);
	uv_pipe_init(server->loop, &c->pipe, 0);
	uv_timer_init(server->loop, &c->timer);
	c->pipe.data = c->timer.data = c;
	ctl->clients++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		ctl_client_close(c);
		return;
	}
	c->next = ctl->list;
	if (c->next != NULL)
		c->next->prev = c;
	ctl->list = c;
	if (ctl->clients > ZCD_CTL_CLIENTS_MAX) {
		ctl_client_close(c);	/* busy */
		return;
	}
	c->allowed = ctl_allowed(ctl->zcd, &c->pipe, &uid);
	c->uid = uid;
	uv_timer_start(&c->timer, ctl_on_timeout, ZCD_CTL_TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&c->pipe, ctl_on_alloc, ctl_on_read);
}

static void	ctl_on_closed(uv_handle_t *);

int
zcd_ctl_start(struct zcd *zcd, const char *path, char *err, size_t errlen)
{
	struct zcd_ctl	*ctl;
	struct stat	 st;
	int		 error;

	/* A stale socket from a killed daemon; never anything else. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s: exists and is "
			    "not a socket", path);
			return (-EEXIST);
		}
		(void)unlink(path);
	}
	ctl = xcalloc(1, sizeof *ctl);
	ctl->zcd = zcd;
	ctl->path = xstrdup(path);
	uv_pipe_init(zcd->loop, &ctl->pipe, 0);
	ctl->pipe.data = ctl;
	/*
	 * /run/zcsync outside systemd's RuntimeDirectory: make it first
	 * (libuv reports a missing directory as EACCES, not ENOENT).
	 */
	{
		char	*dir = xstrdup(path), *slash = strrchr(dir, '/');

		if (slash != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0750) == 0)
				zc_log_info("made %s for the control socket",
				    dir);
		}
		free(dir);
	}
	error = uv_pipe_bind(&ctl->pipe, path);
	if (error != 0 ||
	    (error = uv_listen((uv_stream_t *)&ctl->pipe, 16,
	    ctl_on_connect)) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path,
		    uv_strerror(error));
		free(ctl->path);
		uv_close((uv_handle_t *)&ctl->pipe, ctl_on_closed);
		zcd->ctl = NULL;
		return (error);
	}
	(void)chmod(path, 0660);
	if (zcd->cfg->node.control_group != NULL &&
	    zcd->cfg->node.control_gid != (gid_t)-1)
		(void)chown(path, (uid_t)-1, zcd->cfg->node.control_gid);
	zcd->ctl = ctl;
	return (0);
}

/* The listener is closed; the last client to close frees ctl. */
static void
ctl_on_closed(uv_handle_t *h)
{
	struct zcd_ctl	*ctl = h->data;

	ctl->closed = 1;
	if (ctl->clients == 0)
		free(ctl);
}

void
zcd_ctl_stop(struct zcd *zcd)
{
	struct zcd_ctl		*ctl = zcd->ctl;
	struct ctl_client	*c;

	if (ctl == NULL)
		return;

	zcd->ctl = NULL;
	(void)unlink(ctl->path);
	free(ctl->path);
	/* Clients still talking would hold the loop (and SIGTERM) open. */
	for (c = ctl->list; c != NULL; c = c->next)
		ctl_client_close(c);
	ctl->list = NULL;
	uv_close((uv_handle_t *)&ctl->pipe, ctl_on_closed);
}
