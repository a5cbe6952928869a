/*
 * cmd-push.c: "zcsync push DIR DEST": one push, with the same engine the
 * daemon runs (common/send.c), on a short-lived loop.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "client.h"
#include "filter.h"
#include "filter-arg.h"
#include "guard.h"
#include "log.h"
#include "oneshot.h"
#include "path.h"
#include "proto.h"
#include "send.h"

#define PUSH_IDLE_MS		120000
#define PUSH_PROGRESS_MS	500

struct push {
	int		 verbose;
	int		 quiet;
	int		 progress;	/* show a progress line on stderr */
	int		 progress_shown;
	double		 t0;
	struct zc_send	*send;		/* borrowed, for the progress line */
	int		 dry_run;
	int		 done;
	int		 err;
	char		 why[512];
};

static void
push_usage(FILE *f)
{
	fprintf(f, "usage: zcsync push [options] DIR PEER/SET\n"
	    "       zcsync push [options] DIR HOST:PORT/SET\n"
	    "  -c, --config FILE   configuration: our node name, peers "
	    "(default %s if present)\n"
	    "      --delete        remove what DIR no longer has\n"
	    "      --max-delete N|P%%  refuse a push that would delete more "
	    "entries\n"
	    "  -n, --dry-run       list what would change, change nothing\n"
	    "  -v, --verbose       list every entry as it lands\n"
	    "  -q, --quiet         no summary line\n"
	    "      --name NAME     our node name (default: config, else "
	    "hostname)\n"
	    "      --insecure      allow plain TCP beyond loopback\n"
	    "      --no-zero-copy  read/write bodies instead of sendfile\n"
	    "      --specials      send fifos, sockets and device nodes too\n"
	    "      --no-xattrs     send no extended attributes or ACLs\n"
	    "      --numeric-ids   owners by number, not by user and group "
	    "name\n"
	    "      --progress      show progress even when stdout is not a "
	    "terminal\n"
	    "      --bwlimit RATE  send at most RATE bytes per second (K, M, "
	    "G: 1024)\n"
	    "      --verify        the receiver checks each file's XXH3-128 "
	    "before the rename\n"
	    ZC_FILTER_ARG_USAGE,
	    ZC_CONFIG_DEFAULT_FILE);
}

static void
push_report(void *arg, enum zc_send_event ev, const char *path,
    const char *msg)
{
	struct push	*p = arg;
	char		 name[1024];

	zc_log_name(path, name, sizeof name);
	switch (ev) {
	case ZC_SEND_FAILED:
		fprintf(stderr, "zcsync: failed %s: %s\n", name, msg);
		break;
	case ZC_SEND_VANISHED:
		fprintf(stderr, "zcsync: warning: %s: %s\n", name, msg);
		break;
	case ZC_SEND_PLAN:
		zc_oneshot_plan_line(path, msg);
		break;
	case ZC_SEND_LANDED:
		if (p->verbose)
			printf("%s %s\n", msg, name);
		break;
	case ZC_SEND_SECURE:
		if (p->verbose)
			printf("# %s\n", msg);
		break;
	case ZC_SEND_LIVE:
	case ZC_SEND_SYNCED:
		break;		/* push is never live */
	}
}

/* One line, rewritten in place: files, bytes, rate, ETA (stderr). */
static void
push_on_progress(uv_timer_t *t)
{
	struct push			*p = t->data;
	const struct zc_send_stats	*st = zc_send_stats(p->send);
	double				 secs = zc_oneshot_now() - p->t0;
	double				 rate, eta;

	if (st->plan_files == 0)
		return;		/* still comparing */
	rate = secs > 0 ? (double)st->bytes / secs : 0;
	eta = rate > 0 ? (double)(st->plan_bytes > st->bytes ?
	    st->plan_bytes - st->bytes : 0) / rate : 0;
	/*
	 * Into an empty target the totals grow while the source is still
	 * being walked (send.c): "+" after them until they are whole.
	 */
	fprintf(stderr, "\r%llu/%llu%s files  %.1f/%.1f%s MiB  %.1f MiB/s  "
	    "ETA %.0fs%s   ", (unsigned long long)st->files,
	    (unsigned long long)st->plan_files, st->walking ? "+" : "",
	    (double)st->bytes / 1048576.0, (double)st->plan_bytes / 1048576.0,
	    st->walking ? "+" : "", rate / 1048576.0, eta,
	    st->walking ? "+" : "");
	p->progress_shown = 1;
}

static void
push_done(struct zc_send *s, int err, const char *why, void *arg)
{
	struct push	*p = arg;

	p->done = 1;
	p->err = err;
	snprintf(p->why, sizeof p->why, "%s", why);
}

