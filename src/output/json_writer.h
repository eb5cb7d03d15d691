/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON writer (in the spirit of bpftool's json_writer.c): objects,
 * arrays, keys and values, with commas placed by the writer and every string
 * escaped in one place per RFC 8259: quote, backslash and control characters
 * escaped, invalid UTF-8 replaced by U+FFFD.  Names that come from the
 * kernel or from a recording go through here, so a crafted register or
 * symbol name can neither break the document nor inject keys.
 *
 * It builds a line in its own array and hands it to stdio in one fwrite:
 * `trace --json` renders every event through it, on the vCPUs' own CPUs.
 */
#ifndef KVMSR_JSON_WRITER_H
#define KVMSR_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define JW_MAX_DEPTH 16
#define JW_BUF 4096

struct jw {
	FILE *f;
	size_t n;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
	bool after_key;
	bool batch;		/* jw_batch_lines() */
	char buf[JW_BUF];
};

void jw_init(struct jw *w, FILE *f);
/* Write what is buffered to the stream (also done by jw_end_line). */
void jw_flush(struct jw *w);
/*
 * A newline after a top-level value (NDJSON), and the line to the stream
 * (one fwrite: the stream's own buffer batches), so that writers sharing
 * a stream keep their lines in order.
 */
void jw_end_line(struct jw *w);
/*
 * Lines gather in the writer's array, handed to stdio only when it is full
 * or at jw_flush(): for a stream that only this writer feeds (trace --json
 * into a file or pipe: an fwrite per event was a tenth of its reader's
 * work).  The owner calls jw_flush() before anything else writes the
 * stream or before it is flushed.
 */
void jw_batch_lines(struct jw *w, bool on);

void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);

void jw_str(struct jw *w, const char *s);	/* NULL writes null */
void jw_u64(struct jw *w, uint64_t v);
void jw_i64(struct jw *w, int64_t v);
void jw_hex(struct jw *w, uint64_t v);		/* "0x1f" as a string, "0" for 0 */
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A number rendered by printf (%.6f, %llu.%03llu): never a string. */
void jw_numf(struct jw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * key + value in one call, for keys that are string literals of kvmsr's
 * own code: written as they are, their length known at compile time (the
 * hot path of `trace --json` is mostly keys).  The macros refuse anything
 * but a literal; a key that comes from data (a register name) goes through
 * jw_key(), escaped.
 */
/* Internals the inline key writer needs: room in the buffer, the comma. */
static inline void jw__room(struct jw *w, size_t n)
{
	if (w->n + n > sizeof(w->buf))
		jw_flush(w);
}

static inline void jw__sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0 && w->need_comma[w->depth - 1]) {
		jw__room(w, 1);
		w->buf[w->n++] = ',';
	}
	if (w->depth > 0)
		w->need_comma[w->depth - 1] = true;
}

static inline void jw_lit_key(struct jw *w, const char *key, size_t len)
{
	if (len + 3 > sizeof(w->buf)) {
		jw_key(w, key);
		return;
	}
	jw__sep(w);
	jw__room(w, len + 3);
	w->buf[w->n++] = '"';
	memcpy(w->buf + w->n, key, len);
	w->n += len;
	w->buf[w->n++] = '"';
	w->buf[w->n++] = ':';
	w->after_key = true;
}
#define JW_LIT(key) ("" key), (sizeof("" key) - 1)
#define jw_kv_str(w, key, s) (jw_lit_key(w, JW_LIT(key)), jw_str(w, s))
#define jw_kv_u64(w, key, v) (jw_lit_key(w, JW_LIT(key)), jw_u64(w, v))
#define jw_kv_i64(w, key, v) (jw_lit_key(w, JW_LIT(key)), jw_i64(w, v))
#define jw_kv_hex(w, key, v) (jw_lit_key(w, JW_LIT(key)), jw_hex(w, v))
#define jw_kv_bool(w, key, v) (jw_lit_key(w, JW_LIT(key)), jw_bool(w, v))

/*
 * @s escaped as a JSON string (quotes included) into @out: the escaper the
 * writer uses, for callers and tests that need the bytes; returns the length
 * it needed (as snprintf).
 */
size_t json_escape(char *out, size_t len, const char *s);

#endif /* KVMSR_JSON_WRITER_H */
