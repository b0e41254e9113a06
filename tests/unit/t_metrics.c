/*
 * Metrics (fcgi/metrics.c): the exposition writer (label escaping,
 * cumulative buckets, +Inf, _sum in seconds, _count), bucket placement
 * at the bounds, backend kinds, the series tables (one series per label
 * set, a full table drops and counts), the pool's connect counters and
 * pooled gauge, and req_op's per-kind accounting that the slow log reads
 * from the scoreboard.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "metrics.h"
#include "pool.h"
#include "req.h"
#include "scoreboard.h"
#include "tap.h"

/* Returns the value of the sample line that starts with series, or -1. */
static long long
sample(const char *text, const char *series)
{
	const char *p = text;
	size_t n = strlen(series);
	long long v;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ' &&
		    sscanf(p + n + 1, "%lld", &v) == 1)
			return v;
		p += n;
	}
	return -1;
}

static void
escaping(void)
{
	struct buf b;

	buf_init(&b, 4096);
	met_escape(&b, "a\\b\"c\nd");
	is_str(buf_cstr(&b), "a\\\\b\\\"c\\nd",
	    "backslash, double quote and line feed escaped");
	buf_clear(&b);
	met_escape(&b, "plain-é");
	is_str(buf_cstr(&b), "plain-é", "other bytes as they are");
	buf_free(&b);
}

static void
histogram(void)
{
	struct met_histv v;
	struct met_hist h;
	struct buf b;
	size_t i;

	memset(&h, 0, sizeof(h));
	met_observe(&h, 1000);	   /* le 0.001: the bound is inclusive */
	met_observe(&h, 1001);	   /* le 0.0025 */
	met_observe(&h, 2000000);  /* le 2.5 */
	met_observe(&h, 10000001); /* +Inf only */
	for (i = 0; i <= MET_BUCKETS; i++)
		v.n[i] = atomic_load(&h.n[i]);
	v.sum_us = atomic_load(&h.sum_us);
	is_int((long long)v.sum_us, 1000 + 1001 + 2000000 + 10000001,
	    "sum in microseconds");
	buf_init(&b, 8192);
	met_write_hist(&b, "x_seconds", "a=\"1\"", &v);
	is_str(buf_cstr(&b),
	    "x_seconds_bucket{a=\"1\",le=\"0.001\"} 1\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.0025\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.005\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.01\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.025\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.05\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.1\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.25\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"0.5\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"1\"} 2\n"
	    "x_seconds_bucket{a=\"1\",le=\"2.5\"} 3\n"
	    "x_seconds_bucket{a=\"1\",le=\"5\"} 3\n"
	    "x_seconds_bucket{a=\"1\",le=\"10\"} 3\n"
	    "x_seconds_bucket{a=\"1\",le=\"+Inf\"} 4\n"
	    "x_seconds_sum{a=\"1\"} 12.002002\n"
	    "x_seconds_count{a=\"1\"} 4\n",
	    "cumulative buckets, +Inf, _sum in seconds, _count");
	buf_clear(&b);
	memset(&v, 0, sizeof(v));
	met_write_hist(&b, "y", "", &v);
	ok(strstr(buf_cstr(&b), "y_bucket{le=\"+Inf\"} 0\n") != NULL &&
		strstr(buf_cstr(&b), "y_sum 0.000000\ny_count 0\n") != NULL,
	    "no labels: le alone, bare _sum and _count");
	buf_free(&b);
}

static void
kinds(void)
{
	is_int(met_kind("ami Originate"), BK_AMI, "'ami Originate' is ami");
	is_int(met_kind("pgsql fusionpbx"), BK_PGSQL, "'pgsql fusionpbx'");
	is_int(met_kind("mysql"), BK_MYSQL, "'mysql' alone");
	is_int(met_kind("amiga"), BK_NONE, "a longer first word is none");
	is_int(met_kind("uptime"), BK_NONE, "'uptime' is none");
	is_int(met_kind(NULL), BK_NONE, "NULL is none");
	is_str(met_kind_name(BK_ESL), "esl", "kind names");
}

static void
tables(void)
{
	long long kept, dropped;
	const char *p;
	struct buf b;
	char t[32];
	int i;

	buf_init(&b, LIM_METRICS_TEXT);
	met_request("elastix", "sippeers", "acme", 200, 1500);
	met_request("elastix", "sippeers", "acme", 200, 500);
	met_request("elastix", "sippeers", "acme", 503, 20000);
	met_request("ari", "channels", "we\"ird\\", 401, 100);
	ok(met_write(&b) == 0, "met_write");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_requests_total{dialect=\"elastix\",command="
		   "\"sippeers\",tenant=\"acme\",code=\"200\"}"),
	    2, "one series per label set, counted twice");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_requests_total{dialect=\"elastix\",command="
		   "\"sippeers\",tenant=\"acme\",code=\"503\"}"),
	    1, "another status, another series");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_requests_total{dialect=\"ari\",command="
		   "\"channels\",tenant=\"we\\\"ird\\\\\",code=\"401\"}"),
	    1, "a tenant label escaped");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_request_duration_seconds_count{dialect="
		   "\"elastix\",command=\"sippeers\"}"),
	    3, "the histogram is per dialect and command");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_request_duration_seconds_bucket{dialect="
		   "\"elastix\",command=\"sippeers\",le=\"0.001\"}"),
	    1, "500 us in le 0.001");
	ok(strstr(buf_cstr(&b), "# TYPE pbxapi_requests_total counter\n") !=
		    NULL &&
		strstr(buf_cstr(&b),
		    "# TYPE pbxapi_request_duration_seconds "
		    "histogram\n") != NULL,
	    "TYPE lines");
	for (i = 0; i < MET_REQ_MAX + 5; i++) {
		snprintf(t, sizeof(t), "t%d", i);
		met_request("elastix", "sippeers", t, 200, 1);
	}
	buf_clear(&b);
	ok(met_write(&b) == 0, "met_write with a full table");
	/* 3 series before, MET_REQ_MAX + 5 new: each kept or dropped. */
	dropped = sample(buf_cstr(&b),
	    "pbxapi_metrics_series_dropped_total{table=\"requests\"}");
	for (p = buf_cstr(&b), kept = 0;
	     (p = strstr(p, "\npbxapi_requests_total{")) != NULL; p++)
		kept++;
	ok(kept <= MET_REQ_MAX && dropped >= 5,
	    "a full table keeps at most %d series (%lld) and drops the rest "
	    "(%lld)",
	    MET_REQ_MAX, kept, dropped);
	is_int(kept + dropped, 3 + MET_REQ_MAX + 5,
	    "every new series is kept or counted as dropped");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_requests_total{dialect=\"elastix\",command="
		   "\"sippeers\",tenant=\"acme\",code=\"200\"}"),
	    2, "kept series still there");
	met_request("elastix", "sippeers", "acme", 200, 1);
	buf_clear(&b);
	(void)met_write(&b);
	is_int(sample(buf_cstr(&b),
		   "pbxapi_requests_total{dialect=\"elastix\",command="
		   "\"sippeers\",tenant=\"acme\",code=\"200\"}"),
	    3, "and still counting");
	buf_free(&b);
}

