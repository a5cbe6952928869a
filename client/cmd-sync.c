/*
 * cmd-sync.c: "zcsync sync SET [PEER]": ask the local daemon to catch the
 * set's peers (or one of them) up again now, with a full compare.
 */
#include "client.h"

static int
cmd_sync_exec(int argc, char **argv)
{
	return (zc_ctl_command(argc, argv, zc_cmd_sync_entry.usage, 1, 2, 0,
	    "sync"));
}

const struct zc_cmd_entry zc_cmd_sync_entry = {
	.name = "sync",
	.usage = "[-c FILE | --socket PATH] SET [PEER]",
	.summary = "rescan a set and catch its peers up now",
	.exec = cmd_sync_exec,
};
