/*
 * ari_double's live events: the call world (lib/world.h) rendered as
 * Asterisk 22's ARI events, in the shapes of the captures of
 * shared/fixtures/ari/events/ (key order included), and sent on the
 * /ari/events websockets as Asterisk filters them: a Stasis app sees the
 * channels in its app, subscribeAll=true sees every channel.
 *
 * A call's life in events (the outbound leg of an originate; incoming
 * calls skip the Dial events and start with ChannelDialplan):
 *
 *   created   Dial (dialstatus "")                        002_Dial
 *   ringing   ChannelStateChange (Ringing)                004_...
 *   answered  ChannelStateChange (Up), Dial (ANSWER),     006_Dial
 *             ChannelVarset STASISSTATUS, StasisStart      007, 008
 *   failed    Dial (BUSY, NOANSWER, CHANUNAVAIL, CONGESTION)
 *   hangup    ChannelHangupRequest (API or far end),      046
 *             StasisEnd (when it was in Stasis),           047
 *             ChannelDestroyed (cause, cause_txt)          049
 *   DTMF      ChannelDtmfReceived (duration_ms 100)        010
 *   hold      ChannelHold / ChannelUnhold (Asterisk's ARI model)
 *   bridge    ChannelEnteredBridge / ChannelLeftBridge     022, 023
 *   play      PlaybackStarted, PlaybackFinished            014, 015
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "world.h"
#include "ari_double.h"

#define ASTERISK_ID "02:fc:00:00:00:01" /* the captures' */

/* The captures' timestamp: 2026-11-22T12:23:40.605+0000, now. */
static void
stamp(struct wbuf *b, time_t t, long ms)
{
	char when[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	wb_printf(b, "\"%s.%03ld+0000\"", when, ms % 1000);
}

static void
now_stamp(struct wbuf *b)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	stamp(b, ts.tv_sec, ts.tv_nsec / 1000000);
}

/* The Channel model, as 008_StasisStart's "channel". */
static void
chan_model(struct wbuf *b, const struct wcall *c, const char *app_name)
{
	static const char *const st[] = { "Down", "Ringing", "Up", "Up" };
	const char *state =
	    c->state == WS_RING && c->incoming ? "Ring" : st[c->state];

	wb_adds(b, "{\"id\":");
	wb_json(b, c->id);
	wb_adds(b, ",\"name\":");
	wb_json(b, c->name);
	wb_printf(b,
	    ",\"state\":\"%s\",\"protocol_id\":\"\",\"caller\":"
	    "{\"name\":",
	    state);
	wb_json(b, c->cid_name);
	wb_adds(b, ",\"number\":");
	wb_json(b, c->cid_num);
	wb_adds(b, "},\"connected\":{\"name\":");
	wb_json(b, c->cid_name);
	wb_adds(b, ",\"number\":");
	wb_json(b, c->cid_num);
	wb_adds(b, "},\"accountcode\":\"\",\"dialplan\":{\"context\":");
	wb_json(b, c->ctx);
	wb_adds(b, ",\"exten\":");
	wb_json(b, c->exten[0] != '\0' ? c->exten : c->dest);
	wb_adds(b, ",\"priority\":1,\"app_name\":");
	wb_json(b, app_name);
	wb_adds(b, ",\"app_data\":");
	wb_json(b,
	    strcmp(app_name, "Stasis") == 0	    ? c->app
		: strcmp(app_name, "AppDial2") == 0 ? "(Outgoing Line)"
						    : "");
	wb_adds(b, "},\"creationtime\":");
	stamp(b, c->created, c->created_ms);
	wb_adds(b, ",\"language\":\"en\"}");
}

/* The dialplan application a channel shows in its state. */
static const char *
app_of(const struct wcall *c)
{
	if (c->app[0] != '\0' && (c->incoming || c->state == WS_UP))
		return "Stasis";
	return c->incoming ? "" : "AppDial2";
}

char *
live_chan_json(const char *id)
{
	struct wbuf b = { 0 };
	struct wcall *c;

	world_lock();
	if ((c = world_find(id)) != NULL)
		chan_model(&b, c, app_of(c));
	world_unlock();
	return b.p;
}

typedef void (*putfn)(void *, const char *, const char *, size_t);

/*
 * One event: {"type":T,"timestamp":...,<pre>, "channel":...,
 * <post>,"asterisk_id":...,"application":...}; pre and post are raw
 * JSON members (with their trailing comma / leading comma).
 */
