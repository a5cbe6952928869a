/*
 * ctl-client.c: one request to the local daemon's control socket, and its
 * reply copied to stdout (ctl.c is the other end).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "xmalloc.h"

#define CTL_TIMEOUT_MS	10000

/*
 * The socket: --socket PATH, else node.control of -c FILE (or of the
 * default config).  0 and *path (owned), or 2 with a message printed.
 */
int
zc_ctl_socket_path(const char *socket, const char *config, char **path)
{
	struct zc_config	*cfg;
	char			 err[1024];

	*path = NULL;
	if (socket != NULL) {
		*path = xstrdup(socket);
		return (0);
	}
	if (config == NULL)
		config = ZC_CONFIG_DEFAULT_FILE;
	if (zc_config_load(config, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "zcsync: %s\n", err);
		return (2);
	}
	if (cfg->node.control == NULL) {
		fprintf(stderr, "zcsync: %s: node.control is not set: the "
		    "daemon has no control socket\n", config);
		zc_config_free(cfg);
		return (2);
	}
	*path = xstrdup(cfg->node.control);
	zc_config_free(cfg);
	return (0);
}

/*
 * Send request (one line) and copy the reply to out.  0 when the reply
 * does not start with "error:", 1 when it does or the daemon cannot be
 * reached.
 */
int
zc_ctl_request(const char *path, const char *request, FILE *out)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 buf[65536];
	ssize_t			 n;
	size_t			 len, total = 0;
	int			 fd, rc = 0, first = 1;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		fprintf(stderr, "zcsync: %s: path too long\n", path);
		return (1);
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		fprintf(stderr, "zcsync: %s: %s (is zcsyncd running?)\n", path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (1);
	}
	/*
	 * A daemon that refuses us may answer and close before reading all
	 * of this: a failed write still leaves its answer to read.
	 */
	len = strlen(request);
	(void)(send(fd, request, len, MSG_NOSIGNAL) == (ssize_t)len &&
	    send(fd, "\n", 1, MSG_NOSIGNAL) == 1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, CTL_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "zcsync: %s: no reply\n", path);
			rc = 1;
			break;
		}
		if ((n = read(fd, buf, sizeof buf)) <= 0)
			break;
		if (first && strncmp(buf, "error:", (size_t)n < 6 ?
		    (size_t)n : 6) == 0)
			rc = 1;
		first = 0;
		fwrite(buf, 1, (size_t)n, rc ? stderr : out);
		total += (size_t)n;
	}
	close(fd);
	if (total == 0 && rc == 0) {
		fprintf(stderr, "zcsync: %s: empty reply\n", path);
		rc = 1;
	}
	return (rc);
}

/* The common part of status, sync and metrics: options, then a request. */
int
zc_ctl_command(int argc, char **argv, const char *usage, int min_args,
    int max_args, int json_ok, const char *request)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*config = NULL, *socket = NULL;
	char		*path, *line;
	size_t		 len;
	int		 ch, json = 0, i, rc;

	while ((ch = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'S':
			socket = optarg;
			break;
		case 'j':
			if (!json_ok)
				goto usage;
			json = 1;
			break;
		case 'h':
			printf("usage: zcsync %s %s\n", argv[0], usage);
			return (0);
		default:
			goto usage;
		}
	}
	if (argc - optind < min_args || argc - optind > max_args)
		goto usage;
	if ((rc = zc_ctl_socket_path(socket, config, &path)) != 0)
		return (rc);
	len = strlen(request) + 8;
	for (i = optind; i < argc; i++) {
		if (strpbrk(argv[i], " \t\n") != NULL) {
			fprintf(stderr, "zcsync: %s: no spaces in names\n",
			    argv[i]);
			free(path);
			return (2);
		}
		len += strlen(argv[i]) + 1;
	}
	line = xmalloc(len);
	snprintf(line, len, "%s%s", request, json ? " json" : "");
	for (i = optind; i < argc; i++) {
		strcat(line, " ");
		strcat(line, argv[i]);
	}
	rc = zc_ctl_request(path, line, stdout);
	free(line);
	free(path);
	return (rc);
usage:
	fprintf(stderr, "usage: zcsync %s %s\n", argv[0], usage);
	return (2);
}
