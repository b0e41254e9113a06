/*
 * /healthz and /readyz (see health.h).  A probe is what a request does
 * first: take the tenant's pooled connection of a kind, a kept one if it
 * still works, else a new one.  The kinds live with their dialects
 * (ast_probe, fpx_probe, rec_probe); the results are kept per worker in
 * a pool kind of their own, so that a load balancer polling every
 * second costs each backend one check per ready.cache and worker.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "asterisk.h"
#include "conf.h"
#include "fusionpbx.h"
#include "health.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "netio.h"
#include "pool.h"
#include "recordings.h"
#include "reply.h"
#include "req.h"
#include "scoreboard.h"
#include "version.h"
#include "worker.h"

struct probe {
	const char *kind; /* the pool kind's name, the answer's key */
	int (*wants)(const struct tenant *t, const char *kind);
	enum err (*run)(struct req *r, const char *kind, uint64_t deadline,
	    char *why, size_t whylen);
};

static const struct probe probes[] = {
	{ "ami", ast_probe_wants, ast_probe },
	{ "ari", ast_probe_wants, ast_probe },
	{ "mysql asteriskcdrdb", ast_probe_wants, ast_probe },
	{ "mysql asterisk", ast_probe_wants, ast_probe },
	{ "pgsql fusionpbx", fpx_probe_wants, fpx_probe },
	{ "esl", fpx_probe_wants, fpx_probe },
	{ "pgsql xivo_stats", rec_probe_wants, rec_probe },
};

#define NPROBES (sizeof(probes) / sizeof(probes[0]))

enum pstate { P_UP, P_DOWN, P_TIMEOUT, P_UNCHECKED, P_NONE };

static const char *const pstates[] = { "up", "down", "timeout", "unchecked" };

/* A tenant's last results: a pool kind that opens no connection. */
struct ready_cache {
	uint64_t at[NPROBES]; /* monotonic ms of the result, 0: none */
	enum pstate st[NPROBES];
};

static enum err
cache_open(void *ctx, uint64_t deadline, void **conn, char *why, size_t wl)
{
	(void)ctx;
	(void)deadline;
	(void)why;
	(void)wl;
	if ((*conn = calloc(1, sizeof(struct ready_cache))) == NULL)
		abort();
	return E_OK;
}

static const struct backend be_cache = {
	.name = "ready cache",
	.open = cache_open,
	.close = free,
};

enum err
health(struct req *r, struct reply *rp)
{
	struct sb_pool *p = sb_pool();
	int stopping = worker_quitting();
	struct jw *w = reply_json(rp, JW_UTF8);

	(void)r;
	reply_status(rp, stopping ? 503 : 200);
	jw_obj_open(w);
	jw_keyz(w, "status");
	jw_strz(w, stopping ? "stopping" : "ok");
	jw_keyz(w, "version");
	jw_strz(w, PBXAPI_VERSION);
	jw_keyz(w, "pid");
	/* A worker's parent is the master; pbxapi -s has none. */
	jw_int(w, (int64_t)(p != NULL ? getppid() : getpid()));
	if (p != NULL) {
		jw_keyz(w, "uptime");
		jw_int(w,
		    (int64_t)((uint64_t)time(NULL) - atomic_load(&p->start)));
	}
	jw_obj_close(w);
	status_no_cache(rp);
	return E_OK;
}

/* Runs probe i for r->tenant now.  Returns its state; the reason logged. */
static enum pstate
probe_run(struct req *r, size_t i, uint64_t deadline)
{
	char why[LIM_ERRMSG];
	enum err e;

	if (net_left(deadline) <= 0)
		return P_UNCHECKED;
	why[0] = '\0';
	e = probes[i].run(r, probes[i].kind, deadline, why, sizeof(why));
	if (e == E_OK)
		return P_UP;
	log_warnx("readyz: tenant '%s': %s: %s", r->tenant->name,
	    probes[i].kind, why[0] ? why : err_str(e));
	return e == E_TIMEOUT ? P_TIMEOUT : P_DOWN;
}

/*
 * Sets st[] to r->tenant's state of each kind (P_NONE: not configured),
 * probing what is not cached.  Returns 1 if every kind is up.
 */
static int
tenant_ready(struct req *r, enum pstate *st, uint64_t deadline)
{
	uint64_t now = net_deadline(0);
	struct ready_cache *rc;
	void *c;
	size_t i;
	int all = 1;

	if (pool_get(r->pool, r->tenant, &be_cache, NULL, 0, &c, NULL, NULL,
		0) != E_OK)
		abort();
	rc = c;
	for (i = 0; i < NPROBES; i++) {
		st[i] = P_NONE;
		if (!probes[i].wants(r->tenant, probes[i].kind))
			continue;
		if (rc->at[i] == 0 ||
		    now - rc->at[i] >= (uint64_t)r->conf->ready_cache_ms) {
			rc->st[i] = probe_run(r, i, deadline);
			/* A probe the deadline left out is tried next time. */
			rc->at[i] = rc->st[i] == P_UNCHECKED ? 0 : now;
		}
		st[i] = rc->st[i];
		all &= st[i] == P_UP;
	}
	return all;
}

/* Writes {"status":...,"tenants":{name:{kind:state}}}. */
static void
ready_json(struct req *r, struct reply *rp, const enum pstate *st, int all)
{
	struct jw *w = reply_json(rp, JW_UTF8);
	size_t i, k;

	jw_obj_open(w);
	jw_keyz(w, "status");
	jw_strz(w, all ? "ready" : "not ready");
	jw_keyz(w, "tenants");
	jw_obj_open(w);
	for (i = 0; i < r->conf->ntenants; i++, st += NPROBES) {
		jw_keyz(w, r->conf->tenants[i].name);
		jw_obj_open(w);
		for (k = 0; k < NPROBES; k++)
			if (st[k] != P_NONE) {
				jw_keyz(w, probes[k].kind);
				jw_strz(w, pstates[st[k]]);
			}
		jw_obj_close(w);
	}
	jw_obj_close(w);
	jw_obj_close(w);
}

enum err
ready(struct req *r, struct reply *rp)
{
	long ms = r->conf->ready_probe_ms;
	const struct tenant *saved = r->tenant;
	size_t i, n = r->conf->ntenants;
	enum pstate *st;
	uint64_t deadline;
	int all = 1;

	if (ms > r->conf->backend_ms)
		ms = r->conf->backend_ms;
	deadline = net_deadline(ms);
	st = arena_alloc(r->arena, (n ? n : 1) * NPROBES * sizeof(*st));
	for (i = 0; i < n; i++) {
		r->tenant = &r->conf->tenants[i];
		all &= tenant_ready(r, st + i * NPROBES, deadline);
	}
	r->tenant = saved;
	ready_json(r, rp, st, all);
	reply_status(rp, all ? 200 : 503);
	status_no_cache(rp);
	return E_OK;
}
