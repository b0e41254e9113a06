/*
 * The FreeSWITCH event source's mapping (fcgi/companion/src_esl.c):
 * event-json bodies and show channels rows to struct ev; and a tenant's
 * domain scope (src_esl_tenant.c).
 *
 * Where the samples' shapes come from:
 *   - channel events: the headers of SignalWire's "Event List" page and
 *     its CHANNEL_CREATE attachment (Channel-Call-State, Channel-State,
 *     Channel-Call-UUID, Event-Date-Timestamp in µs, Caller-*), encoded
 *     as switch_event_serialize_json() does (one flat object, every
 *     value a string);
 *   - CHANNEL_BRIDGE: switch_ivr_bridge.c (Bridge-A-Unique-ID,
 *     Bridge-B-Unique-ID, the B leg as Other-Leg-*);
 *   - DTMF: switch_core_session.c (DTMF-Digit, DTMF-Duration in samples);
 *   - hangups: switch_channel.c (Hangup-Cause, variable_hangup_cause_q850);
 *   - sofia::register/unregister: mod_sofia's sofia_reg.c (profile-name,
 *     from-user, from-host);
 *   - show channels as json: a real FreeSWITCH 1.8 answer ("show channels
 *     like internal as json", pastebin.com/hNakXhMS), with the domain
 *     renamed.
 */
#include <string.h>

#include "arena.h"
#include "src_esl.h"
#include "tap.h"

/* The headers every channel event of the samples shares. */
#define CORE                                                                \
	"\"Core-UUID\":\"ecd4d804-eb44-45eb-8efe-74205ab97d25\","           \
	"\"FreeSWITCH-Hostname\":\"fs1\",\"Event-Date-GMT\":"               \
	"\"Tue, 03 Dec 2019 16:48:50 GMT\",\"Event-Date-Timestamp\":"       \
	"\"1575391730378323\",\"Event-Calling-File\":\"switch_channel.c\"," \
	"\"Event-Sequence\":\"9274\","

#define CHAN(uuid, callstate, dir)                                             \
	"\"Channel-State\":\"CS_EXECUTE\",\"Channel-Call-State\":\"" callstate \
	"\",\"Channel-State-Number\":\"4\",\"Channel-Name\":"                  \
	"\"sofia/internal/1002@pbx.example.com\",\"Unique-ID\":\"" uuid        \
	"\",\"Call-Direction\":\"" dir "\",\"Answer-State\":\"ringing\","      \
	"\"Channel-Call-UUID\":\"" uuid "\","                                  \
	"\"Channel-Presence-ID\":\"1002@pbx.example.com\","                    \
	"\"Caller-Caller-ID-Name\":\"Alice\","                                 \
	"\"Caller-Caller-ID-Number\":\"1002\","                                \
	"\"Caller-Callee-ID-Name\":\"\",\"Caller-Callee-ID-Number\":\"\","     \
	"\"Caller-Destination-Number\":\"9176\","                              \
	"\"Caller-Context\":\"pbx.example.com\","                              \
	"\"Caller-Channel-Created-Time\":\"1575391730358323\","                \
	"\"variable_domain_name\":\"pbx.example.com\""

#define UUID_A "26c739fc-8d49-43ee-9c9e-129e81236cd2"
#define UUID_B "66f2691c-1cbf-11e9-ade2-63922e52d44e"

static int
map(struct arena *a, const char *json, struct ev *out)
{
	return src_esl_map(a, json, strlen(json), out);
}

static void
causes(void)
{
	is_int(src_esl_cause("NORMAL_CLEARING"), 16, "NORMAL_CLEARING 16");
	is_int(src_esl_cause("USER_BUSY"), 17, "USER_BUSY 17");
	is_int(src_esl_cause("NO_ANSWER"), 19, "NO_ANSWER 19");
	is_int(src_esl_cause("CALL_REJECTED"), 21, "CALL_REJECTED 21");
	is_int(src_esl_cause("UNALLOCATED_NUMBER"), 1, "UNALLOCATED_NUMBER 1");
	is_int(src_esl_cause("NORMAL_CIRCUIT_CONGESTION"), 34,
	    "NORMAL_CIRCUIT_CONGESTION 34");
	is_int(src_esl_cause("INTERWORKING"), 127, "INTERWORKING 127");
	is_int(src_esl_cause("ORIGINATOR_CANCEL"), -1,
	    "ORIGINATOR_CANCEL is no Q.850 cause");
	is_int(src_esl_cause("normal_clearing"), -1, "names are exact");
	is_int(src_esl_cause(NULL), -1, "NULL: -1");
}

