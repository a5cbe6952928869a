/*
 * send.c: the sending side of a push (see send.h and docs/PROTOCOL.md).
 *
 * After the receiver's manifest arrives the whole plan is known: deletions
 * first (top-most only; the receiver removes trees), then the source in
 * pre-order: directories before what they hold, file bodies, symlinks and
 * metadata-only updates.  Everything is pipelined: no round trip per file;
 * the receiver answers each entry with an ACK, in order.
 *
 * The source is walked in steps from the loop (manifest.h), from the
 * moment the session starts, while the receiver walks its own tree.  When
 * the receiver's manifest is empty (a first push, a new mirror) there is
 * nothing to compare: every entry is new and nothing is deleted, so each
 * entry is planned as the walk reaches it and the stream starts with the
 * first one, instead of after the last.  Otherwise the walk is finished
 * when the manifest arrives and the plan is made whole, as it needs both
 * trees.  Either way the same frames leave, in the same order.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "conn.h"
#include "filter.h"
#include "guard.h"
#include "log.h"
#include "manifest.h"
#include "meta.h"
#include "owner.h"
#include "path.h"
#include "proto.h"
#include "send.h"
#include "sparse.h"
#include "special.h"
#include "verify.h"
#include "xattr.h"
#include "xmalloc.h"

enum send_state {
	SEND_HELLO,		/* HELLO and PUSH sent, waiting for HELLO */
	SEND_MANIFEST,		/* reading the receiver's manifest */
	SEND_STREAM,		/* sending entries, reading ACKs */
	SEND_DRAIN,		/* DONE sent, waiting for ACKs and SUMMARY */
	SEND_FINISHED,		/* SUMMARY received */
};

enum send_phase {
	PHASE_DELETE,
	PHASE_TREE,
	PHASE_RETRY,
	PHASE_LIVE,		/* catch-up sent: stream what next() gives */
	PHASE_DONE,
};

/* send_flight.size of a META that makes a special file (SPECIAL). */
#define SEND_FLIGHT_SPECIAL	UINT64_MAX

#define SEND_FLIGHT_MIN	1024		/* slots; a catch-up grows them */

/*
 * Names the source walk looks at per step from the loop: a few hundred
 * microseconds, so that the manifest or an ACK is not kept waiting.
 */
#define SEND_WALK_STEP	128

/* HARDLINK, streamed plan: the first src index of each inode seen. */
struct send_ino {
	uint64_t	 ino;
	uint32_t	 dev;
	uint32_t	 idx;		/* + 1; 0: a free slot */
};

/* An entry sent and not yet acknowledged. */
struct send_flight {
	uint64_t	 seq;
	char		*path;		/* owned; what the entry was about */
	uint32_t	 idx;		/* src index (catch-up files), or NONE */
	uint8_t		 type;		/* the message */
	uint64_t	 size;
};

struct zc_send {
	uv_loop_t		*loop;		/* borrowed */
	struct zc_conn		*conn;		/* owned until closed */
	int			 src_fd;	/* borrowed */
	struct zc_send_opts	 opts;
	zc_send_done_cb		 done_cb;
	void			*done_arg;
	enum send_state		 state;
	int			 owners;	/* the receiver keeps owners */
	int			 serving;	/* adopted: serving a pull */
	uint64_t		 feat;		/* negotiated: ours & the receiver's */
	uint64_t		 man_feat;	/* shapes its MANIFEST items */
	int			 xattrs;	/* XATTR: compare and send them */
	int			 xflags;	/* ZC_XATTR_PRIV when root */
	int			 idmap;		/* IDMAP: owners by name */
	struct zc_owner_map	*idmaps;	/* owned; IDMAP, both ways */
	uint32_t		*link_first;	/* owned; HARDLINK: src index of
						   each entry's group's first */
	size_t			 link_cap;
	uint64_t		 special_unsent; /* SPECIAL not negotiated */
	int			 special_noted;	/* live: said it once */

	/*
	 * Live, HARDLINK: the paths of files with more than one link (from
	 * the catch-up, and those sent since), to keep a group's links on
	 * the receiver; and LINKs to send once the body before them is out.
	 */
	struct zc_manifest	*hl;		/* owned */
	char			**hl_path;	/* owned; LINK hl_path[i] to */
	char			**hl_target;	/* owned; hl_target[i] */
	size_t			 nhl, hl_cap;

	struct zc_manifest	*src;		/* owned */
	struct zc_manifest	*dst;		/* owned */
	/*
	 * The source walk, NULL once over.  An idle handle walks on from
	 * the loop; the manifest's arrival finishes the walk, or (streamed)
	 * the stream walks on when it has sent all that is walked.
	 */
	struct zc_mwalk		*walk;		/* owned */
	uv_idle_t		*walk_idle;	/* owned until closed: freed by
						   its close callback */
	int			 streamed;	/* the receiver has nothing:
						   plan entries as walked */
	size_t			 planned;	/* streamed: entries planned */
	struct send_ino		*ino;		/* owned; streamed, HARDLINK */
	size_t			 nino, ino_slots;
	uint64_t		 dst_same;	/* its items not kept (SAME) */
	struct zc_filter	*filter;	/* owned; NULL: send all */
	uint64_t		 dst_count;

	enum send_phase		 phase;
	size_t			 cursor;
	uint32_t		*retry;		/* owned; src indices */
	size_t			 nretry, retry_cap, retry_pos;
	uint8_t			*tries;		/* owned; per src entry */
	size_t			 tries_cap;

	struct send_flight	*flight;	/* owned; a FIFO */
	size_t			 flight_head, flight_len, flight_cap;
	uint64_t		 seq;

	/* Live: a subtree being sent, and paths to resend whole. */
	struct zc_manifest	*tree;		/* owned */
	char			*tree_base;	/* owned; its path */
	size_t			 tree_pos;
	char			**fallback;	/* owned */
	size_t			 nfallback, fallback_cap;
	int			 unsynced;	/* entries since the last SYNC */
	struct zc_manifest	*dirty;		/* owned; parents to restamp */
	size_t			 dirty_pos;
	/*
	 * Live: paths whose body we aborted (they changed while in flight),
	 * so the receiver holds an older copy.  A write's event sends them
	 * again anyway; a chmod's or a rename's does not (META, RENAME), so
	 * whatever comes next for such a path sends it whole.
	 */
	char			**aborted;	/* owned */
	size_t			 naborted, aborted_cap;

	/* The body in progress. */
	int			 cur_fd;
	uint32_t		 cur_idx;
	char			*cur_path;	/* owned; live bodies only */
	uint64_t		 cur_seq;
	struct stat		 cur_st;
	struct zc_verify	*hash;		/* owned; VERIFY, else NULL */
	uint8_t			*cur_segs;	/* owned; SPARSE map (wire) */
	uint32_t		 cur_nsegs, cur_seg;
	int			 cur_shrunk;	/* a segment came up short */

	struct zc_send_stats	 stats;
	struct zc_guard		 guard;		/* live deletions (guard.h) */
	int			 live_reported;
	char			 why[512];
	int			 err;
};

static int	send_on_frame(struct zc_conn *, const struct zc_frame_hdr *,
		    struct zc_rd *);
static int	send_on_writable(struct zc_conn *);
static int	send_on_body_sent(struct zc_conn *, int);
static void	send_on_close(struct zc_conn *, int);
static int	send_guard_live(struct zc_send *);
static int	send_is_backup(const struct zc_send *, const char *);
static void	send_aborted_add(struct zc_send *, const char *);
static int	send_file_fd(struct zc_send *, const char *, uint32_t, int);

static const struct zc_conn_ops send_ops = {
	.on_frame = send_on_frame,
	.on_writable = send_on_writable,
	.on_body_sent = send_on_body_sent,
	.on_close = send_on_close,
};

static void
send_report(struct zc_send *s, enum zc_send_event ev, const char *path,
    const char *msg)
{
	if (s->opts.report != NULL)
		s->opts.report(s->opts.arg, ev, path, msg);
}

/* Fail the session: remember the first reason, then close. */
static int
send_fail(struct zc_send *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
send_fail(struct zc_send *s, int err, const char *fmt, ...)
{
	va_list	ap;

	if (s->err == 0) {
		s->err = err;
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof s->why, fmt, ap);
		va_end(ap);
	}
	return (err);
}

/* The in-flight FIFO in ncap slots (>= flight_len), from its head. */
static void
send_flight_resize(struct zc_send *s, size_t ncap)
{
	struct send_flight	*f;
	size_t			 i;

	f = xcalloc(ncap, sizeof *f);
	for (i = 0; i < s->flight_len; i++)
		f[i] = s->flight[(s->flight_head + i) % s->flight_cap];
	free(s->flight);
	s->flight = f;
	s->flight_cap = ncap;
	s->flight_head = 0;
}

static void
send_flight_push(struct zc_send *s, uint64_t seq, uint8_t type,
    const char *path, uint32_t idx, uint64_t size)
{
	struct send_flight	*f;

	if (s->flight_len == s->flight_cap)
		send_flight_resize(s, s->flight_cap == 0 ?
		    SEND_FLIGHT_MIN : s->flight_cap * 2);
	f = &s->flight[(s->flight_head + s->flight_len) % s->flight_cap];
	f->seq = seq;
	f->path = xstrdup(path);
	f->idx = idx;
	f->type = type;
	f->size = size;
	s->flight_len++;
	if (type != ZC_MSG_SYNC)
		s->unsynced = 1;
}

static const char *
send_action(uint8_t msg, uint8_t type)
{
	switch (msg) {
	case ZC_MSG_DELETE:
		return ("delete");
	case ZC_MSG_META:
		return ("meta");
	case ZC_MSG_DIR:
		return ("dir");
	case ZC_MSG_SYMLINK:
		return ("link");
	case ZC_MSG_RENAME:
		return ("rename");
	default:
		return (type == ZC_TYPE_FILE ? "send" : "entry");
	}
}

/* The src entry for dst entry d's parent (deletions dirty it), or NULL. */
static struct zc_mentry *
send_src_parent_of_dst(struct zc_send *s, const struct zc_mentry *d)
{
	if (d->parent == ZC_MANIFEST_NONE)
		return (NULL);
	return (zc_manifest_find(s->src, s->dst->v[d->parent].path));
}

static void
send_mark_parent(struct zc_send *s, const struct zc_mentry *e)
{
	if (e != NULL && e->parent != ZC_MANIFEST_NONE)
		s->src->v[e->parent].flags |= ZC_MENTRY_DIRTY;
}

/* Walk the source tree (or the subtree at base) through our filter. */
static int
send_walk(struct zc_send *s, struct zc_manifest *m, int fd, const char *base,
    int flags, char *err, size_t errlen)
{
	if (s->filter == NULL)
		return (zc_manifest_walk_flags(m, fd, flags, err, errlen));
	return (zc_manifest_walk_filtered(m, fd, base, s->filter, flags, err,
	    errlen));
}

static void
send_walk_idle_closed(uv_handle_t *h)
{
	free(h);
}

/* No more walking from the loop. */
static void
send_walk_idle_stop(struct zc_send *s)
{
	if (s->walk_idle == NULL)
		return;
	uv_idle_stop(s->walk_idle);
	uv_close((uv_handle_t *)s->walk_idle, send_walk_idle_closed);
	s->walk_idle = NULL;
}

static void	send_specials_note(struct zc_send *);
static void	send_walk_flags(struct zc_send *, struct zc_manifest *);
static void	send_plan_streamed(struct zc_send *);

/*
 * The source walk is over: streamed, the plan is now whole (the notes and
 * the live delete guard that need its totals).
 */
static void
send_walk_over(struct zc_send *s)
{
	zc_mwalk_free(s->walk);
	s->walk = NULL;
	s->stats.walking = 0;
	send_walk_idle_stop(s);
	if (!s->streamed)
		return;
	send_specials_note(s);
	/* The live window's base, as send_guard_plan() sets it. */
	if (s->opts.max_delete.set)
		zc_guard_init(&s->guard, &s->opts.max_delete, s->src->n);
}

/*
 * Walk up to max more names of the source (SIZE_MAX: to the end); when
 * streamed, plan what they added.  1 when the walk is over, 0 when there
 * is more, -errno when it failed (the session fails with it).
 */
static int
send_walk_step(struct zc_send *s, size_t max)
{
	char	err[512];
	int	r;

	if (s->walk == NULL)
		return (1);
	if ((r = zc_mwalk_step(s->walk, max, err, sizeof err)) < 0) {
		send_walk_idle_stop(s);
		return (send_fail(s, r, "walking the source: %s", err));
	}
	if (s->streamed)
		send_plan_streamed(s);
	if (r == 1)
		send_walk_over(s);
	return (r);
}