static void
event(putfn put, void *ctx, const char *type, const char *head, const char *pre,
    const struct wcall *c, const char *chkey, const char *app_name)
{
	struct wbuf b = { 0 };

	wb_adds(&b, "{");
	if (head != NULL)
		wb_adds(&b, head);
	wb_printf(&b, "\"type\":\"%s\",\"timestamp\":", type);
	now_stamp(&b);
	wb_adds(&b, ",");
	if (pre != NULL)
		wb_adds(&b, pre);
	wb_printf(&b, "\"%s\":", chkey);
	chan_model(&b, c, app_name);
	wb_adds(&b, ",\"asterisk_id\":\"" ASTERISK_ID "\",\"application\":");
	wb_json(&b, c->app[0] != '\0' ? c->app : "pbxapi");
	wb_adds(&b, "}");
	put(ctx, type, b.p, b.len);
	free(b.p);
}

static void
dial(putfn put, void *ctx, const struct wcall *c, const char *status)
{
	struct wbuf pre = { 0 };

	wb_printf(&pre,
	    "\"dialstatus\":\"%s\",\"forward\":\"\",\"dialstring\":", status);
	wb_json(&pre, c->dest);
	wb_adds(&pre, ",");
	event(put, ctx, "Dial", NULL, pre.p, c, "peer", "AppDial2");
	free(pre.p);
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
	return "CHANUNAVAIL";
}

static void
bridge_event(putfn put, void *ctx, const struct wcall *c, const char *type)
{
	struct wbuf pre = { 0 };

	wb_adds(&pre, "\"bridge\":{\"id\":");
	wb_json(&pre, c->bridge);
	wb_adds(&pre,
	    ",\"technology\":\"simple_bridge\",\"bridge_type\":"
	    "\"mixing\",\"bridge_class\":\"stasis\",\"creator\":"
	    "\"Stasis\",\"name\":\"\",\"channels\":[");
	if (strcmp(type, "ChannelEnteredBridge") == 0)
		wb_json(&pre, c->id);
	wb_adds(&pre, "],\"creationtime\":");
	now_stamp(&pre);
	wb_adds(&pre, ",\"video_mode\":\"talker\"},");
	event(put, ctx, type, NULL, pre.p, c, "channel", app_of(c));
	free(pre.p);
}

/* PlaybackStarted/Finished (014, 015): raw is "ID\tMEDIA". */
static void
playback(putfn put, void *ctx, const struct wcall *c, const char *raw,
    const char *type, const char *state)
{
	struct wbuf b = { 0 }, id = { 0 };
	const char *tab = strchr(raw, '\t');

	if (tab == NULL)
		return;
	wb_add(&id, raw, (size_t)(tab - raw));
	wb_printf(&b, "{\"type\":\"%s\",\"timestamp\":", type);
	now_stamp(&b);
	wb_adds(&b, ",\"playback\":{\"id\":");
	wb_json(&b, id.p);
	wb_adds(&b, ",\"media_uri\":");
	wb_json(&b, tab + 1);
	wb_adds(&b, ",\"target_uri\":\"channel:");
	wb_adds(&b, c->id);
	wb_printf(&b,
	    "\",\"language\":\"en\",\"state\":\"%s\"},"
	    "\"asterisk_id\":\"" ASTERISK_ID "\",\"application\":",
	    state);
	wb_json(&b, c->app[0] != '\0' ? c->app : "pbxapi");
	wb_adds(&b, "}");
	put(ctx, type, b.p, b.len);
	free(b.p);
	free(id.p);
}