static void
states(void)
{
	is_int(src_esl_state("RINGING", "inbound"), ST_RING,
	    "inbound RINGING rings here: Ring");
	is_int(src_esl_state("RINGING", "outbound"), ST_RINGING,
	    "outbound RINGING rings there: Ringing");
	is_int(
	    src_esl_state("EARLY", "outbound"), ST_RINGING, "EARLY is ringing");
	is_int(src_esl_state("ACTIVE", "inbound"), ST_UP, "ACTIVE: Up");
	is_int(src_esl_state("HELD", "outbound"), ST_UP, "HELD: Up");
	is_int(src_esl_state("DOWN", "inbound"), ST_DOWN, "DOWN: Down");
	is_int(src_esl_state("DIALING", "outbound"), ST_DIALING,
	    "DIALING: Dialing");
	is_int(src_esl_state("HANGUP", "inbound"), ST_UNKNOWN,
	    "HANGUP says nothing");
	is_int(src_esl_state(NULL, "inbound"), ST_UNKNOWN, "NULL: unknown");
}

static void
created(struct arena *a)
{
	static const char js[] =
	    "{\"Event-Name\":\"CHANNEL_CREATE\"," CORE CHAN(
		UUID_A, "DOWN", "inbound") "}";
	struct ev e[SRC_ESL_EV_MAX];

	is_int(map(a, js, e), 1, "CHANNEL_CREATE: one event");
	is_int(e[0].type, EV_CREATED, "created");
	is_str(e[0].backend, "esl", "backend esl");
	is_int(e[0].ts_ms, 1575391730378LL, "ts_ms from the µs timestamp");
	is_str(e[0].chan.id, UUID_A, "id: Unique-ID");
	is_str(e[0].chan.name, "sofia/internal/1002@pbx.example.com",
	    "name: Channel-Name");
	is_int(e[0].chan.state, ST_DOWN, "state: Down");
	is_str(e[0].chan.caller_num, "1002", "caller number");
	is_str(e[0].chan.caller_name, "Alice", "caller name");
	is_str(e[0].chan.connected_num, "", "connected: empty, said");
	is_str(e[0].chan.context, "pbx.example.com", "context");
	is_str(e[0].chan.exten, "9176", "exten: destination number");
	is_str(e[0].chan.accountcode, "pbx.example.com",
	    "accountcode: the domain");
	is_str(e[0].chan.linkedid, UUID_A, "linkedid: Channel-Call-UUID");
	is_int(e[0].chan.priority, -1, "priority not said");
	ok(e[0].chan.bridge == NULL, "bridge not said");
	ok(e[0].chan.app == NULL, "no application yet: not said");
	is_int(e[0].chan.created_ms, 1575391730358LL, "created_ms");
	is_int(e[0].cause, -1, "no cause");
	arena_reset(a);
}

