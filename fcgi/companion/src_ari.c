/*
 * The ARI event source (src_ari.h): Asterisk's /ari/events websocket,
 * subscribed to every channel (subscribeAll=true), translated to the
 * event model by one table.
 *
 * The order of a (re)start: subscribe first, then list.  Events that
 * happen while GET /ari/channels runs wait in the socket and are read
 * after end_sync, so nothing is missed.  Some of them may be older than
 * the list; applying them after it is still right because every ARI
 * channel event carries the channel's whole snapshot as of that event:
 * a channel the list shows and a later event changes ends with the
 * event's snapshot; one whose last event came before the list gets that
 * event's snapshot again, which is what the list showed; one created
 * and gone before the list is created and destroyed again.  The sink
 * must take EV_CREATED for a channel it holds as an update and
 * EV_DESTROYED for one it does not hold as nothing.
 *
 * What maps to what (the table below):
 *   StasisStart, ChannelCreated             EV_CREATED (an upsert)
 *   ChannelStateChange                      EV_STATE, and EV_ANSWER
 *                                           when the state is Up, so a
 *                                           journal reader sees the
 *                                           answer as ESL's does
 *   Dial                                    EV_DIAL (dialstatus "",
 *                                           RINGING, PROGRESS,
 *                                           PROCEEDING), else
 *                                           EV_DIAL_END; the
 *                                           channel is the caller (the
 *                                           dialled one for an
 *                                           originate), peer the callee
 *   ChannelDtmfReceived                     EV_DTMF
 *   ChannelHold, ChannelUnhold              EV_HOLD, EV_UNHOLD
 *   ChannelEnteredBridge, ChannelLeftBridge EV_BRIDGE_ENTER/LEAVE
 *                                           (chan.bridge: the id, "")
 *   ChannelHangupRequest                    EV_HANGUP (cause, -1)
 *   ChannelDestroyed                        EV_DESTROYED (cause, text)
 *   ChannelCallerId, ChannelConnectedLine,
 *   ChannelDialplan, ChannelVarset          EV_UPDATE (the snapshot)
 *   EndpointStateChange, ContactStatusChange EV_PEER
 * StasisEnd says nothing the model holds (the dialplan's app comes with
 * the next ChannelDialplan); it and every other type are ignored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "ari.h"
#include "conf.h"
#include "log.h"
#include "netio.h"
#include "phpin.h"
#include "pv.h"
#include "src_ari.h"
#include "util.h"
#include "ws.h"

#define JSON_DEPTH 64 /* an ARI event nests 4 levels */

/* ---- mapping ---- */

static const char *
str(const struct pv *o, const char *k)
{
	const struct pv *v = o != NULL ? pv_getz(o, k) : NULL;

	return v != NULL && v->type == PV_STR ? v->u.str.s : NULL;
}

static const struct pv *
obj(const struct pv *o, const char *k)
{
	const struct pv *v = o != NULL ? pv_getz(o, k) : NULL;

	return v != NULL && v->type == PV_ARR ? v : NULL;
}

/* A number member, def if absent or not a number. */
static long
num(const struct pv *o, const char *k, long def)
{
	const struct pv *v = o != NULL ? pv_getz(o, k) : NULL;

	if (v == NULL)
		return def;
	if (v->type == PV_INT)
		return (long)v->u.i;
	if (v->type == PV_DOUBLE)
		return (long)v->u.d;
	return def;
}

/* Two digits at s (no sign). */
static int
digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * The zone at s: "+0000", "+00:00", "Z".  Seconds east, or -1 bad.  The
 * length is checked first: s may be a lone "+" at the end of the string.
 */
static long
zone(const char *s)
{
	size_t n = strlen(s);
	int h, m, colon = n == 6;

	if (strcmp(s, "Z") == 0)
		return 0;
	if ((n != 5 && n != 6) || (s[0] != '+' && s[0] != '-') ||
	    (colon && s[3] != ':'))
		return -1;
	if (digits(s + 1, 2, &h) == -1 || digits(s + 3 + colon, 2, &m) == -1)
		return -1;
	return (s[0] == '-' ? -1 : 1) * (h * 3600L + m * 60L);
}

