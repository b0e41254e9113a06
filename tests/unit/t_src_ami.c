/*
 * The AMI source's translation (fcgi/companion/src_ami.c) from the real
 * captures in shared/fixtures/ami (Events_Originate_Hangup.txt,
 * Events_Originate_Failure.txt, Events_Queue.txt, Login_EventsOn.txt,
 * CoreShowChannels.txt), events the captures lack in the shapes of
 * Asterisk's manager documentation, and whole captures replayed into a
 * state store (fcgi/companion/state.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami.h"
#include "ami_frame.h"
#include "buf.h"
#include "src_ami.h"
#include "state.h"
#include "tap.h"
#include "util.h"

#define FRAMES_MAX 512
#define NOW_MS	   1796000000000LL

static struct ami_hdr hbuf[FRAMES_MAX][64];

struct frames {
	char *text;
	struct ami_msg m[FRAMES_MAX];
	size_t n;
};

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "rb");
	char *p;
	long sz;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	sz = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	p = malloc((size_t)sz + 1);
	if (p == NULL || fread(p, 1, (size_t)sz, fp) != (size_t)sz) {
		fclose(fp);
		free(p);
		return NULL;
	}
	p[sz] = '\0';
	fclose(fp);
	return p;
}

/* Cuts text into frames (f->m), 0 or -1. */
static int
cut(struct frames *f, char *text)
{
	struct ami_frame fr;
	size_t off = 0, n = strlen(text), used;

	f->text = text;
	f->n = 0;
	while (off < n && f->n < FRAMES_MAX) {
		if (ami_frame_next(text + off, n - off, &fr, hbuf[f->n], 64,
			&used) != AMI_OK)
			return -1;
		if (fr.nh > 0) {
			f->m[f->n].raw = text + off;
			f->m[f->n].len = used;
			f->m[f->n].f = fr;
			f->n++;
		}
		off += used;
	}
	return 0;
}

static int
load(struct frames *f, const char *name)
{
	const char *shared = getenv("PBXAPI_SHARED");
	char path[1024];
	char *text;

	snprintf(path, sizeof(path), "%s/fixtures/ami/%s.txt",
	    shared ? shared : "../shared", name);
	if ((text = slurp(path)) == NULL || cut(f, text) == -1) {
		ok(0, "fixture %s", path);
		free(text);
		return -1;
	}
	return 0;
}

/* The i-th frame whose Event is name (0-based), or NULL. */
static const struct ami_msg *
event(const struct frames *f, const char *name, int i)
{
	size_t k;

	for (k = 0; k < f->n; k++)
		if (ami_is(&f->m[k], "Event", name) && i-- == 0)
			return &f->m[k];
	return NULL;
}

static int
translate(const struct ami_msg *m, struct ev *e, struct ami_evbuf *b)
{
	return m != NULL && ami_translate(m, NOW_MS, e, b);
}