static void
progress(struct arena *a)
{
	static const char ring[] =
	    "{\"Event-Name\":\"CHANNEL_PROGRESS\"," CORE CHAN(
		UUID_B, "RINGING", "outbound") "}";
	static const char media[] =
	    "{\"Event-Name\":\"CHANNEL_PROGRESS_MEDIA\"," CORE CHAN(
		UUID_B, "EARLY", "outbound") "}";
	static const char ans[] =
	    "{\"Event-Name\":\"CHANNEL_ANSWER\"," CORE CHAN(UUID_B, "RINGING",
		"outbound") ","
			    "\"variable_current_application\":\"park\"}";
	static const char held[] =
	    "{\"Event-Name\":\"CHANNEL_CALLSTATE\"," CORE CHAN(
		UUID_B, "HELD", "outbound") "}";
	static const char hold[] =
	    "{\"Event-Name\":\"CHANNEL_HOLD\"," CORE CHAN(
		UUID_B, "HELD", "outbound") "}";
	struct ev e[SRC_ESL_EV_MAX];

	is_int(map(a, ring, e), 1, "CHANNEL_PROGRESS: one event");
	is_int(e[0].type, EV_STATE, "progress: state");
	is_int(e[0].chan.state, ST_RINGING, "outbound ringing");
	is_int(map(a, media, e), 1, "CHANNEL_PROGRESS_MEDIA: one event");
	is_int(e[0].chan.state, ST_RINGING, "early media: ringing");
	is_int(map(a, ans, e), 1, "CHANNEL_ANSWER: one event");
	is_int(e[0].type, EV_ANSWER, "answer");
	is_int(e[0].chan.state, ST_UP, "answered: Up");
	is_str(e[0].chan.app, "park", "app: current_application");
	is_int(map(a, held, e), 0, "CHANNEL_CALLSTATE HELD: nothing");
	is_int(map(a, hold, e), 1, "CHANNEL_HOLD: one event");
	is_int(e[0].type, EV_HOLD, "hold");
	arena_reset(a);
}

static void
dtmf_bridge(struct arena *a)
{
	static const char dtmf[] = "{\"Event-Name\":\"DTMF\"," CORE CHAN(
	    UUID_A, "ACTIVE", "inbound") ",\"DTMF-Digit\":\"5\","
					 "\"DTMF-Duration\":\"2000\","
					 "\"DTMF-Source\":\"RTP\"}";
	static const char br[] = "{\"Event-Name\":\"CHANNEL_BRIDGE\"," CORE CHAN(
	    UUID_A, "ACTIVE",
	    "inbound") ",\"Bridge-A-Unique-ID\":\"" UUID_A
		       "\",\"Bridge-B-Unique-ID\":\"" UUID_B
		       "\",\"Other-Leg-Unique-ID\":\"" UUID_B
		       "\",\"Other-Leg-Channel-Name\":\"sofia/internal/1003@10.0.0.9\"}";
	static const char unbr[] =
	    "{\"Event-Name\":\"CHANNEL_UNBRIDGE\"," CORE CHAN(UUID_A, "ACTIVE",
		"inbound") ",\"Bridge-A-Unique-ID\":\"" UUID_A
			   "\",\"Bridge-B-Unique-ID\":\"" UUID_B "\"}";
	struct ev e[SRC_ESL_EV_MAX];

	is_int(map(a, dtmf, e), 1, "DTMF: one event");
	is_int(e[0].type, EV_DTMF, "dtmf");
	is_str(e[0].digit, "5", "digit");
	is_int(e[0].duration_ms, 250, "2000 samples at 8 kHz: 250 ms");
	is_int(map(a, br, e), 2, "CHANNEL_BRIDGE: both legs");
	is_int(e[0].type, EV_BRIDGE_ENTER, "A enters");
	is_str(e[0].chan.bridge, UUID_A, "bridge named after the A leg");
	is_int(e[1].type, EV_BRIDGE_ENTER, "B enters");
	is_str(e[1].chan.id, UUID_B, "B: Bridge-B-Unique-ID");
	is_str(e[1].chan.name, "sofia/internal/1003@10.0.0.9",
	    "B: Other-Leg-Channel-Name");
	is_str(e[1].chan.bridge, UUID_A, "B: the same bridge");
	ok(e[1].chan.caller_num == NULL, "B: caller not said");
	is_int(e[1].chan.state, ST_UNKNOWN, "B: state not said");
	is_int(map(a, unbr, e), 2, "CHANNEL_UNBRIDGE: both legs");
	is_int(e[0].type, EV_BRIDGE_LEAVE, "A leaves");
	is_str(e[0].chan.bridge, "", "A: no bridge");
	is_str(e[1].chan.bridge, "", "B: no bridge");
	arena_reset(a);
}

