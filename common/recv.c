/*
 * recv.c: the receiving side of a push (see recv.h, docs/PROTOCOL.md).
 *
 * Entries are applied in order as they arrive and each is answered with an
 * ACK once it is durable and visible.  Per-entry failures are ACKs; a
 * malformed frame, a frame out of turn or a non-increasing sequence number
 * gets ERROR and the connection is closed.  A body that cannot be landed
 * is still read (and dropped) so the stream stays in step.
 */
#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "conn.h"
#include "filter.h"
#include "land.h"
#include "log.h"
#include "manifest.h"
#include "owner.h"
#include "path.h"
#include "proto.h"
#include "recv.h"
#include "send.h"
#include "special.h"
#include "syncpool.h"
#include "verify.h"
#include "xattr.h"
#include "xmalloc.h"

enum recv_state {
	RECV_HELLO,
	RECV_PUSH,
	RECV_MANIFEST,		/* sending our manifest */
	RECV_ENTRIES,
	RECV_BODY,		/* a FILE body is arriving */
	RECV_FILE_END,		/* waiting for its FILE_END */
	RECV_DONE,		/* SUMMARY queued */
	RECV_REFUSED,		/* ERROR queued */
	RECV_SERVING,		/* serving a PULL: the send engine owns conn */
	RECV_PLAN,		/* pull dry run: reading the server's manifest */
	RECV_PLAN_END,		/* pull dry run: compared, waiting for SUMMARY */
};

/* A landed file whose ACK waits for its directory's fsync. */
struct recv_dsync_file {
	uint64_t	 seq;
	size_t		 dir;		/* in dsync_dirs */
	char		*name;		/* owned; display-ready */
	char		*base;		/* owned; raw last component */
};

struct recv_dsync_dir {
	int		 fd;		/* owned */
	dev_t		 dev;
	ino_t		 ino;
};

/* A file whose body is complete, waiting for its batch's fsync. */
struct recv_batched {
	struct zc_land_file	 lf;
	uint64_t		 seq;
	uint64_t		 body;
	int			 error;
	char			*name;	/* owned; display-ready */
	char			*raw;	/* owned; the path as landed */
};

struct zc_recv {
	struct zc_conn		*conn;		/* owned until closed */
	struct zc_recv_opts	 opts;
	zc_recv_done_cb		 done_cb;
	void			*done_arg;
	enum recv_state		 state;
	char			 peer[ZC_PROTO_NAME_MAX + 1];
	char			 tls_peer[ZC_PROTO_NAME_MAX + 1]; /* pinned */
	char			 set[ZC_PROTO_NAME_MAX + 1];
	char			 addr[64];
	uint64_t		 peer_features;
	uint64_t		 feat;		/* negotiated: ours & the peer's */
	int			 xattrs;	/* XATTR: keep the sender's */
	int			 xattr_flags;	/* ZC_XATTR_PRIV when root */
	unsigned		*warned;	/* ZC_RECV_WARN_*: said once */
	unsigned		 warned_own;	/* ... when the set has none */
	int			 idmap;		/* IDMAP: owners by name */
	struct zc_owner_map	*idmaps;	/* owned; IDMAP, both ways */
	size_t			 idmap_pos;	/* manifest entries announced */
	int			 root_fd;	/* owned */
	char			*root;		/* owned; the root's path */
	int			 land_flags;
	int			 safe_links;	/* the set refuses unsafe links */
	int			 devices;	/* the set takes device nodes */
	uint64_t		 last_seq;
	int			 dry_run;
	int			 live;		/* no DONE: SYNCs apply dirs */
	int			 client;	/* zcsync pull: we asked */
	int			 got_hello;	/* client: the server's HELLO */
	struct zc_send		*pull;		/* owned; serving a PULL */
	int			 listing;	/* serving a dry-run PULL */
	uint32_t		 pull_flags;	/* client: what we asked for */
	struct zc_manifest	*theirs;	/* owned; client dry run */
	struct zc_send_stats	 plan;		/* client dry run: the report */
	char			 refusal[ZC_PROTO_MSG_MAX + 64];

	struct zc_manifest	*man;		/* owned while sending it */
	size_t			 man_pos;

	struct zc_backup	 backup;	/* old versions (backup.h) */
	struct zc_land_file	 file;		/* the body in progress */
	struct zc_land_dirs	 ldirs;		/* the last file's directory */
	int			 file_open;
	uint64_t		 file_seq;
	uint32_t		 file_code;	/* refused before the body */
	char			 file_path[ZC_PATH_MAX + 1];
	char			 file_raw[ZC_PATH_MAX + 1];	/* as received */
	int			 file_sink_err;
	struct zc_verify	*hash;		/* owned; VERIFY, else NULL */
	uint64_t		 file_body;	/* body bytes announced */
	uint8_t			*file_segs;	/* owned; SPARSE map (wire) */
	uint32_t		 file_nsegs, file_seg;
	uint64_t		 file_pos;	/* where the landing file's offset is */

	/*
	 * Directories whose metadata waits for DONE or SYNC, one entry per
	 * path however often a peer names it: bounded by what exists.
	 */
	struct zc_manifest	*dirs;		/* owned */

	/*
	 * Group commit (fsync on): files whose bodies are complete, not yet
	 * fsynced nor renamed, their writeback started.  One round fsyncs
	 * them all, then renames them in order (recv_batch_flush()).
	 */
	struct recv_batched	*batch;		/* owned; ZC_RECV_BATCH_MAX */
	size_t			 nbatch;
	uint64_t		 batch_bytes;
	struct zc_syncpool	*syncpool;	/* owned; the rounds' threads */

	/*
	 * ACKs of files renamed into place whose directory fsync is pending
	 * (one fsync per directory for a run of files, not one per file).
	 */
	struct recv_dsync_dir	 dsync_dirs[ZC_RECV_DSYNC_DIRS];
	size_t			 ndsync_dirs;
	struct recv_dsync_file	*dsync;		/* owned; ZC_RECV_DIRSYNC_MAX */
	size_t			 ndsync;

	struct zc_recv_stats	 stats;
	char			 name[1024];	/* recv_name()'s */
};

static int	recv_on_frame(struct zc_conn *, const struct zc_frame_hdr *,
		    struct zc_rd *);
static int	recv_on_body(struct zc_conn *, int);
static void	recv_xattrs_on(struct zc_recv *);
static uint64_t	recv_client_features(const struct zc_recv *);
static void	recv_idmap_on(struct zc_recv *, int);
static int	recv_idmap_announce(struct zc_recv *);
static int	recv_on_writable(struct zc_conn *);
static void	recv_on_close(struct zc_conn *, int);
static int	recv_on_idle(struct zc_conn *);

static const struct zc_conn_ops recv_ops = {
	.on_frame = recv_on_frame,
	.on_body = recv_on_body,
	.on_writable = recv_on_writable,
	.on_idle = recv_on_idle,
	.on_close = recv_on_close,
};

