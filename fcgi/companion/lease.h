/*
 * A companion's lease on a tenant's event source, in Redis (the redis
 * setting): with several pbxapi hosts on one backend, exactly one of
 * them holds the backend's event connection.  The lease is a key
 * holding the node's id (the node setting) and the companion's run (one
 * per process) with a TTL of events.lease_ttl: taken when absent or held
 * by another run of this node, renewed every third of the TTL by a
 * script that extends it only while it still holds this run's value,
 * dropped at a clean stop only if it still does (so the companion a
 * SIGHUP retires leaves its successor's lease alone).  A lost or failed renewal
 * stops the source at once; another host's companion takes the key once it
 * expires.  See docs/operations.md, "Scale-out".
 */
#ifndef PBXAPI_LEASE_H
#define PBXAPI_LEASE_H

#include <stddef.h>

struct lease;

/*
 * Returns a lease on key "pbxapi:lease:TENANT" for node's run (its value
 * "NODE\nRUN", the fence of the companion's Redis writes) through Redis
 * at addr, every command within ms, held for ttl_ms; NULL: out of memory.
 * No connection is made yet.
 */
struct lease *lease_new(const char *addr, long ms, const char *tenant,
    const char *node, const char *run, long ttl_ms);
void lease_free(struct lease *l);

/*
 * Takes the lease, or renews it if this run holds it already.  Returns
 * 1: held; 0: another node holds it (its id in holder); -1: Redis
 * failed (why in holder).
 */
int lease_take(struct lease *l, char *holder, size_t len);

/* Extends the lease.  Returns 1: still held; 0: lost; -1: Redis failed. */
int lease_renew(struct lease *l, char *why, size_t len);

/* Gives the lease up if this node still holds it. */
void lease_drop(struct lease *l);

#endif
