/*
 * originate and originateWithId over the event socket (see esl.c):
 *
 *	bgapi originate {origination_uuid=<id>,originate_timeout=<s>
 *	    [,origination_caller_id_name=..][,origination_caller_id_number=..]
 *	    [,<variable>=<value>...]}<dial string> <extension> XML <domain>
 *
 * or "&park()" in place of "<extension> XML <domain>" when the client
 * names an application (ARI's Stasis: the parked channel waits for the
 * channel operations).  bgapi, because ARI answers at once with the
 * channel's snapshot, before anyone picks up.  The dial string reaches
 * the tenant's domain only (aesl_endpoint), and every name and value in
 * the {...} block passed aesl_v_brace/aesl_var_settable, so nothing a
 * client sends can end the block, add an argument or leave the domain.
 */
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ari_dialect.h"
#include "ari_esl.h"
#include "esl.h"
#include "fusionpbx.h"
#include "php/pv.h"

#define ORIGINATE_TIMEOUT 30 /* ARI's default, seconds */

/* What the originate becomes. */
struct orig {
	const char *id, *dial, *exten, *target;
	const char *cid_name, *cid_num;
	const char *vars; /* the {...} block's inside */
};

/* Appends name=value to the block; a value with blanks is quoted. */
static void
add_var(
    struct req *r, struct orig *o, const char *name, const char *v, size_t n)
{
	const char *q = memchr(v, ' ', n) != NULL ? "'" : "";

	o->vars = arena_printf(
	    r->arena, "%s,%s=%s%.*s%s", o->vars, name, q, (int)n, v, q);
}

/* ARI's CALLERID() names, the one dialplan function honoured. */
static const char *
var_alias(const char *key)
{
	if (strcmp(key, "CALLERID(name)") == 0)
		return "origination_caller_id_name";
	if (strcmp(key, "CALLERID(num)") == 0 ||
	    strcmp(key, "CALLERID(number)") == 0)
		return "origination_caller_id_number";
	return key;
}

/* One entry of the body's "variables" (checked by channels.c). */
static enum err
variable(struct req *r, struct orig *o, const struct pv_ent *e)
{
	const struct pv *v = &e->val;
	const char *name;

	if (e->klen == 0)
		return E_OK; /* Asterisk skips them too */
	if (v->type == PV_ARR)
		v = pv_getz(v, "value");
	name = var_alias(e->key);
	if (strchr(name, '(') != NULL)
		return ari_fail(r, E_NOTSUP, 501, NULL,
		    "Dialplan functions are not supported by the event "
		    "socket backend");
	if ((name == e->key && strlen(e->key) != e->klen) ||
	    aesl_v_varname(name, strlen(name)) == -1)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Invalid variable '%.64s': letters, digits, '_' and '-'",
		    name);
	if (name == e->key && !aesl_var_settable(name))
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Variable '%s' may not be set through the event socket "
		    "backend",
		    name);
	if (aesl_v_brace(v->u.str.s, v->u.str.len) == -1)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Invalid value for variable '%s': no quotes, backslashes, "
		    "control characters, '${' or any of , { } [ ] < > ^ |",
		    name);
	add_var(r, o, name, v->u.str.s, v->u.str.len);
	return E_OK;
}

/* callerId, timeout and the body's variables into o->vars. */
static enum err
block(struct req *r, struct orig *o)
{
	const struct arg *cid = aesl_arg(r, "callerId");
	const struct arg *to = aesl_arg(r, "timeout");
	const struct pv *vars = pv_getz(r->post, "variables");
	const struct pv_ent *e;
	int64_t t = to != NULL ? to->i : 0;
	enum err rc;

	o->vars = arena_printf(r->arena, "origination_uuid=%s", o->id);
	/* ARI: -1 waits for ever (FreeSWITCH's own limit), 0 is 30 s. */
	if (t != -1)
		o->vars = arena_printf(r->arena, "%s,originate_timeout=%lld",
		    o->vars, (long long)(t > 0 ? t : ORIGINATE_TIMEOUT));
	if (cid != NULL) {
		aesl_callerid(r->arena, cid->s, &o->cid_name, &o->cid_num);
		if (aesl_v_brace(o->cid_name, strlen(o->cid_name)) == -1 ||
		    aesl_v_brace(o->cid_num, strlen(o->cid_num)) == -1)
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Invalid callerId: no quotes, backslashes, control "
			    "characters, '${' or any of , { } [ ] < > ^ |");
		if (*o->cid_name != '\0')
			add_var(r, o, "origination_caller_id_name", o->cid_name,
			    strlen(o->cid_name));
		if (*o->cid_num != '\0')
			add_var(r, o, "origination_caller_id_number",
			    o->cid_num, strlen(o->cid_num));
	}
	if (vars == NULL || vars->type != PV_ARR)
		return E_OK;
	for (e = vars->u.arr->head; e != NULL; e = e->next)
		if ((rc = variable(r, o, e)) != E_OK)
			return rc;
	return E_OK;
}

