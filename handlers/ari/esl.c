/*
 * The ARI channels operations over the FreeSWITCH event socket, for a
 * FusionPBX tenant (docs/ari.md, "Event socket backend").  A tenant is
 * one FusionPBX domain (FUSIONPBX_DOMAIN): it sees and touches only the
 * channels FusionPBX placed in that domain, and whatever it originates
 * runs there.  Every argument is checked before the first byte goes to
 * FreeSWITCH; an operation FreeSWITCH has no equivalent for, or an
 * argument it cannot honour, is 501.
 */
#include <string.h>
#include <strings.h>

#include "ari_dialect.h"
#include "ari_esl.h"
#include "conf.h"
#include "esl.h"
#include "fusionpbx.h"
#include "json.h"
#include "log.h"
#include "netio.h"
#include "php/pv.h"
#include "reply.h"

/* ---- the event socket ---- */

static enum err
unavailable(struct req *r)
{
	return ari_fail(
	    r, E_BACKEND, 503, NULL, "FreeSWITCH event socket unavailable");
}

/* The verdict on an esl_api/esl_bgapi result e. */
static enum err
sent(struct req *r, struct esl *c, enum err e, const char *why)
{
	if (e == E_OK)
		return E_OK;
	if (e == E_BADREQ)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Request too large for the event socket");
	log_warnx("tenant '%s': %s: event socket: %s", r->tenant->name,
	    r->cmd->name, why);
	r->unsure = e == E_TIMEOUT;
	if (esl_broken(c))
		fpx_esl_drop(r);
	return unavailable(r);
}

enum err
aesl_api(struct req *r, const char *cmd, char **body, size_t *n)
{
	struct esl *c;
	char why[256];
	enum err e;

	if (fpx_esl(r, &c) != E_OK)
		return unavailable(r);
	req_op(r, "esl api");
	e = esl_api(c, cmd, net_deadline(r->conf->backend_ms), r->arena, body,
	    n, why, sizeof(why));
	return sent(r, c, e, why);
}

enum err
aesl_bgapi(struct req *r, const char *cmd)
{
	char job[FPX_UUID_LEN + 1], why[256];
	struct esl *c;
	enum err e;

	if (fpx_esl(r, &c) != E_OK)
		return unavailable(r);
	fpx_uuid_new(job);
	req_op(r, "esl bgapi");
	e = esl_bgapi(
	    c, cmd, job, net_deadline(r->conf->backend_ms), why, sizeof(why));
	return sent(r, c, e, why);
}

/* ---- channels ---- */

static enum err
not_found(struct req *r)
{
	/* getChannelVar words it as Asterisk's variable code does. */
	if (strcmp(r->cmd->name, "getChannelVar") == 0)
		return ari_fail(r, E_NOTFOUND, 404, "Channel Not Found",
		    "Provided channel was not found");
	return ari_fail(r, E_NOTFOUND, 404, NULL, "Channel not found");
}

/* FreeSWITCH's channels, of every domain. */
static enum err
channels(struct req *r, struct aesl_chan **rows, int *n)
{
	char *body;
	size_t len;
	enum err e;

	if ((e = aesl_api(r, "show channels as json", &body, &len)) != E_OK)
		return e;
	if ((*n = aesl_parse_channels(r->arena, body, len, rows)) < 0) {
		log_warnx("tenant '%s': show channels: not a channel list: "
			  "%.80s",
		    r->tenant->name, body);
		return ari_fail(
		    r, E_PROTO, 500, NULL, "Unexpected reply from FreeSWITCH");
	}
	return E_OK;
}

enum err
aesl_find(struct req *r, struct aesl_ctx *x)
{
	struct aesl_chan *rows;
	enum err e;
	int i, n;

	if ((e = channels(r, &rows, &n)) != E_OK)
		return e;
	for (i = 0; i < n; i++)
		if (strcmp(rows[i].uuid, x->id) == 0 &&
		    aesl_in_domain(&rows[i], x->domain)) {
			x->ch = rows[i];
			return E_OK;
		}
	return not_found(r);
}

