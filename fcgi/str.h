/*
 * Small string helpers with PHP's meaning where the dialects need it.
 */
#ifndef PBXAPI_STR_H
#define PBXAPI_STR_H

#include <stddef.h>

struct arena;
struct buf;

/* Returns s with every from replaced by to (str_replace). */
char *str_replace(
    struct arena *a, const char *s, const char *from, const char *to);

/* Trims PHP's trim() characters (" \t\n\r\0\x0B") in place; returns s. */
char *str_trim(char *s);

/* Copies src into dst (size bytes), always NUL-terminated; returns the
 * length of src like strlcpy. */
size_t str_copy(char *dst, const char *src, size_t size);

/* Returns the value of a hexadecimal digit, or -1. */
int hex_digit(int c);

/* The n bytes at p in lower-case hexadecimal, NUL-terminated, in a. */
char *hex_encode(struct arena *a, const void *p, size_t n);

/* Returns 1 if the n bytes at s hold a control byte (0x00-0x1f, 0x7f). */
int str_has_ctl(const char *s, size_t n);

/* Standard base64 of n bytes, NUL-terminated, in the arena. */
char *base64(struct arena *a, const void *p, size_t n);

/* The value of a standard base64 digit, or -1. */
int base64_value(int c);

/*
 * Decodes standard base64 (padded, no whitespace) into the arena, NUL-
 * terminated, its length in *outlen.  Returns NULL if s is not that.
 */
char *base64_decode(struct arena *a, const char *s, size_t n, size_t *outlen);

/* Appends s percent-encoded (all but RFC 3986's unreserved).  0 or -1. */
int url_encode(struct buf *b, const char *s, size_t n);

#endif
