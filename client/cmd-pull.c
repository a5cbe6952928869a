/*
 * cmd-pull.c: "zcsync pull PEER/SET DIR": the mirror image of push.  The
 * peer's daemon sends the set (it must list us in serve_to) with the same
 * engine and zero-copy path; we land it beneath DIR exactly as a daemon
 * lands a push (common/recv.c), atomically and confined.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "client.h"
#include "oneshot.h"
#include "path.h"
#include "proto.h"
#include "recv.h"

#define PULL_IDLE_MS	120000

struct pull {
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
	    "  -n, --dry-run       list what would change, change nothing\n"
	    "  -q, --quiet         no summary line\n"
	    "      --no-fsync      do not fsync landed files\n"
	    "      --backup-dir D  keep replaced and deleted files in DIR/D\n"
	    "      --backup-keep N generations kept per file (default 5)\n"
	    "      --name NAME     our node name (default: config, else "
	    "hostname)\n"
	    "      --insecure      allow plain TCP beyond loopback\n"
	    "      --no-zero-copy  read/write bodies instead of splice\n"
	    "      --specials      accept device nodes (as root)\n"
	    "      --verify        check each file's XXH3-128 before the "
	    "rename\n"
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

/* Dry run: the same lines push --dry-run prints. */
static void
pull_plan(void *arg, enum zc_send_event ev, const char *path, const char *msg)
{
	if (ev == ZC_SEND_PLAN)
		zc_oneshot_plan_line(path, msg);
}

static int
cmd_pull_exec(int argc, char **argv)
{
	static const struct option own[] = {
		{ "no-fsync", no_argument, NULL, 'F' },
		{ "backup-dir", required_argument, NULL, 'B' },
		{ "backup-keep", required_argument, NULL, 'K' },
		{ "verify", no_argument, NULL, 'V' },
		{ "no-xattrs", no_argument, NULL, 'X' },
		{ "specials", no_argument, NULL, 'S' },
		{ "numeric-ids", no_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	struct pull			 p;
	struct zc_oneshot		 o;
	struct zc_recv_opts		 opts;
	struct zc_recv			*r = NULL;
	const struct zc_recv_stats	*st;
	uv_loop_t			 loop;
	const char			*dir;
	char				 err[1024];
	char				 backup[ZC_PATH_MAX + 1], *end;
	double				 t0, secs;
	int				 ch, fsync = 1, dry_run;
	int				 dir_fd = -1, fd, rc = 2;

	memset(&p, 0, sizeof p);
	memset(&opts, 0, sizeof opts);
	zc_oneshot_init(&o);
	while ((ch = zc_oneshot_getopt(&o, argc, argv, "", own)) != -1) {
		switch (ch) {
		case 'F':
			fsync = 0;
			break;
		case 'B':
			if (zc_path_check(optarg, strlen(optarg), backup,
			    sizeof backup) != 0) {
				fprintf(stderr, "zcsync: --backup-dir: must be "
				    "a relative path beneath DIR, without "
				    "\"..\"\n");
				return (2);
			}
			opts.backup_dir = backup;
			break;
		case 'K':
			opts.backup_keep = strtoull(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end != '\0' ||
			    opts.backup_keep > 1000) {
				fprintf(stderr, "zcsync: --backup-keep: "
				    "must be 1..1000\n");
				return (2);
			}
			break;
		case 'V':
			o.flags |= ZC_PUSH_VERIFY;
			break;
		case 'S':
			opts.specials = 1;
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
	dir = argv[optind + 1];
	dry_run = (o.flags & ZC_PUSH_DRY_RUN) != 0;
	if ((rc = zc_oneshot_setup(&o, argv[optind])) != 0)
		goto out;
	rc = 2;
	/*
	 * Like rsync, make the target directory if it is not there; a dry
	 * run makes nothing and compares with an empty tree.
	 */
	if (!dry_run && mkdir(dir, 0755) == -1 && errno != EEXIST) {
		fprintf(stderr, "zcsync: %s: %s\n", dir, strerror(errno));
		goto out;
	}
	if ((dir_fd = zc_path_open_root(dir)) == -ENOENT && dry_run)
		dir_fd = -1;
	else if (dir_fd < 0) {
		fprintf(stderr, "zcsync: %s: %s\n", dir, strerror(-dir_fd));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	t0 = zc_oneshot_now();
	if ((fd = zc_dest_dial(&o.dest)) == -1) {
		rc = 1;
		goto out;
	}
	opts.node_name = o.dest.name;
	opts.idle_ms = PULL_IDLE_MS;
	opts.no_zerocopy = o.no_zerocopy;
	opts.tls = o.dest.tls;
	opts.pins = o.dest.pins;
	opts.npins = o.dest.npins;
	opts.report = pull_report;
	opts.plan = pull_plan;
	opts.arg = &p;
	uv_loop_init(&loop);
	if (zc_recv_pull(&loop, fd, dir_fd, o.dest.set, o.flags, fsync, &opts,
	    pull_done, &p, &r, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s: %s\n", dir, err);
		uv_loop_close(&loop);
		rc = 1;
		goto out;
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	secs = zc_oneshot_now() - t0;
	st = zc_recv_stats(r);
	if (p.err != 0)
		fprintf(stderr, "zcsync: %s/%s: %s\n", o.dest.text, o.dest.set,
		    zc_recv_refusal(r)[0] ? zc_recv_refusal(r) :
		    strerror(-p.err));
	if (dry_run) {
		if (!o.quiet && p.err == 0)
			zc_oneshot_summary(zc_recv_plan(r), 1, secs);
		rc = p.err != 0 ? 1 : 0;
		goto out;
	}
	if (!o.quiet)
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
	if (dir_fd >= 0)
		close(dir_fd);
	zc_oneshot_free(&o);
	return (rc);
}

const struct zc_cmd_entry zc_cmd_pull_entry = {
	.name = "pull",
	.usage = "[-nq] [--delete] [--verify] [-c FILE] PEER/SET|HOST:PORT/SET "
	    "DIR",
	.summary = "pull a peer's set into a directory, once",
	.exec = cmd_pull_exec,
};