static void
hangups(struct arena *a)
{
	static const char busy[] =
	    "{\"Event-Name\":\"CHANNEL_HANGUP\"," CORE CHAN(UUID_B, "HANGUP",
		"outbound") ",\"Hangup-Cause\":\"USER_BUSY\","
			    "\"variable_hangup_cause_q850\":\"17\"}";
	static const char cancel[] =
	    "{\"Event-Name\":\"CHANNEL_HANGUP\"," CORE CHAN(UUID_B, "HANGUP",
		"outbound") ","
			    "\"Hangup-Cause\":\"ORIGINATOR_CANCEL\"}";
	static const char done[] =
	    "{\"Event-Name\":\"CHANNEL_HANGUP_COMPLETE\"," CORE CHAN(UUID_B,
		"HANGUP", "outbound") ","
				      "\"Hangup-Cause\":\"NORMAL_CLEARING\"}";
	static const char gone[] =
	    "{\"Event-Name\":\"CHANNEL_DESTROY\"," CORE CHAN(
		UUID_B, "HANGUP", "outbound") ","
					      "\"Hangup-Cause\":\"NO_ANSWER\"}";
	struct ev e[SRC_ESL_EV_MAX];

	is_int(map(a, busy, e), 1, "CHANNEL_HANGUP: one event");
	is_int(e[0].type, EV_HANGUP, "hangup");
	is_int(e[0].cause, 17, "cause 17");
	is_str(e[0].cause_txt, "USER_BUSY", "cause_txt: FreeSWITCH's name");
	is_int(e[0].chan.state, ST_UNKNOWN, "HANGUP call state: not said");
	is_int(map(a, cancel, e), 1, "ORIGINATOR_CANCEL hangup");
	is_int(e[0].cause, 16, "a cause past 127 is 16, as FreeSWITCH's");
	is_int(map(a, done, e), 0, "CHANNEL_HANGUP_COMPLETE: nothing");
	is_int(map(a, gone, e), 1, "CHANNEL_DESTROY: one event");
	is_int(e[0].type, EV_DESTROYED, "destroyed");
	is_int(e[0].cause, 19, "NO_ANSWER 19 from the table");
	arena_reset(a);
}

static void
peers(struct arena *a)
{
	static const char reg[] =
	    "{\"Event-Name\":\"CUSTOM\",\"Event-Subclass\":\"sofia::register\"," CORE
	    "\"profile-name\":\"internal\",\"from-user\":\"1002\","
	    "\"from-host\":\"pbx.example.com\",\"expires\":\"3600\"}";
	static const char unreg[] =
	    "{\"Event-Name\":\"CUSTOM\",\"Event-Subclass\":\"sofia::unregister\"," CORE
	    "\"profile-name\":\"internal\",\"from-user\":\"1002\","
	    "\"from-host\":\"pbx.example.com\"}";
	static const char other[] =
	    "{\"Event-Name\":\"CUSTOM\",\"Event-Subclass\":\"fusion::file\"}";
	struct ev e[SRC_ESL_EV_MAX];

	is_int(map(a, reg, e), 1, "sofia::register: one event");
	is_int(e[0].type, EV_PEER, "peer");
	is_str(e[0].peer, "sofia/internal/1002@pbx.example.com",
	    "peer: sofia/profile/user@host");
	is_str(e[0].peer_state, "online", "registered: online");
	is_int(map(a, unreg, e), 1, "sofia::unregister: one event");
	is_str(e[0].peer_state, "offline", "unregistered: offline");
	is_int(map(a, other, e), 0, "another CUSTOM event: nothing");
	arena_reset(a);
}

static void
hostile(struct arena *a)
{
	static const char latin1[] = "{\"Event-Name\":\"CHANNEL_CREATE\","
				     "\"Unique-ID\":\"x1\",\"Caller-Caller-ID-"
				     "Name\":\"M\xfcller\"}";
	static const char nopres[] =
	    "{\"Event-Name\":\"CHANNEL_CREATE\","
	    "\"Unique-ID\":\"x2\",\"Channel-Presence-ID\""
	    ":\"1002@other.example.com\"}";
	struct ev e[SRC_ESL_EV_MAX];

	is_int(map(a, "not json", e), -1, "not JSON: -1");
	is_int(map(a, "[1,2]", e), -1, "no Event-Name: -1");
	is_int(map(a, "{\"Event-Name\":\"HEARTBEAT\"}", e), 0,
	    "HEARTBEAT: nothing");
	is_int(map(a, "{\"Event-Name\":\"CHANNEL_ANSWER\"}", e), 0,
	    "a channel event without Unique-ID: nothing");
	is_int(map(a, latin1, e), 1, "a Latin-1 caller name still maps");
	is_str(e[0].chan.caller_name, "M?ller", "its byte made '?'");
	ok(e[0].ts_ms == 0, "no timestamp: 0");
	is_int(e[0].chan.state, ST_UNKNOWN, "no call state: unknown");
	is_int(map(a, nopres, e), 1, "no domain_name");
	is_str(e[0].chan.accountcode, "other.example.com",
	    "accountcode: the presence id's domain");
	is_int(src_esl_map(a, "{\"Event-Name\":\"DTMF\"", 20, e), -1,
	    "a cut object: -1");
	arena_reset(a);
}

