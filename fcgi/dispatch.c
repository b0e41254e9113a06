/*
 * Dispatch (see dispatch.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "audit.h"
#include "conf.h"
#include "dispatch.h"
#include "json.h"
#include "log.h"
#include "pv.h"
#include "ratelimit.h"
#include "reply.h"
#include "req.h"
#include "scoreboard.h"
#include "tokens.h"

const struct dialect *
route_find(const struct req *r)
{
	return route_match(routes, r);
}

const struct dialect *
route_match(const struct route *table, const struct req *r)
{
	const struct route *rt;
	const char *forced = req_param(r, "PBXAPI_DIALECT"), *path;
	size_t n;

	/* Empty is unset, like PBXAPI_TENANT (nginx's if_not_empty). */
	if (forced != NULL && *forced == '\0')
		forced = NULL;

	for (rt = table; rt->dialect != NULL; rt++) {
		if (forced != NULL) {
			if (strcmp(forced, rt->dialect->name) == 0)
				return rt->dialect;
			continue;
		}
		path = rt->path;
		if (path == NULL)
			path = *(const char *const *)((const char *)r->conf +
			    rt->conf_off);
		n = strlen(path);
		if (n == 0 || strncmp(r->path, path, n) != 0)
			continue;
		if (r->path[n] == '\0' ||
		    (rt->prefix && (r->path[n] == '/' || path[n - 1] == '/')))
			return rt->dialect;
	}
	return NULL;
}

const struct cmd *
cmd_find(const struct dialect *d, const char *name)
{
	const struct family *const *f;
	size_t i;

	for (f = d->families; *f != NULL; f++)
		for (i = 0; i < (*f)->ncmds; i++)
			if (strcmp((*f)->cmds[i].name, name) == 0)
				return &(*f)->cmds[i];
	return NULL;
}

static const struct bitname method_names[] = {
	{ M_GET, "GET" },
	{ M_POST, "POST" },
	{ M_PUT, "PUT" },
	{ M_DELETE, "DELETE" },
	{ M_HEAD, "HEAD" },
	{ M_OPTIONS, "OPTIONS" },
	{ M_PATCH, "PATCH" },
	{ M_OTHER, "OTHER" },
};

const struct bitname scope_names[] = {
	{ SCOPE_READ, "read" },
	{ SCOPE_WRITE, "write" },
	{ SCOPE_RECORDINGS, "recordings" },
	{ SCOPE_ADMIN, "admin" },
	{ SCOPE_ARI_READ, "ari-read" },
	{ SCOPE_ARI_CONTROL, "ari-control" },
	{ SCOPE_WCS, "wcs" },
	{ SCOPE_EVENTS, "events" },
};
const size_t nscope_names = nitems(scope_names);

static const struct bitname flag_names[] = {
	{ P_REQUIRED, "required" },
	{ P_NONEMPTY, "nonempty" },
	{ P_NOCTL, "noctl" },
	{ P_UTF8, "utf8" },
	{ P_LIST, "list" },
	{ P_ICASE, "icase" },
};

/*
 * Writes the names of the bits set in v, each after a comma but the first
 * when *sep is "" (then sets *sep to ",").
 */
static void
list_bits(
    FILE *fp, unsigned v, const struct bitname *b, size_t n, const char **sep)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v & b[i].bit) {
			fprintf(fp, "%s%s", *sep, b[i].name);
			*sep = ",";
		}
}

/* Writes s with bytes outside [A-Za-z0-9._/+-] as %XX. */
static void
list_value(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("._/+-", *s) != NULL)
			putc(*s, fp);
		else
			fprintf(fp, "%%%02X", (unsigned char)*s);
}

