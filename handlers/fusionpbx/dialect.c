/*
 * The {"action": ...} dialect (fusionpbx.md §1, §2): HTTP Basic
 * key_uuid:secret checked against FusionPBX's rest_api_keys (bcrypt,
 * properly), the JSON body decoded as PHP's json_decode does, the action
 * looked up in the fixed table of nine (no file is ever included), the
 * reference's required-parameter rule (PHP-falsy is missing, the last
 * missing name is reported) and its error shapes.
 *
 * The tenant is the one whose FusionPBX database holds the key: the one
 * the vhost pins with PBXAPI_TENANT, else the first of the tenants that
 * serve this dialect, in configuration order, that knows the key id.
 */
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "fusionpbx.h"
#include "json.h"
#include "log.h"
#include "phpin.h"
#include "pv.h"
#include "reply.h"
#include "req.h"

struct jw *
fpx_json(struct reply *rp, int status)
{
	struct jw *w = reply_json(rp, JW_PHP);

	reply_status(rp, status);
	return w;
}

enum err
fpx_false(struct reply *rp)
{
	jw_bool(fpx_json(rp, 200), 0);
	return E_OK;
}

const char *
fpx_arg(const struct req *r, size_t i)
{
	return r->args[i].present ? r->args[i].s : NULL;
}

int
fpx_truthy(const struct req *r, size_t i)
{
	return r->args[i].present && !pv_empty(r->args[i].v);
}

/*
 * Splits "Basic base64(user:password)" as PHP does for PHP_AUTH_USER and
 * PHP_AUTH_PW (lenient base64, the user up to the first ':'), except that
 * the password is not cut at a NUL byte: the key check refuses a secret
 * holding one.  Returns 0 or -1 (no credentials).
 */
static int
basic_auth(struct req *r, const char **user, size_t *ulen, const char **pw,
    size_t *pwlen)
{
	const char *h = req_param(r, "HTTP_AUTHORIZATION"), *colon;
	char *dec;
	size_t n;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	dec = fpx_base64_decode(r->arena, h + 6, strlen(h + 6), &n);
	if ((colon = memchr(dec, ':', n)) == NULL)
		return -1;
	*user = dec;
	*ulen = (size_t)(colon - dec);
	/* All of it: PHP cut the password at a NUL (docs/COMPAT.md). */
	*pw = colon + 1;
	*pwlen = n - *ulen - 1;
	return 0;
}

/* Tries the key in one tenant; keeps the first backend error. */
static enum err
try_tenant(struct req *r, const struct tenant *t, const char *key,
    const char *pw, size_t pwlen, enum err *backend_err, char *msg,
    size_t msglen)
{
	enum err e = fpx_key_check(r, t, key, pw, pwlen);

	if (e == E_OK || e == E_UNAUTH || e == E_NOTFOUND)
		return e;
	if (*backend_err == E_OK) {
		*backend_err = e;
		memcpy(msg, r->errmsg,
		    msglen < sizeof(r->errmsg) ? msglen : sizeof(r->errmsg));
	}
	return E_NOTFOUND;
}

static enum err
fpx_auth(struct req *r)
{
	const char *user, *pw, *pin = req_param(r, "PBXAPI_TENANT");
	char key[FPX_UUID_LEN + 1], msg[LIM_ERRMSG];
	const struct tenant *fixed = NULL;
	enum err e = E_NOTFOUND, berr = E_OK;
	size_t ulen, pwlen, i;

	if (pin != NULL && *pin != '\0' &&
	    (fixed = conf_tenant(r->conf, pin)) == NULL)
		return req_error(r, E_UNAUTH, "unknown tenant '%s'", pin);
	if (fixed != NULL && !fpx_tenant_enabled(r, fixed))
		return req_error(
		    r, E_UNAUTH, "tenant '%s' has no FusionPBX settings", pin);
	/* A key id that is no uuid is refused without a query. */
	if (basic_auth(r, &user, &ulen, &pw, &pwlen) == -1 ||
	    fpx_uuid_parse(user, ulen, key) == -1)
		return E_UNAUTH;
	if (fixed != NULL)
		e = try_tenant(
		    r, fixed, key, pw, pwlen, &berr, msg, sizeof(msg));
	for (i = 0; fixed == NULL && i < r->conf->ntenants; i++) {
		if (!fpx_tenant_enabled(r, &r->conf->tenants[i]))
			continue;
		e = try_tenant(r, &r->conf->tenants[i], key, pw, pwlen, &berr,
		    msg, sizeof(msg));
		if (e != E_NOTFOUND)
			break;
	}
	if (e == E_OK)
		return E_OK;
	if (e == E_NOTFOUND && berr != E_OK)
		return req_error(r, berr, "%s", msg);
	log_info("key '%s' refused", key);
	return E_UNAUTH;
}

/*
 * The parameter errors in the reference's words: a missing one is the
 * nested {"error":{"error":"missing required parameter(s)",...}} (PHP 7's
 * ensure_parameters() names the last one missing), an unfit value
 * "invalid <name>" (fusionpbx.md §5).
 */
