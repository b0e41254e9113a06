/*
 * Worker: the libfcgi accept loop of one process.  It owns a request
 * arena and a reply buffer reused across requests, and the connection
 * pool (pool.h) that keeps its backend connections.
 */
#ifndef PBXAPI_WORKER_H
#define PBXAPI_WORKER_H

#include <stddef.h>

struct conf;

struct worker;

/*
 * Runs the accept loop on listen_fd until a stop signal, max_requests or
 * a fatal error; never returns.  slot is the scoreboard slot (-1: none);
 * role SB_STATUS serves only the status and ping paths.
 */
void worker_main(const struct conf *c, int listen_fd, int slot, int role)
    __attribute__((noreturn));

/* Returns the listening socket of this worker. */
int worker_listen_fd(void);

/*
 * Returns 1 if this worker was told to stop (the pool shuts down, or a
 * reload retires it) and finishes its request before it goes.
 */
int worker_quitting(void);

#endif
