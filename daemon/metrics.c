/*
 * metrics.c: counters and gauges in the Prometheus text format (version
 * 0.0.4), for `zcsync metrics` (control socket) and an optional HTTP
 * endpoint on node.metrics_listen.  The endpoint answers any GET with the
 * metrics and closes; requests are bounded in size and time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "xmalloc.h"
#include "zcsyncd.h"

#define METRICS_REQ_MAX		8192
#define METRICS_TIMEOUT_MS	5000
#define METRICS_CLIENTS_MAX	16

struct zcd_metrics_http {
	struct zcd	*zcd;		/* borrowed */
	uv_tcp_t	 tcp;
	unsigned	 clients;
};

/* Frees what a closed handle's data points to (the handle's owner). */
static void
free_handle_data(uv_handle_t *h)
{
	free(h->data);
}

struct metrics_client {
	uv_tcp_t		 tcp;
	uv_timer_t		 timer;
	uv_write_t		 wr;
	struct zcd_metrics_http	*http;	/* borrowed */
	char			 req[METRICS_REQ_MAX + 1];
	size_t			 len;
	struct zc_buf		*reply;	/* owned */
	int			 closes;
	int			 done;
};

static void
metrics_printf(struct zc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
metrics_printf(struct zc_buf *b, const char *fmt, ...)
{
	char	line[2048];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)zc_buf_put(b, line, (size_t)n < sizeof line ?
		    (size_t)n : sizeof line - 1);
}

