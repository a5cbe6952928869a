/*
 * buf.c: bounded byte buffers (OpenSSH sshbuf) and a payload reader.
 *
 * A zc_buf keeps its unread bytes in data[off..len).  Reading advances off;
 * writing appends at len.  Space is made at the tail by first moving the
 * unread bytes to the front (compaction) and only then by growing, and
 * never past max.  Every failed call leaves the buffer as it was.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

#define BUF_MIN_CAP	256

/* Create an empty buffer that will never hold more than max bytes. */
struct zc_buf *
zc_buf_new(size_t max)
{
	struct zc_buf	*b;

	b = xcalloc(1, sizeof(*b));
	b->max = max;
	return (b);
}

/* Free b and its data; NULL is fine. */
void
zc_buf_free(struct zc_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	free(b);
}

/* Number of unread bytes. */
size_t
zc_buf_len(const struct zc_buf *b)
{
	return (b->len - b->off);
}

/* First unread byte; valid until the buffer is next written. */
const uint8_t *
zc_buf_ptr(const struct zc_buf *b)
{
	if (b->data == NULL)
		return ((const uint8_t *)"");
	return (b->data + b->off);
}

/*
 * Drop n unread bytes.  The bytes themselves are not moved or cleared, so a
 * pointer taken before (a frame payload) stays valid until the next write.
 */
void
zc_buf_consume(struct zc_buf *b, size_t n)
{
	assert(n <= b->len - b->off);
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

/* Drop everything. */
void
zc_buf_reset(struct zc_buf *b)
{
	b->off = b->len = 0;
}

/* Make room for n more bytes at the tail: 0 and *p, or -ENOBUFS past max. */
int
zc_buf_reserve(struct zc_buf *b, size_t n, uint8_t **p)
{
	size_t	 used, need, ncap;

	*p = NULL;
	used = b->len - b->off;
	if (n > b->max || used > b->max - n)
		return (-ENOBUFS);
	need = used + n;

	if (b->len + n > b->cap && b->off != 0) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
	}
	if (need > b->cap) {
		ncap = b->cap != 0 ? b->cap : BUF_MIN_CAP;
		if (ncap > b->max)
			ncap = b->max;
		while (ncap < need)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		b->data = xrealloc(b->data, ncap);
		b->cap = ncap;
	}
	*p = b->data + b->len;
	return (0);
}

/* Mark n bytes made room for by zc_buf_reserve() as written. */
void
zc_buf_commit(struct zc_buf *b, size_t n)
{
	assert(n <= b->cap - b->len);
	b->len += n;
}

/* Append n bytes: 0 or -ENOBUFS (buffer unchanged). */
int
zc_buf_put(struct zc_buf *b, const void *v, size_t n)
{
	uint8_t	*p;
	int	 r;

	if ((r = zc_buf_reserve(b, n, &p)) != 0)
		return (r);
	if (n != 0)
		memcpy(p, v, n);
	zc_buf_commit(b, n);
	return (0);
}

/* Append one byte. */
int
zc_buf_put_u8(struct zc_buf *b, uint8_t v)
{
	return (zc_buf_put(b, &v, 1));
}

/* Append a big-endian u16. */
int
zc_buf_put_u16(struct zc_buf *b, uint16_t v)
{
	uint8_t	 x[2];

	x[0] = v >> 8;
	x[1] = v;
	return (zc_buf_put(b, x, sizeof(x)));
}

/* Append a big-endian u32. */
int
zc_buf_put_u32(struct zc_buf *b, uint32_t v)
{
	uint8_t	 x[4];

	x[0] = v >> 24;
	x[1] = v >> 16;
	x[2] = v >> 8;
	x[3] = v;
	return (zc_buf_put(b, x, sizeof(x)));
}

/* Append a big-endian u64. */
int
zc_buf_put_u64(struct zc_buf *b, uint64_t v)
{
	uint8_t	 x[8];
	int	 i;

	for (i = 0; i < 8; i++)
		x[i] = v >> (56 - 8 * i);
	return (zc_buf_put(b, x, sizeof(x)));
}

/* Append a u16 length and the bytes: 0, -EINVAL (too long) or -ENOBUFS. */
int
zc_buf_put_str16(struct zc_buf *b, const void *v, size_t n)
{
	uint8_t	*p;
	int	 r;

	if (n > UINT16_MAX)
		return (-EINVAL);
	if ((r = zc_buf_reserve(b, 2 + n, &p)) != 0)
		return (r);
	p[0] = n >> 8;
	p[1] = n;
	if (n != 0)
		memcpy(p + 2, v, n);
	zc_buf_commit(b, 2 + n);
	return (0);
}

/* Start reading the n bytes at p. */
void
zc_rd_init(struct zc_rd *r, const void *p, size_t n)
{
	r->p = p;
	r->left = n;
}

/* Take n bytes: 0 and *p (borrowed), or -EPROTO with r unchanged. */
int
zc_rd_bytes(struct zc_rd *r, size_t n, const uint8_t **p)
{
	*p = NULL;
	if (n > r->left)
		return (-EPROTO);
	*p = r->p;
	r->p += n;
	r->left -= n;
	return (0);
}

/* Take one byte. */
int
zc_rd_u8(struct zc_rd *r, uint8_t *v)
{
	const uint8_t	*p;

	*v = 0;
	if (zc_rd_bytes(r, 1, &p) != 0)
		return (-EPROTO);
	*v = p[0];
	return (0);
}

/* Take a big-endian u16. */
int
zc_rd_u16(struct zc_rd *r, uint16_t *v)
{
	const uint8_t	*p;

	*v = 0;
	if (zc_rd_bytes(r, 2, &p) != 0)
		return (-EPROTO);
	*v = (uint16_t)p[0] << 8 | p[1];
	return (0);
}

/* Take a big-endian u32. */
int
zc_rd_u32(struct zc_rd *r, uint32_t *v)
{
	const uint8_t	*p;

	*v = 0;
	if (zc_rd_bytes(r, 4, &p) != 0)
		return (-EPROTO);
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return (0);
}

/* Take a big-endian u64. */
int
zc_rd_u64(struct zc_rd *r, uint64_t *v)
{
	const uint8_t	*p;
	uint64_t	 x;
	int		 i;

	*v = 0;
	if (zc_rd_bytes(r, 8, &p) != 0)
		return (-EPROTO);
	for (x = 0, i = 0; i < 8; i++)
		x = x << 8 | p[i];
	*v = x;
	return (0);
}

/*
 * Take a u16 length and that many bytes: 0 with *s (borrowed, not
 * NUL-terminated) and *n, or -EPROTO with r unchanged, also when only the
 * length fits.
 */
int
zc_rd_str16(struct zc_rd *r, const char **s, size_t *n)
{
	struct zc_rd	 save = *r;
	const uint8_t	*p;
	uint16_t	 len;

	*s = NULL;
	*n = 0;
	if (zc_rd_u16(r, &len) != 0 || zc_rd_bytes(r, len, &p) != 0) {
		*r = save;
		return (-EPROTO);
	}
	*s = (const char *)p;
	*n = len;
	return (0);
}
