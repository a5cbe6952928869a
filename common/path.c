/*
 * path.c: the only place a peer-supplied name becomes an fd.
 *
 * A name is checked once, byte by byte, and the checked copy (the same
 * bytes, NUL-terminated) is what reaches the kernel.  Every open below a
 * root then goes through openat2(2) with RESOLVE_BENEATH and
 * RESOLVE_NO_SYMLINKS: even a name we accepted cannot lead out of the root
 * or through a symlink planted by a local user, whatever the tree looks
 * like at the moment of the call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* O_TMPFILE */
#endif

#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/openat2.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "path.h"

/*
 * openat2(2) may fail with EAGAIN when RESOLVE_* is given and a rename or
 * mount elsewhere raced with the lookup (the kernel's seqlock check in
 * fs/namei.c); a retry normally succeeds.  Retries are bounded so that a
 * local loop of renames cannot keep us here.
 */
#define PATH_OPEN_TRIES		8

static int
path_is_hex(char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

/* The temporary-name test on a component of n bytes. */
static int
path_is_temp_n(const char *s, size_t n)
{
	size_t	 i, plen = sizeof(ZC_PATH_TMP_PREFIX) - 1;
	size_t	 slen = sizeof(ZC_PATH_TMP_SUFFIX) - 1;

	if (n != ZC_PATH_TMP_LEN)
		return (0);
	if (memcmp(s, ZC_PATH_TMP_PREFIX, plen) != 0 ||
	    memcmp(s + n - slen, ZC_PATH_TMP_SUFFIX, slen) != 0)
		return (0);
	for (i = plen; i < n - slen; i++) {
		if (!path_is_hex(s[i]))
			return (0);
	}
	return (1);
}

/* 1 if name is ".zc." + 16 lowercase hex digits + ".zctmp". */
int
zc_path_is_temp(const char *name)
{
	return (path_is_temp_n(name, strnlen(name, ZC_PATH_TMP_LEN + 1)));
}

/* Check a peer-supplied relative path and copy it into out; see path.h. */
int
zc_path_check(const char *p, size_t len, char *out, size_t outlen)
{
	size_t	 i, start, clen, depth;

	if (outlen != 0)
		out[0] = '\0';
	if (len == 0 || len > ZC_PATH_MAX || outlen < len + 1)
		return (-EINVAL);
	if (p[0] == '/' || memchr(p, '\0', len) != NULL)
		return (-EINVAL);

	depth = 0;
	for (start = 0; start <= len; start = i + 1) {
		for (i = start; i < len && p[i] != '/'; i++)
			;
		clen = i - start;
		/* Empty components cover "a//b", "a/" and a leading '/'. */
		if (clen == 0 || clen > ZC_PATH_NAME_MAX)
			return (-EINVAL);
		if (p[start] == '.' &&
		    (clen == 1 || (clen == 2 && p[start + 1] == '.')))
			return (-EINVAL);
		if (path_is_temp_n(p + start, clen))
			return (-EINVAL);
		if (++depth > ZC_PATH_DEPTH_MAX)
			return (-EINVAL);
	}

	memcpy(out, p, len);
	out[len] = '\0';
	return (0);
}

/* A 64-bit mixer (splitmix64's finaliser) for the fallback below. */
static uint64_t
path_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

/*
 * Write a fresh temporary name.  The name is unguessable only as a
 * courtesy: safety comes from creating it beneath the root with O_EXCL or
 * linkat(2), which fail on an existing name.  getrandom(2) without
 * GRND_NONBLOCK could block early at boot, so when it cannot answer at once
 * a per-process counter mixed with the pid and the clock stands in.
 */
void
zc_path_make_temp(char *out, size_t outlen)
{
	/*
	 * A per-process random key and a counter, like a PRNG's state: one
	 * getrandom() per process instead of one per file (4 us each, seen
	 * with strace -c on 20,000 small files).  Names only need to be
	 * unlikely to collide; O_EXCL and linkat's EEXIST catch the rest.
	 */
	static uint64_t		 key, counter;
	static const char	 hex[] = "0123456789abcdef";
	struct timespec		 ts;
	uint64_t		 v;
	char			*p;
	int			 i;

	if (outlen < ZC_PATH_TMP_LEN + 1) {
		if (outlen != 0)
			out[0] = '\0';
		return;
	}
	if (key == 0 &&
	    getrandom(&key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		key = path_mix((uint64_t)getpid() << 32 ^
		    path_mix((uint64_t)ts.tv_sec * 1000000000ULL +
		    (uint64_t)ts.tv_nsec));
	}
	key |= 1;
	v = path_mix(key + ++counter);

	p = out;
	memcpy(p, ZC_PATH_TMP_PREFIX, sizeof(ZC_PATH_TMP_PREFIX) - 1);
	p += sizeof(ZC_PATH_TMP_PREFIX) - 1;
	for (i = 15; i >= 0; i--)
		*p++ = hex[(v >> (4 * i)) & 0xf];
	memcpy(p, ZC_PATH_TMP_SUFFIX, sizeof(ZC_PATH_TMP_SUFFIX));
}

/* Open a trusted root directory; symlinks on the way to it are followed. */
int
zc_path_open_root(const char *abs)
{
	int	 fd;

	if ((fd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-errno);
	return (fd);
}

/*
 * The same walk without openat2(2), for when the kernel or a sandbox lacks
 * it (ENOSYS: kernels before 5.6, and valgrind 3.19, which does not know
 * syscall 437).  One component at a time with O_NOFOLLOW, each relative to
 * the directory fd of the one before, so a symlink anywhere is refused
 * with ELOOP and nothing is resolved outside the root: ".." and absolute
 * names give EXDEV as RESOLVE_BENEATH would (checked names never hold
 * them).  Unlike RESOLVE_BENEATH this does not stop at a mount point
 * inside the root, which is also not what RESOLVE_BENEATH is for.
 */
static int
path_openat_walk(int root_fd, const char *rel, int flags, mode_t mode)
{
	char		 copy[ZC_PATH_MAX + 1], *c, *next;
	struct stat	 st;
	size_t		 len;
	int		 dfd, fd, r;

	len = strlen(rel);
	if (len > ZC_PATH_MAX)
		return (-ENAMETOOLONG);
	if (rel[0] == '/')
		return (-EXDEV);
	memcpy(copy, rel, len + 1);

	dfd = root_fd;
	c = copy;
	for (;;) {
		while (*c == '/')
			c++;
		if ((next = strchr(c, '/')) != NULL)
			*next++ = '\0';
		while (next != NULL && *next == '/')
			next++;
		if (next != NULL && *next == '\0')
			next = NULL;
		if (strcmp(c, "..") == 0) {
			r = -EXDEV;
			break;
		}
		if (*c == '\0') {
			r = -ENOENT;	/* as openat2 answers "" */
			break;
		}
		if (next == NULL)
			fd = openat(dfd, c, flags | O_NOFOLLOW | O_CLOEXEC,
			    mode);
		else if (strcmp(c, ".") == 0) {
			c = next;
			continue;
		} else
			fd = openat(dfd, c,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1) {
			/* O_DIRECTORY beats O_NOFOLLOW: ENOTDIR for a link. */
			r = -errno;
			if (r == -ENOTDIR &&
			    fstatat(dfd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode))
				r = -ELOOP;
			break;
		}
		if (next == NULL) {
			r = fd;
			break;
		}
		if (dfd != root_fd)
			close(dfd);
		dfd = fd;
		c = next;
	}
	if (dfd != root_fd)
		close(dfd);
	return (r);
}

/*
 * Open rel beneath root_fd.  glibc 2.36 has no openat2() wrapper, so this
 * is the raw syscall.  how.mode must be 0 unless O_CREAT or O_TMPFILE is
 * given, or the kernel answers EINVAL (openat2(2)); O_TMPFILE includes
 * O_DIRECTORY, hence the full-mask test.
 */
int
zc_path_openat(int root_fd, const char *rel, int flags, mode_t mode)
{
	struct open_how	 how;
	long		 fd;
	int		 tries;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(unsigned int)(flags | O_CLOEXEC);
	if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE)
		how.mode = mode;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;

	for (tries = 0; tries < PATH_OPEN_TRIES; tries++) {
		fd = syscall(SYS_openat2, root_fd, rel, &how, sizeof(how));
		if (fd >= 0)
			return ((int)fd);
		if (errno == ENOSYS)
			return (path_openat_walk(root_fd, rel, flags, mode));
		if (errno != EAGAIN && errno != EINTR)
			return (-errno);
	}
	return (-EAGAIN);
}

/* Open the directory holding rel beneath root_fd; *leaf is its last name. */
int
zc_path_open_parent(int root_fd, const char *rel, const char **leaf)
{
	char		 dir[ZC_PATH_MAX + 1];
	const char	*slash;
	size_t		 n;
	int		 fd;

	*leaf = NULL;
	if ((slash = strrchr(rel, '/')) == NULL) {
		if ((fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0)) == -1)
			return (-errno);
		*leaf = rel;
		return (fd);
	}
	n = slash - rel;
	if (n == 0 || n > ZC_PATH_MAX || slash[1] == '\0')
		return (-EINVAL);
	memcpy(dir, rel, n);
	dir[n] = '\0';
	fd = zc_path_openat(root_fd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return (fd);
	*leaf = slash + 1;
	return (fd);
}

int
zc_path_link_is_safe(const char *path, const char *target)
{
	const char	*p, *e;
	long		 depth = 0;
	size_t		 n;

	if (target[0] == '\0' || target[0] == '/')
		return (0);
	/* The link's directory: one level per '/' in its path. */
	for (p = path; *p != '\0'; p++)
		depth += *p == '/';
	for (p = target; *p != '\0'; p = *e == '\0' ? e : e + 1) {
		e = strchr(p, '/');
		if (e == NULL)
			e = p + strlen(p);
		n = (size_t)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (--depth < 0)
				return (0);
		} else
			depth++;
	}
	return (1);
}
