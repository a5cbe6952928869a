/*
 * zcsyncd.h: the daemon's root object.  Everything the daemon owns hangs
 * off one struct zcd, passed explicitly; there are no other globals.
 */
#ifndef ZCSYNCD_H
#define ZCSYNCD_H

#include <uv.h>

#include "addr.h"
#include "config.h"
#include "recv.h"

#define ZCD_MAX_SESSIONS	256	/* connections served at once */
#define ZCD_IDLE_MS		60000	/* a connection silent this long ends */

struct zcd_session {
	struct zcd		*zcd;		/* borrowed */
	struct zc_recv		*recv;		/* owned */
	struct zcd_session	*prev, *next;
};

struct zcd {
	uv_loop_t		*loop;		/* borrowed */
	char			*config_file;	/* borrowed (argv) */
	struct zc_config	*cfg;		/* owned; replaced on reload */
	int			 no_zerocopy;

	int			 listen_fd;	/* owned; -1 if not listening */
	uv_poll_t		 listen_poll;
	struct zc_addr		 bound;		/* the address we got */

	uv_signal_t		 sig_term, sig_int, sig_hup;
	struct zcd_session	*sessions;	/* owned list */
	unsigned		 nsessions;
	int			 stopping;
};

/* listen.c */
int	zcd_listen_start(struct zcd *, char *err, size_t errlen);
void	zcd_listen_stop(struct zcd *);
void	zcd_sessions_close(struct zcd *);

#endif
