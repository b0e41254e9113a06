/*
 * The companion's local interface server (see local.h).
 */
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "companion.h"
#include "conf.h"
#include "json.h"
#include "limits.h"
#include "local.h"
#include "local_proto.h"
#include "log.h"
#include "netio.h"
#include "publish.h"
#include "rwriter.h"
#include "shared.h"
#include "state.h"
#include "util.h"
#include "wcs.h"

#define WRITE_MS 1000 /* a reply must leave within this */
#define POLL_MS	 200  /* how often c->stop is looked at */

struct verb {
	const char *name;
	size_t min_args, max_args;
	int (*run)(
	    struct companion *c, const struct local_req *r, struct buf *out);
};

/* Sets the error text "what 'ARG'" (the n bytes at arg; NULL: none). */
static int
err_text(struct buf *out, const char *what, const char *arg, size_t n)
{
	buf_clear(out);
	buf_adds(out, what);
	if (arg != NULL) {
		buf_adds(out, " '");
		buf_add(out, arg, n);
		buf_adds(out, "'");
	}
	return 0;
}

/* The tenant of the first argument, or NULL with the error set. */
static struct cmp_src *
tenant_arg(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct cmp_src *s = companion_find(c, r->arg[0].p, r->arg[0].n);

	if (s == NULL)
		err_text(out, "no events for tenant", r->arg[0].p, r->arg[0].n);
	return s;
}

static int
v_channels(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct cmp_src *s = tenant_arg(c, r, out);

	if (s == NULL)
		return 0;
	if (st_channels_json(s->st, out) == -1)
		return err_text(out, "reply too large", NULL, 0);
	return 1;
}

static int
v_peers(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct cmp_src *s = tenant_arg(c, r, out);

	if (s == NULL)
		return 0;
	if (st_peers_json(s->st, out) == -1)
		return err_text(out, "reply too large", NULL, 0);
	return 1;
}

/* endpoints TENANT: "SYNCED AGE\n" and the endpoint listing's text. */
static int
v_endpoints(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct cmp_src *s = tenant_arg(c, r, out);
	int rc;

	if (s == NULL)
		return 0;
	if ((rc = st_endpoints(s->st, out)) == 1)
		return err_text(out, "no endpoint listing for tenant",
		    r->arg[0].p, r->arg[0].n);
	if (rc == -1)
		return err_text(out, "reply too large", NULL, 0);
	return 1;
}

static int
v_journal(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct cmp_src *s = tenant_arg(c, r, out);
	uint64_t since = 0;
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < r->arg[1].n; i++) {
		if (r->arg[1].p[i] < '0' || r->arg[1].p[i] > '9' || i == 19)
			return err_text(
			    out, "bad id", r->arg[1].p, r->arg[1].n);
		since = since * 10 + (uint64_t)(r->arg[1].p[i] - '0');
	}
	if (c->shared != NULL)
		return shared_journal(c->shared, s->st, since,
		    (size_t)c->conf->events_journal, out);
	if (st_journal_json(s->st, since, out) == -1)
		return err_text(out, "reply too large", NULL, 0);
	return 1;
}

/* A tenant's status, and with redis set its lease's holder. */
static void
status_tenant(struct cmp_src *s, struct jw *w)
{
	jw_obj_open(w);
	st_status_fields(s->st, w);
	if (s->lease != NULL) {
		pthread_mutex_lock(&s->lmu);
		jw_keyz(w, "lease holder");
		jw_str(w, s->holder, strlen(s->holder));
		jw_keyz(w, "lease mine");
		jw_bool(w, s->mine);
		pthread_mutex_unlock(&s->lmu);
	}
	jw_obj_close(w);
}

static int
v_status(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct jw w;
	size_t i;

	(void)r;
	jw_init(&w, out, JW_UTF8);
	jw_obj_open(&w);
	jw_keyz(&w, "pid");
	jw_int(&w, (int64_t)getpid());
	jw_keyz(&w, "start time");
	jw_int(&w, (int64_t)c->started);
	jw_keyz(&w, "tenants");
	jw_arr_open(&w);
	for (i = 0; i < c->nsrc; i++)
		status_tenant(&c->src[i], &w);
	jw_arr_close(&w);
	jw_obj_close(&w);
	return 1;
}