/* Writes " name:src:type:attributes" for one parameter. */
static void
list_param(FILE *fp, const struct param *p)
{
	static const char *const srcs[] = { "query", "body", "path", "any" };
	const char *sep = "";
	const char *const *v;

	fprintf(fp, " %s:%s:%s:", p->name, srcs[p->src],
	    p->type == PT_INT ? "int" : "str");
	list_bits(fp, p->flags, flag_names, nitems(flag_names), &sep);
	if (p->maxlen > 0) {
		fprintf(fp, "%smax=%zu", sep, p->maxlen);
		sep = ",";
	}
	if (p->def != NULL) {
		fprintf(fp, "%sdefault=", sep);
		list_value(fp, p->def);
		sep = ",";
	}
	if (p->alias != NULL) {
		fprintf(fp, "%salias=%s", sep, p->alias);
		sep = ",";
	}
	if (p->valid != NULL) {
		fprintf(fp, "%svalid", sep);
		sep = ",";
	}
	if (p->values != NULL) {
		fprintf(fp, "%svalues=", sep);
		for (v = p->values; *v != NULL; v++)
			fprintf(fp, "%s%s", v == p->values ? "" : "|", *v);
		sep = ",";
	}
	if (*sep == '\0')
		putc('-', fp);
}

/* Writes the names of the bits set in v, comma-separated, or "none". */
static void
list_set(FILE *fp, unsigned v, const struct bitname *b, size_t n)
{
	const char *sep = "";

	list_bits(fp, v, b, n, &sep);
	if (*sep == '\0')
		fputs("none", fp);
}

/* Writes the line of command c of dialect d. */
static void
list_cmd(FILE *fp, const struct dialect *d, const struct cmd *c)
{
	size_t i;

	fprintf(fp, "%s %s ", d->name, c->name);
	if (c->methods == M_ANY)
		fputs("ANY", fp);
	else
		list_set(fp, c->methods, method_names, nitems(method_names));
	putc(' ', fp);
	list_set(fp, c->scope, scope_names, nitems(scope_names));
	for (i = 0; i < c->nparams; i++)
		list_param(fp, &c->params[i]);
	putc('\n', fp);
}

int
dispatch_list(FILE *fp)
{
	const struct dialect *const *d;
	const struct family *const *f;
	size_t i;

	for (d = dialects; *d != NULL; d++)
		for (f = (*d)->families; *f != NULL; f++)
			for (i = 0; i < (*f)->ncmds; i++)
				list_cmd(fp, *d, &(*f)->cmds[i]);
	return fflush(fp) == EOF || ferror(fp) ? -1 : 0;
}

void
dialect_json_error(struct req *r, struct reply *rp, enum err e)
{
	struct jw *w = reply_json(rp, JW_UTF8);

	reply_status(rp, err_status(e));
	jw_obj_open(w);
	jw_keyz(w, "error");
	jw_strz(w, r->errmsg[0] ? r->errmsg : err_str(e));
	jw_obj_close(w);
}

enum err
dialect_not_found(struct req *r, const char *name, size_t n)
{
	(void)name;
	(void)n;
	return req_error(r, E_NOTFOUND, "Not Found");
}

static int
has_ctl(const char *s, size_t n)
{
	return memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL ||
	    memchr(s, '\0', n) != NULL;
}

/* Sets the error of parameter p: the dialect's words, else these. */
static enum err
param_error(struct req *r, const struct param *p, enum perr why, size_t max)
{
	enum err e;

	if (r->dialect->param_error != NULL &&
	    (e = r->dialect->param_error(r, p, why)) != E_OK)
		return e;
	switch (why) {
	case PE_MISSING:
		return req_error(
		    r, E_BADREQ, "missing parameter '%s'", p->name);
	case PE_EMPTY:
		return req_error(r, E_BADREQ, "empty parameter '%s'", p->name);
	case PE_LONG:
		return req_error(r, E_BADREQ,
		    "parameter '%s' longer than %zu bytes", p->name, max);
	case PE_CTL:
		return req_error(r, E_BADREQ,
		    "parameter '%s' contains CR, LF or NUL", p->name);
	case PE_UTF8:
		return req_error(
		    r, E_BADREQ, "parameter '%s' is not valid UTF-8", p->name);
	default:
		return req_error(
		    r, E_BADREQ, "invalid value for parameter '%s'", p->name);
	}
}

