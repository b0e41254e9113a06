/*
 * The ARI dialect (see ari_dialect.h): credentials, routing by method
 * and path, and ARI's error replies.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ari_dialect.h"
#include "arena.h"
#include "conf.h"
#include "json.h"
#include "php/pv.h"
#include "reply.h"
#include "rest.h"
#include "str.h"

#define ARI_REALM "Asterisk REST Interface"

extern const struct dialect ari_dialect;

static const struct family *const families[] = { &ari_channels, &ari_apidocs,
	&ari_events, NULL };

static struct ari_req *
state(struct req *r)
{
	if (r->dctx == NULL)
		r->dctx = arena_zalloc(r->arena, sizeof(struct ari_req));
	return r->dctx;
}

enum err
ari_fail(struct req *r, enum err e, int status, const char *reason,
    const char *fmt, ...)
{
	struct ari_req *q = state(r);
	va_list ap;
	int n;

	q->status = status;
	q->reason = reason;
	va_start(ap, fmt);
	n = vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	r->errlen = n < 0		    ? 0
	    : (size_t)n < sizeof(r->errmsg) ? (size_t)n
					    : sizeof(r->errmsg) - 1;
	return e;
}

/*
 * "user:password", from HTTP Basic or, only without an Authorization
 * header, from ?api_key= (as Asterisk).  Returns it or NULL.
 */
static const char *
credential(struct req *r, size_t *n)
{
	const char *h = req_param(r, "HTTP_AUTHORIZATION");
	const struct pv *k;

	if (h != NULL && *h != '\0') {
		if (strncasecmp(h, "Basic ", 6) != 0)
			return NULL;
		for (h += 6; *h == ' '; h++)
			;
		return base64_decode(r->arena, h, strlen(h), n);
	}
	if (req_parse_query(r) != E_OK ||
	    (k = pv_getz(r->get, "api_key")) == NULL)
		return NULL;
	return pv_to_str(r->arena, k, n);
}

/*
 * An ARI credential is a tenant token whose secret is "user:password"
 * and whose scopes include ari-read (GET) or ari-control (everything);
 * the backend's own ARI, AMI or ESL credentials never leave the server.
 */
static enum err
ari_auth(struct req *r)
{
	const struct tenant *fixed = NULL;
	const struct token *tk;
	const char *cred, *pin;
	size_t n = 0;

	state(r);
	pin = req_param(r, "PBXAPI_TENANT");
	if (pin != NULL && *pin != '\0' &&
	    (fixed = conf_tenant(r->conf, pin)) == NULL)
		return req_error(r, E_UNAUTH, "unknown tenant '%s'", pin);
	if ((cred = credential(r, &n)) == NULL || memchr(cred, ':', n) == NULL)
		return E_UNAUTH;
	tk = conf_token(r->conf, cred, n);
	if (tk == NULL || (fixed != NULL && tk->tenant != fixed) ||
	    !(tk->scopes & (SCOPE_ARI_READ | SCOPE_ARI_CONTROL)))
		return E_UNAUTH;
	r->tenant = tk->tenant;
	r->scopes = tk->scopes;
	r->token = tk;
	r->token_id = tk->id;
	return E_OK;
}

/*
 * Names the operation of the method and path: the row whose template
 * matches with the most literal segments.  A path no row has is ARI's
 * 404, a method the path lacks its 405 with Allow.
 */
static enum err
ari_route(struct req *r, const char **name, size_t *len)
{
	const struct cmd *c;
	char *path = arena_strdup(r->arena, r->path + strlen("/ari"));
	size_t n = strlen(path);
	unsigned methods;
	enum err e;

	if (n > 1 && path[n - 1] == '/') {
		path[n - 1] = '\0';
		return ari_fail(r, E_NOTFOUND, 404, NULL,
		    "ARI URLs do not end with a slash. Try /ari%s", path);
	}
	e = rest_route(r, ari_dialect.families, path, &c, &methods);
	if (e == E_METHOD) {
		state(r)->allow = rest_allow(r, "OPTIONS", methods);
		return ari_fail(r, E_METHOD, 405, NULL, "Invalid method");
	}
	if (e != E_OK)
		return ari_fail(r, E_NOTFOUND, 404, NULL, "Resource not found");
	*name = c->name;
	*len = strlen(c->name);
	return E_OK;
}

static enum err
ari_unknown(struct req *r, const char *name, size_t n)
{
	(void)name;
	(void)n;
	return ari_fail(r, E_NOTFOUND, 404, NULL, "Resource not found");
}

/* The message of an error that no code path worded. */
static const char *
generic(enum err e)
{
	switch (e) {
	case E_UNAUTH:
		return "Authentication required";
	case E_FORBIDDEN:
		return "Write access denied";
	case E_NOTFOUND:
		return "Resource not found";
	case E_METHOD:
		return "Invalid method";
	case E_TOOLARGE:
		return "Request body too large";
	case E_BADREQ:
		return "Error parsing request body";
	default:
		return err_str(e);
	}
}

void
ari_error(struct req *r, struct reply *rp, enum err e)
{
	struct ari_req *q = state(r);
	const char *msg = r->errmsg;
	size_t len = r->errlen;
	struct jw *w;

	if (e == E_UNAUTH || e == E_FORBIDDEN || len == 0) {
		msg = generic(e);
		len = strlen(msg);
	}
	w = reply_json(rp, JW_UTF8);
	reply_status_reason(rp, q->status ? q->status : err_status(e),
	    q->status ? q->reason : NULL);
	reply_header(rp, "Cache-Control", "no-cache, no-store");
	if (e == E_METHOD && q->allow != NULL)
		reply_header(rp, "Allow", q->allow);
	if (e == E_UNAUTH)
		reply_header(
		    rp, "WWW-Authenticate", "Basic realm=\"" ARI_REALM "\"");
	jw_obj_open(w);
	jw_keyz(w, "message");
	jw_str(w, msg, len);
	jw_obj_close(w);
}

static const struct doc_auth basic_doc = {
	.id = "ariBasic",
	.type = "http",
	.scheme = "basic",
	.text = "An ARI token's user and password.",
};

static const struct doc_auth api_key_doc = {
	.id = "ariApiKey",
	.type = "apiKey",
	.in = "query",
	.param = "api_key",
	.text = "An ARI token as user:password.",
};

static const struct doc_auth *const auths[] = { &basic_doc, &api_key_doc,
	NULL };

static int
doc_ok(const struct cmd *c)
{
	const struct ari_op *op = c->ext;

	return op != NULL ? op->ok : 200;
}

static const char *
doc_summary(const struct cmd *c)
{
	const struct ari_op *op = c->ext;

	return op != NULL ? op->summary : NULL;
}

static const struct dialect_doc doc = {
	.text = "The Asterisk REST Interface's resources under /ari "
		"(docs/ari.md).",
	.prefix = "/ari",
	.auth = auths,
	.ok = doc_ok,
	.summary = doc_summary,
};

const struct dialect ari_dialect = {
	.name = "ari",
	.doc = &doc,
	.body_kinds = BODY_JSON,
	.families = families,
	.auth = ari_auth,
	.route = ari_route,
	.error = ari_error,
	.unknown = ari_unknown,
	.param_error = ari_param_error,
};
