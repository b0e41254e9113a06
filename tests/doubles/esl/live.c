/*
 * esl_double's live events: the call world (lib/world.h) rendered as
 * FreeSWITCH channel events, and the APIs that drive it.
 *
 * The world lives in the listening process; each connection is a
 * process of its own, so a connection talks to the world over the
 * control socket (--world PATH, else an abstract socket of the parent):
 * "originate", "start", "hangup", "dtmf", "hold", "unhold", and
 * "subscribe TAG FORMAT NAMES" with the client's socket passed along
 * (SCM_RIGHTS), after which the world writes the events to the client
 * itself.
 *
 * Wire facts, from mod_event_socket.c and the FreeSWITCH event docs
 * (developer.signalwire.com "ESL Event Structure", "Event List",
 * "Channel States"; switch_event.c's switch_event_serialize and
 * switch_event_serialize_json):
 *   - an event is "Content-Length: N\nContent-Type: text/event-json\n\n"
 *     (or text/event-plain) and N bytes of body;
 *   - event-json's body is one JSON object whose values are all strings;
 *     event-plain's is "Name: url-encoded value\n" lines and a blank line;
 *   - "event json|plain ALL" or a list of names subscribes, answered
 *     "+OK event listener enabled json|plain";
 *   - the channel headers: Channel-State (CS_*), Channel-Call-State
 *     (DOWN RINGING EARLY ACTIVE HELD HANGUP), Channel-State-Number,
 *     Channel-Name, Unique-ID, Call-Direction, Answer-State (ringing
 *     early answered hangup), Caller-Caller-ID-Name/-Number,
 *     Caller-Destination-Number, Caller-Unique-ID, Caller-Context,
 *     variable_*; Hangup-Cause on CHANNEL_HANGUP, _HANGUP_COMPLETE and
 *     _DESTROY; DTMF-Digit and DTMF-Duration (samples) on DTMF;
 *     Other-Leg-Unique-ID, Bridge-A-Unique-ID, Bridge-B-Unique-ID on
 *     CHANNEL_BRIDGE / CHANNEL_UNBRIDGE.
 *
 * A call's life in events: CHANNEL_CREATE; CHANNEL_PROGRESS (ringing);
 * CHANNEL_PROGRESS_MEDIA (rule "media"); CHANNEL_ANSWER; CHANNEL_HANGUP,
 * CHANNEL_HANGUP_COMPLETE, CHANNEL_DESTROY (Hangup-Cause USER_BUSY,
 * NO_ANSWER, CALL_REJECTED, NORMAL_CIRCUIT_CONGESTION for the failed
 * outcomes, NORMAL_CLEARING or the API's cause otherwise); DTMF;
 * CHANNEL_HOLD / CHANNEL_UNHOLD; CHANNEL_BRIDGE / CHANNEL_UNBRIDGE.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "world.h"
#include "util.h"
#include "esl_double.h"

#define CORE_UUID "4b1e2e2a-0000-4000-8000-00000000c0de" /* reply.c's */

static char ctlpath[256];
static char pending[96]; /* a connection's call to start after its reply */

typedef void (*putfn)(void *, const char *, const char *, size_t);

/* ---- rendering (the listening process) ---- */

/* switch_url_encode's set, as api.c's url_encode. */
static void
hdr(struct wbuf *b, const char *k, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;

	wb_adds(b, k);
	wb_adds(b, ": ");
	for (; *v != '\0'; v++) {
		ch = (unsigned char)*v;
		if (ch < 0x20 || ch >= 0x7f ||
		    strchr("\r\n #%&+:;<=>?@[\\]^`{|}\"", ch) != NULL) {
			wb_add(b, "%", 1);
			wb_add(b, &hex[ch >> 4], 1);
			wb_add(b, &hex[ch & 15], 1);
		} else
			wb_add(b, v, 1);
	}
	wb_adds(b, "\n");
}

static void
hdrf(struct wbuf *b, const char *k, long v)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%ld", v);
	hdr(b, k, tmp);
}

