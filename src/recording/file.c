// SPDX-License-Identifier: GPL-2.0
/* The recording file (recording.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "recording/file.h"

/* Fixed part of the header; the text block of text_len bytes follows. */
struct rec_header {
	char magic[8];
	uint32_t version;
	uint32_t abi_version;
	uint32_t event_size;
	uint32_t text_len;
	uint64_t start_ns;
};

struct rec_hdr {
	uint32_t tag;
	uint32_t len;
};

#define REC_BUF (64u << 10)	/* ~1200 events: a kill loses at most that */

static void put_bytes(struct rec_writer *w, const void *p, size_t n)
{
	const char *c = p;

	while (!w->err && n) {
		ssize_t k = write(w->out.fd, c, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			w->err = k < 0 ? -errno : -EIO;
			return;
		}
		c += k;
		n -= k;
		w->bytes += k;
	}
}

/* "key value" lines, then "reg INDEX NAME" for every named register. */
static char *header_text(const struct rec_info *info, const struct regnames *rn, size_t *len)
{
	size_t cap = 2048 + (size_t)rn->count * 48, n;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	n = snprintf(t, cap, "release %s\nmachine %s\nkvm_mode %s\nbackend %s\nnotes %s\n",
		     info->release, info->machine, info->kvm_mode, info->backend, info->notes);
	for (int i = 0; i < rn->count && n < cap; i++)
		if (rn->name[i])
			n += snprintf(t + n, cap - n, "reg %d %s\n", i, rn->name[i]);
	*len = n < cap ? n : cap;
	return t;
}

int rec_begin(struct rec_writer *w, const char *path)
{
	memset(w, 0, sizeof(*w));
	return outfile_open(&w->out, path, -1, w->why, sizeof(w->why));
}

int rec_start(struct rec_writer *w, const struct rec_info *info, const struct regnames *rn)
{
	struct rec_header h = { .version = REC_VERSION, .abi_version = KVMSR_ABI_VERSION,
				.event_size = sizeof(struct kvmsr_event),
				.start_ns = info->start_ns };
	size_t len;
	char *text;

	memcpy(h.magic, REC_MAGIC, sizeof(h.magic));
	text = header_text(info, rn, &len);
	if (!text)
		return -ENOMEM;
	h.text_len = len;
	/* A recording that cannot be written whole stays where it is: said at close. */
	w->out.keep_partial = true;
	w->buf = malloc(REC_BUF);	/* unbuffered if NULL */
	put_bytes(w, &h, sizeof(h));
	put_bytes(w, text, len);
	free(text);
	return w->err;
}

int rec_create(struct rec_writer *w, const char *path, const struct rec_info *info,
	       const struct regnames *rn)
{
	int e = rec_begin(w, path);

	return e ? e : rec_start(w, info, rn);
}

void rec_flush(struct rec_writer *w)
{
	put_bytes(w, w->buf, w->used);
	w->used = 0;
}

/*
 * Records collect in a buffer written out whole (rec_flush, by the caller
 * about every 50 ms, and when full): one write() per record is too slow to
 * keep up with a busy guest.  A kill loses the unflushed tail, never cuts
 * the file anywhere but between records, except a torn last write.
 */
void rec_put(struct rec_writer *w, uint32_t tag, const void *payload, uint32_t len)
{
	struct rec_hdr h = { .tag = tag, .len = len };

	if (!w->buf || w->used + sizeof(h) + len > REC_BUF)
		rec_flush(w);
	if (!w->buf || sizeof(h) + len > REC_BUF) {
		put_bytes(w, &h, sizeof(h));
		put_bytes(w, payload, len);
		return;
	}
	memcpy(w->buf + w->used, &h, sizeof(h));
	memcpy(w->buf + w->used + sizeof(h), payload, len);
	w->used += sizeof(h) + len;
}