int64_t
src_ari_time(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, ms = 0, i;
	long z;
	const char *p;

	if (s == NULL || strlen(s) < 19 || digits(s, 4, &y) == -1 ||
	    s[4] != '-' || digits(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    digits(s + 8, 2, &d) == -1 || s[10] != 'T' ||
	    digits(s + 11, 2, &h) == -1 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) == -1 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) == -1)
		return 0;
	p = s + 19;
	if (*p == '.') {
		for (i = 0, p++; isdigit((unsigned char)*p); i++, p++)
			if (i < 3)
				ms = ms * 10 + (*p - '0');
		for (; i > 0 && i < 3; i++)
			ms *= 10;
	}
	if ((z = zone(p)) == -1 && strcmp(p, "-0000") != 0)
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return ((int64_t)timegm(&tm) - (z == -1 ? 0 : z)) * 1000 + ms;
}

/* ARI's Channel object into c. */
static void
chan_fill(const struct pv *o, struct ev_chan *c)
{
	const struct pv *caller = obj(o, "caller"), *conn = obj(o, "connected");
	const struct pv *dp = obj(o, "dialplan");

	memset(c, 0, sizeof(*c));
	c->id = str(o, "id");
	c->name = str(o, "name");
	c->state = ev_state_parse(str(o, "state"));
	c->caller_num = str(caller, "number");
	c->caller_name = str(caller, "name");
	c->connected_num = str(conn, "number");
	c->connected_name = str(conn, "name");
	c->accountcode = str(o, "accountcode");
	c->context = str(dp, "context");
	c->exten = str(dp, "exten");
	c->priority = num(dp, "priority", -1);
	c->app = str(dp, "app_name");
	c->app_data = str(dp, "app_data");
	c->language = str(o, "language");
	c->created_ms = src_ari_time(str(o, "creationtime"));
}

/* Fills what a type adds to the channel's snapshot; -1: not usable. */
typedef int (*fill_fn)(const struct pv *o, struct ev *e);

static int
fill_chan(const struct pv *o, struct ev *e)
{
	const struct pv *c = obj(o, "channel");

	if (c == NULL || str(c, "id") == NULL)
		return -1; /* a global ChannelVarset */
	chan_fill(c, &e->chan);
	return 0;
}

/*
 * Whether a Dial's dialstatus says the dial goes on: "" (it starts) and
 * app_dial's progress words (RINGING, PROGRESS: early media, PROCEEDING);
 * anything else (ANSWER, BUSY, NOANSWER, CANCEL, CHANUNAVAIL ...) ends it.
 */
static int
dial_going(const char *status)
{
	static const char *const going[] = { "", "RINGING", "PROGRESS",
		"PROCEEDING" };
	size_t i;

	if (status == NULL)
		return 1;
	for (i = 0; i < nitems(going); i++)
		if (strcmp(status, going[i]) == 0)
			return 1;
	return 0;
}

static int
fill_dial(const struct pv *o, struct ev *e)
{
	const struct pv *peer = obj(o, "peer"), *caller = obj(o, "caller");

	if (peer == NULL || str(peer, "id") == NULL)
		return -1;
	chan_fill(
	    caller != NULL && str(caller, "id") ? caller : peer, &e->chan);
	e->peer = str(peer, "id");
	e->dialstatus = str(o, "dialstatus");
	if (!dial_going(e->dialstatus))
		e->type = EV_DIAL_END;
	return 0;
}

static int
fill_dtmf(const struct pv *o, struct ev *e)
{
	if (fill_chan(o, e) == -1)
		return -1;
	e->digit = str(o, "digit");
	e->duration_ms = num(o, "duration_ms", -1);
	return 0;
}

