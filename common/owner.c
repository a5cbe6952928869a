/*
 * owner.c: owners by name (IDMAP) and the right to apply them.
 *
 * Names are looked up with getpwuid_r/getgrgid_r (announce) and
 * getpwnam_r/getgrnam_r (learn), once per id or name and connection: the
 * tables below are that cache, bounded by ZC_OWNER_MAP_MAX.
 */
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/capability.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "owner.h"
#include "xmalloc.h"

#define OWNER_PWBUF_MIN		1024
#define OWNER_PWBUF_MAX		(1024 * 1024)

/* uint32 -> uint32, open addressing; capacity a power of two. */
struct owner_tab {
	uint32_t	*keys;		/* owned */
	uint32_t	*vals;		/* owned */
	uint8_t		*used;		/* owned */
	size_t		 n;
	size_t		 cap;
};

struct zc_owner_map {
	struct owner_tab	 sent[2];	/* ids we announced (or tried) */
	struct owner_tab	 peer[2];	/* the peer's id -> ours */
};

/*
 * CAP_CHOWN in the effective set, read with the raw capget(2) (libcap
 * is not a dependency).  Version 3 has two 32-bit words; CAP_CHOWN is
 * bit 0 of the first.  If capget fails, only root may.
 */
int
zc_owner_can_chown(void)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return (geteuid() == 0);
	return ((data[0].effective & (1U << CAP_CHOWN)) != 0);
}

static size_t
owner_slot(uint32_t key, size_t cap)
{
	return ((size_t)(key * 2654435761U) & (cap - 1));
}

static int
owner_tab_get(const struct owner_tab *t, uint32_t key, uint32_t *val)
{
	size_t	i;

	if (t->cap == 0)
		return (0);
	for (i = owner_slot(key, t->cap); t->used[i]; i = (i + 1) & (t->cap - 1))
		if (t->keys[i] == key) {
			if (val != NULL)
				*val = t->vals[i];
			return (1);
		}
	return (0);
}

static void
owner_tab_put(struct owner_tab *t, uint32_t key, uint32_t val)
{
	struct owner_tab	 old = *t;
	size_t			 i;

	if ((t->n + 1) * 2 > t->cap) {
		t->cap = old.cap == 0 ? 64 : old.cap * 2;
		t->keys = xcalloc(t->cap, sizeof *t->keys);
		t->vals = xcalloc(t->cap, sizeof *t->vals);
		t->used = xcalloc(t->cap, 1);
		t->n = 0;
		for (i = 0; i < old.cap; i++)
			if (old.used[i])
				owner_tab_put(t, old.keys[i], old.vals[i]);
		free(old.keys);
		free(old.vals);
		free(old.used);
	}
	for (i = owner_slot(key, t->cap); t->used[i];
	    i = (i + 1) & (t->cap - 1))
		if (t->keys[i] == key) {
			t->vals[i] = val;
			return;
		}
	t->used[i] = 1;
	t->keys[i] = key;
	t->vals[i] = val;
	t->n++;
}

static void
owner_tab_free(struct owner_tab *t)
{
	free(t->keys);
	free(t->vals);
	free(t->used);
	memset(t, 0, sizeof *t);
}

struct zc_owner_map *
zc_owner_map_new(void)
{
	return (xcalloc(1, sizeof(struct zc_owner_map)));
}

void
zc_owner_map_free(struct zc_owner_map *m)
{
	int	i;

	if (m == NULL)
		return;
	for (i = 0; i < 2; i++) {
		owner_tab_free(&m->sent[i]);
		owner_tab_free(&m->peer[i]);
	}
	free(m);
}

/*
 * Look up a user or group by id (name == NULL) or by name: 0 and *id or
 * *out (owned), -ENOENT when there is none, or -errno.
 */
