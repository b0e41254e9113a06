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