/* Refuse: queue ERROR, log the reason with the peer, close after flush. */
static int
recv_refuse(struct zc_recv *r, uint32_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
recv_refuse(struct zc_recv *r, uint32_t code, const char *fmt, ...)
{
	char	msg[ZC_PROTO_MSG_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	zc_log_info("peer=%s addr=%s set=%s: refused: %s: %s",
	    r->peer[0] ? r->peer : "-", r->addr, r->set[0] ? r->set : "-",
	    zc_proto_code_str(code), msg);
	r->state = RECV_REFUSED;
	(void)zc_proto_put_error(r->conn->out, code, msg);
	zc_conn_finish(r->conn);
	return (0);
}

/* A path as a log line shows it (escaped), in r->name. */
static const char *
recv_name(struct zc_recv *r, const char *path, size_t len)
{
	return (zc_log_namen(path, len, r->name, sizeof r->name));
}

static int	recv_ack_now(struct zc_recv *, uint64_t, uint32_t, const char *,
		    int);
static int	recv_xattr_err(struct zc_recv *, int);

/*
 * After a failed directory fsync the files renamed into it are in place
 * but maybe not durable, and a later comparison would find them equal and
 * never send them again.  Set each one's mtime to the epoch (on the held
 * directory, never following a link) so that the next comparison differs
 * and the sender sends it again, into a fresh inode with its own fsyncs.
 */
static void
recv_dsync_stale(struct zc_recv *r, size_t dir)
{
	static const struct timespec	 epoch[2] = { { 0, 1 }, { 0, 1 } };
	size_t				 i, n = 0, of = 0;

	for (i = 0; i < r->ndsync; i++) {
		if (r->dsync[i].dir != dir)
			continue;
		of++;
		if (utimensat(r->dsync_dirs[dir].fd, r->dsync[i].base, epoch,
		    AT_SYMLINK_NOFOLLOW) == 0)
			n++;
	}
	zc_log_err("peer=%s set=%s: a directory fsync failed: %zu of %zu "
	    "files marked stale, to be sent again", r->peer, r->set, n, of);
}

/*
 * fsync each directory files were renamed into (once), then send their
 * ACKs in order: before any other ACK, so ACKs stay in order.  A failed
 * fsync fails the files in that directory (never retried: SECURITY.md,
 * fsyncgate); they are marked stale and the sender resends them.
 */
static int
recv_dsync_flush(struct zc_recv *r)
{
	int	error[ZC_RECV_DSYNC_DIRS];
	size_t	i;
	int	rc = 0;

	if (r->ndsync_dirs == 0)
		return (0);
	for (i = 0; i < r->ndsync_dirs; i++) {
		error[i] = 0;
		if (fsync(r->dsync_dirs[i].fd) == -1) {
			error[i] = -errno;
			recv_dsync_stale(r, i);
		}
		close(r->dsync_dirs[i].fd);
	}
	r->ndsync_dirs = 0;
	for (i = 0; i < r->ndsync; i++) {
		if (rc == 0)
			rc = recv_ack_now(r, r->dsync[i].seq,
			    zc_land_code(error[r->dsync[i].dir]),
			    r->dsync[i].name, error[r->dsync[i].dir]);
		free(r->dsync[i].name);
		free(r->dsync[i].base);
	}
	r->ndsync = 0;
	return (rc);
}

static int	recv_batch_flush(struct zc_recv *);

/* Answer one entry; name is display-ready (recv_name()). */
static int
recv_ack(struct zc_recv *r, uint64_t seq, uint32_t code, const char *name,
    int error)
{
	int	rc;

	if ((rc = recv_batch_flush(r)) != 0 ||
	    (rc = recv_dsync_flush(r)) != 0)
		return (rc);
	return (recv_ack_now(r, seq, code, name, error));
}

/*
 * A landed file whose directory fsync waits: its ACK waits with it.  name
 * is display-ready, raw the path as landed; dir_fd is taken.
 */
static int
recv_ack_deferred(struct zc_recv *r, uint64_t seq, int dir_fd,
    const char *name, const char *raw)
{
	struct recv_dsync_dir	*d;
	struct recv_dsync_file	*f;
	struct stat		 st;
	const char		*base;
	size_t			 i;
	int			 rc;

	if (fstat(dir_fd, &st) == -1) {
		rc = -errno;
		close(dir_fd);
		return (recv_ack(r, seq, ZC_E_IO, name, rc));
	}
	for (i = 0; i < r->ndsync_dirs; i++) {
		d = &r->dsync_dirs[i];
		if (d->dev == st.st_dev && d->ino == st.st_ino)
			break;
	}
	if ((i == r->ndsync_dirs && i == ZC_RECV_DSYNC_DIRS) ||
	    r->ndsync >= ZC_RECV_DIRSYNC_MAX) {
		if ((rc = recv_dsync_flush(r)) != 0) {
			close(dir_fd);
			return (rc);
		}
		i = 0;
	}
	if (i == r->ndsync_dirs) {
		d = &r->dsync_dirs[r->ndsync_dirs++];
		d->fd = dir_fd;
		d->dev = st.st_dev;
		d->ino = st.st_ino;
	} else
		close(dir_fd);
	if (r->dsync == NULL)
		r->dsync = xcalloc(ZC_RECV_DIRSYNC_MAX, sizeof *r->dsync);
	f = &r->dsync[r->ndsync++];
	f->seq = seq;
	f->dir = i;
	f->name = xstrdup(name);
	base = strrchr(raw, '/');
	f->base = xstrdup(base != NULL ? base + 1 : raw);
	return (0);
}

/*
 * Group commit: fsync every file of the batch (their writeback is under
 * way, so the first fsync's journal commit covers the others' blocks and
 * theirs find little left to do), then rename each into place in order;
 * their ACKs wait for their directories' fsyncs (recv_ack_deferred()).  A
 * file whose fsync failed is discarded (never fsynced again) and ACKed
 * with the error, in its turn.
 */
static int
recv_batch_flush(struct zc_recv *r)
{
	struct recv_batched	*b = r->batch;
	struct zc_land_file	*v[ZC_RECV_BATCH_MAX];
	int			 errors[ZC_RECV_BATCH_MAX];
	size_t			 i, n = r->nbatch;
	int			 rc = 0, dir_fd;

	if (n == 0)
		return (0);
	r->nbatch = 0;		/* the ACKs below find it empty */
	r->batch_bytes = 0;
#ifdef ZC_RECV_BATCH_SYNCFS
	/* The variant measured against (docs/benchmarks.md): one syncfs. */
	(void)v;
	(void)errors;
	rc = syncfs(r->root_fd) == -1 ? -errno : 0;
	for (i = 0; i < n; i++) {
		b[i].error = rc;
		if (rc != 0)
			zc_land_file_abort(&b[i].lf);
	}
	rc = 0;
#else
	for (i = 0; i < n; i++)
		v[i] = &b[i].lf;
	/* Its threads start with the first round that fsyncs together. */
	if (r->syncpool == NULL && (r->land_flags & ZC_LAND_FSYNC))
		r->syncpool = zc_syncpool_new();
	zc_land_files_sync(v, n, r->land_flags, r->syncpool, errors);
	for (i = 0; i < n; i++)
		b[i].error = errors[i];
#endif
	for (i = 0; i < n; i++) {
		if (b[i].error == 0)
			b[i].error = zc_land_file_place(&b[i].lf,
			    r->land_flags | ZC_LAND_DEFER_DIRSYNC);
	}
	for (i = 0; i < n; i++) {
		if (b[i].error == 0) {
			dir_fd = b[i].lf.dir_fd;
			b[i].lf.dir_fd = -1;
			if (rc == 0) {
				r->stats.files++;
				r->stats.bytes += b[i].body;
				if (b[i].lf.xattr_err != 0)
					(void)recv_xattr_err(r,
					    b[i].lf.xattr_err);
				rc = recv_ack_deferred(r, b[i].seq, dir_fd,
				    b[i].name, b[i].raw);
			} else
				close(dir_fd);
		} else if (rc == 0)
			rc = recv_ack(r, b[i].seq, zc_land_code(b[i].error),
			    b[i].name, b[i].error);
		free(b[i].name);
		free(b[i].raw);
	}
	return (rc);
}

/* The connection is gone: what never got renamed is dropped. */
static void
recv_batch_drop(struct zc_recv *r)
{
	size_t	i;

	for (i = 0; i < r->nbatch; i++) {
		zc_land_file_abort(&r->batch[i].lf);
		free(r->batch[i].name);
		free(r->batch[i].raw);
	}
	r->nbatch = 0;
	r->batch_bytes = 0;
}

/*
 * A complete body (fsync on): metadata now, writeback started, and into
 * the batch; the batch is flushed when full, and before anything that
 * must follow its files (recv_on_frame(), recv_ack(), recv_on_idle()).
 */
static int
recv_batch_add(struct zc_recv *r, uint64_t seq)
{
	struct recv_batched	*b;
	int			 error;

	if ((error = zc_land_file_prepare(&r->file, r->land_flags)) != 0)
		return (recv_ack(r, seq, zc_land_code(error), r->file_path,
		    error));
	zc_land_file_writeback(&r->file);
	if (r->batch == NULL)
		r->batch = xcalloc(ZC_RECV_BATCH_MAX, sizeof *r->batch);
	b = &r->batch[r->nbatch++];
	b->lf = r->file;
	b->seq = seq;
	b->body = r->file_body;
	b->error = 0;
	b->name = xstrdup(r->file_path);
	b->raw = xstrdup(r->file_raw);
	/* The descriptors are the batch's now. */
	r->file.fd = r->file.dir_fd = -1;
	r->file.tmp[0] = '\0';
	r->file.xattrs = NULL;
	r->batch_bytes += r->file_body;
	if (r->nbatch >= ZC_RECV_BATCH_MAX ||
	    r->batch_bytes >= ZC_RECV_BATCH_BYTES)
		return (recv_batch_flush(r));
	return (0);
}

static int
recv_ack_now(struct zc_recv *r, uint64_t seq, uint32_t code, const char *name,
    int error)
{
	char	msg[ZC_PROTO_MSG_MAX];

	msg[0] = '\0';
	if (code == ZC_OK)
		r->stats.entries++;
	else if (code == ZC_E_ABORTED)
		zc_log_debug("peer=%s set=%s: body aborted by the sender",
		    r->peer, r->set);
	else {
		r->stats.failures++;
		if (error != 0)
			snprintf(msg, sizeof msg, "%s", strerror(-error));
		if (r->opts.report != NULL)
			r->opts.report(r->opts.arg, name, code, msg);
		zc_log(code == ZC_E_IO || code == ZC_E_NOSPACE ? ZC_LOG_ERR :
		    ZC_LOG_INFO, "peer=%s set=%s %s: %s%s%s", r->peer, r->set,
		    name, zc_proto_code_str(code), msg[0] ? ": " : "", msg);
	}
	if (zc_proto_put_ack(r->conn->out, seq, code, msg) != 0)
		return (-ENOBUFS);
	return (0);
}

static int
recv_on_hello(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_hello	h;

	if (zc_proto_get_hello(rd, &h) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "malformed HELLO"));
	if (h.magic != ZC_PROTO_MAGIC)
		return (recv_refuse(r, ZC_E_VERSION, "not a zcsync peer (magic "
		    "%#x)", h.magic));
	if (h.version != ZC_PROTO_VERSION)
		return (recv_refuse(r, ZC_E_VERSION, "protocol version %u not "
		    "supported (want %u)", h.version, ZC_PROTO_VERSION));
	if (h.mandatory & ~ZC_FEAT_KNOWN)
		return (recv_refuse(r, ZC_E_FEATURE, "unknown mandatory "
		    "features %#llx", (unsigned long long)h.mandatory));
	if (r->tls_peer[0] != '\0') {
		/* Who it is comes from its certificate, not its claim. */
		if (h.name_len != strlen(r->tls_peer) ||
		    memcmp(h.name, r->tls_peer, h.name_len) != 0)
			zc_log_info("peer=%s addr=%s: HELLO claims another name "
			    "(%.*s); the certificate decides", r->tls_peer,
			    r->addr, (int)h.name_len, h.name);
		snprintf(r->peer, sizeof r->peer, "%s", r->tls_peer);
	} else {
		memcpy(r->peer, h.name, h.name_len);
		r->peer[h.name_len] = '\0';
	}
	r->peer_features = h.features;
	r->feat = zc_proto_features() & h.features;
	snprintf(r->conn->desc, sizeof r->conn->desc, "peer=%s addr=%s",
	    r->peer, r->addr);
	if (zc_proto_put_hello(r->conn->out, r->opts.node_name,
	    zc_proto_features(), 0) != 0)
		return (-ENOBUFS);
	r->state = RECV_PUSH;
	return (0);
}

/*
 * VERIFY asked for (a PUSH or PULL flag): only where both HELLOs list the
 * feature.  Every FILE_END of the session then carries the body's
 * XXH3-128, compared with what landed before the rename.
 */
static int
recv_verify_start(struct zc_recv *r)
{
	if (!(r->feat & ZC_FEAT_VERIFY))
		return (recv_refuse(r, ZC_E_PROTOCOL, "VERIFY flag without "
		    "the VERIFY feature"));
	if (r->hash == NULL)
		r->hash = zc_verify_new();
	return (0);
}

static int
recv_on_push(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_push_req	 req;
	struct zc_recv_target	 t;
	char			 err[512];
	uint32_t		 code;
	int			 error;

	if (zc_proto_get_push(rd, &req) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "malformed PUSH"));
	if ((req.flags & ZC_PUSH_VERIFY) && (error = recv_verify_start(r)) != 0)
		return (error);
	memcpy(r->set, req.set, req.set_len);
	r->set[req.set_len] = '\0';
	memset(&t, 0, sizeof t);
	code = r->opts.auth(r->opts.arg, r->peer, r->set, &t);
	if (code == ZC_E_NOSET)
		return (recv_refuse(r, code, "no set \"%s\" here", r->set));
	if (code != ZC_OK)
		return (recv_refuse(r, code, "peer \"%s\" may not push to set "
		    "\"%s\"", r->peer, r->set));
	r->root = xstrdup(t.root);
	if ((r->root_fd = zc_path_open_root(t.root)) < 0) {
		error = r->root_fd;
		r->root_fd = -1;
		zc_log_err("set=%s: cannot open %s: %s", r->set, t.root,
		    strerror(-error));
		return (recv_refuse(r, ZC_E_IO, "set root unavailable"));
	}
	r->land_flags = (t.fsync ? ZC_LAND_FSYNC : 0) |
	    (t.watched ? ZC_LAND_RENAME : 0) |
	    (zc_owner_can_chown() ? ZC_LAND_CHOWN : 0);
	r->safe_links = t.safe_links;
	r->devices = t.specials;
	if (t.warned != NULL)
		r->warned = t.warned;
	recv_idmap_on(r, t.numeric_ids);
	r->man = zc_manifest_new();
	if ((r->feat & ZC_FEAT_XATTR) && !t.no_xattrs)
		recv_xattrs_on(r);
	/* SPECIAL: our fifos, sockets and devices are listed too. */
	if ((error = zc_manifest_walk_flags(r->man, r->root_fd,
	    (r->feat & ZC_FEAT_SPECIAL) ? ZC_MANIFEST_SPECIALS : 0, err,
	    sizeof err)) != 0) {
		zc_log_err("set=%s: scanning the root: %s", r->set, err);
		return (recv_refuse(r, ZC_E_IO, "cannot scan the set"));
	}
	zc_backup_init(&r->backup, t.backup_dir, t.backup_keep);
	if (zc_backup_on(&r->backup))
		(void)zc_manifest_drop(r->man, r->backup.dir);
	zc_log_info("peer=%s addr=%s set=%s: %s started%s", r->peer, r->addr,
	    r->set, (req.flags & ZC_PUSH_LIVE) ? "live mirror" : "push",
	    (req.flags & ZC_PUSH_DRY_RUN) ? " (dry run)" : "");
	r->dry_run = (req.flags & ZC_PUSH_DRY_RUN) != 0;
	r->live = (req.flags & ZC_PUSH_LIVE) != 0;
	r->conn->deadline = 0;
	/* A live link may be quiet for hours: TCP keepalive watches it. */
	if (r->live)
		r->conn->idle_ms = 0;
	if (r->live && r->dry_run)
		return (recv_refuse(r, ZC_E_PROTOCOL, "live dry run"));
	r->state = RECV_MANIFEST;
	zc_conn_want_write(r->conn);
	return (0);
}

