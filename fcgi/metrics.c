/*
 * Metrics (see metrics.h).  A series is claimed once, by the first
 * worker that needs it: its state goes from free to busy by
 * compare-and-swap, its labels are written, then it is published
 * (ready); a worker that meets a busy entry waits for it, so that two
 * workers never make the same series twice (a claimer killed half-way
 * leaves a dead entry, waited for once).  Its values are atomics from
 * then on.  Entries are never freed: the tables hold the labels a
 * configuration can produce (dialects, commands, tenants), not those a
 * client invents.
 */
#include <sys/mman.h>

#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "limits.h"
#include "metrics.h"
#include "scoreboard.h"
#include "util.h"

#define FREE  0u
#define BUSY  1u /* being claimed */
#define READY 2u
#define DEAD  3u /* its claimer never finished: never used */

#define KEY_SHORT    16			   /* dialect */
#define KEY_LONG     (LIM_TENANT_NAME + 1) /* command, tenant */
#define BUSY_WAIT_US 1000000 /* a claim takes a memcpy: this is death */
#define PROBES	     128     /* entries a look-up tries at most */

_Static_assert(BK__MAX <= SB_BACKENDS, "SB_BACKENDS too small");

/* A series' labels; fields a table does not use stay "" or 0. */
struct key {
	char dialect[KEY_SHORT];
	char cmd[KEY_LONG];
	char tenant[KEY_LONG];
	int code; /* the status, or the backend kind */
};

struct hdr {
	_Atomic unsigned state;
	struct key k;
};

struct s_req {
	struct hdr h;
	_Atomic uint64_t n;
};

struct s_dur {
	struct hdr h;
	struct met_hist hist;
};

struct s_bk {
	struct hdr h;
	_Atomic uint64_t connects, reconnects, failures, dropped;
	struct met_hist ops;
};

enum { T_REQ, T_DUR, T_BK, T__MAX };

struct met {
	_Atomic uint64_t dropped[T__MAX];
	struct s_req req[MET_REQ_MAX];
	struct s_dur dur[MET_DUR_MAX];
	struct s_bk bk[MET_BK_MAX];
	/* Each worker's pooled connections per backend series. */
	_Atomic uint8_t pooled[SB_SLOTS][MET_BK_MAX];
};

static struct met *met;
static long self = -1; /* this worker's scoreboard slot */

/* Bucket bounds: microseconds, and as the le label writes them. */
static const uint64_t bound_us[MET_BUCKETS] = { 1000, 2500, 5000, 10000, 25000,
	50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000 };
static const char *const bound_le[MET_BUCKETS] = { "0.001", "0.0025", "0.005",
	"0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10" };

static const char *const kind_names[BK__MAX] = {
	[BK_NONE] = "-",
	[BK_AMI] = "ami",
	[BK_ARI] = "ari",
	[BK_MYSQL] = "mysql",
	[BK_PGSQL] = "pgsql",
	[BK_ESL] = "esl",
	[BK_HTTP] = "http",
};

int
met_create(void)
{
	void *p;

	if (met != NULL)
		return 0;
	p = mmap(NULL, sizeof(*met), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	met = p;
	return 0;
}

void
met_slot_reset(size_t i)
{
	size_t j;

	if (met == NULL || i >= SB_SLOTS)
		return;
	for (j = 0; j < MET_BK_MAX; j++)
		atomic_store(&met->pooled[i][j], 0);
}

void
met_attach(size_t i)
{
	self = i < SB_SLOTS ? (long)i : -1;
}

enum bk
met_kind(const char *name)
{
	size_t n, k;

	if (name == NULL)
		return BK_NONE;
	n = strcspn(name, " ");
	for (k = BK_NONE + 1; k < BK__MAX; k++)
		if (strlen(kind_names[k]) == n &&
		    strncmp(name, kind_names[k], n) == 0)
			return (enum bk)k;
	return BK_NONE;
}

const char *
met_kind_name(enum bk k)
{
	return (unsigned)k < BK__MAX ? kind_names[k] : "-";
}

static void
key_set(struct key *k, const char *dialect, const char *cmd, const char *tenant,
    int code)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->dialect, sizeof(k->dialect), "%s", dialect ? dialect : "");
	snprintf(k->cmd, sizeof(k->cmd), "%s", cmd ? cmd : "");
	snprintf(k->tenant, sizeof(k->tenant), "%s", tenant ? tenant : "");
	k->code = code;
}