static void
originate_hangup(void)
{
	static struct frames f;
	static struct ami_evbuf b;
	struct ev e;

	if (load(&f, "Events_Originate_Hangup") == -1)
		return;
	ok(translate(event(&f, "Newchannel", 0), &e, &b), "Newchannel: kept");
	is_int(e.type, EV_CREATED, "Newchannel: created");
	is_str(e.backend, "ami", "backend ami");
	is_str(e.chan.id, "fixture-ev-1", "Newchannel: Uniqueid");
	is_str(e.chan.name, "Local/600@test-00000006;1", "Newchannel: name");
	is_int(e.chan.state, ST_DOWN, "Newchannel: Down");
	is_str(e.chan.caller_num, "", "<unknown> caller id is empty");
	is_str(e.chan.context, "test", "context");
	is_str(e.chan.exten, "600", "exten");
	is_int(e.chan.priority, 1, "priority");
	is_str(e.chan.linkedid, "fixture-ev-1", "linkedid");
	is_str(e.chan.language, "en", "language");
	is_str(e.chan.accountcode, "", "empty accountcode");
	is_int(e.ts_ms, 0, "no Timestamp: ts 0");
	ok(translate(event(&f, "Newchannel", 1), &e, &b), "second Newchannel");
	is_int(e.chan.state, ST_RING, "ChannelStateDesc Ring");

	ok(translate(event(&f, "Newexten", 0), &e, &b), "Newexten: kept");
	is_int(e.type, EV_UPDATE, "Newexten: update");
	is_str(e.chan.app, "AppDial2", "Newexten: Application");
	is_str(e.chan.app_data, "(Outgoing Line)", "Newexten: AppData");

	ok(translate(event(&f, "NewCallerid", 0), &e, &b), "NewCallerid");
	is_int(e.type, EV_UPDATE, "NewCallerid: update");
	is_str(e.chan.caller_num, "5553000", "NewCallerid: number");
	is_str(e.chan.caller_name, "Events", "NewCallerid: name");
	ok(e.chan.app == NULL, "NewCallerid: says nothing of the app");

	ok(translate(event(&f, "NewConnectedLine", 0), &e, &b), "NewConnLine");
	is_str(e.chan.connected_num, "5553000", "NewConnectedLine: number");

	ok(translate(event(&f, "DialBegin", 0), &e, &b), "DialBegin");
	is_int(e.type, EV_DIAL, "DialBegin: dial");
	is_str(e.chan.id, "fixture-ev-1",
	    "an Originate's DialBegin (no caller): the dialled channel");
	is_str(e.dialstatus, "", "DialBegin: dialstatus \"\"");

	ok(translate(event(&f, "Newstate", 0), &e, &b), "Newstate");
	is_int(e.type, EV_STATE, "Newstate: state");
	is_int(e.chan.state, ST_UP, "Newstate: Up");

	ok(translate(event(&f, "DialEnd", 0), &e, &b), "DialEnd");
	is_int(e.type, EV_DIAL_END, "DialEnd: dial_end");
	is_str(e.dialstatus, "ANSWER", "DialEnd: ANSWER");

	ok(translate(event(&f, "HangupRequest", 0), &e, &b), "HangupRequest");
	is_int(e.type, EV_HANGUP, "HangupRequest: hangup");
	is_int(e.cause, 16, "HangupRequest: cause");
	is_str(e.chan.id, "fixture-ev-1;2", "HangupRequest: its channel");

	ok(translate(event(&f, "Hangup", 0), &e, &b), "Hangup");
	is_int(e.type, EV_DESTROYED, "Hangup: destroyed");
	is_int(e.cause, 16, "Hangup: cause");
	is_str(e.cause_txt, "Normal Clearing", "Hangup: Cause-txt");

	ok(!translate(event(&f, "Cdr", 0), &e, &b), "Cdr: ignored");
	ok(!translate(event(&f, "DeviceStateChange", 0), &e, &b),
	    "DeviceStateChange: ignored");
	ok(!translate(event(&f, "OriginateResponse", 0), &e, &b),
	    "OriginateResponse: ignored");
	ok(!translate(event(&f, "LocalBridge", 0), &e, &b),
	    "LocalBridge: ignored");
	ok(!translate(&f.m[0], &e, &b), "a Response frame: ignored");
	free(f.text);
}

static void
queue(void)
{
	static struct frames f;
	static struct ami_evbuf b;
	struct ev e;

	if (load(&f, "Events_Queue") == -1)
		return;
	ok(translate(event(&f, "QueueMemberAdded", 0), &e, &b), "QMAdded");
	is_int(e.type, EV_QUEUE_MEMBER, "QueueMemberAdded: queue_member");
	is_str(e.queue, "support", "queue");
	is_str(e.member, "PJSIP/103", "member: Interface");
	is_str(e.member_state, "not_inuse", "Status 1: not_inuse");
	ok(translate(event(&f, "QueueMemberRemoved", 0), &e, &b), "QMRemoved");
	is_str(e.member_state, "removed", "QueueMemberRemoved: removed");
	ok(!translate(event(&f, "QueueMemberPause", 0), &e, &b),
	    "QueueMemberPause: ignored");
	ok(!translate(event(&f, "VarSet", 0), &e, &b), "VarSet: ignored");
	ok(!translate(event(&f, "AgentCalled", 0), &e, &b),
	    "AgentCalled: ignored");
	ok(translate(event(&f, "DialBegin", 1), &e, &b),
	    "a caller's DialBegin");
	is_str(e.chan.id, "fixture-q-1;2", "DialBegin: the caller");
	ok(e.peer != NULL && e.peer[0] != '\0', "DialBegin: the peer's id");
	free(f.text);
}

