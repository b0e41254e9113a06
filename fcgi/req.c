/*
 * Requests (see req.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>

#include "arena.h"
#include "conf.h"
#include "metrics.h"
#include "phpin.h"
#include "pool.h"
#include "pv.h"
#include "req.h"
#include "str.h"
#include "scoreboard.h"

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

const char *
req_param(const struct req *r, const char *name)
{
	size_t n = strlen(name);
	char **e;

	if (r->envp == NULL)
		return NULL;
	for (e = r->envp; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static unsigned
method_bit(const char *m)
{
	static const struct {
		const char *name;
		unsigned bit;
	} ms[] = {
		{ "GET", M_GET },
		{ "POST", M_POST },
		{ "PUT", M_PUT },
		{ "DELETE", M_DELETE },
		{ "HEAD", M_HEAD },
		{ "OPTIONS", M_OPTIONS },
		{ "PATCH", M_PATCH },
	};
	size_t i;

	for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		if (strcmp(m, ms[i].name) == 0)
			return ms[i].bit;
	return M_OTHER;
}

/*
 * Percent-decodes the n bytes at s into the arena, as the web servers
 * decode DOCUMENT_URI and SCRIPT_NAME; a %00 becomes "%00" (a C string
 * cannot hold the byte, and no name does).
 */
static const char *
pct_decoded(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hex_digit((unsigned char)s[i + 2])) >= 0 &&
		    (hi | lo) != 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return out;
}

/*
 * The path, decoded: DOCUMENT_URI (nginx, decoded and normalised), else
 * SCRIPT_NAME + PATH_INFO (lighttpd, decoded), else REQUEST_URI up to
 * '?', decoded here.
 */
static const char *
request_path(struct req *r)
{
	const char *p, *q;

	if ((p = req_param(r, "DOCUMENT_URI")) != NULL && *p != '\0')
		return p;
	if ((p = req_param(r, "SCRIPT_NAME")) != NULL && *p != '\0') {
		q = req_param(r, "PATH_INFO");
		if (q != NULL && *q != '\0')
			return arena_printf(r->arena, "%s%s", p, q);
		return p;
	}
	if ((p = req_param(r, "REQUEST_URI")) != NULL) {
		q = strchr(p, '?');
		return pct_decoded(
		    r->arena, p, q != NULL ? (size_t)(q - p) : strlen(p));
	}
	return "/";
}

