/*
 * The ARI event source's mapping (fcgi/companion/src_ari.c): every event
 * of the real captures in shared/fixtures/ari/events.jsonl maps to the
 * struct ev its type calls for, with the channel snapshot, the
 * timestamp and the type's own fields; the types the captures lack
 * (hold, endpoints, contacts, ChannelCreated) from their documented
 * shapes; ARI's time formats; what is ignored and what is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "src_ari.h"
#include "tap.h"

static struct arena *A;

static int
map(const char *json, struct ev out[SRC_ARI_EV_MAX])
{
	char err[256];

	arena_reset(A);
	return src_ari_map(A, json, strlen(json), out, err, sizeof(err));
}

static void
times(void)
{
	is_int(src_ari_time("2026-11-22T12:23:40.605+0000"), 1795350220605LL,
	    "time: the captures' form");
	is_int(src_ari_time("2026-11-22T12:23:40Z"), 1795350220000LL,
	    "time: Z, no fraction");
	is_int(src_ari_time("2026-11-22T13:23:40.6+01:00"), 1795350220600LL,
	    "time: +01:00, one digit of fraction");
	is_int(src_ari_time("2026-11-22T07:23:40.605123-0500"), 1795350220605LL,
	    "time: -0500, microseconds cut");
	is_int(
	    src_ari_time("2026-13-22T12:23:40.605+0000"), 0, "time: month 13");
	is_int(src_ari_time("2026-11-22 12:23:40"), 0, "time: no T");
	is_int(
	    src_ari_time("2026-11-22T12:23:40.605+00"), 0, "time: short zone");
	is_int(src_ari_time(""), 0, "time: empty");
	is_int(src_ari_time(NULL), 0, "time: NULL");
}

/* The checks of one captured event by its type. */
static void
check(const char *type, const char *line, int n, const struct ev *e, int lineno)
{
	static const struct {
		const char *type;
		int n;
		enum ev_type ev;
	} want[] = {
		{ "StasisStart", 1, EV_CREATED },
		{ "StasisEnd", 0, EV__COUNT },
		{ "ChannelStateChange", -2, EV_STATE },
		{ "Dial", 1, EV__COUNT },
		{ "ChannelDtmfReceived", 1, EV_DTMF },
		{ "ChannelEnteredBridge", 1, EV_BRIDGE_ENTER },
		{ "ChannelLeftBridge", 1, EV_BRIDGE_LEAVE },
		{ "ChannelHangupRequest", 1, EV_HANGUP },
		{ "ChannelDestroyed", 1, EV_DESTROYED },
		{ "ChannelCallerId", 1, EV_UPDATE },
		{ "ChannelConnectedLine", 1, EV_UPDATE },
		{ "ChannelDialplan", 1, EV_UPDATE },
		{ "ChannelVarset", 1, EV_UPDATE },
		{ "PlaybackStarted", 0, EV__COUNT },
		{ "PlaybackFinished", 0, EV__COUNT },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strcmp(want[i].type, type) == 0)
			break;
	if (!ok(i < sizeof(want) / sizeof(want[0]), "line %d: %s is known",
		lineno, type))
		return;
	if (want[i].n == 0) {
		is_int(n, 0, "ignored type");
		return;
	}
	if (want[i].n > 0)
		is_int(n, want[i].n, "event count");
	else
		is_int(n, e[0].chan.state == ST_UP ? 2 : 1,
		    "state: two events (state, answer) when Up");
	if (want[i].ev != EV__COUNT)
		is_str(
		    ev_type_name(e[0].type), ev_type_name(want[i].ev), "type");
	is_int(e[0].ts_ms > 1795350000000LL && e[0].ts_ms < 1795351000000LL, 1,
	    "timestamp in ms");
	is_str(e[0].backend, "ari", "backend");
	ok(e[0].chan.id != NULL && strstr(line, e[0].chan.id) != NULL,
	    "line %d: channel id from the event", lineno);
	ok(e[0].chan.name != NULL && strstr(line, e[0].chan.name) != NULL,
	    "line %d: channel name", lineno);
	ok(e[0].chan.state != ST_UNKNOWN, "line %d: state known", lineno);
	ok(e[0].chan.created_ms > 0 && e[0].chan.created_ms <= e[0].ts_ms,
	    "line %d: creation time before the event", lineno);
	ok(e[0].chan.context != NULL && e[0].chan.priority >= 1,
	    "line %d: dialplan", lineno);
	ok(e[0].chan.caller_num != NULL && e[0].chan.language != NULL,
	    "line %d: caller and language", lineno);
}

