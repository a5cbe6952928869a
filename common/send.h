/*
 * send.h: the sending side of a push session, on a loop it is given.
 * `zcsync push` runs it on a short-lived loop; the daemon will run the
 * same code for live mirroring.  See docs/PROTOCOL.md for the exchange.
 */
#ifndef ZC_SEND_H
#define ZC_SEND_H

#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "rate.h"
#include "tls.h"

struct zc_filter;

/*
 * Bodies up to this size are read into the output buffer and batched with
 * their headers; larger ones leave by sendfile(2).  On this machine a
 * sendfile per 4 KiB file was slower than one buffered write for many of
 * them (docs/benchmarks.md has the measurement).
 */
#ifndef ZC_SEND_SMALL_MAX		/* -D for the benchmark that chose it */
#define ZC_SEND_SMALL_MAX	(64 * 1024)
#endif
#define ZC_SEND_RETRIES		3	/* a file that keeps changing */
#define ZC_SEND_BATCH		(256 * 1024)	/* output queued per wakeup */

enum zc_send_event {
	ZC_SEND_FAILED,		/* msg says why */
	ZC_SEND_VANISHED,	/* gone or changed type before we sent it */
	ZC_SEND_PLAN,		/* dry run: what would happen (msg = action) */
	ZC_SEND_LANDED,		/* acknowledged (msg = action) */
	ZC_SEND_LIVE,		/* live: catch-up acknowledged, now streaming */
	ZC_SEND_SECURE,		/* TLS up (msg = which data path is live) */
	ZC_SEND_SYNCED,		/* live: a SYNC acknowledged (all before it) */
};

/*
 * Live mirroring: after the catch-up the session stays open and asks its
 * owner for changes with next(); paths are relative to the source root and
 * borrowed until the next call.
 */
enum zc_live_op {
	ZC_LIVE_PATH,		/* send what path is now (or delete it) */
	ZC_LIVE_ATTR,		/* metadata only, unless the type changed */
	ZC_LIVE_RENAME,		/* path moved to path2 */
	ZC_LIVE_TREE,		/* path and everything beneath it */
};

struct zc_live_item {
	enum zc_live_op	 op;
	const char	*path;
	const char	*path2;
};

/* 1 and *it, or 0 when nothing is ready. */
typedef int (*zc_send_next_cb)(void *arg, struct zc_live_item *it);
/*
 * Live: path is about to be sent from a directory walk (ZC_LIVE_TREE), as
 * it is now; a change of it that the owner still holds is covered.
 */
typedef void (*zc_send_covered_cb)(void *arg, const char *path);

typedef void (*zc_send_report_cb)(void *arg, enum zc_send_event,
    const char *path, const char *msg);

struct zc_send_opts {
	const char		*node_name;	/* our HELLO name */
	const char		*set;		/* the receiver's set */
	uint32_t		 flags;		/* ZC_PUSH_DELETE, ZC_PUSH_DRY_RUN */
	int			 no_zerocopy;	/* read/write instead of sendfile */
	int			 specials;	/* SPECIAL: send fifos, sockets,
						   devices (sets[].specials) */
	int			 no_xattrs;	/* XATTR: send none (set option) */
	int			 numeric_ids;	/* IDMAP: owners as numbers only */
	uint64_t		 idle_ms;	/* connection idle limit */
	zc_send_report_cb	 report;	/* may be NULL */
	zc_send_next_cb		 next;		/* live mode when not NULL */
	zc_send_covered_cb	 covered;	/* live; may be NULL */
	struct zc_tls_ctx	*tls;		/* borrowed; NULL: plain TCP */
	const uint8_t		(*pins)[32];	/* with tls: the peer's pins */
	size_t			 npins;
	/*
	 * Borrowed; NULL: send everything.  The session copies its rules and
	 * reads .zcsyncignore files into its copy as it walks.
	 */
	const struct zc_filter	*filter;
	struct zc_rate		*rate;		/* borrowed; bwlimit, or NULL */
	void			*arg;
	struct zc_config_limit	 max_delete;	/* guard.h; unset: none */
	const char		*backup_dir;	/* not sent (backup.h) */
};

