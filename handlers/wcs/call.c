/*
 * WCS's /call/ methods (docs/wcs.md): startup, find_all, find,
 * terminate, send_dtmf and inject_sound over the tenant's Asterisk, ARI
 * when its events come from ARI, AMI when they come from AMI; the calls
 * and their statuses live in the event companion's registry (wcs.*
 * verbs of its local interface), which also keeps startup's
 * Idempotency-Key outcomes.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "asterisk.h"
#include "buf.h"
#include "client.h"
#include "conf.h"
#include "file.h"
#include "fusionpbx.h"
#include "log.h"
#include "php/pv.h"
#include "reply.h"
#include "src_ami.h"
#include "str.h"
#include "wcs_dialect.h"

#define LINE_MAX_ 512	    /* a local interface request */
#define ARG_MAX_  768	    /* one of its arguments, percent-encoded */
#define DTMF_MS	  "100"	    /* a digit's length and the gap */
#define ORIG_S	  "30"	    /* how long an originated leg rings */
#define AMI_CTX	  "default" /* WCS_AMI_CONTEXT's default */
#define MEDIA_DIR "/var/lib/pbxapi/wcs-media"

enum be { BE_ARI, BE_AMI };

/* ---- validators (0: acceptable) ---- */

/* A callId: an ARI channel id, an AMI ChannelId, a companion argument. */
static int
v_callid(const char *s, size_t n)
{
	return n == 0 ||
	    strspn(s,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		"qrstuvwxyz0123456789._~:@+-") != n;
}

/* What goes into a dial string or a caller id number: no metacharacter. */
static int
v_dial(const char *s, size_t n)
{
	return strspn(s,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789_.+*#-") != n;
}

static int
v_host(const char *s, size_t n)
{
	return strspn(s,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789.-") != n;
}

/* A caller id name: no quote, angle bracket or backslash. */
static int
v_name(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr("\"<>\\", s[i]) != NULL ||
		    (unsigned char)s[i] < 0x20)
			return 1;
	return 0;
}

/* JSON booleans ("1", "" once cast) or their strings. */
static int
v_bool(const char *s, size_t n)
{
	static const char *const ok[] = { "", "0", "1", "true", "false" };
	size_t i;

	for (i = 0; i < nitems(ok); i++)
		if (strlen(ok[i]) == n && strncasecmp(s, ok[i], n) == 0)
			return 0;
	return 1;
}

static int
v_dtmf(const char *s, size_t n)
{
	return strspn(s, "0123456789ABCDabcd*#") != n;
}

/* A file of the media directory: a name, no path. */
static int
v_file(const char *s, size_t n)
{
	return s[0] == '.' ||
	    strspn(s,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789_.-") != n;
}

/* Visible ASCII (a find filter value). */
static int
v_visible(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] > 0x7e)
			return 1;
	return 0;
}

/* A boolean parameter: a JSON boolean or its string; def if absent. */
static int
flag(const struct arg *a, int def)
{
	if (!a->present)
		return def;
	if (a->v != NULL && a->v->type == PV_BOOL)
		return a->v->u.b != 0;
	if (a->len == 0)
		return def;
	return strcmp(a->s, "1") == 0 || strcasecmp(a->s, "true") == 0;
}

/* ---- the companion ---- */

/*
 * Asks the companion line; E_OK with *body (NUL-terminated).  A
 * companion that is not running or refuses is the request's 503.  Why
 * it did not answer (timed out past companion.timeout, its socket
 * refused ...) goes to the log only: the client learns no paths.
 */
static enum err
ask(struct req *r, const char *line, const char **body, size_t *len)
{
	char why[256];
	enum err e;

	if (!companion_alive())
		return wcs_fail(
		    r, E_BACKEND, "the event companion is not running");
	e = companion_ask(r->conf, r->arena, line, body, len, why, sizeof(why));
	if (e == E_NOTFOUND)
		return wcs_fail(r, E_BACKEND, "event companion: %s", why);
	if (e != E_OK) {
		log_warnx("wcs: %s", why);
		return wcs_fail(r, E_BACKEND, "event companion unavailable");
	}
	return E_OK;
}

/*
 * The backend: ARI when the tenant's events come from ARI, AMI when
 * from AMI.  Without events there is no registry (503); the FreeSWITCH
 * event socket is not a WCS backend (501).
 */
