/*
 * The call world of the event-driven doubles (world.h): calls, their
 * scripted lives, the subscribers, and the control socket.  One thread
 * runs the clock and the control socket; the doubles' threads (or, for
 * esl_double's processes, the control socket) call in through the API.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dbl.h"
#include "world.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#define RULE_MAX     64
#define CTL_MAX	     128 /* esl_double: one per connection process */
#define CTL_LINE_MAX 65536

struct srule {
	int src; /* 0: the control socket; else the double's source */
	struct wrule r;
};

struct wsub {
	int fd, owned; /* owned: passed over the control socket */
	char tag[64];
	char *arg;
};

struct ctlc {
	int fd, passed; /* passed: a descriptor that came with a line */
	char *buf;
	size_t len;
};

static struct {
	pthread_mutex_t lock;
	const struct wdriver *d;
	struct wcall calls[WCALL_MAX];
	size_t ncalls;
	struct srule rules[RULE_MAX];
	size_t nrules;
	struct wsub subs[WSUB_MAX];
	size_t nsubs;
	long refuse_until;
	unsigned long seq;
	int logfd, lfd, wake[2];
	struct ctlc ctl[CTL_MAX];
	long t0;
} W = { .lock = PTHREAD_MUTEX_INITIALIZER, .logfd = -1, .lfd = -1 };

/* ---- strings ---- */

