/*
 * oneshot.c: what push and pull share (see oneshot.h).
 */
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "oneshot.h"

double
zc_oneshot_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

void
zc_oneshot_plan_line(const char *path, const char *action)
{
	char	name[1024];

	zc_log_name(path, name, sizeof name);
	printf("%s %s\n", action, name);
}

void
zc_oneshot_summary(const struct zc_send_stats *st, int dry_run, double secs)
{
	double	mib = (double)st->bytes / (1024.0 * 1024.0);

	printf("%s%llu files sent, %llu skipped, %llu deleted, %llu dirs, "
	    "%llu links, %llu meta, %llu failed; %llu bytes in %.3f s "
	    "(%.1f MiB/s)\n", dry_run ? "dry run: would have: " : "",
	    (unsigned long long)st->files, (unsigned long long)st->skipped,
	    (unsigned long long)st->deleted, (unsigned long long)st->dirs,
	    (unsigned long long)st->links, (unsigned long long)st->metas,
	    (unsigned long long)st->failed, (unsigned long long)st->bytes,
	    secs, secs > 0 ? mib / secs : 0.0);
}
