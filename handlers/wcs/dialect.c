/*
 * The WCS dialect (see wcs.h): optional Basic auth, routing by method
 * and path below /rest-api, CORS and preflights, and the error replies
 * (the status, and a short JSON reason: WCS documents no error bodies).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conf.h"
#include "json.h"
#include "reply.h"
#include "rest.h"
#include "str.h"
#include "wcs_dialect.h"

extern const struct dialect wcs_dialect;

static const struct family *const families[] = { &wcs_calls, &wcs_media, NULL };

struct wcs_req *
wcs_state(struct req *r)
{
	if (r->dctx == NULL)
		r->dctx = arena_zalloc(r->arena, sizeof(struct wcs_req));
	return r->dctx;
}

enum err
wcs_fail(struct req *r, enum err e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	r->errlen = n < 0		    ? 0
	    : (size_t)n < sizeof(r->errmsg) ? (size_t)n
					    : sizeof(r->errmsg) - 1;
	return e;
}

void
wcs_cors(struct reply *rp)
{
	reply_header(rp, "Access-Control-Allow-Origin", "*");
}

enum err
wcs_void(struct reply *rp)
{
	reply_status(rp, 200);
	wcs_cors(rp);
	return E_OK;
}

/* The tenant without credentials: the vhost's pinned one, or default. */
static const struct tenant *
anonymous_tenant(struct req *r)
{
	const char *pin = req_param(r, "PBXAPI_TENANT");

	return conf_tenant(
	    r->conf, pin != NULL && *pin != '\0' ? pin : "default");
}

/*
 * A WCS credential is HTTP Basic "user:password" matching a tenant token
 * (as ARI's) with the wcs scope.  With wcs.basic_auth off (WCS's
 * default) a request without one is the pinned or default tenant's, and
 * so is one whose Authorization is not such a token; with it on, both
 * are 401.  A preflight carries no credentials: it is always answered.
 */
static enum err
wcs_auth(struct req *r)
{
	const struct tenant *fixed = NULL;
	const struct token *tk = NULL;
	const char *h, *pin, *cred;
	size_t n = 0;

	wcs_state(r);
	pin = req_param(r, "PBXAPI_TENANT");
	if (pin != NULL && *pin != '\0' &&
	    (fixed = conf_tenant(r->conf, pin)) == NULL)
		return wcs_fail(r, E_UNAUTH, "unknown tenant '%s'", pin);
	h = req_param(r, "HTTP_AUTHORIZATION");
	if (r->m != M_OPTIONS && h != NULL &&
	    strncasecmp(h, "Basic ", 6) == 0) {
		for (h += 6; *h == ' '; h++)
			;
		cred = base64_decode(r->arena, h, strlen(h), &n);
		if (cred != NULL && memchr(cred, ':', n) != NULL)
			tk = conf_token(r->conf, cred, n);
		if (tk != NULL &&
		    ((fixed != NULL && tk->tenant != fixed) ||
			!(tk->scopes & SCOPE_WCS)))
			tk = NULL;
	}
	if (tk != NULL) {
		r->tenant = tk->tenant;
		r->scopes = tk->scopes;
		r->token = tk;
		r->token_id = tk->id;
		return E_OK;
	}
	if (r->m != M_OPTIONS && r->conf->wcs_basic_auth)
		return wcs_fail(r, E_UNAUTH, "authentication required");
	if ((r->tenant = anonymous_tenant(r)) == NULL)
		return wcs_fail(r, E_UNAUTH, "no default tenant");
	r->scopes = r->m == M_OPTIONS ? 0 : SCOPE_WCS;
	r->token_id = "anonymous";
	return E_OK;
}

/*
 * Names the method of the path: the row whose template matches.  A
 * preflight (OPTIONS) of a path that has rows is the "preflight"
 * command with their methods; the preflight rows themselves match any
 * path, so one that only they match is "no such method" (404).
 */
static enum err
wcs_route(struct req *r, const char **name, size_t *len)
{
	const char *path = r->path + strlen(WCS_PREFIX);
	const struct cmd *c;
	unsigned methods;
	enum err e;

	e = rest_route(r, wcs_dialect.families, path, &c, &methods);
	/* Only a preflight row has the path: no such method. */
	if (e == E_METHOD && methods == M_OPTIONS)
		e = E_NOTFOUND;
	if (e == E_METHOD) {
		wcs_state(r)->allow = rest_allow(r, NULL, methods);
		if (r->m == M_OPTIONS) {
			*name = "preflight";
			*len = strlen(*name);
			return E_OK;
		}
		return wcs_fail(r, E_METHOD, "method not allowed");
	}
	if (e != E_OK)
		return wcs_fail(r, E_NOTFOUND, "no such method");
	*name = c->name;
	*len = strlen(c->name);
	return E_OK;
}

static enum err
wcs_unknown(struct req *r, const char *name, size_t n)
{
	(void)name;
	(void)n;
	return wcs_fail(r, E_NOTFOUND, "no such method");
}

/* {"reason": text} with the status; 401 asks for Basic. */
static void
wcs_error(struct req *r, struct reply *rp, enum err e)
{
	struct wcs_req *q = wcs_state(r);
	struct jw *w = reply_json(rp, JW_UTF8);

	reply_status(rp, e == E_TIMEOUT ? 503 : err_status(e));
	reply_header(rp, "Content-Type", WCS_CTYPE);
	wcs_cors(rp);
	if (e == E_METHOD && q->allow != NULL)
		reply_header(rp, "Allow", q->allow);
	if (e == E_UNAUTH)
		reply_header(rp, "WWW-Authenticate", "Basic realm=\"WCS\"");
	if (q->replayed)
		reply_header(rp, "Idempotent-Replayed", "true");
	jw_obj_open(w);
	jw_keyz(w, "reason");
	if (r->errlen > 0)
		jw_str(w, r->errmsg, r->errlen);
	else
		jw_strz(w, err_str(e));
	jw_obj_close(w);
}

static enum err
wcs_param_error(struct req *r, const struct param *p, enum perr why)
{
	static const char *const what[] = {
		[PE_MISSING] = "is missing",
		[PE_EMPTY] = "is empty",
		[PE_LONG] = "is too long",
		[PE_CTL] = "holds a control character",
		[PE_UTF8] = "is not UTF-8",
		[PE_INVALID] = "is invalid",
	};

	return wcs_fail(r, E_BADREQ, "'%s' %s", p->name, what[why]);
}

static const struct doc_auth basic_doc = {
	.id = "wcsBasic",
	.type = "http",
	.scheme = "basic",
	.text = "A token with the wcs scope as user:password; required "
		"only with wcs.basic_auth = on.",
};

static const struct doc_auth *const auths[] = { &basic_doc, NULL };

static int
doc_ok(const struct cmd *c)
{
	const struct wcs_op *op = c->ext;

	return op != NULL ? op->ok : 200;
}

static const char *
doc_summary(const struct cmd *c)
{
	const struct wcs_op *op = c->ext;

	return op != NULL ? op->summary : NULL;
}

static const struct dialect_doc doc = {
	.text = "The Flashphoner WCS REST API's SIP-call methods under "
		"/rest-api (docs/wcs.md).",
	.prefix = WCS_PREFIX,
	.auth = auths,
	.ok = doc_ok,
	.summary = doc_summary,
};

const struct dialect wcs_dialect = {
	.name = "wcs",
	.doc = &doc,
	.body_kinds = BODY_JSON,
	.families = families,
	.auth = wcs_auth,
	.route = wcs_route,
	.error = wcs_error,
	.unknown = wcs_unknown,
	.param_error = wcs_param_error,
};
