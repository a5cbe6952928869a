/*
 * proto.c: wire protocol v1, the format only (no I/O).  docs/PROTOCOL.md
 * describes the same bytes for someone writing another peer.
 *
 * Encoders compute the payload length first, check every field, reserve
 * the whole frame at once and only then write it, so a failure leaves the
 * output buffer as it was.  Decoders work on a copy of the reader and
 * store it back only on success; every length is checked against the
 * payload before it is used, and nothing is allocated.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "owner.h"
#include "proto.h"
#include "xattr.h"

/* Sizes of fixed parts of payloads. */
#define PROTO_HELLO_FIXED	(4 + 2 + 2 + 8 + 8 + 2)
#define PROTO_ITEM_MIN		(ZC_PROTO_META_LEN + 2 + 1 + 2)

static const char *const proto_codes[] = {
	[ZC_OK] = "ok",
	[ZC_E_PROTOCOL] = "protocol error",
	[ZC_E_VERSION] = "unsupported version",
	[ZC_E_FEATURE] = "unsupported mandatory feature",
	[ZC_E_NOSET] = "no such set",
	[ZC_E_DENIED] = "permission denied",
	[ZC_E_PATH] = "invalid path",
	[ZC_E_IO] = "I/O error",
	[ZC_E_ABORTED] = "aborted by sender",
	[ZC_E_NOSPACE] = "no space left",
	[ZC_E_TYPE] = "type conflict",
	[ZC_E_INTERNAL] = "internal error",
	[ZC_E_VERIFY] = "verification failed",
};

/* Short text for a status code. */
const char *
zc_proto_code_str(uint32_t code)
{
	if (code > ZC_CODE_LAST || proto_codes[code] == NULL)
		return ("unknown code");
	return (proto_codes[code]);
}

static void
proto_w16(uint8_t **pp, uint16_t v)
{
	uint8_t	*p = *pp;

	p[0] = v >> 8;
	p[1] = v;
	*pp = p + 2;
}

static void
proto_w32(uint8_t **pp, uint32_t v)
{
	uint8_t	*p = *pp;

	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	*pp = p + 4;
}

static void
proto_w64(uint8_t **pp, uint64_t v)
{
	proto_w32(pp, v >> 32);
	proto_w32(pp, v);
}

static void
proto_wstr(uint8_t **pp, const void *s, size_t n)
{
	proto_w16(pp, n);
	if (n != 0)
		memcpy(*pp, s, n);
	*pp += n;
}

static void
proto_wmeta(uint8_t **pp, const struct zc_meta *m)
{
	*(*pp)++ = m->type;
	proto_w32(pp, m->mode);
	proto_w32(pp, m->uid);
	proto_w32(pp, m->gid);
	proto_w64(pp, m->size);
	proto_w64(pp, (uint64_t)m->mtime_sec);
	proto_w32(pp, m->mtime_nsec);
}

static void
proto_whdr(uint8_t **pp, uint8_t type, size_t len)
{
	proto_w32(pp, len);
	*(*pp)++ = type;
	*(*pp)++ = 0;
	proto_w16(pp, 0);
}

/*
 * Reserve a whole frame of len payload bytes in out and write its header:
 * 0 and *pp at the payload, -EINVAL (over the frame maximum) or -ENOBUFS.
 * The caller writes exactly len bytes and commits HDR_LEN + len.
 */
static int
proto_begin(struct zc_buf *out, uint8_t type, size_t len, uint8_t **pp)
{
	int	 r;

	*pp = NULL;
	if (len > ZC_PROTO_FRAME_MAX)
		return (-EINVAL);
	if ((r = zc_buf_reserve(out, ZC_PROTO_HDR_LEN + len, pp)) != 0)
		return (r);
	proto_whdr(pp, type, len);
	return (0);
}

static void
proto_end(struct zc_buf *out, size_t len)
{
	zc_buf_commit(out, ZC_PROTO_HDR_LEN + len);
}

/* Node and set names: 1..ZC_PROTO_NAME_MAX bytes of [A-Za-z0-9._-]. */
static int
proto_name_ok(const char *s, size_t n)
{
	size_t	 i;
	char	 c;

	if (n == 0 || n > ZC_PROTO_NAME_MAX)
		return (0);
	for (i = 0; i < n; i++) {
		c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		return (0);
	}
	return (1);
}

/*
 * The META block rules that hold wherever a block appears.  Types FIFO to
 * BLK pass here and are judged against the negotiated bits by
 * proto_type_ok(): only SPECIAL brings them.
 */
static int
proto_meta_ok(const struct zc_meta *m)
{
	if (m->type < ZC_TYPE_FILE || m->type > ZC_TYPE_BLK)
		return (0);
	if (m->mode > 07777 || m->mtime_nsec >= 1000000000U)
		return (0);
	if ((m->type == ZC_TYPE_DIR || m->type == ZC_TYPE_FIFO ||
	    m->type == ZC_TYPE_SOCK) && m->size != 0)
		return (0);
	return (1);
}

/* SPECIAL: fifos, sockets and devices only when negotiated. */
static int
proto_type_ok(const struct zc_meta *m, uint64_t feat)
{
	return (m->type <= ZC_TYPE_SYMLINK || (feat & ZC_FEAT_SPECIAL));
}

