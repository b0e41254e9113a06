/*
 * The companion's side of the local interface (the format is in
 * local_proto.h): a unix socket at companion.socket (made by the master,
 * fcgi/priv.h, and inherited by each companion), served by the
 * companion's main thread, one request at a time per connection, at most
 * LIM_LOCAL_CONNS connections.  The verbs are a table in local.c: adding
 * one (the wcs.* family) is a row and a function.
 */
#ifndef PBXAPI_LOCAL_H
#define PBXAPI_LOCAL_H

#include <stddef.h>

struct buf;
struct companion;
struct local_req;

/*
 * Serves the listening socket lfd until c->stop is set or a signal that
 * ends the companion comes on sigfd (a signalfd; -1: none; the others
 * are companion_signal()'s, served in place).  Returns that signal, or 0.
 */
int local_serve(struct companion *c, int lfd, int sigfd);

/*
 * Answers one request into out.  Returns 1 (OK) or 0 (ERR, the text in
 * out).  For tests and the benchmark.
 */
int local_answer(
    struct companion *c, const struct local_req *r, struct buf *out);

#endif