void rec_put_stack(struct rec_writer *w, const struct sym_stack *st)
{
	char buf[sizeof(uint32_t) * 2 + REC_STACK_DEPTH * (8 + 2 + 96)];
	uint32_t id = st->id, n = st->n, off = 0;

	memcpy(buf + off, &id, 4), off += 4;
	memcpy(buf + off, &n, 4), off += 4;
	for (int i = 0; i < st->n && i < REC_STACK_DEPTH; i++) {
		uint16_t l = strnlen(st->name[i], sizeof(st->name[i]) - 1);

		memcpy(buf + off, &st->ip[i], 8), off += 8;
		memcpy(buf + off, &l, 2), off += 2;
		memcpy(buf + off, st->name[i], l), off += l;
	}
	rec_put(w, REC_STACK, buf, off);
}

void rec_put_trap_name(struct rec_writer *w, uint16_t enc, const char *name)
{
	char buf[4 + KVMSR_TRAP_NAME_LEN];
	uint32_t e = enc, l = strnlen(name, KVMSR_TRAP_NAME_LEN - 1);

	memcpy(buf, &e, 4);
	memcpy(buf + 4, name, l);
	rec_put(w, REC_TRAPNAME, buf, 4 + l);
}

void rec_put_vm(struct rec_writer *w, const struct vm_ident *id)
{
	struct rec_vm v = { .pid = id->pid, .source = id->source };

	memcpy(v.name, id->name, sizeof(v.name));
	memcpy(v.uuid, id->uuid, sizeof(v.uuid));
	rec_put(w, REC_VM, &v, sizeof(v));
}

void rec_put_thread(struct rec_writer *w, uint32_t pid, uint32_t tid, const char *name)
{
	struct rec_thread t = { .pid = pid, .tid = tid };

	snprintf(t.name, sizeof(t.name), "%s", name);
	rec_put(w, REC_THREAD, &t, sizeof(t));
}

int rec_close(struct rec_writer *w, const struct rec_end *end)
{
	rec_put(w, REC_END, end, sizeof(*end));
	rec_flush(w);
	free(w->buf);
	w->buf = NULL;
	return outfile_commit(&w->out, w->err, w->why, sizeof(w->why));
}

void rec_discard(struct rec_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	outfile_discard(&w->out);
}

/* ---- reading ---- */

/*
 * "key value" lines and "reg INDEX NAME" lines, up to the first NUL.  Each
 * line is cut at its newline before it is scanned: sscanf() measures the
 * whole rest of its input, so scanning in place was quadratic in the text.
 */
static int parse_text(struct rec_reader *r, char *text)
{
	char *end = text + strlen(text);
	int max = -1;

	for (char *l = text; l < end; l += strlen(l) + 1) {
		char *nl = strchr(l, '\n');
		int idx;

		if (nl)
			*nl = '\0';
		if (sscanf(l, "reg %d ", &idx) == 1 && idx >= 0 && idx < KVMSR_MAX_REGS &&
		    idx > max)
			max = idx;
	}
	/* Two passes: the table's size, then the names. */
	r->rn.count = max + 1;
	r->rn.name = calloc(r->rn.count ? r->rn.count : 1, sizeof(*r->rn.name));
	if (!r->rn.name || regnames_traps_init(&r->rn))
		return -ENOMEM;
	for (char *l = text; l < end; l += strlen(l) + 1) {
		char key[16], val[1024];
		int idx;

		if (sscanf(l, "reg %d %95s", &idx, val) == 2) {
			if (idx >= 0 && idx < r->rn.count && !r->rn.name[idx])
				r->rn.name[idx] = strdup(val);
			continue;
		}
		if (sscanf(l, "%15s", key) != 1)
			continue;
		val[0] = '\0';
		sscanf(l + strlen(key), " %1023[^\n]", val);
#define FIELD(k) else if (!strcmp(key, #k)) snprintf(r->info.k, sizeof(r->info.k), "%s", val)
		if (0)
			;
		FIELD(release);
		FIELD(machine);
		FIELD(kvm_mode);
		FIELD(backend);
		FIELD(notes);
#undef FIELD
	}
	return 0;
}

