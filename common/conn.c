/*
 * conn.c: the connection engine (see conn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compat.h"
#include "conn.h"
#include "log.h"
#include "xmalloc.h"

#define CONN_READ_CHUNK		(64 * 1024)
#define CONN_TLS_FILL		(256 * 1024)	/* decrypted bytes per fill */
#define CONN_ZEROS		(64 * 1024)
#define CONN_RW_CHUNK		(256 * 1024)	/* read/write mode body slice */

static const uint8_t conn_zeros[CONN_ZEROS];

static void	conn_on_poll(uv_poll_t *, int, int);
static void	conn_on_timer(uv_timer_t *);
static void	conn_on_closed(uv_handle_t *);
static void	conn_on_rate(uv_timer_t *);
static void	conn_write(struct zc_conn *);

static void
conn_touch(struct zc_conn *c)
{
	c->last_io = uv_now(c->poll.loop);
}

/*
 * A dead peer is noticed in seconds, even on a quiet live link: keepalive
 * probes after ZC_CONN_KEEPIDLE s, and unacknowledged data gives up after
 * ZC_CONN_USER_TIMEOUT_MS (tcp(7) TCP_USER_TIMEOUT).
 */
static void
conn_keepalive(int fd)
{
	int		one = 1, idle = ZC_CONN_KEEPIDLE, intvl = ZC_CONN_KEEPINTVL;
	int		cnt = ZC_CONN_KEEPCNT;
	unsigned	timeout = ZC_CONN_USER_TIMEOUT_MS;

	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout,
	    sizeof timeout);
}

int
zc_conn_new(uv_loop_t *loop, int fd, const struct zc_conn_ops *ops,
    void *data, uint64_t idle_ms, struct zc_conn **out)
{
	struct zc_conn	*c;
	int		 one = 1, flags, error;

	*out = NULL;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		error = -errno;
		close(fd);
		return (error);
	}
	/* Not a TCP socket (a socketpair in tests) is fine. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	conn_keepalive(fd);
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->ops = ops;
	c->data = data;
	c->in = zc_buf_new(ZC_CONN_IN_MAX);
	c->out = zc_buf_new(ZC_CONN_OUT_MAX);
	c->pipe[0] = c->pipe[1] = -1;
	c->body_in_fd = c->body_out_fd = -1;
	c->idle_ms = idle_ms;
	c->flags |= ZC_CONN_TLS_READY;
	if ((error = uv_poll_init(loop, &c->poll, fd)) != 0) {
		zc_buf_free(c->in);
		zc_buf_free(c->out);
		free(c);
		close(fd);
		return (error);
	}
	uv_timer_init(loop, &c->timer);
	uv_timer_init(loop, &c->rate_timer);
	conn_touch(c);
	/* Idle limit and handshake deadline, checked once a second. */
	uv_timer_start(&c->timer, conn_on_timer,
	    idle_ms > 0 && idle_ms < 1000 ? idle_ms : 1000,
	    idle_ms > 0 && idle_ms < 1000 ? idle_ms : 1000);
	zc_conn_update(c);
	*out = c;
	return (0);
}

void
zc_conn_close(struct zc_conn *c, int err)
{
	if (c->flags & ZC_CONN_CLOSING)
		return;
	c->flags |= ZC_CONN_CLOSING;
	c->close_err = err;
	c->closes = 3;
	c->rate_timer.data = c;
	uv_close((uv_handle_t *)&c->poll, conn_on_closed);
	uv_close((uv_handle_t *)&c->timer, conn_on_closed);
	uv_close((uv_handle_t *)&c->rate_timer, conn_on_closed);
}