struct zc_send_stats {
	uint64_t	files;		/* file bodies landed */
	uint64_t	bytes;		/* body bytes landed */
	uint64_t	skipped;	/* files already equal */
	uint64_t	dirs;		/* directories created or updated */
	uint64_t	links;		/* symlinks landed */
	uint64_t	metas;		/* metadata-only updates */
	uint64_t	deleted;	/* entries removed on the receiver */
	uint64_t	failed;		/* entries that did not land */
	uint64_t	vanished;	/* source entries gone before sending */
	uint64_t	retried;	/* bodies resent because they changed */
	uint64_t	renames;	/* live: moves landed as moves */
	uint64_t	plan_files;	/* file bodies the catch-up will send */
	uint64_t	plan_bytes;	/* and their bytes (for progress) */
	uint64_t	hardlinks;	/* HARDLINK: links made (LINK) */
	uint64_t	specials;	/* SPECIAL: fifos, sockets, devices */
	int		walking;	/* the source walk goes on: plan_files
					   and plan_bytes still grow */
};

struct zc_send;

/* err: 0 when every entry was answered; why: a line for a person. */
typedef void (*zc_send_done_cb)(struct zc_send *, int err, const char *why,
    void *arg);

/*
 * Walk the tree beneath src_fd (borrowed; it must outlive the session),
 * then speak to the receiver on sock (connected; taken).  0 or -errno with
 * err set; done_cb is called once, later, unless start fails.
 */
int	zc_send_start(uv_loop_t *, int sock, int src_fd,
	    const struct zc_send_opts *, zc_send_done_cb, void *arg,
	    struct zc_send **out, char *err, size_t errlen);
/*
 * Serve a pull: take over conn (HELLO already exchanged, PULL accepted),
 * walk src_fd and send what the receiver's manifest lacks, as a push
 * does.  peer_features: the receiver's HELLO features.  0 or -errno.
 */
struct zc_conn;
int	zc_send_adopt(struct zc_conn *, int src_fd, uint64_t peer_features,
	    const struct zc_send_opts *, zc_send_done_cb, void *arg,
	    struct zc_send **out, char *err, size_t errlen);
const struct zc_send_stats *zc_send_stats(const struct zc_send *);
/*
 * The comparison a push makes (docs/PROTOCOL.md 7.3), without a session:
 * what a sender holding src would do to a receiver holding dst (flags:
 * ZC_PUSH_DELETE), reported as ZC_SEND_PLAN events and counted in *st as
 * a dry run counts them.  owners: both sides keep owners.  The manifests
 * are borrowed (their entry flags are used).  0, or -ENOTEMPTY with err
 * set when the push itself would be refused (empty source, --delete).
 * zcsync pull --dry-run runs it with the server's tree as src.
 */
struct zc_manifest;
int	zc_send_plan(struct zc_manifest *src, struct zc_manifest *dst,
	    uint32_t flags, int owners, zc_send_report_cb, void *arg,
	    struct zc_send_stats *st, char *err, size_t errlen);
/*
 * Append one MANIFEST frame's items to m, checked as a sender checks a
 * receiver's manifest.  0, or -EPROTO with err set.
 */
struct zc_rd;
int	zc_send_manifest_read(struct zc_manifest *, uint64_t feat,
	    struct zc_rd *,
	    char *err, size_t errlen);
/*
 * Live: changes were queued; next() is asked at once (from the owner's
 * timer, never from inside the session's callbacks).
 */
void	zc_send_kick(struct zc_send *);
/* Close the session now; done_cb follows. */
void	zc_send_close(struct zc_send *, int err);
void	zc_send_free(struct zc_send *);

#endif
