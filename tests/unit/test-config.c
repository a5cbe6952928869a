/*
 * test-config.c: the YAML loader (config.c, config-keys.c) and numeric
 * addresses (addr.c).  Each rule of docs/config.md has a case below that
 * checks the exact error line, position included.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "addr.h"
#include "config.h"

#define NODE	"node:\n  name: alpha\n"

/* Pins: the same one in two forms, two others, and a bad one. */
#define PIN_A \
	"sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define PIN_A_COLONS \
	"BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:" \
	"7A:9C:B4:10:FF:61:F2:00:15:AD"
#define PIN_B \
	"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PIN_C \
	"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define PIN_BAD \
	"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85g"

struct test_dir {
	char	dir[64];
	char	file[128];
};

/* One error case: a file and the error after "FILE:". */
struct error_case {
	const char	*what;
	const char	*yaml;
	const char	*want;
};

static const struct error_case error_cases[] = {
	{ "unknown top-level key",
	  NODE "nodes: 1\n",
	  "3:1: nodes: unknown key" },
	{ "unknown key in node",
	  "node:\n  name: alpha\n  nmae: beta\n",
	  "3:3: node.nmae: unknown key" },
	{ "unknown key in the second set",
	  NODE "sets:\n  - name: a\n    path: /srv/a\n"
	  "  - name: b\n    path: /srv/b\n    pathh: /srv/c\n",
	  "8:5: sets[1].pathh: unknown key" },
	{ "a key path from another mapping is unknown",
	  NODE "sets[].path: /x\n",
	  "3:1: sets[].path: unknown key" },
	{ "unknown key with control bytes is shown safely",
	  NODE "\"a\\tb\": 1\n",
	  "3:1: a?b: unknown key" },
	{ "duplicate key",
	  "node:\n  name: alpha\n  name: beta\n",
	  "3:3: node.name: duplicate key" },
	{ "duplicate top-level key",
	  NODE "node:\n  name: beta\n",
	  "3:1: node: duplicate key" },
	{ "node is not a mapping",
	  "node: alpha\n",
	  "1:7: node: must be a mapping" },
	{ "name is a list",
	  "node:\n  name: [alpha]\n",
	  "2:9: node.name: must be a string" },
	{ "name is null",
	  "node:\n  name: ~\n",
	  "2:9: node.name: must be a string" },
	{ "peers is a mapping",
	  NODE "peers:\n  name: beta\n",
	  "4:3: peers: must be a list" },
	{ "a set is a scalar",
	  NODE "sets:\n  - site\n",
	  "4:5: sets[0]: must be a mapping" },
	{ "push_to is a scalar",
	  NODE "peers:\n  - name: beta\n"
	  "sets:\n  - name: s\n    path: /s\n    push_to: beta\n",
	  "8:14: sets[0].push_to: must be a list" },
	{ "push_to holds a mapping",
	  NODE "sets:\n  - name: s\n    path: /s\n    push_to: [{a: b}]\n",
	  "6:15: sets[0].push_to[0]: must be a string" },
	{ "boolean is a word",
	  "node:\n  name: alpha\n  insecure: maybe\n",
	  "3:13: node.insecure: must be a boolean (true or false)" },
	{ "boolean is quoted",
	  NODE "sets:\n  - name: s\n    path: /s\n    fsync: \"true\"\n",
	  "6:12: sets[0].fsync: must be a boolean (true or false)" },
	{ "boolean on/off is YAML 1.1 we do not take",
	  NODE "sets:\n  - name: s\n    path: /s\n    delete: on\n",
	  "6:13: sets[0].delete: must be a boolean (true or false)" },
	{ "syntax error",
	  "node:\n  name: [alpha\n",
	  "3:1: syntax error: did not find expected ',' or ']'" },
	{ "syntax error: tab indentation",
	  "node:\n\tname: alpha\n",
	  "2:1: syntax error: found character that cannot start any token" },
	{ "invalid UTF-8",
	  NODE "peers:\n  - name: b\xff\n",
	  "4:12: syntax error: invalid leading UTF-8 octet" },
	{ "node missing",
	  "peers: []\n",
	  "1:1: node: is required" },
	{ "node.name missing",
	  "node:\n  listen: 127.0.0.1:7400\n",
	  "2:3: node.name: is required" },
	{ "node.name missing, flow mapping",
	  "node: {}\n",
	  "1:7: node.name: is required" },
	{ "set path missing",
	  NODE "sets:\n  - name: a\n    path: /a\n  - name: b\n",
	  "6:5: sets[1].path: is required" },
	{ "peer name missing",
	  NODE "peers:\n  - address: 127.0.0.1:1\n",
	  "4:5: peers[0].name: is required" },
	{ "bad node name",
	  "node:\n  name: al/pha\n",
	  "2:9: node.name: must be 1 to 64 characters from A-Z a-z 0-9 . _ -" },
	{ "empty quoted name",
	  "node:\n  name: \"\"\n",
	  "2:9: node.name: must be 1 to 64 characters from A-Z a-z 0-9 . _ -" },
	{ "name of 65 characters",
	  "node:\n  name: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "2:9: node.name: must be 1 to 64 characters from A-Z a-z 0-9 . _ -" },
	{ "bad name in accept_from",
	  NODE "sets:\n  - name: s\n    path: /s\n    accept_from: [b c]\n",
	  "6:19: sets[0].accept_from[0]: "
	  "must be 1 to 64 characters from A-Z a-z 0-9 . _ -" },
	{ "NUL byte in a name",
	  "node:\n  name: \"al\\0pha\"\n",
	  "2:9: node.name: must not contain NUL bytes" },
	{ "address without a port",
	  "node:\n  name: alpha\n  listen: 127.0.0.1\n",
	  "3:11: node.listen: must be host:port or [v6]:port" },
	{ "address is a host name",
	  "node:\n  name: alpha\n  listen: localhost:7400\n",
	  "3:11: node.listen: "
	  "must be host:port or [v6]:port with a numeric address (no names)" },
	{ "IPv6 address without brackets",
	  "node:\n  name: alpha\n  listen: ::1:7400\n",
	  "3:11: node.listen: "
	  "must be host:port or [v6]:port with a numeric address (no names)" },
	{ "port out of range",
	  "node:\n  name: alpha\n  listen: 127.0.0.1:65536\n",
	  "3:11: node.listen: must be host:port with a port 0..65535" },
	{ "peer port 0",
	  NODE "peers:\n  - name: beta\n    address: 127.0.0.1:0\n",
	  "5:14: peers[0].address: must be host:port with a port 1..65535" },
	{ "relative set path",
	  NODE "sets:\n  - name: site\n    path: srv/site\n",
	  "5:11: sets[0].path: must be an absolute path" },
	{ "relative control path",
	  "node:\n  name: alpha\n  control: run/a.sock\n",
	  "3:12: node.control: must be an absolute path" },
	{ "dot-dot in a path",
	  NODE "sets:\n  - name: site\n    path: /srv/../etc\n",
	  "5:11: sets[0].path: must not contain . or .. components" },
	{ "dot in a path",
	  NODE "sets:\n  - name: site\n    path: /srv/./site\n",
	  "5:11: sets[0].path: must not contain . or .. components" },
	{ "set path is /",
	  NODE "sets:\n  - name: site\n    path: //\n",
	  "5:11: sets[0].path: must not be the root directory" },
	{ "set inside another",
	  NODE "sets:\n  - name: site\n    path: /srv/site\n"
	  "  - name: sub\n    path: /srv/site/sub\n",
	  "7:11: sets[1].path: inside sets[0].path (/srv/site)" },
	{ "set equal to another after normalisation",
	  NODE "sets:\n  - name: site\n    path: /srv/site\n"
	  "  - name: again\n    path: /srv//site/\n",
	  "7:11: sets[1].path: same as sets[0].path (/srv/site)" },
	{ "set containing another",
	  NODE "sets:\n  - name: sub\n    path: /srv/site/sub\n"
	  "  - name: site\n    path: /srv/site\n",
	  "7:11: sets[1].path: contains sets[0].path (/srv/site/sub)" },
	{ "sibling with a common prefix is fine, undefined peer is not",
	  NODE "peers:\n  - name: beta\n"
	  "sets:\n  - name: a\n    path: /srv/site\n"
	  "  - name: b\n    path: /srv/site2\n"
	  "    push_to: [beta, beta2, gamma]\n",
	  "10:21: sets[1].push_to[1]: no such peer \"beta2\"" },
	{ "undefined peer in push_to[2]",
	  NODE "peers:\n  - name: beta\n  - name: delta\n"
	  "sets:\n  - name: site\n    path: /srv/site\n"
	  "    push_to:\n      - beta\n      - delta\n      - gamma\n",
	  "12:9: sets[0].push_to[2]: no such peer \"gamma\"" },
	{ "undefined peer in accept_from",
	  NODE "sets:\n  - name: site\n    path: /srv/site\n"
	  "    accept_from: [beta]\n",
	  "6:19: sets[0].accept_from[0]: no such peer \"beta\"" },
	{ "peer listed twice",
	  NODE "peers:\n  - name: beta\n"
	  "sets:\n  - name: site\n    path: /srv/site\n"
	  "    accept_from: [beta, beta]\n",
	  "8:25: sets[0].accept_from[1]: duplicate peer \"beta\"" },
	{ "duplicate peer name",
	  NODE "peers:\n  - name: beta\n  - name: gamma\n  - name: beta\n",
	  "6:11: peers[2].name: duplicate name \"beta\" (also peers[0].name)" },
	{ "duplicate set name",
	  NODE "sets:\n  - name: s\n    path: /a\n  - name: s\n    path: /b\n",
	  "6:11: sets[1].name: duplicate name \"s\" (also sets[0].name)" },
	{ "peer named like this node",
	  NODE "peers:\n  - name: alpha\n",
	  "4:11: peers[0].name: same as node.name (\"alpha\")" },
	{ "listen beyond loopback",
	  "node:\n  name: alpha\n  listen: 0.0.0.0:7400\n",
	  "3:11: node.listen: plain TCP beyond loopback needs "
	  "node.insecure: true (for TLS, set node.identity)" },
	{ "listen on an IPv6 address beyond loopback",
	  "node:\n  name: alpha\n  listen: \"[2001:db8::1]:7400\"\n",
	  "3:11: node.listen: plain TCP beyond loopback needs "
	  "node.insecure: true (for TLS, set node.identity)" },
	{ "pushing to a peer beyond loopback",
	  NODE "peers:\n  - name: beta\n    address: 127.0.0.1:7401\n"
	  "  - name: gamma\n    address: 192.0.2.7:7400\n"
	  "sets:\n  - name: site\n    path: /srv/site\n"
	  "    push_to: [beta, gamma]\n",
	  "7:14: peers[1].address: plain TCP beyond loopback needs "
	  "node.insecure: true (for TLS, give the peer a fingerprint)" },
	{ "identity without a key",
	  "node:\n  name: alpha\n  identity:\n    cert: /etc/zc/cert.pem\n",
	  "4:5: node.identity.key: is required" },
	{ "max_delete neither count nor percentage",
	  NODE "sets:\n  - name: s\n    path: /a\n    max_delete: 10x\n",
	  "6:17: sets[0].max_delete: must be a count, 0..1099511627776, or a "
	  "percentage, 0%..100%" },
	{ "max_delete over 100%",
	  NODE "sets:\n  - name: s\n    path: /a\n    max_delete: 101%\n",
	  "6:17: sets[0].max_delete: must be a count, 0..1099511627776, or a "
	  "percentage, 0%..100%" },
	{ "backup dir escaping the root",
	  NODE "sets:\n  - name: s\n    path: /a\n    backup: {dir: ../b}\n",
	  "6:19: sets[0].backup.dir: must be a relative path without \"..\", "
	  "\".\" or empty components" },
	{ "backup without dir",
	  NODE "sets:\n  - name: s\n    path: /a\n    backup: {keep: 3}\n",
	  "6:13: sets[0].backup.dir: is required" },
	{ "backup keep 0",
	  NODE "sets:\n  - name: s\n    path: /a\n"
	  "    backup: {dir: old, keep: 0}\n",
	  "6:30: sets[0].backup.keep: must be a whole number, 1..1000" },
	{ "bwlimit with a bad suffix",
	  NODE "peers:\n  - name: b\n    bwlimit: 10T\n",
	  "5:14: peers[0].bwlimit: must be a number of bytes, 0..1099511627776, "
	  "with an optional K, M or G (powers of 1024)" },
	{ "empty exclude pattern",
	  NODE "sets:\n  - name: s\n    path: /a\n    exclude: [\"*.o\", \"\"]\n",
	  "6:22: sets[0].exclude[1]: must not be empty" },
	{ "exclude pattern of only a slash",
	  NODE "sets:\n  - name: s\n    path: /a\n    exclude: [\"*.o\", \"/\"]\n",
	  "6:22: sets[0].exclude[1]: empty pattern" },
	{ "include pattern of two slashes",
	  NODE "sets:\n  - name: s\n    path: /a\n    include: [\"//\"]\n",
	  "6:15: sets[0].include[0]: empty pattern" },
	{ "identity is empty",
	  "node:\n  name: alpha\n  identity: {}\n",
	  "3:13: node.identity.cert: is required" },
	{ "identity with a relative path",
	  "node:\n  name: alpha\n  identity: {cert: cert.pem, key: /k}\n",
	  "3:20: node.identity.cert: must be an absolute path" },
	{ "identity with an unknown key",
	  "node:\n  name: alpha\n  identity: {cert: /c, key: /k, ca: /a}\n",
	  "3:33: node.identity.ca: unknown key" },
	{ "identity is a string",
	  "node:\n  name: alpha\n  identity: /etc/zc/cert.pem\n",
	  "3:13: node.identity: must be a mapping" },
	{ "pin too short",
	  NODE "peers:\n  - name: beta\n    fingerprint: sha256:ab12\n",
	  "5:18: peers[0].fingerprint: "
	  "must be a SHA-256 pin: 64 hex digits, e.g. sha256:ab12..." },
	{ "pin with a non-hex digit, second in a list",
	  NODE "peers:\n  - name: beta\n    fingerprint:\n      - " PIN_A "\n"
	  "      - " PIN_BAD "\n",
	  "7:9: peers[0].fingerprint[1]: "
	  "must be a SHA-256 pin: 64 hex digits, e.g. sha256:ab12..." },
	{ "pin is a number",
	  NODE "peers:\n  - name: beta\n    fingerprint: [12]\n",
	  "5:19: peers[0].fingerprint[0]: "
	  "must be a SHA-256 pin: 64 hex digits, e.g. sha256:ab12..." },
	{ "pin is null",
	  NODE "peers:\n  - name: beta\n    fingerprint: ~\n",
	  "5:18: peers[0].fingerprint: "
	  "must be a pin or a list of 1 to 2 pins" },
	{ "pins are a mapping",
	  NODE "peers:\n  - name: beta\n    fingerprint: {a: b}\n",
	  "5:18: peers[0].fingerprint: "
	  "must be a pin or a list of 1 to 2 pins" },
	{ "no pins",
	  NODE "peers:\n  - name: beta\n    fingerprint: []\n",
	  "5:18: peers[0].fingerprint: must be a list of 1 to 2 pins" },
	{ "three pins",
	  NODE "peers:\n  - name: beta\n    fingerprint: [" PIN_A ", " PIN_B
	  ", " PIN_C "]\n",
	  "5:18: peers[0].fingerprint: must be a list of 1 to 2 pins" },
	{ "the same pin twice for one peer, in two forms",
	  NODE "peers:\n  - name: beta\n    fingerprint:\n      - " PIN_A "\n"
	  "      - " PIN_A_COLONS "\n",
	  "7:9: peers[0].fingerprint[1]: "
	  "same pin as peers[0].fingerprint[0]" },
	{ "pins without an identity of our own",
	  NODE "peers:\n  - name: beta\n  - name: gamma\n"
	  "    fingerprint: " PIN_A "\n",
	  "6:18: peers[1].fingerprint: "
	  "needs node.identity (this node's own certificate)" },
	{ "alias",
	  "node: &n\n  name: alpha\nsets: *n\n",
	  "3:7: aliases (*n) are not allowed" },
	{ "billion laughs stops at the first alias",
	  "a: &a [x, x, x, x, x, x, x, x, x]\n"
	  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
	  "2:8: aliases (*a) are not allowed" },
	{ "tag",
	  "node:\n  name: !!str alpha\n",
	  "2:9: node.name: tags are not supported" },
	{ "non-scalar key",
	  "node:\n  ? [a]\n  : b\n",
	  "2:5: node: keys must be plain strings" },
	{ "empty file",
	  "",
	  "1:1: empty configuration" },
	{ "only comments",
	  "# nothing here\n",
	  "1:1: empty configuration" },
	{ "empty document",
	  "---\n...\n",
	  "2:1: empty configuration" },
	{ "top level is a list",
	  "- node\n",
	  "1:1: top level must be a mapping" },
	{ "two documents",
	  NODE "---\nnode:\n  name: beta\n",
	  "3:1: only one YAML document is allowed" },
	{ "nesting too deep",
	  "node: [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]\n",
	  "1:22: nested more than 16 levels deep" },
};

static int
setup(void **state)
{
	struct test_dir	*t;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return (-1);
	snprintf(t->dir, sizeof(t->dir), "/tmp/test-config.XXXXXX");
	if (mkdtemp(t->dir) == NULL) {
		free(t);
		return (-1);
	}
	snprintf(t->file, sizeof(t->file), "%s/zc.yaml", t->dir);
	*state = t;
	return (0);
}

static int
teardown(void **state)
{
	struct test_dir	*t = *state;

	unlink(t->file);
	rmdir(t->dir);
	free(t);
	return (0);
}

static void
write_file(const char *file, const char *text, size_t len)
{
	FILE	*f;

	f = fopen(file, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Load text; return the error with the "FILE:" prefix checked and gone. */
static int
load_text(struct test_dir *t, const char *text, size_t len,
    struct zc_config **cfg, char *err, size_t errlen)
{
	write_file(t->file, text, len);
	return (zc_config_load(t->file, cfg, err, errlen));
}

static void
test_errors(void **state)
{
	struct test_dir		*t = *state;
	const struct error_case	*c;
	struct zc_config	*cfg;
	char			 err[1024], want[1024];
	size_t			 i, failed = 0;
	int			 r;

	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		c = &error_cases[i];
		cfg = (struct zc_config *)1;
		r = load_text(t, c->yaml, strlen(c->yaml), &cfg, err,
		    sizeof(err));
		snprintf(want, sizeof(want), "%s:%s", t->file, c->want);
		if (r != -EINVAL || cfg != NULL || strcmp(err, want) != 0) {
			print_error("case \"%s\": r=%d\n   got: %s\n  want: %s\n",
			    c->what, r, err, want);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* A string value as long as the limit loads; one byte more does not. */
static void
test_string_bound(void **state)
{
	struct test_dir		*t = *state;
	struct zc_config	*cfg;
	char			 err[1024], want[1024], *text, *p;
	size_t			 n;

	text = malloc(8192);
	assert_non_null(text);
	for (n = 4096; n <= 4097; n++) {
		p = text + sprintf(text, NODE "  control: \"");
		*p++ = '/';
		memset(p, 'c', n - 1);
		p += n - 1;
		p += sprintf(p, "\"\n");
		assert_int_equal(load_text(t, text, p - text, &cfg, err,
		    sizeof(err)), n == 4096 ? 0 : -EINVAL);
		if (n == 4096) {
			assert_non_null(cfg);
			assert_int_equal(strlen(cfg->node.control), 4096);
			zc_config_free(cfg);
		} else {
			snprintf(want, sizeof(want),
			    "%s:3:12: node.control: must be at most 4096 bytes",
			    t->file);
			assert_string_equal(err, want);
		}
	}
	free(text);
}

/* Lists: 256 entries load, 257 do not. */
static void
test_list_bounds(void **state)
{
	struct test_dir		*t = *state;
	struct zc_config	*cfg;
	char			 err[1024], want[1024], *text, *p;
	size_t			 i, n;

	text = malloc(65536);
	assert_non_null(text);
	for (n = 256; n <= 257; n++) {
		p = text + sprintf(text, NODE "peers:\n");
		for (i = 0; i < n; i++)
			p += sprintf(p, "  - name: p%zu\n", i);
		assert_int_equal(load_text(t, text, p - text, &cfg, err,
		    sizeof(err)), n == 256 ? 0 : -EINVAL);
		if (n == 256) {
			assert_int_equal(cfg->npeers, 256);
			assert_string_equal(cfg->peers[255].name, "p255");
			zc_config_free(cfg);
		} else {
			snprintf(want, sizeof(want),
			    "%s:4:3: peers: must have at most 256 entries",
			    t->file);
			assert_string_equal(err, want);
		}
	}

	for (n = 256; n <= 257; n++) {
		p = text + sprintf(text, NODE "peers:\n  - name: beta\n"
		    "sets:\n");
		p += sprintf(p, "  - name: s\n    path: /s\n    push_to: [");
		for (i = 0; i < n; i++)
			p += sprintf(p, "%sbeta", i == 0 ? "" : ",");
		p += sprintf(p, "]\n");
		assert_int_equal(load_text(t, text, p - text, &cfg, err,
		    sizeof(err)), -EINVAL);
		if (n == 256) {
			snprintf(want, sizeof(want), "%s:8:20: "
			    "sets[0].push_to[1]: duplicate peer \"beta\"",
			    t->file);
		} else {
			snprintf(want, sizeof(want), "%s:8:14: "
			    "sets[0].push_to: must have at most 256 entries",
			    t->file);
		}
		assert_string_equal(err, want);
	}

	p = text + sprintf(text, NODE "sets:\n");
	for (i = 0; i < 257; i++)
		p += sprintf(p, "  - {name: s%zu, path: /s/%zu}\n", i, i);
	assert_int_equal(load_text(t, text, p - text, &cfg, err, sizeof(err)),
	    -EINVAL);
	snprintf(want, sizeof(want),
	    "%s:4:3: sets: must have at most 256 entries", t->file);
	assert_string_equal(err, want);
	free(text);
}

static void
test_unreadable(void **state)
{
	struct test_dir		*t = *state;
	struct zc_config	*cfg = (struct zc_config *)1;
	char			 err[1024], want[1024], missing[256];

	snprintf(missing, sizeof(missing), "%s/missing.yaml", t->dir);
	assert_int_equal(zc_config_load(missing, &cfg, err, sizeof(err)),
	    -ENOENT);
	assert_null(cfg);
	snprintf(want, sizeof(want), "%s: No such file or directory", missing);
	assert_string_equal(err, want);

	assert_int_equal(zc_config_load(t->dir, &cfg, err, sizeof(err)),
	    -EISDIR);
	snprintf(want, sizeof(want), "%s: Is a directory", t->dir);
	assert_string_equal(err, want);

	/* No room for the message is not a crash. */
	assert_int_equal(zc_config_load(missing, &cfg, NULL, 0), -ENOENT);
}

static const char full_config[] =
	"# Every key, most with a non-default value.\n"
	"node:\n"
	"  name: alpha\n"
	"  listen: \"[::1]:0\"\n"
	"  control: /run/zcsync//alpha.sock\n"
	"  insecure: yes\n"
	"peers:\n"
	"  - name: beta\n"
	"    address: 127.0.0.1:7401\n"
	"  - name: gamma.2_x-y\n"
	"    address: 192.0.2.1:7402\n"
	"  - name: dialer\n"
	"sets:\n"
	"  - name: site\n"
	"    path: /srv/site/\n"
	"    push_to: [beta, gamma.2_x-y]\n"
	"    accept_from: []\n"
	"    fsync: false\n"
	"    delete: true\n"
	"  - name: incoming\n"
	"    path: '/srv//incoming'\n"
	"    accept_from:\n"
	"      - beta\n"
	"      - dialer\n"
	"  - {name: site2, path: /srv/site2, fsync: no, delete: no}\n";

static void
test_full(void **state)
{
	struct test_dir			*t = *state;
	struct zc_config		*cfg;
	const struct zc_config_set	*s;
	const struct zc_config_peer	*p;
	char				 err[1024], buf[64];
	int				 r;

	r = load_text(t, full_config, strlen(full_config), &cfg, err,
	    sizeof(err));
	if (r != 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_string_equal(err, "");
	assert_string_equal(cfg->file, t->file);

	assert_string_equal(cfg->node.name, "alpha");
	assert_string_equal(cfg->node.listen, "[::1]:0");
	assert_int_equal(cfg->node.listen_addr.ss.ss_family, AF_INET6);
	assert_int_equal(zc_addr_port(&cfg->node.listen_addr), 0);
	assert_true(zc_addr_is_loopback(&cfg->node.listen_addr));
	assert_string_equal(cfg->node.control, "/run/zcsync/alpha.sock");
	assert_int_equal(cfg->node.insecure, 1);

	assert_int_equal(cfg->npeers, 3);
	assert_string_equal(cfg->peers[0].name, "beta");
	assert_string_equal(cfg->peers[0].address, "127.0.0.1:7401");
	assert_int_equal(zc_addr_port(&cfg->peers[0].addr), 7401);
	assert_string_equal(zc_addr_str(&cfg->peers[0].addr, buf,
	    sizeof(buf)), "127.0.0.1:7401");
	assert_string_equal(cfg->peers[1].name, "gamma.2_x-y");
	assert_string_equal(cfg->peers[1].address, "192.0.2.1:7402");
	assert_false(zc_addr_is_loopback(&cfg->peers[1].addr));
	assert_string_equal(cfg->peers[2].name, "dialer");
	assert_null(cfg->peers[2].address);
	assert_int_equal(cfg->peers[2].addr.ss.ss_family, 0);

	assert_int_equal(cfg->nsets, 3);
	s = &cfg->sets[0];
	assert_string_equal(s->name, "site");
	assert_string_equal(s->path, "/srv/site");
	assert_int_equal(s->npush_to, 2);
	assert_string_equal(s->push_to[0], "beta");
	assert_string_equal(s->push_to[1], "gamma.2_x-y");
	assert_int_equal(s->naccept_from, 0);
	assert_null(s->accept_from);
	assert_int_equal(s->fsync, 0);
	assert_int_equal(s->delete, 1);

	s = &cfg->sets[1];
	assert_string_equal(s->name, "incoming");
	assert_string_equal(s->path, "/srv/incoming");
	assert_int_equal(s->npush_to, 0);
	assert_null(s->push_to);
	assert_int_equal(s->naccept_from, 2);
	assert_string_equal(s->accept_from[0], "beta");
	assert_string_equal(s->accept_from[1], "dialer");
	assert_int_equal(s->fsync, 1);		/* default */
	assert_int_equal(s->delete, 0);		/* default */

	s = &cfg->sets[2];
	assert_string_equal(s->name, "site2");
	assert_string_equal(s->path, "/srv/site2");
	assert_int_equal(s->fsync, 0);
	assert_int_equal(s->delete, 0);

	p = zc_config_peer(cfg, "gamma.2_x-y");
	assert_ptr_equal(p, &cfg->peers[1]);
	assert_null(zc_config_peer(cfg, "alpha"));
	assert_null(zc_config_peer(cfg, "gamma"));
	s = zc_config_set(cfg, "incoming");
	assert_ptr_equal(s, &cfg->sets[1]);
	assert_null(zc_config_set(cfg, "site3"));
	assert_true(zc_config_set_accepts(s, "beta"));
	assert_true(zc_config_set_accepts(s, "dialer"));
	assert_false(zc_config_set_accepts(s, "gamma.2_x-y"));
	assert_false(zc_config_set_accepts(zc_config_set(cfg, "site"),
	    "beta"));
	zc_config_free(cfg);
	zc_config_free(NULL);
}

/* Defaults, and a peer beyond loopback that is not pushed to. */
static void
test_minimal(void **state)
{
	static const char	 text[] = NODE
	    "peers:\n  - name: far\n    address: 198.51.100.1:7400\n"
	    "sets:\n  - name: in\n    path: /in\n    accept_from: [far]\n";
	struct test_dir		*t = *state;
	struct zc_config	*cfg;
	char			 err[1024];

	assert_int_equal(load_text(t, NODE, strlen(NODE), &cfg, err,
	    sizeof(err)), 0);
	assert_string_equal(cfg->node.name, "alpha");
	assert_null(cfg->node.listen);
	assert_null(cfg->node.control);
	assert_int_equal(cfg->node.insecure, 0);
	assert_null(cfg->node.cert);
	assert_null(cfg->node.key);
	assert_int_equal(cfg->npeers, 0);
	assert_null(cfg->peers);
	assert_int_equal(cfg->nsets, 0);
	assert_null(cfg->sets);
	zc_config_free(cfg);

	assert_int_equal(load_text(t, text, strlen(text), &cfg, err,
	    sizeof(err)), 0);
	assert_int_equal(cfg->peers[0].nfpr, 0);
	assert_int_equal(cfg->sets[0].fsync, 1);
	assert_int_equal(cfg->sets[0].xattrs, 1);
	assert_int_equal(cfg->sets[0].verify, 0);
	assert_int_equal(cfg->sets[0].max_delete.set, 0);
	assert_null(cfg->sets[0].backup_dir);
	assert_int_equal(cfg->peers[0].bwlimit, 0);
	assert_true(zc_config_set_accepts(&cfg->sets[0], "far"));
	zc_config_free(cfg);
}

static void
test_policy(void **state)
{
	static const char	 text[] = NODE
	    "peers:\n  - name: far\n    address: 127.0.0.1:7400\n"
	    "    bwlimit: 2M\n"
	    "sets:\n  - name: s\n    path: /s\n    push_to: [far]\n"
	    "    exclude: [\"*.o\", /build/]\n    include: [keep.o]\n"
	    "    max_delete: 10%\n    backup: {dir: .old/v}\n"
	    "  - name: t\n    path: /t\n    max_delete: 7\n"
	    "    backup: {dir: b, keep: 9}\n";
	struct test_dir		*t = *state;
	struct zc_config	*cfg;
	char			 err[1024];

	assert_int_equal(load_text(t, text, strlen(text), &cfg, err,
	    sizeof(err)), 0);
	assert_int_equal(cfg->peers[0].bwlimit, 2 * 1024 * 1024);
	assert_int_equal(cfg->sets[0].nexclude, 2);
	assert_string_equal(cfg->sets[0].exclude[1], "/build/");
	assert_int_equal(cfg->sets[0].ninclude, 1);
	assert_string_equal(cfg->sets[0].backup_dir, ".old/v");
	assert_int_equal(cfg->sets[0].backup_keep, 5);
	assert_int_equal(zc_config_limit_of(&cfg->sets[0].max_delete, 1000),
	    100);
	assert_int_equal(zc_config_limit_of(&cfg->sets[0].max_delete, 15), 1);
	assert_int_equal(zc_config_limit_of(&cfg->sets[1].max_delete, 1000),
	    7);
	assert_int_equal(cfg->sets[1].backup_keep, 9);
	assert_true(zc_config_limit_of(&cfg->sets[0].max_delete, UINT64_MAX) <=
	    UINT64_MAX / 10 + 1);
	zc_config_free(cfg);
}

/*
 * A new identity in t->dir/sub: its files' paths in cert and key (each
 * ID_PATH_MAX bytes) and its pin in fpr.
 */
#define ID_PATH_MAX	256

static void
make_identity(struct test_dir *t, const char *sub, char *cert, char *key,
    uint8_t fpr[ZC_FPR_LEN])
{
	char	dir[96], err[512];
	int	r;

	snprintf(dir, sizeof(dir), "%s/%s", t->dir, sub);
	assert_int_equal(mkdir(dir, 0700), 0);
	r = zc_identity_generate(dir, sub, fpr, err, sizeof(err));
	if (r != 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	snprintf(cert, ID_PATH_MAX, "%s/cert.pem", dir);
	snprintf(key, ID_PATH_MAX, "%s/key.pem", dir);
}

static void
remove_identity(struct test_dir *t, const char *sub)
{
	char	file[192];

	snprintf(file, sizeof(file), "%s/%s/cert.pem", t->dir, sub);
	unlink(file);
	snprintf(file, sizeof(file), "%s/%s/key.pem", t->dir, sub);
	unlink(file);
	snprintf(file, sizeof(file), "%s/%s", t->dir, sub);
	rmdir(file);
}

/*
 * The identity's head: node alpha on 0.0.0.0:7400 with cert and key, then
 * the peers.  The cert value is at 5:11, the key at 6:10.
 */
#define ID_HEAD \
	"node:\n  name: alpha\n  listen: 0.0.0.0:7400\n  identity:\n" \
	"    cert: %s\n    key: %s\npeers:\n"

/* Load text and expect the error "LINE:COL: rest" (printf-formatted). */
static void __attribute__((format(printf, 3, 4)))
expect_error(struct test_dir *t, const char *text, const char *fmt, ...)
{
	struct zc_config	*cfg = (struct zc_config *)1;
	char			 err[2048], want[2048], rest[1024];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(rest, sizeof(rest), fmt, ap);
	va_end(ap);
	snprintf(want, sizeof(want), "%s:%s", t->file, rest);
	assert_int_equal(load_text(t, text, strlen(text), &cfg, err,
	    sizeof(err)), -EINVAL);
	assert_null(cfg);
	assert_string_equal(err, want);
}

/*
 * node.identity and peers[].fingerprint with real files: what loads and is
 * stored, the identity's files checked at load time, pins unique, and the
 * plain-TCP rule as TLS changes it.
 */
static void
test_identity(void **state)
{
	struct test_dir		*t = *state;
	struct zc_config	*cfg;
	char			 cert[ID_PATH_MAX], key[ID_PATH_MAX];
	char			 ocert[ID_PATH_MAX], okey[ID_PATH_MAX];
	char			 pin[ZC_FPR_STRLEN], opin[ZC_FPR_STRLEN];
	char			 text[4096], err[1024], missing[128];
	uint8_t			 fpr[ZC_FPR_LEN], ofpr[ZC_FPR_LEN];
	int			 r;

	make_identity(t, "alpha", cert, key, fpr);
	make_identity(t, "beta", ocert, okey, ofpr);
	zc_identity_fpr_str(fpr, pin, sizeof(pin));
	zc_identity_fpr_str(ofpr, opin, sizeof(opin));

	/*
	 * Loads: listening beyond loopback, pushing to a pinned peer beyond
	 * loopback, one pin as a string, two as a list in two forms; a peer
	 * that only dials us needs no pin, nor one on loopback.
	 */
	snprintf(text, sizeof(text), ID_HEAD
	    "  - name: beta\n    address: 192.0.2.1:7400\n"
	    "    fingerprint: %s\n"
	    "  - name: gamma\n    address: \"[2001:db8::7]:7400\"\n"
	    "    fingerprint: [" PIN_A_COLONS ", %s]\n"
	    "  - name: delta\n"
	    "  - name: local\n    address: 127.0.0.1:7401\n"
	    "sets:\n  - name: site\n    path: /srv/site\n"
	    "    push_to: [beta, gamma, local]\n    accept_from: [delta]\n",
	    cert, key, opin, PIN_B);
	r = load_text(t, text, strlen(text), &cfg, err, sizeof(err));
	if (r != 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_string_equal(cfg->node.cert, cert);
	assert_string_equal(cfg->node.key, key);
	assert_int_equal(cfg->peers[0].nfpr, 1);
	assert_memory_equal(cfg->peers[0].fpr[0], ofpr, ZC_FPR_LEN);
	assert_int_equal(cfg->peers[1].nfpr, 2);
	assert_int_equal(zc_identity_fpr_parse(PIN_A, fpr), 0);
	assert_memory_equal(cfg->peers[1].fpr[0], fpr, ZC_FPR_LEN);
	assert_int_equal(zc_identity_fpr_parse(PIN_B, fpr), 0);
	assert_memory_equal(cfg->peers[1].fpr[1], fpr, ZC_FPR_LEN);
	assert_int_equal(cfg->peers[2].nfpr, 0);
	assert_int_equal(cfg->peers[3].nfpr, 0);
	zc_config_free(cfg);

	/* The same pin on two peers. */
	snprintf(text, sizeof(text), ID_HEAD
	    "  - name: beta\n    fingerprint: [" PIN_A ", %s]\n"
	    "  - name: gamma\n    fingerprint: " PIN_B "\n"
	    "  - name: delta\n    fingerprint: [" PIN_C ", %s]\n",
	    cert, key, opin, opin);
	expect_error(t, text, "13:85: peers[2].fingerprint[1]: "
	    "same pin as peers[0]");
	snprintf(text, sizeof(text), ID_HEAD
	    "  - name: beta\n    fingerprint: [" PIN_C ", %s]\n"
	    "  - name: gamma\n    fingerprint: " PIN_C "\n",
	    cert, key, opin);
	expect_error(t, text, "11:18: peers[1].fingerprint: "
	    "same pin as peers[0]");

	/* A peer pinned to this node's own certificate. */
	snprintf(text, sizeof(text), ID_HEAD
	    "  - name: beta\n    fingerprint: %s\n", cert, key, pin);
	expect_error(t, text, "9:18: peers[0].fingerprint: "
	    "same pin as node.identity.cert (this node's own)");

	/* A peer without a pin is still plain TCP: beyond loopback, refused. */
	snprintf(text, sizeof(text), ID_HEAD
	    "  - name: beta\n    address: 192.0.2.1:7400\n"
	    "sets:\n  - name: site\n    path: /srv/site\n    push_to: [beta]\n",
	    cert, key);
	expect_error(t, text, "9:14: peers[0].address: plain TCP beyond "
	    "loopback needs node.insecure: true (for TLS, give the peer a "
	    "fingerprint)");
	/* ... unless the node says insecure. */
	snprintf(text, sizeof(text),
	    "node:\n  name: alpha\n  listen: 0.0.0.0:7400\n  insecure: true\n"
	    "  identity: {cert: %s, key: %s}\n"
	    "peers:\n  - name: beta\n    address: 192.0.2.1:7400\n"
	    "sets:\n  - name: site\n    path: /srv/site\n    push_to: [beta]\n",
	    cert, key);
	assert_int_equal(load_text(t, text, strlen(text), &cfg, err,
	    sizeof(err)), 0);
	zc_config_free(cfg);

	/* The key file: readable by others, then another identity's key. */
	assert_int_equal(chmod(key, 0644), 0);
	snprintf(text, sizeof(text), ID_HEAD "  - name: beta\n", cert, key);
	expect_error(t, text, "6:10: node.identity.key: %s: private key is "
	    "readable by others (mode 0644); chmod 600 it", key);
	assert_int_equal(chmod(key, 0600), 0);
	snprintf(text, sizeof(text), ID_HEAD "  - name: beta\n", cert, okey);
	expect_error(t, text, "6:10: node.identity.key: %s: private key does "
	    "not match the certificate %s", okey, cert);

	/* Missing files, named at their own key. */
	snprintf(missing, sizeof(missing), "%s/missing.pem", t->dir);
	snprintf(text, sizeof(text), ID_HEAD "  - name: beta\n", missing, key);
	expect_error(t, text, "5:11: node.identity.cert: %s: certificate: "
	    "No such file or directory", missing);
	snprintf(text, sizeof(text), ID_HEAD "  - name: beta\n", cert, missing);
	expect_error(t, text, "6:10: node.identity.key: %s: private key: "
	    "No such file or directory", missing);
	/* A key where the certificate should be. */
	snprintf(text, sizeof(text), ID_HEAD "  - name: beta\n", key, key);
	expect_error(t, text, "6:10: node.identity.key: %s: not a PEM "
	    "certificate", key);
	snprintf(text, sizeof(text), ID_HEAD "  - name: beta\n", okey, key);
	expect_error(t, text, "5:11: node.identity.cert: %s: not a PEM "
	    "certificate", okey);

	remove_identity(t, "alpha");
	remove_identity(t, "beta");
}

/* The shipped example loads and says what the README promises. */
static void
test_example(void **state)
{
	struct zc_config		*cfg;
	const struct zc_config_set	*s;
	const char			*top;
	char				 file[4096], err[1024];
	int				 r;

	top = getenv("top_srcdir");
	snprintf(file, sizeof(file), "%s/etc/zcsync.yaml",
	    top != NULL ? top : "../..");
	if (access(file, R_OK) != 0)
		snprintf(file, sizeof(file), "etc/zcsync.yaml");
	r = zc_config_load(file, &cfg, err, sizeof(err));
	if (r != 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_string_equal(cfg->node.name, "alpha");
	assert_string_equal(cfg->node.listen, "127.0.0.1:7400");
	assert_int_equal(cfg->node.insecure, 0);
	assert_int_equal(cfg->npeers, 1);
	assert_string_equal(cfg->peers[0].name, "beta");
	assert_string_equal(cfg->peers[0].address, "127.0.0.1:7401");
	s = zc_config_set(cfg, "site");
	assert_non_null(s);
	assert_string_equal(s->path, "/srv/zcsync/site");
	assert_int_equal(s->npush_to, 1);
	assert_string_equal(s->push_to[0], "beta");
	s = zc_config_set(cfg, "incoming");
	assert_non_null(s);
	assert_string_equal(s->path, "/srv/zcsync/incoming");
	assert_true(zc_config_set_accepts(s, "beta"));
	zc_config_free(cfg);
}

/* The other example, beta, loads too, with no identity. */
static void
test_example_beta(void **state)
{
	struct zc_config	*cfg;
	const char		*top;
	char			 file[4096], err[1024];
	int			 r;

	top = getenv("top_srcdir");
	snprintf(file, sizeof(file), "%s/etc/zcsync-beta.yaml",
	    top != NULL ? top : "../..");
	if (access(file, R_OK) != 0)
		snprintf(file, sizeof(file), "etc/zcsync-beta.yaml");
	r = zc_config_load(file, &cfg, err, sizeof(err));
	if (r != 0)
		print_error("%s\n", err);
	assert_int_equal(r, 0);
	assert_string_equal(cfg->node.name, "beta");
	assert_null(cfg->node.cert);
	assert_int_equal(cfg->peers[0].nfpr, 0);
	zc_config_free(cfg);
}

/* The key table is printed in full, one row per key. */
static void
test_print_keys(void **state)
{
	char	*text = NULL, line[1024];
	size_t	 len = 0, rows = 0;
	FILE	*f;

	f = open_memstream(&text, &len);
	assert_non_null(f);
	zc_config_print_keys(f);
	assert_int_equal(fclose(f), 0);
	f = fmemopen(text, len, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		rows++;
	fclose(f);
	assert_int_equal(rows, zc_config_nkeys + 2);
	assert_non_null(strstr(text, "| `sets[].fsync` | boolean | `true` |"));
	assert_non_null(strstr(text, "| `node.name` | name"));
	assert_non_null(strstr(text, "| `node.identity.key` | absolute path "
	    "| required |"));
	assert_non_null(strstr(text, "| `peers[].fingerprint` | pin or list "
	    "of pins (1-2) | unset |"));
	free(text);
}

static void
test_addr_good(void **state)
{
	static const struct {
		const char	*in, *out;
		int		 family, port, loopback;
	} good[] = {
		{ "127.0.0.1:7400", "127.0.0.1:7400", AF_INET, 7400, 1 },
		{ "127.255.0.9:1", "127.255.0.9:1", AF_INET, 1, 1 },
		{ "0.0.0.0:0", "0.0.0.0:0", AF_INET, 0, 0 },
		{ "10.1.2.3:65535", "10.1.2.3:65535", AF_INET, 65535, 0 },
		{ "128.0.0.1:80", "128.0.0.1:80", AF_INET, 80, 0 },
		{ "[::1]:7400", "[::1]:7400", AF_INET6, 7400, 1 },
		{ "[::]:7400", "[::]:7400", AF_INET6, 7400, 0 },
		{ "[2001:db8::1]:443", "[2001:db8::1]:443", AF_INET6, 443, 0 },
		{ "[::ffff:127.0.0.2]:9", "[::ffff:127.0.0.2]:9", AF_INET6, 9,
		  1 },
		{ "[::ffff:10.0.0.1]:9", "[::ffff:10.0.0.1]:9", AF_INET6, 9,
		  0 },
		{ "[::2]:9", "[::2]:9", AF_INET6, 9, 0 },
	};
	struct zc_addr	a;
	char		err[256], buf[64];
	size_t		i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(zc_addr_parse(good[i].in, &a, err,
		    sizeof(err)), 0);
		assert_string_equal(err, "");
		assert_int_equal(a.ss.ss_family, good[i].family);
		assert_int_equal(a.len, good[i].family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		assert_int_equal(zc_addr_port(&a), good[i].port);
		assert_int_equal(zc_addr_is_loopback(&a), good[i].loopback);
		assert_string_equal(zc_addr_str(&a, buf, sizeof(buf)),
		    good[i].out);
	}
}

static void
test_addr_bad(void **state)
{
	static const struct {
		const char	*in, *err;
	} bad[] = {
		{ "", "must be host:port or [v6]:port" },
		{ "127.0.0.1", "must be host:port or [v6]:port" },
		{ "[::1]", "must be host:port or [v6]:port" },
		{ "[::1]7400", "must be host:port or [v6]:port" },
		{ "[::1", "must be host:port or [v6]:port" },
		{ ":7400", "must be host:port or [v6]:port with a numeric "
		  "address" },
		{ "[]:7400", "must be host:port or [v6]:port with a numeric "
		  "address" },
		{ "localhost:7400", "must be host:port or [v6]:port with a "
		  "numeric address (no names)" },
		{ "::1:7400", "must be host:port or [v6]:port with a "
		  "numeric address (no names)" },
		{ "1.2.3:7400", "must be host:port or [v6]:port with a "
		  "numeric address (no names)" },
		{ "1.2.3.256:7400", "must be host:port or [v6]:port with a "
		  "numeric address (no names)" },
		{ "[127.0.0.1]:7400", "must be host:port or [v6]:port with a "
		  "numeric address (no names)" },
		{ "[fe80::1%eth0]:7400", "must be host:port or [v6]:port "
		  "with a numeric address (no names)" },
		{ "1.2.3.4:", "must be host:port with a port 0..65535" },
		{ "1.2.3.4:65536", "must be host:port with a port 0..65535" },
		{ "1.2.3.4:123456", "must be host:port with a port 0..65535" },
		{ "1.2.3.4:-1", "must be host:port with a port 0..65535" },
		{ "1.2.3.4:+1", "must be host:port with a port 0..65535" },
		{ "1.2.3.4:80x", "must be host:port with a port 0..65535" },
		{ "1.2.3.4: 80", "must be host:port with a port 0..65535" },
	};
	struct zc_addr	a;
	char		err[256], tiny[4];
	size_t		i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&a, 0xff, sizeof(a));
		assert_int_equal(zc_addr_parse(bad[i].in, &a, err,
		    sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].err);
		assert_int_equal(a.ss.ss_family, 0);
		assert_int_equal(a.len, 0);
	}
	assert_int_equal(zc_addr_parse("x", &a, tiny, sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "mus");
	assert_int_equal(zc_addr_port(&a), -1);
	assert_int_equal(zc_addr_is_loopback(&a), 0);
}

/*
 * zc_config_parse_bytes(): the config's bytes syntax, for options such as
 * `zcsync push --bwlimit`: digits, one optional K, M or G (1024).
 */
static void
test_parse_bytes(void **state)
{
	static const struct {
		const char	*s;
		uint64_t	 v;
	} good[] = {
		{ "0", 0 }, { "1", 1 }, { "10M", 10ULL << 20 },
		{ "2m", 2ULL << 20 }, { "1K", 1024 }, { "3g", 3ULL << 30 },
		{ "1099511627776", 1ULL << 40 },
	};
	static const char *bad[] = {
		"", "M", "-1", "1.5M", "10MB", "1 M", " 1", "1T", "0x10", "1e3",
		"99999999999999999999", "9999999999999G",
	};
	uint64_t	v;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = 7;
		assert_int_equal(zc_config_parse_bytes(good[i].s, &v), 0);
		assert_true(v == good[i].v);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		assert_int_equal(zc_config_parse_bytes(bad[i], &v), -EINVAL);
		assert_true(v == 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_string_bound),
		cmocka_unit_test(test_list_bounds),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_beta),
		cmocka_unit_test(test_print_keys),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_addr_good),
		cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_parse_bytes),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
