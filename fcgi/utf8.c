/*
 * UTF-8 (see utf8.h).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "utf8.h"

size_t
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

const char *
utf8_scrub(struct arena *a, const char *s, size_t n)
{
	char *out;
	size_t i, k;

	if (utf8_valid(s, n) == 0)
		return s;
	out = arena_alloc(a, n + 1);
	for (i = 0; i < n; i += k) {
		if ((k = utf8_seq(s + i, n - i)) == 0) {
			out[i] = '?';
			k = 1;
		} else
			memcpy(out + i, s + i, k);
	}
	out[n] = '\0';
	return out;
}
