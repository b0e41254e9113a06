/*
 * String helpers (see str.h).
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "str.h"

char *
str_replace(struct arena *a, const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, o = 0;
	const char *p, *q;
	char *out;

	if (fl == 0)
		return arena_strdup(a, s);
	for (p = s; (q = strstr(p, from)) != NULL; p = q + fl)
		n++;
	out = arena_alloc(a, strlen(s) + n * tl + 1);
	for (p = s; (q = strstr(p, from)) != NULL; p = q + fl) {
		memcpy(out + o, p, (size_t)(q - p));
		o += (size_t)(q - p);
		memcpy(out + o, to, tl);
		o += tl;
	}
	memcpy(out + o, p, strlen(p) + 1); /* sized above */
	return out;
}

static int
trimchar(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

char *
str_trim(char *s)
{
	size_t n;

	while (trimchar(*s))
		s++;
	n = strlen(s);
	while (n > 0 && trimchar(s[n - 1]))
		s[--n] = '\0';
	return s;
}

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t k = n < size - 1 ? n : size - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *
base64(struct arena *a, const void *p, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	char *out = arena_alloc(a, (n + 2) / 3 * 4 + 1), *o = out;
	size_t i;
	unsigned v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = tbl[(v >> 6) & 63];
		*o++ = tbl[v & 63];
	}
	if (i < n) {
		v = (unsigned)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		*o++ = tbl[v >> 18];
		*o++ = tbl[(v >> 12) & 63];
		*o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

int
base64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

char *
base64_decode(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	char *out, *o;
	size_t i, pad = 0;
	unsigned v = 0;
	int d;

	if (n % 4 != 0)
		return NULL;
	while (pad < 2 && n - pad > 0 && s[n - 1 - pad] == '=')
		pad++;
	out = o = arena_alloc(a, n / 4 * 3 + 1);
	for (i = 0; i < n - pad; i++) {
		if ((d = base64_value((unsigned char)s[i])) < 0)
			return NULL;
		v = v << 6 | (unsigned)d;
		if (i % 4 == 3) {
			*o++ = (char)(v >> 16);
			*o++ = (char)(v >> 8);
			*o++ = (char)v;
			v = 0;
		}
	}
	if (pad == 2 && (v & 0xf) == 0)
		*o++ = (char)(v >> 4);
	else if (pad == 1 && (v & 0x3) == 0) {
		*o++ = (char)(v >> 10);
		*o++ = (char)(v >> 2);
	} else if (pad != 0)
		return NULL;
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

int
url_encode(struct buf *b, const char *s, size_t n)
{
	static const char hexd[] = "0123456789ABCDEF";
	unsigned char c;
	char e[3];
	size_t i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			if (buf_addc(b, (char)c) == -1)
				return -1;
			continue;
		}
		e[0] = '%';
		e[1] = hexd[c >> 4];
		e[2] = hexd[c & 15];
		if (buf_add(b, e, 3) == -1)
			return -1;
	}
	return 0;
}

char *
hex_encode(struct arena *a, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;
	char *s = arena_alloc(a, 2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * n] = '\0';
	return s;
}

int
str_has_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}
