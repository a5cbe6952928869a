/*
 * cmd-keygen.c: "zcsync keygen -o DIR": a new identity for this node, a
 * self-signed certificate and its Ed25519 key (identity.c), and the
 * configuration lines that use it, here and on the peers.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "identity.h"

#define KEYGEN_NAME_MAX	64	/* as node.name */

static void
keygen_usage(FILE *f)
{
	fprintf(f, "usage: zcsync keygen %s\n"
	    "  -o, --output DIR    write DIR/cert.pem and DIR/key.pem\n"
	    "                      (DIR is made, mode 0700, if missing)\n"
	    "      --name NAME     the certificate's CN (default: node.name\n"
	    "                      from -c, else the host name)\n"
	    "  -c, --config FILE   configuration to take node.name from\n",
	    zc_cmd_keygen_entry.usage);
}

/* The short host name, cut down to a valid node name. */
static void
keygen_default_name(char *out, size_t outlen)
{
	char	host[256], *p;
	size_t	n = 0;

	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	if ((p = strchr(host, '.')) != NULL)
		*p = '\0';
	for (p = host; *p != '\0' && n + 1 < outlen && n < KEYGEN_NAME_MAX;
	    p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.')
			out[n++] = *p;
	}
	if (n == 0)
		n = (size_t)snprintf(out, outlen, "zcsync");
	out[n] = '\0';
}

static int
cmd_keygen_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'N' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct zc_config	*cfg = NULL;
	const char		*dir = NULL, *name = NULL, *file = NULL;
	char			 err[1024], defname[KEYGEN_NAME_MAX + 1];
	char			 fprs[ZC_FPR_STRLEN], abs[PATH_MAX];
	uint8_t			 fpr[ZC_FPR_LEN];
	int			 ch, made = 0, rc = 1;

	while ((ch = getopt_long(argc, argv, "o:c:h", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o':
			dir = optarg;
			break;
		case 'N':
			name = optarg;
			break;
		case 'c':
			file = optarg;
			break;
		case 'h':
			keygen_usage(stdout);
			return (0);
		default:
			keygen_usage(stderr);
			return (2);
		}
	}
	if (dir == NULL || optind != argc) {
		keygen_usage(stderr);
		return (2);
	}
	if (name == NULL && file != NULL) {
		if (zc_config_load(file, &cfg, err, sizeof err) != 0) {
			fprintf(stderr, "zcsync: %s\n", err);
			fprintf(stderr, "zcsync: give --name NAME to make an "
			    "identity without the configuration\n");
			return (2);
		}
		name = cfg->node.name;
	}
	if (name == NULL) {
		keygen_default_name(defname, sizeof defname);
		name = defname;
	}

	if (mkdir(dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST) {
		fprintf(stderr, "zcsync: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	if (zc_identity_generate(dir, name, fpr, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s\n", err);
		if (made)
			rmdir(dir);
		goto out;
	}
	if (realpath(dir, abs) == NULL)
		snprintf(abs, sizeof abs, "%s", dir);
	zc_identity_fpr_str(fpr, fprs, sizeof fprs);

	printf("fingerprint: %s\n", fprs);
	printf("\nWrote %s/cert.pem (CN=%s, mode 0644) and %s/key.pem "
	    "(mode 0600).\n", abs, name, abs);
	printf("\nThis node's configuration (node %s):\n"
	    "  node:\n"
	    "    identity:\n"
	    "      cert: %s/cert.pem\n"
	    "      key: %s/key.pem\n", name, abs, abs);
	printf("\nEach peer's configuration, in its entry for %s:\n"
	    "  peers:\n"
	    "    - name: %s\n"
	    "      fingerprint: %s\n", name, name, fprs);
	printf("\nWhile replacing an older identity, list both pins there "
	    "until every node has the new one:\n"
	    "      fingerprint: [OLD-PIN, %s]\n", fprs);
	rc = 0;

out:
	zc_config_free(cfg);
	return (rc);
}

const struct zc_cmd_entry zc_cmd_keygen_entry = {
	.name = "keygen",
	.usage = "-o DIR [--name NAME] [-c FILE]",
	.summary = "make this node's TLS identity and print its fingerprint",
	.exec = cmd_keygen_exec,
};
