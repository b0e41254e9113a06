/*
 * REST routing: a dialect whose command rows carry a path template
 * (struct cmd's .path, "/channels/{channelId}/dtmf", "{name}" one path
 * parameter) names the command by method and path.  The row whose
 * template matches with the most literal segments wins ("create" beats
 * "{channelId}"); a path no template matches is "not found", a method
 * the matching templates lack is "method not allowed" with the methods
 * they have.  ARI, the recording server and WCS route this way.
 */
#ifndef PBXAPI_REST_H
#define PBXAPI_REST_H

#include "dispatch.h"

#define REST_SEGS_MAX 8 /* segments of the longest path */

/*
 * Matches r's method and path (below the dialect's root, from its first
 * "/", as req.c decoded it: once, as the web server does) against the
 * rows of fams (NULL-terminated).  Returns E_OK with *cmd and
 * r->pathargs set (each "{name}" of the template, non-empty);
 * E_NOTFOUND if no template matches (or there are more than
 * REST_SEGS_MAX segments); E_METHOD with *allow the M_* bits of the
 * rows that match the path.
 */
enum err rest_route(struct req *r, const struct family *const *fams,
    const char *path, const struct cmd **cmd, unsigned *allow);

/*
 * Returns the M_* bits of methods as an Allow list, in the order GET,
 * POST, HEAD, PUT, DELETE, after first if it is not NULL ("OPTIONS" for
 * ARI); the string is in r's arena.
 */
const char *rest_allow(struct req *r, const char *first, unsigned methods);

#endif
