/*
 * The FreeSWITCH event source (see src_esl.h): FreeSWITCH's channel
 * events as the event model has them.
 *
 * Wire facts (FreeSWITCH's source and the SignalWire docs "Event List",
 * "Channel States"):
 *   - every channel event carries the channel's headers
 *     (switch_channel_event_set_basic_data): Unique-ID, Channel-Name,
 *     Channel-State (CS_*), Channel-Call-State (switch_channel.c's
 *     CALLSTATE_CHART: DOWN DIALING RINGING EARLY ACTIVE HELD RING_WAIT
 *     HANGUP UNHELD), Channel-Call-UUID, Call-Direction, Answer-State,
 *     Caller-Caller-ID-Name/-Number, Caller-Callee-ID-Name/-Number,
 *     Caller-Destination-Number, Caller-Context,
 *     Caller-Channel-Created-Time (µs), Channel-Presence-ID, and the
 *     channel's variables as variable_*; Event-Date-Timestamp is µs;
 *   - CHANNEL_BRIDGE and CHANNEL_UNBRIDGE are fired once, on the A leg,
 *     with Bridge-A-Unique-ID, Bridge-B-Unique-ID and the B leg as
 *     Other-Leg-* (switch_ivr_bridge.c);
 *   - DTMF has DTMF-Digit and DTMF-Duration in samples of the 8 kHz
 *     clock (switch_types.h: SWITCH_DEFAULT_DTMF_DURATION 2000, 250 ms);
 *   - CHANNEL_HANGUP and CHANNEL_DESTROY have Hangup-Cause, a name of
 *     switch_types.h's switch_call_cause_t, and variable_hangup_cause_q850
 *     (switch_channel_cause_q850(): the number up to 127, else 16);
 *   - sofia::register, sofia::unregister and sofia::expire are CUSTOM
 *     events (Event-Subclass) with profile-name, from-user and from-host
 *     (mod_sofia's sofia_reg.c);
 *   - "show channels as json" (mod_commands.c's show, over the channels
 *     table of switch_core_sqldb.c) answers {"row_count":N,"rows":[{uuid,
 *     direction, created, created_epoch, name, state, cid_name, cid_num,
 *     ip_addr, dest, application, application_data, dialplan, context,
 *     ..., presence_id, presence_data, accountcode, callstate,
 *     callee_name, callee_num, callee_direction, call_uuid, ...}]}, every
 *     value a string, and {"row_count":0} with no channel.
 *
 * FusionPBX tenants span domains: a channel's domain
 * (variable_domain_name, else the domain of its presence id) is carried
 * in ev_chan.accountcode, which is what FusionPBX sets accountcode to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "esl.h"
#include "netio.h"
#include "phpin.h"
#include "pv.h"
#include "src_esl.h"
#include "utf8.h"
#include "util.h"

#define SRC_ESL_STEP_MS	     1000 /* a blocking step: *stop seen within it */
#define SRC_ESL_WAIT_MS	     500  /* one wait for events: *stop seen as often */
#define SRC_ESL_LIST_MS	     30000 /* show channels, in steps */
#define SRC_ESL_NEST_MAX     8	   /* {"rows":[{...}]}, events are flat */
#define SRC_ESL_DTMF_SAMPLES 8	   /* DTMF-Duration samples a millisecond */

