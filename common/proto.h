/*
 * proto.h: wire protocol v1, the format only (no I/O).  docs/PROTOCOL.md
 * follows this file; message numbers are never reused (tmux-protocol.h).
 */
#ifndef ZC_PROTO_H
#define ZC_PROTO_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define ZC_PROTO_MAGIC		0x5a435331U	/* "ZCS1" */
#define ZC_PROTO_VERSION	1
#define ZC_PROTO_HDR_LEN	8
#define ZC_PROTO_FRAME_MAX	(256 * 1024)	/* payload bytes */
#define ZC_PROTO_NAME_MAX	64		/* node and set names */
#define ZC_PROTO_MSG_MAX	1024		/* error/ack messages */
#define ZC_PROTO_PATH_MAX	4095		/* relative path bytes */
#define ZC_PROTO_TARGET_MAX	4095		/* symlink target bytes */
#define ZC_PROTO_META_LEN	33

/*
 * Feature bits in HELLO.  A side refuses a peer whose `mandatory` has a bit
 * it does not know.  A feature is in use on a connection when both HELLOs
 * list it; the encoders and decoders below take the negotiated bits in
 * zc_entry.feat, and a field a feature adds is on the wire only then.
 *  OWNER:    "I run as root, my uid/gid are meaningful"; owners are compared
 *            and applied only when both sides say it.
 *  XATTR:    manifest items carry xattr_hash; DIR, FILE, SYMLINK and META
 *            carry an xattr block (extended attributes and POSIX ACLs).
 *  HARDLINK: manifest items carry link_id; LINK (18) makes a hard link.
 *  SPARSE:   FILE carries its data segments; holes are not sent.
 *  IDMAP:    IDMAP (19) maps uids and gids to names, both ways.
 *  SPECIAL:  types FIFO, SOCK, CHR, BLK (size carries rdev).
 *  VERIFY:   a PUSH flag asks for FILE_END to carry the body's XXH3-128,
 *            checked by the receiver before the rename.
 */
#define ZC_FEAT_OWNER		0x1ULL
#define ZC_FEAT_XATTR		0x2ULL
#define ZC_FEAT_HARDLINK	0x4ULL
#define ZC_FEAT_SPARSE		0x8ULL
#define ZC_FEAT_IDMAP		0x10ULL
#define ZC_FEAT_SPECIAL		0x20ULL
#define ZC_FEAT_VERIFY		0x40ULL
/* Every feature this implementation has. */
#define ZC_FEAT_KNOWN		(ZC_FEAT_OWNER | ZC_FEAT_XATTR | \
				 ZC_FEAT_HARDLINK | ZC_FEAT_SPARSE | \
				 ZC_FEAT_IDMAP | ZC_FEAT_SPECIAL | ZC_FEAT_VERIFY)

/*
 * The feature bits this node lists in its HELLO (OWNER only when it may
 * chown: root or CAP_CHOWN).
 */
uint64_t	zc_proto_features(void);

enum zc_msg {
	ZC_MSG_HELLO = 1,
	ZC_MSG_ERROR = 2,
	ZC_MSG_PUSH = 3,
	ZC_MSG_MANIFEST = 4,
	ZC_MSG_MANIFEST_END = 5,
	ZC_MSG_DIR = 6,
	ZC_MSG_FILE = 7,
	ZC_MSG_FILE_END = 8,
	ZC_MSG_SYMLINK = 9,
	ZC_MSG_DELETE = 10,
	ZC_MSG_META = 11,
	ZC_MSG_DONE = 12,
	ZC_MSG_ACK = 13,
	ZC_MSG_SUMMARY = 14,
	ZC_MSG_SYNC = 15,	/* live: apply pending directory metadata */
	ZC_MSG_RENAME = 16,	/* live: a move stays a move */
	ZC_MSG_PULL = 17,	/* the client receives the set (zcsync pull) */
	ZC_MSG_LINK = 18,	/* HARDLINK: a hard link to an entry already sent */
	ZC_MSG_IDMAP = 19,	/* IDMAP: the name of a uid or gid */
	/* 20 and up: reserved for later versions. */
};
#define ZC_MSG_LAST	ZC_MSG_IDMAP

