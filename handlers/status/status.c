/*
 * The pool's status and ping pages, with php-fpm's field names: plain
 * text by default, ?json, and ?full for one block per worker; the health
 * checks (health.c) and the Prometheus metrics (fcgi/metrics.c).  Access
 * is limited to the addresses in status.allow, or a request carrying
 * status.token or an admin-scoped token.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "digest.h"
#include "dispatch.h"
#include "health.h"
#include "json.h"
#include "metrics.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "scoreboard.h"
#include "worker.h"

/* Returns 1 if addr lies in the "a.b.c.d[/n]" or "x::y[/n]" entry. */
static int
addr_match(const char *entry, size_t elen, const char *addr)
{
	unsigned char want[16], got[16];
	char e[64], *slash;
	int af, bits, len, i;

	if (elen >= sizeof(e))
		return 0;
	memcpy(e, entry, elen);
	e[elen] = '\0';
	slash = strchr(e, '/');
	if (slash != NULL)
		*slash++ = '\0';
	af = strchr(e, ':') ? AF_INET6 : AF_INET;
	len = af == AF_INET6 ? 16 : 4;
	if (inet_pton(af, e, want) != 1 || inet_pton(af, addr, got) != 1)
		return 0;
	bits = slash ? atoi(slash) : len * 8;
	if (bits < 0 || bits > len * 8)
		return 0;
	for (i = 0; i < len && bits > 0; i++, bits -= 8) {
		unsigned char mask =
		    bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((want[i] & mask) != (got[i] & mask))
			return 0;
	}
	return 1;
}

static int
addr_allowed(const char *list, const char *addr)
{
	size_t n;

	if (addr == NULL)
		return 0;
	while (*list != '\0') {
		list += strspn(list, ", \t");
		n = strcspn(list, ", \t");
		if (n > 0 && addr_match(list, n, addr))
			return 1;
		list += n;
	}
	return 0;
}

static enum err
status_auth(struct req *r)
{
	const char *key = req_param(r, "HTTP_AUTHORIZATION");
	const struct token *tk;
	const char *want = r->conf->status_token;
	uint8_t a[SHA256_LEN], b[SHA256_LEN];

	r->scopes = SCOPE_ADMIN;
	if (addr_allowed(r->conf->status_allow, req_param(r, "REMOTE_ADDR")))
		return E_OK;
	if (key == NULL || *key == '\0')
		return E_FORBIDDEN;
	if (strncmp(key, "Bearer ", 7) == 0)
		key += 7;
	if (*want != '\0') {
		sha256(want, strlen(want), a);
		sha256(key, strlen(key), b);
		if (ct_equal(a, b, SHA256_LEN))
			return E_OK;
	}
	tk = conf_token(r->conf, key, strlen(key));
	if (tk != NULL && (tk->scopes & SCOPE_ADMIN)) {
		r->token = tk; /* its command list, if any, applies */
		return E_OK;
	}
	return E_FORBIDDEN;
}

static enum err
status_route(struct req *r, const char **name, size_t *n)
{
	const struct conf *c = r->conf;

	if (strcmp(r->path, c->ping_path) == 0)
		*name = "ping";
	else if (strcmp(r->path, c->health_path) == 0)
		*name = "health";
	else if (strcmp(r->path, c->ready_path) == 0)
		*name = "ready";
	else if (strcmp(r->path, c->metrics_path) == 0)
		*name = "metrics";
	else
		*name = "status";
	*n = strlen(*name);
	return E_OK;
}

void
status_no_cache(struct reply *rp)
{
	reply_header(rp, "Expires", "Thu, 01 Jan 1970 00:00:00 GMT");
	reply_header(rp, "Cache-Control",
	    "no-cache, no-store, must-revalidate, max-age=0");
}

static enum err
ping(struct req *r, struct reply *rp)
{
	reply_text(rp, "text/plain", r->conf->ping_response,
	    strlen(r->conf->ping_response));
	status_no_cache(rp);
	return E_OK;
}

/* Output helpers: one set of calls writes text or JSON. */
struct out {
	struct jw *w;
	struct buf *b;
};

static void
out_str(struct out *o, const char *k, const char *v)
{
	if (o->w != NULL) {
		jw_keyz(o->w, k);
		jw_strz(o->w, v);
	} else
		buf_printf(o->b, "%s:%*s%s\n", k, (int)(21 - strlen(k)), "", v);
}

