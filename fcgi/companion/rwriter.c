/*
 * The Redis writer (see rwriter.h).  Writes go one by one in queue
 * order, so a call's statuses and the journal's ids reach Redis in the
 * order the source saw them; over a local socket one write is a few
 * tens of microseconds, far more than a PBX's event rate needs.
 */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "rconn.h"
#include "rwriter.h"
#include "util.h"
#include "wcs.h"

#define RW_LOG_MS     10000 /* failures are logged at most this often */
#define RW_BACKOFF_MS 500   /* after a failed connection */
#define RW_KEY	      (2 * WCS_ID_MAX + 64)
#define RW_BYTES_MAX  (8 * 1024 * 1024) /* events' JSON queued, at most */

/*
 * KEYS: the call, the lease; ARGV: the fence, retain (ms), status, sip,
 * answered, evd, hcause, ended, caller.  -1: not this run's lease; 0:
 * the call is gone (its startup failed, or it expired); 1: written.
 */
static const char call_lua[] =
    "if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end "
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
    "redis.call('HSET', KEYS[1], 'status', ARGV[3], 'sip', ARGV[4], "
    " 'answered', ARGV[5], 'evd', ARGV[6], 'hcause', ARGV[7], "
    " 'ended', ARGV[8], 'caller', ARGV[9]) "
    "if ARGV[8] == '1' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return 1";

/*
 * KEYS: the stream, its last id, the lease; ARGV: the fence, the id, the
 * JSON, the stream's length.  -1: not this run's lease; 0: an id not
 * above the last one (an old holder's); 1: appended.
 */
static const char event_lua[] =
    "if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end "
    "if tonumber(ARGV[2]) <= tonumber(redis.call('GET', KEYS[2]) or '0') "
    " then return 0 end "
    "redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], ARGV[2] .. '-0', "
    " 'e', ARGV[3]) "
    "redis.call('SET', KEYS[2], ARGV[2]) "
    "return 1";

enum { J_CALL, J_EVENT };

struct job {
	int kind;
	const char *tenant;
	uint64_t id; /* J_EVENT */
	char *json;  /* J_EVENT, malloc'd */
	size_t len;
	struct wcs_call c; /* J_CALL */
};

struct rwriter {
	char *addr, *fence; /* the lease value its writes need */
	long ms;
	char maxlen[24], retain[24];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *q; /* a ring of cap */
	size_t cap, head, n;
	size_t bytes;		  /* the queued events' JSON */
	struct rw_stats st;	  /* under lock */
	_Atomic uint64_t lookups; /* from the sources' threads */
	pthread_t thread;
	redisContext *rc;
	struct rscript call, event;
	uint64_t logged; /* when a failure was logged last (ms) */
	uint64_t unlogged;
};

struct rwriter *
rw_new(const char *addr, long ms, const char *fence, size_t cap,
    size_t journal_len, long retain_ms)
{
	struct rwriter *w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->q = calloc(cap ? cap : 1, sizeof(*w->q))) == NULL ||
	    (w->addr = strdup(addr)) == NULL ||
	    (w->fence = strdup(fence)) == NULL) {
		if (w != NULL) {
			free(w->q);
			free(w->addr);
		}
		free(w);
		return NULL;
	}
	w->ms = ms;
	w->cap = cap ? cap : 1;
	snprintf(w->maxlen, sizeof(w->maxlen), "%zu", journal_len);
	snprintf(
	    w->retain, sizeof(w->retain), "%ld", retain_ms > 0 ? retain_ms : 1);
	w->call.text = call_lua;
	w->event.text = event_lua;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	return w;
}

