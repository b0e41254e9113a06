/*
 * activecall from the event companion's live state (docs/elastix.md):
 * when the tenant's events are on, state.fresh is never and the request
 * has no fresh=1, the channels come from the companion (client.h) and
 * are shaped as the reference's "core show channels verbose" table is
 * (ami_cmds.c): one object per channel with the CLI's columns, each value
 * cut to its column's width and trimmed, then the three summary lines;
 * X-State-Age says how old the state is.  If the companion does not
 * answer in companion.timeout, or its state is not synced, the backend
 * answers, as without events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "client.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "limits.h"
#include "log.h"
#include "phpin.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "util.h"

#define LOG_EVERY_S 60 /* a fallback is logged at most this often */

/*
 * The CLI's columns (Asterisk's verbose format: "%-80.80s %-24.24s ..."):
 * the key, the snapshot field, and the width a value is cut to.
 */
enum col_src { C_STR, C_PRIO, C_DUR, C_APP, C_DATA, C_NONE };

static const struct {
	const char *key;
	const char *field;
	enum col_src src;
	size_t width;
} cols[] = {
	{ "Channel", "name", C_STR, 80 },
	{ "Context", "context", C_STR, 24 },
	{ "Extension", "exten", C_STR, 24 },
	{ "Prio", "priority", C_PRIO, 4 },
	{ "State", "state", C_STR, 7 },
	{ "Application", "app", C_APP, 12 },
	{ "Data", "app_data", C_DATA, 25 },
	{ "CallerID", "caller_num", C_STR, 15 },
	{ "Duration", "created_ms", C_DUR, 8 },
	{ "Accountcode", "accountcode", C_STR, 11 },
	{ "PeerAccount", NULL, C_NONE, 11 },
	{ "BridgeID", "bridge", C_STR, 20 },
};

/* Logs why the backend answers, at most once per LOG_EVERY_S. */
static void
fallback(struct req *r, const char *why)
{
	static time_t last;
	time_t now = time(NULL);

	if (now - last < LOG_EVERY_S)
		return;
	last = now;
	log_warnx("tenant '%s': %s; activecall asks the backend",
	    r->tenant->name, why);
}

static const char *
str_of(const struct pv *o, const char *k, size_t *n)
{
	const struct pv *v = pv_getz(o, k);

	if (v == NULL || v->type != PV_STR) {
		*n = 0;
		return "";
	}
	*n = v->u.str.len;
	return v->u.str.s;
}

/* A value as the CLI prints it in a column of width w, trimmed. */
static struct pv
cell(struct arena *a, const struct pv *ch, size_t c, int64_t now_ms)
{
	const char *s;
	char *t;
	size_t n;
	int64_t d;

	switch (cols[c].src) {
	case C_PRIO:
		t = arena_printf(a, "%lld",
		    (long long)pv_to_int(pv_getz(ch, cols[c].field)));
		return pv_str(t, strlen(t));
	case C_DUR:
		d = (now_ms - pv_to_int(pv_getz(ch, cols[c].field))) / 1000;
		d = d < 0 ? 0 : d;
		t = arena_printf(a, "%02lld:%02lld:%02lld", (long long)d / 3600,
		    (long long)d / 60 % 60, (long long)d % 60);
		return pv_str(t, strlen(t) > 8 ? 8 : strlen(t));
	case C_NONE:
		return pv_str("", 0);
	default:
		break;
	}
	s = str_of(ch, cols[c].field, &n);
	if (n == 0 && cols[c].src == C_APP)
		s = "(None)", n = 6;
	if (n == 0 && cols[c].src == C_DATA)
		s = "(Empty)", n = 7;
	if (n > cols[c].width)
		n = cols[c].width;
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return pv_str(s, n);
}

/* Returns 1 if linkedid l (n bytes) is among the first k channels'. */
static int
seen_call(const struct pv_ent *from, const struct pv_ent *upto, const char *l,
    size_t n)
{
	const char *o;
	size_t on;

	for (; from != upto; from = from->next) {
		o = str_of(&from->val, "linkedid", &on);
		if (on == n && memcmp(o, l, n) == 0)
			return 1;
	}
	return 0;
}

/* The reference's table from the snapshot's channels. */
static struct pv *
table(struct arena *a, const struct pv *chans, int64_t calls_seen)
{
	struct pv *out = pv_new_arr(a), *o;
	const struct pv_ent *e;
	struct timespec ts;
	int64_t now_ms, nch = 0, ncalls = 0;
	const char *l, *line;
	size_t c, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (e = chans->u.arr->head; e != NULL; e = e->next) {
		if (e->val.type != PV_ARR)
			continue;
		o = pv_new_arr(a);
		for (c = 0; c < nitems(cols); c++)
			pv_set(a, o, cols[c].key, strlen(cols[c].key),
			    cell(a, &e->val, c, now_ms));
		pv_push(a, out, *o);
		nch++;
		l = str_of(&e->val, "linkedid", &n);
		ncalls += n == 0 || !seen_call(chans->u.arr->head, e, l, n);
	}
	line = arena_printf(
	    a, "%lld active channel%s", (long long)nch, nch == 1 ? "" : "s");
	pv_push(a, out, pv_str(line, strlen(line)));
	line = arena_printf(
	    a, "%lld active call%s", (long long)ncalls, ncalls == 1 ? "" : "s");
	pv_push(a, out, pv_str(line, strlen(line)));
	if (calls_seen < ncalls)
		calls_seen = ncalls;
	line = arena_printf(a, "%lld call%s processed", (long long)calls_seen,
	    calls_seen == 1 ? "" : "s");
	pv_push(a, out, pv_str(line, strlen(line)));
	return out;
}

int
elastix_live_activecall(struct req *r, struct reply *rp, int fresh)
{
	static const struct in_limits lim = { .params_max =
						  64 * LIM_EV_CHANNELS,
		.name_max = 64,
		.value_max = 8 * LIM_EV_STR,
		.nest_max = 8 };
	const char *body, *line, *age;
	const struct pv *synced, *chans, *agev;
	char why[256];
	struct pv *doc;
	size_t len;

	if (fresh || r->conf->state_fresh != 0 ||
	    tenant_events(r->tenant) == EVM_OFF)
		return 0;
	line = arena_printf(r->arena, "channels %s", r->tenant->name);
	if (companion_ask(r->conf, r->arena, line, &body, &len, why,
		sizeof(why)) != E_OK) {
		fallback(r, why);
		return 0;
	}
	if (json_decode_pv(r->arena, body, len, &lim, &doc, why, sizeof(why)) !=
		E_OK ||
	    doc->type != PV_ARR) {
		fallback(r, "the companion's channels are not JSON");
		return 0;
	}
	synced = pv_getz(doc, "synced");
	chans = pv_getz(doc, "channels");
	agev = pv_getz(doc, "age");
	if (synced == NULL || synced->type != PV_BOOL || !synced->u.b ||
	    chans == NULL || chans->type != PV_ARR || agev == NULL)
		return 0; /* not synced: the backend knows better */
	age = pv_to_str(r->arena, agev, &len);
	pv_encode(elastix_json(r, rp, 200),
	    table(r->arena, chans, pv_to_int(pv_getz(doc, "calls_seen"))));
	reply_header(rp, "X-State-Age",
	    arena_printf(r->arena, "%.3f", strtod(age, NULL)));
	return 1;
}