static void
peer_lists(void)
{
	static struct frames f;
	static struct ami_evbuf b;
	struct ev e;

	if (load(&f, "PJSIPShowContacts") == -1)
		return;
	ok(translate(event(&f, "ContactList", 0), &e, &b), "ContactList");
	is_int(e.type, EV_PEER, "ContactList: peer");
	is_str(e.peer, "PJSIP/102", "ContactList: PJSIP/Endpoint");
	is_str(e.peer_state, "nonqualified", "ContactList: Status");
	free(f.text);
	if (load(&f, "QueueStatus") == -1)
		return;
	ok(translate(event(&f, "QueueMember", 0), &e, &b), "QueueMember");
	is_int(e.type, EV_QUEUE_MEMBER, "QueueMember: queue_member");
	is_str(e.queue, "sales", "QueueMember: Queue");
	is_str(e.member, "PJSIP/101", "QueueMember: Location");
	is_str(e.member_state, "unavailable", "QueueMember: Status 5");
	ok(!translate(event(&f, "QueueParams", 0), &e, &b),
	    "QueueParams: ignored");
	ok(!translate(event(&f, "QueueEntry", 0), &e, &b),
	    "QueueEntry: ignored");
	free(f.text);
}

static void
login_and_list(void)
{
	static struct frames f;
	static struct ami_evbuf b;
	struct ev e;

	if (load(&f, "Login_EventsOn") == -1)
		return;
	ok(!translate(event(&f, "FullyBooted", 0), &e, &b),
	    "FullyBooted: ignored");
	ok(!translate(event(&f, "SuccessfulAuth", 0), &e, &b),
	    "SuccessfulAuth: ignored");
	free(f.text);
	if (load(&f, "CoreShowChannels") == -1)
		return;
	ok(translate(event(&f, "CoreShowChannel", 0), &e, &b),
	    "CoreShowChannel: kept");
	is_int(e.type, EV_CREATED, "CoreShowChannel: created");
	is_str(e.chan.id, "fixture-pjsip-102", "CoreShowChannel: Uniqueid");
	is_str(e.chan.app, "Wait", "CoreShowChannel: Application");
	is_str(e.chan.app_data, "3600", "CoreShowChannel: ApplicationData");
	is_str(e.chan.bridge, "", "CoreShowChannel: BridgeId");
	is_int(e.chan.created_ms, NOW_MS - 1000, "Duration 00:00:01");
	is_int(e.chan.state, ST_UP, "CoreShowChannel: Up");
	ok(!translate(event(&f, "CoreShowChannelsComplete", 0), &e, &b),
	    "CoreShowChannelsComplete: not an event of the model");
	free(f.text);
}

/* One synthetic frame (headers as in Asterisk's documentation). */
static int
one(const char *text, struct ev *e, struct ami_evbuf *b)
{
	static struct frames f;
	static char copy[4096];

	snprintf(copy, sizeof(copy), "%s", text);
	if (cut(&f, copy) == -1 || f.n != 1)
		return -1;
	return ami_translate(&f.m[0], NOW_MS, e, b);
}

#define CHAN                                                                \
	"Channel: PJSIP/200-00000001\r\nChannelState: 6\r\n"                \
	"ChannelStateDesc: Up\r\nCallerIDNum: 200\r\nCallerIDName: Two\r\n" \
	"Context: from-internal\r\nExten: 300\r\nPriority: 3\r\n"           \
	"Uniqueid: 1700000000.1\r\nLinkedid: 1700000000.1\r\n"

