/*
 * One WCS call (see wcs.h): its status from the events, as spec §4.3
 * maps them, and its Call object, spec §3.  Pure: the registry (wcs.c)
 * holds the calls and their lock.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "util.h"
#include "wcs.h"

/* ---- the status mapping (spec §4.3) ---- */

/* Q.850 cause to SIP status, RFC 3398 §7.2.4.1 (spec §4.3: 21 is 603). */
static const struct {
	int cause, sip;
} q850[] = {
	{ 1, 404 },
	{ 2, 404 },
	{ 3, 404 },
	{ 17, 486 },
	{ 18, 408 },
	{ 19, 480 },
	{ 20, 480 },
	{ 21, 603 },
	{ 22, 410 },
	{ 23, 410 },
	{ 26, 404 },
	{ 27, 502 },
	{ 28, 484 },
	{ 29, 501 },
	{ 31, 480 },
	{ 34, 503 },
	{ 38, 503 },
	{ 41, 503 },
	{ 42, 503 },
	{ 47, 503 },
	{ 55, 403 },
	{ 57, 403 },
	{ 58, 503 },
	{ 65, 488 },
	{ 69, 501 },
	{ 79, 501 },
	{ 87, 403 },
	{ 88, 503 },
	{ 102, 504 },
	{ 111, 500 },
	{ 127, 500 },
};

int
wcs_q850_sip(int cause)
{
	size_t i;

	for (i = 0; i < nitems(q850); i++)
		if (q850[i].cause == cause)
			return q850[i].sip;
	return 500;
}

/* Dial's dialstatus to a status; NULL: says nothing new. */
static const struct {
	const char *dialstatus, *status;
	int sip;
} dialstatus[] = {
	{ "RINGING", "RING", 180 },
	{ "PROGRESS", "SESSION_PROGRESS", 183 },
	{ "ANSWER", "ESTABLISHED", 200 },
	{ "BUSY", "BUSY", 486 },
	{ "NOANSWER", "FAILED", 480 },
	{ "CANCEL", "FAILED", 487 },
	{ "CONGESTION", "FAILED", 503 },
	{ "CHANUNAVAIL", "FAILED", 503 },
};

void
wcs_call_set(struct wcs_call *c, const char *status, int sip)
{
	c->status = status;
	if (sip != 0)
		c->sip = sip;
}

/*
 * The final status: busy stays busy; a call that was up and cleared
 * normally (16, 31, or no cause) is FINISH/200; one ended before answer
 * by normal clearing (16, or no cause) was cancelled (FAILED/487); any
 * other cause, 31 before answer among them, is FAILED with its RFC 3398
 * SIP status.
 */
void
wcs_call_finish(struct wcs_call *c, int cause, uint64_t now)
{
	int cleared = cause <= 0 || cause == 16;

	if (strcmp(c->status, "BUSY") == 0 || cause == 17)
		wcs_call_set(c, "BUSY", 486);
	else if (c->answered && (cleared || cause == 31))
		wcs_call_set(c, "FINISH", 200);
	else if (cleared)
		wcs_call_set(c, "FAILED", 487);
	else
		wcs_call_set(c, "FAILED", wcs_q850_sip(cause));
	c->ended = 1;
	c->end_ms = now;
}

static void
on_state(struct wcs_call *c, enum ev_state st)
{
	switch (st) {
	case ST_RING:
	case ST_RINGING:
		if (!c->answered)
			wcs_call_set(c, "RING", 180);
		break;
	case ST_UP:
		if (!c->answered || strcmp(c->status, "HOLD") != 0)
			wcs_call_set(c, "ESTABLISHED", 200);
		c->answered = 1;
		break;
	case ST_BUSY:
		wcs_call_set(c, "BUSY", 486);
		break;
	default:
		if (strcmp(c->status, "PENDING") == 0)
			wcs_call_set(c, "TRYING", 100);
		break;
	}
}