static enum err
fpx_param_error(struct req *r, const struct param *p, enum perr why)
{
	struct fpx_req *x = r->dctx;

	switch (why) {
	case PE_MISSING:
		x->shape = FPX_SHAPE_MISSING;
		return req_error(r, E_BADREQ, "%s", p->name);
	case PE_CTL:
	case PE_INVALID:
		return req_error(r, E_BADREQ, "invalid %s", p->name);
	default:
		return E_OK;
	}
}

/*
 * The action of the decoded body (D_BODY_FIRST), lower-cased; no
 * app_api.php is ever included (§3.10, §5 #5).
 */
static enum err
fpx_route(struct req *r, const char **name, size_t *len)
{
	struct fpx_req *x = r->dctx;
	const struct pv *action;
	char *lower;
	size_t i;

	action = pv_getz(r->post, "action");
	if (pv_empty(action)) {
		x->shape = FPX_SHAPE_MISSING;
		return req_error(r, E_BADREQ, "action");
	}
	if (!pv_empty(pv_getz(r->post, "app"))) {
		x->shape = FPX_SHAPE_NOAPP;
		return E_BADREQ;
	}
	*name = pv_to_str(r->arena, action, len);
	lower = arena_strndup(r->arena, *name, *len);
	for (i = 0; i < *len; i++)
		if (lower[i] >= 'A' && lower[i] <= 'Z')
			lower[i] = (char)(lower[i] - 'A' + 'a');
	*name = lower;
	return E_OK;
}

static enum err
fpx_unknown(struct req *r, const char *name, size_t n)
{
	(void)name;
	(void)n;
	return req_error(r, E_BADREQ, "unknown action");
}

/* {"error":{"error":"<what>"[,"missing_parameters":"<which>"]}} */
static void
nested(struct jw *w, const char *what, const char *which, size_t n)
{
	jw_obj_open(w);
	jw_keyz(w, "error");
	jw_obj_open(w);
	jw_keyz(w, "error");
	jw_strz(w, what);
	if (which != NULL) {
		jw_keyz(w, "missing_parameters");
		jw_str(w, which, n);
	}
	jw_obj_close(w);
	jw_obj_close(w);
}

static void
fpx_error(struct req *r, struct reply *rp, enum err e)
{
	const char *msg = r->errlen > 0 ? r->errmsg : err_str(e);
	size_t n = r->errlen > 0 ? r->errlen : strlen(msg);
	const struct fpx_req *x = r->dctx;
	const char *word = NULL;
	struct jw *w;
	int status = err_status(e);

	if (x != NULL && x->shape != FPX_SHAPE_PLAIN) {
		nested(fpx_json(rp, 400),
		    x->shape == FPX_SHAPE_NOAPP
			? "unknown app"
			: "missing required parameter(s)",
		    x->shape == FPX_SHAPE_NOAPP ? NULL : msg, n);
		return;
	}
	if (e == E_UNAUTH || e == E_FORBIDDEN) {
		msg = e == E_UNAUTH ? "unauthorized" : "forbidden";
		n = strlen(msg);
	} else if (e == E_BACKEND || e == E_PROTO || e == E_TIMEOUT) {
		/* The reference's shape for a backend that failed (§3.8). */
		word = e == E_TIMEOUT ? "gateway_timeout"
				      : "internal_server_error";
		status = e == E_TIMEOUT ? 504 : 500;
	}
	w = fpx_json(rp, status);
	jw_obj_open(w);
	jw_keyz(w, "error");
	if (word != NULL) {
		jw_strz(w, word);
		jw_keyz(w, "message");
	}
	jw_str(w, msg, n);
	jw_obj_close(w);
}

static const struct family *const families[] = {
	&fusionpbx_read_family,
	&fusionpbx_create_family,
	&fusionpbx_call_family,
	NULL,
};

static const struct doc_auth basic_auth_doc = {
	.id = "fusionpbxBasic",
	.type = "http",
	.scheme = "basic",
	.text = "The API key's uuid as user name, its secret as password.",
};

static const struct doc_auth *const auths[] = { &basic_auth_doc, NULL };

static const struct dialect_doc doc = {
	.text = "FusionPBX's rest_api: the command is the JSON body's action "
		"(compared without case), its parameters the body's other "
		"members (docs/fusionpbx.md).",
	.path = "/app/rest_api/rest.php",
	.key = "action",
	.key_src = SRC_BODY,
	.auth = auths,
};

const struct dialect fusionpbx_dialect = {
	.name = "fusionpbx",
	.doc = &doc,
	.body_kinds = BODY_JSON_INPUT,
	.flags = D_BODY_FIRST | D_PARAMS_FIRST | D_PHP_EMPTY | D_JSON_SCALARS,
	.families = families,
	.auth = fpx_auth,
	.route = fpx_route,
	.error = fpx_error,
	.unknown = fpx_unknown,
	.param_error = fpx_param_error,
};