static void
synthetic(void)
{
	static struct ami_evbuf b;
	struct ev e;

	is_int(one("Event: DTMFEnd\r\n" CHAN "Digit: 5\r\nDurationMs: 120\r\n"
		   "Direction: Received\r\n\r\n",
		   &e, &b),
	    1, "DTMFEnd");
	is_int(e.type, EV_DTMF, "DTMFEnd: dtmf");
	is_str(e.digit, "5", "digit");
	is_int(e.duration_ms, 120, "DurationMs");
	ok(one("Event: DTMFBegin\r\n" CHAN "Digit: 5\r\n\r\n", &e, &b) == 0,
	    "DTMFBegin: ignored");
	one("Event: Hold\r\n" CHAN "MusicClass: default\r\n\r\n", &e, &b);
	is_int(e.type, EV_HOLD, "Hold");
	one("Event: Unhold\r\n" CHAN "\r\n", &e, &b);
	is_int(e.type, EV_UNHOLD, "Unhold");
	one("Event: BridgeEnter\r\nBridgeUniqueid: br-1\r\nBridgeType: basic\r\n" CHAN
	    "\r\n",
	    &e, &b);
	is_int(e.type, EV_BRIDGE_ENTER, "BridgeEnter");
	is_str(e.chan.bridge, "br-1", "BridgeEnter: BridgeUniqueid");
	one("Event: BridgeLeave\r\nBridgeUniqueid: br-1\r\n" CHAN "\r\n", &e,
	    &b);
	is_int(e.type, EV_BRIDGE_LEAVE, "BridgeLeave");
	one("Event: PeerStatus\r\nChannelType: SIP\r\nPeer: SIP/200\r\n"
	    "PeerStatus: Reachable\r\nTimestamp: 1795350198.900868\r\n\r\n",
	    &e, &b);
	is_int(e.type, EV_PEER, "PeerStatus: peer");
	is_str(e.peer, "SIP/200", "PeerStatus: Peer");
	is_str(e.peer_state, "reachable", "PeerStatus: lower case");
	is_int(e.ts_ms, 1795350198900LL, "Timestamp in ms");
	one("Event: ContactStatus\r\nURI: sip:200@10.0.0.2:5060\r\n"
	    "ContactStatus: Unreachable\r\nAOR: 200\r\nEndpointName: 200\r\n"
	    "\r\n",
	    &e, &b);
	is_str(e.peer, "PJSIP/200", "ContactStatus: PJSIP/EndpointName");
	is_str(e.peer_state, "unreachable", "ContactStatus: state");
	one("Event: Dial\r\nSubEvent: Begin\r\nChannel: SIP/200-1\r\n"
	    "UniqueID: 1400000000.5\r\nDestination: SIP/300-2\r\n"
	    "DestUniqueID: 1400000000.6\r\nDialString: 300\r\n\r\n",
	    &e, &b);
	is_int(e.type, EV_DIAL, "Dial SubEvent Begin (Asterisk <= 11)");
	is_str(e.chan.id, "1400000000.5", "old Dial: UniqueID");
	is_str(e.peer, "1400000000.6", "old Dial: DestUniqueID");
	one("Event: Dial\r\nSubEvent: End\r\nChannel: SIP/200-1\r\n"
	    "UniqueID: 1400000000.5\r\nDialStatus: BUSY\r\n\r\n",
	    &e, &b);
	is_int(e.type, EV_DIAL_END, "Dial SubEvent End");
	is_str(e.dialstatus, "BUSY", "old Dial: DialStatus");
	one("Event: QueueMemberStatus\r\nQueue: sales\r\nInterface: "
	    "PJSIP/201\r\nStatus: 6\r\n\r\n",
	    &e, &b);
	is_str(e.member_state, "ringing", "QueueMemberStatus 6: ringing");
	is_int(one("Event: Newstate\r\nChannel: x\r\n\r\n", &e, &b), 0,
	    "a channel event without Uniqueid: ignored");
	is_int(one("Event: Newstate\r\nUniqueid: u1\r\nChannelState: 5\r\n\r\n",
		   &e, &b),
	    1, "Newstate with a number only");
	is_int(e.chan.state, ST_RINGING, "ChannelState 5: Ringing");
	is_int(one("Response: Success\r\nPing: Pong\r\n\r\n", &e, &b), 0,
	    "a response: ignored");
}

/* A whole capture replayed into a state store. */
static void
replay(void)
{
	static struct frames f;
	static struct ami_evbuf b;
	struct st_tenant *s = st_new("t", "ami", 100, 1000);
	struct st_stats st;
	struct ev e;
	size_t i, kept = 0;

	if (load(&f, "Events_Originate_Hangup") == -1) {
		st_free(s);
		return;
	}
	st_begin_sync(s);
	st_end_sync(s);
	for (i = 0; i < f.n; i++)
		if (ami_translate(&f.m[i], NOW_MS, &e, &b)) {
			st_apply(s, &e);
			kept++;
			if (i + 1 < f.n &&
			    ami_is(&f.m[i + 1], "Event", "HangupRequest")) {
				st_stats(s, &st);
				is_int(st.channels, 2,
				    "before the hangup: both halves of the "
				    "Local channel");
			}
		}
	st_stats(s, &st);
	is_int(st.events, kept, "every kept event applied");
	ok(kept >= 12, "the capture gives %zu events", kept);
	is_int(st.channels, 0, "after both Hangups: no channel");
	free(f.text);
	if (load(&f, "Events_Queue") == -1) {
		st_free(s);
		return;
	}
	for (i = 0; i < f.n; i++)
		if (ami_translate(&f.m[i], NOW_MS, &e, &b))
			st_apply(s, &e);
	st_stats(s, &st);
	is_int(st.members, 0, "Events_Queue: the member added is removed");
	is_int(st.channels, 0, "Events_Queue: every channel hung up");
	free(f.text);
	st_free(s);
}