static int
owner_lookup(uint8_t kind, const char *name, uint32_t *id, char **out)
{
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	char		*buf = NULL;
	size_t		 size;
	int		 r;

	if (out != NULL)
		*out = NULL;
	for (size = OWNER_PWBUF_MIN; size <= OWNER_PWBUF_MAX; size *= 2) {
		buf = xrealloc(buf, size);
		if (kind == ZC_IDMAP_USER)
			r = name != NULL ? getpwnam_r(name, &pw, buf, size,
			    &pwp) : getpwuid_r((uid_t)*id, &pw, buf, size, &pwp);
		else
			r = name != NULL ? getgrnam_r(name, &gr, buf, size,
			    &grp) : getgrgid_r((gid_t)*id, &gr, buf, size, &grp);
		if (r != ERANGE)
			break;
	}
	if (r == 0 && pwp == NULL && grp == NULL)
		r = ENOENT;
	if (r == 0) {
		if (name != NULL)
			*id = kind == ZC_IDMAP_USER ? (uint32_t)pw.pw_uid :
			    (uint32_t)gr.gr_gid;
		else
			*out = xstrdup(kind == ZC_IDMAP_USER ? pw.pw_name :
			    gr.gr_name);
	}
	free(buf);
	return (-r);
}

/* The name of our id; see owner.h. */
char *
zc_owner_name(uint8_t kind, uint32_t id)
{
	char	*name;

	if ((kind != ZC_IDMAP_USER && kind != ZC_IDMAP_GROUP) ||
	    owner_lookup(kind, NULL, &id, &name) != 0)
		return (NULL);
	return (name);
}

/* Send the name of id once per connection; see owner.h. */
int
zc_owner_announce(struct zc_owner_map *m, struct zc_buf *out, uint8_t kind,
    uint32_t id)
{
	struct zc_idmap_msg	 msg;
	struct owner_tab	*t;
	char			*name;
	int			 r;

	if (kind != ZC_IDMAP_USER && kind != ZC_IDMAP_GROUP)
		return (-EINVAL);
	t = &m->sent[kind - 1];
	if (owner_tab_get(t, id, NULL))
		return (0);
	if (owner_lookup(kind, NULL, &id, &name) != 0 ||
	    strlen(name) > ZC_IDMAP_NAME_MAX || *name == '\0') {
		/* No name here: the peer will use the number. */
		free(name);
		owner_tab_put(t, id, 0);
		return (0);
	}
	memset(&msg, 0, sizeof msg);
	msg.kind = kind;
	msg.id = id;
	msg.name = name;
	msg.name_len = strlen(name);
	r = zc_proto_put_idmap(out, &msg);
	free(name);
	if (r == 0)
		owner_tab_put(t, id, 0);
	return (r);
}

/* The peer's IDMAP; see owner.h. */
int
zc_owner_learn(struct zc_owner_map *m, const struct zc_idmap_msg *msg)
{
	struct owner_tab	*t;
	char			 name[ZC_IDMAP_NAME_MAX + 1];
	uint32_t		 ours;

	if (msg->kind != ZC_IDMAP_USER && msg->kind != ZC_IDMAP_GROUP)
		return (-EPROTO);
	t = &m->peer[msg->kind - 1];
	if (t->n >= ZC_OWNER_MAP_MAX && !owner_tab_get(t, msg->id, NULL))
		return (-EPROTO);
	memcpy(name, msg->name, msg->name_len);
	name[msg->name_len] = '\0';
	if (owner_lookup(msg->kind, name, &ours, NULL) != 0) {
		zc_log_debug("%s: no %s \"%s\" here: %u stays a number",
		    __func__, msg->kind == ZC_IDMAP_USER ? "user" : "group",
		    name, msg->id);
		ours = msg->id;
	}
	owner_tab_put(t, msg->id, ours);
	return (0);
}

/* Our id for the peer's; see owner.h. */
uint32_t
zc_owner_local(const struct zc_owner_map *m, uint8_t kind, uint32_t id)
{
	uint32_t	ours;

	if (m == NULL || (kind != ZC_IDMAP_USER && kind != ZC_IDMAP_GROUP))
		return (id);
	if (owner_tab_get(&m->peer[kind - 1], id, &ours))
		return (ours);
	return (id);
}
