// SPDX-License-Identifier: GPL-2.0
/* The one JSON writer and string escaper (json_writer.h). */
#include <stdarg.h>
#include <string.h>
#include "output/json_writer.h"

void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, offsetof(struct jw, buf));
	w->f = f;
}

void jw_flush(struct jw *w)
{
	if (w->n)
		fwrite(w->buf, 1, w->n, w->f);
	w->n = 0;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->n + n > sizeof(w->buf))
		jw_flush(w);
	if (n > sizeof(w->buf)) {
		fwrite(s, 1, n, w->f);
		return;
	}
	memcpy(w->buf + w->n, s, n);
	w->n += n;
}

static void putc_(struct jw *w, char c)
{
	put(w, &c, 1);
}

void jw_end_line(struct jw *w)
{
	putc_(w, '\n');
	jw_flush(w);
}

/* Before any value or key: the comma its container needs. */
static void sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->need_comma[w->depth - 1])
		putc_(w, ',');
	if (w->depth > 0)
		w->need_comma[w->depth - 1] = true;
}

static void open_(struct jw *w, char c)
{
	sep(w);
	putc_(w, c);
	if (w->depth < JW_MAX_DEPTH)
		w->need_comma[w->depth] = false;
	w->depth++;
}

static void close_(struct jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	putc_(w, c);
}

void jw_obj_begin(struct jw *w) { open_(w, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '}'); }
void jw_arr_begin(struct jw *w) { open_(w, '['); }
void jw_arr_end(struct jw *w) { close_(w, ']'); }

/*
 * Length of the valid UTF-8 sequence at @s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), 0 if it is not one.
 */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/*
 * The escape for byte @c at @s, or NULL when it goes out as is; *adv is
 * how many input bytes it stands for.
 */
static const char *escape_of(const unsigned char *s, char *tmp, size_t *adv)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = *s;

	*adv = 1;
	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case '\b': return "\\b";
	case '\f': return "\\f";
	}
	if (c < 0x20 || c == 0x7f) {
		memcpy(tmp, "\\u00", 4);
		tmp[4] = hex[c >> 4];
		tmp[5] = hex[c & 15];
		tmp[6] = '\0';
		return tmp;
	}
	if (c < 0x80)
		return NULL;
	*adv = utf8_len(s);
	if (*adv)
		return NULL;
	*adv = 1;
	return "\\ufffd";
}

/* Emit @s escaped through @emit, runs of plain bytes at once. */
static void escape(const char *s, void (*emit)(void *ctx, const char *p, size_t n), void *ctx)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	char tmp[8];
	size_t adv;

	emit(ctx, "\"", 1);
	while (*p) {
		const char *esc = escape_of(p, tmp, &adv);

		if (!esc) {
			p += adv;
			continue;
		}
		if (p > run)
			emit(ctx, (const char *)run, p - run);
		emit(ctx, esc, strlen(esc));
		p += adv;
		run = p;
	}
	if (p > run)
		emit(ctx, (const char *)run, p - run);
	emit(ctx, "\"", 1);
}

static void emit_jw(void *ctx, const char *p, size_t n)
{
	put(ctx, p, n);
}

struct mem_out {
	char *out;
	size_t len, used;
};

static void emit_mem(void *ctx, const char *p, size_t n)
{
	struct mem_out *m = ctx;

	for (size_t i = 0; i < n; i++, m->used++)
		if (m->used + 1 < m->len)
			m->out[m->used] = p[i];
}

size_t json_escape(char *out, size_t len, const char *s)
{
	struct mem_out m = { out, len, 0 };

	escape(s, emit_mem, &m);
	if (len)
		out[m.used < len ? m.used : len - 1] = '\0';
	return m.used;
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	escape(key, emit_jw, w);
	putc_(w, ':');
	w->after_key = true;
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	sep(w);
	escape(s, emit_jw, w);
}

static void raw(struct jw *w, const char *s)
{
	sep(w);
	put(w, s, strlen(s));
}

void jw_u64(struct jw *w, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);

	tmp[--i] = '\0';
	do {
		tmp[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	raw(w, tmp + i);
}

void jw_i64(struct jw *w, int64_t v)
{
	if (v >= 0) {
		jw_u64(w, v);
		return;
	}
	sep(w);
	putc_(w, '-');
	w->after_key = true;	/* the digits follow without a comma */
	jw_u64(w, -(uint64_t)v);
}

/* As printf's "%#llx", quoted: "0" or "0x..." (JSON numbers lose 64-bit values). */
void jw_hex(struct jw *w, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[24];
	int i = sizeof(tmp);

	tmp[--i] = '\0';
	tmp[--i] = '"';
	do {
		tmp[--i] = digits[v & 15];
		v >>= 4;
	} while (v);
	if (tmp[i] != '0' || tmp[i + 1] != '"') {
		tmp[--i] = 'x';
		tmp[--i] = '0';
	}
	tmp[--i] = '"';
	raw(w, tmp + i);
}

void jw_bool(struct jw *w, bool v)
{
	raw(w, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	raw(w, "null");
}

void jw_numf(struct jw *w, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	raw(w, tmp);
}

void jw_kv_str(struct jw *w, const char *key, const char *s) { jw_key(w, key); jw_str(w, s); }
void jw_kv_u64(struct jw *w, const char *key, uint64_t v) { jw_key(w, key); jw_u64(w, v); }
void jw_kv_i64(struct jw *w, const char *key, int64_t v) { jw_key(w, key); jw_i64(w, v); }
void jw_kv_hex(struct jw *w, const char *key, uint64_t v) { jw_key(w, key); jw_hex(w, v); }
void jw_kv_bool(struct jw *w, const char *key, bool v) { jw_key(w, key); jw_bool(w, v); }
