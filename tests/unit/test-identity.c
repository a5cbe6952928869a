/*
 * test-identity.c: identities (identity.c): keygen into a temp dir, the
 * files and their modes, refusing to overwrite, pins as openssl prints
 * them, the pin's text forms, and the checks a configured identity must
 * pass.
 */
#include "zcbuild.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#ifdef HAVE_OPENSSL
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#endif

#include "identity.h"

#define OPENSSL_BIN	"/usr/bin/openssl"

#ifdef HAVE_OPENSSL
struct test_dir {
	char	dir[64];
	char	cert[128];
	char	key[128];
};

static int
setup(void **state)
{
	struct test_dir	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (-1);
	snprintf(t->dir, sizeof(t->dir), "/tmp/test-identity.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return (-1);
	}
	snprintf(t->cert, sizeof(t->cert), "%s/cert.pem", t->dir);
	snprintf(t->key, sizeof(t->key), "%s/key.pem", t->dir);
	*state = t;
	return (0);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return (remove(path) == 0 ? 0 : -1);
}

static int
teardown(void **state)
{
	struct test_dir	*t = *state;

	nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return (0);
}

/* The "sha256:..." text of fpr. */
static const char *
fpr_text(const uint8_t fpr[ZC_FPR_LEN], char *buf, size_t len)
{
	zc_identity_fpr_str(fpr, buf, len);
	return (buf);
}
#endif /* HAVE_OPENSSL */

/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
static const uint8_t abc_sha256[ZC_FPR_LEN] = {
	0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
	0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
	0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad
};
#define ABC_HEX	"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC_COLONS \
	"BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:" \
	"7A:9C:B4:10:FF:61:F2:00:15:AD"

static void
test_fpr_str(void **state)
{
	char	buf[ZC_FPR_STRLEN], small[12];

	zc_identity_fpr_str(abc_sha256, buf, sizeof(buf));
	assert_string_equal(buf, "sha256:" ABC_HEX);
	assert_int_equal(strlen(buf), ZC_FPR_STRLEN - 1);
	zc_identity_fpr_str(abc_sha256, small, sizeof(small));
	assert_string_equal(small, "sha256:ba78");
	zc_identity_fpr_str(abc_sha256, small, 0);	/* no room: no write */
}

static void
test_fpr_parse(void **state)
{
	static const char *const good[] = {
		ABC_HEX,
		"sha256:" ABC_HEX,
		"SHA256:" ABC_HEX,
		"Sha256:" ABC_HEX,
		"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		"ba7816BF8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015AD",
		ABC_COLONS,
		"sha256:" ABC_COLONS,
		"SHA256:ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:"
		"61:a3:96:17:7a:9c:b4:10:ff:61:f2:00:15:ad",
	};
	static const char *const bad[] = {
		"",
		"sha256:",
		"sha256",
		/* 63 and 65 digits */
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad0",
		"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
		"f20015a",
		/* not hex */
		"ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aX",
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015 d",
		/* another prefix, doubled prefix, white space */
		"sha1:" ABC_HEX,
		"sha-256:" ABC_HEX,
		"sha256:sha256:" ABC_HEX,
		" " ABC_HEX,
		ABC_HEX " ",
		ABC_HEX "\n",
		"sha256: " ABC_HEX,
		/* colons in the wrong places, or only some of them */
		":" ABC_HEX,
		"BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:"
		"17:7A:9C:B4:10:FF:61:F2:00:15:AD:",
		"BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:"
		"17:7A:9C:B4:10:FF:61:F2:00:15AD0",
		"BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:"
		"17:7A:9C:B4:10:FF:61:F2:00:1:5AD",
		"BA7:8:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:"
		"17:7A:9C:B4:10:FF:61:F2:00:15AD",
		"ba7816bf8f01cfea414140de5dae2223:b00361a396177a9cb410ff61f20015ad",
	};
	uint8_t	fpr[ZC_FPR_LEN];
	size_t	i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(fpr, 0xee, sizeof(fpr));
		if (zc_identity_fpr_parse(good[i], fpr) != 0)
			fail_msg("refused good pin \"%s\"", good[i]);
		assert_memory_equal(fpr, abc_sha256, ZC_FPR_LEN);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(fpr, 0xee, sizeof(fpr));
		if (zc_identity_fpr_parse(bad[i], fpr) != -EINVAL)
			fail_msg("took bad pin \"%s\"", bad[i]);
		/* Cleared on entry, not filled on failure. */
		assert_memory_equal(fpr, (uint8_t[ZC_FPR_LEN]){ 0 },
		    ZC_FPR_LEN);
	}
}