/* Queues j; a full queue drops it.  Never blocks. */
static void
push(struct rwriter *w, const struct job *j)
{
	pthread_mutex_lock(&w->lock);
	if (w->n == w->cap || w->bytes + j->len > RW_BYTES_MAX) {
		w->st.dropped++;
		pthread_mutex_unlock(&w->lock);
		free(j->json);
		return;
	}
	w->bytes += j->len;
	w->q[(w->head + w->n++) % w->cap] = *j;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Puts j back at the head (a write the connection failed under). */
static void
push_front(struct rwriter *w, const struct job *j)
{
	pthread_mutex_lock(&w->lock);
	if (w->n == w->cap) {
		w->st.dropped++;
		pthread_mutex_unlock(&w->lock);
		free(j->json);
		return;
	}
	w->head = (w->head + w->cap - 1) % w->cap;
	w->q[w->head] = *j;
	w->n++;
	w->bytes += j->len;
	pthread_mutex_unlock(&w->lock);
}

void
rw_forget(struct rwriter *w, const char *tenant)
{
	struct job *j;
	size_t i, kept = 0;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	for (i = 0; i < w->n; i++) {
		j = &w->q[(w->head + i) % w->cap];
		if (strcmp(j->tenant, tenant) == 0) {
			w->bytes -= j->len;
			free(j->json);
			w->st.fenced++;
			continue;
		}
		w->q[(w->head + kept++) % w->cap] = *j;
	}
	w->n = kept;
	pthread_mutex_unlock(&w->lock);
}

void
rw_call(struct rwriter *w, const char *tenant, const struct wcs_call *c)
{
	struct job j = { .kind = J_CALL, .tenant = tenant, .c = *c };

	push(w, &j);
}

void
rw_event(struct rwriter *w, const char *tenant, uint64_t id, const char *json,
    size_t len)
{
	struct job j = { .kind = J_EVENT, .tenant = tenant, .id = id };

	if ((j.json = malloc(len + 1)) == NULL) {
		pthread_mutex_lock(&w->lock);
		w->st.dropped++;
		pthread_mutex_unlock(&w->lock);
		return;
	}
	memcpy(j.json, json, len);
	j.json[len] = '\0';
	j.len = len;
	push(w, &j);
}

void
rw_lookup(struct rwriter *w)
{
	atomic_fetch_add(&w->lookups, 1);
}

void
rw_stats(struct rwriter *w, struct rw_stats *out)
{
	pthread_mutex_lock(&w->lock);
	*out = w->st;
	out->queued = w->n;
	pthread_mutex_unlock(&w->lock);
	out->lookups = atomic_load(&w->lookups);
}

/* Counts a failed write and logs it, at most every RW_LOG_MS. */
static void
failed(struct rwriter *w, const char *tenant, const char *why)
{
	uint64_t now = mono_ms();

	pthread_mutex_lock(&w->lock);
	w->st.failed++;
	pthread_mutex_unlock(&w->lock);
	if (w->logged != 0 && now - w->logged < RW_LOG_MS) {
		w->unlogged++;
		return;
	}
	log_warnx("tenant '%s': not written to redis '%s': %s (and %" PRIu64
		  " more since the last such message)",
	    tenant, w->addr, why, w->unlogged);
	w->logged = now;
	w->unlogged = 0;
}

/* Runs j's script.  Returns 0, or -1: the connection failed. */
static int
write_job(struct rwriter *w, const struct job *j)
{
	char k1[RW_KEY], k2[RW_KEY], k3[RW_KEY], a[8][24];
	const char *argv[12];
	struct rscript *s;
	redisReply *rep;
	int n;

	snprintf(k3, sizeof(k3), "pbxapi:lease:%s", j->tenant);
	if (j->kind == J_CALL) {
		snprintf(k1, sizeof(k1), "pbxapi:wcs:%s:call:%s", j->tenant,
		    j->c.id);
		snprintf(a[0], sizeof(a[0]), "%d", j->c.sip);
		snprintf(a[1], sizeof(a[1]), "%d", j->c.hcause);
		const char *av[] = { "2", k1, k3, w->fence, w->retain,
			j->c.status, a[0], j->c.answered ? "1" : "0",
			j->c.evd ? "1" : "0", a[1], j->c.ended ? "1" : "0",
			j->c.caller };
		memcpy(argv, av, sizeof(av));
		n = (int)(sizeof(av) / sizeof(av[0]));
		s = &w->call;
	} else {
		snprintf(k1, sizeof(k1), "pbxapi:journal:%s", j->tenant);
		snprintf(k2, sizeof(k2), "pbxapi:journal:%s:seq", j->tenant);
		snprintf(a[0], sizeof(a[0]), "%" PRIu64, j->id);
		const char *av[] = { "3", k1, k2, k3, w->fence, a[0], j->json,
			w->maxlen };
		memcpy(argv, av, sizeof(av));
		n = (int)(sizeof(av) / sizeof(av[0]));
		s = &w->event;
	}
	if ((rep = rconn_eval(w->rc, s, n, argv)) == NULL) {
		failed(w, j->tenant, w->rc->errstr);
		return -1;
	}
	pthread_mutex_lock(&w->lock);
	if (rep->type == REDIS_REPLY_INTEGER && rep->integer == 1)
		w->st.written++;
	else if (rep->type == REDIS_REPLY_INTEGER && rep->integer == -1)
		w->st.fenced++;
	pthread_mutex_unlock(&w->lock);
	if (rep->type == REDIS_REPLY_ERROR)
		failed(w, j->tenant, rep->str);
	freeReplyObject(rep);
	return 0;
}

/* Takes the oldest job into *j.  Returns 0, or -1: none within 200 ms. */
static int
pop(struct rwriter *w, struct job *j)
{
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	if (w->n == 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->cond, &w->lock, &until);
	}
	if (w->n == 0) {
		pthread_mutex_unlock(&w->lock);
		return -1;
	}
	*j = w->q[w->head];
	w->head = (w->head + 1) % w->cap;
	w->n--;
	w->bytes -= j->len;
	pthread_mutex_unlock(&w->lock);
	return 0;
}

/*
 * The thread: writes the jobs in order.  While Redis cannot be reached
 * the jobs wait (a connection tried every RW_BACKOFF_MS) and a full
 * queue drops the newest: the sources never wait, and a call's last
 * status is not lost to a short outage.
 */
static void *
rw_thread(void *arg)
{
	struct rwriter *w = arg;
	struct timespec ts;
	uint64_t retry = 0, now;
	char why[256];
	struct job j;

	for (;;) {
		if (w->rc == NULL && (now = mono_ms()) < retry) {
			ts.tv_sec = 0;
			ts.tv_nsec = (long)(retry - now) * 1000000L;
			nanosleep(&ts, NULL);
			continue;
		}
		if (pop(w, &j) == -1)
			continue;
		if (w->rc == NULL) {
			w->rc = rconn_open(w->addr, w->ms, why, sizeof(why));
			w->call.sha[0] = w->event.sha[0] = '\0';
			if (w->rc == NULL) {
				retry = mono_ms() + RW_BACKOFF_MS;
				failed(w, j.tenant, why);
				push_front(w, &j);
				continue;
			}
		}
		if (write_job(w, &j) == -1) {
			redisFree(w->rc);
			w->rc = NULL;
			retry = mono_ms() + RW_BACKOFF_MS;
			push_front(w, &j);
			continue;
		}
		free(j.json);
	}
	return NULL;
}

int
rw_start(struct rwriter *w, char *err, size_t len)
{
	int rc;

	if ((rc = pthread_create(&w->thread, NULL, rw_thread, w)) != 0) {
		snprintf(err, len, "pthread_create: %s", strerror(rc));
		return -1;
	}
	return 0;
}
