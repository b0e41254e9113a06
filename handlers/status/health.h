/*
 * Health checks for load balancers and systemd, served by the status
 * dialect (status.c) under its access rule: /healthz says the pool
 * answers, /readyz that each tenant's backends are reachable.
 */
#ifndef PBXAPI_HEALTH_H
#define PBXAPI_HEALTH_H

#include "err.h"

struct reply;
struct req;

/*
 * Writes {"status":"ok","version":...,"pid":...,"uptime":...}: the worker
 * answering is the proof.  With status 503 and "stopping" if this worker
 * was told to stop.  Returns E_OK.
 */
enum err health(struct req *r, struct reply *rp);

/*
 * Probes every backend each tenant is configured for (each result kept
 * ready.cache by this worker; all within ready.probe_timeout, at most
 * backend_timeout) and writes {"status":"ready","tenants":{name:{kind:
 * "up"}}}, or with status 503 "not ready" and "down", "timeout" or
 * "unchecked" (the deadline ran out first) for what failed; the reasons
 * go to the log only.  Returns E_OK.
 */
enum err ready(struct req *r, struct reply *rp);

/* Adds the headers that keep a status answer out of caches. */
void status_no_cache(struct reply *rp);

struct buf;
struct jw;

/*
 * The event companion on /status (companion.c): its slot and its
 * tenants' sources, into w (JSON) or text; nothing when no tenant has
 * events and no companion runs.
 */
void status_companion(struct req *r, struct jw *w, struct buf *text);

/* Its Prometheus families, appended to b (/metrics). */
void metrics_companion(struct req *r, struct buf *b);

#endif
