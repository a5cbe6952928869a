/*
 * xattr.h: extended attributes and POSIX ACLs of one entry, as the XATTR
 * block of the wire (docs/PROTOCOL.md, "XATTR block"): read from an fd or
 * a symlink, hashed for the manifest, checked when it arrives, applied on
 * a held fd.
 *
 * Block: u16 count, then count times: u8 name length (1..255), name, u32
 * value length (<= ZC_XATTR_VALUE_MAX), value.  Names are in the carried
 * namespaces (zc_xattr_name_ok) and sorted strictly ascending bytewise.
 */
#ifndef ZC_XATTR_H
#define ZC_XATTR_H

#include <stddef.h>
#include <stdint.h>

#define ZC_XATTR_NAME_MAX	255
#define ZC_XATTR_VALUE_MAX	65536
/*
 * A sender keeps a block within this, leaving the rest of a frame for the
 * path, target and segment map; attributes that do not fit are skipped.
 */
#define ZC_XATTR_BLOCK_MAX	(128 * 1024)
#define ZC_XATTR_EMPTY_LEN	2	/* a block with count 0 */

#define ZC_XATTR_PRIV	0x1	/* security.* and trusted.* too (root) */
/*
 * zc_xattr_apply on a file we have just created in a directory that gives
 * new files none of the attributes we keep (zc_xattr_dir_bare): there is
 * nothing to remove, so the file's list is not read.
 */
#define ZC_XATTR_FRESH	0x2

/*
 * 1 if name (len bytes, no NUL needed) may travel: user.*, security.*,
 * trusted.*, system.posix_acl_access, system.posix_acl_default.
 */
int	zc_xattr_name_ok(const char *name, size_t len);

/*
 * Check a block from the wire: 0, or -EPROTO (truncated, trailing bytes,
 * bad or unsorted names, oversized values).
 */
int	zc_xattr_check(const uint8_t *blk, size_t len);

/*
 * The manifest's xattr_hash of a block: XXH3-64, 0 for no attributes;
 * ZC_XATTR_UNKEPT from a receiver whose set keeps none (the sender then
 * does not compare).  A real hash never takes either value.
 */
#define ZC_XATTR_UNKEPT		UINT64_MAX
uint64_t zc_xattr_hash(const uint8_t *blk, size_t len);

/*
 * POSIX ACLs name users and groups by number (ACL_USER and ACL_GROUP
 * entries).  With IDMAP those numbers travel by name as owners do:
 * zc_xattr_acl_ids() lists them (the sender announces their names),
 * zc_xattr_acl_map() turns the sender's into ours in a writable copy of a
 * checked block, keeping the kernel's order, and zc_xattr_hash_named()
 * hashes a block with them as names, so that two nodes whose names agree
 * agree on the hash.  kind is ZC_IDMAP_USER or ZC_IDMAP_GROUP.
 */
typedef int	 (*zc_xattr_id_cb)(void *arg, uint8_t kind, uint32_t id);
typedef uint32_t (*zc_xattr_map_cb)(void *arg, uint8_t kind, uint32_t id);
int	zc_xattr_acl_ids(const uint8_t *blk, size_t len, zc_xattr_id_cb,
	    void *arg);
void	zc_xattr_acl_map(uint8_t *blk, size_t len, zc_xattr_map_cb, void *arg);
uint64_t zc_xattr_hash_named(const uint8_t *blk, size_t len);

/*
 * Read the attributes of an open file or directory (fd), or, with fd -1,
 * of the entry leaf in dirfd without following it (a symlink).  With
 * ZC_XATTR_PRIV trusted.* is read too.  *blk (owned by the caller, never
 * NULL on success) and *len: the canonical block.  0 or -errno;
 * -ENOTSUP where the file system has none is 0 and an empty block.
 */
int	zc_xattr_read(int fd, int dirfd, const char *leaf, int flags,
	    uint8_t **blk, size_t *len);

/*
 * Make the attributes of fd (or, with fd -1, of leaf in dirfd, not
 * followed) those of blk (checked): set each one it may set (user.* and
 * ACLs; security.* and trusted.* with ZC_XATTR_PRIV) and remove the
 * others of those namespaces.  0, -ENOTSUP (the file system keeps no
 * attributes: the caller warns once) or the first other -errno.
 */
int	zc_xattr_apply(int fd, int dirfd, const char *leaf,
	    const uint8_t *blk, size_t len, int flags);

/*
 * 1 if a file created in the directory dirfd gets none of the attributes
 * zc_xattr_apply would remove: the directory has no default ACL (whose
 * entries a new file inherits as its access ACL) and no security.*
 * attribute (where a security module labels new entries, it labels the
 * directory too).  0 otherwise, or when the list cannot be read.  A file
 * system without attributes gives none: 1.
 */
int	zc_xattr_dir_bare(int dirfd);

#endif