/* A dry-run pull is served: our manifest is out; SUMMARY {0, 0, 0}. */
static int
recv_listed(struct zc_recv *r)
{
	struct zc_summary	sum;
	int			error;

	memset(&sum, 0, sizeof sum);
	if ((error = zc_proto_put_summary(r->conn->out, &sum)) != 0)
		return (error);
	zc_log_info("peer=%s addr=%s set=%s: pull done (dry run): %zu entries "
	    "listed", r->peer, r->addr, r->set, r->man->n);
	zc_manifest_free(r->man);
	r->man = NULL;
	r->state = RECV_DONE;
	zc_conn_finish(r->conn);
	return (0);
}

static int
recv_on_writable(struct zc_conn *c)
{
	struct zc_recv			*r = c->data;
	struct zc_manifest_frame	 mf;
	struct zc_mentry		*e;
	struct zc_entry			 ent;
	int				 error, open = 0;

	if (r->state != RECV_MANIFEST)
		return (0);
	/* zcsync pull: the items' encoding waits for the negotiated bits. */
	if (r->client && !r->got_hello)
		return (0);
	if (r->idmap && r->idmap_pos < r->man->n &&
	    ((error = recv_idmap_announce(r)) != 0 ||
	    r->idmap_pos < r->man->n))
		return (error);
	while (zc_buf_len(c->out) < ZC_CONN_OUT_HIGH / 2 &&
	    r->man_pos < r->man->n) {
		if (!open) {
			if ((error = zc_proto_manifest_begin(c->out, &mf)) != 0)
				return (error);
			open = 1;
		}
		e = &r->man->v[r->man_pos];
		memset(&ent, 0, sizeof ent);
		/*
		 * A pull client's manifest carries no link_id (PROTOCOL.md
		 * 12.2): the server reads it so.
		 */
		ent.feat = r->client ? r->feat & ~ZC_FEAT_HARDLINK : r->feat;
		ent.link_id = zc_mentry_link_id(e);
		ent.xattr_hash = r->xattrs ? zc_mentry_xattr_hash(e) :
		    ZC_XATTR_UNKEPT;
		ent.meta = e->meta;
		ent.path = e->path;
		ent.path_len = strlen(e->path);
		if ((ent.target = zc_mentry_target(e)) != NULL)
			ent.target_len = strlen(ent.target);
		error = zc_proto_manifest_add(c->out, &mf, &ent);
		if (error == -ENOSPC) {
			zc_proto_manifest_finish(c->out, &mf);
			open = 0;
			continue;
		}
		if (error != 0) {
			zc_proto_manifest_finish(c->out, &mf);
			return (error);
		}
		r->man_pos++;
	}
	if (open)
		zc_proto_manifest_finish(c->out, &mf);
	if (r->man_pos == r->man->n) {
		if ((error = zc_proto_put_manifest_end(c->out,
		    r->man->n)) != 0)
			return (error);
		if (r->listing)
			return (recv_listed(r));
		zc_manifest_free(r->man);
		r->man = NULL;
#ifdef __GLIBC__
		/* Once a session: the walk's freed heap goes back too. */
		malloc_trim(0);
#endif
		r->state = RECV_ENTRIES;
	}
	return (0);
}

/*
 * IDMAP negotiated: learn the sender's names and send ours before the
 * manifest, unless the set says numeric_ids.
 */
static void
recv_idmap_on(struct zc_recv *r, int numeric_ids)
{
	r->idmap = (r->feat & ZC_FEAT_IDMAP) && !numeric_ids;
	if (r->idmap && r->idmaps == NULL)
		r->idmaps = zc_owner_map_new();
}

/*
 * IDMAP frames for the owners in our manifest, before it: as many as the
 * output buffer takes now (the caller comes back when it drains).
 */
static int
recv_idmap_announce(struct zc_recv *r)
{
	struct zc_mentry	*e;
	int			 error;

	while (zc_buf_len(r->conn->out) < ZC_CONN_OUT_HIGH / 2 &&
	    r->idmap_pos < r->man->n) {
		e = &r->man->v[r->idmap_pos];
		if ((error = zc_owner_announce(r->idmaps, r->conn->out,
		    ZC_IDMAP_USER, e->meta.uid)) != 0 ||
		    (error = zc_owner_announce(r->idmaps, r->conn->out,
		    ZC_IDMAP_GROUP, e->meta.gid)) != 0)
			return (error);
		r->idmap_pos++;
	}
	return (0);
}

