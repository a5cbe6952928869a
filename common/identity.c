/*
 * identity.c: a node's TLS identity and the pins that name it.
 *
 * An identity is an Ed25519 key and a self-signed X.509 v3 certificate
 * whose CN is the node name.  Nothing checks the certificate's chain or
 * dates: a peer is trusted because the SHA-256 of its DER certificate is
 * pinned in our configuration (Syncthing's device ID, without the base32),
 * so the validity period is simply made long (100 years) and is never
 * looked at.  The text form of a pin is "sha256:" and 64 lowercase hex
 * digits; zc_identity_fpr_parse() also takes what "openssl x509
 * -fingerprint -sha256" prints.
 *
 * The pin text functions need no OpenSSL; the rest returns -ENOTSUP in a
 * build without it.
 */
#include "zcbuild.h"	/* autoconf's, from the build directory */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_OPENSSL
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif

#include "identity.h"

#define IDENTITY_PREFIX		"sha256:"
#define IDENTITY_PREFIX_LEN	7
#define IDENTITY_NAME_MAX	64		/* ub-common-name, node.name */
#define IDENTITY_FILE_MAX	(1024 * 1024)	/* a PEM file we will read */
#define IDENTITY_YEARS		100
#define IDENTITY_SERIAL_LEN	16		/* 128 random bits */
#define IDENTITY_CERT_FILE	"cert.pem"
#define IDENTITY_KEY_FILE	"key.pem"

/* Print the pin as "sha256:" and 64 lowercase hex digits (cut to outlen). */
void
zc_identity_fpr_str(const uint8_t fpr[ZC_FPR_LEN], char *out, size_t outlen)
{
	static const char	hex[] = "0123456789abcdef";
	char			buf[ZC_FPR_STRLEN];
	size_t			i;

	memcpy(buf, IDENTITY_PREFIX, IDENTITY_PREFIX_LEN);
	for (i = 0; i < ZC_FPR_LEN; i++) {
		buf[IDENTITY_PREFIX_LEN + 2 * i] = hex[fpr[i] >> 4];
		buf[IDENTITY_PREFIX_LEN + 2 * i + 1] = hex[fpr[i] & 0xf];
	}
	buf[ZC_FPR_STRLEN - 1] = '\0';
	if (outlen > 0)
		snprintf(out, outlen, "%s", buf);
}

/* The value of hex digit c, or -1. */
static int
identity_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Parse a pin: "sha256:" (any case) is optional, then either 64 hex digits
 * or 32 pairs joined by ':' (as openssl prints them); nothing else, not even
 * white space.  fpr is cleared first and filled only on success.
 */