static void
rows(struct arena *a)
{
	static const char two[] =
	    "{\"row_count\":2,\"rows\":[{\"uuid\":\"" UUID_B "\","
	    "\"direction\":\"inbound\",\"created\":\"2019-01-20 17:26:40\","
	    "\"created_epoch\":\"1547994400\",\"name\":"
	    "\"sofia/internal/1002@pbx.example.com\",\"state\":\"CS_EXECUTE\","
	    "\"cid_name\":\"1002\",\"cid_num\":\"1002\",\"ip_addr\":"
	    "\"192.168.0.137\",\"dest\":\"9176\",\"application\":\"\","
	    "\"application_data\":\"\",\"dialplan\":\"XML\",\"context\":"
	    "\"default\",\"read_codec\":\"G722\",\"read_rate\":\"16000\","
	    "\"read_bit_rate\":\"64000\",\"write_codec\":\"G722\","
	    "\"write_rate\":\"16000\",\"write_bit_rate\":\"64000\",\"secure\":"
	    "\"\",\"hostname\":\"pbx.example.com\",\"presence_id\":"
	    "\"1002@pbx.example.com\",\"presence_data\":\"\",\"accountcode\":"
	    "\"1002\",\"callstate\":\"HELD\",\"callee_name\":\"\","
	    "\"callee_num\":\"\",\"callee_direction\":\"\",\"call_uuid\":\"\","
	    "\"sent_callee_name\":\"\",\"sent_callee_num\":\"\","
	    "\"initial_cid_name\":\"1002\",\"initial_cid_num\":\"1002\","
	    "\"initial_ip_addr\":\"192.168.0.137\",\"initial_dest\":\"9176\","
	    "\"initial_dialplan\":\"XML\",\"initial_context\":\"default\"},"
	    "{\"uuid\":\"2a396542-1cc0-11e9-ae1f-63922e52d44e\",\"direction\":"
	    "\"outbound\",\"created_epoch\":\"1547994728\",\"name\":"
	    "\"sofia/internal/1003@10.0.0.9\",\"state\":\"CS_EXECUTE\","
	    "\"cid_name\":\"1002\",\"cid_num\":\"1002\",\"dest\":\"1003\","
	    "\"application\":\"sleep\",\"application_data\":\"1500\","
	    "\"context\":\"default\",\"presence_id\":\"\",\"callstate\":"
	    "\"RINGING\",\"callee_name\":\"Bob\",\"callee_num\":\"1003\","
	    "\"call_uuid\":\"" UUID_B "\"}]}";
	struct ev *r;

	is_int(src_esl_rows(a, two, strlen(two), &r), 2, "two rows");
	is_int(r[0].type, EV_CREATED, "a row is EV_CREATED");
	is_str(r[0].chan.id, UUID_B, "id: uuid");
	is_int(r[0].chan.state, ST_UP, "HELD: Up");
	is_str(r[0].chan.accountcode, "pbx.example.com",
	    "accountcode: presence id's domain");
	is_str(r[0].chan.linkedid, UUID_B, "no call_uuid: its own");
	is_int(r[0].chan.created_ms, 1547994400000LL, "created_ms");
	is_str(r[0].chan.exten, "9176", "exten: dest");
	is_int(r[1].chan.state, ST_RINGING, "outbound RINGING: Ringing");
	is_str(r[1].chan.app, "sleep", "app");
	is_str(r[1].chan.app_data, "1500", "app_data");
	is_str(r[1].chan.connected_num, "1003", "connected: callee");
	is_str(r[1].chan.linkedid, UUID_B, "linkedid: call_uuid");
	ok(r[1].chan.accountcode == NULL, "no presence id: not said");
	is_int(src_esl_rows(a, "{\"row_count\":0}", 15, &r), 0,
	    "no channels: {\"row_count\":0}");
	is_int(src_esl_rows(a, "-ERR no reply\n", 14, &r), -1, "-ERR: -1");
	is_int(src_esl_rows(a, "{\"row_count\":1,\"rows\":3}", 24, &r), -1,
	    "rows not a list: -1");
	is_int(
	    src_esl_rows(a, "{\"rows\":[]}", 11, &r), -1, "no row_count: -1");
	arena_reset(a);
}

