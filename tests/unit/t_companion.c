/*
 * The event companion's parts without processes: the state store
 * (fcgi/companion/state.c: apply, strings copied, sync, overflow, age,
 * peers and members), the journal (journal.c: ids, ring, since, gap),
 * the local interface's parsers (local_proto.c) and its verbs
 * (local.c's local_answer) on a companion made by hand.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "client.h"
#include "companion.h"
#include "conf.h"
#include "journal.h"
#include "limits.h"
#include "local.h"
#include "local_proto.h"
#include "phpin.h"
#include "pv.h"
#include "state.h"
#include "tap.h"
#include "testlib.h"

static struct arena *A;

/* A channel event: type, id, name, state (fields not given: NULL). */
static struct ev
chev(enum ev_type type, const char *id, const char *name, enum ev_state st)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.type = type;
	e.backend = "ami";
	e.chan.id = id;
	e.chan.name = name;
	e.chan.state = st;
	e.chan.priority = -1;
	e.duration_ms = -1;
	e.cause = -1;
	return e;
}

static struct pv *
parse(struct buf *b)
{
	static const struct in_limits lim = { .params_max = 1 << 20,
		.name_max = 64,
		.value_max = 1 << 20,
		.nest_max = 16 };
	struct pv *doc = NULL;
	char err[256];

	if (json_decode_pv(A, b->data, b->len, &lim, &doc, err, sizeof(err)) !=
	    E_OK)
		return NULL;
	return doc;
}

/* The channels document of s, parsed. */
static struct pv *
channels(struct st_tenant *s)
{
	struct buf b;
	struct pv *doc;

	buf_init(&b, LIM_LOCAL_REPLY);
	ok(st_channels_json(s, &b) == 0, "channels json written");
	doc = parse(&b);
	ok(doc != NULL, "channels json parses");
	buf_free(&b);
	return doc;
}

static const char *
field(const struct pv *doc, size_t i, const char *k)
{
	const struct pv *chans = pv_getz(doc, "channels");
	const struct pv_ent *e;
	size_t n;

	if (chans == NULL || chans->type != PV_ARR)
		return NULL;
	for (e = chans->u.arr->head; e != NULL && i > 0; e = e->next)
		i--;
	return e ? pv_to_str(A, pv_getz(&e->val, k), &n) : NULL;
}

