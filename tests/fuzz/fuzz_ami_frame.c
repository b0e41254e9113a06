/*
 * libFuzzer target for the AMI frame parser (drivers/ami_frame.c).  The
 * input is a server byte stream.  It is cut into frames twice: once with
 * all bytes present, once fed in slices (sizes taken from the input's
 * first bytes) through the resumable ami_frame_find, as the driver reads
 * a socket.  Both must find the same frames; every header must lie
 * inside its frame; a Follows body must end before --END COMMAND--.  The
 * greeting parser, ami_peek and the elastix block parser (whose result
 * must encode to valid JSON) run on the same input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami_frame.h"
#include "arena.h"
#include "buf.h"
#include "elastix.h"
#include "fuzz.h"
#include "pv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAMES_MAX 256

struct seen {
	size_t len[FRAMES_MAX], nh[FRAMES_MAX];
	size_t n;
	int err;
};

static struct ami_hdr hbuf[AMI_HEADERS_MAX];

static void
check_frame(const char *p, const struct ami_frame *f)
{
	const struct ami_hdr *h;
	size_t i, vl;

	FUZZ_CHECK(f->len > 0 && f->len <= AMI_FRAME_MAX);
	FUZZ_CHECK(f->nh <= ami_count_lines(p, f->len));
	for (i = 0; i < f->nh; i++) {
		h = &f->h[i];
		FUZZ_CHECK(h->nlen > 0 && h->name + h->nlen < f->len);
		FUZZ_CHECK(h->value + h->vlen <= f->len);
		FUZZ_CHECK(memchr(p + h->name, ':', h->nlen) == NULL);
		FUZZ_CHECK(memchr(p + h->value, '\n', h->vlen) == NULL);
		FUZZ_CHECK(
		    ami_frame_get(p, f, "x", &vl) == NULL || vl <= f->len);
	}
	if (f->follows)
		FUZZ_CHECK(
		    f->body + f->blen + sizeof(AMI_END_COMMAND) - 1 <= f->len);
}

static void
whole(const char *p, size_t n, struct seen *s)
{
	struct ami_frame f;
	enum ami_rc rc;
	size_t off = 0, used;

	while (s->n < FRAMES_MAX) {
		rc = ami_frame_next(
		    p + off, n - off, &f, hbuf, AMI_HEADERS_MAX, &used);
		if (rc == AMI_MORE)
			return;
		if (rc == AMI_EPROTO) {
			s->err = 1;
			return;
		}
		FUZZ_CHECK(used == f.len && used <= n - off);
		check_frame(p + off, &f);
		s->len[s->n] = used;
		s->nh[s->n++] = f.nh;
		off += used;
	}
}

/* The same stream arriving in slices of 1 to 64 bytes. */
static void
sliced(const char *p, struct fuzz_feed *in, struct seen *s)
{
	struct ami_scan sc = { 0 };
	struct ami_frame f;
	size_t off = 0, len;
	enum ami_rc rc;

	while (s->n < FRAMES_MAX) {
		rc = ami_frame_find(p + off, in->avail - off, &sc, &len);
		if (rc == AMI_MORE) {
			if (!fuzz_feed_more(in))
				return;
			continue;
		}
		if (rc == AMI_EPROTO ||
		    ami_frame_parse(p + off, len, &f, hbuf, AMI_HEADERS_MAX) !=
			AMI_OK) {
			s->err = 1;
			return;
		}
		s->len[s->n] = len;
		s->nh[s->n++] = f.nh;
		off += len;
		memset(&sc, 0, sizeof(sc));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena *a;
	struct seen w = { 0 }, sl = { 0 };
	const char *p = (const char *)data;
	size_t skip = size < 4 ? size : 4, used, vl;
	struct fuzz_feed in = {
		.n = size - skip, .sizes = data, .nsizes = skip
	};
	char ver[32];
	struct buf b;

	if (a == NULL)
		a = arena_new();
	whole(p + skip, size - skip, &w);
	sliced(p + skip, &in, &sl);
	FUZZ_CHECK(w.n == sl.n && w.err == sl.err);
	FUZZ_CHECK(memcmp(w.len, sl.len, w.n * sizeof(w.len[0])) == 0);
	FUZZ_CHECK(memcmp(w.nh, sl.nh, w.n * sizeof(w.nh[0])) == 0);
	if (ami_greeting(p, size, &used, ver, sizeof(ver)) == AMI_OK)
		FUZZ_CHECK(used <= size && strlen(ver) < sizeof(ver));
	if (ami_peek(p, size, "Response", &vl) != NULL)
		FUZZ_CHECK(vl <= size);
	buf_init(&b, 1 << 24);
	fuzz_encode_check(&b, ami_blocks(a, p, size, size % 5));
	buf_free(&b);
	arena_reset(a);
	return 0;
}