static int
fill_bridge(const struct pv *o, struct ev *e)
{
	if (fill_chan(o, e) == -1)
		return -1;
	e->chan.bridge =
	    e->type == EV_BRIDGE_LEAVE ? "" : str(obj(o, "bridge"), "id");
	return 0;
}

static int
fill_cause(const struct pv *o, struct ev *e)
{
	if (fill_chan(o, e) == -1)
		return -1;
	e->cause = (int)num(o, "cause", -1);
	e->cause_txt = str(o, "cause_txt");
	return 0;
}

/* "PJSIP/200" into the arena-less event: technology/resource. */
static const char *
endpoint_name(struct arena *a, const struct pv *ep)
{
	const char *tech = str(ep, "technology"), *res = str(ep, "resource");

	if (tech == NULL || res == NULL)
		return NULL;
	return arena_printf(a, "%s/%s", tech, res);
}

/* An ARI endpoint or contact state in the model's words. */
static const char *
peer_state(const char *s)
{
	static const struct kv words[] = {
		{ "online", "online" },
		{ "offline", "offline" },
		{ "Reachable", "online" },
		{ "Unreachable", "offline" },
		{ "Removed", "offline" },
	};
	size_t i;

	for (i = 0; s != NULL && i < nitems(words); i++)
		if (strcmp(s, words[i].key) == 0)
			return words[i].val;
	return "unknown";
}

/* The table's types that need the arena are mapped here. */
static int
fill_peer(struct arena *a, const struct pv *o, struct ev *e)
{
	const struct pv *ep = obj(o, "endpoint");
	const struct pv *ci = obj(o, "contact_info");

	if ((e->peer = endpoint_name(a, ep)) == NULL)
		return -1;
	e->peer_state = peer_state(
	    ci != NULL ? str(ci, "contact_status") : str(ep, "state"));
	return 0;
}

static const struct ari_map {
	const char *type;
	enum ev_type ev;
	fill_fn fill; /* NULL: EV_PEER, filled with the arena */
} maps[] = {
	{ "StasisStart", EV_CREATED, fill_chan },
	{ "ChannelCreated", EV_CREATED, fill_chan },
	{ "ChannelStateChange", EV_STATE, fill_chan },
	{ "Dial", EV_DIAL, fill_dial },
	{ "ChannelDtmfReceived", EV_DTMF, fill_dtmf },
	{ "ChannelHold", EV_HOLD, fill_chan },
	{ "ChannelUnhold", EV_UNHOLD, fill_chan },
	{ "ChannelEnteredBridge", EV_BRIDGE_ENTER, fill_bridge },
	{ "ChannelLeftBridge", EV_BRIDGE_LEAVE, fill_bridge },
	{ "ChannelHangupRequest", EV_HANGUP, fill_cause },
	{ "ChannelDestroyed", EV_DESTROYED, fill_cause },
	{ "ChannelCallerId", EV_UPDATE, fill_chan },
	{ "ChannelConnectedLine", EV_UPDATE, fill_chan },
	{ "ChannelDialplan", EV_UPDATE, fill_chan },
	{ "ChannelVarset", EV_UPDATE, fill_chan },
	{ "EndpointStateChange", EV_PEER, NULL },
	{ "ContactStatusChange", EV_PEER, NULL },
};

/* An event with nothing said yet. */
static void
ev_blank(struct ev *e, enum ev_type type, int64_t ts)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ms = ts;
	e->backend = "ari";
	e->chan.priority = -1;
	e->duration_ms = -1;
	e->cause = -1;
}

int
src_ari_map(struct arena *a, const char *json, size_t n,
    struct ev out[SRC_ARI_EV_MAX], char *errbuf, size_t errlen)
{
	const struct in_limits lim = { .params_max = (size_t)-1,
		.name_max = (size_t)-1,
		.value_max = (size_t)-1,
		.nest_max = JSON_DEPTH };
	const struct ari_map *m = NULL;
	struct pv *o = NULL;
	const char *type;
	size_t i;
	int rc;

