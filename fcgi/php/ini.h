/*
 * PHP's parse_ini_file($path, true, INI_SCANNER_RAW): the reader the
 * elastix-api uses for manager.conf, pjsip.conf and sip_additional.conf
 * (elastix-api.md §2.4).  The result is a pv array: sections in file order,
 * each an array of key => string (k[]= and k[x]= make nested arrays), with
 * keys that come before the first section as top-level scalars.
 */
#ifndef PBXAPI_INI_H
#define PBXAPI_INI_H

#include <stddef.h>

#include "err.h"

struct arena;
struct pv;

/*
 * Parses the n bytes at text as PHP 8.2 does in raw mode with sections.
 * Returns E_OK with *out set (an empty array for an empty file), E_BADREQ
 * if PHP would fail on the text (parse_ini_file returns false; the callers
 * then use []), or E_TOOLARGE beyond LIM_INI_FILE bytes.  Strings in *out
 * may point into text, which must live as long as the result.
 */
enum err ini_parse(
    struct arena *a, const char *text, size_t n, struct pv **out);

/*
 * Reads the regular file at path (at most max bytes) into the arena, with
 * a NUL after the last byte.  Returns E_OK, E_NOTFOUND if the file cannot
 * be opened or read or is not a regular file, or E_TOOLARGE.
 */
enum err ini_read_file(
    struct arena *a, const char *path, size_t max, char **text, size_t *n);

/*
 * parse_ini_file(path, true, INI_SCANNER_RAW): reads path (at most
 * LIM_INI_FILE bytes) and parses it.  Returns E_OK with *out set, or the
 * error of ini_read_file or ini_parse; every error means "false" in PHP.
 */
enum err ini_load(struct arena *a, const char *path, struct pv **out);

#endif