/* The Prometheus families of the companion (fcgi/metrics.c adds them). */
static const struct {
	const char *name, *type, *help;
} families[] = {
	{ "pbxapi_companion_up", "gauge",
	    "1 while the tenant's event source is connected and synced." },
	{ "pbxapi_companion_events_total", "counter",
	    "Events received from the tenant's backend." },
	{ "pbxapi_companion_lag_seconds", "gauge",
	    "Now minus the backend's timestamp of the last event." },
	{ "pbxapi_companion_reconnects_total", "counter",
	    "Times the tenant's event source was started again." },
	{ "pbxapi_companion_state_age_seconds", "gauge",
	    "Seconds since the state stopped being synced (0: synced)." },
	{ "pbxapi_companion_channels", "gauge", "Channels held." },
	{ "pbxapi_companion_overflow_total", "counter",
	    "Channels, peers and members not kept: the store was full." },
};

/* The publisher's families (events.publish), without labels. */
static const struct {
	const char *name, *type, *help;
} pub_families[] = {
	{ "pbxapi_events_published_total", "counter",
	    "Events nchan accepted (events.publish)." },
	{ "pbxapi_events_publish_dropped_total", "counter",
	    "Events not published: the publisher's queue was full." },
	{ "pbxapi_events_publish_refused_total", "counter",
	    "Events nchan answered with an error status, dropped." },
	{ "pbxapi_events_publish_errors_total", "counter",
	    "Connections to nchan's publisher socket that failed." },
	{ "pbxapi_events_publish_queued", "gauge",
	    "Events waiting to be published." },
	{ "pbxapi_events_publish_connected", "gauge",
	    "1 while the connection to nchan is open." },
};

/* The Redis writer's families (redis), without labels. */
static const struct {
	const char *name, *type, *help;
} rw_families[] = {
	{ "pbxapi_redis_writes_total", "counter",
	    "WCS call statuses and journal events written to Redis." },
	{ "pbxapi_redis_write_dropped_total", "counter",
	    "Writes to Redis not made: the writer's queue was full." },
	{ "pbxapi_redis_write_errors_total", "counter",
	    "Writes to Redis that failed or that Redis refused." },
	{ "pbxapi_redis_write_fenced_total", "counter",
	    "Writes not made: the tenant's lease is another node's." },
	{ "pbxapi_redis_lookups_total", "counter",
	    "Channels looked up in the shared WCS registry." },
	{ "pbxapi_redis_write_queued", "gauge", "Writes waiting." },
};

static void
rw_metrics(struct companion *c, struct buf *out)
{
	struct rw_stats rs;
	double v[nitems(rw_families)];
	size_t f;

	if (c->rw == NULL)
		return;
	rw_stats(c->rw, &rs);
	v[0] = (double)rs.written;
	v[1] = (double)rs.dropped;
	v[2] = (double)rs.failed;
	v[3] = (double)rs.fenced;
	v[4] = (double)rs.lookups;
	v[5] = (double)rs.queued;
	for (f = 0; f < nitems(rw_families); f++)
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.0f\n",
		    rw_families[f].name, rw_families[f].help,
		    rw_families[f].name, rw_families[f].type,
		    rw_families[f].name, v[f]);
}

static void
pub_metrics(struct companion *c, struct buf *out)
{
	struct pub_stats ps;
	double v[nitems(pub_families)];
	size_t f;

	if (c->pub == NULL)
		return;
	pub_stats(c->pub, &ps);
	v[0] = (double)ps.published;
	v[1] = (double)ps.dropped;
	v[2] = (double)ps.refused;
	v[3] = (double)ps.errors;
	v[4] = (double)ps.queued;
	v[5] = ps.connected;
	for (f = 0; f < nitems(pub_families); f++)
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %.0f\n",
		    pub_families[f].name, pub_families[f].help,
		    pub_families[f].name, pub_families[f].type,
		    pub_families[f].name, v[f]);
}

static void
metric(struct buf *b, size_t f, const struct cmp_src *s, double v)
{
	/* Counts as integers, seconds with milliseconds. */
	buf_printf(b,
	    v == (double)(uint64_t)v
		? "%s{tenant=\"%s\",backend=\"%s\"} %.0f\n"
		: "%s{tenant=\"%s\",backend=\"%s\"} %.3f\n",
	    families[f].name, st_name(s->st), s->backend, v);
}