/* From the loop when it has nothing else to do: walk on. */
static void
send_on_walk_idle(uv_idle_t *h)
{
	struct zc_send	*s = h->data;
	size_t		 n = s->src->n;
	int		 r;

	if ((r = send_walk_step(s, SEND_WALK_STEP)) < 0) {
		if (s->conn != NULL)
			zc_conn_close(s->conn, r);
		return;
	}
	/* Streaming, and the stream may have caught up with the walk. */
	if (s->state == SEND_STREAM && s->src->n > n && s->conn != NULL)
		zc_conn_want_write(s->conn);
}

/*
 * Start walking the source: its root is listed now (a missing or
 * unreadable root fails here), the rest from the loop.  0 or -errno.
 */
static int
send_walk_begin(struct zc_send *s, int src_fd, char *err, size_t errlen)
{
	int	error;

	send_walk_flags(s, s->src);
	if ((error = zc_mwalk_start(s->src, src_fd, "", s->filter,
	    s->opts.specials ? ZC_MANIFEST_SPECIALS : 0, s->opts.backup_dir,
	    &s->walk, err, errlen)) != 0)
		return (error);
	s->stats.walking = 1;
	return (0);
}

/* Walk from the loop's idle time (the loop is s->loop). */
static void
send_walk_idle_start(struct zc_send *s)
{
	if (s->walk == NULL || s->walk_idle != NULL)
		return;
	s->walk_idle = xcalloc(1, sizeof *s->walk_idle);
	uv_idle_init(s->loop, s->walk_idle);
	s->walk_idle->data = s;
	uv_idle_start(s->walk_idle, send_on_walk_idle);
}

/*
 * rsync's protect-excluded: a receiver entry our rules exclude is neither
 * compared nor deleted, and neither are the directories holding one (their
 * other contents are deleted one by one instead of as a tree).  A
 * directory replaced by a file or a symlink goes, protected or not.
 */
static void
send_plan_protect(struct zc_send *s)
{
	struct zc_mentry	*d, *a;
	size_t			 i;

	if (s->filter == NULL)
		return;
	for (i = 0; i < s->dst->n; i++) {
		d = &s->dst->v[i];
		if (!(d->flags & ZC_MENTRY_DEL) ||
		    zc_manifest_find(s->src, d->path) != NULL)
			continue;
		if (!zc_filter_excluded(s->filter, d->path,
		    d->meta.type == ZC_TYPE_DIR))
			continue;
		d->flags &= ~ZC_MENTRY_DEL;
		for (a = d; a->parent != ZC_MANIFEST_NONE;) {
			a = &s->dst->v[a->parent];
			if (!(a->flags & ZC_MENTRY_DEL) ||
			    zc_manifest_find(s->src, a->path) != NULL)
				break;
			a->flags &= ~ZC_MENTRY_DEL;
		}
	}
}

/* A source entry the receiver lacks (or loses first): sent whole. */
static void
send_plan_new(struct zc_send *s, struct zc_mentry *e)
{
	e->flags |= ZC_MENTRY_SEND;
	send_mark_parent(s, e);
	if (e->meta.type == ZC_TYPE_FILE) {
		s->stats.plan_files++;
		s->stats.plan_bytes += e->meta.size;
	}
}

/*
 * Decide what to send.  Content is compared by type, size and mtime to the
 * nanosecond (rsync's quick check, without its one-second window);
 * attributes by mode and, when both sides keep owners, uid/gid.
 */
static void
send_plan(struct zc_send *s)
{
	struct zc_mentry	*d, *e, *p;
	size_t			 i;
	int			 aflags = s->owners ? ZC_META_CHOWN : 0;

	for (i = 0; i < s->dst->n; i++) {
		d = &s->dst->v[i];
		e = zc_manifest_find(s->src, d->path);
		if (e != NULL && zc_special_type(e->meta.type) &&
		    !(s->feat & ZC_FEAT_SPECIAL))
			e = NULL;	/* we cannot send it: as if absent */
		if (e == NULL && !(s->opts.flags & ZC_PUSH_DELETE))
			continue;
		/* Specials we skip are left alone there too, not deleted. */
		if (e == NULL && zc_special_type(d->meta.type) &&
		    !s->opts.specials)
			continue;
		if (e != NULL && e->meta.type == d->meta.type) {
			d->flags |= ZC_MENTRY_SEEN;
			continue;
		}
		d->flags |= ZC_MENTRY_DEL;
		if ((p = send_src_parent_of_dst(s, d)) != NULL)
			p->flags |= ZC_MENTRY_DIRTY;
	}
	send_plan_protect(s);
	for (i = 0; i < s->src->n; i++) {
		e = &s->src->v[i];
		if (zc_special_type(e->meta.type) &&
		    !(s->feat & ZC_FEAT_SPECIAL)) {
			s->special_unsent++;
			continue;
		}
		if (e->flags & ZC_MENTRY_SAME) {
			s->stats.skipped++;	/* the receiver has it */
			continue;
		}
		d = zc_manifest_find(s->dst, e->path);
		if (d == NULL || (d->flags & ZC_MENTRY_DEL)) {
			send_plan_new(s, e);
			continue;
		}
		switch (e->meta.type) {
		case ZC_TYPE_FILE:
			if (!zc_meta_same_content(&e->meta, &d->meta)) {
				e->flags |= ZC_MENTRY_SEND;
				send_mark_parent(s, e);
				s->stats.plan_files++;
				s->stats.plan_bytes += e->meta.size;
				break;
			}
			s->stats.skipped++;
			if (!zc_meta_same_attrs(&e->meta, &d->meta, aflags))
				e->flags |= ZC_MENTRY_META;
			break;
		case ZC_TYPE_DIR:
			if (!zc_meta_same_attrs(&e->meta, &d->meta, aflags) ||
			    e->meta.mtime_sec != d->meta.mtime_sec ||
			    e->meta.mtime_nsec != d->meta.mtime_nsec)
				e->flags |= ZC_MENTRY_SEND;
			break;
		case ZC_TYPE_FIFO:
		case ZC_TYPE_SOCK:
		case ZC_TYPE_CHR:
		case ZC_TYPE_BLK:
			/* SPECIAL: type, rdev or mtime: made again. */
			if (!zc_meta_same_content(&e->meta, &d->meta)) {
				e->flags |= ZC_MENTRY_SEND;
				send_mark_parent(s, e);
			} else if (!zc_meta_same_attrs(&e->meta, &d->meta,
			    aflags))
				e->flags |= ZC_MENTRY_META;
			break;
		case ZC_TYPE_SYMLINK:
			if (zc_mentry_target(d) == NULL ||
			    strcmp(zc_mentry_target(e),
			    zc_mentry_target(d)) != 0) {
				e->flags |= ZC_MENTRY_SEND;
				send_mark_parent(s, e);
			} else if (e->meta.mtime_sec != d->meta.mtime_sec ||
			    e->meta.mtime_nsec != d->meta.mtime_nsec ||
			    !zc_meta_same_attrs(&e->meta, &d->meta, aflags))
				e->flags |= ZC_MENTRY_META;
			break;
		}
		/* XATTR: only the attributes differ: META (a DIR for a dir). */
		if (s->xattrs &&
		    zc_mentry_xattr_hash(e) != zc_mentry_xattr_hash(d) &&
		    zc_mentry_xattr_hash(d) != ZC_XATTR_UNKEPT &&
		    !(e->flags & ZC_MENTRY_SEND))
			e->flags |= e->meta.type == ZC_TYPE_DIR ?
			    ZC_MENTRY_SEND : ZC_MENTRY_META;
	}
}

/* HARDLINK: src entry idx is a LINK to the src entry anchor. */
static void
send_link_set(struct zc_send *s, uint32_t idx, uint32_t anchor)
{
	size_t	ncap;

	if (idx >= s->link_cap) {
		ncap = s->src->cap > idx ? s->src->cap : (size_t)idx + 1;
		s->link_first = xreallocarray(s->link_first, ncap,
		    sizeof *s->link_first);
		s->link_cap = ncap;
	}
	s->link_first[idx] = anchor;
	s->src->v[idx].flags |= ZC_MENTRY_HLINK;
}

/* HARDLINK, streamed: the slot of (dev, ino), free or holding it. */
static struct send_ino *
send_ino_slot(struct send_ino *t, size_t nslots, uint32_t dev, uint64_t ino)
{
	size_t	h, mask = nslots - 1;

	h = (size_t)((ino ^ ((uint64_t)dev << 32)) * 0x9e3779b97f4a7c15ULL >>
	    32) & mask;
	while (t[h].idx != 0 && (t[h].ino != ino || t[h].dev != dev))
		h = (h + 1) & mask;
	return (&t[h]);
}

/*
 * HARDLINK, streamed (the receiver has nothing): the first path of an
 * inode, in walk order, is its group's anchor and is sent as a file; each
 * later path of it is a LINK to the anchor.  What send_plan_links() plans
 * for an empty receiver, decided as the walk goes: an anchor whose inode
 * has no other path in the set is a plain file either way.
 */
static void
send_plan_link_streamed(struct zc_send *s, uint32_t idx)
{
	struct zc_mentry	*e = &s->src->v[idx];
	struct send_ino		*t, *slot;
	size_t			 i, n;

	if (!(s->feat & ZC_FEAT_HARDLINK) || !(e->flags & ZC_MENTRY_HAS_LINK))
		return;
	if ((s->nino + 1) * 2 > s->ino_slots) {
		n = s->ino_slots == 0 ? 256 : s->ino_slots * 2;
		t = xcalloc(n, sizeof *t);
		for (i = 0; i < s->ino_slots; i++)
			if (s->ino[i].idx != 0)
				*send_ino_slot(t, n, s->ino[i].dev,
				    s->ino[i].ino) = s->ino[i];
		free(s->ino);
		s->ino = t;
		s->ino_slots = n;
	}
	slot = send_ino_slot(s->ino, s->ino_slots, zc_mentry_link_dev(e),
	    zc_mentry_link_id(e));
	if (slot->idx == 0) {
		slot->ino = zc_mentry_link_id(e);
		slot->dev = zc_mentry_link_dev(e);
		slot->idx = idx + 1;
		s->nino++;
		return;
	}
	if (e->flags & ZC_MENTRY_SEND) {
		s->stats.plan_files--;
		s->stats.plan_bytes -= e->meta.size;
	}
	e->flags &= ~(ZC_MENTRY_SEND | ZC_MENTRY_META);
	send_link_set(s, idx, slot->idx - 1);
	send_mark_parent(s, e);
}

/*
 * Streamed: plan the entries the walk added since the last call, as
 * send_plan() and send_plan_links() plan them against an empty manifest.
 */
static void
send_plan_streamed(struct zc_send *s)
{
	struct zc_mentry	*e;

	for (; s->planned < s->src->n; s->planned++) {
		e = &s->src->v[s->planned];
		if (zc_special_type(e->meta.type) &&
		    !(s->feat & ZC_FEAT_SPECIAL)) {
			s->special_unsent++;
			continue;
		}
		send_plan_new(s, e);
		send_plan_link_streamed(s, (uint32_t)s->planned);
	}
}

/* HARDLINK: order src entries by inode, then walk order (qsort_r). */
static int
send_inode_cmp(const void *a, const void *b, void *arg)
{
	const struct zc_manifest *m = arg;
	const struct zc_mentry	*x = &m->v[*(const uint32_t *)a];
	const struct zc_mentry	*y = &m->v[*(const uint32_t *)b];

	if (zc_mentry_link_dev(x) != zc_mentry_link_dev(y))
		return (zc_mentry_link_dev(x) < zc_mentry_link_dev(y) ? -1 : 1);
	if (zc_mentry_link_id(x) != zc_mentry_link_id(y))
		return (zc_mentry_link_id(x) < zc_mentry_link_id(y) ? -1 : 1);
	return (*(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1);
}

static int
send_u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

/* HARDLINK: how many receiver entries share link_id id (sorted ids). */
static size_t
send_dst_links(const uint64_t *ids, size_t n, uint64_t id)
{
	size_t	lo = 0, hi = n, mid, c = 0;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo + c < n && ids[lo + c] == id)
		c++;
	return (c);
}

/* The receiver has e's content at e's path (its manifest entry, or NULL). */
static struct zc_mentry *
send_dst_same(struct zc_send *s, const struct zc_mentry *e)
{
	struct zc_mentry	*d = zc_manifest_find(s->dst, e->path);

	if (d == NULL || (d->flags & ZC_MENTRY_DEL) ||
	    !zc_meta_same_content(&e->meta, &d->meta))
		return (NULL);
	return (d);
}