/* A label value: backslash, quote and newline escaped (exposition format). */
static const char *
metrics_label(const char *s, char *out, size_t outlen)
{
	size_t	o = 0;

	for (; *s != '\0' && o + 3 < outlen; s++) {
		if (*s == '\\' || *s == '"') {
			out[o++] = '\\';
			out[o++] = *s;
		} else if (*s == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
	return (out);
}

/*
 * What one row is about: the node, a link (set, peer) and, for the link
 * state, one of its states; a mirrored set; what a peer pushed into a set.
 */
enum metrics_scope {
	METRICS_NODE,
	METRICS_LINK,
	METRICS_LINK_STATE,
	METRICS_SET,
	METRICS_RECEIVED,
};

struct metrics_ctx {
	struct zcd		*zcd;		/* borrowed */
	struct zcd_mirror	*m;		/* LINK*, SET */
	struct zcd_link		*l;		/* LINK* */
	size_t			 state;		/* LINK_STATE */
	struct zcd_recv_count	*rc;		/* RECEIVED */
};

typedef uint64_t (*metrics_get_cb)(const struct metrics_ctx *);

/* One metric family, rendered row by row for every item of its scope. */
struct metrics_entry {
	const char		*name;
	const char		*help;
	const char		*type;		/* "counter" or "gauge" */
	enum metrics_scope	 scope;
	metrics_get_cb		 get;
};

static const char *const metrics_states[] = { "connecting", "catching_up",
    "live", "backing_off", "stopping" };

/* The clock stepped back since we started: no negative uptime. */
static uint64_t
metrics_uptime(const struct metrics_ctx *x)
{
	time_t	now = time(NULL);

	return (now > x->zcd->started ? (uint64_t)(now - x->zcd->started) : 0);
}

static uint64_t
metrics_connections(const struct metrics_ctx *x)
{
	return (x->zcd->nsessions);
}

static uint64_t
metrics_refused(const struct metrics_ctx *x)
{
	return (x->zcd->refused);
}

static uint64_t
metrics_sent_files(const struct metrics_ctx *x)
{
	return (zcd_link_files(x->l));
}

static uint64_t
metrics_sent_bytes(const struct metrics_ctx *x)
{
	return (zcd_link_bytes(x->l));
}

static uint64_t
metrics_send_errors(const struct metrics_ctx *x)
{
	return (zcd_link_failures(x->l));
}

static uint64_t
metrics_queue_depth(const struct metrics_ctx *x)
{
	return (x->l->queue.pending);
}

static uint64_t
metrics_link_state(const struct metrics_ctx *x)
{
	return ((size_t)x->l->state == x->state);
}

static uint64_t
metrics_covered(const struct metrics_ctx *x)
{
	return (x->l->covered);
}

static uint64_t
metrics_resyncs(const struct metrics_ctx *x)
{
	return (x->l->resyncs);
}

static uint64_t
metrics_watches(const struct metrics_ctx *x)
{
	return (!x->m->stopped && x->m->watch != NULL ?
	    zcd_watch_count(x->m->watch) : 0);
}

static uint64_t
metrics_rescans(const struct metrics_ctx *x)
{
	return (x->m->rescans);
}

static uint64_t
metrics_stopped(const struct metrics_ctx *x)
{
	return (x->m->stopped != 0);
}

static uint64_t
metrics_guard_stops(const struct metrics_ctx *x)
{
	return (x->zcd->guard_stops);
}

static uint64_t
metrics_received_files(const struct metrics_ctx *x)
{
	return (x->rc->files);
}

static uint64_t
metrics_received_bytes(const struct metrics_ctx *x)
{
	return (x->rc->bytes);
}

static uint64_t
metrics_receive_errors(const struct metrics_ctx *x)
{
	return (x->rc->failures);
}

/* In the order they are rendered (tmux options_table[]). */
static const struct metrics_entry metrics_table[] = {
	{ "zcsync_uptime_seconds",
	  "Seconds since zcsyncd started.",
	  "gauge", METRICS_NODE, metrics_uptime },
	{ "zcsync_connections",
	  "Incoming connections open now.",
	  "gauge", METRICS_NODE, metrics_connections },
	{ "zcsync_connections_refused_total",
	  "Incoming connections refused (limit, plain beyond loopback, ...).",
	  "counter", METRICS_NODE, metrics_refused },
	{ "zcsync_sent_files_total",
	  "File bodies landed on a peer, per set and peer.",
	  "counter", METRICS_LINK, metrics_sent_files },
	{ "zcsync_sent_bytes_total",
	  "Body bytes landed on a peer, per set and peer.",
	  "counter", METRICS_LINK, metrics_sent_bytes },
	{ "zcsync_send_errors_total",
	  "Entries a peer did not land, per set and peer.",
	  "counter", METRICS_LINK, metrics_send_errors },
	{ "zcsync_queue_depth",
	  "Changes waiting to be sent, per set and peer.",
	  "gauge", METRICS_LINK, metrics_queue_depth },
	{ "zcsync_link_state",
	  "1 for the state each link (set, peer) is in.",
	  "gauge", METRICS_LINK_STATE, metrics_link_state },
	{ "zcsync_queue_covered_total",
	  "Queued changes dropped because a directory walk sent the path "
	  "after them, per set and peer.",
	  "counter", METRICS_LINK, metrics_covered },
	{ "zcsync_link_resyncs_total",
	  "Full catch-ups forced (overflow, rescans, zcsync sync).",
	  "counter", METRICS_LINK, metrics_resyncs },
	{ "zcsync_inotify_watches",
	  "Directories watched, per set.",
	  "gauge", METRICS_SET, metrics_watches },
	{ "zcsync_rescans_total",
	  "Full rescans after lost inotify events, per set.",
	  "counter", METRICS_SET, metrics_rescans },
	{ "zcsync_set_stopped",
	  "1 if a mirrored set stopped (root lost, empty source, "
	  "max_delete).",
	  "gauge", METRICS_SET, metrics_stopped },
	{ "zcsync_delete_guard_stops_total",
	  "Sets stopped because a pass would delete too much (empty "
	  "source, max_delete).",
	  "counter", METRICS_NODE, metrics_guard_stops },
	{ "zcsync_received_files_total",
	  "File bodies landed here, per set and peer.",
	  "counter", METRICS_RECEIVED, metrics_received_files },
	{ "zcsync_received_bytes_total",
	  "Body bytes landed here, per set and peer.",
	  "counter", METRICS_RECEIVED, metrics_received_bytes },
	{ "zcsync_receive_errors_total",
	  "Entries refused or failed here, per set and peer.",
	  "counter", METRICS_RECEIVED, metrics_receive_errors },
};

/* One sample: NAME{set="..",peer="..",state=".."} VALUE, labels if any. */
static void
metrics_row(struct zc_buf *b, const struct metrics_entry *e,
    const struct metrics_ctx *x, const char *set, const char *peer,
    const char *state)
{
	char	s[256], p[256];

	metrics_printf(b, "%s", e->name);
	if (set != NULL) {
		metrics_printf(b, "{set=\"%s\"", metrics_label(set, s,
		    sizeof s));
		if (peer != NULL)
			metrics_printf(b, ",peer=\"%s\"", metrics_label(peer,
			    p, sizeof p));
		if (state != NULL)
			metrics_printf(b, ",state=\"%s\"", state);
		metrics_printf(b, "}");
	}
	metrics_printf(b, " %llu\n", (unsigned long long)e->get(x));
}

/* Every row of one family: one per item of its scope. */
static void
metrics_family(struct zc_buf *b, const struct metrics_entry *e,
    struct metrics_ctx *x, struct zcd_recv_count *rc, size_t nrc)
{
	size_t	i, k;

	metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", e->name, e->help,
	    e->name, e->type);
	switch (e->scope) {
	case METRICS_NODE:
		metrics_row(b, e, x, NULL, NULL, NULL);
		break;
	case METRICS_LINK:
	case METRICS_LINK_STATE:
		for (x->m = x->zcd->mirrors; x->m != NULL; x->m = x->m->next) {
			for (i = 0; i < x->m->nlinks; i++) {
				x->l = x->m->links[i];
				if (e->scope == METRICS_LINK) {
					metrics_row(b, e, x, x->m->name,
					    x->l->peer, NULL);
					continue;
				}
				for (k = 0; k < sizeof metrics_states /
				    sizeof metrics_states[0]; k++) {
					x->state = k;
					metrics_row(b, e, x, x->m->name,
					    x->l->peer, metrics_states[k]);
				}
			}
		}
		break;
	case METRICS_SET:
		for (x->m = x->zcd->mirrors; x->m != NULL; x->m = x->m->next)
			metrics_row(b, e, x, x->m->name, NULL, NULL);
		break;
	case METRICS_RECEIVED:
		for (i = 0; i < nrc; i++) {
			x->rc = &rc[i];
			metrics_row(b, e, x, rc[i].set, rc[i].peer, NULL);
		}
		break;
	}
}

void
zcd_render_metrics(struct zcd *zcd, struct zc_buf *b)
{
	struct metrics_ctx	 x;
	struct zcd_recv_count	*rc;
	size_t			 i, nrc;

	memset(&x, 0, sizeof x);
	x.zcd = zcd;
	nrc = zcd_received(zcd, &rc);
	for (i = 0; i < sizeof metrics_table / sizeof metrics_table[0]; i++)
		metrics_family(b, &metrics_table[i], &x, rc, nrc);
	free(rc);
}

static void
metrics_client_closed(uv_handle_t *h)
{
	struct metrics_client	*c = h->data;

	if (--c->closes > 0)
		return;
	c->http->clients--;
	zc_buf_free(c->reply);
	free(c);
}

static void
metrics_client_close(struct metrics_client *c)
{
	if (c->closes > 0)
		return;
	c->closes = 2;
	uv_close((uv_handle_t *)&c->tcp, metrics_client_closed);
	uv_close((uv_handle_t *)&c->timer, metrics_client_closed);
}

static void
metrics_on_written(uv_write_t *w, int status)
{
	metrics_client_close(w->data);
}

static void
metrics_respond(struct metrics_client *c, int ok)
{
	struct zc_buf	*body = zc_buf_new(64 * 1024 * 1024);
	uv_buf_t	 buf;

	c->done = 1;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if (ok)
		zcd_render_metrics(c->http->zcd, body);
	else
		metrics_printf(body, "only GET /metrics is served here\n");
	metrics_printf(c->reply, "HTTP/1.0 %s\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", ok ? "200 OK" : "404 Not Found",
	    zc_buf_len(body));
	(void)zc_buf_put(c->reply, zc_buf_ptr(body), zc_buf_len(body));
	zc_buf_free(body);
	buf = uv_buf_init((char *)zc_buf_ptr(c->reply),
	    (unsigned)zc_buf_len(c->reply));
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &buf, 1,
	    metrics_on_written) != 0)
		metrics_client_close(c);
}

