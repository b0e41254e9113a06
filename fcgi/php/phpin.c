/*
 * PHP input semantics (see phpin.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl_parse.h>

#include "arena.h"
#include "json.h"
#include "limits.h"
#include "phpin.h"
#include "pv.h"
#include "str.h"

char *
url_decode(struct arena *a, const char *s, size_t n, int plus, size_t *outlen)
{
	char *d = arena_alloc(a, n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+' && plus) {
			d[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
			d[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			d[o++] = s[i];
	}
	d[o] = '\0';
	*outlen = o;
	return d;
}

/* Replaces ' ', '.' and '[' in s by '_' (PHP 8, unclosed brackets). */
static void
mangle_rest(char *s)
{
	for (; *s != '\0'; s++)
		if (*s == ' ' || *s == '.' || *s == '[')
			*s = '_';
}

/* Returns the sub-array at arr[index] (index NULL: a new appended one). */
static struct pv *
subarray(struct arena *a, struct pv *arr, const char *index, size_t ilen)
{
	struct pv *el;

	if (index == NULL)
		return pv_push(a, arr, *pv_new_arr(a));
	el = pv_get(arr, index, ilen);
	if (el == NULL)
		return pv_set(a, arr, index, ilen, *pv_new_arr(a));
	if (el->type != PV_ARR)
		*el = *pv_new_arr(a);
	return el;
}

/*
 * Mangles the base name of a variable in place ('.' and ' ' become '_')
 * up to its first '[', which is cut to a NUL.  Returns the '[' or NULL.
 */
static char *
mangle_base(char *var)
{
	char *p;

	for (p = var; *p != '\0'; p++) {
		if (*p == ' ' || *p == '.')
			*p = '_';
		else if (*p == '[') {
			*p = '\0';
			return p;
		}
	}
	return NULL;
}

/*
 * PHP 8.2.24+ drops a variable whose name mangling made it start with
 * "__Host-" or "__Secure-" when the raw name did not.
 */
static int
forbidden_prefix(const char *mangled, int raw_host, int raw_secure)
{
	return (strncmp(mangled, "__Host-", 7) == 0 && !raw_host) ||
	    (strncmp(mangled, "__Secure-", 9) == 0 && !raw_secure);
}

/*
 * php_register_variable_ex: "x" sets arr[x], "x[]" appends, "x[a][b]"
 * nests (one blank after '[' is skipped, so "x[ ]" appends too); an
 * unclosed '[' is not an index ("a[b.c" is "a_b_c", "a[b][c" is
 * a[b]).  Past nest_max levels the whole variable is dropped.
 */
void
php_register(struct arena *a, struct pv *arr, char *var, const char *val,
    size_t vlen, size_t nest_max)
{
	struct pv *top = arr;
	char *ip, *index, *index_s;
	size_t index_len, var_len, nest = 0;
	int raw_host, raw_secure;

	while (*var == ' ')
		var++;
	raw_host = strncmp(var, "__Host-", 7) == 0;
	raw_secure = strncmp(var, "__Secure-", 9) == 0;
	ip = mangle_base(var);
	var_len = strlen(var);
	if (var_len == 0 || forbidden_prefix(var, raw_host, raw_secure))
		return;
	index = var;
	index_len = var_len;
	while (ip != NULL) {
		if (++nest > nest_max) {
			pv_unset(top, var, var_len);
			return;
		}
		index_s = ++ip;
		if (isspace((unsigned char)*ip))
			ip++;
		if (*ip == ']')
			index_s = NULL;
		else if ((ip = strchr(ip, ']')) == NULL) {
			/* Not an index: un-terminate the name before it. */
			index_s[-1] = '_';
			mangle_rest(index_s);
			index_len = index ? strlen(index) : 0;
			break;
		} else
			*ip = '\0';
		if ((arr = subarray(a, arr, index, index_len)) == NULL)
			return;
		index = index_s;
		index_len = index_s ? strlen(index_s) : 0;
		if (*++ip != '[')
			ip = NULL;
	}
	if (index == NULL)
		pv_push(a, arr, pv_str(val, vlen));
	else
		pv_set(a, arr, index, index_len, pv_str(val, vlen));
}

