/*
 * rate.h: a token bucket that paces what a connection sends (bwlimit).
 *
 * Pure: no loop, no clock of its own; the caller passes the time in
 * nanoseconds (uv_hrtime()).  A sender asks how much it may send now
 * (zc_rate_allow), sends at most that, then charges what left
 * (zc_rate_charge); the bucket may go into debt by one slice, and the
 * sender waits zc_rate_delay_ms() before the next slice.  One bucket may
 * be shared by several connections (all sets to one peer): it is
 * reference counted, and each connection waits on its own timer.
 */
#ifndef ZC_RATE_H
#define ZC_RATE_H

#include <stddef.h>
#include <stdint.h>

#define ZC_RATE_HZ		50		/* slices per second at most */
#define ZC_RATE_SLICE_MIN	1024		/* bytes */
#define ZC_RATE_SLICE_MAX	(4 * 1024 * 1024)

struct zc_rate;

/* A bucket for rate bytes per second (0: no limit), one reference. */
struct zc_rate	*zc_rate_new(uint64_t rate, uint64_t now_ns);
/* Another reference; zc_rate_free() drops one (NULL is fine). */
struct zc_rate	*zc_rate_ref(struct zc_rate *);
void		 zc_rate_free(struct zc_rate *);
/* Change the rate (a reload); 0 lifts the limit. */
void		 zc_rate_set(struct zc_rate *, uint64_t rate, uint64_t now_ns);
uint64_t	 zc_rate_get(const struct zc_rate *);
/* How many of want bytes may be sent now: 0 (wait) .. want. */
size_t		 zc_rate_allow(struct zc_rate *, uint64_t now_ns, size_t want);
/* n bytes left. */
void		 zc_rate_charge(struct zc_rate *, size_t n);
/* Milliseconds until a slice may be sent (0: now). */
uint64_t	 zc_rate_delay_ms(struct zc_rate *, uint64_t now_ns);

#endif
