/*
 * fuzz-proto.c: libFuzzer target for the frame decoder (common/proto.c).
 *
 * The input is a byte stream from a peer.  It is fed into a bounded zc_buf
 * in small slices, as a socket would deliver it, and after each slice every
 * whole frame is taken off with zc_proto_get_frame() and its payload decoded
 * by the decoder its type names, as conn.c does.  Besides the sanitizers'
 * findings, a crash is: a decoder result other than 0 or -EPROTO, a
 * borrowed pointer outside its payload, and a payload that decodes but does
 * not encode back to the same bytes (the wire format has one encoding).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "proto.h"

#define FUZZ_SLICE	61	/* bytes per read: frames straddle reads */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_fail(const char *what, uint8_t type)
{
	fprintf(stderr, "fuzz-proto: type %u: %s\n", type, what);
	abort();
}

/* Check that n bytes at p lie inside the payload [lo, hi). */
static void
fuzz_inside(const void *p, size_t n, const uint8_t *lo, const uint8_t *hi,
    uint8_t type)
{
	const uint8_t	*q = p;

	if (n == 0)
		return;
	if (q == NULL || q < lo || q + n > hi || q + n < q)
		fuzz_fail("borrowed bytes outside the payload", type);
}

/*
 * Compare the frame just encoded into out with the payload it came from;
 * out is reset afterwards.  put is the encoder's result.
 */
static void
fuzz_same(struct zc_buf *out, int put, uint8_t type, const uint8_t *lo,
    size_t len)
{
	struct zc_frame_hdr	 h;
	struct zc_rd		 rd;

	if (put != 0)
		fuzz_fail("a decoded payload does not encode", type);
	if (zc_proto_get_frame(out, &h, &rd) != 0 || h.type != type ||
	    rd.left != len || memcmp(rd.p, lo, len) != 0 ||
	    zc_buf_len(out) != 0)
		fuzz_fail("the payload encodes to other bytes", type);
	zc_buf_reset(out);
}