/* IDMAP from the sender: a name for one of its ids. */
static int
recv_on_idmap(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_idmap_msg	m;

	if (!(r->feat & ZC_FEAT_IDMAP) || zc_proto_get_idmap(rd, &m) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "bad IDMAP"));
	if (r->idmap && zc_owner_learn(r->idmaps, &m) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "too many IDMAPs"));
	return (0);
}

/*
 * The sender's owner in our ids (by name with IDMAP).  Owners are kept
 * only when we may chown: otherwise say so once, when it matters.
 */
static void
recv_owner(struct zc_recv *r, struct zc_meta *m)
{
	if (r->idmap) {
		m->uid = zc_owner_local(r->idmaps, ZC_IDMAP_USER, m->uid);
		m->gid = zc_owner_local(r->idmaps, ZC_IDMAP_GROUP, m->gid);
	}
	if ((r->land_flags & ZC_LAND_CHOWN) ||
	    (*r->warned & ZC_RECV_WARN_CHOWN) ||
	    (m->uid == geteuid() && m->gid == getegid()))
		return;
	*r->warned |= ZC_RECV_WARN_CHOWN;
	zc_log_warn("peer=%s set=%s: owners are not kept: this receiver runs "
	    "neither as root nor with CAP_CHOWN", r->peer, r->set);
}

/*
 * zcsync pull: the features our HELLO lists; --no-xattrs and
 * --numeric-ids leave theirs out, so nothing of them is negotiated.
 */
static uint64_t
recv_client_features(const struct zc_recv *r)
{
	uint64_t	feat = zc_proto_features();

	if (r->opts.no_xattrs)
		feat &= ~ZC_FEAT_XATTR;
	if (r->opts.numeric_ids)
		feat &= ~ZC_FEAT_IDMAP;
	return (feat);
}

/* XATTR: keep the sender's attributes; the walk hashes ours. */
static void
recv_xattrs_on(struct zc_recv *r)
{
	r->xattrs = 1;
	r->xattr_flags = geteuid() == 0 ? ZC_XATTR_PRIV : 0;
	r->man->walk_flags |= ZC_MANIFEST_XATTR |
	    (geteuid() == 0 ? ZC_MANIFEST_XPRIV : 0);
	/* ACL ids as names where owners go by name (a client: if offered). */
	if (r->client ? (recv_client_features(r) & ZC_FEAT_IDMAP) != 0 :
	    r->idmap)
		r->man->walk_flags |= ZC_MANIFEST_XNAMES;
}

static uint32_t
recv_acl_map(void *arg, uint8_t kind, uint32_t id)
{
	struct zc_recv	*r = arg;

	return (zc_owner_local(r->idmaps, kind, id));
}

static int
recv_acl_any(void *arg, uint8_t kind, uint32_t id)
{
	(void)arg;
	(void)kind;
	(void)id;
	return (1);
}

/*
 * IDMAP: a copy of the entry's block with the sender's ACL ids made ours
 * (owned), or NULL when it needs none.
 */
static uint8_t *
recv_xattrs_mapped(struct zc_recv *r, const struct zc_entry *ent)
{
	uint8_t	*copy;

	if (!r->idmap || ent->xattrs == NULL || zc_xattr_acl_ids(ent->xattrs,
	    ent->xattrs_len, recv_acl_any, NULL) == 0)
		return (NULL);
	copy = xmalloc(ent->xattrs_len);
	memcpy(copy, ent->xattrs, ent->xattrs_len);
	zc_xattr_acl_map(copy, ent->xattrs_len, recv_acl_map, r);
	return (copy);
}

/* A file system without attributes is said once per set, not failed. */
static int
recv_xattr_err(struct zc_recv *r, int error)
{
	if (error != -ENOTSUP)
		return (error);
	if (!(*r->warned & ZC_RECV_WARN_XATTR))
		zc_log_warn("set=%s: the file system under %s keeps no "
		    "extended attributes: they are not kept", r->set,
		    r->root != NULL ? r->root : ".");
	*r->warned |= ZC_RECV_WARN_XATTR;
	return (0);
}

/* XATTR: rel's attributes become those of the entry's block. */
static int
recv_xattrs(struct zc_recv *r, const char *path, const struct zc_entry *ent)
{
	uint8_t	*mapped;
	int	 error;

	if (!r->xattrs || ent->xattrs == NULL)
		return (0);
	/* A default ACL may come or go: what ldirs knows is stale. */
	if (ent->meta.type == ZC_TYPE_DIR)
		zc_land_dirs_clear(&r->ldirs);
	mapped = recv_xattrs_mapped(r, ent);
	error = zc_land_xattrs(r->root_fd, path, ent->meta.type,
	    mapped != NULL ? mapped : ent->xattrs, ent->xattrs_len,
	    r->xattr_flags);
	free(mapped);
	return (recv_xattr_err(r, error));
}

static void
recv_dir_later(struct zc_recv *r, const char *path, const struct zc_meta *m)
{
	struct zc_mentry	*e;

	if (r->dirs == NULL)
		r->dirs = zc_manifest_new();
	if ((e = zc_manifest_find(r->dirs, path)) != NULL) {
		e->meta = *m;
		return;
	}
	(void)zc_manifest_add(r->dirs, m, path, strlen(path), NULL, 0,
	    ZC_MANIFEST_NONE);
}

/*
 * SPARSE: begin a file with holes and keep a copy of its segment map (the
 * frame's bytes are gone once the body starts).  0 or -errno.
 */
static int
recv_file_segs(struct zc_recv *r, const char *path, const struct zc_entry *e)
{
	int	error;

	free(r->file_segs);
	r->file_segs = NULL;
	r->file_nsegs = r->file_seg = 0;
	r->file_pos = 0;
	if ((error = zc_land_file_begin_segs(&r->file, r->root_fd, path,
	    &e->meta, &r->ldirs, r->land_flags, e->segs, e->nsegs)) != 0)
		return (error);
	if (e->nsegs > 0) {
		r->file_segs = xmalloc((size_t)e->nsegs * ZC_PROTO_SEG_LEN);
		memcpy(r->file_segs, e->segs,
		    (size_t)e->nsegs * ZC_PROTO_SEG_LEN);
		r->file_nsegs = e->nsegs;
	}
	return (0);
}

/* Begin landing the body of FILE e at path: 0 or -errno. */
static int
recv_file_begin(struct zc_recv *r, const char *path, const struct zc_entry *e)
{
	if (e->feat & ZC_FEAT_SPARSE)
		return (recv_file_segs(r, path, e));
	return (zc_land_file_begin(&r->file, r->root_fd, path, &e->meta,
	    &r->ldirs, r->land_flags));
}

/*
 * SPARSE: receive the next segment at its offset; after a sink failure
 * the rest is read and dropped.  The body is the segments back to back.
 * The file offset is set here and the splice(2) (or write) that follows
 * advances it, rather than passing off_out: the offset of the file being
 * landed is then how far its body has come, as for a dense file (the
 * fault tests watch it in /proc/PID/fdinfo).
 */
static int
recv_next_seg(struct zc_recv *r)
{
	uint64_t	off, len;

	zc_proto_seg_get(r->file_segs, r->file_seg++, &off, &len);
	/* No seek where the file already is (a dense file: never). */
	if (r->file_sink_err == 0 && off != r->file_pos &&
	    lseek(r->file.fd, (off_t)off, SEEK_SET) == -1)
		r->file_sink_err = -errno;
	r->file_pos = off + len;
	zc_conn_recv_body(r->conn, r->file_sink_err == 0 ? r->file.fd : -1,
	    len);
	/* VERIFY reads back what landed: from where this segment lands. */
	r->conn->body_in_off = (off_t)off;
	return (0);
}

/*
 * An entry frame's seq (PROTOCOL.md 5.6): none in a dry run, and each one
 * above the last.  1 if it may be applied; 0 once the session is refused.
 */
static int
recv_entry_seq(struct zc_recv *r, uint64_t seq)
{
	if (r->dry_run) {
		(void)recv_refuse(r, ZC_E_PROTOCOL, "entry in a dry run");
		return (0);
	}
	if (seq <= r->last_seq) {
		(void)recv_refuse(r, ZC_E_PROTOCOL, "sequence %llu after %llu",
		    (unsigned long long)seq, (unsigned long long)r->last_seq);
		return (0);
	}
	r->last_seq = seq;
	return (1);
}

/*
 * SPECIAL: a META of type FIFO, SOCK, CHR or BLK makes that node (again)
 * beneath the root.  Devices only into a set that says `specials: true`
 * (a peer allowed to push may not plant device nodes otherwise), and only
 * when we run as root: else ACK DENIED.
 */
static int
recv_special(struct zc_recv *r, const char *path, const struct zc_entry *e)
{
	uint32_t	code;
	int		error;

	if ((e->meta.type == ZC_TYPE_CHR || e->meta.type == ZC_TYPE_BLK) &&
	    !r->devices) {
		zc_log_info("%s: refused %s: a device node, and the set does "
		    "not take them (specials: false)", r->conn->desc,
		    recv_name(r, path, strlen(path)));
		return (recv_ack(r, e->seq, ZC_E_DENIED, recv_name(r, path,
		    strlen(path)), -EPERM));
	}
	error = zc_special_land(r->root_fd, path, &e->meta,
	    (r->land_flags & ZC_LAND_CHOWN) != 0,
	    (r->land_flags & ZC_LAND_FSYNC) != 0);
	code = zc_land_code(error);
	if (error == -EPERM && (e->meta.type == ZC_TYPE_CHR ||
	    e->meta.type == ZC_TYPE_BLK))
		code = ZC_E_DENIED;
	return (recv_ack(r, e->seq, code, recv_name(r, path, strlen(path)),
	    error));
}

