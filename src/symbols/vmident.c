// SPDX-License-Identifier: GPL-2.0
/* VM names and UUIDs, vCPU thread names (vmident.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "symbols/vmident.h"

const char *vmident_source_name(enum vm_source s)
{
	static const char *const names[VMID__MAX] = {
		[VMID_NONE] = "none", [VMID_QEMU_NAME] = "qemu-name",
		[VMID_LIBVIRT] = "libvirt", [VMID_COMM] = "comm",
	};

	return (unsigned int)s < VMID__MAX ? names[s] : "none";
}

/* ---- cleaning ---- */

/* Length of the valid UTF-8 sequence at @s (1-4), 0 if it is none. */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, surrogates or code points beyond U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (int i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void vmident_clean(char *str)
{
	unsigned char *s = (unsigned char *)str;

	while (*s) {
		int n = utf8_len(s);

		/* C0, DEL and C1 (U+0080-U+009F: 0x9b is a CSI) move terminals. */
		if (!n || *s < 0x20 || *s == 0x7f || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)) {
			for (int i = 0; i < (n ? n : 1); i++)
				s[i] = '?';
			n = n ? n : 1;
		}
		s += n;
	}
}

/*
 * @len bytes of @src into @dst (@cap bytes with the NUL), cut before a
 * character that does not fit whole, then cleaned.
 */
static void copy_name(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap) {
		len = cap - 1;
		/* Back to the start of the last character, if it was cut. */
		for (size_t k = 0; k < 3 && len && ((unsigned char)src[len] & 0xc0) == 0x80; k++)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	vmident_clean(dst);
}

/* ---- QEMU's command line ---- */

/*
 * One value of QEMU's option syntax at @p, up to a lone ',' (",," is a
 * comma), into @out (@cap bytes, cut); returns where it stopped.
 */
static const char *opt_value(const char *p, const char *end, char *out, size_t cap)
{
	size_t n = 0;

	while (p < end && *p) {
		if (*p == ',') {
			if (p + 1 < end && p[1] == ',')
				p++;
			else
				break;
		}
		if (n + 1 < cap)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return p;
}

/*
 * -name's argument, parsed as QEMU's QemuOpts do with "guest" as the
 * implied first key: "NAME,debug-threads=on", "guest=NAME,process=P".
 */
static bool name_option(const char *arg, const char *end, char *name)
{
	char val[VMID_READ_MAX < 4096 ? VMID_READ_MAX : 4096];
	bool first = true, found = false;
	const char *p = arg;

	while (p < end && *p) {
		size_t klen = strcspn(p, "=,");
		bool guest;

		if (p + klen > end)
			klen = end - p;
		if (p[klen] != '=') {
			/* "NAME,...": the implied key, first only; later ones are flags. */
			guest = first;
			if (guest)
				p = opt_value(p, end, val, sizeof(val));
			else
				p += klen;
		} else {
			guest = klen == 5 && !strncmp(p, "guest", 5);
			p = opt_value(p + klen + 1, end, val, sizeof(val));
		}
		if (guest && val[0]) {
			copy_name(name, VMID_NAME_LEN, val, strlen(val));
			found = true;
		}
		if (p < end && *p == ',')
			p++;
		first = false;
	}
	return found;
}

static bool is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return s[36] == '\0';
}

/* QEMU takes --opt as -opt (and no -opt=value). */
static bool is_opt(const char *arg, const char *opt)
{
	if (arg[0] == '-' && arg[1] == '-')
		arg++;
	return arg[0] == '-' && !strcmp(arg + 1, opt);
}

bool vmident_parse_cmdline(const char *buf, size_t len, char *name, char *uuid)
{
	const char *end = buf + len, *prev = NULL;
	char *copy;
	bool found = false;

	name[0] = uuid[0] = '\0';
	/* A copy that surely ends in a NUL: the last argument may be cut. */
	copy = malloc(len + 1);
	if (!copy)
		return false;
	memcpy(copy, buf, len);
	copy[len] = '\0';
	end = copy + len;
	/*
	 * argv[0] is the program.  An option's argument is taken after the
	 * option, as QEMU does; kvmsr does not know every option's arity, so
	 * a stray "-name" inside another option's argument could mislead it.
	 */
	for (const char *a = copy + strnlen(copy, len) + 1; a < end; a += strlen(a) + 1) {
		bool taken = prev && (is_opt(prev, "name") || is_opt(prev, "uuid"));

		if (taken && is_opt(prev, "name"))
			found |= name_option(a, end, name);
		else if (taken && is_uuid(a))
			snprintf(uuid, VMID_UUID_LEN, "%s", a);
		/* An argument taken is no option: "-name -uuid" names the VM "-uuid". */
		prev = taken ? NULL : a;
	}
	free(copy);
	return found;
}

