/*
 * Helpers shared by the libFuzzer targets: a check that aborts (so
 * libFuzzer reports the input), a strict JSON validator built on yajl's
 * parser, PHP's default input limits and a stream fed in slices.
 */
#ifndef PBXAPI_FUZZ_H
#define PBXAPI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <yajl_parse.h>

#include "buf.h"
#include "json.h"
#include "limits.h"
#include "phpin.h"
#include "pv.h"

#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			    __LINE__, #cond);                                  \
			abort();                                               \
		}                                                              \
	} while (0)

/*
 * Returns 1 if yajl reads the n bytes at s as one valid JSON text,
 * calling the callbacks cb (may be NULL) with ctx.
 */
static inline int
fuzz_yajl(const char *s, size_t n, const yajl_callbacks *cb, void *ctx)
{
	yajl_handle h = yajl_alloc(cb, NULL, ctx);
	yajl_status st;

	if (h == NULL)
		abort();
	st = yajl_parse(h, (const unsigned char *)s, n);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	return st == yajl_status_ok;
}

/* Returns 1 if the n bytes at s are one valid JSON text (yajl). */
static inline int
fuzz_json_valid(const char *s, size_t n)
{
	return fuzz_yajl(s, n, NULL, NULL);
}

/* PHP's default input limits (max_input_vars 1000, nesting 64). */
static inline const struct in_limits *
fuzz_limits(void)
{
	static const struct in_limits lim = {
		.params_max = 1000,
		.name_max = LIM_NAME_MAX,
		.value_max = 65536,
		.nest_max = 64,
	};

	return &lim;
}

/*
 * A stream of n bytes handed out in slices, as a socket delivers them:
 * avail bytes are out so far.  Slice k is 1 + sizes[k % nsizes] % 64
 * bytes (1 without sizes); start with avail = n for the whole stream at
 * once.
 */
struct fuzz_feed {
	size_t n, avail;
	const uint8_t *sizes;
	size_t nsizes, k;
};

/* Hands out the next slice; returns 0 once the whole stream is out. */
static inline int
fuzz_feed_more(struct fuzz_feed *f)
{
	if (f->avail == f->n)
		return 0;
	f->avail += 1 + (f->nsizes ? f->sizes[f->k++ % f->nsizes] % 64 : 0);
	if (f->avail > f->n)
		f->avail = f->n;
	return 1;
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