int
zc_identity_fpr_parse(const char *s, uint8_t fpr[ZC_FPR_LEN])
{
	uint8_t	tmp[ZC_FPR_LEN];
	size_t	len, i, step;
	int	hi, lo;

	memset(fpr, 0, ZC_FPR_LEN);
	if (strncasecmp(s, IDENTITY_PREFIX, IDENTITY_PREFIX_LEN) == 0)
		s += IDENTITY_PREFIX_LEN;
	len = strlen(s);
	if (len == 2 * ZC_FPR_LEN)
		step = 2;
	else if (len == 3 * ZC_FPR_LEN - 1)
		step = 3;
	else
		return (-EINVAL);
	for (i = 0; i < ZC_FPR_LEN; i++) {
		hi = identity_hexval(s[i * step]);
		lo = identity_hexval(s[i * step + 1]);
		if (hi < 0 || lo < 0)
			return (-EINVAL);
		if (step == 3 && i + 1 < ZC_FPR_LEN && s[i * step + 2] != ':')
			return (-EINVAL);
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(fpr, tmp, ZC_FPR_LEN);
	return (0);
}

#ifdef HAVE_OPENSSL

/* "FILE: what: strerror" or "FILE: what" into err; returns r. */
static int __attribute__((format(printf, 5, 6)))
identity_error(int r, char *err, size_t errlen, const char *file,
    const char *fmt, ...)
{
	char	msg[256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", file, msg);
	return (r);
}

/*
 * Read a small regular file whole: 0 with *bufp (the caller frees it),
 * *lenp and, if stp is not NULL, its stat, or -errno with err set.  what
 * ("certificate", "private key") goes into the messages.  O_NONBLOCK keeps
 * a FIFO put in the way from hanging the open.
 */
static int
identity_read(const char *file, const char *what, char **bufp, size_t *lenp,
    struct stat *stp, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, r = 0;

	*bufp = NULL;
	*lenp = 0;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		r = -errno;
		return (identity_error(r, err, errlen, file, "%s: %s", what,
		    strerror(-r)));
	}
	if (fstat(fd, &st) == -1) {
		r = identity_error(-errno, err, errlen, file, "%s: %s", what,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = identity_error(S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
		    err, errlen, file, "%s is not a regular file", what);
		goto out;
	}
	if (st.st_size > IDENTITY_FILE_MAX) {
		r = identity_error(-EFBIG, err, errlen, file,
		    "%s is larger than %d bytes", what, IDENTITY_FILE_MAX);
		goto out;
	}
	buf = malloc(IDENTITY_FILE_MAX + 1);
	if (buf == NULL) {
		r = identity_error(-ENOMEM, err, errlen, file, "%s: %s", what,
		    strerror(ENOMEM));
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, IDENTITY_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = identity_error(-errno, err, errlen, file,
			    "%s: %s", what, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
		if (len > IDENTITY_FILE_MAX) {
			r = identity_error(-EFBIG, err, errlen, file,
			    "%s is larger than %d bytes", what,
			    IDENTITY_FILE_MAX);
			goto out;
		}
	}
	if (stp != NULL)
		*stp = st;
	*bufp = buf;
	*lenp = len;
	buf = NULL;

out:
	free(buf);
	close(fd);
	return (r);
}

/*
 * The passphrase callback for PEM reads: there is none.  Without it
 * OpenSSL would prompt on the terminal for an encrypted key, and a daemon
 * has nobody to ask.
 */
static int
identity_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	return (-1);
}

/* Load the first certificate of a PEM file: 0 and *xp, or -errno. */
static int
identity_load_cert(const char *file, X509 **xp, char *err, size_t errlen)
{
	BIO	*bio = NULL;
	char	*buf;
	size_t	 len;
	int	 r;

	*xp = NULL;
	if ((r = identity_read(file, "certificate", &buf, &len, NULL, err,
	    errlen)) != 0)
		return (r);
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio != NULL)
		*xp = PEM_read_bio_X509(bio, NULL, identity_no_passphrase,
		    NULL);
	if (*xp == NULL) {
		r = identity_error(-EINVAL, err, errlen, file,
		    "not a PEM certificate");
	}
	BIO_free(bio);
	free(buf);
	return (r);
}

/* The pin of a DER certificate: SHA-256 of its bytes. */
void
zc_identity_fpr_der(const uint8_t *der, size_t len, uint8_t fpr[ZC_FPR_LEN])
{
	unsigned int	n = 0;

	if (!EVP_Digest(der, len, fpr, &n, EVP_sha256(), NULL) ||
	    n != ZC_FPR_LEN)
		memset(fpr, 0, ZC_FPR_LEN);
}

/* The pin of certificate x: 0 or -EINVAL. */
static int
identity_fpr_x509(X509 *x, uint8_t fpr[ZC_FPR_LEN])
{
	unsigned char	*der = NULL;
	int		 len;

	if ((len = i2d_X509(x, &der)) <= 0)
		return (-EINVAL);
	zc_identity_fpr_der(der, (size_t)len, fpr);
	OPENSSL_free(der);
	return (0);
}

/* The pin of the first certificate in PEM file cert. */
int
zc_identity_fpr_file(const char *cert, uint8_t fpr[ZC_FPR_LEN], char *err,
    size_t errlen)
{
	X509	*x;
	uint8_t	 tmp[ZC_FPR_LEN];
	int	 r;

	memset(fpr, 0, ZC_FPR_LEN);
	if (errlen > 0)
		err[0] = '\0';
	if ((r = identity_load_cert(cert, &x, err, errlen)) != 0)
		return (r);
	if (identity_fpr_x509(x, tmp) != 0) {
		r = identity_error(-EINVAL, err, errlen, cert,
		    "certificate cannot be encoded");
	} else
		memcpy(fpr, tmp, ZC_FPR_LEN);
	X509_free(x);
	return (r);
}

/* Add extension nid with value (openssl.cnf syntax) to x: 0 or -1. */
static int
identity_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return (-1);
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return (ok ? 0 : -1);
}

/*
 * A new self-signed certificate for key, CN = name: 0 and *xp, or -1.  The
 * serial is 128 random bits (RFC 5280 allows up to 20 octets); a v3
 * certificate for an end entity, usable by either side of a TLS session.
 */
