// SPDX-License-Identifier: GPL-2.0
/* The one JSON writer and string escaper (json_writer.h). */
#include <stdarg.h>
#include <stdlib.h>
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

/* At least @n free bytes in the buffer (n <= JW_BUF). */
#define room jw__room

static void put(struct jw *w, const char *s, size_t n)
{
	room(w, n);
	if (n > sizeof(w->buf)) {
		fwrite(s, 1, n, w->f);
		return;
	}
	memcpy(w->buf + w->n, s, n);
	w->n += n;
}

static inline void putc_(struct jw *w, char c)
{
	room(w, 1);
	w->buf[w->n++] = c;
}

void jw_end_line(struct jw *w)
{
	putc_(w, '\n');
	if (!w->batch)
		jw_flush(w);
}

void jw_batch_lines(struct jw *w, bool on)
{
	w->batch = on;
	if (!on)
		jw_flush(w);
}

/* Before any value or key: the comma its container needs. */
#define sep jw__sep

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

/*
 * Bytes that go out as they are: printable ASCII but the quote and the
 * backslash.  The rest (controls, DEL, every byte >= 0x80) take
 * escape_of(), which keeps valid UTF-8 and replaces the rest.
 */
static const uint8_t plain[256] = {
	[' '] = 1, ['!'] = 1, ['#' ... '['] = 1, [']' ... '~'] = 1,
};

/* @s as a JSON string: plain bytes copied straight into the buffer, the rest escaped. */
static void put_str(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char tmp[8];
	size_t adv;

	putc_(w, '"');
	for (;;) {
		const char *esc;
		char *d = w->buf + w->n, *end = w->buf + sizeof(w->buf);

		while (d < end && plain[*p])
			*d++ = *p++;
		w->n = d - w->buf;
		if (d == end) {
			jw_flush(w);
			continue;
		}
		if (!*p)
			break;
		esc = escape_of(p, tmp, &adv);
		if (esc)
			put(w, esc, strlen(esc));
		else
			put(w, (const char *)p, adv);	/* valid UTF-8 */
		p += adv;
	}
	putc_(w, '"');
}

size_t json_escape(char *out, size_t len, const char *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	struct jw w;

	if (len)
		out[0] = '\0';
	if (!f)
		return 0;
	jw_init(&w, f);
	put_str(&w, s);
	jw_flush(&w);
	fclose(f);
	if (len)
		snprintf(out, len, "%s", buf);
	free(buf);
	return n;
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	put_str(w, key);
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
	put_str(w, s);
}

static void raw(struct jw *w, const char *s)
{
	sep(w);
	put(w, s, strlen(s));
}

/* The decimal digits of @v, two at a time, straight into the buffer. */
static void put_u64(struct jw *w, uint64_t v)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	/*
	 * Backwards into the middle of @tmp, then a fixed 20 bytes across: a
	 * copy of a constant size is a few moves, not a call (the writer's
	 * array has room for them; only the digits count).
	 */
	char tmp[40];
	char *d = tmp + 20;

	for (; v >= 100; v /= 100) {
		d -= 2;
		memcpy(d, pairs + 2 * (v % 100), 2);
	}
	if (v >= 10) {
		d -= 2;
		memcpy(d, pairs + 2 * v, 2);
	} else {
		*--d = '0' + v;
	}
	room(w, 20);
	memcpy(w->buf + w->n, d, 20);
	w->n += tmp + 20 - d;
}

void jw_u64(struct jw *w, uint64_t v)
{
	sep(w);
	put_u64(w, v);
}

void jw_i64(struct jw *w, int64_t v)
{
	if (v >= 0) {
		jw_u64(w, v);
		return;
	}
	sep(w);
	putc_(w, '-');
	put_u64(w, -(uint64_t)v);
}

/* As printf's "%#llx", quoted: "0" or "0x..." (JSON numbers lose 64-bit values). */
void jw_hex(struct jw *w, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	/* Nibbles from the highest set bit: straight into place, no copy. */
	int n = v ? (67 - __builtin_clzll(v)) / 4 : 0;
	char *d;

	sep(w);
	room(w, n + 4);
	d = w->buf + w->n;
	*d++ = '"';
	if (v) {
		*d++ = '0';
		*d++ = 'x';
		for (int i = n - 1; i >= 0; i--)
			*d++ = digits[(v >> (4 * i)) & 15];
	} else {
		*d++ = '0';
	}
	*d++ = '"';
	w->n = d - w->buf;
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

