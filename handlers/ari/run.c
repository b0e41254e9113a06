/*
 * How an /ari/channels operation runs (the rows are in channels.c):
 * ARI's rules across parameters, in Asterisk's order, then the tenant's
 * backend: on ARI the validated arguments, and nothing else, are sent
 * on to Asterisk and its reply passed back as it came; an AMI-only
 * Asterisk or FreeSWITCH get the translations of ami.c and esl.c.
 */
#include <string.h>

#include "ari_dialect.h"
#include "ari_model.h"
#include "arena.h"
#include "asterisk.h"
#include "buf.h"
#include "conf.h"
#include "fusionpbx.h"
#include "json.h"
#include "log.h"
#include "php/pv.h"
#include "reply.h"
#include "str.h"

/* ---- rules across parameters (Asterisk's order) ---- */

const struct arg *
ari_arg(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->cmd->nparams; i++)
		if (strcmp(r->cmd->params[i].name, name) == 0)
			return r->args[i].present ? &r->args[i] : NULL;
	return NULL;
}

/*
 * originate's "variables": an object of strings, or of {"value": string,
 * "report_events": boolean}, with Asterisk's texts.  Keys and values
 * must not hold a control byte: they become channel variables.
 */
static enum err
check_variables(struct req *r, const struct pv *vars)
{
	const struct pv_ent *e;
	const struct pv *val, *rep;

	if (vars == NULL || vars->type != PV_ARR)
		return vars == NULL
		    ? E_OK
		    : ari_fail(r, E_BADREQ, 400, NULL,
			  "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'");
	for (e = vars->u.arr->head; e != NULL; e = e->next) {
		val = &e->val;
		if (val->type == PV_ARR) {
			rep = pv_getz(val, "report_events");
			val = pv_getz(val, "value");
			if (val == NULL || val->type != PV_STR)
				return ari_fail(r, E_BADREQ, 400, NULL,
				    "Each object value in 'variables' must include string field 'value'");
			if (rep != NULL && rep->type != PV_BOOL)
				return ari_fail(r, E_BADREQ, 400, NULL,
				    "Field 'report_events' in 'variables' entries must be boolean");
		} else if (val->type != PV_STR)
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'");
		if (strpbrk(e->key, "\r\n") != NULL ||
		    memchr(e->key, '\0', e->klen) != NULL ||
		    memchr(val->u.str.s, '\0', val->u.str.len) != NULL ||
		    memchr(val->u.str.s, '\r', val->u.str.len) != NULL ||
		    memchr(val->u.str.s, '\n', val->u.str.len) != NULL)
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Invalid variable '%s'", e->key);
	}
	return E_OK;
}

static enum err
cross_checks(struct req *r)
{
	const char *c = r->cmd->name;
	const struct arg *spy, *whisper;

	if (strcmp(c, "originate") == 0 || strcmp(c, "originateWithId") == 0 ||
	    strcmp(c, "create") == 0) {
		if (check_variables(r, pv_getz(r->post, "variables")) != E_OK)
			return E_BADREQ;
		if (ari_arg(r, "originator") && ari_arg(r, "formats"))
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Originator and formats can't both be specified");
		if (strcmp(c, "create") != 0 && !ari_arg(r, "app") &&
		    !ari_arg(r, "extension"))
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Application or extension must be specified");
	}
	if (strcmp(c, "externalMedia") == 0 &&
	    check_variables(r, pv_getz(r->post, "variables")) != E_OK)
		return E_BADREQ;
	if (strcmp(c, "setChannelVars") == 0 &&
	    check_variables(r, pv_getz(r->post, "variables")) != E_OK)
		return E_BADREQ;
	if (strcmp(c, "hangup") == 0 && ari_arg(r, "reason") &&
	    ari_arg(r, "reason_code"))
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "The reason and reason_code can't both be specified");
	if (strncmp(c, "snoopChannel", 12) == 0) {
		spy = ari_arg(r, "spy");
		whisper = ari_arg(r, "whisper");
		if ((spy == NULL || strcmp(spy->s, "none") == 0) &&
		    (whisper == NULL || strcmp(whisper->s, "none") == 0))
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Direction must be specified for at least spy or whisper");
	}
	return E_OK;
}

/* ---- backends ---- */

/*
 * ARI_BACKEND: "ari", "ami" or "esl"; unset or "auto": ARI when
 * ARI_ENABLED, the event socket for a tenant with FUSIONPBX_* settings,
 * else AMI.  (The FusionPBX dialect also serves a lone default tenant
 * without them; for ARI that tenant is an Asterisk's, AMI.)
 */
enum ari_backend
ari_backend(struct req *r)
{
	const char *b = tenant_get(r->tenant, "ARI_BACKEND");

	if (b != NULL && strcmp(b, "ari") == 0)
		return ARI_BE_ARI;
	if (b != NULL && strcmp(b, "ami") == 0)
		return ARI_BE_AMI;
	if (b != NULL && strcmp(b, "esl") == 0)
		return ARI_BE_ESL;
	if (tenant_getbool(r->tenant, "ARI_ENABLED"))
		return ARI_BE_ARI;
	return fpx_tenant_has_keys(r->tenant) ? ARI_BE_ESL : ARI_BE_AMI;
}

/* ---- the ARI backend ---- */

