/*
 * JSON writer (see json.h).
 */
#include <float.h>
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

/*
 * Decodes one UTF-8 sequence at s (n bytes available).  Returns its length
 * and stores the code point, or returns 0 for an invalid sequence.
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t
utf8_seq(const char *s, size_t n)
{
	uint32_t cp;

	if (n == 0)
		return 0;
	return utf8_decode((const unsigned char *)s, n, &cp);
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, len;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		len = utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			return -1;
		i += len;
	}
	return 0;
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
 * Returns 0, -1 on buffer overflow, or 1 if the input is not valid UTF-8
 * in JW_PHP mode (nothing useful is written then).
 */
int
json_escape(struct buf *b, const char *s, size_t n, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run, len;
	uint32_t cp;

	while (i < n) {
		/* Copy runs of bytes that need no escaping in one go. */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x80 &&
		     p[run] != '"' && p[run] != '\\' && p[run] != '/';
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
 * PHP's smart_str_append_double with precision 17 and mode 0: the
 * shortest digits that round-trip, in exponent form when the decimal
 * exponent is below -4 or above 17 ("1.0e+25", "1.0e-5").
 */
void
json_format_double(double v, char *dst, size_t size)
{
	char digits[32], *e, *p;
	int prec, exp10, nd, i;
	size_t o = 0;

	if (!isfinite(v)) {
		snprintf(dst, size, "0");
		return;
	}
	if (v == 0) {
		snprintf(dst, size, signbit(v) ? "-0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(digits, sizeof(digits), "%.*e", prec - 1, v);
		if (strtod(digits, NULL) == v)
			break;
	}
	/* digits is "[-]d[.ddd]e[+-]xx": collect the mantissa digits. */
	e = strchr(digits, 'e');
	exp10 = atoi(e + 1);
	*e = '\0';
	p = digits;
	if (*p == '-') {
		dst[o++] = '-';
		p++;
	}
	{
		char m[20];
		nd = 0;
		for (; *p != '\0'; p++)
			if (*p != '.')
				m[nd++] = *p;
		while (nd > 1 && m[nd - 1] == '0')
			nd--;
		if (exp10 < -4 || exp10 >= 17) {
			dst[o++] = m[0];
			dst[o++] = '.';
			if (nd == 1)
				dst[o++] = '0';
			for (i = 1; i < nd; i++)
				dst[o++] = m[i];
			snprintf(dst + o, size - o, "e%c%d",
			    exp10 < 0 ? '-' : '+', abs(exp10));
			return;
		}
		if (exp10 < 0) {
			dst[o++] = '0';
			dst[o++] = '.';
			for (i = -1; i > exp10; i--)
				dst[o++] = '0';
			for (i = 0; i < nd; i++)
				dst[o++] = m[i];
		} else {
			for (i = 0; i <= exp10 || i < nd; i++) {
				if (i == exp10 + 1)
					dst[o++] = '.';
				dst[o++] = i < nd ? m[i] : '0';
			}
		}
		dst[o] = '\0';
	}
}

void
jw_double(struct jw *w, double v)
{
	char tmp[40];

	sep(w);
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
jw_number(struct jw *w, const char *s, size_t n)
{
	sep(w);
	put(w, s, n);
}
