/*
 * The companion's connections to Redis (the redis setting): the leases
 * (lease.c) and the shared WCS reservations (shared.c).
 */
#ifndef PBXAPI_RCONN_H
#define PBXAPI_RCONN_H

#include <stddef.h>

struct redisContext;

/*
 * Connects to addr ("unix:/path", "host:port", "[v6]:port") within ms,
 * with every later command under ms too.  Returns the context, or NULL
 * with why.
 */
struct redisContext *rconn_open(
    const char *addr, long ms, char *why, size_t len);

#endif
