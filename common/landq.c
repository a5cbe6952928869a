/*
 * landq.c: complete bodies committed on a thread of their own (landq.h).
 *
 * A ring of ZC_LANDQ_MAX jobs: [taken, done) are committed and wait for
 * zc_landq_take(), [done, queued) wait for the worker, which commits the
 * one at done with the lock released.  Counters only grow; a slot is
 * index % ZC_LANDQ_MAX.  The loop's thread alone moves taken and queued,
 * the worker alone done (under the lock: the loop reads it).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "landq.h"
#include "xmalloc.h"

#define ZC_LANDQ_STACK	(256 * 1024)	/* commits need little stack */

struct landq_job {
	struct zc_land_file	 lf;
	int			 flags;
	uint64_t		 seq;
	uint64_t		 body;
	char			*name;		/* owned */
	int			 error;
};

struct zc_landq {
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* worker: something queued */
	pthread_cond_t		 room;		/* loop: a job committed */
	pthread_t		 tid;
	int			 stop;
	uint64_t		 taken, done, queued;
	struct landq_job	 job[ZC_LANDQ_MAX];
};

static void *
landq_run(void *arg)
{
	struct zc_landq		*q = arg;
	struct landq_job	*j;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->done == q->queued && !q->stop)
			pthread_cond_wait(&q->work, &q->lock);
		if (q->done == q->queued)
			break;
		j = &q->job[q->done % ZC_LANDQ_MAX];
		pthread_mutex_unlock(&q->lock);
		j->error = zc_land_file_commit(&j->lf, j->flags);
		pthread_mutex_lock(&q->lock);
		q->done++;
		pthread_cond_signal(&q->room);
	}
	pthread_mutex_unlock(&q->lock);
	return (NULL);
}

int
zc_landq_new(struct zc_landq **out)
{
	struct zc_landq	*q;
	pthread_attr_t	 attr;
	sigset_t	 all, old;
	int		 error;

	q = xcalloc(1, sizeof *q);
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work, NULL);
	pthread_cond_init(&q->room, NULL);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, ZC_LANDQ_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	error = pthread_create(&q->tid, &attr, landq_run, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (error != 0) {
		pthread_cond_destroy(&q->room);
		pthread_cond_destroy(&q->work);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return (-error);
	}
	*out = q;
	return (0);
}

int
zc_landq_push(struct zc_landq *q, struct zc_land_file *lf, int flags,
    uint64_t seq, uint64_t body, const char *name)
{
	struct landq_job	*j;

	/* Only the loop's thread moves queued and taken. */
	if (q->queued - q->taken == ZC_LANDQ_MAX)
		return (-EAGAIN);
	/* The slot is ours alone until queued moves past it. */
	j = &q->job[q->queued % ZC_LANDQ_MAX];
	j->lf = *lf;
	j->flags = flags;
	j->seq = seq;
	j->body = body;
	j->name = xstrdup(name);
	j->error = 0;
	lf->fd = lf->dir_fd = -1;
	lf->tmp[0] = '\0';
	lf->xattrs = NULL;
	pthread_mutex_lock(&q->lock);
	q->queued++;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->lock);
	return (0);
}

size_t
zc_landq_pending(const struct zc_landq *q)
{
	/* Only the loop's thread moves queued and taken. */
	return (q != NULL ? (size_t)(q->queued - q->taken) : 0);
}

size_t
zc_landq_take(struct zc_landq *q, struct zc_landq_done *out, size_t max,
    int wait)
{
	struct landq_job	*j;
	uint64_t		 done;
	size_t			 n = 0;

	pthread_mutex_lock(&q->lock);
	while ((wait == ZC_LANDQ_ALL && q->done != q->queued) ||
	    (wait == ZC_LANDQ_ONE && q->done == q->taken &&
	    q->taken != q->queued))
		pthread_cond_wait(&q->room, &q->lock);
	done = q->done;
	pthread_mutex_unlock(&q->lock);
	while (q->taken < done && n < max) {
		j = &q->job[q->taken % ZC_LANDQ_MAX];
		out[n].seq = j->seq;
		out[n].body = j->body;
		out[n].name = j->name;
		out[n].error = j->error;
		out[n].xattr_err = j->lf.xattr_err;
		j->name = NULL;
		n++;
		q->taken++;
	}
	return (n);
}

void
zc_landq_free(struct zc_landq *q)
{
	uint64_t	i;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->work);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->tid, NULL);
	for (i = q->taken; i < q->queued; i++)
		free(q->job[i % ZC_LANDQ_MAX].name);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->work);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