/* Status and error codes, in ERROR, ACK and FILE_END. */
enum zc_code {
	ZC_OK = 0,
	ZC_E_PROTOCOL = 1,	/* malformed frame or wrong state */
	ZC_E_VERSION = 2,	/* bad magic or unsupported version */
	ZC_E_FEATURE = 3,	/* unknown mandatory feature */
	ZC_E_NOSET = 4,		/* no such set */
	ZC_E_DENIED = 5,	/* peer may not do this to the set */
	ZC_E_PATH = 6,		/* invalid or refused path */
	ZC_E_IO = 7,		/* receiver-side I/O error (message says) */
	ZC_E_ABORTED = 8,	/* sender aborted the body (file changed) */
	ZC_E_NOSPACE = 9,	/* ENOSPC / EDQUOT on the receiver */
	ZC_E_TYPE = 10,		/* target exists with another type */
	ZC_E_INTERNAL = 11,	/* receiver bug or resource limit */
	ZC_E_VERIFY = 12,	/* VERIFY: the landed body's hash differs */
};
#define ZC_CODE_LAST	ZC_E_VERIFY
const char	*zc_proto_code_str(uint32_t);

/* FILE_END status. */
#define ZC_BODY_COMPLETE	0
#define ZC_BODY_ABORTED		1

/* PUSH flags. */
#define ZC_PUSH_DELETE		0x1
#define ZC_PUSH_DRY_RUN		0x2
#define ZC_PUSH_LIVE		0x4	/* no DONE after catch-up: stream changes */
#define ZC_PUSH_VERIFY		0x8	/* VERIFY: FILE_END carries XXH3-128 */
#define ZC_PUSH_FLAGS_KNOWN	0xf

/* Entry types. */
#define ZC_TYPE_FILE		1
#define ZC_TYPE_DIR		2
#define ZC_TYPE_SYMLINK		3
/* SPECIAL only; for CHR and BLK meta.size is the rdev (major << 32 | minor). */
#define ZC_TYPE_FIFO		4
#define ZC_TYPE_SOCK		5
#define ZC_TYPE_CHR		6
#define ZC_TYPE_BLK		7

struct zc_frame_hdr {
	uint32_t	len;		/* payload bytes, <= ZC_PROTO_FRAME_MAX */
	uint8_t		type;		/* enum zc_msg */
	uint8_t		flags;		/* 0 in v1 */
	uint16_t	reserved;	/* 0 in v1 */
};

/*
 * Metadata of one entry; the 33-byte META block on the wire (type, mode,
 * uid, gid, size, mtime).  Here 32 bytes, widest first: every manifest
 * entry holds one (docs/benchmarks.md, memory at scale).
 */
struct zc_meta {
	uint64_t	size;		/* file bytes; 0 for dirs; target len for links */
	int64_t		mtime_sec;
	uint32_t	uid;
	uint32_t	gid;
	uint32_t	mtime_nsec;	/* < 1e9 */
	uint16_t	mode;		/* permission bits, & 07777 */
	uint8_t		type;		/* ZC_TYPE_* */
};

/*
 * One decoded entry-bearing message (MANIFEST item, DIR, FILE, SYMLINK,
 * META, DELETE).  path and target are borrowed from the payload and are
 * NOT NUL-terminated; path.c validates them.
 */
