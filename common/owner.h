/*
 * owner.h: owners by name (the IDMAP feature) and the right to apply
 * owners at all.
 *
 * Each side of a connection keeps one zc_owner_map.  Before a uid or gid
 * first leaves in a frame, zc_owner_announce() sends its name (IDMAP);
 * an IDMAP that arrives is turned into our own id for that name
 * (zc_owner_learn), and zc_owner_local() then maps the peer's numbers to
 * ours, falling back to the number itself for a name we do not have.
 */
#ifndef ZC_OWNER_H
#define ZC_OWNER_H

#include <stdint.h>

#include "buf.h"
#include "proto.h"

/* Mappings learned per kind on one connection: more is a protocol error. */
#define ZC_OWNER_MAP_MAX	65536

/* 1 if this process may give files away: root, or CAP_CHOWN effective. */
int	zc_owner_can_chown(void);

struct zc_owner_map;

struct zc_owner_map *zc_owner_map_new(void);
void	zc_owner_map_free(struct zc_owner_map *);

/*
 * id (of kind ZC_IDMAP_USER or ZC_IDMAP_GROUP) is about to leave: append
 * an IDMAP frame with its name to out, unless one went already on this
 * connection or the id has no name here.  0 or -ENOBUFS (out unchanged;
 * the id is not marked sent).
 */
int	zc_owner_announce(struct zc_owner_map *, struct zc_buf *out,
	    uint8_t kind, uint32_t id);

/*
 * The peer's IDMAP: remember which of our ids has that name (a name we do
 * not have is not remembered).  0, or -EPROTO past ZC_OWNER_MAP_MAX.
 */
int	zc_owner_learn(struct zc_owner_map *, const struct zc_idmap_msg *);

/*
 * The name of our uid or gid (kind): a string the caller frees, or NULL
 * when it has none.
 */
char	*zc_owner_name(uint8_t kind, uint32_t id);

/* Our id for the peer's id: by name if it sent one we have, else itself. */
uint32_t zc_owner_local(const struct zc_owner_map *, uint8_t kind,
	    uint32_t id);

#endif
