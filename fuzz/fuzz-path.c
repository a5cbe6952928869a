/*
 * fuzz-path.c: libFuzzer target for the path validator (common/path.c).
 *
 * The input is a name from a peer.  zc_path_check() must agree with a
 * second, deliberately plain reading of the rules in path.h, and
 * zc_path_is_temp() with the temporary-name pattern.  A name it accepts is
 * then opened beneath a small fixture tree, both with openat2(2) and with
 * the O_NOFOLLOW walk that stands in when openat2 is missing: the two must
 * agree, and neither may open anything but the files inside the root.
 *
 * path.c is included rather than linked so that the walk, a static
 * function, can be called directly.
 */
#include "../common/path.c"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The fixture, made once per process in $TMPDIR (fuzz/run.sh points it at
 * a directory it removes afterwards):
 *	root/f, root/d/g		files inside the root
 *	root/ln -> f, root/d/back -> ../f	symlinks inside the root
 *	root/up -> .., root/abs -> /, root/out -> ../outside
 *	outside/secret			what a name must never reach
 * A fuzzer is one process with one tree, hence the statics.
 */
static int	 fuzz_root = -1;
static dev_t	 fuzz_dev;
static ino_t	 fuzz_inside[3];	/* root/f, root/d, root/d/g */

static void
fuzz_fail(const char *what, const uint8_t *p, size_t len)
{
	fprintf(stderr, "fuzz-path: %s: \"%.*s\" (%zu bytes)\n", what,
	    (int)(len > 200 ? 200 : len), (const char *)p, len);
	abort();
}

static void
fuzz_mk(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		exit(1);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char		 dir[PATH_MAX];
	const char	*tmp;
	struct stat	 st;
	int		 fd;

	if ((tmp = getenv("TMPDIR")) == NULL)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/fuzz-path.XXXXXX", tmp);
	fuzz_mk(mkdtemp(dir) != NULL, "mkdtemp");
	fuzz_mk((fd = open(dir, O_RDONLY | O_DIRECTORY)) != -1, dir);
	fuzz_mk(mkdirat(fd, "root", 0755) == 0, "root");
	fuzz_mk(mkdirat(fd, "outside", 0755) == 0, "outside");
	fuzz_mk(close(openat(fd, "outside/secret", O_CREAT | O_WRONLY,
	    0644)) == 0, "secret");
	fuzz_mk(close(openat(fd, "root/f", O_CREAT | O_WRONLY, 0644)) == 0,
	    "f");
	fuzz_mk(mkdirat(fd, "root/d", 0755) == 0, "d");
	fuzz_mk(close(openat(fd, "root/d/g", O_CREAT | O_WRONLY, 0644)) == 0,
	    "g");
	fuzz_mk(symlinkat("f", fd, "root/ln") == 0, "ln");
	fuzz_mk(symlinkat("../f", fd, "root/d/back") == 0, "back");
	fuzz_mk(symlinkat("..", fd, "root/up") == 0, "up");
	fuzz_mk(symlinkat("/", fd, "root/abs") == 0, "abs");
	fuzz_mk(symlinkat("../outside", fd, "root/out") == 0, "out");

	fuzz_mk((fuzz_root = openat(fd, "root", O_RDONLY | O_DIRECTORY)) != -1,
	    "root");
	fuzz_mk(fstatat(fuzz_root, "f", &st, AT_SYMLINK_NOFOLLOW) == 0, "f");
	fuzz_dev = st.st_dev;
	fuzz_inside[0] = st.st_ino;
	fuzz_mk(fstatat(fuzz_root, "d", &st, AT_SYMLINK_NOFOLLOW) == 0, "d");
	fuzz_inside[1] = st.st_ino;
	fuzz_mk(fstatat(fuzz_root, "d/g", &st, AT_SYMLINK_NOFOLLOW) == 0, "g");
	fuzz_inside[2] = st.st_ino;
	close(fd);
	return (0);
}

/* The temporary-name pattern, read plainly from path.h. */
static int
fuzz_ref_is_temp(const char *s, size_t n)
{
	size_t	 i;

	if (n != 26 || memcmp(s, ".zc.", 4) != 0 ||
	    memcmp(s + 20, ".zctmp", 6) != 0)
		return (0);
	for (i = 4; i < 20; i++) {
		if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
			return (0);
	}
	return (1);
}