/*
 * Open @path for reading without ever blocking on it: O_NONBLOCK keeps a
 * FIFO with no writer from hanging the open, and only a regular file is
 * read.  0, or -errno with a message in @err.
 */
static int open_regular(FILE **f, const char *path, char *err, size_t len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), e = 0;
	struct stat st;

	*f = NULL;
	if (fd < 0 || fstat(fd, &st)) {
		e = -errno;
		snprintf(err, len, "%s: %s", path, strerror(-e));
	} else if (S_ISDIR(st.st_mode)) {
		e = -EISDIR;
		snprintf(err, len, "%s: a directory, not a kvmsr recording", path);
	} else if (!S_ISREG(st.st_mode)) {
		e = -EINVAL;
		snprintf(err, len, "%s: not a regular file (a FIFO, socket or device?); "
			 "a kvmsr recording is a file", path);
	} else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) ||
		   !(*f = fdopen(fd, "rb"))) {
		e = -errno;
		snprintf(err, len, "%s: %s", path, strerror(-e));
	}
	if (e && fd >= 0)
		close(fd);
	return e;
}

int rec_open(struct rec_reader *r, const char *path, char *err, size_t len)
{
	struct rec_header h;
	char *text;
	int e;

	memset(r, 0, sizeof(*r));
	/* Names only from the file: never this host's /proc. */
	vmident_init(&r->vms, NULL);
	e = open_regular(&r->f, path, err, len);
	if (e)
		return e;
	if (fread(&h, sizeof(h), 1, r->f) != 1 || memcmp(h.magic, REC_MAGIC, 8)) {
		snprintf(err, len, "%s: not a kvmsr recording (no %s header)", path, REC_MAGIC);
		goto bad;
	}
	if (h.version < REC_VERSION_OLDEST || h.version > REC_VERSION) {
		snprintf(err, len, "%s: recording format %u; this kvmsr reads formats %u-%u",
			 path, h.version, REC_VERSION_OLDEST, REC_VERSION);
		goto bad;
	}
	if (h.abi_version < KVMSR_ABI_OLDEST || h.abi_version > KVMSR_ABI_VERSION ||
	    h.event_size != sizeof(struct kvmsr_event)) {
		snprintf(err, len, "%s: event ABI %u (%u-byte records); this kvmsr reads ABI %u-%u",
			 path, h.abi_version, h.event_size, KVMSR_ABI_OLDEST, KVMSR_ABI_VERSION);
		goto bad;
	}
	if (h.text_len > REC_MAX_PAYLOAD) {
		snprintf(err, len, "%s: damaged header (text of %u bytes)", path, h.text_len);
		goto bad;
	}
	text = calloc(1, h.text_len + 1);
	if (!text || fread(text, 1, h.text_len, r->f) != h.text_len) {
		free(text);
		snprintf(err, len, "%s: header cut short", path);
		goto bad;
	}
	r->info.abi_version = h.abi_version;
	r->info.start_ns = h.start_ns;
	e = parse_text(r, text);
	free(text);
	if (e) {
		snprintf(err, len, "%s: %s", path, strerror(-e));
		rec_close_reader(r);
		return e;
	}
	r->offset = sizeof(h) + h.text_len;
	return 0;
bad:
	rec_close_reader(r);
	return -EBADMSG;
}

/* Room for @n more bytes in the stack arena; false beyond REC_MAX_STACK_BYTES. */
static bool arena_room(struct rec_reader *r, uint32_t n)
{
	uint32_t cap = r->arena_cap ? r->arena_cap : 4096;
	unsigned char *a;

	if (n > REC_MAX_STACK_BYTES - r->arena_len)
		return false;
	while (cap - r->arena_len < n)
		cap *= 2;
	if (cap == r->arena_cap)
		return true;
	a = realloc(r->arena, cap);
	if (!a)
		return false;
	r->arena = a;
	r->arena_cap = cap;
	return true;
}

static void arena_put(struct rec_reader *r, const void *p, uint32_t n)
{
	memcpy(r->arena + r->arena_len, p, n);
	r->arena_len += n;
}