static void
state_apply(void)
{
	struct st_tenant *s = st_new("acme", "ami", 3, 8);
	struct st_stats st;
	struct pv *doc;
	char name[64], big[LIM_EV_STR * 2];
	struct ev e;

	st_stats(s, &st);
	ok(st.age < 0 && !st.ever_synced, "new: never synced (age -1)");
	is_int(st.link, SL_DOWN, "new: down");
	doc = channels(s);
	ok(pv_getz(doc, "age")->type == PV_NULL, "never synced: age null");

	st_begin_sync(s);
	st_stats(s, &st);
	is_int(st.link, SL_SYNCING, "begin_sync: syncing");
	snprintf(name, sizeof(name), "PJSIP/200-00000001");
	e = chev(EV_CREATED, "c1", name, ST_RING);
	e.chan.caller_num = "200";
	e.chan.linkedid = "c1";
	st_apply(s, &e);
	/* The source's buffers change once the sink returned. */
	memset(name, 'x', sizeof(name) - 1);
	st_apply(s, &(struct ev){ 0 });
	e = chev(EV_CREATED, "c2", "PJSIP/300-00000002", ST_DOWN);
	e.chan.linkedid = "c1";
	st_apply(s, &e);
	st_end_sync(s);
	st_stats(s, &st);
	ok(st.synced && st.age == 0, "end_sync: synced, age 0");
	is_int(st.channels, 2, "two channels");
	doc = channels(s);
	is_str(
	    field(doc, 0, "name"), "PJSIP/200-00000001", "strings are copied");
	is_str(field(doc, 0, "state"), "Ring", "state name");
	is_str(field(doc, 0, "caller_num"), "200", "caller");
	is_str(field(doc, 1, "caller_num"), "", "not said: \"\"");
	is_int(pv_to_int(pv_getz(doc, "calls_seen")), 1,
	    "calls_seen: one channel began a call");

	e = chev(EV_STATE, "c1", NULL, ST_UP);
	st_apply(s, &e);
	doc = channels(s);
	is_str(field(doc, 0, "state"), "Up", "EV_STATE: Up");
	is_str(field(doc, 0, "name"), "PJSIP/200-00000001",
	    "NULL keeps the value");
	e = chev(EV_UPDATE, "c1", NULL, ST_UNKNOWN);
	e.chan.caller_num = "";
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e.chan.app_data = big;
	st_apply(s, &e);
	doc = channels(s);
	is_str(field(doc, 0, "caller_num"), "", "\"\" empties");
	is_int(strlen(field(doc, 0, "app_data")), LIM_EV_STR,
	    "a long string is cut to LIM_EV_STR");
	{
		struct buf jb;
		char want[LIM_EV_STR + 16];

		buf_init(&jb, 1 << 20);
		st_journal_json(s, 0, &jb);
		snprintf(want, sizeof(want), "\"app_data\":\"%.*s\"",
		    LIM_EV_STR, big);
		ok(strstr(jb.data, want) != NULL,
		    "the journal's copy is cut the same");
		buf_free(&jb);
	}
	is_str(field(doc, 0, "state"), "Up", "ST_UNKNOWN keeps the state");
	st_apply(s, &(struct ev){ .type = EV_HOLD, .chan.id = "c1" });
	doc = channels(s);
	is_str(field(doc, 0, "held"), "1", "EV_HOLD: held");
	st_apply(s,
	    &(struct ev){ .type = EV_BRIDGE_ENTER,
		.chan = { .id = "c2", .bridge = "b1" } });
	doc = channels(s);
	is_str(field(doc, 1, "bridge"), "b1", "bridge entered");
	st_apply(s, &(struct ev){ .type = EV_BRIDGE_LEAVE, .chan.id = "c2" });
	doc = channels(s);
	is_str(field(doc, 1, "bridge"), "", "bridge left");

	/* Overflow: three channels at most. */
	st_apply(s, &(struct ev){ .type = EV_CREATED, .chan.id = "c3" });
	st_apply(s, &(struct ev){ .type = EV_CREATED, .chan.id = "c4" });
	st_stats(s, &st);
	is_int(st.channels, 3, "at most max_channels");
	is_int(st.overflow, 1, "the fourth is counted as overflow");
	st_apply(s, &(struct ev){ .type = EV_STATE, .chan.id = "c9" });
	st_stats(s, &st);
	is_int(st.channels, 3,
	    "an event without a snapshot for an unknown channel adds none");

	st_apply(s, &(struct ev){ .type = EV_DESTROYED, .chan.id = "c1" });
	st_stats(s, &st);
	is_int(st.channels, 2, "EV_DESTROYED removes");
	doc = channels(s);
	is_str(field(doc, 0, "id"), "c2", "order of creation kept");

	st_down(s, "gone");
	st_stats(s, &st);
	ok(!st.synced && st.link == SL_DOWN, "down: not synced");
	ok(st.age >= 0, "down: age counts from now");
	is_str(st.down_why, "gone", "down: the reason");
	{
		struct timespec ts = { 0, 30 * 1000000L };
		nanosleep(&ts, NULL);
	}
	st_stats(s, &st);
	ok(st.age >= 0.03, "down: the age grows (%.3f)", st.age);

	/* A rebuild that names c3 only: c2 ended while away. */
	st_begin_sync(s);
	st_apply(s, &(struct ev){ .type = EV_CREATED, .chan.id = "c3" });
	st_end_sync(s);
	st_stats(s, &st);
	is_int(st.channels, 1, "rebuild: channels not listed are dropped");
	doc = channels(s);
	is_str(field(doc, 0, "id"), "c3", "rebuild: the listed one stays");
	ok(st.synced && st.age == 0, "rebuild: synced again");
	is_int(st.syncs, 2, "two rebuilds");
	st_free(s);
}

