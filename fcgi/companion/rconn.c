/*
 * Connections to Redis for the companion (see rconn.h).
 */
#include <sys/time.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rconn.h"

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
