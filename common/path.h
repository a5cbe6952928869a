/*
 * path.h: the only place a peer-supplied name becomes an fd.
 *
 * Names on the wire are relative, canonical and '/'-separated.  Every open
 * below a root goes through openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS),
 * so nothing outside the root is ever created, changed or followed.
 */
#ifndef ZC_PATH_H
#define ZC_PATH_H

#include <stddef.h>
#include <sys/types.h>

#define ZC_PATH_MAX		4095	/* bytes of a relative path */
#define ZC_PATH_NAME_MAX	255	/* bytes of one component */
#define ZC_PATH_DEPTH_MAX	256	/* components */

/* Our temporary names: ".zc." + 16 hex digits + ".zctmp" (26 bytes). */
#define ZC_PATH_TMP_PREFIX	".zc."
#define ZC_PATH_TMP_SUFFIX	".zctmp"
#define ZC_PATH_TMP_LEN		26

/*
 * Check a peer-supplied relative path (not NUL-terminated) and copy it,
 * NUL-terminated, into out (outlen >= ZC_PATH_MAX + 1).  Refused with
 * -EINVAL: empty, longer than ZC_PATH_MAX, absolute, a NUL byte, an empty,
 * "." or ".." component, a trailing '/', a component over
 * ZC_PATH_NAME_MAX, more than ZC_PATH_DEPTH_MAX components, or any
 * component in our temporary-name pattern.  On failure out[0] = '\0'.
 */
int	zc_path_check(const char *p, size_t len, char *out, size_t outlen);

/*
 * 1 if a symlink at the checked relative path `path` with target `target`
 * stays inside the set root when resolved by name from the link's own
 * directory (rsync's --safe-links): not absolute, and no ".." climbs above
 * the root at any point ("a/../../x" from the root is unsafe).  0 if not.
 */
int	zc_path_link_is_safe(const char *path, const char *target);

/* 1 if the component name matches our temporary-name pattern. */
int	zc_path_is_temp(const char *name);

/* Write a fresh temporary name (ZC_PATH_TMP_LEN + 1 bytes) into out. */
void	zc_path_make_temp(char *out, size_t outlen);

/*
 * Open an absolute, trusted root directory (from the config or the command
 * line; it may itself be reached through symlinks): fd or -errno.
 */
int	zc_path_open_root(const char *abs);

/*
 * Open rel (already checked) beneath root_fd with openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS; flags and mode as for open(2)
 * (O_CLOEXEC added).  fd or -errno: -EXDEV/-ELOOP mean "refuse".
 */
int	zc_path_openat(int root_fd, const char *rel, int flags, mode_t mode);

/*
 * Open the directory that holds rel beneath root_fd (O_RDONLY|O_DIRECTORY)
 * and point *leaf at rel's last component.  For a rel without '/', this is
 * a dup of root_fd.  fd or -errno.
 */
int	zc_path_open_parent(int root_fd, const char *rel, const char **leaf);

#endif