/*
 * A file that is alone on our side but, on the receiver, shares its inode
 * with another path of the set (a link broken here) is sent again: the new
 * body lands as a new inode and breaks the link there too.
 */
static void
send_plan_unlink(struct zc_send *s, struct zc_mentry *e, const uint64_t *ids,
    size_t nids)
{
	struct zc_mentry	*d;

	if (e->meta.type != ZC_TYPE_FILE || (e->flags & ZC_MENTRY_SEND) ||
	    (d = zc_manifest_find(s->dst, e->path)) == NULL ||
	    zc_mentry_link_id(d) == 0 ||
	    send_dst_links(ids, nids, zc_mentry_link_id(d)) < 2)
		return;
	e->flags &= ~ZC_MENTRY_META;
	e->flags |= ZC_MENTRY_SEND;
	send_mark_parent(s, e);
	s->stats.skipped--;
	s->stats.plan_files++;
	s->stats.plan_bytes += e->meta.size;
}

/*
 * HARDLINK: group the source's files by inode.  A group is two or more
 * paths of one inode inside the set (a file whose other links are all
 * outside is just a file).  Its anchor is the first path, in walk order,
 * that the receiver already has with the same content (else simply the
 * first path); the anchor keeps its plan (FILE if its content differs,
 * else nothing or META) and every other path becomes a LINK to it, unless
 * the receiver already has all of them as one inode with the same content.
 * An anchor that is not sent is already on the receiver, so a LINK may
 * come before it in walk order; one that is sent comes first.
 */
static void
send_plan_links(struct zc_send *s)
{
	struct zc_mentry	*e, *f, *d, *ad;
	uint32_t		*v, anchor;
	uint64_t		*ids;
	size_t			 n = 0, nids = 0, i, j, k;
	int			 same;

	if (!(s->feat & ZC_FEAT_HARDLINK))
		return;
	ids = xcalloc(s->dst->n + 1, sizeof *ids);
	for (i = 0; i < s->dst->n; i++)
		if (zc_mentry_link_id(&s->dst->v[i]) != 0)
			ids[nids++] = zc_mentry_link_id(&s->dst->v[i]);
	qsort(ids, nids, sizeof *ids, send_u64_cmp);
	v = xcalloc(s->src->n + 1, sizeof *v);
	for (i = 0; i < s->src->n; i++) {
		if (zc_mentry_link_id(&s->src->v[i]) != 0)
			v[n++] = (uint32_t)i;
		else
			send_plan_unlink(s, &s->src->v[i], ids, nids);
	}
	qsort_r(v, n, sizeof *v, send_inode_cmp, s->src);
	for (i = 0; i < n; i = j) {
		f = &s->src->v[v[i]];
		for (j = i + 1; j < n; j++) {
			e = &s->src->v[v[j]];
			if (zc_mentry_link_dev(e) != zc_mentry_link_dev(f) ||
			    zc_mentry_link_id(e) != zc_mentry_link_id(f))
				break;
		}
		if (j - i < 2) {
			send_plan_unlink(s, f, ids, nids);
			continue;
		}
		anchor = v[i];
		ad = NULL;
		for (k = i; k < j && ad == NULL; k++)
			if ((ad = send_dst_same(s, &s->src->v[v[k]])) != NULL)
				anchor = v[k];
		same = ad != NULL && zc_mentry_link_id(ad) != 0;
		for (k = i; k < j && same; k++) {
			d = send_dst_same(s, &s->src->v[v[k]]);
			same = d != NULL &&
			    zc_mentry_link_id(d) == zc_mentry_link_id(ad);
		}
		for (k = i; k < j; k++) {
			if (v[k] == anchor)
				continue;
			e = &s->src->v[v[k]];
			if (e->flags & ZC_MENTRY_SEND) {
				s->stats.plan_files--;
				s->stats.plan_bytes -= e->meta.size;
			} else if (!same)
				s->stats.skipped--;
			e->flags &= ~(ZC_MENTRY_SEND | ZC_MENTRY_META);
			if (same)
				continue;
			send_link_set(s, v[k], anchor);
			send_mark_parent(s, e);
		}
	}
	free(v);
	free(ids);
}

/*
 * One past the last entry of dst[i]'s subtree: a walk in pre-order with
 * sorted names keeps a subtree contiguous.  What a DELETE of dst[i] removes.
 */
static size_t
send_subtree_end(const struct zc_send *s, size_t i)
{
	const char	*top = s->dst->v[i].path, *p;
	size_t		 j, n = strlen(top);

	for (j = i + 1; j < s->dst->n; j++) {
		p = s->dst->v[j].path;
		if (strncmp(p, top, n) != 0 || p[n] != '/')
			break;
	}
	return (j);
}

/* Count (and report) everything a DELETE of dst[i] removes. */
static void
send_deleted(struct zc_send *s, size_t i, enum zc_send_event ev)
{
	size_t	j, end = send_subtree_end(s, i);

	for (j = i; j < end; j++) {
		s->stats.deleted++;
		send_report(s, ev, s->dst->v[j].path, "delete");
	}
}

/* Dry run: say what would happen, send nothing. */
static void
send_plan_report(struct zc_send *s)
{
	struct zc_mentry	*d, *e;
	size_t			 i;

	/* Exactly what the real push would send (send_on_writable). */
	for (i = s->dst->n; i-- > 0;) {
		d = &s->dst->v[i];
		if ((d->flags & ZC_MENTRY_DEL) && !(d->parent != ZC_MANIFEST_NONE &&
		    (s->dst->v[d->parent].flags & ZC_MENTRY_DEL)))
			send_deleted(s, i, ZC_SEND_PLAN);
	}
	for (i = 0; i < s->src->n; i++) {
		e = &s->src->v[i];
		if (e->meta.type == ZC_TYPE_DIR &&
		    (e->flags & ZC_MENTRY_DIRTY) && !(e->flags & ZC_MENTRY_SEND)) {
			s->stats.dirs++;
			send_report(s, ZC_SEND_PLAN, e->path, "dir");
		} else if (e->flags & ZC_MENTRY_HLINK) {
			s->stats.hardlinks++;
			send_report(s, ZC_SEND_PLAN, e->path, "hardlink");
		} else if ((e->flags & ZC_MENTRY_SEND) &&
		    zc_special_type(e->meta.type)) {
			s->stats.specials++;
			send_report(s, ZC_SEND_PLAN, e->path, "special");
		} else if (e->flags & ZC_MENTRY_SEND) {
			switch (e->meta.type) {
			case ZC_TYPE_FILE:
				s->stats.files++;
				s->stats.bytes += e->meta.size;
				break;
			case ZC_TYPE_DIR:
				s->stats.dirs++;
				break;
			default:
				s->stats.links++;
				break;
			}
			send_report(s, ZC_SEND_PLAN, e->path, send_action(
			    e->meta.type == ZC_TYPE_DIR ? ZC_MSG_DIR :
			    e->meta.type == ZC_TYPE_SYMLINK ? ZC_MSG_SYMLINK :
			    ZC_MSG_FILE, e->meta.type));
		} else if (e->flags & ZC_MENTRY_META) {
			s->stats.metas++;
			send_report(s, ZC_SEND_PLAN, e->path, "meta");
		}
	}
}

static int
send_acl_announce(void *arg, uint8_t kind, uint32_t id)
{
	struct zc_send	*s = arg;

	return (zc_owner_announce(s->idmaps, s->conn->out, kind, id));
}

/*
 * Queue an entry frame; with XATTR negotiated it ends with the entry's
 * attribute block, read from fd or (fd -1, and always for a symlink) from
 * path beneath the source.  The set's xattrs off, or xnone (the walk read
 * none and the file's ctime has not moved since): an empty block.
 */
static int
send_put_entry(struct zc_send *s, uint8_t msg, struct zc_entry *ent, int fd,
    int xnone)
{
	const char	*leaf;
	char		 path[ZC_PATH_MAX + 1], name[1024];
	uint8_t		*blk = NULL;
	size_t		 len = 0;
	int		 pfd, error = 0, xflags = s->xflags;

	ent->feat = s->feat;
	if (s->idmap && msg != ZC_MSG_DELETE &&
	    ((error = zc_owner_announce(s->idmaps, s->conn->out,
	    ZC_IDMAP_USER, ent->meta.uid)) != 0 ||
	    (error = zc_owner_announce(s->idmaps, s->conn->out,
	    ZC_IDMAP_GROUP, ent->meta.gid)) != 0))
		return (error);
	if (s->xattrs && msg != ZC_MSG_DELETE && !xnone) {
		if (fd >= 0 && ent->meta.type != ZC_TYPE_SYMLINK)
			error = zc_xattr_read(fd, -1, NULL, xflags, &blk, &len);
		else if (ent->path_len >= sizeof path)
			error = -ENAMETOOLONG;
		else {
			memcpy(path, ent->path, ent->path_len);
			path[ent->path_len] = '\0';
			pfd = zc_path_open_parent(s->src_fd, path, &leaf);
			if (pfd >= 0) {
				error = zc_xattr_read(-1, pfd, leaf, xflags,
				    &blk, &len);
				close(pfd);
			} else
				error = pfd;
		}
		if (error != 0)
			zc_log_info("set=%s %s: extended attributes: %s",
			    s->opts.set, zc_log_namen(ent->path, ent->path_len,
			    name, sizeof name), strerror(-error));
		/* IDMAP: the names of the users and groups its ACLs name. */
		if (s->idmap && blk != NULL && (error = zc_xattr_acl_ids(blk,
		    len, send_acl_announce, s)) != 0) {
			free(blk);
			return (error);
		}
	}
	ent->xattrs = blk;
	ent->xattrs_len = len;
	error = zc_proto_put_entry(s->conn->out, msg, ent);
	ent->xattrs = NULL;
	ent->xattrs_len = 0;
	free(blk);
	return (error);
}

static int
send_entry_frame(struct zc_send *s, uint8_t msg, const struct zc_mentry *e,
    const struct zc_meta *meta, uint64_t seq)
{
	struct zc_entry	ent;

	memset(&ent, 0, sizeof ent);
	ent.feat = s->feat;
	ent.seq = seq;
	if (meta != NULL)
		ent.meta = *meta;
	ent.path = e->path;
	ent.path_len = strlen(e->path);
	if (msg == ZC_MSG_SYMLINK) {
		ent.target = zc_mentry_target(e);
		ent.target_len = strlen(ent.target);
	}
	return (send_put_entry(s, msg, &ent, -1, 0));
}

/* Did the file change since cur_st?  (size, mtime or ctime) */
static int
send_changed(struct zc_send *s, int fd)
{
	struct stat	st;

	if (fstat(fd, &st) == -1)
		return (1);
	return (st.st_size != s->cur_st.st_size ||
	    st.st_mtim.tv_sec != s->cur_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != s->cur_st.st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != s->cur_st.st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != s->cur_st.st_ctim.tv_nsec);
}

/* How many times src entry idx was sent again (tries_cap grows with src). */
static uint8_t
send_tries(const struct zc_send *s, uint32_t idx)
{
	return (idx < s->tries_cap ? s->tries[idx] : 0);
}

static void
send_retry_later(struct zc_send *s, uint32_t idx)
{
	size_t	ncap;

	if (idx >= s->tries_cap) {
		ncap = s->src->cap > idx ? s->src->cap : (size_t)idx + 1;
		s->tries = xrealloc(s->tries, ncap);
		memset(s->tries + s->tries_cap, 0, ncap - s->tries_cap);
		s->tries_cap = ncap;
	}
	if (++s->tries[idx] > ZC_SEND_RETRIES) {
		s->stats.failed++;
		send_report(s, ZC_SEND_FAILED, s->src->v[idx].path,
		    "changed during send, too many times");
		return;
	}
	s->stats.retried++;
	if (s->nretry == s->retry_cap) {
		s->retry_cap = s->retry_cap == 0 ? 64 : s->retry_cap * 2;
		s->retry = xreallocarray(s->retry, s->retry_cap,
		    sizeof *s->retry);
	}
	s->retry[s->nretry++] = idx;
}

/*
 * VERIFY: FILE_END carries the XXH3-128 of the body as it was sent (conn.c
 * and send_file() hashed it); zeros when aborted.
 */
static int
send_file_end_verify(struct zc_send *s, uint32_t status)
{
	uint8_t	hash[ZC_VERIFY_LEN];

	memset(hash, 0, sizeof hash);
	if (status == ZC_BODY_COMPLETE)
		zc_verify_digest(s->hash, hash);
	s->conn->body_out_hash = NULL;
	return (zc_proto_put_file_end_verify(s->conn->out, s->cur_seq, status,
	    hash));
}

