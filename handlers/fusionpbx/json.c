/*
 * json_encode(json_decode($text)) of PHP, for the destination_actions
 * column that destination-details sends decoded (fusionpbx.md §3.5).
 * A recursive-descent parser writes the value as it goes: objects stay
 * objects (json_decode without assoc gives stdClass), strings are
 * re-escaped by json_encode's rules, integers that fit in 64 bits are
 * integers and other numbers doubles, as PHP reads them.  Anything PHP's
 * decoder refuses (bad syntax, a lone surrogate, a property name that
 * starts with NUL, nesting past 512) makes the whole call fail, and the
 * caller keeps the column's text as it is.  Repeated keys in one object
 * are all written (PHP keeps the last): PostgreSQL's json type keeps
 * them, but FusionPBX never writes any.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fusionpbx.h"
#include "json.h"

#define JSON_DEPTH_PHP 512 /* json_decode's default depth */

struct jp {
	const char *p, *end;
	struct buf *out;
	struct buf str; /* the string being decoded */
	int depth;
};

static int value(struct jp *j, int *truthy);

static void
ws(struct jp *j)
{
	while (j->p < j->end &&
	    (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hex4(const char *p, unsigned *u)
{
	unsigned v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		d = p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return -1;
		v = v * 16 + (unsigned)d;
	}
	*u = v;
	return 0;
}

static void
put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_addc(b, (char)cp);
	else if (cp < 0x800) {
		buf_addc(b, (char)(0xc0 | cp >> 6));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addc(b, (char)(0xe0 | cp >> 12));
		buf_addc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addc(b, (char)(0xf0 | cp >> 18));
		buf_addc(b, (char)(0x80 | (cp >> 12 & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp >> 6 & 0x3f)));
		buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Decodes \uXXXX (and a following low surrogate).  Returns 0 or -1. */
static int
unicode_escape(struct jp *j)
{
	unsigned hi, lo;

	if (j->end - j->p < 6 || hex4(j->p + 2, &hi) == -1)
		return -1;
	j->p += 6;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return -1;
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
		    hex4(j->p + 2, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		j->p += 6;
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(&j->str, hi);
	return 0;
}

/* Decodes a string (at its opening quote) into j->str. */
static int
string(struct jp *j)
{
	static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const char *e;
	unsigned char c;

	buf_clear(&j->str);
	for (j->p++; j->p < j->end && *j->p != '"';) {
		c = (unsigned char)*j->p;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			buf_addc(&j->str, (char)c);
			j->p++;
			continue;
		}
		if (j->p + 1 >= j->end)
			return -1;
		if (j->p[1] == 'u') {
			if (unicode_escape(j) == -1)
				return -1;
			continue;
		}
		for (e = esc; *e != '\0' && *e != j->p[1]; e += 2)
			;
		if (*e == '\0')
			return -1;
		buf_addc(&j->str, e[1]);
		j->p += 2;
	}
	if (j->p >= j->end ||
	    (j->str.len > 0 && utf8_valid(j->str.data, j->str.len) == -1))
		return -1;
	j->p++;
	return j->str.overflow ? -1 : 0;
}

static void
put_string(struct jp *j)
{
	buf_addc(j->out, '"');
	json_escape(j->out, j->str.data ? j->str.data : "", j->str.len, JW_PHP);
	buf_addc(j->out, '"');
}

/* A number, as PHP's decoder reads it and json_encode prints it. */
static int
number(struct jp *j, int *truthy)
{
	const char *s = j->p;
	char tmp[64], *end;
	int is_int = 1;
	long long ll;
	double d;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p >= j->end || *j->p < '0' || *j->p > '9')
		return -1;
	if (*j->p == '0')
		j->p++;
	else
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	if (j->p < j->end && *j->p == '.') {
		is_int = 0;
		if (++j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		is_int = 0;
		if (++j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return -1;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	if ((size_t)(j->p - s) >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, (size_t)(j->p - s));
	tmp[j->p - s] = '\0';
	errno = 0;
	if (is_int && ((ll = strtoll(tmp, &end, 10)), errno == 0)) {
		buf_printf(j->out, "%lld", ll);
		*truthy = ll != 0;
		return 0;
	}
	d = strtod(tmp, &end);
	if (isinf(d))
		return -1; /* INF: json_encode fails */
	json_format_double(d, tmp, sizeof(tmp));
	buf_adds(j->out, tmp);
	*truthy = d != 0;
	return 0;
}

static int
literal(struct jp *j, const char *word, int *truthy)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return -1;
	j->p += n;
	buf_adds(j->out, word);
	*truthy = word[0] == 't';
	return 0;
}

/* Members or elements up to the closing bracket (obj: '}'). */
static int
members(struct jp *j, int obj, int *count)
{
	int t;

	ws(j);
	if (j->p < j->end && *j->p == (obj ? '}' : ']'))
		return 0;
	for (;;) {
		if (*count > 0)
			buf_addc(j->out, ',');
		ws(j);
		if (obj) {
			if (j->p >= j->end || *j->p != '"' || string(j) == -1 ||
			    (j->str.len > 0 && j->str.data[0] == '\0'))
				return -1;
			put_string(j);
			ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
			buf_addc(j->out, ':');
		}
		if (value(j, &t) == -1)
			return -1;
		(*count)++;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		return j->p < j->end && *j->p == (obj ? '}' : ']') ? 0 : -1;
	}
}

static int
container(struct jp *j, int obj, int *truthy)
{
	int count = 0;

	if (++j->depth > JSON_DEPTH_PHP)
		return -1;
	j->p++;
	buf_addc(j->out, obj ? '{' : '[');
	if (members(j, obj, &count) == -1)
		return -1;
	j->p++;
	buf_addc(j->out, obj ? '}' : ']');
	j->depth--;
	/* An empty array is falsy, an object (stdClass) never is. */
	*truthy = obj || count > 0;
	return 0;
}

static int
value(struct jp *j, int *truthy)
{
	ws(j);
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '{':
		return container(j, 1, truthy);
	case '[':
		return container(j, 0, truthy);
	case '"':
		if (string(j) == -1)
			return -1;
		put_string(j);
		*truthy = !(j->str.len == 0 ||
		    (j->str.len == 1 && j->str.data[0] == '0'));
		return 0;
	case 't':
		return literal(j, "true", truthy);
	case 'f':
		return literal(j, "false", truthy);
	case 'n':
		return literal(j, "null", truthy);
	default:
		return number(j, truthy);
	}
}

int
fpx_json_php(struct buf *b, const char *s, size_t n)
{
	struct jp j = { .p = s, .end = s + n, .out = b };
	size_t start = b->len;
	int truthy = 0, rc;

	buf_init(&j.str, n + 16);
	rc = value(&j, &truthy);
	ws(&j);
	if (rc == 0 && (j.p != j.end || b->overflow))
		rc = -1;
	buf_free(&j.str);
	if (rc == -1 || !truthy) {
		b->len = start;
		return rc == -1 ? -1 : 0;
	}
	return 1;
}
