/*
 * oneshot.c: what push and pull share (see oneshot.h).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "oneshot.h"
#include "proto.h"

/*
 * Long-only options take values above any character, in 0x100..0x1ff;
 * a command's own long-only options use 0x200 and up (filter-arg.h).
 */
enum {
	ONESHOT_DELETE = 0x100,
	ONESHOT_NAME,
	ONESHOT_INSECURE,
	ONESHOT_NO_ZEROCOPY,
};

static const struct option oneshot_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "delete", no_argument, NULL, ONESHOT_DELETE },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "name", required_argument, NULL, ONESHOT_NAME },
	{ "insecure", no_argument, NULL, ONESHOT_INSECURE },
	{ "no-zero-copy", no_argument, NULL, ONESHOT_NO_ZEROCOPY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};
#define ONESHOT_SHORTOPTS	"c:nqh"

/* Nothing given yet: no config, no destination. */
void
zc_oneshot_init(struct zc_oneshot *o)
{
	memset(o, 0, sizeof *o);
}

/* The shared options, then the command's own, once. */
static void
oneshot_build(struct zc_oneshot *o, const char *own_short,
    const struct option *own)
{
	size_t	n = 0, i;
	int	len;

	for (i = 0; oneshot_longopts[i].name != NULL; i++)
		o->longopts[n++] = oneshot_longopts[i];
	for (i = 0; own != NULL && own[i].name != NULL; i++) {
		assert(n < ZC_ONESHOT_OPTS_MAX);	/* ours, not input */
		o->longopts[n++] = own[i];
	}
	memset(&o->longopts[n], 0, sizeof o->longopts[n]);
	len = snprintf(o->shortopts, sizeof o->shortopts, "%s%s",
	    ONESHOT_SHORTOPTS, own_short);
	assert(len > 0 && (size_t)len < sizeof o->shortopts);
	(void)len;
}

/* Shared options here, the command's own back to it (oneshot.h). */
int
zc_oneshot_getopt(struct zc_oneshot *o, int argc, char **argv,
    const char *own_short, const struct option *own)
{
	int	ch;

	if (o->longopts[0].name == NULL)
		oneshot_build(o, own_short, own);
	while ((ch = getopt_long(argc, argv, o->shortopts, o->longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_file = optarg;
			break;
		case ONESHOT_DELETE:
			o->flags |= ZC_PUSH_DELETE;
			break;
		case 'n':
			o->flags |= ZC_PUSH_DRY_RUN;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case ONESHOT_NAME:
			o->name = optarg;
			break;
		case ONESHOT_INSECURE:
			o->insecure = 1;
			break;
		case ONESHOT_NO_ZEROCOPY:
			o->no_zerocopy = 1;
			break;
		default:
			return (ch);	/* the command's own, 'h' or '?' */
		}
	}
	return (-1);
}

/* The configuration, then the destination: 0, or 2 with a message. */
int
zc_oneshot_setup(struct zc_oneshot *o, const char *dest_arg)
{
	char	err[1024];

	if (o->config_file == NULL && access(ZC_CONFIG_DEFAULT_FILE, R_OK) == 0)
		o->config_file = ZC_CONFIG_DEFAULT_FILE;
	if (o->config_file != NULL &&
	    zc_config_load(o->config_file, &o->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s\n", err);
		return (2);
	}
	return (zc_dest_resolve(dest_arg, o->cfg, o->name, o->insecure,
	    &o->dest));
}

/* What setup loaded and resolved; the struct itself is the caller's. */
void
zc_oneshot_free(struct zc_oneshot *o)
{
	zc_dest_free(&o->dest);
	zc_config_free(o->cfg);
	o->cfg = NULL;
}

/* Seconds on the monotonic clock, for the summary's rate. */
double
zc_oneshot_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* "ACTION PATH", the path escaped as log lines escape it. */
void
zc_oneshot_plan_line(const char *path, const char *action)
{
	char	name[1024];

	zc_log_name(path, name, sizeof name);
	printf("%s %s\n", action, name);
}

/* The summary line push prints; a dry run's says "would have". */
void
zc_oneshot_summary(const struct zc_send_stats *st, int dry_run, double secs)
{
	double	mib = (double)st->bytes / (1024.0 * 1024.0);
	char	extra[96] = "";
	size_t	n = 0;

	/*
	 * HARDLINK, SPECIAL: said only when some were made, so the line
	 * stays as it was otherwise.
	 */
	if (st->hardlinks != 0)
		n += (size_t)snprintf(extra, sizeof extra, "%llu hardlinks, ",
		    (unsigned long long)st->hardlinks);
	if (st->specials != 0 && n < sizeof extra)
		snprintf(extra + n, sizeof extra - n, "%llu specials, ",
		    (unsigned long long)st->specials);
	printf("%s%llu files sent, %llu skipped, %llu deleted, %llu dirs, "
	    "%llu links, %s%llu meta, %llu failed; %llu bytes in %.3f s "
	    "(%.1f MiB/s)\n", dry_run ? "dry run: would have: " : "",
	    (unsigned long long)st->files, (unsigned long long)st->skipped,
	    (unsigned long long)st->deleted, (unsigned long long)st->dirs,
	    (unsigned long long)st->links, extra, (unsigned long long)st->metas,
	    (unsigned long long)st->failed, (unsigned long long)st->bytes,
	    secs, secs > 0 ? mib / secs : 0.0);
}
