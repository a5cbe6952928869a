/*
 * guard.c: the delete guard (see guard.h).  Pure: no I/O, no clock of its
 * own; the sender gives it counts and uv_now().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"

/* "" for a count, " (10% of 200 entries)" for a percentage. */
static void
guard_limit_str(const struct zc_config_limit *l, uint64_t whole, char *buf,
    size_t len)
{
	if (l->percent)
		snprintf(buf, len, " (%llu%% of %llu)",
		    (unsigned long long)l->value, (unsigned long long)whole);
	else
		buf[0] = '\0';
}

int
zc_guard_pass(const struct zc_config_limit *l, uint64_t n, uint64_t whole,
    char *err, size_t errlen)
{
	uint64_t	max = zc_config_limit_of(l, whole);
	char		how[64];

	if (n <= max)
		return (0);
	guard_limit_str(l, whole, how, sizeof how);
	snprintf(err, errlen, "max_delete: this pass would delete %llu of %llu "
	    "entries, more than the limit %llu%s", (unsigned long long)n,
	    (unsigned long long)whole, (unsigned long long)max, how);
	return (-ENOTEMPTY);
}

void
zc_guard_init(struct zc_guard *g, const struct zc_config_limit *l,
    uint64_t whole)
{
	memset(g, 0, sizeof *g);
	g->limit = *l;
	g->whole = whole;
}

uint64_t
zc_guard_recent(const struct zc_guard *g, uint64_t now_ms)
{
	uint64_t	now = now_ms / 1000, total = 0;
	size_t		i;

	for (i = 0; i < ZC_GUARD_WINDOW_S; i++)
		if (g->n[i] != 0 && g->sec[i] + ZC_GUARD_WINDOW_S > now)
			total += g->n[i];
	return (total);
}

int
zc_guard_live(struct zc_guard *g, uint64_t now_ms, char *err, size_t errlen)
{
	uint64_t	now = now_ms / 1000, recent, max;
	size_t		slot = now % ZC_GUARD_WINDOW_S;
	char		how[64];

	if (!g->limit.set)
		return (0);
	recent = zc_guard_recent(g, now_ms);
	max = zc_config_limit_of(&g->limit, g->whole);
	if (recent + 1 > max) {
		guard_limit_str(&g->limit, g->whole, how, sizeof how);
		snprintf(err, errlen, "max_delete: %llu deletions within %d s, "
		    "more than the limit %llu%s",
		    (unsigned long long)recent + 1, ZC_GUARD_WINDOW_S,
		    (unsigned long long)max, how);
		return (-ENOTEMPTY);
	}
	if (g->sec[slot] != now) {
		g->sec[slot] = now;
		g->n[slot] = 0;
	}
	g->n[slot]++;
	return (0);
}

int
zc_guard_parse(const char *s, struct zc_config_limit *l)
{
	unsigned long long	 n;
	char			*end;

	memset(l, 0, sizeof *l);
	if (*s < '0' || *s > '9')
		return (-EINVAL);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || n > (1ULL << 40))
		return (-EINVAL);
	if (*end == '%') {
		if (end[1] != '\0' || n > 100)
			return (-EINVAL);
		l->percent = 1;
	} else if (*end != '\0')
		return (-EINVAL);
	l->value = n;
	l->set = 1;
	return (0);
}
