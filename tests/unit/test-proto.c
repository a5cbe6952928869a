/*
 * test-proto.c: wire format round trips, truncated, oversized and garbage
 * input (OpenSSH "sshbuf_get_u32 truncated").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "xattr.h"

#define BIG	(ZC_PROTO_HDR_LEN + ZC_PROTO_FRAME_MAX)

static const struct zc_meta meta_file = {
	.type = ZC_TYPE_FILE, .mode = 0644, .uid = 1000, .gid = 1001,
	.size = 12345, .mtime_sec = 1700000000, .mtime_nsec = 123456789
};
static const struct zc_meta meta_dir = {
	.type = ZC_TYPE_DIR, .mode = 02755, .uid = 0, .gid = 0, .size = 0,
	.mtime_sec = -5, .mtime_nsec = 999999999
};
static const struct zc_meta meta_link = {
	.type = ZC_TYPE_SYMLINK, .mode = 0777, .uid = 7, .gid = 8, .size = 6,
	.mtime_sec = 1, .mtime_nsec = 0
};

static struct zc_entry
mkentry(uint64_t seq, const struct zc_meta *m, const char *path,
    const char *target)
{
	struct zc_entry	 e;

	memset(&e, 0, sizeof(e));
	e.seq = seq;
	if (m != NULL)
		e.meta = *m;
	e.path = path;
	e.path_len = strlen(path);
	if (target != NULL) {
		e.target = target;
		e.target_len = strlen(target);
	}
	return (e);
}

/* Take exactly one frame off b, which must then be empty. */
static void
one_frame(struct zc_buf *b, uint8_t type, struct zc_rd *rd)
{
	struct zc_frame_hdr	 h;

	assert_int_equal(zc_proto_get_frame(b, &h, rd), 0);
	assert_int_equal(h.type, type);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.reserved, 0);
	assert_int_equal(h.len, rd->left);
	assert_int_equal(zc_buf_len(b), 0);
}

static int
meta_eq(const struct zc_meta *a, const struct zc_meta *b)
{
	return (a->type == b->type && a->mode == b->mode && a->uid == b->uid &&
	    a->gid == b->gid && a->size == b->size &&
	    a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec);
}

/* The features decode() runs with (the samples are encoded without). */
static uint64_t	decode_feat;

/*
 * Decode a payload the way a peer would, by frame type: 0 or the first
 * error.  Checks that what is borrowed lies inside the payload.
 */
static int
decode(uint8_t type, struct zc_rd *rd)
{
	const uint8_t		*lo = rd->p, *hi = rd->p + rd->left;
	struct zc_hello		 h;
	struct zc_status	 st;
	struct zc_push_req	 pr;
	struct zc_entry		 e;
	struct zc_summary	 s;
	struct zc_idmap_msg	 im;
	uint64_t		 u64;
	uint32_t		 u32, i;
	int			 r;

	memset(&e, 0, sizeof(e));	/* feat: none negotiated */
#define INSIDE(p, n) do {						\
	if ((n) != 0) {							\
		assert_true((const uint8_t *)(p) >= lo);		\
		assert_true((const uint8_t *)(p) + (n) <= hi);		\
	}								\
} while (0)

	/* The decoders take the negotiated bits from the caller. */
	memset(&e, 0, sizeof(e));
	e.feat = decode_feat;
	switch (type) {
	case ZC_MSG_HELLO:
		if ((r = zc_proto_get_hello(rd, &h)) == 0)
			INSIDE(h.name, h.name_len);
		return (r);
	case ZC_MSG_ERROR:
	case ZC_MSG_ACK:
		if ((r = zc_proto_get_status(rd, type, &st)) == 0)
			INSIDE(st.msg, st.msg_len);
		return (r);
	case ZC_MSG_PUSH:
	case ZC_MSG_PULL:
		if ((r = zc_proto_get_push(rd, &pr)) == 0)
			INSIDE(pr.set, pr.set_len);
		return (r);
	case ZC_MSG_MANIFEST:
		if ((r = zc_proto_get_manifest_count(rd, &u32)) != 0)
			return (r);
		for (i = 0; i < u32; i++) {
			if ((r = zc_proto_get_manifest_item(rd, &e)) != 0)
				return (r);
			INSIDE(e.path, e.path_len);
			INSIDE(e.target, e.target_len);
		}
		return (zc_proto_get_end(rd));
	case ZC_MSG_MANIFEST_END:
		return (zc_proto_get_manifest_end(rd, &u64));
	case ZC_MSG_DIR:
	case ZC_MSG_FILE:
	case ZC_MSG_SYMLINK:
	case ZC_MSG_META:
	case ZC_MSG_DELETE:
		if ((r = zc_proto_get_entry(rd, type, &e)) == 0) {
			INSIDE(e.path, e.path_len);
			INSIDE(e.target, e.target_len);
			INSIDE(e.segs, (size_t)e.nsegs * ZC_PROTO_SEG_LEN);
		}
		return (r);
	case ZC_MSG_LINK:
		if ((r = zc_proto_get_link(rd, &e)) == 0) {
			INSIDE(e.path, e.path_len);
			INSIDE(e.target, e.target_len);
		}
		return (r);
	case ZC_MSG_FILE_END:
		return (zc_proto_get_file_end(rd, &u64, &u32));
	case ZC_MSG_DONE:
		return (zc_proto_get_end(rd));
	case ZC_MSG_SUMMARY:
		return (zc_proto_get_summary(rd, &s));
	case ZC_MSG_SYNC:
		return (zc_proto_get_sync(rd, &u64));
	case ZC_MSG_RENAME:
		if ((r = zc_proto_get_rename(rd, &e)) == 0) {
			INSIDE(e.path, e.path_len);
			INSIDE(e.target, e.target_len);
		}
		return (r);
	case ZC_MSG_IDMAP:
		if ((r = zc_proto_get_idmap(rd, &im)) == 0)
			INSIDE(im.name, im.name_len);
		return (r);
	}
	fail_msg("unexpected type %u", type);
	return (-1);
#undef INSIDE
}

#define NSAMPLES	16

/*
 * Append sample frame i (one of each message type) to b: 0 or the first
 * error.  A MANIFEST whose add fails is checked to be unchanged by it.
 */
static int
encode_sample(struct zc_buf *b, int i)
{
	struct zc_manifest_frame	 mf;
	struct zc_summary		 s = { 3, 1ULL << 40, 2 };
	struct zc_entry			 e;
	size_t				 before;
	int				 r;

	switch (i) {
	case 0:
		return (zc_proto_put_hello(b, "node-a.1_x", 1, 0));
	case 1:
		return (zc_proto_put_error(b, ZC_E_DENIED, "go away"));
	case 2:
		return (zc_proto_put_push(b, "docs", ZC_PUSH_DELETE));
	case 3:
		if ((r = zc_proto_manifest_begin(b, &mf)) != 0)
			return (r);
		e = mkentry(0, &meta_file, "a/b.txt", NULL);
		before = zc_buf_len(b);
		if ((r = zc_proto_manifest_add(b, &mf, &e)) == 0) {
			e = mkentry(0, &meta_link, "l", "target");
			before = zc_buf_len(b);
			r = zc_proto_manifest_add(b, &mf, &e);
		}
		if (r != 0)
			assert_int_equal(zc_buf_len(b), before);
		zc_proto_manifest_finish(b, &mf);
		return (r);
	case 4:
		return (zc_proto_put_manifest_end(b, 2));
	case 5:
		e = mkentry(1, &meta_dir, "a", NULL);
		return (zc_proto_put_entry(b, ZC_MSG_DIR, &e));
	case 6:
		e = mkentry(2, &meta_file, "a/b.txt", NULL);
		return (zc_proto_put_entry(b, ZC_MSG_FILE, &e));
	case 7:
		return (zc_proto_put_file_end(b, 2, ZC_BODY_COMPLETE));
	case 8:
		e = mkentry(3, &meta_link, "l", "target");
		return (zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e));
	case 9:
		e = mkentry(4, NULL, "old", NULL);
		return (zc_proto_put_entry(b, ZC_MSG_DELETE, &e));
	case 10:
		e = mkentry(5, &meta_dir, "a", NULL);
		return (zc_proto_put_entry(b, ZC_MSG_META, &e));
	case 11:
		return (zc_proto_put_done(b));
	case 12:
		return (zc_proto_put_ack(b, 5, ZC_E_IO, "disk"));
	case 13:
		return (zc_proto_put_summary(b, &s));
	case 14:
		return (zc_proto_put_sync(b, 6));
	case 15:
		e = mkentry(7, NULL, "old", NULL);
		e.target = "new/name";
		e.target_len = 8;
		return (zc_proto_put_rename(b, &e));
	}
	fail();
	return (-1);
}

/* One sample frame of each message type, appended to b. */
static void
put_samples(struct zc_buf *b)
{
	int	 i;

	for (i = 0; i < NSAMPLES; i++)
		assert_int_equal(encode_sample(b, i), 0);
}

