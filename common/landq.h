/*
 * landq.h: complete bodies committed on a thread of their own, in order.
 *
 * The receiver's loop thread reads frames and writes each body into its
 * temporary file; committing it (metadata, the check beneath the root, the
 * link or rename into place: land.c) is half of the work for a small file,
 * and runs here, on one worker thread, while the loop goes on with the next
 * body.  One worker, first in first out: files are placed in the order they
 * were queued, as when the loop committed them itself.
 *
 * The queue is bounded (ZC_LANDQ_MAX files, committed ones included until
 * taken back).  zc_landq_take() hands back committed files in order,
 * waiting for one or for all if asked to.  Nothing here logs: the caller reports.
 * The worker blocks every signal; signals stay with the loop's thread.
 */
#ifndef ZC_LANDQ_H
#define ZC_LANDQ_H

#include <stddef.h>
#include <stdint.h>

#include "land.h"

/*
 * Enough to keep the worker busy while the loop writes the next bodies,
 * few enough that the two descriptors each holds fit in what the daemon
 * keeps free for work (ZCD_FD_RESERVE).
 */
#define ZC_LANDQ_MAX	3

/* A committed file: how it went. */
struct zc_landq_done {
	uint64_t	 seq;
	uint64_t	 body;		/* bytes, for the caller's counts */
	char		*name;		/* owned by the caller now */
	int		 error;		/* 0 or -errno (then aborted) */
	int		 xattr_err;	/* zc_land_file.xattr_err */
};

struct zc_landq;

/* A queue and its worker thread.  0 or -errno. */
int	zc_landq_new(struct zc_landq **);
/*
 * Queue lf (taken: its descriptors are the queue's now, and lf is left
 * without any) for zc_land_file_commit(lf, flags); name is copied.  0, or
 * -EAGAIN when the queue is full (lf untouched): take some back first.
 */
int	zc_landq_push(struct zc_landq *, struct zc_land_file *lf, int flags,
	    uint64_t seq, uint64_t body, const char *name);
/* Files queued and not yet taken back. */
size_t	zc_landq_pending(const struct zc_landq *);
/*
 * Committed files, oldest first, into out[0..max): how many.  First waits,
 * with ZC_LANDQ_ONE until the oldest is committed, with ZC_LANDQ_ALL until
 * every queued file is.  The caller frees each name.
 */
#define ZC_LANDQ_NOWAIT	0
#define ZC_LANDQ_ONE	1
#define ZC_LANDQ_ALL	2
size_t	zc_landq_take(struct zc_landq *, struct zc_landq_done *out,
	    size_t max, int wait);
/* Waits for what is queued to be committed (and drops it), then frees. */
void	zc_landq_free(struct zc_landq *);

#endif /* ZC_LANDQ_H */
