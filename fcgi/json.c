/*
 * JSON writer (see json.h).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void
jw_init(struct jw *w, struct buf *out, unsigned flags)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->flags = flags;
	w->first[0] = 1;
}

int
jw_flush(struct jw *w)
{
	if (w->flush == NULL || w->out->len == 0)
		return 0;
	if (w->flush(w->flush_ctx, w->out) == -1) {
		w->error = 1;
		return -1;
	}
	buf_clear(w->out);
	return 0;
}

static void
put(struct jw *w, const char *s, size_t n)
{
	if (buf_add(w->out, s, n) == -1)
		w->error = 1;
}

/* Emits the separator a new value needs at the current depth. */
static void
sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = 0;
	if (w->flush != NULL && w->out->len >= w->flush_at)
		jw_flush(w);
}

static void
open_(struct jw *w, char c, int obj)
{
	sep(w);
	if (w->depth + 1 >= JW_DEPTH_MAX) {
		w->error = 1;
		return;
	}
	put(w, &c, 1);
	w->depth++;
	w->first[w->depth] = 1;
	w->is_obj[w->depth] = (unsigned char)obj;
}

static void
close_(struct jw *w, char c)
{
	if (w->depth == 0) {
		w->error = 1;
		return;
	}
	put(w, &c, 1);
	w->depth--;
}

void
jw_obj_open(struct jw *w)
{
	open_(w, '{', 1);
}

void
jw_obj_close(struct jw *w)
{
	close_(w, '}');
}

void
jw_arr_open(struct jw *w)
{
	open_(w, '[', 0);
}

void
jw_arr_close(struct jw *w)
{
	close_(w, ']');
}

static const char hexd[] = "0123456789abcdef";

static int
put_u16(struct buf *b, uint32_t u)
{
	char e[6] = { '\\', 'u', hexd[(u >> 12) & 15], hexd[(u >> 8) & 15],
		hexd[(u >> 4) & 15], hexd[u & 15] };

	return buf_add(b, e, sizeof(e));
}

/* Escapes one ASCII byte; returns 0 or -1 on overflow. */
static int
escape_ascii(struct buf *b, unsigned char c, unsigned flags)
{
	switch (c) {
	case '"':
		return buf_add(b, "\\\"", 2);
	case '\\':
		return buf_add(b, "\\\\", 2);
	case '/':
		if (flags & JW_PHP)
			return buf_add(b, "\\/", 2);
		return buf_addc(b, '/');
	case '\b':
		return buf_add(b, "\\b", 2);
	case '\f':
		return buf_add(b, "\\f", 2);
	case '\n':
		return buf_add(b, "\\n", 2);
	case '\r':
		return buf_add(b, "\\r", 2);
	case '\t':
		return buf_add(b, "\\t", 2);
	default:
		if (c < 0x20)
			return put_u16(b, c);
		return buf_addc(b, (char)c);
	}
}

/*
 * What json_escape() does with a byte: 0 copies it, 1 escapes (or
 * decodes, from 0x80) it, 2 ('/') escapes it in JW_PHP mode only.
 */
static const unsigned char esc_class[256] = {
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	0,
	0,
	1,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	2,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	1,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
	1,
};

/*
 * Returns 0, -1 on buffer overflow, or 1 if the input is not valid UTF-8
 * in JW_PHP mode (nothing useful is written then).
 */
int
json_escape(struct buf *b, const char *s, size_t n, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned copy = flags & JW_PHP ? 0 : 2; /* classes copied as they are */
	size_t i = 0, run, len;
	uint32_t cp;

	while (i < n) {
		/* Copy runs of bytes that need no escaping in one go. */
		for (run = i; run < n && (esc_class[p[run]] | copy) == copy;
		     run++)
			;
		if (run > i && buf_add(b, p + i, run - i) == -1)
			return -1;
		i = run;
		if (i >= n)
			break;
		if (p[i] < 0x80) {
			if (escape_ascii(b, p[i], flags) == -1)
				return -1;
			i++;
			continue;
		}
		len = utf8_decode(p + i, n - i, &cp);
		if (len == 0) {
			if (flags & JW_PHP)
				return 1;
			if (buf_add(b, "\xef\xbf\xbd", 3) == -1)
				return -1;
			i++;
			continue;
		}
		if (!(flags & JW_PHP)) {
			if (buf_add(b, p + i, len) == -1)
				return -1;
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			if (put_u16(b, 0xd800 | (cp >> 10)) == -1 ||
			    put_u16(b, 0xdc00 | (cp & 0x3ff)) == -1)
				return -1;
		} else if (put_u16(b, cp) == -1)
			return -1;
		i += len;
	}
	return 0;
}

