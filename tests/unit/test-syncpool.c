/*
 * test-syncpool.c: the group commit's fsync threads: every descriptor of a
 * round fsynced once with its own result, threads started only as rounds
 * want them (at most ZC_SYNCPOOL_THREADS - 1) and kept between rounds,
 * all joined by zc_syncpool_free().
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "syncpool.h"
#include "test-dir.h"

#define NFILES	100

/* Threads of this process, from /proc/self/task. */
static size_t
threads_now(void)
{
	DIR		*dir;
	struct dirent	*de;
	size_t		 n = 0;

	dir = opendir("/proc/self/task");
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(dir);
	return (n);
}

static void
test_rounds(void **state)
{
	struct dir		*d = *state;
	struct zc_syncpool	*p;
	int			 fds[NFILES], errors[NFILES];
	char			 name[32];
	size_t			 i, base;

	base = threads_now();
	for (i = 0; i < NFILES; i++) {
		snprintf(name, sizeof name, "f%zu", i);
		fds[i] = openat(d->fd, name, O_RDWR | O_CREAT | O_TRUNC, 0600);
		assert_true(fds[i] >= 0);
		assert_int_equal(write(fds[i], name, strlen(name)),
		    (ssize_t)strlen(name));
	}
	p = zc_syncpool_new();
	assert_int_equal(zc_syncpool_threads(p), 0);
	assert_int_equal(threads_now(), base);

	/* One descriptor: the caller alone. */
	errors[0] = 1;
	zc_syncpool_fsync(p, fds, 1, errors);
	assert_int_equal(errors[0], 0);
	assert_int_equal(zc_syncpool_threads(p), 0);

	/* Five: four workers beside the caller; kept after the round. */
	for (i = 0; i < 5; i++)
		errors[i] = 1;
	zc_syncpool_fsync(p, fds, 5, errors);
	for (i = 0; i < 5; i++)
		assert_int_equal(errors[i], 0);
	assert_int_equal(zc_syncpool_threads(p), 4);
	assert_int_equal(threads_now(), base + 4);

	/* More than the bound: ZC_SYNCPOOL_THREADS - 1 workers, no more. */
	for (i = 0; i < NFILES; i++)
		errors[i] = 1;
	zc_syncpool_fsync(p, fds, NFILES, errors);
	for (i = 0; i < NFILES; i++)
		assert_int_equal(errors[i], 0);
	assert_int_equal(zc_syncpool_threads(p), ZC_SYNCPOOL_THREADS - 1);

	/* A bad descriptor fails alone, in its own slot. */
	fds[7] = -1;
	for (i = 0; i < NFILES; i++)
		errors[i] = 1;
	zc_syncpool_fsync(p, fds, NFILES, errors);
	for (i = 0; i < NFILES; i++)
		assert_int_equal(errors[i], i == 7 ? -EBADF : 0);

	/* Many rounds on the same threads. */
	for (i = 0; i < 200; i++) {
		zc_syncpool_fsync(p, fds + 8, 3, errors);
		assert_int_equal(errors[0] | errors[1] | errors[2], 0);
	}
	assert_int_equal(zc_syncpool_threads(p), ZC_SYNCPOOL_THREADS - 1);

	zc_syncpool_free(p);
	assert_int_equal(threads_now(), base);
	zc_syncpool_free(NULL);
	for (i = 0; i < NFILES; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
}

/* Workers take no signal: a signal for the process finds the caller. */
static void
test_signals(void **state)
{
	struct zc_syncpool	*p;
	char			 path[300];
	FILE			*f;
	int			 fds[4], errors[4], i;
	char			 line[256];
	unsigned long long	 blocked;
	size_t			 checked = 0;
	DIR			*dir;
	struct dirent		*de;

	(void)state;
	for (i = 0; i < 4; i++)
		fds[i] = STDERR_FILENO;
	p = zc_syncpool_new();
	zc_syncpool_fsync(p, fds, 4, errors);
	assert_int_equal(zc_syncpool_threads(p), 3);
	dir = opendir("/proc/self/task");
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (pid_t)atol(de->d_name) == getpid())
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/status",
		    de->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		blocked = 0;
		while (fgets(line, sizeof line, f) != NULL) {
			if (sscanf(line, "SigBlk: %llx", &blocked) == 1)
				break;
		}
		fclose(f);
		/* The loop's signals, and SIGPIPE, never reach them. */
		for (i = 0; i < 5; i++) {
			static const int sigs[] = {
				SIGTERM, SIGHUP, SIGINT, SIGCHLD, SIGPIPE
			};
			assert_true(blocked & (1ULL << (sigs[i] - 1)));
		}
		checked++;
	}
	closedir(dir);
	assert_int_equal(checked, 3);
	zc_syncpool_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rounds, dir_setup,
		    dir_teardown),
		cmocka_unit_test(test_signals),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
