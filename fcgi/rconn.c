/*
 * Connections to Redis (see rconn.h).
 */
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rconn.h"

#define RCONN_ARGS 16

struct redisContext *
rconn_open(const char *addr, long ms, char *why, size_t len)
{
	struct timeval tv = { .tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000 };
	redisContext *rc = NULL;
	const char *colon;
	char host[256];
	long port;
	size_t n;

	if (strncmp(addr, "unix:", 5) == 0)
		rc = redisConnectUnixWithTimeout(addr + 5, tv);
	else if ((colon = strrchr(addr, ':')) != NULL &&
	    (n = (size_t)(colon - addr)) < sizeof(host) &&
	    (port = strtol(colon + 1, NULL, 10)) > 0 && port < 65536) {
		/* "[::1]:6379": hiredis wants the address without brackets. */
		if (n > 2 && addr[0] == '[' && colon[-1] == ']') {
			memcpy(host, addr + 1, n - 2);
			host[n - 2] = '\0';
		} else {
			memcpy(host, addr, n);
			host[n] = '\0';
		}
		rc = redisConnectWithTimeout(host, (int)port, tv);
	}
	if (rc == NULL || rc->err || redisSetTimeout(rc, tv) != REDIS_OK) {
		snprintf(why, len, "redis '%s': %s", addr,
		    rc ? rc->errstr : "bad address");
		if (rc != NULL)
			redisFree(rc);
		return NULL;
	}
	return rc;
}

/* SCRIPT LOAD; an error reply leaves s to EVAL.  -1: connection failed. */
static int
load(redisContext *rc, struct rscript *s)
{
	redisReply *rep = redisCommand(rc, "SCRIPT LOAD %s", s->text);

	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_STRING && rep->len == 40)
		memcpy(s->sha, rep->str, 41);
	freeReplyObject(rep);
	return 0;
}

struct redisReply *
rconn_eval(redisContext *rc, struct rscript *s, int argc, const char **argv)
{
	const char *av[2 + RCONN_ARGS];
	redisReply *rep;
	int i, again;

	if (argc > RCONN_ARGS)
		argc = RCONN_ARGS;
	if (s->sha[0] == '\0' && load(rc, s) == -1)
		return NULL;
	for (i = 0; i < argc; i++)
		av[2 + i] = argv[i];
	for (again = 0;; again++) {
		av[0] = s->sha[0] ? "EVALSHA" : "EVAL";
		av[1] = s->sha[0] ? s->sha : s->text;
		if ((rep = redisCommandArgv(rc, 2 + argc, av, NULL)) == NULL)
			return NULL;
		/* NOSCRIPT: Redis restarted or flushed; EVAL caches it. */
		if (rep->type != REDIS_REPLY_ERROR || again > 0 ||
		    strncmp(rep->str, "NOSCRIPT", 8) != 0)
			return rep;
		freeReplyObject(rep);
		s->sha[0] = '\0';
	}
}