/* switch_types.h's switch_call_cause_t: name, Q.850 number. */
static const struct {
	const char *name;
	int q850;
} causes[] = {
	{ "NONE", 0 },
	{ "UNALLOCATED_NUMBER", 1 },
	{ "NO_ROUTE_TRANSIT_NET", 2 },
	{ "NO_ROUTE_DESTINATION", 3 },
	{ "CHANNEL_UNACCEPTABLE", 6 },
	{ "CALL_AWARDED_DELIVERED", 7 },
	{ "NORMAL_CLEARING", 16 },
	{ "USER_BUSY", 17 },
	{ "NO_USER_RESPONSE", 18 },
	{ "NO_ANSWER", 19 },
	{ "SUBSCRIBER_ABSENT", 20 },
	{ "CALL_REJECTED", 21 },
	{ "NUMBER_CHANGED", 22 },
	{ "REDIRECTION_TO_NEW_DESTINATION", 23 },
	{ "EXCHANGE_ROUTING_ERROR", 25 },
	{ "DESTINATION_OUT_OF_ORDER", 27 },
	{ "INVALID_NUMBER_FORMAT", 28 },
	{ "FACILITY_REJECTED", 29 },
	{ "RESPONSE_TO_STATUS_ENQUIRY", 30 },
	{ "NORMAL_UNSPECIFIED", 31 },
	{ "NORMAL_CIRCUIT_CONGESTION", 34 },
	{ "NETWORK_OUT_OF_ORDER", 38 },
	{ "NORMAL_TEMPORARY_FAILURE", 41 },
	{ "SWITCH_CONGESTION", 42 },
	{ "ACCESS_INFO_DISCARDED", 43 },
	{ "REQUESTED_CHAN_UNAVAIL", 44 },
	{ "PRE_EMPTED", 45 },
	{ "FACILITY_NOT_SUBSCRIBED", 50 },
	{ "OUTGOING_CALL_BARRED", 52 },
	{ "INCOMING_CALL_BARRED", 54 },
	{ "BEARERCAPABILITY_NOTAUTH", 57 },
	{ "BEARERCAPABILITY_NOTAVAIL", 58 },
	{ "SERVICE_UNAVAILABLE", 63 },
	{ "BEARERCAPABILITY_NOTIMPL", 65 },
	{ "CHAN_NOT_IMPLEMENTED", 66 },
	{ "FACILITY_NOT_IMPLEMENTED", 69 },
	{ "SERVICE_NOT_IMPLEMENTED", 79 },
	{ "INVALID_CALL_REFERENCE", 81 },
	{ "INCOMPATIBLE_DESTINATION", 88 },
	{ "INVALID_MSG_UNSPECIFIED", 95 },
	{ "MANDATORY_IE_MISSING", 96 },
	{ "MESSAGE_TYPE_NONEXIST", 97 },
	{ "WRONG_MESSAGE", 98 },
	{ "IE_NONEXIST", 99 },
	{ "INVALID_IE_CONTENTS", 100 },
	{ "WRONG_CALL_STATE", 101 },
	{ "RECOVERY_ON_TIMER_EXPIRE", 102 },
	{ "MANDATORY_IE_LENGTH_ERROR", 103 },
	{ "PROTOCOL_ERROR", 111 },
	{ "INTERWORKING", 127 },
};

/* FreeSWITCH's call states; RINGING and EARLY ring here when inbound. */
static const struct {
	const char *fs;
	enum ev_state in, out;
} states[] = {
	{ "DOWN", ST_DOWN, ST_DOWN },
	{ "DIALING", ST_DIALING, ST_DIALING },
	{ "RINGING", ST_RING, ST_RINGING },
	{ "EARLY", ST_RING, ST_RINGING },
	{ "RING_WAIT", ST_RING, ST_RINGING },
	{ "ACTIVE", ST_UP, ST_UP },
	{ "HELD", ST_UP, ST_UP },
	{ "UNHELD", ST_UP, ST_UP },
};

/*
 * The events mapped, by Event-Name.  CHANNEL_HANGUP_COMPLETE repeats
 * CHANNEL_HANGUP's cause (and CHANNEL_DESTROY follows), so it maps to
 * nothing; CHANNEL_CALLSTATE's HELD, UNHELD and HANGUP have their own
 * events.
 */
static const struct {
	const char *name;
	enum ev_type type;
} evnames[] = {
	{ "CHANNEL_CREATE", EV_CREATED },
	{ "CHANNEL_PROGRESS", EV_STATE },
	{ "CHANNEL_PROGRESS_MEDIA", EV_STATE },
	{ "CHANNEL_CALLSTATE", EV_STATE },
	{ "CHANNEL_ANSWER", EV_ANSWER },
	{ "CHANNEL_HOLD", EV_HOLD },
	{ "CHANNEL_UNHOLD", EV_UNHOLD },
	{ "CHANNEL_BRIDGE", EV_BRIDGE_ENTER },
	{ "CHANNEL_UNBRIDGE", EV_BRIDGE_LEAVE },
	{ "DTMF", EV_DTMF },
	{ "CHANNEL_HANGUP", EV_HANGUP },
	{ "CHANNEL_DESTROY", EV_DESTROYED },
};

/* sofia's registration events: Event-Subclass, peer_state. */
static const struct {
	const char *subclass, *state;
} peers[] = {
	{ "sofia::register", "online" },
	{ "sofia::unregister", "offline" },
	{ "sofia::expire", "offline" },
};

int
src_esl_cause(const char *name)
{
	size_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < nitems(causes); i++)
		if (strcmp(name, causes[i].name) == 0)
			return causes[i].q850;
	return -1;
}

