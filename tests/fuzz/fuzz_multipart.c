/*
 * libFuzzer target for multipart/form-data bodies (php_parse_multipart):
 * the first input line is the boundary, the rest the body.  The first
 * line is also read as a Content-Type for multipart_boundary.  What the
 * parser builds must encode as valid JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "fuzz.h"
#include "phpin.h"
#include "pv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	static struct buf b;
	const char *s = (const char *)data, *nl, *bnd;
	char errbuf[256], *line;
	size_t blen, n;
	struct pv *arr;
	enum err e;

	if (a == NULL) {
		a = arena_new();
		buf_init(&b, 1 << 26);
	}
	nl = memchr(s, '\n', size);
	if (nl == NULL)
		return 0;
	blen = (size_t)(nl - s);
	line = arena_strndup(a, s, blen); /* NUL-terminated Content-Type */
	bnd = multipart_boundary(a, line, &n);
	FUZZ_CHECK(bnd == NULL || (n > 0 && n <= 70 && strlen(bnd) == n));
	if (blen > 0 && blen <= 70) {
		arr = pv_new_arr(a);
		errbuf[0] = '\0';
		e = php_parse_multipart(a, arr, nl + 1, size - blen - 1, s,
		    blen, fuzz_limits(), errbuf, sizeof(errbuf));
		FUZZ_CHECK(e == E_OK || e == E_TOOLARGE || e == E_BADREQ);
		FUZZ_CHECK(e == E_OK || errbuf[0] != '\0');
		fuzz_encode_check(&b, arr);
	}
	arena_reset(a);
	return 0;
}