static int
v_metrics(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct st_stats st;
	size_t f, i;

	(void)r;
	for (f = 0; f < nitems(families); f++) {
		buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n",
		    families[f].name, families[f].help, families[f].name,
		    families[f].type);
		for (i = 0; i < c->nsrc; i++) {
			st_stats(c->src[i].st, &st);
			double v[] = { st.synced, (double)st.events,
				st.lag < 0 ? 0 : st.lag,
				(double)atomic_load(&c->src[i].reconnects),
				st.age < 0 ? 0 : st.age, (double)st.channels,
				(double)st.overflow };
			metric(out, f, &c->src[i], v[f]);
		}
	}
	pub_metrics(c, out);
	rw_metrics(c, out);
	return 1;
}

static int
v_ping(struct companion *c, const struct local_req *r, struct buf *out)
{
	(void)c;
	(void)r;
	buf_adds(out, "pong");
	return 1;
}

/* Argument i of r as a string in dst (LOCAL_ARG_MAX + 1); "-" absent. */
static const char *
arg_z(const struct local_req *r, size_t i, char *dst)
{
	if (i >= r->nargs)
		return "-";
	memcpy(dst, r->arg[i].p, r->arg[i].n);
	dst[r->arg[i].n] = '\0';
	return dst;
}

/* The registry of the tenant of the first argument, or NULL (error). */
static struct cmp_src *
wcs_tenant(struct companion *c, const struct local_req *r, struct buf *out)
{
	struct cmp_src *s = tenant_arg(c, r, out);

	if (s != NULL && s->wcs == NULL) {
		err_text(out, "no WCS registry for tenant", r->arg[0].p,
		    r->arg[0].n);
		return NULL;
	}
	return s;
}

/*
 * wcs.reserve TENANT CALLID KEY META (KEY, META "-": none).  With redis
 * set the call is reserved in Redis only, across the hosts (shared.h):
 * the lease holder's companion adopts it from there at its first event.
 */
static int
v_wcs_reserve(struct companion *c, const struct local_req *r, struct buf *out)
{
	char idb[LOCAL_ARG_MAX + 1], keyb[LOCAL_ARG_MAX + 1],
	    metab[LOCAL_ARG_MAX + 1], ans[256];
	struct cmp_src *s = wcs_tenant(c, r, out);
	const char *id, *key, *meta;
	struct wcs_call m;
	int rc;

	if (s == NULL)
		return 0;
	id = arg_z(r, 1, idb);
	key = arg_z(r, 2, keyb);
	meta = arg_z(r, 3, metab);
	if (c->shared == NULL)
		return wcs_reserve(s->wcs, s->st, id, key, meta, out);
	if (strlen(id) > WCS_ID_MAX || strlen(key) > WCS_ID_MAX)
		return err_text(out, "callId or key too long", NULL, 0);
	memset(&m, 0, sizeof(m));
	if (wcs_meta(&m, strcmp(meta, "-") == 0 ? "" : meta) == -1)
		return err_text(out, "bad meta", NULL, 0);
	rc = shared_reserve(
	    c->shared, s->t->name, id, key, &m, ans, sizeof(ans));
	if (rc == -1)
		return err_text(out, ans, NULL, 0);
	/* A live channel of that id (this host's state knows it): undone. */
	if (rc == 1 && st_has(s->st, id)) {
		if (shared_done(c->shared, s->t->name, id, key, 0, ans,
			sizeof(ans)) == -1)
			log_warnx("tenant '%s': wcs reservation of '%s' not "
				  "undone: %s",
			    s->t->name, id, ans);
		snprintf(ans, sizeof(ans), "conflict");
	}
	buf_adds(out, ans);
	return 1;
}

/* wcs.done TENANT CALLID STATUS [KEY]: the outcome of a startup. */
static int
v_wcs_done(struct companion *c, const struct local_req *r, struct buf *out)
{
	char idb[LOCAL_ARG_MAX + 1], st[LOCAL_ARG_MAX + 1],
	    keyb[LOCAL_ARG_MAX + 1], why[256];
	struct cmp_src *s = wcs_tenant(c, r, out);
	const char *id, *key;
	int status;

	if (s == NULL)
		return 0;
	arg_z(r, 2, st);
	status = atoi(st);
	if (status < 100 || status > 599 || strspn(st, "0123456789") != 3)
		return err_text(out, "bad status", r->arg[2].p, r->arg[2].n);
	id = arg_z(r, 1, idb);
	key = arg_z(r, 3, keyb);
	if (c->shared != NULL &&
	    shared_done(
		c->shared, s->t->name, id, key, status, why, sizeof(why)) == -1)
		log_warnx("tenant '%s': wcs outcome of '%s' not shared: %s",
		    s->t->name, id, why);
	/* With redis set, this host's registry holds it if it adopted it. */
	return wcs_done(s->wcs, id, key, status, out);
}