static enum err
backend(struct req *r, enum be *be)
{
	switch (tenant_events(r->tenant)) {
	case EVM_ARI:
		*be = BE_ARI;
		return E_OK;
	case EVM_AMI:
		*be = BE_AMI;
		return E_OK;
	case EVM_ESL:
		return wcs_fail(r, E_NOTSUP, "WCS calls need Asterisk");
	default:
		return wcs_fail(r, E_BACKEND,
		    "WCS calls need the event companion (events = ari or ami)");
	}
}

/* ---- ARI and AMI ---- */

/* path + "?" + the query, in the arena; NULL if too long. */
static const char *
ari_path(struct req *r, const char *fmt, const char *id, const char *query)
{
	struct buf b;
	const char *s;

	buf_init(&b, 8192);
	buf_adds(&b, fmt);
	url_encode(&b, id, strlen(id));
	if (query != NULL)
		buf_adds(&b, query);
	s = b.overflow ? NULL : arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	return s;
}

/* Appends &name=value (value percent-encoded). */
static void
q_add(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, "%c%s=", b->len == 0 ? '?' : '&', name);
	url_encode(b, v, strlen(v));
}

/*
 * Runs an ARI request; E_OK with *status.  A failed transfer is 503, an
 * ARI 404 "no such call" 404, another refusal 500 (WCS's).
 */
static enum err
ari_run(struct req *r, const char *method, const char *path, int originate)
{
	struct ari_call call = { .method = method, .path = path };
	struct ari_raw x;
	struct ari_err e;

	if (path == NULL)
		return wcs_fail(r, E_BADREQ, "request too large");
	if (ast_ari_forward(r, &call, &x, &e) != E_OK) {
		log_warnx("wcs: ari: %.*s", (int)e.len, e.msg);
		return wcs_fail(r, E_BACKEND, "Asterisk unavailable");
	}
	if (x.status == 404)
		return wcs_fail(r, E_NOTFOUND, "call not found");
	if (x.status == 409 && originate)
		return wcs_fail(r, E_CONFLICT, "callId in use");
	if (x.status >= 300) {
		log_warnx("wcs: ari %s %s: HTTP %ld", method, path, x.status);
		return wcs_fail(
		    r, E_INTERNAL, "Asterisk refused (HTTP %ld)", x.status);
	}
	return E_OK;
}

/*
 * Runs an AMI action, its ActionID ending in tail (NULL: none); "No
 * such channel" (and Asterisk's other "not found" texts) is 404, another
 * error 500, no answer 503.
 */
static enum err
ami_run_tail(struct req *r, const char *action, const struct ami_kv *kv,
    size_t n, const char *tail)
{
	struct ami_action act = {
		.action = action, .kv = kv, .nkv = n, .id_tail = tail
	};
	struct ami_reply rep;
	const char *msg;
	size_t len = 0;
	enum err e;

	if ((e = ast_ami(r, &act, &rep)) != E_OK)
		return e == E_BADREQ
		    ? e
		    : wcs_fail(r, E_BACKEND, "Asterisk unavailable");
	if (rep.n == 0)
		return wcs_fail(r, E_BACKEND, "Asterisk unavailable");
	if (ami_is(&rep.msg[0], "Response", "Success"))
		return E_OK;
	msg = ami_get(&rep.msg[0], "Message", &len);
	if (msg != NULL &&
	    (strncasecmp(msg, "No such channel", 15) == 0 ||
		strstr(msg, "not found") != NULL))
		return wcs_fail(r, E_NOTFOUND, "call not found");
	return wcs_fail(r, E_INTERNAL, "Asterisk refused %s: %.*s", action,
	    (int)(len > 200 ? 200 : len), msg != NULL ? msg : "");
}

static enum err
ami_run(struct req *r, const char *action, const struct ami_kv *kv, size_t n)
{
	return ami_run_tail(r, action, kv, n, NULL);
}

#define KV(n, v) ((struct ami_kv){ (n), (v), strlen(v) })

/* A body parameter: a string with flags, a maximum and a validator. */
#define P(n, f, m, v)                                                       \
	{                                                                   \
		.name = (n), .src = SRC_BODY, .type = PT_STR, .flags = (f), \
		.maxlen = (m), .valid = (v)                                 \
	}

/* ---- startup ---- */

