/*
 * Minimal TAP producer for the unit tests (run by prove).  A test file
 * #includes this, calls ok()/is_*() and ends with done_testing().  A check
 * that cannot run is skip(why, name), never an ok that cannot fail.  A
 * name ending in "# TODO why" marks a known bug: it fails without failing
 * the file, and prove reports it once it passes.
 */
#ifndef PBXAPI_TAP_H
#define PBXAPI_TAP_H

/* What the tests use with it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Prints "ok N - name" or "not ok N - name"; returns cond. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks that the n bytes at got equal the C string want. */
int is_mem(const char *got, size_t n, const char *want, const char *name);

/*
 * Reports a check that could not run: "ok N - name # SKIP why" (prove
 * counts it as skipped, not passed).  Returns 1.
 */
int skip(const char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Checks two C strings (got may be NULL: a failure). */
int is_str(const char *got, const char *want, const char *name);

/* Checks two integers. */
int is_int(long long got, long long want, const char *name);

/* Prints the plan; returns the exit status (1 if a check failed). */
int done_testing(void);

#endif
