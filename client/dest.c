/*
 * dest.c: resolving and dialling a one-shot destination (see dest.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dest.h"

#define DEST_CONNECT_MS		10000

/* A short host name that is a valid node name. */
static void
dest_default_name(char *out, size_t outlen)
{
	char	host[256], *p;
	size_t	n = 0;

	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	if ((p = strchr(host, '.')) != NULL)
		*p = '\0';
	for (p = host; *p != '\0' && n + 1 < outlen && n < ZC_PROTO_NAME_MAX;
	    p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.')
			out[n++] = *p;
	}
	if (n == 0)
		n = (size_t)snprintf(out, outlen, "zcsync");
	out[n] = '\0';
}

int
zc_dest_resolve(const char *arg, const struct zc_config *cfg, const char *name,
    int insecure, struct zc_dest *d)
{
	const struct zc_config_peer	*peer = NULL;
	char				 err[1024], *slash;

	memset(d, 0, sizeof *d);
	/* PEER/SET or HOST:PORT/SET: the set is after the last '/'. */
	snprintf(d->text, sizeof d->text, "%s", arg);
	if ((slash = strrchr(d->text, '/')) == NULL || slash[1] == '\0' ||
	    slash == d->text || strlen(slash + 1) > ZC_PROTO_NAME_MAX) {
		fprintf(stderr, "zcsync: %s: expected PEER/SET or "
		    "HOST:PORT/SET\n", arg);
		return (2);
	}
	*slash = '\0';
	snprintf(d->set, sizeof d->set, "%s", slash + 1);
	if (cfg != NULL && (peer = zc_config_peer(cfg, d->text)) != NULL) {
		if (peer->address == NULL) {
			fprintf(stderr, "zcsync: peer %s has no address\n",
			    d->text);
			return (2);
		}
		d->addr = peer->addr;
	} else if (zc_addr_parse(d->text, &d->addr, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s: not a configured peer, and %s\n",
		    d->text, err);
		return (2);
	}
	/* A pinned peer is spoken to over TLS, with our own identity. */
	if (peer != NULL && peer->nfpr > 0 && cfg->node.cert != NULL) {
		if (zc_tls_ctx_new(cfg->node.cert, cfg->node.key, &d->tls, err,
		    sizeof err) != 0) {
			fprintf(stderr, "zcsync: %s\n", err);
			return (2);
		}
		d->pins = (const uint8_t (*)[32])peer->fpr;
		d->npins = peer->nfpr;
	} else if (!zc_addr_is_loopback(&d->addr) && !insecure &&
	    !(cfg != NULL && cfg->node.insecure)) {
		fprintf(stderr, "zcsync: %s: plain TCP beyond loopback carries "
		    "no authentication; give the peer a fingerprint (TLS), or "
		    "use --insecure (or node.insecure) if you mean it\n",
		    d->text);
		return (2);
	}
	if (name == NULL && cfg != NULL)
		name = cfg->node.name;
	if (name != NULL)
		snprintf(d->name, sizeof d->name, "%s", name);
	else
		dest_default_name(d->name, sizeof d->name);
	return (0);
}

int
zc_dest_dial(const struct zc_dest *d)
{
	struct pollfd	pfd;
	socklen_t	len;
	int		fd, soerr = 0, r;

	fd = socket(d->addr.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		fprintf(stderr, "zcsync: socket: %s\n", strerror(errno));
		return (-1);
	}
	if (connect(fd, (const struct sockaddr *)&d->addr.ss, d->addr.len) ==
	    -1 && errno != EINPROGRESS) {
		soerr = errno;
		goto fail;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		r = poll(&pfd, 1, DEST_CONNECT_MS);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		soerr = ETIMEDOUT;
		goto fail;
	}
	len = sizeof soerr;
	if (r < 0)
		soerr = errno;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		soerr = errno;
	if (soerr != 0)
		goto fail;
	return (fd);
fail:
	fprintf(stderr, "zcsync: connecting to %s: %s\n", d->text,
	    strerror(soerr));
	close(fd);
	return (-1);
}

void
zc_dest_free(struct zc_dest *d)
{
	zc_tls_ctx_free(d->tls);
	d->tls = NULL;
}