static void
send_segs_free(struct zc_send *s)
{
	free(s->cur_segs);
	s->cur_segs = NULL;
	s->cur_nsegs = s->cur_seg = 0;
	s->cur_shrunk = 0;
}

/*
 * SPARSE: the next data segment leaves by sendfile at its offset.  Once
 * one came up short (the file shrank) the rest is zeros, as for a dense
 * body, and FILE_END says ABORTED.
 */
static void
send_next_seg(struct zc_send *s)
{
	uint64_t	off, len;

	zc_proto_seg_get(s->cur_segs, s->cur_seg++, &off, &len);
	zc_conn_send_body(s->conn, s->cur_shrunk ? -1 : s->cur_fd, (off_t)off,
	    len);
}

/* SPARSE: read the segments of a small body into p (len bytes). */
static size_t
send_read_segs(struct zc_send *s, const struct zc_entry *ent, uint8_t *p)
{
	uint64_t	off, len;
	size_t		got, total = 0;
	ssize_t		n;
	uint32_t	i;

	for (i = 0; i < ent->nsegs; i++) {
		zc_proto_seg_get(ent->segs, i, &off, &len);
		for (got = 0; got < len; got += (size_t)n) {
			n = pread(s->cur_fd, p + total + got, len - got,
			    (off_t)(off + got));
			if (n < 0 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n <= 0)
				return (total + got);
		}
		total += len;
	}
	return (total);
}

/* End the body in progress with FILE_END. */
static int
send_file_end(struct zc_send *s, int aborted)
{
	uint32_t	status;
	int		error;

	status = aborted ? ZC_BODY_ABORTED : ZC_BODY_COMPLETE;
	if (!aborted && send_changed(s, s->cur_fd))
		status = ZC_BODY_ABORTED;
	close(s->cur_fd);
	s->cur_fd = -1;
	send_segs_free(s);
	if ((error = s->hash != NULL ? send_file_end_verify(s, status) :
	    zc_proto_put_file_end(s->conn->out, s->cur_seq, status)) != 0)
		return (send_fail(s, error, "cannot queue FILE_END"));
	/*
	 * A catch-up file is retried from the manifest; a live one (no
	 * index) comes back with its next inotify event.
	 */
	if (status == ZC_BODY_ABORTED && s->cur_idx != ZC_MANIFEST_NONE)
		send_retry_later(s, s->cur_idx);
	else if (status == ZC_BODY_ABORTED && s->cur_path != NULL)
		send_aborted_add(s, s->cur_path);
	free(s->cur_path);
	s->cur_path = NULL;
	return (0);
}

/*
 * Send one file: header, then the body, from the output buffer (small) or
 * by sendfile (large).  0, or -errno for the session.
 */
static int
send_file(struct zc_send *s, const char *path, uint32_t idx)
{
	return (send_file_fd(s, path, idx, zc_path_openat(s->src_fd, path,
	    O_RDONLY | O_NOFOLLOW, 0)));
}

/* send_file() with path opened already: fd, or -errno from opening it. */
static int
send_file_fd(struct zc_send *s, const char *path, uint32_t idx, int fd)
{
	struct zc_meta		 meta;
	struct zc_entry		 ent;
	uint8_t			*p;
	uint64_t		 body;
	size_t			 got;
	ssize_t			 n;
	int			 error, xnone;

	if (fd < 0) {
		if (fd == -ENOENT || fd == -ELOOP || fd == -ENOTDIR) {
			s->stats.vanished++;
			send_report(s, ZC_SEND_VANISHED, path,
			    "vanished before it was sent");
			/* Renamed away, perhaps: the new name goes whole. */
			if (idx == ZC_MANIFEST_NONE)
				send_aborted_add(s, path);
		} else {
			s->stats.failed++;
			send_report(s, ZC_SEND_FAILED, path, strerror(-fd));
		}
		return (0);
	}
	if (fstat(fd, &s->cur_st) == -1 ||
	    zc_meta_from_stat(&s->cur_st, &meta) != 0 ||
	    meta.type != ZC_TYPE_FILE) {
		close(fd);
		s->stats.vanished++;
		send_report(s, ZC_SEND_VANISHED, path, "changed type");
		return (0);
	}
	memset(&ent, 0, sizeof ent);
	if ((s->feat & ZC_FEAT_SPARSE) && (error = zc_sparse_map(fd,
	    &s->cur_st, zc_proto_segs_max(strlen(path)), &s->cur_segs,
	    &s->cur_nsegs)) != 0) {
		close(fd);
		s->stats.failed++;
		send_report(s, ZC_SEND_FAILED, path, strerror(-error));
		return (0);
	}
	s->cur_fd = fd;
	s->cur_idx = idx;
	free(s->cur_path);
	s->cur_path = idx == ZC_MANIFEST_NONE ? xstrdup(path) : NULL;
	s->cur_seq = ++s->seq;
	ent.feat = s->feat;
	ent.seq = s->cur_seq;
	ent.meta = meta;
	ent.path = path;
	ent.path_len = strlen(path);
	ent.segs = s->cur_segs;
	ent.nsegs = s->cur_nsegs;
	xnone = idx != ZC_MANIFEST_NONE &&
	    zc_manifest_xnone(s->src, &s->src->v[idx], &s->cur_st);
	if ((error = send_put_entry(s, ZC_MSG_FILE, &ent, fd, xnone)) != 0)
		return (send_fail(s, error, "cannot queue FILE"));
	body = zc_proto_body_len(&ent);
	send_flight_push(s, s->cur_seq, ZC_MSG_FILE, path, idx, body);
	if (s->hash != NULL) {
		zc_verify_reset(s->hash);
		s->conn->body_out_hash = s->hash;
	}
	if (body > ZC_SEND_SMALL_MAX || s->opts.no_zerocopy) {
		if (s->cur_segs != NULL)
			send_next_seg(s);
		else
			zc_conn_send_body(s->conn, fd, 0, body);
		return (0);
	}
	if (body == 0)
		return (send_file_end(s, 0));
	if ((error = zc_buf_reserve(s->conn->out, body, &p)) != 0)
		return (send_fail(s, error, "output buffer full"));
	if (s->cur_segs != NULL) {
		got = send_read_segs(s, &ent, p);
		if (got < body)
			memset(p + got, 0, body - got);
		if (s->hash != NULL)
			zc_verify_update(s->hash, p, body);
		zc_buf_commit(s->conn->out, body);
		return (send_file_end(s, got < body));
	}
	for (got = 0; got < meta.size; got += (size_t)n) {
		n = pread(fd, p + got, meta.size - got, (off_t)got);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			break;
	}
	if (got < meta.size)
		memset(p + got, 0, meta.size - got);
	if (s->hash != NULL)
		zc_verify_update(s->hash, p, meta.size);
	zc_buf_commit(s->conn->out, meta.size);
	return (send_file_end(s, got < meta.size));
}

/* HARDLINK: LINK path to its group's first path, sent before it. */
static int
send_hlink(struct zc_send *s, uint32_t idx)
{
	struct zc_mentry	*e = &s->src->v[idx];
	struct zc_mentry	*f = &s->src->v[s->link_first[idx]];
	struct zc_entry		 ent;
	int			 error;

	memset(&ent, 0, sizeof ent);
	ent.feat = s->feat;
	ent.seq = ++s->seq;
	ent.meta = e->meta;
	ent.path = e->path;
	ent.path_len = strlen(e->path);
	ent.target = f->path;
	ent.target_len = strlen(f->path);
	if ((error = zc_proto_put_link(s->conn->out, &ent)) != 0)
		return (send_fail(s, error, "cannot queue LINK"));
	send_flight_push(s, ent.seq, ZC_MSG_LINK, e->path, idx, 0);
	return (0);
}

static int
send_one(struct zc_send *s, uint32_t idx)
{
	struct zc_mentry	*e = &s->src->v[idx];
	uint8_t			 msg;
	int			 error;

	if (e->flags & ZC_MENTRY_HLINK)
		return (send_hlink(s, idx));
	if (e->flags & ZC_MENTRY_META)
		msg = ZC_MSG_META;
	else if (e->meta.type == ZC_TYPE_DIR &&
	    (e->flags & (ZC_MENTRY_SEND | ZC_MENTRY_DIRTY)))
		msg = ZC_MSG_DIR;
	else if (!(e->flags & ZC_MENTRY_SEND))
		return (0);
	else if (e->meta.type == ZC_TYPE_FILE)
		return (send_file(s, e->path, idx));
	else if (zc_special_type(e->meta.type))
		msg = ZC_MSG_META;	/* SPECIAL: META makes it */
	else
		msg = ZC_MSG_SYMLINK;
	if ((error = send_entry_frame(s, msg, e, &e->meta, ++s->seq)) != 0)
		return (send_fail(s, error, "cannot queue an entry"));
	send_flight_push(s, s->seq, msg, e->path, idx,
	    zc_special_type(e->meta.type) ? SEND_FLIGHT_SPECIAL : 0);
	return (0);
}

static int
send_sync(struct zc_send *s)
{
	int	error;

	if ((error = zc_proto_put_sync(s->conn->out, ++s->seq)) != 0)
		return (send_fail(s, error, "cannot queue SYNC"));
	send_flight_push(s, s->seq, ZC_MSG_SYNC, "", ZC_MANIFEST_NONE, 0);
	s->unsynced = 0;
	return (0);
}

/* Live: mark path as aborted (see struct zc_send), once. */
static void
send_aborted_add(struct zc_send *s, const char *path)
{
	size_t	i;

	for (i = 0; i < s->naborted; i++)
		if (strcmp(s->aborted[i], path) == 0)
			return;
	if (s->naborted == s->aborted_cap) {
		s->aborted_cap = s->aborted_cap ? s->aborted_cap * 2 : 8;
		s->aborted = xreallocarray(s->aborted, s->aborted_cap,
		    sizeof *s->aborted);
	}
	s->aborted[s->naborted++] = xstrdup(path);
}

/* Live: 1 if path was marked aborted, and unmark it. */
static int
send_aborted_take(struct zc_send *s, const char *path)
{
	size_t	i;

	for (i = 0; i < s->naborted; i++) {
		if (strcmp(s->aborted[i], path) != 0)
			continue;
		free(s->aborted[i]);
		s->aborted[i] = s->aborted[--s->naborted];
		return (1);
	}
	return (0);
}

static void
send_fallback(struct zc_send *s, const char *path)
{
	if (s->nfallback == s->fallback_cap) {
		s->fallback_cap = s->fallback_cap ? s->fallback_cap * 2 : 16;
		s->fallback = xreallocarray(s->fallback, s->fallback_cap,
		    sizeof *s->fallback);
	}
	s->fallback[s->nfallback++] = xstrdup(path);
}

/*
 * Live: a change in a directory moves its mtime on the receiver too, so
 * its parent's metadata is sent again before the next SYNC.
 */
static void
send_live_dirty(struct zc_send *s, const char *path)
{
	static const struct zc_meta	 none;
	const char			*slash;

	if ((slash = strrchr(path, '/')) == NULL)
		return;		/* the root keeps its own metadata */
	if (s->dirty == NULL)
		s->dirty = zc_manifest_new();
	(void)zc_manifest_add(s->dirty, &none, path, (size_t)(slash - path),
	    NULL, 0, ZC_MANIFEST_NONE);
}

/*
 * Live, HARDLINK: keep the catch-up's paths of files with more than one
 * link.  Only those: a live link keeps no other per-file state, so a new
 * name of a file that had one link (`ln a b`) is sent as a file, and the
 * next catch-up makes it a link (PROTOCOL.md 12.2).
 */
static void
send_live_hl_keep(struct zc_send *s)
{
	struct zc_mentry	*e;
	struct zc_mextra	 x;
	size_t			 i;

	if (!(s->feat & ZC_FEAT_HARDLINK) || s->hl != NULL)
		return;
	s->hl = zc_manifest_new();
	for (i = 0; i < s->src->n; i++) {
		e = &s->src->v[i];
		if (!(e->flags & ZC_MENTRY_HAS_LINK))
			continue;
		memset(&x, 0, sizeof x);
		x.link_id = zc_mentry_link_id(e);
		x.link_dev = zc_mentry_link_dev(e);
		(void)zc_manifest_add_extra(s->hl, &e->meta, e->path,
		    strlen(e->path), &x, ZC_MANIFEST_NONE);
	}
}

