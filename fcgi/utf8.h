/*
 * UTF-8 as JSON and PHP's json_encode need it: strict decoding (no
 * overlong forms, no surrogates, nothing past U+10FFFF).
 */
#ifndef PBXAPI_UTF8_H
#define PBXAPI_UTF8_H

#include <stddef.h>
#include <stdint.h>

struct arena;

/*
 * Decodes one UTF-8 sequence at s (n bytes available, n > 0).  Returns
 * its length and stores the code point in *cp, or returns 0 for an
 * invalid sequence.
 */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * Returns the length of the valid UTF-8 sequence starting at s (n bytes
 * available), or 0 if it is invalid.
 */
size_t utf8_seq(const char *s, size_t n);

/* Returns 0 if the n bytes at s are valid UTF-8, else -1. */
int utf8_valid(const char *s, size_t n);

/*
 * Returns the n bytes at s as valid UTF-8: s itself if they are, else a
 * NUL-terminated copy in a with each byte that starts no valid sequence
 * made '?' (FreeSWITCH passes caller names on as the network sent them,
 * and one Latin-1 name must not lose the JSON it is in).
 */
const char *utf8_scrub(struct arena *a, const char *s, size_t n);

#endif