static void
put_string(struct jw *w, const char *s, size_t n)
{
	int rc;

	put(w, "\"", 1);
	rc = json_escape(w->out, s, n, w->flags);
	if (rc == 1)
		w->failed = 1;
	else if (rc == -1)
		w->error = 1;
	put(w, "\"", 1);
}

void
jw_key(struct jw *w, const char *k, size_t n)
{
	sep(w);
	put_string(w, k, n);
	put(w, ":", 1);
	w->after_key = 1;
}

void
jw_keyz(struct jw *w, const char *k)
{
	jw_key(w, k, strlen(k));
}

void
jw_str(struct jw *w, const char *s, size_t n)
{
	sep(w);
	put_string(w, s, n);
}

void
jw_strz(struct jw *w, const char *s)
{
	jw_str(w, s, strlen(s));
}

void
jw_int(struct jw *w, int64_t v)
{
	char tmp[24];
	int n;

	sep(w);
	n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	put(w, tmp, (size_t)n);
}

/*
 * Doubles as PHP prints them (zend_gcvt): digits from zend_dtoa, then
 * "1.5", "0.0001" or "1.0e+25".  A decimal here is 0.d1d2...dn x
 * 10^decpt with n <= 17.
 */
struct dec {
	char d[24];
	int nd;
	int decpt;
};

/* Parses the output of "%.*e" for a positive number. */
static void
dec_parse(struct dec *x, const char *s)
{
	x->nd = 0;
	for (; *s != 'e' && x->nd < (int)sizeof(x->d); s++)
		if (*s != '.')
			x->d[x->nd++] = *s;
	x->decpt = (int)strtol(s + 1, NULL, 10) + 1;
}

/* Returns the double nearest to x. */
static double
dec_value(const struct dec *x)
{
	char s[48];

	memcpy(s, "0.", 2);
	memcpy(s + 2, x->d, (size_t)x->nd);
	snprintf(s + 2 + x->nd, sizeof(s) - 2 - (size_t)x->nd, "e%d", x->decpt);
	return strtod(s, NULL);
}

/* Moves x by one unit in its last digit, up (dir 1) or down (dir -1). */
static void
dec_step(struct dec *x, int dir)
{
	char carry = dir > 0 ? '9' : '0';
	int i = x->nd - 1;

	while (i >= 0 && x->d[i] == carry)
		x->d[i--] = dir > 0 ? '0' : '9';
	if (i < 0) { /* 99...9 + 1 */
		x->d[0] = '1';
		x->decpt++;
		return;
	}
	x->d[i] = (char)(x->d[i] + dir);
	if (x->d[0] == '0') { /* 100...0 - 1 */
		memmove(x->d, x->d + 1, (size_t)x->nd - 1);
		x->d[x->nd - 1] = '9';
		x->decpt--;
	}
}

/*
 * zend_dtoa mode 0: the shortest digits that read back as v (v > 0),
 * the nearest to v among them.  The correctly rounded p digits are the
 * nearest; when they miss, their neighbour on v's other side may still
 * read back (next to a power of two the interval is lopsided).
 */
static void
dec_shortest(double v, struct dec *x)
{
	struct dec y;
	char s[48];
	double got;
	int p;

	for (p = 1; p <= 17; p++) {
		/* "& 31" bounds the length for -Wformat-truncation. */
		snprintf(s, sizeof(s), "%.*e", (p - 1) & 31, v);
		dec_parse(x, s);
		got = dec_value(x);
		if (got == v)
			break;
		y = *x;
		dec_step(&y, got > v ? -1 : 1);
		if (dec_value(&y) == v) {
			*x = y;
			break;
		}
	}
	while (x->nd > 1 && x->d[x->nd - 1] == '0')
		x->nd--;
}