enum {
	S_CALLID,
	S_CALLEE,
	S_RTMPSTREAM,
	S_RTMPURL,
	S_TOSTREAM,
	S_AUDIO,
	S_VIDEO,
	S_LOGIN,
	S_AUTHNAME,
	S_PASSWORD,
	S_DOMAIN,
	S_PROXY,
	S_PORT,
	S_APPKEY,
	S_REGISTER,
	S_VISIBLE,
};

static const struct param startup_params[] = {
	[S_CALLID] = P("callId", P_NOCTL, WCS_ID_LEN, v_callid),
	[S_CALLEE] = P("callee", P_REQUIRED | P_NOCTL, 64, v_dial),
	[S_RTMPSTREAM] = P("rtmpStream", P_NOCTL, 1024, NULL),
	[S_RTMPURL] = P("rtmpUrl", P_NOCTL, 1024, NULL),
	[S_TOSTREAM] = P("toStream", P_NOCTL, 1024, NULL),
	[S_AUDIO] = P("hasAudio", 0, 5, v_bool),
	[S_VIDEO] = P("hasVideo", 0, 5, v_bool),
	[S_LOGIN] = P("sipLogin", P_NOCTL, 64, v_dial),
	[S_AUTHNAME] = P("sipAuthenticationName", P_NOCTL, 64, v_dial),
	[S_PASSWORD] = P("sipPassword", P_NOCTL, 256, NULL),
	[S_DOMAIN] = P("sipDomain", P_NOCTL, 253, v_host),
	[S_PROXY] = P("sipOutboundProxy", P_NOCTL, 253, v_host),
	[S_PORT] = P("sipPort", P_NOCTL, 5, v_digits),
	[S_APPKEY] = P("appKey", P_NOCTL | P_UTF8, 256, NULL),
	[S_REGISTER] = P("sipRegisterRequired", 0, 5, v_bool),
	[S_VISIBLE] = P("visibleName", P_NOCTL | P_UTF8, 64, v_name),
};

/*
 * The dial string for callee: the tenant's WCS_TRUNK_<DOMAIN> (the
 * domain upper-cased, '.' and '-' as '_') when sipDomain names one, else
 * WCS_TRUNK, default "PJSIP/{callee}"; "{callee}" is replaced (both are
 * validated: no metacharacter reaches it).
 */
static const char *
dial_string(struct req *r, const struct arg *callee, const struct arg *domain)
{
	const char *tmpl = NULL, *at;
	char key[300];
	size_t i, n;

	if (domain->present && domain->len > 0) {
		n = (size_t)snprintf(
		    key, sizeof(key), "WCS_TRUNK_%s", domain->s);
		for (i = 10; i < n && i < sizeof(key); i++)
			key[i] = key[i] == '.' || key[i] == '-'
			    ? '_'
			    : (char)toupper((unsigned char)key[i]);
		tmpl = tenant_get(r->tenant, key);
	}
	if (tmpl == NULL || *tmpl == '\0')
		tmpl = tenant_get(r->tenant, "WCS_TRUNK");
	if (tmpl == NULL || *tmpl == '\0')
		tmpl = "PJSIP/{callee}";
	if ((at = strstr(tmpl, "{callee}")) == NULL)
		return arena_printf(r->arena, "%s/%s", tmpl, callee->s);
	return arena_printf(
	    r->arena, "%.*s%s%s", (int)(at - tmpl), tmpl, callee->s, at + 8);
}

/* "name" <number>, or the number alone; NULL: none. */
static const char *
caller_id(struct req *r)
{
	const struct arg *login = &r->args[S_LOGIN];
	const struct arg *name = &r->args[S_VISIBLE];

	if (name->present && name->len > 0)
		return arena_printf(r->arena, "\"%s\" <%s>", name->s,
		    login->present ? login->s : "");
	if (login->present && login->len > 0)
		return login->s;
	return NULL;
}

static enum err
originate_ari(struct req *r, const char *id, const char *dial, const char *cid)
{
	const char *app = tenant_get(r->tenant, "ARI_EVENTS_APP");
	struct buf q;
	const char *path;

	buf_init(&q, 4096);
	q_add(&q, "endpoint", dial);
	q_add(&q, "app", app != NULL && *app != '\0' ? app : "pbxapi");
	q_add(&q, "timeout", ORIG_S);
	if (cid != NULL)
		q_add(&q, "callerId", cid);
	buf_addc(&q, '\0');
	path = q.overflow ? NULL : ari_path(r, "/channels/", id, q.data);
	buf_free(&q);
	return ari_run(r, "POST", path, 1);
}