static int
cmd_push_exec(int argc, char **argv)
{
	static const struct option own[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-xattrs", no_argument, NULL, 'X' },
		{ "numeric-ids", no_argument, NULL, 'U' },
		{ "progress", no_argument, NULL, 'P' },
		{ "max-delete", required_argument, NULL, 'M' },
		{ "bwlimit", required_argument, NULL, 'B' },
		{ "verify", no_argument, NULL, 'V' },
		{ "specials", no_argument, NULL, 'S' },
		ZC_FILTER_ARG_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct push			 p;
	struct zc_oneshot		 o;
	struct zc_send_opts		 opts;
	struct zc_send			*s = NULL;
	struct zc_filter		*filter = zc_filter_new();
	uv_loop_t			 loop;
	uv_timer_t			 progress;
	char				 err[1024];
	uint64_t			 bwlimit = 0;
	double				 t0;
	int				 ch, src_fd = -1, fd, rc = 2, verify = 0;

	memset(&p, 0, sizeof p);
	memset(&opts, 0, sizeof opts);
	zc_oneshot_init(&o);
	while ((ch = zc_oneshot_getopt(&o, argc, argv, "v", own)) != -1) {
		switch (ch) {
		case 'v':
			p.verbose = 1;
			break;
		case 'X':
			opts.no_xattrs = 1;
			break;
		case 'U':
			opts.numeric_ids = 1;
			break;
		case 'P':
			p.progress = 1;
			break;
		case ZC_FILTER_ARG_EXCLUDE:
		case ZC_FILTER_ARG_INCLUDE:
		case ZC_FILTER_ARG_EXCLUDE_FROM:
			if (zc_filter_arg_add(filter, ch, optarg) != 0)
				goto out;
			break;
		case 'M':
			if (zc_guard_parse(optarg, &opts.max_delete) != 0) {
				fprintf(stderr, "zcsync: --max-delete: must be "
				    "a count or a percentage (10%%)\n");
				goto out;
			}
			break;
		case 'B':
			if (zc_config_parse_bytes(optarg, &bwlimit) != 0) {
				fprintf(stderr, "zcsync: --bwlimit %s: not a "
				    "number of bytes (K, M, G: 1024)\n",
				    optarg);
				goto out;
			}
			break;
		case 'V':
			verify = 1;
			break;
		case 'S':
			opts.specials = 1;
			break;
		case 'h':
			push_usage(stdout);
			rc = 0;
			goto out;
		default:
			push_usage(stderr);
			goto out;
		}
	}
	if (argc - optind != 2) {
		push_usage(stderr);
		goto out;
	}
	p.quiet = o.quiet;
	p.dry_run = (o.flags & ZC_PUSH_DRY_RUN) != 0;
	if ((rc = zc_oneshot_setup(&o, argv[optind + 1])) != 0)
		goto out;
	rc = 2;
	if (zc_filter_arg_config(filter, o.cfg, argv[optind]) != 0)
		goto out;
	opts.filter = filter;
	opts.flags = o.flags | (verify ? ZC_PUSH_VERIFY : 0);
	opts.no_zerocopy = o.no_zerocopy;
	opts.tls = o.dest.tls;
	opts.pins = o.dest.pins;
	opts.npins = o.dest.npins;
	if ((src_fd = zc_path_open_root(argv[optind])) < 0) {
		fprintf(stderr, "zcsync: %s: %s\n", argv[optind],
		    strerror(-src_fd));
		goto out;
	}

	signal(SIGPIPE, SIG_IGN);
	t0 = zc_oneshot_now();
	if ((fd = zc_dest_dial(&o.dest)) == -1) {
		rc = 1;
		goto out;
	}
	opts.node_name = o.dest.name;
	opts.set = o.dest.set;
	opts.idle_ms = PUSH_IDLE_MS;
	opts.report = push_report;
	opts.arg = &p;
	if (bwlimit > 0)
		opts.rate = zc_rate_new(bwlimit, uv_hrtime());
	uv_loop_init(&loop);
	if (zc_send_start(&loop, fd, src_fd, &opts, push_done, &p, &s, err,
	    sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s: %s\n", argv[optind], err);
		uv_loop_close(&loop);
		rc = 1;
		goto out;
	}
	/* A terminal sees progress; pipes and --quiet do not (rsync). */
	if (!p.quiet && !p.dry_run && (p.progress || isatty(STDOUT_FILENO))) {
		p.send = s;
		p.t0 = t0;
		uv_timer_init(&loop, &progress);
		progress.data = &p;
		uv_timer_start(&progress, push_on_progress, PUSH_PROGRESS_MS,
		    PUSH_PROGRESS_MS);
		uv_unref((uv_handle_t *)&progress);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	if (p.send != NULL) {
		uv_close((uv_handle_t *)&progress, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		if (p.progress_shown)
			fprintf(stderr, "\n");
	}
	uv_loop_close(&loop);
	if (!p.done) {
		fprintf(stderr, "zcsync: internal error: the session did not "
		    "finish\n");
		rc = 1;
		goto out;
	}
	if (p.err != 0)
		fprintf(stderr, "zcsync: %s/%s: %s\n", o.dest.text, o.dest.set,
		    p.why);
	if (!p.quiet)
		zc_oneshot_summary(zc_send_stats(s), p.dry_run,
		    zc_oneshot_now() - t0);
	rc = (p.err != 0 || zc_send_stats(s)->failed > 0) ? 1 : 0;
out:
	zc_send_free(s);
	zc_filter_free(filter);
	zc_rate_free(opts.rate);
	if (src_fd >= 0)
		close(src_fd);
	zc_oneshot_free(&o);
	return (rc);
}

const struct zc_cmd_entry zc_cmd_push_entry = {
	.name = "push",
	.usage = "[-nvq] [--delete] [--verify] [--bwlimit RATE] [-c FILE] DIR "
	    "PEER/SET|HOST:PORT/SET",
	.summary = "push a directory tree into a peer's set, once",
	.exec = cmd_push_exec,
};
