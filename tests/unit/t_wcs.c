/*
 * The WCS call registry (fcgi/companion/wcs.c): the status mapping of
 * spec §4.3 event by event, the Q.850 to SIP table, the Call renderer
 * (all 25 keys, their JSON types), and the registry's verbs: reserve
 * (conflict, Idempotency-Key replay), done, find with filters, and the
 * retention of finished calls; with redis set, the adoption of calls
 * read from Redis and the write-backs of the calls that changed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "event.h"
#include "json.h"
#include "tap.h"
#include "wcs.h"

static struct wcs_call
fresh(void)
{
	struct wcs_call c;

	memset(&c, 0, sizeof(c));
	snprintf(c.id, sizeof(c.id), "c1");
	c.status = "PENDING";
	c.sip = -1;
	c.hcause = -1;
	c.has_audio = 1;
	return c;
}

static struct ev
ev(enum ev_type type, enum ev_state st)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.chan.id = "c1";
	e.chan.state = st;
	e.cause = -1;
	return e;
}

static void
check(const struct wcs_call *c, const char *status, int sip, const char *what)
{
	char name[160];

	snprintf(name, sizeof(name), "%s: %s", what, status);
	is_str(c->status, status, name);
	snprintf(name, sizeof(name), "%s: sipStatus %d", what, sip);
	is_int(c->sip, sip, name);
}

static void
test_transitions(void)
{
	struct wcs_call c = fresh();
	struct ev e;

	e = ev(EV_CREATED, ST_DOWN);
	e.chan.caller_num = "10009";
	wcs_call_apply(&c, &e, 1);
	check(&c, "TRYING", 100, "created Down");
	is_str(c.caller, "10009", "created: the caller kept");
	e = ev(EV_STATE, ST_RINGING);
	wcs_call_apply(&c, &e, 2);
	check(&c, "RING", 180, "Ringing");
	e = ev(EV_DIAL_END, ST_UNKNOWN);
	e.dialstatus = "PROGRESS";
	wcs_call_apply(&c, &e, 3);
	check(&c, "SESSION_PROGRESS", 183, "dialstatus PROGRESS");
	e = ev(EV_STATE, ST_UP);
	wcs_call_apply(&c, &e, 4);
	check(&c, "ESTABLISHED", 200, "Up");
	e = ev(EV_HOLD, ST_UP);
	wcs_call_apply(&c, &e, 5);
	check(&c, "HOLD", 200, "hold");
	e = ev(EV_UNHOLD, ST_UP);
	wcs_call_apply(&c, &e, 6);
	check(&c, "ESTABLISHED", 200, "unhold");
	e = ev(EV_HANGUP, ST_UP);
	e.cause = 16;
	wcs_call_apply(&c, &e, 7);
	check(&c, "ESTABLISHED", 200, "hangup request: not final yet");
	e = ev(EV_DESTROYED, ST_UP);
	wcs_call_apply(&c, &e, 8);
	check(&c, "FINISH", 200, "destroyed after Up, cause of the request");
	ok(c.ended && c.end_ms == 8, "ended at its time");
	e = ev(EV_STATE, ST_UP);
	wcs_call_apply(&c, &e, 9);
	check(&c, "FINISH", 200, "nothing changes an ended call");
}

static void
test_failures(void)
{
	static const struct {
		int cause;
		const char *status;
		int sip;
	} t[] = {
		{ 17, "BUSY", 486 },
		{ 19, "FAILED", 480 },
		{ 18, "FAILED", 408 },
		{ 21, "FAILED", 603 },
		{ 1, "FAILED", 404 },
		{ 34, "FAILED", 503 },
		{ 38, "FAILED", 503 },
		{ 16, "FAILED", 487 }, /* cleared before answer: cancelled */
		{ 31, "FAILED", 480 }, /* normal, unspecified: not a cancel */
		{ 99, "FAILED", 500 },
	};
	struct wcs_call c;
	struct ev e;
	char what[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = fresh();
		e = ev(EV_STATE, ST_RINGING);
		wcs_call_apply(&c, &e, 1);
		e = ev(EV_DESTROYED, ST_DOWN);
		e.cause = t[i].cause;
		wcs_call_apply(&c, &e, 2);
		snprintf(
		    what, sizeof(what), "cause %d before answer", t[i].cause);
		check(&c, t[i].status, t[i].sip, what);
	}
	c = fresh();
	e = ev(EV_DIAL_END, ST_UNKNOWN);
	e.dialstatus = "BUSY";
	wcs_call_apply(&c, &e, 1);
	check(&c, "BUSY", 486, "dialstatus BUSY");
	e = ev(EV_DESTROYED, ST_DOWN);
	e.cause = 16;
	wcs_call_apply(&c, &e, 2);
	check(&c, "BUSY", 486, "BUSY stays through its hangup");
	c = fresh();
	e = ev(EV_STATE, ST_UP);
	wcs_call_apply(&c, &e, 1);
	e = ev(EV_DESTROYED, ST_DOWN);
	e.cause = 34;
	wcs_call_apply(&c, &e, 2);
	check(&c, "FAILED", 503, "an abnormal cause after Up");
	c = fresh();
	e = ev(EV_STATE, ST_UP);
	wcs_call_apply(&c, &e, 1);
	e = ev(EV_DESTROYED, ST_DOWN);
	e.cause = 31;
	wcs_call_apply(&c, &e, 2);
	check(&c, "FINISH", 200, "cause 31 after Up");
	c = fresh();
	e = ev(EV_STATE, ST_UP);
	wcs_call_apply(&c, &e, 1);
	e = ev(EV_DIAL_END, ST_UNKNOWN);
	e.dialstatus = "BUSY";
	wcs_call_apply(&c, &e, 2);
	check(&c, "ESTABLISHED", 200, "a dialstatus after answer");
	is_int(wcs_q850_sip(3), 404, "Q.850 3: 404");
	is_int(wcs_q850_sip(102), 504, "Q.850 102: 504");
}