static void
metrics_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct metrics_client	*c = h->data;

	buf->base = c->req + c->len;
	buf->len = METRICS_REQ_MAX - c->len;
}

static void
metrics_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct metrics_client	*c = s->data;

	if (c->done || n == 0)
		return;
	if (n < 0) {
		metrics_client_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") == NULL &&
	    strstr(c->req, "\n\n") == NULL) {
		if (c->len >= METRICS_REQ_MAX)
			metrics_client_close(c);
		return;
	}
	metrics_respond(c, strncmp(c->req, "GET /metrics ", 13) == 0 ||
	    strncmp(c->req, "GET / ", 6) == 0);
}

static void
metrics_on_timeout(uv_timer_t *t)
{
	struct metrics_client	*c = t->data;

	if (!c->done)
		metrics_client_close(c);
}

static void
metrics_on_connect(uv_stream_t *server, int status)
{
	struct zcd_metrics_http	*http = server->data;
	struct metrics_client	*c;

	if (status < 0)
		return;
	c = xcalloc(1, sizeof *c);
	c->http = http;
	c->reply = zc_buf_new(64 * 1024 * 1024 + 4096);
	uv_tcp_init(server->loop, &c->tcp);
	uv_timer_init(server->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	http->clients++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 ||
	    http->clients > METRICS_CLIENTS_MAX) {
		metrics_client_close(c);
		return;
	}
	uv_timer_start(&c->timer, metrics_on_timeout, METRICS_TIMEOUT_MS, 0);
	uv_read_start((uv_stream_t *)&c->tcp, metrics_on_alloc,
	    metrics_on_read);
}