static void
state_gone(void)
{
	struct st_tenant *s = st_new("acme", "ari", 10, 8);
	struct st_stats st;
	struct ev e;

	st_begin_sync(s);
	st_end_sync(s);
	e = chev(EV_DIAL, "o1", "PJSIP/200-1", ST_DOWN);
	st_apply(s, &e);
	st_stats(s, &st);
	is_int(st.channels, 1, "a Dial with the snapshot adds the channel");
	e = chev(EV_HANGUP, "o2", "PJSIP/200-2", ST_UP);
	st_apply(s, &e);
	st_stats(s, &st);
	is_int(st.channels, 1, "a hangup of an unknown channel adds none");
	st_apply(s, &(struct ev){ .type = EV_DESTROYED, .chan.id = "o1" });
	e = chev(EV_UPDATE, "o1", "PJSIP/200-1", ST_UP);
	e.chan.caller_num = "200";
	st_apply(s, &e);
	st_stats(s, &st);
	is_int(st.channels, 0,
	    "an update after the destruction does not bring it back");
	e = chev(EV_CREATED, "o1", "PJSIP/200-1", ST_DOWN);
	st_apply(s, &e);
	st_stats(s, &st);
	is_int(st.channels, 0, "nor does a creation with a destroyed id");
	st_free(s);
}

static void
state_items(void)
{
	struct st_tenant *s = st_new("acme", "ami", 10, 8);
	struct st_stats st;
	struct buf b;
	struct pv *doc;

	st_apply(s,
	    &(struct ev){ .type = EV_PEER,
		.peer = "PJSIP/200",
		.peer_state = "reachable" });
	st_apply(s,
	    &(struct ev){ .type = EV_PEER,
		.peer = "PJSIP/200",
		.peer_state = "unreachable" });
	st_apply(s,
	    &(struct ev){ .type = EV_QUEUE_MEMBER,
		.queue = "q",
		.member = "PJSIP/201",
		.member_state = "inuse" });
	st_stats(s, &st);
	is_int(st.peers, 1, "a peer's states: one peer");
	is_int(st.members, 1, "one queue member");
	buf_init(&b, 1 << 20);
	st_peers_json(s, &b);
	ok(strstr(b.data, "\"state\":\"unreachable\"") != NULL,
	    "the peer's last state (%s)", b.data);
	ok(strstr(b.data, "\"member\":\"PJSIP/201\"") != NULL, "the member");
	doc = parse(&b);
	ok(doc != NULL && pv_getz(doc, "queue_members") != NULL,
	    "peers json parses");
	buf_free(&b);
	st_apply(s,
	    &(struct ev){ .type = EV_QUEUE_MEMBER,
		.queue = "q",
		.member = "PJSIP/201",
		.member_state = "removed" });
	st_stats(s, &st);
	is_int(st.members, 0, "member_state removed: gone");
	st_free(s);
}

static void
journal_ids(void)
{
	struct st_tenant *s = st_new("acme", "ami", 10, 4);
	struct timespec ts;
	struct st_stats st;
	struct buf b;
	struct pv *doc;
	uint64_t first, now_us;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	for (i = 0; i < 3; i++)
		st_apply(s,
		    &(struct ev){ .type = EV_CREATED,
			.chan.id = "c1",
			.chan.priority = -1 });
	st_stats(s, &st);
	first = st.journal_first;
	ok(first + 1000000 >= now_us && first <= now_us + 1000000,
	    "ids start at the wall clock in µs");
	is_int(st.journal_last, first + 2, "ids increase by one");
	st_down(s, "x");
	st_begin_sync(s);
	st_end_sync(s);
	st_apply(s, &(struct ev){ .type = EV_DESTROYED, .chan.id = "c1" });
	st_apply(s, &(struct ev){ .type = EV_CREATED, .chan.id = "c2" });
	st_stats(s, &st);
	is_int(st.journal_last, first + 4, "a reconnect does not reset ids");
	is_int(st.journal_first, first + 1, "the ring keeps the last 4");
	buf_init(&b, 1 << 20);
	st_journal_json(s, first + 2, &b);
	doc = parse(&b);
	ok(doc != NULL, "journal json parses");
	is_int(pv_count(pv_getz(doc, "events")), 2, "since: the later ones");
	is_int(pv_getz(doc, "gap")->u.b, 0, "since inside the ring: no gap");
	ok(strstr(b.data, "\"type\":\"destroyed\"") != NULL,
	    "an event recorded as JSON");
	buf_clear(&b);
	st_journal_json(s, first - 5, &b);
	doc = parse(&b);
	is_int(pv_getz(doc, "gap")->u.b, 1, "since before the ring: gap");
	is_int(pv_count(pv_getz(doc, "events")), 4, "all that is kept");
	buf_free(&b);
	st_free(s);
}