/* Returns the raw value of p (its alias's when it is PHP-empty). */
static const struct pv *
param_value(const struct req *r, const struct param *p)
{
	const struct pv *src, *v, *alt;

	switch (p->src) {
	case SRC_PATH:
		return pv_getz(r->pathargs, p->name);
	case SRC_ANY:
		if ((v = pv_getz(r->post, p->name)) != NULL)
			return v;
		return pv_getz(r->get, p->name);
	case SRC_QUERY:
		src = r->get;
		break;
	default:
		src = r->post;
		break;
	}
	v = pv_getz(src, p->name);
	if (p->alias != NULL && pv_empty(v) &&
	    !pv_empty(alt = pv_getz(src, p->alias)))
		return alt;
	return v;
}

/* Returns 1 if a required parameter counts as missing. */
static int
missing(const struct req *r, const struct arg *a)
{
	if (r->dialect->flags & D_PHP_EMPTY)
		return pv_empty(a->v);
	return !a->present;
}

/* Returns 1 if v may be bound as a string (not a list, not a bool). */
static int
json_scalar(const struct pv *v)
{
	return v->type == PV_STR || v->type == PV_INT || v->type == PV_DOUBLE;
}

/* Returns 1 if s is one of p's values. */
static int
one_of(const struct param *p, const char *s)
{
	const char *const *v;

	for (v = p->values; *v != NULL; v++)
		if ((p->flags & P_ICASE) ? strcasecmp(s, *v) == 0
					 : strcmp(s, *v) == 0)
			return 1;
	return 0;
}

/* Checks one argument's value against its parameter. */
static enum err
param_check(struct req *r, const struct param *p, const struct arg *a)
{
	size_t max = p->maxlen ? p->maxlen : (size_t)r->conf->value_max;
	unsigned df = r->dialect->flags;

	if (a->len == 0 && (p->flags & (P_REQUIRED | P_NONEMPTY)))
		return param_error(r, p, PE_EMPTY, max);
	if ((df & D_JSON_SCALARS) && !json_scalar(a->v))
		return a->v->type == PV_ARR && (p->flags & P_LIST)
		    ? E_OK
		    : param_error(r, p, PE_INVALID, max);
	if (a->len > max)
		return param_error(r, p, PE_LONG, max);
	if (((p->flags & P_NOCTL) && has_ctl(a->s, a->len)) ||
	    ((df & D_JSON_SCALARS) && memchr(a->s, '\0', a->len) != NULL))
		return param_error(r, p, PE_CTL, max);
	if ((p->flags & P_UTF8) && utf8_valid(a->s, a->len) == -1)
		return param_error(r, p, PE_UTF8, max);
	if (p->valid != NULL && a->len > 0 && p->valid(a->s, a->len) != 0)
		return param_error(r, p, PE_INVALID, max);
	if (p->values != NULL && a->len > 0 && !one_of(p, a->s))
		return param_error(r, p, PE_INVALID, max);
	return E_OK;
}

/* Fills argument a of parameter p from the input or the default. */
static void
param_fill(struct req *r, const struct param *p, struct arg *a)
{
	const struct pv *v = param_value(r, p);

	if (v != NULL) {
		a->present = 1;
		a->v = v;
		a->s = pv_to_str(r->arena, v, &a->len);
	} else if (p->def != NULL) {
		a->s = p->def;
		a->len = strlen(p->def);
	}
	/* (int) of the value itself: an array is 1 when not empty. */
	if (p->type == PT_INT && a->s != NULL)
		a->i = a->v ? pv_to_int(a->v) : php_intval(a->s, a->len);
}

enum err
params_validate(struct req *r)
{
	const struct cmd *c = r->cmd;
	const struct param *p, *last = NULL;
	unsigned df = r->dialect->flags;
	enum err e;
	size_t i;

	r->args = arena_zalloc(r->arena, (c->nparams + 1) * sizeof(*r->args));
	for (i = 0; i < c->nparams; i++) {
		param_fill(r, &c->params[i], &r->args[i]);
		if ((c->params[i].flags & P_REQUIRED) &&
		    missing(r, &r->args[i]))
			last = &c->params[i];
	}
	/* PHP's ensure_parameters(): every one first, the last reported. */
	if ((df & D_PHP_EMPTY) && last != NULL)
		return param_error(r, last, PE_MISSING, 0);
	for (i = 0; i < c->nparams; i++) {
		p = &c->params[i];
		if (!r->args[i].present || r->args[i].s == NULL) {
			if (p->flags & P_REQUIRED)
				return param_error(r, p, PE_MISSING, 0);
			continue;
		}
		if ((df & D_JSON_SCALARS) && pv_empty(r->args[i].v))
			continue;
		if ((e = param_check(r, p, &r->args[i])) != E_OK)
			return e;
	}
	return E_OK;
}