/* Path and, for a symlink, target lengths and their agreement with meta. */
static int
proto_names_ok(const struct zc_meta *m, size_t path_len, size_t target_len,
    int with_target)
{
	if (path_len == 0 || path_len > ZC_PROTO_PATH_MAX)
		return (0);
	if (!with_target)
		return (1);
	if (m->type != ZC_TYPE_SYMLINK)
		return (target_len == 0);
	if (target_len == 0 || target_len > ZC_PROTO_TARGET_MAX)
		return (0);
	return (m->size == target_len);
}

/* Which META type a frame type demands: 0 for any, -1 if none is carried. */
static int
proto_entry_type(uint8_t type)
{
	switch (type) {
	case ZC_MSG_DIR:
		return (ZC_TYPE_DIR);
	case ZC_MSG_FILE:
		return (ZC_TYPE_FILE);
	case ZC_MSG_SYMLINK:
		return (ZC_TYPE_SYMLINK);
	case ZC_MSG_META:
		return (0);
	case ZC_MSG_DELETE:
		return (-1);
	}
	return (-2);
}

static size_t
proto_msg_len(const char *msg)
{
	return (msg == NULL ? 0 : strlen(msg));
}

/* SPARSE: read and write one (offset, length) pair of a segment map. */
void
zc_proto_seg_get(const uint8_t *segs, uint32_t i, uint64_t *off,
    uint64_t *len)
{
	struct zc_rd	r;

	zc_rd_init(&r, segs + (size_t)i * ZC_PROTO_SEG_LEN, ZC_PROTO_SEG_LEN);
	(void)zc_rd_u64(&r, off);
	(void)zc_rd_u64(&r, len);
}

void
zc_proto_seg_set(uint8_t *segs, uint32_t i, uint64_t off, uint64_t len)
{
	uint8_t	*p = segs + (size_t)i * ZC_PROTO_SEG_LEN;

	proto_w64(&p, off);
	proto_w64(&p, len);
}

/*
 * A segment map is sorted, its segments non-empty, apart (the next starts
 * after the previous ends: touching ones are one segment) and within size;
 * no sum can then overflow or pass size.
 */
static int
proto_segs_ok(const uint8_t *segs, uint32_t nsegs, uint64_t size)
{
	uint64_t	off, len, end = 0;
	uint32_t	i;

	for (i = 0; i < nsegs; i++) {
		zc_proto_seg_get(segs, i, &off, &len);
		if (len == 0 || off > size || len > size - off)
			return (0);
		if (i > 0 && off <= end)
			return (0);
		end = off + len;
	}
	return (1);
}

/* Body bytes a FILE announces; see proto.h. */
uint64_t
zc_proto_body_len(const struct zc_entry *e)
{
	uint64_t	off, len, sum = 0;
	uint32_t	i;

	if (!(e->feat & ZC_FEAT_SPARSE))
		return (e->meta.size);
	for (i = 0; i < e->nsegs; i++) {
		zc_proto_seg_get(e->segs, i, &off, &len);
		sum += len;
	}
	return (sum);
}

/* FILE frame: seq, META, str16 path, u32 nsegs, the pairs. */
uint32_t
zc_proto_segs_max(size_t path_len)
{
	size_t	fixed = 8 + ZC_PROTO_META_LEN + 2 + path_len + 4;

	if (fixed >= ZC_PROTO_FRAME_MAX)
		return (0);
	return ((uint32_t)((ZC_PROTO_FRAME_MAX - fixed) / ZC_PROTO_SEG_LEN));
}

/* Take one frame off in; see proto.h. */
int
zc_proto_get_frame(struct zc_buf *in, struct zc_frame_hdr *hdr,
    struct zc_rd *payload)
{
	struct zc_rd		 r;
	struct zc_frame_hdr	 h;
	size_t			 avail;

	memset(hdr, 0, sizeof(*hdr));
	zc_rd_init(payload, NULL, 0);

	avail = zc_buf_len(in);
	if (avail < ZC_PROTO_HDR_LEN)
		return (-EAGAIN);
	zc_rd_init(&r, zc_buf_ptr(in), ZC_PROTO_HDR_LEN);
	zc_rd_u32(&r, &h.len);
	zc_rd_u8(&r, &h.type);
	zc_rd_u8(&r, &h.flags);
	zc_rd_u16(&r, &h.reserved);

	/* Judge the header before waiting for the payload it announces. */
	if (h.len > ZC_PROTO_FRAME_MAX || h.flags != 0 || h.reserved != 0 ||
	    h.type == 0 || h.type > ZC_MSG_LAST)
		return (-EPROTO);
	if (avail - ZC_PROTO_HDR_LEN < h.len)
		return (-EAGAIN);

	*hdr = h;
	zc_rd_init(payload, zc_buf_ptr(in) + ZC_PROTO_HDR_LEN, h.len);
	zc_buf_consume(in, ZC_PROTO_HDR_LEN + h.len);
	return (0);
}