static enum err
originate_ami(struct req *r, const char *id, const char *dial, const char *cid)
{
	const char *ctx = tenant_get(r->tenant, "WCS_AMI_CONTEXT");
	struct ami_kv kv[9];
	size_t n = 0;

	kv[n++] = KV("Channel", dial);
	kv[n++] = KV("Context", ctx != NULL && *ctx != '\0' ? ctx : AMI_CTX);
	kv[n++] = KV("Exten", r->args[S_CALLEE].s);
	kv[n++] = KV("Priority", "1");
	kv[n++] = KV("Timeout", ORIG_S "000");
	if (cid != NULL)
		kv[n++] = KV("CallerID", cid);
	kv[n++] = KV("Async", "true");
	kv[n++] = KV("ChannelId", id);
	/*
	 * An origination that never makes a channel is told only by its
	 * OriginateResponse, whose Uniqueid is then "<unknown>": the
	 * ActionID carries the callId to the companion (src_ami.c).
	 */
	return ami_run_tail(r, "Originate", kv, n,
	    arena_printf(r->arena, "%s%s", AMI_WCS_TAIL, id));
}

/* The registry's view of the request: callee, caller, name, media. */
static const char *
meta(struct req *r)
{
	const struct arg *a[] = { &r->args[S_CALLEE], &r->args[S_LOGIN],
		&r->args[S_VISIBLE] };
	static const char *const k[] = { "callee", "caller", "name" };
	struct buf b;
	const char *s;
	size_t i;

	buf_init(&b, ARG_MAX_);
	for (i = 0; i < nitems(a); i++)
		if (a[i]->present && a[i]->len > 0) {
			buf_printf(&b, "%s%s=", b.len ? "&" : "", k[i]);
			url_encode(&b, a[i]->s, a[i]->len);
		}
	buf_printf(&b, "%saudio=%d&video=%d", b.len ? "&" : "",
	    flag(&r->args[S_AUDIO], 1), flag(&r->args[S_VIDEO], 0));
	s = b.overflow ? NULL : arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	return s;
}

/* The reason startup gives for a status (a replay gives the same). */
static enum err
startup_status(struct req *r, struct reply *rp, int status)
{
	switch (status) {
	case 200:
		if (wcs_state(r)->replayed)
			reply_header(rp, "Idempotent-Replayed", "true");
		return wcs_void(rp);
	case 409:
		return wcs_fail(r, E_CONFLICT, "callId in use");
	case 404:
		return wcs_fail(r, E_NOTFOUND, "call not found");
	case 503:
		return wcs_fail(r, E_BACKEND, "Asterisk unavailable");
	default:
		return wcs_fail(r, E_INTERNAL, "Asterisk refused the call");
	}
}

static enum err
idem_key(struct req *r, const char **key)
{
	const char *k = req_param(r, "HTTP_IDEMPOTENCY_KEY");
	size_t n;

	*key = "-";
	if (k == NULL || *k == '\0')
		return E_OK;
	n = strlen(k);
	if (n > WCS_KEY_LEN || v_visible(k, n))
		return wcs_fail(r, E_BADREQ, "bad Idempotency-Key");
	/* The companion's key table also holds ARI's ("ari:"). */
	*key = arena_printf(r->arena, "wcs:%s", k);
	return E_OK;
}

/*
 * Reserves the callId in the registry (409 if it is there or a live
 * channel; an Idempotency-Key seen before answers as the first request
 * did), originates asynchronously, tells the registry the outcome, and
 * answers 200 at once: the client polls find for the status.
 */
