/*
 * libFuzzer target for the event-socket frame parser (drivers/esl_frame.c).
 * The input is a server byte stream.  It is parsed message by message
 * twice: once with all bytes present, once fed in slices (sizes taken
 * from the input) as a socket would deliver them, resuming with the
 * parser's state.  Both must find the same messages; every pointer must
 * stay inside the buffer; Content-Length bodies must be exact.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esl_frame.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MSGS_MAX 256

struct seen {
	size_t used[MSGS_MAX];
	size_t n;
	int err;
};

static void
check_msg(const char *p, size_t n, const struct esl_msg *m, size_t used)
{
	size_t i;

	FUZZ_CHECK(used > 0 && used <= n);
	FUZZ_CHECK(m->nhdr <= ESL_HDRS_MAX);
	for (i = 0; i < m->nhdr; i++) {
		FUZZ_CHECK(m->hdr[i].name >= p &&
		    m->hdr[i].name + m->hdr[i].nlen <= p + used);
		FUZZ_CHECK(m->hdr[i].value >= p &&
		    m->hdr[i].value + m->hdr[i].vlen <= p + used);
		FUZZ_CHECK(m->hdr[i].nlen > 0);
		FUZZ_CHECK(
		    memchr(m->hdr[i].value, '\n', m->hdr[i].vlen) == NULL);
	}
	if (m->body != NULL) {
		FUZZ_CHECK(m->body >= p && m->body + m->blen == p + used);
		FUZZ_CHECK(m->blen <= ESL_BODY_MAX);
	}
}

/*
 * The messages of the stream as the feed in hands it out, the parser
 * resuming with its state; with all bytes out at once, the whole stream.
 */
static void
scan(const char *p, struct fuzz_feed *in, struct seen *s)
{
	struct esl_frame_state st = { 0 };
	struct esl_msg m;
	enum esl_frame_rc rc;
	size_t off = 0, used;

	while (s->n < MSGS_MAX) {
		used = 0;
		rc = esl_frame_parse(p + off, in->avail - off, &st, &m, &used);
		if (rc == ESL_FRAME_ERR) {
			FUZZ_CHECK(m.err != NULL);
			s->err = 1;
			return;
		}
		if (rc == ESL_FRAME_OK) {
			check_msg(p + off, in->avail - off, &m, used);
			s->used[s->n++] = used;
			off += used;
			memset(&st, 0, sizeof(st));
			continue;
		}
		if (!fuzz_feed_more(in))
			return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a = { .n = 0 }, b = { .n = 0 };
	size_t nsizes = size > 0 ? data[0] % 8 : 0, n, i;
	struct fuzz_feed whole, sliced;
	char *p;

	if (size < 1 + nsizes)
		return 0;
	n = size - 1 - nsizes;
	whole = (struct fuzz_feed){ .n = n, .avail = n };
	sliced =
	    (struct fuzz_feed){ .n = n, .sizes = data + 1, .nsizes = nsizes };
	/* An exact-size copy, so any read past the end is caught. */
	p = malloc(n + 1);
	memcpy(p, data + 1 + nsizes, n);
	scan(p, &whole, &a);
	scan(p, &sliced, &b);
	/* A sliced read may fail earlier (a limit seen on a prefix) but
	 * never disagree on a message both found. */
	for (i = 0; i < a.n && i < b.n; i++)
		FUZZ_CHECK(a.used[i] == b.used[i]);
	if (!a.err && !b.err)
		FUZZ_CHECK(a.n == b.n);
	free(p);
	return 0;
}