/* zend_dtoa mode 2: v (v > 0) rounded to ndigit digits. */
static void
dec_fixed(double v, int ndigit, struct dec *x)
{
	char s[48];

	snprintf(s, sizeof(s), "%.*e", (ndigit - 1) & 31, v);
	dec_parse(x, s);
	while (x->nd > 1 && x->d[x->nd - 1] == '0')
		x->nd--;
}

/* zend_gcvt's layout of x with ndigit digits of precision. */
static void
dec_format(
    const struct dec *x, int neg, int ndigit, char expc, char *dst, size_t size)
{
	char out[64];
	size_t o = 0;
	int i;

	if (neg)
		out[o++] = '-';
	if (x->decpt > ndigit || x->decpt < -3) {
		out[o++] = x->d[0];
		out[o++] = '.';
		for (i = 1; i < x->nd; i++)
			out[o++] = x->d[i];
		if (x->nd == 1)
			out[o++] = '0';
		snprintf(out + o, sizeof(out) - o, "%c%c%d", expc,
		    x->decpt - 1 < 0 ? '-' : '+', abs(x->decpt - 1));
	} else if (x->decpt <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = x->decpt; i < 0; i++)
			out[o++] = '0';
		for (i = 0; i < x->nd; i++)
			out[o++] = x->d[i];
		out[o] = '\0';
	} else {
		for (i = 0; i < x->decpt || i < x->nd; i++) {
			if (i == x->decpt)
				out[o++] = '.';
			out[o++] = i < x->nd ? x->d[i] : '0';
		}
		out[o] = '\0';
	}
	snprintf(dst, size, "%s", out);
}

/*
 * PHP's json_encode of a double (serialize_precision -1: zend_gcvt with
 * the shortest round-trip digits, 17 digits of precision, 'e'):
 * "0.1", "1", "1.0e+25", "1.0e-5", "-0".  Infinities and NaN, which
 * json_encode refuses, print as "0".
 */
void
json_format_double(double v, char *dst, size_t size)
{
	struct dec x;

	if (!isfinite(v)) {
		snprintf(dst, size, "0");
		return;
	}
	if (v == 0) {
		snprintf(dst, size, signbit(v) ? "-0" : "0");
		return;
	}
	dec_shortest(fabs(v), &x);
	dec_format(&x, v < 0, 17, 'e', dst, size);
}

/*
 * PHP's (string) of a double (precision 14: zend_gcvt with 14 digits,
 * 'E'): "0.3", "1.0E+25", "-0", "INF", "-INF", "NAN".
 */
void
php_double_str(double v, char *dst, size_t size)
{
	struct dec x;

	if (isnan(v)) {
		snprintf(dst, size, "NAN");
		return;
	}
	if (isinf(v)) {
		snprintf(dst, size, v < 0 ? "-INF" : "INF");
		return;
	}
	if (v == 0) {
		snprintf(dst, size, signbit(v) ? "-0" : "0");
		return;
	}
	dec_fixed(fabs(v), 14, &x);
	dec_format(&x, v < 0, 14, 'E', dst, size);
}

void
jw_double(struct jw *w, double v)
{
	char tmp[40];

	sep(w);
	/* json_encode refuses infinities and NaN: the whole value fails. */
	if (!isfinite(v) && (w->flags & JW_PHP))
		w->failed = 1;
	json_format_double(v, tmp, sizeof(tmp));
	put(w, tmp, strlen(tmp));
}

void
jw_bool(struct jw *w, int v)
{
	sep(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void
jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void
jw_strz_or_null(struct jw *w, const char *s)
{
	if (s == NULL)
		jw_null(w);
	else
		jw_strz(w, s);
}

void
jw_number(struct jw *w, const char *s, size_t n)
{
	sep(w);
	put(w, s, n);
}
