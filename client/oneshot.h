/*
 * oneshot.h: what `zcsync push` and `zcsync pull` share: the dry-run
 * report, which reads the same whichever way the files would go.
 */
#ifndef ZC_ONESHOT_H
#define ZC_ONESHOT_H

#include "send.h"

/* Seconds on the monotonic clock. */
double	zc_oneshot_now(void);
/* One planned change: "ACTION PATH" on stdout (the path escaped). */
void	zc_oneshot_plan_line(const char *path, const char *action);
/* The push summary line; a dry run says what it would have done. */
void	zc_oneshot_summary(const struct zc_send_stats *, int dry_run,
	    double secs);

#endif