/* ---- the cgroup path ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* systemd's unit name escaping undone: \xNN is the byte NN. */
static size_t unescape(const char *s, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
		    hexval(s[i + 3]) >= 0) {
			out[n++] = hexval(s[i + 2]) << 4 | hexval(s[i + 3]);
			i += 3;
			continue;
		}
		out[n++] = s[i];
	}
	return n;
}

/* libvirt's "qemu-N-NAME" (N the domain id, since libvirt 3.x) or "qemu-NAME". */
static const char *strip_qemu_id(const char *s, size_t *len)
{
	size_t i = 5;

	if (*len < 5 || strncmp(s, "qemu-", 5))
		return NULL;
	while (i < *len && isdigit((unsigned char)s[i]))
		i++;
	if (i == 5 || i >= *len || s[i] != '-')
		i = 5;		/* no id: the older "qemu-NAME" */
	else
		i++;
	*len -= i;
	return s + i;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t l = strlen(suffix);

	return len >= l && !memcmp(s + len - l, suffix, l);
}

/* One component of a cgroup path: the libvirt domain it names, if it does. */
static bool cgroup_component(const char *c, size_t len, char *name)
{
	char raw[512];
	const char *d;
	size_t n, m;

	if (len > sizeof(raw))
		return false;
	if (len > 14 && !strncmp(c, "machine-", 8) && ends_with(c, len, ".scope")) {
		/* systemd: machine.slice/machine-qemu\x2d1\x2drealvm.scope */
		n = unescape(c + 8, len - 8 - 6, raw);
	} else if (ends_with(c, len, ".libvirt-qemu")) {
		/* No systemd: /machine/qemu-1-realvm.libvirt-qemu or /machine/realvm.libvirt-qemu */
		n = len - 13;
		memcpy(raw, c, n);
		if (n && raw[0] == '_') {
			/* libvirt escapes a leading '_' or '.' (virCgroupEscape) with a '_'. */
			memmove(raw, raw + 1, --n);
		}
		m = n;
		d = strip_qemu_id(raw, &m);
		if (!d) {
			d = raw;	/* the old layout has no prefix */
			m = n;
		}
		if (!m)
			return false;
		copy_name(name, VMID_NAME_LEN, d, m);
		return true;
	} else {
		return false;
	}
	d = strip_qemu_id(raw, &n);
	if (!d || !n)
		return false;
	copy_name(name, VMID_NAME_LEN, d, n);
	return true;
}

bool vmident_parse_cgroup(const char *buf, size_t len, char *name)
{
	const char *end = buf + len;

	name[0] = '\0';
	/* Lines "ID:controllers:path"; the first line that names a domain wins. */
	for (const char *l = buf; l < end;) {
		const char *nl = memchr(l, '\n', end - l), *le = nl ? nl : end, *p = l;

		for (int colons = 0; p < le && colons < 2; p++)
			colons += *p == ':';
		while (p < le) {
			const char *slash = memchr(p, '/', le - p), *ce = slash ? slash : le;

			if (ce > p && cgroup_component(p, ce - p, name))
				return true;
			p = ce + 1;
		}
		l = le + 1;
	}
	return false;
}

/* ---- /proc ---- */

