/* client.h: zcsync subcommands (tmux cmd-*.c). */
#ifndef ZC_CLIENT_H
#define ZC_CLIENT_H

struct zc_cmd_entry {
	const char	*name;
	const char	*usage;
	const char	*summary;
	int		(*exec)(int argc, char **argv);
};

extern const struct zc_cmd_entry zc_cmd_push_entry;
extern const struct zc_cmd_entry zc_cmd_check_config_entry;
extern const struct zc_cmd_entry zc_cmd_keygen_entry;
extern const struct zc_cmd_entry zc_cmd_fingerprint_entry;
extern const struct zc_cmd_entry zc_cmd_pull_entry;
extern const struct zc_cmd_entry zc_cmd_status_entry;
extern const struct zc_cmd_entry zc_cmd_sync_entry;
extern const struct zc_cmd_entry zc_cmd_metrics_entry;

/* ctl-client.c: requests to the local daemon's control socket. */
#include <stdio.h>
int	zc_ctl_socket_path(const char *socket, const char *config, char **path);
int	zc_ctl_request(const char *path, const char *request, FILE *out);
int	zc_ctl_command(int argc, char **argv, const char *usage, int min_args,
	    int max_args, int json_ok, const char *request);

#endif
