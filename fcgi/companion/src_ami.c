/*
 * The AMI event source (event.h, companion.h): a second login to the
 * tenant's Asterisk with "Events: call,system,agent", a rebuild with
 * CoreShowChannels, then every event frame translated into struct ev
 * (ami_translate(): Newchannel, Newstate, DialBegin/DialEnd and the old
 * Dial, Hangup, HangupRequest, DTMFEnd, Hold/Unhold, BridgeEnter/Leave,
 * NewCallerid, NewConnectedLine, Newexten, PeerStatus/ContactStatus,
 * QueueMemberStatus/Added/Removed, and OriginateResponse: Failure when
 * no channel was made; everything else is ignored).  After the channels,
 * the endpoints are listed with the action the workers' sippeers sends
 * (PJSIPShowEndpoints, or Sippeers for chan_sip) and the reply's text is
 * handed over as a worker reads it (ep_list), then kept current by the
 * events src_ami_ep.c translates (ep_set) and listed again on Reload,
 * FullyBooted and every state.peers_refresh; then the peers
 * (PJSIPShowContacts' ContactList) and queue members (QueueStatus'
 * QueueMember) are listed as EV_PEER and EV_QUEUE_MEMBER events.
 *
 * Events that arrive while the list is read are applied in the order
 * they came, which is the order Asterisk wrote them: a channel created
 * meanwhile counts as listed (state.h), one hung up meanwhile is gone.
 * Every read waits at most a second, so *stop is seen; a silent
 * connection is pinged after PING_MS and given up after DEAD_MS.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ami.h"
#include "arena.h"
#include "buf.h"
#include "companion.h"
#include "conf.h"
#include "limits.h"
#include "netio.h"
#include "pbxconf.h"
#include "src_ami.h"
#include "log.h"
#include "util.h"

#define STEP_MS	   1000	 /* every blocking step */
#define SYNC_MS	   15000 /* the whole rebuild */
#define PING_MS	   20000 /* silence before a Ping */
#define DEAD_MS	   45000 /* silence before the connection is given up */
#define AMI_EVENTS "call,system,agent"

/* A NUL-terminated copy of header name, or NULL if absent. */
static const char *
get(const struct ami_msg *m, struct ami_evbuf *b, const char *name)
{
	size_t n;
	const char *v = ami_get(m, name, &n);
	char *d;

	if (v == NULL || b->used + n + 1 > sizeof(b->s))
		return NULL;
	d = b->s + b->used;
	memcpy(d, v, n);
	d[n] = '\0';
	b->used += n + 1;
	return d;
}

const char *
ami_evget(const struct ami_msg *m, struct ami_evbuf *b, const char *name)
{
	return get(m, b, name);
}

/* Asterisk's "<unknown>" caller id is "" in the model. */
static const char *
cid(const struct ami_msg *m, struct ami_evbuf *b, const char *name)
{
	const char *v = get(m, b, name);

	return v != NULL && strcmp(v, "<unknown>") == 0 ? "" : v;
}

/* A header with a prefix ("Dest" + "Uniqueid"). */
static const char *
getp(const struct ami_msg *m, struct ami_evbuf *b, const char *pfx,
    const char *name)
{
	char full[64];

	snprintf(full, sizeof(full), "%s%s", pfx, name);
	return get(m, b, full);
}

static long
num(const char *s, long def)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return def;
	v = strtol(s, &end, 10);
	return *end == '\0' ? v : def;
}

/* The state from ChannelStateDesc, else ChannelState (0 Down ... 9). */
static enum ev_state
chan_state(const char *desc, const char *n)
{
	enum ev_state s = ev_state_parse(desc);
	long v = num(n, -1);

	if (s != ST_UNKNOWN)
		return s;
	return v >= 0 && v + 1 < ST__COUNT ? (enum ev_state)(v + 1)
					   : ST_UNKNOWN;
}

/* The channel block of an event, its headers prefixed with pfx. */
static void
chan_block(const struct ami_msg *m, struct ami_evbuf *b, const char *pfx,
    struct ev_chan *c)
{
	char k[64];