struct rq {
	const char *in;
	enum local_rc rc;
	size_t nargs;
};

/* s with CR, LF and tabs written as \r, \n, \t (a test's name). */
static const char *
printable(const char *s)
{
	static char out[256];
	size_t o = 0;

	for (; *s != '\0' && o + 3 < sizeof(out); s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			out[o++] = '\\';
			out[o++] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't';
		} else
			out[o++] = *s;
	}
	out[o] = '\0';
	return out;
}

static void
proto(void)
{
	static const struct rq cases[] = {
		{ "status\n", LOCAL_OK, 0 },
		{ "channels acme\n", LOCAL_OK, 1 },
		{ "journal acme 1796\n", LOCAL_OK, 2 },
		{ "wcs.call a b c d\n", LOCAL_OK, 4 },
		{ "channels acme", LOCAL_MORE, 0 },
		{ "", LOCAL_MORE, 0 },
		{ "\n", LOCAL_EPROTO, 0 },
		{ "Status\n", LOCAL_EPROTO, 0 },
		{ "channels  acme\n", LOCAL_EPROTO, 0 },
		{ "channels acme \n", LOCAL_EPROTO, 0 },
		{ "channels ac\tme\n", LOCAL_EPROTO, 0 },
		{ "channels acme\r\n", LOCAL_EPROTO, 0 },
		{ "a b c d e f\n", LOCAL_EPROTO, 0 },
		{ " status\n", LOCAL_EPROTO, 0 },
	};
	struct local_req r;
	char line[LIM_LOCAL_LINE + 16];
	size_t i, used;
	int okh;
	size_t len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum local_rc rc = local_parse_req(
		    cases[i].in, strlen(cases[i].in), &r, &used);
		is_int(rc, cases[i].rc, printable(cases[i].in));
		if (rc == LOCAL_OK)
			is_int(r.nargs, cases[i].nargs, "its arguments");
	}
	local_parse_req("journal acme 17\nstatus\n", 23, &r, &used);
	is_int(used, 16, "one line at a time");
	ok(local_is(r.verb, "journal") && local_is(r.arg[1], "17"),
	    "verb and arguments");
	memset(line, 'a', sizeof(line));
	is_int(local_parse_req(line, LIM_LOCAL_LINE, &r, &used), LOCAL_EPROTO,
	    "no LF within LIM_LOCAL_LINE");
	is_int(local_parse_req(line, LIM_LOCAL_LINE - 1, &r, &used), LOCAL_MORE,
	    "shorter: more");
	memcpy(line, "x ", 2);
	line[LOCAL_ARG_MAX + 3] = '\n';
	is_int(local_parse_req(line, LOCAL_ARG_MAX + 4, &r, &used),
	    LOCAL_EPROTO, "an argument over LOCAL_ARG_MAX");

	is_int(local_parse_head("OK 12\n", 6, &okh, &len, &used), LOCAL_OK,
	    "head OK");
	ok(okh == 1 && len == 12 && used == 6, "OK 12");
	is_int(local_parse_head("ERR 3\nabc", 9, &okh, &len, &used), LOCAL_OK,
	    "head ERR");
	ok(okh == 0 && len == 3 && used == 6, "ERR 3");
	is_int(local_parse_head("OK 1", 4, &okh, &len, &used), LOCAL_MORE,
	    "head: more");
	is_int(local_parse_head("OK \n", 4, &okh, &len, &used), LOCAL_EPROTO,
	    "head: no length");
	is_int(local_parse_head("OK 1x\n", 6, &okh, &len, &used), LOCAL_EPROTO,
	    "head: not a number");
	is_int(local_parse_head("OK 999999999\n", 13, &okh, &len, &used),
	    LOCAL_EPROTO, "head: over LIM_LOCAL_REPLY");
	is_int(local_parse_head("YES 1\n", 6, &okh, &len, &used), LOCAL_EPROTO,
	    "head: neither OK nor ERR");
	is_int(local_parse_head(
		   "OK 0000000000000000000000000", 27, &okh, &len, &used),
	    LOCAL_EPROTO, "head: too long");
}