enum ev_state
src_esl_state(const char *callstate, const char *direction)
{
	int in = direction != NULL && strcasecmp(direction, "inbound") == 0;
	size_t i;

	if (callstate == NULL)
		return ST_UNKNOWN;
	for (i = 0; i < nitems(states); i++)
		if (strcasecmp(callstate, states[i].fs) == 0)
			return in ? states[i].in : states[i].out;
	return ST_UNKNOWN;
}

/* ---- JSON ---- */

/* The JSON object of the n bytes at s, or NULL. */
static const struct pv *
object(struct arena *a, const char *s, size_t n)
{
	static const struct in_limits lim = { .nest_max = SRC_ESL_NEST_MAX };
	struct pv *v;
	char why[128];

	s = utf8_scrub(a, s, n);
	if (json_decode_pv(a, s, n, &lim, &v, why, sizeof(why)) != E_OK ||
	    v->type != PV_ARR)
		return NULL;
	return v;
}

/* The string (or number) obj[key] as an arena string, or NULL. */
static const char *
get(struct arena *a, const struct pv *obj, const char *key)
{
	const struct pv *v = pv_getz(obj, key);
	const char *s;
	size_t n;

	if (v == NULL || v->type == PV_ARR || v->type == PV_NULL)
		return NULL;
	s = pv_to_str(a, v, &n);
	return arena_strndup(a, s, n);
}