	if (json_decode_pv(a, json, n, &lim, &o, errbuf, errlen) != E_OK)
		return -1;
	if (o == NULL || o->type != PV_ARR || (type = str(o, "type")) == NULL) {
		snprintf(errbuf, errlen, "ARI event with no type");
		return -1;
	}
	for (i = 0; i < nitems(maps) && m == NULL; i++)
		if (strcmp(maps[i].type, type) == 0)
			m = &maps[i];
	if (m == NULL)
		return 0;
	ev_blank(&out[0], m->ev, src_ari_time(str(o, "timestamp")));
	rc = m->fill != NULL ? m->fill(o, &out[0]) : fill_peer(a, o, &out[0]);
	if (rc == -1)
		return 0;
	if (m->ev != EV_STATE || out[0].chan.state != ST_UP)
		return 1;
	out[1] = out[0];
	out[1].type = EV_ANSWER;
	return 2;
}

/* ---- the connection ---- */

struct src {
	const struct tenant *t;
	struct ev_sink *sink;
	const _Atomic int *stop;
	struct arena *a; /* reset for every message */
	char *errbuf;
	size_t errlen;
	long keep_ms; /* ARI_EVENTS_KEEPALIVE: silence before a ping */
	int synced;   /* begin_sync was called: down() owed on failure */
};

/* ARI_EVENTS_KEEPALIVE in seconds (unset: the default), or -1 if bad. */
static long
keep_s(const struct tenant *t)
{
	const char *v = tenant_get(t, "ARI_EVENTS_KEEPALIVE");
	long k = strtol(v, NULL, 10);

	if (*v == '\0')
		return SRC_ARI_KEEP_S;
	if (strlen(v) > 4 || strspn(v, "0123456789") != strlen(v) || k < 1 ||
	    k > SRC_ARI_KEEP_MAX_S)
		return -1;
	return k;
}

/* The Stasis application: a name Asterisk takes in a URL as it is. */
static const char *
app_name(const struct tenant *t)
{
	const char *app = tenant_get(t, "ARI_EVENTS_APP");
	size_t i, n = strlen(app);

	if (n == 0)
		return SRC_ARI_APP;
	if (n > SRC_ARI_APP_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)app[i]) &&
		    strchr("._-", app[i]) == NULL)
			return NULL;
	return app;
}

/*
 * Opens the websocket.  With https the certificate is checked against
 * the system's store, as libcurl checks it for the REST requests.
 */
static enum err
subscribe(struct src *s, struct ws **w)
{
	const char *scheme = tenant_get(s->t, "ARI_SCHEME"), *app;
	struct ws_conf cf = { .host = tenant_get(s->t, "ARI_HOST"),
		.port = tenant_get(s->t, "ARI_PORT"),
		.user = tenant_get(s->t, "ARI_USERNAME"),
		.secret = tenant_get(s->t, "ARI_SECRET"),
		.timeout_ms = SRC_ARI_STEP_MS };

	if ((app = app_name(s->t)) == NULL) {
		snprintf(s->errbuf, s->errlen,
		    "ARI_EVENTS_APP must be 1 to "
		    "%d of A-Z a-z 0-9 . _ -",
		    SRC_ARI_APP_MAX);
		return E_BADREQ;
	}
	if (strcmp(scheme, "https") == 0)
		cf.tls = 1;
	else if (strcmp(scheme, "http") != 0) {
		snprintf(s->errbuf, s->errlen,
		    "ARI_SCHEME must be http or https, not '%.32s'", scheme);
		return E_BADREQ;
	}
	cf.path =
	    arena_printf(s->a, "/ari/events?app=%s&subscribeAll=true", app);
	return ws_connect(&cf, w, s->errbuf, s->errlen);
}

