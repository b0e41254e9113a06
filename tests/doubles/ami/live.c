/*
 * ami_double's live events: the call world (lib/world.h) rendered as
 * Asterisk's AMI events, in the shapes of shared/fixtures/ami
 * (Events_Originate_Hangup.txt, Events_Originate_Failure.txt: header
 * order included), sent to every connection logged in with events on;
 * and the actions that drive it (Originate to a destination a rule
 * names, Hangup, PlayDTMF, CoreShowChannels).
 *
 * A call's life in events (incoming calls have no Dial* nor
 * OriginateResponse):
 *
 *   created   Newchannel (0 Down; incoming 4 Ring), DialBegin
 *   ringing   Newstate (5 Ringing)
 *   answered  Newstate (6 Up), DialEnd (ANSWER), OriginateResponse
 *             (Success, Reason 4)
 *   failed    DialEnd (BUSY, NOANSWER, CHANUNAVAIL, CONGESTION),
 *             OriginateResponse (Failure, Reason 5 busy, 3 no answer,
 *             8 congestion, 0 otherwise: Asterisk's AST_CONTROL_*)
 *   hangup    HangupRequest (Cause; API or far end), Hangup (Cause,
 *             Cause-txt)
 *   DTMF      DTMFBegin, DTMFEnd (Direction Received, DurationMs 100)
 *   hold      Hold (MusicClass default), Unhold
 *   bridge    BridgeEnter, BridgeLeave (Asterisk 13+ bridge block)
 *
 * DTMF, Hold and Bridge* are not in the captures: their headers follow
 * Asterisk's manager event documentation (the channel block and the
 * bridge block are the same snapshots as in the captured events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "world.h"
#include "ami_double.h"

typedef void (*putfn)(void *, const char *, const char *, size_t);

static const char *
or_unknown(const char *s)
{
	return s[0] != '\0' ? s : "<unknown>";
}

/* The channel state number and text (Asterisk's ast_state2str). */
static int
state_num(const struct wcall *c, const char **desc)
{
	switch (c->state) {
	case WS_DOWN:
		*desc = "Down";
		return 0;
	case WS_RING:
		*desc = c->incoming ? "Ring" : "Ringing";
		return c->incoming ? 4 : 5;
	default:
		*desc = "Up";
		return 6;
	}
}

/* The channel snapshot block, with a prefix ("Dest" for DialBegin). */
static void
chan_block(struct wbuf *b, const struct wcall *c, const char *pfx)
{
	const char *desc;
	int n = state_num(c, &desc);

	wb_printf(b,
	    "%sChannel: %s\r\n%sChannelState: %d\r\n%sChannelStateDesc: %s\r\n"
	    "%sCallerIDNum: %s\r\n%sCallerIDName: %s\r\n"
	    "%sConnectedLineNum: %s\r\n%sConnectedLineName: %s\r\n"
	    "%sLanguage: en\r\n%sAccountCode: \r\n%sContext: %s\r\n"
	    "%sExten: %s\r\n%sPriority: 1\r\n%sUniqueid: %s\r\n"
	    "%sLinkedid: %s\r\n",
	    pfx, c->name, pfx, n, pfx, desc, pfx, or_unknown(c->cid_num), pfx,
	    or_unknown(c->cid_name), pfx, or_unknown(c->cid_num), pfx,
	    or_unknown(c->cid_name), pfx, pfx, pfx, c->ctx, pfx, c->dest, pfx,
	    pfx, c->id, pfx, c->id);
}

/* One event: its head, the channel block (pfx), then extra lines. */
static void
event(putfn put, void *ctx, const char *name, const char *priv,
    const struct wcall *c, const char *pfx, const char *extra)
{
	struct wbuf b = { 0 };

	wb_printf(&b,
	    "Event: %s\r\nPrivilege: %s,all\r\nSystemName: pbxtest\r\n", name,
	    priv);
	if (pfx != NULL)
		chan_block(&b, c, pfx);
	if (extra != NULL)
		wb_adds(&b, extra);
	wb_adds(&b, "\r\n");
	put(ctx, name, b.p, b.len);
	free(b.p);
}

