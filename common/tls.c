/*
 * tls.c: TLS connections (see tls.h).  Built with OpenSSL 3; without it
 * every constructor says ENOTSUP.
 */
#include "zcbuild.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

#ifdef HAVE_OPENSSL

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"
#include "xmalloc.h"

struct zc_tls_ctx {
	SSL_CTX		*ctx;		/* owned */
};

struct zc_tls {
	SSL		*ssl;		/* owned */
	zc_tls_pin_cb	 pin_cb;
	void		*arg;
	int		 want;		/* 1 read, 2 write */
	int		 verified;
	uint8_t		 fpr[ZC_FPR_LEN];
	char		 err[256];
	char		 path[128];
};

int
zc_tls_available(void)
{
	return (1);
}

int
zc_tls_pin_equal(const uint8_t *a, const uint8_t *b)
{
	return (CRYPTO_memcmp(a, b, ZC_FPR_LEN) == 0);
}

/*
 * Replace chain building with the pin: exactly one certificate, whose
 * SHA-256 the caller knows (Syncthing's rule; SECURITY.md).  Dates and
 * names are not looked at: trust is the pin.
 */
static int
tls_verify(X509_STORE_CTX *xs, void *unused)
{
	SSL		*ssl;
	struct zc_tls	*t;
	X509		*leaf;
	STACK_OF(X509)	*chain;
	unsigned char	*der = NULL;
	int		 len;

	ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl == NULL || (t = SSL_get_app_data(ssl)) == NULL)
		return (0);
	leaf = X509_STORE_CTX_get0_cert(xs);
	chain = X509_STORE_CTX_get0_untrusted(xs);
	if (leaf == NULL || (chain != NULL && sk_X509_num(chain) > 1)) {
		snprintf(t->err, sizeof t->err, "peer sent %d certificates, "
		    "not exactly one", chain != NULL ? sk_X509_num(chain) : 0);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return (0);
	}
	if ((len = i2d_X509(leaf, &der)) <= 0)
		return (0);
	zc_identity_fpr_der(der, (size_t)len, t->fpr);
	OPENSSL_free(der);
	if (!t->pin_cb(t->arg, t->fpr)) {
		char	s[ZC_FPR_STRLEN];

		zc_identity_fpr_str(t->fpr, s, sizeof s);
		snprintf(t->err, sizeof t->err, "certificate %s is not pinned "
		    "for this peer", s);
		X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
		return (0);
	}
	t->verified = 1;
	return (1);
}