/* The path under /ari with the path parameters, percent-encoded. */
static int
backend_path(struct req *r, const struct cmd *c, struct buf *b)
{
	const char *t = c->path, *end;
	const struct pv *v;

	while (*t != '\0') {
		if (*t != '{') {
			end = t + strcspn(t, "{");
			if (buf_add(b, t, (size_t)(end - t)) == -1)
				return -1;
			t = end;
			continue;
		}
		end = strchr(t, '}');
		v = pv_get(r->pathargs, t + 1, (size_t)(end - t - 1));
		if (v == NULL || v->type != PV_STR ||
		    url_encode(b, v->u.str.s, v->u.str.len) == -1)
			return -1;
		t = end + 1;
	}
	return 0;
}

/*
 * The query: every argument the request gave that is not in the path,
 * nor pbxapi's own (list's fresh: Asterisk ignores a parameter it does
 * not know, but it is no business of the backend's).
 */
static int
backend_query(struct req *r, struct buf *b)
{
	const struct param *p;
	char sep = '?';
	size_t i;

	for (i = 0; i < r->cmd->nparams; i++) {
		p = &r->cmd->params[i];
		/* list's fresh is pbxapi's own: never sent on. */
		if (p->src == SRC_PATH || p->src == SRC_BODY ||
		    !r->args[i].present ||
		    (r->cmd->run == ari_op_list &&
			strcmp(p->name, "fresh") == 0))
			continue;
		if (buf_addc(b, sep) == -1 || buf_adds(b, p->name) == -1 ||
		    buf_addc(b, '=') == -1 ||
		    url_encode(b, r->args[i].s, r->args[i].len) == -1)
			return -1;
		sep = '&';
	}
	return 0;
}

/* {"variables": {...}} as the request gave it (checked). */
static const char *
backend_body(struct req *r, size_t *n)
{
	const struct pv *vars = pv_getz(r->post, "variables"), *val, *rep;
	const struct pv_ent *e;
	struct buf b;
	struct jw w;
	char *out;

	if (vars == NULL || vars->type != PV_ARR)
		return NULL;
	buf_init(&b, 1024 * 1024);
	jw_init(&w, &b, JW_UTF8);
	jw_obj_open(&w);
	jw_keyz(&w, "variables");
	jw_obj_open(&w);
	for (e = vars->u.arr->head; e != NULL; e = e->next) {
		jw_key(&w, e->key, e->klen);
		if (e->val.type == PV_STR) {
			jw_str(&w, e->val.u.str.s, e->val.u.str.len);
			continue;
		}
		val = pv_getz(&e->val, "value");
		rep = pv_getz(&e->val, "report_events");
		jw_obj_open(&w);
		jw_keyz(&w, "value");
		jw_str(&w, val->u.str.s, val->u.str.len);
		if (rep != NULL) {
			jw_keyz(&w, "report_events");
			jw_bool(&w, rep->u.b);
		}
		jw_obj_close(&w);
	}
	jw_obj_close(&w);
	jw_obj_close(&w);
	out = arena_strndup(r->arena, b.data, b.len);
	*n = b.len;
	buf_free(&b);
	return out;
}

/* Passes Asterisk's reply on: status line, Location, body. */
static enum err
pass_back(struct reply *rp, const struct ari_raw *x)
{
	reply_status_reason(rp, (int)x->status, x->reason);
	reply_header(rp, "Cache-Control", "no-cache, no-store");
	if (x->location != NULL)
		reply_header(rp, "Location", x->location);
	if (x->n > 0)
		reply_text(rp, "application/json", x->body, x->n);
	return E_OK;
}

static enum err
run_backend(struct req *r, struct reply *rp)
{
	struct ari_call call = { .method = r->method };
	struct ari_raw x;
	struct ari_err e;
	struct buf path;
	enum err rc;

	if ((rc = cross_checks(r)) != E_OK)
		return rc;
	switch (ari_backend(r)) {
	case ARI_BE_AMI:
		return ari_ami_run(r, rp);
	case ARI_BE_ESL:
		return ari_esl_run(r, rp);
	default:
		break;
	}
	buf_init(&path, 64 * 1024);
	if (backend_path(r, r->cmd, &path) == -1 ||
	    backend_query(r, &path) == -1) {
		buf_free(&path);
		return ari_fail(r, E_BADREQ, 400, NULL, "Request too large");
	}
	call.path = arena_strndup(r->arena, path.data, path.len);
	buf_free(&path);
	call.body = backend_body(r, &call.n);
	rc = ast_ari_forward(r, &call, &x, &e);
	if (rc != E_OK) {
		r->unsure = e.sent;
		log_warnx("ari backend: %.*s", (int)e.len, e.msg);
		return ari_fail(r, E_BACKEND, 503, NULL,
		    "Asterisk REST Interface unavailable");
	}
	/* Asterisk without ARI (res_ari not loaded) answers HTML. */
	if (x.status == 404 && x.n > 0 && x.body[0] == '<') {
		log_warnx("ari backend: HTML 404, is res_ari loaded?");
		return ari_fail(r, E_BACKEND, 503, NULL,
		    "Asterisk REST Interface unavailable");
	}
	return pass_back(rp, &x);
}

/* An origination runs once per Idempotency-Key (idem.c). */
enum err
ari_op_run(struct req *r, struct reply *rp)
{
	if (r->cmd->flags & C_ORIGINATE)
		return ari_idempotent(r, rp, run_backend);
	return run_backend(r, rp);
}

/*
 * GET /ari/channels: from the event companion's live state unless
 * fresh=1 (live.c), else as every operation.
 */
enum err
ari_op_list(struct req *r, struct reply *rp)
{
	const struct arg *fresh = ari_arg(r, "fresh");

	if (ari_live_list(r, rp, fresh != NULL && ari_true(fresh->s)))
		return E_OK;
	return ari_op_run(r, rp);
}
