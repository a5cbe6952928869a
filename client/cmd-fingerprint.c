/*
 * cmd-fingerprint.c: "zcsync fingerprint CERT": the pin of a certificate,
 * "sha256:" and 64 lowercase hex digits, as peers list it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "identity.h"

static int
cmd_fingerprint_exec(int argc, char **argv)
{
	char	err[1024], s[ZC_FPR_STRLEN];
	uint8_t	fpr[ZC_FPR_LEN];

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		printf("usage: zcsync fingerprint %s\n",
		    zc_cmd_fingerprint_entry.usage);
		return (0);
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: zcsync fingerprint %s\n",
		    zc_cmd_fingerprint_entry.usage);
		return (2);
	}
	if (zc_identity_fpr_file(argv[1], fpr, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s\n", err);
		return (1);
	}
	zc_identity_fpr_str(fpr, s, sizeof s);
	printf("%s\n", s);
	return (0);
}

const struct zc_cmd_entry zc_cmd_fingerprint_entry = {
	.name = "fingerprint",
	.usage = "CERT",
	.summary = "print the pin (SHA-256) of a PEM certificate",
	.exec = cmd_fingerprint_exec,
};