struct zc_entry {
	uint64_t	 feat;		/* negotiated ZC_FEAT_*: set before get_* */
	uint64_t	 seq;		/* 0 in MANIFEST items */
	struct zc_meta	 meta;		/* zeroed for DELETE */
	const char	*path;		/* borrowed */
	size_t		 path_len;
	const char	*target;	/* borrowed; symlinks only */
	size_t		 target_len;
	uint64_t	 link_id;	/* HARDLINK, manifest items; 0: nlink 1 */
	uint64_t	 xattr_hash;	/* XATTR, manifest items */
	const uint8_t	*xattrs;	/* XATTR, entry frames; borrowed block */
	size_t		 xattrs_len;
	const uint8_t	*segs;		/* SPARSE, FILE; borrowed (off, len) pairs */
	uint32_t	 nsegs;
};

/*
 * SPARSE: a FILE's data segments, (u64 offset, u64 length) pairs on the
 * wire, sorted, non-overlapping, non-empty and within meta.size.  The body
 * is their concatenation; everything else is a hole.  e->segs points at
 * nsegs such pairs in wire order (big-endian); these read and write one.
 */
#define ZC_PROTO_SEG_LEN	16
void	zc_proto_seg_get(const uint8_t *segs, uint32_t i, uint64_t *off,
	    uint64_t *len);
void	zc_proto_seg_set(uint8_t *segs, uint32_t i, uint64_t off,
	    uint64_t len);
/* Body bytes a FILE entry announces: the segments' sum, or meta.size. */
uint64_t zc_proto_body_len(const struct zc_entry *);
/* The most segments a FILE frame for a path of path_len bytes can carry. */
uint32_t zc_proto_segs_max(size_t path_len);

struct zc_hello {
	uint32_t	 magic;
	uint16_t	 version;
	uint64_t	 features;
	uint64_t	 mandatory;
	const char	*name;		/* borrowed */
	size_t		 name_len;
};

struct zc_status {			/* ERROR and ACK */
	uint64_t	 seq;		/* ACK only */
	uint32_t	 code;		/* enum zc_code */
	const char	*msg;		/* borrowed */
	size_t		 msg_len;
};

struct zc_push_req {
	uint32_t	 flags;
	const char	*set;		/* borrowed */
	size_t		 set_len;
};

struct zc_summary {
	uint64_t	entries;	/* entries applied */
	uint64_t	bytes;		/* body bytes landed */
	uint32_t	failures;
};

/*
 * Take one whole frame off in: 0 with *hdr and *payload (borrowed from in,
 * valid until in is next written), -EAGAIN if incomplete (in untouched), or
 * -EPROTO for a bad header (length over max, nonzero flags/reserved,
 * unknown type).
 */
int	zc_proto_get_frame(struct zc_buf *in, struct zc_frame_hdr *hdr,
	    struct zc_rd *payload);

/*
 * Encoders append one whole frame (header + payload) to out: 0, -ENOBUFS
 * (out unchanged) or -EINVAL (a field out of range).
 */
int	zc_proto_put_hello(struct zc_buf *, const char *name, uint64_t features,
	    uint64_t mandatory);
int	zc_proto_put_error(struct zc_buf *, uint32_t code, const char *msg);
int	zc_proto_put_push(struct zc_buf *, const char *set, uint32_t flags);
/* PULL: the same payload as PUSH (decode it with zc_proto_get_push). */
int	zc_proto_put_pull(struct zc_buf *, const char *set, uint32_t flags);
int	zc_proto_put_manifest_end(struct zc_buf *, uint64_t count);
int	zc_proto_put_entry(struct zc_buf *, uint8_t type,
	    const struct zc_entry *);		/* DIR FILE SYMLINK META DELETE */
int	zc_proto_put_file_end(struct zc_buf *, uint64_t seq, uint32_t status);
/* FILE_END in a session with ZC_PUSH_VERIFY: the body's XXH3-128 too. */
int	zc_proto_put_file_end_verify(struct zc_buf *, uint64_t seq,
	    uint32_t status, const uint8_t hash[16]);
