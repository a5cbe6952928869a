/*
 * cmd-check-config.c: "zcsync check-config": the daemon's own loader, so
 * what passes here starts there (sshd -t).  With --systemd it prints the
 * drop-in that zcsyncd.service (or zcsyncd@NAME.service) needs for this
 * config: the unit makes the whole file system read-only
 * (ProtectSystem=strict) and hides /home and /tmp, so the paths the daemon
 * writes, and any it reads from hidden places, must be listed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "compat.h"
#include "config.h"
#include "xmalloc.h"

/* Where the units keep configs: zcsyncd.service reads CC_UNIT_CONFIG. */
#define CC_UNIT_CONFDIR		"/etc/zcsync"
#define CC_UNIT_CONFIG		"/etc/zcsync/zcsync.yaml"
#define CC_UNIT_RUNDIR		"/run/zcsync"	/* RuntimeDirectory=zcsync */

/* Which unit runs a config, and its runtime directory. */
struct cc_unit {
	char	 name[128];	/* zcsyncd.service or zcsyncd@NAME.service */
	char	 rundir[128];	/* /run/zcsync or /run/zcsync/NAME */
	int	 elsewhere;	/* the file is not where the units look */
};

/* Where ProtectHome=yes and PrivateTmp=yes hide the host's files. */
static const char *const cc_home_dirs[] = { "/home", "/root", "/run/user" };
static const char *const cc_tmp_dirs[] = { "/tmp", "/var/tmp" };

/* 1 if path is dir or lies beneath it. */
static int
cc_under(const char *path, const char *dir)
{
	size_t	len = strlen(dir);

	return (strncmp(path, dir, len) == 0 &&
	    (path[len] == '\0' || path[len] == '/'));
}

static int
cc_under_any(const char *path, const char *const *dirs, size_t ndirs)
{
	size_t	i;

	for (i = 0; i < ndirs; i++) {
		if (cc_under(path, dirs[i]))
			return (1);
	}
	return (0);
}

/*
 * The unit for file: /etc/zcsync/zcsync.yaml is zcsyncd.service's,
 * /etc/zcsync/NAME.yaml is zcsyncd@NAME.service's.  Anything else is
 * reported as zcsyncd.service, with a note.
 */
static void
cc_unit_of(const char *file, struct cc_unit *u)
{
	const char	*base;
	size_t		 len, i;

	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "zcsyncd.service");
	snprintf(u->rundir, sizeof u->rundir, "%s", CC_UNIT_RUNDIR);
	if (strcmp(file, CC_UNIT_CONFIG) == 0)
		return;
	u->elsewhere = 1;
	if (strncmp(file, CC_UNIT_CONFDIR "/", sizeof CC_UNIT_CONFDIR) != 0)
		return;
	base = file + sizeof CC_UNIT_CONFDIR;
	len = strlen(base);
	if (len <= 5 || len > 64 || strcmp(base + len - 5, ".yaml") != 0)
		return;
	for (i = 0; i < len - 5; i++) {
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._", base[i]) == NULL)
			return;
	}
	u->elsewhere = 0;
	snprintf(u->name, sizeof u->name, "zcsyncd@%.*s.service",
	    (int)(len - 5), base);
	snprintf(u->rundir, sizeof u->rundir, "%s/%.*s", CC_UNIT_RUNDIR,
	    (int)(len - 5), base);
}

/*
 * Print "key=[-]path" as a unit file needs it: "%" is a specifier there
 * ("%%"), white space and quotes need double quotes and backslashes, and
 * in BindPaths= a ":" separates fields ("\:").  A "-" prefix makes systemd
 * skip a path that does not exist, so that zcsyncd itself says what is
 * missing.  Control characters cannot be written: -1.
 */
static int
cc_print_path(const char *key, const char *path, int bind)
{
	const unsigned char	*p;
	int			 quote = 0;

	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return (-1);
		if (strchr(" \"'\\;", *p) != NULL || *p >= 0x80)
			quote = 1;
	}
	printf("%s=%s-", key, quote ? "\"" : "");
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p == '%')
			fputs("%%", stdout);
		else if (*p == '\\' || *p == '"' || (bind && *p == ':'))
			printf("\\%c", *p);
		else
			putchar(*p);
	}
	printf("%s\n", quote ? "\"" : "");
	return (0);
}

/*
 * One path the daemon uses: written (rw) or only read.  Under /home and
 * friends it must be bound into the empty tmpfs of ProtectHome=tmpfs;
 * elsewhere a written path is made writable and a read one is readable
 * as it is.  0, or -1 if the path cannot be written into a unit file.
 */
static int
cc_print_item(const char *what, const char *path, int rw)
{
	int	r;

	printf("# %s\n", what);
	if (cc_under_any(path, cc_home_dirs, nitems(cc_home_dirs)))
		r = cc_print_path(rw ? "BindPaths" : "BindReadOnlyPaths",
		    path, 1);
	else if (rw)
		r = cc_print_path("ReadWritePaths", path, 0);
	else {
		printf("#   %s: read only, readable as it is\n", path);
		r = 0;
	}
	if (r != 0) {
		printf("#   has control characters: add it by hand\n");
		fprintf(stderr, "zcsync: %s: a unit file cannot name this path; "
		    "add it to the drop-in by hand\n", what);
	}
	return (r);
}