/* HELLO: magic, version, reserved, features, mandatory, node name. */
int
zc_proto_put_hello(struct zc_buf *out, const char *name, uint64_t features,
    uint64_t mandatory)
{
	size_t	 n, len;
	uint8_t	*p;
	int	 r;

	n = name == NULL ? 0 : strlen(name);
	if (!proto_name_ok(name, n))
		return (-EINVAL);
	len = PROTO_HELLO_FIXED + n;
	if ((r = proto_begin(out, ZC_MSG_HELLO, len, &p)) != 0)
		return (r);
	proto_w32(&p, ZC_PROTO_MAGIC);
	proto_w16(&p, ZC_PROTO_VERSION);
	proto_w16(&p, 0);
	proto_w64(&p, features);
	proto_w64(&p, mandatory);
	proto_wstr(&p, name, n);
	proto_end(out, len);
	return (0);
}

/* ERROR: code, message. */
int
zc_proto_put_error(struct zc_buf *out, uint32_t code, const char *msg)
{
	size_t	 n, len;
	uint8_t	*p;
	int	 r;

	n = proto_msg_len(msg);
	if (code > ZC_CODE_LAST || n > ZC_PROTO_MSG_MAX)
		return (-EINVAL);
	len = 4 + 2 + n;
	if ((r = proto_begin(out, ZC_MSG_ERROR, len, &p)) != 0)
		return (r);
	proto_w32(&p, code);
	proto_wstr(&p, msg, n);
	proto_end(out, len);
	return (0);
}

/* PUSH: flags, set name. */
static int	proto_put_request(struct zc_buf *, uint8_t, const char *,
	    uint32_t);

int
zc_proto_put_push(struct zc_buf *out, const char *set, uint32_t flags)
{
	return (proto_put_request(out, ZC_MSG_PUSH, set, flags));
}

/* PULL: flags (DELETE, DRY_RUN; never LIVE), set name. */
int
zc_proto_put_pull(struct zc_buf *out, const char *set, uint32_t flags)
{
	if (flags & ZC_PUSH_LIVE)
		return (-EINVAL);
	return (proto_put_request(out, ZC_MSG_PULL, set, flags));
}

static int
proto_put_request(struct zc_buf *out, uint8_t type, const char *set,
    uint32_t flags)
{
	size_t	 n, len;
	uint8_t	*p;
	int	 r;

	n = set == NULL ? 0 : strlen(set);
	if (!proto_name_ok(set, n) || (flags & ~ZC_PUSH_FLAGS_KNOWN) != 0)
		return (-EINVAL);
	len = 4 + 2 + n;
	if ((r = proto_begin(out, type, len, &p)) != 0)
		return (r);
	proto_w32(&p, flags);
	proto_wstr(&p, set, n);
	proto_end(out, len);
	return (0);
}

uint64_t
zc_proto_features(void)
{
	uint64_t	feat = ZC_FEAT_KNOWN & ~ZC_FEAT_OWNER;

	if (zc_owner_can_chown())
		feat |= ZC_FEAT_OWNER;
	return (feat);
}

/* MANIFEST_END: total item count. */
int
zc_proto_put_manifest_end(struct zc_buf *out, uint64_t count)
{
	uint8_t	*p;
	int	 r;

	if ((r = proto_begin(out, ZC_MSG_MANIFEST_END, 8, &p)) != 0)
		return (r);
	proto_w64(&p, count);
	proto_end(out, 8);
	return (0);
}

/*
 * XATTR: the attribute block that ends DIR, FILE, SYMLINK and META (no
 * block in e: an empty one).  Checked here so a bad one never leaves.
 */
static int
proto_xattrs_len(const struct zc_entry *e, size_t *len)
{
	if (e->xattrs == NULL || e->xattrs_len == 0) {
		*len += ZC_XATTR_EMPTY_LEN;
		return (0);
	}
	if (zc_xattr_check(e->xattrs, e->xattrs_len) != 0)
		return (-EINVAL);
	*len += e->xattrs_len;
	return (0);
}

static void
proto_wxattrs(uint8_t **pp, const struct zc_entry *e)
{
	if (e->xattrs == NULL || e->xattrs_len == 0) {
		proto_w16(pp, 0);
		return;
	}
	memcpy(*pp, e->xattrs, e->xattrs_len);
	*pp += e->xattrs_len;
}

/* XATTR: the block is the rest of the payload. */
static int
proto_rxattrs(struct zc_rd *r, struct zc_entry *e)
{
	if (zc_xattr_check(r->p, r->left) != 0)
		return (-EPROTO);
	e->xattrs = r->p;
	e->xattrs_len = r->left;
	r->p += r->left;
	r->left = 0;
	return (0);
}

/*
 * DIR, FILE, SYMLINK and META: seq, META block, path (and target for
 * SYMLINK).  DELETE: seq, path.  seq counts from 1, so 0 is refused.
 */