/* A backend kind for the pool: "ami test", opens always. */
static int conn;

static enum err
f_open(void *ctx, uint64_t deadline, void **c, char *why, size_t n)
{
	(void)ctx;
	(void)deadline;
	(void)why;
	(void)n;
	*c = &conn;
	return E_OK;
}

static void
f_close(void *c)
{
	(void)c;
}

static const struct backend be_fake = {
	.name = "ami test", .open = f_open, .close = f_close
};

static void
pool_and_ops(void)
{
	struct tenant tn = { .name = "acme", .index = 0 };
	struct sb_view v;
	struct pool *p;
	struct req r;
	struct buf b;
	void *c;
	int reused, kept;
	char why[64];

	sb_attach(0);
	met_attach(0);
	sb_self_begin();
	p = pool_new(1, 0);
	ok(pool_get(p, &tn, &be_fake, NULL, 0, &c, &reused, why, sizeof(why)) ==
		E_OK,
	    "pool_get");
	is_int(pool_kind_taken(p, &kept), BK_AMI,
	    "the pool names the kind it handed out");
	is_int(kept, 0, "a new connection");
	is_int(pool_kind_taken(p, &kept), BK_NONE, "once");
	pool_drop(p, &tn, &be_fake);
	(void)pool_get(
	    p, &tn, &be_fake, NULL, 0, &c, &reused, why, sizeof(why));
	buf_init(&b, LIM_METRICS_TEXT);
	(void)met_write(&b);
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_connects_total{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    2, "two connects");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_reconnects_total{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    1, "the second a reconnect");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_dropped_total{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    1, "after one drop");
	/* Slot 0 has no pid: a dead worker's connections do not count. */
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_connections{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    0, "pooled connections of live workers only");
	atomic_store(&sb_slot(0)->pid, 1);
	atomic_store(&sb_slot(0)->state, SB_RUNNING);
	buf_clear(&b);
	(void)met_write(&b);
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_connections{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    1, "one pooled connection");

	memset(&r, 0, sizeof(r));
	r.pool = p;
	r.tenant = &tn;
	req_op(&r, "ami connect");
	(void)pool_get(
	    p, &tn, &be_fake, NULL, 0, &c, &reused, why, sizeof(why));
	req_op(&r, "Status"); /* no kind of its own: the pool's */
	sb_view(0, &v);
	is_int(v.bk_ops[BK_AMI], 0,
	    "a connect step that found a kept connection is not counted");
	is_int(v.bk_cur, BK_AMI, "an operation after pool_get: ami");
	req_op(&r, "uptime"); /* none */
	sb_view(0, &v);
	is_int(v.bk_ops[BK_AMI], 1, "it ends with the next one");
	is_int(v.bk_cur, BK_NONE, "'uptime' is no backend's");
	req_op(&r, "esl api");
	sb_view(0, &v);
	is_int(v.bk_cur, BK_ESL, "'esl api': esl, running");
	req_op(&r, NULL);
	sb_view(0, &v);
	is_int(v.bk_cur, BK_NONE, "NULL ends it");
	is_int(v.bk_ops[BK_ESL], 1, "and counts it");
	buf_clear(&b);
	(void)met_write(&b);
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_operation_duration_seconds_count{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    1, "the ami operation observed");
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_operation_duration_seconds_count{tenant="
		   "\"acme\",backend=\"esl\"}"),
	    1, "the esl one too");
	pool_free(p);
	buf_clear(&b);
	(void)met_write(&b);
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_dropped_total{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    1, "closing the pool is no drop");
	buf_clear(&b);
	(void)met_write(&b);
	is_int(sample(buf_cstr(&b),
		   "pbxapi_backend_connections{tenant="
		   "\"acme\",backend=\"ami\"}"),
	    0, "closed connections leave the gauge");
	buf_free(&b);
}

int
main(void)
{
	escaping();
	histogram();
	kinds();
	ok(met_write(NULL) == -1, "no tables: -1");
	if (!ok(sb_create() == 0 && met_create() == 0, "tables mapped"))
		return done_testing();
	tables();
	pool_and_ops();
	return done_testing();
}
