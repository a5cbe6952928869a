/*
 * cmd-check-config.c: "zcsync check-config": the daemon's own loader, so
 * what passes here starts there (sshd -t).
 */
#include <getopt.h>
#include <stdio.h>

#include "client.h"
#include "config.h"

static int
cmd_check_config_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	struct zc_config	*cfg;
	const char		*file = ZC_CONFIG_DEFAULT_FILE;
	char			 err[1024];
	int			 ch;

	while ((ch = getopt_long(argc, argv, "c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		default:
			fprintf(stderr, "usage: zcsync check-config %s\n",
			    zc_cmd_check_config_entry.usage);
			return (2);
		}
	}
	if (optind < argc)
		file = argv[optind];
	if (zc_config_load(file, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return (1);
	}
	printf("%s: ok (node %s, %zu peers, %zu sets)\n", file, cfg->node.name,
	    cfg->npeers, cfg->nsets);
	zc_config_free(cfg);
	return (0);
}

const struct zc_cmd_entry zc_cmd_check_config_entry = {
	.name = "check-config",
	.usage = "[-c FILE | FILE]",
	.summary = "check a configuration file (exit 0 or 1)",
	.exec = cmd_check_config_exec,
};
