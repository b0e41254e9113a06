/*
 * Minimal TAP producer for the unit tests (see tap.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int tap_n, tap_failed;

int
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

int
skip(const char *why, const char *fmt, ...)
{
	char name[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	printf("ok %d - %s # SKIP %s\n", ++tap_n, name, why);
	fflush(stdout);
	return 1;
}

int
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

int
is_str(const char *got, const char *want, const char *name)
{
	return is_mem(got, got ? strlen(got) : 0, want, name);
}

int
is_int(long long got, long long want, const char *name)
{
	int r = got == want;

	ok(r, "%s", name);
	if (!r)
		printf("#   got %lld, want %lld\n", got, want);
	return r;
}

int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
