/*
 * rawpeer.c: a scriptable, deliberately misbehaving zcsync sender for the
 * hostile-peer tests (tests/integration/05*.sh).
 *
 * usage: rawpeer [-v] [-t timeout_ms] [-h host] PORT [COMMAND ...]
 *
 * rawpeer connects to HOST:PORT (127.0.0.1 by default) and runs a script,
 * one command per argument, or one per line of standard input when no
 * command is given.  Frames are built here byte by byte with the zc_buf
 * primitives rather than with the zc_proto_put_*() encoders: those refuse
 * exactly the values an attacker wants to send (seq 0, overlong paths,
 * unknown flags), and a test should not share the code it tests.  Replies
 * are decoded with the product's decoders; what arrives is printed when an
 * expectation fails (and always with -v).
 *
 * Words are separated by blanks.  PATH, TARGET, SET, NAME and data words
 * take C escapes: \xHH, \n, \r, \t, \e, \0, \s (a space) and \\.
 *
 *   hello NAME [version N] [magic N] [features N] [mandatory N]
 *   push SET [flags N]
 *   pull SET [flags N]             PULL (the same payload as PUSH)
 *   read-manifest [COUNT]          MANIFEST frames up to MANIFEST_END
 *   dir SEQ PATH [OPTS]            OPTS: mode M, mtime S, nsec N, uid U,
 *   file SEQ PATH SIZE [OPTS]          gid G, type T, size N, data WORD,
 *   file-end SEQ STATUS                body-bytes-actually-sent N
 *   file-end-hash SEQ STATUS HEX   FILE_END with VERIFY: 16 bytes of hash
 *   file-end-hash SEQ STATUS of N [WORD]   ... the XXH3-128 of what
 *                                  "body N data WORD" sends (right hash)
 *   symlink SEQ PATH TARGET [OPTS]
 *   link SEQ PATH TARGET [OPTS]    LINK (18, HARDLINK): PATH to TARGET
 *   delete SEQ PATH
 *   meta SEQ PATH MODE [OPTS]      type defaults to 1 (file)
 *   body N [data WORD]             N raw bytes
 *   done
 *   raw HEX                        arbitrary bytes
 *   frame TYPE LEN [HEX] [flags N] [reserved N]   a header that may lie
 *   expect-hello                   the receiver's HELLO (normally skipped)
 *   expect-ack SEQ CODE            CODE: a number, a name (ok, path, ...)
 *                                  or "fail" (any code but ok)
 *   expect-refused SEQ [CODE]      ACK SEQ CODE (default path), or ERROR
 *                                  and EOF, which ends the script there
 *   expect-error [CODE]
 *   expect-summary [ENTRIES [FAILURES]]
 *   expect-eof                     the receiver closes, no frame before
 *   expect-closed                  skip frames until the receiver closes
 *   sleep-ms N | timeout-ms N | close | shutdown | connect
 *   trickle HEX MS                 one byte every MS ms, until all are
 *                                  sent or the receiver closes
 *   hold N                         N more connections that say nothing
 *   touch FILE | wait-file FILE [MS]
 *   repeat N START COMMAND ...     "{}" in COMMAND becomes START + i
 *
 * A HELLO from the receiver is consumed by whichever expectation meets it.
 * Every read is bounded by the timeout (10 s by default).  Exit status: 0 if
 * every expectation held, 1 if one failed (or the connection could not be
 * made), 2 for a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "buf.h"
#include "proto.h"
#include "xmalloc.h"

#define RP_IN_MAX	(64U * 1024 * 1024)	/* unread replies we keep */
#define RP_WORDS_MAX	64
#define RP_HOLD_MAX	4096

/* One word of a command: raw text, and its bytes once unescaped. */
struct rp_word {
	const char	*raw;
	char		*bytes;		/* owned; NUL-terminated too */
	size_t		 len;
};

struct rawpeer {
	const char	*host;
	int		 port;
	int		 fd;		/* -1 when closed */
	int		 eof;		/* the receiver closed */
	int		 write_dead;	/* a write failed; writes are dropped */
	struct zc_buf	*in;		/* owned; replies not yet judged */
	int		 timeout_ms;
	int		 verbose;
	int		 got_hello;
	uint64_t	 features;	/* what our HELLO listed */
	uint64_t	 peer_features;	/* what the receiver's listed */
	int		 finished;	/* refused by ERROR: skip the rest */
	int		 holds[RP_HOLD_MAX];
	int		 nholds;
	const char	*cmd;		/* the command being run */
};

static int	rp_run(struct rawpeer *, char *);
static int	rp_cmd_expect_eof(struct rawpeer *, int);