/* Answers line (with its LF) on c; returns 1 OK, 0 ERR. */
static int
answer(struct companion *c, const char *line, struct buf *out)
{
	struct local_req r;
	size_t used;

	buf_clear(out);
	if (local_parse_req(line, strlen(line), &r, &used) != LOCAL_OK)
		return -1;
	return local_answer(c, &r, out);
}

static void
verbs(void)
{
	struct tenant t = { .name = "acme" };
	struct conf cf = { .events_journal = 16 };
	struct cmp_src src = { .t = &t, .backend = "ami" };
	struct companion c = { .conf = &cf, .src = &src, .nsrc = 1 };
	struct buf out;

	src.st = st_new("acme", "ami", 10, 16);
	src.cmp = &c;
	buf_init(&out, LIM_LOCAL_REPLY);
	st_begin_sync(src.st);
	st_apply(src.st,
	    &(struct ev){
		.type = EV_CREATED, .chan.id = "c1", .chan.name = "PJSIP/1" });
	st_end_sync(src.st);
	is_int(answer(&c, "channels acme\n", &out), 1, "channels: OK");
	ok(strstr(out.data, "\"name\":\"PJSIP/1\"") != NULL &&
		strstr(out.data, "\"synced\":true") != NULL,
	    "channels: the snapshot (%s)", out.data);
	is_int(answer(&c, "channels other\n", &out), 0, "unknown tenant: ERR");
	is_str(out.data, "no events for tenant 'other'", "its text");
	is_int(answer(&c, "peers acme\n", &out), 1, "peers: OK");
	is_int(answer(&c, "journal acme 0\n", &out), 1, "journal: OK");
	ok(strstr(out.data, "\"type\":\"created\"") != NULL, "journal: events");
	is_int(answer(&c, "journal acme x1\n", &out), 0, "journal: bad id");
	is_int(answer(&c, "journal acme 99999999999999999999\n", &out), 0,
	    "journal: an id over 19 digits");
	is_int(answer(&c, "status\n", &out), 1, "status: OK");
	ok(strstr(out.data, "\"events received\":1") != NULL,
	    "status: the tenant's counters (%s)", out.data);
	is_int(answer(&c, "metrics\n", &out), 1, "metrics: OK");
	ok(strstr(out.data,
	       "pbxapi_companion_up{tenant=\"acme\","
	       "backend=\"ami\"} 1\n") != NULL,
	    "metrics: up");
	ok(strstr(out.data, "# TYPE pbxapi_companion_events_total counter") !=
		NULL,
	    "metrics: families typed");
	is_int(answer(&c, "ping\n", &out), 1, "ping");
	is_int(answer(&c, "nope\n", &out), 0, "unknown verb: ERR");
	is_str(out.data, "unknown verb 'nope'", "its text");
	is_int(answer(&c, "channels\n", &out), 0, "missing argument: ERR");
	is_int(answer(&c, "status x\n", &out), 0, "extra argument: ERR");
	buf_free(&out);
	st_free(src.st);
}