int
zc_proto_put_entry(struct zc_buf *out, uint8_t type, const struct zc_entry *e)
{
	int	 want, r, sparse;
	size_t	 len;
	uint8_t	*p;

	if ((want = proto_entry_type(type)) < -1 || e->seq == 0)
		return (-EINVAL);
	if (e->path_len == 0 || e->path_len > ZC_PROTO_PATH_MAX)
		return (-EINVAL);
	if (want == -1) {
		len = 8 + 2 + e->path_len;
		if ((r = proto_begin(out, type, len, &p)) != 0)
			return (r);
		proto_w64(&p, e->seq);
		proto_wstr(&p, e->path, e->path_len);
		proto_end(out, len);
		return (0);
	}

	if (!proto_meta_ok(&e->meta) || (want != 0 && e->meta.type != want) ||
	    !proto_type_ok(&e->meta, e->feat))
		return (-EINVAL);
	if (!proto_names_ok(&e->meta, e->path_len, e->target_len,
	    type == ZC_MSG_SYMLINK))
		return (-EINVAL);
	len = 8 + ZC_PROTO_META_LEN + 2 + e->path_len;
	if (type == ZC_MSG_SYMLINK)
		len += 2 + e->target_len;
	sparse = type == ZC_MSG_FILE && (e->feat & ZC_FEAT_SPARSE);
	if (sparse) {
		if (e->nsegs > zc_proto_segs_max(e->path_len) ||
		    !proto_segs_ok(e->segs, e->nsegs, e->meta.size))
			return (-EINVAL);
		len += 4 + (size_t)e->nsegs * ZC_PROTO_SEG_LEN;
	}
	if ((e->feat & ZC_FEAT_XATTR) &&
	    (r = proto_xattrs_len(e, &len)) != 0)
		return (r);
	if ((r = proto_begin(out, type, len, &p)) != 0)
		return (r);
	proto_w64(&p, e->seq);
	proto_wmeta(&p, &e->meta);
	proto_wstr(&p, e->path, e->path_len);
	if (type == ZC_MSG_SYMLINK)
		proto_wstr(&p, e->target, e->target_len);
	if (sparse) {
		/* SPARSE: the segment map after the path. */
		proto_w32(&p, e->nsegs);
		if (e->nsegs != 0)
			memcpy(p, e->segs,
			    (size_t)e->nsegs * ZC_PROTO_SEG_LEN);
		p += (size_t)e->nsegs * ZC_PROTO_SEG_LEN;
	}
	if (e->feat & ZC_FEAT_XATTR)
		proto_wxattrs(&p, e);
	proto_end(out, len);
	return (0);
}

/* FILE_END: seq, status (complete or aborted). */
int
zc_proto_put_file_end(struct zc_buf *out, uint64_t seq, uint32_t status)
{
	uint8_t	*p;
	int	 r;

	if (seq == 0 ||
	    (status != ZC_BODY_COMPLETE && status != ZC_BODY_ABORTED))
		return (-EINVAL);
	if ((r = proto_begin(out, ZC_MSG_FILE_END, 12, &p)) != 0)
		return (r);
	proto_w64(&p, seq);
	proto_w32(&p, status);
	proto_end(out, 12);
	return (0);
}

/*
 * FILE_END with VERIFY: seq, status, then the 16-byte XXH3-128 of the
 * body as sent (canonical, big-endian; zeros when aborted).
 */
int
zc_proto_put_file_end_verify(struct zc_buf *out, uint64_t seq,
    uint32_t status, const uint8_t hash[16])
{
	uint8_t	*p;
	int	 r;

	if (seq == 0 ||
	    (status != ZC_BODY_COMPLETE && status != ZC_BODY_ABORTED))
		return (-EINVAL);
	if ((r = proto_begin(out, ZC_MSG_FILE_END, 28, &p)) != 0)
		return (r);
	proto_w64(&p, seq);
	proto_w32(&p, status);
	memcpy(p, hash, 16);
	p += 16;
	proto_end(out, 28);
	return (0);
}

/* DONE: no payload. */
int
zc_proto_put_done(struct zc_buf *out)
{
	uint8_t	*p;
	int	 r;

	if ((r = proto_begin(out, ZC_MSG_DONE, 0, &p)) != 0)
		return (r);
	proto_end(out, 0);
	return (0);
}

/* ACK: seq, code, message. */
int
zc_proto_put_ack(struct zc_buf *out, uint64_t seq, uint32_t code,
    const char *msg)
{
	size_t	 n, len;
	uint8_t	*p;
	int	 r;

	n = proto_msg_len(msg);
	if (seq == 0 || code > ZC_CODE_LAST || n > ZC_PROTO_MSG_MAX)
		return (-EINVAL);
	len = 8 + 4 + 2 + n;
	if ((r = proto_begin(out, ZC_MSG_ACK, len, &p)) != 0)
		return (r);
	proto_w64(&p, seq);
	proto_w32(&p, code);
	proto_wstr(&p, msg, n);
	proto_end(out, len);
	return (0);
}

/* SUMMARY: entries, bytes, failures. */
int
zc_proto_put_summary(struct zc_buf *out, const struct zc_summary *s)
{
	uint8_t	*p;
	int	 r;

	if ((r = proto_begin(out, ZC_MSG_SUMMARY, 20, &p)) != 0)
		return (r);
	proto_w64(&p, s->entries);
	proto_w64(&p, s->bytes);
	proto_w32(&p, s->failures);
	proto_end(out, 20);
	return (0);
}