/*
 * A REC_STACK record into the arena: id, n, then per frame ip and name
 * (NUL-terminated here, whatever the file had).  Its id now finds it, and
 * each of its ips the name its first frame there gives (a later stack wins,
 * as a linear search from the newest did).  -EBADMSG if malformed.
 */
static int keep_stack(struct rec_reader *r, const unsigned char *p, uint32_t len)
{
	uint32_t off = 8, n, at = r->arena_len, name_at;
	uint32_t known;
	int32_t id;

	if (len < 8)
		return -EBADMSG;
	memcpy(&id, p, 4);
	memcpy(&n, p + 4, 4);
	if (n > REC_STACK_DEPTH)
		return -EBADMSG;
	/* Check it whole first: a malformed record leaves nothing behind. */
	for (uint32_t i = 0; i < n; i++) {
		uint16_t l;

		if (off + 10 > len)
			return -EBADMSG;
		memcpy(&l, p + off + 8, 2);
		off += 10;
		if (off + l > len || l >= SYM_NAME_LEN)
			return -EBADMSG;
		off += l;
	}
	/* Worst case: every name a byte longer, for its NUL. */
	if ((!keymap_get(&r->stack_by_id, (uint32_t)id, &known) &&
	     r->stack_by_id.n >= REC_MAX_STACKS) || !arena_room(r, len + n) ||
	    keymap_put(&r->stack_by_id, (uint32_t)id, at)) {
		r->stacks_dropped++;
		return 0;
	}
	arena_put(r, p, 8);
	for (uint32_t i = 0, o = 8; i < n; i++) {
		uint64_t ip;
		uint16_t l;

		memcpy(&ip, p + o, 8);
		memcpy(&l, p + o + 8, 2);
		arena_put(r, &ip, 8);
		name_at = r->arena_len;
		/* Up to a NUL inside the name, if the file has one. */
		arena_put(r, p + o + 10, strnlen((const char *)p + o + 10, l));
		arena_put(r, "", 1);
		o += 10 + l;
		/* An earlier frame of this very stack keeps the name. */
		if (keymap_get(&r->name_by_ip, ip, &known) && known >= at)
			continue;
		keymap_put(&r->name_by_ip, ip, name_at);
	}
	return 0;
}

/*
 * A REC_TRAPNAME into the register names: the first name of an encoding
 * stays, and the table is bounded (regnames.h).  -EBADMSG if malformed.
 */
static int keep_trap_name(struct rec_reader *r, const unsigned char *p, uint32_t len)
{
	uint32_t enc;

	if (len < 4 || len - 4 >= KVMSR_TRAP_NAME_LEN)
		return -EBADMSG;
	memcpy(&enc, p, 4);
	if (enc > 0xffff)
		return -EBADMSG;
	regnames_trap_add(&r->rn, enc, (const char *)p + 4, len - 4);
	return 0;
}

/*
 * An optional record's payload (read whole, @len <= REC_MAX_PAYLOAD): the
 * names kept (bounded by vmident.h's caps), an unknown kind skipped and
 * counted.  -EBADMSG if a known one is malformed.
 */
static int keep_optional(struct rec_reader *r, uint32_t tag, const unsigned char *p,
			 uint32_t len)
{
	struct rec_thread t;
	struct rec_vm v;
	struct vm_ident id = { 0 };

	switch (tag) {
	case REC_VM:
		if (len != sizeof(v))
			return -EBADMSG;
		memcpy(&v, p, sizeof(v));
		id.pid = v.pid;
		id.source = v.source < VMID__MAX ? v.source : VMID_NONE;
		/* vmident_set() ends and cleans the strings, whatever the file had. */
		memcpy(id.name, v.name, sizeof(id.name));
		memcpy(id.uuid, v.uuid, sizeof(id.uuid));
		vmident_set(&r->vms, &id);
		return 0;
	case REC_THREAD:
		if (len != sizeof(t))
			return -EBADMSG;
		memcpy(&t, p, sizeof(t));
		t.name[sizeof(t.name) - 1] = '\0';
		vmident_set_thread(&r->vms, t.pid, t.tid, t.name);
		return 0;
	}
	r->skipped++;
	return 0;
}

