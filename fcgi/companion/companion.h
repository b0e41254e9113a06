/*
 * The event companion: a process of the pool, forked and supervised by
 * the master like a worker (scoreboard role SB_COMPANION), that runs one
 * event source per tenant with events on (event.h), each on a thread of
 * its own and restarted with a back-off, keeps their live state
 * (state.h) and serves it to the workers on a local unix socket
 * (local.h, local_proto.h; workers ask through client.h).  See
 * docs/architecture.md, "The event companion".
 */
#ifndef PBXAPI_COMPANION_H
#define PBXAPI_COMPANION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct conf;
struct tenant;
struct st_tenant;
struct wcs_reg;
struct lease;
struct shared;

/*
 * Channel ids a lease holder found not to be WCS calls in Redis, per
 * tenant: such a channel costs one lookup, not one per event.
 */
#define CMP_NEG_MAX 4096

/* One tenant's source and state. */
struct cmp_src {
	const struct tenant *t;
	const char *backend; /* "ami", "ari", "esl" */
	ev_source_fn fn;     /* NULL: no source for that backend yet */
	struct st_tenant *st;
	struct wcs_reg *wcs; /* the WCS call registry (wcs.h) */
	struct ev_sink sink;
	pthread_t thread;
	int started;
	_Atomic uint64_t reconnects; /* the source returned, and ran again */
	struct companion *cmp;
	/* with redis set: the lease (lease.h) the source runs under */
	struct lease *lease;
	_Atomic int lstop;   /* the source's stop: lease ended, or stop */
	pthread_mutex_t lmu; /* guards holder and mine */
	char holder[256];    /* the node holding the lease, or why unknown */
	int mine;	     /* this companion holds it */
	/* with redis set: the source thread's own connection (shared.h) */
	struct shared *sh;
	uint64_t neg[CMP_NEG_MAX]; /* hashes of ids not WCS calls, a ring */
	size_t nneg, negi;
	uint64_t logged;       /* when a lookup's failure was logged last */
	uint64_t lookup_after; /* no lookup before (a lookup failed) */
};

struct publisher;

struct companion {
	const struct conf *conf;
	struct cmp_src *src;
	size_t nsrc;
	struct publisher *pub; /* events.publish; NULL: off */
	_Atomic int stop;
	uint64_t started;   /* wall clock, seconds */
	int ctl;	    /* the socketpair with the master, -1: none */
	char node[256];	    /* this host in leases (the node setting) */
	char run[80];	    /* this companion among the node's (lease.h) */
	char lease_id[340]; /* node "\n" run: the leases' value */
	struct shared
	    *shared;	    /* with redis: the local interface's (shared.h) */
	struct rwriter *rw; /* with redis: the writer (rwriter.h) */
};

/*
 * A signal the main thread took: SIGUSR1 takes the error log the master
 * reopened; returns sig if it ends the companion (SIGQUIT, SIGTERM,
 * SIGINT), else 0 (the others are ignored).
 */
int companion_signal(struct companion *c, int sig);

/* Returns the source of tenant name (n bytes), or NULL. */
struct cmp_src *companion_find(struct companion *c, const char *name, size_t n);

/*
 * Runs the companion in the process the master forked (privileges
 * dropped) on scoreboard slot slot, serving the listening socket lfd
 * (companion.socket, which the master made), until SIGQUIT or SIGTERM;
 * never returns.  ctl is its end of a socketpair with the master, which
 * sends the reopened error log on it before a SIGUSR1 (-1: none).
 */
void companion_main(const struct conf *c, int lfd, int ctl, int slot)
    __attribute__((noreturn));

/* The sources (src_*.c). */
enum err src_ami(const struct tenant *t, struct ev_sink *sink,
    const _Atomic int *stop, char *errbuf, size_t errlen);

#endif
