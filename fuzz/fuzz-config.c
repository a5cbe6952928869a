/*
 * fuzz-config.c: libFuzzer target for the configuration loader
 * (common/config.c, config-keys.c, libyaml).
 *
 * The input is written to a file and loaded, as zcsyncd -t would.  The
 * file is a memfd named by /proc/self/fd: a real file on ext4, truncated
 * and rewritten for every input, is flushed on each close (the
 * auto_da_alloc heuristic) and was fifty times slower.  Besides
 * the sanitizers' findings (leaks included: a failed load must free all it
 * built), a crash is: a result other than 0 or -errno, *out set on failure
 * or NULL on success, and an error message that is empty or not
 * NUL-terminated inside its buffer.  A loaded config is looked up by each of
 * its own names and freed.
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define FUZZ_ERRLEN	256

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The file each input is written to, made once per process. */
static int	 fuzz_fd = -1;
static char	 fuzz_file[64];

static void
fuzz_fail(const char *what, const char *err)
{
	fprintf(stderr, "fuzz-config: %s%s%s\n", what, err != NULL ? ": " : "",
	    err != NULL ? err : "");
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((fuzz_fd = memfd_create("zcsync.yaml", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(fuzz_file, sizeof(fuzz_file), "/proc/self/fd/%d", fuzz_fd);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zc_config		*cfg;
	const struct zc_config_set	*set;
	const struct zc_config_peer	*peer;
	char				*err;
	size_t				 i, j;
	int				 r;

	if (ftruncate(fuzz_fd, 0) != 0 ||
	    pwrite(fuzz_fd, data, size, 0) != (ssize_t)size)
		fuzz_fail("cannot write the input file", NULL);

	/*
	 * Exactly FUZZ_ERRLEN bytes, so ASan sees any overrun; *out starts
	 * as garbage, which the loader must clear whatever happens.
	 */
	cfg = (struct zc_config *)&cfg;
	err = malloc(FUZZ_ERRLEN);
	memset(err, 'X', FUZZ_ERRLEN);
	r = zc_config_load(fuzz_file, &cfg, err, FUZZ_ERRLEN);
	if (r > 0 || r < -4095)
		fuzz_fail("neither 0 nor -errno", NULL);
	if (r != 0) {
		if (cfg != NULL)
			fuzz_fail("*out set on failure", NULL);
		if (memchr(err, '\0', FUZZ_ERRLEN) == NULL)
			fuzz_fail("error not NUL-terminated", NULL);
		if (err[0] == '\0')
			fuzz_fail("empty error message", NULL);
		free(err);
		return (0);
	}
	free(err);
	if (cfg == NULL)
		fuzz_fail("success without a config", NULL);

	for (i = 0; i < cfg->nsets; i++) {
		set = zc_config_set(cfg, cfg->sets[i].name);
		if (set == NULL || strcmp(set->name, cfg->sets[i].name) != 0)
			fuzz_fail("zc_config_set misses", cfg->sets[i].name);
		if (set->path == NULL || set->path[0] != '/')
			fuzz_fail("a set path is not absolute", set->path);
		for (j = 0; j < set->npush_to; j++) {
			if (zc_config_peer(cfg, set->push_to[j]) == NULL)
				fuzz_fail("push_to names no peer",
				    set->push_to[j]);
		}
		for (j = 0; j < set->naccept_from; j++) {
			if (!zc_config_set_accepts(set, set->accept_from[j]))
				fuzz_fail("accept_from not accepted",
				    set->accept_from[j]);
		}
		for (j = 0; j < set->nserve_to; j++) {
			if (!zc_config_set_serves(set, set->serve_to[j]))
				fuzz_fail("serve_to not served",
				    set->serve_to[j]);
		}
	}
	for (i = 0; i < cfg->npeers; i++) {
		peer = zc_config_peer(cfg, cfg->peers[i].name);
		if (peer == NULL || strcmp(peer->name, cfg->peers[i].name) != 0)
			fuzz_fail("zc_config_peer misses", cfg->peers[i].name);
	}
	zc_config_free(cfg);
	return (0);
}
