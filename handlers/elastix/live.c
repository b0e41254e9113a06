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
 *
 * The companion's JSON is read with yajl's callbacks straight into the
 * fields the table needs (a generic decode into PHP values cost ten
 * times the round trip: docs/PERFORMANCE.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl_parse.h>

#include "arena.h"
#include "client.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "reply.h"
#include "req.h"
#include "util.h"

#define LOG_EVERY_S 60 /* a fallback is logged at most this often */

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

struct span {
	const char *s;
	size_t n;
};

struct lchan {
	struct span f[F__MAX];
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

/* The reader of the companion's "channels" document. */
struct doc {
	struct arena *a;
	int depth;    /* 1: the document, 2: channels, 3: a channel */
	int in_chans; /* inside "channels" */
	int key;      /* the current key: enum lf, or -1 */
	int top_key;  /* 0 synced, 1 age, 2 calls_seen, 3 channels, -1 */
	int synced;
	struct span age;
	long long calls_seen;
	struct lchan *v;
	size_t n, cap;
};

static struct span
copy(struct arena *a, const unsigned char *s, size_t n)
{
	struct span sp = { arena_strndup(a, (const char *)s, n), n };

	return sp;
}

static void
set_value(struct doc *d, const unsigned char *s, size_t n)
{
	if (d->depth == 3 && d->in_chans && d->key >= 0 && d->n > 0)
		d->v[d->n - 1].f[d->key] = copy(d->a, s, n);
	else if (d->depth == 1 && d->top_key == 1)
		d->age = copy(d->a, s, n);
	else if (d->depth == 1 && d->top_key == 2)
		d->calls_seen = strtoll((const char *)s, NULL, 10);
}

static int
j_string(void *ctx, const unsigned char *s, size_t n)
{
	set_value(ctx, s, n);
	return 1;
}

static int
j_number(void *ctx, const char *s, size_t n)
{
	set_value(ctx, (const unsigned char *)s, n);
	return 1;
}

static int
j_bool(void *ctx, int b)
{
	struct doc *d = ctx;

	if (d->depth == 1 && d->top_key == 0)
		d->synced = b;
	else
		set_value(d, (const unsigned char *)(b ? "1" : "0"), 1);
	return 1;
}

static int
j_null(void *ctx)
{
	(void)ctx;
	return 1;
}

static int
j_key(void *ctx, const unsigned char *k, size_t n)
{
	static const char *const top[] = { "synced", "age", "calls_seen",
		"channels" };
	struct doc *d = ctx;
	size_t i;

	if (d->depth == 1) {
		d->top_key = -1;
		for (i = 0; i < nitems(top); i++)
			if (strlen(top[i]) == n && memcmp(top[i], k, n) == 0)
				d->top_key = (int)i;
		return 1;
	}
	d->key = -1;
	for (i = 0; i < F__MAX; i++)
		if (strlen(lf_keys[i]) == n && memcmp(lf_keys[i], k, n) == 0)
			d->key = (int)i;
	return 1;
}

static int
j_open_map(void *ctx)
{
	struct doc *d = ctx;
	struct lchan *nv;

	if (++d->depth == 3 && d->in_chans) {
		if (d->n == LIM_EV_CHANNELS)
			return 0;
		if (d->n == d->cap) {
			d->cap = d->cap ? d->cap * 2 : 64;
			nv = arena_alloc(d->a, d->cap * sizeof(*nv));
			if (d->n > 0)
				memcpy(nv, d->v, d->n * sizeof(*nv));
			d->v = nv;
		}
		memset(&d->v[d->n++], 0, sizeof(*nv));
	}
	return d->depth <= 4;
}

static int
j_open_arr(void *ctx)
{
	struct doc *d = ctx;

	if (++d->depth == 2 && d->top_key == 3)
		d->in_chans = 1;
	return d->depth <= 4;
}

static int
j_close_arr(void *ctx)
{
	struct doc *d = ctx;

	if (d->depth-- == 2)
		d->in_chans = 0;
	return 1;
}

static int
j_close_map(void *ctx)
{
	((struct doc *)ctx)->depth--;
	return 1;
}

static const yajl_callbacks jcb = {
	.yajl_null = j_null,
	.yajl_boolean = j_bool,
	.yajl_number = j_number,
	.yajl_string = j_string,
	.yajl_start_map = j_open_map,
	.yajl_map_key = j_key,
	.yajl_end_map = j_close_map,
	.yajl_start_array = j_open_arr,
	.yajl_end_array = j_close_arr,
};

/* Reads the document into d.  Returns 0, or -1 if it is not one. */
static int
read_doc(struct doc *d, const char *body, size_t len)
{
	yajl_handle h = yajl_alloc(&jcb, NULL, d);
	yajl_status st;

	if (h == NULL)
		return -1;
	st = yajl_parse(h, (const unsigned char *)body, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok ? 0 : -1;
}

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

/* Writes one cell: the value as the CLI prints it in its column. */
static void
cell(struct req *r, struct jw *w, const struct lchan *c, size_t k,
    long long now_ms)
{
	struct span v = { "", 0 };
	long long d;
	char t[32];

	if (cols[k].kind != K_NONE)
		v = c->f[cols[k].field];
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
			v = (struct span){ "(None)", 6 };
		break;
	case K_DATA:
		if (v.n == 0)
			v = (struct span){ "(Empty)", 7 };
		break;
	default:
		break;
	}
	(void)r;
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
	const struct span *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Active calls: distinct linked ids (a channel without one is a call). */
static long long
calls(struct arena *a, const struct doc *d)
{
	struct span *ids = arena_alloc(a, (d->n ? d->n : 1) * sizeof(*ids));
	long long k = 0;
	size_t i;

	for (i = 0; i < d->n; i++)
		ids[i] = d->v[i].f[F_LINKEDID];
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
table(struct req *r, struct reply *rp, const struct doc *d)
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
			cell(r, w, &d->v[i], k, now_ms);
		}
		jw_obj_close(w);
	}
	summary(w, (long long)d->n, "active channel", "");
	summary(w, ncalls, "active call", "");
	summary(w, d->calls_seen > ncalls ? d->calls_seen : ncalls, "call",
	    " processed");
	jw_arr_close(w);
}

int
elastix_live_activecall(struct req *r, struct reply *rp, int fresh)
{
	struct doc d = { .a = r->arena, .key = -1, .top_key = -1 };
	const char *body, *line;
	char why[256];
	size_t len;

	if (fresh || r->conf->state_fresh != 0 ||
	    tenant_events(r->tenant) == EVM_OFF)
		return 0;
	if (!companion_alive()) {
		fallback(r, "no event companion runs");
		return 0;
	}
	line = arena_printf(r->arena, "channels %s", r->tenant->name);
	if (companion_ask(r->conf, r->arena, line, &body, &len, why,
		sizeof(why)) != E_OK) {
		fallback(r, why);
		return 0;
	}
	if (read_doc(&d, body, len) == -1) {
		fallback(
		    r, "the companion's channels are not what they should be");
		return 0;
	}
	if (!d.synced || d.age.n == 0)
		return 0; /* not synced: the backend knows better */
	table(r, rp, &d);
	reply_header(rp, "X-State-Age",
	    arena_printf(r->arena, "%.3f", strtod(d.age.s, NULL)));
	return 1;
}
