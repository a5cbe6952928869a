/*
 * recv.h: the receiving side of a push session (see docs/PROTOCOL.md).
 * The daemon runs one per accepted connection; `zcsync pull` will run the
 * same code.  Nothing is written outside the root the auth callback names.
 */
#ifndef ZC_RECV_H
#define ZC_RECV_H

#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "send.h"
#include "tls.h"

/*
 * Files landing one after another share their directories' fsyncs (one
 * each): their ACKs wait (at most this many files, in at most that many
 * directories) until the run of files ends.
 */
#define ZC_RECV_DIRSYNC_MAX	1024
#define ZC_RECV_DSYNC_DIRS	16

/*
 * Group commit, fsync on: complete bodies arriving back to back wait (at
 * most this many, this many bytes) for one round of fsyncs before any of
 * them is renamed into place; a round also starts when no more input is
 * waiting and before any other entry, so a lone file waits for nothing.
 */
#define ZC_RECV_BATCH_MAX	64
#define ZC_RECV_BATCH_BYTES	(64 * 1024 * 1024)

/* HELLO and PUSH must arrive within this (a trickler holds no slot). */
#define ZC_RECV_HANDSHAKE_MS	10000

struct zc_rate;

struct zc_recv_target {
	const char	*root;		/* absolute path of the set root */
	int		 fsync;		/* fsync each file before rename */
	int		 safe_links;	/* refuse links that leave the root */
	char *const	*include;	/* pull: the set's rules (filter.h) */
	size_t		 ninclude;
	char *const	*exclude;
	size_t		 nexclude;
	struct zc_config_limit max_delete; /* serving a pull: guard.h */
	const char	*backup_dir;	/* backup.h; NULL: off */
	uint64_t	 backup_keep;	/* generations kept per path */
	struct zc_rate	*rate;		/* borrowed; pull: bwlimit, or NULL */
	int		 specials;	/* pull: send fifos, sockets, devices;
					   push: accept device nodes */
	int		 no_xattrs;	/* XATTR: neither keep nor send them */
	int		 numeric_ids;	/* IDMAP: owners as numbers only */
	int		 watched;	/* push: we mirror this root on (push_to),
					   so land by rename (ZC_LAND_RENAME) */
	unsigned	*warned;	/* borrowed; NULL: per session */
#define ZC_RECV_WARN_XATTR	0x1	/* "keeps no extended attributes" */
#define ZC_RECV_WARN_CHOWN	0x2	/* "owners are not kept" */
};

/*
 * May peer (its HELLO name) push into set?  ZC_OK and *target, or
 * ZC_E_NOSET / ZC_E_DENIED (enum zc_code).
 */
typedef uint32_t (*zc_recv_auth_cb)(void *arg, const char *peer,
    const char *set, struct zc_recv_target *target);

/*
 * TLS: the name of the peer pinned to fpr, or NULL (refused).  That name,
 * not the one the peer puts in HELLO, is who it is.
 */
typedef const char *(*zc_recv_peer_cb)(void *arg, const uint8_t *fpr);

/* A failed entry, for a client that lists them (zcsync pull). */
typedef void (*zc_recv_report_cb)(void *arg, const char *name, uint32_t code,
    const char *msg);

struct zc_recv_opts {
	const char		*node_name;	/* our HELLO name */
	zc_recv_auth_cb		 pull_auth;	/* may peer pull set? NULL: no */
	zc_recv_report_cb	 report;	/* may be NULL */
	zc_send_report_cb	 plan;		/* pull dry run; may be NULL */
	const uint8_t		(*pins)[32];	/* client TLS: the server's pins */
	size_t			 npins;
	uint64_t		 idle_ms;
	int			 no_zerocopy;	/* read/write instead of splice */
	int			 no_xattrs;	/* pull: keep no attributes */
	int			 numeric_ids;	/* pull: owners as numbers only */
	zc_recv_auth_cb		 auth;
	struct zc_tls_ctx	*tls;		/* borrowed; NULL: plain TCP */
	zc_recv_peer_cb		 peer_by_pin;	/* with tls */
	void			*arg;
	int			 specials;	/* zcsync pull: accept devices */
	const char		*backup_dir;	/* zcsync pull: backup.h */
	uint64_t		 backup_keep;
};

struct zc_recv_stats {
	uint64_t	entries;	/* entries applied */
	uint64_t	files;
	uint64_t	bytes;
	uint64_t	failures;
};

struct zc_recv;
typedef void (*zc_recv_done_cb)(struct zc_recv *, int err, void *arg);

/* Serve one connection (sock is taken).  0 or -errno. */
int	zc_recv_start(uv_loop_t *, int sock, const char *addr,
	    const struct zc_recv_opts *, zc_recv_done_cb, void *arg,
	    struct zc_recv **out);
/*
 * zcsync pull: on sock (connected; taken), ask for set and land it beneath
 * dir_fd (borrowed) exactly as a daemon lands a push; with ZC_PUSH_DELETE
 * the server deletes what it does not have.  With ZC_PUSH_DRY_RUN nothing
 * lands: the server lists its tree, and what a push of it into dir_fd
 * would do goes to opts->plan (ZC_SEND_PLAN) and zc_recv_plan().  0 or
 * -errno (err set).
 */
int	zc_recv_pull(uv_loop_t *, int sock, int dir_fd, const char *set,
	    uint32_t flags, int fsync, const struct zc_recv_opts *,
	    zc_recv_done_cb, void *arg, struct zc_recv **out, char *err,
	    size_t errlen);
/* Pull dry run: what would have been done (a push dry run's counts). */
const struct zc_send_stats *zc_recv_plan(const struct zc_recv *);
/* The other side's ERROR, if it sent one ("" otherwise). */
const char *zc_recv_refusal(const struct zc_recv *);
/* Close it now (shutdown): the done callback follows. */
void	zc_recv_close(struct zc_recv *);
const struct zc_recv_stats *zc_recv_stats(const struct zc_recv *);
/* Who pushes into which set (NULL before PUSH was accepted). */
const char *zc_recv_peer(const struct zc_recv *);
const char *zc_recv_set(const struct zc_recv *);
const char *zc_recv_root(const struct zc_recv *);
/* Serving a pull (past its handshake); closing (zc_recv_close called). */
int	zc_recv_serving(const struct zc_recv *);
int	zc_recv_closing(const struct zc_recv *);
void	zc_recv_free(struct zc_recv *);

#endif