int	zc_proto_put_done(struct zc_buf *);
int	zc_proto_put_ack(struct zc_buf *, uint64_t seq, uint32_t code,
	    const char *msg);
int	zc_proto_put_summary(struct zc_buf *, const struct zc_summary *);
int	zc_proto_put_sync(struct zc_buf *, uint64_t seq);
/*
 * LINK (HARDLINK): seq, META (type FILE), path, then target = the path of
 * a file already sent that the new path is to be a hard link of.  -EINVAL
 * without ZC_FEAT_HARDLINK in e->feat.
 */
int	zc_proto_put_link(struct zc_buf *, const struct zc_entry *e);
/* RENAME: e->path is the old name, e->target the new one. */
int	zc_proto_put_rename(struct zc_buf *, const struct zc_entry *e);

/* IDMAP: the name of a uid (kind USER) or gid (GROUP). */
#define ZC_IDMAP_USER		1
#define ZC_IDMAP_GROUP		2
#define ZC_IDMAP_NAME_MAX	255
struct zc_idmap_msg {
	uint8_t		 kind;		/* ZC_IDMAP_USER or ZC_IDMAP_GROUP */
	uint32_t	 id;
	const char	*name;		/* borrowed; not NUL-terminated */
	size_t		 name_len;	/* 1..ZC_IDMAP_NAME_MAX, no NUL */
};
int	zc_proto_put_idmap(struct zc_buf *, const struct zc_idmap_msg *);
int	zc_proto_get_idmap(struct zc_rd *, struct zc_idmap_msg *);

/*
 * MANIFEST frames are built incrementally: begin reserves the header and
 * count, add appends one item (-ENOSPC when it would pass
 * ZC_PROTO_FRAME_MAX: finish and begin another), finish patches length and
 * count.  An empty manifest frame is never sent.
 */
struct zc_manifest_frame {
	size_t		 start;		/* offset of the frame header in out */
	uint32_t	 count;
};
int	zc_proto_manifest_begin(struct zc_buf *, struct zc_manifest_frame *);
int	zc_proto_manifest_add(struct zc_buf *, struct zc_manifest_frame *,
	    const struct zc_entry *);
void	zc_proto_manifest_finish(struct zc_buf *, struct zc_manifest_frame *);

/*
 * Decoders read one payload (after zc_proto_get_frame): 0 or -EPROTO for
 * truncated, trailing or out-of-range input.  Lengths are checked against
 * the payload before anything is used.
 */
int	zc_proto_get_hello(struct zc_rd *, struct zc_hello *);
int	zc_proto_get_status(struct zc_rd *, uint8_t type, struct zc_status *);
int	zc_proto_get_push(struct zc_rd *, struct zc_push_req *);
int	zc_proto_get_manifest_end(struct zc_rd *, uint64_t *count);
/* MANIFEST: count then items; call get_manifest_item count times. */
int	zc_proto_get_manifest_count(struct zc_rd *, uint32_t *count);
int	zc_proto_get_manifest_item(struct zc_rd *, struct zc_entry *);
int	zc_proto_get_entry(struct zc_rd *, uint8_t type, struct zc_entry *);
int	zc_proto_get_file_end(struct zc_rd *, uint64_t *seq, uint32_t *status);
int	zc_proto_get_file_end_verify(struct zc_rd *, uint64_t *seq,
	    uint32_t *status, uint8_t hash[16]);
int	zc_proto_get_summary(struct zc_rd *, struct zc_summary *);
int	zc_proto_get_sync(struct zc_rd *, uint64_t *seq);
int	zc_proto_get_rename(struct zc_rd *, struct zc_entry *e);
/* LINK: -EPROTO also when e->feat lacks ZC_FEAT_HARDLINK. */
int	zc_proto_get_link(struct zc_rd *, struct zc_entry *e);
/* 0 when the payload is fully consumed, -EPROTO for trailing bytes. */
int	zc_proto_get_end(const struct zc_rd *);

#endif
