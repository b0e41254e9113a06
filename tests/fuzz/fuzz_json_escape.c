/*
 * libFuzzer target for the JSON string escaper (json_escape) and the
 * double formatters.  The first byte picks the mode.  An escaped string
 * in quotes is always valid JSON; in JW_PHP mode it fails exactly on
 * invalid UTF-8 and otherwise reads back (through yajl) as the input;
 * in JW_UTF8 mode it always succeeds.  Eight input bytes as a double
 * must format to a JSON number that reads back as the same double.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl_parse.h>

#include "buf.h"
#include "fuzz.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct decoded {
	struct buf out;
	int strings;
};

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct decoded *d = ctx;

	d->strings++;
	return buf_add(&d->out, s, n) == 0;
}

/* Reads back the JSON string at s; returns 0 and its bytes in d. */
static int
read_back(const char *s, size_t n, struct decoded *d)
{
	static const yajl_callbacks cb = { .yajl_string = on_string };

	return fuzz_yajl(s, n, &cb, d) && d->strings == 1 ? 0 : -1;
}

static void
check_string(const char *s, size_t n, unsigned flags)
{
	struct decoded d = { .strings = 0 };
	struct buf b;
	int rc;

	buf_init(&b, 6 * n + 16);
	buf_addc(&b, '"');
	rc = json_escape(&b, s, n, flags);
	FUZZ_CHECK(rc == 0 || rc == 1);
	if (flags & JW_PHP)
		FUZZ_CHECK((rc == 1) == (utf8_valid(s, n) == -1));
	else
		FUZZ_CHECK(rc == 0);
	if (rc == 0) {
		buf_addc(&b, '"');
		FUZZ_CHECK(!b.overflow);
		buf_init(&d.out, 4 * n + 16);
		FUZZ_CHECK(read_back(b.data, b.len, &d) == 0);
		FUZZ_CHECK(
		    utf8_valid(d.out.data ? d.out.data : "", d.out.len) == 0);
		if (utf8_valid(s, n) == 0)
			FUZZ_CHECK(d.out.len == n &&
			    (n == 0 || memcmp(d.out.data, s, n) == 0));
		buf_free(&d.out);
	}
	buf_free(&b);
}

static void
check_double(const uint8_t *p)
{
	char out[64], str[64];
	double v;

	memcpy(&v, p, sizeof(v));
	json_format_double(v, out, sizeof(out));
	php_double_str(v, str, sizeof(str));
	FUZZ_CHECK(fuzz_json_valid(out, strlen(out)));
	if (isfinite(v))
		FUZZ_CHECK(strtod(out, NULL) == v);
	json_format_double(v, out, (size_t)(p[0] % 8));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags;

	if (size == 0)
		return 0;
	flags = data[0] & 1 ? JW_PHP : JW_UTF8;
	check_string((const char *)data + 1, size - 1, flags);
	if (size >= 1 + sizeof(double))
		check_double(data + 1);
	return 0;
}
