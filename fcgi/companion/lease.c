/*
 * The lease (see lease.h).  One connection per lease, used by one
 * thread at a time: the source's thread takes and drops, its renewer
 * renews in between.  The scripts go by EVALSHA (rconn.h).  Expiry is
 * Redis's own clock: the hosts' clocks never meet.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"
#include "log.h"
#include "rconn.h"

#define LEASE_PREFIX "pbxapi:lease:"

/* ARGV: node, ttl (ms).  Returns {1, node} or {0, holder}. */
static const char take_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then "
    " redis.call('PEXPIRE', KEYS[1], ARGV[2]) return {1, v} end "
    "if v then return {0, v} end "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
    "return {1, ARGV[1]}";

/*
 * ARGV: node, ttl (ms).  Returns 1 if still this node's, else 0.  A
 * missing key is taken again: on SIGHUP the old companion of the same
 * node drops the key while the new one already runs under it.
 */
static const char renew_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then "
    " return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "if v then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
    "return 1";

/* ARGV: node.  Deletes the key only if it is this node's. */
static const char drop_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
			       " return redis.call('DEL', KEYS[1]) end "
			       "return 0";

enum { L_TAKE, L_RENEW, L_DROP, L__MAX };

struct lease {
	redisContext *rc;
	char *addr, *key, *node;
	char ttl[24];
	long ms;
	struct rscript sc[L__MAX];
};

struct lease *
lease_new(const char *addr, long ms, const char *tenant, const char *node,
    long ttl_ms)
{
	struct lease *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->addr = strdup(addr);
	l->node = strdup(node);
	if (asprintf(&l->key, LEASE_PREFIX "%s", tenant) == -1)
		l->key = NULL;
	if (l->addr == NULL || l->node == NULL || l->key == NULL) {
		lease_free(l);
		return NULL;
	}
	snprintf(l->ttl, sizeof(l->ttl), "%ld", ttl_ms);
	l->ms = ms;
	l->sc[L_TAKE].text = take_lua;
	l->sc[L_RENEW].text = renew_lua;
	l->sc[L_DROP].text = drop_lua;
	return l;
}

void
lease_free(struct lease *l)
{
	if (l == NULL)
		return;
	if (l->rc != NULL)
		redisFree(l->rc);
	free(l->addr);
	free(l->key);
	free(l->node);
	free(l);
}

static int
connect_to(struct lease *l, char *why, size_t len)
{
	if (l->rc == NULL)
		l->rc = rconn_open(l->addr, l->ms, why, len);
	return l->rc == NULL ? -1 : 0;
}

/* Runs script s with the key and n of node, ttl.  NULL: failed (why). */
static redisReply *
run(struct lease *l, int s, int n, char *why, size_t len)
{
	const char *argv[4] = { "1", l->key, l->node, l->ttl };
	redisReply *rep;

	if (connect_to(l, why, len) == -1)
		return NULL;
	if ((rep = rconn_eval(l->rc, &l->sc[s], 2 + n, argv)) == NULL) {
		snprintf(why, len, "redis '%s': %s", l->addr, l->rc->errstr);
		redisFree(l->rc);
		l->rc = NULL;
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(why, len, "redis '%s': %s", l->addr, rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

int
lease_take(struct lease *l, char *holder, size_t len)
{
	redisReply *rep;
	int rc = -1;

	if ((rep = run(l, L_TAKE, 2, holder, len)) == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_INTEGER &&
	    rep->element[1]->type == REDIS_REPLY_STRING) {
		rc = rep->element[0]->integer == 1;
		snprintf(holder, len, "%s", rep->element[1]->str);
	} else
		snprintf(
		    holder, len, "redis '%s': odd reply to the lease", l->addr);
	freeReplyObject(rep);
	return rc;
}

int
lease_renew(struct lease *l, char *why, size_t len)
{
	redisReply *rep;
	int rc;

	if ((rep = run(l, L_RENEW, 2, why, len)) == NULL)
		return -1;
	rc = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	if (!rc)
		snprintf(why, len, "the lease '%s' is no longer this node's",
		    l->key);
	freeReplyObject(rep);
	return rc;
}

void
lease_drop(struct lease *l)
{
	redisReply *rep;
	char why[256];

	if ((rep = run(l, L_DROP, 1, why, sizeof(why))) == NULL) {
		log_warnx("companion: cannot drop the lease: %s", why);
		return;
	}
	freeReplyObject(rep);
}