static enum err
startup(struct req *r, struct reply *rp)
{
	const struct arg *id = &r->args[S_CALLID];
	char uuid[FPX_UUID_LEN + 1];
	const char *cid, *dial, *m, *key, *body, *line;
	size_t len;
	enum err e, oe;
	enum be be;
	int status;

	if ((r->args[S_RTMPURL].present && r->args[S_RTMPURL].len > 0) ||
	    (r->args[S_TOSTREAM].present && r->args[S_TOSTREAM].len > 0))
		return wcs_fail(r, E_NOTSUP,
		    "RTMP republishing and toStream need a media server");
	if ((e = backend(r, &be)) != E_OK || (e = idem_key(r, &key)) != E_OK)
		return e;
	if (!id->present || id->len == 0)
		fpx_uuid_new(uuid);
	cid = caller_id(r);
	dial = dial_string(r, &r->args[S_CALLEE], &r->args[S_DOMAIN]);
	if ((m = meta(r)) == NULL)
		return wcs_fail(r, E_BADREQ,
		    "callee, sipLogin and visibleName "
		    "are too long together");
	line =
	    arena_printf(r->arena, "wcs.reserve %s %s %s %s", r->tenant->name,
		id->present && id->len ? id->s : uuid, key, *m ? m : "-");
	if ((e = ask(r, line, &body, &len)) != E_OK)
		return e;
	if (strncmp(body, "seen ", 5) == 0) {
		wcs_state(r)->replayed = 1;
		status = atoi(body + 5);
		if (status == 0)
			return wcs_fail(r, E_CONFLICT,
			    "a request with this Idempotency-Key is running");
		return startup_status(r, rp, status);
	}
	if (strcmp(body, "conflict") == 0)
		return wcs_fail(r, E_CONFLICT, "callId in use");
	if (strcmp(body, "reserved") != 0)
		return wcs_fail(r, E_BACKEND, "WCS call registry full");
	oe = be == BE_ARI
	    ? originate_ari(r, id->present && id->len ? id->s : uuid, dial, cid)
	    : originate_ami(
		  r, id->present && id->len ? id->s : uuid, dial, cid);
	status =
	    oe == E_OK ? 200 : err_status(oe == E_TIMEOUT ? E_BACKEND : oe);
	line = arena_printf(r->arena, "wcs.done %s %s %d %s", r->tenant->name,
	    id->present && id->len ? id->s : uuid, status, key);
	if ((e = ask(r, line, &body, &len)) != E_OK)
		log_warnx("wcs: startup's outcome not recorded: %s", r->errmsg);
	return startup_status(r, rp, status);
}

/* ---- find, find_all ---- */

static const struct param find_params[] = {
	P("callId", P_NOCTL, WCS_ID_LEN, v_visible),
	P("callee", P_NOCTL, 64, v_visible),
	P("rtmpUrl", P_NOCTL, 128, v_visible),
	P("status", P_NOCTL, 32, v_visible),
};

/* The calls matching the filter; 404 when none (as WCS). */
static enum err
find_calls(struct req *r, struct reply *rp, const char *filter)
{
	const char *line, *body, *nl;
	size_t len;
	enum err e;
	enum be be;

	if ((e = backend(r, &be)) != E_OK)
		return e;
	line =
	    arena_printf(r->arena, "wcs.find %s %s", r->tenant->name, filter);
	if ((e = ask(r, line, &body, &len)) != E_OK)
		return e;
	if ((nl = memchr(body, '\n', len)) == NULL)
		return wcs_fail(r, E_BACKEND, "event companion: bad answer");
	len -= (size_t)(nl + 1 - body);
	if (len <= 2)
		return wcs_fail(r, E_NOTFOUND, "call not found");
	reply_status(rp, 200);
	wcs_cors(rp);
	reply_header(rp, "X-State-Age",
	    arena_strndup(r->arena, body, (size_t)(nl - body)));
	reply_text(rp, WCS_CTYPE, nl + 1, len);
	return E_OK;
}

static enum err
find_all(struct req *r, struct reply *rp)
{
	return find_calls(r, rp, "-");
}

static enum err
find(struct req *r, struct reply *rp)
{
	struct buf b;
	const char *f;
	size_t i;

	buf_init(&b, ARG_MAX_);
	for (i = 0; i < nitems(find_params); i++)
		if (r->args[i].present && r->args[i].len > 0) {
			buf_printf(
			    &b, "%s%s=", b.len ? "&" : "", find_params[i].name);
			url_encode(&b, r->args[i].s, r->args[i].len);
		}
	f = b.overflow ? NULL
	    : b.len    ? arena_strndup(r->arena, b.data, b.len)
		       : "-";
	buf_free(&b);
	if (f == NULL)
		return wcs_fail(r, E_BADREQ, "filter too long");
	return find_calls(r, rp, f);
}

/* ---- terminate, send_dtmf, inject_sound ---- */

/*
 * 404 unless id is a live call of the registry: these methods act on
 * the calls startup placed, not on any channel of the PBX whose id a
 * client can guess.  (Inside a JSON string a quote is escaped, so the
 * status key cannot be faked by a value.)
 */
