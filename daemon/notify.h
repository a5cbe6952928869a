/*
 * notify.h: telling systemd how the daemon is doing (sd_notify(3)):
 * READY=1 once it serves, STATUS= lines, RELOADING=1 around a SIGHUP,
 * STOPPING=1 on the way out, and WATCHDOG=1 pings when the unit sets
 * WatchdogSec=.  Without libsystemd (HAVE_SYSTEMD unset) every call does
 * nothing, so callers need no #ifdef.  Outside systemd (no NOTIFY_SOCKET)
 * the calls cost a getenv() each.
 */
#ifndef ZCD_NOTIFY_H
#define ZCD_NOTIFY_H

#include <stdint.h>

#include <uv.h>

/* Owned by the caller (embedded in struct zcd); no globals. */
struct zcd_notify {
	uv_timer_t	 wd;		/* WATCHDOG=1 every half interval */
	uint64_t	 wd_usec;	/* WATCHDOG_USEC; 0: no watchdog */
	int		 flags;
#define ZCD_NOTIFY_TIMER	0x1	/* wd is initialised: close it */
#define ZCD_NOTIFY_CLOSED	0x2	/* zcd_notify_close() ran */
};

/*
 * Start the watchdog timer on loop if systemd asked for one
 * (sd_watchdog_enabled(3): WATCHDOG_USEC, and WATCHDOG_PID naming us if
 * set); the first ping goes out half an interval from now.  The timer does
 * not keep the loop alive, but zcd_notify_close() must still close it
 * before uv_loop_close().
 */
void	zcd_notify_init(struct zcd_notify *, uv_loop_t *loop);
/* READY=1, with STATUS=status if status is not NULL. */
void	zcd_notify_ready(struct zcd_notify *, const char *status);
/* STATUS=, one line (newlines become spaces), at most 512 bytes. */
void	zcd_notify_status(struct zcd_notify *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* RELOADING=1 and MONOTONIC_USEC=; follow it with zcd_notify_ready(). */
void	zcd_notify_reloading(struct zcd_notify *);
/* STOPPING=1. */
void	zcd_notify_stopping(struct zcd_notify *);
/* Stop and close the watchdog timer (uv_close); safe to call twice. */
void	zcd_notify_close(struct zcd_notify *);

#endif