#ifdef HAVE_OPENSSL

static void
test_fpr_der(void **state)
{
	uint8_t	fpr[ZC_FPR_LEN];

	zc_identity_fpr_der((const uint8_t *)"abc", 3, fpr);
	assert_memory_equal(fpr, abc_sha256, ZC_FPR_LEN);
}

static mode_t
file_mode(const char *file)
{
	struct stat	st;

	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	return (st.st_mode & 07777);
}

/* Read the PEM certificate in file with OpenSSL directly. */
static X509 *
read_cert(const char *file)
{
	FILE	*f;
	X509	*x;

	assert_non_null(f = fopen(file, "r"));
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return (x);
}

/* What a generated certificate is: v3, Ed25519, CN, serial, 100 years. */
static void
check_cert(const char *file, const char *name)
{
	X509		*x = read_cert(file);
	EVP_PKEY	*pub;
	BIGNUM		*serial;
	struct tm	 from, until;
	char		 cn[128];
	int		 days, secs;

	assert_int_equal(X509_get_version(x), X509_VERSION_3);
	assert_non_null(pub = X509_get0_pubkey(x));
	assert_int_equal(EVP_PKEY_id(pub), EVP_PKEY_ED25519);
	assert_int_equal(X509_verify(x, pub), 1);	/* self-signed */
	assert_int_equal(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)), (int)strlen(name));
	assert_string_equal(cn, name);
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)), 0);
	assert_non_null(serial = ASN1_INTEGER_to_BN(
	    X509_get0_serialNumber(x), NULL));
	assert_false(BN_is_zero(serial));
	assert_false(BN_is_negative(serial));
	assert_true(BN_num_bits(serial) <= 128);
	assert_true(BN_num_bits(serial) > 64);	/* 2^-64 to fail by chance */
	BN_free(serial);
	/* notBefore is now (give or take the test's run time). */
	assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL,
	    X509_get0_notBefore(x)), 1);
	assert_int_equal(days, 0);
	assert_true(secs <= 0 && secs > -60);
	/* notAfter is 100 calendar years later (1 March for 29 February). */
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notBefore(x), &from), 1);
	assert_int_equal(ASN1_TIME_to_tm(X509_get0_notAfter(x), &until), 1);
	from.tm_year += 100;
	assert_true(timegm(&from) == timegm(&until));
	X509_free(x);
}

/*
 * What "openssl x509 -noout -fingerprint -sha256" prints for file, as a
 * pin; 0, or -1 if there is no openssl program here.
 */
static int
openssl_fpr(const char *file, uint8_t fpr[ZC_FPR_LEN])
{
	char	 cmd[256], line[256], *eq, *nl;
	FILE	*p;

	if (access(OPENSSL_BIN, X_OK) != 0)
		return (-1);
	snprintf(cmd, sizeof(cmd), OPENSSL_BIN " x509 -noout -fingerprint "
	    "-sha256 -in '%s'", file);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	/* "sha256 Fingerprint=AB:CD:..." (the case varies by version). */
	assert_non_null(eq = strchr(line, '='));
	if ((nl = strchr(eq, '\n')) != NULL)
		*nl = '\0';
	assert_int_equal(zc_identity_fpr_parse(eq + 1, fpr), 0);
	return (0);
}

