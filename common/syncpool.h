/*
 * syncpool.h: a few threads that fsync descriptors together, so that their
 * cache flushes merge in the block layer (land.c's group commit).
 *
 * Its owner (a receiver) keeps one for its lifetime: threads are started
 * by the first round that wants them (a round of n descriptors wants up to
 * n - 1 beside its caller, at most ZC_SYNCPOOL_THREADS - 1), wait between
 * rounds, and are joined by zc_syncpool_free().  They block all signals:
 * signals stay with the loop's thread.
 */
#ifndef ZC_SYNCPOOL_H
#define ZC_SYNCPOOL_H

#include <stddef.h>

#ifndef ZC_SYNCPOOL_THREADS	/* -D for the benchmark that chose it */
#define ZC_SYNCPOOL_THREADS	32	/* the caller included */
#endif

struct zc_syncpool;

struct zc_syncpool *zc_syncpool_new(void);
/* NULL is accepted; joins the threads (none is in a round then). */
void	zc_syncpool_free(struct zc_syncpool *);
/*
 * fsync fds[0..n) at once, from the pool's threads and the caller's (which
 * waits until all are done): errors[i] is 0 or -errno.  A thread that
 * cannot be started leaves its share to the others.
 */
void	zc_syncpool_fsync(struct zc_syncpool *, const int *fds, size_t n,
	    int *errors);
/* Threads started so far (for tests). */
size_t	zc_syncpool_threads(const struct zc_syncpool *);

#endif