/* The type of a line (the captures put "type" anywhere). */
static const char *
type_of(const char *line, char *out, size_t size)
{
	const char *p = strstr(line, "\"type\":\"");
	size_t n;

	if (p == NULL)
		return "";
	p += 8;
	n = strcspn(p, "\"");
	snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
	return out;
}

static void
captures(void)
{
	const char *shared = getenv("PBXAPI_SHARED");
	char path[1024], line[65536], type[64];
	struct ev e[SRC_ARI_EV_MAX];
	int n, lineno = 0, seen = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/fixtures/ari/events.jsonl",
	    shared ? shared : "../shared");
	if ((fp = fopen(path, "r")) == NULL) {
		skip("no fixtures", "%s", path);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (line[0] != '{')
			continue;
		n = map(line, e);
		check(type_of(line, type, sizeof(type)), line, n, e, lineno);
		seen++;
	}
	fclose(fp);
	is_int(seen, 67, "all 67 captured events mapped");
}

/* Exact fields of one capture per interesting type. */
static void
fields(void)
{
	struct ev e[SRC_ARI_EV_MAX];

	is_int(map("{\"type\":\"Dial\",\"timestamp\":\"2026-11-22T12:23:40."
		   "605+0000\",\"dialstatus\":\"\",\"forward\":\"\",\"dials"
		   "tring\":\"600@test\",\"peer\":{\"id\":\"p.22\",\"name\":\""
		   "Local/600@test-00000009;1\",\"state\":\"Down\",\"caller\""
		   ":{\"name\":\"ARI Test\",\"number\":\"5554000\"},\"dialplan"
		   "\":{\"context\":\"test\",\"exten\":\"600\",\"priority\":1,"
		   "\"app_name\":\"AppDial2\",\"app_data\":\"(Outgoing Line)"
		   "\"},\"creationtime\":\"2026-11-22T12:23:40.604+0000\"}}",
		   e),
	    1, "Dial without caller: one event");
	is_str(ev_type_name(e[0].type), "dial", "Dial \"\": dial");
	is_str(e[0].chan.id, "p.22", "an originate's Dial: the dialled one");
	is_str(e[0].peer, "p.22", "peer: the dialled id");
	is_str(e[0].dialstatus, "", "dialstatus empty");
	is_str(e[0].chan.app, "AppDial2", "app");
	is_str(e[0].chan.app_data, "(Outgoing Line)", "app_data");
	is_int(e[0].chan.created_ms, 1795350220604LL, "created_ms");
	is_int(e[0].ts_ms, 1795350220605LL, "ts_ms");
	ok(e[0].chan.connected_num == NULL, "connected not said: NULL");
	ok(e[0].chan.bridge == NULL, "bridge not said: NULL");

	map("{\"type\":\"Dial\",\"dialstatus\":\"BUSY\",\"caller\":{\"id\":"
	    "\"c.1\",\"name\":\"PJSIP/100-1\",\"state\":\"Ring\"},\"peer\":{\""
	    "id\":\"c.2\",\"name\":\"PJSIP/200-2\",\"state\":\"Down\"}}",
	    e);
	is_str(ev_type_name(e[0].type), "dial_end", "Dial BUSY: dial_end");
	is_str(e[0].chan.id, "c.1", "Dial with caller: the caller");
	is_str(e[0].peer, "c.2", "peer: the callee");
	is_str(e[0].dialstatus, "BUSY", "dialstatus");
	is_int(e[0].ts_ms, 0, "no timestamp: 0");
	is_int(e[0].chan.state, ST_RING, "Ring");

	map("{\"type\":\"ChannelDtmfReceived\",\"digit\":\"#\",\"duration_ms\""
	    ":100,\"channel\":{\"id\":\"x\"}}",
	    e);
	is_str(e[0].digit, "#", "dtmf digit");
	is_int(e[0].duration_ms, 100, "dtmf duration");

	map("{\"type\":\"ChannelDestroyed\",\"cause\":16,\"cause_txt\":\"Norma"
	    "l Clearing\",\"channel\":{\"id\":\"x\",\"state\":\"Up\"}}",
	    e);
	is_int(e[0].cause, 16, "destroyed cause");
	is_str(e[0].cause_txt, "Normal Clearing", "destroyed cause_txt");

	map("{\"type\":\"ChannelHangupRequest\",\"soft\":true,\"channel\":{"
	    "\"id\":\"x\"}}",
	    e);
	is_int(e[0].cause, -1, "hangup without cause: -1");
	ok(e[0].cause_txt == NULL, "hangup: no cause_txt");

	map("{\"type\":\"ChannelEnteredBridge\",\"bridge\":{\"id\":\"b1\"},"
	    "\"channel\":{\"id\":\"x\"}}",
	    e);
	is_str(e[0].chan.bridge, "b1", "entered: bridge id");
	map("{\"type\":\"ChannelLeftBridge\",\"bridge\":{\"id\":\"b1\"},"
	    "\"channel\":{\"id\":\"x\"}}",
	    e);
	is_str(e[0].chan.bridge, "", "left: bridge \"\"");
}

