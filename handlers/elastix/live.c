/*
 * activecall and sippeers from the event companion's live state
 * (docs/elastix.md): when the tenant's events are on, state.fresh is never and
 * the request has no fresh=1, the channels come from the companion (client.h)
 * and are shaped as the reference's "core show channels verbose" table is
 * (ami_cmds.c): one object per channel with the CLI's columns, each value
 * cut to its column's width and trimmed, then the three summary lines;
 * X-State-Age says how old the state is.  If the companion does not
 * answer in companion.timeout, or its state is not synced, the backend
 * answers, as without events.
 *
 * The companion's JSON is read by chandoc.c straight into the fields
 * the table needs (a generic decode into PHP values cost ten times the
 * round trip: docs/PERFORMANCE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "chandoc.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "reply.h"
#include "req.h"
#include "util.h"

/* The snapshot fields the table reads. */
enum lf {
	F_NAME,
	F_CONTEXT,
	F_EXTEN,
	F_PRIORITY,
	F_STATE,
	F_APP,
	F_APP_DATA,
	F_CALLER,
	F_CREATED,
	F_ACCOUNT,
	F_BRIDGE,
	F_LINKEDID,
	F__MAX
};

static const char *const lf_keys[F__MAX] = {
	[F_NAME] = "name",
	[F_CONTEXT] = "context",
	[F_EXTEN] = "exten",
	[F_PRIORITY] = "priority",
	[F_STATE] = "state",
	[F_APP] = "app",
	[F_APP_DATA] = "app_data",
	[F_CALLER] = "caller_num",
	[F_CREATED] = "created_ms",
	[F_ACCOUNT] = "accountcode",
	[F_BRIDGE] = "bridge",
	[F_LINKEDID] = "linkedid",
};

/*
 * The CLI's columns (Asterisk's verbose format: "%-80.80s %-24.24s ..."):
 * the key, the field, and the width a value is cut to.  PeerAccount is
 * not in the events: always "".
 */
enum col_kind { K_STR, K_PRIO, K_DUR, K_APP, K_DATA, K_NONE };

static const struct {
	const char *key;
	enum lf field;
	enum col_kind kind;
	size_t width;
} cols[] = {
	{ "Channel", F_NAME, K_STR, 80 },
	{ "Context", F_CONTEXT, K_STR, 24 },
	{ "Extension", F_EXTEN, K_STR, 24 },
	{ "Prio", F_PRIORITY, K_PRIO, 4 },
	{ "State", F_STATE, K_STR, 7 },
	{ "Application", F_APP, K_APP, 12 },
	{ "Data", F_APP_DATA, K_DATA, 25 },
	{ "CallerID", F_CALLER, K_STR, 15 },
	{ "Duration", F_CREATED, K_DUR, 8 },
	{ "Accountcode", F_ACCOUNT, K_STR, 11 },
	{ "PeerAccount", F__MAX, K_NONE, 11 },
	{ "BridgeID", F_BRIDGE, K_STR, 20 },
};

/* Writes one cell: the value as the CLI prints it in its column. */
static void
cell(struct jw *w, const struct cd_doc *doc, size_t i, size_t k,
    long long now_ms)
{
	struct cd_span v = { "", 0 };
	long long d;
	char t[32];

	if (cols[k].kind != K_NONE)
		v = CD_GET(doc, i, cols[k].field);
	switch (cols[k].kind) {
	case K_PRIO:
		snprintf(
		    t, sizeof(t), "%lld", v.n ? strtoll(v.s, NULL, 10) : 0LL);
		jw_strz(w, t);
		return;
	case K_DUR:
		d = (now_ms - (v.n ? strtoll(v.s, NULL, 10) : now_ms)) / 1000;
		d = d < 0 ? 0 : d > 359999 ? 359999 : d;
		snprintf(t, sizeof(t), "%02lld:%02lld:%02lld", d / 3600,
		    d / 60 % 60, d % 60);
		jw_strz(w, t);
		return;
	case K_APP:
		if (v.n == 0)
			v = (struct cd_span){ "(None)", 6 };
		break;
	case K_DATA:
		if (v.n == 0)
			v = (struct cd_span){ "(Empty)", 7 };
		break;
	default:
		break;
	}
	if (v.n > cols[k].width)
		v.n = cols[k].width;
	while (v.n > 0 && (*v.s == ' ' || *v.s == '\t'))
		v.s++, v.n--;
	while (v.n > 0 && (v.s[v.n - 1] == ' ' || v.s[v.n - 1] == '\t'))
		v.n--;
	jw_str(w, v.s, v.n);
}

