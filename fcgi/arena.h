/*
 * Request arena: bump allocation in chunks, cleanup callbacks run in
 * reverse order on reset.  One arena per worker, reset after every
 * request, so nothing allocated for a request outlives it.  Allocation
 * failure aborts the worker (the process manager replaces it).
 */
#ifndef PBXAPI_ARENA_H
#define PBXAPI_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena;

/* Returns a new arena; never NULL. */
struct arena *arena_new(void);

/* Runs the cleanups, frees every chunk but the first; keeps the arena. */
void arena_reset(struct arena *a);

/* Runs the cleanups and frees the arena and all it holds. */
void arena_free(struct arena *a);

/* Returns n bytes aligned for any type; never NULL. */
void *arena_alloc(struct arena *a, size_t n);

/* Returns n zeroed bytes; never NULL. */
void *arena_zalloc(struct arena *a, size_t n);

/* Returns a NUL-terminated copy of the n bytes at s. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* Returns a NUL-terminated copy of s. */
char *arena_strdup(struct arena *a, const char *s);

/* Returns a formatted string (vsnprintf rules). */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Registers fn(arg) to run at the next reset (LIFO). */
void arena_cleanup(struct arena *a, void (*fn)(void *), void *arg);

/* Returns the bytes handed out since the last reset. */
size_t arena_used(const struct arena *a);

#endif