static void
test_render(void)
{
	static const char want[] =
	    "{\"custom\":{},\"nodeId\":null,\"appKey\":null,"
	    "\"sessionId\":null,\"callId\":\"c1\",\"parentCallId\":null,"
	    "\"incoming\":false,\"status\":\"PENDING\",\"sipStatus\":null,"
	    "\"rtmpUrl\":null,\"rtmpStream\":null,\"streamName\":null,"
	    "\"rtmpStreamStatus\":null,\"caller\":\"10009\","
	    "\"callee\":\"600\",\"hasAudio\":true,\"hasVideo\":false,"
	    "\"sdp\":null,\"visibleName\":\"W \\\"x\\\"\","
	    "\"inviteParameters\":null,\"mediaProvider\":\"SIP\","
	    "\"sipMessageRaw\":null,\"isMsrp\":false,\"target\":null,"
	    "\"holdForTransfer\":false}";
	struct wcs_call c = fresh();
	struct buf b;
	struct jw w;

	snprintf(c.caller, sizeof(c.caller), "10009");
	snprintf(c.callee, sizeof(c.callee), "600");
	snprintf(c.visible, sizeof(c.visible), "W \"x\"");
	buf_init(&b, 65536);
	jw_init(&w, &b, JW_UTF8);
	wcs_call_json(&c, &w);
	is_mem(b.data, b.len, want, "a Call: 25 keys, nulls, JSON types");
	buf_free(&b);
}

static void
reply(struct buf *b, const char *want, const char *name)
{
	is_mem(b->data, b->len, want, name);
	buf_clear(b);
}

