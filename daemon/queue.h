/*
 * queue.h: the changes waiting for one link (a set going to one peer),
 * coalesced by path, each ready at a time of its own (a file still being
 * written waits for its close or the settle time), and bounded: past
 * ZCD_QUEUE_MAX the queue gives up and asks for a full resync instead.
 */
#ifndef ZCD_QUEUE_H
#define ZCD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "send.h"

#define ZCD_QUEUE_MAX		(256 * 1024)	/* pending items per link */

struct zcd_qitem {
	enum zc_live_op	 op;
	char		*path;		/* owned; NULL once taken */
	char		*path2;		/* owned; RENAME's new name */
	uint64_t	 ready;		/* uv_now() from which it may go */
};

struct zcd_queue {
	struct zcd_qitem	*v;		/* owned; [head, n) live or taken */
	size_t			 head, n, cap;
	uint32_t		*slots;		/* owned; path -> index + 1 */
	size_t			 nslots;
	size_t			 pending;	/* items not yet taken */
	size_t			 renames;	/* RENAMEs among them */
	int			 overflowed;	/* gave up: resync needed */
	char			*held;		/* owned; the item last taken */
	char			*held2;
};

void	zcd_queue_init(struct zcd_queue *);
void	zcd_queue_clear(struct zcd_queue *);
/*
 * Queue op on path (ready at `ready`).  A path already waiting keeps its
 * place: PATH wins over ATTR, TREE over both, and the earlier ready time
 * stands (but an ATTR does not hurry a PATH: a file being written waits
 * for its close).  RENAME(path -> path2) moves what waits beneath path
 * after it, under its new name.
 */
void	zcd_queue_add(struct zcd_queue *, enum zc_live_op, const char *path,
	    const char *path2, uint64_t ready);
/* Take the first item ready at now: 1 and *it (valid until the next call). */
int	zcd_queue_take(struct zcd_queue *, uint64_t now, struct zc_live_item *);
/*
 * path is being sent now, as it is on disk: what waits for it is covered.
 * Drops its item (not while a RENAME waits, which may be about the same
 * name) and returns 1, or 0 when there is none to drop.
 */
int	zcd_queue_forget(struct zcd_queue *, const char *path);
/* The earliest ready time after `after` of what waits, or UINT64_MAX. */
uint64_t zcd_queue_next_ready(const struct zcd_queue *, uint64_t after);

#endif
