/*
 * guard.h: the delete guard (sets[].max_delete, zcsync push --max-delete).
 *
 * A pass that would delete more than the limit on the receiver sends
 * nothing destructive: the catch-up or one-shot push is checked as a whole
 * against the receiver's manifest before any entry goes out; live
 * deletions are counted in a rolling window.  An unmounted disk or an
 * emptied directory then stops the set instead of emptying its peers.
 */
#ifndef ZC_GUARD_H
#define ZC_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define ZC_GUARD_WINDOW_S	60	/* live: deletions in the last 60 s */

/* Live: one slot per second of the window, reused as time goes round. */
struct zc_guard {
	struct zc_config_limit	 limit;
	uint64_t		 whole;	/* receiver's entries (the base) */
	uint64_t		 sec[ZC_GUARD_WINDOW_S];	/* its second */
	uint64_t		 n[ZC_GUARD_WINDOW_S];	/* its deletions */
};

/*
 * A pass: may it delete n of the whole entries the receiver has?  0, or
 * -ENOTEMPTY with err saying why ("max_delete: this pass would delete ...").
 */
int	zc_guard_pass(const struct zc_config_limit *, uint64_t n,
	    uint64_t whole, char *err, size_t errlen);

/* Live: a fresh window; whole is what the receiver held once caught up. */
void	zc_guard_init(struct zc_guard *, const struct zc_config_limit *,
	    uint64_t whole);
/*
 * Live: one more deletion at now_ms (a monotonic clock).  0 (counted), or
 * -ENOTEMPTY with err set when it would take the deletions of the last
 * ZC_GUARD_WINDOW_S seconds over the limit (then it is not counted).
 */
int	zc_guard_live(struct zc_guard *, uint64_t now_ms, char *err,
	    size_t errlen);
/* Deletions counted in the window ending at now_ms. */
uint64_t zc_guard_recent(const struct zc_guard *, uint64_t now_ms);

/* Parse "N" or "P%" (the config's syntax) for --max-delete.  0 or -EINVAL. */
int	zc_guard_parse(const char *, struct zc_config_limit *);

#endif