static void
test_registry(void)
{
	struct wcs_reg *g = wcs_new(0, 60000);
	struct buf b;
	struct ev e;

	buf_init(&b, 1 << 20);
	ok(wcs_reserve(
	       g, NULL, "c1", "k1", "callee=600&name=A%20B&video=1", &b) == 1,
	    "reserve: OK");
	reply(&b, "reserved", "reserve: reserved");
	wcs_reserve(g, NULL, "c1", "-", "-", &b);
	reply(&b, "conflict", "the same callId: conflict");
	wcs_reserve(g, NULL, "c2", "k1", "-", &b);
	reply(&b, "seen 0", "the same key, still running: seen 0");
	wcs_done(g, "c1", "k1", 200, &b);
	buf_clear(&b);
	wcs_reserve(g, NULL, "c2", "k1", "-", &b);
	reply(&b, "seen 200", "the same key, done: its status");
	ok(wcs_reserve(g, NULL, "c3", "-", "callee=%zz", &b) == 0,
	    "bad percent-encoding refused");
	buf_clear(&b);
	wcs_find(g, "callId=c1", 0, &b);
	ok(strstr(b.data, "\"status\":\"TRYING\"") != NULL &&
		strstr(b.data, "\"visibleName\":\"A B\"") != NULL &&
		strstr(b.data, "\"hasVideo\":true") != NULL,
	    "find by callId: TRYING once started, its meta");
	buf_clear(&b);
	wcs_find(g, "callId=c2", 0, &b);
	reply(&b, "0.000\n[]", "find of a callId never started: empty");
	wcs_reserve(g, NULL, "c4", "k4", "-", &b);
	buf_clear(&b);
	wcs_done(g, "c4", "k4", 500, &b);
	buf_clear(&b);
	wcs_find(g, "callId=c4", 0, &b);
	reply(&b, "0.000\n[]", "a failed startup leaves no call");
	wcs_reserve(g, NULL, "c4", "k5", "-", &b);
	reply(&b, "reserved", "so its callId is free again");
	/* The call's own dialplan dials someone busy: not the call's. */
	e = ev(EV_DIAL_END, ST_UNKNOWN);
	e.peer = "other-leg";
	e.dialstatus = "BUSY";
	wcs_apply(g, &e);
	buf_clear(&b);
	wcs_find(g, "callId=c1", 0, &b);
	ok(strstr(b.data, "\"status\":\"TRYING\"") != NULL,
	    "a Dial of the call to another leg leaves its status");
	e = ev(EV_DIAL_END, ST_UNKNOWN);
	e.chan.id = "a-caller";
	e.peer = "c1";
	e.dialstatus = "RINGING";
	wcs_apply(g, &e);
	buf_clear(&b);
	wcs_find(g, "callId=c1", 0, &b);
	ok(strstr(b.data, "\"status\":\"RING\"") != NULL,
	    "a Dial whose peer is the call sets it");
	e = ev(EV_DESTROYED, ST_DOWN);
	e.cause = 16;
	wcs_apply(g, &e);
	buf_clear(&b);
	wcs_find(g, "status=FAILED", 0, &b);
	reply(&b, "0.000\n[]", "with wcs.retain 0 an ended call goes at once");
	buf_free(&b);
	wcs_free(g);
}

/*
 * A startup whose outcome never came (its worker killed, wcs.done lost)
 * frees its callId and key once no startup can still run.
 */
