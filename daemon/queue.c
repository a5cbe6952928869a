/*
 * queue.c: pending changes of one link (see queue.h).
 */
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "log.h"
#include "queue.h"
#include "xmalloc.h"

#define QUEUE_GONE	UINT32_MAX	/* a slot whose item was taken */

void
zcd_queue_init(struct zcd_queue *q)
{
	memset(q, 0, sizeof *q);
}

void
zcd_queue_clear(struct zcd_queue *q)
{
	size_t	i;

	for (i = q->head; i < q->n; i++) {
		free(q->v[i].path);
		free(q->v[i].path2);
	}
	free(q->v);
	free(q->slots);
	free(q->held);
	free(q->held2);
	memset(q, 0, sizeof *q);
}

static size_t
queue_hash(const char *p)
{
	return ((size_t)XXH3_64bits(p, strlen(p)));
}

/* The slot holding path, or the empty one where it would go. */
static size_t
queue_slot(const struct zcd_queue *q, const char *path)
{
	size_t		 h, mask = q->nslots - 1;
	uint32_t	 s;

	h = queue_hash(path) & mask;
	while ((s = q->slots[h]) != 0) {
		if (s != QUEUE_GONE && q->v[s - 1].path != NULL &&
		    q->v[s - 1].op != ZC_LIVE_RENAME &&
		    strcmp(q->v[s - 1].path, path) == 0)
			break;
		h = (h + 1) & mask;
	}
	return (h);
}

/* Rebuild the index (and drop taken items) when it gets crowded. */
static void
queue_rehash(struct zcd_queue *q)
{
	size_t	i, o = 0, h, want;

	for (i = q->head; i < q->n; i++) {
		if (q->v[i].path == NULL)
			continue;
		q->v[o++] = q->v[i];
	}
	q->head = 0;
	q->n = o;
	want = 1024;
	while (want < (o + 1) * 4)
		want *= 2;
	free(q->slots);
	q->nslots = want;
	q->slots = xcalloc(want, sizeof *q->slots);
	for (i = 0; i < q->n; i++) {
		if (q->v[i].op == ZC_LIVE_RENAME)
			continue;
		h = queue_slot(q, q->v[i].path);
		q->slots[h] = (uint32_t)i + 1;
	}
}

static void
queue_append(struct zcd_queue *q, enum zc_live_op op, char *path, char *path2,
    uint64_t ready)
{
	struct zcd_qitem	*it;
	size_t			 h;

	if (q->n == q->cap) {
		if (q->head > q->n / 2) {
			queue_rehash(q);
		} else {
			q->cap = q->cap == 0 ? 256 : q->cap * 2;
			q->v = xreallocarray(q->v, q->cap, sizeof *q->v);
		}
	}
	if (q->nslots == 0 || (q->n + 1) * 2 > q->nslots)
		queue_rehash(q);
	if (q->n == q->cap) {
		q->cap = q->cap == 0 ? 256 : q->cap * 2;
		q->v = xreallocarray(q->v, q->cap, sizeof *q->v);
	}
	it = &q->v[q->n];
	it->op = op;
	it->path = path;
	it->path2 = path2;
	it->ready = ready;
	if (op != ZC_LIVE_RENAME) {
		h = queue_slot(q, path);
		q->slots[h] = (uint32_t)q->n + 1;
	}
	q->n++;
	q->pending++;
	if (op == ZC_LIVE_RENAME)
		q->renames++;
}