enum err
php_parse_urlencoded(struct arena *a, struct pv *arr, const char *s, size_t n,
    const struct in_limits *lim, char *errbuf, size_t errlen)
{
	const char *end = s + n, *amp, *eq;
	size_t count = 0, nlen, vlen;
	char *name, *val;

	while (s < end) {
		amp = memchr(s, '&', (size_t)(end - s));
		if (amp == NULL)
			amp = end;
		if (amp == s) {
			s++;
			continue;
		}
		if (++count > lim->params_max) {
			snprintf(errbuf, errlen, "more than %zu parameters",
			    lim->params_max);
			return E_TOOLARGE;
		}
		eq = memchr(s, '=', (size_t)(amp - s));
		name =
		    url_decode(a, s, (size_t)((eq ? eq : amp) - s), 1, &nlen);
		if (eq != NULL)
			val = url_decode(
			    a, eq + 1, (size_t)(amp - eq - 1), 1, &vlen);
		else {
			val = arena_strndup(a, "", 0);
			vlen = 0;
		}
		if (nlen > lim->name_max) {
			snprintf(errbuf, errlen,
			    "parameter name longer than %zu bytes",
			    lim->name_max);
			return E_BADREQ;
		}
		if (vlen > lim->value_max) {
			snprintf(errbuf, errlen,
			    "value of '%.64s' longer than %zu bytes", name,
			    lim->value_max);
			return E_BADREQ;
		}
		php_register(a, arr, name, val, vlen, lim->nest_max);
		s = amp + 1;
	}
	return E_OK;
}

/* Case-insensitive prefix test on a length-delimited line. */
static int
hasprefix(const char *s, size_t n, const char *pfx)
{
	size_t k = strlen(pfx);

	return n >= k && strncasecmp(s, pfx, k) == 0;
}

/*
 * Returns an arena copy of a quoted string's contents (after the opening
 * quote), with backslash escapes of '"' and '\\' undone as PHP's
 * rfc1867 substring_conf does.
 */
static char *
quoted(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	size_t i, o = 0;

	for (i = 0; i < n && s[i] != '"'; i++) {
		if (s[i] == '\\' && i + 1 < n &&
		    (s[i + 1] == '"' || s[i + 1] == '\\'))
			i++;
		d[o++] = s[i];
	}
	d[o] = '\0';
	return d;
}

/*
 * Finds a parameter (name="value" or name=token) in a header value.
 * Returns an arena copy or NULL.
 */
static char *
header_param(struct arena *a, const char *h, size_t n, const char *param)
{
	size_t plen = strlen(param), i = 0, start;

	while (i < n) {
		/* Move to the start of the next parameter. */
		while (i < n && h[i] != ';')
			i++;
		if (i >= n)
			break;
		i++;
		while (i < n && (h[i] == ' ' || h[i] == '\t'))
			i++;
		if (n - i <= plen || strncasecmp(h + i, param, plen) != 0 ||
		    h[i + plen] != '=')
			continue;
		i += plen + 1;
		if (i < n && h[i] == '"')
			return quoted(a, h + i + 1, n - i - 1);
		start = i;
		while (i < n && h[i] != ';' && h[i] != ' ' && h[i] != '\t')
			i++;
		return arena_strndup(a, h + start, i - start);
	}
	return NULL;
}

const char *
multipart_boundary(struct arena *a, const char *ctype, size_t *len)
{
	char *b;

	b = header_param(a, ctype, strlen(ctype), "boundary");
	if (b == NULL || *b == '\0' || strlen(b) > 70)
		return NULL;
	*len = strlen(b);
	return b;
}

static const char *
memmem_(const char *h, size_t hn, const char *n, size_t nn)
{
	return memmem(h, hn, n, nn);
}