/* At most @max bytes of @path into a new buffer (*@out, to free); length or -1. */
static ssize_t read_bounded(const char *path, char **out, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	char *buf;

	*out = NULL;
	if (fd < 0)
		return -1;
	buf = malloc(max + 1);
	while (buf && n < max) {
		ssize_t k = read(fd, buf + n, max - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += k;
	}
	close(fd);
	if (!buf)
		return -1;
	buf[n] = '\0';
	*out = buf;
	return n;
}

/* A comm file's text, newline dropped, cleaned: true if there was one. */
static bool read_comm(const char *path, char *out, size_t cap)
{
	char *buf;
	ssize_t n = read_bounded(path, &buf, cap);

	if (n < 0)
		return false;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	copy_name(out, cap, buf, n);
	free(buf);
	return n > 0;
}

/* Who @pid is, from @proc: false if the process is not there (or says nothing). */
static bool resolve(const char *proc, uint32_t pid, struct vm_ident *id)
{
	char path[128], *buf;
	ssize_t n;

	memset(id, 0, sizeof(*id));
	id->pid = pid;
	snprintf(path, sizeof(path), "%s/%u/cmdline", proc, pid);
	n = read_bounded(path, &buf, VMID_READ_MAX);
	if (n > 0 && vmident_parse_cmdline(buf, n, id->name, id->uuid))
		id->source = VMID_QEMU_NAME;
	free(buf);
	if (id->source)
		return true;
	snprintf(path, sizeof(path), "%s/%u/cgroup", proc, pid);
	n = read_bounded(path, &buf, VMID_READ_MAX);
	if (n > 0 && vmident_parse_cgroup(buf, n, id->name))
		id->source = VMID_LIBVIRT;
	free(buf);
	if (id->source)
		return true;
	snprintf(path, sizeof(path), "%s/%u/comm", proc, pid);
	if (read_comm(path, id->name, sizeof(id->name)))
		id->source = VMID_COMM;
	return id->source != VMID_NONE;
}

/* ---- the cache ---- */

void vmident_init(struct vmident *v, const char *proc)
{
	memset(v, 0, sizeof(*v));
	v->proc = proc;
}

static void forget_all(struct vmident *v)
{
	keymap_free(&v->by_pid);
	v->nr_vm = 0;
}

static void forget_threads(struct vmident *v)
{
	keymap_free(&v->by_tid);
	v->nr_thr = 0;
}

void vmident_free(struct vmident *v)
{
	forget_all(v);
	forget_threads(v);
	free(v->vm);
	free(v->thr);
	v->vm = NULL;
	v->thr = NULL;
	v->cap_vm = v->cap_thr = 0;
}

/* A slot for @pid: its own, or a new one; NULL if none can be had. */
static struct vm_ident *slot(struct vmident *v, uint32_t pid, bool live)
{
	uint32_t i;

	if (keymap_get(&v->by_pid, pid, &i))
		return &v->vm[i];
	if (v->nr_vm >= VMID_MAX_VMS) {
		if (!live) {
			v->dropped++;
			return NULL;
		}
		/* A host that started this many VMs: the ones still here re-resolve. */
		forget_all(v);
	}
	if (array_room(&v->vm, &v->cap_vm, v->nr_vm, sizeof(*v->vm), 16) ||
	    keymap_put(&v->by_pid, pid, v->nr_vm))
		return NULL;
	memset(&v->vm[v->nr_vm], 0, sizeof(*v->vm));
	v->vm[v->nr_vm].pid = pid;
	return &v->vm[v->nr_vm++];
}

/* Something to show: a recording's entry may have a source this kvmsr does not know. */
static bool shown(const struct vm_ident *s)
{
	return s->source || s->name[0] || s->uuid[0];
}

/* Resolve @pid into its slot; the slot keeps what it had if the process is gone. */
static const struct vm_ident *lookup(struct vmident *v, uint32_t pid, bool again)
{
	struct vm_ident id, *s = NULL;
	bool known;
	uint32_t i;

	known = keymap_get(&v->by_pid, pid, &i);
	if (known)
		s = &v->vm[i];
	if (!v->proc || (known && !(again && s->exited)))
		return s && shown(s) ? s : NULL;
	/* Gone before it was first seen: remembered as unknown, not read again. */
	if (!resolve(v->proc, pid, &id) && known) {
		s->exited = false;
		return shown(s) ? s : NULL;
	}
	s = slot(v, pid, true);
	if (!s)
		return NULL;
	id.gen = s->gen + 1;
	*s = id;
	return shown(s) ? s : NULL;
}

const struct vm_ident *vmident_get(struct vmident *v, uint32_t pid)
{
	return lookup(v, pid, false);
}

const struct vm_ident *vmident_seen(struct vmident *v, uint32_t pid)
{
	return lookup(v, pid, true);
}

void vmident_exited(struct vmident *v, uint32_t pid)
{
	uint32_t i;

	if (keymap_get(&v->by_pid, pid, &i))
		v->vm[i].exited = true;
}

void vmident_prune(struct vmident *v, bool (*alive)(uint32_t pid))
{
	size_t kept = 0;

	keymap_free(&v->by_pid);
	for (size_t i = 0; i < v->nr_vm; i++) {
		if (!alive(v->vm[i].pid))
			continue;
		v->vm[kept] = v->vm[i];
		/* The map had room for all of them: this cannot fail for fewer. */
		if (keymap_put(&v->by_pid, v->vm[kept].pid, kept))
			break;
		kept++;
	}
	v->nr_vm = kept;
	/* Threads of VMs that are gone: simply resolved again when seen. */
	forget_threads(v);
}

int vmident_set(struct vmident *v, const struct vm_ident *id)
{
	struct vm_ident *s = slot(v, id->pid, false);
	uint32_t gen;

	if (!s)
		return -ENOSPC;
	gen = s->gen;
	*s = *id;
	s->gen = gen + 1;
	s->source = id->source < VMID__MAX ? id->source : VMID_NONE;
	s->name[sizeof(s->name) - 1] = s->uuid[sizeof(s->uuid) - 1] = '\0';
	vmident_clean(s->name);
	if (!is_uuid(s->uuid))
		s->uuid[0] = '\0';
	return 0;
}

static int thread_put(struct vmident *v, uint64_t key, const char *name, bool live)
{
	if (v->nr_thr >= VMID_MAX_THREADS) {
		if (!live) {
			v->dropped++;
			return -ENOSPC;
		}
		forget_threads(v);
	}
	if (array_room(&v->thr, &v->cap_thr, v->nr_thr, sizeof(*v->thr), 64) ||
	    keymap_put(&v->by_tid, key, v->nr_thr))
		return -ENOMEM;
	copy_name(v->thr[v->nr_thr].name, VMID_THREAD_LEN, name, strnlen(name, VMID_THREAD_LEN));
	v->nr_thr++;
	return 0;
}

const char *vmident_thread(struct vmident *v, uint32_t pid, uint32_t tid)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	char path[128], name[VMID_THREAD_LEN] = "";
	uint32_t i;

	if (keymap_get(&v->by_tid, key, &i))
		return v->thr[i].name[0] ? v->thr[i].name : NULL;
	if (!v->proc || !tid)
		return NULL;
	snprintf(path, sizeof(path), "%s/%u/task/%u/comm", v->proc, pid, tid);
	read_comm(path, name, sizeof(name));
	/* An unknown one is remembered too: /proc is read once per thread. */
	if (thread_put(v, key, name, true))
		return NULL;
	return name[0] ? v->thr[v->nr_thr - 1].name : NULL;
}