static int
identity_make_cert(EVP_PKEY *key, const char *name, X509 **xp)
{
	unsigned char	 serial[IDENTITY_SERIAL_LEN];
	X509		*x = NULL;
	X509_NAME	*subj;
	BIGNUM		*bn = NULL;
	struct tm	 tm;
	time_t		 now, until;
	int		 r = -1;

	*xp = NULL;
	/* Calendar years: 29 February becomes 1 March (timegm(3)). */
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL)
		goto out;
	tm.tm_year += IDENTITY_YEARS;
	if ((until = timegm(&tm)) == (time_t)-1)
		goto out;
	if ((x = X509_new()) == NULL ||
	    !X509_set_version(x, X509_VERSION_3))
		goto out;
	do {
		if (RAND_bytes(serial, sizeof(serial)) != 1)
			goto out;
		BN_free(bn);
		if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL)
			goto out;
	} while (BN_is_zero(bn));
	if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	if (ASN1_TIME_set(X509_getm_notBefore(x), now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), until) == NULL)
		goto out;
	subj = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0) ||
	    !X509_set_issuer_name(x, subj) ||
	    !X509_set_pubkey(x, key))
		goto out;
	if (identity_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    identity_add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    identity_add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    identity_add_ext(x, NID_subject_key_identifier, "hash"))
		goto out;
	/* Ed25519 signs the message itself: no digest (RFC 8410). */
	if (X509_sign(x, key, NULL) <= 0)
		goto out;
	*xp = x;
	x = NULL;
	r = 0;

out:
	BN_free(bn);
	X509_free(x);
	return (r);
}

/*
 * Create name in directory dfd with mode (exactly, whatever the umask),
 * never following a symlink or replacing a file, and write len bytes of
 * data to it, synced.  0 or -errno; on failure nothing is left.
 */
static int
identity_write(int dfd, const char *name, mode_t mode, const void *data,
    size_t len)
{
	const char	*p = data;
	ssize_t		 n;
	int		 fd, r = 0;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd == -1)
		return (-errno);
	if (fchmod(fd, mode) == -1) {
		r = -errno;
		goto out;
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		p += n;
		len -= n;
	}
	if (fsync(fd) == -1)
		r = -errno;

out:
	if (close(fd) == -1 && r == 0)
		r = -errno;
	if (r != 0)
		unlinkat(dfd, name, 0);
	return (r);
}

/* The bytes held by memory BIO bio (borrowed): 0 or -1. */
static int
identity_pem(BIO *bio, const char **datap, size_t *lenp)
{
	char	*data;
	long	 len;

	if ((len = BIO_get_mem_data(bio, &data)) <= 0)
		return (-1);
	*datap = data;
	*lenp = (size_t)len;
	return (0);
}

/* "DIR/NAME: exists; not overwriting it" or "DIR/NAME: strerror". */
static void
identity_file_error(int r, char *err, size_t errlen, const char *dir,
    const char *name)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s/%s: %s", dir, name, r == -EEXIST ?
		    "exists; not overwriting it" : strerror(-r));
}

/* Write DIR/cert.pem and DIR/key.pem for a new identity called name. */
int
zc_identity_generate(const char *dir, const char *name,
    uint8_t fpr[ZC_FPR_LEN], char *err, size_t errlen)
{
	static const char	 ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	EVP_PKEY		*key = NULL;
	X509			*x = NULL;
	BIO			*kbio = NULL, *cbio = NULL;
	const char		*kdata = NULL, *cdata;
	size_t			 klen = 0, clen, nlen = strlen(name);
	uint8_t			 tmp[ZC_FPR_LEN];
	int			 dfd = -1, key_written = 0, r;

	memset(fpr, 0, ZC_FPR_LEN);
	if (errlen > 0)
		err[0] = '\0';
	if (nlen == 0 || nlen > IDENTITY_NAME_MAX || strspn(name, ok) != nlen) {
		return (identity_error(-EINVAL, err, errlen, name,
		    "name must be 1 to %d characters from A-Z a-z 0-9 . _ -",
		    IDENTITY_NAME_MAX));
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1) {
		r = -errno;
		return (identity_error(r, err, errlen, dir, "%s",
		    strerror(-r)));
	}

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    identity_make_cert(key, name, &x) != 0 ||
	    identity_fpr_x509(x, tmp) != 0) {
		r = identity_error(-EIO, err, errlen, dir,
		    "cannot make a key and certificate (OpenSSL)");
		goto out;
	}
	if ((kbio = BIO_new(BIO_s_mem())) == NULL ||
	    (cbio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(kbio, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cbio, x) ||
	    identity_pem(kbio, &kdata, &klen) != 0 ||
	    identity_pem(cbio, &cdata, &clen) != 0) {
		r = identity_error(-ENOMEM, err, errlen, dir,
		    "cannot encode the key and certificate (OpenSSL)");
		goto out;
	}

	/* The key first: a lone certificate must never be left behind. */
	if ((r = identity_write(dfd, IDENTITY_KEY_FILE, 0600, kdata,
	    klen)) != 0) {
		identity_file_error(r, err, errlen, dir, IDENTITY_KEY_FILE);
		goto out;
	}
	key_written = 1;
	if ((r = identity_write(dfd, IDENTITY_CERT_FILE, 0644, cdata,
	    clen)) != 0) {
		identity_file_error(r, err, errlen, dir, IDENTITY_CERT_FILE);
		goto out;
	}
	if (fsync(dfd) == -1) {
		r = -errno;
		identity_error(r, err, errlen, dir, "fsync: %s", strerror(-r));
		unlinkat(dfd, IDENTITY_CERT_FILE, 0);
		goto out;
	}
	memcpy(fpr, tmp, ZC_FPR_LEN);
	key_written = 0;
	r = 0;

out:
	if (r != 0 && key_written)
		unlinkat(dfd, IDENTITY_KEY_FILE, 0);
	/* The private key's PEM text is not left in freed memory. */
	if (kdata != NULL)
		OPENSSL_cleanse((void *)kdata, klen);
	BIO_free(kbio);
	BIO_free(cbio);
	X509_free(x);
	EVP_PKEY_free(key);
	close(dfd);
	return (r);
}

