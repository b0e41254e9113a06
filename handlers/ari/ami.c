/*
 * The ARI channels operations over AMI, for an Asterisk without ARI
 * (older Issabel and FreePBX); docs/ari.md, "AMI backend".
 *
 * What AMI can do is translated: list and get from CoreShowChannels,
 * originate as an Async dialplan Originate, hangup, continueInDialplan
 * (Redirect), sendDTMF (PlayDTMF per digit), mute and unmute
 * (MuteAudio), getChannelVar and setChannelVar (Getvar, Setvar) and
 * record (MixMonitor).  The rest, Stasis' own operations and what no
 * stock AMI action does, is 501 and sends nothing.
 *
 * A client's channelId is the channel's Uniqueid.  Actions are sent the
 * channel's name as CoreShowChannels gives it, never a string of the
 * client's: a pattern ("/.*"), which Hangup would read as a regular
 * expression, cannot reach AMI that way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ami.h"
#include "ari_ami.h"
#include "ari_dialect.h"
#include "arena.h"
#include "asterisk.h"
#include "buf.h"
#include "conf.h"
#include "json.h"
#include "log.h"
#include "reply.h"
#include "str.h"

#define AMI_DOWN	"Asterisk Manager Interface unavailable"
#define SHOW_DONE	"CoreShowChannelsComplete"
#define CAUSE_NORMAL	16  /* ARI's hangup cause by default */
#define DTMF_DEFAULT_MS 100 /* between and duration when 0 */
#define DTMF_PAUSE_MS	500 /* 'w'; 'W' is twice that */

struct ami_op {
	const char *name;
	enum err (*run)(struct req *, struct reply *);
	const char *fail; /* the 500's text when AMI refuses the action */
};

static const struct ami_op *find_op(const char *name);

/* ---- replies ---- */

/* ARI's 404 for an unknown channel (getChannelVar words it its way). */
static enum err
not_found(struct req *r)
{
	if (strcmp(r->cmd->name, "getChannelVar") == 0)
		return ari_fail(r, E_NOTFOUND, 404, "Channel Not Found",
		    "Provided channel was not found");
	return ari_fail(r, E_NOTFOUND, 404, NULL, "Channel not found");
}

enum err
ari_ami_unsupported(struct req *r, const char *what)
{
	return ari_fail(r, E_NOTSUP, 501, NULL,
	    "%s is not supported by the AMI backend", what);
}

/* ---- actions ---- */

/*
 * AMI was not asked or did not answer in time (down, stalled, garbage):
 * 503, the detail in the log.  A header value the driver refused (CR,
 * LF, NUL, too long) is the client's 400.  No answer in time may follow
 * an action Asterisk ran: unsure.
 */
static enum err
unreachable(struct req *r, enum err e)
{
	char why[LIM_ERRMSG];

	r->unsure = e == E_TIMEOUT;
	(void)str_copy(why, r->errmsg, sizeof(why));
	log_warnx("ari over ami: %s", why);
	if (e == E_BADREQ)
		return ari_fail(r, E_BADREQ, 400, NULL, "%s", why);
	return ari_fail(r, E_BACKEND, 503, NULL, AMI_DOWN);
}