static void
render(const struct wevent *ev, putfn put, void *ctx)
{
	const struct wcall *c = ev->c;
	char pre[256];

	switch (ev->type) {
	case WE_INJECT:
		put(ctx, "inject", ev->raw, ev->rawlen);
		return;
	case WE_CREATE:
		if (!c->incoming) {
			dial(put, ctx, c, "");
			return;
		}
		snprintf(pre, sizeof(pre),
		    "\"dialplan_app\":\"Stasis\",\"dialplan_app_data\":\"%s\",",
		    c->app);
		event(put, ctx, "ChannelDialplan", NULL, pre, c, "channel",
		    app_of(c));
		if (c->app[0] != '\0')
			event(put, ctx, "StasisStart", NULL, "\"args\":[],", c,
			    "channel", "Stasis");
		return;
	case WE_RING: /* an incoming call is created ringing */
		if (!c->incoming)
			event(put, ctx, "ChannelStateChange", NULL, NULL, c,
			    "channel", app_of(c));
		return;
	case WE_MEDIA: /* ARI has no event for early media */
		return;
	case WE_ANSWER:
		event(put, ctx, "ChannelStateChange", NULL, NULL, c, "channel",
		    app_of(c));
		if (c->incoming)
			return;
		dial(put, ctx, c, "ANSWER");
		if (c->app[0] == '\0')
			return;
		event(put, ctx, "ChannelVarset",
		    "\"variable\":\"STASISSTATUS\","
		    "\"value\":\"\",",
		    NULL, c, "channel", "Stasis");
		event(put, ctx, "StasisStart", NULL, "\"args\":[],", c,
		    "channel", "Stasis");
		return;
	case WE_FAIL:
		if (!c->incoming)
			dial(put, ctx, c, dialstatus(c->rule.outcome));
		return;
	case WE_HANGUP_REQ:
		snprintf(
		    pre, sizeof(pre), "\"cause\":%d,\"soft\":true,", c->cause);
		event(put, ctx, "ChannelHangupRequest", pre, NULL, c, "channel",
		    app_of(c));
		return;
	case WE_HANGUP:
		if (strcmp(app_of(c), "Stasis") == 0)
			event(put, ctx, "StasisEnd", NULL, NULL, c, "channel",
			    "Stasis");
		snprintf(pre, sizeof(pre), "\"cause\":%d,\"cause_txt\":\"%s\",",
		    c->cause, world_cause_txt(c->cause));
		event(put, ctx, "ChannelDestroyed", NULL, pre, c, "channel",
		    app_of(c));
		return;
	case WE_DTMF:
		snprintf(pre, sizeof(pre),
		    "\"digit\":\"%c\",\"duration_ms\":100,", c->digit);
		event(put, ctx, "ChannelDtmfReceived", NULL, pre, c, "channel",
		    app_of(c));
		return;
	case WE_HOLD:
	case WE_UNHOLD:
		event(put, ctx,
		    ev->type == WE_HOLD ? "ChannelHold" : "ChannelUnhold", NULL,
		    NULL, c, "channel", app_of(c));
		return;
	case WE_PLAY:
		playback(put, ctx, c, ev->raw, "PlaybackStarted", "playing");
		playback(put, ctx, c, ev->raw, "PlaybackFinished", "done");
		return;
	case WE_BRIDGE:
		bridge_event(put, ctx, c, "ChannelEnteredBridge");
		return;
	case WE_UNBRIDGE:
		bridge_event(put, ctx, c, "ChannelLeftBridge");
		return;
	}
}

/*
 * A subscriber's arg is "APP\tALL" (ALL "1" for subscribeAll=true).  The
 * event goes out with "application" set to the subscriber's app, as
 * Asterisk writes each app its own copy.
 */
static int
send_ev(int fd, const char *arg, const char *name, const struct wcall *c,
    const char *payload, size_t n)
{
	static const char key[] = ",\"application\":";
	size_t al = strcspn(arg, "\t");
	int all = arg[al] == '\t' && arg[al + 1] == '1';
	struct wbuf b = { 0 };
	const char *at;
	int rc;

	(void)name;
	if (live_stalled_locked())
		return 0;
	if (c != NULL && !all &&
	    (strlen(c->app) != al || strncmp(c->app, arg, al) != 0))
		return 0;
	at = c != NULL ? strstr(payload, key) : NULL;
	if (at == NULL)
		return ws_send_text(fd, payload, n);
	wb_add(&b, payload, (size_t)(at - payload) + sizeof(key) - 1);
	wb_add(&b, "\"", 1);
	wb_add(&b, arg, al);
	wb_adds(&b, "\"}");
	rc = ws_send_text(fd, b.p, b.len);
	free(b.p);
	return rc;
}

/*
 * "stall MS": for MS milliseconds ("stall 0" ends it) the websockets
 * send nothing, neither events (they are lost, as from an Asterisk that
 * hangs) nor answers to pings and closes (events.c).  Under the world's
 * lock, as every command and send_ev are.
 */
static long stall_until;

int
live_stalled_locked(void)
{
	return stall_until > world_ms();
}

static int
command(const char *line, struct wbuf *reply)
{
	char *end;
	long ms;

	if (strncmp(line, "stall ", 6) != 0)
		return -1;
	ms = strtol(line + 6, &end, 10);
	if (end == line + 6 || *end != '\0' || ms < 0) {
		wb_adds(reply, "err stall wants milliseconds");
		return 0;
	}
	stall_until = world_ms() + ms;
	wb_adds(reply, "ok");
	return 0;
}

/* PJSIP/600-00000001, Local/600@ctx-00000001;1 as Asterisk names them. */
static void
name(const struct wcall *c, char *out, size_t size)
{
	snprintf(out, size, "PJSIP/%s-%08lx", c->dest, c->seq);
}

static const struct wdriver driver = { .who = "ari",
	.render = render,
	.send = send_ev,
	.command = command,
	.name = name };

void
live_init(void)
{
	world_init(&driver, S.opt.world ? S.opt.log : NULL, S.opt.world);
}
