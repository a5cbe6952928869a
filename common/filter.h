/*
 * filter.h: which paths of a tree a sender leaves out.  rsync's exclude
 * and include rules: a set's include list, then its exclude list, and the
 * rules of per-directory .zcsyncignore files before both (the closest
 * directory first); the first rule that matches decides.  A path no rule
 * matches is included.  Filtering is the sender's business alone: nothing
 * of it is on the wire.
 */
#ifndef ZC_FILTER_H
#define ZC_FILTER_H

#include <stddef.h>

#define ZC_FILTER_FILE		".zcsyncignore"
#define ZC_FILTER_PAT_MAX	1024		/* bytes in one pattern */
#define ZC_FILTER_RULES_MAX	4096		/* rules in one list or file */
#define ZC_FILTER_FILE_MAX	(256 * 1024)	/* bytes of a .zcsyncignore */
#define ZC_FILTER_DIRS_MAX	65536		/* .zcsyncignore files known */

#define ZC_FILTER_EXCLUDE	0
#define ZC_FILTER_INCLUDE	1

struct zc_filter;

struct zc_filter *zc_filter_new(void);
/* A new filter with f's set rules and none of its per-directory ones. */
struct zc_filter *zc_filter_copy(const struct zc_filter *f);
void	zc_filter_free(struct zc_filter *);

/* 1 if f has no rules at all: no set rules, no .zcsyncignore read. */
int	zc_filter_empty(const struct zc_filter *);

/*
 * Append one set rule (ZC_FILTER_INCLUDE or ZC_FILTER_EXCLUDE; includes
 * are checked before excludes whatever the order of the calls).  0, or
 * -EINVAL with err saying why.
 */
int	zc_filter_add(struct zc_filter *, int kind, const char *pattern,
	    char *err, size_t errlen);
/* A filter from a set's lists: 0 and *out, or -EINVAL with err set. */
int	zc_filter_from_lists(char *const *include, size_t ninclude,
	    char *const *exclude, size_t nexclude, struct zc_filter **out,
	    char *err, size_t errlen);

/*
 * Read the .zcsyncignore of the directory dfd, found at dir (relative to
 * the set root, "" for the root), replacing what was known of it; no file
 * forgets it.  Unreadable files and bad lines are logged and skipped.
 * 0, or -E2BIG past ZC_FILTER_DIRS_MAX files.
 */
int	zc_filter_load_dir(struct zc_filter *, int dfd, const char *dir);
/* The same for the directory dir beneath root_fd. */
int	zc_filter_load_path(struct zc_filter *, int root_fd, const char *dir);

/*
 * Is path (relative to the set root) excluded, its parent directories
 * being included?  What a tree walk asks of each name.
 */
int	zc_filter_match(const struct zc_filter *, const char *path, int isdir);
/*
 * Is path excluded, or beneath an excluded directory?  What is asked of a
 * single path: a live event, or a receiver's entry that may be deleted.
 */
int	zc_filter_excluded(const struct zc_filter *, const char *path,
	    int isdir);

#endif
