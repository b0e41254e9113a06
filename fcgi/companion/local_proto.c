/*
 * The local interface's wire format (see local_proto.h).
 */
#include <string.h>

#include "limits.h"
#include "local_proto.h"

static int
verb_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	    c == '_';
}

static int
visible(char c)
{
	return c > 0x20 && c < 0x7f;
}

/* Splits the line (LF excluded) into the verb and its arguments. */
static enum local_rc
split(const char *p, size_t n, struct local_req *r)
{
	size_t i = 0, start, k;

	memset(r, 0, sizeof(*r));
	while (i < n && verb_char(p[i]))
		i++;
	if (i == 0 || i > LOCAL_VERB_MAX)
		return LOCAL_EPROTO;
	r->verb.p = p;
	r->verb.n = i;
	while (i < n) {
		if (p[i++] != ' ' || r->nargs == LOCAL_ARGS_MAX)
			return LOCAL_EPROTO;
		start = i;
		while (i < n && visible(p[i]))
			i++;
		k = i - start;
		if (k == 0 || k > LOCAL_ARG_MAX || (i < n && p[i] != ' '))
			return LOCAL_EPROTO;
		r->arg[r->nargs].p = p + start;
		r->arg[r->nargs++].n = k;
	}
	return LOCAL_OK;
}

enum local_rc
local_parse_req(const char *p, size_t n, struct local_req *r, size_t *used)
{
	size_t lim = n < LIM_LOCAL_LINE ? n : LIM_LOCAL_LINE;
	const char *lf = memchr(p, '\n', lim);

	if (lf == NULL)
		return n < LIM_LOCAL_LINE ? LOCAL_MORE : LOCAL_EPROTO;
	if (split(p, (size_t)(lf - p), r) != LOCAL_OK)
		return LOCAL_EPROTO;
	*used = (size_t)(lf - p) + 1;
	return LOCAL_OK;
}

enum local_rc
local_parse_head(const char *p, size_t n, int *ok, size_t *len, size_t *used)
{
	size_t lim = n < LOCAL_HEAD_MAX ? n : LOCAL_HEAD_MAX, i, d = 0;
	const char *lf = memchr(p, '\n', lim);
	size_t v = 0;

	if (lf == NULL)
		return n < LOCAL_HEAD_MAX ? LOCAL_MORE : LOCAL_EPROTO;
	if (lf - p > 3 && memcmp(p, "OK ", 3) == 0) {
		*ok = 1;
		i = 3;
	} else if (lf - p > 4 && memcmp(p, "ERR ", 4) == 0) {
		*ok = 0;
		i = 4;
	} else
		return LOCAL_EPROTO;
	for (; p + i < lf; i++, d++) {
		if (p[i] < '0' || p[i] > '9' || d == 9)
			return LOCAL_EPROTO;
		v = v * 10 + (size_t)(p[i] - '0');
	}
	if (v > LIM_LOCAL_REPLY)
		return LOCAL_EPROTO;
	*len = v;
	*used = (size_t)(lf - p) + 1;
	return LOCAL_OK;
}

int
local_is(struct local_span s, const char *w)
{
	return strlen(w) == s.n && memcmp(s.p, w, s.n) == 0;
}
