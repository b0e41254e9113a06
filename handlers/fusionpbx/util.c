/*
 * Pure helpers of the {"action": ...} dialect (see fusionpbx.h): uuids,
 * FusionPBX passwords, PHP's base64_decode and json_decode/json_encode
 * round trip, XML and regex escaping, and the input validators of
 * fusionpbx.md §5.
 */
#include <sys/random.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "esl.h"
#include "digest.h"
#include "fusionpbx.h"
#include "json.h"
#include "str.h"

int
fpx_uuid_parse(const char *s, size_t n, char out[FPX_UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	const char *end = s + n;
	unsigned char b[16];
	int i, hi, lo, braces = 0;
	char *o = out;

	if (s < end && *s == '{') {
		braces = 1;
		s++;
	}
	for (i = 0; i < 16; i++) {
		if (end - s < 2 || (hi = hex_digit(s[0])) < 0 ||
		    (lo = hex_digit(s[1])) < 0)
			return -1;
		b[i] = (unsigned char)(hi * 16 + lo);
		s += 2;
		if (s < end && *s == '-' && i % 2 == 1 && i < 15)
			s++;
	}
	if (braces && (s == end || *s++ != '}'))
		return -1;
	if (s != end)
		return -1;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o = '\0';
	return 0;
}

void
fpx_uuid_new(char out[FPX_UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	char *o = out;
	int i;

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o = '\0';
}

void
fpx_password(char *out, size_t len, int strength)
{
	static const char *const sets[] = { "0123456789",
		"abcdefghijkmnopqrstuvwxyz", "ABCDEFGHIJKLMNPQRSTUVWXYZ",
		"!^$%*?." };
	char charset[80];
	unsigned char r;
	size_t i, n = 0, k;
	int s;

	for (s = 0; s < 4 && s < strength; s++) {
		k = strlen(sets[s]); /* 67 bytes in all */
		memcpy(charset + n, sets[s], k);
		n += k;
	}
	if (n == 0) {
		memcpy(charset, sets[0], 10);
		n = 10;
	}
	for (i = 0; i < len; i++) {
		/* Rejection sampling keeps every character equally likely. */
		do
			random_bytes(&r, 1);
		while (r >= 256 - 256 % n);
		out[i] = charset[r % n];
	}
	out[len] = '\0';
}

char *
fpx_base64_decode(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	unsigned char *out = arena_alloc(a, n / 4 * 3 + 4);
	size_t i, j = 0, k = 0;
	int v;

	for (i = 0; i < n; i++) {
		if ((v = base64_value((unsigned char)s[i])) < 0)
			continue; /* '=', blanks and junk, as PHP skips them */
		switch (k++ % 4) {
		case 0:
			out[j] = (unsigned char)(v << 2);
			break;
		case 1:
			out[j++] |= (unsigned char)(v >> 4);
			out[j] = (unsigned char)((v & 0x0f) << 4);
			break;
		case 2:
			out[j++] |= (unsigned char)(v >> 2);
			out[j] = (unsigned char)((v & 0x03) << 6);
			break;
		default:
			out[j++] |= (unsigned char)v;
			break;
		}
	}
	out[j] = '\0';
	*outlen = j;
	return (char *)out;
}

void
fpx_xml_escape(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		switch (s[i]) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#039;");
			break;
		default:
			buf_addc(b, s[i]);
			break;
		}
}

void
fpx_regex_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (strchr("\\^$.|?*+()[]{}/", *s) != NULL)
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
}

/* ---- validators ---- */

static int
all_of(const char *s, size_t n, size_t max, const char *extra)
{
	size_t i;

	if (n == 0 || n > max)
		return -1;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9') ||
			(s[i] != '\0' && strchr(extra, s[i]) != NULL)))
			return -1;
	return 0;
}

int
fpx_v_number(const char *s, size_t n)
{
	size_t i = n > 0 && s[0] == '+';

	if (n - i == 0 || n - i > 32)
		return -1;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	return 0;
}

int
fpx_v_exten(const char *s, size_t n)
{
	return all_of(s, n, 32, "_.-");
}

int
fpx_v_target(const char *s, size_t n)
{
	return esl_dial_token_ok(s, n) && n <= 32 ? 0 : -1;
}

int
fpx_v_rgexten(const char *s, size_t n)
{
	return all_of(s, n, 32, "_#-");
}

int
fpx_v_text(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return utf8_valid(s, n);
}

int
fpx_v_strategy(const char *s, size_t n)
{
	static const char *const ok[] = { "simultaneous", "sequence",
		"enterprise", "rollover", "random" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == n && memcmp(ok[i], s, n) == 0)
			return 0;
	return -1;
}
