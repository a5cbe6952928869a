/*
 * addr.c: numeric socket addresses for node.listen and peers[].address.
 *
 * Only literal addresses are accepted: "a.b.c.d:port" and "[v6]:port".
 * There is no name lookup, so loading a configuration never blocks on DNS
 * and the loopback test below judges the address that will really be used.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

#define ADDR_FORM	"must be host:port or [v6]:port"

/* Parse a decimal port of 1 to 5 digits, 0..65535: the port or -1. */
static int
addr_parse_port(const char *s)
{
	size_t	 i;
	int	 port = 0;

	if (*s == '\0' || strlen(s) > 5)
		return (-1);
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		port = port * 10 + (s[i] - '0');
	}
	if (port > 65535)
		return (-1);
	return (port);
}

/*
 * Parse a numeric "a.b.c.d:port" or "[v6]:port" into a; 0 or -EINVAL with
 * err holding a message that starts with "must be host:port".
 */
int
zc_addr_parse(const char *s, struct zc_addr *a, char *err, size_t errlen)
{
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*colon, *end;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	size_t			 hlen;
	int			 port, v6;

	memset(a, 0, sizeof(*a));
	if (errlen > 0)
		err[0] = '\0';

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':') {
			snprintf(err, errlen, ADDR_FORM);
			return (-EINVAL);
		}
		s++;
		hlen = end - s;
		colon = end + 1;
		v6 = 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL) {
			snprintf(err, errlen, ADDR_FORM);
			return (-EINVAL);
		}
		hlen = colon - s;
		v6 = 0;
	}
	if (hlen == 0 || hlen >= sizeof(host)) {
		snprintf(err, errlen, ADDR_FORM " with a numeric address");
		return (-EINVAL);
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';

	if ((port = addr_parse_port(colon + 1)) < 0) {
		snprintf(err, errlen, "must be host:port with a port 0..65535");
		return (-EINVAL);
	}

	if (v6) {
		sin6 = (struct sockaddr_in6 *)&a->ss;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad_host;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		a->len = sizeof(*sin6);
	} else {
		sin = (struct sockaddr_in *)&a->ss;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto bad_host;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		a->len = sizeof(*sin);
	}
	return (0);

bad_host:
	memset(a, 0, sizeof(*a));
	snprintf(err, errlen, ADDR_FORM " with a numeric address (no names)");
	return (-EINVAL);
}

/* 1 for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104; 0 otherwise. */
int
zc_addr_is_loopback(const struct zc_addr *a)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	const uint8_t			*b;

	switch (a->ss.ss_family) {
	case AF_INET:
		sin = (const struct sockaddr_in *)&a->ss;
		return ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	case AF_INET6:
		sin6 = (const struct sockaddr_in6 *)&a->ss;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return (1);
		b = sin6->sin6_addr.s6_addr;
		return (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && b[12] == 127);
	}
	return (0);
}

/* The port in host order, or -1 if a holds no address. */
int
zc_addr_port(const struct zc_addr *a)
{
	switch (a->ss.ss_family) {
	case AF_INET:
		return (ntohs(((const struct sockaddr_in *)&a->ss)->sin_port));
	case AF_INET6:
		return (ntohs(
		    ((const struct sockaddr_in6 *)&a->ss)->sin6_port));
	}
	return (-1);
}

/* Format a as "127.0.0.1:7400" or "[::1]:7400" into out; returns out. */
const char *
zc_addr_str(const struct zc_addr *a, char *out, size_t outlen)
{
	char	host[INET6_ADDRSTRLEN];

	if (outlen == 0)
		return (out);
	switch (a->ss.ss_family) {
	case AF_INET:
		inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)&a->ss)->sin_addr, host,
		    sizeof(host));
		snprintf(out, outlen, "%s:%d", host, zc_addr_port(a));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)&a->ss)->sin6_addr, host,
		    sizeof(host));
		snprintf(out, outlen, "[%s]:%d", host, zc_addr_port(a));
		break;
	default:
		snprintf(out, outlen, "(none)");
		break;
	}
	return (out);
}