/* GET /ari/channels: the reply body, or NULL with errbuf set. */
static const struct ari_raw *
list_channels(struct src *s, struct ari *c, enum err *rc)
{
	const char *port = tenant_get(s->t, "ARI_PORT");
	const char *host = tenant_get(s->t, "ARI_HOST");
	int v6 = strchr(host, ':') != NULL; /* an IPv6 address: bracketed */
	struct ari_conf cf = { .user = tenant_get(s->t, "ARI_USERNAME"),
		.secret = tenant_get(s->t, "ARI_SECRET"),
		.timeout_ms = SRC_ARI_STEP_MS };
	const struct ari_call call = { .method = "GET", .path = "/channels" };
	struct ari_raw *raw = arena_zalloc(s->a, sizeof(*raw));
	struct ari_err e;

	cf.base = arena_printf(s->a, "%s://%s%s%s:%ld/ari",
	    tenant_get(s->t, "ARI_SCHEME"), v6 ? "[" : "", host, v6 ? "]" : "",
	    (long)php_intval(port, strlen(port)));
	if ((*rc = ari_forward(c, s->a, &cf, &call, raw, &e)) != E_OK) {
		snprintf(s->errbuf, s->errlen, "GET /ari/channels: %.*s",
		    (int)(e.len > 300 ? 300 : e.len), e.msg);
		return NULL;
	}
	if (raw->status != 200) {
		snprintf(s->errbuf, s->errlen, "GET /ari/channels: HTTP %ld",
		    raw->status);
		*rc = E_BACKEND;
		return NULL;
	}
	return raw;
}

/* Gives the list (a JSON array of Channel objects) to the sink. */
static enum err
sync_list(struct src *s, const struct ari_raw *raw)
{
	const struct in_limits lim = { .params_max = (size_t)-1,
		.name_max = (size_t)-1,
		.value_max = (size_t)-1,
		.nest_max = JSON_DEPTH };
	const struct pv_ent *it;
	struct pv *list = NULL;
	struct ev e;

	if (json_decode_pv(s->a, raw->body, raw->n, &lim, &list, s->errbuf,
		s->errlen) != E_OK ||
	    list == NULL || list->type != PV_ARR) {
		snprintf(
		    s->errbuf, s->errlen, "GET /ari/channels: not a JSON list");
		return E_PROTO;
	}
	s->sink->begin_sync(s->sink);
	s->synced = 1;
	for (it = list->u.arr->head; it != NULL; it = it->next) {
		if (it->val.type != PV_ARR || str(&it->val, "id") == NULL)
			continue;
		ev_blank(&e, EV_CREATED, 0);
		chan_fill(&it->val, &e.chan);
		s->sink->event(s->sink, &e);
	}
	s->sink->end_sync(s->sink);
	return E_OK;
}

static enum err
rebuild(struct src *s)
{
	const struct ari_raw *raw;
	struct ari *c;
	enum err rc;

	if ((c = ari_new()) == NULL) {
		snprintf(s->errbuf, s->errlen, "cannot make a curl handle");
		return E_INTERNAL;
	}
	raw = list_channels(s, c, &rc);
	ari_close(c);
	if (raw == NULL)
		return rc;
	return sync_list(s, raw);
}

/* One websocket message: its events to the sink. */
static void
deliver(struct src *s, const struct ws_msg *m)
{
	struct ev out[SRC_ARI_EV_MAX];
	char why[256];
	int i, n;

	arena_reset(s->a);
	n = src_ari_map(s->a, m->data, m->len, out, why, sizeof(why));
	if (n == -1) {
		/* One bad event is Asterisk's bug, not a reason to drop
		 * the stream and rebuild: logged and skipped. */
		log_warnx(
		    "tenant '%s': ari event skipped: %s", s->t->name, why);
		return;
	}
	for (i = 0; i < n; i++)
		s->sink->event(s->sink, &out[i]);
}

/*
 * After keep_ms without a frame the websocket is pinged (which also
 * keeps proxies and NAT from dropping it).  Asterisk answers a ping
 * itself (res_http_websocket), so no frame at all, a pong or an event,
 * within keep_ms more is an Asterisk that is stuck or gone, though its
 * TCP stack may ACK for hours and TCP keepalive (ws.c) never fire.
 * *ping_at is when the unanswered ping went out, 0 if none.  Returns
 * E_OK, E_TIMEOUT, or the ping's failure.
 */
