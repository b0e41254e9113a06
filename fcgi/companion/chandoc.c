/*
 * The workers' reader of the companion's channels (see chandoc.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl_parse.h>

#include "arena.h"
#include "chandoc.h"
#include "client.h"
#include "conf.h"
#include "limits.h"
#include "log.h"
#include "req.h"
#include "util.h"

#define LOG_EVERY_S 60 /* a fallback is logged at most this often */

enum top { T_SYNCED, T_AGE, T_CALLS_SEEN, T_CHANNELS, T__MAX };

static const char *const top_keys[T__MAX] = { "synced", "age", "calls_seen",
	"channels" };

/* The reader's state. */
struct rd {
	struct arena *a;
	const char *const *keys;
	struct cd_doc *d;
	int depth;    /* 1: the document, 2: channels, 3: a channel */
	int in_chans; /* inside "channels" */
	int key;      /* the current channel key's index, or -1 */
	int top;      /* the current top key (enum top), or -1 */
	size_t cap;
};

static int
find(const char *const *keys, size_t nkeys, const unsigned char *k, size_t n)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
			return (int)i;
	return -1;
}

static void
set_value(struct rd *r, const unsigned char *s, size_t n)
{
	struct cd_span v = { arena_strndup(r->a, (const char *)s, n), n };

	if (r->depth == 3 && r->in_chans && r->key >= 0 && r->d->n > 0)
		CD_GET(r->d, r->d->n - 1, (size_t)r->key) = v;
	else if (r->depth == 1 && r->top == T_AGE)
		r->d->age = v;
	else if (r->depth == 1 && r->top == T_CALLS_SEEN)
		r->d->calls_seen = strtoll(v.s, NULL, 10);
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
	struct rd *r = ctx;

	if (r->depth == 1 && r->top == T_SYNCED)
		r->d->synced = b;
	else
		set_value(r, (const unsigned char *)(b ? "1" : "0"), 1);
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
	struct rd *r = ctx;

	if (r->depth == 1)
		r->top = find(top_keys, T__MAX, k, n);
	else
		r->key = find(r->keys, r->d->nkeys, k, n);
	return 1;
}

/* A new channel's row, all values "". */
static int
add_row(struct rd *r)
{
	struct cd_doc *d = r->d;
	struct cd_span *nv;
	size_t i;

	if (d->n == LIM_EV_CHANNELS)
		return 0;
	if (d->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		nv = arena_alloc(r->a, r->cap * d->nkeys * sizeof(*nv));
		if (d->n > 0)
			memcpy(nv, d->v, d->n * d->nkeys * sizeof(*nv));
		d->v = nv;
	}
	for (i = 0; i < d->nkeys; i++)
		CD_GET(d, d->n, i) = (struct cd_span){ "", 0 };
	d->n++;
	return 1;
}

static int
j_open_map(void *ctx)
{
	struct rd *r = ctx;

	if (++r->depth == 3 && r->in_chans && !add_row(r))
		return 0;
	return r->depth <= 4;
}

static int
j_open_arr(void *ctx)
{
	struct rd *r = ctx;

	if (++r->depth == 2 && r->top == T_CHANNELS)
		r->in_chans = 1;
	return r->depth <= 4;
}

static int
j_close_arr(void *ctx)
{
	struct rd *r = ctx;

	if (r->depth-- == 2)
		r->in_chans = 0;
	return 1;
}

static int
j_close_map(void *ctx)
{
	((struct rd *)ctx)->depth--;
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

int
cd_read(struct arena *a, const char *const *keys, size_t nkeys,
    const char *body, size_t len, struct cd_doc *d)
{
	struct rd r = { .a = a, .keys = keys, .d = d, .key = -1, .top = -1 };
	yajl_handle h;
	yajl_status st;

	memset(d, 0, sizeof(*d));
	d->nkeys = nkeys;
	d->age = (struct cd_span){ "", 0 };
	if (nkeys == 0 || (h = yajl_alloc(&jcb, NULL, &r)) == NULL)
		return -1;
	st = yajl_parse(h, (const unsigned char *)body, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok ? 0 : -1;
}

/* Logs why the backend answers, at most once per LOG_EVERY_S. */
static void
fallback(struct req *r, const char *what, const char *why)
{
	static time_t last;
	time_t now = time(NULL);

	if (now - last < LOG_EVERY_S)
		return;
	last = now;
	log_warnx(
	    "tenant '%s': %s; %s asks the backend", r->tenant->name, why, what);
}

int
cd_ask(struct req *r, int fresh, const char *what, const char *verb,
    const char **body, size_t *len)
{
	const char *line;
	char why[256];

	if (fresh || r->conf->state_fresh != 0 ||
	    tenant_events(r->tenant) == EVM_OFF)
		return 0;
	if (!companion_alive()) {
		fallback(r, what, "no event companion runs");
		return 0;
	}
	line = arena_printf(r->arena, "%s %s", verb, r->tenant->name);
	if (companion_ask(
		r->conf, r->arena, line, body, len, why, sizeof(why)) != E_OK) {
		fallback(r, what, why);
		return 0;
	}
	return 1;
}

int
cd_live(struct req *r, int fresh, const char *what, const char *const *keys,
    size_t nkeys, struct cd_doc *d)
{
	const char *body;
	size_t len;

	if (!cd_ask(r, fresh, what, "channels", &body, &len))
		return 0;
	if (cd_read(r->arena, keys, nkeys, body, len, d) == -1) {
		fallback(r, what,
		    "the companion's channels are not what they should be");
		return 0;
	}
	return d->synced && d->age.n > 0; /* else the backend knows better */
}
