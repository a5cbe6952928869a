/*
 * config-keys.c: every configuration key, once (tmux options-table.c).
 *
 * The loader in config.c walks the YAML tree and looks each key up here by
 * its dotted pattern; the row says where the value goes, what type it must
 * have, its bounds and its default.  zc_config_print_keys() prints this
 * table for docs/config.md, so a new key is documented by adding its row.
 */

#include <stddef.h>

#include "compat.h"
#include "config.h"

#define KEY_NAME_MIN	1
#define KEY_NAME_MAX	64
#define KEY_STRING_MAX	4096
#define KEY_LIST_MAX	256

const struct zc_config_key zc_config_keys[] = {
	{ .name = "node",
	  .type = ZC_CONFIG_SECTION,
	  .offset = offsetof(struct zc_config, node),
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "This node: its name and where it listens."
	},
	{ .name = "node.name",
	  .type = ZC_CONFIG_NAME,
	  .offset = offsetof(struct zc_config_node, name),
	  .min = KEY_NAME_MIN,
	  .max = KEY_NAME_MAX,
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "Name of this node, as its peers know it."
	},
	{ .name = "node.listen",
	  .type = ZC_CONFIG_ADDR,
	  .offset = offsetof(struct zc_config_node, listen),
	  .aux = offsetof(struct zc_config_node, listen_addr),
	  .min = 0,
	  .max = 65535,
	  .doc = "Numeric host:port or [v6]:port to accept peers on; "
	      "port 0 picks one; unset: do not listen."
	},
	{ .name = "node.control",
	  .type = ZC_CONFIG_PATH,
	  .offset = offsetof(struct zc_config_node, control),
	  .min = 1,
	  .max = KEY_STRING_MAX,
	  .doc = "Absolute path of the control socket (zcsync status, sync, "
	      "metrics); unset: none."
	},
	{ .name = "node.control_group",
	  .type = ZC_CONFIG_STRING,
	  .offset = offsetof(struct zc_config_node, control_group),
	  .min = 1,
	  .max = 64,
	  .doc = "Group whose members may use the control socket too "
	      "(besides root and the daemon's user); unset: none."
	},
	{ .name = "node.metrics_listen",
	  .type = ZC_CONFIG_ADDR,
	  .offset = offsetof(struct zc_config_node, metrics_listen),
	  .aux = offsetof(struct zc_config_node, metrics_addr),
	  .min = 0,
	  .max = 65535,
	  .doc = "Numeric host:port for a Prometheus /metrics endpoint "
	      "(plain HTTP; loopback unless node.insecure); unset: none."
	},
	{ .name = "node.insecure",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_node, insecure),
	  .dflt = "false",
	  .doc = "Allow plain TCP beyond loopback, without authentication: "
	      "listening without node.identity, pushing to a peer without "
	      "a fingerprint."
	},
	/*
	 * The identity's keys live in struct zc_config_node itself: offset 0
	 * keeps the section's base where it is.
	 */
	{ .name = "node.identity",
	  .type = ZC_CONFIG_SECTION,
	  .offset = 0,
	  .doc = "This node's TLS identity (`zcsync keygen`); "
	      "unset: plain TCP only."
	},
	{ .name = "node.identity.cert",
	  .type = ZC_CONFIG_PATH,
	  .offset = offsetof(struct zc_config_node, cert),
	  .min = 1,
	  .max = KEY_STRING_MAX,
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "Required in node.identity: this node's certificate (PEM); "
	      "peers pin its SHA-256."
	},
	{ .name = "node.identity.key",
	  .type = ZC_CONFIG_PATH,
	  .offset = offsetof(struct zc_config_node, key),
	  .min = 1,
	  .max = KEY_STRING_MAX,
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "Required in node.identity: its private key (PEM), a "
	      "regular file no one else may read or write (0600)."
	},
	{ .name = "peers",
	  .type = ZC_CONFIG_LIST,
	  .offset = offsetof(struct zc_config, peers),
	  .aux = offsetof(struct zc_config, npeers),
	  .size = sizeof(struct zc_config_peer),
	  .max = KEY_LIST_MAX,
	  .doc = "The other nodes this node talks to."
	},
	{ .name = "peers[].name",
	  .type = ZC_CONFIG_NAME,
	  .offset = offsetof(struct zc_config_peer, name),
	  .min = KEY_NAME_MIN,
	  .max = KEY_NAME_MAX,
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "The peer's node.name; unique, not this node's name."
	},
	{ .name = "peers[].address",
	  .type = ZC_CONFIG_ADDR,
	  .offset = offsetof(struct zc_config_peer, address),
	  .aux = offsetof(struct zc_config_peer, addr),
	  .min = 1,
	  .max = 65535,
	  .doc = "Numeric host:port or [v6]:port to dial; "
	      "unset: the peer only dials us."
	},
	{ .name = "peers[].fingerprint",
	  .type = ZC_CONFIG_FPRS,
	  .offset = offsetof(struct zc_config_peer, fpr),
	  .aux = offsetof(struct zc_config_peer, nfpr),
	  .min = 1,
	  .max = ZC_CONFIG_FPR_MAX,
	  .doc = "The peer's pin, `sha256:` and 64 hex digits, or a list of "
	      "two while it rotates its key; set: TLS, and the peer is "
	      "known by its certificate alone."
	},
	{ .name = "peers[].bwlimit",
	  .type = ZC_CONFIG_BYTES,
	  .offset = offsetof(struct zc_config_peer, bwlimit),
	  .min = 0,
	  .max = 1LL << 40,
	  .dflt = "0",
	  .doc = "Most bytes per second this node sends to the peer, all "
	      "sets together (e.g. `10M`); 0: no limit.  Other peers are "
	      "not affected."
	},
	{ .name = "sets",
	  .type = ZC_CONFIG_LIST,
	  .offset = offsetof(struct zc_config, sets),
	  .aux = offsetof(struct zc_config, nsets),
	  .size = sizeof(struct zc_config_set),
	  .max = KEY_LIST_MAX,
	  .doc = "The directory trees to replicate."
	},
	{ .name = "sets[].name",
	  .type = ZC_CONFIG_NAME,
	  .offset = offsetof(struct zc_config_set, name),
	  .min = KEY_NAME_MIN,
	  .max = KEY_NAME_MAX,
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "Name of the set; both ends use the same name."
	},
	{ .name = "sets[].path",
	  .type = ZC_CONFIG_PATH,
	  .offset = offsetof(struct zc_config_set, path),
	  .min = 1,
	  .max = KEY_STRING_MAX,
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "Absolute path of the set's root; not inside another set."
	},
	{ .name = "sets[].push_to",
	  .type = ZC_CONFIG_NAMES,
	  .offset = offsetof(struct zc_config_set, push_to),
	  .aux = offsetof(struct zc_config_set, npush_to),
	  .max = KEY_LIST_MAX,
	  .doc = "Peers this node sends the set's changes to."
	},
	{ .name = "sets[].accept_from",
	  .type = ZC_CONFIG_NAMES,
	  .offset = offsetof(struct zc_config_set, accept_from),
	  .aux = offsetof(struct zc_config_set, naccept_from),
	  .max = KEY_LIST_MAX,
	  .doc = "Peers allowed to write into the set."
	},
	{ .name = "sets[].serve_to",
	  .type = ZC_CONFIG_NAMES,
	  .offset = offsetof(struct zc_config_set, serve_to),
	  .aux = offsetof(struct zc_config_set, nserve_to),
	  .max = KEY_LIST_MAX,
	  .doc = "Peers allowed to read the set (zcsync pull)."
	},
	{ .name = "sets[].fsync",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_set, fsync),
	  .dflt = "true",
	  .doc = "fsync each received file before renaming it into place."
	},
	{ .name = "sets[].delete",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_set, delete),
	  .dflt = "false",
	  .doc = "Propagate deletions when mirroring live."
	},
	{ .name = "sets[].delay",
	  .type = ZC_CONFIG_MS,
	  .offset = offsetof(struct zc_config_set, delay_ms),
	  .min = 0,
	  .max = 60000,
	  .dflt = "0",
	  .doc = "Live: wait this long after a change before sending "
	      "(0: the next loop turn; events read together still coalesce)."
	},
	{ .name = "sets[].settle",
	  .type = ZC_CONFIG_MS,
	  .offset = offsetof(struct zc_config_set, settle_ms),
	  .min = 0,
	  .max = 3600000,
	  .dflt = "1000",
	  .doc = "Live: a file still open for writing is sent at most this "
	      "long after its first change, without waiting for its close."
	},
	{ .name = "sets[].exclude",
	  .type = ZC_CONFIG_STRINGS,
	  .offset = offsetof(struct zc_config_set, exclude),
	  .aux = offsetof(struct zc_config_set, nexclude),
	  .min = 1,
	  .max = 1024,
	  .doc = "Sender: paths not sent, rsync's pattern rules (`*`, `**`, "
	      "`?`, `[...]`; a leading `/` anchors at the root, a trailing `/` "
	      "matches directories only).  Excluded directories are not "
	      "watched, and excluded receiver entries are never deleted."
	},
	{ .name = "sets[].include",
	  .type = ZC_CONFIG_STRINGS,
	  .offset = offsetof(struct zc_config_set, include),
	  .aux = offsetof(struct zc_config_set, ninclude),
	  .min = 1,
	  .max = 1024,
	  .doc = "Sender: patterns checked before `exclude`; a path that "
	      "matches one is sent even if an exclude matches it too."
	},
	{ .name = "sets[].max_delete",
	  .type = ZC_CONFIG_LIMIT,
	  .offset = offsetof(struct zc_config_set, max_delete),
	  .min = 0,
	  .max = 1LL << 40,
	  .doc = "Sender: the most deletions one pass may send, a count "
	      "(`100`) or a percentage of the set's entries (`10%`); a pass "
	      "that would delete more stops the set with an error instead "
	      "(`zcsync status` says why); unset: no limit."
	},
	{ .name = "sets[].backup",
	  .type = ZC_CONFIG_SECTION,
	  .offset = 0,
	  .doc = "Receiver: keep replaced and deleted files; unset: off."
	},
	{ .name = "sets[].backup.dir",
	  .type = ZC_CONFIG_RELPATH,
	  .offset = offsetof(struct zc_config_set, backup_dir),
	  .flags = ZC_CONFIG_REQUIRED,
	  .doc = "Required in backup: directory under the set root that holds "
	      "the old versions, each named after its path and the time it "
	      "was replaced; never sent, listed or deleted by peers."
	},
	{ .name = "sets[].backup.keep",
	  .type = ZC_CONFIG_UINT,
	  .offset = offsetof(struct zc_config_set, backup_keep),
	  .min = 1,
	  .max = 1000,
	  .dflt = "5",
	  .doc = "Old versions kept per file; older ones are pruned."
	},
	{ .name = "sets[].verify",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_set, verify),
	  .dflt = "false",
	  .doc = "Sender: the receiver hashes each file it landed (XXH3-128) "
	      "and compares it with the sender's hash before renaming it "
	      "into place."
	},
	{ .name = "sets[].numeric_ids",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_set, numeric_ids),
	  .dflt = "false",
	  .doc = "Owners travel as numbers, not mapped by user and group "
	      "name."
	},
	{ .name = "sets[].specials",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_set, specials),
	  .dflt = "false",
	  .doc = "Sender: also send fifos, sockets and device nodes; false: "
	      "skip them with a logged note.  Receiver: take device nodes "
	      "(as root); false: refuse them."
	},
	{ .name = "sets[].xattrs",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_set, xattrs),
	  .dflt = "true",
	  .doc = "Send extended attributes (`user.*`; `security.*` and "
	      "`trusted.*` as root) and POSIX ACLs."
	},
	{ .name = "sets[].safe_links",
	  .type = ZC_CONFIG_BOOL,
	  .offset = offsetof(struct zc_config_set, safe_links),
	  .dflt = "false",
	  .doc = "Receiver: refuse a symlink whose target is absolute or "
	      "climbs above the set root (rsync's --safe-links); false: "
	      "links are stored verbatim (zcsync never follows them)."
	},
};

const size_t zc_config_nkeys = nitems(zc_config_keys);