	c->id = getp(m, b, pfx, "Uniqueid");
	c->name = getp(m, b, pfx, "Channel");
	c->state = chan_state(getp(m, b, pfx, "ChannelStateDesc"),
	    getp(m, b, pfx, "ChannelState"));
	snprintf(k, sizeof(k), "%sCallerIDNum", pfx);
	c->caller_num = cid(m, b, k);
	snprintf(k, sizeof(k), "%sCallerIDName", pfx);
	c->caller_name = cid(m, b, k);
	snprintf(k, sizeof(k), "%sConnectedLineNum", pfx);
	c->connected_num = cid(m, b, k);
	snprintf(k, sizeof(k), "%sConnectedLineName", pfx);
	c->connected_name = cid(m, b, k);
	c->accountcode = getp(m, b, pfx, "AccountCode");
	c->context = getp(m, b, pfx, "Context");
	c->exten = getp(m, b, pfx, "Exten");
	c->priority = num(getp(m, b, pfx, "Priority"), -1);
	c->linkedid = getp(m, b, pfx, "Linkedid");
	c->language = getp(m, b, pfx, "Language");
}

/* Asterisk's device states (QueueMember Status), lower case. */
static const char *
devstate(const char *n)
{
	static const char *const names[] = { "unknown", "not_inuse", "inuse",
		"busy", "invalid", "unavailable", "ringing", "ringinuse",
		"onhold" };
	long v = num(n, -1);

	return v >= 0 && (size_t)v < nitems(names) ? names[v] : n;
}

/*
 * "Timestamp: 1795350198.900868" (timestampevents = yes), in ms; 0 for
 * none, or one out of range (a long long must hold it: fuzz_src_ami).
 */
static long long
timestamp(const struct ami_msg *m, struct ami_evbuf *b)
{
	const char *t = get(m, b, "Timestamp");
	double s = t != NULL ? strtod(t, NULL) : 0;

	return s > 0 && s < 1e12 ? (long long)(s * 1000.0) : 0;
}

/* "00:01:02" (CoreShowChannel's Duration) in seconds, or 0. */
static long
duration(const char *d)
{
	int h, mi, s;

	if (d == NULL || sscanf(d, "%d:%d:%d", &h, &mi, &s) != 3)
		return 0;
	return (long)h * 3600 + (long)mi * 60 + s;
}

/* The channel events and their types. */
static const struct {
	const char *name;
	enum ev_type type;
} chan_events[] = {
	{ "Newchannel", EV_CREATED },
	{ "Newstate", EV_STATE },
	{ "NewCallerid", EV_UPDATE },
	{ "NewConnectedLine", EV_UPDATE },
	{ "Newexten", EV_UPDATE },
	{ "Hangup", EV_DESTROYED },
	{ "HangupRequest", EV_HANGUP },
	{ "SoftHangupRequest", EV_HANGUP },
	{ "DTMFEnd", EV_DTMF },
	{ "Hold", EV_HOLD },
	{ "Unhold", EV_UNHOLD },
	{ "BridgeEnter", EV_BRIDGE_ENTER },
	{ "BridgeLeave", EV_BRIDGE_LEAVE },
	{ "CoreShowChannel", EV_CREATED },
};

/* Channel events: the type and what each adds to the channel block. */
static int
chan_event(const char *name, const struct ami_msg *m, long long now,
    struct ev *e, struct ami_evbuf *b)
{
	size_t i;
	long d;

	for (i = 0; i < nitems(chan_events); i++)
		if (strcasecmp(name, chan_events[i].name) == 0)
			break;
	if (i == nitems(chan_events))
		return 0;
	e->type = chan_events[i].type;
	chan_block(m, b, "", &e->chan);
	if (e->chan.id == NULL)
		return 0;
	switch (e->type) {
	case EV_UPDATE:
		e->chan.app = get(m, b, "Application");
		e->chan.app_data = get(m, b, "AppData");
		break;
	case EV_HANGUP:
	case EV_DESTROYED:
		e->cause = (int)num(get(m, b, "Cause"), -1);
		e->cause_txt = get(m, b, "Cause-txt");
		break;
	case EV_DTMF:
		e->digit = get(m, b, "Digit");
		e->duration_ms = num(get(m, b, "DurationMs"), -1);
		break;
	case EV_BRIDGE_ENTER:
		e->chan.bridge = get(m, b, "BridgeUniqueid");
		break;
	case EV_CREATED:
		if (strcasecmp(name, "CoreShowChannel") != 0)
			break;
		e->chan.app = get(m, b, "Application");
		e->chan.app_data = get(m, b, "ApplicationData");
		e->chan.bridge = get(m, b, "BridgeId");
		d = duration(get(m, b, "Duration"));
		e->chan.created_ms = now - (long long)d * 1000;
		break;
	default:
		break;
	}
	return 1;
}

