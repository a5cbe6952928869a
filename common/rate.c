/*
 * rate.c: the token bucket behind bwlimit (see rate.h).
 *
 * Tokens are bytes, refilled at rate per second and capped at one slice
 * (rate / ZC_RATE_HZ), so a connection idle for a while may send one
 * slice at once and is then paced: over any second it sends at most rate
 * plus one slice.  Sending is allowed while the bucket is positive and
 * charged afterwards, so a short write costs only what left; the debt is
 * at most one slice, which the next delay pays back.
 */
#include <stdlib.h>

#include "rate.h"
#include "xmalloc.h"

struct zc_rate {
	uint64_t	rate;		/* bytes per second; 0: no limit */
	double		tokens;		/* may be negative: a debt */
	uint64_t	last_ns;	/* of the last refill */
	int		refs;
};

static size_t
rate_slice(const struct zc_rate *r)
{
	uint64_t	s = r->rate / ZC_RATE_HZ;

	if (s < ZC_RATE_SLICE_MIN)
		s = ZC_RATE_SLICE_MIN;
	if (s > ZC_RATE_SLICE_MAX)
		s = ZC_RATE_SLICE_MAX;
	return ((size_t)s);
}

static void
rate_refill(struct zc_rate *r, uint64_t now_ns)
{
	double	cap = (double)rate_slice(r);

	if (now_ns > r->last_ns) {
		r->tokens += (double)(now_ns - r->last_ns) * (double)r->rate /
		    1e9;
		r->last_ns = now_ns;
	}
	if (r->tokens > cap)
		r->tokens = cap;
}

struct zc_rate *
zc_rate_new(uint64_t rate, uint64_t now_ns)
{
	struct zc_rate	*r;

	r = xcalloc(1, sizeof *r);
	r->refs = 1;
	zc_rate_set(r, rate, now_ns);
	return (r);
}

struct zc_rate *
zc_rate_ref(struct zc_rate *r)
{
	if (r != NULL)
		r->refs++;
	return (r);
}

void
zc_rate_free(struct zc_rate *r)
{
	if (r != NULL && --r->refs == 0)
		free(r);
}

void
zc_rate_set(struct zc_rate *r, uint64_t rate, uint64_t now_ns)
{
	if (rate == r->rate && r->last_ns != 0)
		return;
	r->rate = rate;
	r->last_ns = now_ns;
	r->tokens = (double)rate_slice(r);	/* a fresh start: one slice */
}

uint64_t
zc_rate_get(const struct zc_rate *r)
{
	return (r->rate);
}

size_t
zc_rate_allow(struct zc_rate *r, uint64_t now_ns, size_t want)
{
	size_t	slice;

	if (r->rate == 0)
		return (want);
	rate_refill(r, now_ns);
	if (r->tokens <= 0)
		return (0);
	slice = rate_slice(r);
	return (want < slice ? want : slice);
}

void
zc_rate_charge(struct zc_rate *r, size_t n)
{
	if (r->rate != 0)
		r->tokens -= (double)n;
}

uint64_t
zc_rate_delay_ms(struct zc_rate *r, uint64_t now_ns)
{
	double	ms;

	if (r->rate == 0)
		return (0);
	rate_refill(r, now_ns);
	if (r->tokens > 0)
		return (0);
	/* Until the bucket is positive again (at least 1 ms). */
	ms = (-r->tokens + 1) * 1000.0 / (double)r->rate;
	return (ms < 1 ? 1 : (uint64_t)ms + 1);
}
