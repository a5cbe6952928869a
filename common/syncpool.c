/*
 * syncpool.c: threads that fsync descriptors together (see syncpool.h).
 *
 * A round hands out its descriptors one at a time under the lock, to the
 * caller and to the workers it wakes (n - 1 of them at most), so up to
 * ZC_SYNCPOOL_THREADS fsyncs are in flight at once, as many as with a
 * thread per file up to that bound; the lock is held only to take an index
 * and to count one done, never across an fsync.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "syncpool.h"
#include "xmalloc.h"

/* An fsync needs little stack: not the default 8 MiB each. */
#define ZC_SYNCPOOL_STACK	(256 * 1024)

struct zc_syncpool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 work;		/* a round has begun, or stop */
	pthread_cond_t	 done;		/* the round's last fsync ended */
	pthread_t	 tid[ZC_SYNCPOOL_THREADS];
	size_t		 nthreads;	/* started, workers only */
	int		 stop;

	/* The round in progress; n = 0 between rounds. */
	const int	*fds;		/* borrowed */
	int		*errors;	/* borrowed */
	size_t		 n;
	size_t		 next;		/* the next index to hand out */
	size_t		 ndone;
};

/* Take and fsync descriptors until the round has none left; lock held. */
static void
syncpool_take(struct zc_syncpool *p)
{
	size_t	i;
	int	error;

	while (p->next < p->n) {
		i = p->next++;
		pthread_mutex_unlock(&p->lock);
		error = fsync(p->fds[i]) == -1 ? -errno : 0;
		pthread_mutex_lock(&p->lock);
		p->errors[i] = error;
		if (++p->ndone == p->n)
			pthread_cond_signal(&p->done);
	}
}

static void *
syncpool_worker(void *arg)
{
	struct zc_syncpool	*p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->next >= p->n)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stop)
			break;
		syncpool_take(p);
	}
	pthread_mutex_unlock(&p->lock);
	return (NULL);
}

struct zc_syncpool *
zc_syncpool_new(void)
{
	struct zc_syncpool	*p;

	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	return (p);
}

void
zc_syncpool_free(struct zc_syncpool *p)
{
	size_t	i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tid[i], NULL);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/*
 * Start workers up to want, with every signal blocked (a thread inherits
 * its creator's mask).  Only the owner's thread calls this, between
 * rounds.  One that cannot start is not tried again in this round.
 */
static void
syncpool_grow(struct zc_syncpool *p, size_t want)
{
	pthread_attr_t	attr;
	sigset_t	all, old;
	int		error;

	if (p->nthreads >= want)
		return;
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, ZC_SYNCPOOL_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	while (p->nthreads < want) {
		error = pthread_create(&p->tid[p->nthreads], &attr,
		    syncpool_worker, p);
		if (error != 0) {
			zc_log_debug("%s: pthread_create: %s", __func__,
			    strerror(error));
			break;
		}
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
}

void
zc_syncpool_fsync(struct zc_syncpool *p, const int *fds, size_t n,
    int *errors)
{
	size_t	want, i;

	if (n == 0)
		return;
	want = (n < ZC_SYNCPOOL_THREADS ? n : ZC_SYNCPOOL_THREADS) - 1;
	syncpool_grow(p, want);
	pthread_mutex_lock(&p->lock);
	p->fds = fds;
	p->errors = errors;
	p->n = n;
	p->next = 0;
	p->ndone = 0;
	/* Wake as many as the round can use, not every worker. */
	for (i = 0; i < want && i < p->nthreads; i++)
		pthread_cond_signal(&p->work);
	syncpool_take(p);
	while (p->ndone < p->n)
		pthread_cond_wait(&p->done, &p->lock);
	p->fds = NULL;
	p->errors = NULL;
	p->n = p->next = p->ndone = 0;
	pthread_mutex_unlock(&p->lock);
}

size_t
zc_syncpool_threads(const struct zc_syncpool *p)
{
	return (p->nthreads);
}