int vmident_set_thread(struct vmident *v, uint32_t pid, uint32_t tid, const char *name)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	uint32_t i;

	if (keymap_get(&v->by_tid, key, &i)) {
		copy_name(v->thr[i].name, VMID_THREAD_LEN, name, strnlen(name, VMID_THREAD_LEN));
		return 0;
	}
	return thread_put(v, key, name, false);
}

/* ---- --vm NAME ---- */

/* Does @pid hold a KVM VM: an fd on anon_inode:kvm-vm? */
static bool holds_vm(const char *proc, const char *pid)
{
	char path[300], link[64];
	struct dirent *d;
	bool yes = false;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s/fd", proc, pid);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!yes && (d = readdir(dir))) {
		ssize_t n;

		if (d->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			yes = !strcmp(link, "anon_inode:kvm-vm");
		}
	}
	closedir(dir);
	return yes;
}

int vmident_find(const char *proc, const char *name, uint32_t *pids, int max)
{
	struct dirent *d;
	int found = 0;
	DIR *dir = opendir(proc);

	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		struct vm_ident id;
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (!pid || *end || pid > UINT32_MAX || !holds_vm(proc, d->d_name) ||
		    !resolve(proc, pid, &id))
			continue;
		if (strcmp(id.name, name) && (!id.uuid[0] || strcasecmp(id.uuid, name)))
			continue;
		if (found < max)
			pids[found] = pid;
		found++;
	}
	closedir(dir);
	return found;
}