static enum err
live_call(struct req *r, const char *id)
{
	static const char *const final[] = { "\"status\":\"FINISH\"",
		"\"status\":\"FAILED\"", "\"status\":\"BUSY\"" };
	const char *line, *body, *nl;
	struct buf f;
	size_t len, i;
	enum err e;

	buf_init(&f, ARG_MAX_);
	buf_adds(&f, "callId=");
	url_encode(&f, id, strlen(id));
	line = f.overflow ? NULL
			  : arena_printf(r->arena, "wcs.find %s %.*s",
				r->tenant->name, (int)f.len, f.data);
	buf_free(&f);
	if (line == NULL)
		return wcs_fail(r, E_NOTFOUND, "call not found");
	if ((e = ask(r, line, &body, &len)) != E_OK)
		return e;
	if ((nl = memchr(body, '\n', len)) == NULL ||
	    len - (size_t)(nl - body) <= 3)
		return wcs_fail(r, E_NOTFOUND, "call not found");
	for (i = 0; i < nitems(final); i++)
		if (strstr(nl, final[i]) != NULL)
			return wcs_fail(r, E_NOTFOUND, "call not found");
	return E_OK;
}

static const struct param terminate_params[] = {
	P("callId", P_REQUIRED | P_NOCTL, WCS_ID_LEN, v_callid),
};

static enum err
terminate(struct req *r, struct reply *rp)
{
	const char *id = r->args[0].s;
	struct ami_kv kv[2];
	enum err e;
	enum be be;

	if ((e = backend(r, &be)) != E_OK || (e = live_call(r, id)) != E_OK)
		return e;
	if (be == BE_ARI)
		e = ari_run(r, "DELETE",
		    ari_path(r, "/channels/", id, "?reason=normal"), 0);
	else {
		kv[0] = KV("Channel", id);
		kv[1] = KV("Cause", "16");
		e = ami_run(r, "Hangup", kv, 2);
	}
	return e != E_OK ? e : wcs_void(rp);
}

static const struct param dtmf_params[] = {
	P("callId", P_REQUIRED | P_NOCTL, WCS_ID_LEN, v_callid),
	P("dtmf", P_REQUIRED | P_NOCTL, 32, v_dtmf),
	/* RFC2833, INFO ...: the endpoint's dtmf_mode decides (§6.6). */
	P("type", P_NOCTL | P_UTF8, 32, NULL),
};

static enum err
send_dtmf(struct req *r, struct reply *rp)
{
	const char *id = r->args[0].s, *d = r->args[1].s;
	struct ami_kv kv[3];
	char digit[2] = { 0, 0 };
	struct buf q;
	const char *path;
	enum err e;
	enum be be;

	if ((e = backend(r, &be)) != E_OK || (e = live_call(r, id)) != E_OK)
		return e;
	if (be == BE_ARI) {
		buf_init(&q, 256);
		q_add(&q, "dtmf", d);
		q_add(&q, "duration", DTMF_MS);
		q_add(&q, "between", DTMF_MS);
		buf_addc(&q, '\0');
		path = ari_path(r, "/channels/", id, NULL);
		path = arena_printf(r->arena, "%s/dtmf%s", path, q.data);
		buf_free(&q);
		e = ari_run(r, "POST", path, 0);
		return e != E_OK ? e : wcs_void(rp);
	}
	/* PlayDTMF plays one digit per action. */
	for (; *d != '\0'; d++) {
		digit[0] = *d;
		kv[0] = KV("Channel", id);
		kv[1] = KV("Digit", digit);
		kv[2] = KV("Duration", DTMF_MS);
		if ((e = ami_run(r, "PlayDTMF", kv, 3)) != E_OK)
			return e;
	}
	return wcs_void(rp);
}

static const struct param sound_params[] = {
	P("callId", P_REQUIRED | P_NOCTL, WCS_ID_LEN, v_callid),
	P("fileName", P_REQUIRED | P_NOCTL, 128, v_file),
};

/*
 * Plays a file of the tenant's WCS_MEDIA_DIR into the call (ARI only:
 * AMI has no play action).  The file must be there, a regular file
 * reached without following a link (404 otherwise); Asterisk is given
 * its path without the extension, as sound: URIs want.
 */