static void
out_num(struct out *o, const char *k, uint64_t v)
{
	if (o->w != NULL) {
		jw_keyz(o->w, k);
		jw_int(o->w, (int64_t)v);
	} else
		buf_printf(o->b, "%s:%*s%" PRIu64 "\n", k,
		    (int)(21 - strlen(k)), "", v);
}

static void
out_time(struct out *o, const char *k, uint64_t t)
{
	char when[64];
	time_t tt = (time_t)t;
	struct tm tm;

	if (o->w != NULL) {
		out_num(o, k, t);
		return;
	}
	localtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm);
	out_str(o, k, when);
}

/* Listen queue of a TCP listening socket (0 for unix sockets). */
static void
listen_queue(const struct req *r, unsigned *queue, unsigned *len)
{
	struct tcp_info ti;
	socklen_t sl = sizeof(ti);

	*queue = *len = 0;
	(void)r;
	if (getsockopt(worker_listen_fd(), IPPROTO_TCP, TCP_INFO, &ti, &sl) ==
	    0) {
		*queue = ti.tcpi_unacked;
		*len = ti.tcpi_sacked;
	}
}

static void
pool_fields(struct req *r, struct out *o)
{
	struct sb_pool *p = sb_pool();
	static const char *const modes[] = { "static", "dynamic", "single" };
	uint64_t now = (uint64_t)time(NULL), idle = 0, active = 0;
	unsigned gen = atomic_load(&p->gen), q, ql;
	struct sb_view v;
	size_t i;

	for (i = 0; i < SB_SLOTS; i++) {
		sb_view(i, &v);
		if (v.pid == 0 || v.state == SB_FREE || v.role != SB_POOL)
			continue;
		if (v.state == SB_IDLE || v.state == SB_STARTING)
			idle++;
		else
			active++;
	}
	listen_queue(r, &q, &ql);
	out_str(o, "pool", "pbxapi");
	out_str(o, "process manager", modes[atomic_load(&p->pm) % 3]);
	out_time(o, "start time", atomic_load(&p->start));
	out_num(o, "start since", now - atomic_load(&p->start));
	out_num(o, "accepted conn", atomic_load(&p->accepted));
	out_num(o, "listen queue", q);
	out_num(o, "max listen queue", q);
	out_num(o, "listen queue len", ql);
	out_num(o, "idle processes", idle);
	out_num(o, "active processes", active);
	out_num(o, "total processes", idle + active);
	out_num(o, "max active processes", atomic_load(&p->max_active));
	out_num(
	    o, "max children reached", atomic_load(&p->max_children_reached));
	out_num(o, "slow requests", atomic_load(&p->slow));
	out_num(o, "terminated requests", atomic_load(&p->terminated));
	out_num(o, "generation", gen);
}

static void
proc_fields(struct out *o, const struct sb_view *v)
{
	uint64_t now = (uint64_t)time(NULL), dur = v->last_us;
	char cpu[400];

	if (v->started_us != 0)
		dur = now_us() - v->started_us;
	out_num(o, "pid", (uint64_t)v->pid);
	out_str(o, "state", sb_state_name(v->state));
	out_time(o, "start time", v->spawned);
	out_num(o, "start since", now - v->spawned);
	out_num(o, "requests", v->requests);
	out_num(o, "request duration", dur);
	out_str(o, "request method", v->method[0] ? v->method : "-");
	out_str(o, "request URI", v->uri[0] ? v->uri : "-");
	out_num(o, "content length", (uint64_t)v->clen);
	out_str(o, "user", "-");
	out_str(o, "script", "-");
	snprintf(cpu, sizeof(cpu), "%.2f",
	    v->last_us ? 100.0 * (double)v->last_cpu_us / (double)v->last_us
		       : 0.0);
	if (o->w != NULL) {
		jw_keyz(o->w, "last request cpu");
		jw_number(o->w, cpu, strlen(cpu));
	} else
		out_str(o, "last request cpu", cpu);
	out_num(o, "last request memory", v->last_mem);
	out_num(o, "generation", v->gen);
	out_str(o, "tenant", v->tenant[0] ? v->tenant : "-");
	out_str(o, "dialect", v->dialect[0] ? v->dialect : "-");
	out_str(o, "command", v->cmd[0] ? v->cmd : "-");
	out_str(o, "backend operation", v->op[0] ? v->op : "-");
}