int
zc_tls_ctx_new(const char *cert, const char *key, struct zc_tls_ctx **out,
    char *err, size_t errlen)
{
	struct zc_tls_ctx	*c;
	SSL_CTX			*ctx;
	unsigned long		 e;

	*out = NULL;
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL)
		goto ossl;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/*
	 * Ask for kernel TLS before the handshake; never the zero-copy
	 * sendfile variant: a file changed during a retransmit would break
	 * the record (issue 5, OpenSSL SSL_CTX_set_options(3)).
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION
#ifdef SSL_OP_ENABLE_KTLS
	    | SSL_OP_ENABLE_KTLS
#endif
	    );
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_max_early_data(ctx, 0);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/*
	 * Read ahead: one read(2) takes in several records, instead of two
	 * reads (header, then body) per 16 KiB record.  kTLS receive is not
	 * used, so nothing is lost by it.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, ZC_TLS_READ_BUF);
	if (SSL_CTX_set_ciphersuites(ctx, ZC_TLS_CIPHERSUITES) != 1)
		goto ossl;
	if (SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "%s: cannot load the certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "%s: cannot load the key, or it does "
		    "not match %s", key, cert);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, tls_verify, NULL);
	c = xcalloc(1, sizeof *c);
	c->ctx = ctx;
	*out = c;
	return (0);
ossl:
	e = ERR_get_error();
	snprintf(err, errlen, "TLS: %s", e ? ERR_reason_error_string(e) :
	    "cannot set up");
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return (-EINVAL);
}

void
zc_tls_ctx_free(struct zc_tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

int
zc_tls_new(struct zc_tls_ctx *c, int fd, int server, zc_tls_pin_cb pin_cb,
    void *arg, struct zc_tls **out)
{
	struct zc_tls	*t;

	*out = NULL;
	t = xcalloc(1, sizeof *t);
	t->pin_cb = pin_cb;
	t->arg = arg;
	if ((t->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(t->ssl, fd) != 1) {
		ERR_clear_error();
		SSL_free(t->ssl);
		free(t);
		return (-ENOMEM);
	}
	SSL_set_app_data(t->ssl, t);
	if (server)
		SSL_set_accept_state(t->ssl);
	else
		SSL_set_connect_state(t->ssl);
	*out = t;
	return (0);
}

void
zc_tls_free(struct zc_tls *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);
	free(t);
}

/* Map an SSL result to 0.., -EAGAIN or -errno; remember why. */
static int
tls_result(struct zc_tls *t, int r, const char *what)
{
	unsigned long	e;
	int		code = SSL_get_error(t->ssl, r);

	switch (code) {
	case SSL_ERROR_WANT_READ:
		t->want = 1;
		return (-EAGAIN);
	case SSL_ERROR_WANT_WRITE:
		t->want = 2;
		return (-EAGAIN);
	case SSL_ERROR_ZERO_RETURN:
		return (0);
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno == 0 || r == 0) {
			snprintf(t->err, sizeof t->err, "%s: unexpected EOF",
			    what);
			return (-EPIPE);
		}
		snprintf(t->err, sizeof t->err, "%s: %s", what,
		    strerror(errno));
		return (-errno);
	default:
		/* The verify callback's reason, if it said one, stands. */
		e = ERR_get_error();
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
		/* OpenSSL 3: the peer closed without close_notify. */
		if (ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			snprintf(t->err, sizeof t->err, "%s: unexpected EOF",
			    what);
			return (-EPIPE);
		}
#endif
		if (t->err[0] == '\0')
			snprintf(t->err, sizeof t->err, "%s: %s", what,
			    e ? ERR_reason_error_string(e) : "failed");
		ERR_clear_error();
		return (-EPROTO);
	}
}

/*
 * User-space TLS: gather records in a buffering BIO and write them with
 * one write(2) per ZC_TLS_WRITE_BUF, not one per 16 KiB record (fewer
 * syscalls and larger segments on the wire); zc_tls_flush() empties it.
 * Never with kTLS: SSL_sendfile writes to the socket directly, and bytes
 * held here would then arrive after the body that followed them.
 */
static int
tls_buffer_writes(struct zc_tls *t)
{
	BIO	*sock = SSL_get_wbio(t->ssl), *buf;

	if ((buf = BIO_new(BIO_f_buffer())) == NULL ||
	    BIO_set_write_buffer_size(buf, ZC_TLS_WRITE_BUF) != 1) {
		BIO_free(buf);
		ERR_clear_error();
		return (-ENOMEM);
	}
	/* The chain takes a reference; SSL_set0_wbio drops the old one. */
	BIO_up_ref(sock);
	BIO_push(buf, sock);
	SSL_set0_wbio(t->ssl, buf);
	return (0);
}

int
zc_tls_flush(struct zc_tls *t)
{
	BIO	*w = SSL_get_wbio(t->ssl);

	if (BIO_wpending(w) == 0)
		return (0);
	ERR_clear_error();
	errno = 0;
	if (BIO_flush(w) == 1)
		return (0);
	if (BIO_should_retry(w)) {
		t->want = 2;
		return (-EAGAIN);
	}
	snprintf(t->err, sizeof t->err, "write: %s",
	    errno != 0 ? strerror(errno) : "failed");
	ERR_clear_error();
	return (errno != 0 ? -errno : -EIO);
}

int
zc_tls_unflushed(const struct zc_tls *t)
{
	return (BIO_wpending(SSL_get_wbio(t->ssl)) > 0);
}

int
zc_tls_handshake(struct zc_tls *t)
{
	int	r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(t->ssl)) == 1) {
		if (!t->verified) {
			snprintf(t->err, sizeof t->err, "peer not verified");
			return (-EPROTO);
		}
		if (zc_tls_ktls_send(t))
			snprintf(t->path, sizeof t->path, "kTLS: bodies by "
			    "SSL_sendfile(3) from the page cache");
		else {
			snprintf(t->path, sizeof t->path, "user-space TLS: "
			    "the kernel has no TLS offload for %s (tls module "
			    "missing?)", SSL_get_cipher_name(t->ssl));
			if (tls_buffer_writes(t) != 0) {
				snprintf(t->err, sizeof t->err, "out of memory");
				return (-ENOMEM);
			}
		}
		return (0);
	}
	r = tls_result(t, r, "handshake");
	return (r == 0 ? -EPIPE : r);
}

