/* filter-arg.h: a client's --exclude, --include and --exclude-from. */
#ifndef ZC_FILTER_ARG_H
#define ZC_FILTER_ARG_H

#define ZC_FILTER_ARG_EXCLUDE		0x200	/* getopt_long() values, above oneshot.c's */
#define ZC_FILTER_ARG_INCLUDE		0x201
#define ZC_FILTER_ARG_EXCLUDE_FROM	0x202

#define ZC_FILTER_ARG_OPTIONS						\
	{ "exclude", required_argument, NULL, ZC_FILTER_ARG_EXCLUDE },	\
	{ "include", required_argument, NULL, ZC_FILTER_ARG_INCLUDE },	\
	{ "exclude-from", required_argument, NULL,			\
	    ZC_FILTER_ARG_EXCLUDE_FROM }

#define ZC_FILTER_ARG_USAGE						\
	"      --exclude PAT   leave out what PAT matches (rsync rules; "	\
	"repeatable)\n"							\
	"      --include PAT   keep what PAT matches, checked before "	\
	"excludes\n"							\
	"      --exclude-from FILE  exclude patterns, one a line\n"

struct zc_config;
struct zc_filter;

/* One option (opt: ZC_FILTER_ARG_*) into *f.  0, or -1 after saying why. */
int	zc_filter_arg_add(struct zc_filter *f, int opt, const char *arg);
/*
 * The lists of the configured set whose path is dir (if any) into f.
 * 0, or -1 after saying why.
 */
int	zc_filter_arg_config(struct zc_filter *f, const struct zc_config *cfg,
	    const char *dir);

#endif
