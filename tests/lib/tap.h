/*
 * Minimal TAP producer for the unit tests (run by prove).  A test file
 * #includes this, calls ok()/is_*() and ends with done_testing().  A name
 * ending in "# SKIP why" marks a check that did not run (its condition
 * must be 1); one ending in "# TODO why" marks a known bug: it fails
 * without failing the file, and prove reports it once it passes.
 */
#ifndef PBXAPI_TAP_H
#define PBXAPI_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	char name[4096];
	va_list ap;

	tap_n++;
	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_n, name);
	if (!cond && strstr(name, "# TODO") == NULL)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static void
tap_diag_str(const char *what, const char *s, size_t n)
{
	size_t i;

	printf("#   %s: '", what);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("'\n");
}

/* Compares n bytes of got with the C string want. */
static int
is_mem(const char *got, size_t n, const char *want, const char *name)
{
	int r = got != NULL && n == strlen(want) && memcmp(got, want, n) == 0;

	ok(r, "%s", name);
	if (!r) {
		tap_diag_str("got", got ? got : "(null)", got ? n : 6);
		tap_diag_str("want", want, strlen(want));
	}
	return r;
}

static int
is_str(const char *got, const char *want, const char *name)
{
	return is_mem(got, got ? strlen(got) : 0, want, name);
}

static int
is_int(long long got, long long want, const char *name)
{
	int r = got == want;

	ok(r, "%s", name);
	if (!r)
		printf("#   got %lld, want %lld\n", got, want);
	return r;
}

static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