enum err
req_init(struct req *r)
{
	const struct conf *c = r->conf;
	const char *s;
	char *end;

	r->method = req_param(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->m = method_bit(r->method);
	r->path = request_path(r);
	r->query = req_param(r, "QUERY_STRING");
	if (r->query == NULL)
		r->query = "";
	r->querylen = strlen(r->query);
	r->ctype = req_param(r, "CONTENT_TYPE");
	if (r->ctype == NULL)
		r->ctype = "";
	r->clen = -1;
	if ((s = req_param(r, "CONTENT_LENGTH")) != NULL && *s != '\0') {
		r->clen = strtoll(s, &end, 10);
		if (*end != '\0' || r->clen < 0)
			return req_error(r, E_BADREQ, "bad Content-Length");
	}
	r->lim.params_max = (size_t)c->params_max;
	r->lim.name_max = LIM_NAME_MAX;
	r->lim.value_max = (size_t)c->value_max;
	r->lim.nest_max = (size_t)c->nest_max;
	if (r->querylen > LIM_QUERY_MAX)
		return req_error(r, E_BADREQ,
		    "query string longer than %d bytes", LIM_QUERY_MAX);
	return E_OK;
}

enum err
req_error(struct req *r, enum err e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	r->errlen = strlen(r->errmsg);
	return e;
}

enum err
req_error_bytes(
    struct req *r, enum err e, const char *prefix, const char *s, size_t n)
{
	size_t p = strlen(prefix);

	if (p >= sizeof(r->errmsg))
		p = sizeof(r->errmsg) - 1;
	if (n > sizeof(r->errmsg) - 1 - p)
		n = sizeof(r->errmsg) - 1 - p;
	memcpy(r->errmsg, prefix, p);
	memcpy(r->errmsg + p, s, n);
	r->errmsg[p + n] = '\0';
	r->errlen = p + n;
	return e;
}

/* A parser's verdict with its message as the public error. */
static enum err
parsed(struct req *r, enum err e, const char *msg)
{
	if (e == E_OK)
		return E_OK;
	return req_error(r, e, "%s", msg);
}

enum err
req_parse_query(struct req *r)
{
	char msg[LIM_ERRMSG] = "";

	if (r->get != NULL)
		return E_OK;
	r->get = pv_new_arr(r->arena);
	return parsed(r,
	    php_parse_urlencoded(r->arena, r->get, r->query, r->querylen,
		&r->lim, msg, sizeof(msg)),
	    msg);
}

enum err
req_read_body(struct req *r)
{
	size_t max = (size_t)r->conf->body_max, got = 0;
	char *b;
	int n;

	/* A second call gives the first one's verdict (and message). */
	if (r->body_read)
		return r->body_err;
	r->body_read = 1;
	if (r->clen <= 0 || r->in == NULL) {
		if (r->body == NULL)
			r->body = "";
		return E_OK;
	}
	if ((unsigned long long)r->clen > max)
		return r->body_err = req_error(r, E_TOOLARGE,
			   "request body larger than %zu bytes", max);
	b = arena_alloc(r->arena, (size_t)r->clen + 1);
	while (got < (size_t)r->clen) {
		n = FCGX_GetStr(b + got, (int)((size_t)r->clen - got), r->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	b[got] = '\0';
	r->body = b;
	r->bodylen = got;
	if (got != (size_t)r->clen) {
		r->body_err = req_error(r, E_BADREQ,
		    "request body shorter than its Content-Length");
		return r->body_err;
	}
	return E_OK;
}

/* Compares the media type of a Content-Type (before ';'). */
static int
media_is(const char *ctype, const char *type)
{
	size_t n = strlen(type);

	while (*ctype == ' ')
		ctype++;
	return strncasecmp(ctype, type, n) == 0 &&
	    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/* BODY_JSON_INPUT: the object the body holds, else an empty array. */
static enum err
json_input(struct req *r)
{
	char why[LIM_ERRMSG];
	struct pv *v = NULL;
	enum err e;

	if ((e = req_read_body(r)) != E_OK)
		return e;
	if (r->bodylen > 0 &&
	    json_decode_pv(r->arena, r->body, r->bodylen, &r->lim, &v, why,
		sizeof(why)) != E_OK)
		v = NULL;
	r->post = v != NULL && v->type == PV_ARR ? v : pv_new_arr(r->arena);
	return E_OK;
}

enum err
req_parse_body(struct req *r, unsigned kinds)
{
	char msg[LIM_ERRMSG] = "";
	const char *boundary;
	size_t blen;
	enum err e;

	if (r->post != NULL)
		return E_OK;
	if (kinds & BODY_JSON_INPUT)
		return json_input(r);
	r->post = pv_new_arr(r->arena);
	if ((kinds & BODY_FORM) && r->m == M_POST &&
	    media_is(r->ctype, "application/x-www-form-urlencoded")) {
		if ((e = req_read_body(r)) != E_OK)
			return e;
		return parsed(r,
		    php_parse_urlencoded(r->arena, r->post, r->body, r->bodylen,
			&r->lim, msg, sizeof(msg)),
		    msg);
	}
	if ((kinds & BODY_FORM) && r->m == M_POST &&
	    media_is(r->ctype, "multipart/form-data")) {
		boundary = multipart_boundary(r->arena, r->ctype, &blen);
		if (boundary == NULL)
			return req_error(
			    r, E_BADREQ, "multipart body without boundary");
		if ((e = req_read_body(r)) != E_OK)
			return e;
		return parsed(r,
		    php_parse_multipart(r->arena, r->post, r->body, r->bodylen,
			boundary, blen, &r->lim, msg, sizeof(msg)),
		    msg);
	}
	if ((kinds & BODY_JSON) && r->clen > 0) {
		if ((e = req_read_body(r)) != E_OK)
			return e;
		return parsed(r,
		    json_decode_pv(r->arena, r->body, r->bodylen, &r->lim,
			&r->post, msg, sizeof(msg)),
		    msg);
	}
	return E_OK;
}

/* Returns 1 if op is a "<kind> connect" step. */
static int
connect_step(const char *op)
{
	size_t n = op != NULL ? strlen(op) : 0;

	return n > 8 && strcmp(op + n - 8, " connect") == 0;
}

void
req_op(struct req *r, const char *op)
{
	uint64_t now = now_us(), us = 0;
	enum bk k = BK_NONE, last = BK_NONE, done = BK_NONE;
	int kept = 0;

	if (r->pool != NULL)
		last = pool_kind_taken(r->pool, &kept);
	if (op != NULL && (k = met_kind(op)) == BK_NONE)
		k = last;
	/* A connect step that found a kept connection did no I/O. */
	if (r->op_kind != BK_NONE && !(kept && connect_step(r->op))) {
		done = (enum bk)r->op_kind;
		us = now - r->op_start;
		met_op(r->tenant ? r->tenant->name : "-", done, us);
	}
	sb_self_backend((int)done, us, (int)k, now);
	r->op_kind = (int)k;
	r->op_start = now;
	r->op = op;
	sb_self_op(op);
}