/* The rules of zc_path_check(), read plainly from path.h: 1 if valid. */
static int
fuzz_ref_check(const char *p, size_t len)
{
	size_t	 i, start, depth = 0;

	if (len == 0 || len > 4095 || p[0] == '/')
		return (0);
	for (i = 0; i < len; i++) {
		if (p[i] == '\0')
			return (0);
	}
	start = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i == start || i - start > 255)
			return (0);
		if (i - start == 1 && p[start] == '.')
			return (0);
		if (i - start == 2 && p[start] == '.' && p[start + 1] == '.')
			return (0);
		if (fuzz_ref_is_temp(p + start, i - start))
			return (0);
		if (++depth > 256)
			return (0);
		start = i + 1;
	}
	return (1);
}

/* -1 if fd is not open, else 1 if it is one of the files inside the root. */
static int
fuzz_is_inside(int fd, ino_t *ino)
{
	struct stat	 st;
	size_t		 i;

	*ino = 0;
	if (fd < 0)
		return (-1);
	if (fstat(fd, &st) != 0)
		return (0);
	*ino = st.st_ino;
	for (i = 0; i < sizeof(fuzz_inside) / sizeof(fuzz_inside[0]); i++) {
		if (st.st_dev == fuzz_dev && st.st_ino == fuzz_inside[i])
			return (1);
	}
	return (0);
}

/* Open a checked name both ways; they must agree and stay inside. */
static void
fuzz_open(const char *rel, const uint8_t *data, size_t size)
{
	const char	*leaf;
	ino_t		 ino2, inow;
	int		 fd2, fdw, in2, inw;

	fd2 = zc_path_openat(fuzz_root, rel, O_RDONLY, 0);
	fdw = path_openat_walk(fuzz_root, rel, O_RDONLY, 0);
	in2 = fuzz_is_inside(fd2, &ino2);
	inw = fuzz_is_inside(fdw, &inow);
	if (in2 == 0 || inw == 0)
		fuzz_fail("opened something outside the root", data, size);
	if (in2 != inw || ino2 != inow)
		fuzz_fail("openat2 and the walk disagree", data, size);
	if (fd2 >= 0)
		close(fd2);
	if (fdw >= 0)
		close(fdw);

	fd2 = zc_path_open_parent(fuzz_root, rel, &leaf);
	if (fd2 >= 0) {
		if (leaf == NULL || leaf < rel || leaf > rel + strlen(rel) ||
		    strchr(leaf, '/') != NULL)
			fuzz_fail("open_parent: bad leaf", data, size);
		if (fuzz_is_inside(fd2, &ino2) != 1) {
			/* The parent may be the root itself. */
			struct stat	 a, b;

			if (fstat(fd2, &a) != 0 || fstat(fuzz_root, &b) != 0 ||
			    a.st_ino != b.st_ino || a.st_dev != b.st_dev)
				fuzz_fail("open_parent: outside the root",
				    data, size);
		}
		close(fd2);
	} else if (leaf != NULL)
		fuzz_fail("open_parent: leaf set on failure", data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*out, *name, tmp[ZC_PATH_TMP_LEN + 1];
	char		 copy[ZC_PATH_TMP_LEN + 1];
	const char	*p = (const char *)data;
	int		 r, want;

	/* Exactly the room path.h asks for, so ASan sees any overrun. */
	out = malloc(ZC_PATH_MAX + 1);
	r = zc_path_check(p, size, out, ZC_PATH_MAX + 1);
	want = fuzz_ref_check(p, size);
	if (r != 0 && r != -EINVAL)
		fuzz_fail("neither 0 nor -EINVAL", data, size);
	if ((r == 0) != want)
		fuzz_fail(want ? "valid name refused" : "invalid name accepted",
		    data, size);
	if (r == 0) {
		if (strlen(out) != size || memcmp(out, p, size) != 0)
			fuzz_fail("copy differs", data, size);
		fuzz_open(out, data, size);
	} else if (out[0] != '\0')
		fuzz_fail("out not cleared on failure", data, size);

	/* Too small an out buffer is refused, never overrun. */
	if (size > 0 && size <= ZC_PATH_MAX) {
		if (zc_path_check(p, size, out, size) != -EINVAL)
			fuzz_fail("accepted with outlen == len", data, size);
	}
	free(out);

	/* zc_path_is_temp() on the input as a C string. */
	name = malloc(size + 1);
	memcpy(name, data, size);
	name[size] = '\0';
	if (zc_path_is_temp(name) != fuzz_ref_is_temp(name, strlen(name)))
		fuzz_fail("is_temp disagrees", data, size);
	free(name);

	/* Our own temporary names are temporary and never valid peer names. */
	zc_path_make_temp(tmp, sizeof(tmp));
	if (!zc_path_is_temp(tmp) || zc_path_check(tmp, strlen(tmp), copy,
	    sizeof(copy)) != -EINVAL)
		fuzz_fail("make_temp", (const uint8_t *)tmp, strlen(tmp));
	return (0);
}
