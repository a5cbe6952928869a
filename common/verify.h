/*
 * verify.h: the end-to-end body hash of the VERIFY feature: XXH3-128
 * (libxxhash) of a file body, in its canonical big-endian form on the
 * wire.  The sender hashes the bytes as it sends them, the receiver what
 * it wrote to the temporary file, read back before the rename.
 */
#ifndef ZC_VERIFY_H
#define ZC_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ZC_VERIFY_LEN		16	/* bytes of hash on the wire */
#define ZC_VERIFY_CHUNK		(256 * 1024)	/* pread slice */

struct zc_verify;

struct zc_verify *zc_verify_new(void);
void	zc_verify_free(struct zc_verify *);
/* Start a new body. */
void	zc_verify_reset(struct zc_verify *);
void	zc_verify_update(struct zc_verify *, const void *, size_t);
/*
 * Hash len bytes of fd from off, read with pread (from the page cache,
 * where they were just written or sent from).  0, -EIO if the file ends
 * first, or -errno.
 */
int	zc_verify_update_fd(struct zc_verify *, int fd, off_t off, size_t len);
/* The canonical (big-endian) XXH3-128 of what was hashed so far. */
void	zc_verify_digest(const struct zc_verify *, uint8_t out[ZC_VERIFY_LEN]);

#endif
