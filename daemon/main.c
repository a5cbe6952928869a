/*
 * main.c: zcsyncd, the zcsync daemon: argv, config, signals, readiness,
 * uv_run().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "land.h"
#include "log.h"
#include "path.h"
#include "version.h"
#include "zcsyncd.h"

static void	main_ready(struct zcd *);

static void
usage(FILE *f)
{
	fprintf(f, "usage: zcsyncd [-tv] [-c config] [--ready-fd N] "
	    "[--no-zero-copy]\n"
	    "       zcsyncd --version\n"
	    "  -c, --config FILE   configuration (default %s)\n"
	    "  -t, --test          check the configuration and exit\n"
	    "  -v, --verbose       more logging (twice: debug)\n"
	    "  -q, --quiet         errors and warnings only\n"
	    "  --ready-fd N        when listening, write the port and a\n"
	    "                      newline to fd N and close it\n"
	    "  --no-zero-copy      receive with read/write (benchmarks)\n",
	    ZC_CONFIG_DEFAULT_FILE);
}

/*
 * Check every set root now, and remove temporary names a killed receiver
 * may have left (O_TMPFILE leaves none; the named fallback might).
 */
static int
main_prepare_sets(struct zc_config *cfg)
{
	unsigned long	removed;
	size_t		i;
	int		fd, error;

	for (i = 0; i < cfg->nsets; i++) {
		if ((fd = zc_path_open_root(cfg->sets[i].path)) < 0) {
			zc_log_err("set %s: %s: %s", cfg->sets[i].name,
			    cfg->sets[i].path, strerror(-fd));
			return (fd);
		}
		if (cfg->sets[i].naccept_from > 0) {
			error = zc_land_sweep(fd, &removed);
			if (error != 0)
				zc_log_warn("set %s: sweeping temporary files: "
				    "%s", cfg->sets[i].name, strerror(-error));
			else if (removed > 0)
				zc_log_info("set %s: removed %lu leftover "
				    "temporary files", cfg->sets[i].name,
				    removed);
		}
		close(fd);
	}
	return (0);
}

/*
 * glibc raises its mmap threshold each time a mapped block is freed (up to
 * 32 MiB), after which the next catch-up's manifests (megabytes of entry
 * arrays, hash slots and name chunks) come from the heap: growing them
 * copies, and what is freed stays resident.  Fixed thresholds keep every
 * block of 128 KiB or more mapped (grown by mremap, unmapped when freed)
 * and trim the heap's top, so a daemon's size after a catch-up is what it
 * holds, not what its largest catch-up held (docs/benchmarks.md).
 */
static void
main_malloc_tune(void)
{
#ifdef __GLIBC__
	(void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 256 * 1024);
#endif
}

/* This node's TLS context, from node.identity (NULL without one). */
/*
 * Each connection holds a socket, and while a file lands a file and a
 * pipe pair: raise the soft RLIMIT_NOFILE to the hard one.  The soft limit
 * is low (1024 under systemd since v240, which raised only the hard one)
 * for programs that use select(2) and its FD_SETSIZE; libuv polls with
 * epoll.  A hard limit of RLIM_INFINITY cannot be a soft NOFILE limit
 * (setrlimit(2): EPERM above /proc/sys/fs/nr_open): that is the ceiling.
 */
static void
main_raise_nofile(void)
{
	struct rlimit	rl;
	rlim_t		old, want;
	FILE		*f;
	unsigned long	nr_open;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		zc_log_warn("getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return;
	}
	old = rl.rlim_cur;
	want = rl.rlim_max;
	if (want == RLIM_INFINITY) {
		want = old;
		if ((f = fopen("/proc/sys/fs/nr_open", "r")) != NULL) {
			if (fscanf(f, "%lu", &nr_open) == 1)
				want = nr_open;
			fclose(f);
		}
	}
	if (want > old) {
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			zc_log_warn("raising the descriptor limit from %llu to "
			    "%llu: %s", (unsigned long long)old,
			    (unsigned long long)want, strerror(errno));
			return;
		}
		zc_log_info("descriptor limit raised from %llu to %llu",
		    (unsigned long long)old, (unsigned long long)want);
		return;
	}
	zc_log_info("descriptor limit %llu, as high as it may be",
	    (unsigned long long)old);
}

static int
main_tls(const struct zc_config *cfg, struct zc_tls_ctx **out, char *err,
    size_t errlen)
{
	*out = NULL;
	if (cfg->node.cert == NULL)
		return (0);
	return (zc_tls_ctx_new(cfg->node.cert, cfg->node.key, out, err,
	    errlen));
}

static int
main_has_mirrors(const struct zc_config *cfg)
{
	size_t	i;

	for (i = 0; i < cfg->nsets; i++)
		if (cfg->sets[i].npush_to > 0)
			return (1);
	return (0);
}

static void
main_on_closed(uv_handle_t *h)
{
}

