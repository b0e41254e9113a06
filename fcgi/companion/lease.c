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

/*
 * The key holds "NODE\nRUN": the node and the companion's run (lease.h).
 * ARGV: node, node and run, ttl (ms).  Returns {1, value} or {0,
 * holder}.  Another run of this node (the companion before a SIGHUP or a
 * crash) hands over at once: the key becomes this run's.
 */
static const char take_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[2] then "
    " redis.call('PEXPIRE', KEYS[1], ARGV[3]) return {1, v} end "
    "if v and string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. '\\n' then "
    " return {0, v} end "
    "redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) "
    "return {1, ARGV[2]}";

/*
 * ARGV: node and run, ttl (ms).  Returns 1 if still this run's, else 0
 * (another run or node took it).  A key that expired meanwhile (Redis
 * slow, or restarted empty) is taken again: no one else holds it.
 */
static const char renew_lua[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then "
    " return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "if v then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) "
    "return 1";

/*
 * ARGV: node and run.  Deletes the key only if it is this run's: the
 * companion a SIGHUP retires leaves its successor's key alone.
 */
static const char drop_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
			       " return redis.call('DEL', KEYS[1]) end "
			       "return 0";

enum { L_TAKE, L_RENEW, L_DROP, L__MAX };

struct lease {
	redisContext *rc;
	char *addr, *key, *node, *id; /* id: node "\n" run */
	char ttl[24];
	long ms;
	struct rscript sc[L__MAX];
};

struct lease *
lease_new(const char *addr, long ms, const char *tenant, const char *node,
    const char *run, long ttl_ms)
{
	struct lease *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->addr = strdup(addr);
	l->node = strdup(node);
	if (asprintf(&l->key, LEASE_PREFIX "%s", tenant) == -1)
		l->key = NULL;
	if (asprintf(&l->id, "%s\n%s", node, run) == -1)
		l->id = NULL;
	if (l->addr == NULL || l->node == NULL || l->key == NULL ||
	    l->id == NULL) {
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
	free(l->id);
	free(l);
}

static int
connect_to(struct lease *l, char *why, size_t len)
{
	if (l->rc == NULL)
		l->rc = rconn_open(l->addr, l->ms, why, len);
	return l->rc == NULL ? -1 : 0;
}

/*
 * Runs script s on the key: take with node, id, ttl; renew with id, ttl;
 * drop with id.  NULL: failed (why).
 */
static redisReply *
run(struct lease *l, int s, char *why, size_t len)
{
	const char *take[] = { "1", l->key, l->node, l->id, l->ttl };
	const char *renew[] = { "1", l->key, l->id, l->ttl };
	const char *drop[] = { "1", l->key, l->id };
	const char **argv = s == L_TAKE ? take : s == L_RENEW ? renew : drop;
	int n = s == L_TAKE ? 5 : s == L_RENEW ? 4 : 3;
	redisReply *rep;

	if (connect_to(l, why, len) == -1)
		return NULL;
	if ((rep = rconn_eval(l->rc, &l->sc[s], n, argv)) == NULL) {
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

	if ((rep = run(l, L_TAKE, holder, len)) == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_INTEGER &&
	    rep->element[1]->type == REDIS_REPLY_STRING) {
		rc = rep->element[0]->integer == 1;
		/* Who: the node, not its run. */
		snprintf(holder, len, "%s", rep->element[1]->str);
		holder[strcspn(holder, "\n")] = '\0';
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

	if ((rep = run(l, L_RENEW, why, len)) == NULL)
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

	if ((rep = run(l, L_DROP, why, sizeof(why))) == NULL) {
		log_warnx("companion: cannot drop the lease: %s", why);
		return;
	}
	freeReplyObject(rep);
}