/* Parses one part's headers and registers its body if it is a field. */
static enum err
multipart_part(struct arena *a, struct pv *arr, const char *p, size_t n,
    const struct in_limits *lim, char *errbuf, size_t errlen)
{
	const char *hend, *line, *eol, *body;
	char *name = NULL, *filename = NULL;
	size_t blen;

	hend = memmem_(p, n, "\r\n\r\n", 4);
	if (hend == NULL) {
		snprintf(errbuf, errlen, "multipart part without headers");
		return E_BADREQ;
	}
	for (line = p; line < hend; line = eol + 2) {
		eol = memmem_(line, (size_t)(hend + 2 - line), "\r\n", 2);
		if (eol == NULL)
			eol = hend;
		if (hasprefix(
			line, (size_t)(eol - line), "content-disposition:")) {
			name =
			    header_param(a, line, (size_t)(eol - line), "name");
			filename = header_param(
			    a, line, (size_t)(eol - line), "filename");
		}
	}
	if (name == NULL || filename != NULL)
		return E_OK; /* not a field, or a file upload: ignored */
	body = hend + 4;
	blen = (size_t)(p + n - body);
	if (strlen(name) > lim->name_max || blen > lim->value_max) {
		snprintf(errbuf, errlen, "multipart field too large");
		return E_BADREQ;
	}
	php_register(
	    a, arr, name, arena_strndup(a, body, blen), blen, lim->nest_max);
	return E_OK;
}

enum err
php_parse_multipart(struct arena *a, struct pv *arr, const char *s, size_t n,
    const char *boundary, size_t blen, const struct in_limits *lim,
    char *errbuf, size_t errlen)
{
	char *delim = arena_alloc(a, blen + 5);
	const char *p, *next, *end = s + n;
	size_t dlen, count = 0;
	enum err e;

	/* The first delimiter may come without the leading CRLF. */
	memcpy(delim, "\r\n--", 4);
	memcpy(delim + 4, boundary, blen);
	dlen = blen + 4;
	if (n >= dlen - 2 && memcmp(s, delim + 2, dlen - 2) == 0)
		p = s + dlen - 2;
	else if ((p = memmem_(s, n, delim, dlen)) != NULL)
		p += dlen;
	else {
		snprintf(errbuf, errlen, "multipart body without boundary");
		return E_BADREQ;
	}
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return E_OK; /* closing delimiter */
		/* Skip transport padding and the CRLF after the delimiter. */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			break;
		p += 2;
		next = memmem_(p, (size_t)(end - p), delim, dlen);
		if (next == NULL)
			break;
		if (++count > lim->params_max) {
			snprintf(errbuf, errlen, "too many multipart parts");
			return E_TOOLARGE;
		}
		e = multipart_part(
		    a, arr, p, (size_t)(next - p), lim, errbuf, errlen);
		if (e != E_OK)
			return e;
		p = next + dlen;
	}
	snprintf(errbuf, errlen, "unterminated multipart body");
	return E_BADREQ;
}

/*
 * json_decode(..., true) through yajl's callback parser: a stack of open
 * containers; each value lands in the container on top.
 */
struct jctx {
	struct arena *a;
	struct pv *stack[LIM_JSON_STACK];
	size_t depth, max_depth;
	const char *key; /* pending object key */
	size_t klen;
	struct pv *root;
	int too_deep;
};

static int
jput(struct jctx *c, struct pv v, struct pv **stored)
{
	struct pv *top, *p;

	if (c->depth == 0) {
		p = arena_alloc(c->a, sizeof(*p));
		*p = v;
		c->root = p;
	} else {
		top = c->stack[c->depth - 1];
		if (c->key != NULL) {
			p = pv_set(c->a, top, c->key, c->klen, v);
			c->key = NULL;
		} else
			p = pv_push(c->a, top, v);
		if (p == NULL)
			return 0;
	}
	if (stored != NULL)
		*stored = p;
	return 1;
}

static int
j_null(void *ctx)
{
	return jput(ctx, pv_null(), NULL);
}

static int
j_bool(void *ctx, int b)
{
	return jput(ctx, pv_bool(b), NULL);
}

