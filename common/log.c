/*
 * log.c: one logger to stderr.  Under systemd stderr is the journal; a
 * "<N>" prefix gives journald the priority (sd-daemon(3)).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/*
 * The logger's state is process-wide by nature (one stderr), like the
 * libc's own; it is set once at startup.
 */
static struct {
	const char	*prog;
	int		 level;
	int		 journal;	/* stderr is the journal: no timestamps */
} zc_logger = { "zcsync", ZC_LOG_INFO, 0 };

static const char *const log_names[] = { "error", "warning", "info", "debug" };
static const int log_syslog[] = { 3, 4, 6, 7 };

void
zc_log_init(const char *prog, int level)
{
	zc_logger.prog = prog;
	zc_logger.level = level;
	zc_logger.journal = getenv("JOURNAL_STREAM") != NULL;
}

int
zc_log_level(void)
{
	return (zc_logger.level);
}

void
zc_log(int level, const char *fmt, ...)
{
	char		 line[2048], ts[32];
	struct timespec	 now;
	struct tm	 tm;
	va_list		 ap;

	if (level > zc_logger.level)
		return;
	if (level < ZC_LOG_ERR)
		level = ZC_LOG_ERR;
	if (level > ZC_LOG_DEBUG)
		level = ZC_LOG_DEBUG;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (zc_logger.journal) {
		fprintf(stderr, "<%d>%s: %s\n", log_syslog[level],
		    log_names[level], line);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	localtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s[%ld] %s: %s\n", ts, now.tv_nsec / 1000000,
	    zc_logger.prog, (long)getpid(), log_names[level], line);
}

const char *
zc_log_name(const char *name, char *out, unsigned long outlen)
{
	return (zc_log_namen(name, strlen(name), out, outlen));
}

const char *
zc_log_namen(const char *name, unsigned long len, char *out,
    unsigned long outlen)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p, *end;
	unsigned long		 o = 0;

	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return (out);
	}
	end = (const unsigned char *)name + len;
	for (p = (const unsigned char *)name; p < end; p++) {
		if (o + 4 + 4 >= outlen) {
			memcpy(out + o, "...", 4);
			return (out);
		}
		if (*p < 0x20 || *p >= 0x7f || *p == '\\' || *p == '"') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 0xf];
		} else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
	return (out);
}