/* DialBegin/DialEnd (Asterisk 12+) and Dial with SubEvent (<= 11). */
static int
dial_event(const char *name, const struct ami_msg *m, struct ev *e,
    struct ami_evbuf *b)
{
	const char *sub = NULL, *pfx = "";

	if (strcasecmp(name, "Dial") == 0) {
		sub = get(m, b, "SubEvent");
		if (sub == NULL)
			return 0;
		e->type = strcasecmp(sub, "Begin") == 0 ? EV_DIAL : EV_DIAL_END;
		chan_block(m, b, "", &e->chan);
		if (e->chan.id == NULL)
			e->chan.id = get(m, b, "UniqueID");
		e->peer = get(m, b, "DestUniqueID");
	} else if (strcasecmp(name, "DialBegin") == 0 ||
	    strcasecmp(name, "DialEnd") == 0) {
		e->type =
		    strcasecmp(name, "DialBegin") == 0 ? EV_DIAL : EV_DIAL_END;
		/* An Originate's dial has no caller: the dialled channel. */
		if (ami_get(m, "Uniqueid", &(size_t){ 0 }) == NULL)
			pfx = "Dest";
		chan_block(m, b, pfx, &e->chan);
		if (*pfx == '\0')
			e->peer = get(m, b, "DestUniqueid");
	} else
		return 0;
	e->dialstatus = get(m, b, "DialStatus");
	if (e->type == EV_DIAL && e->dialstatus == NULL)
		e->dialstatus = "";
	return e->chan.id != NULL;
}

/* PeerStatus (chan_sip, chan_iax2) and ContactStatus (PJSIP). */
static int
peer_event(const char *name, const struct ami_msg *m, struct ev *e,
    struct ami_evbuf *b)
{
	const char *ep;
	char *d;
	size_t n;

	e->type = EV_PEER;
	if (strcasecmp(name, "PeerStatus") == 0) {
		e->peer = get(m, b, "Peer");
		e->peer_state = get(m, b, "PeerStatus");
	} else if (strcasecmp(name, "ContactStatus") == 0 ||
	    strcasecmp(name, "ContactList") == 0) {
		ep = get(m, b, "EndpointName");
		if (ep == NULL)
			ep = get(m, b, "Endpoint"); /* ContactList */
		if (ep == NULL)
			ep = get(m, b, "AOR");
		n = ep ? strlen(ep) : 0;
		if (ep == NULL || b->used + n + 7 > sizeof(b->s))
			return 0;
		d = b->s + b->used;
		memcpy(d, "PJSIP/", 6);
		memcpy(d + 6, ep, n + 1);
		b->used += n + 7;
		e->peer = d;
		e->peer_state = get(m, b, "ContactStatus");
		if (e->peer_state == NULL)
			e->peer_state = get(m, b, "Status"); /* ContactList */
	} else
		return 0;
	/* Our copy, in b: "Reachable" is "reachable" in the model. */
	if (e->peer_state != NULL)
		for (d = b->s + (e->peer_state - b->s); *d != '\0'; d++)
			*d = (char)tolower((unsigned char)*d);
	return e->peer != NULL;
}

static int
queue_event(const char *name, const struct ami_msg *m, struct ev *e,
    struct ami_evbuf *b)
{
	int removed = strcasecmp(name, "QueueMemberRemoved") == 0;