static const char *
dialstatus(const char *outcome)
{
	if (strcmp(outcome, "busy") == 0)
		return "BUSY";
	if (strcmp(outcome, "noanswer") == 0)
		return "NOANSWER";
	if (strcmp(outcome, "congestion") == 0)
		return "CONGESTION";
	if (strcmp(outcome, "answer") == 0)
		return "ANSWER";
	return "CHANUNAVAIL";
}

/* OriginateResponse (Events_Originate_*.txt), after the outcome. */
static void
originate_response(putfn put, void *ctx, const struct wcall *c)
{
	const char *o = c->rule.outcome;
	int ok = c->state == WS_UP;
	int reason = ok			   ? 4
	    : strcmp(o, "busy") == 0	   ? 5
	    : strcmp(o, "noanswer") == 0   ? 3
	    : strcmp(o, "congestion") == 0 ? 8
					   : 0;
	struct wbuf b = { 0 };

	wb_adds(&b,
	    "Event: OriginateResponse\r\nPrivilege: call,all\r\n"
	    "SystemName: pbxtest\r\n");
	if (c->aid[0] != '\0')
		wb_printf(&b, "ActionID: %s\r\n", c->aid);
	wb_printf(&b,
	    "Response: %s\r\nChannel: %s\r\nContext: %s\r\nExten: %s\r\n"
	    "Reason: %d\r\nUniqueid: %s\r\nCallerIDNum: %s\r\n"
	    "CallerIDName: %s\r\n\r\n",
	    ok ? "Success" : "Failure", c->name, c->ctx, c->dest, reason, c->id,
	    or_unknown(c->cid_num), or_unknown(c->cid_name));
	put(ctx, "OriginateResponse", b.p, b.len);
	free(b.p);
}

static void
bridge_event(putfn put, void *ctx, const struct wcall *c, const char *name)
{
	struct wbuf b = { 0 };

	wb_printf(&b,
	    "Event: %s\r\nPrivilege: call,all\r\nSystemName: pbxtest\r\n"
	    "BridgeUniqueid: %s\r\nBridgeType: basic\r\n"
	    "BridgeTechnology: simple_bridge\r\nBridgeCreator: <unknown>\r\n"
	    "BridgeName: <unknown>\r\nBridgeNumChannels: %d\r\n"
	    "BridgeVideoSourceMode: none\r\n",
	    name, c->bridge, strcmp(name, "BridgeEnter") == 0);
	chan_block(&b, c, "");
	wb_adds(&b, "\r\n");
	put(ctx, name, b.p, b.len);
	free(b.p);
}