static int
recv_on_entry(struct zc_recv *r, uint8_t type, struct zc_rd *rd)
{
	struct zc_entry	 ent;
	char		 path[ZC_PATH_MAX + 1], target[ZC_PROTO_TARGET_MAX + 1];
	uint8_t		*mapped;
	int		 error, rc;

	ent.feat = r->feat;
	if (zc_proto_get_entry(rd, type, &ent) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "malformed entry"));
	if (!recv_entry_seq(r, ent.seq))
		return (0);
	if (type != ZC_MSG_DELETE)
		recv_owner(r, &ent.meta);
	if (zc_path_check(ent.path, ent.path_len, path, sizeof path) != 0) {
		/* Escaped now, NULs included: the name may be anything. */
		recv_name(r, ent.path, ent.path_len);
		snprintf(path, sizeof path, "%s", r->name);
		if (type == ZC_MSG_FILE) {
			r->file_code = ZC_E_PATH;
			r->file_open = 0;
			r->file_seq = ent.seq;
			snprintf(r->file_path, sizeof r->file_path, "%s", path);
			r->state = RECV_BODY;
			zc_conn_recv_body(r->conn, -1, zc_proto_body_len(&ent));
			return (0);
		}
		return (recv_ack(r, ent.seq, ZC_E_PATH, path, 0));
	}
	if (zc_backup_owns(&r->backup, path) || (type == ZC_MSG_DELETE &&
	    zc_backup_holds(&r->backup, path))) {
		/* The backup directory is ours alone (backup.h). */
		recv_name(r, path, strlen(path));
		if (type == ZC_MSG_FILE) {
			r->file_code = ZC_E_PATH;
			r->file_open = 0;
			r->file_seq = ent.seq;
			snprintf(r->file_path, sizeof r->file_path, "%s",
			    r->name);
			r->state = RECV_BODY;
			zc_conn_recv_body(r->conn, -1, ent.meta.size);
			return (0);
		}
		return (recv_ack(r, ent.seq, ZC_E_PATH, r->name, 0));
	}
	switch (type) {
	case ZC_MSG_DIR:
		if ((error = zc_land_dir(r->root_fd, path, r->land_flags)) == 0)
			recv_dir_later(r, path, &ent.meta);
		if (error == 0)
			error = recv_xattrs(r, path, &ent);
		return (recv_ack(r, ent.seq, zc_land_code(error), recv_name(r, path,
		    strlen(path)), error));
	case ZC_MSG_FILE:
		r->file_seq = ent.seq;
		r->file_code = ZC_OK;
		snprintf(r->file_path, sizeof r->file_path, "%s",
		    recv_name(r, path, strlen(path)));
		snprintf(r->file_raw, sizeof r->file_raw, "%s", path);
		r->file_body = zc_proto_body_len(&ent);
		error = recv_file_begin(r, path, &ent);
		if ((error == -EMFILE || error == -ENFILE) &&
		    (r->nbatch > 0 || r->ndsync_dirs > 0)) {
			/*
			 * The group commit holds descriptors, two a file and
			 * one a directory: committing gives them back.  It
			 * needs one itself to check each directory (land.c):
			 * the cached directory's.
			 */
			zc_land_dirs_clear(&r->ldirs);
			if ((rc = recv_batch_flush(r)) != 0 ||
			    (rc = recv_dsync_flush(r)) != 0)
				return (rc);
			error = recv_file_begin(r, path, &ent);
		}
		r->file_open = error == 0;
		if (r->file_open && zc_backup_on(&r->backup))
			r->file.backup = &r->backup;
		if (r->file_open && r->xattrs) {
			mapped = recv_xattrs_mapped(r, &ent);
			zc_land_file_xattrs(&r->file, mapped != NULL ? mapped :
			    ent.xattrs, ent.xattrs_len, r->xattr_flags);
			free(mapped);
		}
		if (error != 0) {
			r->file_code = zc_land_code(error);
			r->file_sink_err = error;
		}
		r->state = RECV_BODY;
		if (r->hash != NULL)
			zc_verify_reset(r->hash);
		r->conn->body_in_hash = r->hash;
		if (r->file_open && r->file_segs != NULL)
			return (recv_next_seg(r));
		zc_conn_recv_body(r->conn, r->file_open ? r->file.fd : -1,
		    r->file_body);
		return (0);
	case ZC_MSG_SYMLINK:
		if (memchr(ent.target, '\0', ent.target_len) != NULL)
			return (recv_ack(r, ent.seq, ZC_E_PATH, recv_name(r, path,
		    strlen(path)), 0));
		memcpy(target, ent.target, ent.target_len);
		target[ent.target_len] = '\0';
		if (r->safe_links && !zc_path_link_is_safe(path, target)) {
			zc_log_info("%s: refused %s: unsafe symlink target "
			    "(safe_links)", r->conn->desc, recv_name(r, path,
			    strlen(path)));
			return (recv_ack(r, ent.seq, ZC_E_PATH, recv_name(r,
			    path, strlen(path)), 0));
		}
		error = zc_backup_keep_path(&r->backup, r->root_fd, path,
		    ZC_BACKUP_LINK, r->land_flags);
		if (error == 0)
			error = zc_land_symlink(r->root_fd, path, target,
			    &ent.meta, r->land_flags);
		if (error == 0)
			error = recv_xattrs(r, path, &ent);
		return (recv_ack(r, ent.seq, zc_land_code(error), recv_name(r, path,
		    strlen(path)), error));
	case ZC_MSG_DELETE:
		zc_land_dirs_clear(&r->ldirs);
		error = zc_backup_keep_path(&r->backup, r->root_fd, path,
		    ZC_BACKUP_MOVE, r->land_flags);
		if (error == 0)
			error = zc_land_delete(r->root_fd, path);
		return (recv_ack(r, ent.seq, zc_land_code(error), recv_name(r, path,
		    strlen(path)), error));
	case ZC_MSG_META:
		if (zc_special_type(ent.meta.type))
			return (recv_special(r, path, &ent));
		if (ent.meta.type == ZC_TYPE_DIR) {
			recv_dir_later(r, path, &ent.meta);
			error = recv_xattrs(r, path, &ent);
			return (recv_ack(r, ent.seq, zc_land_code(error),
			    recv_name(r, path, strlen(path)), error));
		}
		error = zc_land_meta(r->root_fd, path, &ent.meta,
		    r->land_flags);
		if (error == 0)
			error = recv_xattrs(r, path, &ent);
		return (recv_ack(r, ent.seq, zc_land_code(error), recv_name(r, path,
		    strlen(path)), error));
	}
	return (recv_refuse(r, ZC_E_PROTOCOL, "unexpected message %u", type));
}

/*
 * HARDLINK: LINK makes path a hard link of target, a file sent before.
 * Both names are checked as any path is; a refusal is an ACK.
 */
static int
recv_on_link(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_entry	 ent;
	char		 path[ZC_PATH_MAX + 1], target[ZC_PATH_MAX + 1];
	int		 error;

	ent.feat = r->feat;
	if (zc_proto_get_link(rd, &ent) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "malformed LINK"));
	if (!recv_entry_seq(r, ent.seq))
		return (0);
	if (zc_path_check(ent.path, ent.path_len, path, sizeof path) != 0 ||
	    zc_path_check(ent.target, ent.target_len, target,
	    sizeof target) != 0)
		return (recv_ack(r, ent.seq, ZC_E_PATH, recv_name(r, ent.path,
		    ent.path_len), 0));
	error = zc_land_link(r->root_fd, path, target, r->land_flags);
	return (recv_ack(r, ent.seq, zc_land_code(error), recv_name(r, path,
	    strlen(path)), error));
}

static int
recv_on_body(struct zc_conn *c, int sink_error)
{
	struct zc_recv	*r = c->data;

	if (sink_error != 0 && r->file_sink_err == 0)
		r->file_sink_err = sink_error;
	if (r->file_segs != NULL) {
		if (r->file_seg < r->file_nsegs)
			return (recv_next_seg(r));
		free(r->file_segs);
		r->file_segs = NULL;
		r->file_nsegs = r->file_seg = 0;
	}
	r->state = RECV_FILE_END;
	return (0);
}