static int
needs(const struct cmd *c, enum src s)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (c->params[i].src == s)
			return 1;
	return 0;
}

/* Decodes the input the command reads and validates its parameters. */
static enum err
input(struct req *r)
{
	const struct cmd *c = r->cmd;
	enum err e;

	if ((needs(c, SRC_QUERY) || needs(c, SRC_ANY)) &&
	    (e = req_parse_query(r)) != E_OK)
		return e;
	if ((needs(c, SRC_BODY) || needs(c, SRC_ANY)) &&
	    (e = req_parse_body(r, r->dialect->body_kinds)) != E_OK)
		return e;
	return params_validate(r);
}

/* Everything after authentication and routing. */
static enum err
run_cmd(struct req *r, struct reply *rp)
{
	const struct cmd *c = r->cmd;
	int first = (r->dialect->flags & D_PARAMS_FIRST) != 0;
	enum err e;

	if (first && (e = input(r)) != E_OK)
		return e;
	if ((c->scope & r->scopes) != c->scope)
		return req_error(
		    r, E_FORBIDDEN, "token lacks the scope for '%s'", c->name);
	if (!token_allows(r->token, r->dialect, c))
		return req_error(
		    r, E_FORBIDDEN, "token is not allowed '%s'", c->name);
	if (!(c->methods & r->m))
		return req_error(r, E_METHOD, "method %s not allowed for '%s'",
		    r->method, c->name);
	if (!first && (e = input(r)) != E_OK)
		return e;
	return c->run(r, rp);
}

enum err
dispatch(struct req *r, struct reply *rp)
{
	return dispatch_on(routes, r, rp);
}

enum err
dispatch_on(const struct route *table, struct req *r, struct reply *rp)
{
	const struct dialect *d;
	const char *name = NULL;
	size_t len = 0;
	enum err e;

	d = route_match(table, r);
	if (d == NULL) {
		struct jw *w = reply_json(rp, JW_UTF8);
		reply_status(rp, 404);
		jw_obj_open(w);
		jw_keyz(w, "error");
		jw_strz(w, "Not Found");
		jw_obj_close(w);
		return E_NOTFOUND;
	}
	r->dialect = d;
	sb_self_request(r->method, r->path, d->name);
	if (r->clen > r->conf->body_max) {
		e = req_error(r, E_TOOLARGE,
		    "request body larger than %ld bytes", r->conf->body_max);
		goto fail;
	}
	if ((e = d->auth(r)) != E_OK)
		goto fail;
	if ((d->flags & D_BODY_FIRST) &&
	    (e = req_parse_body(r, d->body_kinds)) != E_OK)
		goto fail;
	if ((e = d->route(r, &name, &len)) != E_OK)
		goto fail;
	r->cmdname = name;
	log_request(r->id, name);
	sb_self_cmd(r->tenant ? r->tenant->name : "", name);
	/* A NUL inside the name never matches a command. */
	r->cmd = memchr(name, '\0', len) ? NULL : cmd_find(d, name);
	if (r->cmd == NULL) {
		e = d->unknown(r, name, len);
		goto fail;
	}
	/* Before any backend work; the headers go on every reply. */
	if ((e = ratelimit_check(r)) != E_OK)
		goto fail;
	ratelimit_headers(r, rp);
	e = run_cmd(r, rp);
	ratelimit_done(r, e, rp->status);
	if (e != E_OK)
		goto fail;
	audit_request(r, rp, E_OK);
	return E_OK;
fail:
	if (reply_committed(rp))
		log_warnx(
		    "%s after the reply began: %s", err_str(e), r->errmsg);
	else {
		reply_reset(rp);
		d->error(r, rp, e);
		ratelimit_headers(r, rp);
	}
	/* Once the command is known, refused and failed calls too. */
	if (r->cmd != NULL)
		audit_request(r, rp, e);
	return e;
}
