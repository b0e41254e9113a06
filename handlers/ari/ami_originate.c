/*
 * originate and originateWithId over AMI (see ari_ami.h): an Async
 * Originate into the dialplan, and the Channel ARI would answer, built
 * from the request.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ami.h"
#include "ari_ami.h"
#include "ari_dialect.h"
#include "arena.h"
#include "fusionpbx.h"
#include "php/pv.h"

#define TIMEOUT_DEFAULT_MS 30000   /* originate's timeout when 0 */
#define TIMEOUT_NONE_MS	   INT_MAX /* -1: AMI has no "none" */
#define ORIGINATE_HEADERS  12	   /* Originate's headers, variables aside */

/*
 * 409 if a channel already has the id or otherChannelId the client
 * chose (Asterisk would refuse it only after an Async Originate was
 * queued, where nobody hears of it).
 */
static enum err
ids_free(struct req *r, const struct arg *id, const struct arg *other)
{
	struct ami_reply rep;
	enum err e;

	if (id == NULL && other == NULL)
		return E_OK;
	if ((e = ari_ami_channels(r, &rep)) != E_OK)
		return e;
	if ((id != NULL && ari_ami_find(&rep, id->s, id->len) != NULL) ||
	    (other != NULL && ari_ami_find(&rep, other->s, other->len) != NULL))
		return ari_fail(r, E_CONFLICT, 409, NULL,
		    "Channel with given unique ID already exists");
	return E_OK;
}

/* originate's variables as "Variable: name=value" headers. */
static enum err
add_variables(struct req *r, struct ami_kv *kv, size_t *n)
{
	const struct pv *vars = pv_getz(r->post, "variables"), *v;
	const struct pv_ent *e;
	const char *s;

	if (vars == NULL || vars->type != PV_ARR)
		return E_OK;
	for (e = vars->u.arr->head; e != NULL; e = e->next) {
		if (e->klen == 0)
			continue; /* Asterisk skips them */
		if (memchr(e->key, '=', e->klen) != NULL)
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Invalid variable '%s'", e->key);
		v = e->val.type == PV_ARR ? pv_getz(&e->val, "value") : &e->val;
		s = arena_printf(r->arena, "%.*s=%.*s", (int)e->klen, e->key,
		    (int)v->u.str.len, v->u.str.s);
		ari_ami_add(kv, n, "Variable", s, strlen(s));
	}
	return E_OK;
}

/* The Timeout in ms of ARI's timeout in seconds (0: 30 s, -1: none). */
static long long
timeout_ms(const struct arg *to)
{
	if (to == NULL || to->i == 0 || to->i < -1)
		return TIMEOUT_DEFAULT_MS;
	if (to->i == -1 || to->i > TIMEOUT_NONE_MS / 1000)
		return TIMEOUT_NONE_MS;
	return to->i * 1000;
}

/* Originate's headers: an Async dialplan originate with ChannelId. */
static enum err
originate_headers(
    struct req *r, struct ari_str id, struct ami_kv *kv, size_t *n)
{
	const struct arg *ctx = ari_arg(r, "context");
	const struct arg *pri = ari_arg(r, "priority");
	const struct arg *lbl = ari_arg(r, "label");
	const char *s;
	enum err e;

	ari_ami_add_arg(kv, n, "Channel", ari_arg(r, "endpoint"));
	if (ctx != NULL)
		ari_ami_add_arg(kv, n, "Context", ctx);
	else
		ari_ami_add(kv, n, "Context", "default", 7);
	ari_ami_add_arg(kv, n, "Exten", ari_arg(r, "extension"));
	s = lbl != NULL
	    ? lbl->s
	    : arena_printf(r->arena, "%lld",
		  pri != NULL && pri->i != 0 ? (long long)pri->i : 1);
	ari_ami_add(kv, n, "Priority", s, strlen(s));
	s = arena_printf(r->arena, "%lld", timeout_ms(ari_arg(r, "timeout")));
	ari_ami_add(kv, n, "Timeout", s, strlen(s));
	ari_ami_add_arg(kv, n, "CallerID", ari_arg(r, "callerId"));
	if ((e = add_variables(r, kv, n)) != E_OK)
		return e;
	ari_ami_add_arg(kv, n, "Codecs", ari_arg(r, "formats"));
	ari_ami_add(kv, n, "Async", "true", 4);
	ari_ami_add_str(kv, n, "ChannelId", id);
	ari_ami_add_arg(kv, n, "OtherChannelId", ari_arg(r, "otherChannelId"));
	return E_OK;
}

