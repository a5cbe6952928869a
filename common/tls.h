/*
 * tls.h: all of OpenSSL's connection work: the context built from this
 * node's identity, per-connection handshakes with pinned peers, records in
 * and out, and SSL_sendfile over kernel TLS where the kernel offers it.
 *
 * TLS 1.3 only; both sides present exactly one certificate; a peer is who
 * its certificate's SHA-256 pin says (identity.h), never what it claims.
 * No session tickets, no resumption, no early data, no renegotiation;
 * ciphers limited to those the kernel can offload.
 */
#ifndef ZC_TLS_H
#define ZC_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "identity.h"

#define ZC_TLS_CIPHERSUITES	"TLS_AES_128_GCM_SHA256:" \
	"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define ZC_TLS_HANDSHAKE_MS	10000	/* a handshake must be done by then */
#define ZC_TLS_READ_BUF		(64 * 1024)	/* read-ahead: bytes per read */
#define ZC_TLS_WRITE_BUF	(256 * 1024)	/* records gathered per write */

struct zc_tls_ctx;
struct zc_tls;

/* Is fpr a peer we accept?  1 (and remember who), 0 to refuse. */
typedef int (*zc_tls_pin_cb)(void *arg, const uint8_t fpr[ZC_FPR_LEN]);

/* Constant-time comparison of two pins (CRYPTO_memcmp): 1 if equal. */
int	zc_tls_pin_equal(const uint8_t *a, const uint8_t *b);
/* 1 if this build has TLS at all. */
int	zc_tls_available(void);
int	zc_tls_ctx_new(const char *cert, const char *key,
	    struct zc_tls_ctx **out, char *err, size_t errlen);
void	zc_tls_ctx_free(struct zc_tls_ctx *);

/* A connection on fd (borrowed), as server or client.  0 or -errno. */
int	zc_tls_new(struct zc_tls_ctx *, int fd, int server, zc_tls_pin_cb,
	    void *arg, struct zc_tls **out);
void	zc_tls_free(struct zc_tls *);

/* 0 when done, -EAGAIN (zc_tls_want() says for what), or -EPROTO etc. */
int	zc_tls_handshake(struct zc_tls *);
/* Bytes, 0 at a clean EOF, -EAGAIN, or -errno. */
ssize_t	zc_tls_read(struct zc_tls *, void *, size_t);
ssize_t	zc_tls_write(struct zc_tls *, const void *, size_t);
/*
 * Write out records gathered in user space (user-space TLS only): 0 when
 * none are left, -EAGAIN (writable), or -errno.  zc_tls_unflushed() says
 * whether any wait.
 */
int	zc_tls_flush(struct zc_tls *);
int	zc_tls_unflushed(const struct zc_tls *);
/* With kernel TLS only: len bytes of fd from off.  -ENOTSUP without. */
ssize_t	zc_tls_sendfile(struct zc_tls *, int fd, off_t off, size_t len);
/* Send close_notify (best effort, never blocks). */
void	zc_tls_shutdown(struct zc_tls *);
/* What the last -EAGAIN waits for: 1 readable, 2 writable. */
int	zc_tls_want(const struct zc_tls *);
int	zc_tls_pending(const struct zc_tls *);
int	zc_tls_ktls_send(const struct zc_tls *);
/* The verified peer's pin (after the handshake). */
const uint8_t *zc_tls_peer_fpr(const struct zc_tls *);
/* Why the last call failed, for a log line. */
const char *zc_tls_error(struct zc_tls *);
/* "kTLS: SSL_sendfile" or "user-space TLS (...)": what carries bodies. */
const char *zc_tls_path(const struct zc_tls *);

#endif