static void
test_hello(void **state)
{
	struct zc_buf	*b = zc_buf_new(BIG);
	struct zc_rd	 rd;
	struct zc_hello	 h;
	static const uint8_t want[] = {
		0, 0, 0, 31, ZC_MSG_HELLO, 0, 0, 0,
		0x5a, 0x43, 0x53, 0x31, 0, 1, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 3,
		0x80, 0, 0, 0, 0, 0, 0, 0,
		0, 5, 'n', 'o', 'd', 'e', '1'
	};

	assert_int_equal(zc_proto_put_hello(b, "node1", 3, 1ULL << 63), 0);
	assert_int_equal(zc_buf_len(b), sizeof(want));
	assert_memory_equal(zc_buf_ptr(b), want, sizeof(want));
	one_frame(b, ZC_MSG_HELLO, &rd);
	assert_int_equal(zc_proto_get_hello(&rd, &h), 0);
	assert_int_equal(h.magic, ZC_PROTO_MAGIC);
	assert_int_equal(h.version, ZC_PROTO_VERSION);
	assert_true(h.features == 3);
	assert_true(h.mandatory == 1ULL << 63);
	assert_int_equal(h.name_len, 5);
	assert_memory_equal(h.name, "node1", 5);

	/* Names: length 1..64 of [A-Za-z0-9._-]. */
	assert_int_equal(zc_proto_put_hello(b, "", 0, 0), -EINVAL);
	assert_int_equal(zc_proto_put_hello(b, NULL, 0, 0), -EINVAL);
	assert_int_equal(zc_proto_put_hello(b, "a b", 0, 0), -EINVAL);
	assert_int_equal(zc_proto_put_hello(b, "a/b", 0, 0), -EINVAL);
	assert_int_equal(zc_proto_put_hello(b, "caf\xc3\xa9", 0, 0), -EINVAL);
	assert_int_equal(zc_proto_put_hello(b,
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    0, 0), 0);
	assert_int_equal(zc_proto_put_hello(b,
	    "01234567890123456789012345678901234567890123456789012345678901234",
	    0, 0), -EINVAL);
	one_frame(b, ZC_MSG_HELLO, &rd);
	assert_int_equal(zc_proto_get_hello(&rd, &h), 0);
	assert_int_equal(h.name_len, 64);
	zc_buf_free(b);
}

static void
test_status(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_rd		 rd, save;
	struct zc_status	 st;
	char			 msg[ZC_PROTO_MSG_MAX + 2];

	assert_int_equal(zc_proto_put_error(b, ZC_E_NOSET, "no set x"), 0);
	one_frame(b, ZC_MSG_ERROR, &rd);
	save = rd;
	assert_int_equal(zc_proto_get_status(&rd, ZC_MSG_ERROR, &st), 0);
	assert_int_equal(st.code, ZC_E_NOSET);
	assert_int_equal(st.msg_len, 8);
	assert_memory_equal(st.msg, "no set x", 8);
	/* An ERROR read as an ACK is short or misaligned. */
	assert_int_equal(zc_proto_get_status(&save, ZC_MSG_ACK, &st), -EPROTO);
	assert_int_equal(zc_proto_get_status(&save, ZC_MSG_DONE, &st), -EINVAL);

	assert_int_equal(zc_proto_put_ack(b, 77, ZC_OK, NULL), 0);
	one_frame(b, ZC_MSG_ACK, &rd);
	assert_int_equal(zc_proto_get_status(&rd, ZC_MSG_ACK, &st), 0);
	assert_true(st.seq == 77);
	assert_int_equal(st.code, ZC_OK);
	assert_int_equal(st.msg_len, 0);

	memset(msg, 'm', sizeof(msg));
	msg[ZC_PROTO_MSG_MAX] = '\0';
	assert_int_equal(zc_proto_put_ack(b, 1, ZC_E_IO, msg), 0);
	one_frame(b, ZC_MSG_ACK, &rd);
	assert_int_equal(zc_proto_get_status(&rd, ZC_MSG_ACK, &st), 0);
	assert_int_equal(st.msg_len, ZC_PROTO_MSG_MAX);
	msg[ZC_PROTO_MSG_MAX] = 'm';
	msg[ZC_PROTO_MSG_MAX + 1] = '\0';
	assert_int_equal(zc_proto_put_ack(b, 1, ZC_E_IO, msg), -EINVAL);
	assert_int_equal(zc_proto_put_error(b, ZC_E_IO, msg), -EINVAL);
	assert_int_equal(zc_proto_put_error(b, ZC_CODE_LAST + 1, ""), -EINVAL);
	assert_int_equal(zc_proto_put_ack(b, 1, ZC_CODE_LAST + 1, ""), -EINVAL);
	assert_int_equal(zc_proto_put_ack(b, 0, ZC_OK, ""), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	zc_buf_free(b);
}

static void
test_push(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_rd		 rd;
	struct zc_push_req	 pr;

	assert_int_equal(zc_proto_put_push(b, "photos",
	    ZC_PUSH_DELETE | ZC_PUSH_DRY_RUN), 0);
	one_frame(b, ZC_MSG_PUSH, &rd);
	assert_int_equal(zc_proto_get_push(&rd, &pr), 0);
	assert_int_equal(pr.flags, ZC_PUSH_DELETE | ZC_PUSH_DRY_RUN);
	assert_int_equal(pr.set_len, 6);
	assert_memory_equal(pr.set, "photos", 6);
	assert_int_equal(zc_proto_put_push(b, "photos",
	    ZC_PUSH_FLAGS_KNOWN + 1), -EINVAL);
	assert_int_equal(zc_proto_put_push(b, "../x", 0), -EINVAL);
	assert_int_equal(zc_proto_put_push(b, "", 0), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	zc_buf_free(b);
}

static void
test_entries(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_rd		 rd;
	struct zc_entry		 e, d;
	static char		 longp[ZC_PROTO_PATH_MAX + 2];
	uint64_t		 seq;
	uint32_t		 status;

	memset(&d, 0, sizeof(d));	/* feat: none negotiated */
	e = mkentry(1, &meta_dir, "a", NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DIR, &e), 0);
	assert_int_equal(zc_buf_len(b), 8 + 8 + 33 + 2 + 1);
	one_frame(b, ZC_MSG_DIR, &rd);
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_DIR, &d), 0);
	assert_true(d.seq == 1);
	assert_true(meta_eq(&d.meta, &meta_dir));
	assert_int_equal(d.path_len, 1);
	assert_memory_equal(d.path, "a", 1);
	assert_null(d.target);

	e = mkentry(2, &meta_file, "a/b c.txt", NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), 0);
	one_frame(b, ZC_MSG_FILE, &rd);
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_FILE, &d), 0);
	assert_true(meta_eq(&d.meta, &meta_file));
	assert_memory_equal(d.path, "a/b c.txt", 9);

	assert_int_equal(zc_proto_put_file_end(b, 2, ZC_BODY_ABORTED), 0);
	one_frame(b, ZC_MSG_FILE_END, &rd);
	assert_int_equal(zc_proto_get_file_end(&rd, &seq, &status), 0);
	assert_true(seq == 2);
	assert_int_equal(status, ZC_BODY_ABORTED);

	e = mkentry(3, &meta_link, "l", "../tgt");
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e), 0);
	one_frame(b, ZC_MSG_SYMLINK, &rd);
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_SYMLINK, &d), 0);
	assert_true(meta_eq(&d.meta, &meta_link));
	assert_int_equal(d.target_len, 6);
	assert_memory_equal(d.target, "../tgt", 6);

	e = mkentry(4, &meta_link, "l", NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), 0);
	one_frame(b, ZC_MSG_META, &rd);
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_META, &d), 0);
	assert_true(meta_eq(&d.meta, &meta_link));
	assert_null(d.target);

	e = mkentry(5, &meta_file, "gone/x", NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DELETE, &e), 0);
	assert_int_equal(zc_buf_len(b), 8 + 8 + 2 + 6);
	one_frame(b, ZC_MSG_DELETE, &rd);
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_DELETE, &d), 0);
	assert_true(d.seq == 5);
	assert_int_equal(d.meta.type, 0);
	assert_memory_equal(d.path, "gone/x", 6);

	/* Path at and over its limit. */
	memset(longp, 'p', sizeof(longp) - 1);
	longp[ZC_PROTO_PATH_MAX] = '\0';
	e = mkentry(6, &meta_file, longp, NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), 0);
	one_frame(b, ZC_MSG_FILE, &rd);
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_FILE, &d), 0);
	assert_int_equal(d.path_len, ZC_PROTO_PATH_MAX);
	e.path_len++;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DELETE, &e), -EINVAL);
	e = mkentry(6, &meta_link, "l", longp);
	e.meta.size = e.target_len;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e), 0);
	one_frame(b, ZC_MSG_SYMLINK, &rd);
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_SYMLINK, &d), 0);
	assert_int_equal(d.target_len, ZC_PROTO_TARGET_MAX);
	e.target_len++;
	e.meta.size++;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	zc_buf_free(b);
}