/*
 * MANIFEST frames are built in place.  mf->start is the absolute offset of
 * the frame header in out->data.  Bytes before it may be consumed while the
 * frame is open (consume never moves data), but nothing else may be
 * appended to out and the open frame must not be sent before finish.
 * zc_buf_reserve() may move the unread bytes to the front, so add
 * re-derives start from its distance to the read offset.
 */
int
zc_proto_manifest_begin(struct zc_buf *out, struct zc_manifest_frame *mf)
{
	uint8_t	*p;
	int	 r;

	mf->start = 0;
	mf->count = 0;
	if ((r = zc_buf_reserve(out, ZC_PROTO_HDR_LEN + 4, &p)) != 0)
		return (r);
	mf->start = out->len;
	proto_whdr(&p, ZC_MSG_MANIFEST, 4);
	proto_w32(&p, 0);
	zc_buf_commit(out, ZC_PROTO_HDR_LEN + 4);
	return (0);
}

/*
 * Append one item: 0, -EINVAL (bad item), -ENOSPC (the frame would pass
 * ZC_PROTO_FRAME_MAX: finish it and begin another) or -ENOBUFS (out is
 * full).  out is unchanged on failure.
 */
int
zc_proto_manifest_add(struct zc_buf *out, struct zc_manifest_frame *mf,
    const struct zc_entry *e)
{
	size_t	 len, cur, rel;
	uint8_t	*p;
	int	 r;

	if (!proto_meta_ok(&e->meta) || !proto_type_ok(&e->meta, e->feat) ||
	    !proto_names_ok(&e->meta, e->path_len, e->target_len, 1))
		return (-EINVAL);
	if (mf->count == UINT32_MAX)
		return (-ENOSPC);
	len = ZC_PROTO_META_LEN + 2 + e->path_len + 2 + e->target_len;
	if (e->feat & ZC_FEAT_HARDLINK) {
		if (e->link_id != 0 && e->meta.type != ZC_TYPE_FILE)
			return (-EINVAL);
		len += 8;
	}
	if (e->feat & ZC_FEAT_XATTR)
		len += 8;
	cur = out->len - mf->start - ZC_PROTO_HDR_LEN;
	if (cur + len > ZC_PROTO_FRAME_MAX)
		return (-ENOSPC);

	rel = mf->start - out->off;
	if ((r = zc_buf_reserve(out, len, &p)) != 0)
		return (r);
	mf->start = out->off + rel;
	proto_wmeta(&p, &e->meta);
	proto_wstr(&p, e->path, e->path_len);
	proto_wstr(&p, e->target, e->target_len);
	if (e->feat & ZC_FEAT_HARDLINK)
		proto_w64(&p, e->link_id);
	if (e->feat & ZC_FEAT_XATTR)
		proto_w64(&p, e->xattr_hash);
	zc_buf_commit(out, len);
	mf->count++;
	return (0);
}

/*
 * Patch the length and count of the open frame; a frame with no items is
 * taken back out of the buffer, because an empty MANIFEST is never sent.
 */
void
zc_proto_manifest_finish(struct zc_buf *out, struct zc_manifest_frame *mf)
{
	uint8_t	*p;

	if (mf->count == 0) {
		out->len = mf->start;
		if (out->off == out->len)
			zc_buf_reset(out);
		return;
	}
	p = out->data + mf->start;
	proto_w32(&p, out->len - mf->start - ZC_PROTO_HDR_LEN);
	p = out->data + mf->start + ZC_PROTO_HDR_LEN;
	proto_w32(&p, mf->count);
}

/* 0 when the payload is fully consumed, -EPROTO for trailing bytes. */
int
zc_proto_get_end(const struct zc_rd *r)
{
	return (r->left == 0 ? 0 : -EPROTO);
}

static int
proto_rmeta(struct zc_rd *r, struct zc_meta *m)
{
	uint64_t	 sec;
	uint32_t	 mode;

	if (zc_rd_u8(r, &m->type) != 0 ||
	    zc_rd_u32(r, &mode) != 0 ||
	    zc_rd_u32(r, &m->uid) != 0 ||
	    zc_rd_u32(r, &m->gid) != 0 ||
	    zc_rd_u64(r, &m->size) != 0 ||
	    zc_rd_u64(r, &sec) != 0 ||
	    zc_rd_u32(r, &m->mtime_nsec) != 0)
		return (-EPROTO);
	if (mode > 07777)
		return (-EPROTO);	/* before it is narrowed */
	m->mode = (uint16_t)mode;
	m->mtime_sec = (int64_t)sec;
	return (proto_meta_ok(m) ? 0 : -EPROTO);
}

/* HELLO; magic, version and features are for the caller to judge. */
int
zc_proto_get_hello(struct zc_rd *rd, struct zc_hello *h)
{
	struct zc_rd	 r = *rd;
	uint16_t	 reserved;

	memset(h, 0, sizeof(*h));
	if (zc_rd_u32(&r, &h->magic) != 0 ||
	    zc_rd_u16(&r, &h->version) != 0 ||
	    zc_rd_u16(&r, &reserved) != 0 || reserved != 0 ||
	    zc_rd_u64(&r, &h->features) != 0 ||
	    zc_rd_u64(&r, &h->mandatory) != 0 ||
	    zc_rd_str16(&r, &h->name, &h->name_len) != 0 ||
	    !proto_name_ok(h->name, h->name_len) ||
	    zc_proto_get_end(&r) != 0)
		goto fail;
	*rd = r;
	return (0);
fail:
	memset(h, 0, sizeof(*h));
	return (-EPROTO);
}

