/*
 * sparse.h: a file's data segments (SPARSE, docs/PROTOCOL.md 5.8).
 *
 * The sender maps the data of a file with lseek(SEEK_DATA/SEEK_HOLE) so
 * that holes are not sent; the receiver makes a file of the full size
 * whose blocks are only those of the data.  Segment maps are kept in wire
 * order (proto.h: zc_proto_seg_get/set), so the sender's map is the FILE
 * frame's and the receiver's is the frame's copy.
 */
#ifndef ZC_SPARSE_H
#define ZC_SPARSE_H

#include <stdint.h>
#include <sys/stat.h>

/*
 * Map fd's data (st is its fstat) into *segs (owned by the caller, NULL
 * when *nsegs is 0), at most max segments: neighbours are merged, holes
 * between them then sent as zeros, when there are more.  A file whose
 * blocks cover its size (st_blocks * 512 >= st_size) is one segment
 * without asking the file system; an empty file has none.  0 or -errno.
 */
int	zc_sparse_map(int fd, const struct stat *st, uint32_t max,
	    uint8_t **segs, uint32_t *nsegs);

/*
 * Receiver: size fd (a new, empty file) to size, reserving space with
 * fallocate for the segments only (when they hold more than prealloc_min
 * bytes), never for the holes.  0 or -errno.
 */
int	zc_sparse_prepare(int fd, const uint8_t *segs, uint32_t nsegs,
	    uint64_t size, uint64_t prealloc_min);

#endif
