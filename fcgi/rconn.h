/*
 * Connections to Redis (the redis setting), for the rate limiter
 * (rl_redis.c) and the companion (lease.c, shared.c, rwriter.c): one
 * connect function, every command under the same timeout, and Lua
 * scripts run by their SHA-1 once loaded.
 */
#ifndef PBXAPI_RCONN_H
#define PBXAPI_RCONN_H

#include <stddef.h>

struct redisContext;
struct redisReply;

/*
 * Connects to addr ("unix:/path", "host:port", "[v6]:port") within ms,
 * with every later command under ms too.  Returns the context, or NULL
 * with why.
 */
struct redisContext *rconn_open(
    const char *addr, long ms, char *why, size_t len);

/* A script and its SHA-1 on one connection's server ("": not loaded). */
struct rscript {
	const char *text;
	char sha[41];
};

/*
 * Runs script s with argv[0..argc) (the number of keys, the keys, the
 * arguments): by EVALSHA once SCRIPT LOAD gave its SHA-1, by EVAL when
 * Redis answers NOSCRIPT (it restarted).  Returns the reply, error
 * replies included, or NULL: the connection failed (rc->errstr says why;
 * the caller drops it).  An rscript belongs to one thread.
 */
struct redisReply *rconn_eval(
    struct redisContext *rc, struct rscript *s, int argc, const char **argv);

#endif
