/*
 * zcsyncd.h: the daemon's root object.  Everything the daemon owns hangs
 * off one struct zcd, passed explicitly; there are no other globals.
 */
#ifndef ZCSYNCD_H
#define ZCSYNCD_H

#include <uv.h>

#include "addr.h"
#include "config.h"
#include "notify.h"
#include "queue.h"
#include "recv.h"
#include "send.h"
#include "watch.h"

#define ZCD_MAX_SESSIONS	256	/* connections served at once */
#define ZCD_MAX_PER_ADDR	32	/* of them from one address */
#define ZCD_MAX_UNAUTH		64	/* of them not yet past PUSH/PULL */
#define ZCD_ACCEPT_PAUSE_MS	1000	/* out of descriptors: wait this long */
#define ZCD_ACCEPT_EVICT_MS	20	/* ... unless a handshake gave one back */
#define ZCD_FD_RESERVE		16	/* EMFILE: descriptors kept for work */
#define ZCD_UNAUTH_CAP_MS	60000	/* ... and for this long */
#define ZCD_IDLE_MS		60000	/* a connection silent this long ends */

#define ZCD_CONNECT_MS		5000	/* a dial that takes longer failed */
#define ZCD_BACKOFF_MIN_MS	250	/* first retry after a failure */
#define ZCD_BACKOFF_MAX_MS	30000	/* retries back off up to this */
#define ZCD_RESCAN_MS		30000	/* rescans of a set out of watches */
#define ZCD_ROOT_CHECK_MS	1000	/* is the root still the one we watch? */
#define ZCD_FAILED_RETRY_MS	10000	/* entries failed: catch up again */
#define ZCD_FAILED_RETRY_MAX_MS	300000	/* ... backing off up to this */

struct zcd_mirror;
struct zcd_bwlimit;

enum zcd_link_state {
	ZCD_LINK_CONNECTING,
	ZCD_LINK_SYNCING,	/* catch-up push running */
	ZCD_LINK_LIVE,		/* caught up: streaming changes */
	ZCD_LINK_BACKOFF,	/* waiting to dial again */
	ZCD_LINK_STOPPING,
};

/* One set going to one peer: its connection, backoff and queue. */
struct zcd_link {
	struct zcd_mirror	*mirror;	/* borrowed */
	char			*peer;		/* owned */
	struct zc_addr		 addr;
	enum zcd_link_state	 state;
	int			 fd;		/* owned while dialling */
	uv_poll_t		 dial;		/* while dialling */
	int			 dialling;
	uv_timer_t		 timer;		/* backoff and dial deadline */
	struct zc_send		*send;		/* owned; the session */
	struct zcd_queue	 queue;
	uint64_t		 backoff_ms;
	int			 resync;	/* redo the catch-up */
	int			 retry;		/* entries failed: resync later */
	uint64_t		 retry_ms;	/* the next such delay */
	int			 closes;
	char			 last_error[256];
	char			 path[160];	/* data path of the session */

	/* For status and metrics; totals over all sessions so far. */
	uint64_t		 files_sent, bytes_sent, failures;
	uint64_t		 sessions, resyncs;
	uint64_t		 covered;	/* queued changes a walk sent */
	uint64_t		 backoff_until;	/* uv_now() */
	time_t			 last_sync;	/* wall clock; 0 = never */
};

/* Received per (set, peer), over all sessions so far (status, metrics). */
struct zcd_recv_count {
	char			*set;		/* owned */
	char			*peer;		/* owned */
	uint64_t		 files, bytes, entries, failures, sessions;
	struct zcd_recv_count	*next;
};

/*
 * Warnings a receiver says once per set for the daemon's life
 * (ZC_RECV_WARN_*); kept until exit, so a session may point at one.
 */
struct zcd_set_warned {
	char			*set;		/* owned */
	unsigned		 flags;
	struct zcd_set_warned	*next;
};

/* A set this node mirrors to peers (push_to), watched with inotify. */
struct zcd_mirror {
	struct zcd		*zcd;		/* borrowed */
	char			*name;		/* owned */
	char			*path;		/* owned */
	int			 root_fd;	/* owned */
	dev_t			 root_dev;
	ino_t			 root_ino;
	int			 delete;
	int			 verify;	/* sets[].verify */
	int			 specials;	/* SPECIAL: sets[].specials */
	int			 no_xattrs;	/* sets[].xattrs: false */
	int			 numeric_ids;	/* sets[].numeric_ids */
	uint64_t		 delay_ms;
	uint64_t		 settle_ms;
	struct zcd_watch	*watch;		/* owned */
	struct zc_filter	*filter;	/* owned; with what watch read */
	uv_timer_t		 flush;		/* debounce and settle */
	uv_timer_t		 rescan;	/* root check; rescans out of watches */
	uint64_t		 last_rescan;
	uint64_t		 rescans;
	char			 stop_reason[256];
	struct zcd_link		**links;	/* owned */
	size_t			 nlinks;
	char			*sig;		/* owned; see mirror_signature() */
	int			 stopped;
	int			 closes;
	int			 closed;	/* stopped, handles closed */
	int			 forget;	/* free once closed */
	struct zc_config_limit	 max_delete;	/* guard.h */
	char			*backup_dir;	/* owned; never watched or sent */
	struct zcd_mirror	*next;
};

#define ZCD_SNIFF_MS		10000	/* first byte by then */
#define ZCD_SNIFF_PLAIN		1
#define ZCD_SNIFF_TLS		2