/* The local server on a thread, asked through client.c. */
static struct companion *serving;

static void *
serve(void *arg)
{
	local_serve(serving, *(int *)arg, -1);
	return NULL;
}

static int
listen_at(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 8) == -1)
		return -1;
	return fd;
}

static void
client(void)
{
	struct tenant t = { .name = "acme" };
	struct conf cf = { .companion_ms = 500 };
	struct cmp_src src = { .t = &t, .backend = "ami" };
	struct companion c = { .conf = &cf, .src = &src, .nsrc = 1 };
	const char *body;
	char why[256];
	size_t len;
	pthread_t th;
	int lfd, mute;

	cf.companion_socket = tl_path("c.sock");
	src.st = st_new("acme", "ami", 10, 16);
	src.cmp = &c;
	serving = &c;
	is_int(companion_ask(&cf, A, "ping", &body, &len, why, sizeof(why)),
	    E_BACKEND, "no companion: E_BACKEND");
	ok(strstr(why, "c.sock") != NULL, "the reason names the socket (%s)",
	    why);
	if ((lfd = listen_at(cf.companion_socket)) == -1 ||
	    pthread_create(&th, NULL, serve, &lfd) != 0) {
		ok(0, "local server started");
		return;
	}
	is_int(companion_ask(&cf, A, "ping", &body, &len, why, sizeof(why)),
	    E_OK, "ping: E_OK");
	is_str(body, "pong", "ping: pong");
	is_int(companion_ask(
		   &cf, A, "channels acme", &body, &len, why, sizeof(why)),
	    E_OK, "channels over the socket");
	ok(strstr(body, "\"synced\":false") != NULL, "its body (%s)", body);
	is_int(companion_ask(
		   &cf, A, "channels nope", &body, &len, why, sizeof(why)),
	    E_NOTFOUND, "ERR: E_NOTFOUND");
	is_str(why, "companion: no events for tenant 'nope'",
	    "ERR: the companion's text");
	is_int(companion_ask(&cf, A, "ping", &body, &len, why, sizeof(why)),
	    E_OK, "the connection is kept after an ERR");
	is_int(
	    companion_ask(&cf, A, "bad\tline", &body, &len, why, sizeof(why)),
	    E_BACKEND, "a request the server refuses: it closes");
	is_int(companion_ask(&cf, A, "ping", &body, &len, why, sizeof(why)),
	    E_OK, "then a new connection");
	atomic_store(&c.stop, 1);
	pthread_join(th, NULL);
	close(lfd);
	is_int(companion_ask(&cf, A, "ping", &body, &len, why, sizeof(why)),
	    E_BACKEND, "the server gone: E_BACKEND");
	/* A server that accepts (the backlog) and never answers. */
	mute = listen_at(cf.companion_socket);
	cf.companion_ms = 30;
	is_int(companion_ask(&cf, A, "ping", &body, &len, why, sizeof(why)),
	    E_TIMEOUT, "no answer: E_TIMEOUT after companion.timeout");
	companion_hangup();
	close(mute);
	ok(!companion_alive(), "no scoreboard: no companion alive");
	st_free(src.st);
}

static struct conf *
load(const char *text, char *err, size_t errlen)
{
	return conf_load(tl_put("pbxapi.conf", text), NULL, 0, err, errlen);
}