/* The channel's states as its headers name them. */
static void
states(const struct wcall *c, enum wev type, const char **cs, int *csn,
    const char **call, const char **ans)
{
	*cs = "CS_EXECUTE";
	*csn = 4;
	*call = "DOWN";
	*ans = "ringing";
	switch (c->state) {
	case WS_DOWN:
		*cs = "CS_INIT";
		*csn = 1;
		*call = "DOWN";
		*ans = "ringing";
		break;
	case WS_RING:
		*call = type == WE_MEDIA ? "EARLY" : "RINGING";
		*ans = type == WE_MEDIA ? "early" : "ringing";
		if (c->incoming) {
			*cs = "CS_ROUTING";
			*csn = 2;
		}
		break;
	case WS_UP:
		*call = c->held ? "HELD" : "ACTIVE";
		*ans = "answered";
		break;
	case WS_GONE:
		*call = "HANGUP";
		*ans = "hangup";
		break;
	}
	if (type == WE_HANGUP) {
		*cs = "CS_HANGUP";
		*csn = 10;
		*call = "HANGUP";
		*ans = "hangup";
	}
}

/* One event: the core headers, the channel's, then extra lines. */
static void
event(putfn put, void *ctx, const char *name, const struct wcall *c,
    enum wev type, const char *extra)
{
	static unsigned long seq;
	struct wbuf b = { 0 };
	struct timespec ts;
	const char *cs, *call, *ans;
	char when[64];
	struct tm tm;
	int csn;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	hdr(&b, "Event-Name", name);
	hdr(&b, "Core-UUID", CORE_UUID);
	hdr(&b, "FreeSWITCH-Hostname", "esl-double");
	hdr(&b, "FreeSWITCH-Switchname", "esl-double");
	hdr(&b, "FreeSWITCH-IPv4", "127.0.0.1");
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	hdr(&b, "Event-Date-Local", when);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	hdr(&b, "Event-Date-GMT", when);
	hdrf(&b, "Event-Date-Timestamp",
	    (long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
	hdr(&b, "Event-Calling-File", "switch_channel.c");
	hdr(&b, "Event-Calling-Function", "switch_channel_perform_answer");
	hdr(&b, "Event-Calling-Line-Number", "3700");
	hdrf(&b, "Event-Sequence", (long)++seq);
	states(c, type, &cs, &csn, &call, &ans);
	hdr(&b, "Channel-State", cs);
	hdr(&b, "Channel-Call-State", call);
	hdrf(&b, "Channel-State-Number", csn);
	hdr(&b, "Channel-Name", c->name);
	hdr(&b, "Unique-ID", c->id);
	hdr(&b, "Call-Direction", c->incoming ? "inbound" : "outbound");
	hdr(&b, "Presence-Call-Direction",
	    c->incoming ? "inbound" : "outbound");
	hdr(&b, "Channel-HIT-Dialplan", c->incoming ? "true" : "false");
	hdr(&b, "Channel-Call-UUID", c->id);
	hdr(&b, "Answer-State", ans);
	hdr(&b, "Caller-Direction", c->incoming ? "inbound" : "outbound");
	hdr(&b, "Caller-Logical-Direction",
	    c->incoming ? "inbound" : "outbound");
	hdr(&b, "Caller-Caller-ID-Name", c->cid_name);
	hdr(&b, "Caller-Caller-ID-Number", c->cid_num);
	hdr(&b, "Caller-Destination-Number", c->dest);
	hdr(&b, "Caller-Unique-ID", c->id);
	hdr(&b, "Caller-Context", c->ctx);
	hdr(&b, "Caller-Channel-Name", c->name);
	hdrf(&b, "Caller-Channel-Created-Time", (long)c->created * 1000000);
	hdr(&b, "variable_direction", c->incoming ? "inbound" : "outbound");
	hdr(&b, "variable_uuid", c->id);
	hdr(&b, "variable_call_uuid", c->id);
	if (extra != NULL)
		wb_adds(&b, extra);
	wb_adds(&b, "\n");
	put(ctx, name, b.p, b.len);
	free(b.p);
}

static void
hangup(putfn put, void *ctx, const struct wcall *c)
{
	struct wbuf x = { 0 };
	const char *cause = world_cause_name(c->cause);

	hdr(&x, "Hangup-Cause", cause);
	hdr(&x, "variable_hangup_cause", cause);
	hdrf(&x, "variable_hangup_cause_q850", c->cause);
	event(put, ctx, "CHANNEL_HANGUP", c, WE_HANGUP, x.p);
	event(put, ctx, "CHANNEL_HANGUP_COMPLETE", c, WE_HANGUP, x.p);
	event(put, ctx, "CHANNEL_DESTROY", c, WE_HANGUP, x.p);
	free(x.p);
}

static void
render(const struct wevent *ev, putfn put, void *ctx)
{
	const struct wcall *c = ev->c;
	struct wbuf x = { 0 };
	char d[2];

	switch (ev->type) {
	case WE_INJECT:
		put(ctx, "inject", ev->raw, ev->rawlen);
		return;
	case WE_CREATE:
		event(put, ctx, "CHANNEL_CREATE", c, ev->type, NULL);
		return;
	case WE_RING:
		event(put, ctx, "CHANNEL_PROGRESS", c, ev->type, NULL);
		return;
	case WE_MEDIA:
		event(put, ctx, "CHANNEL_PROGRESS_MEDIA", c, ev->type, NULL);
		return;
	case WE_PLAY: /* ARI's only */
		return;
	case WE_ANSWER:
		event(put, ctx, "CHANNEL_ANSWER", c, ev->type, NULL);
		return;
	case WE_FAIL:
	case WE_HANGUP_REQ: /* FreeSWITCH reports the hangup only */
		return;
	case WE_HANGUP:
		hangup(put, ctx, c);
		return;
	case WE_DTMF:
		d[0] = c->digit;
		d[1] = '\0';
		hdr(&x, "DTMF-Digit", d);
		hdr(&x, "DTMF-Duration", "2000");
		hdr(&x, "DTMF-Source", "APP");
		event(put, ctx, "DTMF", c, ev->type, x.p);
		break;
	case WE_HOLD:
	case WE_UNHOLD:
		event(put, ctx,
		    ev->type == WE_HOLD ? "CHANNEL_HOLD" : "CHANNEL_UNHOLD", c,
		    ev->type, NULL);
		break;
	case WE_BRIDGE:
	case WE_UNBRIDGE:
		hdr(&x, "Bridge-A-Unique-ID", c->id);
		hdr(&x, "Bridge-B-Unique-ID", c->bridge);
		hdr(&x, "Other-Leg-Unique-ID", c->bridge);
		event(put, ctx,
		    ev->type == WE_BRIDGE ? "CHANNEL_BRIDGE"
					  : "CHANNEL_UNBRIDGE",
		    c, ev->type, x.p);
		break;
	}
	free(x.p);
}

static int
unhex(int ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0'
	    : ch >= 'A' && ch <= 'F'  ? ch - 'A' + 10
	    : ch >= 'a' && ch <= 'f'  ? ch - 'a' + 10
				      : -1;
}

/* The plain body as event-json's object: every value a string. */
static void
to_json(struct wbuf *j, const char *p, size_t n)
{
	const char *end = p + n, *nl, *colon, *v;
	struct wbuf val = { 0 };
	int first = 1;

	wb_adds(j, "{");
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((colon = memchr(p, ':', (size_t)(nl - p))) == NULL)
			continue;
		val.len = 0;
		wb_add(&val, "", 0);
		for (v = colon + 2; v < nl; v++)
			if (*v == '%' && v + 2 < nl && unhex(v[1]) >= 0 &&
			    unhex(v[2]) >= 0) {
				char ch =
				    (char)(unhex(v[1]) * 16 + unhex(v[2]));

				wb_add(&val, &ch, 1);
				v += 2;
			} else
				wb_add(&val, v, 1);
		wb_adds(j, first ? "\"" : ",\"");
		wb_add(j, p, (size_t)(colon - p));
		wb_adds(j, "\":");
		wb_json(j, val.p);
		first = 0;
	}
	wb_adds(j, "}");
	free(val.p);
}

/*
 * A subscriber's arg is "json|plain NAME ..." (ALL: every event).
 * Injected bytes go out as they are.
 */
static int
send_ev(int fd, const char *arg, const char *name, const struct wcall *c,
    const char *payload, size_t n)
{
	struct wbuf b = { 0 }, j = { 0 };
	const char *names = strchr(arg, ' ');
	char pat[80];
	int json = strncmp(arg, "json", 4) == 0, rc;

	if (c == NULL)
		return dbl_send_all(fd, payload, n);
	snprintf(pat, sizeof(pat), " %s ", name);
	if (names == NULL ||
	    (strstr(names, " ALL") == NULL && strstr(names, pat) == NULL))
		return 0;
	if (json)
		to_json(&j, payload, n);
	wb_printf(&b, "Content-Length: %zu\nContent-Type: text/event-%s\n\n",
	    json ? j.len : n, json ? "json" : "plain");
	if (json)
		wb_add(&b, j.p, j.len);
	else
		wb_add(&b, payload, n);
	rc = dbl_send_all(fd, b.p, b.len);
	free(b.p);
	free(j.p);
	return rc;
}

/* sofia/internal/600 or loopback/600 as FreeSWITCH names channels. */
static void
name(const struct wcall *c, char *out, size_t size)
{
	snprintf(out, size, "sofia/internal/%s", c->dest);
}

/* "show": the live calls as rows of show channels as json. */
static int
command(const char *line, struct wbuf *r)
{
	struct wcall *w;
	size_t i, n, k = 0;
	char when[32];
	struct tm tm;

	if (strncmp(line, "exists ", 7) == 0) {
		wb_adds(
		    r, world_find(line + 7) != NULL ? "ok true" : "ok false");
		return 0;
	}
	if (strcmp(line, "show") != 0)
		return -1;
	wb_adds(r, "ok ");
	w = world_calls(&n);
	for (i = 0; i < n; i++) {
		if (w[i].state == WS_GONE)
			continue;
		localtime_r(&w[i].created, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		wb_adds(r, k++ ? ",{\"uuid\":" : "{\"uuid\":");
		wb_json(r, w[i].id);
		wb_printf(r,
		    ",\"direction\":\"%s\",\"created\":\"%s\","
		    "\"created_epoch\":\"%ld\",\"name\":",
		    w[i].incoming ? "inbound" : "outbound", when,
		    (long)w[i].created);
		wb_json(r, w[i].name);
		wb_printf(r, ",\"state\":\"%s\",\"cid_name\":",
		    w[i].state == WS_UP ? "CS_EXECUTE" : "CS_ROUTING");
		wb_json(r, w[i].cid_name);
		wb_adds(r, ",\"cid_num\":");
		wb_json(r, w[i].cid_num);
		wb_adds(r, ",\"ip_addr\":\"127.0.0.1\",\"dest\":");
		wb_json(r, w[i].dest);
		wb_adds(r,
		    ",\"application\":\"park\",\"application_data\":\"\","
		    "\"dialplan\":\"XML\",\"context\":");
		wb_json(r, w[i].ctx);
		wb_printf(r,
		    ",\"read_codec\":\"PCMU\",\"read_rate\":\"8000\","
		    "\"read_bit_rate\":\"64000\",\"write_codec\":\"PCMU\","
		    "\"write_rate\":\"8000\",\"write_bit_rate\":\"64000\","
		    "\"secure\":\"\",\"hostname\":\"esl-double\","
		    "\"presence_id\":\"\",\"presence_data\":\"\","
		    "\"accountcode\":\"\",\"callstate\":\"%s\","
		    "\"callee_name\":\"\",\"callee_num\":\"\","
		    "\"callee_direction\":\"\",\"call_uuid\":\"\","
		    "\"sent_callee_name\":\"\",\"sent_callee_num\":\"\","
		    "\"initial_cid_name\":\"\",\"initial_cid_num\":\"\","
		    "\"initial_ip_addr\":\"127.0.0.1\",\"initial_dest\":\"\","
		    "\"initial_dialplan\":\"XML\",\"initial_context\":\"\"}",
		    w[i].state == WS_UP ? (w[i].held ? "HELD" : "ACTIVE")
					: "RINGING");
	}
	return 0;
}

static const struct wdriver driver = { .who = "esl",
	.render = render,
	.send = send_ev,
	.command = command,
	.name = name };

void
live_init(const struct opts *o)
{
	if (o->world != NULL)
		snprintf(ctlpath, sizeof(ctlpath), "%s", o->world);
	else
		snprintf(ctlpath, sizeof(ctlpath), "@esl_double.%ld",
		    (long)getpid());
	world_init(&driver, o->world != NULL ? o->logfile : NULL, ctlpath);
}

/* ---- a connection's side (its own process) ---- */

static int wfd = -1;

/* Sends a control line (with fd passed, if not -1); the reply into r. */
static int
ask(const char *line, int fd, char *r, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cm[CMSG_SPACE(sizeof(int))];
	char *copy = strdup(line);
	struct iovec iov = { copy, strlen(line) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *ch;
	size_t o = 0, pl = strlen(ctlpath);
	ssize_t k;

	if (wfd == -1) {
		memcpy(sa.sun_path, ctlpath, pl);
		if (ctlpath[0] == '@')
			sa.sun_path[0] = '\0';
		wfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(wfd, (struct sockaddr *)&sa,
			(socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			    pl)) == -1) {
			close(wfd);
			wfd = -1;
			free(copy);
			return -1;
		}
	}
	if (fd >= 0) {
		memset(cm, 0, sizeof(cm));
		mh.msg_control = cm;
		mh.msg_controllen = sizeof(cm);
		ch = CMSG_FIRSTHDR(&mh);
		ch->cmsg_level = SOL_SOCKET;
		ch->cmsg_type = SCM_RIGHTS;
		ch->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(ch), &fd, sizeof(int));
	}
	k = sendmsg(wfd, &mh, MSG_NOSIGNAL);
	free(copy);
	if (k != (ssize_t)strlen(line))
		return -1;
	while (o + 1 < size && (k = read(wfd, r + o, 1)) == 1 && r[o] != '\n')
		o++;
	r[o] = '\0';
	return strncmp(r, "ok", 2) == 0 ? 0 : -1;
}

int
live_subscribe(const struct conn *c, const char *format, const char *names,
    const char *reply)
{
	struct wbuf b = { 0 };
	char r[64];
	int rc;

	wb_printf(&b, "unsubscribe esl-%d\n", c->n);
	if (ask(b.p, -1, r, sizeof(r)) == -1) {
		free(b.p);
		return -1;
	}
	b.len = 0;
	wb_printf(&b, "subscribe esl-%d %s ", c->n, format);
	wb_adds(&b, names);
	wb_adds(&b, " "); /* each name between spaces: send_ev's match */
	/* The reply as command_reply() frames it, its newlines escaped. */
	if (reply != NULL) {
		wb_adds(&b, "\tContent-Type: command/reply\\nReply-Text: ");
		wb_adds(&b, reply);
		wb_adds(&b, "\\n\\n");
	}
	wb_adds(&b, "\n");
	rc = ask(b.p, c->fd, r, sizeof(r));
	free(b.p);
	return rc;
}

void
live_unsubscribe(const struct conn *c)
{
	char line[64], r[64];

	snprintf(line, sizeof(line), "unsubscribe esl-%d\n", c->n);
	ask(line, -1, r, sizeof(r));
}

/* The value of var in originate's {a=b,c=d} block, into out. */
static int
ovar(const char *args, const char *var, char *out, size_t size)
{
	const char *end = strchr(args, '}'), *p = args;
	size_t vl = strlen(var), n;

	if (*args != '{' || end == NULL)
		return 0;
	for (p = args + 1; p < end;
	     p += strcspn(p, ",}") + (p[strcspn(p, ",}")] == ',')) {
		if (strncmp(p, var, vl) == 0 && p[vl] == '=') {
			n = strcspn(p + vl + 1, ",}");
			if (n >= size)
				n = size - 1;
			memcpy(out, p + vl + 1, n);
			out[n] = '\0';
			return 1;
		}
		if (p[strcspn(p, ",}")] == '}')
			break;
	}
	return 0;
}

static void
add_rule(void *arg, const char *text)
{
	struct wbuf *b = arg;

	wb_adds(b, " ");
	wb_adds(b, text);
}

/* The scenario's "call {...}" lines are the world's rules (source 1). */
static void
send_rules(const struct conn *c)
{
	struct wbuf b = { 0 };
	char r[64];

	wb_adds(&b, "rules 1");
	scenario_each(c, "call", add_rule, &b);
	wb_adds(&b, "\n");
	ask(b.p, -1, r, sizeof(r));
	free(b.p);
}

char *
live_originate(const struct conn *c, const char *args)
{
	char dest[64] = "", id[96] = "-", cid[64] = "-", line[512], r[160];
	const char *url = args, *d;
	size_t n;

	ovar(args, "origination_uuid", id, sizeof(id));
	ovar(args, "origination_caller_id_number", cid, sizeof(cid));
	while (*url == '{' || *url == '[' || *url == '<')
		url += strcspn(url, "}]>") + (url[strcspn(url, "}]>")] != '\0');
	n = strcspn(url, " ");
	for (d = url + n; d > url && d[-1] != '/'; d--)
		;
	n = strcspn(d, "@ ");
	if (n == 0 || n >= sizeof(dest))
		return NULL;
	memcpy(dest, d, n);
	dest[n] = '\0';
	send_rules(c);
	snprintf(line, sizeof(line), "originate 1 %s %s %s -\n", dest, id, cid);
	if (ask(line, -1, r, sizeof(r)) == -1)
		return NULL;
	snprintf(pending, sizeof(pending), "%.95s", r + 3);
	return fmt("+OK %s\n", r + 3);
}

void
live_start(void)
{
	char line[128], r[64];

	if (pending[0] == '\0')
		return;
	snprintf(line, sizeof(line), "start %s\n", pending);
	pending[0] = '\0';
	ask(line, -1, r, sizeof(r));
}

char *
live_uuid(const char *cmd, const char *args)
{
	static const struct {
		const char *api, *op;
	} ops[] = { { "uuid_kill", "hangup" }, { "uuid_send_dtmf", "dtmf" },
		{ "uuid_hold", "hold" }, { "uuid_exists", "exists" },
		{ "uuid_bridge", "bridge" } };
	char uuid[96] = "", arg[96] = "", line[256], r[64];
	const char *op = NULL;
	size_t i;

	for (i = 0; i < nitems(ops); i++)
		if (strcmp(cmd, ops[i].api) == 0)
			op = ops[i].op;
	if (op == NULL)
		return NULL;
	if (strcmp(cmd, "uuid_hold") == 0 && strncmp(args, "off ", 4) == 0) {
		op = "unhold";
		args += 4;
	}
	if (sscanf(args, "%95s %95s", uuid, arg) < 1)
		return NULL;
	if (arg[0] == '\0' && strcmp(op, "hangup") == 0)
		snprintf(arg, sizeof(arg), "NORMAL_CLEARING");
	snprintf(line, sizeof(line), "%s %s%s%s\n", op, uuid, arg[0] ? " " : "",
	    arg);
	if (ask(line, -1, r, sizeof(r)) == -1)
		return NULL; /* not a call of the world: the scenario's */
	if (strcmp(op, "bridge") == 0) { /* both legs, each the other's */
		snprintf(line, sizeof(line), "bridge %s %s\n", arg, uuid);
		if (ask(line, -1, r, sizeof(r)) == -1)
			return fmt("-ERR No such channel!\n");
		return fmt("+OK %s\n", uuid);
	}
	if (strcmp(op, "exists") == 0)
		return strcmp(r, "ok true") == 0 ? fmt("true") : NULL;
	return fmt("+OK\n");
}

char *
live_rows(void)
{
	char r[256 * 1024];

	if (ask("show\n", -1, r, sizeof(r)) == -1 || r[3] == '\0')
		return NULL;
	return fmt("%s", r + 3);
}
