/*
 * notify.c: the sd_notify(3) protocol for Type=notify units.
 *
 * systemd 252 (Debian 12) has no Type=notify-reload (new in 253), so a
 * reload is ExecReload=kill -HUP: the daemon says RELOADING=1 when the
 * signal arrives and READY=1 when the new config is in use (or was
 * refused).  MONOTONIC_USEC= goes with RELOADING=1 as 253 requires; 252
 * ignores it.  The watchdog is a uv_timer_t on the daemon's own loop, so
 * a ping proves that the loop turns, not merely that a thread is alive.
 */
#include "zcbuild.h"	/* autoconf's, from the build directory */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

#define NOTIFY_STATUS_MAX	512

#ifdef HAVE_SYSTEMD

static void
notify_send(const char *state)
{
	int	r;

	/*
	 * unset_environment = 0: NOTIFY_SOCKET stays for the next message.
	 * sd_notify() returns 0 when NOTIFY_SOCKET is unset.
	 */
	if ((r = sd_notify(0, state)) < 0)
		zc_log_debug("notify_send: sd_notify: %s", strerror(-r));
}

static void
notify_on_watchdog(uv_timer_t *t)
{
	notify_send("WATCHDOG=1");
}

static void
notify_on_closed(uv_handle_t *h)
{
}

/* Start the watchdog timer if the unit has WatchdogSec=. */
void
zcd_notify_init(struct zcd_notify *n, uv_loop_t *loop)
{
	uint64_t	usec = 0, ms;
	int		r;

	memset(n, 0, sizeof *n);
	r = sd_watchdog_enabled(0, &usec);
	if (r < 0) {
		zc_log_warn("systemd: ignoring the watchdog settings "
		    "(WATCHDOG_USEC, WATCHDOG_PID): %s", strerror(-r));
		return;
	}
	if (r == 0 || usec == 0)
		return;
	n->wd_usec = usec;
	/* Ping at half the interval, as sd_watchdog_enabled(3) advises. */
	ms = usec / 2000;
	if (ms == 0)
		ms = 1;
	if ((r = uv_timer_init(loop, &n->wd)) != 0) {
		zc_log_err("systemd: watchdog timer: %s", uv_strerror(r));
		n->wd_usec = 0;
		return;
	}
	n->flags |= ZCD_NOTIFY_TIMER;
	uv_unref((uv_handle_t *)&n->wd);
	uv_timer_start(&n->wd, notify_on_watchdog, ms, ms);
	zc_log_info("systemd: watchdog every %llu ms (WatchdogSec=%llu ms)",
	    (unsigned long long)ms, (unsigned long long)(usec / 1000));
}

/* READY=1 (and STATUS=status). */
void
zcd_notify_ready(struct zcd_notify *n, const char *status)
{
	if (status == NULL) {
		notify_send("READY=1");
		return;
	}
	zcd_notify_status(n, "%s", status);
	notify_send("READY=1");
}

/* STATUS=, one line. */
void
zcd_notify_status(struct zcd_notify *n, const char *fmt, ...)
{
	char	 line[sizeof "STATUS=" + NOTIFY_STATUS_MAX], *p;
	va_list	 ap;

	memcpy(line, "STATUS=", sizeof "STATUS=" - 1);
	va_start(ap, fmt);
	vsnprintf(line + sizeof "STATUS=" - 1, NOTIFY_STATUS_MAX + 1, fmt,
	    ap);
	va_end(ap);
	/* A newline would start another assignment. */
	for (p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
	notify_send(line);
}

/* RELOADING=1 and MONOTONIC_USEC= (systemd 253 wants both). */
void
zcd_notify_reloading(struct zcd_notify *n)
{
	struct timespec	ts;
	char		msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

/* STOPPING=1. */
void
zcd_notify_stopping(struct zcd_notify *n)
{
	notify_send("STOPPING=1");
}

/* Stop the watchdog; the loop may then end. */
void
zcd_notify_close(struct zcd_notify *n)
{
	if (n->flags & ZCD_NOTIFY_CLOSED)
		return;
	n->flags |= ZCD_NOTIFY_CLOSED;
	if (n->flags & ZCD_NOTIFY_TIMER) {
		uv_timer_stop(&n->wd);
		uv_close((uv_handle_t *)&n->wd, notify_on_closed);
	}
}

#else /* !HAVE_SYSTEMD */

/* Built without libsystemd: nothing to tell. */
void
zcd_notify_init(struct zcd_notify *n, uv_loop_t *loop)
{
	memset(n, 0, sizeof *n);
}

/* Built without libsystemd: nothing to tell. */
void
zcd_notify_ready(struct zcd_notify *n, const char *status)
{
}

/* Built without libsystemd: nothing to tell. */
void
zcd_notify_status(struct zcd_notify *n, const char *fmt, ...)
{
}

/* Built without libsystemd: nothing to tell. */
void
zcd_notify_reloading(struct zcd_notify *n)
{
}

/* Built without libsystemd: nothing to tell. */
void
zcd_notify_stopping(struct zcd_notify *n)
{
}

/* Built without libsystemd: nothing to tell. */
void
zcd_notify_close(struct zcd_notify *n)
{
	n->flags |= ZCD_NOTIFY_CLOSED;
}

#endif /* HAVE_SYSTEMD */
