/*
 * The ?cmd= dialect (elastix-api.md §1): authentication by the exact
 * Authorization header value, the command from the query string only,
 * and the {"error":...,"code":N} error shapes.
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "json.h"
#include "pv.h"
#include "reply.h"
#include "req.h"

/*
 * The CORS origin of the request's tenant; before authentication, that of
 * the tenant named by the vhost, else of the default tenant.
 */
static const char *
cors_origin(const struct req *r)
{
	const struct tenant *t = r->tenant;
	const char *name;

	if (t == NULL && (name = req_param(r, "PBXAPI_TENANT")) != NULL)
		t = conf_tenant(r->conf, name);
	if (t == NULL)
		t = conf_tenant(r->conf, "default");
	return t ? tenant_get(t, "CORS_ALLOWED_ORIGINS") : "*";
}

struct jw *
elastix_json(struct req *r, struct reply *rp, int status)
{
	struct jw *w = reply_json(rp, JW_PHP);

	reply_status(rp, status);
	reply_header(rp, "Access-Control-Allow-Origin", cors_origin(r));
	return w;
}

void
elastix_text(struct req *r, struct reply *rp, const char *s, size_t n)
{
	reply_text(rp, "text/plain;charset=UTF-8", s, n);
	reply_header(rp, "Access-Control-Allow-Origin", cors_origin(r));
}

enum err
elastix_status(struct req *r, struct reply *rp, const char *status)
{
	struct jw *w = elastix_json(r, rp, 200);

	jw_obj_open(w);
	jw_keyz(w, "status");
	jw_strz(w, status);
	jw_keyz(w, "code");
	jw_int(w, 200);
	jw_obj_close(w);
	return E_OK;
}

/*
 * The key is the whole Authorization value (no "Bearer"); nginx has
 * already stripped surrounding whitespace.  A vhost can pin the tenant
 * with fastcgi_param PBXAPI_TENANT; a token of another tenant then fails.
 */
static enum err
elastix_auth(struct req *r)
{
	const char *key = req_param(r, "HTTP_AUTHORIZATION"), *pin;
	const struct tenant *fixed = NULL;
	const struct token *tk;

	pin = req_param(r, "PBXAPI_TENANT");
	if (pin != NULL && *pin != '\0' &&
	    (fixed = conf_tenant(r->conf, pin)) == NULL)
		return req_error(r, E_UNAUTH, "unknown tenant '%s'", pin);
	if (key == NULL || *key == '\0')
		return E_UNAUTH;
	tk = conf_token(r->conf, key, strlen(key));
	if (tk == NULL || (fixed != NULL && tk->tenant != fixed))
		return E_UNAUTH;
	r->tenant = tk->tenant;
	r->scopes = tk->scopes;
	r->token = tk;
	r->token_id = tk->id;
	return E_OK;
}

/* cmd = (string)$_GET['cmd'], from the query string only. */
static enum err
elastix_route(struct req *r, const char **name, size_t *len)
{
	const struct pv *v;
	enum err e;

	if ((e = req_parse_query(r)) != E_OK)
		return e;
	v = pv_getz(r->get, "cmd");
	if (v == NULL)
		return req_error(r, E_BADREQ, "cmd parameter is required");
	*name = pv_to_str(r->arena, v, len);
	if (*len == 0)
		return req_error(r, E_BADREQ, "cmd parameter is required");
	return E_OK;
}

static enum err
elastix_unknown(struct req *r, const char *name, size_t n)
{
	return req_error_bytes(r, E_NOTFOUND, "Unknown command: ", name, n);
}

static int
elastix_code(enum err e)
{
	switch (e) {
	case E_TIMEOUT:
	case E_PROTO:
		return 503; /* RuntimeException in the reference */
	default:
		return err_status(e);
	}
}

static void
elastix_error(struct req *r, struct reply *rp, enum err e)
{
	int code = elastix_code(e);
	const char *msg = r->errmsg;
	size_t len = r->errlen;
	struct jw *w;

	/* Why authentication failed is for the log, never the client. */
	if (code == 401)
		msg = "Unauthorized";
	else if (code == 500)
		msg = "Internal server error";
	else if (len == 0)
		msg = err_str(e);
	if (msg != r->errmsg)
		len = strlen(msg);
	w = elastix_json(r, rp, code);
	jw_obj_open(w);
	jw_keyz(w, "error");
	/* The echoed cmd may be invalid UTF-8: then the body is empty. */
	jw_str(w, msg, len);
	jw_keyz(w, "code");
	jw_int(w, code);
	jw_obj_close(w);
}

static const struct family *const families[] = {
	&system_family,
	&pbxinfo_family,
	&ari_family,
	&ami_family,
	&recordings_family,
	&cdr_family,
	&extension_family,
	&followme_family,
	&queues_db_family,
	NULL,
};

static const struct doc_auth key_auth = {
	.id = "elastixKey",
	.type = "apiKey",
	.in = "header",
	.param = "Authorization",
	.text = "A token of the tokens setting, the header's whole value.",
};

static const struct doc_auth *const auths[] = { &key_auth, NULL };

static const struct dialect_doc doc = {
	.text = "The Elastix/Issabel api.php: the command is the query's cmd, "
		"its parameters are POST form fields (docs/elastix.md).",
	.path = "/api/api.php",
	.key = "cmd",
	.key_src = SRC_QUERY,
	.auth = auths,
};

const struct dialect elastix_dialect = {
	.name = "elastix",
	.doc = &doc,
	.body_kinds = BODY_FORM,
	.families = families,
	.auth = elastix_auth,
	.route = elastix_route,
	.error = elastix_error,
	.unknown = elastix_unknown,
};
