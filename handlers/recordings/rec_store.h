/*
 * What the Asterisk CDR store (cdr.c) and the FusionPBX store (fpx.c)
 * share: LIKE patterns of the number filters, the two-part keyset
 * position they keep in a cursor, and the rule that turns a file named
 * by a database row (untrusted) into a path below the tenant's root.
 * Pure functions (store.c), unit-tested in tests/unit/t_rec_store.c.
 */
#ifndef PBXAPI_REC_STORE_H
#define PBXAPI_REC_STORE_H

#include <stddef.h>

struct arena;

#define REC_ROOT_MAX 4096 /* a root or a path built from a row */

/*
 * Returns s as a LIKE pattern in which only "%" is a wildcard: "_" and
 * the escape character esc are escaped with esc.
 */
const char *rec_like(struct arena *a, const char *s, char esc);

/*
 * Joins a keyset position of two parts (the order column's text, then
 * the unique tie-breaker) as the cursor's "start time" string; the
 * tie-breaker must hold no space.
 */
const char *rec_pos_join(struct arena *a, const char *first, const char *tie);

/*
 * Splits a position made by rec_pos_join at its last space.  Returns 0
 * with *first and *tie (non-empty), or -1.
 */
int rec_pos_split(
    struct arena *a, const char *pos, const char **first, const char **tie);

/*
 * Returns 0 if s is one safe path component: not empty, not "." or "..",
 * no "/", no control byte (0x00-0x1f, 0x7f); at most 255 bytes.
 */
int rec_component_ok(const char *s);

/*
 * The path of the file name in directory dir relative to root, where
 * both root and dir are absolute paths whose repeated and trailing
 * slashes are ignored.  Returns 0 with *rel ("name", or "a/b/name"),
 * or -1 if root or dir is not absolute, holds a "." or ".." component or
 * a control byte, is too long, dir is not root or below it, or name is
 * not a safe component (rec_component_ok).  Nothing is resolved: links
 * are the opener's business (openat with O_NOFOLLOW beneath the root).
 */
int rec_path_below(struct arena *a, const char *root, const char *dir,
    const char *name, const char **rel);

#endif
