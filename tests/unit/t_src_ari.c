/*
 * The ARI event source's mapping (fcgi/companion/src_ari.c): every event
 * of the real captures in shared/fixtures/ari/events.jsonl maps to the
 * struct ev its type calls for, with the channel snapshot, the
 * timestamp and the type's own fields; the types the captures lack
 * (hold, endpoints, contacts, ChannelCreated) from their documented
 * shapes; ARI's time formats; what is ignored and what is refused.
 * Then src_ari() itself against a scripted ARI on loopback: an event
 * sent while the channel list is being fetched comes after end_sync,
 * not lost; a connection lost after the sync is down() and E_BACKEND.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "src_ari.h"
#include "tap.h"
#include "testlib.h"
#include "ws.h"

static struct arena *A;

static int
map(const char *json, struct ev out[SRC_ARI_EV_MAX])
{
	char err[256];

	arena_reset(A);
	return src_ari_map(A, json, strlen(json), out, err, sizeof(err));
}

/*
 * Zones cut short or too long, each in a heap block of its exact size:
 * under the sanitizer a read past the string's end (the zone's s[3] of a
 * lone "+") is an error, not a lucky byte.
 */
static void
cut_zones(void)
{
	static const char *const bad[] = { "+", "-", "+0", "+01",
		"+01:", "+01:0", "+010", "+01000", "+01:000", "+01-00", "Z0",
		"+0a00" };
	char t[64], *s, name[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(t, sizeof(t), "2026-11-22T12:23:40.605%s", bad[i]);
		if ((s = strdup(t)) == NULL)
			abort();
		snprintf(name, sizeof(name), "time: zone '%s' refused", bad[i]);
		is_int(src_ari_time(s), 0, name);
		free(s);
	}
	if ((s = strdup("2026-11-22T12:23:40+")) == NULL)
		abort();
	is_int(src_ari_time(s), 0, "time: a lone '+' after the seconds");
	free(s);
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
	cut_zones();
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

	map("{\"type\":\"Dial\",\"dialstatus\":\"RINGING\",\"peer\":{\"id\":"
	    "\"c.2\"}}",
	    e);
	is_str(ev_type_name(e[0].type), "dial", "Dial RINGING: still dial");
	is_str(e[0].dialstatus, "RINGING", "with its dialstatus");
	map("{\"type\":\"Dial\",\"dialstatus\":\"PROGRESS\",\"peer\":{\"id\":"
	    "\"c.2\"}}",
	    e);
	is_str(ev_type_name(e[0].type), "dial", "Dial PROGRESS: still dial");
	map("{\"type\":\"Dial\",\"dialstatus\":\"CANCEL\",\"peer\":{\"id\":"
	    "\"c.2\"}}",
	    e);
	is_str(ev_type_name(e[0].type), "dial_end", "Dial CANCEL: dial_end");

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

/* ---- src_ari() against a scripted ARI ---- */

#define EV_RINGING                                                           \
	"{\"type\":\"ChannelStateChange\",\"timestamp\":\"2026-11-22T12:23:" \
	"40.605+0000\",\"channel\":{\"id\":\"X\",\"state\":\"%s\"}}"
#define EV_GONE                                                              \
	"{\"type\":\"ChannelDestroyed\",\"cause\":16,\"cause_txt\":\"Normal" \
	" Clearing\",\"channel\":{\"id\":\"X\",\"state\":\"Up\"}}"

struct fake {
	int lfd, port;
	int drop; /* close the websocket after the list, no close frame */
	pthread_t th;
	char head[2][4096];
};

struct rec {
	char seq[1024];
	_Atomic int stop;
};

static void
wr(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		return;
}

static void
read_head(int fd, char *h, size_t size)
{
	size_t n = 0;

	h[0] = '\0';
	while (n < size - 1 && strstr(h, "\r\n\r\n") == NULL) {
		if (read(fd, h + n, 1) != 1)
			break;
		h[++n] = '\0';
	}
}

static void
text_frame(int fd, const char *s)
{
	uint8_t b[512];
	size_t n = strlen(s);

	b[0] = 0x81;
	b[1] = (uint8_t)n; /* the events here are under 126 bytes */
	memcpy(b + 2, s, n);
	wr(fd, b, n + 2);
}

/*
 * The websocket first (a 101, then at once an event: the channel is Up
 * now), then the list on a second connection (it still says Ringing:
 * taken before), then one more event or a drop.
 */
static void *
fake_main(void *arg)
{
	static const char list[] = "[{\"id\":\"X\",\"state\":\"Ringing\"}]";
	struct fake *f = arg;
	char key[64] = "", acc[29], r[512], ev[256];
	const char *k;
	int ws, http;

	if ((ws = accept(f->lfd, NULL, NULL)) == -1)
		return NULL;
	read_head(ws, f->head[0], sizeof(f->head[0]));
	if ((k = strstr(f->head[0], "Sec-WebSocket-Key: ")) != NULL)
		sscanf(k + 19, "%24s", key);
	ws_accept_of(key, acc);
	snprintf(r, sizeof(r),
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
	    acc);
	wr(ws, r, strlen(r));
	snprintf(ev, sizeof(ev), EV_RINGING, "Up");
	text_frame(ws, ev);
	if ((http = accept(f->lfd, NULL, NULL)) != -1) {
		read_head(http, f->head[1], sizeof(f->head[1]));
		snprintf(r, sizeof(r),
		    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		    strlen(list), list);
		wr(http, r, strlen(r));
		close(http);
	}
	if (!f->drop) {
		text_frame(ws, EV_GONE);
		while (read(ws, r, sizeof(r)) > 0) /* until the client ends */
			;
	}
	close(ws);
	return NULL;
}

static void
fake_start(struct fake *f)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(f->lfd, (void *)&sin, sizeof(sin)) == -1 ||
	    listen(f->lfd, 4) == -1 ||
	    getsockname(f->lfd, (void *)&sin, &sl) == -1) {
		printf("Bail out! cannot listen\n");
		exit(255);
	}
	f->port = ntohs(sin.sin_port);
	pthread_create(&f->th, NULL, fake_main, f);
}