	if (!removed && strcasecmp(name, "QueueMemberStatus") != 0 &&
	    strcasecmp(name, "QueueMemberAdded") != 0 &&
	    strcasecmp(name, "QueueMember") != 0) /* QueueStatus's items */
		return 0;
	e->type = EV_QUEUE_MEMBER;
	e->queue = get(m, b, "Queue");
	e->member = get(m, b, "Interface");
	if (e->member == NULL)
		e->member = get(m, b, "Location"); /* Asterisk <= 11 */
	e->member_state = removed ? "removed" : devstate(get(m, b, "Status"));
	return e->queue != NULL && e->member != NULL;
}

/*
 * OriginateResponse's Reason (the last control frame Asterisk read from
 * the dialled channel, ast_channel_reason2str()) as a Q.850 cause.
 */
static const struct {
	long reason;
	int cause;
} reasons[] = {
	{ 0, 1 },  /* "Call Failure": no such number, bad technology */
	{ 1, 21 }, /* AST_CONTROL_HANGUP: hung up before answering */
	{ 3, 19 }, /* AST_CONTROL_RINGING: rang, no answer */
	{ 5, 17 }, /* AST_CONTROL_BUSY */
	{ 8, 34 }, /* AST_CONTROL_CONGESTION */
};

/*
 * A failed origination that made no channel ("Response: Failure",
 * "Uniqueid: <unknown>"): the only word of it there is.  The call is
 * the callId the WCS path put in the ActionID (AMI_WCS_TAIL); without
 * it nothing names the call, and a failure with a channel is told by
 * that channel's Hangup.  Delivered as EV_HANGUP, then EV_DESTROYED.
 */
static int
originate_failure(const char *name, const struct ami_msg *m, struct ev *e,
    struct ami_evbuf *b)
{
	const char *aid, *uid, *tail;
	long reason;
	size_t i;

	if (strcasecmp(name, "OriginateResponse") != 0 ||
	    !ami_is(m, "Response", "Failure"))
		return 0;
	uid = get(m, b, "Uniqueid");
	if (uid != NULL && *uid != '\0' && strcmp(uid, "<unknown>") != 0)
		return 0;
	if ((aid = get(m, b, "ActionID")) == NULL ||
	    (tail = strstr(aid, AMI_WCS_TAIL)) == NULL ||
	    tail[strlen(AMI_WCS_TAIL)] == '\0')
		return 0;
	e->type = EV_HANGUP;
	e->chan.id = tail + strlen(AMI_WCS_TAIL);
	reason = num(get(m, b, "Reason"), -1);
	e->cause = 127; /* interworking, unspecified: a reason not known */
	for (i = 0; i < nitems(reasons); i++)
		if (reasons[i].reason == reason)
			e->cause = reasons[i].cause;
	e->cause_txt = "OriginateResponse: Failure";
	return 2;
}

int
ami_translate(const struct ami_msg *m, long long now_ms, struct ev *e,
    struct ami_evbuf *b)
{
	const char *name;
	int n;

	memset(e, 0, sizeof(*e));
	b->used = 0;
	e->backend = "ami";
	e->chan.priority = -1;
	e->duration_ms = -1;
	e->cause = -1;
	if ((name = get(m, b, "Event")) == NULL)
		return 0;
	e->ts_ms = timestamp(m, b);
	if ((n = originate_failure(name, m, e, b)) != 0)
		return n;
	if (chan_event(name, m, now_ms, e, b) || dial_event(name, m, e, b) ||
	    peer_event(name, m, e, b) || queue_event(name, m, e, b))
		return 1;
	memset(e, 0, sizeof(*e));
	return 0;
}

/* ---- the connection ---- */

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The endpoint listing of a connection. */
struct eps {
	const char *action, *cut; /* PJSIPShowEndpoints or Sippeers */
	int pjsip;
	int relist;	 /* a Reload or FullyBooted came: list again */
	uint64_t listed; /* monotonic ms of the last listing */
	struct buf text; /* the listing being read */
	int dropped;	 /* it was over LIM_EV_ENDPOINTS or a size limit */
	size_t items;
	int listing;	 /* the listing is being read */
	struct buf redo; /* the edits that came meanwhile (redo()) */
};

/*
 * Keeps an edit that came while the listing is read: the listing may
 * have been written before it, so it is made again on the new one
 * (endpoint, key, value as NUL-terminated fields, then how's digit).  Counts
 * are not: whether the new listing has counted the channel is not known.  Past
 * the buffer's ceiling an edit is lost until the next listing.
 */
