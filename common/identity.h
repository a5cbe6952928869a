/*
 * identity.h: a node's TLS identity (a self-signed certificate and its
 * key) and the pins peers know it by: SHA-256 of the DER certificate (the
 * Syncthing model).  All OpenSSL use for identities lives in identity.c;
 * connections are tls.c's.
 */
#ifndef ZC_IDENTITY_H
#define ZC_IDENTITY_H

#include <stddef.h>
#include <stdint.h>

#define ZC_FPR_LEN	32	/* SHA-256 */
/* "sha256:" + 64 lowercase hex digits + NUL */
#define ZC_FPR_STRLEN	(7 + 2 * ZC_FPR_LEN + 1)

/* The one text form: "sha256:" and 64 lowercase hex digits. */
void	zc_identity_fpr_str(const uint8_t fpr[ZC_FPR_LEN], char *out,
	    size_t outlen);
/*
 * Parse a pin: 64 hex digits, either case, optionally with ':' between
 * bytes, optionally prefixed "sha256:" (also either case).  0 or -EINVAL.
 */
int	zc_identity_fpr_parse(const char *s, uint8_t fpr[ZC_FPR_LEN]);

/* The pin of a DER certificate. */
void	zc_identity_fpr_der(const uint8_t *der, size_t len,
	    uint8_t fpr[ZC_FPR_LEN]);
/* The pin of the (first) certificate in a PEM file: 0 or -errno, err set. */
int	zc_identity_fpr_file(const char *cert, uint8_t fpr[ZC_FPR_LEN],
	    char *err, size_t errlen);

/*
 * Write a new self-signed certificate (CN = name) and its private key
 * (Ed25519) as DIR/cert.pem (0644) and DIR/key.pem (0600).  Refuses to
 * overwrite either (-EEXIST).  0 or -errno, err set; fpr filled on success.
 */
int	zc_identity_generate(const char *dir, const char *name,
	    uint8_t fpr[ZC_FPR_LEN], char *err, size_t errlen);

/*
 * Check a configured identity: the key file exists, is a regular file not
 * readable or writable by group or others, the certificate parses, and the
 * key matches it.  0 or -errno with err saying which file and why.
 */
int	zc_identity_check(const char *cert, const char *key, char *err,
	    size_t errlen);

#endif