static int
queue_is_under(const char *path, const char *dir)
{
	size_t	n = strlen(dir);

	return (strncmp(path, dir, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/'));
}

/* Forget item i (its index slot stays as a tombstone). */
static void
queue_drop(struct zcd_queue *q, size_t i)
{
	size_t	h;

	if (q->v[i].op != ZC_LIVE_RENAME) {
		h = queue_slot(q, q->v[i].path);
		if (q->slots[h] == i + 1)
			q->slots[h] = QUEUE_GONE;
	} else
		q->renames--;
	free(q->v[i].path);
	free(q->v[i].path2);
	q->v[i].path = q->v[i].path2 = NULL;
	q->pending--;
}

static int
queue_rank(enum zc_live_op op)
{
	switch (op) {
	case ZC_LIVE_ATTR:
		return (0);
	case ZC_LIVE_PATH:
		return (1);
	case ZC_LIVE_TREE:
		return (2);
	default:
		return (3);
	}
}

void
zcd_queue_add(struct zcd_queue *q, enum zc_live_op op, const char *path,
    const char *path2, uint64_t ready)
{
	struct zcd_qitem	*it, *later = NULL;
	size_t			 i, h, n, nlater = 0;

	if (q->overflowed)
		return;
	if (q->pending >= ZCD_QUEUE_MAX) {
		zc_log_warn("queue: more than %u changes waiting: a full "
		    "resync replaces them", ZCD_QUEUE_MAX);
		zcd_queue_clear(q);
		q->overflowed = 1;
		return;
	}
	if (op == ZC_LIVE_RENAME) {
		/*
		 * What waits beneath the old name is about the same objects:
		 * send it after the move, under the new name, or the move
		 * would put stale content over what was sent.
		 */
		n = strlen(path);
		for (i = q->head; i < q->n; i++) {
			it = &q->v[i];
			if (it->path == NULL || it->op == ZC_LIVE_RENAME ||
			    !queue_is_under(it->path, path))
				continue;
			later = xreallocarray(later, nlater + 1, sizeof *later);
			later[nlater].op = it->op;
			later[nlater].ready = it->ready;
			xasprintf(&later[nlater].path, "%s%s", path2,
			    it->path + n);
			nlater++;
			queue_drop(q, i);
		}
		queue_append(q, ZC_LIVE_RENAME, xstrdup(path), xstrdup(path2),
		    ready);
		for (i = 0; i < nlater; i++) {
			zcd_queue_add(q, later[i].op, later[i].path, NULL,
			    later[i].ready);
			free(later[i].path);
		}
		free(later);
		return;
	}
	if (q->nslots != 0) {
		h = queue_slot(q, path);
		if (q->slots[h] != 0 && q->slots[h] != QUEUE_GONE) {
			it = &q->v[q->slots[h] - 1];
			/*
			 * A chmod or chown of a file still being written
			 * (sed -i's fchown of its temp file) does not make
			 * it ready before its close or the settle time.
			 */
			if (ready < it->ready && !(op == ZC_LIVE_ATTR &&
			    it->op == ZC_LIVE_PATH))
				it->ready = ready;
			if (queue_rank(op) > queue_rank(it->op))
				it->op = op;
			return;
		}
	}
	queue_append(q, op, xstrdup(path), NULL, ready);
}

int
zcd_queue_take(struct zcd_queue *q, uint64_t now, struct zc_live_item *out)
{
	struct zcd_qitem	*it;
	size_t			 i, h;

	free(q->held);
	free(q->held2);
	q->held = q->held2 = NULL;
	while (q->head < q->n && q->v[q->head].path == NULL)
		q->head++;
	for (i = q->head; i < q->n; i++) {
		it = &q->v[i];
		if (it->path == NULL || it->ready > now)
			continue;
		/* A move waits for what is queued before it. */
		if (it->op == ZC_LIVE_RENAME && i != q->head)
			break;
		if (it->op != ZC_LIVE_RENAME) {
			h = queue_slot(q, it->path);
			if (q->slots[h] == i + 1)
				q->slots[h] = QUEUE_GONE;
		} else
			q->renames--;
		out->op = it->op;
		q->held = it->path;
		q->held2 = it->path2;
		out->path = q->held;
		out->path2 = q->held2;
		it->path = it->path2 = NULL;
		q->pending--;
		if (q->pending == 0) {
			/* Empty: start over, tombstones and all. */
			q->head = q->n = 0;
			memset(q->slots, 0, q->nslots * sizeof *q->slots);
		}
		return (1);
	}
	return (0);
}

int
zcd_queue_forget(struct zcd_queue *q, const char *path)
{
	size_t	h;

	if (q->nslots == 0 || q->renames > 0)
		return (0);
	h = queue_slot(q, path);
	if (q->slots[h] == 0 || q->slots[h] == QUEUE_GONE)
		return (0);
	queue_drop(q, q->slots[h] - 1);
	return (1);
}

uint64_t
zcd_queue_next_ready(const struct zcd_queue *q, uint64_t after)
{
	uint64_t	best = UINT64_MAX;
	size_t		i;

	for (i = q->head; i < q->n; i++)
		if (q->v[i].path != NULL && q->v[i].ready < best &&
		    q->v[i].ready > after)
			best = q->v[i].ready;
	return (best);
}
