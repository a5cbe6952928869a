/*
 * buf.h: bounded byte buffers (OpenSSH sshbuf) and a payload reader.
 *
 * A struct zc_buf holds unread bytes data[off..len) and never grows past
 * max: everything that grows from peer input has a ceiling.  Multi-byte
 * integers are big-endian.  A failed get leaves the reader unchanged.
 */
#ifndef ZC_BUF_H
#define ZC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct zc_buf {
	uint8_t		*data;		/* owned */
	size_t		 off;		/* first unread byte */
	size_t		 len;		/* end of data */
	size_t		 cap;		/* allocated */
	size_t		 max;		/* ceiling for cap */
};

/* A read-only view of a payload; gets return 0 or -EPROTO (r unchanged). */
struct zc_rd {
	const uint8_t	*p;		/* borrowed */
	size_t		 left;
};

struct zc_buf	*zc_buf_new(size_t max);
void		 zc_buf_free(struct zc_buf *);
size_t		 zc_buf_len(const struct zc_buf *);
const uint8_t	*zc_buf_ptr(const struct zc_buf *);
void		 zc_buf_consume(struct zc_buf *, size_t);
void		 zc_buf_reset(struct zc_buf *);
/* Room for n more bytes at the tail: 0 and *p, or -ENOBUFS past max. */
int		 zc_buf_reserve(struct zc_buf *, size_t n, uint8_t **p);
/* Mark n reserved bytes as written. */
void		 zc_buf_commit(struct zc_buf *, size_t n);
/* Appends: 0 or -ENOBUFS (buffer unchanged). */
int		 zc_buf_put(struct zc_buf *, const void *, size_t);
int		 zc_buf_put_u8(struct zc_buf *, uint8_t);
int		 zc_buf_put_u16(struct zc_buf *, uint16_t);
int		 zc_buf_put_u32(struct zc_buf *, uint32_t);
int		 zc_buf_put_u64(struct zc_buf *, uint64_t);
/* u16 length then bytes; -EINVAL if len > 65535. */
int		 zc_buf_put_str16(struct zc_buf *, const void *, size_t);

void		 zc_rd_init(struct zc_rd *, const void *, size_t);
int		 zc_rd_u8(struct zc_rd *, uint8_t *);
int		 zc_rd_u16(struct zc_rd *, uint16_t *);
int		 zc_rd_u32(struct zc_rd *, uint32_t *);
int		 zc_rd_u64(struct zc_rd *, uint64_t *);
int		 zc_rd_bytes(struct zc_rd *, size_t, const uint8_t **);
/* u16 length then bytes, borrowed (not NUL-terminated). */
int		 zc_rd_str16(struct zc_rd *, const char **, size_t *);

#endif