/* FNV-1a over the whole key (key_set zeroes what the strings leave). */
static uint32_t
key_hash(const struct key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/*
 * Waits for a busy entry to be published.  Returns 1 if it was; if its
 * claimer has not finished in BUSY_WAIT_US (killed half-way), marks it
 * dead so that nobody waits for it again, and returns 0.
 */
static int
ready(struct hdr *h)
{
	struct timespec ts;
	uint64_t end = 0, now;
	unsigned st, want = BUSY, i;

	for (i = 0;; i++) {
		if ((st = atomic_load(&h->state)) != BUSY)
			return st == READY;
		if (i % 1024 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (uint64_t)ts.tv_sec * 1000000 +
			    (uint64_t)ts.tv_nsec / 1000;
			if (end == 0)
				end = now + BUSY_WAIT_US;
			else if (now >= end)
				break;
		}
		sched_yield();
	}
	(void)atomic_compare_exchange_strong(&h->state, &want, DEAD);
	return atomic_load(&h->state) == READY;
}

/*
 * Returns table t's entry for k (n entries of stride bytes at base),
 * claiming a free one if it has none, or NULL (counted) when the PROBES
 * entries from k's hash on are all taken: a look-up costs PROBES
 * comparisons at most, even in a full table.
 */
static struct hdr *
find(int t, void *base, size_t stride, size_t n, const struct key *k)
{
	size_t i, at = key_hash(k) % n;
	struct hdr *h;
	unsigned want;

	for (i = 0; i < n && i < PROBES; i++, at = (at + 1) % n) {
		h = (struct hdr *)((char *)base + at * stride);
		want = FREE;
		if (atomic_load(&h->state) == FREE &&
		    atomic_compare_exchange_strong(&h->state, &want, BUSY)) {
			h->k = *k;
			want = BUSY;
			if (atomic_compare_exchange_strong(
				&h->state, &want, READY))
				return h;
			continue; /* declared dead meanwhile: never mind */
		}
		if (atomic_load(&h->state) == BUSY && !ready(h))
			continue;
		if (atomic_load(&h->state) == READY &&
		    memcmp(&h->k, k, sizeof(*k)) == 0)
			return h;
	}
	atomic_fetch_add(&met->dropped[t], 1);
	return NULL;
}

#define FIND(t, arr, k) \
	find((t), met->arr, sizeof(met->arr[0]), nitems(met->arr), (k))

void
met_observe(struct met_hist *h, uint64_t us)
{
	size_t i;

	for (i = 0; i < MET_BUCKETS && us > bound_us[i]; i++)
		continue;
	atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void
met_request(const char *dialect, const char *cmd, const char *tenant, int code,
    uint64_t dur_us)
{
	struct key k;
	struct s_req *r;
	struct s_dur *d;

	if (met == NULL)
		return;
	key_set(&k, dialect, cmd, tenant, code);
	if ((r = (struct s_req *)FIND(T_REQ, req, &k)) != NULL)
		atomic_fetch_add_explicit(&r->n, 1, memory_order_relaxed);
	key_set(&k, dialect, cmd, NULL, 0);
	if ((d = (struct s_dur *)FIND(T_DUR, dur, &k)) != NULL)
		met_observe(&d->hist, dur_us);
}

static struct s_bk *
bk_find(const char *tenant, enum bk kind, size_t *idx)
{
	struct key k;
	struct s_bk *b;

	if (met == NULL || kind == BK_NONE || (unsigned)kind >= BK__MAX)
		return NULL;
	key_set(&k, NULL, NULL, tenant, (int)kind);
	b = (struct s_bk *)FIND(T_BK, bk, &k);
	if (b != NULL && idx != NULL)
		*idx = (size_t)(b - met->bk);
	return b;
}

void
met_connect(const char *tenant, enum bk kind, int again, int failed)
{
	struct s_bk *b = bk_find(tenant, kind, NULL);

	if (b == NULL)
		return;
	if (failed)
		atomic_fetch_add(&b->failures, 1);
	else {
		atomic_fetch_add(&b->connects, 1);
		if (again)
			atomic_fetch_add(&b->reconnects, 1);
	}
}

void
met_dropped(const char *tenant, enum bk kind)
{
	struct s_bk *b = bk_find(tenant, kind, NULL);

	if (b != NULL)
		atomic_fetch_add(&b->dropped, 1);
}

void
met_pooled(const char *tenant, enum bk kind, int delta)
{
	size_t i;

	if (self < 0 || bk_find(tenant, kind, &i) == NULL)
		return;
	if (delta > 0)
		atomic_fetch_add(&met->pooled[self][i], 1);
	else if (atomic_load(&met->pooled[self][i]) > 0)
		atomic_fetch_sub(&met->pooled[self][i], 1);
}

void
met_op(const char *tenant, enum bk kind, uint64_t us)
{
	struct s_bk *b = bk_find(tenant, kind, NULL);

	if (b != NULL)
		met_observe(&b->ops, us);
}

void
met_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

void
met_write_hist(struct buf *b, const char *name, const char *labels,
    const struct met_histv *h)
{
	const char *sep = labels[0] != '\0' ? "," : "";
	const char *open = labels[0] != '\0' ? "{" : "";
	const char *close = labels[0] != '\0' ? "}" : "";
	unsigned long long cum = 0;
	size_t i;

	for (i = 0; i < MET_BUCKETS; i++) {
		cum += h->n[i];
		buf_printf(b, "%s_bucket{%s%sle=\"%s\"} %llu\n", name, labels,
		    sep, bound_le[i], cum);
	}
	cum += h->n[MET_BUCKETS];
	buf_printf(
	    b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, cum);
	buf_printf(b, "%s_sum%s%s%s %llu.%06llu\n", name, open, labels, close,
	    (unsigned long long)(h->sum_us / 1000000),
	    (unsigned long long)(h->sum_us % 1000000));
	buf_printf(b, "%s_count%s%s%s %llu\n", name, open, labels, close, cum);
}

static void
hist_read(const struct met_hist *h, struct met_histv *v)
{
	size_t i;

	for (i = 0; i <= MET_BUCKETS; i++)
		v->n[i] = atomic_load(&h->n[i]);
	v->sum_us = atomic_load(&h->sum_us);
}

static void
family(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Writes name="value" (escaped) into lb, after a comma unless first. */
static void
label(struct buf *lb, const char *name, const char *value)
{
	if (lb->len > 0)
		buf_addc(lb, ',');
	buf_printf(lb, "%s=\"", name);
	met_escape(lb, value[0] != '\0' ? value : "-");
	buf_addc(lb, '"');
}

static int
is_ready(const struct hdr *h)
{
	return atomic_load(&h->state) == READY;
}

static void
write_requests(struct buf *b, struct buf *lb)
{
	struct met_histv v;
	size_t i;

	family(b, "pbxapi_requests_total", "counter",
	    "Requests answered, by dialect, command, tenant and status.");
	for (i = 0; i < MET_REQ_MAX; i++) {
		const struct s_req *r = &met->req[i];
		char code[16];

		if (!is_ready(&r->h))
			continue;
		buf_clear(lb);
		snprintf(code, sizeof(code), "%d", r->h.k.code);
		label(lb, "dialect", r->h.k.dialect);
		label(lb, "command", r->h.k.cmd);
		label(lb, "tenant", r->h.k.tenant);
		label(lb, "code", code);
		buf_printf(b, "pbxapi_requests_total{%s} %llu\n", buf_cstr(lb),
		    (unsigned long long)atomic_load(&r->n));
	}
	family(b, "pbxapi_request_duration_seconds", "histogram",
	    "Time from a request's arrival to its last byte, by dialect and "
	    "command.");
	for (i = 0; i < MET_DUR_MAX; i++) {
		if (!is_ready(&met->dur[i].h))
			continue;
		buf_clear(lb);
		label(lb, "dialect", met->dur[i].h.k.dialect);
		label(lb, "command", met->dur[i].h.k.cmd);
		hist_read(&met->dur[i].hist, &v);
		met_write_hist(
		    b, "pbxapi_request_duration_seconds", buf_cstr(lb), &v);
	}
}

/* Pooled connections of backend series i, over the live workers. */
static unsigned long long
pooled(size_t i)
{
	unsigned long long n = 0;
	struct sb_slot *s;
	size_t w;

	for (w = 0; w < SB_SLOTS; w++) {
		s = sb_slot(w);
		if (s != NULL && atomic_load(&s->pid) != 0 &&
		    atomic_load(&s->state) != SB_FREE)
			n += atomic_load(&met->pooled[w][i]);
	}
	return n;
}

/* The backend counters, one family each, by offset in struct s_bk. */
static const struct {
	const char *name, *help;
	size_t off;
} bk_counters[] = {
	{ "pbxapi_backend_connects_total",
	    "Backend connections opened, by tenant and backend.",
	    offsetof(struct s_bk, connects) },
	{ "pbxapi_backend_reconnects_total",
	    "Connections opened again after a kept one was closed or "
	    "dropped after an error.",
	    offsetof(struct s_bk, reconnects) },
	{ "pbxapi_backend_connect_failures_total",
	    "Backend connects that failed or timed out.",
	    offsetof(struct s_bk, failures) },
	{ "pbxapi_backend_dropped_total",
	    "Kept connections closed after an error or found closed by the "
	    "server.",
	    offsetof(struct s_bk, dropped) },
};

static void
bk_labels(struct buf *lb, const struct s_bk *k)
{
	buf_clear(lb);
	label(lb, "tenant", k->h.k.tenant);
	label(lb, "backend", met_kind_name((enum bk)k->h.k.code));
}

static void
write_backends(struct buf *b, struct buf *lb)
{
	struct met_histv v;
	size_t i, c;

	family(b, "pbxapi_backend_connections", "gauge",
	    "Connections the workers keep open, by tenant and backend.");
	for (i = 0; i < MET_BK_MAX; i++)
		if (is_ready(&met->bk[i].h)) {
			bk_labels(lb, &met->bk[i]);
			buf_printf(b, "pbxapi_backend_connections{%s} %llu\n",
			    buf_cstr(lb), pooled(i));
		}
	for (c = 0; c < nitems(bk_counters); c++) {
		family(b, bk_counters[c].name, "counter", bk_counters[c].help);
		for (i = 0; i < MET_BK_MAX; i++) {
			const char *p = (const char *)&met->bk[i];

			if (!is_ready(&met->bk[i].h))
				continue;
			bk_labels(lb, &met->bk[i]);
			buf_printf(b, "%s{%s} %llu\n", bk_counters[c].name,
			    buf_cstr(lb),
			    (unsigned long long)atomic_load(
				(const _Atomic uint64_t *)(p +
				    bk_counters[c].off)));
		}
	}
	family(b, "pbxapi_backend_operation_duration_seconds", "histogram",
	    "Backend operations (connects, actions, queries), by tenant and "
	    "backend.");
	for (i = 0; i < MET_BK_MAX; i++)
		if (is_ready(&met->bk[i].h)) {
			bk_labels(lb, &met->bk[i]);
			hist_read(&met->bk[i].ops, &v);
			met_write_hist(b,
			    "pbxapi_backend_operation_duration_seconds",
			    buf_cstr(lb), &v);
		}
}

/* The pool's counters and gauges, by offset in struct sb_pool. */
static const struct {
	const char *name, *type, *help;
	size_t off;
} pool_metrics[] = {
	{ "pbxapi_start_time_seconds", "gauge",
	    "When the master started, seconds since the epoch.",
	    offsetof(struct sb_pool, start) },
	{ "pbxapi_accepted_connections_total", "counter",
	    "Connections accepted by the workers.",
	    offsetof(struct sb_pool, accepted) },
	{ "pbxapi_slow_requests_total", "counter",
	    "Requests that ran past request_slowlog_timeout.",
	    offsetof(struct sb_pool, slow) },
	{ "pbxapi_terminated_requests_total", "counter",
	    "Requests that ran past request_terminate_timeout.",
	    offsetof(struct sb_pool, terminated) },
	{ "pbxapi_max_active_workers", "gauge",
	    "The most workers busy at once since the start.",
	    offsetof(struct sb_pool, max_active) },
	{ "pbxapi_max_children_reached_total", "counter",
	    "Times the pool wanted a worker beyond pm.max_children.",
	    offsetof(struct sb_pool, max_children_reached) },
	{ "pbxapi_workers_spawned_total", "counter", "Workers forked.",
	    offsetof(struct sb_pool, spawned) },
	{ "pbxapi_workers_timed_out_total", "counter",
	    "Workers ended by request_terminate_timeout.",
	    offsetof(struct sb_pool, timed_out) },
	{ "pbxapi_workers_crashed_total", "counter",
	    "Workers that died unasked: on a signal or a failing exit.",
	    offsetof(struct sb_pool, crashed) },
	{ "pbxapi_reloads_total", "counter",
	    "Configuration reloads (SIGHUP, SIGUSR2).",
	    offsetof(struct sb_pool, reloads) },
};

static const char *const state_names[] = {
	[SB_STARTING] = "starting",
	[SB_IDLE] = "idle",
	[SB_READING] = "reading",
	[SB_RUNNING] = "running",
	[SB_FINISHING] = "finishing",
	[SB_ENDING] = "ending",
};

static void
write_pool(struct buf *b)
{
	const struct sb_pool *p = sb_pool();
	unsigned long long n[nitems(state_names)] = { 0 };
	struct sb_slot *s;
	size_t i;
	int st;

	for (i = 0; i < nitems(pool_metrics); i++) {
		family(b, pool_metrics[i].name, pool_metrics[i].type,
		    pool_metrics[i].help);
		buf_printf(b, "%s %llu\n", pool_metrics[i].name,
		    (unsigned long long)atomic_load(
			(const _Atomic uint64_t *)((const char *)p +
			    pool_metrics[i].off)));
	}
	family(b, "pbxapi_generation", "gauge",
	    "The workers' generation: 1, plus one per reload or log "
	    "reopening.");
	buf_printf(b, "pbxapi_generation %u\n", atomic_load(&p->gen));
	for (i = 0; i < SB_SLOTS; i++) {
		s = sb_slot(i);
		st = atomic_load(&s->state);
		if (atomic_load(&s->pid) != 0 && st > SB_FREE &&
		    (size_t)st < nitems(state_names) &&
		    atomic_load(&s->role) == SB_POOL)
			n[st]++;
	}
	family(b, "pbxapi_workers", "gauge",
	    "Workers of the pool by state (the status worker apart).");
	for (i = SB_STARTING; i < nitems(state_names); i++)
		buf_printf(b, "pbxapi_workers{state=\"%s\"} %llu\n",
		    state_names[i], n[i]);
}

int
met_write(struct buf *b)
{
	static const char *const tables[T__MAX] = { "requests", "durations",
		"backends" };
	struct buf lb;
	size_t i;

	if (met == NULL || sb_pool() == NULL)
		return -1;
	buf_init(&lb, 1024);
	write_requests(b, &lb);
	write_backends(b, &lb);
	write_pool(b);
	family(b, "pbxapi_metrics_series_dropped_total", "counter",
	    "Series not kept because their table was full.");
	for (i = 0; i < T__MAX; i++)
		buf_printf(b,
		    "pbxapi_metrics_series_dropped_total{table=\"%s\"} %llu\n",
		    tables[i],
		    (unsigned long long)atomic_load(&met->dropped[i]));
	buf_free(&lb);
	return b->overflow ? -1 : 0;
}
