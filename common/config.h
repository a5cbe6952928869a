/*
 * config.h: the YAML configuration (libyaml), one file for daemon and
 * client.  Keys are defined once, in config-keys.c (name, type, bounds,
 * default, doc); docs/config.md and etc/zcsync.yaml follow that table.
 */
#ifndef ZC_CONFIG_H
#define ZC_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>

#include "addr.h"
#include "identity.h"

#define ZC_CONFIG_DEFAULT_FILE	"/etc/zcsync/zcsync.yaml"
#define ZC_CONFIG_FPR_MAX	2	/* pins per peer: two while rotating */

struct zc_config_node {
	char		*name;		/* owned; [A-Za-z0-9._-]{1,64} */
	char		*listen;	/* owned; NULL = do not listen */
	struct zc_addr	 listen_addr;
	char		*control;	/* owned; NULL if unset */
	char		*control_group;	/* owned; NULL if unset */
	gid_t		 control_gid;	/* its gid, resolved at load */
	char		*metrics_listen; /* owned; NULL if unset */
	struct zc_addr	 metrics_addr;
	int		 insecure;	/* plain TCP beyond loopback allowed */
	char		*cert;		/* owned; node.identity.cert or NULL */
	char		*key;		/* owned; node.identity.key or NULL */
};

/* A count, or a percentage of a whole (max_delete: "100" or "10%"). */
struct zc_config_limit {
	uint64_t	 value;
	int		 percent;	/* value is 0..100 percent */
	int		 set;		/* 0: no limit */
};

/* "10M": bytes with an optional K, M or G (1024); 0 or -EINVAL. */
int		zc_config_parse_bytes(const char *s, uint64_t *out);
/* The largest count allowed of whole under limit l. */
uint64_t	zc_config_limit_of(const struct zc_config_limit *l, uint64_t whole);

struct zc_config_peer {
	char		*name;		/* owned */
	char		*address;	/* owned; NULL = this peer only dials us */
	struct zc_addr	 addr;
	uint8_t		 fpr[ZC_CONFIG_FPR_MAX][ZC_FPR_LEN]; /* pins */
	size_t		 nfpr;		/* 0: no TLS identity known */
	uint64_t	 bwlimit;	/* bytes per second sent to it; 0: none */
};

struct zc_config_set {
	char		*name;		/* owned */
	char		*path;		/* owned; absolute, normalised, no trailing / */
	char		**push_to;	/* owned; peer names */
	size_t		 npush_to;
	char		**accept_from;	/* owned; peer names */
	size_t		 naccept_from;
	char		**serve_to;	/* owned; peer names (zcsync pull) */
	size_t		 nserve_to;
	int		 fsync;		/* default 1 */
	int		 delete;	/* default 0: mirror deletions (live) */
	uint64_t	 delay_ms;	/* live: debounce before sending */
	uint64_t	 settle_ms;	/* live: longest wait for a file open for writing */
	char		**exclude;	/* owned; rsync-style patterns (filter.c) */
	size_t		 nexclude;
	char		**include;	/* owned; checked before exclude */
	size_t		 ninclude;
	struct zc_config_limit max_delete; /* unset: no guard */
	char		*backup_dir;	/* owned; relative to the root; NULL: off */
	uint64_t	 backup_keep;	/* generations kept per file */
	int		 verify;	/* receiver hashes what it landed */
	int		 numeric_ids;	/* owners by number, not by name */
	int		 specials;	/* send fifos, sockets and devices */
	int		 xattrs;	/* extended attributes and ACLs */
	int		 safe_links;	/* receiver: refuse links that leave the root */
};

struct zc_config {
	char			*file;		/* owned */
	struct zc_config_node	 node;
	struct zc_config_peer	*peers;		/* owned */
	size_t			 npeers;
	struct zc_config_set	*sets;		/* owned */
	size_t			 nsets;
};

/*
 * Load and validate file.  0 and *out, or -errno with err holding one line
 * "FILE:LINE:COL: KEY: message" (e.g. "zc.yaml:7:11: sets[1].path: must be
 * an absolute path").  Nothing is half-loaded: on error *out stays NULL.
 */
int	zc_config_load(const char *file, struct zc_config **out, char *err,
	    size_t errlen);
void	zc_config_free(struct zc_config *);

const struct zc_config_peer *zc_config_peer(const struct zc_config *,
	    const char *name);
const struct zc_config_set *zc_config_set(const struct zc_config *,
	    const char *name);
/* 1 if set lists peer in serve_to. */
int	zc_config_set_serves(const struct zc_config_set *, const char *peer);
/* 1 if set lists peer in accept_from. */
int	zc_config_set_accepts(const struct zc_config_set *, const char *peer);

/* Print the key table (name, type, default, doc) as a Markdown table. */
void	zc_config_print_keys(FILE *);

/*
 * The key table (config-keys.c), as tmux options_table[]: one row per key,
 * and the loader in config.c is driven by it.  A key's name is its dotted
 * pattern ("sets[].path"); offset is where its value lives in the struct of
 * the enclosing mapping (struct zc_config, zc_config_node, zc_config_peer or
 * zc_config_set).
 */
enum zc_config_type {
	ZC_CONFIG_SECTION,	/* mapping; offset of the embedded struct */
	ZC_CONFIG_LIST,		/* list of mappings; aux = count, size = element */
	ZC_CONFIG_STRING,	/* char *; min..max bytes */
	ZC_CONFIG_NAME,		/* char *; [A-Za-z0-9._-]{min,max} */
	ZC_CONFIG_PATH,		/* char *; absolute, normalised */
	ZC_CONFIG_ADDR,		/* char *; aux = struct zc_addr; port min..max */
	ZC_CONFIG_BOOL,		/* int */
	ZC_CONFIG_NAMES,	/* char **; aux = count; at most max names */
	ZC_CONFIG_MS,		/* uint64_t milliseconds; min..max */
	ZC_CONFIG_FPRS,		/* uint8_t [max][ZC_FPR_LEN]; aux = count */
	ZC_CONFIG_STRINGS,	/* char **; aux = count; at most max strings */
	ZC_CONFIG_UINT,		/* uint64_t; min..max */
	ZC_CONFIG_BYTES,	/* uint64_t; K, M, G suffixes (1024); min..max */
	ZC_CONFIG_LIMIT,	/* struct zc_config_limit; count min..max or N% */
	ZC_CONFIG_RELPATH,	/* char *; relative, canonical (path.c rules) */
};

struct zc_config_key {
	const char		*name;
	enum zc_config_type	 type;
	size_t			 offset;
	size_t			 aux;
	size_t			 size;
	long long		 min;
	long long		 max;
	const char		*dflt;	/* NULL: unset (or required) */
	const char		*doc;
	int			 flags;
#define ZC_CONFIG_REQUIRED	0x1
};

extern const struct zc_config_key	zc_config_keys[];
extern const size_t			zc_config_nkeys;

#endif
