/*
 * bwlimit.c: peers[].bwlimit, one token bucket per peer (common/rate.c),
 * shared by every connection that sends to that peer: each set's live link
 * and each pull it is served.  Connections hold a reference, so a bucket
 * outlives a reload that drops its peer; a reload changes the rate of the
 * buckets in place (0 when the peer or its limit is gone).  The list grows
 * only with configured peer names that were used, so it is bounded by the
 * configurations loaded.
 */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "log.h"
#include "rate.h"
#include "xmalloc.h"
#include "zcsyncd.h"

struct zcd_bwlimit {
	char			*peer;		/* owned */
	struct zc_rate		*rate;		/* owned reference */
	struct zcd_bwlimit	*next;
};

/*
 * The bucket pacing what we send to peer (borrowed), or NULL for a name
 * that is not a configured peer.  Every configured peer gets one, a limit
 * of 0 included (it then allows everything), so that a reload that sets a
 * limit applies to the connections already open.
 */
struct zc_rate *
zcd_bwlimit_rate(struct zcd *zcd, const char *peer)
{
	const struct zc_config_peer	*p;
	struct zcd_bwlimit		*b;

	for (b = zcd->bwlimits; b != NULL; b = b->next)
		if (strcmp(b->peer, peer) == 0)
			return (b->rate);
	if ((p = zc_config_peer(zcd->cfg, peer)) == NULL)
		return (NULL);
	b = xcalloc(1, sizeof *b);
	b->peer = xstrdup(peer);
	b->rate = zc_rate_new(p->bwlimit, uv_hrtime());
	b->next = zcd->bwlimits;
	zcd->bwlimits = b;
	if (p->bwlimit > 0)
		zc_log_info("peer=%s: sending at most %llu bytes/s", peer,
		    (unsigned long long)p->bwlimit);
	return (b->rate);
}

/* After a reload: every bucket takes its peer's new limit. */
void
zcd_bwlimit_reload(struct zcd *zcd)
{
	const struct zc_config_peer	*p;
	struct zcd_bwlimit		*b;
	uint64_t			 rate;

	for (b = zcd->bwlimits; b != NULL; b = b->next) {
		p = zc_config_peer(zcd->cfg, b->peer);
		rate = p != NULL ? p->bwlimit : 0;
		if (rate != zc_rate_get(b->rate))
			zc_log_info("peer=%s: bwlimit now %llu bytes/s%s",
			    b->peer, (unsigned long long)rate,
			    rate == 0 ? " (none)" : "");
		zc_rate_set(b->rate, rate, uv_hrtime());
	}
}

void
zcd_bwlimit_free(struct zcd *zcd)
{
	struct zcd_bwlimit	*b, *next;

	for (b = zcd->bwlimits; b != NULL; b = next) {
		next = b->next;
		zc_rate_free(b->rate);
		free(b->peer);
		free(b);
	}
	zcd->bwlimits = NULL;
}
