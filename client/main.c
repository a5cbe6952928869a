/*
 * main.c: zcsync, the client: look up a subcommand and run it.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "compat.h"
#include "log.h"
#include "version.h"

static const struct zc_cmd_entry *const cmd_table[] = {
	&zc_cmd_push_entry,
	&zc_cmd_pull_entry,
	&zc_cmd_check_config_entry,
	&zc_cmd_keygen_entry,
	&zc_cmd_fingerprint_entry,
	&zc_cmd_status_entry,
	&zc_cmd_sync_entry,
	&zc_cmd_metrics_entry,
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: zcsync COMMAND [options] [args]\n\ncommands:\n");
	for (i = 0; i < nitems(cmd_table); i++)
		fprintf(f, "  %-13s %s\n  %-13s   %s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary, "", cmd_table[i]->name,
		    cmd_table[i]->usage);
	fprintf(f, "  %-13s %s\n", "version", "print the version and features");
}

int
main(int argc, char **argv)
{
	size_t	i;

	zc_log_init("zcsync", ZC_LOG_WARN);
	/* Errors on sockets are read where they happen, never as signals. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return (2);
	}
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("zcsync %s %s\n", zc_version(), zc_version_features());
		return (0);
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return (0);
	}
	for (i = 0; i < nitems(cmd_table); i++) {
		if (strcmp(argv[1], cmd_table[i]->name) == 0)
			return (cmd_table[i]->exec(argc - 1, argv + 1));
	}
	fprintf(stderr, "zcsync: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return (2);
}