/*
 * The age of the shared registry as this host can tell: its own state's
 * while it holds the lease; on a host standing by, 0 while another node
 * holds it (that node keeps the records), the standby's age otherwise.
 */
static double
shared_age(struct cmp_src *s, const struct st_stats *st)
{
	int mine, held;

	pthread_mutex_lock(&s->lmu);
	mine = s->mine;
	held = strncmp(s->holder, "redis", 5) != 0 && s->holder[0] != '\0';
	pthread_mutex_unlock(&s->lmu);
	return mine || !held ? st->age : 0;
}

/* wcs.find TENANT [FILTER]: "AGE\n" and the calls' JSON array. */
static int
v_wcs_find(struct companion *c, const struct local_req *r, struct buf *out)
{
	char filter[LOCAL_ARG_MAX + 1];
	struct cmp_src *s = wcs_tenant(c, r, out);
	struct st_stats st;

	if (s == NULL)
		return 0;
	st_stats(s->st, &st);
	if (c->shared != NULL)
		return shared_find(c->shared, s->t->name, arg_z(r, 1, filter),
		    shared_age(s, &st), out);
	return wcs_find(s->wcs, arg_z(r, 1, filter), st.age, out);
}

/* idem.claim TENANT KEY: an Idempotency-Key's first outcome, or "new". */
static int
v_idem_claim(struct companion *c, const struct local_req *r, struct buf *out)
{
	char key[LOCAL_ARG_MAX + 1];
	struct cmp_src *s = wcs_tenant(c, r, out);

	if (s == NULL)
		return 0;
	if (c->shared != NULL)
		return shared_idem_claim(
		    c->shared, s->t->name, arg_z(r, 1, key), out);
	return wcs_idem_claim(s->wcs, arg_z(r, 1, key), out);
}

/* idem.put TENANT KEY CHUNK: a piece of the first answer's body. */
static int
v_idem_put(struct companion *c, const struct local_req *r, struct buf *out)
{
	char key[LOCAL_ARG_MAX + 1], chunk[LOCAL_ARG_MAX + 1];
	struct cmp_src *s = wcs_tenant(c, r, out);

	if (s == NULL)
		return 0;
	if (c->shared != NULL)
		return shared_idem_put(c->shared, s->t->name, arg_z(r, 1, key),
		    arg_z(r, 2, chunk), out);
	return wcs_idem_put(s->wcs, arg_z(r, 1, key), arg_z(r, 2, chunk), out);
}

/* idem.done TENANT KEY STATUS: its first answer's status (0: forget). */
static int
v_idem_done(struct companion *c, const struct local_req *r, struct buf *out)
{
	char key[LOCAL_ARG_MAX + 1], st[LOCAL_ARG_MAX + 1];
	struct cmp_src *s = wcs_tenant(c, r, out);
	int status;

	if (s == NULL)
		return 0;
	arg_z(r, 2, st);
	status = atoi(st);
	if (strspn(st, "0123456789") != strlen(st) || status > 599 ||
	    (status != 0 && status < 100))
		return err_text(out, "bad status", r->arg[2].p, r->arg[2].n);
	if (c->shared != NULL)
		return shared_idem_done(
		    c->shared, s->t->name, arg_z(r, 1, key), status, out);
	return wcs_idem_done(s->wcs, arg_z(r, 1, key), status, out);
}

/* The verbs. */
static const struct verb verbs[] = {
	{ "channels", 1, 1, v_channels },
	{ "peers", 1, 1, v_peers },
	{ "endpoints", 1, 1, v_endpoints },
	{ "journal", 2, 2, v_journal },
	{ "status", 0, 0, v_status },
	{ "metrics", 0, 0, v_metrics },
	{ "ping", 0, 0, v_ping },
	{ "wcs.reserve", 4, 4, v_wcs_reserve },
	{ "wcs.done", 3, 4, v_wcs_done },
	{ "wcs.find", 1, 2, v_wcs_find },
	{ "idem.claim", 2, 2, v_idem_claim },
	{ "idem.put", 3, 3, v_idem_put },
	{ "idem.done", 3, 3, v_idem_done },
};