static void
rp_note(struct rawpeer *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
rp_note(struct rawpeer *rp, const char *fmt, ...)
{
	va_list	ap;

	if (!rp->verbose)
		return;
	fprintf(stderr, "rawpeer: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int
rp_fail(struct rawpeer *rp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
rp_fail(struct rawpeer *rp, const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "rawpeer: FAILED `%s': ", rp->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (-1);
}

static uint64_t
rp_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Print bytes with everything outside printable ASCII as \xHH. */
static void
rp_escape(const void *p, size_t len, char *out, size_t outlen)
{
	const uint8_t	*s = p;
	size_t		 i, o = 0;

	for (i = 0; i < len && o + 5 < outlen; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			out[o++] = (char)s[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    s[i]);
	}
	if (i < len && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

static int
rp_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Decode C escapes in s into a new buffer: 0, or -1 for a bad escape. */
static int
rp_unescape(const char *s, char **out, size_t *outlen)
{
	char	*b;
	size_t	 n = 0;
	int	 hi, lo;

	b = xmalloc(strlen(s) + 1);
	while (*s != '\0') {
		if (*s != '\\') {
			b[n++] = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'x':
			if ((hi = rp_hexval(s[1])) < 0 ||
			    (lo = rp_hexval(s[2])) < 0)
				goto bad;
			b[n++] = (char)(hi << 4 | lo);
			s += 3;
			continue;
		case 'n':
			b[n++] = '\n';
			break;
		case 'r':
			b[n++] = '\r';
			break;
		case 't':
			b[n++] = '\t';
			break;
		case 'e':
			b[n++] = 033;
			break;
		case '0':
			b[n++] = '\0';
			break;
		case 's':
			b[n++] = ' ';
			break;
		case '\\':
			b[n++] = '\\';
			break;
		default:
			goto bad;
		}
		s++;
	}
	b[n] = '\0';
	*out = b;
	*outlen = n;
	return (0);
bad:
	free(b);
	return (-1);
}

/* Connect a blocking TCP socket to the receiver: fd or -1. */
static int
rp_dial(struct rawpeer *rp)
{
	struct sockaddr_in	 sin;
	int			 fd, one = 1;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)rp->port);
	if (inet_pton(AF_INET, rp->host, &sin.sin_addr) != 1) {
		fprintf(stderr, "rawpeer: bad address %s\n", rp->host);
		return (-1);
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "rawpeer: socket: %s\n", strerror(errno));
		return (-1);
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		fprintf(stderr, "rawpeer: connect %s:%d: %s\n", rp->host,
		    rp->port, strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

static void
rp_disconnect(struct rawpeer *rp)
{
	if (rp->fd != -1)
		close(rp->fd);
	rp->fd = -1;
	rp->eof = 1;
	zc_buf_reset(rp->in);
}

static int
rp_connect(struct rawpeer *rp)
{
	rp_disconnect(rp);
	if ((rp->fd = rp_dial(rp)) == -1)
		return (-1);
	rp->eof = 0;
	rp->write_dead = 0;
	rp->got_hello = 0;
	return (0);
}

/* Read what is there into the inbox: bytes, 0 at EOF, or -errno. */
static ssize_t
rp_fill(struct rawpeer *rp)
{
	uint8_t	*p;
	ssize_t	 n;

	if (zc_buf_reserve(rp->in, 65536, &p) != 0)
		return (-ENOBUFS);
	n = recv(rp->fd, p, 65536, MSG_DONTWAIT);
	if (n > 0) {
		zc_buf_commit(rp->in, (size_t)n);
		return (n);
	}
	if (n == 0) {
		rp->eof = 1;
		return (0);
	}
	if (errno == EAGAIN || errno == EINTR)
		return (-EAGAIN);
	if (errno == ECONNRESET) {
		rp_note(rp, "connection reset by the receiver");
		rp->eof = 1;
		return (0);
	}
	return (-errno);
}

/*
 * Send bytes, reading replies meanwhile so that neither side's buffers can
 * fill up and block both.  A failed write is noted, not fatal: the
 * receiver may rightly have closed, and the expectations judge that.
 */
static void
rp_write(struct rawpeer *rp, const void *data, size_t len)
{
	const uint8_t	*p = data;
	struct pollfd	 pfd;
	uint64_t	 deadline;
	ssize_t		 n;
	int		 left;

	if (rp->fd == -1 || rp->write_dead)
		return;
	deadline = rp_now_ms() + (uint64_t)rp->timeout_ms;
	while (len > 0) {
		left = (int)(deadline - rp_now_ms());
		if ((int64_t)(deadline - rp_now_ms()) <= 0) {
			fprintf(stderr, "rawpeer: `%s': write timed out with "
			    "%zu bytes unsent\n", rp->cmd, len);
			rp->write_dead = 1;
			return;
		}
		pfd.fd = rp->fd;
		pfd.events = POLLOUT | (rp->eof ? 0 : POLLIN);
		pfd.revents = 0;
		if (poll(&pfd, 1, left) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents & POLLIN) {
			if (rp_fill(rp) == -ENOBUFS) {
				fprintf(stderr, "rawpeer: over %u unread reply "
				    "bytes\n", RP_IN_MAX);
				rp->write_dead = 1;
				return;
			}
		}
		if ((pfd.revents & (POLLOUT | POLLERR | POLLHUP)) == 0)
			continue;
		n = send(rp->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rp_note(rp, "`%s': write: %s", rp->cmd,
			    strerror(errno));
			rp->write_dead = 1;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
rp_send_buf(struct rawpeer *rp, struct zc_buf *b)
{
	rp_write(rp, zc_buf_ptr(b), zc_buf_len(b));
	zc_buf_reset(b);
}

/*
 * The next frame from the receiver: 1 with *hdr and *payload (borrowed
 * from the inbox until the next read), 0 at EOF, -1 on a timeout, a bad
 * header or a read error (reported).
 */
static int
rp_next(struct rawpeer *rp, struct zc_frame_hdr *hdr, struct zc_rd *payload)
{
	struct pollfd	 pfd;
	uint64_t	 deadline;
	ssize_t		 n;
	int		 r, left;

	if (rp->fd == -1)
		return (0);
	deadline = rp_now_ms() + (uint64_t)rp->timeout_ms;
	for (;;) {
		r = zc_proto_get_frame(rp->in, hdr, payload);
		if (r == 0)
			return (1);
		if (r != -EAGAIN) {
			rp_fail(rp, "bad frame header from the receiver");
			return (-1);
		}
		if (rp->eof) {
			if (zc_buf_len(rp->in) != 0)
				rp_note(rp, "%zu bytes of a partial frame "
				    "before EOF", zc_buf_len(rp->in));
			return (0);
		}
		left = (int)(deadline - rp_now_ms());
		if ((int64_t)(deadline - rp_now_ms()) <= 0) {
			rp_fail(rp, "timed out after %d ms waiting for the "
			    "receiver", rp->timeout_ms);
			return (-1);
		}
		pfd.fd = rp->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, left) == -1 && errno != EINTR) {
			rp_fail(rp, "poll: %s", strerror(errno));
			return (-1);
		}
		if ((n = rp_fill(rp)) < 0 && n != -EAGAIN) {
			rp_fail(rp, "read: %s", strerror((int)-n));
			return (-1);
		}
	}
}

static const char *
rp_msg_name(uint8_t type)
{
	static const char *names[] = { "?", "HELLO", "ERROR", "PUSH",
	    "MANIFEST", "MANIFEST_END", "DIR", "FILE", "FILE_END", "SYMLINK",
	    "DELETE", "META", "DONE", "ACK", "SUMMARY" };

	return (type < sizeof names / sizeof names[0] ? names[type] : "?");
}

/* One line saying what a frame is, for messages. */
static void
rp_describe(const struct zc_frame_hdr *hdr, const struct zc_rd *payload,
    char *out, size_t outlen)
{
	struct zc_rd		 rd = *payload;
	struct zc_status	 st;
	struct zc_summary	 sum;
	struct zc_hello		 h;
	uint64_t		 count;
	char			 msg[256];

	switch (hdr->type) {
	case ZC_MSG_ERROR:
	case ZC_MSG_ACK:
		if (zc_proto_get_status(&rd, hdr->type, &st) != 0)
			break;
		rp_escape(st.msg, st.msg_len, msg, sizeof msg);
		if (hdr->type == ZC_MSG_ACK)
			snprintf(out, outlen, "ACK seq=%llu code=%u (%s) "
			    "\"%s\"", (unsigned long long)st.seq, st.code,
			    zc_proto_code_str(st.code), msg);
		else
			snprintf(out, outlen, "ERROR code=%u (%s) \"%s\"",
			    st.code, zc_proto_code_str(st.code), msg);
		return;
	case ZC_MSG_SUMMARY:
		if (zc_proto_get_summary(&rd, &sum) != 0)
			break;
		snprintf(out, outlen, "SUMMARY entries=%llu bytes=%llu "
		    "failures=%u", (unsigned long long)sum.entries,
		    (unsigned long long)sum.bytes, sum.failures);
		return;
	case ZC_MSG_HELLO:
		if (zc_proto_get_hello(&rd, &h) != 0)
			break;
		rp_escape(h.name, h.name_len, msg, sizeof msg);
		snprintf(out, outlen, "HELLO version=%u features=%#llx "
		    "name=%s", h.version, (unsigned long long)h.features, msg);
		return;
	case ZC_MSG_MANIFEST_END:
		if (zc_proto_get_manifest_end(&rd, &count) != 0)
			break;
		snprintf(out, outlen, "MANIFEST_END count=%llu",
		    (unsigned long long)count);
		return;
	}
	snprintf(out, outlen, "%s (type %u, %u payload bytes)",
	    rp_msg_name(hdr->type), hdr->type, hdr->len);
}

/*
 * The next frame that is not the receiver's HELLO (noted and skipped):
 * as rp_next().
 */
/* Keep the receiver's HELLO features: MANIFEST items depend on them. */
static void
rp_peer_features(struct rawpeer *rp, const struct zc_rd *payload)
{
	struct zc_rd	 rd = *payload;
	struct zc_hello	 h;

	if (zc_proto_get_hello(&rd, &h) == 0)
		rp->peer_features = h.features;
}

static int
rp_next_reply(struct rawpeer *rp, struct zc_frame_hdr *hdr,
    struct zc_rd *payload)
{
	char	d[512];
	int	r;

	for (;;) {
		if ((r = rp_next(rp, hdr, payload)) != 1)
			return (r);
		rp_describe(hdr, payload, d, sizeof d);
		rp_note(rp, "got %s", d);
		if (hdr->type != ZC_MSG_HELLO || rp->got_hello)
			return (1);
		rp->got_hello = 1;
		rp_peer_features(rp, payload);
	}
}

/* Frame building: the header, then fields with the zc_buf primitives. */
static void
rp_hdr(struct zc_buf *b, uint8_t type, uint32_t len, uint8_t flags,
    uint16_t reserved)
{
	zc_buf_put_u32(b, len);
	zc_buf_put_u8(b, type);
	zc_buf_put_u8(b, flags);
	zc_buf_put_u16(b, reserved);
}

/* Put payload p as one honest frame of type. */
static void
rp_frame(struct zc_buf *out, uint8_t type, struct zc_buf *p)
{
	rp_hdr(out, type, (uint32_t)zc_buf_len(p), 0, 0);
	zc_buf_put(out, zc_buf_ptr(p), zc_buf_len(p));
	zc_buf_reset(p);
}

static void
rp_str16(struct zc_buf *b, const char *s, size_t len)
{
	zc_buf_put_u16(b, (uint16_t)len);
	zc_buf_put(b, s, len);
}

static void
rp_meta(struct zc_buf *b, const struct zc_meta *m)
{
	zc_buf_put_u8(b, m->type);
	zc_buf_put_u32(b, m->mode);
	zc_buf_put_u32(b, m->uid);
	zc_buf_put_u32(b, m->gid);
	zc_buf_put_u64(b, m->size);
	zc_buf_put_u64(b, (uint64_t)m->mtime_sec);
	zc_buf_put_u32(b, m->mtime_nsec);
}

/* Numbers: decimal, 0x hex or 0 octal, as strtoull(3) base 0. */
static int
rp_num(const char *s, uint64_t *v)
{
	char	*end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (*s == '\0' || *end != '\0' || errno != 0 || *s == '-')
		return (-1);
	return (0);
}

static int
rp_code(const char *s, uint32_t *code)
{
	static const char *names[] = { "ok", "protocol", "version", "feature",
	    "noset", "denied", "path", "io", "aborted", "nospace", "type",
	    "internal", "verify" };
	uint64_t	 v;
	size_t		 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*code = (uint32_t)i;
			return (0);
		}
	}
	if (rp_num(s, &v) != 0 || v > UINT32_MAX)
		return (-1);
	*code = (uint32_t)v;
	return (0);
}

/* Decode hex digits (blanks allowed) onto b: 0 or -1. */
static int
rp_hex(struct zc_buf *b, const char *s)
{
	int	 hi, lo;

	while (*s != '\0') {
		if (*s == ':' || *s == '.') {
			s++;
			continue;
		}
		if ((hi = rp_hexval(s[0])) < 0 || (lo = rp_hexval(s[1])) < 0)
			return (-1);
		zc_buf_put_u8(b, (uint8_t)(hi << 4 | lo));
		s += 2;
	}
	return (0);
}

static int
rp_is_hex(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if (rp_hexval(*s) < 0 && *s != ':' && *s != '.')
			return (0);
	return (n > 0);
}

/* Send n body bytes: the pattern repeated (default "x"). */
static void
rp_body(struct rawpeer *rp, uint64_t n, const char *pat, size_t patlen)
{
	uint8_t		 chunk[65536];
	size_t		 i, k;

	if (pat == NULL || patlen == 0) {
		pat = "x";
		patlen = 1;
	}
	for (i = 0; i < sizeof chunk; i++)
		chunk[i] = (uint8_t)pat[i % patlen];
	/* Keep the pattern in phase across chunks. */
	k = sizeof chunk - sizeof chunk % patlen;
	while (n > 0 && rp->fd != -1 && !rp->write_dead) {
		i = n < k ? (size_t)n : k;
		rp_write(rp, chunk, i);
		n -= i;
	}
}

/*
 * VERIFY: "file-end-hash SEQ STATUS HEX" sends FILE_END with the 16 bytes
 * given (a wrong hash, say); "... of N [WORD]" with the canonical XXH3-128
 * of the N bytes "body N data WORD" would send (the right one).
 */
static int
rp_cmd_file_end_hash(struct rawpeer *rp, struct rp_word *w, int nw)
{
	XXH3_state_t		*st;
	XXH128_canonical_t	 c;
	struct zc_buf		*b, *h;
	const char		*pat = "x";
	size_t			 patlen = 1, i;
	uint64_t		 seq, status, n;

	if (nw < 4 || rp_num(w[1].raw, &seq) != 0 ||
	    rp_num(w[2].raw, &status) != 0 || status > UINT32_MAX)
		goto usage;
	h = zc_buf_new(SIZE_MAX);
	if (strcmp(w[3].raw, "of") == 0) {
		if ((nw != 5 && nw != 6) || rp_num(w[4].raw, &n) != 0) {
			zc_buf_free(h);
			goto usage;
		}
		if (nw == 6 && w[5].len > 0) {
			pat = w[5].bytes;
			patlen = w[5].len;
		}
		st = XXH3_createState();
		(void)XXH3_128bits_reset(st);
		for (i = 0; i < n; i++)
			(void)XXH3_128bits_update(st, &pat[i % patlen], 1);
		XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
		XXH3_freeState(st);
		zc_buf_put(h, c.digest, sizeof c.digest);
	} else if (nw != 4 || rp_hex(h, w[3].raw) != 0 ||
	    zc_buf_len(h) != 16) {
		zc_buf_free(h);
		goto usage;
	}
	b = zc_buf_new(SIZE_MAX);
	rp_hdr(b, ZC_MSG_FILE_END, 28, 0, 0);
	zc_buf_put_u64(b, seq);
	zc_buf_put_u32(b, (uint32_t)status);
	zc_buf_put(b, zc_buf_ptr(h), 16);
	rp_send_buf(rp, b);
	zc_buf_free(b);
	zc_buf_free(h);
	return (0);
usage:
	return (rp_fail(rp, "usage: file-end-hash SEQ STATUS HEX32 | "
	    "file-end-hash SEQ STATUS of N [WORD]"));
}

struct rp_entry_opts {
	struct zc_meta	 meta;
	int		 have_size;
	uint64_t	 sent;		/* body bytes to send (FILE) */
	int		 have_sent;
	struct rp_word	*data;
};

/* The trailing "key value" options of an entry command: 0 or -1. */
static int
rp_entry_opts(struct rawpeer *rp, struct rp_word *w, int nw, int first,
    struct rp_entry_opts *o)
{
	uint64_t	 v;
	int		 i;

	for (i = first; i < nw; i += 2) {
		if (i + 1 >= nw)
			return (rp_fail(rp, "option %s needs a value",
			    w[i].raw));
		if (strcmp(w[i].raw, "data") == 0) {
			o->data = &w[i + 1];
			continue;
		}
		if (rp_num(w[i + 1].raw, &v) != 0)
			return (rp_fail(rp, "bad number %s", w[i + 1].raw));
		if (strcmp(w[i].raw, "mode") == 0)
			o->meta.mode = (uint32_t)v;
		else if (strcmp(w[i].raw, "mtime") == 0)
			o->meta.mtime_sec = (int64_t)v;
		else if (strcmp(w[i].raw, "nsec") == 0)
			o->meta.mtime_nsec = (uint32_t)v;
		else if (strcmp(w[i].raw, "uid") == 0)
			o->meta.uid = (uint32_t)v;
		else if (strcmp(w[i].raw, "gid") == 0)
			o->meta.gid = (uint32_t)v;
		else if (strcmp(w[i].raw, "type") == 0)
			o->meta.type = (uint8_t)v;
		else if (strcmp(w[i].raw, "size") == 0) {
			o->meta.size = v;
			o->have_size = 1;
		} else if (strcmp(w[i].raw, "body-bytes-actually-sent") == 0) {
			o->sent = v;
			o->have_sent = 1;
		} else
			return (rp_fail(rp, "unknown option %s", w[i].raw));
	}
	return (0);
}

/* DIR FILE SYMLINK DELETE META: build and send one entry frame. */
static int
rp_cmd_entry(struct rawpeer *rp, uint8_t type, struct rp_word *w, int nw)
{
	struct zc_buf		*out, *p;
	struct rp_entry_opts	 o;
	uint64_t		 seq, v = 0;
	int			 need, first;

	need = type == ZC_MSG_DELETE ? 3 : type == ZC_MSG_DIR ? 3 : 4;
	if (nw < need)
		return (rp_fail(rp, "too few words"));
	if (rp_num(w[1].raw, &seq) != 0)
		return (rp_fail(rp, "bad seq %s", w[1].raw));
	memset(&o, 0, sizeof o);
	o.meta.mtime_sec = 1700000000;
	first = need;
	switch (type) {
	case ZC_MSG_DIR:
		o.meta.type = ZC_TYPE_DIR;
		o.meta.mode = 0755;
		break;
	case ZC_MSG_FILE:
		o.meta.type = ZC_TYPE_FILE;
		o.meta.mode = 0644;
		if (rp_num(w[3].raw, &v) != 0)
			return (rp_fail(rp, "bad size %s", w[3].raw));
		o.meta.size = v;
		break;
	case ZC_MSG_SYMLINK:
		o.meta.type = ZC_TYPE_SYMLINK;
		o.meta.mode = 0777;
		o.meta.size = w[3].len;
		break;
	case ZC_MSG_LINK:
		o.meta.type = ZC_TYPE_FILE;
		o.meta.mode = 0644;
		break;
	case ZC_MSG_META:
		o.meta.type = ZC_TYPE_FILE;
		if (rp_num(w[3].raw, &v) != 0)
			return (rp_fail(rp, "bad mode %s", w[3].raw));
		o.meta.mode = (uint32_t)v;
		break;
	}
	if (rp_entry_opts(rp, w, nw, first, &o) != 0)
		return (-1);
	if (type == ZC_MSG_FILE && o.have_size && !o.have_sent) {
		/* "size" overrides the META size; the body stays SIZE. */
		o.sent = v;
		o.have_sent = 1;
	}

	out = zc_buf_new(SIZE_MAX);
	p = zc_buf_new(SIZE_MAX);
	zc_buf_put_u64(p, seq);
	if (type != ZC_MSG_DELETE)
		rp_meta(p, &o.meta);
	rp_str16(p, w[2].bytes, w[2].len);
	if (type == ZC_MSG_SYMLINK || type == ZC_MSG_LINK)
		rp_str16(p, w[3].bytes, w[3].len);
	rp_frame(out, type, p);
	rp_send_buf(rp, out);
	zc_buf_free(out);
	zc_buf_free(p);
	if (type == ZC_MSG_FILE)
		rp_body(rp, o.have_sent ? o.sent : o.meta.size,
		    o.data ? o.data->bytes : NULL, o.data ? o.data->len : 0);
	return (0);
}

static int
rp_cmd_hello(struct rawpeer *rp, struct rp_word *w, int nw)
{
	struct zc_buf	*out, *p;
	uint64_t	 magic = ZC_PROTO_MAGIC, version = ZC_PROTO_VERSION;
	uint64_t	 features = 0, mandatory = 0, v;
	int		 i;

	if (nw < 2)
		return (rp_fail(rp, "hello needs a name"));
	for (i = 2; i + 1 < nw; i += 2) {
		if (rp_num(w[i + 1].raw, &v) != 0)
			return (rp_fail(rp, "bad number %s", w[i + 1].raw));
		if (strcmp(w[i].raw, "version") == 0)
			version = v;
		else if (strcmp(w[i].raw, "magic") == 0)
			magic = v;
		else if (strcmp(w[i].raw, "features") == 0)
			features = v;
		else if (strcmp(w[i].raw, "mandatory") == 0)
			mandatory = v;
		else
			return (rp_fail(rp, "unknown option %s", w[i].raw));
	}
	if (i != nw)
		return (rp_fail(rp, "option %s needs a value", w[i].raw));
	out = zc_buf_new(SIZE_MAX);
	p = zc_buf_new(SIZE_MAX);
	zc_buf_put_u32(p, (uint32_t)magic);
	zc_buf_put_u16(p, (uint16_t)version);
	zc_buf_put_u16(p, 0);
	zc_buf_put_u64(p, features);
	rp->features = features;
	zc_buf_put_u64(p, mandatory);
	rp_str16(p, w[1].bytes, w[1].len);
	rp_frame(out, ZC_MSG_HELLO, p);
	rp_send_buf(rp, out);
	zc_buf_free(out);
	zc_buf_free(p);
	return (0);
}

static int
rp_cmd_push(struct rawpeer *rp, uint8_t type, struct rp_word *w, int nw)
{
	struct zc_buf	*out, *p;
	uint64_t	 flags = 0;

	if (nw != 2 && !(nw == 4 && strcmp(w[2].raw, "flags") == 0))
		return (rp_fail(rp, "usage: %s SET [flags N]", w[0].raw));
	if (nw == 4 && rp_num(w[3].raw, &flags) != 0)
		return (rp_fail(rp, "bad flags %s", w[3].raw));
	out = zc_buf_new(SIZE_MAX);
	p = zc_buf_new(SIZE_MAX);
	zc_buf_put_u32(p, (uint32_t)flags);
	rp_str16(p, w[1].bytes, w[1].len);
	rp_frame(out, type, p);
	rp_send_buf(rp, out);
	zc_buf_free(out);
	zc_buf_free(p);
	return (0);
}

/* frame TYPE LEN [HEX] [flags N] [reserved N]: a header that may lie. */
static int
rp_cmd_frame(struct rawpeer *rp, struct rp_word *w, int nw)
{
	struct zc_buf	*out, *p;
	uint64_t	 type, len, flags = 0, reserved = 0;
	int		 i = 3, r = -1;

	if (nw < 3 || rp_num(w[1].raw, &type) != 0 || type > 255 ||
	    rp_num(w[2].raw, &len) != 0 || len > UINT32_MAX)
		return (rp_fail(rp, "usage: frame TYPE LEN [HEX] [flags N] "
		    "[reserved N]"));
	out = zc_buf_new(SIZE_MAX);
	p = zc_buf_new(SIZE_MAX);
	if (i < nw && rp_is_hex(w[i].raw)) {
		if (rp_hex(p, w[i].raw) != 0) {
			rp_fail(rp, "bad hex %s", w[i].raw);
			goto out;
		}
		i++;
	}
	for (; i + 1 < nw; i += 2) {
		if (strcmp(w[i].raw, "flags") == 0 &&
		    rp_num(w[i + 1].raw, &flags) == 0 && flags <= 255)
			continue;
		if (strcmp(w[i].raw, "reserved") == 0 &&
		    rp_num(w[i + 1].raw, &reserved) == 0 && reserved <= 65535)
			continue;
		rp_fail(rp, "bad option %s", w[i].raw);
		goto out;
	}
	if (i != nw) {
		rp_fail(rp, "trailing word %s", w[i].raw);
		goto out;
	}
	rp_hdr(out, (uint8_t)type, (uint32_t)len, (uint8_t)flags,
	    (uint16_t)reserved);
	zc_buf_put(out, zc_buf_ptr(p), zc_buf_len(p));
	rp_send_buf(rp, out);
	r = 0;
out:
	zc_buf_free(out);
	zc_buf_free(p);
	return (r);
}

static int
rp_cmd_read_manifest(struct rawpeer *rp, struct rp_word *w, int nw)
{
	struct zc_frame_hdr	 hdr;
	struct zc_rd		 rd;
	struct zc_entry		 e;
	uint64_t		 items = 0, end, want = 0;
	uint32_t		 count, i;
	char			 d[512], path[512];
	int			 r;

	memset(&e, 0, sizeof(e));	/* feat: none negotiated */
	if (nw > 2 || (nw == 2 && rp_num(w[1].raw, &want) != 0))
		return (rp_fail(rp, "usage: read-manifest [COUNT]"));
	/* The receiver knows every bit a test lists: those are in use. */
	memset(&e, 0, sizeof e);
	e.feat = rp->features;
	for (;;) {
		if ((r = rp_next_reply(rp, &hdr, &rd)) != 1)
			return (r == 0 ? rp_fail(rp, "EOF in the manifest "
			    "after %llu items", (unsigned long long)items) :
			    -1);
		if (hdr.type == ZC_MSG_MANIFEST_END)
			break;
		if (hdr.type == ZC_MSG_IDMAP)
			continue;	/* IDMAP negotiated: names first */
		if (hdr.type != ZC_MSG_MANIFEST) {
			rp_describe(&hdr, &rd, d, sizeof d);
			return (rp_fail(rp, "got %s", d));
		}
		if (zc_proto_get_manifest_count(&rd, &count) != 0)
			return (rp_fail(rp, "bad MANIFEST count"));
		for (i = 0; i < count; i++) {
			e.feat = rp->features & rp->peer_features;
			if (zc_proto_get_manifest_item(&rd, &e) != 0)
				return (rp_fail(rp, "bad MANIFEST item %u", i));
			rp_escape(e.path, e.path_len, path, sizeof path);
			rp_note(rp, "manifest: type %u mode %04o size %llu %s",
			    e.meta.type, e.meta.mode,
			    (unsigned long long)e.meta.size, path);
			items++;
		}
		if (zc_proto_get_end(&rd) != 0)
			return (rp_fail(rp, "trailing bytes in MANIFEST"));
	}
	if (zc_proto_get_manifest_end(&rd, &end) != 0)
		return (rp_fail(rp, "bad MANIFEST_END"));
	if (end != items)
		return (rp_fail(rp, "MANIFEST_END says %llu, got %llu items",
		    (unsigned long long)end, (unsigned long long)items));
	if (nw == 2 && items != want)
		return (rp_fail(rp, "manifest has %llu items, want %llu",
		    (unsigned long long)items, (unsigned long long)want));
	return (0);
}

/* expect-ack SEQ CODE, and expect-refused SEQ [CODE] (or an ERROR). */
static int
rp_cmd_expect_ack(struct rawpeer *rp, struct rp_word *w, int nw,
    int refused)
{
	struct zc_frame_hdr	 hdr;
	struct zc_rd		 rd;
	struct zc_status	 st;
	uint64_t		 seq;
	uint32_t		 code = ZC_E_PATH;
	int			 any_fail = 0, r;
	char			 d[512];

	if (nw < 2 || nw > 3 || (!refused && nw != 3) ||
	    rp_num(w[1].raw, &seq) != 0)
		return (rp_fail(rp, "usage: expect-ack SEQ CODE"));
	if (nw == 3) {
		if (strcmp(w[2].raw, "fail") == 0)
			any_fail = 1;
		else if (rp_code(w[2].raw, &code) != 0)
			return (rp_fail(rp, "bad code %s", w[2].raw));
	}
	if ((r = rp_next_reply(rp, &hdr, &rd)) != 1)
		return (r == 0 ? rp_fail(rp, "got EOF") : -1);
	rp_describe(&hdr, &rd, d, sizeof d);
	if (refused && hdr.type == ZC_MSG_ERROR) {
		rp_note(rp, "refused by ERROR: %s; the script ends here", d);
		if (rp_cmd_expect_eof(rp, 1) != 0)
			return (-1);
		rp->finished = 1;
		return (0);
	}
	if (hdr.type != ZC_MSG_ACK || zc_proto_get_status(&rd, hdr.type,
	    &st) != 0)
		return (rp_fail(rp, "got %s", d));
	if (st.seq != seq || (any_fail ? st.code == ZC_OK : st.code != code))
		return (rp_fail(rp, "got %s", d));
	return (0);
}

static int
rp_cmd_expect_error(struct rawpeer *rp, struct rp_word *w, int nw)
{
	struct zc_frame_hdr	 hdr;
	struct zc_rd		 rd;
	struct zc_status	 st;
	uint32_t		 code = 0;
	char			 d[512];
	int			 r;

	if (nw > 2 || (nw == 2 && rp_code(w[1].raw, &code) != 0))
		return (rp_fail(rp, "usage: expect-error [CODE]"));
	if ((r = rp_next_reply(rp, &hdr, &rd)) != 1)
		return (r == 0 ? rp_fail(rp, "got EOF, no ERROR") : -1);
	rp_describe(&hdr, &rd, d, sizeof d);
	if (hdr.type != ZC_MSG_ERROR ||
	    zc_proto_get_status(&rd, hdr.type, &st) != 0 ||
	    (nw == 2 && st.code != code))
		return (rp_fail(rp, "got %s", d));
	return (0);
}

static int
rp_cmd_expect_summary(struct rawpeer *rp, struct rp_word *w, int nw)
{
	struct zc_frame_hdr	 hdr;
	struct zc_rd		 rd;
	struct zc_summary	 sum;
	uint64_t		 entries = 0, failures = 0;
	char			 d[512];
	int			 r;

	if (nw > 3 || (nw >= 2 && rp_num(w[1].raw, &entries) != 0) ||
	    (nw == 3 && rp_num(w[2].raw, &failures) != 0))
		return (rp_fail(rp, "usage: expect-summary [ENTRIES "
		    "[FAILURES]]"));
	if ((r = rp_next_reply(rp, &hdr, &rd)) != 1)
		return (r == 0 ? rp_fail(rp, "got EOF, no SUMMARY") : -1);
	rp_describe(&hdr, &rd, d, sizeof d);
	if (hdr.type != ZC_MSG_SUMMARY || zc_proto_get_summary(&rd, &sum) != 0)
		return (rp_fail(rp, "got %s", d));
	if ((nw >= 2 && sum.entries != entries) ||
	    (nw == 3 && sum.failures != failures))
		return (rp_fail(rp, "got %s", d));
	return (0);
}

/* expect-eof (strict) and expect-closed (frames before EOF are fine). */
static int
rp_cmd_expect_eof(struct rawpeer *rp, int strict)
{
	struct zc_frame_hdr	 hdr;
	struct zc_rd		 rd;
	char			 d[512];
	int			 r;

	for (;;) {
		if ((r = rp_next_reply(rp, &hdr, &rd)) <= 0)
			return (r == 0 ? 0 : -1);
		if (strict) {
			rp_describe(&hdr, &rd, d, sizeof d);
			return (rp_fail(rp, "got %s, not EOF", d));
		}
	}
}

static int
rp_cmd_hold(struct rawpeer *rp, struct rp_word *w, int nw)
{
	uint64_t	n, i;
	int		fd;

	if (nw != 2 || rp_num(w[1].raw, &n) != 0 ||
	    n > (uint64_t)(RP_HOLD_MAX - rp->nholds))
		return (rp_fail(rp, "usage: hold N (at most %d in all)",
		    RP_HOLD_MAX));
	for (i = 0; i < n; i++) {
		if ((fd = rp_dial(rp)) == -1)
			return (rp_fail(rp, "connection %llu of %llu failed",
			    (unsigned long long)i + 1, (unsigned long long)n));
		rp->holds[rp->nholds++] = fd;
	}
	return (0);
}

static int
rp_cmd_wait_file(struct rawpeer *rp, struct rp_word *w, int nw)
{
	struct stat	 st;
	uint64_t	 ms = (uint64_t)rp->timeout_ms, deadline;

	if (nw < 2 || nw > 3 || (nw == 3 && rp_num(w[2].raw, &ms) != 0))
		return (rp_fail(rp, "usage: wait-file FILE [MS]"));
	deadline = rp_now_ms() + ms;
	while (stat(w[1].bytes, &st) == -1) {
		if (rp_now_ms() >= deadline)
			return (rp_fail(rp, "%s did not appear in %llu ms",
			    w[1].raw, (unsigned long long)ms));
		usleep(20000);
	}
	return (0);
}

/* trickle HEX MS: a slow peer; stops early once the receiver closes. */
static int
rp_cmd_trickle(struct rawpeer *rp, struct rp_word *w, int nw)
{
	struct zc_buf	*b;
	struct pollfd	 pfd;
	const uint8_t	*p;
	uint64_t	 ms, deadline;
	size_t		 i, n;
	int		 left;

	b = zc_buf_new(SIZE_MAX);
	if (nw != 3 || rp_hex(b, w[1].raw) != 0 || rp_num(w[2].raw, &ms) != 0 ||
	    ms > 600000) {
		zc_buf_free(b);
		return (rp_fail(rp, "usage: trickle HEX MS"));
	}
	p = zc_buf_ptr(b);
	n = zc_buf_len(b);
	for (i = 0; i < n && rp->fd != -1 && !rp->eof && !rp->write_dead;
	    i++) {
		rp_write(rp, p + i, 1);
		deadline = rp_now_ms() + ms;
		while (!rp->eof && (left = (int)(deadline - rp_now_ms())) > 0) {
			pfd.fd = rp->fd;
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (poll(&pfd, 1, left) > 0 && rp_fill(rp) < 0 &&
			    rp->eof == 0)
				break;
		}
	}
	rp_note(rp, "trickled %zu of %zu bytes%s", i, n,
	    rp->eof || rp->write_dead ? "; the receiver closed" : "");
	zc_buf_free(b);
	return (0);
}

/* repeat N START COMMAND...: run COMMAND N times, "{}" = START + i. */
static int
rp_cmd_repeat(struct rawpeer *rp, const char *body, struct rp_word *w, int nw)
{
	const char	*s, *saved = rp->cmd;
	char		*cmd, num[32];
	uint64_t	 n, start, i;
	size_t		 o;
	int		 r = 0;

	if (nw < 4 || rp_num(w[1].raw, &n) != 0 ||
	    rp_num(w[2].raw, &start) != 0)
		return (rp_fail(rp, "usage: repeat N START COMMAND ..."));
	/* Each two-byte "{}" grows to at most 20 digits. */
	cmd = xmalloc(strlen(body) * 10 + 1);
	for (i = 0; i < n && r == 0 && !rp->finished; i++) {
		snprintf(num, sizeof num, "%llu",
		    (unsigned long long)(start + i));
		o = 0;
		for (s = body; *s != '\0'; s++) {
			if (s[0] == '{' && s[1] == '}') {
				o += (size_t)sprintf(cmd + o, "%s", num);
				s++;
			} else
				cmd[o++] = *s;
		}
		cmd[o] = '\0';
		r = rp_run(rp, cmd);
		rp->cmd = saved;
	}
	free(cmd);
	return (r);
}

/* Run one command line: 0, or -1 when an expectation failed. */
static int
rp_run(struct rawpeer *rp, char *line)
{
	struct rp_word	 w[RP_WORDS_MAX];
	struct zc_buf	*b;
	char		*copy, *tok, *save;
	const char	*c;
	uint64_t	 v, v2;
	int		 nw = 0, i, r = 0;

	rp->cmd = line;
	copy = xstrdup(line);
	for (tok = strtok_r(copy, " \t\r\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (nw == RP_WORDS_MAX) {
			r = rp_fail(rp, "too many words");
			goto out;
		}
		w[nw].raw = tok;
		if (rp_unescape(tok, &w[nw].bytes, &w[nw].len) != 0) {
			r = rp_fail(rp, "bad escape in %s", tok);
			goto out;
		}
		nw++;
	}
	if (nw == 0 || w[0].raw[0] == '#')
		goto out;
	c = w[0].raw;
	if (strcmp(c, "repeat") == 0) {
		r = rp_cmd_repeat(rp, nw < 4 ? "" : line + (w[3].raw - copy),
		    w, nw);
		goto out;
	}
	if (rp->verbose && strcmp(c, "body") != 0)
		rp_note(rp, "> %.200s", line);

	if (strcmp(c, "hello") == 0)
		r = rp_cmd_hello(rp, w, nw);
	else if (strcmp(c, "push") == 0)
		r = rp_cmd_push(rp, ZC_MSG_PUSH, w, nw);
	else if (strcmp(c, "pull") == 0)
		r = rp_cmd_push(rp, ZC_MSG_PULL, w, nw);
	else if (strcmp(c, "read-manifest") == 0)
		r = rp_cmd_read_manifest(rp, w, nw);
	else if (strcmp(c, "dir") == 0)
		r = rp_cmd_entry(rp, ZC_MSG_DIR, w, nw);
	else if (strcmp(c, "file") == 0)
		r = rp_cmd_entry(rp, ZC_MSG_FILE, w, nw);
	else if (strcmp(c, "symlink") == 0)
		r = rp_cmd_entry(rp, ZC_MSG_SYMLINK, w, nw);
	else if (strcmp(c, "link") == 0)
		r = rp_cmd_entry(rp, ZC_MSG_LINK, w, nw);
	else if (strcmp(c, "delete") == 0)
		r = rp_cmd_entry(rp, ZC_MSG_DELETE, w, nw);
	else if (strcmp(c, "meta") == 0)
		r = rp_cmd_entry(rp, ZC_MSG_META, w, nw);
	else if (strcmp(c, "file-end") == 0) {
		if (nw != 3 || rp_num(w[1].raw, &v) != 0 ||
		    rp_num(w[2].raw, &v2) != 0 || v2 > UINT32_MAX) {
			r = rp_fail(rp, "usage: file-end SEQ STATUS");
			goto out;
		}
		b = zc_buf_new(SIZE_MAX);
		rp_hdr(b, ZC_MSG_FILE_END, 12, 0, 0);
		zc_buf_put_u64(b, v);
		zc_buf_put_u32(b, (uint32_t)v2);
		rp_send_buf(rp, b);
		zc_buf_free(b);
	} else if (strcmp(c, "file-end-hash") == 0) {
		r = rp_cmd_file_end_hash(rp, w, nw);
	} else if (strcmp(c, "done") == 0) {
		b = zc_buf_new(SIZE_MAX);
		rp_hdr(b, ZC_MSG_DONE, 0, 0, 0);
		rp_send_buf(rp, b);
		zc_buf_free(b);
	} else if (strcmp(c, "body") == 0) {
		if (nw < 2 || rp_num(w[1].raw, &v) != 0 || (nw != 2 &&
		    (nw != 4 || strcmp(w[2].raw, "data") != 0))) {
			r = rp_fail(rp, "usage: body N [data WORD]");
			goto out;
		}
		rp_body(rp, v, nw == 4 ? w[3].bytes : NULL,
		    nw == 4 ? w[3].len : 0);
	} else if (strcmp(c, "raw") == 0) {
		b = zc_buf_new(SIZE_MAX);
		for (i = 1; i < nw; i++) {
			if (rp_hex(b, w[i].raw) != 0) {
				zc_buf_free(b);
				r = rp_fail(rp, "bad hex %s", w[i].raw);
				goto out;
			}
		}
		rp_send_buf(rp, b);
		zc_buf_free(b);
	} else if (strcmp(c, "frame") == 0)
		r = rp_cmd_frame(rp, w, nw);
	else if (strcmp(c, "expect-hello") == 0) {
		struct zc_frame_hdr	hdr;
		struct zc_rd		rd;
		char			d[512];

		if (!rp->got_hello) {
			if ((r = rp_next(rp, &hdr, &rd)) != 1) {
				r = r == 0 ? rp_fail(rp, "got EOF") : -1;
				goto out;
			}
			rp_describe(&hdr, &rd, d, sizeof d);
			if (hdr.type != ZC_MSG_HELLO) {
				r = rp_fail(rp, "got %s", d);
				goto out;
			}
			rp_note(rp, "got %s", d);
			rp->got_hello = 1;
			rp_peer_features(rp, &rd);
		}
		r = 0;
	} else if (strcmp(c, "expect-ack") == 0)
		r = rp_cmd_expect_ack(rp, w, nw, 0);
	else if (strcmp(c, "expect-refused") == 0)
		r = rp_cmd_expect_ack(rp, w, nw, 1);
	else if (strcmp(c, "expect-error") == 0)
		r = rp_cmd_expect_error(rp, w, nw);
	else if (strcmp(c, "expect-summary") == 0)
		r = rp_cmd_expect_summary(rp, w, nw);
	else if (strcmp(c, "expect-eof") == 0)
		r = rp_cmd_expect_eof(rp, 1);
	else if (strcmp(c, "expect-closed") == 0)
		r = rp_cmd_expect_eof(rp, 0);
	else if (strcmp(c, "sleep-ms") == 0) {
		if (nw != 2 || rp_num(w[1].raw, &v) != 0 || v > 600000) {
			r = rp_fail(rp, "usage: sleep-ms N (<= 600000)");
			goto out;
		}
		usleep((useconds_t)(v * 1000));
	} else if (strcmp(c, "timeout-ms") == 0) {
		if (nw != 2 || rp_num(w[1].raw, &v) != 0 || v == 0 ||
		    v > 600000) {
			r = rp_fail(rp, "usage: timeout-ms N (<= 600000)");
			goto out;
		}
		rp->timeout_ms = (int)v;
	} else if (strcmp(c, "close") == 0)
		rp_disconnect(rp);
	else if (strcmp(c, "shutdown") == 0) {
		if (rp->fd != -1)
			(void)shutdown(rp->fd, SHUT_WR);
	} else if (strcmp(c, "connect") == 0) {
		if (rp_connect(rp) != 0)
			r = rp_fail(rp, "cannot connect");
	} else if (strcmp(c, "trickle") == 0)
		r = rp_cmd_trickle(rp, w, nw);
	else if (strcmp(c, "hold") == 0)
		r = rp_cmd_hold(rp, w, nw);
	else if (strcmp(c, "touch") == 0) {
		if (nw != 2 || (i = open(w[1].bytes, O_WRONLY | O_CREAT |
		    O_CLOEXEC, 0644)) == -1) {
			r = rp_fail(rp, "usage: touch FILE");
			goto out;
		}
		close(i);
	} else if (strcmp(c, "wait-file") == 0)
		r = rp_cmd_wait_file(rp, w, nw);
	else
		r = rp_fail(rp, "unknown command");
out:
	for (i = 0; i < nw; i++)
		free(w[i].bytes);
	free(copy);
	return (r);
}

static void
usage(void)
{
	fprintf(stderr, "usage: rawpeer [-v] [-t timeout_ms] [-h host] PORT "
	    "[COMMAND ...]\n(see the comment at the top of rawpeer.c)\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct rawpeer	 rp;
	char		*line = NULL;
	size_t		 cap = 0;
	uint64_t	 v;
	int		 ch, i, r = 0;

	memset(&rp, 0, sizeof rp);
	rp.host = "127.0.0.1";
	rp.timeout_ms = 10000;
	rp.fd = -1;
	while ((ch = getopt(argc, argv, "h:t:v")) != -1) {
		switch (ch) {
		case 'h':
			rp.host = optarg;
			break;
		case 't':
			if (rp_num(optarg, &v) != 0 || v == 0 || v > 600000)
				usage();
			rp.timeout_ms = (int)v;
			break;
		case 'v':
			rp.verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || rp_num(argv[0], &v) != 0 || v == 0 || v > 65535)
		usage();
	rp.port = (int)v;
	rp.in = zc_buf_new(RP_IN_MAX);
	if (rp_connect(&rp) != 0)
		return (1);

	if (argc > 1) {
		for (i = 1; i < argc && r == 0 && !rp.finished; i++) {
			line = xstrdup(argv[i]);
			r = rp_run(&rp, line);
			free(line);
		}
	} else {
		while (r == 0 && !rp.finished &&
		    getline(&line, &cap, stdin) != -1)
			r = rp_run(&rp, line);
		free(line);
	}

	rp_disconnect(&rp);
	for (i = 0; i < rp.nholds; i++)
		close(rp.holds[i]);
	zc_buf_free(rp.in);
	return (r == 0 ? 0 : 1);
}
