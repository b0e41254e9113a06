/*
 * JSON writer.  Two string modes: JW_PHP reproduces PHP's json_encode with
 * default flags byte for byte ("\/", lower-case "\uXXXX" for every
 * non-ASCII character, surrogate pairs, and failure on invalid UTF-8);
 * JW_UTF8 writes UTF-8 as is and replaces invalid sequences with U+FFFD.
 *
 * The writer appends to a struct buf.  With a flush callback set, the
 * buffer is handed over whenever it passes a threshold, so a large result
 * streams without being held in memory.
 */
#ifndef PBXAPI_JSON_H
#define PBXAPI_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "utf8.h"

#define JW_PHP	0x01 /* json_encode rules, fail on invalid UTF-8 */
#define JW_UTF8 0x02 /* raw UTF-8, U+FFFD for invalid bytes */

#define JW_DEPTH_MAX 64

struct jw {
	struct buf *out;
	unsigned flags;
	int depth;
	int failed; /* invalid UTF-8 in JW_PHP mode */
	int error;  /* nesting misuse or buffer overflow */
	unsigned char first[JW_DEPTH_MAX]; /* no element yet at this depth */
	unsigned char is_obj[JW_DEPTH_MAX];
	int after_key;
	/* Streaming: called with the buffer when it passes flush_at. */
	int (*flush)(void *ctx, struct buf *b);
	void *flush_ctx;
	size_t flush_at;
};

/* Starts writing into out (which is not cleared). */
void jw_init(struct jw *w, struct buf *out, unsigned flags);

void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);

/* Writes an object key (n bytes). */
void jw_key(struct jw *w, const char *k, size_t n);
void jw_keyz(struct jw *w, const char *k);

/* Writes a string value (n bytes). */
void jw_str(struct jw *w, const char *s, size_t n);
void jw_strz(struct jw *w, const char *s);

void jw_int(struct jw *w, int64_t v);
void jw_double(struct jw *w, double v);
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
/* Writes the string s, or null if s is NULL. */
void jw_strz_or_null(struct jw *w, const char *s);

/* Writes a number given as text, unchanged (database numerics). */
void jw_number(struct jw *w, const char *s, size_t n);

/* Writes a JSON-escaped string body (no quotes) to b under flags. */
int json_escape(struct buf *b, const char *s, size_t n, unsigned flags);

/* Formats a double as PHP's json_encode does (serialize_precision -1). */
void json_format_double(double v, char *dst, size_t size);

/* Formats a double as PHP's (string) cast does (precision 14). */
void php_double_str(double v, char *dst, size_t size);

/* Flushes what is buffered if streaming.  Returns 0 or -1. */
int jw_flush(struct jw *w);

#endif