static enum err
status(struct req *r, struct reply *rp)
{
	int json = pv_getz(r->get, "json") != NULL;
	int full = pv_getz(r->get, "full") != NULL;
	struct out o = { 0 };
	struct sb_view v;
	struct buf text;
	size_t i;

	if (sb_pool() == NULL)
		return req_error(r, E_NOTSUP, "no scoreboard");
	if (json) {
		o.w = reply_json(rp, JW_UTF8);
		jw_obj_open(o.w);
	} else {
		buf_init(&text, 4 * 1024 * 1024);
		o.b = &text;
	}
	pool_fields(r, &o);
	status_companion(r, o.w, o.b);
	if (full) {
		if (o.w != NULL) {
			jw_keyz(o.w, "processes");
			jw_arr_open(o.w);
		}
		for (i = 0; i < SB_SLOTS; i++) {
			sb_view(i, &v);
			if (v.pid == 0 || v.state == SB_FREE ||
			    v.role != SB_POOL)
				continue;
			if (o.w != NULL)
				jw_obj_open(o.w);
			else
				buf_adds(o.b, "\n************************\n");
			proc_fields(&o, &v);
			if (o.w != NULL)
				jw_obj_close(o.w);
		}
		if (o.w != NULL)
			jw_arr_close(o.w);
	}
	if (o.w != NULL)
		jw_obj_close(o.w);
	else {
		reply_text(
		    rp, "text/plain", text.data ? text.data : "", text.len);
		buf_free(&text);
	}
	status_no_cache(rp);
	return E_OK;
}

/* Prometheus' text exposition format, version 0.0.4. */
static enum err
metrics(struct req *r, struct reply *rp)
{
	struct buf text;
	int rc;

	buf_init(&text, LIM_METRICS_TEXT);
	rc = met_write(&text);
	if (rc != -1) {
		metrics_companion(r, &text);
		rc = text.overflow ? -1 : 0;
	}
	if (rc == -1) {
		buf_free(&text);
		return req_error(r, E_INTERNAL,
		    "metrics unavailable or over "
		    "%d bytes",
		    LIM_METRICS_TEXT);
	}
	reply_text(rp, "text/plain; version=0.0.4; charset=utf-8",
	    text.data ? text.data : "", text.len);
	buf_free(&text);
	status_no_cache(rp);
	return E_OK;
}

static const struct param status_params[] = {
	{ .name = "json", .src = SRC_QUERY, .type = PT_STR },
	{ .name = "full", .src = SRC_QUERY, .type = PT_STR },
};

static const struct cmd cmds[] = {
	{ .name = "status",
	    .methods = M_GET | M_HEAD,
	    .scope = SCOPE_ADMIN,
	    .path = "/status", /* pm.status_path's default, for the doc */
	    PARAMS(status_params),
	    .run = status },
	{ .name = "ping",
	    .methods = M_GET | M_HEAD,
	    .scope = SCOPE_ADMIN,
	    .path = "/ping", /* ping.path's default, for the doc */
	    .run = ping },
	{ .name = "health",
	    .methods = M_GET | M_HEAD,
	    .scope = SCOPE_ADMIN,
	    .path = "/healthz", /* health.path's default, for the doc */
	    .run = health },
	{ .name = "ready",
	    .methods = M_GET | M_HEAD,
	    .scope = SCOPE_ADMIN,
	    .path = "/readyz", /* ready.path's default, for the doc */
	    .run = ready },
	{ .name = "metrics",
	    .methods = M_GET | M_HEAD,
	    .scope = SCOPE_ADMIN,
	    .path = "/metrics", /* metrics.path's default, for the doc */
	    .run = metrics },
};

static const struct family status_family = {
	.name = "status",
	CMDS(cmds),
};

static const struct family *const families[] = {
	&status_family,
	NULL,
};

static const struct doc_auth token_doc = {
	.id = "statusToken",
	.type = "http",
	.scheme = "bearer",
	.text = "status.token or an admin-scoped token (Bearer optional); "
		"or none from an address in status.allow.",
};

static const struct doc_auth *const auths[] = { &token_doc, NULL };

static const struct dialect_doc doc = {
	.text = "The pool's status and ping pages, the health checks and "
		"the Prometheus metrics, at pm.status_path, ping.path, "
		"health.path, ready.path and metrics.path (their defaults "
		"here).",
	.auth = auths,
};

const struct dialect status_dialect = {
	.name = "status",
	.doc = &doc,
	.body_kinds = 0,
	.families = families,
	.auth = status_auth,
	.route = status_route,
	.error = dialect_json_error,
	.unknown = dialect_not_found,
};