/* Is rel (beneath the source root) still the inode st names? */
static int
send_live_same_inode(struct zc_send *s, const char *rel, const struct stat *st)
{
	struct stat	 cur;
	const char	*leaf;
	int		 pfd, same;

	if ((pfd = zc_path_open_parent(s->src_fd, rel, &leaf)) < 0)
		return (0);
	same = fstatat(pfd, leaf, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(cur.st_mode) && cur.st_dev == st->st_dev &&
	    cur.st_ino == st->st_ino;
	close(pfd);
	return (same);
}

static void
send_live_hl_queue(struct zc_send *s, const char *path, const char *target)
{
	if (s->nhl == s->hl_cap) {
		s->hl_cap = s->hl_cap ? s->hl_cap * 2 : 8;
		s->hl_path = xreallocarray(s->hl_path, s->hl_cap,
		    sizeof *s->hl_path);
		s->hl_target = xreallocarray(s->hl_target, s->hl_cap,
		    sizeof *s->hl_target);
	}
	s->hl_path[s->nhl] = xstrdup(path);
	s->hl_target[s->nhl] = xstrdup(target);
	s->nhl++;
}

/*
 * Live, HARDLINK: path is a file with more than one link.  Another known
 * path of its inode that still is one: a new name is sent as a LINK to it
 * (1); a known name is sent whole (0) and LINKs for the others follow its
 * body, so the receiver's copies stay one inode with the new content.
 */
static int
send_live_hl(struct zc_send *s, const char *path, const struct stat *st)
{
	static const struct zc_meta file = { .type = ZC_TYPE_FILE };
	struct zc_mentry	*e;
	struct zc_mextra	 x;
	const char		*other = NULL;
	uint32_t		 dev = (uint32_t)(st->st_dev ^
				    ((uint64_t)st->st_dev >> 32));
	size_t			 i, before = s->nhl;
	int			 known = 0;

	if (s->hl == NULL || st->st_nlink < 2)
		return (0);
	for (i = 0; i < s->hl->n; i++) {
		e = &s->hl->v[i];
		if (zc_mentry_link_id(e) != (uint64_t)st->st_ino ||
		    zc_mentry_link_dev(e) != dev)
			continue;
		if (strcmp(e->path, path) == 0) {
			known = 1;
			continue;
		}
		if (!send_live_same_inode(s, e->path, st))
			continue;
		if (other == NULL)
			other = e->path;
		send_live_hl_queue(s, e->path, path);
	}
	if (!known) {
		memset(&x, 0, sizeof x);
		x.link_id = (uint64_t)st->st_ino;
		x.link_dev = dev;
		(void)zc_manifest_add_extra(s->hl, &file, path, strlen(path),
		    &x, ZC_MANIFEST_NONE);
	}
	if (known || other == NULL)
		return (0);
	/* A new name: one LINK to a name the receiver has, no body. */
	while (s->nhl > before) {
		s->nhl--;
		free(s->hl_path[s->nhl]);
		free(s->hl_target[s->nhl]);
	}
	send_live_hl_queue(s, path, other);
	return (1);
}

/* Live, HARDLINK: one queued LINK. */
static int
send_live_link(struct zc_send *s, const char *path, const char *target)
{
	struct stat	 st;
	struct zc_entry	 ent;
	const char	*leaf;
	int		 pfd, error;

	memset(&ent, 0, sizeof ent);
	if ((pfd = zc_path_open_parent(s->src_fd, path, &leaf)) < 0)
		return (0);
	error = fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW);
	close(pfd);
	if (error == -1 || zc_meta_from_stat(&st, &ent.meta) != 0 ||
	    ent.meta.type != ZC_TYPE_FILE)
		return (0);	/* changed meanwhile: an event follows */
	send_live_dirty(s, path);
	ent.feat = s->feat;
	ent.seq = ++s->seq;
	ent.path = path;
	ent.path_len = strlen(path);
	ent.target = target;
	ent.target_len = strlen(target);
	if ((error = zc_proto_put_link(s->conn->out, &ent)) != 0)
		return (send_fail(s, error, "cannot queue LINK"));
	send_flight_push(s, ent.seq, ZC_MSG_LINK, path, ZC_MANIFEST_NONE, 0);
	return (0);
}

/*
 * Live, SPECIAL: a fifo, socket or device is sent (as META) when the set
 * says specials and the receiver takes them: 0 and *m; else -ENOTSUP, and
 * the first one a live link skips is logged.
 */
static int
send_live_special(struct zc_send *s, const char *path, const struct stat *st,
    struct zc_meta *m)
{
	char	name[1024];

	if (s->opts.specials && (s->feat & ZC_FEAT_SPECIAL) &&
	    zc_special_from_stat(st, m) == 0)
		return (0);
	if (zc_special_kind(st->st_mode) != 0 && !s->special_noted) {
		s->special_noted = 1;
		zc_log_warn("set=%s: skipped special file %s: %s",
		    s->opts.set, zc_log_name(path, name, sizeof name),
		    s->opts.specials ? "the receiver does not take special "
		    "files" : "set specials: true to send them");
	}
	return (-ENOTSUP);
}

/*
 * Live: send what path is now: its entry, metadata only with attr_only,
 * or DELETE when it is gone (with the DELETE flag).  0 or -errno for the
 * session; a path we cannot send is reported and skipped.
 */