/*
 * OriginateResponse: Failure without a channel (the captured one, its
 * ActionID made the WCS path's) is the callId's hangup with the cause
 * its Reason means; with a channel, or no callId, it is nothing.
 */
static void
originate_failure(void)
{
	static struct frames f;
	static struct ami_evbuf b;
	static char text[1024];
	const struct ami_msg *m;
	const char *p;
	struct ev e;
	size_t n;
	static const struct {
		const char *reason;
		int cause;
	} want[] = { { "5", 17 }, { "3", 19 }, { "8", 34 }, { "0", 1 },
		{ "1", 21 }, { "2", 127 } };
	char frame[768];

	if (load(&f, "Events_Originate_Failure") == -1)
		return;
	m = event(&f, "OriginateResponse", 0);
	ok(m != NULL, "the capture has an OriginateResponse");
	if (m == NULL)
		return;
	ok(ami_translate(m, NOW_MS, &e, &b) == 0,
	    "captured failure (ActionID fx-078): no callId, ignored");
	/* The capture with the WCS path's ActionID and each Reason. */
	for (n = 0; n < nitems(want); n++) {
		static const char head[] =
		    "Event: OriginateResponse\r\nPrivilege: call,all\r\n"
		    "ActionID: pbxapi-7-3" AMI_WCS_TAIL "wcs-x.1\r\n";
		size_t rest;

		p = strstr(m->raw, "Response: Failure");
		rest = p ? m->len - (size_t)(p - m->raw) : 0;
		if (rest > sizeof(frame) - sizeof(head))
			rest = sizeof(frame) - sizeof(head);
		memcpy(frame, head, sizeof(head) - 1);
		memcpy(frame + sizeof(head) - 1, p ? p : "", rest);
		frame[sizeof(head) - 1 + rest] = '\0';
		p = strstr(frame, "Reason: 0");
		if (p != NULL)
			frame[p - frame + 8] = want[n].reason[0];
		ok(one(frame, &e, &b) == 2 && e.type == EV_HANGUP &&
			e.chan.id != NULL &&
			strcmp(e.chan.id, "wcs-x.1") == 0 &&
			e.chan.name == NULL && e.cause == want[n].cause,
		    "Reason %s: EV_HANGUP of the callId, cause %d",
		    want[n].reason, want[n].cause);
	}
	snprintf(text, sizeof(text), "%s",
	    "Event: OriginateResponse\r\nActionID: a" AMI_WCS_TAIL "c1\r\n"
	    "Response: Failure\r\nReason: 5\r\nUniqueid: pbx-1.2\r\n\r\n");
	ok(one(text, &e, &b) == 0,
	    "a failure with a channel: its Hangup tells, ignored");
	snprintf(text, sizeof(text), "%s",
	    "Event: OriginateResponse\r\nActionID: a" AMI_WCS_TAIL "c1\r\n"
	    "Response: Success\r\nReason: 4\r\nUniqueid: <unknown>\r\n\r\n");
	ok(one(text, &e, &b) == 0, "a success: ignored");
	free(f.text);
}

/* One frame's edits to the endpoint listing. */
static int
ep_one(const char *text, int pjsip, struct ami_ep *o, struct ami_evbuf *b)
{
	static struct frames f;
	static char copy[4096];

	snprintf(copy, sizeof(copy), "%s", text);
	if (cut(&f, copy) == -1 || f.n != 1)
		return -1;
	return ami_ep_translate(&f.m[0], pjsip, o, b);
}

