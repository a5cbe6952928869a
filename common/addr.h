/* addr.h: "host:port" and "[v6]:port" for listen and peer addresses. */
#ifndef ZC_ADDR_H
#define ZC_ADDR_H

#include <sys/socket.h>

struct zc_addr {
	struct sockaddr_storage	ss;
	socklen_t		len;
};

/*
 * Parse a numeric "a.b.c.d:port" or "[v6]:port" (no name lookup; port
 * 0..65535, 0 = pick one when listening): 0 or -EINVAL with err set.
 */
int	zc_addr_parse(const char *s, struct zc_addr *a, char *err, size_t errlen);
/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
int	zc_addr_is_loopback(const struct zc_addr *);
/* The port, host order. */
int	zc_addr_port(const struct zc_addr *);
/* "127.0.0.1:7400" / "[::1]:7400" into out. */
const char *zc_addr_str(const struct zc_addr *, char *out, size_t outlen);

#endif
