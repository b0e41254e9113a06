/*
 * The recording server dialect (see recordings.h): X-Auth-Token, routing
 * by method and path under both layouts, and the error replies.
 *
 * A request authenticates with X-Auth-Token: a pbxapi token (hashed in
 * the configuration) with the recordings scope, or the tenant's shared
 * PLAY_AUTH_TOKEN, the one XiVO CC's own server reads from its
 * environment (a token of the recordings scope since the configuration
 * was loaded), compared as raw bytes by digest in constant time.  An audio URL
 * may instead carry a signature made by signed_url (audio.c).
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "json.h"
#include "recordings.h"
#include "rec_auth.h"
#include "reply.h"
#include "rest.h"
#include "str.h"

extern const struct dialect rec_dialect;

static const struct family *const families[] = { &rec_records, &rec_calldata,
	&rec_history, &rec_audio, NULL };

struct rec_req *
rec_state(struct req *r)
{
	if (r->dctx == NULL)
		r->dctx = arena_zalloc(r->arena, sizeof(struct rec_req));
	return r->dctx;
}

static enum err
rec_auth(struct req *r)
{
	const struct tenant *fixed = NULL;
	const struct token *tk;
	const char *h, *pin;

	pin = req_param(r, "PBXAPI_TENANT");
	if (pin != NULL && *pin != '\0' &&
	    (fixed = conf_tenant(r->conf, pin)) == NULL)
		return req_error(r, E_UNAUTH, "unknown tenant '%s'", pin);
	h = req_param(r, "HTTP_X_AUTH_TOKEN");
	if (h == NULL || *h == '\0')
		return rec_signed_auth(r, fixed);
	/* Tokens and shared keys alike: by digest, in constant time. */
	tk = conf_token(r->conf, h, strlen(h));
	if (tk == NULL || (fixed != NULL && tk->tenant != fixed) ||
	    !(tk->scopes & SCOPE_RECORDINGS))
		return req_error(
		    r, E_UNAUTH, "invalid or missing X-Auth-Token");
	r->tenant = tk->tenant;
	r->scopes = tk->scopes;
	r->token = tk;
	r->token_id = tk->setting != NULL ? "shared" : tk->id;
	return E_OK;
}

/* The path below the layout: "/recording/records/x" is "/records/x". */
static const char *
below_layout(struct req *r)
{
	const char *p = r->path;

	if (strncmp(p, REC_PREFIX "/", sizeof(REC_PREFIX)) == 0) {
		rec_state(r)->prefixed = 1;
		return p + sizeof(REC_PREFIX) - 1;
	}
	return p;
}

static enum err
rec_route(struct req *r, const char **name, size_t *len)
{
	const struct cmd *c;
	unsigned methods;
	enum err e;

	e = rest_route(r, rec_dialect.families, below_layout(r), &c, &methods);
	if (e == E_METHOD) {
		rec_state(r)->allow = rest_allow(r, NULL, methods);
		return req_error(r, E_METHOD, "method not allowed");
	}
	if (e != E_OK)
		return req_error(r, E_NOTFOUND, "no such resource");
	*name = c->name;
	*len = strlen(c->name);
	return E_OK;
}

static enum err
rec_unknown(struct req *r, const char *name, size_t n)
{
	(void)name;
	(void)n;
	return req_error(r, E_NOTFOUND, "no such resource");
}

/*
 * Errors are {"error": message} with the status; a stalled database is a
 * 503 like one that is down (the client cannot tell them apart anyway).
 */
static void
rec_error(struct req *r, struct reply *rp, enum err e)
{
	struct rec_req *q = rec_state(r);
	struct jw *w = reply_json(rp, JW_UTF8);

	reply_status(rp, e == E_TIMEOUT ? 503 : err_status(e));
	if (e == E_METHOD && q->allow != NULL)
		reply_header(rp, "Allow", q->allow);
	if (e == E_UNAUTH)
		reply_header(rp, "WWW-Authenticate", "X-Auth-Token");
	jw_obj_open(w);
	jw_keyz(w, "error");
	if (r->errlen > 0)
		jw_str(w, r->errmsg, r->errlen);
	else
		jw_strz(w, err_str(e));
	jw_obj_close(w);
	q->status = rp->status;
}

/* Parameter errors name the parameter and what is wrong with it. */
static enum err
rec_param_error(struct req *r, const struct param *p, enum perr why)
{
	static const char *const what[] = {
		[PE_MISSING] = "is missing",
		[PE_EMPTY] = "is empty",
		[PE_LONG] = "is too long",
		[PE_CTL] = "holds a control character",
		[PE_UTF8] = "is not UTF-8",
		[PE_INVALID] = "is invalid",
	};

	return req_error(r, E_BADREQ, "'%s' %s", p->name, what[why]);
}

static const struct doc_auth token_doc = {
	.id = "recordingsToken",
	.type = "apiKey",
	.in = "header",
	.param = "X-Auth-Token",
	.text = "A token with the recordings scope; audio also takes a "
		"signed URL's parameters.",
};

static const struct doc_auth *const auths[] = { &token_doc, NULL };

/* Every row is served at the root and under /recording. */
static const char *const servers[] = { "/", "/recording", NULL };

static const struct dialect_doc doc = {
	.text = "The recording server's REST resources (docs/recordings.md).",
	.servers = servers,
	.auth = auths,
};

const struct dialect rec_dialect = {
	.name = "recordings",
	.doc = &doc,
	.body_kinds = BODY_JSON,
	.families = families,
	.auth = rec_auth,
	.route = rec_route,
	.error = rec_error,
	.unknown = rec_unknown,
	.param_error = rec_param_error,
};