int
local_answer(struct companion *c, const struct local_req *r, struct buf *out)
{
	size_t i;

	for (i = 0; i < nitems(verbs); i++)
		if (local_is(r->verb, verbs[i].name))
			break;
	if (i == nitems(verbs))
		return err_text(out, "unknown verb", r->verb.p, r->verb.n);
	if (r->nargs < verbs[i].min_args || r->nargs > verbs[i].max_args)
		return err_text(
		    out, "wrong number of arguments for", r->verb.p, r->verb.n);
	return verbs[i].run(c, r, out);
}

struct conn {
	int fd;
	size_t len;
	char in[LIM_LOCAL_LINE];
};

/*
 * Sends the head and the body in one sendmsg() when the socket takes
 * them (one wake-up of the worker, not two), the rest under WRITE_MS.
 * Returns 0 or -1.
 */
static int
send_reply(int fd, const char *head, size_t hlen, const struct buf *body)
{
	struct iovec iov[2] = { { (void *)(uintptr_t)head, hlen },
		{ body->data, body->len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t w = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	size_t done;

	if (w == -1 && errno != EAGAIN && errno != EINTR)
		return -1;
	done = w > 0 ? (size_t)w : 0;
	if (done < hlen &&
	    net_write(fd, head + done, hlen - done, net_deadline(WRITE_MS)) ==
		-1)
		return -1;
	done = done > hlen ? done - hlen : 0;
	if (done < body->len &&
	    net_write(fd, body->data + done, body->len - done,
		net_deadline(WRITE_MS)) == -1)
		return -1;
	return 0;
}

/* Answers every whole request in c's buffer.  Returns 0, or -1 to drop. */
static int
conn_requests(struct companion *cmp, struct conn *c, struct buf *out)
{
	struct local_req r;
	enum local_rc rc;
	char head[64];
	size_t used;
	int ok, n;

	while ((rc = local_parse_req(c->in, c->len, &r, &used)) == LOCAL_OK) {
		buf_clear(out);
		ok = local_answer(cmp, &r, out);
		if (out->overflow) {
			buf_clear(out);
			buf_adds(out, "reply too large");
			ok = 0;
		}
		n = snprintf(head, sizeof(head), "%s %zu\n", ok ? "OK" : "ERR",
		    out->len);
		if (send_reply(c->fd, head, (size_t)n, out) == -1)
			return -1;
		memmove(c->in, c->in + used, c->len - used);
		c->len -= used;
	}
	return rc == LOCAL_MORE ? 0 : -1;
}

/* Reads what came on c.  Returns 0, or -1 to drop the connection. */
static int
conn_read(struct companion *cmp, struct conn *c, struct buf *out)
{
	ssize_t n =
	    recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, MSG_DONTWAIT);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	return conn_requests(cmp, c, out);
}

static void
accept_one(int lfd, struct conn *conns, size_t *n)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd == -1)
		return;
	if (*n == LIM_LOCAL_CONNS) {
		log_warnx("companion: %d local connections, refusing one",
		    LIM_LOCAL_CONNS);
		close(fd);
		return;
	}
	conns[*n].fd = fd;
	conns[*n].len = 0;
	(*n)++;
}

static int
got_signal(int sigfd)
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

int
local_serve(struct companion *cmp, int lfd, int sigfd)
{
	struct pollfd pfd[LIM_LOCAL_CONNS + 2];
	struct conn *conns;
	struct buf out;
	size_t n = 0, i;
	int sig = 0;

	if ((conns = calloc(LIM_LOCAL_CONNS, sizeof(*conns))) == NULL)
		fatal("calloc");
	buf_init(&out, LIM_LOCAL_REPLY);
	while (!atomic_load(&cmp->stop) && sig == 0) {
		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		for (i = 0; i < n; i++)
			pfd[i + 2] = (struct pollfd){ .fd = conns[i].fd,
				.events = POLLIN };
		if (poll(pfd, n + 2, POLL_MS) <= 0)
			continue;
		if (sigfd != -1 && (pfd[1].revents & POLLIN))
			sig = companion_signal(cmp, got_signal(sigfd));
		for (i = n; i-- > 0;) {
			if (pfd[i + 2].revents == 0 ||
			    conn_read(cmp, &conns[i], &out) == 0)
				continue;
			close(conns[i].fd);
			conns[i] = conns[--n];
		}
		if (pfd[0].revents & POLLIN)
			accept_one(lfd, conns, &n);
	}
	for (i = 0; i < n; i++)
		close(conns[i].fd);
	buf_free(&out);
	free(conns);
	return sig;
}
