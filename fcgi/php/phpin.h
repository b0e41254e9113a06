/*
 * PHP input semantics (elastix-api.md §1.3): query strings, form bodies
 * and multipart bodies become PHP arrays exactly as $_GET and $_POST do
 * (last value wins in place, '.' and ' ' in names become '_', x[] and
 * x[k] build nested arrays), and JSON bodies become what
 * json_decode($body, true) returns.  All parsers are pure functions of
 * (bytes, length) with explicit limits.
 */
#ifndef PBXAPI_PHPIN_H
#define PBXAPI_PHPIN_H

#include <stddef.h>

#include "err.h"

struct arena;
struct pv;

struct in_limits {
	size_t params_max; /* variables registered, like max_input_vars */
	size_t name_max;   /* bytes of one decoded name */
	size_t value_max;  /* bytes of one decoded value */
	size_t nest_max;   /* x[a][b]... levels, JSON depth */
};

/*
 * Decodes %XX and (if plus) '+' in place-free fashion: returns an arena
 * copy of the n bytes at s decoded, its length in *outlen.
 */
char *url_decode(
    struct arena *a, const char *s, size_t n, int plus, size_t *outlen);

/*
 * Registers name=value into arr as php_register_variable_ex does.  The
 * name is decoded and may be modified; it is cut at its first NUL.
 */
void php_register(struct arena *a, struct pv *arr, char *name, const char *val,
    size_t vlen, size_t nest_max);

/*
 * Parses an application/x-www-form-urlencoded string (a query string or a
 * form body) into arr.  Returns E_OK, E_TOOLARGE past params_max, or
 * E_BADREQ for a name or value past its limit; errbuf says which.
 */
enum err php_parse_urlencoded(struct arena *a, struct pv *arr, const char *s,
    size_t n, const struct in_limits *lim, char *errbuf, size_t errlen);

/*
 * Parses a multipart/form-data body with the given boundary into arr
 * (fields only; file parts are skipped).  Returns E_OK, E_BADREQ for a
 * malformed body, or E_TOOLARGE past a limit.
 */
enum err php_parse_multipart(struct arena *a, struct pv *arr, const char *s,
    size_t n, const char *boundary, size_t blen, const struct in_limits *lim,
    char *errbuf, size_t errlen);

/*
 * Returns the boundary parameter of a multipart Content-Type, or NULL.
 */
const char *multipart_boundary(struct arena *a, const char *ctype, size_t *len);

/*
 * Parses a JSON text into *out the way json_decode($s, true) does
 * (objects become arrays, integers that fit stay integers).  Returns E_OK
 * or E_BADREQ for invalid JSON, invalid UTF-8 or too deep nesting.
 */
enum err json_decode_pv(struct arena *a, const char *s, size_t n,
    const struct in_limits *lim, struct pv **out, char *errbuf, size_t errlen);

#endif