static void
test_generate(void **state)
{
	struct test_dir	*t = *state;
	uint8_t		 fpr[ZC_FPR_LEN], again[ZC_FPR_LEN], cli[ZC_FPR_LEN];
	char		 err[512], a[ZC_FPR_STRLEN], b[ZC_FPR_STRLEN];
	mode_t		 old;

	/* The modes are exact whatever the umask. */
	old = umask(077);
	assert_int_equal(zc_identity_generate(t->dir, "alpha", fpr, err,
	    sizeof(err)), 0);
	umask(old);
	assert_string_equal(err, "");
	assert_int_equal(file_mode(t->key), 0600);
	assert_int_equal(file_mode(t->cert), 0644);
	check_cert(t->cert, "alpha");

	assert_int_equal(zc_identity_fpr_file(t->cert, again, err,
	    sizeof(err)), 0);
	assert_string_equal(fpr_text(again, a, sizeof(a)),
	    fpr_text(fpr, b, sizeof(b)));
	if (openssl_fpr(t->cert, cli) == 0) {
		assert_string_equal(fpr_text(cli, a, sizeof(a)),
		    fpr_text(fpr, b, sizeof(b)));
	} else
		print_message("no %s: fingerprint not cross-checked\n",
		    OPENSSL_BIN);

	assert_int_equal(zc_identity_check(t->cert, t->key, err, sizeof(err)),
	    0);
	assert_string_equal(err, "");
}

/* Two identities are two keys, two serials, two pins. */
static void
test_generate_twice(void **state)
{
	struct test_dir	*t = *state;
	char		 d1[128], d2[128], c1[160], c2[160], err[512];
	uint8_t		 f1[ZC_FPR_LEN], f2[ZC_FPR_LEN];
	X509		*x1, *x2;

	snprintf(d1, sizeof(d1), "%s/one", t->dir);
	snprintf(d2, sizeof(d2), "%s/two", t->dir);
	assert_int_equal(mkdir(d1, 0700), 0);
	assert_int_equal(mkdir(d2, 0700), 0);
	assert_int_equal(zc_identity_generate(d1, "n", f1, err, sizeof(err)),
	    0);
	assert_int_equal(zc_identity_generate(d2, "n", f2, err, sizeof(err)),
	    0);
	assert_memory_not_equal(f1, f2, ZC_FPR_LEN);
	snprintf(c1, sizeof(c1), "%s/cert.pem", d1);
	snprintf(c2, sizeof(c2), "%s/cert.pem", d2);
	x1 = read_cert(c1);
	x2 = read_cert(c2);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(x1),
	    X509_get0_serialNumber(x2)), 0);
	X509_free(x1);
	X509_free(x2);
}

