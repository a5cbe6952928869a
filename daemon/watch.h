/*
 * watch.h: recursive inotify watching of one set root.
 *
 * The daemon owns its inotify fd on a uv_poll_t: libuv's uv_fs_event_t is
 * not recursive on Linux and drops the cookies that pair IN_MOVED_FROM
 * with IN_MOVED_TO.  Every directory beneath the root gets a watch; a new
 * directory is watched first and reported (DIR_ADDED) so the caller scans
 * it, and nothing created in it before the watch existed is missed.
 */
#ifndef ZCD_WATCH_H
#define ZCD_WATCH_H

#include <stdint.h>

#include <uv.h>

#define ZCD_WATCH_MOVE_MS	20	/* wait this long for an IN_MOVED_TO */

enum zcd_watch_event {
	ZCD_WATCH_CHANGED,	/* created, written and closed, or moved in */
	ZCD_WATCH_WRITING,	/* modified while still open */
	ZCD_WATCH_ATTRIB,	/* metadata only */
	ZCD_WATCH_DELETED,	/* deleted or moved out */
	ZCD_WATCH_RENAMED,	/* path moved to path2, both beneath the root */
	ZCD_WATCH_DIR_ADDED,	/* a directory appeared (watched): scan it */
	ZCD_WATCH_RESCAN,	/* events were lost: rescan everything */
	ZCD_WATCH_ROOT_LOST,	/* the root was deleted, moved or unmounted */
	ZCD_WATCH_DIR_DELETED,	/* a directory deleted or moved out */
};

typedef void (*zcd_watch_cb)(void *arg, enum zcd_watch_event,
    const char *path, const char *path2);

struct zcd_watch_dir {
	int	 wd;
	char	*path;		/* owned; relative, "" for the root */
};

struct zcd_watch_move {
	uint32_t	 cookie;
	char		*path;		/* owned */
	int		 is_dir;
};

struct zcd_watch {
	uv_poll_t		 poll;
	uv_timer_t		 move_timer;
	int			 fd;		/* owned; inotify */
	int			 root_fd;	/* borrowed */
	char			 set[80];	/* for log lines */
	zcd_watch_cb		 cb;
	void			*arg;

	char			*skip;		/* owned; never watched, or NULL */
	struct zcd_watch_dir	*dirs;		/* owned; by wd, open addressing */
	size_t			 ndirs, nslots;

	struct zcd_watch_move	*moves;		/* owned; unpaired MOVED_FROM */
	size_t			 nmoves, moves_cap;

	struct zc_filter	*filter;	/* borrowed; NULL: watch all */
	int			 degraded;	/* out of watches: rescan often */
	int			 closes;
	void			(*on_closed)(struct zcd_watch *);
};

struct zc_filter;

/*
 * Watch everything beneath root_fd (borrowed) but the directories filter
 * (borrowed; may be NULL) excludes, reading the .zcsyncignore files of
 * the directories watched into it.  0 or -errno (err set).
 * Running out of watches is not an error: it logs once, naming
 * fs.inotify.max_user_watches, and sets degraded.
 */
int	zcd_watch_start(uv_loop_t *, int root_fd, const char *set,
	    struct zc_filter *filter, zcd_watch_cb, void *arg,
	    struct zcd_watch **out, char *err, size_t errlen);
/*
 * The filter's rules changed: drop the watches of directories it now
 * excludes, and watch those it no longer does.
 */
void	zcd_watch_refilter(struct zcd_watch *);
/* Stop; on_closed (may be NULL) runs when libuv lets go, then it is freed. */
void	zcd_watch_stop(struct zcd_watch *, void (*on_closed)(struct zcd_watch *));
/* Never watch dir (beneath the root; backup.dir): drop its watches now. */
void	zcd_watch_skip(struct zcd_watch *, const char *dir);
/* Number of directories watched. */
size_t	zcd_watch_count(const struct zcd_watch *);

#endif