ssize_t
zc_tls_read(struct zc_tls *t, void *buf, size_t len)
{
	size_t	n = 0;
	int	r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_read_ex(t->ssl, buf, len, &n)) == 1)
		return ((ssize_t)n);
	return (tls_result(t, 0, "read"));
}

ssize_t
zc_tls_write(struct zc_tls *t, const void *buf, size_t len)
{
	size_t	n = 0;
	int	r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_write_ex(t->ssl, buf, len, &n)) == 1)
		return ((ssize_t)n);
	r = tls_result(t, 0, "write");
	return (r == 0 ? -EPIPE : r);
}

ssize_t
zc_tls_sendfile(struct zc_tls *t, int fd, off_t off, size_t len)
{
	ossl_ssize_t	n;
	int		r;

	if (!zc_tls_ktls_send(t))
		return (-ENOTSUP);
	ERR_clear_error();
	errno = 0;
	if ((n = SSL_sendfile(t->ssl, fd, off, len, 0)) >= 0)
		return ((ssize_t)n);
	r = tls_result(t, -1, "sendfile");
	return (r == 0 ? -EPIPE : r);
}

int
zc_tls_want(const struct zc_tls *t)
{
	return (t->want);
}

void
zc_tls_shutdown(struct zc_tls *t)
{
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
}

int
zc_tls_pending(const struct zc_tls *t)
{
	return (SSL_has_pending(t->ssl));
}

int
zc_tls_ktls_send(const struct zc_tls *t)
{
	return (BIO_get_ktls_send(SSL_get_wbio(t->ssl)) == 1);
}

const uint8_t *
zc_tls_peer_fpr(const struct zc_tls *t)
{
	return (t->verified ? t->fpr : NULL);
}

const char *
zc_tls_error(struct zc_tls *t)
{
	return (t->err[0] ? t->err : "TLS error");
}

const char *
zc_tls_path(const struct zc_tls *t)
{
	return (t->path[0] ? t->path : "TLS (handshake not done)");
}

#else /* !HAVE_OPENSSL */

int
zc_tls_available(void)
{
	return (0);
}

int
zc_tls_pin_equal(const uint8_t *a, const uint8_t *b)
{
	return (memcmp(a, b, ZC_FPR_LEN) == 0);
}

int
zc_tls_ctx_new(const char *cert, const char *key, struct zc_tls_ctx **out,
    char *err, size_t errlen)
{
	*out = NULL;
	snprintf(err, errlen, "built without OpenSSL: no TLS");
	return (-ENOTSUP);
}

void
zc_tls_ctx_free(struct zc_tls_ctx *c)
{
}

int
zc_tls_new(struct zc_tls_ctx *c, int fd, int server, zc_tls_pin_cb pin_cb,
    void *arg, struct zc_tls **out)
{
	*out = NULL;
	return (-ENOTSUP);
}

void
zc_tls_free(struct zc_tls *t)
{
}

int
zc_tls_handshake(struct zc_tls *t)
{
	return (-ENOTSUP);
}

ssize_t
zc_tls_read(struct zc_tls *t, void *buf, size_t len)
{
	return (-ENOTSUP);
}

ssize_t
zc_tls_write(struct zc_tls *t, const void *buf, size_t len)
{
	return (-ENOTSUP);
}

ssize_t
zc_tls_sendfile(struct zc_tls *t, int fd, off_t off, size_t len)
{
	return (-ENOTSUP);
}

int
zc_tls_want(const struct zc_tls *t)
{
	return (0);
}

void
zc_tls_shutdown(struct zc_tls *t)
{
}

int
zc_tls_pending(const struct zc_tls *t)
{
	return (0);
}

int
zc_tls_ktls_send(const struct zc_tls *t)
{
	return (0);
}

const uint8_t *
zc_tls_peer_fpr(const struct zc_tls *t)
{
	return (NULL);
}

const char *
zc_tls_error(struct zc_tls *t)
{
	return ("no TLS");
}

const char *
zc_tls_path(const struct zc_tls *t)
{
	return ("no TLS");
}

#endif /* HAVE_OPENSSL */
