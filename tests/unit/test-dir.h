/*
 * test-dir.h: a fresh directory for each unit test that touches a file
 * system (cmocka setup and teardown): base is the directory, held open as
 * fd; out is an empty directory beside it, for tests that check that
 * nothing is written outside base.  Both are removed afterwards.
 */
#ifndef ZC_TEST_DIR_H
#define ZC_TEST_DIR_H

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dir {
	char	 base[64];
	char	 out[80];	/* beside base: must stay empty */
	int	 fd;
};

static int
dir_setup(void **state)
{
	struct dir	*d;

	d = calloc(1, sizeof(*d));
	assert_non_null(d);
	strcpy(d->base, "/tmp/zc-unit.XXXXXX");
	assert_non_null(mkdtemp(d->base));
	snprintf(d->out, sizeof(d->out), "%s.out", d->base);
	assert_int_equal(mkdir(d->out, 0700), 0);
	d->fd = open(d->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(d->fd >= 0);
	*state = d;
	return (0);
}

static int
dir_teardown(void **state)
{
	struct dir	*d = *state;
	char		 cmd[256];

	close(d->fd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", d->base, d->out);
	assert_int_equal(system(cmd), 0);
	free(d);
	return (0);
}

/* Write data (a string) to name in dfd, created or truncated, 0644. */
static void __attribute__((unused))
dir_put(int dfd, const char *name, const char *data)
{
	int	fd;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	close(fd);
}

#endif