/* A NUL-terminated copy of a borrowed name (at most 64 bytes). */
static const char *
fuzz_name(char *s, size_t slen, const char *p, size_t n)
{
	if (n >= slen)
		return (NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	return (s);
}

/*
 * FILE_END as a VERIFY session reads it (28 bytes, the hash last): on a
 * copy of rd, since the same payload is also read the plain way.
 */
static void
fuzz_file_end_verify(struct zc_buf *out, const struct zc_rd *rd,
    const uint8_t *lo, size_t len)
{
	struct zc_rd	 vrd = *rd;
	uint8_t		 hash[16];
	uint64_t	 seq;
	uint32_t	 status;

	if (zc_proto_get_file_end_verify(&vrd, &seq, &status, hash) == 0)
		fuzz_same(out, zc_proto_put_file_end_verify(out, seq, status,
		    hash), ZC_MSG_FILE_END, lo, len);
	else if (vrd.p != rd->p || vrd.left != rd->left)
		fuzz_fail("a refused FILE_END moved the reader",
		    ZC_MSG_FILE_END);
}

/* Decode one payload as the receiver would, then encode it back. */
static void
fuzz_decode(struct zc_buf *out, uint8_t type, struct zc_rd *rd, uint64_t feat)
{
	const uint8_t			*lo = rd->p, *hi = rd->p + rd->left;
	size_t				 len = rd->left;
	struct zc_hello			 h;
	struct zc_status		 st;
	struct zc_push_req		 pr;
	struct zc_entry			 e;
	struct zc_idmap_msg		 im;
	struct zc_rd			 save;
	int				 xa;
	struct zc_summary		 s;
	struct zc_manifest_frame	 mf;
	char				 name[ZC_PROTO_NAME_MAX + 1];
	char				 msg[ZC_PROTO_MSG_MAX + 1];
	uint64_t			 u64;
	uint32_t			 u32, status, i;
	int				 r;

	/* The entry decoders keep the caller's negotiated bits. */
	memset(&e, 0, sizeof(e));
	e.feat = feat;
	switch (type) {
	case ZC_MSG_HELLO:
		if ((r = zc_proto_get_hello(rd, &h)) == 0) {
			fuzz_inside(h.name, h.name_len, lo, hi, type);
			/* put_hello writes our magic and version. */
			if (h.magic == ZC_PROTO_MAGIC &&
			    h.version == ZC_PROTO_VERSION)
				fuzz_same(out, zc_proto_put_hello(out,
				    fuzz_name(name, sizeof(name), h.name,
				    h.name_len), h.features, h.mandatory),
				    type, lo, len);
		}
		break;
	case ZC_MSG_ERROR:
	case ZC_MSG_ACK:
		if ((r = zc_proto_get_status(rd, type, &st)) == 0) {
			fuzz_inside(st.msg, st.msg_len, lo, hi, type);
			/* The encoders take a C string: no NUL inside. */
			if (memchr(st.msg, '\0', st.msg_len) != NULL)
				break;
			fuzz_name(msg, sizeof(msg), st.msg, st.msg_len);
			if (type == ZC_MSG_ERROR)
				fuzz_same(out, zc_proto_put_error(out,
				    st.code, msg), type, lo, len);
			else
				fuzz_same(out, zc_proto_put_ack(out, st.seq,
				    st.code, msg), type, lo, len);
		}
		break;
	case ZC_MSG_PUSH:
	case ZC_MSG_PULL:
		if ((r = zc_proto_get_push(rd, &pr)) == 0) {
			fuzz_inside(pr.set, pr.set_len, lo, hi, type);
			fuzz_name(name, sizeof(name), pr.set, pr.set_len);
			if (type == ZC_MSG_PUSH)
				fuzz_same(out, zc_proto_put_push(out, name,
				    pr.flags), type, lo, len);
			else if ((pr.flags & ZC_PUSH_LIVE) == 0)
				fuzz_same(out, zc_proto_put_pull(out, name,
				    pr.flags), type, lo, len);
		}
		break;
	case ZC_MSG_MANIFEST:
		/* Items as no feature shapes them, then with XATTR's hash. */
		save = *rd;
		for (xa = 0; xa < 2; xa++) {
			*rd = save;
			e.feat = xa ? ZC_FEAT_XATTR : 0;
			if ((r = zc_proto_get_manifest_count(rd, &u32)) != 0)
				break;
			if (zc_proto_manifest_begin(out, &mf) != 0)
				fuzz_fail("manifest_begin failed", type);
			for (i = 0; i < u32; i++) {
				if ((r = zc_proto_get_manifest_item(rd,
				    &e)) != 0)
					break;
				fuzz_inside(e.path, e.path_len, lo, hi, type);
				fuzz_inside(e.target, e.target_len, lo, hi,
				    type);
				if (zc_proto_manifest_add(out, &mf, &e) != 0)
					fuzz_fail("a decoded item does not "
					    "encode", type);
			}
			if (r == 0)
				r = zc_proto_get_end(rd);
			zc_proto_manifest_finish(out, &mf);
			if (r == 0)
				fuzz_same(out, 0, type, lo, len);
			zc_buf_reset(out);
			if (r == 0)
				break;
		}
		break;
	case ZC_MSG_MANIFEST_END:
		if ((r = zc_proto_get_manifest_end(rd, &u64)) == 0)
			fuzz_same(out, zc_proto_put_manifest_end(out, u64),
			    type, lo, len);
		break;
	case ZC_MSG_DIR:
	case ZC_MSG_FILE:
	case ZC_MSG_SYMLINK:
	case ZC_MSG_META:
	case ZC_MSG_DELETE:
		if ((r = zc_proto_get_entry(rd, type, &e)) != 0) {
			e.feat = ZC_FEAT_XATTR;	/* then with a block */
			r = zc_proto_get_entry(rd, type, &e);
		}
		if (r == 0) {
			fuzz_inside(e.path, e.path_len, lo, hi, type);
			fuzz_inside(e.target, e.target_len, lo, hi, type);
			fuzz_inside(e.xattrs, e.xattrs_len, lo, hi, type);
			fuzz_same(out, zc_proto_put_entry(out, type, &e),
			    type, lo, len);
		}
		break;
	case ZC_MSG_FILE_END:
		fuzz_file_end_verify(out, rd, lo, len);
		if ((r = zc_proto_get_file_end(rd, &u64, &status)) == 0)
			fuzz_same(out, zc_proto_put_file_end(out, u64, status),
			    type, lo, len);
		break;
	case ZC_MSG_DONE:
		if ((r = zc_proto_get_end(rd)) == 0)
			fuzz_same(out, zc_proto_put_done(out), type, lo, len);
		break;
	case ZC_MSG_SUMMARY:
		if ((r = zc_proto_get_summary(rd, &s)) == 0)
			fuzz_same(out, zc_proto_put_summary(out, &s), type, lo,
			    len);
		break;
	case ZC_MSG_SYNC:
		if ((r = zc_proto_get_sync(rd, &u64)) == 0)
			fuzz_same(out, zc_proto_put_sync(out, u64), type, lo,
			    len);
		break;
	case ZC_MSG_RENAME:
		if ((r = zc_proto_get_rename(rd, &e)) == 0) {
			fuzz_inside(e.path, e.path_len, lo, hi, type);
			fuzz_inside(e.target, e.target_len, lo, hi, type);
			fuzz_same(out, zc_proto_put_rename(out, &e), type, lo,
			    len);
		}
		break;
	case ZC_MSG_LINK:
		if ((r = zc_proto_get_link(rd, &e)) == 0) {
			fuzz_inside(e.path, e.path_len, lo, hi, type);
			fuzz_inside(e.target, e.target_len, lo, hi, type);
			fuzz_same(out, zc_proto_put_link(out, &e), type, lo,
			    len);
		}
		break;
	case ZC_MSG_IDMAP:
		if ((r = zc_proto_get_idmap(rd, &im)) == 0) {
			fuzz_inside(im.name, im.name_len, lo, hi, type);
			fuzz_same(out, zc_proto_put_idmap(out, &im), type, lo,
			    len);
		}
		break;
	default:
		fuzz_fail("get_frame returned an unknown type", type);
		return;
	}
	if (r != 0 && r != -EPROTO)
		fuzz_fail("decoder returned neither 0 nor -EPROTO", type);
	zc_buf_reset(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zc_buf		*in, *out;
	struct zc_frame_hdr	 h;
	struct zc_rd		 rd;
	size_t			 off, n;
	int			 r = -EAGAIN;

	in = zc_buf_new(ZC_PROTO_HDR_LEN + ZC_PROTO_FRAME_MAX);
	out = zc_buf_new(ZC_PROTO_HDR_LEN + ZC_PROTO_FRAME_MAX);
	for (off = 0; off < size; off += n) {
		/*
		 * Read no more than fits, as conn.c does; an incomplete frame
		 * always leaves room for at least one byte.
		 */
		n = size - off < FUZZ_SLICE ? size - off : FUZZ_SLICE;
		if (n > in->max - zc_buf_len(in))
			n = in->max - zc_buf_len(in);
		if (n == 0 || zc_buf_put(in, data + off, n) != 0)
			fuzz_fail("the input buffer is full", 0);
		while ((r = zc_proto_get_frame(in, &h, &rd)) == 0) {
			if (h.len != rd.left)
				fuzz_fail("header and payload lengths differ",
				    h.type);
			/*
			 * Odd-sized inputs decode as a peer that negotiated
			 * the fidelity features (segment maps, link_id,
			 * special types, LINK); even ones as a v1 peer.
			 */
			fuzz_decode(out, h.type, &rd, (size & 1) ?
			    ZC_FEAT_SPARSE | ZC_FEAT_HARDLINK |
			    ZC_FEAT_SPECIAL : 0);
		}
		if (r != -EAGAIN && r != -EPROTO)
			fuzz_fail("get_frame returned neither -EAGAIN nor "
			    "-EPROTO", h.type);
		/* A peer that sent a bad header is dropped. */
		if (r == -EPROTO)
			break;
	}
	zc_buf_free(out);
	zc_buf_free(in);
	return (0);
}