int
zcd_metrics_start(struct zcd *zcd, const struct zc_addr *a, char *err,
    size_t errlen)
{
	struct zcd_metrics_http	*http;
	char			 s[64];
	int			 error;

	http = xcalloc(1, sizeof *http);
	http->zcd = zcd;
	uv_tcp_init(zcd->loop, &http->tcp);
	http->tcp.data = http;
	if ((error = uv_tcp_bind(&http->tcp, (const struct sockaddr *)&a->ss,
	    0)) != 0 || (error = uv_listen((uv_stream_t *)&http->tcp, 16,
	    metrics_on_connect)) != 0) {
		snprintf(err, errlen, "metrics on %s: %s", zc_addr_str(a, s,
		    sizeof s), uv_strerror(error));
		uv_close((uv_handle_t *)&http->tcp, free_handle_data);
		return (error);
	}
	zcd->metrics = http;
	return (0);
}

void
zcd_metrics_stop(struct zcd *zcd)
{
	if (zcd->metrics == NULL)
		return;
	uv_close((uv_handle_t *)&zcd->metrics->tcp,
	    free_handle_data);
	zcd->metrics = NULL;
}

/* The port the endpoint got (metrics_listen may say port 0). */
int
zcd_metrics_port(struct zcd *zcd)
{
	struct sockaddr_storage	ss;
	int			len = sizeof ss;

	if (zcd->metrics == NULL || uv_tcp_getsockname(&zcd->metrics->tcp,
	    (struct sockaddr *)&ss, &len) != 0)
		return (-1);
	return (ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port));
}