static void
main_stop(struct zcd *zcd, int signum)
{
	if (zcd->stopping)
		return;
	zcd->stopping = 1;
	zc_log_info("%s: stopping; %u connections to close",
	    strsignal(signum), zcd->nsessions);
	zcd_notify_stopping(&zcd->notify);
	zcd_notify_close(&zcd->notify);
	zcd_listen_stop(zcd);
	zcd_ctl_stop(zcd);
	zcd_metrics_stop(zcd);
	zcd_sessions_close(zcd);
	zcd_mirror_stop_all(zcd);
	uv_close((uv_handle_t *)&zcd->sig_term, main_on_closed);
	uv_close((uv_handle_t *)&zcd->sig_int, main_on_closed);
	uv_close((uv_handle_t *)&zcd->sig_hup, main_on_closed);
}

/*
 * Reload: build and check the new config before touching the old; a bad
 * one changes nothing.  Sessions consult the config only when a push
 * starts, so swapping it between callbacks is safe.
 */
static void
main_reload(struct zcd *zcd)
{
	struct zc_config	*cfg;
	struct zc_tls_ctx	*tls;
	char			 err[1024];

	if (zc_config_load(zcd->config_file, &cfg, err, sizeof err) != 0) {
		zc_log_err("reload failed, keeping the running config: %s",
		    err);
		zcd->reload_failed = 1;
		return;
	}
	if (main_prepare_sets(cfg) != 0) {
		zc_log_err("reload failed, keeping the running config");
		zc_config_free(cfg);
		zcd->reload_failed = 1;
		return;
	}
	/* A new identity applies to new connections; live ones keep theirs. */
	if (main_tls(cfg, &tls, err, sizeof err) != 0) {
		zc_log_err("reload failed, keeping the running config: %s",
		    err);
		zc_config_free(cfg);
		zcd->reload_failed = 1;
		return;
	}
	zc_tls_ctx_free(zcd->tls);
	zcd->tls = tls;
	if ((cfg->node.listen == NULL) != (zcd->cfg->node.listen == NULL) ||
	    (cfg->node.listen != NULL &&
	    strcmp(cfg->node.listen, zcd->cfg->node.listen) != 0))
		zc_log_warn("reload: node.listen changed; restart to apply");
	zc_config_free(zcd->cfg);
	zcd->cfg = cfg;
	zcd_bwlimit_reload(zcd);
	zcd_mirror_reload(zcd);
	zcd_sessions_recheck(zcd);
	zc_log_info("reloaded %s: %zu peers, %zu sets", zcd->config_file,
	    cfg->npeers, cfg->nsets);
}

static void
main_on_signal(uv_signal_t *h, int signum)
{
	struct zcd	*zcd = h->data;

	if (signum == SIGHUP) {
		zcd_notify_reloading(&zcd->notify);
		zcd->reload_failed = 0;
		main_reload(zcd);
		main_ready(zcd);
	} else
		main_stop(zcd, signum);
}

/* systemd: READY=1 and a STATUS= line that says what we serve. */
static void
main_ready(struct zcd *zcd)
{
	struct zcd_mirror	*m;
	size_t			 nmirrors = 0;
	char			 addr[64];
	char			 status[256];

	for (m = zcd->mirrors; m != NULL; m = m->next)
		nmirrors += !m->stopped;
	snprintf(status, sizeof status, "%snode %s: %s; mirroring %zu sets",
	    zcd->reload_failed ? "reload failed (see the log), running the "
	    "old config: " : "", zcd->cfg->node.name, zcd->listen_fd != -1 ?
	    zc_addr_str(&zcd->bound, addr, sizeof addr) : "not listening",
	    nmirrors);
	zcd_notify_ready(&zcd->notify, status);
}