void
wb_add(struct wbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((b->p = realloc(b->p, b->cap)) == NULL)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
wb_adds(struct wbuf *b, const char *s)
{
	wb_add(b, s, strlen(s));
}

void
wb_printf(struct wbuf *b, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		wb_add(b, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void
wb_json(struct wbuf *b, const char *s)
{
	char esc[8];

	wb_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			wb_add(b, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(
			    esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			wb_adds(b, esc);
		} else
			wb_add(b, s, 1);
	}
	wb_add(b, "\"", 1);
}

long
world_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- causes (Q.850; Asterisk's ast_cause2str, FreeSWITCH's names) ---- */

static const struct {
	int cause;
	const char *txt, *name;
} causes[] = {
	{ 0, "Unknown", "NONE" },
	{ 1, "Unallocated (unassigned) number", "UNALLOCATED_NUMBER" },
	{ 16, "Normal Clearing", "NORMAL_CLEARING" },
	{ 17, "User busy", "USER_BUSY" },
	{ 18, "No user responding", "NO_USER_RESPONSE" },
	{ 19, "User alerting, no answer", "NO_ANSWER" },
	{ 21, "Call Rejected", "CALL_REJECTED" },
	{ 27, "Destination out of order", "DESTINATION_OUT_OF_ORDER" },
	{ 34, "Circuit/channel congestion", "NORMAL_CIRCUIT_CONGESTION" },
	{ 38, "Network out of order", "NETWORK_OUT_OF_ORDER" },
	{ 41, "Temporary failure", "NORMAL_TEMPORARY_FAILURE" },
	{ 127, "Interworking, unspecified", "INTERWORKING" },
};

const char *
world_cause_txt(int cause)
{
	size_t i;

	for (i = 0; i < nitems(causes); i++)
		if (causes[i].cause == cause)
			return causes[i].txt;
	return "Unknown";
}

const char *
world_cause_name(int cause)
{
	size_t i;

	for (i = 0; i < nitems(causes); i++)
		if (causes[i].cause == cause)
			return causes[i].name;
	return "NONE";
}

int
world_cause_parse(const char *s, int def)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return def;
	if (*s >= '0' && *s <= '9')
		return (int)strtol(s, NULL, 10);
	for (i = 0; i < nitems(causes); i++)
		if (strcasecmp(causes[i].name, s) == 0)
			return causes[i].cause;
	return def;
}

/* The cause an outcome has when the rule names none. */
static int
outcome_cause(const char *outcome)
{
	if (strcmp(outcome, "busy") == 0)
		return 17;
	if (strcmp(outcome, "noanswer") == 0)
		return 19;
	if (strcmp(outcome, "fail") == 0)
		return 21;
	if (strcmp(outcome, "congestion") == 0)
		return 34;
	return 16;
}

/* ---- the log ---- */

static void
log_text(const char *kind, const char *name, const char *call, const char *raw,
    size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if (W.logfd == -1 || (fp = open_memstream(&text, &len)) == NULL)
		return;
	fprintf(fp, "{\"t\":%.3f,\"world\":\"%s\",\"%s\":",
	    (double)(world_ms() - W.t0) / 1e3, W.d->who, kind);
	dbl_json_str(fp, name, strlen(name));
	if (call != NULL) {
		fputs(",\"call\":", fp);
		dbl_json_str(fp, call, strlen(call));
	}
	fputs(",\"raw\":", fp);
	dbl_json_str(fp, raw, n);
	fputs("}\n", fp);
	fclose(fp);
	(void)!write(W.logfd, text, len); /* one write: lines never mix */
	free(text);
}

/* ---- subscribers and emitting ---- */

static void
sub_del(size_t i)
{
	if (W.subs[i].owned)
		close(W.subs[i].fd);
	free(W.subs[i].arg);
	W.subs[i] = W.subs[--W.nsubs];
}

struct put_ctx {
	const struct wcall *c;
};

/* One rendered wire event: logged, then sent to each subscriber. */
static void
put(void *arg, const char *name, const char *payload, size_t n)
{
	const struct wcall *c = ((struct put_ctx *)arg)->c;
	size_t i;

	log_text("event", name, c != NULL ? c->id : NULL, payload, n);
	for (i = 0; i < W.nsubs;)
		if (W.d->send(
			W.subs[i].fd, W.subs[i].arg, name, c, payload, n) == -1)
			sub_del(i);
		else
			i++;
}

/* Emits one normalised event (under the lock). */
static void
emit(enum wev type, const struct wcall *c)
{
	struct wevent ev = { .type = type, .c = c };
	struct put_ctx pc = { .c = c };

	W.d->render(&ev, put, &pc);
}

void
world_inject(const struct wevent *ev)
{
	struct put_ctx pc = { 0 };

	W.d->render(ev, put, &pc);
}

/* Adds a subscriber (under the lock).  Returns 0, or -1 when full. */
static int
sub_add(int fd, int owned, const char *tag, const char *arg)
{
	struct wsub *s;

	if (W.nsubs == WSUB_MAX)
		return -1;
	s = &W.subs[W.nsubs++];
	s->fd = fd;
	s->owned = owned;
	snprintf(s->tag, sizeof(s->tag), "%s", tag);
	s->arg = strdup(arg != NULL ? arg : "");
	log_text("subscribe", tag, NULL, s->arg, strlen(s->arg));
	return 0;
}

int
world_sub_locked(int fd, const char *tag, const char *arg)
{
	return sub_add(fd, 0, tag, arg);
}

int
world_sub(int fd, const char *tag, const char *arg)
{
	int rc;

	world_lock();
	rc = sub_add(fd, 0, tag, arg);
	world_unlock();
	return rc;
}

static void
unsub_locked(const char *tag)
{
	size_t i;

	for (i = 0; i < W.nsubs;)
		if (strcmp(W.subs[i].tag, tag) == 0)
			sub_del(i);
		else
			i++;
}

void
world_unsub(const char *tag)
{
	world_lock();
	unsub_locked(tag);
	world_unlock();
}

/* "drop": every event connection closed at once, the backend died. */
static void
drop_all(void)
{
	while (W.nsubs > 0) {
		shutdown(W.subs[0].fd, SHUT_RDWR);
		sub_del(0);
	}
}

int
world_refusing(void)
{
	int r;

	world_lock();
	r = W.refuse_until > world_ms();
	world_unlock();
	return r;
}

/* ---- rules ---- */

/* The flat JSON member key of text: a string into out, or a number. */
static int
jget(const char *text, const char *key, char *out, size_t size)
{
	char pat[80];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	if ((p = strstr(text, pat)) == NULL)
		return 0;
	p += strlen(pat);
	p += strspn(p, " \t");
	if (*p++ != ':')
		return 0;
	p += strspn(p, " \t");
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	} else
		n = strcspn(p, ",} \t\r\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

static long
jlong(const char *text, const char *key, long def)
{
	char v[64];

	return jget(text, key, v, sizeof(v)) ? strtol(v, NULL, 10) : def;
}

/* A rule from its JSON text.  Returns 0, or -1 without a valid dest. */
static int
rule_parse(const char *text, struct wrule *r)
{
	static const char *const outcomes[] = { "answer", "busy", "noanswer",
		"fail", "congestion" };
	char v[16];
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!jget(text, "dest", r->dest, sizeof(r->dest)) || r->dest[0] == 0)
		return -1;
	r->ring_ms = jlong(text, "ring_ms", 0);
	r->answer_ms = jlong(text, "answer_ms", 0);
	r->hangup_ms = jlong(text, "hangup_after_ms", 0);
	r->cause = (int)jlong(text, "cause", 0);
	r->media = jget(text, "media", v, sizeof(v)) && strcmp(v, "true") == 0;
	snprintf(r->outcome, sizeof(r->outcome), "answer");
	if (jget(text, "outcome", v, sizeof(v))) {
		for (i = 0; i < nitems(outcomes); i++)
			if (strcmp(v, outcomes[i]) == 0)
				break;
		if (i == nitems(outcomes))
			return -1;
		snprintf(r->outcome, sizeof(r->outcome), "%s", v);
	}
	return 0;
}

void
world_rules(int src, const char *const *json, size_t n)
{
	struct srule nr;
	size_t i;

	world_lock();
	for (i = 0; i < W.nrules;)
		if (W.rules[i].src == src)
			W.rules[i] = W.rules[--W.nrules];
		else
			i++;
	for (i = 0; i < n && W.nrules < RULE_MAX; i++)
		if (rule_parse(json[i], &nr.r) == 0) {
			nr.src = src;
			W.rules[W.nrules++] = nr;
		}
	world_unlock();
}

/* The rule for dest: the control socket's first, exact before "*". */
static const struct wrule *
rule_for(const char *dest)
{
	const struct wrule *any = NULL;
	int src;
	size_t i;

	for (src = 0; src < 8; src++)
		for (i = 0; i < W.nrules; i++) {
			if (W.rules[i].src != src)
				continue;
			if (strcmp(W.rules[i].r.dest, dest) == 0)
				return &W.rules[i].r;
			if (any == NULL && strcmp(W.rules[i].r.dest, "*") == 0)
				any = &W.rules[i].r;
		}
	return any;
}

int
world_active(void)
{
	int r;

	world_lock();
	r = W.nrules > 0 || W.ncalls > 0;
	world_unlock();
	return r;
}

int
world_has_rule(const char *dest)
{
	int r;

	world_lock();
	r = rule_for(dest) != NULL;
	world_unlock();
	return r;
}

/* ---- calls ---- */

void
world_lock(void)
{
	pthread_mutex_lock(&W.lock);
}

void
world_unlock(void)
{
	pthread_mutex_unlock(&W.lock);
}

struct wcall *
world_calls(size_t *n)
{
	*n = W.ncalls;
	return W.calls;
}

struct wcall *
world_find(const char *id)
{
	size_t i;

	for (i = 0; i < W.ncalls; i++)
		if (W.calls[i].state != WS_GONE &&
		    strcmp(W.calls[i].id, id) == 0)
			return &W.calls[i];
	return NULL;
}

int
world_gone(const char *id)
{
	size_t i;
	int gone = 0;

	world_lock();
	for (i = 0; i < W.ncalls; i++)
		if (strcmp(W.calls[i].id, id) == 0)
			gone = W.calls[i].state == WS_GONE;
	world_unlock();
	return gone;
}

static void
wake(void)
{
	(void)!write(W.wake[1], "", 1);
}

/* A new call (under the lock), or NULL when full or id is taken. */
static struct wcall *
call_new(const char *dest, const char *id, int incoming)
{
	static const struct wrule def = { .dest = "*", .outcome = "answer" };
	const struct wrule *r = rule_for(dest);
	struct wcall *c;
	size_t i, j;

	if (id != NULL && world_find(id) != NULL)
		return NULL;
	if (W.ncalls == WCALL_MAX) { /* make room: forget the gone */
		for (i = j = 0; i < W.ncalls; i++)
			if (W.calls[i].state != WS_GONE)
				W.calls[j++] = W.calls[i];
		W.ncalls = j;
	}
	if (W.ncalls == WCALL_MAX)
		return NULL;
	c = &W.calls[W.ncalls++];
	memset(c, 0, sizeof(*c));
	c->seq = ++W.seq;
	if (id != NULL && *id != '\0')
		snprintf(c->id, sizeof(c->id), "%s", id);
	else if (strcmp(W.d->who, "esl") == 0) /* FreeSWITCH: a UUID */
		snprintf(c->id, sizeof(c->id), "%08lx-0000-4000-8000-%012lx",
		    (long)time(NULL), c->seq);
	else /* Asterisk: a Uniqueid, epoch.sequence */
		snprintf(c->id, sizeof(c->id), "%s-%ld.%lu", W.d->who,
		    (long)time(NULL), c->seq);
	snprintf(c->dest, sizeof(c->dest), "%s", dest);
	snprintf(c->ctx, sizeof(c->ctx), "default");
	c->incoming = incoming;
	c->rule = r != NULL ? *r : def;
	c->due = -1;
	c->created = time(NULL);
	c->created_ms = world_ms();
	W.d->name(c, c->name, sizeof(c->name));
	return c;
}

int
world_originate(const char *dest, const char *id, const char *cid_num,
    const char *cid_name, const char *app, const char *aid, char *idout,
    size_t idsize)
{
	struct wcall *c;

	world_lock();
	if ((c = call_new(dest, id, 0)) == NULL) {
		world_unlock();
		return -1;
	}
	snprintf(c->cid_num, sizeof(c->cid_num), "%s", cid_num ? cid_num : "");
	snprintf(
	    c->cid_name, sizeof(c->cid_name), "%s", cid_name ? cid_name : "");
	snprintf(c->app, sizeof(c->app), "%s", app ? app : "");
	snprintf(c->aid, sizeof(c->aid), "%s", aid ? aid : "");
	snprintf(idout, idsize, "%s", c->id);
	world_unlock();
	return 0;
}

/* Starts a created call's life (under the lock). */
static void
start(struct wcall *c)
{
	if (c->started)
		return;
	c->started = 1;
	c->step = 1;
	c->due = world_ms();
	wake();
}

void
world_start(const char *id)
{
	struct wcall *c;

	world_lock();
	if ((c = world_find(id)) != NULL)
		start(c);
	world_unlock();
}

/* The end of a call: hangup request (if asked), hangup, gone. */
static void
finish(struct wcall *c, int cause, int requested)
{
	c->cause = cause;
	if (requested)
		emit(WE_HANGUP_REQ, c);
	emit(WE_HANGUP, c);
	c->state = WS_GONE;
	c->due = -1;
}

/* The next step of a call's life (under the lock). */
static void
step(struct wcall *c)
{
	long now = world_ms();

	switch (c->step) {
	case 1: /* created */
		c->state = c->incoming ? WS_RING : WS_DOWN;
		emit(WE_CREATE, c);
		c->step = 2;
		c->due = now + c->rule.ring_ms;
		break;
	case 2: /* ringing */
		c->state = WS_RING;
		emit(WE_RING, c);
		if (c->rule.media)
			emit(WE_MEDIA, c);
		c->step = 3;
		c->due = now + c->rule.answer_ms;
		break;
	case 3: /* the outcome */
		if (strcmp(c->rule.outcome, "answer") == 0) {
			c->state = WS_UP;
			emit(WE_ANSWER, c);
			c->step = 4;
			c->due = c->rule.hangup_ms > 0 ? now + c->rule.hangup_ms
						       : -1;
			break;
		}
		c->cause = c->rule.cause ? c->rule.cause
					 : outcome_cause(c->rule.outcome);
		emit(WE_FAIL, c);
		finish(c, c->cause, 0);
		break;
	case 4: /* the far end hangs up */
		finish(c, c->rule.cause ? c->rule.cause : 16, 1);
		break;
	}
}

/* Runs every step that is due (under the lock); ms to the next, or -1. */
static long
run_due(void)
{
	long now, next = -1;
	size_t i;
	int again = 1;

	while (again) {
		again = 0;
		now = world_ms();
		for (i = 0; i < W.ncalls; i++) {
			if (W.calls[i].due < 0)
				continue;
			if (W.calls[i].due <= now) {
				step(&W.calls[i]);
				again = 1;
			}
		}
	}
	now = world_ms();
	for (i = 0; i < W.ncalls; i++)
		if (W.calls[i].due >= 0 &&
		    (next < 0 || W.calls[i].due - now < next))
			next = W.calls[i].due - now;
	return next < 0 ? -1 : next;
}

int
world_hangup(const char *id, int cause)
{
	struct wcall *c;

	world_lock();
	if ((c = world_find(id)) == NULL) {
		world_unlock();
		return -1;
	}
	if (!c->started) { /* hung up before its reply was out */
		c->started = 1;
		c->state = WS_DOWN;
		emit(WE_CREATE, c);
	}
	finish(c, cause, 1);
	world_unlock();
	return 0;
}

int
world_dtmf(const char *id, const char *digits)
{
	struct wcall *c;

	world_lock();
	if ((c = world_find(id)) == NULL) {
		world_unlock();
		return -1;
	}
	for (; *digits != '\0'; digits++)
		if (strchr("0123456789*#ABCDabcd", *digits) != NULL) {
			c->digit = *digits;
			emit(WE_DTMF, c);
		}
	world_unlock();
	return 0;
}

int
world_hold(const char *id, int on)
{
	struct wcall *c;

	world_lock();
	if ((c = world_find(id)) == NULL) {
		world_unlock();
		return -1;
	}
	c->held = on;
	emit(on ? WE_HOLD : WE_UNHOLD, c);
	world_unlock();
	return 0;
}

/* Bridges id into bridge (NULL or "": out of its bridge). */
static int
bridge(const char *id, const char *b)
{
	struct wcall *c = world_find(id);

	if (c == NULL)
		return -1;
	if (c->bridge[0] != '\0')
		emit(WE_UNBRIDGE, c);
	snprintf(c->bridge, sizeof(c->bridge), "%s", b ? b : "");
	if (c->bridge[0] != '\0')
		emit(WE_BRIDGE, c);
	return 0;
}

int
world_play(const char *id, const char *playback, const char *media)
{
	struct wevent ev = { .type = WE_PLAY };
	struct put_ctx pc;
	char raw[512];
	int n;

	world_lock();
	if ((ev.c = world_find(id)) == NULL) {
		world_unlock();
		return -1;
	}
	n = snprintf(raw, sizeof(raw), "%s\t%s", playback, media);
	ev.raw = raw;
	ev.rawlen = n > 0 && (size_t)n < sizeof(raw) ? (size_t)n : 0;
	pc.c = ev.c;
	W.d->render(&ev, put, &pc);
	world_unlock();
	return 0;
}

int
world_bridge(const char *id, const char *b)
{
	int rc;

	world_lock();
	rc = bridge(id, b);
	world_unlock();
	return rc;
}

/* ---- the control socket ---- */

static const char *const statenames[] = { "Down", "Ringing", "Up", "Gone" };

static void
state_json(struct wbuf *b)
{
	size_t i;
	const struct wcall *c;

	wb_adds(b, "{\"calls\":[");
	for (i = 0; i < W.ncalls; i++) {
		c = &W.calls[i];
		wb_adds(b, i ? ",{\"id\":" : "{\"id\":");
		wb_json(b, c->id);
		wb_adds(b, ",\"name\":");
		wb_json(b, c->name);
		wb_adds(b, ",\"dest\":");
		wb_json(b, c->dest);
		wb_printf(b,
		    ",\"state\":\"%s\",\"incoming\":%s,\"held\":%s,"
		    "\"cause\":%d,\"outcome\":\"%s\",\"bridge\":",
		    statenames[c->state], c->incoming ? "true" : "false",
		    c->held ? "true" : "false", c->cause, c->rule.outcome);
		wb_json(b, c->bridge);
		wb_adds(b, "}");
	}
	wb_printf(b, "],\"subscribers\":%zu,\"refusing\":%s}", W.nsubs,
	    W.refuse_until > world_ms() ? "true" : "false");
}

/* inject's text: \r \n \t \\ undone. */
static size_t
unescape(char *s)
{
	size_t i, o = 0;

	for (i = 0; s[i] != '\0'; i++, o++) {
		if (s[i] != '\\' || s[i + 1] == '\0') {
			s[o] = s[i];
			continue;
		}
		i++;
		s[o] = s[i] == 'r' ? '\r'
		    : s[i] == 'n'  ? '\n'
		    : s[i] == 't'  ? '\t'
				   : s[i];
	}
	s[o] = '\0';
	return o;
}

/* "call DEST [incoming] [id=ID] [cid=NUM]". */
static void
ctl_call(char *args, struct wbuf *r)
{
	char *dest = strtok(args, " "), *w, *id = NULL, *cid = NULL;
	char *app = NULL;
	int incoming = 0;
	struct wcall *c;

	while ((w = strtok(NULL, " ")) != NULL)
		if (strcmp(w, "incoming") == 0)
			incoming = 1;
		else if (strncmp(w, "id=", 3) == 0)
			id = w + 3;
		else if (strncmp(w, "cid=", 4) == 0)
			cid = w + 4;
		else if (strncmp(w, "app=", 4) == 0)
			app = w + 4;
	if (dest == NULL || (c = call_new(dest, id, incoming)) == NULL) {
		wb_adds(r,
		    "err usage: call DEST [incoming] [id=ID] [cid=NUM] [app=APP]");
		return;
	}
	snprintf(c->cid_num, sizeof(c->cid_num), "%s", cid ? cid : "5550100");
	snprintf(c->cid_name, sizeof(c->cid_name), "Double");
	snprintf(c->app, sizeof(c->app), "%s", app ? app : "");
	start(c);
	wb_printf(r, "ok %s", c->id);
}

/*
 * "originate NEED DEST ID CIDNUM AID" (esl_double's processes): a call
 * created but not started; with NEED 1 only when a rule names dest.
 */
static void
ctl_originate(char *args, struct wbuf *r)
{
	char need[4], dest[64], id[96], cid[64], aid[64];
	struct wcall *c;

	if (sscanf(args, "%3s %63s %95s %63s %63s", need, dest, id, cid, aid) !=
	    5) {
		wb_adds(r, "err usage");
		return;
	}
	if (strcmp(need, "1") == 0 && rule_for(dest) == NULL) {
		wb_adds(r, "err norule");
		return;
	}
	if ((c = call_new(dest, strcmp(id, "-") ? id : NULL, 0)) == NULL) {
		wb_adds(r, "err exists");
		return;
	}
	snprintf(c->cid_num, sizeof(c->cid_num), "%s",
	    strcmp(cid, "-") ? cid : "0000000000");
	snprintf(c->aid, sizeof(c->aid), "%s", strcmp(aid, "-") ? aid : "");
	wb_printf(r, "ok %s", c->id);
}

/* A call operation "OP ID [ARG]" (the lock held, released around). */
static int
ctl_op(const char *op, char *args, struct wbuf *r)
{
	char *id = strtok(args, " "), *arg = strtok(NULL, " ");
	int rc;

	if (id == NULL)
		return -1;
	world_unlock();
	if (strcmp(op, "hangup") == 0)
		rc = world_hangup(id, world_cause_parse(arg, 16));
	else if (strcmp(op, "dtmf") == 0)
		rc = world_dtmf(id, arg ? arg : "");
	else if (strcmp(op, "hold") == 0 || strcmp(op, "unhold") == 0)
		rc = world_hold(id, strcmp(op, "hold") == 0);
	else {
		world_lock();
		rc = bridge(id, arg);
		world_unlock();
	}
	world_lock();
	wb_adds(r, rc == 0 ? "ok" : "err no such channel");
	return 0;
}

/*
 * "rules SRC {...} {...}": replaces the rules of a double's source (its
 * scenario, as esl_double's connections read it) by the flat objects.
 */
static void
rules_line(char *args)
{
	const char *texts[RULE_MAX];
	char *p = args, *end, *stop = args + strlen(args);
	size_t n = 0;
	int src = (int)strtol(args, &p, 10);

	while (n < RULE_MAX && p < stop && (p = strchr(p, '{')) != NULL &&
	    (end = strchr(p, '}')) != NULL) {
		texts[n++] = p;
		p = end + 1;
		if (p < stop)
			*p++ = '\0';
	}
	if (src > 0 && src < 8)
		world_rules(src, texts, n);
}

/* One control line into r (under the lock). */
static void
ctl_line(struct ctlc *k, char *line, struct wbuf *r)
{
	char *sp = strchr(line, ' '), *args = sp ? sp + 1 : line + strlen(line);
	char *hello;
	const char *one[1] = { NULL };
	struct wrule nr;
	struct wevent ev = { .type = WE_INJECT };
	struct put_ctx pc = { 0 };
	size_t n;

	if (sp != NULL)
		*sp = '\0';
	if (strcmp(line, "rule") == 0) {
		if (rule_parse(args, &nr) == -1 || W.nrules == RULE_MAX) {
			wb_adds(r, "err bad rule");
			return;
		}
		memmove(
		    &W.rules[1], &W.rules[0], W.nrules * sizeof(W.rules[0]));
		W.rules[0] = (struct srule){ .src = 0, .r = nr };
		W.nrules++;
		wb_adds(r, "ok");
	} else if (strcmp(line, "rules") == 0) {
		world_unlock();
		rules_line(args);
		world_lock();
		wb_adds(r, "ok");
	} else if (strcmp(line, "rules-clear") == 0) {
		world_unlock();
		world_rules(0, one, 0);
		world_lock();
		wb_adds(r, "ok");
	} else if (strcmp(line, "call") == 0)
		ctl_call(args, r);
	else if (strcmp(line, "originate") == 0)
		ctl_originate(args, r);
	else if (strcmp(line, "start") == 0) {
		if (world_find(args) != NULL)
			start(world_find(args));
		wb_adds(r, "ok");
	} else if (strcmp(line, "hangup") == 0 || strcmp(line, "dtmf") == 0 ||
	    strcmp(line, "hold") == 0 || strcmp(line, "unhold") == 0 ||
	    strcmp(line, "bridge") == 0)
		ctl_op(line, args, r);
	else if (strcmp(line, "inject") == 0) {
		n = unescape(args);
		ev.raw = args;
		ev.rawlen = n;
		W.d->render(&ev, put, &pc);
		wb_adds(r, "ok");
	} else if (strcmp(line, "drop") == 0) {
		drop_all();
		wb_adds(r, "ok");
	} else if (strcmp(line, "refuse") == 0) {
		W.refuse_until = world_ms() + strtol(args, NULL, 10);
		wb_adds(r, "ok");
	} else if (strcmp(line, "state") == 0)
		state_json(r);
	else if (strcmp(line, "subscribe") == 0 && k->passed >= 0) {
		/*
		 * "subscribe TAG ARG[\tHELLO]" with the descriptor passed
		 * along: HELLO (unescaped, the command's reply) is written
		 * before the first event can be.
		 */
		if ((hello = strchr(args, '\t')) != NULL) {
			*hello++ = '\0';
			n = unescape(hello);
			dbl_send_all(k->passed, hello, n);
		}
		sp = strchr(args, ' ');
		if (sp != NULL)
			*sp++ = '\0';
		if (sub_add(k->passed, 1, args, sp ? sp : "") == 0)
			k->passed = -1;
		wb_adds(r, "ok");
	} else if (strcmp(line, "unsubscribe") == 0) {
		unsub_locked(args);
		wb_adds(r, "ok");
	} else {
		if (sp != NULL)
			*sp = ' ';
		if (W.d->command == NULL || W.d->command(line, r) == -1)
			wb_printf(r, "err unknown command '%.64s'", line);
	}
}

static void
ctl_close(struct ctlc *k)
{
	close(k->fd);
	if (k->passed >= 0)
		close(k->passed);
	free(k->buf);
	k->fd = -1;
	k->buf = NULL;
	k->len = 0;
}

/* Reads from a control connection and answers its whole lines. */
static void
ctl_read(struct ctlc *k)
{
	char data[8192], cm[CMSG_SPACE(sizeof(int))], *nl;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = { .msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cm,
		.msg_controllen = sizeof(cm) };
	struct cmsghdr *ch;
	struct wbuf r = { 0 };
	ssize_t n = recvmsg(k->fd, &mh, MSG_CMSG_CLOEXEC);
	size_t len;

	if (n <= 0 || k->len + (size_t)n > CTL_LINE_MAX) {
		ctl_close(k);
		return;
	}
	for (ch = CMSG_FIRSTHDR(&mh); ch != NULL; ch = CMSG_NXTHDR(&mh, ch))
		if (ch->cmsg_level == SOL_SOCKET &&
		    ch->cmsg_type == SCM_RIGHTS) {
			if (k->passed >= 0)
				close(k->passed);
			memcpy(&k->passed, CMSG_DATA(ch), sizeof(int));
		}
	k->buf = realloc(k->buf, k->len + (size_t)n + 1);
	memcpy(k->buf + k->len, data, (size_t)n);
	k->len += (size_t)n;
	k->buf[k->len] = '\0';
	while ((nl = memchr(k->buf, '\n', k->len)) != NULL) {
		*nl = '\0';
		len = (size_t)(nl - k->buf) + 1;
		if (nl > k->buf && nl[-1] == '\r')
			nl[-1] = '\0';
		world_lock();
		log_text("control", k->buf, NULL, "", 0);
		r.len = 0;
		ctl_line(k, k->buf, &r);
		world_unlock();
		wb_adds(&r, "\n");
		dbl_send_all(k->fd, r.p, r.len);
		memmove(k->buf, k->buf + len, k->len - len);
		k->len -= len;
	}
	free(r.p);
}

/* Subscribers passed over the socket whose peer went away (esl). */
static void
reap(void)
{
	struct pollfd p;
	size_t i;

	for (i = 0; i < W.nsubs;) {
		p = (struct pollfd){ .fd = W.subs[i].fd, .events = POLLRDHUP };
		if (W.subs[i].owned && poll(&p, 1, 0) == 1 && p.revents != 0)
			sub_del(i);
		else
			i++;
	}
}

static void *
world_thread(void *arg)
{
	struct pollfd p[CTL_MAX + 2];
	size_t i, np;
	long next;
	char junk[64];
	int fd, timeout;

	(void)arg;
	for (;;) {
		world_lock();
		next = run_due();
		reap();
		world_unlock();
		timeout = next < 0 || next > 200 ? 200 : (int)next;
		p[0] = (struct pollfd){ .fd = W.wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = W.lfd, .events = POLLIN };
		for (i = 0, np = 2; i < CTL_MAX; i++)
			p[np++] = (struct pollfd){ .fd = W.ctl[i].fd,
				.events = POLLIN };
		if (poll(p, np, timeout) <= 0)
			continue;
		if (p[0].revents)
			while (read(W.wake[0], junk, sizeof(junk)) > 0)
				;
		if (W.lfd >= 0 && (p[1].revents & POLLIN) &&
		    (fd = accept4(W.lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			for (i = 0; i < CTL_MAX && W.ctl[i].fd >= 0; i++)
				;
			if (i == CTL_MAX)
				close(fd);
			else
				W.ctl[i] =
				    (struct ctlc){ .fd = fd, .passed = -1 };
		}
		for (i = 0; i < CTL_MAX; i++)
			if (W.ctl[i].fd >= 0 && p[i + 2].revents)
				ctl_read(&W.ctl[i]);
	}
	return NULL;
}

static int
ctl_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sl;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(
		    stderr, "world: control socket path too long: %s\n", path);
		exit(2);
	}
	memcpy(sa.sun_path, path, strlen(path));
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* the abstract namespace */
	else
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sl) == -1 ||
	    listen(fd, 16) == -1) {
		fprintf(stderr, "world: cannot listen on '%s': %s\n", path,
		    strerror(errno));
		exit(2);
	}
	return fd;
}

void
world_init(const struct wdriver *d, const char *logpath, const char *ctlpath)
{
	size_t i;

	W.d = d;
	W.t0 = world_ms();
	for (i = 0; i < CTL_MAX; i++)
		W.ctl[i].fd = -1;
	if (logpath != NULL)
		W.logfd = open(
		    logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (ctlpath != NULL)
		W.lfd = ctl_listen(ctlpath);
	if (pipe2(W.wake, O_NONBLOCK | O_CLOEXEC) == -1 ||
	    dbl_spawn(world_thread, NULL) != 0) {
		fprintf(stderr, "world: cannot start its thread\n");
		exit(2);
	}
}