/*
 * SPARSE: a FILE payload (meta_file, size 12345) with the given map
 * appended; decode it with and without the feature.
 */
static int
sparse_decode(uint32_t nsegs, const uint64_t *pairs, size_t npairs,
    uint64_t feat, struct zc_entry *d)
{
	struct zc_buf	*b = zc_buf_new(BIG);
	struct zc_entry	 e;
	struct zc_rd	 rd;
	static uint8_t	 pl[BIG];
	size_t		 n, i;
	uint8_t		*p;
	int		 r;

	e = mkentry(9, &meta_file, "sp", NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), 0);
	one_frame(b, ZC_MSG_FILE, &rd);
	memcpy(pl, rd.p, rd.left);
	n = rd.left;
	p = pl + n;
	*p++ = nsegs >> 24;
	*p++ = nsegs >> 16;
	*p++ = nsegs >> 8;
	*p++ = nsegs;
	n += 4;
	for (i = 0; i < npairs; i++) {
		zc_proto_seg_set(pl + n, 0, pairs[2 * i], pairs[2 * i + 1]);
		n += ZC_PROTO_SEG_LEN;
	}
	zc_rd_init(&rd, pl, n);
	memset(d, 0, sizeof(*d));
	d->feat = feat;
	r = zc_proto_get_entry(&rd, ZC_MSG_FILE, d);
	zc_buf_free(b);
	return (r);
}

static void
test_sparse(void **state)
{
	struct zc_buf	*b = zc_buf_new(BIG);
	struct zc_entry	 e, d;
	struct zc_rd	 rd;
	uint8_t		 segs[3 * ZC_PROTO_SEG_LEN];
	uint64_t	 off, len;
	static const uint64_t good[] = { 0, 100, 4096, 8192, 12300, 45 };
	static const uint64_t overlap[] = { 0, 100, 50, 10 };
	static const uint64_t touch[] = { 0, 100, 100, 10 };
	static const uint64_t unsorted[] = { 4096, 10, 0, 10 };
	static const uint64_t empty[] = { 0, 0 };
	static const uint64_t past[] = { 12000, 346 };
	static const uint64_t wrap[] = { 100, UINT64_MAX - 50 };
	static const uint64_t far[] = { UINT64_MAX, 1 };

	/* Round trip: the map after the path, body = sum of lengths. */
	zc_proto_seg_set(segs, 0, 0, 100);
	zc_proto_seg_set(segs, 1, 4096, 8192);
	zc_proto_seg_set(segs, 2, 12300, 45);
	e = mkentry(1, &meta_file, "a/sparse", NULL);
	e.feat = ZC_FEAT_SPARSE;
	e.segs = segs;
	e.nsegs = 3;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), 0);
	assert_int_equal(zc_buf_len(b), 8 + 8 + 33 + 2 + 8 + 4 + 3 * 16);
	one_frame(b, ZC_MSG_FILE, &rd);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_SPARSE;
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_FILE, &d), 0);
	assert_int_equal(d.nsegs, 3);
	assert_true(d.feat == ZC_FEAT_SPARSE);
	zc_proto_seg_get(d.segs, 1, &off, &len);
	assert_true(off == 4096 && len == 8192);
	assert_true(zc_proto_body_len(&d) == 100 + 8192 + 45);
	d.feat = 0;
	assert_true(zc_proto_body_len(&d) == meta_file.size);

	/* An empty file: no segments. */
	e.nsegs = 0;
	e.segs = NULL;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), 0);
	one_frame(b, ZC_MSG_FILE, &rd);
	d.feat = ZC_FEAT_SPARSE;
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_FILE, &d), 0);
	assert_int_equal(d.nsegs, 0);
	assert_true(zc_proto_body_len(&d) == 0);

	/* The encoder refuses a bad map and writes nothing. */
	zc_proto_seg_set(segs, 0, 0, 100);
	zc_proto_seg_set(segs, 1, 50, 10);
	e.segs = segs;
	e.nsegs = 2;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	zc_proto_seg_set(segs, 1, 12345, 1);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	e.nsegs = zc_proto_segs_max(e.path_len) + 1;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	assert_true(zc_proto_segs_max(1) ==
	    (ZC_PROTO_FRAME_MAX - (8 + 33 + 2 + 1 + 4)) / 16);

	/* Decoder: a good map, then every way to break one. */
	assert_int_equal(sparse_decode(3, good, 3, ZC_FEAT_SPARSE, &d), 0);
	assert_int_equal(d.nsegs, 3);
	/* Without the feature the map is trailing bytes. */
	assert_int_equal(sparse_decode(3, good, 3, 0, &d), -EPROTO);
	assert_true(d.feat == 0);
	/* nsegs larger than what follows, truncated, trailing. */
	assert_int_equal(sparse_decode(4, good, 3, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(0xffffffffU, good, 3, ZC_FEAT_SPARSE,
	    &d), -EPROTO);
	assert_int_equal(sparse_decode(2, good, 3, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(0, NULL, 0, ZC_FEAT_SPARSE,
	    &d), 0);
	assert_int_equal(sparse_decode(2, overlap, 2, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(2, touch, 2, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(2, unsorted, 2, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(1, empty, 1, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(1, past, 1, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(1, wrap, 1, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	assert_int_equal(sparse_decode(1, far, 1, ZC_FEAT_SPARSE, &d),
	    -EPROTO);
	/* Only FILE carries a map. */
	e = mkentry(2, &meta_dir, "d", NULL);
	e.feat = ZC_FEAT_SPARSE;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DIR, &e), 0);
	assert_int_equal(zc_buf_len(b), 8 + 8 + 33 + 2 + 1);
	zc_buf_free(b);
}

/* HARDLINK: LINK round trip, manifest link_id, and what needs the bit. */
static void
test_hardlink(void **state)
{
	struct zc_buf			*b = zc_buf_new(BIG);
	struct zc_manifest_frame	 mf;
	struct zc_entry			 e, d;
	struct zc_rd			 rd;
	uint32_t			 count;

	e = mkentry(7, &meta_file, "b/second", "a/first");
	e.feat = ZC_FEAT_HARDLINK;
	assert_int_equal(zc_proto_put_link(b, &e), 0);
	assert_int_equal(zc_buf_len(b), 8 + 8 + 33 + 2 + 8 + 2 + 7);
	one_frame(b, ZC_MSG_LINK, &rd);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_HARDLINK;
	assert_int_equal(zc_proto_get_link(&rd, &d), 0);
	assert_true(d.seq == 7);
	assert_true(meta_eq(&d.meta, &meta_file));
	assert_memory_equal(d.path, "b/second", 8);
	assert_int_equal(d.target_len, 7);
	assert_memory_equal(d.target, "a/first", 7);

	/* Not negotiated: the encoder refuses, the decoder too. */
	assert_int_equal(zc_proto_put_link(b, &e), 0);
	one_frame(b, ZC_MSG_LINK, &rd);
	d.feat = 0;
	assert_int_equal(zc_proto_get_link(&rd, &d), -EPROTO);
	e.feat = 0;
	assert_int_equal(zc_proto_put_link(b, &e), -EINVAL);
	/* Only a file; a target is required. */
	e.feat = ZC_FEAT_HARDLINK;
	e.meta = meta_dir;
	assert_int_equal(zc_proto_put_link(b, &e), -EINVAL);
	e = mkentry(8, &meta_file, "x", NULL);
	e.feat = ZC_FEAT_HARDLINK;
	assert_int_equal(zc_proto_put_link(b, &e), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);

	/* Manifest items carry link_id after the target. */
	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	e = mkentry(0, &meta_file, "f", NULL);
	e.feat = ZC_FEAT_HARDLINK;
	e.link_id = 0x1122334455667788ULL;
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), 0);
	e = mkentry(0, &meta_dir, "d", NULL);
	e.feat = ZC_FEAT_HARDLINK;
	e.link_id = 5;
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), -EINVAL);
	zc_proto_manifest_finish(b, &mf);
	one_frame(b, ZC_MSG_MANIFEST, &rd);
	assert_int_equal(rd.left, 4 + 33 + 2 + 1 + 2 + 8);
	assert_int_equal(zc_proto_get_manifest_count(&rd, &count), 0);
	assert_int_equal(count, 1);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_HARDLINK;
	assert_int_equal(zc_proto_get_manifest_item(&rd, &d), 0);
	assert_true(d.link_id == 0x1122334455667788ULL);
	assert_int_equal(zc_proto_get_end(&rd), 0);
	zc_buf_free(b);
}

/* SPECIAL: types 4..7 in META frames and manifest items, only with it. */
/*
 * RENAME and LINK share a decoder: each round trips, and each refuses every
 * truncation, a trailing byte and sequence number 0, leaving the reader as
 * it was.  LINK keeps the caller's e->feat; RENAME clears it.
 */
static void
test_rename_link(void **state)
{
	static const struct {
		uint8_t		 type;
		uint64_t	 kept;		/* e->feat after, from HARDLINK */
	} rows[] = {
		{ ZC_MSG_RENAME, 0 },
		{ ZC_MSG_LINK, ZC_FEAT_HARDLINK },
	};
	struct zc_buf	*b = zc_buf_new(BIG);
	struct zc_entry	 e, d;
	struct zc_rd	 rd, before;
	uint8_t		 pl[256];
	size_t		 i, n, k;
	int		 link;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		link = rows[i].type == ZC_MSG_LINK;
		e = mkentry(9, &meta_file, "old/name", "new");
		e.feat = ZC_FEAT_HARDLINK;
		assert_int_equal(link ? zc_proto_put_link(b, &e) :
		    zc_proto_put_rename(b, &e), 0);
		one_frame(b, rows[i].type, &rd);
		n = rd.left;
		assert_true(n < sizeof(pl));
		memcpy(pl, rd.p, n);
		pl[n] = 0;

		memset(&d, 0, sizeof(d));
		d.feat = ZC_FEAT_HARDLINK;
		zc_rd_init(&rd, pl, n);
		assert_int_equal(link ? zc_proto_get_link(&rd, &d) :
		    zc_proto_get_rename(&rd, &d), 0);
		assert_int_equal(rd.left, 0);
		assert_true(d.seq == 9);
		assert_int_equal(d.path_len, 8);
		assert_memory_equal(d.path, "old/name", 8);
		assert_int_equal(d.target_len, 3);
		assert_memory_equal(d.target, "new", 3);
		assert_true(d.feat == rows[i].kept);
		if (link)
			assert_true(meta_eq(&d.meta, &meta_file));

		/*
		 * Every truncation (k < n), one byte more (k = n + 1), then
		 * the whole message with sequence number 0 (k = n + 2).
		 */
		for (k = 0; k <= n + 2; k++) {
			if (k == n)
				continue;
			if (k == n + 2)
				memset(pl, 0, 8);
			zc_rd_init(&rd, pl, k == n + 2 ? n : k);
			before = rd;
			d.feat = ZC_FEAT_HARDLINK;
			assert_int_equal(link ? zc_proto_get_link(&rd, &d) :
			    zc_proto_get_rename(&rd, &d), -EPROTO);
			assert_true(rd.p == before.p && rd.left == before.left);
			assert_true(d.seq == 0 && d.path == NULL &&
			    d.target == NULL && d.feat == rows[i].kept);
		}
	}
	zc_buf_free(b);
}

static void
test_special(void **state)
{
	struct zc_buf			*b = zc_buf_new(BIG);
	struct zc_manifest_frame	 mf;
	struct zc_entry			 e, d;
	struct zc_rd			 rd;
	struct zc_meta			 chr = meta_file;
	uint32_t			 count;

	chr.type = ZC_TYPE_CHR;
	chr.size = (uint64_t)1 << 32 | 3;
	e = mkentry(3, &chr, "dev/null", NULL);
	e.feat = ZC_FEAT_SPECIAL;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), 0);
	one_frame(b, ZC_MSG_META, &rd);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_SPECIAL;
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_META, &d), 0);
	assert_true(meta_eq(&d.meta, &chr));

	/* Without the feature: refused both ways. */
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), 0);
	one_frame(b, ZC_MSG_META, &rd);
	d.feat = 0;
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_META, &d), -EPROTO);
	e.feat = 0;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), -EINVAL);
	/* A fifo or socket has no size; FILE frames are files; no type 8. */
	e.feat = ZC_FEAT_SPECIAL;
	e.meta.type = ZC_TYPE_FIFO;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), -EINVAL);
	e.meta.size = 0;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	e.meta.type = ZC_TYPE_BLK + 1;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);

	/* Manifest items. */
	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	e = mkentry(0, &chr, "dev/null", NULL);
	e.feat = ZC_FEAT_SPECIAL;
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), 0);
	zc_proto_manifest_finish(b, &mf);
	one_frame(b, ZC_MSG_MANIFEST, &rd);
	assert_int_equal(zc_proto_get_manifest_count(&rd, &count), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(zc_proto_get_manifest_item(&rd, &d), -EPROTO);
	d.feat = ZC_FEAT_SPECIAL;
	assert_int_equal(zc_proto_get_manifest_item(&rd, &d), 0);
	assert_int_equal(d.meta.type, ZC_TYPE_CHR);
	zc_buf_free(b);
}