/* A decimal count of units in s (at most 18 digits) / div; 0 if none. */
static int64_t
scaled(const char *s, int64_t div)
{
	int64_t v = 0;
	size_t i, n = s ? strlen(s) : 0;

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return 0;
	for (i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v / div;
}

/* The domain of a presence id "user@domain", or NULL. */
static const char *
presence_domain(const char *pid)
{
	const char *at = pid ? strrchr(pid, '@') : NULL;

	return at != NULL && at != pid && at[1] != '\0' ? at + 1 : NULL;
}

/* ---- events ---- */

/* The channel headers every channel event carries. */
static void
chan_of(struct arena *a, const struct pv *o, struct ev_chan *c)
{
	const char *dom = get(a, o, "variable_domain_name");

	if (dom == NULL || *dom == '\0')
		dom = presence_domain(get(a, o, "Channel-Presence-ID"));
	c->id = get(a, o, "Unique-ID");
	c->name = get(a, o, "Channel-Name");
	c->state = src_esl_state(
	    get(a, o, "Channel-Call-State"), get(a, o, "Call-Direction"));
	c->caller_num = get(a, o, "Caller-Caller-ID-Number");
	c->caller_name = get(a, o, "Caller-Caller-ID-Name");
	c->connected_num = get(a, o, "Caller-Callee-ID-Number");
	c->connected_name = get(a, o, "Caller-Callee-ID-Name");
	c->accountcode = dom;
	c->context = get(a, o, "Caller-Context");
	c->exten = get(a, o, "Caller-Destination-Number");
	c->priority = -1;
	c->app = get(a, o, "variable_current_application");
	c->app_data = get(a, o, "variable_current_application_data");
	c->linkedid = get(a, o, "Channel-Call-UUID");
	c->language = get(a, o, "variable_default_language");
	c->created_ms = scaled(get(a, o, "Caller-Channel-Created-Time"), 1000);
}

static void
ev_init(struct ev *e, enum ev_type type, int64_t ts_ms)
{
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->ts_ms = ts_ms;
	e->backend = "esl";
	e->chan.priority = -1;
	e->duration_ms = -1;
	e->cause = -1;
}

/* The hangup cause: FreeSWITCH's own Q.850 number, else the table's. */
static void
cause_of(struct arena *a, const struct pv *o, struct ev *e)
{
	const char *q = get(a, o, "variable_hangup_cause_q850");

	e->cause_txt = get(a, o, "Hangup-Cause");
	e->cause = src_esl_cause(e->cause_txt);
	if (q != NULL && *q != '\0' && strlen(q) <= 3 &&
	    strspn(q, "0123456789") == strlen(q))
		e->cause = (int)strtol(q, NULL, 10);
	else if (e->cause == -1 && e->cause_txt != NULL &&
	    *e->cause_txt != '\0')
		e->cause = 16; /* switch_channel_cause_q850() past 127 */
}

/*
 * A bridge event: the A leg (the event's channel) and the B leg, both in
 * the bridge named after the A leg (FreeSWITCH has no bridge ids).
 */
static int
bridge(struct arena *a, const struct pv *o, struct ev *out)
{
	const char *aid = get(a, o, "Bridge-A-Unique-ID");
	const char *bid = get(a, o, "Bridge-B-Unique-ID");
	const char *in = out[0].type == EV_BRIDGE_ENTER ? aid : "";

	if (aid == NULL)
		aid = out[0].chan.id;
	if (in == NULL)
		in = aid;
	out[0].chan.bridge = in;
	if (bid == NULL || *bid == '\0')
		return 1;
	ev_init(&out[1], out[0].type, out[0].ts_ms);
	out[1].chan.id = bid;
	out[1].chan.name = get(a, o, "Other-Leg-Channel-Name");
	out[1].chan.bridge = in;
	out[1].chan.linkedid = out[0].chan.linkedid;
	return 2;
}

/* A CUSTOM event: sofia's registrations as EV_PEER, others nothing. */
static int
custom(struct arena *a, const struct pv *o, struct ev *e)
{
	const char *sub = get(a, o, "Event-Subclass");
	const char *prof, *user, *host;
	size_t i;

	for (i = 0; sub != NULL && i < nitems(peers); i++) {
		if (strcmp(sub, peers[i].subclass) != 0)
			continue;
		prof = get(a, o, "profile-name");
		user = get(a, o, "from-user");
		host = get(a, o, "from-host");
		if (user == NULL || host == NULL)
			return 0;
		e->type = EV_PEER;
		e->peer = arena_printf(
		    a, "sofia/%s/%s@%s", prof ? prof : "internal", user, host);
		e->peer_state = peers[i].state;
		return 1;
	}
	return 0;
}

/* The rest of a channel event of type e->type. */
static int
channel_event(struct arena *a, const struct pv *o, struct ev *out)
{
	struct ev *e = &out[0];

	chan_of(a, o, &e->chan);
	if (e->chan.id == NULL || *e->chan.id == '\0')
		return 0;
	switch (e->type) {
	case EV_STATE:
		return e->chan.state != ST_UNKNOWN;
	case EV_ANSWER:
		e->chan.state = ST_UP;
		return 1;
	case EV_DTMF:
		e->digit = get(a, o, "DTMF-Digit");
		if (get(a, o, "DTMF-Duration") != NULL)
			e->duration_ms = scaled(
			    get(a, o, "DTMF-Duration"), SRC_ESL_DTMF_SAMPLES);
		return e->digit != NULL;
	case EV_BRIDGE_ENTER:
	case EV_BRIDGE_LEAVE:
		return bridge(a, o, out);
	case EV_HANGUP:
	case EV_DESTROYED:
		cause_of(a, o, e);
		return 1;
	default:
		return 1;
	}
}

/* Whether the call state is HELD or UNHELD (CHANNEL_HOLD's, _UNHOLD's). */
static int
held(struct arena *a, const struct pv *o)
{
	const char *cs = get(a, o, "Channel-Call-State");

	return cs != NULL &&
	    (strcmp(cs, "HELD") == 0 || strcmp(cs, "UNHELD") == 0);
}

int
src_esl_map(struct arena *a, const char *json, size_t n, struct ev *out)
{
	const struct pv *o = object(a, json, n);
	const char *name;
	size_t i;

	if (o == NULL || (name = get(a, o, "Event-Name")) == NULL)
		return -1;
	ev_init(&out[0], EV_UPDATE,
	    scaled(get(a, o, "Event-Date-Timestamp"), 1000));
	if (strcmp(name, "CUSTOM") == 0)
		return custom(a, o, &out[0]);
	if (strcmp(name, "CHANNEL_CALLSTATE") == 0 && held(a, o))
		return 0;
	for (i = 0; i < nitems(evnames); i++)
		if (strcmp(name, evnames[i].name) == 0) {
			out[0].type = evnames[i].type;
			return channel_event(a, o, out);
		}
	return 0;
}

/* ---- show channels as json ---- */

/* One row of show channels (switch_core_sqldb.c's channels table). */
static void
row(struct arena *a, const struct pv *r, struct ev *e)
{
	struct ev_chan *c = &e->chan;
	const char *dom = presence_domain(get(a, r, "presence_id"));
	const char *call = get(a, r, "call_uuid");

	ev_init(e, EV_CREATED, 0);
	c->id = get(a, r, "uuid");
	c->name = get(a, r, "name");
	c->state =
	    src_esl_state(get(a, r, "callstate"), get(a, r, "direction"));
	c->caller_num = get(a, r, "cid_num");
	c->caller_name = get(a, r, "cid_name");
	c->connected_num = get(a, r, "callee_num");
	c->connected_name = get(a, r, "callee_name");
	c->accountcode = dom;
	c->context = get(a, r, "context");
	c->exten = get(a, r, "dest");
	c->app = get(a, r, "application");
	c->app_data = get(a, r, "application_data");
	c->linkedid = call != NULL && *call != '\0' ? call : c->id;
	c->created_ms = scaled(get(a, r, "created_epoch"), 1) * 1000;
}

int
src_esl_rows(struct arena *a, const char *json, size_t n, struct ev **out)
{
	const struct pv *o = object(a, json, n), *list;
	const struct pv_ent *en;
	struct ev *evs;
	int k = 0;

	*out = NULL;
	if (o == NULL || pv_getz(o, "row_count") == NULL)
		return -1;
	if ((list = pv_getz(o, "rows")) == NULL)
		return 0;
	if (list->type != PV_ARR)
		return -1;
	evs = arena_zalloc(a, (pv_count(list) + 1) * sizeof(*evs));
	for (en = list->u.arr->head; en != NULL; en = en->next) {
		if (en->val.type != PV_ARR)
			return -1;
		row(a, &en->val, &evs[k]);
		if (evs[k].chan.id != NULL && *evs[k].chan.id != '\0')
			k++;
	}
	*out = evs;
	return k;
}

/* ---- the source ---- */

struct src {
	struct src_esl_conf cf;
	struct ev_sink *sink;
	const _Atomic int *stop;
	struct esl *c;
	struct arena *a; /* one event's strings, reset after it */
	struct esl_scope *scope;
	int synced; /* a sync was delivered: down() says it is stale now */
	char *errbuf;
	size_t errlen;
};

static enum err
failed(struct src *s, enum err e, const char *what)
{
	snprintf(s->errbuf, s->errlen, "%s", what);
	return e;
}

/* Hands e to the sink if it is the tenant's, created first if need be. */
static void
give(struct src *s, const struct ev *e)
{
	struct ev first;

	switch (src_esl_scope(s->scope, e)) {
	case SCOPE_DROP:
		return;
	case SCOPE_CREATE_FIRST:
		ev_init(&first, EV_CREATED, e->ts_ms);
		first.chan = e->chan;
		s->sink->event(s->sink, &first);
		break;
	case SCOPE_PASS:
		break;
	}
	s->sink->event(s->sink, e);
}

/* Maps one event body and hands the events to the sink. */
static void
deliver(struct src *s, const char *body, size_t n)
{
	struct ev out[SRC_ESL_EV_MAX];
	int k, i;

	k = src_esl_map(s->a, body, n, out);
	for (i = 0; i < k; i++)
		give(s, &out[i]);
	arena_reset(s->a);
}

/* The list as one sync. */
static enum err
sync_rows(struct src *s, const char *body, size_t n)
{
	struct ev *rows;
	char *first;
	int k, i;

	if ((k = src_esl_rows(s->a, body, n, &rows)) < 0) {
		/* its first line: FreeSWITCH's "-ERR ..." says why */
		first = arena_strndup(s->a, body, n < 80 ? n : 80);
		first[strcspn(first, "\r\n")] = '\0';
		snprintf(s->errbuf, s->errlen,
		    "show channels: not a channel list: '%s'", first);
		return E_PROTO;
	}
	s->synced = 1;
	src_esl_scope_reset(s->scope);
	s->sink->begin_sync(s->sink);
	for (i = 0; i < k; i++)
		give(s, &rows[i]);
	s->sink->end_sync(s->sink);
	arena_reset(s->a);
	return E_OK;
}

/*
 * Rebuilds: asks for show channels while subscribed, so that no event
 * falls between the list and the stream.  mod_event_socket runs an api
 * command on the thread that writes the connection's events
 * (parse_command() calls api_exec() inline), so the events before the
 * answer happened before the list was made: they are delivered as they
 * come, before the sync, which then stands over them.  One that comes
 * after the answer but happened before the list may set a channel back
 * until its next event, which carries its whole state again.
 */
static enum err
rebuild(struct src *s)
{
	uint64_t end = net_deadline(SRC_ESL_LIST_MS), step;
	enum esl_poll_kind kind;
	const char *body;
	size_t n;
	enum err e;

	e = esl_api_send(s->c, "show channels as json",
	    net_deadline(SRC_ESL_STEP_MS), s->errbuf, s->errlen);
	while (e == E_OK && !*s->stop) {
		if (net_left(end) == 0)
			return failed(s, E_TIMEOUT,
			    "FreeSWITCH did not answer show channels in time");
		step = net_deadline(SRC_ESL_WAIT_MS);
		e = esl_poll(s->c, step < end ? step : end, &kind, &body, &n,
		    s->errbuf, s->errlen);
		if (e == E_OK && kind == ESL_POLL_API)
			return sync_rows(s, body, n);
		if (e == E_OK && kind == ESL_POLL_EVENT)
			deliver(s, body, n);
	}
	return e;
}

/*
 * After keep_ms of silence, asks "api status": a FreeSWITCH that does
 * not answer within keep_ms more (or a message left half sent as long)
 * is gone, though TCP may not know it for hours.  Returns E_OK or
 * E_TIMEOUT.
 */
static enum err
keepalive(struct src *s, uint64_t *idle_at, uint64_t *ask_at)
{
	if (*ask_at != 0 && net_left(*ask_at) == 0) {
		snprintf(s->errbuf, s->errlen,
		    "FreeSWITCH did not answer the keepalive in %ld ms",
		    s->cf.keep_ms);
		return E_TIMEOUT;
	}
	if (*ask_at != 0 || net_left(*idle_at) > 0)
		return E_OK;
	*ask_at = net_deadline(s->cf.keep_ms);
	return esl_api_send(s->c, "status", net_deadline(SRC_ESL_STEP_MS),
	    s->errbuf, s->errlen);
}

/* Delivers events until the connection fails or *stop is set. */
static enum err
stream(struct src *s)
{
	uint64_t idle_at = net_deadline(s->cf.keep_ms), ask_at = 0;
	enum esl_poll_kind kind;
	const char *body;
	size_t n;
	enum err e = E_OK;

	while (e == E_OK && !*s->stop) {
		e = esl_poll(s->c, net_deadline(SRC_ESL_WAIT_MS), &kind, &body,
		    &n, s->errbuf, s->errlen);
		if (e != E_OK)
			break;
		if (kind == ESL_POLL_NONE) {
			e = keepalive(s, &idle_at, &ask_at);
			continue;
		}
		idle_at = net_deadline(s->cf.keep_ms);
		ask_at = 0;
		if (kind == ESL_POLL_EVENT)
			deliver(s, body, n);
	}
	return e;
}

/* Connects, subscribes, rebuilds and streams. */
static enum err
run(struct src *s)
{
	const struct esl_conf *cf = &s->cf.esl;
	char why[256];
	enum err e;

	e = esl_open(
	    cf, net_deadline(SRC_ESL_STEP_MS), &s->c, why, sizeof(why));
	if (e != E_OK) {
		/* esl_open() names the address when it cannot connect */
		if (strncmp(why, "cannot connect", 14) == 0)
			snprintf(s->errbuf, s->errlen, "%s", why);
		else
			snprintf(s->errbuf, s->errlen, "event socket %s:%s: %s",
			    cf->host, cf->port, why);
		return e;
	}
	e = esl_subscribe(s->c, SRC_ESL_EVENTS, net_deadline(SRC_ESL_STEP_MS),
	    s->errbuf, s->errlen);
	if (e == E_OK)
		e = rebuild(s);
	if (e == E_OK)
		e = stream(s);
	if (e != E_OK && !*s->stop && s->synced && s->sink->down != NULL)
		s->sink->down(s->sink, s->errbuf);
	return e;
}

enum err
src_esl(const struct tenant *t, struct ev_sink *sink, const _Atomic int *stop,
    char *errbuf, size_t errlen)
{
	struct src s = {
		.sink = sink, .stop = stop, .errbuf = errbuf, .errlen = errlen
	};
	struct arena *conf = arena_new(); /* the settings, for the run */
	enum err e;

	errbuf[0] = '\0';
	if ((e = src_esl_conf(conf, t, &s.cf, errbuf, errlen)) != E_OK) {
		arena_free(conf);
		return e;
	}
	s.scope = src_esl_scope_new(s.cf.domain);
	s.a = arena_new();
	e = run(&s);
	esl_close(s.c);
	arena_free(s.a);
	src_esl_scope_free(s.scope);
	arena_free(conf);
	return *stop ? E_OK : e;
}