static void
test_pending(void)
{
	struct timespec ts = { 0, 20 * 1000000L };
	struct wcs_reg *g = wcs_new(60000, 10);
	struct buf b;

	buf_init(&b, 1 << 20);
	wcs_reserve(g, NULL, "p1", "pk", "-", &b);
	reply(&b, "reserved", "pending: reserved");
	wcs_reserve(g, NULL, "p1", "-", "-", &b);
	reply(&b, "conflict", "pending: its callId taken meanwhile");
	wcs_idem_claim(g, "ik", &b);
	reply(&b, "new", "pending: a key claimed");
	nanosleep(&ts, NULL);
	wcs_reserve(g, NULL, "p1", "pk", "-", &b);
	reply(&b, "reserved", "past the pending time: callId and key free");
	wcs_idem_claim(g, "ik", &b);
	reply(&b, "new", "past the pending time: the running key forgotten");
	wcs_done(g, "p1", "pk", 200, &b);
	buf_clear(&b);
	nanosleep(&ts, NULL);
	wcs_reserve(g, NULL, "p1", "pk", "-", &b);
	reply(&b, "seen 200", "a settled startup's key stays (24 h)");
	wcs_reserve(g, NULL, "p1", "-", "-", &b);
	reply(&b, "conflict", "and its call stays");

	/* Placed while the source was away, ended before it came back. */
	nanosleep(&ts, NULL);
	wcs_begin_sync(g);
	wcs_end_sync(g);
	buf_clear(&b);
	wcs_find(g, "callId=p1", 0, &b);
	ok(strstr(b.data, "\"status\":\"FAILED\"") != NULL,
	    "a call settled before a rebuild that does not list it ended");
	buf_free(&b);
	wcs_free(g);
}

static void
test_rebuild(void)
{
	struct wcs_reg *g = wcs_new(60000, 60000);
	struct buf b;
	struct ev e;

	buf_init(&b, 1 << 20);
	wcs_reserve(g, NULL, "c1", "-", "-", &b);
	wcs_reserve(g, NULL, "c2", "-", "-", &b);
	wcs_reserve(g, NULL, "c3", "-", "-", &b);
	buf_clear(&b);
	e = ev(EV_STATE, ST_UP);
	wcs_apply(g, &e); /* c1 answered */
	e.chan.id = "c2";
	wcs_apply(g, &e); /* c2 answered, listed again below */
	wcs_begin_sync(g);
	e = ev(EV_CREATED, ST_UP);
	e.chan.id = "c2";
	wcs_apply(g, &e);
	wcs_end_sync(g);
	wcs_find(g, "status=FINISH", 0, &b);
	ok(strstr(b.data, "\"callId\":\"c1\"") != NULL &&
		strstr(b.data, "\"c2\"") == NULL,
	    "rebuild: an answered call not listed ended (FINISH), a listed "
	    "one did not");
	buf_clear(&b);
	wcs_find(g, "callId=c3", 0, &b);
	ok(strstr(b.data, "PENDING") != NULL,
	    "rebuild: a call no event named yet is kept as it was");
	buf_free(&b);
	wcs_free(g);
}

static void
test_idem(void)
{
	struct wcs_reg *g = wcs_new(60000, 60000);
	struct buf b;

	buf_init(&b, 1 << 20);
	wcs_idem_claim(g, "ari:k", &b);
	reply(&b, "new", "idem: a new key");
	wcs_idem_claim(g, "ari:k", &b);
	reply(&b, "seen 0\n", "idem: running");
	ok(wcs_idem_put(g, "ari:k", "{%22id%22:", &b) == 1, "idem: put");
	buf_clear(&b);
	wcs_idem_put(g, "ari:k", "%221%22%7D%20", &b);
	buf_clear(&b);
	wcs_idem_done(g, "ari:k", 200, &b);
	buf_clear(&b);
	wcs_idem_claim(g, "ari:k", &b);
	reply(&b, "seen 200\n{\"id\":\"1\"} ", "idem: the first answer");
	ok(wcs_idem_put(g, "ari:k", "x", &b) == 0,
	    "idem: no put once it is done");
	buf_clear(&b);
	wcs_idem_claim(g, "ari:f", &b);
	buf_clear(&b);
	ok(wcs_idem_put(g, "ari:f", "%2", &b) == 0, "idem: a cut escape");
	buf_clear(&b);
	wcs_idem_done(g, "ari:f", 0, &b);
	buf_clear(&b);
	wcs_idem_claim(g, "ari:f", &b);
	reply(&b, "new", "idem: a failed request's key is forgotten");
	buf_free(&b);
	wcs_free(g);
}