/* Encoders refuse fields out of range, and write nothing. */
static void
test_entry_einval(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_entry		 e;

	e = mkentry(1, &meta_file, "f", NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DIR, &e), -EINVAL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e), -EINVAL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_HELLO, &e), -EINVAL);
	assert_int_equal(zc_proto_put_entry(b, 0, &e), -EINVAL);
	assert_int_equal(zc_proto_put_entry(b, 200, &e), -EINVAL);
	e.seq = 0;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	e = mkentry(1, &meta_file, "", NULL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DELETE, &e), -EINVAL);
	e = mkentry(1, &meta_file, "f", NULL);
	e.meta.mode = 010000;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	e.meta.mode = 0644;
	e.meta.mtime_nsec = 1000000000;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), -EINVAL);
	e.meta.mtime_nsec = 0;
	e.meta.type = 0;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), -EINVAL);
	e.meta.type = 4;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), -EINVAL);
	e = mkentry(1, &meta_dir, "d", NULL);
	e.meta.size = 1;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DIR, &e), -EINVAL);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_META, &e), -EINVAL);
	e = mkentry(1, &meta_link, "l", "targe");	/* size 6 != 5 */
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e), -EINVAL);
	e = mkentry(1, &meta_link, "l", NULL);
	e.meta.size = 0;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e), -EINVAL);
	assert_int_equal(zc_proto_put_file_end(b, 1, 2), -EINVAL);
	assert_int_equal(zc_proto_put_file_end(b, 0, 0), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	zc_buf_free(b);
}

static void
test_small(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_rd		 rd;
	struct zc_summary	 s = { 1ULL << 50, UINT64_MAX, UINT32_MAX }, t;
	uint64_t		 n;
	static const uint8_t	 done[] = { 0, 0, 0, 0, ZC_MSG_DONE, 0, 0, 0 };

	assert_int_equal(zc_proto_put_done(b), 0);
	assert_memory_equal(zc_buf_ptr(b), done, sizeof(done));
	one_frame(b, ZC_MSG_DONE, &rd);
	assert_int_equal(zc_proto_get_end(&rd), 0);

	assert_int_equal(zc_proto_put_summary(b, &s), 0);
	one_frame(b, ZC_MSG_SUMMARY, &rd);
	assert_int_equal(zc_proto_get_summary(&rd, &t), 0);
	assert_true(t.entries == s.entries && t.bytes == s.bytes &&
	    t.failures == s.failures);

	assert_int_equal(zc_proto_put_manifest_end(b, UINT64_MAX), 0);
	one_frame(b, ZC_MSG_MANIFEST_END, &rd);
	assert_int_equal(zc_proto_get_manifest_end(&rd, &n), 0);
	assert_true(n == UINT64_MAX);
	zc_buf_free(b);
}

static void
test_code_str(void **state)
{
	uint32_t	 c;

	assert_string_equal(zc_proto_code_str(ZC_OK), "ok");
	assert_string_equal(zc_proto_code_str(ZC_E_PROTOCOL),
	    "protocol error");
	for (c = 0; c <= ZC_CODE_LAST; c++)
		assert_string_not_equal(zc_proto_code_str(c), "unknown code");
	assert_string_equal(zc_proto_code_str(ZC_CODE_LAST + 1),
	    "unknown code");
	assert_string_equal(zc_proto_code_str(UINT32_MAX), "unknown code");
}

/*
 * FILE_END with VERIFY: seq, status, then 16 bytes of XXH3-128; without
 * VERIFY the 12-byte layout.  Each decoder refuses the other's length,
 * and every truncation or trailing byte.
 */
