/*
 * cmd-pull.c: "zcsync pull PEER/SET DIR": the mirror image of push.  The
 * peer's daemon sends the set (it must list us in serve_to) with the same
 * engine and zero-copy path; we land it beneath DIR exactly as a daemon
 * lands a push (common/recv.c), atomically and confined.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "client.h"
#include "config.h"
#include "dest.h"
#include "log.h"
#include "path.h"
#include "proto.h"
#include "recv.h"

#define PULL_IDLE_MS	120000

struct pull {
	int	 verbose;
	int	 done;
	int	 err;
};

static void
pull_usage(FILE *f)
{
	fprintf(f, "usage: zcsync pull [options] PEER/SET DIR\n"
	    "       zcsync pull [options] HOST:PORT/SET DIR\n"
	    "  -c, --config FILE   configuration: our node name, peers "
	    "(default %s if present)\n"
	    "      --delete        remove what the set no longer has\n"
	    "  -q, --quiet         no summary line\n"
	    "      --no-fsync      do not fsync landed files\n"
	    "      --name NAME     our node name (default: config, else "
	    "hostname)\n"
	    "      --insecure      allow plain TCP beyond loopback\n"
	    "      --no-zero-copy  read/write bodies instead of splice\n"
	    "      --no-xattrs     keep no extended attributes or ACLs\n"
	    "      --numeric-ids   owners by number, not by user and group "
	    "name\n",
	    ZC_CONFIG_DEFAULT_FILE);
}

static void
pull_report(void *arg, const char *name, uint32_t code, const char *msg)
{
	fprintf(stderr, "zcsync: failed %s: %s%s%s\n", name,
	    zc_proto_code_str(code), msg[0] ? ": " : "", msg);
}

static void
pull_done(struct zc_recv *r, int err, void *arg)
{
	struct pull	*p = arg;

	p->done = 1;
	p->err = err;
}

static double
pull_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static int
cmd_pull_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "delete", no_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-fsync", no_argument, NULL, 'F' },
		{ "name", required_argument, NULL, 'N' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "no-zero-copy", no_argument, NULL, 'Z' },
		{ "no-xattrs", no_argument, NULL, 'X' },
		{ "numeric-ids", no_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pull			 p;
	struct zc_recv_opts		 opts;
	struct zc_config		*cfg = NULL;
	struct zc_dest			 dest;
	struct zc_recv			*r = NULL;
	const struct zc_recv_stats	*st;
	uv_loop_t			 loop;
	const char			*config_file = NULL, *name = NULL;
	char				 err[1024];
	double				 t0, secs;
	uint32_t			 flags = 0;
	int				 ch, insecure = 0, quiet = 0, fsync = 1;
	int				 dir_fd = -1, fd, rc = 2;

	memset(&p, 0, sizeof p);
	memset(&opts, 0, sizeof opts);
	memset(&dest, 0, sizeof dest);
	while ((ch = getopt_long(argc, argv, "c:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_file = optarg;
			break;
		case 'D':
			flags |= ZC_PUSH_DELETE;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'F':
			fsync = 0;
			break;
		case 'N':
			name = optarg;
			break;
		case 'I':
			insecure = 1;
			break;
		case 'Z':
			opts.no_zerocopy = 1;
			break;
		case 'X':
			opts.no_xattrs = 1;
			break;
		case 'U':
			opts.numeric_ids = 1;
			break;
		case 'h':
			pull_usage(stdout);
			return (0);
		default:
			pull_usage(stderr);
			return (2);
		}
	}
	if (argc - optind != 2) {
		pull_usage(stderr);
		return (2);
	}
	if (config_file == NULL && access(ZC_CONFIG_DEFAULT_FILE, R_OK) == 0)
		config_file = ZC_CONFIG_DEFAULT_FILE;
	if (config_file != NULL &&
	    zc_config_load(config_file, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s\n", err);
		return (2);
	}
	if ((rc = zc_dest_resolve(argv[optind], cfg, name, insecure,
	    &dest)) != 0)
		goto out;
	rc = 2;
	/* Like rsync, make the target directory if it is not there. */
	if (mkdir(argv[optind + 1], 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "zcsync: %s: %s\n", argv[optind + 1],
		    strerror(errno));
		goto out;
	}
	if ((dir_fd = zc_path_open_root(argv[optind + 1])) < 0) {
		fprintf(stderr, "zcsync: %s: %s\n", argv[optind + 1],
		    strerror(-dir_fd));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	t0 = pull_now();
	if ((fd = zc_dest_dial(&dest)) == -1) {
		rc = 1;
		goto out;
	}
	opts.node_name = dest.name;
	opts.idle_ms = PULL_IDLE_MS;
	opts.tls = dest.tls;
	opts.pins = dest.pins;
	opts.npins = dest.npins;
	opts.report = pull_report;
	opts.arg = &p;
	uv_loop_init(&loop);
	if (zc_recv_pull(&loop, fd, dir_fd, dest.set, flags, fsync, &opts,
	    pull_done, &p, &r, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s: %s\n", argv[optind + 1], err);
		uv_loop_close(&loop);
		rc = 1;
		goto out;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	secs = pull_now() - t0;
	st = zc_recv_stats(r);
	if (p.err != 0)
		fprintf(stderr, "zcsync: %s/%s: %s\n", dest.text, dest.set,
		    zc_recv_refusal(r)[0] ? zc_recv_refusal(r) :
		    strerror(-p.err));
	if (!quiet)
		printf("%llu files received, %llu entries applied, %llu failed; "
		    "%llu bytes in %.3f s (%.1f MiB/s)\n",
		    (unsigned long long)st->files,
		    (unsigned long long)st->entries,
		    (unsigned long long)st->failures,
		    (unsigned long long)st->bytes, secs, secs > 0 ?
		    (double)st->bytes / 1048576.0 / secs : 0.0);
	rc = (p.err != 0 || st->failures > 0) ? 1 : 0;
out:
	zc_recv_free(r);
	zc_dest_free(&dest);
	if (dir_fd >= 0)
		close(dir_fd);
	zc_config_free(cfg);
	return (rc);
}

const struct zc_cmd_entry zc_cmd_pull_entry = {
	.name = "pull",
	.usage = "[-q] [--delete] [-c FILE] PEER/SET|HOST:PORT/SET DIR",
	.summary = "pull a peer's set into a directory, once",
	.exec = cmd_pull_exec,
};
