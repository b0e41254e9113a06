/*
 * libFuzzer target for JSON request bodies (json_decode_pv over yajl).
 * Whatever it accepts is valid UTF-8 throughout, so json_encode of the
 * result (JW_PHP) never fails and is valid JSON, and yajl must accept
 * the input too.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "fuzz.h"
#include "json.h"
#include "phpin.h"
#include "pv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns 1 if v holds a double that is not finite. */
static int
has_infinite(const struct pv *v)
{
	const struct pv_ent *e;

	if (v->type == PV_DOUBLE)
		return !isfinite(v->u.d);
	if (v->type != PV_ARR)
		return 0;
	for (e = v->u.arr->head; e != NULL; e = e->next)
		if (has_infinite(&e->val))
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	static struct buf b;
	const char *s = (const char *)data;
	char errbuf[256];
	struct pv *v = NULL;
	struct jw w;
	enum err e;

	if (a == NULL) {
		a = arena_new();
		buf_init(&b, 1 << 26);
	}
	errbuf[0] = '\0';
	e = json_decode_pv(
	    a, s, size, fuzz_limits(), &v, errbuf, sizeof(errbuf));
	FUZZ_CHECK(e == E_OK || e == E_BADREQ);
	if (e == E_OK) {
		FUZZ_CHECK(v != NULL);
		FUZZ_CHECK(utf8_valid(s, size) == 0);
		FUZZ_CHECK(fuzz_json_valid(s, size));
		buf_clear(&b);
		jw_init(&w, &b, JW_PHP);
		pv_encode(&w, v);
		/* Only a number past the double range (INF) fails, as in PHP.
		 */
		FUZZ_CHECK(!w.failed || has_infinite(v));
		fuzz_encode_check(&b, v);
	} else
		FUZZ_CHECK(errbuf[0] != '\0');
	arena_reset(a);
	return 0;
}
