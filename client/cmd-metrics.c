/*
 * cmd-metrics.c: "zcsync metrics": the daemon's counters and gauges in the
 * Prometheus text format.
 */
#include "client.h"

static int
cmd_metrics_exec(int argc, char **argv)
{
	return (zc_ctl_command(argc, argv, zc_cmd_metrics_entry.usage, 0, 0, 0,
	    "metrics"));
}

const struct zc_cmd_entry zc_cmd_metrics_entry = {
	.name = "metrics",
	.usage = "[-c FILE | --socket PATH]",
	.summary = "the daemon's metrics (Prometheus text format)",
	.exec = cmd_metrics_exec,
};