static int
recv_on_file_end(struct zc_recv *r, struct zc_rd *rd)
{
	uint64_t	seq;
	uint32_t	status, code;
	uint8_t		hash[ZC_VERIFY_LEN], landed[ZC_VERIFY_LEN];
	int		error = 0;

	if ((r->hash != NULL ?
	    zc_proto_get_file_end_verify(rd, &seq, &status, hash) :
	    zc_proto_get_file_end(rd, &seq, &status)) != 0 ||
	    seq != r->file_seq)
		return (recv_refuse(r, ZC_E_PROTOCOL, "bad FILE_END"));
	r->state = RECV_ENTRIES;
	if (!r->file_open)
		return (recv_ack(r, seq, r->file_code, r->file_path,
		    r->file_sink_err));
	r->file_open = 0;
	if (status == ZC_BODY_ABORTED) {
		zc_land_file_abort(&r->file);
		return (recv_ack(r, seq, ZC_E_ABORTED, r->file_path, 0));
	}
	if (r->file_sink_err != 0) {
		error = r->file_sink_err;
		r->file_sink_err = 0;
		zc_land_file_abort(&r->file);
		return (recv_ack(r, seq, zc_land_code(error), r->file_path,
		    error));
	}
	if (r->hash != NULL) {
		/* VERIFY: what landed (read back) must be what was sent. */
		zc_verify_digest(r->hash, landed);
		if (memcmp(hash, landed, sizeof landed) != 0) {
			zc_land_file_abort(&r->file);
			return (recv_ack(r, seq, ZC_E_VERIFY, r->file_path, 0));
		}
	}
	if (r->land_flags & ZC_LAND_FSYNC)
		return (recv_batch_add(r, seq));
	error = zc_land_file_commit(&r->file, r->land_flags |
	    (r->live ? ZC_LAND_SWAP_OLD : 0));
	code = zc_land_code(error);
	if (code == ZC_OK && r->file.xattr_err != 0)
		(void)recv_xattr_err(r, r->file.xattr_err);
	if (code == ZC_OK) {
		r->stats.files++;
		r->stats.bytes += r->file_body;
	}
	return (recv_ack(r, seq, code, r->file_path, error));
}

/* Directories last, deepest first: their contents moved their mtime. */
static void
recv_apply_dirs(struct zc_recv *r)
{
	size_t	i;
	int	error;

	if (r->dirs == NULL)
		return;
	for (i = r->dirs->n; i-- > 0;) {
		error = zc_land_dir_meta(r->root_fd, r->dirs->v[i].path,
		    &r->dirs->v[i].meta, r->land_flags);
		if (error != 0) {
			r->stats.failures++;
			zc_log_info("peer=%s set=%s %s: directory metadata: %s",
			    r->peer, r->set, recv_name(r, r->dirs->v[i].path,
			    strlen(r->dirs->v[i].path)), strerror(-error));
		}
	}
	zc_manifest_free(r->dirs);
	r->dirs = NULL;
}

static int
recv_on_sync(struct zc_recv *r, struct zc_rd *rd)
{
	uint64_t	seq;

	if (!r->live || zc_proto_get_sync(rd, &seq) != 0 || seq <= r->last_seq)
		return (recv_refuse(r, ZC_E_PROTOCOL, "bad SYNC"));
	r->last_seq = seq;
	recv_apply_dirs(r);
	return (recv_ack(r, seq, ZC_OK, "", 0));
}

static int
recv_on_rename(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_entry	 ent;
	char		 from[ZC_PATH_MAX + 1], to[ZC_PATH_MAX + 1];
	int		 error;

	if (!r->live || zc_proto_get_rename(rd, &ent) != 0 ||
	    ent.seq <= r->last_seq)
		return (recv_refuse(r, ZC_E_PROTOCOL, "bad RENAME"));
	r->last_seq = ent.seq;
	if (zc_path_check(ent.path, ent.path_len, from, sizeof from) != 0 ||
	    zc_path_check(ent.target, ent.target_len, to, sizeof to) != 0)
		return (recv_ack(r, ent.seq, ZC_E_PATH, "(rename)", 0));
	if (zc_backup_owns(&r->backup, from) ||
	    zc_backup_owns(&r->backup, to) ||
	    zc_backup_holds(&r->backup, from) ||
	    zc_backup_holds(&r->backup, to))
		return (recv_ack(r, ent.seq, ZC_E_PATH, "(rename)", 0));
	zc_land_dirs_clear(&r->ldirs);
	error = zc_backup_keep_path(&r->backup, r->root_fd, to,
	    ZC_BACKUP_LINK, r->land_flags);
	if (error == 0)
		error = zc_land_rename(r->root_fd, from, to, r->land_flags);
	if (error == -ENOENT) {
		/*
		 * We never had the old name (an editor's temp file, say):
		 * not a failure; the sender sends the new name whole.
		 */
		zc_log_debug("peer=%s set=%s: rename of %s: no such entry here",
		    r->peer, r->set, recv_name(r, from, strlen(from)));
		if (recv_dsync_flush(r) != 0 || zc_proto_put_ack(r->conn->out, ent.seq, ZC_E_IO,
		    "no such entry") != 0)
			return (-ENOBUFS);
		return (0);
	}
	return (recv_ack(r, ent.seq, zc_land_code(error),
	    recv_name(r, to, strlen(to)), error));
}

static int
recv_on_done(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_summary	sum;
	int			error;

	if (zc_proto_get_end(rd) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "bad DONE"));
	if ((error = recv_dsync_flush(r)) != 0)
		return (error);
	recv_apply_dirs(r);
	memset(&sum, 0, sizeof sum);
	sum.entries = r->stats.entries;
	sum.bytes = r->stats.bytes;
	sum.failures = (uint32_t)r->stats.failures;
	if ((error = zc_proto_put_summary(r->conn->out, &sum)) != 0)
		return (error);
	zc_log_info("peer=%s set=%s: push done: %llu entries, %llu files, "
	    "%llu bytes, %llu failures", r->peer, r->set,
	    (unsigned long long)r->stats.entries,
	    (unsigned long long)r->stats.files,
	    (unsigned long long)r->stats.bytes,
	    (unsigned long long)r->stats.failures);
	r->state = RECV_DONE;
	zc_conn_finish(r->conn);
	return (0);
}

/* Serving a pull ended: the send engine had the connection. */
static void
recv_pull_done(struct zc_send *s, int err, const char *why, void *arg)
{
	struct zc_recv			*r = arg;
	const struct zc_send_stats	*st = zc_send_stats(s);

	r->conn = NULL;
	zc_log_info("peer=%s addr=%s set=%s: pull %s: %llu files, %llu bytes "
	    "sent, %llu deleted, %llu failed%s%s", r->peer, r->addr, r->set,
	    err == 0 ? "done" : "ended", (unsigned long long)st->files,
	    (unsigned long long)st->bytes, (unsigned long long)st->deleted,
	    (unsigned long long)st->failed, err != 0 ? ": " : "",
	    err != 0 ? why : "");
	r->done_cb(r, err, r->done_arg);
}

/* Serve a pull through the set's exclude and include rules. */
static int
recv_pull_adopt(struct zc_recv *r, const struct zc_recv_target *t,
    struct zc_send_opts *sopts, char *err, size_t errlen)
{
	struct zc_filter	*filter;
	int			 error;

	if ((error = zc_filter_from_lists(t->include, t->ninclude, t->exclude,
	    t->nexclude, &filter, err, errlen)) != 0)
		return (error);
	sopts->filter = filter;
	error = zc_send_adopt(r->conn, r->root_fd, r->peer_features, sopts,
	    recv_pull_done, r, &r->pull, err, errlen);
	sopts->filter = NULL;
	zc_filter_free(filter);
	return (error);
}

/* PULL: the peer wants the set; we become its sender (send.c). */
static int
recv_on_pull(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_push_req	 req;
	struct zc_recv_target	 t;
	struct zc_send_opts	 sopts;
	char			 err[512];
	uint32_t		 code;
	int			 error;

	if (zc_proto_get_push(rd, &req) != 0)
		return (recv_refuse(r, ZC_E_PROTOCOL, "malformed PULL"));
	if (req.flags & ZC_PUSH_LIVE)
		return (recv_refuse(r, ZC_E_PROTOCOL, "PULL with LIVE"));
	memcpy(r->set, req.set, req.set_len);
	r->set[req.set_len] = '\0';
	memset(&t, 0, sizeof t);
	code = r->opts.pull_auth != NULL ?
	    r->opts.pull_auth(r->opts.arg, r->peer, r->set, &t) : ZC_E_DENIED;
	if (code == ZC_E_NOSET)
		return (recv_refuse(r, code, "no set \"%s\" here", r->set));
	if (code != ZC_OK)
		return (recv_refuse(r, code, "peer \"%s\" may not pull set "
		    "\"%s\"", r->peer, r->set));
	r->root = xstrdup(t.root);
	if ((r->root_fd = zc_path_open_root(t.root)) < 0) {
		error = r->root_fd;
		r->root_fd = -1;
		zc_log_err("set=%s: cannot open %s: %s", r->set, t.root,
		    strerror(-error));
		return (recv_refuse(r, ZC_E_IO, "set root unavailable"));
	}
	if (req.flags & ZC_PUSH_DRY_RUN) {
		/* The client compares; all it needs is our list (7.10). */
		r->man = zc_manifest_new();
		if ((error = zc_manifest_walk(r->man, r->root_fd, err,
		    sizeof err)) != 0) {
			zc_log_err("set=%s: scanning the root: %s", r->set,
			    err);
			return (recv_refuse(r, ZC_E_IO, "cannot scan the set"));
		}
		r->listing = 1;
		r->conn->deadline = 0;
		r->state = RECV_MANIFEST;
		zc_conn_want_write(r->conn);
		zc_log_info("peer=%s addr=%s set=%s: pull started (dry run)",
		    r->peer, r->addr, r->set);
		return (0);
	}
	memset(&sopts, 0, sizeof sopts);
	sopts.node_name = r->opts.node_name;
	sopts.set = r->set;
	sopts.flags = req.flags & ZC_PUSH_DELETE;
	sopts.max_delete = t.max_delete;
	sopts.backup_dir = t.backup_dir;
	if (req.flags & ZC_PUSH_VERIFY) {
		if (!(r->feat & ZC_FEAT_VERIFY))
			return (recv_refuse(r, ZC_E_PROTOCOL, "VERIFY flag "
			    "without the VERIFY feature"));
		sopts.flags |= ZC_PUSH_VERIFY;
	}
	sopts.idle_ms = r->opts.idle_ms;
	sopts.rate = t.rate;
	sopts.specials = t.specials;
	sopts.no_xattrs = t.no_xattrs;
	sopts.numeric_ids = t.numeric_ids;
	r->conn->deadline = 0;
	if ((error = recv_pull_adopt(r, &t, &sopts, err, sizeof err)) != 0) {
		zc_log_err("set=%s: scanning the root: %s", r->set, err);
		return (recv_refuse(r, ZC_E_IO, "cannot scan the set"));
	}
	r->state = RECV_SERVING;
	zc_log_info("peer=%s addr=%s set=%s: pull started%s", r->peer, r->addr,
	    r->set, (req.flags & ZC_PUSH_DELETE) ? " (with deletions)" : "");
	return (0);
}