static int
edit_is(const struct ami_ep *o, size_t i, const char *ep, const char *key,
    const char *value, enum ev_ep_how how)
{
	return i < o->n && strcmp(o->e[i].endpoint, ep) == 0 &&
	    strcmp(o->e[i].key, key) == 0 &&
	    strcmp(o->e[i].value, value) == 0 && o->e[i].how == how;
}

static void
endpoint_events(void)
{
	static struct ami_evbuf b;
	struct ami_ep o;

	ok(ep_one("Event: DeviceStateChange\r\nDevice: PJSIP/102\r\n"
		  "State: NOT_INUSE\r\n\r\n",
	       1, &o, &b) == 1 &&
		o.n == 1 &&
		edit_is(&o, 0, "102", "DeviceState", "Not in use", EP_SET),
	    "DeviceStateChange: DeviceState in the listing's words");
	ok(ep_one("Event: DeviceStateChange\r\nDevice: Local/999@test\r\n"
		  "State: INVALID\r\n\r\n",
	       1, &o, &b) == 0,
	    "DeviceStateChange of a Local device: nothing");
	ok(ep_one("Event: DeviceStateChange\r\nDevice: SIP/200\r\n"
		  "State: RINGINUSE\r\n\r\n",
	       0, &o, &b) == 1 &&
		edit_is(&o, 0, "200", "DeviceState", "Ring+Inuse", EP_SET),
	    "DeviceStateChange, chan_sip: SIP/200");
	ok(ep_one("Event: ContactStatus\r\nURI: sip:102@127.0.0.1:5060\r\n"
		  "ContactStatus: Created\r\nAOR: 102\r\n"
		  "EndpointName: 102\r\n\r\n",
	       1, &o, &b) == 1 &&
		edit_is(&o, 0, "102", "Contacts", "102/sip:102@127.0.0.1:5060,",
		    EP_ADD),
	    "ContactStatus Created: the contact added");
	ok(ep_one("Event: ContactStatus\r\nURI: sip:102@h\r\n"
		  "ContactStatus: Removed\r\nAOR: 102\r\n"
		  "EndpointName: 102\r\n\r\n",
	       1, &o, &b) == 1 &&
		edit_is(&o, 0, "102", "Contacts", "102/sip:102@h,", EP_DEL),
	    "ContactStatus Removed: the contact removed");
	ok(ep_one("Event: ContactStatus\r\nURI: sip:102@h\r\n"
		  "ContactStatus: Reachable\r\nAOR: 102\r\n"
		  "EndpointName: 102\r\n\r\n",
	       1, &o, &b) == 0,
	    "ContactStatus Reachable: the listing does not say it");
	ok(ep_one("Event: PeerStatus\r\nChannelType: SIP\r\nPeer: SIP/200\r\n"
		  "PeerStatus: Registered\r\nAddress: 10.0.0.5:5062\r\n\r\n",
	       0, &o, &b) == 1 &&
		edit_is(&o, 0, "200", "IPaddress", "10.0.0.5", EP_SET) &&
		edit_is(&o, 1, "200", "IPport", "5062", EP_SET),
	    "PeerStatus Registered: IPaddress and IPport");
	ok(ep_one("Event: PeerStatus\r\nPeer: SIP/200\r\n"
		  "PeerStatus: Reachable\r\nTime: 12\r\n\r\n",
	       0, &o, &b) == 1 &&
		edit_is(&o, 0, "200", "Status", "OK (12 ms)", EP_SET),
	    "PeerStatus Reachable: Status OK (12 ms)");
	ok(ep_one("Event: PeerStatus\r\nPeer: SIP/200\r\n"
		  "PeerStatus: Unregistered\r\n\r\n",
	       1, &o, &b) == 0,
	    "PeerStatus on a pjsip tenant: nothing");
	ok(ep_one("Event: Newchannel\r\nChannel: PJSIP/my-phone-0000000a\r\n"
		  "Uniqueid: u1\r\n\r\n",
	       1, &o, &b) == 1 &&
		edit_is(&o, 0, "my-phone", "ActiveChannels", "1", EP_INC),
	    "Newchannel PJSIP/my-phone-...: my-phone's ActiveChannels up");
	ok(ep_one("Event: Hangup\r\nChannel: PJSIP/102-0000000b\r\n"
		  "Uniqueid: u2\r\nCause: 16\r\n\r\n",
	       1, &o, &b) == 1 &&
		edit_is(&o, 0, "102", "ActiveChannels", "1", EP_DEC),
	    "Hangup PJSIP/102-...: ActiveChannels down");
	ok(ep_one("Event: Newchannel\r\nChannel: Local/600@test-00000001;1\r\n"
		  "\r\n",
	       1, &o, &b) == 0,
	    "Newchannel of a Local channel: nothing");
	ok(ep_one("Event: Newchannel\r\nChannel: SIP/200-00000001\r\n\r\n", 0,
	       &o, &b) == 0,
	    "Newchannel, chan_sip (Sippeers has no ActiveChannels): nothing");
	ok(ep_one("Event: Reload\r\nModule: res_pjsip.so\r\n\r\n", 1, &o, &b) ==
		    1 &&
		o.relist && o.n == 0,
	    "Reload: list again");
	ok(ep_one("Event: FullyBooted\r\nStatus: Fully Booted\r\n\r\n", 0, &o,
	       &b) == 1 &&
		o.relist,
	    "FullyBooted: list again");
}