/* Returns 1 if m's Message holds needle (ASCII case-insensitive). */
static int
says(const struct ami_msg *m, const char *needle)
{
	size_t n = 0, k = strlen(needle), i;
	const char *s = ami_get(m, "Message", &n);

	for (i = 0; s != NULL && i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/*
 * AMI answered Response: Error (m): "No such channel" is ARI's 404, an
 * unknown action 501, "Invalid priority" continue's and originate's
 * label or priority error, anything else the operation's 500.
 */
static enum err
refused(struct req *r, const char *action, const struct ami_msg *m)
{
	const struct ami_op *op;
	size_t n = 0;
	const char *msg = ami_get(m, "Message", &n);

	log_warnx("ari over ami: %s refused: %.*s", action,
	    msg != NULL ? (int)n : 0, msg != NULL ? msg : "");
	if (says(m, "No such channel"))
		return not_found(r);
	if (says(m, "Invalid/unknown command"))
		return ari_fail(r, E_NOTSUP, 501, NULL,
		    "%s is not supported by this Asterisk (no AMI action %s)",
		    r->cmd->name, action);
	if (says(m, "Invalid priority"))
		return ari_arg(r, "label") != NULL
		    ? ari_fail(r, E_NOTFOUND, 404, NULL,
			  "Requested label can not be found")
		    : ari_fail(r, E_BADREQ, 400, NULL,
			  "Requested priority is illegal");
	op = find_op(r->cmd->name);
	return ari_fail(r, E_INTERNAL, 500, NULL, "%s",
	    op != NULL ? op->fail : "Internal Server Error");
}

enum err
ari_ami_action(
    struct req *r, const struct ami_action *act, struct ami_reply *rep)
{
	enum err e;

	if ((e = ast_ami(r, act, rep)) != E_OK)
		return unreachable(r, e);
	if (rep->n == 0)
		return ari_fail(r, E_BACKEND, 503, NULL, AMI_DOWN);
	if (!ami_is(&rep->msg[0], "Response", "Success"))
		return refused(r, act->action, &rep->msg[0]);
	return E_OK;
}

enum err
ari_ami_simple(
    struct req *r, const char *name, const struct ami_kv *kv, size_t nkv)
{
	struct ami_reply rep;
	const struct ami_action act = { .action = name, .kv = kv, .nkv = nkv };

	return ari_ami_action(r, &act, &rep);
}

/* ---- channels ---- */

enum err
ari_ami_channels(struct req *r, struct ami_reply *rep)
{
	const struct ami_action act = { .action = "CoreShowChannels",
		.complete = SHOW_DONE };

	return ari_ami_action(r, &act, rep);
}

static int
is_channel(const struct ami_msg *m)
{
	return ami_is(m, "Event", "CoreShowChannel");
}

const struct ami_msg *
ari_ami_find(const struct ami_reply *rep, const char *id, size_t n)
{
	const char *v;
	size_t i, vl;

	for (i = 1; i < rep->n; i++) {
		if (!is_channel(&rep->msg[i]))
			continue;
		v = ami_get(&rep->msg[i], "Uniqueid", &vl);
		if (v != NULL && vl == n && memcmp(v, id, n) == 0)
			return &rep->msg[i];
	}
	return NULL;
}

/*
 * Returns 1 if AMI takes s as one channel's name: not empty, not a
 * "/regex/" (Hangup), no CR, LF or NUL.
 */
static int
plain_name(struct ari_str s)
{
	return s.n > 0 && s.s[0] != '/' && memchr(s.s, '\r', s.n) == NULL &&
	    memchr(s.s, '\n', s.n) == NULL && memchr(s.s, '\0', s.n) == NULL;
}

/*
 * The channel the request names (channelId: its Uniqueid), from
 * CoreShowChannels.  Returns E_OK with *c, ARI's 404 if there is none,
 * or the lookup's error.
 */
static enum err
target(struct req *r, struct ami_reply *rep, struct ari_chan *c)
{
	const struct arg *id = ari_arg(r, "channelId");
	const struct ami_msg *m;
	enum err e;

	if (id == NULL)
		return not_found(r);
	if ((e = ari_ami_channels(r, rep)) != E_OK)
		return e;
	if ((m = ari_ami_find(rep, id->s, id->len)) == NULL)
		return not_found(r);
	ari_chan_from_ami(c, m, time(NULL));
	if (!plain_name(c->name)) {
		log_warnx("ari over ami: channel '%s' has a name AMI would "
			  "misread",
		    id->s);
		return not_found(r);
	}
	return E_OK;
}

static enum err
op_list(struct req *r, struct reply *rp)
{
	struct ami_reply rep;
	struct ari_chan c;
	struct jw *w;
	time_t now = time(NULL);
	size_t i;
	enum err e;

	if ((e = ari_ami_channels(r, &rep)) != E_OK)
		return e;
	w = ari_reply_json(rp, 200);
	jw_arr_open(w);
	for (i = 1; i < rep.n; i++) {
		if (!is_channel(&rep.msg[i]))
			continue;
		ari_chan_from_ami(&c, &rep.msg[i], now);
		ari_chan_json(w, &c);
	}
	jw_arr_close(w);
	return E_OK;
}

static enum err
op_get(struct req *r, struct reply *rp)
{
	struct ami_reply rep;
	struct ari_chan c;
	enum err e;

	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	ari_chan_json(ari_reply_json(rp, 200), &c);
	return E_OK;
}

/* hangup: Hangup with the reason's Q.850 cause (16 by default). */
static enum err
op_hangup(struct req *r, struct reply *rp)
{
	const struct arg *reason = ari_arg(r, "reason");
	const struct arg *code = ari_arg(r, "reason_code");
	struct ami_reply rep;
	struct ari_chan c;
	struct ami_kv kv[2];
	char cause[16];
	size_t n = 0;
	enum err e;

	(void)snprintf(cause, sizeof(cause), "%d",
	    reason != NULL ? ari_cause(reason->s) : CAUSE_NORMAL);
	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	ari_ami_add_str(kv, &n, "Channel", c.name);
	if (code != NULL)
		ari_ami_add_arg(kv, &n, "Cause", code);
	else
		ari_ami_add(kv, &n, "Cause", cause, strlen(cause));
	if ((e = ari_ami_simple(r, "Hangup", kv, n)) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/*
 * continueInDialplan: Redirect, with ARI's defaults.  No context: the
 * channel's context, and its extension unless one is given; a context:
 * extension "s" unless given.  The priority is the label, else the one
 * given, else the channel's next with neither context nor extension,
 * else 1.
 */
static enum err
op_continue(struct req *r, struct reply *rp)
{
	const struct arg *ctx = ari_arg(r, "context");
	const struct arg *ext = ari_arg(r, "extension");
	const struct arg *pri = ari_arg(r, "priority");
	const struct arg *lbl = ari_arg(r, "label");
	struct ami_reply rep;
	struct ari_chan c;
	struct ami_kv kv[4];
	char num[24];
	long long p;
	size_t n = 0;
	enum err e;

	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	p = pri != NULL && pri->i != 0	 ? pri->i
	    : ctx == NULL && ext == NULL ? c.priority + 1
					 : 1;
	if (lbl == NULL && p < 1)
		return ari_fail(
		    r, E_BADREQ, 400, NULL, "Requested priority is illegal");
	(void)snprintf(num, sizeof(num), "%lld", p);
	ari_ami_add_str(kv, &n, "Channel", c.name);
	if (ctx != NULL)
		ari_ami_add_arg(kv, &n, "Context", ctx);
	else
		ari_ami_add_str(kv, &n, "Context", c.context);
	if (ext != NULL)
		ari_ami_add_arg(kv, &n, "Exten", ext);
	else
		ari_ami_add(kv, &n, "Exten", ctx != NULL ? "s" : c.exten.s,
		    ctx != NULL ? 1 : c.exten.n);
	if (lbl != NULL)
		ari_ami_add_arg(kv, &n, "Priority", lbl);
	else
		ari_ami_add(kv, &n, "Priority", num, strlen(num));
	if ((e = ari_ami_simple(r, "Redirect", kv, n)) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/* ---- DTMF ---- */

/* An argument in milliseconds; zero when absent or 0. */
static long long
ms_arg(const struct req *r, const char *name, long long zero)
{
	const struct arg *a = ari_arg(r, name);

	return a == NULL || a->i == 0 ? zero : a->i;
}

/* How long digits d take over AMI, waits included, in milliseconds. */
static long long
dtmf_ms(const char *d, long long before, long long between, long long duration)
{
	long long t = before;
	int digits = 0;

	for (; *d != '\0'; d++) {
		if (*d == 'w' || *d == 'W')
			t += *d == 'w' ? DTMF_PAUSE_MS : 2 * DTMF_PAUSE_MS;
		else if (*d != ',')
			t += (digits++ > 0 ? between : 0) + duration;
	}
	return t;
}

static void
sleep_ms(long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * sendDTMF: one PlayDTMF per digit with its Duration; pbxapi waits
 * before, between the digits and for 'w' (500 ms) and 'W' (1 s), as
 * Asterisk's DTMF stream does; ',' is skipped, as Asterisk skips it.
 * The whole must fit in backend_timeout.
 */
static enum err
op_dtmf(struct req *r, struct reply *rp)
{
	const struct arg *d = ari_arg(r, "dtmf");
	long long before = ms_arg(r, "before", 0);
	long long between = ms_arg(r, "between", DTMF_DEFAULT_MS);
	long long dur = ms_arg(r, "duration", DTMF_DEFAULT_MS);
	struct ami_reply rep;
	struct ari_chan c;
	struct ami_kv kv[3];
	char ms[24];
	const char *p;
	int digits = 0;
	enum err e;

	if (dtmf_ms(d->s, before, between, dur) > r->conf->backend_ms)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "DTMF longer than the AMI backend allows (%ld ms)",
		    r->conf->backend_ms);
	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	(void)snprintf(ms, sizeof(ms), "%lld", dur);
	kv[0] = (struct ami_kv){ "Channel", c.name.s, c.name.n };
	kv[2] = (struct ami_kv){ "Duration", ms, strlen(ms) };
	sleep_ms(before);
	for (p = d->s; *p != '\0'; p++) {
		if (*p == 'w' || *p == 'W') {
			sleep_ms(*p == 'w' ? DTMF_PAUSE_MS : 2 * DTMF_PAUSE_MS);
			continue;
		}
		if (*p == ',')
			continue;
		if (digits++ > 0)
			sleep_ms(between);
		kv[1] = (struct ami_kv){ "Digit", p, 1 };
		if ((e = ari_ami_simple(r, "PlayDTMF", kv, 3)) != E_OK)
			return e;
	}
	return ari_reply_empty(rp);
}

/* ---- mute, variables ---- */

/* mute, unmute: MuteAudio, direction both being AMI's "all". */
static enum err
op_mute(struct req *r, struct reply *rp)
{
	const struct arg *d = ari_arg(r, "direction");
	const char *dir = d == NULL || strcmp(d->s, "both") == 0 ? "all" : d->s;
	const char *on = strcmp(r->cmd->name, "mute") == 0 ? "on" : "off";
	struct ami_reply rep;
	struct ari_chan c;
	struct ami_kv kv[3];
	size_t n = 0;
	enum err e;

	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	ari_ami_add_str(kv, &n, "Channel", c.name);
	ari_ami_add(kv, &n, "Direction", dir, strlen(dir));
	ari_ami_add(kv, &n, "State", on, strlen(on));
	if ((e = ari_ami_simple(r, "MuteAudio", kv, n)) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/*
 * getChannelVar: Getvar.  AMI says "Value: " for a variable that is not
 * set, as for an empty one: both are ARI's 404 for a variable, and
 * {"value":""} for a function (a name ending in ')').
 */
static enum err
op_getvar(struct req *r, struct reply *rp)
{
	const struct arg *var = ari_arg(r, "variable");
	struct ami_reply rep;
	struct ari_chan c;
	struct ami_kv kv[2];
	const char *v;
	size_t n = 0;
	struct jw *w;
	enum err e;
	const struct ami_action act = {
		.action = "Getvar", .kv = kv, .nkv = 2
	};

	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	ari_ami_add_str(kv, &n, "Channel", c.name);
	ari_ami_add_arg(kv, &n, "Variable", var);
	if ((e = ari_ami_action(r, &act, &rep)) != E_OK)
		return e;
	v = ami_get(&rep.msg[0], "Value", &n);
	if ((v == NULL || n == 0) && var->s[var->len - 1] != ')')
		return ari_fail(r, E_NOTFOUND, 404, "Variable Not Found",
		    "Provided variable was not found");
	w = ari_reply_json(rp, 200);
	jw_obj_open(w);
	jw_keyz(w, "value");
	jw_str(w, v != NULL ? v : "", v != NULL ? n : 0);
	jw_obj_close(w);
	return E_OK;
}

/* setChannelVar: Setvar (no value: ""). */
static enum err
op_setvar(struct req *r, struct reply *rp)
{
	const struct arg *val = ari_arg(r, "value");
	struct ami_reply rep;
	struct ari_chan c;
	struct ami_kv kv[3];
	size_t n = 0;
	enum err e;

	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	ari_ami_add_str(kv, &n, "Channel", c.name);
	ari_ami_add_arg(kv, &n, "Variable", ari_arg(r, "variable"));
	if (val != NULL)
		ari_ami_add_arg(kv, &n, "Value", val);
	else
		ari_ami_add(kv, &n, "Value", "", 0);
	if ((e = ari_ami_simple(r, "Setvar", kv, n)) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/* ---- record ---- */

/* record's options MixMonitor cannot honour: 501 naming one. */
static enum err
record_check(struct req *r)
{
	const struct arg *a;

	if ((a = ari_arg(r, "maxDurationSeconds")) != NULL && a->i > 0)
		return ari_ami_unsupported(r, "record with maxDurationSeconds");
	if ((a = ari_arg(r, "maxSilenceSeconds")) != NULL && a->i > 0)
		return ari_ami_unsupported(r, "record with maxSilenceSeconds");
	if ((a = ari_arg(r, "beep")) != NULL && ari_true(a->s))
		return ari_ami_unsupported(r, "record with beep");
	if ((a = ari_arg(r, "terminateOn")) != NULL &&
	    strcasecmp(a->s, "none") != 0)
		return ari_ami_unsupported(r, "record with terminateOn");
	if ((a = ari_arg(r, "ifExists")) != NULL &&
	    strcasecmp(a->s, "fail") == 0)
		return ari_ami_unsupported(r, "record with ifExists=fail");
	return E_OK;
}

/* The LiveRecording of a recording that started, with its Location. */
static void
live_recording(struct req *r, struct reply *rp, const struct ari_chan *c)
{
	const struct arg *name = ari_arg(r, "name");
	struct jw *w;
	struct buf b;

	buf_init(&b, 4 * LIM_HEADER_VALUE);
	if (buf_adds(&b, "/ari/recordings/live/") == 0 &&
	    url_encode(&b, name->s, name->len) == 0)
		reply_header(
		    rp, "Location", arena_strndup(r->arena, b.data, b.len));
	buf_free(&b);
	w = ari_reply_json(rp, 201);
	jw_obj_open(w);
	jw_keyz(w, "name");
	jw_str(w, name->s, name->len);
	jw_keyz(w, "format");
	jw_strz(w, ari_arg(r, "format")->s);
	jw_keyz(w, "state");
	jw_strz(w, "recording");
	jw_keyz(w, "target_uri");
	jw_strz(
	    w, arena_printf(r->arena, "channel:%.*s", (int)c->id.n, c->id.s));
	jw_obj_close(w);
}

/*
 * record: MixMonitor to "<name>.<format>" (Asterisk's monitor
 * directory), Options "a" for ifExists=append.
 */
static enum err
op_record(struct req *r, struct reply *rp)
{
	const struct arg *name = ari_arg(r, "name");
	const struct arg *fmt = ari_arg(r, "format");
	const struct arg *ie = ari_arg(r, "ifExists");
	struct ami_reply rep;
	struct ari_chan c;
	struct ami_kv kv[3];
	const char *file;
	size_t n = 0;
	enum err e;

	if ((e = record_check(r)) != E_OK)
		return e;
	if ((e = target(r, &rep, &c)) != E_OK)
		return e;
	file = arena_printf(r->arena, "%s.%s", name->s, fmt->s);
	ari_ami_add_str(kv, &n, "Channel", c.name);
	ari_ami_add(kv, &n, "File", file, strlen(file));
	if (ie != NULL && strcasecmp(ie->s, "append") == 0)
		ari_ami_add(kv, &n, "Options", "a", 1);
	if ((e = ari_ami_simple(r, "MixMonitor", kv, n)) != E_OK)
		return e;
	live_recording(r, rp, &c);
	return E_OK;
}

/* ---- the operations ---- */

/*
 * What AMI can do.  Every other operation (create, redirect, answer,
 * ring, ringStop, hold, unhold, startMoh, stopMoh, startSilence,
 * stopSilence, play, playWithId, snoopChannel, snoopChannelWithId, dial)
 * is 501: docs/ari.md says why for each.
 */
static const struct ami_op ops[] = {
	{ "list", op_list, "Failed to list channels" },
	{ "originate", ari_ami_originate, "Failed to originate channel" },
	{ "get", op_get, "Failed to get channel" },
	{ "originateWithId", ari_ami_originate, "Failed to originate channel" },
	{ "hangup", op_hangup, "Failed to hang up channel" },
	{ "continueInDialplan", op_continue, "Failed to continue in dialplan" },
	{ "sendDTMF", op_dtmf, "Failed to send DTMF" },
	{ "mute", op_mute, "Failed to mute channel" },
	{ "unmute", op_mute, "Failed to unmute channel" },
	{ "record", op_record, "Failed to start recording" },
	{ "getChannelVar", op_getvar, "Unable to read provided variable" },
	{ "setChannelVar", op_setvar, "Failed to execute function" },
};

static const struct ami_op *
find_op(const char *name)
{
	size_t i;

	for (i = 0; i < nitems(ops); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

enum err
ari_ami_run(struct req *r, struct reply *rp)
{
	const struct ami_op *op = find_op(r->cmd->name);

	if (op == NULL)
		return ari_ami_unsupported(r, r->cmd->name);
	return op->run(r, rp);
}
