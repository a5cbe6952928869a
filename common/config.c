/*
 * config.c: load and check zcsync.yaml.
 *
 * The file is read whole (at most CONFIG_FILE_MAX bytes) and parsed with
 * libyaml's event API into a small tree that keeps each node's mark, so
 * every error can say FILE:LINE:COL.  The event API is used rather than
 * yaml_parser_load() because the document loader resolves aliases silently;
 * here an alias is refused as soon as it is seen, so a "billion laughs"
 * file costs nothing.  The tree is then walked against the key table in
 * config-keys.c (one handler per value type, not per key), and last the
 * checks that need the whole file: unique names, defined peers, sets that
 * do not overlap, unique pins, an identity that is usable (its files are
 * read here, so the daemon, `zcsyncd -t` and `zcsync check-config` agree),
 * and no plain TCP beyond loopback unless asked for.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "addr.h"
#include "compat.h"
#include "config.h"
#include "filter.h"
#include "identity.h"
#include "path.h"
#include "xmalloc.h"

#define CONFIG_FILE_MAX		(16 * 1024 * 1024)
#define CONFIG_DEPTH_MAX	16
#define CONFIG_NODES_MAX	(1024 * 1024)
#define CONFIG_STRING_MAX	4096
#define CONFIG_KEYPATH_MAX	256	/* "sets[255].accept_from[255]" fits */
#define CONFIG_SHOW_MAX		64	/* bytes of an unknown key shown */

enum config_node_type {
	CONFIG_SCALAR,
	CONFIG_SEQUENCE,
	CONFIG_MAPPING,
};

/* One YAML node; a mapping holds key, value, key, value... in items. */
struct config_node {
	enum config_node_type	 type;
	yaml_mark_t		 mark;
	int			 flags;
#define CONFIG_NODE_PLAIN	0x1	/* plain scalar: may be null or bool */
#define CONFIG_NODE_TAGGED	0x2	/* has an explicit tag */
	char			*value;		/* owned; scalars only */
	size_t			 len;
	struct config_node	**items;	/* owned */
	size_t			 nitems;
	size_t			 nalloc;
};

/* One load in progress. */
struct config_load {
	const char		*file;		/* borrowed */
	char			*err;		/* borrowed */
	size_t			 errlen;
	const unsigned char	*buf;		/* borrowed; the file */
	size_t			 buflen;
	size_t			 nnodes;
};

/* Per-type handler: check node v for key e and store it into base. */
struct config_type {
	const char	*name;
	int		 (*set)(struct config_load *,
			    const struct zc_config_key *,
			    const struct config_node *, const char *, void *);
};