static enum err
inject_sound(struct req *r, struct reply *rp)
{
	const char *id = r->args[0].s, *name = r->args[1].s;
	const char *dir = tenant_get(r->tenant, "WCS_MEDIA_DIR"), *dot, *media;
	struct stat sb;
	struct buf q;
	const char *path;
	enum err e;
	enum be be;
	int fd;

	if ((e = backend(r, &be)) != E_OK)
		return e;
	if (be == BE_AMI)
		return wcs_fail(r, E_NOTSUP, "inject_sound needs ARI");
	if ((e = live_call(r, id)) != E_OK)
		return e;
	if (dir == NULL || *dir == '\0')
		dir = MEDIA_DIR;
	if ((fd = file_open_beneath(r->arena, dir, name, &sb)) == -1)
		return wcs_fail(r, E_NOTFOUND, "file not found");
	close(fd);
	dot = strrchr(name, '.');
	media = arena_printf(r->arena, "sound:%s/%.*s", dir,
	    (int)(dot != NULL ? (size_t)(dot - name) : strlen(name)), name);
	buf_init(&q, 4096);
	q_add(&q, "media", media);
	buf_addc(&q, '\0');
	path = ari_path(r, "/channels/", id, NULL);
	path = arena_printf(r->arena, "%s/play%s", path, q.data);
	buf_free(&q);
	e = ari_run(r, "POST", path, 0);
	return e != E_OK ? e : wcs_void(rp);
}

/* A preflight: 200 with what the path allows (WCS's CORS defaults). */
static enum err
preflight(struct req *r, struct reply *rp)
{
	const char *allow = wcs_state(r)->allow;

	reply_status(rp, 200);
	wcs_cors(rp);
	reply_header(
	    rp, "Access-Control-Allow-Methods", allow != NULL ? allow : "POST");
	reply_header(rp, "Access-Control-Allow-Headers",
	    "content-type,x-requested-with,authorization,idempotency-key");
	reply_header(rp, "Access-Control-Max-Age", "3600");
	return E_OK;
}

#define W SCOPE_WCS

static const struct cmd cmds[] = {
	{ .name = "startup",
	    .methods = M_POST,
	    .scope = W,
	    .flags = C_ORIGINATE,
	    PARAMS(startup_params),
	    .target = "callee",
	    .run = startup,
	    .path = "/call/startup",
	    WCS_OP(200, "Place a SIP call (asynchronous: poll find).") },
	{ .name = "find_all",
	    .methods = M_POST | M_GET,
	    .scope = W,
	    .run = find_all,
	    .path = "/call/find_all",
	    WCS_OP(200, "Every call of the registry; 404 when none.") },
	{ .name = "find",
	    .methods = M_POST,
	    .scope = W,
	    PARAMS(find_params),
	    .run = find,
	    .path = "/call/find",
	    WCS_OP(200,
		"The calls matching callId, callee, status, rtmpUrl; 404 when none.") },
	{ .name = "terminate",
	    .methods = M_POST,
	    .scope = W,
	    .flags = C_HANGUP,
	    PARAMS(terminate_params),
	    .target = "callId",
	    .run = terminate,
	    .path = "/call/terminate",
	    WCS_OP(200, "Hang up a call.") },
	{ .name = "send_dtmf",
	    .methods = M_POST,
	    .scope = W,
	    PARAMS(dtmf_params),
	    .target = "callId",
	    .run = send_dtmf,
	    .path = "/call/send_dtmf",
	    WCS_OP(200, "Send DTMF digits into a call (type is ignored).") },
	{ .name = "inject_sound",
	    .methods = M_POST,
	    .scope = W,
	    PARAMS(sound_params),
	    .target = "callId",
	    .run = inject_sound,
	    .path = "/call/inject_sound",
	    WCS_OP(
		200, "Play a file of the media directory into a call (ARI).") },
	/* Every path's preflight; a path's own rows win for other methods. */
	{ .name = "preflight",
	    .methods = M_OPTIONS,
	    .run = preflight,
	    .path = "/{family}/{method}",
	    WCS_OP(200, "CORS preflight.") },
	{ .name = "preflight_sub",
	    .methods = M_OPTIONS,
	    .run = preflight,
	    .path = "/{family}/{sub}/{method}",
	    WCS_OP(200, "CORS preflight.") },
};

const struct family wcs_calls = { .name = "call", CMDS(cmds) };