static void
test_file_end_verify(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_rd		 rd, cut;
	struct zc_push_req	 pr;
	static const uint8_t	 want[] = {
	    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02,	/* seq */
	    0x00, 0x00, 0x00, 0x00,				/* status */
	    0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,	/* hash */
	    0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f };
	uint8_t			 hash[16], got[16], frame[64];
	uint64_t		 seq;
	uint32_t		 status;
	size_t			 n;

	memcpy(hash, want + 12, 16);
	assert_int_equal(zc_proto_put_file_end_verify(b, 0x102,
	    ZC_BODY_COMPLETE, hash), 0);
	one_frame(b, ZC_MSG_FILE_END, &rd);
	assert_int_equal(rd.left, 28);
	assert_memory_equal(rd.p, want, sizeof want);
	cut = rd;
	assert_int_equal(zc_proto_get_file_end_verify(&cut, &seq, &status,
	    got), 0);
	assert_true(seq == 0x102);
	assert_int_equal(status, ZC_BODY_COMPLETE);
	assert_memory_equal(got, hash, 16);
	assert_int_equal(cut.left, 0);
	/* Without VERIFY, 28 bytes are trailing garbage. */
	cut = rd;
	assert_int_equal(zc_proto_get_file_end(&cut, &seq, &status), -EPROTO);
	assert_int_equal(cut.left, 28);
	/* Every truncation, and one byte too many. */
	memcpy(frame, want, sizeof want);
	frame[sizeof want] = 0;
	for (n = 0; n <= sizeof want + 1; n++) {
		if (n == sizeof want)
			continue;
		cut.p = frame;
		cut.left = n;
		assert_int_equal(zc_proto_get_file_end_verify(&cut, &seq,
		    &status, got), -EPROTO);
		assert_int_equal(cut.left, n);
		assert_true(seq == 0);
	}
	/* The 12-byte layout is refused in a VERIFY session. */
	assert_int_equal(zc_proto_put_file_end(b, 7, ZC_BODY_ABORTED), 0);
	one_frame(b, ZC_MSG_FILE_END, &rd);
	assert_int_equal(rd.left, 12);
	cut = rd;
	assert_int_equal(zc_proto_get_file_end_verify(&cut, &seq, &status,
	    got), -EPROTO);
	assert_int_equal(zc_proto_get_file_end(&rd, &seq, &status), 0);
	/* Aborted is allowed (its hash means nothing); seq 0, status 2 not. */
	assert_int_equal(zc_proto_put_file_end_verify(b, 3, ZC_BODY_ABORTED,
	    hash), 0);
	one_frame(b, ZC_MSG_FILE_END, &rd);
	assert_int_equal(zc_proto_get_file_end_verify(&rd, &seq, &status,
	    got), 0);
	assert_int_equal(status, ZC_BODY_ABORTED);
	assert_int_equal(zc_proto_put_file_end_verify(b, 0, 0, hash), -EINVAL);
	assert_int_equal(zc_proto_put_file_end_verify(b, 1, 2, hash), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	frame[11] = 2;		/* status 2 */
	cut.p = frame;
	cut.left = sizeof want;
	assert_int_equal(zc_proto_get_file_end_verify(&cut, &seq, &status,
	    got), -EPROTO);
	memset(frame, 0, 8);	/* seq 0 */
	frame[11] = 0;
	cut.p = frame;
	cut.left = sizeof want;
	assert_int_equal(zc_proto_get_file_end_verify(&cut, &seq, &status,
	    got), -EPROTO);
	/* The PUSH and PULL flag, and its code. */
	assert_int_equal(zc_proto_put_pull(b, "s", ZC_PUSH_VERIFY), 0);
	one_frame(b, ZC_MSG_PULL, &rd);
	assert_int_equal(zc_proto_get_push(&rd, &pr), 0);
	assert_int_equal(pr.flags, ZC_PUSH_VERIFY);
	assert_int_equal(ZC_PUSH_FLAGS_KNOWN & ZC_PUSH_VERIFY, ZC_PUSH_VERIFY);
	assert_string_equal(zc_proto_code_str(ZC_E_VERIFY),
	    "verification failed");
	assert_true((zc_proto_features() & ZC_FEAT_VERIFY) != 0);
	zc_buf_free(b);
}

/* Items are read back in order, and a full frame says -ENOSPC. */
static void
test_manifest(void **state)
{
	struct zc_buf			*b = zc_buf_new(8 * BIG);
	struct zc_manifest_frame	 mf;
	struct zc_frame_hdr		 h;
	struct zc_rd			 rd;
	struct zc_entry			 e, d;
	char				 path[64];
	uint32_t			 count, i, total, frames, added;
	int				 r;

	memset(&d, 0, sizeof(d));	/* feat: none negotiated */
	/* An empty frame is taken back. */
	assert_int_equal(zc_proto_put_done(b), 0);
	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	zc_proto_manifest_finish(b, &mf);
	assert_int_equal(zc_buf_len(b), ZC_PROTO_HDR_LEN);
	zc_buf_reset(b);
	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	zc_proto_manifest_finish(b, &mf);
	assert_int_equal(zc_buf_len(b), 0);

	/* Items other than symlinks carry no target. */
	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	e = mkentry(0, &meta_file, "f", "x");
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), -EINVAL);
	e = mkentry(0, &meta_link, "l", "x");
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), -EINVAL);
	e = mkentry(0, &meta_file, "", NULL);
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), -EINVAL);
	assert_int_equal(zc_buf_len(b), ZC_PROTO_HDR_LEN + 4);
	zc_proto_manifest_finish(b, &mf);
	assert_int_equal(zc_buf_len(b), 0);

	/* Fill frames until 20000 items are in. */
	added = frames = 0;
	while (added < 20000) {
		assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
		for (;;) {
			snprintf(path, sizeof(path), "dir/file-%08u", added);
			e = mkentry(0, &meta_file, path, NULL);
			e.meta.size = added;
			if (added == 20000)
				break;
			r = zc_proto_manifest_add(b, &mf, &e);
			if (r == -ENOSPC)
				break;
			assert_int_equal(r, 0);
			added++;
		}
		zc_proto_manifest_finish(b, &mf);
		frames++;
	}
	assert_true(frames >= 2);

	total = 0;
	for (;;) {
		r = zc_proto_get_frame(b, &h, &rd);
		if (r == -EAGAIN)
			break;
		assert_int_equal(r, 0);
		assert_int_equal(h.type, ZC_MSG_MANIFEST);
		assert_true(h.len <= ZC_PROTO_FRAME_MAX);
		assert_int_equal(zc_proto_get_manifest_count(&rd, &count), 0);
		for (i = 0; i < count; i++) {
			assert_int_equal(zc_proto_get_manifest_item(&rd, &d),
			    0);
			snprintf(path, sizeof(path), "dir/file-%08u", total);
			assert_int_equal(d.path_len, strlen(path));
			assert_memory_equal(d.path, path, d.path_len);
			assert_true(d.meta.size == total);
			assert_int_equal(d.seq, 0);
			total++;
		}
		assert_int_equal(zc_proto_get_end(&rd), 0);
	}
	assert_int_equal(total, 20000);
	assert_int_equal(zc_buf_len(b), 0);
	zc_buf_free(b);
}

/*
 * The frame under construction survives the bytes before it being
 * consumed and the buffer compacting under it.
 */
static void
test_manifest_compaction(void **state)
{
	struct zc_buf			*b = zc_buf_new(512);
	struct zc_manifest_frame	 mf;
	struct zc_frame_hdr		 h;
	struct zc_rd			 rd;
	struct zc_entry			 e, d;
	uint32_t			 count;
	uint8_t				 pad[300];
	int				 i;

	memset(&d, 0, sizeof(d));	/* feat: none negotiated */
	memset(pad, 0, sizeof(pad));
	assert_int_equal(zc_buf_put(b, pad, sizeof(pad)), 0);
	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	e = mkentry(0, &meta_file, "some/longer/path/name", NULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(zc_proto_manifest_add(b, &mf, &e), 0);
	/* A full out buffer is -ENOBUFS and leaves the frame alone. */
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), -ENOBUFS);
	zc_buf_consume(b, sizeof(pad));
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), 0);
	assert_int_equal(b->off, 0);
	zc_proto_manifest_finish(b, &mf);

	assert_int_equal(zc_proto_get_frame(b, &h, &rd), 0);
	assert_int_equal(h.type, ZC_MSG_MANIFEST);
	assert_int_equal(zc_proto_get_manifest_count(&rd, &count), 0);
	assert_int_equal(count, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(zc_proto_get_manifest_item(&rd, &d), 0);
		assert_memory_equal(d.path, "some/longer/path/name", 21);
	}
	assert_int_equal(zc_proto_get_end(&rd), 0);
	zc_buf_free(b);
}

/*
 * Encoders on a buffer one byte or more short of room fail with -ENOBUFS
 * and leave what was there before.
 */
static void
test_enobufs_unchanged(void **state)
{
	struct zc_buf	*b;
	size_t		 max, want;
	int		 i, r;

	for (i = 0; i < NSAMPLES; i++) {
		b = zc_buf_new(BIG);
		assert_int_equal(encode_sample(b, i), 0);
		want = zc_buf_len(b);
		zc_buf_free(b);

		for (max = 0; max < want; max++) {
			b = zc_buf_new(3 + max);
			assert_int_equal(zc_buf_put(b, "abc", 3), 0);
			r = encode_sample(b, i);
			assert_int_equal(r, -ENOBUFS);
			if (i != 3 || zc_buf_len(b) == 3)
				assert_int_equal(zc_buf_len(b), 3);
			assert_memory_equal(zc_buf_ptr(b), "abc", 3);
			zc_buf_free(b);
		}
	}
}