static void
render(const struct wevent *ev, putfn put, void *ctx)
{
	const struct wcall *c = ev->c;
	char extra[256];

	switch (ev->type) {
	case WE_INJECT:
		put(ctx, "inject", ev->raw, ev->rawlen);
		return;
	case WE_CREATE:
		event(put, ctx, "Newchannel", "call", c, "", NULL);
		if (c->incoming)
			return;
		snprintf(extra, sizeof(extra), "DialString: %s\r\n", c->dest);
		event(put, ctx, "DialBegin", "call", c, "Dest", extra);
		return;
	case WE_RING:
		if (!c->incoming)
			event(put, ctx, "Newstate", "call", c, "", NULL);
		return;
	case WE_PLAY: /* ARI's only */
		return;
	case WE_MEDIA: /* AMI has no event for early media */
		return;
	case WE_ANSWER:
		event(put, ctx, "Newstate", "call", c, "", NULL);
		if (c->incoming)
			return;
		event(put, ctx, "DialEnd", "call", c, "Dest",
		    "DialStatus: ANSWER\r\n");
		originate_response(put, ctx, c);
		return;
	case WE_FAIL:
		if (c->incoming)
			return;
		snprintf(extra, sizeof(extra), "DialStatus: %s\r\n",
		    dialstatus(c->rule.outcome));
		event(put, ctx, "DialEnd", "call", c, "Dest", extra);
		originate_response(put, ctx, c);
		return;
	case WE_HANGUP_REQ:
		snprintf(extra, sizeof(extra), "Cause: %d\r\n", c->cause);
		event(put, ctx, "HangupRequest", "call", c, "", extra);
		return;
	case WE_HANGUP:
		snprintf(extra, sizeof(extra), "Cause: %d\r\nCause-txt: %s\r\n",
		    c->cause, world_cause_txt(c->cause));
		event(put, ctx, "Hangup", "call", c, "", extra);
		return;
	case WE_DTMF:
		snprintf(extra, sizeof(extra),
		    "Digit: %c\r\nDirection: Received\r\n", c->digit);
		event(put, ctx, "DTMFBegin", "dtmf", c, "", extra);
		snprintf(extra, sizeof(extra),
		    "Digit: %c\r\nDurationMs: 100\r\nDirection: Received\r\n",
		    c->digit);
		event(put, ctx, "DTMFEnd", "dtmf", c, "", extra);
		return;
	case WE_HOLD:
		event(
		    put, ctx, "Hold", "call", c, "", "MusicClass: default\r\n");
		return;
	case WE_UNHOLD:
		event(put, ctx, "Unhold", "call", c, "", NULL);
		return;
	case WE_BRIDGE:
		bridge_event(put, ctx, c, "BridgeEnter");
		return;
	case WE_UNBRIDGE:
		bridge_event(put, ctx, c, "BridgeLeave");
		return;
	}
}

/* Every event to every connection logged in with events on. */
static int
send_ev(int fd, const char *arg, const char *name, const struct wcall *c,
    const char *payload, size_t n)
{
	(void)arg;
	(void)name;
	(void)c;
	return dbl_send_all(fd, payload, n);
}

/* Local/600@test-00000001;1 as Asterisk names an originate's channel. */
static void
name(const struct wcall *c, char *out, size_t size)
{
	snprintf(out, size, "%s/%s-%08lx", c->incoming ? "PJSIP" : "Local",
	    c->dest, c->seq);
	if (!c->incoming)
		snprintf(out + strlen(out), size - strlen(out), ";1");
}

/* ---- endpoints and refused originations (control commands) ---- */

#define EP_MAX	   64
#define REFUSE_MAX 16

/* What the control socket changed of an endpoint PJSIPShowEndpoints
 * lists: its DeviceState, its Contacts ("" each: as the fixture). */
static struct {
	char name[64], state[32], contacts[512];
} eps[EP_MAX];
static size_t neps;

/* Destinations whose Originate makes no channel, and its Reason. */
static struct {
	char dest[64];
	int reason;
} refused[REFUSE_MAX];
static size_t nrefused;

/* The OriginateResponse of a refused origination, sent after its reply. */
static char pending[1024];

/* Sends an event frame to every event connection (under the lock). */
static void
emit_raw(const char *frame)
{
	struct wevent ev = {
		.type = WE_INJECT, .raw = frame, .rawlen = strlen(frame)
	};

	world_inject(&ev);
}

static size_t
ep_index(const char *name)
{
	size_t i;

	for (i = 0; i < neps; i++)
		if (strcmp(eps[i].name, name) == 0)
			return i;
	if (neps == EP_MAX)
		return EP_MAX;
	snprintf(eps[neps].name, sizeof(eps[neps].name), "%s", name);
	eps[neps].state[0] = eps[neps].contacts[0] = '\0';
	return neps++;
}

/* Asterisk's DeviceState text of a DeviceStateChange State. */
static const char *
listed_state(const char *st)
{
	static const char *const map[][2] = { { "UNKNOWN", "Unknown" },
		{ "NOT_INUSE", "Not in use" }, { "INUSE", "In use" },
		{ "BUSY", "Busy" }, { "INVALID", "Invalid" },
		{ "UNAVAILABLE", "Unavailable" }, { "RINGING", "Ringing" },
		{ "RINGINUSE", "Ring+Inuse" }, { "ONHOLD", "On Hold" } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], st) == 0)
			return map[i][1];
	return NULL;
}

