/*
 * conn.h: one peer connection on a libuv loop.
 *
 * The socket is owned by a uv_poll_t (OpenSSL and sendfile need the raw fd,
 * libuv forbids a second handle on it).  Frames are read into a bounded
 * buffer and handed to on_frame; a body announced by a frame is received
 * straight into a file with splice(2) (socket -> pipe -> file).  Output is
 * a bounded buffer, flushed before any body that follows it, which leaves
 * by sendfile(2) from the page cache.  Reading and writing are both capped
 * per wakeup so that one connection cannot starve the others.
 */
#ifndef ZC_CONN_H
#define ZC_CONN_H

#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "buf.h"
#include "proto.h"
#include "rate.h"
#include "tls.h"
#include "verify.h"

#define ZC_CONN_IN_MAX		(ZC_PROTO_FRAME_MAX + 64 * 1024)
#define ZC_CONN_OUT_MAX		(4 * 1024 * 1024)
#define ZC_CONN_OUT_HIGH	(1024 * 1024)	/* stop reading above this */
#define ZC_CONN_WAKEUP_BYTES	(8 * 1024 * 1024)	/* per callback */
#define ZC_CONN_PIPE_SIZE	(1024 * 1024)
#define ZC_CONN_KEEPIDLE	10	/* s of silence before probing */
#define ZC_CONN_KEEPINTVL	5	/* s between probes */
#define ZC_CONN_KEEPCNT		3	/* probes before giving up */
#define ZC_CONN_USER_TIMEOUT_MS	30000	/* unacknowledged data gives up */
#define ZC_CONN_LINGER_MS	2000	/* after our last frame, wait for EOF */

struct zc_conn;

struct zc_conn_ops {
	/* A whole frame: 0 to go on, -errno to close. */
	int	(*on_frame)(struct zc_conn *, const struct zc_frame_hdr *,
		    struct zc_rd *payload);
	/* A body set up by zc_conn_recv_body() is complete (err: the sink's). */
	int	(*on_body)(struct zc_conn *, int sink_error);
	/* Room for output: append frames or start a body; 0 or -errno. */
	int	(*on_writable)(struct zc_conn *);
	/* A body from zc_conn_send_body() is out; shrunk if padded. */
	int	(*on_body_sent)(struct zc_conn *, int shrunk);
	/* Input drained (may be NULL): nothing more to read for now. */
	int	(*on_idle)(struct zc_conn *);
	/* Closed (err 0 = orderly); the owner may free itself here. */
	void	(*on_close)(struct zc_conn *, int err);
};

struct zc_conn {
	uv_poll_t		 poll;
	uv_timer_t		 timer;		/* idle deadline */
	int			 fd;		/* owned */
	struct zc_tls		*tls;		/* owned; NULL on plain TCP */
	const struct zc_conn_ops *ops;
	void			*data;		/* borrowed; the owner */
	struct zc_buf		*in;		/* owned */
	struct zc_buf		*out;		/* owned */
	int			 events;	/* armed UV_READABLE|UV_WRITABLE */
	int			 flags;
#define ZC_CONN_CLOSING		0x1
#define ZC_CONN_PRODUCE		0x2	/* call on_writable when there is room */
#define ZC_CONN_FINISH		0x4	/* close once output is flushed */
#define ZC_CONN_NO_ZEROCOPY	0x8	/* read/write bodies (benchmarks) */
#define ZC_CONN_IN_BODY		0x10
#define ZC_CONN_OUT_BODY	0x20
#define ZC_CONN_TLS_READY	0x40	/* handshake done (or no TLS) */
#define ZC_CONN_READ_WANTS_WRITE 0x80	/* TLS: a read needs a write */
#define ZC_CONN_WRITE_WANTS_READ 0x100	/* TLS: a write needs a read */
#define ZC_CONN_LINGER		0x200	/* output shut: discard input to EOF */
#define ZC_CONN_RATE_WAIT	0x400	/* bwlimit: the bucket is empty */
	int			 closes;	/* handles still closing */
	int			 close_err;
	int			 finish_err;	/* close_err after a finish */
	uint64_t		 idle_ms;
	uint64_t		 last_io;	/* uv_now() of the last progress */
	uint64_t		 deadline;	/* uv_now() to close by; 0 = none */
	uint64_t		 linger_until;	/* uv_now(), while lingering */

	/* Body in. */
	int			 body_in_fd;	/* borrowed; -1 = discard */
	uint64_t		 body_in_left;
	int			 body_in_err;
	int			 pipe[2];	/* owned; splice staging */
	struct zc_verify	*body_in_hash;	/* borrowed; VERIFY: as landed */
	off_t			 body_in_off;	/* bytes written to the sink */

	/* Body out. */
	int			 body_out_fd;	/* borrowed; -1 = zero padding */
	off_t			 body_out_off;
	uint64_t		 body_out_left;
	int			 body_out_shrunk;
	struct zc_verify	*body_out_hash;	/* borrowed; VERIFY: as sent */

	/* bwlimit: output paced by a token bucket (rate.h). */
	struct zc_rate		*rate;		/* owned ref; NULL: no limit */
	uv_timer_t		 rate_timer;	/* the bucket has refilled */
	size_t			 tls_wlen;	/* TLS: length to retry with */

	int			(*on_secure)(struct zc_conn *);
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	char			 desc[160];	/* "peer=NAME addr=A" */
};

/*
 * Take fd (a connected non-blocking stream socket) and start reading.
 * 0 or -errno (fd is then closed).
 */
int	zc_conn_new(uv_loop_t *, int fd, const struct zc_conn_ops *, void *data,
	    uint64_t idle_ms, struct zc_conn **out);
/* Close (once): stop I/O, on_close(err) after libuv lets go. */
void	zc_conn_close(struct zc_conn *, int err);
/* Close when all queued output has left. */
void	zc_conn_finish(struct zc_conn *);
/* Ask for on_writable calls until the owner produces nothing. */
void	zc_conn_want_write(struct zc_conn *);
/*
 * The same, writing at once: only from outside the connection's callbacks
 * (a timer of the owner's).  It may close the connection.
 */
void	zc_conn_write_now(struct zc_conn *);
/* Receive the next size raw bytes into fd (-1 = discard). */
void	zc_conn_recv_body(struct zc_conn *, int fd, uint64_t size);
/* Send size bytes of fd from off after the queued output. */
void	zc_conn_send_body(struct zc_conn *, int fd, off_t off, uint64_t size);
/*
 * Speak TLS on this connection (tls is taken): the handshake runs first,
 * then on_secure(), then frames as usual.
 */
void	zc_conn_set_tls(struct zc_conn *, struct zc_tls *,
	    int (*on_secure)(struct zc_conn *));
/*
 * Pace all output (frames and bodies) with rate (a reference is taken;
 * NULL: no limit).  When the bucket is empty the connection stops polling
 * for writable and waits on a timer; reading goes on.
 */
void	zc_conn_set_rate(struct zc_conn *, struct zc_rate *);
/* Re-arm poll events after the owner changed what it wants. */
void	zc_conn_update(struct zc_conn *);

#endif