static void
settings(void)
{
	char err[512];
	struct conf *c;

	c = load("listen = /run/x/pbxapi.sock\n"
		 "[tenant a]\nAMI_HOST = h\n"
		 "[tenant b]\nevents = ami\n"
		 "[tenant c]\nevents = auto\nARI_ENABLED = true\n"
		 "[tenant d]\nevents = auto\nFUSIONPBX_DOMAIN = x\n"
		 "[tenant e]\nevents = auto\n",
	    err, sizeof(err));
	ok(c != NULL, "events settings load (%s)", c ? "" : err);
	if (c == NULL)
		return;
	is_int(tenant_events(conf_tenant(c, "a")), EVM_OFF, "default: off");
	is_int(tenant_events(conf_tenant(c, "b")), EVM_AMI, "events = ami");
	is_int(tenant_events(conf_tenant(c, "c")), EVM_ARI,
	    "auto with ARI_ENABLED: ari");
	is_int(tenant_events(conf_tenant(c, "d")), EVM_ESL,
	    "auto with FUSIONPBX_*: esl");
	is_int(tenant_events(conf_tenant(c, "e")), EVM_AMI, "auto: ami");
	ok(conf_has_events(c), "a tenant has events: a companion");
	is_str(c->companion_socket, "/run/x/pbxapi-companion.sock",
	    "companion.socket: next to listen");
	is_int(c->companion_ms, 50, "companion.timeout: 50 ms");
	is_int(c->state_fresh, 0, "state.fresh: never");
	is_int(c->events_journal, 1000, "events.journal: 1000");
	is_int(c->events_backoff_ms, 30000, "events.backoff_max: 30 s");
	is_int(c->events_lease_ms, 10000, "events.lease_ttl: 10 s");
	is_str(c->node, "", "node: empty (the companion makes hostname:pid)");
	conf_free(c);
	c = load("listen = 127.0.0.1:9000\npid = /var/run/p/pbxapi.pid\n"
		 "events = auto\nstate.fresh = always\n"
		 "events.journal = 5\nevents.backoff_max = 2s\n"
		 "companion.timeout = 5ms\n[tenant a]\n[tenant b]\n"
		 "events = off\n",
	    err, sizeof(err));
	ok(c != NULL, "global events = auto (%s)", c ? "" : err);
	if (c == NULL)
		return;
	is_int(tenant_events(conf_tenant(c, "a")), EVM_AMI,
	    "a tenant takes the global events");
	is_int(tenant_events(conf_tenant(c, "b")), EVM_OFF,
	    "a tenant's own events wins");
	is_str(c->companion_socket, "/var/run/p/pbxapi-companion.sock",
	    "companion.socket: next to the pid file for a TCP listen");
	ok(c->state_fresh == 1 && c->events_journal == 5 &&
		c->events_backoff_ms == 2000 && c->companion_ms == 5,
	    "the settings read");
	conf_free(c);
	c = load("listen = 127.0.0.1:9000\nnode = web-1\n"
		 "events.lease_ttl = 1500ms\n",
	    err, sizeof(err));
	ok(c != NULL && strcmp(c->node, "web-1") == 0 &&
		c->events_lease_ms == 1500,
	    "node and events.lease_ttl read (%s)", c ? "" : err);
	conf_free(c);
	c = load("listen = 127.0.0.1:9000\nevents.lease_ttl = 100ms\n", err,
	    sizeof(err));
	ok(c == NULL && strstr(err, "events.lease_ttl") != NULL,
	    "events.lease_ttl under 300 ms refused (%s)", err);
	conf_free(c);
	c = load("[tenant a]\nevents = maybe\n", err, sizeof(err));
	ok(c == NULL && strstr(err, "'events': unknown value 'maybe'"),
	    "a bad events value is refused (%s)", err);
	conf_free(c);
	c = load("companion.socket = rel.sock\n", err, sizeof(err));
	ok(c == NULL && strstr(err, "not an absolute path"),
	    "a relative companion.socket is refused (%s)", err);
	conf_free(c);
	c = load("events.journal = 0\n", err, sizeof(err));
	ok(c == NULL, "events.journal 0 is out of range");
	conf_free(c);
	c = load("listen = /run/x/p.sock\n", err, sizeof(err));
	ok(c != NULL && !conf_has_events(c), "no events: no companion");
	conf_free(c);
}

int
main(void)
{
	A = arena_new();
	tl_tmpdir("t_companion");
	settings();
	client();
	state_apply();
	state_gone();
	state_items();
	journal_ids();
	proto();
	verbs();
	arena_free(A);
	tl_rmtmp();
	return done_testing();
}