/* zcsync pull --dry-run: the server's manifest, checked as a sender would. */
static int
recv_on_their_manifest(struct zc_recv *r, struct zc_rd *rd)
{
	char	err[128];

	if (zc_send_manifest_read(r->theirs, r->feat, rd, err,
	    sizeof err) != 0) {
		snprintf(r->refusal, sizeof r->refusal, "the server sent a "
		    "bad manifest: %s", err);
		return (recv_refuse(r, ZC_E_PROTOCOL, "%s", err));
	}
	return (0);
}

/*
 * The server's tree is all here: compare it (as the sender) with ours (as
 * the receiver) exactly as a pushing sender would, and report the plan.
 */
static int
recv_on_their_manifest_end(struct zc_recv *r, struct zc_rd *rd)
{
	uint64_t	count;
	int		error;

	if (zc_proto_get_manifest_end(rd, &count) != 0 ||
	    count != r->theirs->n) {
		snprintf(r->refusal, sizeof r->refusal, "the server sent a "
		    "bad manifest: MANIFEST_END count mismatch");
		return (recv_refuse(r, ZC_E_PROTOCOL, "MANIFEST_END count "
		    "mismatch"));
	}
	if ((error = zc_send_plan(r->theirs, r->man, r->pull_flags &
	    ZC_PUSH_DELETE, (r->land_flags & ZC_LAND_CHOWN) != 0,
	    r->opts.plan, r->opts.arg, &r->plan, r->refusal,
	    sizeof r->refusal)) != 0)
		return (error);
	zc_manifest_free(r->theirs);
	zc_manifest_free(r->man);
	r->theirs = r->man = NULL;
	r->state = RECV_PLAN_END;
	return (0);
}

static int
recv_on_plan_summary(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_summary	sum;

	if (zc_proto_get_summary(rd, &sum) != 0) {
		snprintf(r->refusal, sizeof r->refusal, "the server sent a "
		    "bad SUMMARY");
		return (recv_refuse(r, ZC_E_PROTOCOL, "bad SUMMARY"));
	}
	r->state = RECV_DONE;
	zc_conn_close(r->conn, 0);
	return (0);
}

/* zcsync pull: the server's HELLO (checked as a receiver checks ours). */
static int
recv_on_server_hello(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_hello	h;

	if (zc_proto_get_hello(rd, &h) != 0 || h.magic != ZC_PROTO_MAGIC ||
	    h.version != ZC_PROTO_VERSION || (h.mandatory & ~ZC_FEAT_KNOWN)) {
		snprintf(r->refusal, sizeof r->refusal, "the server speaks "
		    "another protocol");
		return (-EPROTO);
	}
	memcpy(r->peer, h.name, h.name_len);
	r->peer[h.name_len] = '\0';
	r->peer_features = h.features;
	r->feat = recv_client_features(r) & h.features;
	if (zc_owner_can_chown())
		r->land_flags |= ZC_LAND_CHOWN;
	if (r->hash != NULL && !(r->feat & ZC_FEAT_VERIFY)) {
		snprintf(r->refusal, sizeof r->refusal, "the server cannot "
		    "verify (no VERIFY feature)");
		return (-EPROTO);
	}
	recv_idmap_on(r, 0);
	if (!(r->feat & ZC_FEAT_XATTR))
		r->xattrs = 0;
	r->got_hello = 1;
	zc_conn_want_write(r->conn);	/* our manifest waited for this */
	return (0);
}

static int
recv_on_refusal(struct zc_recv *r, struct zc_rd *rd)
{
	struct zc_status	st;

	if (zc_proto_get_status(rd, ZC_MSG_ERROR, &st) != 0)
		snprintf(r->refusal, sizeof r->refusal, "malformed ERROR");
	else
		snprintf(r->refusal, sizeof r->refusal, "%s%s%.*s",
		    zc_proto_code_str(st.code), st.msg_len ? ": " : "",
		    (int)st.msg_len, st.msg);
	return (-ECONNABORTED);
}

static int
recv_on_frame(struct zc_conn *c, const struct zc_frame_hdr *hdr,
    struct zc_rd *rd)
{
	struct zc_recv	*r = c->data;

	if (r->client) {
		/* zcsync pull: the server's HELLO, or its refusal. */
		if (hdr->type == ZC_MSG_ERROR)
			return (recv_on_refusal(r, rd));
		if (!r->got_hello) {
			if (hdr->type == ZC_MSG_HELLO)
				return (recv_on_server_hello(r, rd));
			return (recv_refuse(r, ZC_E_PROTOCOL, "message %u "
			    "before HELLO", hdr->type));
		}
	}
	switch (r->state) {
	case RECV_HELLO:
		if (hdr->type == ZC_MSG_HELLO)
			return (recv_on_hello(r, rd));
		break;
	case RECV_PUSH:
		if (hdr->type == ZC_MSG_PUSH)
			return (recv_on_push(r, rd));
		if (hdr->type == ZC_MSG_PULL)
			return (recv_on_pull(r, rd));
		break;
	case RECV_ENTRIES:
		/* What follows the batch's files waits for them to land. */
		if (hdr->type != ZC_MSG_FILE && hdr->type != ZC_MSG_IDMAP &&
		    r->nbatch > 0) {
			int	rc;

			if ((rc = recv_batch_flush(r)) != 0)
				return (rc);
		}
		switch (hdr->type) {
		case ZC_MSG_DIR:
		case ZC_MSG_FILE:
		case ZC_MSG_SYMLINK:
		case ZC_MSG_DELETE:
		case ZC_MSG_META:
			return (recv_on_entry(r, hdr->type, rd));
		case ZC_MSG_DONE:
			return (recv_on_done(r, rd));
		case ZC_MSG_SYNC:
			return (recv_on_sync(r, rd));
		case ZC_MSG_RENAME:
			return (recv_on_rename(r, rd));
		case ZC_MSG_LINK:
			return (recv_on_link(r, rd));
		case ZC_MSG_IDMAP:
			return (recv_on_idmap(r, rd));
		}
		break;
	case RECV_FILE_END:
		if (hdr->type == ZC_MSG_FILE_END)
			return (recv_on_file_end(r, rd));
		break;
	case RECV_PLAN:
		if (hdr->type == ZC_MSG_MANIFEST)
			return (recv_on_their_manifest(r, rd));
		if (hdr->type == ZC_MSG_MANIFEST_END)
			return (recv_on_their_manifest_end(r, rd));
		break;
	case RECV_PLAN_END:
		if (hdr->type == ZC_MSG_SUMMARY)
			return (recv_on_plan_summary(r, rd));
		break;
	case RECV_REFUSED:
	case RECV_DONE:
		return (0);	/* closing: ignore what is in flight */
	default:
		break;
	}
	if (hdr->type == ZC_MSG_ERROR) {
		zc_log_info("peer=%s addr=%s: sent ERROR, closing",
		    r->peer[0] ? r->peer : "-", r->addr);
		return (-ECONNABORTED);
	}
	return (recv_refuse(r, ZC_E_PROTOCOL, "message %u out of turn",
	    hdr->type));
}

/*
 * The sender has nothing more in flight for now (it may wait for ACKs
 * before sending more): the directory fsync pending for a run of files
 * happens now rather than at the next entry.
 */
static int
recv_on_idle(struct zc_conn *c)
{
	struct zc_recv	*r = c->data;
	int		 rc;

	if ((rc = recv_batch_flush(r)) != 0)
		return (rc);
	return (recv_dsync_flush(r));
}

static void
recv_on_close(struct zc_conn *c, int err)
{
	struct zc_recv	*r = c->data;

	r->conn = NULL;
	if (r->file_open) {
		zc_land_file_abort(&r->file);
		r->file_open = 0;
	}
	recv_batch_drop(r);
	/* A failed handshake was logged where it failed (conn.c). */
	if (r->state != RECV_DONE && r->state != RECV_REFUSED &&
	    (c->tls == NULL || (c->flags & ZC_CONN_TLS_READY)))
		zc_log_info("peer=%s addr=%s set=%s: connection closed before "
		    "DONE: %s", r->peer[0] ? r->peer : "-", r->addr,
		    r->set[0] ? r->set : "-",
		    err == 0 ? "end of stream" : err == -EPROTO ?
		    "malformed frame" : strerror(-err));
	r->done_cb(r, r->state == RECV_DONE ? 0 : (err ? err : -EPIPE),
	    r->done_arg);
}