/* device NAME STATE: DeviceStateChange for PJSIP/NAME. */
static int
ctl_device(const char *args, struct wbuf *r)
{
	char name[64], st[32], frame[256];
	size_t i;

	if (sscanf(args, "%63s %31s", name, st) != 2 ||
	    listed_state(st) == NULL || (i = ep_index(name)) == EP_MAX) {
		wb_adds(r, "err usage: device NAME NOT_INUSE|INUSE|...");
		return 0;
	}
	snprintf(eps[i].state, sizeof(eps[i].state), "%s", listed_state(st));
	snprintf(frame, sizeof(frame),
	    "Event: DeviceStateChange\r\nPrivilege: call,all\r\n"
	    "SystemName: pbxtest\r\nDevice: PJSIP/%s\r\nState: %s\r\n\r\n",
	    name, st);
	emit_raw(frame);
	wb_adds(r, "ok");
	return 0;
}

/*
 * contact NAME URI created|removed: ContactStatus for the AOR NAME of
 * endpoint NAME; the endpoint's Contacts gain or lose "NAME/URI,".
 */
static int
ctl_contact(const char *args, struct wbuf *r)
{
	char name[64], uri[200], st[16], item[280], frame[768], *at;
	size_t i, n;

	if (sscanf(args, "%63s %199s %15s", name, uri, st) != 3 ||
	    (strcmp(st, "created") != 0 && strcmp(st, "removed") != 0) ||
	    (i = ep_index(name)) == EP_MAX) {
		wb_adds(r, "err usage: contact NAME URI created|removed");
		return 0;
	}
	snprintf(item, sizeof(item), "%s/%s,", name, uri);
	n = strlen(eps[i].contacts);
	if (st[0] == 'c' && strstr(eps[i].contacts, item) == NULL &&
	    n + strlen(item) < sizeof(eps[i].contacts))
		memcpy(eps[i].contacts + n, item, strlen(item) + 1);
	else if (st[0] == 'r' && (at = strstr(eps[i].contacts, item)) != NULL)
		memmove(at, at + strlen(item), strlen(at + strlen(item)) + 1);
	snprintf(frame, sizeof(frame),
	    "Event: ContactStatus\r\nPrivilege: system,all\r\n"
	    "SystemName: pbxtest\r\nURI: %s\r\nContactStatus: %s\r\n"
	    "AOR: %s\r\nEndpointName: %s\r\nRoundtripUsec: 0\r\n\r\n",
	    uri, st[0] == 'c' ? "Created" : "Removed", name, name);
	emit_raw(frame);
	wb_adds(r, "ok");
	return 0;
}

/* refuse-originate DEST [REASON]: its Originate makes no channel. */
static int
ctl_refuse(const char *args, struct wbuf *r)
{
	char dest[64];
	int reason = 0;

	if (sscanf(args, "%63s %d", dest, &reason) < 1 ||
	    nrefused == REFUSE_MAX) {
		wb_adds(r, "err usage: refuse-originate DEST [REASON]");
		return 0;
	}
	snprintf(refused[nrefused].dest, sizeof(refused[0].dest), "%s", dest);
	refused[nrefused++].reason = reason;
	wb_adds(r, "ok");
	return 0;
}

static int
command(const char *line, struct wbuf *r)
{
	const char *sp = strchr(line, ' '), *args = sp ? sp + 1 : "";
	size_t n = sp ? (size_t)(sp - line) : strlen(line);

	static const struct {
		const char *name;
		int (*fn)(const char *, struct wbuf *);
	} cmds[] = { { "device", ctl_device }, { "contact", ctl_contact },
		{ "refuse-originate", ctl_refuse } };
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == n &&
		    strncmp(line, cmds[i].name, n) == 0)
			return cmds[i].fn(args, r);
	return -1;
}