static void
keep_edit(struct eps *ep, const struct ami_ep_edit *x)
{
	if (!ep->listing || x->how == EP_INC || x->how == EP_DEC)
		return;
	buf_add(&ep->redo, x->endpoint, strlen(x->endpoint) + 1);
	buf_add(&ep->redo, x->key, strlen(x->key) + 1);
	buf_add(&ep->redo, x->value, strlen(x->value) + 1);
	buf_addc(&ep->redo, (char)('0' + x->how));
}

/* Makes the kept edits again on the listing just handed over. */
static void
redo(struct eps *ep, struct ev_sink *sink)
{
	const char *p = ep->redo.data, *end = p + ep->redo.len;
	const char *k, *v;

	if (ep->redo.overflow)
		end = p; /* cut anywhere: none rather than half of one */
	while (p != NULL && p < end) {
		k = p + strlen(p) + 1;
		v = k + strlen(k) + 1;
		if (v + strlen(v) + 1 >= end)
			break;
		sink->ep_set(
		    sink, p, k, v, (enum ev_ep_how)(v[strlen(v) + 1] - '0'));
		p = v + strlen(v) + 2;
	}
	buf_clear(&ep->redo);
}

/* Returns 1 if frame m carries ActionID id. */
static int
is_mine(const struct ami_msg *m, const char *id)
{
	size_t n;
	const char *v = ami_get(m, "ActionID", &n);

	return v != NULL && n == strlen(id) && memcmp(v, id, n) == 0;
}

/* Delivers m to the sink if it is an event of the model. */
static void
deliver(const struct ami_msg *m, struct ev_sink *sink, struct ami_evbuf *b,
    struct eps *ep)
{
	struct ami_ep o;
	struct ev e;
	size_t i;
	int n;

	if (sink->ep_list != NULL && ami_ep_translate(m, ep->pjsip, &o, b)) {
		ep->relist |= o.relist;
		for (i = 0; i < o.n; i++) {
			sink->ep_set(sink, o.e[i].endpoint, o.e[i].key,
			    o.e[i].value, o.e[i].how);
			keep_edit(ep, &o.e[i]);
		}
	}
	n = ami_translate(m, wall_ms(), &e, b);

	if (n > 0)
		sink->event(sink, &e);
	if (n == 2) { /* a failed origination: its end follows */
		e.type = EV_DESTROYED;
		sink->event(sink, &e);
	}
}

/*
 * Keeps a frame of the endpoint listing as a worker reads it: without
 * our ActionID line; the last one cut after its line holding ep->cut.
 */
static void
keep_frame(struct eps *ep, const struct ami_msg *m, const char *id, int last)
{
	const char *line = m->raw, *end = m->raw + m->len, *nl;
	size_t l, n = last ? ami_cut_after(m->raw, m->len, ep->cut) : m->len;
	char idl[96];
	int k;

	if (ep->dropped)
		return;
	if (++ep->items > LIM_EV_ENDPOINTS + 2 || m->len > LIM_EV_EP_BLOCK) {
		ep->dropped = 1;
		return;
	}
	k = snprintf(idl, sizeof(idl), "ActionID: %s", id);
	end = m->raw + n;
	for (; line < end; line += l) {
		nl = memchr(line, '\n', (size_t)(end - line));
		l = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		if (l >= (size_t)k && strncasecmp(line, idl, (size_t)k) == 0 &&
		    (l == (size_t)k || line[k] == '\r' || line[k] == '\n'))
			continue;
		buf_add(&ep->text, line, l);
	}
}

/*
 * Runs the event list of action: its items (frames with our ActionID)
 * and the events that come in between are delivered as they come, until
 * the list's end.  With keep, the list's frames (the response and the
 * last one included) go to the endpoint listing (keep_frame()) instead.
 * Sets *refused for a "Response: Error" (the list ends there).  Returns
 * E_OK (also when *stop), or the error.
 */