enum err
aesl_command(struct req *r, struct aesl_ctx *x, const char *cmd)
{
	static const char gone[] = "-ERR No such channel";
	char *body;
	size_t n;
	enum err e;

	(void)x;
	if ((e = aesl_api(r, cmd, &body, &n)) != E_OK)
		return e;
	if (n >= 3 && strncmp(body, "+OK", 3) == 0)
		return E_OK;
	if (n >= sizeof(gone) - 1 &&
	    strncasecmp(body, gone, sizeof(gone) - 1) == 0)
		return not_found(r);
	log_warnx("tenant '%s': '%s': FreeSWITCH answered '%.*s'",
	    r->tenant->name, cmd, (int)strcspn(body, "\n"), body);
	return ari_fail(
	    r, E_INTERNAL, 500, NULL, "FreeSWITCH refused the operation");
}

/* ---- replies ---- */

const struct arg *
aesl_arg(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->cmd->nparams; i++)
		if (strcmp(r->cmd->params[i].name, name) == 0)
			return r->args[i].present && r->args[i].len > 0
			    ? &r->args[i]
			    : NULL;
	return NULL;
}

const char *
aesl_setting(const struct req *r, const char *key, const char *def)
{
	const char *v = tenant_get(r->tenant, key);

	return v != NULL && *v != '\0' ? v : def;
}

/* ---- list and get ---- */

static enum err
list(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	struct aesl_chan *rows;
	struct jw *w;
	enum err e;
	int i, n;

	if ((e = channels(r, &rows, &n)) != E_OK)
		return e;
	w = ari_reply_json(rp, 200);
	jw_arr_open(w);
	for (i = 0; i < n; i++)
		if (aesl_in_domain(&rows[i], x->domain))
			aesl_channel_json(w, &rows[i]);
	jw_arr_close(w);
	return E_OK;
}

static enum err
get(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	enum err e;

	if ((e = aesl_find(r, x)) != E_OK)
		return e;
	aesl_channel_json(ari_reply_json(rp, 200), &x->ch);
	return E_OK;
}

/* ---- the operations ---- */

static const struct esl_op {
	const char *op;
	aesl_op *run; /* NULL: 501, why says why */
	const char *why;
} ops[] = {
	{ .op = "list", .run = list },
	{ .op = "originate", .run = aesl_originate },
	{ .op = "create",
	    .why = "FreeSWITCH cannot create a channel without dialling it; "
		   "use originate" },
	{ .op = "get", .run = get },
	{ .op = "originateWithId", .run = aesl_originate },
	{ .op = "hangup", .run = aesl_hangup },
	{ .op = "continueInDialplan", .run = aesl_continue },
	{ .op = "redirect", .run = aesl_redirect },
	{ .op = "answer", .run = aesl_simple },
	{ .op = "ring", .run = aesl_simple },
	{ .op = "ringStop",
	    .why = "FreeSWITCH cannot take back a ringing indication" },
	{ .op = "sendDTMF", .run = aesl_dtmf },
	{ .op = "mute", .run = aesl_mute },
	{ .op = "unmute", .run = aesl_mute },
	{ .op = "hold", .run = aesl_simple },
	{ .op = "unhold", .run = aesl_simple },
	{ .op = "startMoh", .run = aesl_moh },
	{ .op = "stopMoh", .run = aesl_simple },
	{ .op = "startSilence", .run = aesl_simple },
	{ .op = "stopSilence", .run = aesl_simple },
	{ .op = "play", .run = aesl_play },
	{ .op = "playWithId", .run = aesl_play },
	{ .op = "record", .run = aesl_record },
	{ .op = "getChannelVar", .run = aesl_getvar },
	{ .op = "setChannelVar", .run = aesl_setvar },
	{ .op = "snoopChannel",
	    .why = "a snoop channel needs a Stasis application or a bridge "
		   "to deliver its audio to, and FreeSWITCH has neither" },
	{ .op = "snoopChannelWithId",
	    .why = "a snoop channel needs a Stasis application or a bridge "
		   "to deliver its audio to, and FreeSWITCH has neither" },
	{ .op = "dial",
	    .why = "FreeSWITCH has no created, undialled channel to dial" },
};