static void
conn_on_closed(uv_handle_t *h)
{
	struct zc_conn	*c = h->data;

	if (--c->closes > 0)
		return;
	close(c->fd);
	if (c->pipe[0] != -1) {
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	zc_buf_free(c->in);
	zc_buf_free(c->out);
	/* on_close may still ask c->tls why it failed (send.c). */
	if (c->ops->on_close != NULL)
		c->ops->on_close(c, c->close_err);
	zc_tls_free(c->tls);
	zc_rate_free(c->rate);
	free(c);
}

void
zc_conn_finish(struct zc_conn *c)
{
	c->flags |= ZC_CONN_FINISH;
	zc_conn_update(c);
}

void
zc_conn_want_write(struct zc_conn *c)
{
	c->flags |= ZC_CONN_PRODUCE;
	zc_conn_update(c);
}

/*
 * Without a turn of the loop: arming POLLOUT to be told what is nearly
 * always true costs an epoll_wait, and libuv re-registers the descriptor
 * (EPOLL_CTL_DEL, then ADD) at every change of the mask, twice per burst.
 * The mask changes only if the socket fills.
 */
void
zc_conn_write_now(struct zc_conn *c)
{
	c->flags |= ZC_CONN_PRODUCE;
	if ((c->flags & ZC_CONN_TLS_READY) && !(c->flags & (ZC_CONN_CLOSING |
	    ZC_CONN_LINGER | ZC_CONN_RATE_WAIT)))
		conn_write(c);
	zc_conn_update(c);
}

void
zc_conn_recv_body(struct zc_conn *c, int fd, uint64_t size)
{
	c->body_in_fd = fd;
	c->body_in_left = size;
	c->body_in_err = 0;
	c->body_in_off = 0;
	c->flags |= ZC_CONN_IN_BODY;
}

void
zc_conn_send_body(struct zc_conn *c, int fd, off_t off, uint64_t size)
{
	c->body_out_fd = fd;
	c->body_out_off = off;
	c->body_out_left = size;
	c->body_out_shrunk = 0;
	c->flags |= ZC_CONN_OUT_BODY;
	zc_conn_update(c);
}

void
zc_conn_set_tls(struct zc_conn *c, struct zc_tls *tls,
    int (*on_secure)(struct zc_conn *))
{
	c->tls = tls;
	c->on_secure = on_secure;
	c->flags &= ~ZC_CONN_TLS_READY;
	/* The handshake writes first (client) or reads first (server). */
	zc_conn_update(c);
}

void
zc_conn_set_rate(struct zc_conn *c, struct zc_rate *rate)
{
	zc_rate_free(c->rate);
	c->rate = zc_rate_ref(rate);
}

void
zc_conn_update(struct zc_conn *c)
{
	int	ev = 0;

	if (c->flags & (ZC_CONN_CLOSING | ZC_CONN_LINGER))
		return;
	c->poll.data = c;
	c->timer.data = c;
	c->rate_timer.data = c;
	if (!(c->flags & ZC_CONN_TLS_READY)) {
		/* Handshaking: what TLS wants (a client starts by writing). */
		ev = zc_tls_want(c->tls) == 1 ? UV_READABLE : UV_WRITABLE;
		if (zc_tls_want(c->tls) == 0)
			ev = UV_READABLE | UV_WRITABLE;
		goto arm;
	}
	if ((zc_buf_len(c->out) < ZC_CONN_OUT_HIGH &&
	    !(c->flags & ZC_CONN_FINISH)) ||
	    (c->flags & ZC_CONN_WRITE_WANTS_READ))
		ev |= UV_READABLE;
	if (zc_buf_len(c->out) > 0 ||
	    (c->flags & (ZC_CONN_PRODUCE | ZC_CONN_FINISH | ZC_CONN_OUT_BODY |
	    ZC_CONN_READ_WANTS_WRITE)) ||
	    (c->tls != NULL && zc_tls_unflushed(c->tls)))
		ev |= UV_WRITABLE;
	/* Decrypted bytes wait inside OpenSSL: come back soon for them. */
	if (c->tls != NULL && zc_tls_pending(c->tls) &&
	    !(c->flags & ZC_CONN_FINISH) &&
	    zc_buf_len(c->out) < ZC_CONN_OUT_HIGH)
		ev |= UV_WRITABLE;
	/* bwlimit: the rate timer, not the socket, says when to write. */
	if (c->flags & ZC_CONN_RATE_WAIT)
		ev &= ~UV_WRITABLE;
arm:
	if (ev == c->events)
		return;
	c->events = ev;
	if (ev == 0)
		uv_poll_stop(&c->poll);
	else
		uv_poll_start(&c->poll, ev, conn_on_poll);
}

static void
conn_on_timer(uv_timer_t *t)
{
	struct zc_conn	*c = t->data;

	if (c->flags & ZC_CONN_CLOSING)
		return;
	if ((c->flags & ZC_CONN_LINGER) && uv_now(t->loop) >= c->linger_until) {
		zc_conn_close(c, c->finish_err);
		return;
	}
	if (c->deadline != 0 && uv_now(t->loop) >= c->deadline) {
		zc_log_info("%s: handshake not done in time, closing", c->desc);
		zc_conn_close(c, -ETIMEDOUT);
		return;
	}
	if (c->idle_ms > 0 && uv_now(t->loop) - c->last_io >= c->idle_ms) {
		zc_log_info("%s: idle for %llu ms, closing", c->desc,
		    (unsigned long long)c->idle_ms);
		zc_conn_close(c, -ETIMEDOUT);
	}
}

/* Write all of p to a file; 0 or -errno. */
static int
conn_write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-errno);
		}
		if (w == 0)
			return (-EIO);
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/* recv into the input buffer: bytes, 0 at EOF, -EAGAIN or -errno. */
static ssize_t
conn_fill(struct zc_conn *c)
{
	uint8_t	*p;
	size_t	 room, got;
	ssize_t	 n;

	room = ZC_CONN_IN_MAX - zc_buf_len(c->in);
	if (room > (c->tls != NULL ? CONN_TLS_FILL : CONN_READ_CHUNK))
		room = c->tls != NULL ? CONN_TLS_FILL : CONN_READ_CHUNK;
	if (room == 0 || zc_buf_reserve(c->in, room, &p) != 0)
		return (-ENOBUFS);
	if (c->tls != NULL) {
		/*
		 * SSL_read gives one record (16 KiB) a call: gather several,
		 * so that a body is written to its file in large pieces.
		 */
		c->flags &= ~ZC_CONN_READ_WANTS_WRITE;
		got = 0;
		while (got < room) {
			n = zc_tls_read(c->tls, p + got, room - got);
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (got > 0)
			n = (ssize_t)got;
		else if (n == -EAGAIN && zc_tls_want(c->tls) == 2)
			c->flags |= ZC_CONN_READ_WANTS_WRITE;
		if (n < 0)
			return (n);
	} else for (;;) {
		n = recv(c->fd, p, room, 0);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		return (errno == EWOULDBLOCK ? -EAGAIN : -errno);
	}
	if (n > 0) {
		zc_buf_commit(c->in, (size_t)n);
		c->bytes_in += (uint64_t)n;
		conn_touch(c);
	}
	return (n);
}

/* The file sink failed: remember why and discard the rest of the body. */
static void
conn_sink_failed(struct zc_conn *c, int error)
{
	if (c->body_in_err == 0)
		c->body_in_err = error;
	c->body_in_fd = -1;
}

/*
 * VERIFY: n more bytes are in the sink; hash them as they landed, read
 * back from the page cache (ZC_VERIFY_CHUNK at a time).  A failed read
 * back fails the sink.
 */
static void
conn_body_landed(struct zc_conn *c, size_t n)
{
	int	error;

	if (c->body_in_hash != NULL && c->body_in_fd != -1 &&
	    (error = zc_verify_update_fd(c->body_in_hash, c->body_in_fd,
	    c->body_in_off, n)) != 0)
		conn_sink_failed(c, error);
	c->body_in_off += (off_t)n;
}

/* Move bytes already buffered into the body sink. */
static void
conn_body_drain(struct zc_conn *c)
{
	size_t	n;
	int	error;

	n = zc_buf_len(c->in);
	if (n > c->body_in_left)
		n = (size_t)c->body_in_left;
	if (n == 0)
		return;
	if (c->body_in_fd != -1 &&
	    (error = conn_write_all(c->body_in_fd, zc_buf_ptr(c->in), n)) != 0)
		conn_sink_failed(c, error);
	else if (c->body_in_fd != -1)
		conn_body_landed(c, n);
	zc_buf_consume(c->in, n);
	c->body_in_left -= n;
}

static int
conn_pipe(struct zc_conn *c)
{
	if (c->pipe[0] != -1)
		return (0);
	if (pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		return (-errno);
	/* A bigger pipe means fewer splice round trips; best effort. */
	(void)fcntl(c->pipe[1], F_SETPIPE_SZ, ZC_CONN_PIPE_SIZE);
	return (0);
}

/*
 * splice socket -> pipe -> file.  0 when the body is complete, -EAGAIN
 * when the socket is drained or the budget spent, -errno to close.
 */
static int
conn_body_splice(struct zc_conn *c, size_t *budget)
{
	uint8_t	scratch[4096];
	ssize_t	n, m;
	size_t	want;
	int	error;

	if ((error = conn_pipe(c)) != 0)
		return (error);
	while (c->body_in_left > 0 && c->body_in_fd != -1) {
		if (*budget == 0)
			return (-EAGAIN);
		want = c->body_in_left > ZC_CONN_PIPE_SIZE ? ZC_CONN_PIPE_SIZE :
		    (size_t)c->body_in_left;
		n = splice(c->fd, NULL, c->pipe[1], NULL, want,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n == 0)
			return (-EPIPE);	/* EOF inside a body */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return (-EAGAIN);
			return (-errno);
		}
		c->bytes_in += (uint64_t)n;
		c->body_in_left -= (uint64_t)n;
		*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
		conn_touch(c);
		while (n > 0) {
			m = splice(c->pipe[0], NULL, c->body_in_fd, NULL,
			    (size_t)n, SPLICE_F_MOVE);
			if (m <= 0) {
				if (m < 0 && errno == EINTR)
					continue;
				conn_sink_failed(c, m < 0 ? -errno : -EIO);
				break;
			}
			conn_body_landed(c, (size_t)m);
			n -= m;
		}
		/* After a sink failure, empty the pipe: those bytes are body. */
		while (n > 0) {
			m = read(c->pipe[0], scratch, sizeof scratch);
			if (m <= 0)
				return (-EIO);
			n -= m;
		}
	}
	return (c->body_in_left == 0 ? 0 : 1);
}

/* Receive body bytes: 0 complete, -EAGAIN, or -errno. */
static int
conn_body_in(struct zc_conn *c, size_t *budget)
{
	ssize_t	n;
	int	r;

	for (;;) {
		conn_body_drain(c);
		if (c->body_in_left == 0)
			return (0);
		/* TLS records are decrypted in user space: no splice. */
		if (!(c->flags & ZC_CONN_NO_ZEROCOPY) && c->tls == NULL &&
		    c->body_in_fd != -1) {
			r = conn_body_splice(c, budget);
			if (r <= 0)
				return (r);
			continue;	/* the sink failed: discard the rest */
		}
		if (*budget == 0)
			return (-EAGAIN);
		n = conn_fill(c);
		if (n == 0)
			return (-EPIPE);
		if (n < 0)
			return ((int)n);
		*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
	}
}

static void
conn_read(struct zc_conn *c)
{
	struct zc_frame_hdr	 hdr;
	struct zc_rd		 payload;
	size_t			 budget = ZC_CONN_WAKEUP_BYTES;
	ssize_t			 n;
	int			 r;

	while (!(c->flags & (ZC_CONN_CLOSING | ZC_CONN_FINISH))) {
		if (zc_buf_len(c->out) >= ZC_CONN_OUT_HIGH)
			return;		/* the peer is not reading: wait */
		if (c->flags & ZC_CONN_IN_BODY) {
			r = conn_body_in(c, &budget);
			if (r == -EAGAIN) {
				/* The socket is drained mid-body: as below. */
				if (budget > 0 && c->ops->on_idle != NULL &&
				    (r = c->ops->on_idle(c)) < 0)
					zc_conn_close(c, r);
				return;
			}
			if (r < 0) {
				zc_conn_close(c, r);
				return;
			}
			c->flags &= ~ZC_CONN_IN_BODY;
			if ((r = c->ops->on_body(c, c->body_in_err)) < 0) {
				zc_conn_close(c, r);
				return;
			}
			continue;
		}
		r = zc_proto_get_frame(c->in, &hdr, &payload);
		if (r == 0) {
			if ((r = c->ops->on_frame(c, &hdr, &payload)) < 0) {
				zc_conn_close(c, r);
				return;
			}
			continue;
		}
		if (r != -EAGAIN) {
			/*
			 * A header we refuse: say so (PROTOCOL.md 7.8), read
			 * nothing more, close once the ERROR has left.
			 */
			zc_log_info("%s: malformed frame header, closing",
			    c->desc);
			(void)zc_proto_put_error(c->out, ZC_E_PROTOCOL,
			    "malformed frame header");
			c->finish_err = r;
			zc_conn_finish(c);
			return;
		}
		if (budget == 0)
			return;
		n = conn_fill(c);
		if (n == -EAGAIN) {
			/* Between frames, nothing more in: the peer waits. */
			if (c->ops->on_idle != NULL &&
			    (r = c->ops->on_idle(c)) < 0)
				zc_conn_close(c, r);
			return;
		}
		if (n <= 0) {
			/* EOF between frames is the owner's to judge. */
			zc_conn_close(c, n == 0 ?
			    (zc_buf_len(c->in) > 0 ? -EPIPE : 0) : (int)n);
			return;
		}
		budget = budget > (size_t)n ? budget - (size_t)n : 0;
	}
}

/*
 * bwlimit: how many of want bytes may leave now.  0 when the bucket is
 * empty: the rate timer is armed for when it has refilled and writable
 * polling stops meanwhile (never a sleep; other connections go on).
 */
static size_t
conn_rate_allow(struct zc_conn *c, size_t want)
{
	size_t		n;
	uint64_t	now;

	if (c->rate == NULL || zc_rate_get(c->rate) == 0)
		return (want);
	now = uv_hrtime();
	if ((n = zc_rate_allow(c->rate, now, want)) > 0) {
		c->flags &= ~ZC_CONN_RATE_WAIT;
		return (n);
	}
	c->flags |= ZC_CONN_RATE_WAIT;
	uv_timer_start(&c->rate_timer, conn_on_rate,
	    zc_rate_delay_ms(c->rate, now), 0);
	return (0);
}

static void
conn_rate_charge(struct zc_conn *c, size_t n)
{
	if (c->rate != NULL)
		zc_rate_charge(c->rate, n);
}

/* send(2) or a TLS record: bytes, -EAGAIN, -EINTR or -errno. */
static ssize_t
conn_send(struct zc_conn *c, const void *p, size_t len, int more)
{
	ssize_t	n;

	if (c->tls != NULL) {
		c->flags &= ~ZC_CONN_WRITE_WANTS_READ;
		n = zc_tls_write(c->tls, p, len);
		if (n == -EAGAIN && zc_tls_want(c->tls) == 1)
			c->flags |= ZC_CONN_WRITE_WANTS_READ;
		return (n);
	}
	n = send(c->fd, p, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	if (n < 0)
		return (errno == EWOULDBLOCK ? -EAGAIN : -errno);
	return (n);
}

/* Send queued output: 0 when empty, -EAGAIN, or -errno. */
static int
conn_flush(struct zc_conn *c, size_t *budget)
{
	size_t	len;
	ssize_t	n;

	while (zc_buf_len(c->out) > 0) {
		if ((len = conn_rate_allow(c, zc_buf_len(c->out))) == 0)
			return (-EAGAIN);
		/*
		 * OpenSSL wants a write it refused (WANT_WRITE) retried with
		 * at least the same length, whatever the bucket says now.
		 */
		if (c->tls != NULL && c->tls_wlen > len)
			len = c->tls_wlen < zc_buf_len(c->out) ? c->tls_wlen :
			    zc_buf_len(c->out);
		if ((n = conn_send(c, zc_buf_ptr(c->out), len,
		    c->body_out_left > 0)) == -EINTR)
			continue;
		if (c->tls != NULL)
			c->tls_wlen = n == -EAGAIN ? len : 0;
		if (n < 0)
			return ((int)n);
		conn_rate_charge(c, (size_t)n);
		zc_buf_consume(c->out, (size_t)n);
		c->bytes_out += (uint64_t)n;
		*budget = *budget > (size_t)n ? *budget - (size_t)n : 0;
		conn_touch(c);
	}
	/* Records gathered in user space go out with the buffer. */
	if (c->tls != NULL && (c->flags & ZC_CONN_TLS_READY))
		return (zc_tls_flush(c->tls));
	return (0);
}

/*
 * Send a slice of the body: bytes sent (>0), -EAGAIN, or -errno.  A file
 * that ends early (sendfile or pread returns 0) shrank while we sent it:
 * pad with zeros to keep the framing, and report it (nginx "was
 * truncated").
 */
static ssize_t
conn_body_out(struct zc_conn *c, size_t budget)
{
	size_t	 want;
	uint8_t	*p;
	ssize_t	 n;
	off_t	 off;

	want = c->body_out_left < budget ? (size_t)c->body_out_left : budget;
	if (want == 0 || (want = conn_rate_allow(c, want)) == 0)
		return (-EAGAIN);
	for (;;) {
		off = c->body_out_off;
		if (c->body_out_fd == -1) {
			if (want > CONN_ZEROS)
				want = CONN_ZEROS;
			if ((n = conn_send(c, conn_zeros, want, 0)) == -EINTR)
				continue;
			if (n < 0)
				return (n);
		} else if (c->tls != NULL && zc_tls_ktls_send(c->tls)) {
			/* Kernel TLS: from the page cache, encrypted below. */
			n = zc_tls_sendfile(c->tls, c->body_out_fd,
			    c->body_out_off, want);
			if (n > 0)
				c->body_out_off += n;
			if (n < 0 && n != -EAGAIN && n != -EPIPE &&
			    n != -ECONNRESET)
				n = 0;	/* a read error: treat as shrunk */
			if (n < 0)
				return (n);
		} else if ((c->flags & ZC_CONN_NO_ZEROCOPY) || c->tls != NULL) {
			/* The honest baseline: copy through user space. */
			if (want > CONN_RW_CHUNK)
				want = CONN_RW_CHUNK;
			if (zc_buf_reserve(c->out, want, &p) != 0)
				return (-ENOBUFS);
			n = pread(c->body_out_fd, p, want, c->body_out_off);
			if (n > 0) {
				if (c->body_out_hash != NULL)
					zc_verify_update(c->body_out_hash, p,
					    (size_t)n);
				zc_buf_commit(c->out, (size_t)n);
				c->body_out_off += n;
				c->body_out_left -= (uint64_t)n;
				return (0);	/* the flush sends it */
			}
		} else
			n = sendfile(c->fd, c->body_out_fd, &c->body_out_off,
			    want);
		if (n == 0 && c->body_out_fd != -1) {
			c->body_out_fd = -1;
			c->body_out_shrunk = 1;
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EWOULDBLOCK ? -EAGAIN : -errno);
		}
		break;
	}
	c->body_out_left -= (uint64_t)n;
	c->bytes_out += (uint64_t)n;
	conn_rate_charge(c, (size_t)n);
	/*
	 * VERIFY: sendfile never shows us the bytes; hash the same range
	 * from the page cache it was sent from.  A read error leaves the
	 * hash wrong: the receiver refuses the body and it is sent again.
	 */
	if (c->body_out_hash != NULL) {
		if (c->body_out_fd == -1)
			zc_verify_update(c->body_out_hash, conn_zeros,
			    (size_t)n);
		else
			(void)zc_verify_update_fd(c->body_out_hash,
			    c->body_out_fd, off, (size_t)n);
	}
	conn_touch(c);
	return (n);
}

/*
 * Our last frame is out: send FIN (and a TLS close_notify), then read and
 * discard until the peer's EOF, for at most ZC_CONN_LINGER_MS.  Closing
 * with its data unread would reset the connection, and the peer might
 * lose our last frame (an ERROR, say) before reading it.
 */
static void
conn_linger(struct zc_conn *c)
{
	if (c->flags & ZC_CONN_LINGER)
		return;
	c->flags |= ZC_CONN_LINGER;
	c->linger_until = uv_now(c->poll.loop) + ZC_CONN_LINGER_MS;
	if (c->tls != NULL)
		zc_tls_shutdown(c->tls);
	if (shutdown(c->fd, SHUT_WR) == -1) {
		zc_conn_close(c, c->finish_err);
		return;
	}
	if (c->events != UV_READABLE) {
		c->events = UV_READABLE;
		uv_poll_start(&c->poll, UV_READABLE, conn_on_poll);
	}
}

/* Lingering: read and drop until EOF (or an error): then close. */
static void
conn_drain(struct zc_conn *c)
{
	char	buf[16384];
	ssize_t	n;
	int	i;

	for (i = 0; i < 64; i++) {
		if ((n = recv(c->fd, buf, sizeof buf, 0)) > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		zc_conn_close(c, c->finish_err);
		return;
	}
}

static void
conn_write(struct zc_conn *c)
{
	size_t	budget = ZC_CONN_WAKEUP_BYTES, before;
	ssize_t	n;
	int	r;

	while (!(c->flags & ZC_CONN_CLOSING)) {
		if ((r = conn_flush(c, &budget)) == -EAGAIN)
			return;
		if (r < 0) {
			zc_conn_close(c, r);
			return;
		}
		if (c->flags & ZC_CONN_OUT_BODY) {
			if (c->body_out_left > 0) {
				if (budget == 0)
					return;
				n = conn_body_out(c, budget);
				if (n == -EAGAIN)
					return;
				if (n < 0) {
					zc_conn_close(c, (int)n);
					return;
				}
				budget = budget > (size_t)n ?
				    budget - (size_t)n : 0;
				continue;
			}
			if (zc_buf_len(c->out) > 0)
				continue;
			c->flags &= ~ZC_CONN_OUT_BODY;
			if ((r = c->ops->on_body_sent(c,
			    c->body_out_shrunk)) < 0) {
				zc_conn_close(c, r);
				return;
			}
			continue;
		}
		if (c->flags & ZC_CONN_FINISH) {
			conn_linger(c);
			return;
		}
		if (!(c->flags & ZC_CONN_PRODUCE) || budget == 0)
			return;
		before = zc_buf_len(c->out);
		if ((r = c->ops->on_writable(c)) < 0) {
			zc_conn_close(c, r);
			return;
		}
		if (zc_buf_len(c->out) == before &&
		    !(c->flags & ZC_CONN_OUT_BODY))
			c->flags &= ~ZC_CONN_PRODUCE;
	}
}

static void
conn_on_poll(uv_poll_t *h, int status, int events)
{
	struct zc_conn	*c = h->data;
	int		 r;

	if (c->flags & ZC_CONN_CLOSING)
		return;
	if (status < 0) {
		/*
		 * libuv reports POLLERR as UV_EBADF; the socket knows the
		 * real reason (ECONNRESET, ETIMEDOUT, ...).
		 */
		int		soerr = 0;
		socklen_t	len = sizeof soerr;

		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
		    soerr != 0)
			status = -soerr;
		zc_conn_close(c, status);
		return;
	}
	if (c->flags & ZC_CONN_LINGER) {
		conn_drain(c);
		return;
	}
	if (!(c->flags & ZC_CONN_TLS_READY)) {
		if ((r = zc_tls_handshake(c->tls)) == -EAGAIN) {
			zc_conn_update(c);
			return;
		}
		if (r != 0) {
			zc_log_info("%s: TLS handshake failed: %s", c->desc,
			    zc_tls_error(c->tls));
			zc_conn_close(c, r);
			return;
		}
		conn_touch(c);
		c->flags |= ZC_CONN_TLS_READY;
		if (c->on_secure != NULL && (r = c->on_secure(c)) < 0) {
			zc_conn_close(c, r);
			return;
		}
		if (c->flags & ZC_CONN_CLOSING)
			return;
	}
	conn_read(c);
	conn_write(c);
	/* Output drained below the mark: parse what is already buffered. */
	if (zc_buf_len(c->in) > 0)
		conn_read(c);
	zc_conn_update(c);
}

/* bwlimit: the bucket has refilled; write what waits (conn_on_poll). */
static void
conn_on_rate(uv_timer_t *t)
{
	struct zc_conn	*c = t->data;

	if (c->flags & (ZC_CONN_CLOSING | ZC_CONN_LINGER))
		return;
	c->flags &= ~ZC_CONN_RATE_WAIT;
	conn_write(c);
	if (zc_buf_len(c->in) > 0 ||
	    (c->tls != NULL && zc_tls_pending(c->tls)))
		conn_read(c);
	zc_conn_update(c);
}
