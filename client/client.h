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

#endif