static int
main_ready_fd(int fd, int port)
{
	char	line[32];
	int	n;

	n = snprintf(line, sizeof line, "%d\n", port);
	if (write(fd, line, (size_t)n) != n) {
		zc_log_err("--ready-fd %d: %s", fd, strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "ready-fd", required_argument, NULL, 'R' },
		{ "no-zero-copy", no_argument, NULL, 'Z' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct zcd	 zcd;
	char		 err[1024], addr[64], *end;
	int		 ch, test = 0, level = ZC_LOG_INFO, ready_fd = -1;
	long		 l;

	main_malloc_tune();
	memset(&zcd, 0, sizeof zcd);
	zcd.config_file = ZC_CONFIG_DEFAULT_FILE;
	zcd.listen_fd = -1;
	while ((ch = getopt_long(argc, argv, "c:tvqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			zcd.config_file = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'v':
			level++;
			break;
		case 'q':
			level = ZC_LOG_WARN;
			break;
		case 'R':
			errno = 0;
			l = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || l < 0 || l > 65535) {
				fprintf(stderr, "zcsyncd: bad --ready-fd: %s\n",
				    optarg);
				return (2);
			}
			ready_fd = (int)l;
			break;
		case 'Z':
			zcd.no_zerocopy = 1;
			break;
		case 'V':
			printf("zcsyncd %s %s\n", zc_version(),
			    zc_version_features());
			return (0);
		case 'h':
			usage(stdout);
			return (0);
		default:
			usage(stderr);
			return (2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (2);
	}
	zc_log_init("zcsyncd", level);
	if (zc_config_load(zcd.config_file, &zcd.cfg, err, sizeof err) != 0) {
		fprintf(stderr, "zcsyncd: %s\n", err);
		return (1);
	}
	if (test) {
		printf("%s: ok\n", zcd.config_file);
		zc_config_free(zcd.cfg);
		return (0);
	}
	if (zcd.cfg->node.listen == NULL && !main_has_mirrors(zcd.cfg)) {
		fprintf(stderr, "zcsyncd: %s: no node.listen and no set with "
		    "push_to: nothing to do\n", zcd.config_file);
		zc_config_free(zcd.cfg);
		return (1);
	}
	if (main_prepare_sets(zcd.cfg) != 0) {
		zc_config_free(zcd.cfg);
		return (1);
	}
	if (main_tls(zcd.cfg, &zcd.tls, err, sizeof err) != 0) {
		fprintf(stderr, "zcsyncd: %s\n", err);
		zc_config_free(zcd.cfg);
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);
	main_raise_nofile();
	zcd.loop = uv_default_loop();
	if (zcd.cfg->node.listen != NULL &&
	    zcd_listen_start(&zcd, err, sizeof err) != 0) {
		zc_log_err("%s", err);
		zc_config_free(zcd.cfg);
		return (1);
	}
	uv_signal_init(zcd.loop, &zcd.sig_term);
	uv_signal_init(zcd.loop, &zcd.sig_int);
	uv_signal_init(zcd.loop, &zcd.sig_hup);
	zcd.sig_term.data = zcd.sig_int.data = zcd.sig_hup.data = &zcd;
	uv_signal_start(&zcd.sig_term, main_on_signal, SIGTERM);
	uv_signal_start(&zcd.sig_int, main_on_signal, SIGINT);
	uv_signal_start(&zcd.sig_hup, main_on_signal, SIGHUP);
	zc_log_info("zcsyncd %s (%s) node %s %s%s: %s; bodies leave by "
	    "%s and land by %s", zc_version(), zc_version_features(),
	    zcd.cfg->node.name, zcd.listen_fd != -1 ? "listening on " :
	    "not listening", zcd.listen_fd != -1 ? zc_addr_str(&zcd.bound,
	    addr, sizeof addr) : "", zcd.tls != NULL ? "TLS 1.3 for pinned "
	    "peers (kTLS where the kernel offers it, else user space), plain "
	    "TCP on loopback" : "plain TCP (no node.identity)",
	    zcd.no_zerocopy ? "read(2)" : "sendfile(2)",
	    zcd.no_zerocopy ? "write(2): read/write (zero copy off)" :
	    "splice(2)");
	zcd.started = time(NULL);
	if ((zcd.cfg->node.control != NULL && zcd_ctl_start(&zcd,
	    zcd.cfg->node.control, err, sizeof err) != 0) ||
	    (zcd.cfg->node.metrics_listen != NULL && zcd_metrics_start(&zcd,
	    &zcd.cfg->node.metrics_addr, err, sizeof err) != 0)) {
		zc_log_err("%s", err);
		main_stop(&zcd, SIGTERM);
		uv_run(zcd.loop, UV_RUN_DEFAULT);
		zc_tls_ctx_free(zcd.tls);
		zc_config_free(zcd.cfg);
		return (1);
	}
	if (zcd.metrics != NULL)
		zc_log_info("metrics on http://%s/metrics (port %d)",
		    zcd.cfg->node.metrics_listen, zcd_metrics_port(&zcd));
	if (zcd_mirror_start_all(&zcd, err, sizeof err) != 0) {
		zc_log_err("%s", err);
		main_stop(&zcd, SIGTERM);
		uv_run(zcd.loop, UV_RUN_DEFAULT);
		zc_config_free(zcd.cfg);
		return (1);
	}
	if (ready_fd != -1 && main_ready_fd(ready_fd, zcd.listen_fd != -1 ?
	    zc_addr_port(&zcd.bound) : 0) != 0) {
		main_stop(&zcd, SIGTERM);
		uv_run(zcd.loop, UV_RUN_DEFAULT);
		zc_config_free(zcd.cfg);
		return (1);
	}
	/* Listeners, control socket and watches are up: tell systemd. */
	zcd_notify_init(&zcd.notify, zcd.loop);
	main_ready(&zcd);
	uv_run(zcd.loop, UV_RUN_DEFAULT);
	uv_loop_close(zcd.loop);
	zcd_received_free(&zcd);
	zcd_bwlimit_free(&zcd);
	zcd_warned_free(&zcd);
	zc_tls_ctx_free(zcd.tls);
	zc_config_free(zcd.cfg);
	zc_log_info("stopped");
	return (0);
}