/* Endpoint, destination and context: all within the domain. */
static enum err
destination(struct req *r, struct aesl_ctx *x, struct orig *o)
{
	const struct arg *ep = aesl_arg(r, "endpoint");
	const struct arg *ext = aesl_arg(r, "extension");
	const struct arg *ctx = aesl_arg(r, "context");
	char why[160];

	if (ep == NULL)
		return ari_fail(
		    r, E_BADREQ, 400, NULL, "Endpoint must be specified");
	if (aesl_endpoint(r->arena, ep->s, x->domain, &o->dial, &o->exten, why,
		sizeof(why)) == -1)
		return ari_fail(r, E_BADREQ, 400, NULL, "%s", why);
	if (ctx != NULL && strcasecmp(ctx->s, x->domain) != 0)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Context '%.80s' is outside this tenant's domain; "
		    "the event socket backend uses '%s'",
		    ctx->s, x->domain);
	/* As in Asterisk, an application wins over an extension. */
	if (aesl_arg(r, "app") != NULL) {
		o->exten = "";
		o->target = "&park()";
		return E_OK;
	}
	if (ext == NULL || !esl_dial_token_ok(ext->s, ext->len))
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Invalid extension: the event socket backend takes "
		    "letters, digits and _.*#+-");
	o->exten = ext->s;
	o->target = arena_printf(r->arena, "%s XML %s", ext->s, x->domain);
	return E_OK;
}

/* A channel id the client chose must not be in use (409). */
static enum err
id_free(struct req *r, const char *id)
{
	char *body;
	size_t n;
	enum err e;

	e = aesl_api(
	    r, arena_printf(r->arena, "uuid_exists %s", id), &body, &n);
	if (e != E_OK)
		return e;
	if (strncmp(body, "true", 4) == 0)
		return ari_fail(r, E_CONFLICT, 409, NULL,
		    "Channel with given unique ID already exists");
	return E_OK;
}

static void
snapshot(struct reply *rp, struct aesl_ctx *x, const struct orig *o)
{
	struct aesl_chan c = { .uuid = o->id,
		.direction = "outbound",
		.created_epoch = "",
		.name = o->dial,
		.state = "",
		.cid_name = o->cid_name,
		.cid_num = o->cid_num,
		.callee_name = "",
		.callee_num = "",
		.dest = o->exten,
		.application = "",
		.application_data = "",
		.context = x->domain,
		.presence_id = "",
		.callstate = "DOWN" };

	aesl_new_channel_json(ari_reply_json(rp, 200), &c);
}

enum err
aesl_originate(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	struct orig o = { .cid_name = "", .cid_num = "" };
	char id[FPX_UUID_LEN + 1];
	enum err e;

	if (x->id == NULL)
		fpx_uuid_new(id);
	o.id = x->id != NULL ? x->id : id;
	if ((e = destination(r, x, &o)) != E_OK || (e = block(r, &o)) != E_OK)
		return e;
	if (x->id != NULL && (e = id_free(r, x->id)) != E_OK)
		return e;
	e = aesl_bgapi(r,
	    arena_printf(
		r->arena, "originate {%s}%s %s", o.vars, o.dial, o.target));
	if (e != E_OK)
		return e;
	snapshot(rp, x, &o);
	return E_OK;
}
