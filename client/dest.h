/*
 * dest.h: where a one-shot push or pull goes: "PEER/SET" (a peer of the
 * config) or "HOST:PORT/SET", our node name, TLS to pinned peers (plain
 * only on loopback unless insecure), and the dial itself.
 */
#ifndef ZC_DEST_H
#define ZC_DEST_H

#include "addr.h"
#include "config.h"
#include "proto.h"
#include "tls.h"

struct zc_dest {
	char			 text[512];	/* PEER or HOST:PORT as given */
	char			 set[ZC_PROTO_NAME_MAX + 1];
	char			 name[ZC_PROTO_NAME_MAX + 1]; /* ours */
	struct zc_addr		 addr;
	struct zc_tls_ctx	*tls;		/* owned; NULL: plain */
	const uint8_t		(*pins)[32];	/* borrowed from the config */
	size_t			 npins;
};

/*
 * Resolve arg against cfg (may be NULL).  0, or 2 with a message printed
 * (usage and config problems).
 */
int	zc_dest_resolve(const char *arg, const struct zc_config *cfg,
	    const char *name, int insecure, struct zc_dest *);
/* Connect within a deadline: fd, or -1 with a message printed. */
int	zc_dest_dial(const struct zc_dest *);
void	zc_dest_free(struct zc_dest *);

#endif