static void
on_dial_end(struct wcs_call *c, const char *ds)
{
	size_t i;

	if (ds == NULL || c->answered)
		return;
	for (i = 0; i < nitems(dialstatus); i++)
		if (strcmp(dialstatus[i].dialstatus, ds) == 0)
			break;
	if (i == nitems(dialstatus))
		return;
	/* A failure is final only with the hangup (its cause may say more). */
	if (strcmp(dialstatus[i].status, "FAILED") == 0)
		return;
	if (strcmp(dialstatus[i].status, "ESTABLISHED") == 0)
		c->answered = 1;
	wcs_call_set(c, dialstatus[i].status, dialstatus[i].sip);
}

static void
copy(char *dst, size_t size, const char *s)
{
	if (s != NULL && *dst == '\0')
		snprintf(dst, size, "%s", s);
}

void
wcs_call_apply(struct wcs_call *c, const struct ev *e, uint64_t now)
{
	if (c->ended)
		return;
	c->evd = 1;
	switch (e->type) {
	case EV_CREATED:
		c->seen = 1;
		copy(c->caller, sizeof(c->caller), e->chan.caller_num);
		on_state(c, e->chan.state);
		break;
	case EV_STATE:
		on_state(c, e->chan.state);
		break;
	case EV_ANSWER:
		on_state(c, ST_UP);
		break;
	case EV_DIAL_END:
		on_dial_end(c, e->dialstatus);
		break;
	case EV_HOLD:
		if (c->answered)
			wcs_call_set(c, "HOLD", 0);
		break;
	case EV_UNHOLD:
		if (c->answered)
			wcs_call_set(c, "ESTABLISHED", 200);
		break;
	case EV_HANGUP:
		if (e->cause > 0)
			c->hcause = e->cause;
		break;
	case EV_DESTROYED:
		wcs_call_finish(c, e->cause > 0 ? e->cause : c->hcause, now);
		break;
	default:
		break;
	}
}

/* ---- the Call renderer (spec §3) ---- */

static void
str_or_null(struct jw *w, const char *k, const char *v)
{
	jw_keyz(w, k);
	if (v == NULL || *v == '\0')
		jw_null(w);
	else
		jw_strz(w, v);
}

static void
key_bool(struct jw *w, const char *k, int v)
{
	jw_keyz(w, k);
	jw_bool(w, v);
}

void
wcs_call_json(const struct wcs_call *c, struct jw *w)
{
	static const char *const nulls1[] = { "nodeId", "appKey", "sessionId" };
	static const char *const nulls2[] = { "rtmpUrl", "rtmpStream",
		"streamName", "rtmpStreamStatus" };
	size_t i;

	jw_obj_open(w);
	jw_keyz(w, "custom");
	jw_obj_open(w);
	jw_obj_close(w);
	for (i = 0; i < nitems(nulls1); i++)
		str_or_null(w, nulls1[i], NULL);
	str_or_null(w, "callId", c->id);
	str_or_null(w, "parentCallId", NULL);
	key_bool(w, "incoming", c->incoming);
	str_or_null(w, "status", c->status);
	jw_keyz(w, "sipStatus");
	if (c->sip < 0)
		jw_null(w);
	else
		jw_int(w, c->sip);
	for (i = 0; i < nitems(nulls2); i++)
		str_or_null(w, nulls2[i], NULL);
	str_or_null(w, "caller", c->caller);
	str_or_null(w, "callee", c->callee);
	key_bool(w, "hasAudio", c->has_audio);
	key_bool(w, "hasVideo", c->has_video);
	str_or_null(w, "sdp", NULL);
	str_or_null(w, "visibleName", c->visible);
	str_or_null(w, "inviteParameters", NULL);
	str_or_null(w, "mediaProvider", "SIP");
	str_or_null(w, "sipMessageRaw", NULL);
	key_bool(w, "isMsrp", 0);
	str_or_null(w, "target", NULL);
	key_bool(w, "holdForTransfer", 0);
	jw_obj_close(w);
}
