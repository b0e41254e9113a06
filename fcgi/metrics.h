/*
 * Metrics for Prometheus: counters that every worker adds to and any
 * worker reads, in one shared anonymous mapping made by the master before
 * it forks (like the scoreboard), so that they outlive workers, crashes
 * and reloads.  Three bounded tables of series, each found by hashing its
 * labels once per request, then updated with atomics:
 *
 *	requests	(dialect, command, tenant, code): a counter
 *	durations	(dialect, command): a latency histogram
 *	backends	(tenant, backend kind): connects, reconnects,
 *			connect failures, drops, an operation latency
 *			histogram, and the pooled connections of each worker
 *
 * A table that is full drops the new series and counts it
 * (pbxapi_metrics_series_dropped_total) instead of growing.
 */
#ifndef PBXAPI_METRICS_H
#define PBXAPI_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Backend kinds: the first word of a pool backend's or operation's name. */
enum bk {
	BK_NONE, /* not a backend (a file, a system call) */
	BK_AMI,
	BK_ARI,
	BK_MYSQL,
	BK_PGSQL,
	BK_ESL,
	BK_HTTP,
	BK__MAX
};

#define MET_REQ_MAX 2048 /* (dialect, command, tenant, code) series */
#define MET_DUR_MAX 512	 /* (dialect, command) histograms */
#define MET_BK_MAX  512	 /* (tenant, kind) backend series */
#define MET_BUCKETS 13	 /* histogram bounds, +Inf apart */

/* A histogram: counts per bucket (not cumulative), +Inf last. */
struct met_hist {
	_Atomic uint64_t n[MET_BUCKETS + 1];
	_Atomic uint64_t sum_us;
};

/* A histogram as read, for the writer. */
struct met_histv {
	uint64_t n[MET_BUCKETS + 1];
	uint64_t sum_us;
};

/* Maps the tables (master, once, before forking).  Returns 0 or -1. */
int met_create(void);

/* Master: clears the pooled connections of scoreboard slot i. */
void met_slot_reset(size_t i);

/* Worker: its pooled connections are counted in scoreboard slot i. */
void met_attach(size_t i);

/* Returns the kind named by the first word of name, or BK_NONE. */
enum bk met_kind(const char *name);

/* Returns a kind's label value ("ami"), "-" for BK_NONE. */
const char *met_kind_name(enum bk k);

/* Counts one answered request that took dur_us. */
void met_request(const char *dialect, const char *cmd, const char *tenant,
    int code, uint64_t dur_us);

/* Counts a connect of tenant's kind k: ok or failed, first or again. */
void met_connect(const char *tenant, enum bk k, int again, int failed);

/* Counts a connection of tenant's kind k dropped or found closed. */
void met_dropped(const char *tenant, enum bk k);

/* Adds delta to this worker's pooled connections of tenant's kind k. */
void met_pooled(const char *tenant, enum bk k, int delta);

/* Counts one backend operation of tenant's kind k that took us. */
void met_op(const char *tenant, enum bk k, uint64_t us);

/* Adds an observation of us microseconds to h. */
void met_observe(struct met_hist *h, uint64_t us);

/*
 * The exposition format (text, version 0.0.4).  met_escape appends s as
 * a label value's text (backslash, double quote and line feed escaped);
 * met_write_hist appends one histogram series: cumulative _bucket lines
 * for each bound and +Inf, then _sum (seconds) and _count.  labels is
 * the series' labels already escaped ("a=\"x\"") or "".
 */
void met_escape(struct buf *b, const char *s);
void met_write_hist(struct buf *b, const char *name, const char *labels,
    const struct met_histv *h);

/* Appends every metric to b.  Returns 0, or -1 if b is full. */
int met_write(struct buf *b);

#endif