/* ERROR or ACK, as type says. */
int
zc_proto_get_status(struct zc_rd *rd, uint8_t type, struct zc_status *st)
{
	struct zc_rd	 r = *rd;

	memset(st, 0, sizeof(*st));
	if (type != ZC_MSG_ERROR && type != ZC_MSG_ACK)
		return (-EINVAL);
	if (type == ZC_MSG_ACK &&
	    (zc_rd_u64(&r, &st->seq) != 0 || st->seq == 0))
		goto fail;
	if (zc_rd_u32(&r, &st->code) != 0 || st->code > ZC_CODE_LAST ||
	    zc_rd_str16(&r, &st->msg, &st->msg_len) != 0 ||
	    st->msg_len > ZC_PROTO_MSG_MAX ||
	    zc_proto_get_end(&r) != 0)
		goto fail;
	*rd = r;
	return (0);
fail:
	memset(st, 0, sizeof(*st));
	return (-EPROTO);
}

/* PUSH. */
int
zc_proto_get_push(struct zc_rd *rd, struct zc_push_req *req)
{
	struct zc_rd	 r = *rd;

	memset(req, 0, sizeof(*req));
	if (zc_rd_u32(&r, &req->flags) != 0 ||
	    (req->flags & ~ZC_PUSH_FLAGS_KNOWN) != 0 ||
	    zc_rd_str16(&r, &req->set, &req->set_len) != 0 ||
	    !proto_name_ok(req->set, req->set_len) ||
	    zc_proto_get_end(&r) != 0)
		goto fail;
	*rd = r;
	return (0);
fail:
	memset(req, 0, sizeof(*req));
	return (-EPROTO);
}

/* MANIFEST_END. */
int
zc_proto_get_manifest_end(struct zc_rd *rd, uint64_t *count)
{
	struct zc_rd	 r = *rd;

	*count = 0;
	if (zc_rd_u64(&r, count) != 0 || zc_proto_get_end(&r) != 0) {
		*count = 0;
		return (-EPROTO);
	}
	*rd = r;
	return (0);
}

/*
 * MANIFEST count: at least 1, and no more than the rest of the payload can
 * hold at the smallest item size, so a caller may size things by it.
 */
int
zc_proto_get_manifest_count(struct zc_rd *rd, uint32_t *count)
{
	struct zc_rd	 r = *rd;

	*count = 0;
	if (zc_rd_u32(&r, count) != 0 || *count == 0 ||
	    *count > r.left / PROTO_ITEM_MIN) {
		*count = 0;
		return (-EPROTO);
	}
	*rd = r;
	return (0);
}

/* One MANIFEST item: META block, path, target (empty unless a symlink). */
int
zc_proto_get_manifest_item(struct zc_rd *rd, struct zc_entry *e)
{
	struct zc_rd	 r = *rd;
	uint64_t	 feat = e->feat;

	memset(e, 0, sizeof(*e));
	e->feat = feat;
	if (proto_rmeta(&r, &e->meta) != 0 ||
	    !proto_type_ok(&e->meta, feat) ||
	    zc_rd_str16(&r, &e->path, &e->path_len) != 0 ||
	    zc_rd_str16(&r, &e->target, &e->target_len) != 0 ||
	    !proto_names_ok(&e->meta, e->path_len, e->target_len, 1))
		goto fail;
	/* HARDLINK: link_id, only files share one. */
	if ((feat & ZC_FEAT_HARDLINK) &&
	    (zc_rd_u64(&r, &e->link_id) != 0 ||
	    (e->link_id != 0 && e->meta.type != ZC_TYPE_FILE)))
		goto fail;
	if ((feat & ZC_FEAT_XATTR) && zc_rd_u64(&r, &e->xattr_hash) != 0)
		goto fail;
	if (e->meta.type != ZC_TYPE_SYMLINK)
		e->target = NULL;
	*rd = r;
	return (0);
fail:
	memset(e, 0, sizeof(*e));
	e->feat = feat;
	return (-EPROTO);
}

/*
 * SPARSE: u32 nsegs, then the pairs.  nsegs is judged against what is
 * left of the payload before anything is read, then the map itself.
 */
static int
proto_rsegs(struct zc_rd *r, struct zc_entry *e)
{
	const uint8_t	*p;

	if (zc_rd_u32(r, &e->nsegs) != 0 ||
	    e->nsegs > r->left / ZC_PROTO_SEG_LEN ||
	    zc_rd_bytes(r, (size_t)e->nsegs * ZC_PROTO_SEG_LEN, &p) != 0 ||
	    !proto_segs_ok(p, e->nsegs, e->meta.size))
		return (-EPROTO);
	e->segs = e->nsegs != 0 ? p : NULL;
	return (0);
}

