/*
 * cmd-status.c: "zcsync status": what the local daemon is doing and why,
 * as an aligned table or as JSON (--json).
 */
#include "client.h"

static int
cmd_status_exec(int argc, char **argv)
{
	return (zc_ctl_command(argc, argv, zc_cmd_status_entry.usage, 0, 0, 1,
	    "status"));
}

const struct zc_cmd_entry zc_cmd_status_entry = {
	.name = "status",
	.usage = "[--json] [-c FILE | --socket PATH]",
	.summary = "what the local zcsyncd is doing: sets, peers, queues",
	.exec = cmd_status_exec,
};