/* Types the captures lack, from ARI's documented models. */
static void
others(void)
{
	struct ev e[SRC_ARI_EV_MAX];

	is_int(map("{\"type\":\"ChannelCreated\",\"channel\":{\"id\":\"n.1\","
		   "\"state\":\"Down\"}}",
		   e),
	    1, "ChannelCreated");
	is_str(ev_type_name(e[0].type), "created", "ChannelCreated: created");
	map("{\"type\":\"ChannelHold\",\"musicclass\":\"default\",\"channel\":{"
	    "\"id\":\"h\"}}",
	    e);
	is_str(ev_type_name(e[0].type), "hold", "ChannelHold: hold");
	map("{\"type\":\"ChannelUnhold\",\"channel\":{\"id\":\"h\"}}", e);
	is_str(ev_type_name(e[0].type), "unhold", "ChannelUnhold: unhold");

	is_int(map("{\"type\":\"EndpointStateChange\",\"endpoint\":{\"techno"
		   "logy\":\"PJSIP\",\"resource\":\"200\",\"state\":\"online\","
		   "\"channel_ids\":[]}}",
		   e),
	    1, "EndpointStateChange");
	is_str(ev_type_name(e[0].type), "peer", "endpoint: peer");
	is_str(e[0].peer, "PJSIP/200", "endpoint: tech/resource");
	is_str(e[0].peer_state, "online", "endpoint: state");
	ok(e[0].chan.id == NULL, "endpoint: no channel");
	map("{\"type\":\"ContactStatusChange\",\"endpoint\":{\"technology\":"
	    "\"PJSIP\",\"resource\":\"201\",\"state\":\"online\"},\"contact_in"
	    "fo\":{\"uri\":\"sip:201@10.0.0.1\",\"contact_status\":\"Unreachab"
	    "le\",\"aor\":\"201\"}}",
	    e);
	is_str(e[0].peer, "PJSIP/201", "contact: endpoint");
	is_str(e[0].peer_state, "offline", "contact: Unreachable is offline");
	map("{\"type\":\"EndpointStateChange\",\"endpoint\":{\"technology\":"
	    "\"PJSIP\",\"resource\":\"9\",\"state\":\"weird\"}}",
	    e);
	is_str(e[0].peer_state, "unknown", "endpoint: unknown state");

	is_int(map("{\"type\":\"ChannelVarset\",\"variable\":\"G\",\"value\":"
		   "\"1\"}",
		   e),
	    0, "a global ChannelVarset (no channel): ignored");
	is_int(map("{\"type\":\"ChannelStateChange\",\"channel\":{}}", e), 0,
	    "a channel without id: ignored");
	is_int(map("{\"type\":\"Dial\",\"dialstatus\":\"\"}", e), 0,
	    "a Dial without peer: ignored");
	is_int(map("{\"type\":\"BridgeCreated\",\"bridge\":{\"id\":\"b\"}}", e),
	    0, "other types: ignored");
	is_int(map("{\"type\":\"ChannelStateChange\",\"channel\":{\"id\":\"r"
		   "\",\"state\":\"Ringing\"}}",
		   e),
	    1, "state Ringing: one event");
	is_int(e[0].chan.state, ST_RINGING, "Ringing");
	is_int(map("{\"type\":\"ChannelStateChange\",\"channel\":{\"id\":\"u"
		   "\",\"state\":\"Up\"}}",
		   e),
	    2, "state Up: state and answer");
	is_str(ev_type_name(e[1].type), "answer", "then answer");
	is_str(e[1].chan.id, "u", "answer: same channel");
}

static void
refused(void)
{
	struct ev e[SRC_ARI_EV_MAX];
	char deep[201];

	is_int(map("not json", e), -1, "not JSON: -1");
	is_int(map("[1,2]", e), -1, "a list: -1");
	is_int(map("{\"type\":5}", e), -1, "type not a string: -1");
	is_int(map("{}", e), -1, "no type: -1");
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	is_int(map(deep, e), -1, "nested deeper than 64: -1");
}

int
main(void)
{
	A = arena_new();
	times();
	captures();
	fields();
	others();
	refused();
	arena_free(A);
	return done_testing();
}
