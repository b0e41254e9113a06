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

static const struct wdriver driver = {
	.who = "ami", .render = render, .send = send_ev, .name = name
};

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

	start[0] = '\0';
	if (strcasecmp(action, "Originate") == 0)
		return originate(m, n, id, o, start, ssize);
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
