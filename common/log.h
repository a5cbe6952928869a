/* log.h: one logger, to stderr (journald under systemd). */
#ifndef ZC_LOG_H
#define ZC_LOG_H

enum zc_log_level {
	ZC_LOG_ERR = 0,
	ZC_LOG_WARN,
	ZC_LOG_INFO,
	ZC_LOG_DEBUG,
};

void	zc_log_init(const char *prog, int level);
int	zc_log_level(void);
void	zc_log(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define zc_log_err(...)		zc_log(ZC_LOG_ERR, __VA_ARGS__)
#define zc_log_warn(...)	zc_log(ZC_LOG_WARN, __VA_ARGS__)
#define zc_log_info(...)	zc_log(ZC_LOG_INFO, __VA_ARGS__)
#define zc_log_debug(...)	do {					\
	if (zc_log_level() >= ZC_LOG_DEBUG)				\
		zc_log(ZC_LOG_DEBUG, __VA_ARGS__);			\
} while (0)

/*
 * Escape a name for a log line: bytes outside printable ASCII, '\\' and
 * '"' become \xHH.  Returns out (always NUL-terminated, truncated with
 * "..." if outlen is too small).
 */
const char *zc_log_name(const char *name, char *out, unsigned long outlen);
/* The same for len bytes that may hold NULs (a peer's name). */
const char *zc_log_namen(const char *name, unsigned long len, char *out,
	    unsigned long outlen);

#endif
