/*
 * Worker: the libfcgi accept loop of one process.  It owns a request
 * arena and a reply buffer reused across requests, and a table of
 * persistent backend connections per tenant that drivers fill lazily.
 */
#ifndef PBXAPI_WORKER_H
#define PBXAPI_WORKER_H

#include <stddef.h>

struct conf;

/* Kinds of persistent connections a worker keeps per tenant. */
enum conn_kind {
	CONN_AMI,
	CONN_ARI,
	CONN_MYSQL,
	CONN_PGSQL,
	CONN_ESL,
	CONN_FUSIONPBX, /* the {"action": ...} dialect's backend */
	CONN__MAX
};

struct worker;

/*
 * Runs the accept loop on listen_fd until a stop signal, max_requests or
 * a fatal error; never returns.  slot is the scoreboard slot (-1: none).
 */
void worker_main(const struct conf *c, int listen_fd, int slot)
    __attribute__((noreturn));

/* Returns the connection of this kind for tenant ti, or NULL. */
void *worker_conn(struct worker *w, size_t ti, enum conn_kind k);

/*
 * Stores a connection; close(conn) runs when it is replaced or the worker
 * exits.  conn NULL drops (and closes) the current one.
 */
void worker_set_conn(struct worker *w, size_t ti, enum conn_kind k, void *conn,
    void (*close)(void *));

/* Returns the listening socket of this worker. */
int worker_listen_fd(void);

/* Marks that reply headers left (the timeout reply is then impossible). */
void worker_headers_sent(void);

#endif