static const struct wdriver driver = { .who = "ami",
	.render = render,
	.send = send_ev,
	.command = command,
	.name = name };

void
live_init(const char *log, const char *ctl)
{
	world_init(&driver, ctl != NULL ? log : NULL, ctl);
}

/* ---- the actions ---- */

/* The n bytes at s into dst (size bytes), cut and NUL-terminated. */
static void
cut(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* "Local/600@test" and "PJSIP/600" dial 600. */
static void
dest_of(const char *chan, char *dest, size_t size)
{
	const char *d = strchr(chan, '/');

	d = d != NULL ? d + 1 : chan;
	cut(dest, size, d, strcspn(d, "@"));
}

/* The live call a Channel header names (its name or Uniqueid). */
static struct wcall *
by_channel(const char *ch)
{
	struct wcall *w;
	size_t i, n;

	w = world_calls(&n);
	for (i = 0; i < n; i++)
		if (w[i].state != WS_GONE &&
		    (strcmp(w[i].name, ch) == 0 || strcmp(w[i].id, ch) == 0))
			return &w[i];
	return NULL;
}

static void
reply(struct out *o, const char *id, const char *text)
{
	out_adds(o, text);
	with_id(o, "ActionID: x\r\n", 13, id);
	out_adds(o, "\r\n");
}

/*
 * The originated channel's name and context as Asterisk has them: the
 * Channel header with a sequence (";1" for the Local channel's first
 * half), the Context header.
 */
static void
named(const char *id, const char *chan, const char *ctx)
{
	struct wcall *w;

	world_lock();
	if ((w = world_find(id)) != NULL) {
		snprintf(w->name, sizeof(w->name), "%.120s-%08lx%s", chan,
		    w->seq, strncasecmp(chan, "Local/", 6) == 0 ? ";1" : "");
		if (ctx != NULL)
			cut(w->ctx, sizeof(w->ctx), ctx, strlen(ctx));
	}
	world_unlock();
}

/*
 * An Originate to a refused destination: queued, then only its
 * OriginateResponse (Events_Originate_Failure.txt's: Failure, Uniqueid
 * <unknown>), as Asterisk when no channel could be made.  Returns 0, or
 * -1 if dest is not refused.
 */
static int
refuse(const char *dest, const char *ch, const char *ctx, const char *cid,
    const char *id, struct out *o)
{
	size_t i;

	world_lock();
	for (i = 0; i < nrefused; i++)
		if (strcmp(refused[i].dest, dest) == 0)
			break;
	if (i < nrefused)
		snprintf(pending, sizeof(pending),
		    "Event: OriginateResponse\r\nPrivilege: call,all\r\n"
		    "SystemName: pbxtest\r\nActionID: %.200s\r\n"
		    "Response: Failure\r\nChannel: %.200s\r\n"
		    "Context: %.64s\r\nExten: %.64s\r\nReason: %d\r\n"
		    "Uniqueid: <unknown>\r\nCallerIDNum: %.64s\r\n"
		    "CallerIDName: <unknown>\r\n\r\n",
		    id ? id : "", ch, ctx ? ctx : "default", dest,
		    refused[i].reason, cid && *cid ? cid : "<unknown>");
	world_unlock();
	if (i == nrefused)
		return -1;
	reply(o, id, "Response: Success\r\n");
	o->len -= 2;
	out_adds(o, "Message: Originate successfully queued\r\n\r\n");
	return 0;
}

void
live_after_reply(void)
{
	world_lock();
	if (pending[0] != '\0')
		emit_raw(pending);
	pending[0] = '\0';
	world_unlock();
}

/* The live calls on channels "PJSIP/<ep>-..." (under the lock). */
static size_t
active_channels(const char *ep)
{
	struct wcall *w;
	size_t i, n, k = 0, l = strlen(ep);

	w = world_calls(&n);
	for (i = 0; i < n; i++)
		k += w[i].state != WS_GONE &&
		    strncmp(w[i].name, "PJSIP/", 6) == 0 &&
		    strncmp(w[i].name + 6, ep, l) == 0 &&
		    w[i].name[6 + l] == '-';
	return k;
}

/*
 * PJSIPShowEndpoints: the fixture with the control socket's changes and
 * ActiveChannels counting the world's live PJSIP/<endpoint>-... calls.
 */
static int
show_endpoints(const char *id, struct out *o)
{
	struct out f = { 0 };
	const char *p, *end, *nl;
	char cur[64] = "", num[48];
	size_t i, l, k;

	for (i = 0; i < S.nfx; i++)
		if (strcmp(S.fx[i].name, "PJSIPShowEndpoints") == 0)
			break;
	if (i == S.nfx)
		return -1;
	with_id(&f, S.fx[i].reply, S.fx[i].rlen, id);
	world_lock();
	for (p = f.p, end = f.p + f.len; p < end; p += l) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (strncmp(p, "ObjectName: ", 12) == 0)
			cut(cur, sizeof(cur), p + 12, strcspn(p + 12, "\r\n"));
		for (k = 0; k < neps && strcmp(eps[k].name, cur) != 0; k++)
			;
		if (k < neps && eps[k].state[0] != '\0' &&
		    strncmp(p, "DeviceState: ", 13) == 0) {
			out_adds(o, "DeviceState: ");
			out_adds(o, eps[k].state);
			out_adds(o, "\r\n");
		} else if (k < neps && strncmp(p, "Contacts: ", 10) == 0) {
			out_adds(o, "Contacts: ");
			out_adds(o, eps[k].contacts);
			out_adds(o, "\r\n");
		} else if (cur[0] != '\0' &&
		    strncmp(p, "ActiveChannels: ", 16) == 0) {
			snprintf(num, sizeof(num), "ActiveChannels: %zu\r\n",
			    active_channels(cur));
			out_adds(o, num);
		} else
			out_add(o, p, l);
		if (l <= 2) /* a frame's end */
			cur[0] = '\0';
	}
	world_unlock();
	free(f.p);
	return 0;
}