static int
j_number(void *ctx, const char *s, size_t n)
{
	struct jctx *c = ctx;
	struct pv v;
	char tmp[64];
	long long i;
	char *end;

	if (n >= sizeof(tmp)) {
		v.type = PV_DOUBLE;
		v.u.d = strtod(arena_strndup(c->a, s, n), NULL);
		return jput(c, v, NULL);
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (strpbrk(tmp, ".eE") == NULL) {
		errno = 0;
		i = strtoll(tmp, &end, 10);
		if (errno == 0 && *end == '\0')
			return jput(c, pv_int(i), NULL);
	}
	v.type = PV_DOUBLE;
	v.u.d = strtod(tmp, NULL);
	return jput(c, v, NULL);
}

static int
j_string(void *ctx, const unsigned char *s, size_t n)
{
	struct jctx *c = ctx;

	return jput(
	    c, pv_str(arena_strndup(c->a, (const char *)s, n), n), NULL);
}

static int
j_open(void *ctx)
{
	struct jctx *c = ctx;
	struct pv *stored;

	if (c->depth >= c->max_depth || c->depth >= LIM_JSON_STACK) {
		c->too_deep = 1;
		return 0;
	}
	if (!jput(c, *pv_new_arr(c->a), &stored))
		return 0;
	c->stack[c->depth++] = stored;
	return 1;
}

static int
j_key(void *ctx, const unsigned char *k, size_t n)
{
	struct jctx *c = ctx;

	c->key = arena_strndup(c->a, (const char *)k, n);
	c->klen = n;
	return 1;
}

static int
j_close(void *ctx)
{
	struct jctx *c = ctx;

	c->depth--;
	return 1;
}

static const yajl_callbacks jcb = {
	.yajl_null = j_null,
	.yajl_boolean = j_bool,
	.yajl_number = j_number,
	.yajl_string = j_string,
	.yajl_start_map = j_open,
	.yajl_map_key = j_key,
	.yajl_end_map = j_close,
	.yajl_start_array = j_open,
	.yajl_end_array = j_close,
};

/* Returns the value of 4 hex digits at s (n bytes available), or -1. */
static long
hex4(const char *s, size_t n)
{
	long v = 0;
	int i, h;

	if (n < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = hex_digit((unsigned char)s[i])) < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * Checks the \\u escape at s[0] ('u'); returns the bytes it spans past
 * the 'u' (a surrogate pair spans two escapes), or -1 if json_decode
 * would refuse it as an unpaired surrogate.
 */
static long
check_u_escape(const char *s, size_t n)
{
	long u = hex4(s + 1, n - 1), lo;

	if (u < 0)
		return 0; /* not an escape yajl accepts either */
	if (u >= 0xdc00 && u <= 0xdfff)
		return -1;
	if (u < 0xd800 || u > 0xdbff)
		return 4;
	if (n < 11 || s[5] != '\\' || s[6] != 'u')
		return -1;
	lo = hex4(s + 7, n - 7);
	if (lo < 0xdc00 || lo > 0xdfff)
		return -1;
	return 10;
}

/*
 * What yajl lets through and json_decode refuses: UTF-8 that is only
 * well-formed in its byte pattern (overlongs, encoded surrogates, code
 * points past U+10FFFF) and unpaired UTF-16 surrogate escapes ("\\ud800",
 * "\\udc00").  Returns 0 or -1.
 */
static int
json_prescan(const char *s, size_t n)
{
	size_t i;
	long k;
	int in_str = 0;

	if (utf8_valid(s, n) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			in_str = !in_str;
		else if (in_str && s[i] == '\\' && i + 1 < n) {
			if (s[++i] != 'u')
				continue;
			if ((k = check_u_escape(s + i, n - i)) < 0)
				return -1;
			i += (size_t)k;
		}
	}
	return 0;
}

enum err
json_decode_pv(struct arena *a, const char *s, size_t n,
    const struct in_limits *lim, struct pv **out, char *errbuf, size_t errlen)
{
	struct jctx c = { .a = a, .max_depth = lim->nest_max };
	yajl_handle h;
	yajl_status st;

	if (json_prescan(s, n) == -1) {
		snprintf(errbuf, errlen,
		    "invalid JSON: malformed UTF-8 or unpaired surrogate");
		return E_BADREQ;
	}
	h = yajl_alloc(&jcb, NULL, &c);
	if (h == NULL)
		return E_INTERNAL;
	st = yajl_parse(h, (const unsigned char *)s, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok) {
		if (c.too_deep)
			snprintf(errbuf, errlen, "JSON nested deeper than %zu",
			    lim->nest_max);
		else {
			unsigned char *m = yajl_get_error(h, 0, NULL, 0);
			snprintf(errbuf, errlen, "invalid JSON: %s",
			    m ? (char *)m : "parse error");
			yajl_free_error(h, m);
		}
		yajl_free(h);
		return E_BADREQ;
	}
	yajl_free(h);
	if (c.root == NULL) {
		snprintf(errbuf, errlen, "empty JSON body");
		return E_BADREQ;
	}
	*out = c.root;
	return E_OK;
}
