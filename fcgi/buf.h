/*
 * Growable byte buffer with a ceiling.  The storage is malloc'd and kept
 * across requests (buf_clear only forgets the contents), so a worker's
 * reply buffer stops allocating once it has seen its largest reply.
 */
#ifndef PBXAPI_BUF_H
#define PBXAPI_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;   /* ceiling: appends beyond it fail */
	int overflow; /* set once an append failed */
};

/* Initialises b with a ceiling of max bytes. */
void buf_init(struct buf *b, size_t max);

/* Frees the storage. */
void buf_free(struct buf *b);

/* Forgets the contents and the overflow flag; keeps the storage. */
void buf_clear(struct buf *b);

/*
 * Appends n bytes.  Returns 0, or -1 (and sets overflow) if the ceiling
 * would be passed; the buffer is then unchanged.
 */
int buf_add(struct buf *b, const void *p, size_t n);

/* Appends one byte; see buf_add. */
int buf_addc(struct buf *b, char c);

/* Appends a NUL-terminated string; see buf_add. */
int buf_adds(struct buf *b, const char *s);

/* Appends formatted text; see buf_add. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns the contents as a C string (a NUL is kept after len). */
const char *buf_cstr(struct buf *b);

#endif