static enum err
list(struct ami *c, struct ev_sink *sink, const _Atomic int *stop,
    const char *action, struct ami_evbuf *b, struct eps *ep, int keep,
    int *refused, char *why, size_t whylen)
{
	const struct ami_action act = { .action = action };
	uint64_t until = net_deadline(SYNC_MS);
	struct arena *a = arena_new();
	struct ami_msg m;
	enum err e;
	char id[64];

	*refused = 0;
	snprintf(id, sizeof(id), "pbxapi-%s-%lld", action, wall_ms());
	e = ami_send(c, a, &act, id, net_deadline(STEP_MS), why, whylen);
	arena_free(a);
	while (e == E_OK && !atomic_load(stop)) {
		if (net_left(until) == 0) {
			snprintf(why, whylen, "%s timed out", action);
			return E_TIMEOUT;
		}
		e = ami_next(c, net_deadline(STEP_MS), &m, why, whylen);
		if (e == E_TIMEOUT) {
			e = E_OK;
			continue;
		}
		if (e != E_OK || !is_mine(&m, id)) {
			if (e == E_OK)
				deliver(&m, sink, b, ep);
			continue;
		}
		if (ami_is(&m, "Response", "Error")) {
			if (keep)
				keep_frame(ep, &m, id, 1);
			*refused = 1;
			break;
		}
		/* EventList: Complete; Asterisk <= 11 names the last event. */
		if (ami_is(&m, "EventList", "Complete") ||
		    (ami_get(&m, "Event", &(size_t){ 0 }) != NULL &&
			ami_get(&m, "ListItems", &(size_t){ 0 }) != NULL)) {
			if (keep)
				keep_frame(ep, &m, id, 1);
			break;
		}
		if (keep)
			keep_frame(ep, &m, id, 0);
		else
			deliver(&m, sink, b, ep);
	}
	return e;
}

/*
 * Lists the endpoints as the workers' sippeers does and hands the text
 * over (ep_list), unless it was over the limits (then no listing: the
 * workers ask the backend).  A refusal is a listing too: the worker
 * would answer it the same.  Returns E_OK or the error.
 */
static enum err
list_endpoints(struct ami *c, struct ev_sink *sink, const _Atomic int *stop,
    struct ami_evbuf *b, struct eps *ep, char *why, size_t whylen)
{
	int refused;
	enum err e;

	if (sink->ep_list == NULL)
		return E_OK;
	ep->relist = 0; /* what asked for it is answered by this one */
	ep->listed = net_deadline(0);
	ep->dropped = 0;
	ep->items = 0;
	buf_clear(&ep->text);
	buf_clear(&ep->redo);
	ep->listing = 1;
	e = list(c, sink, stop, ep->action, b, ep, 1, &refused, why, whylen);
	ep->listing = 0;
	if (e != E_OK || atomic_load(stop))
		return e;
	if (ep->dropped || ep->text.overflow) {
		log_warnx("%s: over %d endpoints or %d bytes, not kept",
		    ep->action, LIM_EV_ENDPOINTS, LIM_EV_EP_TEXT);
		sink->ep_list(sink, NULL, 0);
	} else {
		sink->ep_list(
		    sink, ep->text.data ? ep->text.data : "", ep->text.len);
		redo(ep, sink);
	}
	return E_OK;
}

/*
 * Rebuilds: the channels (CoreShowChannels, between begin_sync and
 * end_sync), then the endpoint listing, the peers (PJSIPShowContacts)
 * and the queue members (QueueStatus), which a PBX without PJSIP or
 * queues may refuse.  Returns E_OK or the error.
 */
static enum err
rebuild(struct ami *c, struct ev_sink *sink, const _Atomic int *stop,
    struct ami_evbuf *b, struct eps *ep, char *why, size_t whylen)
{
	static const char *const optional[] = { "PJSIPShowContacts",
		"QueueStatus" };
	int refused;
	enum err e;
	size_t i;

	sink->begin_sync(sink);
	e = list(
	    c, sink, stop, "CoreShowChannels", b, ep, 0, &refused, why, whylen);
	if (e != E_OK || atomic_load(stop))
		return e;
	if (refused) {
		snprintf(why, whylen, "CoreShowChannels refused");
		return E_BACKEND;
	}
	sink->end_sync(sink);
	e = list_endpoints(c, sink, stop, b, ep, why, whylen);
	for (i = 0; i < nitems(optional) && e == E_OK; i++)
		e = list(c, sink, stop, optional[i], b, ep, 0, &refused, why,
		    whylen);
	return e;
}

