/*
 * filter-arg.c: a client's --exclude, --include and --exclude-from, and
 * the lists of a configured set pushed from its own directory.  Includes
 * are checked before excludes, so the order in which options and lists
 * arrive does not matter (rsync --include=X --exclude=Y).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "filter.h"
#include "filter-arg.h"

/* rsync --exclude-from: one pattern a line; blank, '#' and ';' lines skipped. */
static int
filter_arg_from(struct zc_filter *f, const char *file)
{
	FILE	*fp;
	char	 line[ZC_FILTER_PAT_MAX + 3], err[128];
	size_t	 len, lineno = 0, total = 0;
	int	 rc = 0;

	if (strcmp(file, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(file, "r")) == NULL) {
		fprintf(stderr, "zcsync: %s: %s\n", file, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		lineno++;
		len = strlen(line);
		total += len;
		if (total > ZC_FILTER_FILE_MAX ||
		    (len == sizeof line - 1 && line[len - 1] != '\n')) {
			fprintf(stderr, "zcsync: %s:%zu: %s\n", file, lineno,
			    total > ZC_FILTER_FILE_MAX ? "file too large" :
			    "line too long");
			rc = -1;
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (zc_filter_add(f, ZC_FILTER_EXCLUDE, line, err,
		    sizeof err) != 0) {
			fprintf(stderr, "zcsync: %s:%zu: %s\n", file, lineno,
			    err);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		fprintf(stderr, "zcsync: %s: read error\n", file);
		rc = -1;
	}
	if (fp != stdin)
		fclose(fp);
	return (rc);
}

int
zc_filter_arg_add(struct zc_filter *f, int opt, const char *arg)
{
	char	err[128];

	if (opt == ZC_FILTER_ARG_EXCLUDE_FROM)
		return (filter_arg_from(f, arg));
	if (zc_filter_add(f, opt == ZC_FILTER_ARG_INCLUDE ? ZC_FILTER_INCLUDE :
	    ZC_FILTER_EXCLUDE, arg, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: --%s %s: %s\n",
		    opt == ZC_FILTER_ARG_INCLUDE ? "include" : "exclude", arg,
		    err);
		return (-1);
	}
	return (0);
}

int
zc_filter_arg_config(struct zc_filter *f, const struct zc_config *cfg,
    const char *dir)
{
	const struct zc_config_set	*set;
	struct stat			 st, sst;
	char				 err[128];
	size_t				 i, j;

	if (cfg == NULL || stat(dir, &st) == -1)
		return (0);
	for (i = 0; i < cfg->nsets; i++) {
		set = &cfg->sets[i];
		/* The same directory, however it is spelled. */
		if (stat(set->path, &sst) == -1 || sst.st_dev != st.st_dev ||
		    sst.st_ino != st.st_ino)
			continue;
		for (j = 0; j < set->ninclude; j++) {
			if (zc_filter_add(f, ZC_FILTER_INCLUDE,
			    set->include[j], err, sizeof err) != 0)
				goto bad;
		}
		for (j = 0; j < set->nexclude; j++) {
			if (zc_filter_add(f, ZC_FILTER_EXCLUDE,
			    set->exclude[j], err, sizeof err) != 0)
				goto bad;
		}
		break;
	}
	return (0);
bad:
	fprintf(stderr, "zcsync: set %s: %s\n", set->name, err);
	return (-1);
}