/* Arguments FreeSWITCH cannot honour, unless they have these values. */
static const char *const one[] = { "1", NULL };
static const char *const zero[] = { "0", NULL };
static const char *const none[] = { "none", NULL };
static const char *const overwrite[] = { "overwrite", NULL };
static const char *const falses[] = { "no", "false", "n", "f", "0", "off",
	NULL };

static const struct nosup {
	const char *op; /* a prefix: "play" is also playWithId */
	const char *param;
	const char *const *ok; /* NULL: no value is honoured */
} nosups[] = {
	{ "originate", "label", NULL },
	{ "originate", "priority", one },
	{ "originate", "otherChannelId", NULL },
	{ "originate", "originator", NULL },
	{ "originate", "formats", NULL },
	{ "continueInDialplan", "label", NULL },
	{ "continueInDialplan", "priority", one },
	{ "sendDTMF", "before", zero },
	{ "sendDTMF", "after", zero },
	{ "play", "offsetms", zero },
	{ "record", "maxSilenceSeconds", zero },
	{ "record", "ifExists", overwrite },
	{ "record", "beep", falses },
	{ "record", "terminateOn", none },
};

/* Returns 1 if the argument has one of the values ok. */
static int
honoured(const struct arg *a, const char *const *ok)
{
	int num = strspn(a->s, "-0123456789") == a->len;

	/* Numbers by value ("00" is 0), words without case. */
	for (; ok != NULL && *ok != NULL; ok++)
		if (num && strspn(*ok, "0123456789") == strlen(*ok)
			? php_intval(a->s, a->len) ==
			    php_intval(*ok, strlen(*ok))
			: strcasecmp(a->s, *ok) == 0)
			return 1;
	return 0;
}

static enum err
unsupported(struct req *r)
{
	const struct nosup *u;
	const struct arg *a;

	for (u = nosups; u < nosups + nitems(nosups); u++) {
		if (strncmp(r->cmd->name, u->op, strlen(u->op)) != 0 ||
		    (a = aesl_arg(r, u->param)) == NULL || honoured(a, u->ok))
			continue;
		return ari_fail(r, E_NOTSUP, 501, NULL,
		    "%s=%.32s is not supported by the event socket backend",
		    u->param, a->s);
	}
	return E_OK;
}

/* The tenant's FusionPBX domain: FUSIONPBX_DOMAIN. */
static enum err
tenant_domain(struct req *r, const char **out)
{
	const char *d = aesl_setting(r, "FUSIONPBX_DOMAIN", NULL);

	if (d == NULL || !esl_domain_ok(d, strlen(d))) {
		log_warnx("tenant '%s': FUSIONPBX_DOMAIN %s: the event socket "
			  "backend serves no channel",
		    r->tenant->name,
		    d == NULL ? "is not set" : "is not a domain name");
		return ari_fail(r, E_INTERNAL, 500, NULL,
		    "Event socket backend not configured");
	}
	*out = d;
	return E_OK;
}

enum err
ari_esl_run(struct req *r, struct reply *rp)
{
	const struct esl_op *o;
	const struct arg *id;
	struct aesl_ctx x = { .id = NULL };
	enum err e;

	for (o = ops; o < ops + nitems(ops); o++)
		if (strcmp(o->op, r->cmd->name) == 0)
			break;
	if (o == ops + nitems(ops) || o->run == NULL)
		return o < ops + nitems(ops)
		    ? ari_fail(r, E_NOTSUP, 501, NULL,
			  "%s is not supported by the event socket backend: %s",
			  r->cmd->name, o->why)
		    : ari_fail(r, E_NOTSUP, 501, NULL,
			  "%s is not supported by the event socket backend",
			  r->cmd->name);
	if ((e = unsupported(r)) != E_OK ||
	    (e = tenant_domain(r, &x.domain)) != E_OK)
		return e;
	if ((id = aesl_arg(r, "channelId")) != NULL) {
		if (aesl_v_token(id->s, id->len) == -1)
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Invalid channel id: the event socket backend "
			    "takes letters, digits, '.', '_' and '-'");
		x.id = id->s;
	}
	return o->run(r, rp, &x);
}