/*
 * Every proper prefix of every sample frame is -EAGAIN with the buffer
 * untouched; every proper prefix of its payload, framed as a whole frame,
 * is -EPROTO from the decoder; so is the payload with a trailing byte.
 */
static void
test_truncated(void **state)
{
	struct zc_buf		*all = zc_buf_new(BIG), *b;
	struct zc_frame_hdr	 h;
	struct zc_rd		 rd;
	const uint8_t		*f;
	size_t			 flen, k;
	uint8_t			 type, hdr[ZC_PROTO_HDR_LEN];
	int			 n = 0;

	put_samples(all);
	b = zc_buf_new(BIG + 1);
	while (zc_buf_len(all) != 0) {
		f = zc_buf_ptr(all);
		flen = ZC_PROTO_HDR_LEN + ((size_t)f[0] << 24 |
		    (size_t)f[1] << 16 | (size_t)f[2] << 8 | f[3]);
		type = f[4];

		for (k = 0; k < flen; k++) {
			zc_buf_reset(b);
			assert_int_equal(zc_buf_put(b, f, k), 0);
			assert_int_equal(zc_proto_get_frame(b, &h, &rd),
			    -EAGAIN);
			assert_int_equal(zc_buf_len(b), k);
			assert_memory_equal(zc_buf_ptr(b), f, k);
		}

		for (k = 0; k <= flen - ZC_PROTO_HDR_LEN; k++) {
			memcpy(hdr, f, sizeof(hdr));
			hdr[0] = k >> 24;
			hdr[1] = k >> 16;
			hdr[2] = k >> 8;
			hdr[3] = k;
			zc_buf_reset(b);
			assert_int_equal(zc_buf_put(b, hdr, sizeof(hdr)), 0);
			assert_int_equal(zc_buf_put(b, f + ZC_PROTO_HDR_LEN,
			    k), 0);
			assert_int_equal(zc_proto_get_frame(b, &h, &rd), 0);
			assert_int_equal(h.len, k);
			if (k == flen - ZC_PROTO_HDR_LEN)
				assert_int_equal(decode(type, &rd), 0);
			else
				assert_int_equal(decode(type, &rd), -EPROTO);
		}

		/* Trailing garbage. */
		k = flen - ZC_PROTO_HDR_LEN + 1;
		memcpy(hdr, f, sizeof(hdr));
		hdr[0] = k >> 24;
		hdr[1] = k >> 16;
		hdr[2] = k >> 8;
		hdr[3] = k;
		zc_buf_reset(b);
		assert_int_equal(zc_buf_put(b, hdr, sizeof(hdr)), 0);
		assert_int_equal(zc_buf_put(b, f + ZC_PROTO_HDR_LEN, k - 1),
		    0);
		assert_int_equal(zc_buf_put_u8(b, 0), 0);
		assert_int_equal(zc_proto_get_frame(b, &h, &rd), 0);
		assert_int_equal(decode(type, &rd), -EPROTO);

		zc_buf_consume(all, flen);
		n++;
	}
	assert_int_equal(n, NSAMPLES);
	zc_buf_free(b);
	zc_buf_free(all);
}

/* Bad headers are refused from the header alone, before the payload. */
static void
test_bad_header(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_frame_hdr	 h;
	struct zc_rd		 rd;
	static const uint8_t	 over[] = { 0, 4, 0, 1, 12, 0, 0, 0 };
	static const uint8_t	 huge[] = { 255, 255, 255, 255, 1, 0, 0, 0 };
	static const uint8_t	 atmax[] = { 0, 4, 0, 0, 1, 0, 0, 0 };
	static const uint8_t	 flags[] = { 0, 0, 0, 0, 12, 1, 0, 0 };
	static const uint8_t	 resv[] = { 0, 0, 0, 0, 12, 0, 0, 1 };
	static const uint8_t	 zero[] = { 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t	 next[] = { 0, 0, 0, 0, ZC_MSG_LAST + 1, 0, 0, 0 };
	static const uint8_t	 ff[] = { 0, 0, 0, 0, 255, 0, 0, 0 };
	const uint8_t		*bad[] = { over, huge, flags, resv, zero, next,
	    ff };
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		zc_buf_reset(b);
		assert_int_equal(zc_buf_put(b, bad[i], 8), 0);
		assert_int_equal(zc_proto_get_frame(b, &h, &rd), -EPROTO);
		assert_int_equal(h.len, 0);
		assert_int_equal(h.type, 0);
		assert_int_equal(rd.left, 0);
		assert_int_equal(zc_buf_len(b), 8);
	}
	/* Exactly at the maximum the header is fine: wait for the payload. */
	zc_buf_reset(b);
	assert_int_equal(zc_buf_put(b, atmax, 8), 0);
	assert_int_equal(zc_proto_get_frame(b, &h, &rd), -EAGAIN);
	zc_buf_free(b);
}

static void
put_frame(struct zc_buf *b, uint8_t type, const struct zc_buf *payload)
{
	assert_int_equal(zc_buf_put_u32(b, zc_buf_len(payload)), 0);
	assert_int_equal(zc_buf_put_u8(b, type), 0);
	assert_int_equal(zc_buf_put_u8(b, 0), 0);
	assert_int_equal(zc_buf_put_u16(b, 0), 0);
	assert_int_equal(zc_buf_put(b, zc_buf_ptr(payload),
	    zc_buf_len(payload)), 0);
}

static void
put_meta(struct zc_buf *p, uint8_t type, uint32_t mode, uint64_t size,
    uint32_t nsec)
{
	assert_int_equal(zc_buf_put_u8(p, type), 0);
	assert_int_equal(zc_buf_put_u32(p, mode), 0);
	assert_int_equal(zc_buf_put_u32(p, 0), 0);
	assert_int_equal(zc_buf_put_u32(p, 0), 0);
	assert_int_equal(zc_buf_put_u64(p, size), 0);
	assert_int_equal(zc_buf_put_u64(p, 0), 0);
	assert_int_equal(zc_buf_put_u32(p, nsec), 0);
}

/* Decode one hand-made payload of a given type. */
static int
raw_decode(uint8_t type, struct zc_buf *p)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_frame_hdr	 h;
	struct zc_rd		 rd;
	int			 r;

	put_frame(b, type, p);
	assert_int_equal(zc_proto_get_frame(b, &h, &rd), 0);
	r = decode(type, &rd);
	zc_buf_free(b);
	zc_buf_reset(p);
	return (r);
}