static int
send_live_path(struct zc_send *s, const char *path, int attr_only)
{
	struct stat	 st;
	struct zc_entry	 ent;
	const char	*leaf;
	char		 target[ZC_PROTO_TARGET_MAX + 1];
	ssize_t		 n;
	uint8_t		 msg;
	int		 pfd, fd, error, was_aborted;

	if (strlen(path) > ZC_PATH_MAX || *path == '\0') {
		s->stats.failed++;
		send_report(s, ZC_SEND_FAILED, path, "name too long");
		return (0);
	}
	if (send_is_backup(s, path))
		return (0);
	/* A chmod of a file whose body we aborted: the body goes too. */
	if ((was_aborted = send_aborted_take(s, path)) != 0)
		attr_only = 0;
	memset(&ent, 0, sizeof ent);
	ent.feat = s->feat;
	ent.path = path;
	ent.path_len = strlen(path);
	if (!attr_only)
		send_live_dirty(s, path);
	pfd = zc_path_open_parent(s->src_fd, path, &leaf);
	if (pfd >= 0 && fstatat(pfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		error = -errno;
		close(pfd);
		pfd = error;
	}
	if (pfd == -ENOENT || pfd == -ENOTDIR || pfd == -ELOOP) {
		if (!(s->opts.flags & ZC_PUSH_DELETE)) {
			if (was_aborted)	/* still there: renamed? */
				send_aborted_add(s, path);
			return (0);
		}
		if ((error = send_guard_live(s)) != 0)
			return (error);
		ent.seq = ++s->seq;
		if ((error = zc_proto_put_entry(s->conn->out, ZC_MSG_DELETE,
		    &ent)) != 0)
			return (send_fail(s, error, "cannot queue DELETE"));
		send_flight_push(s, ent.seq, ZC_MSG_DELETE, path,
		    ZC_MANIFEST_NONE, 0);
		return (0);
	}
	if (pfd < 0) {
		if (was_aborted)
			send_aborted_add(s, path);
		s->stats.failed++;
		send_report(s, ZC_SEND_FAILED, path, strerror(-pfd));
		return (0);
	}
	if (zc_meta_from_stat(&st, &ent.meta) != 0 &&
	    send_live_special(s, path, &st, &ent.meta) != 0) {
		close(pfd);
		return (0);	/* fifo, device, socket: not sent */
	}
	switch (ent.meta.type) {
	case ZC_TYPE_FIFO:
	case ZC_TYPE_SOCK:
	case ZC_TYPE_CHR:
	case ZC_TYPE_BLK:
		close(pfd);
		msg = ZC_MSG_META;	/* SPECIAL: META makes it */
		break;
	case ZC_TYPE_FILE:
		if (!attr_only && send_live_hl(s, path, &st)) {
			close(pfd);
			return (0);	/* a LINK is queued instead */
		}
		if (!attr_only) {
			/* pfd is beneath the root: one name, no walk again. */
			fd = openat(pfd, leaf, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
			    O_CLOEXEC);
			if (fd == -1)
				fd = -errno;
			close(pfd);
			return (send_file_fd(s, path, ZC_MANIFEST_NONE, fd));
		}
		close(pfd);
		msg = ZC_MSG_META;
		break;
	case ZC_TYPE_DIR:
		close(pfd);
		msg = ZC_MSG_DIR;
		break;
	default:
		n = readlinkat(pfd, leaf, target, sizeof target);
		close(pfd);
		if (n <= 0 || (size_t)n >= sizeof target)
			return (0);	/* changed meanwhile: an event follows */
		target[n] = '\0';
		ent.target = target;
		ent.target_len = (size_t)n;
		ent.meta.size = (uint64_t)n;
		msg = ZC_MSG_SYMLINK;
		break;
	}
	ent.seq = ++s->seq;
	if ((error = send_put_entry(s, msg, &ent, -1, 0)) != 0)
		return (send_fail(s, error, "cannot queue an entry"));
	send_flight_push(s, ent.seq, msg, path, ZC_MANIFEST_NONE, 0);
	return (0);
}

/* Live: a directory's metadata again (DIR), if it is still a directory. */
static int
send_live_dir(struct zc_send *s, const char *path)
{
	struct stat	 st;
	struct zc_entry	 ent;
	int		 fd, error;

	fd = zc_path_openat(s->src_fd, path, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW, 0);
	if (fd < 0)
		return (0);
	memset(&ent, 0, sizeof ent);
	if (fstat(fd, &st) == -1 || zc_meta_from_stat(&st, &ent.meta) != 0) {
		close(fd);
		return (0);
	}
	close(fd);
	ent.seq = ++s->seq;
	ent.path = path;
	ent.path_len = strlen(path);
	if ((error = send_put_entry(s, ZC_MSG_DIR, &ent, -1, 0)) != 0)
		return (send_fail(s, error, "cannot queue DIR"));
	send_flight_push(s, ent.seq, ZC_MSG_DIR, path, ZC_MANIFEST_NONE, 0);
	return (0);
}

/* Live: path and everything beneath it (a new or moved-in directory). */
static int
send_live_tree(struct zc_send *s, const char *path)
{
	char	err[512];
	int	fd, error;

	fd = zc_path_openat(s->src_fd, path, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW, 0);
	if (fd < 0)
		return (send_live_path(s, path, 0));	/* not a directory */
	zc_manifest_free(s->tree);
	free(s->tree_base);
	s->tree = zc_manifest_new();
	s->tree_base = xstrdup(path);
	s->tree_pos = 0;
	if ((error = send_walk(s, s->tree, fd, path, s->opts.specials &&
	    (s->feat & ZC_FEAT_SPECIAL) ? ZC_MANIFEST_SPECIALS : 0, err,
	    sizeof err)) != 0)
		zc_log_warn("set=%s: walking %s: %s", s->opts.set, path, err);
	close(fd);
	return (send_live_path(s, path, 0));
}

/*
 * Live: the receiver renames its older copy of an aborted path (or of one
 * beneath a renamed directory) too; the new name follows whole.
 */
static void
send_aborted_rename(struct zc_send *s, const char *from, const char *to)
{
	size_t	 i, n = strlen(from);
	char	*p, *np;

	for (i = 0; i < s->naborted;) {
		p = s->aborted[i];
		if (strncmp(p, from, n) != 0 || (p[n] != '\0' &&
		    p[n] != '/')) {
			i++;
			continue;
		}
		xasprintf(&np, "%s%s", to, p + n);
		send_fallback(s, np);
		free(np);
		free(p);
		s->aborted[i] = s->aborted[--s->naborted];
	}
}

static int
send_live_rename(struct zc_send *s, const char *from, const char *to)
{
	struct zc_entry	ent;
	int		error;

	if (strlen(from) > ZC_PATH_MAX || strlen(to) > ZC_PATH_MAX) {
		send_fallback(s, to);
		return (0);
	}
	send_live_dirty(s, from);
	send_live_dirty(s, to);
	memset(&ent, 0, sizeof ent);
	ent.seq = ++s->seq;
	ent.path = from;
	ent.path_len = strlen(from);
	ent.target = to;
	ent.target_len = strlen(to);
	if ((error = zc_proto_put_rename(s->conn->out, &ent)) != 0)
		return (send_fail(s, error, "cannot queue RENAME"));
	send_flight_push(s, ent.seq, ZC_MSG_RENAME, to, ZC_MANIFEST_NONE, 0);
	send_aborted_rename(s, from, to);
	return (0);
}

/* One live step: 0 after output (or progress), 1 when idle, or -errno. */
static int
send_live_step(struct zc_send *s)
{
	struct zc_live_item	 it;
	char			*p;
	int			 error;

	if (s->nhl > 0) {
		/* After the body they follow (no body is in flight here). */
		s->nhl--;
		error = send_live_link(s, s->hl_path[s->nhl],
		    s->hl_target[s->nhl]);
		free(s->hl_path[s->nhl]);
		free(s->hl_target[s->nhl]);
		return (error);
	}
	if (s->tree != NULL) {
		if (s->tree_pos < s->tree->n) {
			xasprintf(&p, "%s/%s", s->tree_base,
			    s->tree->v[s->tree_pos++].path);
			if (s->opts.covered != NULL)
				s->opts.covered(s->opts.arg, p);
			error = send_live_path(s, p, 0);
			free(p);
			return (error);
		}
		zc_manifest_free(s->tree);
		free(s->tree_base);
		s->tree = NULL;
		s->tree_base = NULL;
		return (0);
	}
	if (s->nfallback > 0) {
		p = s->fallback[--s->nfallback];
		error = send_live_tree(s, p);
		free(p);
		return (error);
	}
	memset(&it, 0, sizeof it);
	if (s->opts.next(s->opts.arg, &it)) {
		switch (it.op) {
		case ZC_LIVE_PATH:
			return (send_live_path(s, it.path, 0));
		case ZC_LIVE_ATTR:
			return (send_live_path(s, it.path, 1));
		case ZC_LIVE_TREE:
			return (send_live_tree(s, it.path));
		case ZC_LIVE_RENAME:
			return (send_live_rename(s, it.path, it.path2));
		}
		return (0);
	}
	if (s->dirty != NULL) {
		if (s->dirty_pos < s->dirty->n) {
			/* Not send_live_path(): that would dirty its parent. */
			p = xstrdup(s->dirty->v[s->dirty_pos++].path);
			error = send_live_dir(s, p);
			free(p);
			return (error);
		}
		zc_manifest_free(s->dirty);
		s->dirty = NULL;
		s->dirty_pos = 0;
	}
	if (s->unsynced)
		return (send_sync(s));
	return (1);
}

static int
send_on_writable(struct zc_conn *c)
{
	struct zc_send		*s = c->data;
	struct zc_mentry	*d;
	struct zc_entry		 ent;
	uint32_t		 idx;
	int			 error;

	if (s->state != SEND_STREAM)
		return (0);
	while (zc_buf_len(c->out) < ZC_SEND_BATCH && s->cur_fd == -1 &&
	    !(c->flags & ZC_CONN_OUT_BODY)) {
		switch (s->phase) {
		case PHASE_DELETE:
			if (s->cursor == 0) {
				s->phase = PHASE_TREE;
				break;
			}
			d = &s->dst->v[--s->cursor];
			/* Top-most only: the receiver removes whole trees. */
			if (!(d->flags & ZC_MENTRY_DEL) ||
			    (d->parent != ZC_MANIFEST_NONE &&
			    (s->dst->v[d->parent].flags & ZC_MENTRY_DEL)))
				break;
			memset(&ent, 0, sizeof ent);
			ent.seq = ++s->seq;
			ent.path = d->path;
			ent.path_len = strlen(d->path);
			if ((error = zc_proto_put_entry(c->out, ZC_MSG_DELETE,
			    &ent)) != 0)
				return (send_fail(s, error, "cannot queue"));
			send_flight_push(s, s->seq, ZC_MSG_DELETE, d->path,
			    (uint32_t)s->cursor, 0);
			break;
		case PHASE_TREE:
			if (s->cursor == s->src->n) {
				/* Streamed: all that is walked is sent. */
				if (s->walk != NULL) {
					if ((error = send_walk_step(s,
					    SEND_WALK_STEP)) < 0)
						return (error);
					break;
				}
				s->phase = PHASE_RETRY;
				break;
			}
			if ((error = send_one(s, (uint32_t)s->cursor++)) != 0)
				return (error);
			break;
		case PHASE_RETRY:
			if (s->retry_pos == s->nretry) {
				/* Bodies in flight may still be aborted. */
				if (s->cur_fd != -1)
					return (0);
				/* VERIFY: or refused, and sent again. */
				if (s->hash != NULL && s->flight_len > 0)
					return (0);
				if (s->opts.next != NULL) {
					/* Live: SYNC marks the catch-up's end. */
					if ((error = send_sync(s)) != 0)
						return (error);
					s->phase = PHASE_LIVE;
					break;
				}
				if ((error = zc_proto_put_done(c->out)) != 0)
					return (send_fail(s, error, "queue"));
				s->phase = PHASE_DONE;
				s->state = SEND_DRAIN;
				return (0);
			}
			idx = s->retry[s->retry_pos++];
			if ((error = send_file(s, s->src->v[idx].path,
			    idx)) != 0)
				return (error);
			break;
		case PHASE_LIVE:
			if ((error = send_live_step(s)) != 0)
				return (error < 0 ? error : 0);
			break;
		case PHASE_DONE:
			return (0);
		}
	}
	return (0);
}

static int
send_on_body_sent(struct zc_conn *c, int shrunk)
{
	struct zc_send	*s = c->data;

	if (s->cur_segs != NULL) {
		s->cur_shrunk |= shrunk;
		if (s->cur_seg < s->cur_nsegs) {
			send_next_seg(s);
			return (0);
		}
		shrunk = s->cur_shrunk;
	}
	return (send_file_end(s, shrunk));
}

/*
 * The features our HELLO lists: without the set's xattrs we do not offer
 * XATTR, so the receiver leaves its attributes alone (a PULL server has
 * sent its HELLO before it knew the set: there the blocks go empty).
 */
static uint64_t
send_features(const struct zc_send *s)
{
	uint64_t	feat = zc_proto_features();

	if (s->opts.no_xattrs)
		feat &= ~ZC_FEAT_XATTR;
	if (s->opts.numeric_ids)
		feat &= ~ZC_FEAT_IDMAP;
	return (feat);
}

/*
 * IDMAP negotiated: owners travel with names both ways, unless the set
 * says numeric_ids (then we did not offer it).
 */
static void
send_idmap_on(struct zc_send *s)
{
	s->idmap = (s->feat & ZC_FEAT_IDMAP) && !s->opts.numeric_ids;
	if (s->idmap && s->idmaps == NULL)
		s->idmaps = zc_owner_map_new();
}

static int
send_on_hello(struct zc_send *s, struct zc_rd *rd)
{
	struct zc_hello	h;

	if (zc_proto_get_hello(rd, &h) != 0)
		return (send_fail(s, -EPROTO, "malformed HELLO from receiver"));
	if (h.magic != ZC_PROTO_MAGIC || h.version != ZC_PROTO_VERSION)
		return (send_fail(s, -EPROTO, "receiver speaks another "
		    "protocol (version %u)", h.version));
	if (h.mandatory & ~ZC_FEAT_KNOWN)
		return (send_fail(s, -EPROTO, "receiver needs features we "
		    "lack (%#llx)", (unsigned long long)h.mandatory));
	s->feat = send_features(s) & h.features;
	s->man_feat = s->feat;
	s->owners = (h.features & ZC_FEAT_OWNER) != 0;	/* it may chown */
	s->xattrs = (s->feat & ZC_FEAT_XATTR) && !s->opts.no_xattrs;
	s->xflags = geteuid() == 0 ? ZC_XATTR_PRIV : 0;
	send_idmap_on(s);
	if (s->hash != NULL && !(s->feat & ZC_FEAT_VERIFY))
		return (send_fail(s, -EPROTO, "the receiver cannot verify (no "
		    "VERIFY feature)"));
	s->state = SEND_MANIFEST;
	return (0);
}

/*
 * XATTR: the source walk hashes attributes unless the set says not to
 * (HELLO has not told us yet whether the receiver keeps them).
 */
static void
send_walk_flags(struct zc_send *s, struct zc_manifest *m)
{
	if (!s->opts.no_xattrs && (zc_proto_features() & ZC_FEAT_XATTR))
		m->walk_flags |= ZC_MANIFEST_XATTR |
		    (geteuid() == 0 ? ZC_MANIFEST_XPRIV : 0);
	/* ACL ids as names, as a receiver that maps owners by name hashes. */
	if (!s->opts.numeric_ids && (zc_proto_features() & ZC_FEAT_IDMAP))
		m->walk_flags |= ZC_MANIFEST_XNAMES;
}

/* IDMAP from the receiver (before its MANIFEST): its ids' names. */
static int
send_on_idmap(struct zc_send *s, struct zc_rd *rd)
{
	struct zc_idmap_msg	m;

	if (!(s->feat & ZC_FEAT_IDMAP) || zc_proto_get_idmap(rd, &m) != 0)
		return (send_fail(s, -EPROTO, "bad IDMAP"));
	if (s->idmap && zc_owner_learn(s->idmaps, &m) != 0)
		return (send_fail(s, -EPROTO, "too many IDMAPs"));
	return (0);
}

/* An item of a receiver's manifest: 1 to keep it, 0 to leave it out. */
typedef int (*send_item_cb)(void *, struct zc_entry *, const char *);

/*
 * One MANIFEST frame into m, checked as a sender checks a receiver's list:
 * canonical paths, no duplicates, each directory before its contents.
 * item, if not NULL, sees each checked item (and may change its meta)
 * before it is added, and may leave it out.
 */
static int
send_manifest_items(struct zc_manifest *m, uint64_t feat, struct zc_rd *rd,
    send_item_cb item, void *arg, char *err, size_t errlen)
{
	struct zc_entry		 ent;
	struct zc_mentry	*parent;
	struct zc_mextra	 x;
	char			 path[ZC_PATH_MAX + 1], *slash;
	uint32_t		 count, i, pidx;
	int			 r;

	if (zc_proto_get_manifest_count(rd, &count) != 0) {
		snprintf(err, errlen, "malformed MANIFEST");
		return (-EPROTO);
	}
	for (i = 0; i < count; i++) {
		ent.feat = feat;
		if (zc_proto_get_manifest_item(rd, &ent) != 0 ||
		    zc_path_check(ent.path, ent.path_len, path,
		    sizeof path) != 0) {
			snprintf(err, errlen, "malformed MANIFEST item");
			return (-EPROTO);
		}
		pidx = ZC_MANIFEST_NONE;
		if ((slash = strrchr(path, '/')) != NULL) {
			*slash = '\0';
			parent = zc_manifest_find(m, path);
			if (parent == NULL ||
			    parent->meta.type != ZC_TYPE_DIR) {
				snprintf(err, errlen, "MANIFEST item before "
				    "its directory");
				return (-EPROTO);
			}
			pidx = (uint32_t)(parent - m->v);
			*slash = '/';
		}
		if (item != NULL && !item(arg, &ent, path))
			continue;
		memset(&x, 0, sizeof x);
		x.target = ent.target;
		x.target_len = ent.target_len;
		x.link_id = ent.link_id;
		x.xattr_hash = ent.xattr_hash;
		r = zc_manifest_add_extra(m, &ent.meta, path, ent.path_len,
		    &x, pidx);
		if (r < 0) {
			snprintf(err, errlen, "bad MANIFEST item: %s",
			    strerror(-r));
			return (-EPROTO);
		}
	}
	if (zc_proto_get_end(rd) != 0) {
		snprintf(err, errlen, "trailing bytes in MANIFEST");
		return (-EPROTO);
	}
	return (0);
}

int
zc_send_manifest_read(struct zc_manifest *m, uint64_t feat, struct zc_rd *rd,
    char *err, size_t errlen)
{
	return (send_manifest_items(m, feat, rd, NULL, NULL, err, errlen));
}

/* SPECIAL: one note per pass for the special files left out. */
static void
send_specials_note(struct zc_send *s)
{
	char	kinds[64];

	if (s->src->skipped_specials > 0)
		zc_log_warn("set=%s: skipped %llu special files (%s): set "
		    "specials: true to send them", s->opts.set,
		    (unsigned long long)s->src->skipped_specials,
		    zc_special_kinds_str(s->src->skipped_kinds, kinds,
		    sizeof kinds));
	if (s->special_unsent > 0)
		zc_log_warn("set=%s: skipped %llu special files: the receiver "
		    "does not take special files", s->opts.set,
		    (unsigned long long)s->special_unsent);
}

/*
 * One item of the receiver's manifest, its owners made ours (IDMAP).  A
 * plain file that we have too, with the same content and attributes, is
 * one the plan leaves alone: our entry says so (SAME) and the item is not
 * kept, so that a catch-up against an up-to-date peer does not hold its
 * whole tree twice.  Not for hard links (their groups look the receiver's
 * entries up) nor for a pull we serve.  1: keep it.
 */
static int
send_dst_item(void *arg, struct zc_entry *ent, const char *path)
{
	struct zc_send		*s = arg;
	struct zc_mentry	*e;
	int			 aflags = s->owners ? ZC_META_CHOWN : 0;

	if (s->idmap) {
		ent->meta.uid = zc_owner_local(s->idmaps, ZC_IDMAP_USER,
		    ent->meta.uid);
		ent->meta.gid = zc_owner_local(s->idmaps, ZC_IDMAP_GROUP,
		    ent->meta.gid);
	}
	if (s->serving || ent->meta.type != ZC_TYPE_FILE ||
	    ent->link_id != 0 || ent->target != NULL)
		return (1);
	if ((e = zc_manifest_find(s->src, path)) == NULL ||
	    e->meta.type != ZC_TYPE_FILE ||
	    (e->flags & (ZC_MENTRY_SAME | ZC_MENTRY_HAS_LINK)) ||
	    !zc_meta_same_content(&e->meta, &ent->meta) ||
	    !zc_meta_same_attrs(&e->meta, &ent->meta, aflags))
		return (1);
	/* XATTR: as send_plan() compares them. */
	if (s->xattrs && ent->xattr_hash != ZC_XATTR_UNKEPT &&
	    zc_mentry_xattr_hash(e) != ent->xattr_hash)
		return (1);
	/* A second item of a kept path: kept, to be refused as before. */
	if (zc_manifest_find(s->dst, path) != NULL)
		return (1);
	e->flags |= ZC_MENTRY_SAME;
	s->dst_same++;
	return (0);
}

static int
send_on_manifest(struct zc_send *s, struct zc_rd *rd)
{
	char	err[128];
	int	error;

	/* Items are matched against our whole tree (send_dst_item()). */
	if ((error = send_walk_step(s, SIZE_MAX)) < 0)
		return (error);

	/* Names both trees have are kept once (s->src lives as long). */
	s->dst->names = s->src;
	if (send_manifest_items(s->dst, s->man_feat, rd, send_dst_item, s,
	    err, sizeof err) != 0)
		return (send_fail(s, -EPROTO, "%s", err));
	return (0);
}

/*
 * A source with nothing in it, asked to delete a receiver that has things,
 * is far likelier an unmounted disk or a wrong path than a wish to erase
 * the peer: refuse (Syncthing's .stfolder rule).
 */
static int
send_check_empty(const struct zc_send *s, char *err, size_t errlen)
{
	if ((s->opts.flags & ZC_PUSH_DELETE) && s->src->n == 0 &&
	    s->dst->n > 0) {
		snprintf(err, errlen, "refusing to delete all %zu entries on "
		    "the receiver: the source is empty (unmounted?)",
		    s->dst->n);
		return (-ENOTEMPTY);
	}
	return (0);
}

/*
 * The delete guard on a whole pass (max_delete): every receiver entry the
 * plan removes counts, the contents of a removed directory and entries
 * replaced by another type included, against the receiver's entry count.
 * Checked before any entry goes out.  The live window then starts from
 * what the receiver holds once caught up.  0, -ENOTEMPTY (refused), or 1
 * (refused while serving a pull: ERROR queued, the connection finishing).
 */
static int
send_guard_plan(struct zc_send *s)
{
	char		err[256];
	uint64_t	n = 0, kept = 0;
	size_t		i;

	if (!s->opts.max_delete.set)
		return (0);
	for (i = 0; i < s->dst->n; i++) {
		if (s->dst->v[i].flags & ZC_MENTRY_DEL)
			n++;
		else if (!(s->dst->v[i].flags & ZC_MENTRY_SEEN))
			kept++;		/* not ours, not deleted */
	}
	if (zc_guard_pass(&s->opts.max_delete, n, s->dst->n + s->dst_same, err,
	    sizeof err) != 0) {
		send_fail(s, -ENOTEMPTY, "%s", err);
		if (!s->serving)
			return (-ENOTEMPTY);
		/* zcsync pull: tell the client why (ERROR, section 7.8). */
		(void)zc_proto_put_error(s->conn->out, ZC_E_DENIED, err);
		zc_conn_finish(s->conn);
		return (1);
	}
	zc_guard_init(&s->guard, &s->opts.max_delete, s->src->n + kept);
	return (0);
}

/*
 * Live, with a percentage: the base counted at the catch-up is stale once
 * the set has grown.  Before refusing, count the source again: the
 * receiver holds what it holds plus what was just deleted.  A walk, but
 * only when the window is over the old limit.
 */
static int
send_guard_rebase(struct zc_send *s, uint64_t now)
{
	struct zc_manifest	*m;
	char			 err[256];
	uint64_t		 n;

	if (!s->opts.max_delete.percent)
		return (0);
	m = zc_manifest_new();
	if (zc_manifest_walk(m, s->src_fd, err, sizeof err) != 0) {
		zc_manifest_free(m);
		return (0);
	}
	if (s->opts.backup_dir != NULL)
		(void)zc_manifest_drop(m, s->opts.backup_dir);
	n = m->n + zc_guard_recent(&s->guard, now);
	zc_manifest_free(m);
	if (n <= s->guard.whole)
		return (0);
	s->guard.whole = n;
	return (1);
}

/* Live: one more DELETE; over the window's limit the session fails. */
static int
send_guard_live(struct zc_send *s)
{
	char		err[256];
	uint64_t	now = uv_now(s->loop);

	if (!s->opts.max_delete.set)
		return (0);
	if (zc_guard_live(&s->guard, now, err, sizeof err) == 0)
		return (0);
	if (send_guard_rebase(s, now) &&
	    zc_guard_live(&s->guard, now, err, sizeof err) == 0)
		return (0);
	return (send_fail(s, -ENOTEMPTY, "%s", err));
}

static int
send_on_manifest_end(struct zc_send *s, struct zc_rd *rd)
{
	uint64_t	count;
	char		err[256];
	int		error;

	if (zc_proto_get_manifest_end(rd, &count) != 0 ||
	    count != s->dst->n + s->dst_same)
		return (send_fail(s, -EPROTO, "MANIFEST_END count mismatch"));
	/*
	 * The receiver has nothing: every entry is new, nothing is deleted,
	 * no guard can refuse (send_check_empty(), send_guard_plan() pass
	 * an empty manifest whatever the source holds), so entries go out
	 * as they are walked.  A dry run lists the whole plan as before.
	 */
	if (count == 0 && !(s->opts.flags & ZC_PUSH_DRY_RUN)) {
		s->streamed = 1;
		send_plan_streamed(s);
		if (s->walk == NULL)
			send_walk_over(s);
		s->state = SEND_STREAM;
		s->phase = PHASE_DELETE;
		s->cursor = 0;
		zc_conn_want_write(s->conn);
		return (0);
	}
	if ((error = send_walk_step(s, SIZE_MAX)) < 0)
		return (error);
	if ((error = send_check_empty(s, err, sizeof err)) != 0)
		return (send_fail(s, error, "%s", err));
	send_plan(s);
	send_plan_links(s);
	send_specials_note(s);
	if ((error = send_guard_plan(s)) != 0)
		return (error < 0 ? error : 0);
	if (s->opts.flags & ZC_PUSH_DRY_RUN) {
		send_plan_report(s);
		s->phase = PHASE_DONE;
		s->state = SEND_DRAIN;
		if (zc_proto_put_done(s->conn->out) != 0)
			return (send_fail(s, -ENOBUFS, "queue"));
		zc_conn_update(s->conn);
		return (0);
	}
	s->state = SEND_STREAM;
	s->phase = PHASE_DELETE;
	s->cursor = s->dst->n;
	zc_conn_want_write(s->conn);
	return (0);
}

static void
send_account(struct zc_send *s, const struct send_flight *f)
{
	switch (f->type) {
	case ZC_MSG_DELETE:
		if (f->idx != ZC_MANIFEST_NONE) {
			send_deleted(s, f->idx, ZC_SEND_LANDED);
			return;
		}
		s->stats.deleted++;
		break;
	case ZC_MSG_FILE:
		s->stats.files++;
		s->stats.bytes += f->size;
		break;
	case ZC_MSG_DIR:
		s->stats.dirs++;
		break;
	case ZC_MSG_SYMLINK:
		s->stats.links++;
		break;
	case ZC_MSG_META:
		if (f->size == SEND_FLIGHT_SPECIAL) {
			s->stats.specials++;
			send_report(s, ZC_SEND_LANDED, f->path, "special");
			return;
		}
		s->stats.metas++;
		break;
	case ZC_MSG_RENAME:
		s->stats.renames++;
		break;
	case ZC_MSG_LINK:
		s->stats.hardlinks++;
		send_report(s, ZC_SEND_LANDED, f->path, "hardlink");
		return;
	case ZC_MSG_SYNC:
		if (!s->live_reported) {
			s->live_reported = 1;
			/*
			 * Every catch-up entry is answered (ACKs come in
			 * order): the two trees' lists are no longer needed.
			 * A live link keeps no per-file state.
			 */
			send_live_hl_keep(s);
			if (s->flight_cap > SEND_FLIGHT_MIN &&
			    s->flight_len <= SEND_FLIGHT_MIN / 2)
				send_flight_resize(s, SEND_FLIGHT_MIN);
			zc_manifest_free(s->src);
			zc_manifest_free(s->dst);
			s->src = zc_manifest_new();
			s->dst = zc_manifest_new();
			s->dst_same = 0;
			free(s->tries);
			free(s->retry);
			free(s->link_first);
			s->link_first = NULL;
			s->link_cap = 0;
			s->tries = NULL;
			s->tries_cap = 0;
			free(s->ino);
			s->ino = NULL;
			s->nino = s->ino_slots = 0;
			s->retry = NULL;
			s->nretry = s->retry_cap = s->retry_pos = 0;
			send_report(s, ZC_SEND_LIVE, "", "in sync");
		}
		send_report(s, ZC_SEND_SYNCED, "", "in sync");
		return;
	}
	send_report(s, ZC_SEND_LANDED, f->path, send_action(f->type,
	    ZC_TYPE_FILE));
}

/*
 * VERIFY: the receiver's hash of a catch-up file differed from ours: send
 * it again, as an aborted one is (at most ZC_SEND_RETRIES times).  1 if
 * queued; 0 when out of tries, or for a live file: it then counts as
 * failed (a live link's owner catches up again later).
 */
static int
send_verify_retry(struct zc_send *s, const struct send_flight *f)
{
	if (f->idx == ZC_MANIFEST_NONE ||
	    (s->phase != PHASE_TREE && s->phase != PHASE_RETRY))
		return (0);
	/* Out of tries: failed, saying why (not "changed during send"). */
	if (send_tries(s, f->idx) >= ZC_SEND_RETRIES)
		return (0);
	zc_log_info("%s: %s: the landed body differed from ours, sending "
	    "it again", s->conn->desc, f->path);
	send_retry_later(s, f->idx);
	zc_conn_want_write(s->conn);
	return (1);
}

static int
send_on_ack(struct zc_send *s, struct zc_rd *rd)
{
	struct zc_status	 st;
	struct send_flight	 f;
	char			 msg[ZC_PROTO_MSG_MAX + 64];

	if (zc_proto_get_status(rd, ZC_MSG_ACK, &st) != 0)
		return (send_fail(s, -EPROTO, "malformed ACK"));
	if (s->flight_len == 0 ||
	    s->flight[s->flight_head].seq != st.seq)
		return (send_fail(s, -EPROTO, "ACK for unexpected seq %llu",
		    (unsigned long long)st.seq));
	f = s->flight[s->flight_head];
	s->flight_head = (s->flight_head + 1) % s->flight_cap;
	s->flight_len--;
	/* VERIFY: DONE (or SYNC) waits for the last ACK of the catch-up. */
	if (s->hash != NULL && s->phase == PHASE_RETRY)
		zc_conn_want_write(s->conn);
	if (st.code == ZC_OK)
		send_account(s, &f);
	else if (st.code == ZC_E_ABORTED && f.type == ZC_MSG_FILE)
		;	/* we aborted it; a retry is queued (or, live, an event) */
	else if (st.code == ZC_E_VERIFY && f.type == ZC_MSG_FILE &&
	    send_verify_retry(s, &f))
		;	/* the landed body differed: sent again */
	else if ((f.type == ZC_MSG_RENAME || f.type == ZC_MSG_META) &&
	    s->opts.next != NULL) {
		/* The receiver lacked the old name: send the new one whole. */
		send_fallback(s, f.path);
		zc_conn_want_write(s->conn);
	} else {
		snprintf(msg, sizeof msg, "%s%s%.*s",
		    zc_proto_code_str(st.code), st.msg_len ? ": " : "",
		    (int)st.msg_len, st.msg);
		s->stats.failed++;
		send_report(s, ZC_SEND_FAILED, f.path, msg);
	}
	free(f.path);
	return (0);
}

static int
send_on_frame(struct zc_conn *c, const struct zc_frame_hdr *hdr,
    struct zc_rd *rd)
{
	struct zc_send		*s = c->data;
	struct zc_status	 st;
	struct zc_summary	 sum;

	if (hdr->type == ZC_MSG_ERROR) {
		if (zc_proto_get_status(rd, ZC_MSG_ERROR, &st) != 0)
			return (send_fail(s, -EPROTO, "malformed ERROR"));
		return (send_fail(s, -ECONNABORTED, "receiver refused: %s%s%.*s",
		    zc_proto_code_str(st.code), st.msg_len ? ": " : "",
		    (int)st.msg_len, st.msg));
	}
	switch (s->state) {
	case SEND_HELLO:
		if (hdr->type == ZC_MSG_HELLO)
			return (send_on_hello(s, rd));
		break;
	case SEND_MANIFEST:
		if (hdr->type == ZC_MSG_MANIFEST)
			return (send_on_manifest(s, rd));
		if (hdr->type == ZC_MSG_MANIFEST_END)
			return (send_on_manifest_end(s, rd));
		if (hdr->type == ZC_MSG_IDMAP)
			return (send_on_idmap(s, rd));
		break;
	case SEND_STREAM:
	case SEND_DRAIN:
		if (hdr->type == ZC_MSG_ACK)
			return (send_on_ack(s, rd));
		if (hdr->type == ZC_MSG_SUMMARY && s->state == SEND_DRAIN &&
		    s->flight_len == 0) {
			if (zc_proto_get_summary(rd, &sum) != 0)
				return (send_fail(s, -EPROTO, "bad SUMMARY"));
			s->state = SEND_FINISHED;
			zc_conn_close(c, 0);
			return (0);
		}
		break;
	case SEND_FINISHED:
		break;
	}
	return (send_fail(s, -EPROTO, "unexpected message %u from receiver",
	    hdr->type));
}

static void
send_on_close(struct zc_conn *c, int err)
{
	struct zc_send	*s = c->data;

	s->conn = NULL;
	send_walk_idle_stop(s);
	if (s->cur_fd != -1) {
		close(s->cur_fd);
		s->cur_fd = -1;
	}
	send_segs_free(s);
	if (s->state != SEND_FINISHED) {
		/* TLS 1.3: a refused certificate shows as the first read. */
		if (s->err == 0 && c->tls != NULL &&
		    (!(c->flags & ZC_CONN_TLS_READY) || err == -EPROTO))
			send_fail(s, err != 0 ? err : -EPROTO, "TLS: %s",
			    zc_tls_error(c->tls));
		if (s->err == 0)
			send_fail(s, err != 0 ? err : -EPIPE,
			    "connection lost: %s", err != 0 ? strerror(-err) :
			    "closed by the receiver");
		s->stats.failed += s->flight_len;
	}
	s->done_cb(s, s->err, s->why, s->done_arg);
}

/* The receiver's certificate must be one of the pins we were given. */
static int
send_pin(void *arg, const uint8_t fpr[ZC_FPR_LEN])
{
	struct zc_send	*s = arg;
	size_t		 i;

	for (i = 0; i < s->opts.npins; i++)
		if (zc_tls_pin_equal(s->opts.pins[i], fpr))
			return (1);
	return (0);
}

static int
send_on_secure(struct zc_conn *c)
{
	struct zc_send	*s = c->data;

	send_report(s, ZC_SEND_SECURE, "", zc_tls_path(c->tls));
	return (0);
}

/* Live: is path the backup directory or beneath it? */
static int
send_is_backup(const struct zc_send *s, const char *path)
{
	size_t	n;

	if (s->opts.backup_dir == NULL)
		return (0);
	n = strlen(s->opts.backup_dir);
	return (strncmp(path, s->opts.backup_dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}

/*
 * Plain TCP: HELLO and PUSH onto the socket now, without waiting (a new
 * socket takes a hundred bytes).  Returns what it did not take, to be
 * queued first, or NULL if the names do not encode.
 */
static struct zc_buf *
send_hello_early(struct zc_send *s, int sock)
{
	struct zc_buf	*b = zc_buf_new(ZC_PROTO_HDR_LEN + ZC_PROTO_FRAME_MAX);
	ssize_t		 n;

	if (zc_proto_put_hello(b, s->opts.node_name, send_features(s),
	    0) != 0 || zc_proto_put_push(b, s->opts.set, s->opts.flags |
	    (s->opts.next != NULL ? ZC_PUSH_LIVE : 0)) != 0) {
		zc_buf_free(b);
		return (NULL);
	}
	do
		n = send(sock, zc_buf_ptr(b), zc_buf_len(b),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		zc_buf_consume(b, (size_t)n);
	return (b);
}

int
zc_send_start(uv_loop_t *loop, int sock, int src_fd,
    const struct zc_send_opts *opts, zc_send_done_cb done_cb, void *arg,
    struct zc_send **out, char *err, size_t errlen)
{
	struct zc_send	*s;
	struct zc_buf	*early = NULL;
	int		 error;

	*out = NULL;
	s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->src_fd = src_fd;
	s->opts = *opts;
	s->done_cb = done_cb;
	s->done_arg = arg;
	s->cur_fd = -1;
	if (opts->flags & ZC_PUSH_VERIFY)
		s->hash = zc_verify_new();
	s->src = zc_manifest_new();
	s->dst = zc_manifest_new();
	if (opts->filter != NULL)
		s->filter = zc_filter_copy(opts->filter);
	/*
	 * Plain TCP: HELLO and PUSH leave at once, so that the receiver walks
	 * its tree while we walk ours (two cores, one walk's time).  What the
	 * socket does not take at once is queued below.
	 */
	if (opts->tls == NULL && (early = send_hello_early(s, sock)) == NULL) {
		snprintf(err, errlen, "bad node or set name");
		error = -EINVAL;
		goto fail;
	}
	/* The root now; the rest of the walk from the loop. */
	if ((error = send_walk_begin(s, src_fd, err, errlen)) != 0)
		goto fail;
	if ((error = zc_conn_new(loop, sock, &send_ops, s, opts->idle_ms,
	    &s->conn)) != 0) {
		snprintf(err, errlen, "%s", uv_strerror(error));
		sock = -1;
		goto fail;
	}
	sock = -1;
	if (opts->no_zerocopy)
		s->conn->flags |= ZC_CONN_NO_ZEROCOPY;
	if (opts->rate != NULL)
		zc_conn_set_rate(s->conn, opts->rate);
	if (opts->tls != NULL) {
		struct zc_tls	*tls;

		if ((error = zc_tls_new(opts->tls, s->conn->fd, 0, send_pin, s,
		    &tls)) != 0) {
			snprintf(err, errlen, "TLS: %s", strerror(-error));
			s->err = error;
			snprintf(s->why, sizeof s->why, "%s", err);
			zc_conn_close(s->conn, error);
			*out = s;
			return (0);
		}
		zc_conn_set_tls(s->conn, tls, send_on_secure);
	}
	if (early != NULL) {
		if (zc_buf_len(early) > 0 && zc_buf_put(s->conn->out,
		    zc_buf_ptr(early), zc_buf_len(early)) != 0)
			error = -ENOBUFS;
		zc_buf_free(early);
		early = NULL;
	} else if (zc_proto_put_hello(s->conn->out, opts->node_name,
	    send_features(s), 0) != 0 ||
	    zc_proto_put_push(s->conn->out, opts->set, opts->flags |
	    (opts->next != NULL ? ZC_PUSH_LIVE : 0)) != 0)
		error = -EINVAL;
	if (error != 0) {
		snprintf(err, errlen, "bad node or set name");
		zc_conn_close(s->conn, -EINVAL);
		/* on_close will run later: hand it a session that says so. */
		s->err = -EINVAL;
		snprintf(s->why, sizeof s->why, "%s", err);
		*out = s;
		return (0);
	}
	snprintf(s->conn->desc, sizeof s->conn->desc, "set=%s", opts->set);
	zc_conn_update(s->conn);
	send_walk_idle_start(s);
	*out = s;
	return (0);
fail:
	zc_buf_free(early);
	if (sock != -1)
		close(sock);
	zc_send_free(s);
	return (error);
}

int
zc_send_adopt(struct zc_conn *c, int src_fd, uint64_t peer_features,
    const struct zc_send_opts *opts, zc_send_done_cb done_cb, void *arg,
    struct zc_send **out, char *err, size_t errlen)
{
	struct zc_send	*s;
	int		 error;

	*out = NULL;
	s = xcalloc(1, sizeof *s);
	s->src_fd = src_fd;
	s->opts = *opts;
	s->done_cb = done_cb;
	s->done_arg = arg;
	s->cur_fd = -1;
	if (opts->flags & ZC_PUSH_VERIFY)
		s->hash = zc_verify_new();
	s->src = zc_manifest_new();
	s->dst = zc_manifest_new();
	if (opts->filter != NULL)
		s->filter = zc_filter_copy(opts->filter);
	if ((error = send_walk_begin(s, src_fd, err, errlen)) != 0) {
		zc_send_free(s);
		return (error);
	}
	s->feat = zc_proto_features() & peer_features;	/* our HELLO's */
	/* The client sent its manifest before our HELLO: no link_id. */
	s->man_feat = s->feat & ~ZC_FEAT_HARDLINK;
	s->owners = (peer_features & ZC_FEAT_OWNER) != 0;	/* it may chown */
	s->xattrs = (s->feat & ZC_FEAT_XATTR) && !s->opts.no_xattrs;
	s->xflags = geteuid() == 0 ? ZC_XATTR_PRIV : 0;
	send_idmap_on(s);
	s->serving = 1;
	s->conn = c;
	s->loop = c->poll.loop;
	if (opts->rate != NULL)
		zc_conn_set_rate(c, opts->rate);
	c->ops = &send_ops;
	c->data = s;
	s->state = SEND_MANIFEST;
	send_walk_idle_start(s);
	*out = s;
	return (0);
}

/* A dry run's comparison without a session (zcsync pull --dry-run). */
int
zc_send_plan(struct zc_manifest *src, struct zc_manifest *dst, uint32_t flags,
    int owners, zc_send_report_cb report, void *arg,
    struct zc_send_stats *st, char *err, size_t errlen)
{
	struct zc_send	s;
	int		error;

	memset(st, 0, sizeof *st);
	memset(&s, 0, sizeof s);
	s.src = src;
	s.dst = dst;
	s.owners = owners;
	s.opts.flags = flags | ZC_PUSH_DRY_RUN;
	s.opts.report = report;
	s.opts.arg = arg;
	s.cur_fd = -1;
	if ((error = send_check_empty(&s, err, errlen)) != 0)
		return (error);
	send_plan(&s);
	send_plan_report(&s);
	*st = s.stats;
	return (0);
}

const struct zc_send_stats *
zc_send_stats(const struct zc_send *s)
{
	return (&s->stats);
}

void
zc_send_kick(struct zc_send *s)
{
	if (s->conn != NULL && s->phase == PHASE_LIVE)
		zc_conn_write_now(s->conn);
}

void
zc_send_close(struct zc_send *s, int err)
{
	if (s->conn == NULL)
		return;
	send_fail(s, err, "closed: %s", strerror(-err));
	zc_conn_close(s->conn, err);
}

void
zc_send_free(struct zc_send *s)
{
	size_t	i;

	if (s == NULL)
		return;
	send_walk_idle_stop(s);
	zc_mwalk_free(s->walk);
	for (i = 0; i < s->flight_len; i++)
		free(s->flight[(s->flight_head + i) % s->flight_cap].path);
	for (i = 0; i < s->nfallback; i++)
		free(s->fallback[i]);
	free(s->fallback);
	for (i = 0; i < s->naborted; i++)
		free(s->aborted[i]);
	free(s->aborted);
	free(s->cur_path);
	zc_manifest_free(s->dirty);
	zc_manifest_free(s->tree);
	free(s->tree_base);
	zc_manifest_free(s->src);
	zc_manifest_free(s->dst);
	zc_filter_free(s->filter);
	zc_owner_map_free(s->idmaps);
	free(s->retry);
	free(s->tries);
	free(s->flight);
	zc_verify_free(s->hash);
	free(s->cur_segs);
	free(s->link_first);
	free(s->ino);
	for (i = 0; i < s->nhl; i++) {
		free(s->hl_path[i]);
		free(s->hl_target[i]);
	}
	free(s->hl_path);
	free(s->hl_target);
	zc_manifest_free(s->hl);
	free(s);
}
