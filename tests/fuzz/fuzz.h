/*
 * Helpers shared by the libFuzzer targets: a check that aborts (so
 * libFuzzer reports the input) and a strict JSON validator built on
 * yajl's parser.
 */
#ifndef PBXAPI_FUZZ_H
#define PBXAPI_FUZZ_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <yajl_parse.h>

#include "buf.h"
#include "json.h"
#include "pv.h"

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			    __LINE__, #cond);                                  \
			abort();                                               \
		}                                                              \
	} while (0)

/* Returns 1 if the n bytes at s are one valid JSON text (yajl). */
static inline int
fuzz_json_valid(const char *s, size_t n)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	yajl_status st;

	if (h == NULL)
		abort();
	st = yajl_parse(h, (const unsigned char *)s, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok;
}

/*
 * Encodes v as json_encode would (JW_PHP) and with raw UTF-8 (JW_UTF8)
 * into b; both must be valid JSON unless the writer reported a failure.
 */
static inline void
fuzz_encode_check(struct buf *b, const struct pv *v)
{
	static const unsigned modes[] = { JW_PHP, JW_UTF8 };
	struct jw w;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		buf_clear(b);
		jw_init(&w, b, modes[i]);
		pv_encode(&w, v);
		FUZZ_CHECK(w.depth == 0 || w.error);
		if (!w.failed && !w.error)
			FUZZ_CHECK(fuzz_json_valid(b->data, b->len));
	}
}

#endif
