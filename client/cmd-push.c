/*
 * cmd-push.c: "zcsync push DIR DEST": one push, with the same engine the
 * daemon runs (common/send.c), on a short-lived loop.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "addr.h"
#include "dest.h"
#include "client.h"
#include "config.h"
#include "log.h"
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
	    "  -n, --dry-run       list what would change, change nothing\n"
	    "  -v, --verbose       list every entry as it lands\n"
	    "  -q, --quiet         no summary line\n"
	    "      --name NAME     our node name (default: config, else "
	    "hostname)\n"
	    "      --insecure      allow plain TCP beyond loopback\n"
	    "      --no-zero-copy  read/write bodies instead of sendfile\n"
	    "      --no-xattrs     send no extended attributes or ACLs\n"
	    "      --numeric-ids   owners by number, not by user and group "
	    "name\n"
	    "      --progress      show progress even when stdout is not a "
	    "terminal\n",
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
		printf("%s %s\n", msg, name);
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

static double	push_now(void);

/* One line, rewritten in place: files, bytes, rate, ETA (stderr). */
static void
push_on_progress(uv_timer_t *t)
{
	struct push			*p = t->data;
	const struct zc_send_stats	*st = zc_send_stats(p->send);
	double				 secs = push_now() - p->t0, rate, eta;

	if (st->plan_files == 0)
		return;		/* still comparing */
	rate = secs > 0 ? (double)st->bytes / secs : 0;
	eta = rate > 0 ? (double)(st->plan_bytes > st->bytes ?
	    st->plan_bytes - st->bytes : 0) / rate : 0;
	fprintf(stderr, "\r%llu/%llu files  %.1f/%.1f MiB  %.1f MiB/s  "
	    "ETA %.0fs   ", (unsigned long long)st->files,
	    (unsigned long long)st->plan_files,
	    (double)st->bytes / 1048576.0, (double)st->plan_bytes / 1048576.0,
	    rate / 1048576.0, eta);
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

static double
push_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
push_summary(const struct push *p, const struct zc_send_stats *st,
    double secs)
{
	double	mib = (double)st->bytes / (1024.0 * 1024.0);

	printf("%s%llu files sent, %llu skipped, %llu deleted, %llu dirs, "
	    "%llu links, %llu meta, %llu failed; %llu bytes in %.3f s "
	    "(%.1f MiB/s)\n", p->dry_run ? "dry run: would have: " : "",
	    (unsigned long long)st->files, (unsigned long long)st->skipped,
	    (unsigned long long)st->deleted, (unsigned long long)st->dirs,
	    (unsigned long long)st->links, (unsigned long long)st->metas,
	    (unsigned long long)st->failed, (unsigned long long)st->bytes,
	    secs, secs > 0 ? mib / secs : 0.0);
}

static int
cmd_push_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "delete", no_argument, NULL, 'D' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "name", required_argument, NULL, 'N' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "no-zero-copy", no_argument, NULL, 'Z' },
		{ "no-xattrs", no_argument, NULL, 'X' },
		{ "numeric-ids", no_argument, NULL, 'U' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct push			 p;
	struct zc_send_opts		 opts;
	struct zc_config		*cfg = NULL;
	struct zc_dest			 dest;
	struct zc_send			*s = NULL;
	uv_loop_t			 loop;
	uv_timer_t			 progress;
	const char			*config_file = NULL, *name = NULL;
	char				 err[1024];
	double				 t0;
	int				 ch, insecure = 0, src_fd = -1, fd, rc = 2;

	memset(&p, 0, sizeof p);
	memset(&opts, 0, sizeof opts);
	memset(&dest, 0, sizeof dest);
	while ((ch = getopt_long(argc, argv, "c:nvqh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_file = optarg;
			break;
		case 'D':
			opts.flags |= ZC_PUSH_DELETE;
			break;
		case 'n':
			opts.flags |= ZC_PUSH_DRY_RUN;
			p.dry_run = 1;
			break;
		case 'v':
			p.verbose = 1;
			break;
		case 'q':
			p.quiet = 1;
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
		case 'P':
			p.progress = 1;
			break;
		case 'h':
			push_usage(stdout);
			return (0);
		default:
			push_usage(stderr);
			return (2);
		}
	}
	if (argc - optind != 2) {
		push_usage(stderr);
		return (2);
	}
	if (config_file == NULL && access(ZC_CONFIG_DEFAULT_FILE, R_OK) == 0)
		config_file = ZC_CONFIG_DEFAULT_FILE;
	if (config_file != NULL &&
	    zc_config_load(config_file, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s\n", err);
		return (2);
	}

	if ((rc = zc_dest_resolve(argv[optind + 1], cfg, name, insecure,
	    &dest)) != 0)
		goto out;
	rc = 2;
	opts.tls = dest.tls;
	opts.pins = dest.pins;
	opts.npins = dest.npins;
	if ((src_fd = zc_path_open_root(argv[optind])) < 0) {
		fprintf(stderr, "zcsync: %s: %s\n", argv[optind],
		    strerror(-src_fd));
		goto out;
	}

	signal(SIGPIPE, SIG_IGN);
	t0 = push_now();
	if ((fd = zc_dest_dial(&dest)) == -1) {
		rc = 1;
		goto out;
	}
	opts.node_name = dest.name;
	opts.set = dest.set;
	opts.idle_ms = PUSH_IDLE_MS;
	opts.report = push_report;
	opts.arg = &p;
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
		fprintf(stderr, "zcsync: %s/%s: %s\n", dest.text, dest.set,
		    p.why);
	if (!p.quiet)
		push_summary(&p, zc_send_stats(s), push_now() - t0);
	rc = (p.err != 0 || zc_send_stats(s)->failed > 0) ? 1 : 0;
out:
	zc_send_free(s);
	zc_dest_free(&dest);
	if (src_fd >= 0)
		close(src_fd);
	zc_config_free(cfg);
	return (rc);
}

const struct zc_cmd_entry zc_cmd_push_entry = {
	.name = "push",
	.usage = "[-nvq] [--delete] [-c FILE] DIR PEER/SET|HOST:PORT/SET",
	.summary = "push a directory tree into a peer's set, once",
	.exec = cmd_push_exec,
};