/* The state's listing: lines set, added to, removed from, per block. */
static void
endpoint_listing(void)
{
	static const char text[] =
	    "Response: Success\r\nEventList: start\r\n\r\n"
	    "Event: EndpointList\r\nObjectName: 10\r\nContacts: \r\n"
	    "DeviceState: Unavailable\r\nActiveChannels: 0\r\n\r\n"
	    "Event: EndpointList\r\nObjectName: 102\r\nContacts: \r\n"
	    "DeviceState: Unavailable\r\nActiveChannels: 0\r\n\r\n"
	    "Event: EndpointListComplete\r\n";
	struct st_tenant *s = st_new("t", "ami", 10, 10);
	struct buf out;

	buf_init(&out, 1 << 20);
	ok(st_endpoints(s, &out) == 1, "no listing: st_endpoints says so");
	st_ep_list(s, text, sizeof(text) - 1);
	st_ep_set(s, "102", "DeviceState", "Not in use", EP_SET);
	st_ep_set(s, "102", "Contacts", "102/sip:a,", EP_ADD);
	st_ep_set(s, "102", "Contacts", "102/sip:b,", EP_ADD);
	st_ep_set(s, "102", "Contacts", "102/sip:a,", EP_ADD);
	st_ep_set(s, "102", "Contacts", "102/sip:a,", EP_DEL);
	st_ep_set(s, "102", "NoSuchKey", "x", EP_SET);
	st_ep_set(s, "103", "DeviceState", "In use", EP_SET);
	st_ep_set(s, "1", "DeviceState", "In use", EP_SET);
	st_ep_set(s, "10", "ActiveChannels", "1", EP_INC);
	st_ep_set(s, "10", "ActiveChannels", "1", EP_INC);
	st_ep_set(s, "10", "ActiveChannels", "1", EP_DEC);
	st_ep_set(s, "102", "ActiveChannels", "1", EP_DEC);
	buf_clear(&out);
	ok(st_endpoints(s, &out) == 0, "st_endpoints: the listing");
	ok(out.len > 0 && strstr(out.data, "\n") != NULL &&
		strcmp(strchr(out.data, '\n') + 1,
		    "Response: Success\r\nEventList: start\r\n\r\n"
		    "Event: EndpointList\r\nObjectName: 10\r\nContacts: \r\n"
		    "DeviceState: Unavailable\r\nActiveChannels: 1\r\n\r\n"
		    "Event: EndpointList\r\nObjectName: 102\r\n"
		    "Contacts: 102/sip:b,\r\nDeviceState: Not in use\r\n"
		    "ActiveChannels: 0\r\n\r\n"
		    "Event: EndpointListComplete\r\n") == 0,
	    "only the named lines changed; a contact added once, one "
	    "removed; counts up and down, never below 0");
	ok(strncmp(out.data, "0 -1.000\n", 9) == 0,
	    "never synced: \"0 -1.000\" ahead");
	st_ep_list(s, NULL, 0);
	buf_clear(&out);
	ok(st_endpoints(s, &out) == 1, "a dropped listing: none");
	buf_free(&out);
	st_free(s);
}

int
main(void)
{
	endpoint_listing();
	originate_failure();
	endpoint_events();
	originate_hangup();
	queue();
	peer_lists();
	login_and_list();
	synthetic();
	replay();
	return done_testing();
}
