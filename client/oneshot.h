/*
 * oneshot.h: what `zcsync push` and `zcsync pull` share: the options both
 * take, the configuration and the destination they resolve, and the
 * dry-run report, which reads the same whichever way the files would go.
 * Each command file keeps only its own options and its own session.
 */
#ifndef ZC_ONESHOT_H
#define ZC_ONESHOT_H

#include <getopt.h>
#include <stdint.h>

#include "config.h"
#include "dest.h"
#include "send.h"

#define ZC_ONESHOT_OPTS_MAX	24	/* shared and own long options */

struct zc_oneshot {
	const char		*config_file;	/* borrowed (argv); -c */
	const char		*name;		/* borrowed (argv); --name */
	int			 insecure;
	int			 no_zerocopy;
	int			 quiet;
	uint32_t		 flags;		/* ZC_PUSH_DELETE, _DRY_RUN */
	struct zc_config	*cfg;		/* owned; NULL without a file */
	struct zc_dest		 dest;		/* after zc_oneshot_setup() */

	struct option		 longopts[ZC_ONESHOT_OPTS_MAX + 1];
	char			 shortopts[2 * ZC_ONESHOT_OPTS_MAX + 1];
};

void	zc_oneshot_init(struct zc_oneshot *);
/*
 * getopt_long() over the shared options and the command's own (own ends
 * with a zero entry; own_short holds their short letters, as getopt
 * wants them).  Shared options are taken into o here; returns one of the
 * command's own option characters, 'h' for --help, '?' for a usage error,
 * or -1 at the end.
 */
int	zc_oneshot_getopt(struct zc_oneshot *, int argc, char **argv,
	    const char *own_short, const struct option *own);
/*
 * Load the configuration (-c, else the default file if it is there) and
 * resolve dest_arg (PEER/SET or HOST:PORT/SET) into o->dest.  0, or 2 with
 * the reason printed.
 */
int	zc_oneshot_setup(struct zc_oneshot *, const char *dest_arg);
void	zc_oneshot_free(struct zc_oneshot *);

/* Seconds on the monotonic clock. */
double	zc_oneshot_now(void);
/* One planned change: "ACTION PATH" on stdout (the path escaped). */
void	zc_oneshot_plan_line(const char *path, const char *action);
/* The push summary line; a dry run says what it would have done. */
void	zc_oneshot_summary(const struct zc_send_stats *, int dry_run,
	    double secs);

#endif