/* An accepted connection: first sniffed (TLS or plain?), then served. */
struct zcd_session {
	struct zcd		*zcd;		/* borrowed */
	struct zc_recv		*recv;		/* owned; once served */
	int			 fd;		/* owned while sniffing */
	uv_poll_t		 sniff;
	uv_timer_t		 deadline;
	int			 closes;
	int			 verdict;	/* ZCD_SNIFF_*, 0 = drop */
	int			 loopback;
	int			 evicted;	/* closing to make room */
	struct zc_addr		 ss_addr;	/* the peer's address */
	char			 addr[64];
	struct zcd_session	*prev, *next;
};

struct zcd {
	uv_loop_t		*loop;		/* borrowed */
	char			*config_file;	/* borrowed (argv) */
	struct zc_config	*cfg;		/* owned; replaced on reload */
	int			 no_zerocopy;
	struct zc_tls_ctx	*tls;		/* owned; NULL without identity */

	int			 listen_fd;	/* owned; -1 if not listening */
	uv_poll_t		 listen_poll;
	uv_timer_t		 accept_pause;	/* EMFILE: accept again later */
	int			 accept_paused;
	uint64_t		 emfile_said;	/* loop ms of the last EMFILE line */
	unsigned		 evicting;	/* evicted, descriptor not closed */
	unsigned		 unauth_cap;	/* after EMFILE; 0: ZCD_MAX_UNAUTH */
	uint64_t		 unauth_cap_at;	/* loop ms it was lowered */
	struct zc_addr		 bound;		/* the address we got */

	uv_signal_t		 sig_term, sig_int, sig_hup;
	struct zcd_session	*sessions;	/* owned list */
	struct zcd_mirror	*mirrors;	/* owned list */
	unsigned		 nsessions;
	int			 stopping;
	int			 reload_failed;	/* the last SIGHUP changed nothing */

	struct zcd_notify	 notify;	/* systemd (no-op outside it) */
	struct zcd_ctl		*ctl;		/* owned; NULL without node.control */
	struct zcd_metrics_http	*metrics;	/* owned; NULL without metrics_listen */
	struct zcd_recv_count	*received;	/* owned list */
	struct zcd_bwlimit	*bwlimits;	/* owned list; bwlimit.c */
	struct zcd_set_warned	*warned;	/* owned list */
	uint64_t		 refused;	/* connections refused */
	uint64_t		 proto_errors;	/* peers closed for protocol errors */
	uint64_t		 guard_stops;	/* sets stopped by a delete guard */
	time_t			 started;
};

/* bwlimit.c */
struct zc_rate *zcd_bwlimit_rate(struct zcd *, const char *peer);
void	zcd_bwlimit_reload(struct zcd *);
void	zcd_bwlimit_free(struct zcd *);

/* metrics.c */
int	zcd_metrics_start(struct zcd *, const struct zc_addr *, char *err,
	    size_t errlen);
void	zcd_metrics_stop(struct zcd *);
int	zcd_metrics_port(struct zcd *);

/* ctl.c */
int	zcd_ctl_start(struct zcd *, const char *path, char *err, size_t errlen);
void	zcd_ctl_stop(struct zcd *);
/* Renderers shared by the control socket and the metrics endpoint. */
struct zc_buf;
void	zcd_render_status(struct zcd *, struct zc_buf *, int json);
void	zcd_render_metrics(struct zcd *, struct zc_buf *);
size_t	zcd_received(struct zcd *, struct zcd_recv_count **);
void	zcd_received_free(struct zcd *);
void	zcd_warned_free(struct zcd *);
void	zcd_count_received(struct zcd *, const char *set, const char *peer,
	    const struct zc_recv_stats *, int failed);

/* mirror.c */
int	zcd_mirror_start_all(struct zcd *, char *err, size_t errlen);
void	zcd_mirror_stop_all(struct zcd *);
void	zcd_mirror_reload(struct zcd *);
void	zcd_mirror_stop(struct zcd_mirror *, const char *why);
/* Drop a mirror (stopping it first); a stopped one leaves the list. */
void	zcd_mirror_forget(struct zcd_mirror *);
/* Start a stopped set again (zcsync sync).  0 or -errno with err. */
int	zcd_mirror_restart(struct zcd *, const char *set, char *err,
	    size_t errlen);
int	zcd_mirror_root_ok(struct zcd_mirror *, char *why, size_t whylen);
/* A link wants to be kicked when its queue has something ready. */
void	zcd_mirror_arm(struct zcd_mirror *);

/* peer.c */
struct zcd_link *zcd_link_new(struct zcd_mirror *, const char *peer,
	    const struct zc_addr *);
void	zcd_link_start(struct zcd_link *);
void	zcd_link_kick(struct zcd_link *);
void	zcd_link_resync(struct zcd_link *);
void	zcd_link_stop(struct zcd_link *);
/* Totals so far, the session in progress included. */
uint64_t zcd_link_files(const struct zcd_link *);
uint64_t zcd_link_bytes(const struct zcd_link *);
uint64_t zcd_link_failures(const struct zcd_link *);

/* listen.c */
int	zcd_listen_start(struct zcd *, char *err, size_t errlen);
void	zcd_listen_stop(struct zcd *);
void	zcd_sessions_close(struct zcd *);
void	zcd_sessions_recheck(struct zcd *);

#endif