static enum err
keepalive(struct src *s, struct ws *w, uint64_t *ping_at)
{
	uint64_t now = net_deadline(0), rx = now - (uint64_t)ws_idle_ms(w);

	/* A frame in the ping's own millisecond counts as its answer: at
	 * worst the next ping comes keep_ms later, never a false death. */
	if (*ping_at != 0 && rx >= *ping_at)
		*ping_at = 0;
	if (*ping_at != 0) {
		if (now - *ping_at < (uint64_t)s->keep_ms)
			return E_OK;
		snprintf(s->errbuf, s->errlen,
		    "no answer to a websocket ping in %ld s",
		    s->keep_ms / 1000);
		return E_TIMEOUT;
	}
	if (now - rx < (uint64_t)s->keep_ms)
		return E_OK;
	*ping_at = now;
	return ws_send(w, WS_PING, "", 0, net_deadline(SRC_ARI_WAIT_MS),
	    s->errbuf, s->errlen);
}

/*
 * How long the next read may wait: SRC_ARI_WAIT_MS, so that *stop is
 * seen, or less when the keepalive is due sooner.
 */
static long
read_ms(const struct src *s, const struct ws *w, uint64_t ping_at)
{
	uint64_t now = net_deadline(0);
	uint64_t due = ping_at != 0
	    ? ping_at + (uint64_t)s->keep_ms
	    : now - (uint64_t)ws_idle_ms(w) + (uint64_t)s->keep_ms;

	if (due <= now)
		return 0;
	return due - now < SRC_ARI_WAIT_MS ? (long)(due - now)
					   : SRC_ARI_WAIT_MS;
}

static enum err
pump(struct src *s, struct ws *w)
{
	uint64_t ping_at = 0;
	struct ws_msg m;
	enum err rc;

	while (!*s->stop) {
		rc = ws_read(w, net_deadline(read_ms(s, w, ping_at)), &m,
		    s->errbuf, s->errlen);
		if (rc == E_TIMEOUT)
			rc = keepalive(s, w, &ping_at);
		else if (rc == E_OK && m.op == WS_TEXT)
			deliver(s, &m);
		if (rc != E_OK)
			return rc;
	}
	return E_OK;
}

enum err
src_ari(const struct tenant *t, struct ev_sink *sink, const _Atomic int *stop,
    char *errbuf, size_t errlen)
{
	struct src s = { .t = t,
		.sink = sink,
		.stop = stop,
		.a = arena_new(),
		.errbuf = errbuf,
		.errlen = errlen };
	struct ws *w = NULL;
	enum err rc;

	errbuf[0] = '\0';
	if ((s.keep_ms = 1000 * keep_s(t)) < 0) {
		snprintf(errbuf, errlen,
		    "ARI_EVENTS_KEEPALIVE '%.16s' is not 1 to %d seconds",
		    tenant_get(t, "ARI_EVENTS_KEEPALIVE"), SRC_ARI_KEEP_MAX_S);
		arena_free(s.a);
		return E_BADREQ;
	}
	/*
	 * Connecting and the list have SRC_ARI_STEP_MS each, more than the
	 * second in which a stop must be seen: they watch the flag.  The
	 * stream does not (its reads wait SRC_ARI_WAIT_MS), so that a
	 * stop still sends the close frame.
	 */
	net_watch(stop);
	rc = subscribe(&s, &w);
	if (rc == E_OK && !*stop)
		rc = rebuild(&s);
	net_watch(NULL);
	if (rc == E_OK)
		rc = pump(&s, w);
	if (rc != E_OK && *stop) {
		rc = E_OK; /* a step cut short by the stop: no failure */
		errbuf[0] = '\0';
	}
	ws_close(w);
	arena_free(s.a);
	if (rc != E_OK && s.synced && sink->down != NULL)
		sink->down(sink, errbuf);
	return rc;
}
