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

static void
metrics_head(struct zc_buf *b, const char *name, const char *type,
    const char *help)
{
	metrics_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

void
zcd_render_metrics(struct zcd *zcd, struct zc_buf *b)
{
	static const char *const states[] = { "connecting", "catching_up",
	    "live", "backing_off", "stopping" };
	struct zcd_mirror	*m;
	struct zcd_link		*l;
	struct zcd_recv_count	*rc;
	char			 s[256], p[256];
	size_t			 i, k, nrc;

	metrics_head(b, "zcsync_uptime_seconds", "gauge",
	    "Seconds since zcsyncd started.");
	metrics_printf(b, "zcsync_uptime_seconds %lld\n",
	    (long long)(time(NULL) - zcd->started));
	metrics_head(b, "zcsync_connections", "gauge",
	    "Incoming connections open now.");
	metrics_printf(b, "zcsync_connections %u\n", zcd->nsessions);
	metrics_head(b, "zcsync_connections_refused_total", "counter",
	    "Incoming connections refused (limit, plain beyond loopback, ...).");
	metrics_printf(b, "zcsync_connections_refused_total %llu\n",
	    (unsigned long long)zcd->refused);

	metrics_head(b, "zcsync_sent_files_total", "counter",
	    "File bodies landed on a peer, per set and peer.");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		for (i = 0; i < m->nlinks; i++)
			metrics_printf(b, "zcsync_sent_files_total{set=\"%s\","
			    "peer=\"%s\"} %llu\n", metrics_label(m->name, s,
			    sizeof s), metrics_label(m->links[i]->peer, p,
			    sizeof p), (unsigned long long)
			    zcd_link_files(m->links[i]));
	metrics_head(b, "zcsync_sent_bytes_total", "counter",
	    "Body bytes landed on a peer, per set and peer.");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		for (i = 0; i < m->nlinks; i++)
			metrics_printf(b, "zcsync_sent_bytes_total{set=\"%s\","
			    "peer=\"%s\"} %llu\n", metrics_label(m->name, s,
			    sizeof s), metrics_label(m->links[i]->peer, p,
			    sizeof p), (unsigned long long)
			    zcd_link_bytes(m->links[i]));
	metrics_head(b, "zcsync_send_errors_total", "counter",
	    "Entries a peer did not land, per set and peer.");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		for (i = 0; i < m->nlinks; i++)
			metrics_printf(b, "zcsync_send_errors_total{set=\"%s\","
			    "peer=\"%s\"} %llu\n", metrics_label(m->name, s,
			    sizeof s), metrics_label(m->links[i]->peer, p,
			    sizeof p), (unsigned long long)
			    zcd_link_failures(m->links[i]));
	metrics_head(b, "zcsync_queue_depth", "gauge",
	    "Changes waiting to be sent, per set and peer.");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		for (i = 0; i < m->nlinks; i++)
			metrics_printf(b, "zcsync_queue_depth{set=\"%s\","
			    "peer=\"%s\"} %zu\n", metrics_label(m->name, s,
			    sizeof s), metrics_label(m->links[i]->peer, p,
			    sizeof p), m->links[i]->queue.pending);
	metrics_head(b, "zcsync_link_state", "gauge",
	    "1 for the state each link (set, peer) is in.");
	for (m = zcd->mirrors; m != NULL; m = m->next) {
		for (i = 0; i < m->nlinks; i++) {
			l = m->links[i];
			for (k = 0; k < sizeof states / sizeof states[0]; k++)
				metrics_printf(b, "zcsync_link_state{set=\"%s\","
				    "peer=\"%s\",state=\"%s\"} %d\n",
				    metrics_label(m->name, s, sizeof s),
				    metrics_label(l->peer, p, sizeof p),
				    states[k], (size_t)l->state == k);
		}
	}
	metrics_head(b, "zcsync_link_resyncs_total", "counter",
	    "Full catch-ups forced (overflow, rescans, zcsync sync).");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		for (i = 0; i < m->nlinks; i++)
			metrics_printf(b, "zcsync_link_resyncs_total{set=\"%s\","
			    "peer=\"%s\"} %llu\n", metrics_label(m->name, s,
			    sizeof s), metrics_label(m->links[i]->peer, p,
			    sizeof p), (unsigned long long)
			    m->links[i]->resyncs);
	metrics_head(b, "zcsync_inotify_watches", "gauge",
	    "Directories watched, per set.");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		metrics_printf(b, "zcsync_inotify_watches{set=\"%s\"} %zu\n",
		    metrics_label(m->name, s, sizeof s),
		    !m->stopped && m->watch != NULL ?
		    zcd_watch_count(m->watch) : 0);
	metrics_head(b, "zcsync_rescans_total", "counter",
	    "Full rescans after lost inotify events, per set.");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		metrics_printf(b, "zcsync_rescans_total{set=\"%s\"} %llu\n",
		    metrics_label(m->name, s, sizeof s),
		    (unsigned long long)m->rescans);
	metrics_head(b, "zcsync_set_stopped", "gauge",
	    "1 if a mirrored set stopped (root lost, empty source, "
	    "max_delete).");
	for (m = zcd->mirrors; m != NULL; m = m->next)
		metrics_printf(b, "zcsync_set_stopped{set=\"%s\"} %d\n",
		    metrics_label(m->name, s, sizeof s), m->stopped);
	metrics_head(b, "zcsync_delete_guard_stops_total", "counter",
	    "Sets stopped because a pass would delete too much (empty "
	    "source, max_delete).");
	metrics_printf(b, "zcsync_delete_guard_stops_total %llu\n",
	    (unsigned long long)zcd->guard_stops);
	nrc = zcd_received(zcd, &rc);
	metrics_head(b, "zcsync_received_files_total", "counter",
	    "File bodies landed here, per set and peer.");
	for (k = 0; k < nrc; k++)
		metrics_printf(b, "zcsync_received_files_total{set=\"%s\","
		    "peer=\"%s\"} %llu\n", metrics_label(rc[k].set, s,
		    sizeof s), metrics_label(rc[k].peer, p, sizeof p),
		    (unsigned long long)rc[k].files);
	metrics_head(b, "zcsync_received_bytes_total", "counter",
	    "Body bytes landed here, per set and peer.");
	for (k = 0; k < nrc; k++)
		metrics_printf(b, "zcsync_received_bytes_total{set=\"%s\","
		    "peer=\"%s\"} %llu\n", metrics_label(rc[k].set, s,
		    sizeof s), metrics_label(rc[k].peer, p, sizeof p),
		    (unsigned long long)rc[k].bytes);
	metrics_head(b, "zcsync_receive_errors_total", "counter",
	    "Entries refused or failed here, per set and peer.");
	for (k = 0; k < nrc; k++)
		metrics_printf(b, "zcsync_receive_errors_total{set=\"%s\","
		    "peer=\"%s\"} %llu\n", metrics_label(rc[k].set, s,
		    sizeof s), metrics_label(rc[k].peer, p, sizeof p),
		    (unsigned long long)rc[k].failures);
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