/* Decoders refuse values that encoders would never write. */
static void
test_decode_ranges(void **state)
{
	struct zc_buf	*p = zc_buf_new(BIG);
	static char	 big[ZC_PROTO_PATH_MAX + 1];

	memset(big, 'x', sizeof(big));

	/* HELLO: reserved must be 0; name charset and length. */
	zc_buf_put_u32(p, ZC_PROTO_MAGIC);
	zc_buf_put_u16(p, 1);
	zc_buf_put_u16(p, 1);
	zc_buf_put_u64(p, 0);
	zc_buf_put_u64(p, 0);
	zc_buf_put_str16(p, "n", 1);
	assert_int_equal(raw_decode(ZC_MSG_HELLO, p), -EPROTO);
	/* Wrong magic and version are for the caller to judge. */
	zc_buf_put_u32(p, 0x12345678);
	zc_buf_put_u16(p, 99);
	zc_buf_put_u16(p, 0);
	zc_buf_put_u64(p, ~0ULL);
	zc_buf_put_u64(p, ~0ULL);
	zc_buf_put_str16(p, "n", 1);
	assert_int_equal(raw_decode(ZC_MSG_HELLO, p), 0);
	zc_buf_put_u32(p, ZC_PROTO_MAGIC);
	zc_buf_put_u16(p, 1);
	zc_buf_put_u16(p, 0);
	zc_buf_put_u64(p, 0);
	zc_buf_put_u64(p, 0);
	zc_buf_put_str16(p, "n\0", 2);
	assert_int_equal(raw_decode(ZC_MSG_HELLO, p), -EPROTO);
	zc_buf_put_u32(p, ZC_PROTO_MAGIC);
	zc_buf_put_u16(p, 1);
	zc_buf_put_u16(p, 0);
	zc_buf_put_u64(p, 0);
	zc_buf_put_u64(p, 0);
	zc_buf_put_str16(p, big, 65);
	assert_int_equal(raw_decode(ZC_MSG_HELLO, p), -EPROTO);

	/* ERROR/ACK: code range, message length. */
	zc_buf_put_u32(p, ZC_CODE_LAST + 1);
	zc_buf_put_str16(p, "", 0);
	assert_int_equal(raw_decode(ZC_MSG_ERROR, p), -EPROTO);
	zc_buf_put_u32(p, ZC_E_IO);
	zc_buf_put_str16(p, big, ZC_PROTO_MSG_MAX + 1);
	assert_int_equal(raw_decode(ZC_MSG_ERROR, p), -EPROTO);
	zc_buf_put_u64(p, 0);
	zc_buf_put_u32(p, 0);
	zc_buf_put_str16(p, "", 0);
	assert_int_equal(raw_decode(ZC_MSG_ACK, p), -EPROTO);

	/* PUSH: unknown flag bits, bad set names. */
	zc_buf_put_u32(p, 0x80000000);
	zc_buf_put_str16(p, "s", 1);
	assert_int_equal(raw_decode(ZC_MSG_PUSH, p), -EPROTO);
	zc_buf_put_u32(p, 0);
	zc_buf_put_str16(p, "", 0);
	assert_int_equal(raw_decode(ZC_MSG_PUSH, p), -EPROTO);
	zc_buf_put_u32(p, 0);
	zc_buf_put_str16(p, "..", 2);
	assert_int_equal(raw_decode(ZC_MSG_PUSH, p), 0);	/* charset ok */
	zc_buf_put_u32(p, 0);
	zc_buf_put_str16(p, "a/b", 3);
	assert_int_equal(raw_decode(ZC_MSG_PUSH, p), -EPROTO);

	/* MANIFEST: count 0, count beyond what the payload holds. */
	zc_buf_put_u32(p, 0);
	assert_int_equal(raw_decode(ZC_MSG_MANIFEST, p), -EPROTO);
	zc_buf_put_u32(p, UINT32_MAX);
	put_meta(p, ZC_TYPE_FILE, 0644, 1, 0);
	zc_buf_put_str16(p, "f", 1);
	zc_buf_put_str16(p, "", 0);
	assert_int_equal(raw_decode(ZC_MSG_MANIFEST, p), -EPROTO);
	zc_buf_put_u32(p, 2);
	put_meta(p, ZC_TYPE_FILE, 0644, 1, 0);
	zc_buf_put_str16(p, "f", 1);
	zc_buf_put_str16(p, "", 0);
	assert_int_equal(raw_decode(ZC_MSG_MANIFEST, p), -EPROTO);
	/* A file with a target; a link whose size is not its target's. */
	zc_buf_put_u32(p, 1);
	put_meta(p, ZC_TYPE_FILE, 0644, 1, 0);
	zc_buf_put_str16(p, "f", 1);
	zc_buf_put_str16(p, "t", 1);
	assert_int_equal(raw_decode(ZC_MSG_MANIFEST, p), -EPROTO);
	zc_buf_put_u32(p, 1);
	put_meta(p, ZC_TYPE_SYMLINK, 0777, 2, 0);
	zc_buf_put_str16(p, "l", 1);
	zc_buf_put_str16(p, "t", 1);
	assert_int_equal(raw_decode(ZC_MSG_MANIFEST, p), -EPROTO);
	zc_buf_put_u32(p, 1);
	put_meta(p, ZC_TYPE_SYMLINK, 0777, 1, 0);
	zc_buf_put_str16(p, "l", 1);
	zc_buf_put_str16(p, "t", 1);
	assert_int_equal(raw_decode(ZC_MSG_MANIFEST, p), 0);

	/* Entries: type mismatch, mode, nsec, dir size, path length. */
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_DIR, 0755, 0, 0);
	zc_buf_put_str16(p, "f", 1);
	assert_int_equal(raw_decode(ZC_MSG_FILE, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_DIR, 0755, 0, 0);
	zc_buf_put_str16(p, "f", 1);
	assert_int_equal(raw_decode(ZC_MSG_META, p), 0);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_DIR, 0755, 4096, 0);
	zc_buf_put_str16(p, "d", 1);
	assert_int_equal(raw_decode(ZC_MSG_DIR, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_FILE, 010644, 0, 0);
	zc_buf_put_str16(p, "f", 1);
	assert_int_equal(raw_decode(ZC_MSG_FILE, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_FILE, 0644, 0, 1000000000);
	zc_buf_put_str16(p, "f", 1);
	assert_int_equal(raw_decode(ZC_MSG_FILE, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, 0, 0644, 0, 0);
	zc_buf_put_str16(p, "f", 1);
	assert_int_equal(raw_decode(ZC_MSG_META, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_FILE, 0644, 0, 0);
	zc_buf_put_str16(p, "", 0);
	assert_int_equal(raw_decode(ZC_MSG_FILE, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_FILE, 0644, 0, 0);
	zc_buf_put_str16(p, big, ZC_PROTO_PATH_MAX + 1);
	assert_int_equal(raw_decode(ZC_MSG_FILE, p), -EPROTO);
	zc_buf_put_u64(p, 0);
	put_meta(p, ZC_TYPE_FILE, 0644, 0, 0);
	zc_buf_put_str16(p, "f", 1);
	assert_int_equal(raw_decode(ZC_MSG_FILE, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_SYMLINK, 0777, 0, 0);
	zc_buf_put_str16(p, "l", 1);
	zc_buf_put_str16(p, "", 0);
	assert_int_equal(raw_decode(ZC_MSG_SYMLINK, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	put_meta(p, ZC_TYPE_SYMLINK, 0777, ZC_PROTO_TARGET_MAX + 1, 0);
	zc_buf_put_str16(p, "l", 1);
	zc_buf_put_str16(p, big, ZC_PROTO_TARGET_MAX + 1);
	assert_int_equal(raw_decode(ZC_MSG_SYMLINK, p), -EPROTO);
	/* A str16 claiming more than the payload holds. */
	zc_buf_put_u64(p, 1);
	zc_buf_put_u16(p, 0xffff);
	zc_buf_put(p, "abc", 3);
	assert_int_equal(raw_decode(ZC_MSG_DELETE, p), -EPROTO);
	zc_buf_put_u64(p, 1);
	zc_buf_put_str16(p, "abc", 3);
	assert_int_equal(raw_decode(ZC_MSG_DELETE, p), 0);

	/* FILE_END status. */
	zc_buf_put_u64(p, 1);
	zc_buf_put_u32(p, 2);
	assert_int_equal(raw_decode(ZC_MSG_FILE_END, p), -EPROTO);
	zc_buf_put_u64(p, 0);
	zc_buf_put_u32(p, 0);
	assert_int_equal(raw_decode(ZC_MSG_FILE_END, p), -EPROTO);

	/* DONE carries nothing. */
	zc_buf_put_u8(p, 0);
	assert_int_equal(raw_decode(ZC_MSG_DONE, p), -EPROTO);
	zc_buf_free(p);
}

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t	 x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return (x);
}

/*
 * Garbage: random headers and payloads, and valid frames with random bytes
 * changed, fed through get_frame and the decoders.  Nothing may crash or
 * read outside the payload (run once under valgrind or ASan).
 */
static void
test_fuzz(void **state)
{
	struct zc_buf		*samples = zc_buf_new(BIG), *b;
	struct zc_frame_hdr	 h;
	struct zc_rd		 rd;
	uint64_t		 seed = 0x5a435331deadbeefULL;
	uint8_t			 tmp[1024];
	size_t			 slen, n, j;
	int			 i, r, ok = 0, proto = 0, again = 0;

	put_samples(samples);
	slen = zc_buf_len(samples);
	b = zc_buf_new(BIG);
	for (i = 0; i < 200000; i++) {
		zc_buf_reset(b);
		/* Half the rounds as a peer that negotiated our features. */
		decode_feat = (i & 2) ? ZC_FEAT_SPARSE | ZC_FEAT_HARDLINK |
		    ZC_FEAT_SPECIAL : 0;
		if (i % 2 == 0) {
			/* Plausible header, random payload. */
			n = rng_next(&seed) % 300;
			tmp[0] = 0;
			tmp[1] = 0;
			tmp[2] = n >> 8;
			tmp[3] = n;
			tmp[4] = 1 + rng_next(&seed) % ZC_MSG_LAST;
			tmp[5] = tmp[6] = tmp[7] = 0;
			for (j = 0; j < n; j++)
				tmp[8 + j] = rng_next(&seed);
			if (rng_next(&seed) % 16 == 0)
				tmp[rng_next(&seed) % 8] = rng_next(&seed);
			n += 8;
		} else {
			/* A valid stream with a few bytes changed. */
			n = slen < sizeof(tmp) ? slen : sizeof(tmp);
			memcpy(tmp, zc_buf_ptr(samples), n);
			for (j = 1 + rng_next(&seed) % 4; j > 0; j--)
				tmp[rng_next(&seed) % n] = rng_next(&seed);
		}
		assert_int_equal(zc_buf_put(b, tmp, n), 0);
		while ((r = zc_proto_get_frame(b, &h, &rd)) == 0) {
			r = decode(h.type, &rd);
			assert_true(r == 0 || r == -EPROTO);
			if (r == 0)
				ok++;
			else
				proto++;
		}
		assert_true(r == -EAGAIN || r == -EPROTO);
		if (r == -EAGAIN)
			again++;
	}
	assert_true(ok > 0 && proto > 0 && again > 0);
	decode_feat = 0;
	zc_buf_free(b);
	zc_buf_free(samples);
}

/* XATTR: the block ends DIR/FILE/SYMLINK/META; manifest items get a hash. */
static void
test_xattr_block(void **state)
{
	static const uint8_t	 blk[] = {
		0, 2,
		10, 'u','s','e','r','.','a','l','p','h','a', 0, 0, 0, 1, 'x',
		8, 'u','s','e','r','.','b','e','t', 0, 0, 0, 0,
	};
	static const uint8_t	 unsorted[] = {
		0, 2,
		8, 'u','s','e','r','.','b','e','t', 0, 0, 0, 0,
		10, 'u','s','e','r','.','a','l','p','h','a', 0, 0, 0, 1, 'x',
	};
	static const uint8_t	 badns[] = {
		0, 1, 8, 's','y','s','t','e','m','.','x', 0, 0, 0, 0,
	};
	static const uint8_t	 dup[] = {
		0, 2, 6, 'u','s','e','r','.','a', 0, 0, 0, 0,
		6, 'u','s','e','r','.','a', 0, 0, 0, 0,
	};
	static const uint8_t	 big[] = {
		0, 1, 6, 'u','s','e','r','.','a', 0, 1, 0, 1,
	};
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_rd		 rd;
	struct zc_entry		 e, d;
	struct zc_manifest_frame mf;
	uint32_t		 count;

	(void)state;
	assert_int_equal(zc_xattr_check(blk, sizeof(blk)), 0);
	assert_int_equal(zc_xattr_check(blk, sizeof(blk) - 1), -EPROTO);
	assert_int_equal(zc_xattr_check(blk, 1), -EPROTO);
	assert_int_equal(zc_xattr_check(unsorted, sizeof(unsorted)), -EPROTO);
	assert_int_equal(zc_xattr_check(badns, sizeof(badns)), -EPROTO);
	assert_int_equal(zc_xattr_check(dup, sizeof(dup)), -EPROTO);
	assert_int_equal(zc_xattr_check(big, sizeof(big)), -EPROTO);
	assert_true(zc_xattr_hash(blk, sizeof(blk)) != 0);
	assert_true(zc_xattr_hash((const uint8_t *)"\0\0", 2) == 0);
	assert_true(zc_xattr_name_ok("system.posix_acl_default", 24));
	assert_false(zc_xattr_name_ok("user.", 5));

	e = mkentry(7, &meta_file, "f", NULL);
	e.feat = ZC_FEAT_XATTR;
	e.xattrs = blk;
	e.xattrs_len = sizeof(blk);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), 0);
	one_frame(b, ZC_MSG_FILE, &rd);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_XATTR;
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_FILE, &d), 0);
	assert_true(d.feat == ZC_FEAT_XATTR);
	assert_int_equal(d.xattrs_len, sizeof(blk));
	assert_memory_equal(d.xattrs, blk, sizeof(blk));

	/* Not negotiated: the block is trailing garbage. */
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_FILE, &e), 0);
	one_frame(b, ZC_MSG_FILE, &rd);
	memset(&d, 0, sizeof(d));
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_FILE, &d), -EPROTO);

	/* No block in the entry: an empty one goes. */
	e = mkentry(8, &meta_link, "l", "t");
	e.meta.size = 1;
	e.feat = ZC_FEAT_XATTR;
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_SYMLINK, &e), 0);
	one_frame(b, ZC_MSG_SYMLINK, &rd);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_XATTR;
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_SYMLINK, &d), 0);
	assert_int_equal(d.xattrs_len, 2);

	/* A bad block is refused by the encoder; DELETE carries none. */
	e = mkentry(9, &meta_dir, "d", NULL);
	e.feat = ZC_FEAT_XATTR;
	e.xattrs = unsorted;
	e.xattrs_len = sizeof(unsorted);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DIR, &e), -EINVAL);
	assert_int_equal(zc_buf_len(b), 0);
	assert_int_equal(zc_proto_put_entry(b, ZC_MSG_DELETE, &e), 0);
	one_frame(b, ZC_MSG_DELETE, &rd);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_XATTR;
	assert_int_equal(zc_proto_get_entry(&rd, ZC_MSG_DELETE, &d), 0);
	assert_null(d.xattrs);

	/* Manifest items: u64 xattr_hash after the target. */
	e = mkentry(0, &meta_file, "f", NULL);
	e.feat = ZC_FEAT_XATTR;
	e.xattr_hash = 0x0102030405060708ULL;
	assert_int_equal(zc_proto_manifest_begin(b, &mf), 0);
	assert_int_equal(zc_proto_manifest_add(b, &mf, &e), 0);
	zc_proto_manifest_finish(b, &mf);
	one_frame(b, ZC_MSG_MANIFEST, &rd);
	assert_int_equal(rd.left, 4 + 33 + 2 + 1 + 2 + 8);
	assert_int_equal(zc_proto_get_manifest_count(&rd, &count), 0);
	memset(&d, 0, sizeof(d));
	d.feat = ZC_FEAT_XATTR;
	assert_int_equal(zc_proto_get_manifest_item(&rd, &d), 0);
	assert_true(d.xattr_hash == 0x0102030405060708ULL);
	assert_int_equal(zc_proto_get_end(&rd), 0);
	zc_buf_free(b);
}