/* Print the drop-in for cfg (loaded from file); 0, or 1 if incomplete. */
static int
cc_print_systemd(const char *file, const struct zc_config *cfg)
{
	const struct zc_config_set	*s;
	struct cc_unit			 u;
	char				 what[512], *dir, *slash;
	size_t				 i;
	int				 home = 0, tmp = 0, rc = 0;

	cc_unit_of(file, &u);
	for (i = 0; i < cfg->nsets; i++) {
		home |= cc_under_any(cfg->sets[i].path, cc_home_dirs,
		    nitems(cc_home_dirs));
		tmp |= cc_under_any(cfg->sets[i].path, cc_tmp_dirs,
		    nitems(cc_tmp_dirs));
	}
	if (cfg->node.control != NULL) {
		home |= cc_under_any(cfg->node.control, cc_home_dirs,
		    nitems(cc_home_dirs));
		tmp |= cc_under_any(cfg->node.control, cc_tmp_dirs,
		    nitems(cc_tmp_dirs));
	}
	if (cfg->node.cert != NULL)
		home |= cc_under_any(cfg->node.cert, cc_home_dirs,
		    nitems(cc_home_dirs));
	if (cfg->node.key != NULL)
		home |= cc_under_any(cfg->node.key, cc_home_dirs,
		    nitems(cc_home_dirs));

	printf("# Drop-in for %s, for %s\n", u.name, file);
	printf("# (made by zcsync check-config --systemd).  Install it as\n");
	printf("#   /etc/systemd/system/%s.d/paths.conf\n", u.name);
	printf("# then: systemctl daemon-reload && systemctl restart %s\n",
	    u.name);
	if (u.elsewhere)
		printf("# Note: zcsyncd.service reads %s and zcsyncd@NAME.service"
		    "\n# %s/NAME.yaml; this file is neither.\n",
		    CC_UNIT_CONFIG, CC_UNIT_CONFDIR);
	printf("[Service]\n");
	if (home)
		printf("# A path below lies under /home, /root or /run/user, "
		    "which ProtectHome=yes\n# hides: an empty /home instead, "
		    "with those paths bound into it.\nProtectHome=tmpfs\n");
	if (tmp)
		printf("# A path below lies under /tmp or /var/tmp, which "
		    "PrivateTmp=yes replaces.\nPrivateTmp=no\n");

	for (i = 0; i < cfg->nsets; i++) {
		s = &cfg->sets[i];
		if (s->naccept_from > 0) {
			snprintf(what, sizeof what, "set %s: received from "
			    "%zu peer%s", s->name, s->naccept_from,
			    s->naccept_from == 1 ? "" : "s");
			rc |= cc_print_item(what, s->path, 1);
		} else {
			snprintf(what, sizeof what, "set %s: sent to %zu "
			    "peer%s", s->name, s->npush_to,
			    s->npush_to == 1 ? "" : "s");
			rc |= cc_print_item(what, s->path, 0);
		}
	}

	if (cfg->node.control != NULL) {
		dir = xstrdup(cfg->node.control);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		snprintf(what, sizeof what, "node.control: the control socket "
		    "%s", cfg->node.control);
		if (cc_under(dir, u.rundir))
			printf("# %s\n#   in %s, the unit's RuntimeDirectory=: "
			    "writable as it is\n", what, u.rundir);
		else if (strcmp(dir, "/") == 0 || strcmp(dir, "/run") == 0 ||
		    strcmp(dir, "/tmp") == 0 || strcmp(dir, "/var/tmp") == 0) {
			printf("# %s\n#   not making %s writable: put the "
			    "socket in %s/\n", what, dir, u.rundir);
			fprintf(stderr, "zcsync: node.control: %s: put the "
			    "socket in %s/, the unit's RuntimeDirectory=\n",
			    cfg->node.control, u.rundir);
			rc = -1;
		} else
			rc |= cc_print_item(what, dir, 1);
		free(dir);
	}

	if (cfg->node.cert != NULL)
		rc |= cc_print_item("node.identity.cert", cfg->node.cert, 0);
	if (cfg->node.key != NULL)
		rc |= cc_print_item("node.identity.key (the user zcsync must "
		    "be able to read it)", cfg->node.key, 0);
	return (rc != 0 ? 1 : 0);
}

static int
cmd_check_config_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "systemd", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct zc_config	*cfg;
	const char		*file = ZC_CONFIG_DEFAULT_FILE;
	char			 err[1024];
	int			 ch, systemd = 0, rc;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'S':
			systemd = 1;
			break;
		default:
			fprintf(stderr, "usage: zcsync check-config %s\n",
			    zc_cmd_check_config_entry.usage);
			return (2);
		}
	}
	if (optind < argc)
		file = argv[optind];
	if (zc_config_load(file, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return (1);
	}
	if (systemd)
		rc = cc_print_systemd(file, cfg);
	else {
		printf("%s: ok (node %s, %zu peers, %zu sets)\n", file,
		    cfg->node.name, cfg->npeers, cfg->nsets);
		rc = 0;
	}
	zc_config_free(cfg);
	return (rc);
}

const struct zc_cmd_entry zc_cmd_check_config_entry = {
	.name = "check-config",
	.usage = "[--systemd] [-c FILE | FILE]",
	.summary = "check a configuration file (exit 0 or 1); --systemd: "
	    "print the unit drop-in it needs",
	.exec = cmd_check_config_exec,
};