/* DIR, FILE, SYMLINK, META or DELETE, as type (the frame type) says. */
int
zc_proto_get_entry(struct zc_rd *rd, uint8_t type, struct zc_entry *e)
{
	struct zc_rd	 r = *rd;
	uint64_t	 feat = e->feat;
	int		 want;

	memset(e, 0, sizeof(*e));
	e->feat = feat;
	if ((want = proto_entry_type(type)) < -1)
		return (-EINVAL);
	if (zc_rd_u64(&r, &e->seq) != 0 || e->seq == 0)
		goto fail;
	if (want != -1) {
		if (proto_rmeta(&r, &e->meta) != 0 ||
		    (want != 0 && e->meta.type != want) ||
		    !proto_type_ok(&e->meta, feat))
			goto fail;
	}
	if (zc_rd_str16(&r, &e->path, &e->path_len) != 0)
		goto fail;
	if (type == ZC_MSG_SYMLINK &&
	    zc_rd_str16(&r, &e->target, &e->target_len) != 0)
		goto fail;
	if (type == ZC_MSG_FILE && (feat & ZC_FEAT_SPARSE) &&
	    proto_rsegs(&r, e) != 0)
		goto fail;
	if ((feat & ZC_FEAT_XATTR) && want != -1 &&
	    proto_rxattrs(&r, e) != 0)
		goto fail;
	if (!proto_names_ok(&e->meta, e->path_len, e->target_len,
	    type == ZC_MSG_SYMLINK) || zc_proto_get_end(&r) != 0)
		goto fail;
	*rd = r;
	return (0);
fail:
	memset(e, 0, sizeof(*e));
	e->feat = feat;
	return (-EPROTO);
}

/* FILE_END. */
int
zc_proto_get_file_end(struct zc_rd *rd, uint64_t *seq, uint32_t *status)
{
	struct zc_rd	 r = *rd;

	*seq = 0;
	*status = 0;
	if (zc_rd_u64(&r, seq) != 0 || *seq == 0 ||
	    zc_rd_u32(&r, status) != 0 ||
	    (*status != ZC_BODY_COMPLETE && *status != ZC_BODY_ABORTED) ||
	    zc_proto_get_end(&r) != 0) {
		*seq = 0;
		*status = 0;
		return (-EPROTO);
	}
	*rd = r;
	return (0);
}

/* FILE_END with VERIFY: exactly seq, status and 16 bytes of hash. */
int
zc_proto_get_file_end_verify(struct zc_rd *rd, uint64_t *seq,
    uint32_t *status, uint8_t hash[16])
{
	struct zc_rd	 r = *rd;
	const uint8_t	*h;

	*seq = 0;
	*status = 0;
	memset(hash, 0, 16);
	if (zc_rd_u64(&r, seq) != 0 || *seq == 0 ||
	    zc_rd_u32(&r, status) != 0 ||
	    (*status != ZC_BODY_COMPLETE && *status != ZC_BODY_ABORTED) ||
	    zc_rd_bytes(&r, 16, &h) != 0 || zc_proto_get_end(&r) != 0)
		goto bad;
	memcpy(hash, h, 16);
	*rd = r;
	return (0);
bad:
	*seq = 0;
	*status = 0;
	memset(hash, 0, 16);
	return (-EPROTO);
}

/* SUMMARY. */
int
zc_proto_get_summary(struct zc_rd *rd, struct zc_summary *s)
{
	struct zc_rd	 r = *rd;

	memset(s, 0, sizeof(*s));
	if (zc_rd_u64(&r, &s->entries) != 0 ||
	    zc_rd_u64(&r, &s->bytes) != 0 ||
	    zc_rd_u32(&r, &s->failures) != 0 ||
	    zc_proto_get_end(&r) != 0) {
		memset(s, 0, sizeof(*s));
		return (-EPROTO);
	}
	*rd = r;
	return (0);
}

/* SYNC: seq. */
int
zc_proto_put_sync(struct zc_buf *out, uint64_t seq)
{
	uint8_t	*p;
	int	 r;

	if (seq == 0)
		return (-EINVAL);
	if ((r = proto_begin(out, ZC_MSG_SYNC, 8, &p)) != 0)
		return (r);
	proto_w64(&p, seq);
	proto_end(out, 8);
	return (0);
}

/* RENAME: seq, old path, new path. */
int
zc_proto_put_rename(struct zc_buf *out, const struct zc_entry *e)
{
	size_t	 len;
	uint8_t	*p;
	int	 r;

	if (e->seq == 0 || e->path_len == 0 ||
	    e->path_len > ZC_PROTO_PATH_MAX || e->target_len == 0 ||
	    e->target_len > ZC_PROTO_PATH_MAX)
		return (-EINVAL);
	len = 8 + 2 + e->path_len + 2 + e->target_len;
	if ((r = proto_begin(out, ZC_MSG_RENAME, len, &p)) != 0)
		return (r);
	proto_w64(&p, e->seq);
	proto_wstr(&p, e->path, e->path_len);
	proto_wstr(&p, e->target, e->target_len);
	proto_end(out, len);
	return (0);
}