static void
test_generate_refuses(void **state)
{
	struct test_dir	*t = *state;
	uint8_t		 fpr[ZC_FPR_LEN], before[ZC_FPR_LEN], after[ZC_FPR_LEN];
	char		 err[512], want[512], missing[128], sub[128];
	char		 file[192], elsewhere[192];
	int		 fd;

	/* A second keygen into the same place changes nothing. */
	assert_int_equal(zc_identity_generate(t->dir, "alpha", before, err,
	    sizeof(err)), 0);
	memset(fpr, 0xee, sizeof(fpr));
	assert_int_equal(zc_identity_generate(t->dir, "alpha", fpr, err,
	    sizeof(err)), -EEXIST);
	snprintf(want, sizeof(want), "%s: exists; not overwriting it",
	    t->key);
	assert_string_equal(err, want);
	assert_memory_equal(fpr, (uint8_t[ZC_FPR_LEN]){ 0 }, ZC_FPR_LEN);
	assert_int_equal(zc_identity_fpr_file(t->cert, after, err,
	    sizeof(err)), 0);
	assert_memory_equal(before, after, ZC_FPR_LEN);
	assert_int_equal(zc_identity_check(t->cert, t->key, err, sizeof(err)),
	    0);

	/* Only cert.pem there: refused, and the key written first is gone. */
	snprintf(sub, sizeof(sub), "%s/sub", t->dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/cert.pem", sub);
	assert_true((fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644)) >= 0);
	close(fd);
	assert_int_equal(zc_identity_generate(sub, "alpha", fpr, err,
	    sizeof(err)), -EEXIST);
	snprintf(want, sizeof(want), "%s/cert.pem: exists; not overwriting "
	    "it", sub);
	assert_string_equal(err, want);
	snprintf(file, sizeof(file), "%s/key.pem", sub);
	assert_int_equal(access(file, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(file, sizeof(file), "%s/cert.pem", sub);
	assert_int_equal(unlink(file), 0);

	/* A dangling symlink at key.pem is not followed. */
	snprintf(file, sizeof(file), "%s/key.pem", sub);
	snprintf(elsewhere, sizeof(elsewhere), "%s/elsewhere", t->dir);
	assert_int_equal(symlink(elsewhere, file), 0);
	assert_int_equal(zc_identity_generate(sub, "alpha", fpr, err,
	    sizeof(err)), -EEXIST);
	assert_int_equal(access(elsewhere, F_OK), -1);
	snprintf(file, sizeof(file), "%s/cert.pem", sub);
	assert_int_equal(access(file, F_OK), -1);

	/* No such directory. */
	snprintf(missing, sizeof(missing), "%s/missing", t->dir);
	assert_int_equal(zc_identity_generate(missing, "alpha", fpr, err,
	    sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	assert_string_equal(err, want);

	/* Names follow node.name's rule. */
	assert_int_equal(zc_identity_generate(t->dir, "al/pha", fpr, err,
	    sizeof(err)), -EINVAL);
	assert_string_equal(err, "al/pha: name must be 1 to 64 characters "
	    "from A-Z a-z 0-9 . _ -");
	assert_int_equal(zc_identity_generate(t->dir, "", fpr, err,
	    sizeof(err)), -EINVAL);
}

/* Write text to dir/name with mode. */
static void
put_file(char *path, size_t pathlen, const char *dir, const char *name,
    const char *text, mode_t mode)
{
	int	fd;

	snprintf(path, pathlen, "%s/%s", dir, name);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_check(void **state)
{
	struct test_dir	*t = *state;
	char		 err[512], want[1024], other[128], okey[192];
	char		 junk[192], missing[192];
	uint8_t		 fpr[ZC_FPR_LEN];

	assert_int_equal(zc_identity_generate(t->dir, "alpha", fpr, err,
	    sizeof(err)), 0);

	/* Modes: readable by others, writable by group. */
	assert_int_equal(chmod(t->key, 0644), 0);
	assert_int_equal(zc_identity_check(t->cert, t->key, err, sizeof(err)),
	    -EPERM);
	snprintf(want, sizeof(want), "%s: private key is readable by others "
	    "(mode 0644); chmod 600 it", t->key);
	assert_string_equal(err, want);
	assert_int_equal(chmod(t->key, 0640), 0);
	assert_int_equal(zc_identity_check(t->cert, t->key, err, sizeof(err)),
	    -EPERM);
	assert_int_equal(chmod(t->key, 0620), 0);
	assert_int_equal(zc_identity_check(t->cert, t->key, err, sizeof(err)),
	    -EPERM);
	snprintf(want, sizeof(want), "%s: private key is writable by others "
	    "(mode 0620); chmod 600 it", t->key);
	assert_string_equal(err, want);
	assert_int_equal(chmod(t->key, 0400), 0);
	assert_int_equal(zc_identity_check(t->cert, t->key, err, sizeof(err)),
	    0);
	assert_int_equal(chmod(t->key, 0600), 0);

	/* The key of another identity. */
	snprintf(other, sizeof(other), "%s/other", t->dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(zc_identity_generate(other, "alpha", fpr, err,
	    sizeof(err)), 0);
	snprintf(okey, sizeof(okey), "%s/key.pem", other);
	assert_int_equal(zc_identity_check(t->cert, okey, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want), "%s: private key does not match the "
	    "certificate %s", okey, t->cert);
	assert_string_equal(err, want);

	/* Missing files. */
	snprintf(missing, sizeof(missing), "%s/missing.pem", t->dir);
	assert_int_equal(zc_identity_check(t->cert, missing, err,
	    sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: private key: No such file or "
	    "directory", missing);
	assert_string_equal(err, want);
	assert_int_equal(zc_identity_check(missing, t->key, err,
	    sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: certificate: No such file or "
	    "directory", missing);
	assert_string_equal(err, want);

	/* Not a regular file. */
	assert_int_equal(zc_identity_check(t->cert, other, err, sizeof(err)),
	    -EISDIR);
	snprintf(want, sizeof(want), "%s: private key is not a regular file",
	    other);
	assert_string_equal(err, want);

	/* Garbage, and the two files swapped. */
	put_file(junk, sizeof(junk), t->dir, "junk.pem", "not PEM\n", 0600);
	assert_int_equal(zc_identity_check(t->cert, junk, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want), "%s: not a PEM private key (or it is "
	    "encrypted)", junk);
	assert_string_equal(err, want);
	assert_int_equal(zc_identity_check(junk, t->key, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want), "%s: not a PEM certificate", junk);
	assert_string_equal(err, want);
	assert_int_equal(zc_identity_check(t->key, t->key, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want), "%s: not a PEM certificate", t->key);
	assert_string_equal(err, want);
	assert_int_equal(chmod(t->cert, 0600), 0);
	assert_int_equal(zc_identity_check(t->key, t->cert, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want), "%s: not a PEM private key (or it is "
	    "encrypted)", t->cert);
	assert_string_equal(err, want);
}

/* An encrypted key is refused at once: OpenSSL must not prompt. */
static void
test_check_encrypted(void **state)
{
	struct test_dir	*t = *state;
	char		 err[512], want[512], enc[192], cmd[512];

	if (access(OPENSSL_BIN, X_OK) != 0)
		skip();
	assert_int_equal(zc_identity_generate(t->dir, "alpha",
	    (uint8_t[ZC_FPR_LEN]){ 0 }, err, sizeof(err)), 0);
	snprintf(enc, sizeof(enc), "%s/enc.pem", t->dir);
	snprintf(cmd, sizeof(cmd), OPENSSL_BIN " pkey -in '%s' -out '%s' "
	    "-aes256 -passout pass:secret </dev/null", t->key, enc);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(enc, 0600), 0);
	assert_int_equal(zc_identity_check(t->cert, enc, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want), "%s: not a PEM private key (or it is "
	    "encrypted)", enc);
	assert_string_equal(err, want);
}

static void
test_fpr_file_errors(void **state)
{
	struct test_dir	*t = *state;
	char		 err[512], want[512], junk[192], missing[192];
	uint8_t		 fpr[ZC_FPR_LEN];

	snprintf(missing, sizeof(missing), "%s/missing.pem", t->dir);
	memset(fpr, 0xee, sizeof(fpr));
	assert_int_equal(zc_identity_fpr_file(missing, fpr, err, sizeof(err)),
	    -ENOENT);
	snprintf(want, sizeof(want), "%s: certificate: No such file or "
	    "directory", missing);
	assert_string_equal(err, want);
	assert_memory_equal(fpr, (uint8_t[ZC_FPR_LEN]){ 0 }, ZC_FPR_LEN);

	put_file(junk, sizeof(junk), t->dir, "junk.pem",
	    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	    0644);
	assert_int_equal(zc_identity_fpr_file(junk, fpr, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want), "%s: not a PEM certificate", junk);
	assert_string_equal(err, want);

	assert_int_equal(zc_identity_fpr_file(t->dir, fpr, err, sizeof(err)),
	    -EISDIR);
	snprintf(want, sizeof(want), "%s: certificate is not a regular file",
	    t->dir);
	assert_string_equal(err, want);
}

#endif /* HAVE_OPENSSL */

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fpr_str),
		cmocka_unit_test(test_fpr_parse),
#ifdef HAVE_OPENSSL
		cmocka_unit_test(test_fpr_der),
		cmocka_unit_test_setup_teardown(test_generate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generate_twice, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_generate_refuses, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_encrypted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fpr_file_errors, setup,
		    teardown),
#endif
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