/* Originate of a destination a rule names: queued, started later. */
static int
originate(const char *m, size_t n, const char *id, struct out *o, char *start,
    size_t ssize)
{
	char *ch = header(m, n, "Channel"), *cid = header(m, n, "CallerID");
	char *uid = header(m, n, "ChannelId"), dest[64], num[64] = "";
	char *ctx = header(m, n, "Context");
	char nm[64] = "", *lt;
	size_t k;
	int rc = -1;

	if (ch == NULL)
		goto out;
	dest_of(ch, dest, sizeof(dest));
	if (refuse(dest, ch, ctx, cid, id, o) == 0) {
		rc = 0;
		goto out;
	}
	if (!world_has_rule(dest))
		goto out;
	if (cid != NULL && (lt = strchr(cid, '<')) != NULL) {
		cut(num, sizeof(num), lt + 1, strcspn(lt + 1, ">"));
		cut(nm, sizeof(nm), cid, (size_t)(lt - cid));
		for (k = strlen(nm); k > 0 && nm[k - 1] == ' '; k--)
			nm[k - 1] = '\0';
	} else if (cid != NULL)
		snprintf(num, sizeof(num), "%s", cid);
	if (world_originate(dest, uid, num, nm, NULL, id, start, ssize) == -1) {
		out_adds(o, "Response: Error\r\n");
		with_id(o, "ActionID: x\r\n", 13, id);
		out_adds(o, "Message: Originate failed\r\n\r\n");
		start[0] = '\0';
	} else {
		named(start, ch, ctx);
		reply(o, id, "Response: Success\r\n");
	}
	if (start[0] != '\0') { /* the fixture's text, after the ActionID */
		o->len -= 2;
		out_adds(o, "Message: Originate successfully queued\r\n\r\n");
	}
	rc = 0;
out:
	free(ch);
	free(cid);
	free(uid);
	free(ctx);
	return rc;
}