static int
by_span(const void *a, const void *b)
{
	const struct cd_span *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Active calls: distinct linked ids (a channel without one is a call). */
static long long
calls(struct arena *a, const struct cd_doc *d)
{
	struct cd_span *ids = arena_alloc(a, (d->n ? d->n : 1) * sizeof(*ids));
	long long k = 0;
	size_t i;

	for (i = 0; i < d->n; i++)
		ids[i] = CD_GET(d, i, F_LINKEDID);
	qsort(ids, d->n, sizeof(*ids), by_span);
	for (i = 0; i < d->n; i++)
		k += ids[i].n == 0 || i == 0 || by_span(&ids[i], &ids[i - 1]);
	return k;
}

static void
summary(struct jw *w, long long n, const char *what, const char *tail)
{
	char t[96];

	snprintf(t, sizeof(t), "%lld %s%s%s", n, what, n == 1 ? "" : "s", tail);
	jw_strz(w, t);
}

/* The reference's table. */
static void
table(struct req *r, struct reply *rp, const struct cd_doc *d)
{
	struct jw *w = elastix_json(r, rp, 200);
	long long now_ms, ncalls = calls(r->arena, d);
	struct timespec ts;
	size_t i, k;

	clock_gettime(CLOCK_REALTIME, &ts);
	now_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	jw_arr_open(w);
	for (i = 0; i < d->n; i++) {
		jw_obj_open(w);
		for (k = 0; k < nitems(cols); k++) {
			jw_keyz(w, cols[k].key);
			cell(w, d, i, k, now_ms);
		}
		jw_obj_close(w);
	}
	summary(w, (long long)d->n, "active channel", "");
	summary(w, ncalls, "active call", "");
	summary(w, d->calls_seen > ncalls ? d->calls_seen : ncalls, "call",
	    " processed");
	jw_arr_close(w);
}

/*
 * sippeers: the companion's endpoint listing ("endpoints TENANT":
 * "SYNCED AGE" and the text the workers' own PJSIPShowEndpoints or
 * Sippeers would read, kept up to date by the events), when synced.
 */
int
elastix_live_sippeers(
    struct req *r, int fresh, const char **text, size_t *len, const char **age)
{
	const char *body, *nl, *sp;
	size_t n;

	/* Only an AMI source lists the endpoints: do not ask for nothing. */
	if (tenant_events(r->tenant) != EVM_AMI)
		return 0;
	if (!cd_ask(r, fresh, "sippeers", "endpoints", &body, &n))
		return 0;
	if ((nl = memchr(body, '\n', n)) == NULL || body[0] != '1' ||
	    (sp = memchr(body, ' ', (size_t)(nl - body))) == NULL)
		return 0; /* not synced: the backend knows better */
	*age = arena_strndup(r->arena, sp + 1, (size_t)(nl - sp - 1));
	*text = nl + 1;
	*len = n - (size_t)(nl + 1 - body);
	return 1;
}

int
elastix_live_activecall(struct req *r, struct reply *rp, int fresh)
{
	struct cd_doc d;

	if (!cd_live(r, fresh, "activecall", lf_keys, F__MAX, &d))
		return 0;
	table(r, rp, &d);
	reply_header(rp, "X-State-Age",
	    arena_printf(r->arena, "%.3f", strtod(d.age.s, NULL)));
	return 1;
}