static int nchanged;
static char lastst[32];

static void
changed(void *ctx, const struct wcs_call *c)
{
	(void)ctx;
	nchanged++;
	snprintf(lastst, sizeof(lastst), "%s", c->status);
}

/* A call another host placed: adopted, followed, written back. */
static void
test_adopt(void)
{
	struct wcs_reg *g = wcs_new(60000, 60000);
	struct wcs_call c = fresh(), d;
	struct ev e;
	size_t i;

	ok(wcs_has(g, "c1") == 0, "adopt: not held before");
	c.status = wcs_status("TRYING");
	c.sip = 100;
	ok(wcs_adopt(g, &c) == 0 && wcs_has(g, "c1"), "adopt: held after");
	ok(wcs_adopt(g, &c) == -1, "adopt: a held id is not adopted again");
	e = ev(EV_STATE, ST_RINGING);
	wcs_apply_cb(g, &e, changed, NULL);
	ok(nchanged == 1 && strcmp(lastst, "RING") == 0,
	    "adopt: a status change is written back (%s)", lastst);
	wcs_apply_cb(g, &e, changed, NULL);
	ok(nchanged == 1, "adopt: the same status again is not");
	e = ev(EV_ANSWER, ST_UP);
	wcs_apply_cb(g, &e, changed, NULL);
	ok(nchanged == 2 && strcmp(lastst, "ESTABLISHED") == 0,
	    "adopt: answered, written back");
	/* A rebuild that does not name it: it ended while away. */
	wcs_begin_sync(g);
	wcs_end_sync_cb(g, changed, NULL);
	ok(nchanged == 3 && strcmp(lastst, "FINISH") == 0,
	    "adopt: gone at a rebuild, FINISH written back");
	/* A rebuild's listing drops an unfinished call Redis no longer has. */
	d = fresh();
	snprintf(d.id, sizeof(d.id), "gone");
	(void)wcs_adopt(g, &d);
	d = fresh();
	snprintf(d.id, sizeof(d.id), "kept");
	(void)wcs_adopt(g, &d);
	wcs_list_begin(g);
	(void)wcs_adopt(g, &d);
	wcs_list_end(g);
	ok(!wcs_has(g, "gone") && wcs_has(g, "kept") && wcs_has(g, "c1"),
	    "list: unlisted unfinished dropped, listed and finished kept");
	ok(wcs_status("FINISH") != NULL && wcs_status("HANGUP") == NULL &&
		wcs_status(NULL) == NULL,
	    "wcs_status: the Call statuses only");
	d = fresh();
	ok(wcs_meta(&d, "callee=600&name=A%20B&video=1") == 0 &&
		strcmp(d.callee, "600") == 0 && strcmp(d.visible, "A B") == 0 &&
		d.has_video && d.has_audio,
	    "wcs_meta: callee, name, video, audio by default");
	ok(wcs_meta(&d, "callee=%0") == -1, "wcs_meta: a bad escape");
	d.status = "RING";
	ok(wcs_match(&d, "") && wcs_match(&d, "callee=600&status=RING") &&
		!wcs_match(&d, "status=FINISH") && !wcs_match(&d, "rtmpUrl=x"),
	    "wcs_match: the find filters");
	/* Bounded: a full registry adopts no more. */
	for (i = 1; i < WCS_CALLS_MAX; i++) {
		d = fresh();
		snprintf(d.id, sizeof(d.id), "x%zu", i);
		(void)wcs_adopt(g, &d);
	}
	d = fresh();
	snprintf(d.id, sizeof(d.id), "one-more");
	ok(wcs_adopt(g, &d) == -1, "adopt: a full registry refuses");
	wcs_free(g);
}

int
main(void)
{
	test_adopt();
	test_idem();
	test_pending();
	test_rebuild();
	test_transitions();
	test_failures();
	test_render();
	test_registry();
	return done_testing();
}