/* An event of type on channel id with context ctx and domain dom. */
static struct ev
ev_of(enum ev_type type, const char *id, const char *ctx, const char *dom)
{
	struct ev e = { .type = type, .backend = "esl", .cause = -1 };

	e.chan.id = id;
	e.chan.context = ctx;
	e.chan.accountcode = dom;
	return e;
}

static void
scope(void)
{
	struct esl_scope *all = src_esl_scope_new(NULL);
	struct esl_scope *sc = src_esl_scope_new("pbx.example.com");
	struct ev e, peer = { .type = EV_PEER, .peer_state = "online" };

	e = ev_of(EV_CREATED, "o1", "other.example.org", "other.example.org");
	is_int(src_esl_scope(all, &e), SCOPE_PASS, "no domain: all pass");
	is_int(src_esl_scope(sc, &e), SCOPE_DROP, "another domain's: dropped");
	e = ev_of(EV_CREATED, "d1", "PBX.example.com", NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_PASS,
	    "context is the domain (any case): passes");
	e = ev_of(EV_STATE, "d1", NULL, NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_PASS,
	    "a known channel's event passes whatever it says");
	e = ev_of(EV_CREATED, "p1", "public", NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_DROP, "public context: dropped");
	e = ev_of(EV_STATE, "p1", "pbx.example.com", "pbx.example.com");
	is_int(src_esl_scope(sc, &e), SCOPE_CREATE_FIRST,
	    "transferred into the domain: created first");
	is_int(src_esl_scope(sc, &e), SCOPE_PASS, "then it is known");
	e = ev_of(EV_BRIDGE_ENTER, "b1", NULL, NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_DROP,
	    "an unknown B leg that says nothing: dropped");
	e = ev_of(EV_BRIDGE_ENTER, "p1", NULL, NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_PASS, "a known B leg passes");
	e = ev_of(EV_CREATED, "a1", "public", "pbx.example.com");
	is_int(src_esl_scope(sc, &e), SCOPE_PASS,
	    "domain_name is the domain: passes");
	e = ev_of(EV_DESTROYED, "a1", NULL, NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_PASS, "its destruction passes");
	e = ev_of(EV_STATE, "a1", NULL, NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_DROP, "and then it is forgotten");
	e = ev_of(EV_HANGUP, "h1", "pbx.example.com", NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_PASS,
	    "an unknown channel's hangup in the domain passes, uncreated");
	e = ev_of(EV_STATE, "h1", NULL, NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_DROP, "and does not make it known");
	src_esl_scope_reset(sc);
	e = ev_of(EV_STATE, "d1", NULL, NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_DROP, "a reset forgets");
	e = ev_of(EV_STATE, "", "pbx.example.com", NULL);
	is_int(src_esl_scope(sc, &e), SCOPE_DROP, "no id: dropped");
	peer.peer = "sofia/internal/1002@pbx.example.com";
	is_int(src_esl_scope(sc, &peer), SCOPE_PASS, "the domain's peer");
	peer.peer = "sofia/internal/1002@other.example.org";
	is_int(src_esl_scope(sc, &peer), SCOPE_DROP, "another's peer");
	src_esl_scope_free(sc);
	src_esl_scope_free(all);
}

int
main(void)
{
	struct arena *a = arena_new();

	causes();
	states();
	created(a);
	progress(a);
	dtmf_bridge(a);
	hangups(a);
	peers(a);
	hostile(a);
	rows(a);
	scope();
	arena_free(a);
	return done_testing();
}