static int
recv_pin(void *arg, const uint8_t fpr[ZC_FPR_LEN])
{
	struct zc_recv	*r = arg;
	const char	*name;

	if ((name = r->opts.peer_by_pin(r->opts.arg, fpr)) == NULL)
		return (0);
	snprintf(r->tls_peer, sizeof r->tls_peer, "%s", name);
	return (1);
}

static int
recv_on_secure(struct zc_conn *c)
{
	struct zc_recv	*r = c->data;
	char		 fpr[ZC_FPR_STRLEN];

	zc_identity_fpr_str(zc_tls_peer_fpr(c->tls), fpr, sizeof fpr);
	snprintf(c->desc, sizeof c->desc, "peer=%s addr=%s", r->tls_peer,
	    r->addr);
	zc_log_info("peer=%s addr=%s: TLS 1.3, certificate %s", r->tls_peer,
	    r->addr, fpr);
	/* HELLO and PUSH must now arrive within the handshake deadline. */
	r->conn->deadline = uv_now(r->conn->poll.loop) + ZC_RECV_HANDSHAKE_MS;
	return (0);
}

int
zc_recv_start(uv_loop_t *loop, int sock, const char *addr,
    const struct zc_recv_opts *opts, zc_recv_done_cb done_cb, void *arg,
    struct zc_recv **out)
{
	struct zc_recv	*r;
	int		 error;

	*out = NULL;
	r = xcalloc(1, sizeof *r);
	r->opts = *opts;
	r->done_cb = done_cb;
	r->done_arg = arg;
	r->root_fd = -1;
	r->warned = &r->warned_own;
	zc_land_dirs_init(&r->ldirs);
	snprintf(r->addr, sizeof r->addr, "%s", addr);
	if ((error = zc_conn_new(loop, sock, &recv_ops, r, opts->idle_ms,
	    &r->conn)) != 0) {
		free(r);
		return (error);
	}
	if (opts->no_zerocopy)
		r->conn->flags |= ZC_CONN_NO_ZEROCOPY;
	/* HELLO and PUSH by then, however slowly the bytes trickle in. */
	r->conn->deadline = uv_now(loop) + ZC_RECV_HANDSHAKE_MS;
	if (opts->tls != NULL) {
		struct zc_tls	*tls;

		if ((error = zc_tls_new(opts->tls, r->conn->fd, 1, recv_pin, r,
		    &tls)) != 0) {
			zc_conn_close(r->conn, error);
			*out = r;
			return (0);	/* the done callback follows */
		}
		zc_conn_set_tls(r->conn, tls, recv_on_secure);
	}
	snprintf(r->conn->desc, sizeof r->conn->desc, "addr=%s", addr);
	*out = r;
	return (0);
}

void
zc_recv_close(struct zc_recv *r)
{
	if (r->pull != NULL && r->conn != NULL)
		zc_send_close(r->pull, -ECANCELED);
	else if (r->conn != NULL)
		zc_conn_close(r->conn, -ECANCELED);
}

const char *
zc_recv_refusal(const struct zc_recv *r)
{
	return (r->refusal);
}

static int
recv_client_pin(void *arg, const uint8_t fpr[ZC_FPR_LEN])
{
	struct zc_recv	*r = arg;
	size_t		 i;

	for (i = 0; i < r->opts.npins; i++)
		if (zc_tls_pin_equal(r->opts.pins[i], fpr))
			return (1);
	return (0);
}

int
zc_recv_pull(uv_loop_t *loop, int sock, int dir_fd, const char *set,
    uint32_t flags, int fsync, const struct zc_recv_opts *opts,
    zc_recv_done_cb done_cb, void *arg, struct zc_recv **out, char *err,
    size_t errlen)
{
	struct zc_recv	*r;
	struct zc_tls	*tls;
	int		 error;

	*out = NULL;
	r = xcalloc(1, sizeof *r);
	r->opts = *opts;
	r->done_cb = done_cb;
	r->done_arg = arg;
	r->client = 1;
	r->devices = opts->specials;
	r->warned = &r->warned_own;
	zc_land_dirs_init(&r->ldirs);
	r->land_flags = fsync ? ZC_LAND_FSYNC : 0;
	snprintf(r->set, sizeof r->set, "%s", set);
	snprintf(r->addr, sizeof r->addr, "server");
	snprintf(r->peer, sizeof r->peer, "-");
	r->root_fd = -1;
	r->man = zc_manifest_new();
	/* A dry run into a directory not made yet compares with nothing. */
	if (dir_fd != -1 &&
	    (r->root_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		error = -errno;
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (dir_fd == -1 && !(flags & ZC_PUSH_DRY_RUN)) {
		error = -EBADF;
		snprintf(err, errlen, "no directory");
		goto fail;
	}
	if (flags & ZC_PUSH_VERIFY)
		r->hash = zc_verify_new();
	/* Hashed now, carried if the server's HELLO lists XATTR. */
	if (recv_client_features(r) & ZC_FEAT_XATTR)
		recv_xattrs_on(r);
	if (r->root_fd != -1 &&
	    (error = zc_manifest_walk(r->man, r->root_fd, err, errlen)) != 0)
		goto fail;
	zc_backup_init(&r->backup, opts->backup_dir, opts->backup_keep);
	if (zc_backup_on(&r->backup))
		(void)zc_manifest_drop(r->man, r->backup.dir);
	if ((error = zc_conn_new(loop, sock, &recv_ops, r, opts->idle_ms,
	    &r->conn)) != 0) {
		snprintf(err, errlen, "%s", uv_strerror(error));
		zc_recv_free(r);
		return (error);
	}
	if (opts->no_zerocopy)
		r->conn->flags |= ZC_CONN_NO_ZEROCOPY;
	if (opts->tls != NULL) {
		if ((error = zc_tls_new(opts->tls, r->conn->fd, 0,
		    recv_client_pin, r, &tls)) != 0) {
			snprintf(r->refusal, sizeof r->refusal, "TLS: %s",
			    strerror(-error));
			zc_conn_close(r->conn, error);
			*out = r;
			return (0);
		}
		zc_conn_set_tls(r->conn, tls, NULL);
	}
	if (zc_proto_put_hello(r->conn->out, opts->node_name,
	    recv_client_features(r), 0) != 0 ||
	    zc_proto_put_pull(r->conn->out, set, flags) != 0) {
		snprintf(r->refusal, sizeof r->refusal, "bad node or set name");
		zc_conn_close(r->conn, -EINVAL);
		*out = r;
		return (0);
	}
	r->pull_flags = flags;
	if (flags & ZC_PUSH_DRY_RUN) {
		/* Ours stays here: we compare, the server lists (7.10). */
		r->theirs = zc_manifest_new();
		r->state = RECV_PLAN;
		zc_conn_update(r->conn);
		*out = r;
		return (0);
	}
	/* Our manifest goes right behind: no round trip. */
	r->state = RECV_MANIFEST;
	zc_conn_want_write(r->conn);
	*out = r;
	return (0);
fail:
	close(sock);
	zc_recv_free(r);
	return (error);
}

const char *
zc_recv_peer(const struct zc_recv *r)
{
	return (r->root_fd != -1 ? r->peer : NULL);
}

const char *
zc_recv_set(const struct zc_recv *r)
{
	/* A served pull wrote nothing here: not a pushing session. */
	return (r->root_fd != -1 && r->state != RECV_SERVING && !r->listing ?
	    r->set : NULL);
}

int
zc_recv_serving(const struct zc_recv *r)
{
	return (r->state == RECV_SERVING || r->listing);
}

const struct zc_send_stats *
zc_recv_plan(const struct zc_recv *r)
{
	return (&r->plan);
}

int
zc_recv_closing(const struct zc_recv *r)
{
	return (r->conn == NULL || (r->conn->flags & ZC_CONN_CLOSING));
}

const char *
zc_recv_root(const struct zc_recv *r)
{
	return (r->root != NULL ? r->root : "");
}

const struct zc_recv_stats *
zc_recv_stats(const struct zc_recv *r)
{
	return (&r->stats);
}

void
zc_recv_free(struct zc_recv *r)
{
	if (r == NULL)
		return;
	if (r->root_fd != -1)
		close(r->root_fd);
	recv_batch_drop(r);
	free(r->batch);
	zc_syncpool_free(r->syncpool);
	while (r->ndsync_dirs > 0)
		close(r->dsync_dirs[--r->ndsync_dirs].fd);
	while (r->ndsync > 0) {
		r->ndsync--;
		free(r->dsync[r->ndsync].name);
		free(r->dsync[r->ndsync].base);
	}
	free(r->dsync);
	free(r->root);
	zc_land_dirs_clear(&r->ldirs);
	zc_send_free(r->pull);
	zc_manifest_free(r->man);
	zc_manifest_free(r->theirs);
	zc_manifest_free(r->dirs);
	zc_verify_free(r->hash);
	free(r->file_segs);
	zc_owner_map_free(r->idmaps);
	free(r);
}