static void
add(struct rec *r, const char *s)
{
	size_t n = strlen(r->seq);

	snprintf(r->seq + n, sizeof(r->seq) - n, "%s|", s);
}

static void
r_begin(struct ev_sink *s)
{
	add(s->ctx, "begin");
}

static void
r_end(struct ev_sink *s)
{
	add(s->ctx, "end");
}

static void
r_down(struct ev_sink *s, const char *why)
{
	(void)why;
	add(s->ctx, "down");
}

static void
r_event(struct ev_sink *s, const struct ev *e)
{
	struct rec *r = s->ctx;
	char b[128];

	snprintf(b, sizeof(b), "%s:%s:%s", ev_type_name(e->type),
	    e->chan.id ? e->chan.id : "", ev_state_name(e->chan.state));
	add(r, b);
	if (e->type == EV_DESTROYED)
		r->stop = 1;
}

static enum err
run_src(struct fake *f, struct rec *r, char *err, size_t errlen)
{
	struct ev_sink sink = { .ctx = r,
		.begin_sync = r_begin,
		.end_sync = r_end,
		.event = r_event,
		.down = r_down };
	const struct tenant *t;
	struct conf *c;
	char text[256];
	enum err rc;

	fake_start(f);
	snprintf(text, sizeof(text),
	    "[tenant x]\nARI_PORT = %d\nARI_EVENTS_APP = t_src_ari\n", f->port);
	c = conf_load(tl_put("pbxapi.conf", text), NULL, 0, err, errlen);
	if (c == NULL || (t = conf_tenant(c, "x")) == NULL) {
		printf("Bail out! conf: %s\n", err);
		exit(255);
	}
	rc = src_ari(t, &sink, &r->stop, err, errlen);
	pthread_join(f->th, NULL);
	close(f->lfd);
	conf_free(c);
	return rc;
}

static void
live(void)
{
	struct fake f = { .drop = 0 };
	struct rec r = { .stop = 0 };
	char err[512];

	is_int(run_src(&f, &r, err, sizeof(err)), E_OK, "stopped: E_OK");
	is_str(r.seq,
	    "begin|created:X:Ringing|end|state:X:Up|answer:X:Up|"
	    "destroyed:X:Up|",
	    "subscribed first, the list synced, then the event that came "
	    "during it, then later ones");
	ok(strstr(f.head[0],
	       "GET /ari/events?app=t_src_ari&subscribeAll="
	       "true HTTP/1.1\r\n") == f.head[0],
	    "the websocket: the app, subscribeAll");
	ok(strstr(f.head[0],
	       "Authorization: Basic YXJpX3VzZXI6YXJpX3Bhc3N3b"
	       "3Jk\r\n") != NULL,
	    "the websocket: the tenant's credentials");
	ok(strstr(f.head[1], "GET /ari/channels HTTP/1.1\r\n") == f.head[1],
	    "then GET /ari/channels");

	memset(&f, 0, sizeof(f));
	f.drop = 1;
	memset(&r, 0, sizeof(r));
	is_int(run_src(&f, &r, err, sizeof(err)), E_BACKEND,
	    "dropped after the sync: E_BACKEND");
	is_str(r.seq,
	    "begin|created:X:Ringing|end|state:X:Up|answer:X:Up|down|",
	    "the events, then down");
	ok(strstr(err, "closed") != NULL, "the reason: %s", err);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	tl_tmpdir("t_src_ari");
	A = arena_new();
	times();
	captures();
	fields();
	others();
	refused();
	live();
	arena_free(A);
	tl_rmtmp();
	return done_testing();
}