int rec_next_event(struct rec_reader *r, struct kvmsr_event *e, char *err, size_t len)
{
	static unsigned char buf[REC_MAX_PAYLOAD];

	for (;;) {
		struct rec_hdr h;
		size_t got;

		if (r->ended)
			return 0;
		got = fread(&h, 1, sizeof(h), r->f);
		if (got < sizeof(h)) {
			r->cut = true;	/* no END: killed, or a torn last record */
			return 0;
		}
		if (h.len <= REC_MAX_PAYLOAD && (h.tag & REC_OPTIONAL)) {
			if (fread(buf, 1, h.len, r->f) != h.len) {
				r->cut = true;
				return 0;
			}
			r->offset += sizeof(h) + h.len;
			r->records++;
			if (!keep_optional(r, h.tag, buf, h.len))
				continue;
			snprintf(err, len, "damaged record at offset %llu (tag %#x, length %u)",
				 (unsigned long long)(r->offset - sizeof(h) - h.len), h.tag, h.len);
			return -EBADMSG;
		}
		if (h.len > REC_MAX_PAYLOAD || !h.tag || h.tag > REC_TRAPNAME) {
			snprintf(err, len, "damaged record at offset %llu (tag %u, length %u)",
				 (unsigned long long)r->offset, h.tag, h.len);
			return -EBADMSG;
		}
		if (fread(buf, 1, h.len, r->f) != h.len) {
			r->cut = true;
			return 0;
		}
		r->offset += sizeof(h) + h.len;
		r->records++;
		switch (h.tag) {
		case REC_EVENT:
			if (h.len != sizeof(*e))
				break;
			memcpy(e, buf, sizeof(*e));
			return 1;
		case REC_LOST:
			if (h.len != sizeof(r->lost))
				break;
			memcpy(&r->lost, buf, sizeof(r->lost));
			continue;
		case REC_STACK:
			if (keep_stack(r, buf, h.len))
				break;
			continue;
		case REC_TRAPNAME:
			if (keep_trap_name(r, buf, h.len))
				break;
			continue;
		case REC_END:
			if (h.len != sizeof(r->end))
				break;
			memcpy(&r->end, buf, sizeof(r->end));
			/* A string from the file ends within its field, always. */
			r->end.kvm_mode[sizeof(r->end.kvm_mode) - 1] = '\0';
			r->ended = true;
			return 0;
		}
		snprintf(err, len, "damaged record at offset %llu (tag %u, length %u)",
			 (unsigned long long)(r->offset - sizeof(h) - h.len), h.tag, h.len);
		return -EBADMSG;
	}
}

const struct sym_stack *rec_find_stack(struct rec_reader *r, int32_t id)
{
	struct sym_stack *st = &r->found;
	const unsigned char *p;
	uint32_t at, n;

	if (!keymap_get(&r->stack_by_id, (uint32_t)id, &at))
		return NULL;
	p = r->arena + at;
	memcpy(&st->id, p, 4);
	memcpy(&n, p + 4, 4);
	p += 8;
	st->n = n;
	for (uint32_t i = 0; i < n; i++) {
		size_t l;

		memcpy(&st->ip[i], p, 8);
		l = strlen((const char *)p + 8);
		memcpy(st->name[i], p + 8, l + 1);
		p += 8 + l + 1;
	}
	return st;
}

const char *rec_name_of(const struct rec_reader *r, uint64_t ip)
{
	uint32_t at;

	return keymap_get(&r->name_by_ip, ip, &at) ? (const char *)r->arena + at : NULL;
}

void rec_close_reader(struct rec_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
	free(r->arena);
	r->arena = NULL;
	r->arena_len = r->arena_cap = 0;
	keymap_free(&r->stack_by_id);
	keymap_free(&r->name_by_ip);
	regnames_free(&r->rn);
	vmident_free(&r->vms);
}
