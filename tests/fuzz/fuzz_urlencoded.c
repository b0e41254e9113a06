/*
 * libFuzzer target for the query-string and form-body parser
 * (php_parse_urlencoded, php_register, url_decode): the input is parsed
 * under generous and under tight limits, and what it builds must encode
 * as valid JSON.
 */
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "fuzz.h"
#include "limits.h"
#include "phpin.h"
#include "pv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct in_limits limits[] = {
	{ .params_max = 1000,
	    .name_max = LIM_NAME_MAX,
	    .value_max = 65536,
	    .nest_max = 64 },
	{ .params_max = 3, .name_max = 8, .value_max = 4, .nest_max = 2 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	static struct buf b;
	char errbuf[256];
	struct pv *arr;
	enum err e;
	size_t i;

	if (a == NULL) {
		a = arena_new();
		buf_init(&b, 1 << 26);
	}
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		arr = pv_new_arr(a);
		errbuf[0] = '\0';
		e = php_parse_urlencoded(a, arr, (const char *)data, size,
		    &limits[i], errbuf, sizeof(errbuf));
		FUZZ_CHECK(e == E_OK || e == E_TOOLARGE || e == E_BADREQ);
		FUZZ_CHECK(e == E_OK || errbuf[0] != '\0');
		if (e == E_OK)
			FUZZ_CHECK(pv_count(arr) <= limits[i].params_max);
		fuzz_encode_check(&b, arr);
	}
	arena_reset(a);
	return 0;
}