/*
 * Check the key file's type, owner and mode, then that both files parse
 * and belong together.  Messages start with the file they are about.
 */
int
zc_identity_check(const char *cert, const char *key, char *err,
    size_t errlen)
{
	struct stat	 st;
	EVP_PKEY	*pkey = NULL;
	X509		*x = NULL;
	BIO		*bio = NULL;
	char		*buf = NULL;
	size_t		 len;
	mode_t		 mode;
	int		 r;

	if (errlen > 0)
		err[0] = '\0';
	if ((r = identity_read(key, "private key", &buf, &len, &st, err,
	    errlen)) != 0)
		goto out;
	mode = st.st_mode & 07777;
	if (mode & 044) {
		r = identity_error(-EPERM, err, errlen, key,
		    "private key is readable by others (mode %04o); "
		    "chmod 600 it", (unsigned int)mode);
		goto out;
	}
	if (mode & 077) {
		r = identity_error(-EPERM, err, errlen, key,
		    "private key is writable by others (mode %04o); "
		    "chmod 600 it", (unsigned int)mode);
		goto out;
	}
	/*
	 * No owner rule: the service runs as its own user (systemd
	 * User=zcsync) and owns its key, while root may check the config.
	 * Mode 0600 keeps everyone else out.
	 */
	if ((bio = BIO_new_mem_buf(buf, (int)len)) != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL,
		    identity_no_passphrase, NULL);
	if (pkey == NULL) {
		r = identity_error(-EINVAL, err, errlen, key,
		    "not a PEM private key (or it is encrypted)");
		goto out;
	}
	if ((r = identity_load_cert(cert, &x, err, errlen)) != 0)
		goto out;
	if (X509_check_private_key(x, pkey) != 1) {
		r = identity_error(-EINVAL, err, errlen, key,
		    "private key does not match the certificate %s", cert);
		goto out;
	}
	r = 0;

out:
	BIO_free(bio);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	EVP_PKEY_free(pkey);
	X509_free(x);
	return (r);
}

#else /* !HAVE_OPENSSL */

#define IDENTITY_NOTSUP "TLS identities need OpenSSL, and this build has none"

/* Without OpenSSL there is no SHA-256 here: the pin is all zeros. */
void
zc_identity_fpr_der(const uint8_t *der, size_t len, uint8_t fpr[ZC_FPR_LEN])
{
	memset(fpr, 0, ZC_FPR_LEN);
}

int
zc_identity_fpr_file(const char *cert, uint8_t fpr[ZC_FPR_LEN], char *err,
    size_t errlen)
{
	memset(fpr, 0, ZC_FPR_LEN);
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", cert, IDENTITY_NOTSUP);
	return (-ENOTSUP);
}

int
zc_identity_generate(const char *dir, const char *name,
    uint8_t fpr[ZC_FPR_LEN], char *err, size_t errlen)
{
	memset(fpr, 0, ZC_FPR_LEN);
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", dir, IDENTITY_NOTSUP);
	return (-ENOTSUP);
}

int
zc_identity_check(const char *cert, const char *key, char *err,
    size_t errlen)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s: %s", key, IDENTITY_NOTSUP);
	return (-ENOTSUP);
}

#endif /* HAVE_OPENSSL */