/*
 * The Channel as ARI answers an originate, a snapshot at creation,
 * built from the request: AMI's Async Originate says only that it was
 * queued.
 */
static void
originate_reply(struct req *r, struct reply *rp, struct ari_str id)
{
	const struct arg *ep = ari_arg(r, "endpoint");
	const struct arg *ctx = ari_arg(r, "context");
	const struct arg *ext = ari_arg(r, "extension");
	const struct arg *pri = ari_arg(r, "priority");
	const struct arg *cid = ari_arg(r, "callerId");
	struct ari_chan c;
	struct timespec ts;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.name = (struct ari_str){ ep->s, ep->len };
	c.state = (struct ari_str){ "Down", 4 };
	if (cid != NULL)
		ari_callerid(
		    cid->s, cid->len, &c.caller_name, &c.caller_number);
	c.connected_name = c.caller_name;
	c.connected_number = c.caller_number;
	c.context = ctx != NULL ? (struct ari_str){ ctx->s, ctx->len }
				: (struct ari_str){ "default", 7 };
	c.exten = (struct ari_str){ ext->s, ext->len };
	c.priority = ari_arg(r, "label") == NULL && pri != NULL && pri->i != 0
	    ? pri->i
	    : 1;
	c.app_name = (struct ari_str){ "AppDial2", 8 };
	c.app_data = (struct ari_str){ "(Outgoing Line)", 15 };
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	ari_time(c.creationtime, ts.tv_sec, ts.tv_nsec / 1000000);
	c.language = (struct ari_str){ "en", 2 };
	ari_chan_json(ari_reply_json(rp, 200), &c);
}

/*
 * originate, originateWithId: into the dialplan only.  An app means
 * Stasis, which only ARI has: 501.  So is originator (AMI cannot link
 * the new channel to another).
 */
enum err
ari_ami_originate(struct req *r, struct reply *rp)
{
	const struct arg *id = ari_arg(r, "channelId");
	const struct pv *vars = pv_getz(r->post, "variables");
	char uuid[FPX_UUID_LEN + 1];
	struct ari_str cid;
	struct ami_kv *kv;
	size_t n = 0, max = ORIGINATE_HEADERS;
	enum err e;

	if (ari_arg(r, "app") != NULL)
		return ari_fail(
		    r, E_NOTSUP, 501, NULL, "Stasis applications need ARI");
	if (ari_arg(r, "originator") != NULL)
		return ari_ami_unsupported(r, "originate with originator");
	if (ari_arg(r, "extension") == NULL)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Application or extension must be specified");
	if (id == NULL)
		fpx_uuid_new(uuid);
	cid = id != NULL ? (struct ari_str){ id->s, id->len }
			 : (struct ari_str){ uuid, strlen(uuid) };
	if (vars != NULL && vars->type == PV_ARR)
		max += vars->u.arr->n;
	kv = arena_alloc(r->arena, max * sizeof(*kv));
	if ((e = originate_headers(r, cid, kv, &n)) != E_OK ||
	    (e = ids_free(r, id, ari_arg(r, "otherChannelId"))) != E_OK)
		return e;
	if ((e = ari_ami_simple(r, "Originate", kv, n)) != E_OK)
		return e;
	originate_reply(r, rp, cid);
	return E_OK;
}