static int	config_set_section(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_list(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_string(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_name(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_path(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_addr(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_bool(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_ms(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_names(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_fprs(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_strings(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_uint(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_bytes(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_limit(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);
static int	config_set_relpath(struct config_load *,
		    const struct zc_config_key *, const struct config_node *,
		    const char *, void *);

static const struct config_type config_types[] = {
	[ZC_CONFIG_SECTION] = { "mapping", config_set_section },
	[ZC_CONFIG_LIST] = { "list of mappings", config_set_list },
	[ZC_CONFIG_STRING] = { "string", config_set_string },
	[ZC_CONFIG_NAME] = { "name", config_set_name },
	[ZC_CONFIG_PATH] = { "absolute path", config_set_path },
	[ZC_CONFIG_ADDR] = { "address", config_set_addr },
	[ZC_CONFIG_BOOL] = { "boolean", config_set_bool },
	[ZC_CONFIG_NAMES] = { "list of peer names", config_set_names },
	[ZC_CONFIG_MS] = { "milliseconds", config_set_ms },
	[ZC_CONFIG_FPRS] = { "pin or list of pins", config_set_fprs },
	[ZC_CONFIG_STRINGS] = { "list of strings", config_set_strings },
	[ZC_CONFIG_UINT] = { "whole number", config_set_uint },
	[ZC_CONFIG_BYTES] = { "bytes (K, M, G: 1024)", config_set_bytes },
	[ZC_CONFIG_LIMIT] = { "count or percentage", config_set_limit },
	[ZC_CONFIG_RELPATH] = { "relative path", config_set_relpath },
};

static int	config_map(struct config_load *, const struct config_node *,
		    const char *, const char *, void *);

/*
 * Put "FILE:LINE:COL: KEY: message" (or "FILE:LINE:COL: message" if key is
 * NULL or empty) into the caller's buffer.  Returns -EINVAL.
 */
static int __attribute__((format(printf, 4, 5)))
config_error(struct config_load *ld, const yaml_mark_t *mark, const char *key,
    const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	if (ld->errlen == 0)
		return (-EINVAL);
	if (key != NULL && *key != '\0')
		snprintf(ld->err, ld->errlen, "%s:%zu:%zu: %s: %s", ld->file,
		    mark->line + 1, mark->column + 1, key, msg);
	else
		snprintf(ld->err, ld->errlen, "%s:%zu:%zu: %s", ld->file,
		    mark->line + 1, mark->column + 1, msg);
	return (-EINVAL);
}

/* Free a tree; accepts NULL. */
static void
config_node_free(struct config_node *n)
{
	size_t	i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nitems; i++)
		config_node_free(n->items[i]);
	free(n->items);
	free(n->value);
	free(n);
}

/* Append child to parent, a sequence or mapping. */
static void
config_node_add(struct config_node *parent, struct config_node *child)
{
	if (parent->nitems == parent->nalloc) {
		parent->nalloc = parent->nalloc == 0 ? 8 : parent->nalloc * 2;
		parent->items = xreallocarray(parent->items, parent->nalloc,
		    sizeof(*parent->items));
	}
	parent->items[parent->nitems++] = child;
}

/* The mark libyaml does not give for reader errors, from a byte offset. */
static void
config_offset_mark(struct config_load *ld, size_t off, yaml_mark_t *mark)
{
	size_t	i;

	memset(mark, 0, sizeof(*mark));
	for (i = 0; i < off && i < ld->buflen; i++) {
		if (ld->buf[i] == '\n') {
			mark->line++;
			mark->column = 0;
		} else
			mark->column++;
	}
}

/* Turn a libyaml parser failure into an error line. */
static int
config_syntax_error(struct config_load *ld, yaml_parser_t *p)
{
	yaml_mark_t	mark;
	const char	*problem;

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(ld->err, ld->errlen, "%s: %s", ld->file,
		    strerror(ENOMEM));
		return (-ENOMEM);
	}
	problem = p->problem != NULL ? p->problem : "unknown error";
	if (p->error == YAML_READER_ERROR)
		config_offset_mark(ld, p->problem_offset, &mark);
	else
		mark = p->problem_mark;
	return (config_error(ld, &mark, NULL, "syntax error: %s", problem));
}

/*
 * Parse the buffer into a tree: 0 and *rootp (NULL if the file holds no
 * document), or -errno.  Aliases, more than one document, deep nesting and
 * too many nodes are refused here, before any of it is looked at.
 */
static int
config_parse(struct config_load *ld, struct config_node **rootp)
{
	yaml_parser_t		 p;
	yaml_event_t		 ev;
	struct config_node	*stack[CONFIG_DEPTH_MAX];
	struct config_node	*root = NULL, *n;
	size_t			 depth = 0;
	int			 ndocs = 0, done = 0, r = 0;

	*rootp = NULL;
	if (!yaml_parser_initialize(&p)) {
		snprintf(ld->err, ld->errlen, "%s: %s", ld->file,
		    strerror(ENOMEM));
		return (-ENOMEM);
	}
	yaml_parser_set_input_string(&p, ld->buf, ld->buflen);

	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			r = config_syntax_error(ld, &p);
			goto out;
		}
		n = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (ndocs++ > 0) {
				r = config_error(ld, &ev.start_mark, NULL,
				    "only one YAML document is allowed");
			}
			break;
		case YAML_ALIAS_EVENT:
			r = config_error(ld, &ev.start_mark, NULL,
			    "aliases (*%.*s) are not allowed", CONFIG_SHOW_MAX,
			    (const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			n = xcalloc(1, sizeof(*n));
			n->type = CONFIG_SCALAR;
			n->len = ev.data.scalar.length;
			n->value = xmalloc(n->len + 1);
			memcpy(n->value, ev.data.scalar.value, n->len);
			n->value[n->len] = '\0';
			if (ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
				n->flags |= CONFIG_NODE_PLAIN;
			if (ev.data.scalar.tag != NULL)
				n->flags |= CONFIG_NODE_TAGGED;
			break;
		case YAML_SEQUENCE_START_EVENT:
			n = xcalloc(1, sizeof(*n));
			n->type = CONFIG_SEQUENCE;
			if (ev.data.sequence_start.tag != NULL)
				n->flags |= CONFIG_NODE_TAGGED;
			break;
		case YAML_MAPPING_START_EVENT:
			n = xcalloc(1, sizeof(*n));
			n->type = CONFIG_MAPPING;
			if (ev.data.mapping_start.tag != NULL)
				n->flags |= CONFIG_NODE_TAGGED;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		if (n != NULL) {
			n->mark = ev.start_mark;
			if (depth > 0)
				config_node_add(stack[depth - 1], n);
			else
				root = n;
			if (++ld->nnodes > CONFIG_NODES_MAX) {
				r = config_error(ld, &n->mark, NULL,
				    "more than %d nodes", CONFIG_NODES_MAX);
			} else if (n->type != CONFIG_SCALAR) {
				if (depth == CONFIG_DEPTH_MAX) {
					r = config_error(ld, &n->mark, NULL,
					    "nested more than %d levels deep",
					    CONFIG_DEPTH_MAX);
				} else
					stack[depth++] = n;
			}
		}
		yaml_event_delete(&ev);
		if (r != 0)
			goto out;
	}
	*rootp = root;
	root = NULL;

out:
	config_node_free(root);
	yaml_parser_delete(&p);
	return (r);
}

/* The value under key in mapping map, or NULL. */
static const struct config_node *
config_get(const struct config_node *map, const char *key)
{
	size_t	i;

	if (map == NULL || map->type != CONFIG_MAPPING)
		return (NULL);
	for (i = 0; i + 1 < map->nitems; i += 2) {
		if (map->items[i]->type == CONFIG_SCALAR &&
		    strcmp(map->items[i]->value, key) == 0)
			return (map->items[i + 1]);
	}
	return (NULL);
}

/* Item i of sequence seq, or NULL. */
static const struct config_node *
config_item(const struct config_node *seq, size_t i)
{
	if (seq == NULL || seq->type != CONFIG_SEQUENCE || i >= seq->nitems)
		return (NULL);
	return (seq->items[i]);
}

/* 1 if the key named name sits directly in mappings of pattern. */
static int
config_key_in(const char *name, const char *pattern)
{
	size_t	plen = strlen(pattern);

	if (plen == 0)
		return (strchr(name, '.') == NULL);
	return (strncmp(name, pattern, plen) == 0 && name[plen] == '.' &&
	    strchr(name + plen + 1, '.') == NULL);
}

/* The last component of a key's dotted name. */
static const char *
config_key_leaf(const char *name)
{
	const char	*dot = strrchr(name, '.');

	return (dot != NULL ? dot + 1 : name);
}

/*
 * The table row for key in a mapping of pattern, or NULL.  Keys are
 * [a-z_]+, so a key written as "sets[].path" cannot reach a row meant for
 * another mapping.
 */
static const struct zc_config_key *
config_key_find(const char *pattern, const char *key, size_t keylen)
{
	const struct zc_config_key	*e;
	size_t				 i;

	if (keylen == 0 || keylen != strspn(key,
	    "abcdefghijklmnopqrstuvwxyz_"))
		return (NULL);
	for (i = 0; i < zc_config_nkeys; i++) {
		e = &zc_config_keys[i];
		if (config_key_in(e->name, pattern) &&
		    strcmp(config_key_leaf(e->name), key) == 0)
			return (e);
	}
	return (NULL);
}

/*
 * Append ".key" (or "key" at the top) to path for messages.  Unknown keys
 * come from the file, so bytes outside printable ASCII become '?' and long
 * ones are cut.
 */
static void
config_keypath(char *out, size_t outlen, const char *path, const char *key)
{
	char	show[CONFIG_SHOW_MAX + 4];
	size_t	i;

	for (i = 0; key[i] != '\0' && i < CONFIG_SHOW_MAX; i++) {
		if (key[i] < 0x20 || key[i] > 0x7e)
			show[i] = '?';
		else
			show[i] = key[i];
	}
	if (key[i] != '\0')
		memcpy(show + i, "...", 4);
	else
		show[i] = '\0';
	snprintf(out, outlen, "%s%s%s", path, *path != '\0' ? "." : "", show);
}

/* 1 for a plain scalar YAML reads as null: "", "~", "null". */
static int
config_is_null(const struct config_node *v)
{
	if (v->type != CONFIG_SCALAR || (~v->flags & CONFIG_NODE_PLAIN))
		return (0);
	return (v->len == 0 || strcmp(v->value, "~") == 0 ||
	    strcmp(v->value, "null") == 0 || strcmp(v->value, "Null") == 0 ||
	    strcmp(v->value, "NULL") == 0);
}

/* Check that v is a usable string scalar: 0 or -EINVAL. */
static int
config_string(struct config_load *ld, const struct config_node *v,
    const char *kpath)
{
	if (v->type != CONFIG_SCALAR || config_is_null(v))
		return (config_error(ld, &v->mark, kpath, "must be a string"));
	if (strlen(v->value) != v->len) {
		return (config_error(ld, &v->mark, kpath,
		    "must not contain NUL bytes"));
	}
	if (v->len > CONFIG_STRING_MAX) {
		return (config_error(ld, &v->mark, kpath,
		    "must be at most %d bytes", CONFIG_STRING_MAX));
	}
	return (0);
}

/* Check a name against [A-Za-z0-9._-]{min,max}: 0 or -EINVAL. */
static int
config_name(struct config_load *ld, const struct config_node *v,
    const char *kpath, long long min, long long max)
{
	static const char	 ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
	int			 r;

	if ((r = config_string(ld, v, kpath)) != 0)
		return (r);
	if ((long long)v->len < min || (long long)v->len > max ||
	    strspn(v->value, ok) != v->len) {
		return (config_error(ld, &v->mark, kpath,
		    "must be %lld to %lld characters from A-Z a-z 0-9 . _ -",
		    min, max));
	}
	return (0);
}

/* Where key e's value lives in base. */
static void *
config_field(void *base, size_t off)
{
	return ((char *)base + off);
}

/* A mapping, walked against the keys under e's name. */
static int
config_set_section(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	if (v->type != CONFIG_MAPPING)
		return (config_error(ld, &v->mark, kpath, "must be a mapping"));
	return (config_map(ld, v, e->name, kpath,
	    config_field(base, e->offset)));
}

/* A list of mappings: an array of e->size elements and its count. */
static int
config_set_list(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	char				 pattern[CONFIG_KEYPATH_MAX];
	char				 ipath[CONFIG_KEYPATH_MAX];
	const struct config_node	*item;
	char				*array = NULL;
	size_t				 i;
	int				 r;

	if (v->type != CONFIG_SEQUENCE)
		return (config_error(ld, &v->mark, kpath, "must be a list"));
	if ((long long)v->nitems > e->max) {
		return (config_error(ld, &v->mark, kpath,
		    "must have at most %lld entries", e->max));
	}
	if (v->nitems > 0)
		array = xcalloc(v->nitems, e->size);
	*(void **)config_field(base, e->offset) = array;
	*(size_t *)config_field(base, e->aux) = v->nitems;

	snprintf(pattern, sizeof(pattern), "%s[]", e->name);
	for (i = 0; i < v->nitems; i++) {
		item = v->items[i];
		snprintf(ipath, sizeof(ipath), "%s[%zu]", kpath, i);
		if (item->flags & CONFIG_NODE_TAGGED) {
			return (config_error(ld, &item->mark, ipath,
			    "tags are not supported"));
		}
		if (item->type != CONFIG_MAPPING) {
			return (config_error(ld, &item->mark, ipath,
			    "must be a mapping"));
		}
		r = config_map(ld, item, pattern, ipath, array + i * e->size);
		if (r != 0)
			return (r);
	}
	return (0);
}

/* A free-form string of e->min..e->max bytes. */
static int
config_set_string(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	char	**slot = config_field(base, e->offset);
	int	  r;

	if ((r = config_string(ld, v, kpath)) != 0)
		return (r);
	if ((long long)v->len < e->min || (long long)v->len > e->max) {
		return (config_error(ld, &v->mark, kpath,
		    "must be %lld to %lld bytes", e->min, e->max));
	}
	free(*slot);
	*slot = xstrdup(v->value);
	return (0);
}

/* A node, peer or set name. */
static int
config_set_name(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	char	**slot = config_field(base, e->offset);
	int	  r;

	if ((r = config_name(ld, v, kpath, e->min, e->max)) != 0)
		return (r);
	free(*slot);
	*slot = xstrdup(v->value);
	return (0);
}

/*
 * An absolute path, normalised: repeated and trailing slashes go, "." and
 * ".." components are refused (the path is used as given, never resolved,
 * so "/srv/a/../b" would hide what it names), and so is "/" itself.
 */
static int
config_set_path(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	char		**slot = config_field(base, e->offset);
	const char	 *p, *q;
	char		 *path;
	size_t		  n, o = 0;
	int		  r;

	if ((r = config_string(ld, v, kpath)) != 0)
		return (r);
	if (v->value[0] != '/') {
		return (config_error(ld, &v->mark, kpath,
		    "must be an absolute path"));
	}
	path = xmalloc(v->len + 1);
	for (p = v->value; *p != '\0'; p = q) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != '/'; q++)
			;
		n = q - p;
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			free(path);
			return (config_error(ld, &v->mark, kpath,
			    "must not contain . or .. components"));
		}
		path[o++] = '/';
		memcpy(path + o, p, n);
		o += n;
	}
	path[o] = '\0';
	if (o == 0) {
		free(path);
		return (config_error(ld, &v->mark, kpath,
		    "must not be the root directory"));
	}
	free(*slot);
	*slot = path;
	return (0);
}

/* A numeric address; the text and the parsed form (aux) are both kept. */
static int
config_set_addr(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	char		  why[128];
	char		**slot = config_field(base, e->offset);
	struct zc_addr	  addr;
	int		  r, port;

	if ((r = config_string(ld, v, kpath)) != 0)
		return (r);
	if (zc_addr_parse(v->value, &addr, why, sizeof(why)) != 0)
		return (config_error(ld, &v->mark, kpath, "%s", why));
	port = zc_addr_port(&addr);
	if (port < e->min || port > e->max) {
		return (config_error(ld, &v->mark, kpath,
		    "must be host:port with a port %lld..%lld", e->min,
		    e->max));
	}
	free(*slot);
	*slot = xstrdup(v->value);
	memcpy(config_field(base, e->aux), &addr, sizeof(addr));
	return (0);
}

/* true/yes or false/no, unquoted (YAML 1.1 without on/off and y/n). */
static int
config_set_bool(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	int	*slot = config_field(base, e->offset);

	if (v->type == CONFIG_SCALAR && (v->flags & CONFIG_NODE_PLAIN)) {
		if (strcmp(v->value, "true") == 0 ||
		    strcmp(v->value, "yes") == 0) {
			*slot = 1;
			return (0);
		}
		if (strcmp(v->value, "false") == 0 ||
		    strcmp(v->value, "no") == 0) {
			*slot = 0;
			return (0);
		}
	}
	return (config_error(ld, &v->mark, kpath,
	    "must be a boolean (true or false)"));
}

/* A whole number of milliseconds, unquoted, within min..max. */
static int
config_set_ms(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	uint64_t		*slot = config_field(base, e->offset);
	unsigned long long	 n = 0;
	const char		*p;

	if (v->type != CONFIG_SCALAR || !(v->flags & CONFIG_NODE_PLAIN) ||
	    v->value[0] == '\0')
		goto bad;
	for (p = v->value; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || n > 1000000000000ULL)
			goto bad;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	if ((long long)n < e->min || (long long)n > e->max)
		goto bad;
	*slot = n;
	return (0);
bad:
	return (config_error(ld, &v->mark, kpath,
	    "must be a whole number of milliseconds, %lld..%lld", e->min,
	    e->max));
}

/* One item of a list of strings: 0, or -EINVAL after saying why. */
typedef int (*config_item_cb)(struct config_load *,
    const struct zc_config_key *, const struct config_node *, const char *);

/*
 * A list of scalars, each judged by check, into a char ** (e->offset) and
 * its count (e->aux); at most e->max items.
 */
static int
config_set_scalars(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base,
    config_item_cb check)
{
	char				 ipath[CONFIG_KEYPATH_MAX];
	const struct config_node	*item;
	char				**list = NULL;
	size_t				 i;
	int				 r;

	if (v->type != CONFIG_SEQUENCE)
		return (config_error(ld, &v->mark, kpath, "must be a list"));
	if ((long long)v->nitems > e->max) {
		return (config_error(ld, &v->mark, kpath,
		    "must have at most %lld entries", e->max));
	}
	if (v->nitems > 0)
		list = xcalloc(v->nitems, sizeof(*list));
	*(char ***)config_field(base, e->offset) = list;
	*(size_t *)config_field(base, e->aux) = v->nitems;

	for (i = 0; i < v->nitems; i++) {
		item = v->items[i];
		snprintf(ipath, sizeof(ipath), "%s[%zu]", kpath, i);
		if (item->flags & CONFIG_NODE_TAGGED) {
			return (config_error(ld, &item->mark, ipath,
			    "tags are not supported"));
		}
		if ((r = check(ld, e, item, ipath)) != 0)
			return (r);
		list[i] = xstrdup(item->value);
	}
	return (0);
}

/* Names in a list obey the same rule as peers[].name. */
static int
config_item_name(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *item, const char *ipath)
{
	const struct zc_config_key	*pn = config_key_find("peers[]", "name",
					    4);

	(void)e;
	return (config_name(ld, item, ipath, pn->min, pn->max));
}

/* A free-form string of e->min..CONFIG_STRING_MAX bytes. */
static int
config_item_string(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *item, const char *ipath)
{
	int	r;

	if ((r = config_string(ld, item, ipath)) != 0)
		return (r);
	if ((long long)item->len < e->min)
		return (config_error(ld, &item->mark, ipath,
		    "must not be empty"));
	return (0);
}

/* A list of peer names; that they name defined peers is checked later. */
static int
config_set_names(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	return (config_set_scalars(ld, e, v, kpath, base, config_item_name));
}

/* A list of free-form strings (patterns). */
static int
config_set_strings(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	return (config_set_scalars(ld, e, v, kpath, base, config_item_string));
}

/*
 * An unsigned decimal number, plain scalar, into *n: 0, or -EINVAL.  A
 * single suffix letter, if sfx allows it, is left in *suffix.
 */
static int
config_number(const struct config_node *v, const char *sfx,
    unsigned long long *n, char *suffix)
{
	const char	*p;

	*n = 0;
	*suffix = '\0';
	if (v->type != CONFIG_SCALAR || !(v->flags & CONFIG_NODE_PLAIN) ||
	    v->value[0] < '0' || v->value[0] > '9')
		return (-EINVAL);
	for (p = v->value; *p >= '0' && *p <= '9'; p++) {
		if (*n > 100000000000000ULL)
			return (-EINVAL);
		*n = *n * 10 + (unsigned long long)(*p - '0');
	}
	if (*p != '\0') {
		if (sfx == NULL || strchr(sfx, *p) == NULL || p[1] != '\0')
			return (-EINVAL);
		*suffix = *p;
	}
	return (0);
}

/* A whole number within min..max. */
static int
config_set_uint(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	unsigned long long	n;
	char			sfx;

	if (config_number(v, NULL, &n, &sfx) != 0 ||
	    (long long)n < e->min || (long long)n > e->max) {
		return (config_error(ld, &v->mark, kpath,
		    "must be a whole number, %lld..%lld", e->min, e->max));
	}
	*(uint64_t *)config_field(base, e->offset) = n;
	return (0);
}

/*
 * Bytes: a whole number with an optional K, M or G (powers of 1024), as
 * the config file and `zcsync push --bwlimit` take it.  0 or -EINVAL.
 */
int
zc_config_parse_bytes(const char *s, uint64_t *out)
{
	unsigned long long	n = 0;
	const char		*p;
	int			shift = 0;

	*out = 0;
	if (s[0] < '0' || s[0] > '9')
		return (-EINVAL);
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (n > 100000000000000ULL)
			return (-EINVAL);
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	if (*p != '\0') {
		if (p[1] != '\0')
			return (-EINVAL);
		switch (*p) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		default: return (-EINVAL);
		}
	}
	if (n > (~0ULL >> 1) >> shift)
		return (-EINVAL);
	*out = (uint64_t)n << shift;
	return (0);
}

/* Bytes: a plain scalar zc_config_parse_bytes() takes, within min..max. */
static int
config_set_bytes(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	uint64_t	n;

	if (v->type != CONFIG_SCALAR || !(v->flags & CONFIG_NODE_PLAIN) ||
	    zc_config_parse_bytes(v->value, &n) != 0)
		goto bad;
	if ((long long)n < e->min || (long long)n > e->max)
		goto bad;
	*(uint64_t *)config_field(base, e->offset) = n;
	return (0);
bad:
	return (config_error(ld, &v->mark, kpath,
	    "must be a number of bytes, %lld..%lld, with an optional K, M or "
	    "G (powers of 1024)", e->min, e->max));
}

/* A count min..max, or a percentage 0%..100%. */
static int
config_set_limit(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	struct zc_config_limit	*l = config_field(base, e->offset);
	unsigned long long	 n;
	char			 sfx;

	if (config_number(v, "%", &n, &sfx) != 0)
		goto bad;
	if (sfx == '%' ? n > 100 :
	    ((long long)n < e->min || (long long)n > e->max))
		goto bad;
	l->value = n;
	l->percent = sfx == '%';
	l->set = 1;
	return (0);
bad:
	return (config_error(ld, &v->mark, kpath,
	    "must be a count, %lld..%lld, or a percentage, 0%%..100%%",
	    e->min, e->max));
}

/* A relative path under the set root, canonical (path.c rules). */
static int
config_set_relpath(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	char	**slot = config_field(base, e->offset);
	char	  buf[ZC_PATH_MAX + 1];
	int	  r;

	if ((r = config_string(ld, v, kpath)) != 0)
		return (r);
	if (zc_path_check(v->value, v->len, buf, sizeof(buf)) != 0) {
		return (config_error(ld, &v->mark, kpath,
		    "must be a relative path without \"..\", \".\" or "
		    "empty components"));
	}
	(void)e;
	free(*slot);
	*slot = xstrdup(buf);
	return (0);
}

uint64_t
zc_config_limit_of(const struct zc_config_limit *l, uint64_t whole)
{
	if (!l->set)
		return (UINT64_MAX);
	if (!l->percent)
		return (l->value);
	return (whole / 100 * l->value + whole % 100 * l->value / 100);
}

#define CONFIG_PIN_BAD \
	"must be a SHA-256 pin: 64 hex digits, e.g. sha256:ab12..."

/*
 * Item i of a pin value: the value itself when it is one string, else
 * item i of the list.  kpath gets its place ("peers[0].fingerprint[1]").
 */
static const struct config_node *
config_fpr_item(const struct config_node *v, size_t i, const char *key,
    char *kpath, size_t kpathlen)
{
	if (v->type == CONFIG_SCALAR) {
		snprintf(kpath, kpathlen, "%s", key);
		return (v);
	}
	snprintf(kpath, kpathlen, "%s[%zu]", key, i);
	return (v->items[i]);
}

/*
 * Pins: one string, or a list of e->min..e->max different ones (two while
 * a peer rotates its key), each parsed by zc_identity_fpr_parse().
 */
static int
config_set_fprs(struct config_load *ld, const struct zc_config_key *e,
    const struct config_node *v, const char *kpath, void *base)
{
	char				 ipath[CONFIG_KEYPATH_MAX];
	uint8_t				 (*fpr)[ZC_FPR_LEN];
	const struct config_node	*item;
	size_t				 i, j, n;

	fpr = config_field(base, e->offset);
	if (v->type == CONFIG_SCALAR && !config_is_null(v))
		n = 1;
	else if (v->type == CONFIG_SEQUENCE)
		n = v->nitems;
	else {
		return (config_error(ld, &v->mark, kpath,
		    "must be a pin or a list of %lld to %lld pins", e->min,
		    e->max));
	}
	if ((long long)n < e->min || (long long)n > e->max) {
		return (config_error(ld, &v->mark, kpath,
		    "must be a list of %lld to %lld pins", e->min, e->max));
	}
	for (i = 0; i < n; i++) {
		item = config_fpr_item(v, i, kpath, ipath, sizeof(ipath));
		if (item->flags & CONFIG_NODE_TAGGED) {
			return (config_error(ld, &item->mark, ipath,
			    "tags are not supported"));
		}
		if (item->type != CONFIG_SCALAR || config_is_null(item) ||
		    strlen(item->value) != item->len ||
		    zc_identity_fpr_parse(item->value, fpr[i]) != 0)
			return (config_error(ld, &item->mark, ipath,
			    CONFIG_PIN_BAD));
		for (j = 0; j < i; j++) {
			if (memcmp(fpr[i], fpr[j], ZC_FPR_LEN) == 0) {
				return (config_error(ld, &item->mark, ipath,
				    "same pin as %s[%zu]", kpath, j));
			}
		}
	}
	*(size_t *)config_field(base, e->aux) = n;
	return (0);
}

/*
 * Walk mapping map whose keys are the table rows under pattern ("",
 * "node", "sets[]"); path is its place in this file ("sets[1]").  Then
 * complain about missing required keys and fill in defaults.
 */
static int
config_map(struct config_load *ld, const struct config_node *map,
    const char *pattern, const char *path, void *base)
{
	char				 kpath[CONFIG_KEYPATH_MAX];
	const struct zc_config_key	*e;
	const struct config_node	*k, *v;
	struct config_node		 dflt;
	unsigned char			*seen;
	size_t				 i;
	int				 r = 0;

	seen = xcalloc(zc_config_nkeys, 1);
	for (i = 0; i + 1 < map->nitems; i += 2) {
		k = map->items[i];
		v = map->items[i + 1];
		if (k->type != CONFIG_SCALAR ||
		    (k->flags & CONFIG_NODE_TAGGED)) {
			r = config_error(ld, &k->mark, path,
			    "keys must be plain strings");
			goto out;
		}
		config_keypath(kpath, sizeof(kpath), path, k->value);
		e = config_key_find(pattern, k->value, k->len);
		if (e == NULL) {
			r = config_error(ld, &k->mark, kpath, "unknown key");
			goto out;
		}
		if (seen[e - zc_config_keys]) {
			r = config_error(ld, &k->mark, kpath, "duplicate key");
			goto out;
		}
		seen[e - zc_config_keys] = 1;
		if (v->flags & CONFIG_NODE_TAGGED) {
			r = config_error(ld, &v->mark, kpath,
			    "tags are not supported");
			goto out;
		}
		if ((r = config_types[e->type].set(ld, e, v, kpath, base)) != 0)
			goto out;
	}

	for (i = 0; i < zc_config_nkeys; i++) {
		e = &zc_config_keys[i];
		if (seen[i] || !config_key_in(e->name, pattern))
			continue;
		config_keypath(kpath, sizeof(kpath), path,
		    config_key_leaf(e->name));
		if (e->flags & ZC_CONFIG_REQUIRED) {
			r = config_error(ld, &map->mark, kpath, "is required");
			goto out;
		}
		if (e->dflt == NULL)
			continue;
		memset(&dflt, 0, sizeof(dflt));
		dflt.type = CONFIG_SCALAR;
		dflt.mark = map->mark;
		dflt.flags = CONFIG_NODE_PLAIN;
		dflt.value = (char *)e->dflt;
		dflt.len = strlen(e->dflt);
		if ((r = config_types[e->type].set(ld, e, &dflt, kpath,
		    base)) != 0)
			goto out;
	}

out:
	free(seen);
	return (r);
}

/* 1 if name is in list. */
static int
config_listed(char **list, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return (1);
	}
	return (0);
}

/* Check a push_to or accept_from list against the defined peers. */
static int
config_check_names(struct config_load *ld, const struct zc_config *cfg,
    const struct config_node *set, const char *key, size_t si, char **names,
    size_t n)
{
	char				 kpath[CONFIG_KEYPATH_MAX];
	const struct config_node	*list = config_get(set, key);
	const struct config_node	*item;
	size_t				 i;

	for (i = 0; i < n; i++) {
		item = config_item(list, i);
		snprintf(kpath, sizeof(kpath), "sets[%zu].%s[%zu]", si, key, i);
		if (zc_config_peer(cfg, names[i]) == NULL) {
			return (config_error(ld, &item->mark, kpath,
			    "no such peer \"%s\"", names[i]));
		}
		if (config_listed(names, i, names[i])) {
			return (config_error(ld, &item->mark, kpath,
			    "duplicate peer \"%s\"", names[i]));
		}
	}
	return (0);
}

/* Check an exclude or include list: each entry compiles (filter.c). */
static int
config_check_patterns(struct config_load *ld, const struct config_node *set,
    const char *key, size_t si, char **pats, size_t n)
{
	char				 kpath[CONFIG_KEYPATH_MAX], why[128];
	const struct config_node	*list = config_get(set, key);
	struct zc_filter		*f;
	size_t				 i;
	int				 r;

	for (i = 0; i < n; i++) {
		f = zc_filter_new();
		r = zc_filter_add(f, ZC_FILTER_EXCLUDE, pats[i], why,
		    sizeof why);
		zc_filter_free(f);
		if (r != 0) {
			snprintf(kpath, sizeof(kpath), "sets[%zu].%s[%zu]", si,
			    key, i);
			return (config_error(ld, &config_item(list, i)->mark,
			    kpath, "%s", why));
		}
	}
	return (0);
}

/* 1 if some set pushes to peer. */
static int
config_pushed_to(const struct zc_config *cfg, const char *peer)
{
	size_t	i;

	for (i = 0; i < cfg->nsets; i++) {
		if (config_listed(cfg->sets[i].push_to, cfg->sets[i].npush_to,
		    peer))
			return (1);
	}
	return (0);
}

#define CONFIG_PLAIN_LISTEN \
	"plain TCP beyond loopback needs node.insecure: true " \
	"(for TLS, set node.identity)"
#define CONFIG_PLAIN_PEER \
	"plain TCP beyond loopback needs node.insecure: true " \
	"(for TLS, give the peer a fingerprint)"

/*
 * The pins: none shared between two peers, none that is this node's own
 * certificate (own is NULL without an identity), and none at all without
 * an identity of our own to answer with.
 */
static int
config_check_fprs(struct config_load *ld, const struct zc_config *cfg,
    const struct config_node *peers, const uint8_t *own)
{
	char				 kpath[CONFIG_KEYPATH_MAX];
	char				 key[64];
	const struct config_node	*v, *item;
	const struct zc_config_peer	*p, *o;
	size_t				 i, j, k, l;

	for (i = 0; i < cfg->npeers; i++) {
		p = &cfg->peers[i];
		if (p->nfpr == 0)
			continue;
		v = config_get(config_item(peers, i), "fingerprint");
		snprintf(key, sizeof(key), "peers[%zu].fingerprint", i);
		if (cfg->node.cert == NULL) {
			return (config_error(ld, &v->mark, key,
			    "needs node.identity (this node's own "
			    "certificate)"));
		}
		for (k = 0; k < p->nfpr; k++) {
			item = config_fpr_item(v, k, key, kpath,
			    sizeof(kpath));
			if (own != NULL &&
			    memcmp(p->fpr[k], own, ZC_FPR_LEN) == 0) {
				return (config_error(ld, &item->mark, kpath,
				    "same pin as node.identity.cert (this "
				    "node's own)"));
			}
			for (j = 0; j < i; j++) {
				o = &cfg->peers[j];
				for (l = 0; l < o->nfpr; l++) {
					if (memcmp(p->fpr[k], o->fpr[l],
					    ZC_FPR_LEN) == 0) {
						return (config_error(ld,
						    &item->mark, kpath,
						    "same pin as peers[%zu]",
						    j));
					}
				}
			}
		}
	}
	return (0);
}

/*
 * node.identity: both files are read now, so a key others can read, a
 * missing file or a certificate that is not the key's is an error at load
 * time, with the key that names the file.  own gets the certificate's pin.
 */
static int
config_check_identity(struct config_load *ld, const struct zc_config *cfg,
    const struct config_node *node, uint8_t own[ZC_FPR_LEN])
{
	char				 msg[512];
	const struct config_node	*id = config_get(node, "identity");
	const char			*key = "node.identity.key";
	size_t				 len = strlen(cfg->node.cert);

	if (zc_identity_check(cfg->node.cert, cfg->node.key, msg,
	    sizeof(msg)) == 0 &&
	    zc_identity_fpr_file(cfg->node.cert, own, msg, sizeof(msg)) == 0)
		return (0);
	/* zc_identity_check() names the file first. */
	if (strcmp(cfg->node.cert, cfg->node.key) != 0 &&
	    strncmp(msg, cfg->node.cert, len) == 0 && msg[len] == ':')
		key = "node.identity.cert";
	return (config_error(ld, &config_get(id, config_key_leaf(key))->mark,
	    key, "%s", msg));
}

/* The checks that need the whole file, once every value is in place. */
static int
config_check(struct config_load *ld, const struct zc_config *cfg,
    const struct config_node *root)
{
	char				 kpath[CONFIG_KEYPATH_MAX];
	const struct config_node	*peers = config_get(root, "peers");
	const struct config_node	*sets = config_get(root, "sets");
	const struct config_node	*node = config_get(root, "node");
	const struct config_node	*n, *set;
	const struct zc_config_peer	*p;
	const struct zc_config_set	*s, *o;
	uint8_t				 own[ZC_FPR_LEN];
	size_t				 i, j, len;
	int				 r;

	for (i = 0; i < cfg->npeers; i++) {
		p = &cfg->peers[i];
		n = config_get(config_item(peers, i), "name");
		snprintf(kpath, sizeof(kpath), "peers[%zu].name", i);
		if (strcmp(p->name, cfg->node.name) == 0) {
			return (config_error(ld, &n->mark, kpath,
			    "same as node.name (\"%s\")", p->name));
		}
		for (j = 0; j < i; j++) {
			if (strcmp(p->name, cfg->peers[j].name) == 0) {
				return (config_error(ld, &n->mark, kpath,
				    "duplicate name \"%s\" (also "
				    "peers[%zu].name)", p->name, j));
			}
		}
	}

	for (i = 0; i < cfg->nsets; i++) {
		s = &cfg->sets[i];
		n = config_get(config_item(sets, i), "name");
		snprintf(kpath, sizeof(kpath), "sets[%zu].name", i);
		for (j = 0; j < i; j++) {
			if (strcmp(s->name, cfg->sets[j].name) == 0) {
				return (config_error(ld, &n->mark, kpath,
				    "duplicate name \"%s\" (also "
				    "sets[%zu].name)", s->name, j));
			}
		}
	}

	for (i = 0; i < cfg->nsets; i++) {
		s = &cfg->sets[i];
		n = config_get(config_item(sets, i), "path");
		snprintf(kpath, sizeof(kpath), "sets[%zu].path", i);
		for (j = 0; j < i; j++) {
			o = &cfg->sets[j];
			if (strcmp(s->path, o->path) == 0) {
				return (config_error(ld, &n->mark, kpath,
				    "same as sets[%zu].path (%s)", j, o->path));
			}
			len = strlen(o->path);
			if (strncmp(s->path, o->path, len) == 0 &&
			    s->path[len] == '/') {
				return (config_error(ld, &n->mark, kpath,
				    "inside sets[%zu].path (%s)", j, o->path));
			}
			len = strlen(s->path);
			if (strncmp(o->path, s->path, len) == 0 &&
			    o->path[len] == '/') {
				return (config_error(ld, &n->mark, kpath,
				    "contains sets[%zu].path (%s)", j,
				    o->path));
			}
		}
	}

	for (i = 0; i < cfg->nsets; i++) {
		s = &cfg->sets[i];
		set = config_item(sets, i);
		r = config_check_names(ld, cfg, set, "push_to", i, s->push_to,
		    s->npush_to);
		if (r != 0)
			return (r);
		r = config_check_names(ld, cfg, set, "accept_from", i,
		    s->accept_from, s->naccept_from);
		if (r != 0)
			return (r);
		r = config_check_names(ld, cfg, set, "serve_to", i,
		    s->serve_to, s->nserve_to);
		if (r != 0)
			return (r);
		r = config_check_patterns(ld, set, "exclude", i, s->exclude,
		    s->nexclude);
		if (r != 0)
			return (r);
		r = config_check_patterns(ld, set, "include", i, s->include,
		    s->ninclude);
		if (r != 0)
			return (r);
	}

	if (cfg->node.control_group != NULL) {
		struct group	*gr;

		if ((gr = getgrnam(cfg->node.control_group)) == NULL) {
			n = config_get(node, "control_group");
			return (config_error(ld, &n->mark, "node.control_group",
			    "no such group \"%s\"", cfg->node.control_group));
		}
	}

	if (cfg->node.cert != NULL &&
	    (r = config_check_identity(ld, cfg, node, own)) != 0)
		return (r);
	r = config_check_fprs(ld, cfg, peers,
	    cfg->node.cert != NULL ? own : NULL);
	if (r != 0)
		return (r);

	/*
	 * Plain TCP beyond loopback.  With an identity, the daemon demands
	 * TLS of every peer that is not on loopback, so listening anywhere is
	 * fine; a peer with a pin is dialled over TLS.
	 */
	if (cfg->node.insecure)
		return (0);
	/* Metrics are plain HTTP whatever the identity: loopback only. */
	if (cfg->node.metrics_listen != NULL &&
	    !zc_addr_is_loopback(&cfg->node.metrics_addr)) {
		n = config_get(node, "metrics_listen");
		return (config_error(ld, &n->mark, "node.metrics_listen",
		    "plain HTTP beyond loopback needs node.insecure: true"));
	}
	if (cfg->node.listen != NULL && cfg->node.cert == NULL &&
	    !zc_addr_is_loopback(&cfg->node.listen_addr)) {
		n = config_get(node, "listen");
		return (config_error(ld, &n->mark, "node.listen",
		    CONFIG_PLAIN_LISTEN));
	}
	for (i = 0; i < cfg->npeers; i++) {
		p = &cfg->peers[i];
		if (p->address == NULL || zc_addr_is_loopback(&p->addr) ||
		    p->nfpr > 0 || !config_pushed_to(cfg, p->name))
			continue;
		n = config_get(config_item(peers, i), "address");
		snprintf(kpath, sizeof(kpath), "peers[%zu].address", i);
		return (config_error(ld, &n->mark, kpath, CONFIG_PLAIN_PEER));
	}
	return (0);
}

/* Read the whole file: 0 with *bufp and *lenp (the caller's), or -errno. */
static int
config_read(struct config_load *ld, unsigned char **bufp, size_t *lenp)
{
	unsigned char	*buf = NULL;
	size_t		 len = 0, size = 0;
	ssize_t		 n;
	int		 fd, r = 0;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(ld->file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		r = -errno;
		goto out;
	}
	for (;;) {
		if (len == size) {
			size = size == 0 ? 8192 : size * 2;
			buf = xrealloc(buf, size);
		}
		n = read(fd, buf + len, size - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += n;
		if (len > CONFIG_FILE_MAX) {
			snprintf(ld->err, ld->errlen,
			    "%s: larger than %d bytes", ld->file,
			    CONFIG_FILE_MAX);
			r = -EFBIG;
			goto out;
		}
	}
	*bufp = buf;
	*lenp = len;
	buf = NULL;

out:
	if (r != 0 && r != -EFBIG)
		snprintf(ld->err, ld->errlen, "%s: %s", ld->file, strerror(-r));
	if (fd != -1)
		close(fd);
	free(buf);
	return (r);
}

/*
 * Load and validate file into a new struct zc_config: 0 and *out, or
 * -errno with one line in err.  On error nothing is kept.
 */
int
zc_config_load(const char *file, struct zc_config **out, char *err,
    size_t errlen)
{
	struct config_load	 ld;
	struct config_node	*root = NULL;
	struct zc_config	*cfg = NULL;
	unsigned char		*buf = NULL;
	yaml_mark_t		 start;
	int			 r;

	*out = NULL;
	if (errlen > 0)
		err[0] = '\0';
	memset(&ld, 0, sizeof(ld));
	ld.file = file;
	ld.err = err;
	ld.errlen = errlen;

	if ((r = config_read(&ld, &buf, &ld.buflen)) != 0)
		goto out;
	ld.buf = buf;
	if ((r = config_parse(&ld, &root)) != 0)
		goto out;

	memset(&start, 0, sizeof(start));
	if (root == NULL || config_is_null(root)) {
		r = config_error(&ld, root != NULL ? &root->mark : &start, NULL,
		    "empty configuration");
		goto out;
	}
	if (root->flags & CONFIG_NODE_TAGGED) {
		r = config_error(&ld, &root->mark, NULL,
		    "tags are not supported");
		goto out;
	}
	if (root->type != CONFIG_MAPPING) {
		r = config_error(&ld, &root->mark, NULL,
		    "top level must be a mapping");
		goto out;
	}

	cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(file);
	if ((r = config_map(&ld, root, "", "", cfg)) != 0)
		goto out;
	if ((r = config_check(&ld, cfg, root)) == 0 &&
	    cfg->node.control_group != NULL) {
		struct group	*gr = getgrnam(cfg->node.control_group);

		cfg->node.control_gid = gr != NULL ? gr->gr_gid : (gid_t)-1;
	}
	if (r != 0)
		goto out;
	*out = cfg;
	cfg = NULL;

out:
	zc_config_free(cfg);
	config_node_free(root);
	free(buf);
	return (r);
}

/* Free a configuration; accepts NULL. */
void
zc_config_free(struct zc_config *cfg)
{
	struct zc_config_set	*s;
	size_t			 i, j;

	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->node.name);
	free(cfg->node.listen);
	free(cfg->node.metrics_listen);
	free(cfg->node.control_group);
	free(cfg->node.control);
	free(cfg->node.cert);
	free(cfg->node.key);
	for (i = 0; i < cfg->npeers; i++) {
		free(cfg->peers[i].name);
		free(cfg->peers[i].address);
	}
	free(cfg->peers);
	for (i = 0; i < cfg->nsets; i++) {
		s = &cfg->sets[i];
		free(s->name);
		free(s->path);
		for (j = 0; j < s->npush_to; j++)
			free(s->push_to[j]);
		free(s->push_to);
		for (j = 0; j < s->naccept_from; j++)
			free(s->accept_from[j]);
		free(s->accept_from);
		for (j = 0; j < s->nserve_to; j++)
			free(s->serve_to[j]);
		free(s->serve_to);
		for (j = 0; j < s->nexclude; j++)
			free(s->exclude[j]);
		free(s->exclude);
		for (j = 0; j < s->ninclude; j++)
			free(s->include[j]);
		free(s->include);
		free(s->backup_dir);
	}
	free(cfg->sets);
	free(cfg);
}

/* The peer called name, or NULL. */
const struct zc_config_peer *
zc_config_peer(const struct zc_config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; i < cfg->npeers; i++) {
		if (cfg->peers[i].name != NULL &&
		    strcmp(cfg->peers[i].name, name) == 0)
			return (&cfg->peers[i]);
	}
	return (NULL);
}

/* The set called name, or NULL. */
const struct zc_config_set *
zc_config_set(const struct zc_config *cfg, const char *name)
{
	size_t	i;

	for (i = 0; i < cfg->nsets; i++) {
		if (cfg->sets[i].name != NULL &&
		    strcmp(cfg->sets[i].name, name) == 0)
			return (&cfg->sets[i]);
	}
	return (NULL);
}

int
zc_config_set_serves(const struct zc_config_set *set, const char *peer)
{
	return (config_listed(set->serve_to, set->nserve_to, peer));
}

/* 1 if set lists peer in accept_from. */
int
zc_config_set_accepts(const struct zc_config_set *set, const char *peer)
{
	return (config_listed(set->accept_from, set->naccept_from, peer));
}

/* Print the key table as a Markdown table, for docs/config.md. */
void
zc_config_print_keys(FILE *f)
{
	const struct zc_config_key	*e;
	char				 type[64], dflt[64];
	size_t				 i;

	fprintf(f, "| Key | Type | Default | Description |\n");
	fprintf(f, "|-----|------|---------|-------------|\n");
	for (i = 0; i < zc_config_nkeys; i++) {
		e = &zc_config_keys[i];
		switch (e->type) {
		case ZC_CONFIG_LIST:
		case ZC_CONFIG_NAMES:
		case ZC_CONFIG_STRINGS:
			snprintf(type, sizeof(type), "%s (at most %lld)",
			    config_types[e->type].name, e->max);
			break;
		case ZC_CONFIG_NAME:
			snprintf(type, sizeof(type), "name (%lld-%lld of "
			    "`A-Za-z0-9._-`)", e->min, e->max);
			break;
		case ZC_CONFIG_ADDR:
			snprintf(type, sizeof(type), "address, port %lld..%lld",
			    e->min, e->max);
			break;
		case ZC_CONFIG_FPRS:
			snprintf(type, sizeof(type), "%s (%lld-%lld)",
			    config_types[e->type].name, e->min, e->max);
			break;
		default:
			snprintf(type, sizeof(type), "%s",
			    config_types[e->type].name);
			break;
		}
		if (e->dflt != NULL)
			snprintf(dflt, sizeof(dflt), "`%s`", e->dflt);
		else if (e->flags & ZC_CONFIG_REQUIRED)
			snprintf(dflt, sizeof(dflt), "required");
		else if (e->type == ZC_CONFIG_LIST ||
		    e->type == ZC_CONFIG_NAMES || e->type == ZC_CONFIG_STRINGS)
			snprintf(dflt, sizeof(dflt), "empty");
		else
			snprintf(dflt, sizeof(dflt), "unset");
		fprintf(f, "| `%s` | %s | %s | %s |\n", e->name, type, dflt,
		    e->doc);
	}
}