/* CoreShowChannels from the world (CoreShowChannels.txt's shape). */
static void
show_channels(const char *id, struct out *o)
{
	struct wbuf b = { 0 };
	struct wcall *w;
	char tail[80];
	const char *desc;
	size_t i, n, k = 0;
	long secs;

	out_adds(o, "Response: Success\r\n");
	with_id(o, "ActionID: x\r\n", 13, id);
	out_adds(
	    o, "EventList: start\r\nMessage: Channels will follow\r\n\r\n");
	world_lock();
	w = world_calls(&n);
	for (i = 0; i < n; i++) {
		if (w[i].state == WS_GONE)
			continue;
		k++;
		b.len = 0;
		wb_adds(&b, "Event: CoreShowChannel\r\n");
		if (id != NULL)
			wb_printf(&b, "ActionID: %s\r\n", id);
		chan_block(&b, &w[i], "");
		secs = (world_ms() - w[i].created_ms) / 1000;
		state_num(&w[i], &desc);
		wb_printf(&b,
		    "Application: %s\r\nApplicationData: %s\r\n"
		    "Duration: %02ld:%02ld:%02ld\r\nBridgeId: %s\r\n\r\n",
		    w[i].state == WS_UP ? "Wait" : "AppDial",
		    w[i].state == WS_UP ? "3600" : "(Outgoing Line)",
		    secs / 3600, secs / 60 % 60, secs % 60, w[i].bridge);
		out_add(o, b.p, b.len);
	}
	world_unlock();
	free(b.p);
	out_adds(o, "Event: CoreShowChannelsComplete\r\n");
	if (id != NULL) {
		out_adds(o, "ActionID: ");
		out_adds(o, id);
		out_adds(o, "\r\n");
	}
	snprintf(tail, sizeof(tail),
	    "EventList: Complete\r\nListItems: %zu\r\n\r\n", k);
	out_adds(o, tail);
}

int
live_action(const char *action, const char *m, size_t n, const char *id,
    struct out *o, char *start, size_t ssize)
{
	char *ch, *arg;
	struct wcall *w;
	char wid[96];
	int rc = -1;
	size_t k;

	start[0] = '\0';
	if (strcasecmp(action, "Originate") == 0)
		return originate(m, n, id, o, start, ssize);
	if (strcasecmp(action, "PJSIPShowEndpoints") == 0) {
		world_lock();
		k = neps;
		world_unlock();
		return k > 0 || world_active() ? show_endpoints(id, o) : -1;
	}
	if (strcasecmp(action, "CoreShowChannels") == 0) {
		if (!world_active())
			return -1;
		show_channels(id, o);
		return 0;
	}
	if (strcasecmp(action, "Hangup") != 0 &&
	    strcasecmp(action, "PlayDTMF") != 0)
		return -1;
	if ((ch = header(m, n, "Channel")) == NULL)
		return -1;
	world_lock();
	w = by_channel(ch);
	if (w != NULL)
		snprintf(wid, sizeof(wid), "%s", w->id);
	world_unlock();
	free(ch);
	if (w == NULL)
		return -1;
	if (strcasecmp(action, "Hangup") == 0) {
		arg = header(m, n, "Cause");
		rc = world_hangup(wid, arg ? (int)strtol(arg, NULL, 10) : 16);
		reply(o, id, "Response: Success\r\n");
		o->len -= 2;
		out_adds(o, "Message: Channel Hungup\r\n\r\n");
	} else {
		arg = header(m, n, "Digit");
		rc = world_dtmf(wid, arg ? arg : "");
		reply(o, id, "Response: Success\r\n");
		o->len -= 2;
		out_adds(o, "Message: DTMF successfully queued\r\n\r\n");
	}
	free(arg);
	return rc == 0 ? 0 : -1;
}