/* SYNC. */
int
zc_proto_get_sync(struct zc_rd *rd, uint64_t *seq)
{
	struct zc_rd	 r = *rd;

	*seq = 0;
	if (zc_rd_u64(&r, seq) != 0 || *seq == 0 ||
	    zc_proto_get_end(&r) != 0) {
		*seq = 0;
		return (-EPROTO);
	}
	*rd = r;
	return (0);
}

/*
 * RENAME and LINK, as type says: seq, for LINK a file's META, then two
 * names of 1..ZC_PROTO_PATH_MAX bytes, path and target.  LINK keeps
 * e->feat and needs ZC_FEAT_HARDLINK in it; RENAME clears all of e.
 */
static int
proto_get_pair(struct zc_rd *rd, uint8_t type, struct zc_entry *e)
{
	struct zc_rd	 r = *rd;
	int		 link = type == ZC_MSG_LINK;
	uint64_t	 feat = link ? e->feat : 0;

	memset(e, 0, sizeof(*e));
	e->feat = feat;
	if ((link && !(feat & ZC_FEAT_HARDLINK)) ||
	    zc_rd_u64(&r, &e->seq) != 0 || e->seq == 0 ||
	    (link && (proto_rmeta(&r, &e->meta) != 0 ||
	    e->meta.type != ZC_TYPE_FILE)) ||
	    zc_rd_str16(&r, &e->path, &e->path_len) != 0 ||
	    zc_rd_str16(&r, &e->target, &e->target_len) != 0 ||
	    e->path_len == 0 || e->path_len > ZC_PROTO_PATH_MAX ||
	    e->target_len == 0 || e->target_len > ZC_PROTO_PATH_MAX ||
	    zc_proto_get_end(&r) != 0) {
		memset(e, 0, sizeof(*e));
		e->feat = feat;
		return (-EPROTO);
	}
	*rd = r;
	return (0);
}

/* RENAME: path = old name, target = new name. */
int
zc_proto_get_rename(struct zc_rd *rd, struct zc_entry *e)
{
	return (proto_get_pair(rd, ZC_MSG_RENAME, e));
}

/* LINK: seq, META (a file), path, target (the file it links to). */
int
zc_proto_put_link(struct zc_buf *out, const struct zc_entry *e)
{
	size_t	 len;
	uint8_t	*p;
	int	 r;

	if (!(e->feat & ZC_FEAT_HARDLINK) || e->seq == 0 ||
	    !proto_meta_ok(&e->meta) || e->meta.type != ZC_TYPE_FILE ||
	    e->path_len == 0 || e->path_len > ZC_PROTO_PATH_MAX ||
	    e->target_len == 0 || e->target_len > ZC_PROTO_PATH_MAX)
		return (-EINVAL);
	len = 8 + ZC_PROTO_META_LEN + 2 + e->path_len + 2 + e->target_len;
	if ((r = proto_begin(out, ZC_MSG_LINK, len, &p)) != 0)
		return (r);
	proto_w64(&p, e->seq);
	proto_wmeta(&p, &e->meta);
	proto_wstr(&p, e->path, e->path_len);
	proto_wstr(&p, e->target, e->target_len);
	proto_end(out, len);
	return (0);
}

/* IDMAP names: 1..255 bytes, no NUL (a C string for getpwnam_r). */
static int
proto_idmap_ok(const struct zc_idmap_msg *m)
{
	return ((m->kind == ZC_IDMAP_USER || m->kind == ZC_IDMAP_GROUP) &&
	    m->name_len >= 1 && m->name_len <= ZC_IDMAP_NAME_MAX &&
	    memchr(m->name, '\0', m->name_len) == NULL);
}

/* IDMAP: kind, id, name. */
int
zc_proto_put_idmap(struct zc_buf *out, const struct zc_idmap_msg *m)
{
	size_t	 len;
	uint8_t	*p;
	int	 r;

	if (m->name == NULL || !proto_idmap_ok(m))
		return (-EINVAL);
	len = 1 + 4 + 2 + m->name_len;
	if ((r = proto_begin(out, ZC_MSG_IDMAP, len, &p)) != 0)
		return (r);
	*p++ = m->kind;
	proto_w32(&p, m->id);
	proto_wstr(&p, m->name, m->name_len);
	proto_end(out, len);
	return (0);
}

/* LINK: path = the new name, target = the file already sent. */
int
zc_proto_get_link(struct zc_rd *rd, struct zc_entry *e)
{
	return (proto_get_pair(rd, ZC_MSG_LINK, e));
}

/* IDMAP. */
int
zc_proto_get_idmap(struct zc_rd *rd, struct zc_idmap_msg *m)
{
	struct zc_rd	 r = *rd;

	memset(m, 0, sizeof(*m));
	if (zc_rd_u8(&r, &m->kind) != 0 ||
	    zc_rd_u32(&r, &m->id) != 0 ||
	    zc_rd_str16(&r, &m->name, &m->name_len) != 0 ||
	    !proto_idmap_ok(m) ||
	    zc_proto_get_end(&r) != 0) {
		memset(m, 0, sizeof(*m));
		return (-EPROTO);
	}
	*rd = r;
	return (0);
}
