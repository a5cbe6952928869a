/*
 * sparse.c: a file's data segments: found on the sender with SEEK_DATA
 * and SEEK_HOLE, reserved on the receiver with fallocate (see sparse.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "proto.h"
#include "sparse.h"
#include "xmalloc.h"

struct sparse_seg {
	uint64_t	off;
	uint64_t	len;
};

/*
 * Too many segments for one frame: merge neighbours pairwise (the hole
 * between them travels as zeros, and lands as zeros) until they fit.
 * Each round halves the count, so a handful of rounds at most.
 */
static uint32_t
sparse_merge(struct sparse_seg *v, uint32_t n, uint32_t max)
{
	uint32_t	i, j;

	while (n > max) {
		for (i = 0, j = 0; i < n; i += 2, j++) {
			if (i + 1 < n) {
				v[j].off = v[i].off;
				v[j].len = v[i + 1].off + v[i + 1].len -
				    v[i].off;
			} else
				v[j] = v[i];
		}
		n = j;
	}
	return (n);
}

int
zc_sparse_map(int fd, const struct stat *st, uint32_t max, uint8_t **segs,
    uint32_t *nsegs)
{
	struct sparse_seg	*v = NULL;
	uint64_t		 size = (uint64_t)st->st_size;
	size_t			 n = 0, cap = 0;
	off_t			 data, hole, off = 0;
	uint32_t		 i;
	int			 error = 0;

	*segs = NULL;
	*nsegs = 0;
	if (size == 0)
		return (0);
	if (max == 0)
		return (-ENAMETOOLONG);
	/*
	 * The cheap test first: a file with as many blocks as bytes has no
	 * holes worth a system call (lseek(2) on every file would cost more
	 * than it finds).  Compressed or deduplicated file systems may say
	 * fewer blocks than bytes for a dense file: then the map says one
	 * segment anyway.
	 */
	if ((uint64_t)st->st_blocks * 512 >= size)
		goto dense;
	while ((uint64_t)off < size) {
		if ((data = lseek(fd, off, SEEK_DATA)) == -1) {
			if (errno == ENXIO)
				break;		/* only a hole is left */
			if (errno == EINVAL || errno == EOPNOTSUPP)
				goto dense;	/* no SEEK_DATA here */
			error = -errno;
			goto out;
		}
		if ((uint64_t)data >= size)
			break;
		if ((hole = lseek(fd, data, SEEK_HOLE)) == -1) {
			error = -errno;
			goto out;
		}
		if ((uint64_t)hole > size)
			hole = (off_t)size;
		if (hole <= data)
			break;			/* changed under us */
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[n].off = (uint64_t)data;
		v[n].len = (uint64_t)(hole - data);
		n++;
		off = hole;
		if (n == UINT32_MAX / 2)
			goto dense;		/* absurd: send it whole */
	}
	n = sparse_merge(v, (uint32_t)n, max);
	goto encode;
dense:
	free(v);
	v = xcalloc(1, sizeof *v);
	v[0].off = 0;
	v[0].len = size;
	n = 1;
encode:
	if (n > 0) {
		*segs = xcalloc(n, ZC_PROTO_SEG_LEN);
		for (i = 0; i < n; i++)
			zc_proto_seg_set(*segs, i, v[i].off, v[i].len);
	}
	*nsegs = (uint32_t)n;
out:
	free(v);
	return (error);
}

int
zc_sparse_prepare(int fd, const uint8_t *segs, uint32_t nsegs, uint64_t size,
    uint64_t prealloc_min)
{
	uint64_t	off, len, sum = 0;
	uint32_t	i;

	for (i = 0; i < nsegs; i++) {
		zc_proto_seg_get(segs, i, &off, &len);
		sum += len;
	}
	/*
	 * Fail before any data moves when the disk cannot hold the data;
	 * the holes take no space and are not reserved (FALLOC_FL_KEEP_SIZE
	 * is not needed: ftruncate below sets the size anyway).
	 */
	if (sum > prealloc_min) {
		for (i = 0; i < nsegs; i++) {
			zc_proto_seg_get(segs, i, &off, &len);
			if (fallocate(fd, 0, (off_t)off, (off_t)len) == -1) {
				if (errno == EOPNOTSUPP)
					break;
				return (-errno);
			}
		}
	}
	/*
	 * The size: the writes (or the reservation) of a last segment that
	 * ends at size make it already, as for every file without a hole at
	 * its end; a file that ends in a hole needs it set.
	 */
	if (size == 0 || (nsegs > 0 && off + len == size))
		return (0);
	if (ftruncate(fd, (off_t)size) == -1)
		return (-errno);
	return (0);
}
