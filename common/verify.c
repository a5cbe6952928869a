/*
 * verify.c: XXH3-128 of file bodies for VERIFY (see verify.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "verify.h"
#include "xmalloc.h"

struct zc_verify {
	XXH3_state_t	*state;		/* owned */
	uint8_t		*buf;		/* owned; ZC_VERIFY_CHUNK, on demand */
};

struct zc_verify *
zc_verify_new(void)
{
	struct zc_verify	*v;

	v = xcalloc(1, sizeof *v);
	/* As xmalloc does: out of memory is not an error we return. */
	if ((v->state = XXH3_createState()) == NULL) {
		fprintf(stderr, "out of memory allocating an XXH3 state\n");
		abort();
	}
	zc_verify_reset(v);
	return (v);
}

void
zc_verify_free(struct zc_verify *v)
{
	if (v == NULL)
		return;
	XXH3_freeState(v->state);
	free(v->buf);
	free(v);
}

void
zc_verify_reset(struct zc_verify *v)
{
	(void)XXH3_128bits_reset(v->state);
}

void
zc_verify_update(struct zc_verify *v, const void *p, size_t n)
{
	if (n > 0)
		(void)XXH3_128bits_update(v->state, p, n);
}

int
zc_verify_update_fd(struct zc_verify *v, int fd, off_t off, size_t len)
{
	ssize_t	n;
	size_t	want;

	if (v->buf == NULL)
		v->buf = xmalloc(ZC_VERIFY_CHUNK);
	while (len > 0) {
		want = len < ZC_VERIFY_CHUNK ? len : ZC_VERIFY_CHUNK;
		if ((n = pread(fd, v->buf, want, off)) == -1) {
			if (errno == EINTR)
				continue;
			return (-errno);
		}
		if (n == 0)
			return (-EIO);
		(void)XXH3_128bits_update(v->state, v->buf, (size_t)n);
		off += n;
		len -= (size_t)n;
	}
	return (0);
}

void
zc_verify_digest(const struct zc_verify *v, uint8_t out[ZC_VERIFY_LEN])
{
	XXH128_canonical_t	c;

	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(v->state));
	memcpy(out, c.digest, ZC_VERIFY_LEN);
}