/* IDMAP: kind, id, name (1..255 bytes, no NUL). */
static void
test_idmap(void **state)
{
	struct zc_buf		*b = zc_buf_new(BIG);
	struct zc_rd		 rd;
	struct zc_idmap_msg	 m, d;
	static char		 longname[ZC_IDMAP_NAME_MAX + 2];
	static const uint8_t	 badkind[] = { 3, 0, 0, 0, 1, 0, 1, 'a' };
	static const uint8_t	 nul[] = { 1, 0, 0, 0, 1, 0, 2, 'a', 0 };
	static const uint8_t	 empty[] = { 2, 0, 0, 0, 1, 0, 0 };
	static const uint8_t	 trailing[] = { 1, 0, 0, 0, 1, 0, 1, 'a', 0 };

	(void)state;
	memset(&m, 0, sizeof(m));
	m.kind = ZC_IDMAP_GROUP;
	m.id = 0xfffffffe;
	m.name = "staff";
	m.name_len = 5;
	assert_int_equal(zc_proto_put_idmap(b, &m), 0);
	assert_int_equal(zc_buf_len(b), 8 + 1 + 4 + 2 + 5);
	one_frame(b, ZC_MSG_IDMAP, &rd);
	assert_int_equal(zc_proto_get_idmap(&rd, &d), 0);
	assert_int_equal(d.kind, ZC_IDMAP_GROUP);
	assert_true(d.id == 0xfffffffe);
	assert_int_equal(d.name_len, 5);
	assert_memory_equal(d.name, "staff", 5);

	m.kind = 0;
	assert_int_equal(zc_proto_put_idmap(b, &m), -EINVAL);
	m.kind = ZC_IDMAP_USER;
	m.name_len = 0;
	assert_int_equal(zc_proto_put_idmap(b, &m), -EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	m.name = longname;
	m.name_len = ZC_IDMAP_NAME_MAX + 1;
	assert_int_equal(zc_proto_put_idmap(b, &m), -EINVAL);
	m.name_len = ZC_IDMAP_NAME_MAX;
	assert_int_equal(zc_proto_put_idmap(b, &m), 0);
	one_frame(b, ZC_MSG_IDMAP, &rd);
	assert_int_equal(zc_proto_get_idmap(&rd, &d), 0);

	zc_rd_init(&rd, badkind, sizeof(badkind));
	assert_int_equal(zc_proto_get_idmap(&rd, &d), -EPROTO);
	zc_rd_init(&rd, nul, sizeof(nul));
	assert_int_equal(zc_proto_get_idmap(&rd, &d), -EPROTO);
	zc_rd_init(&rd, empty, sizeof(empty));
	assert_int_equal(zc_proto_get_idmap(&rd, &d), -EPROTO);
	zc_rd_init(&rd, trailing, sizeof(trailing));
	assert_int_equal(zc_proto_get_idmap(&rd, &d), -EPROTO);
	zc_rd_init(&rd, trailing, 4);
	assert_int_equal(zc_proto_get_idmap(&rd, &d), -EPROTO);
	assert_int_equal(rd.left, 4);
	zc_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_push),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_entry_einval),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_hardlink),
		cmocka_unit_test(test_rename_link),
		cmocka_unit_test(test_special),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_code_str),
		cmocka_unit_test(test_file_end_verify),
		cmocka_unit_test(test_manifest),
		cmocka_unit_test(test_manifest_compaction),
		cmocka_unit_test(test_enobufs_unchanged),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_decode_ranges),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_xattr_block),
		cmocka_unit_test(test_idmap),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