/* Whether the endpoints are to be listed again now. */
static int
relist_due(const struct ev_sink *sink, const struct eps *ep)
{
	return sink->ep_list != NULL &&
	    (ep->relist ||
		(sink->ep_refresh_ms > 0 &&
		    net_deadline(0) - ep->listed >=
			(uint64_t)sink->ep_refresh_ms));
}

/* Reads events until the connection fails or *stop. */
static enum err
follow(struct ami *c, struct ev_sink *sink, const _Atomic int *stop,
    struct ami_evbuf *b, struct eps *ep, char *why, size_t whylen)
{
	static const struct ami_action ping = { .action = "Ping" };
	uint64_t heard = net_deadline(0), pinged = 0;
	struct arena *a;
	struct ami_msg m;
	enum err e;

	while (!atomic_load(stop)) {
		e = ami_next(c, net_deadline(STEP_MS), &m, why, whylen);
		if (e == E_OK) {
			heard = net_deadline(0);
			pinged = 0;
			deliver(&m, sink, b, ep);
			if (relist_due(sink, ep) &&
			    (e = list_endpoints(
				 c, sink, stop, b, ep, why, whylen)) != E_OK)
				return e;
			continue;
		}
		if (e != E_TIMEOUT)
			return e;
		if (relist_due(sink, ep) &&
		    (e = list_endpoints(c, sink, stop, b, ep, why, whylen)) !=
			E_OK)
			return e;
		if (net_deadline(0) - heard >= DEAD_MS) {
			snprintf(
			    why, whylen, "AMI silent for %d s", DEAD_MS / 1000);
			return E_TIMEOUT;
		}
		if (net_deadline(0) - heard >= PING_MS && pinged == 0) {
			a = arena_new();
			e = ami_send(c, a, &ping, "pbxapi-ping",
			    net_deadline(STEP_MS), why, whylen);
			arena_free(a);
			if (e != E_OK)
				return e;
			pinged = 1;
		}
	}
	return E_OK;
}

enum err
src_ami(const struct tenant *t, struct ev_sink *sink, const _Atomic int *stop,
    char *errbuf, size_t errlen)
{
	struct ami_conf cf = { .host = tenant_get(t, "AMI_HOST"),
		.events = AMI_EVENTS };
	struct arena *a = arena_new();
	struct ami_evbuf *b;
	struct ami *c = NULL;
	struct eps ep = { 0 };
	char port[24];
	enum err e;

	/* The action the workers' sippeers sends (handlers/elastix). */
	ep.pjsip = strcmp(tenant_get(t, "CHAN_DRIVER"), "pjsip") == 0;
	ep.action = ep.pjsip ? "PJSIPShowEndpoints" : "Sippeers";
	ep.cut = ep.pjsip ? "EndpointListComplete" : "ListItems";
	buf_init(&ep.text, LIM_EV_EP_TEXT);
	buf_init(&ep.redo, LIM_EV_EP_REDO);

	/* The workers' credentials: AMI_USERNAME and AMI_SECRET, else
	 * manager.conf's (AMI_CONF_PATH). */
	pbx_ami_credentials(a, t, &cf.user, &cf.secret);
	snprintf(port, sizeof(port), "%ld", tenant_getint(t, "AMI_PORT"));
	cf.port = port;
	if ((b = malloc(sizeof(*b))) == NULL)
		fatal("malloc");
	e = ami_open(&cf, net_deadline(STEP_MS), &c, errbuf, errlen);
	arena_free(a);
	if (e == E_OK)
		e = rebuild(c, sink, stop, b, &ep, errbuf, errlen);
	if (e == E_OK)
		e = follow(c, sink, stop, b, &ep, errbuf, errlen);
	if (e != E_OK)
		sink->down(sink, errbuf);
	ami_close(c);
	buf_free(&ep.text);
	buf_free(&ep.redo);
	free(b);
	return atomic_load(stop) ? E_OK : e;
}
