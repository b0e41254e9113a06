/*
 * libFuzzer target for fcgi/file.c: http_range_parse against a model
 * written another way (split on commas, trim, match a pattern) for
 * several file sizes and caps, with its invariants (ranges inside the
 * file, lengths adding up to at most the size, count 0 unless RANGE_OK);
 * http_date_parse (a date it accepts comes back from http_date); and
 * file_reply on a small file with the input's lines as Range, If-Range,
 * If-None-Match, If-Match, If-Modified-Since and If-Unmodified-Since (a
 * line "-" leaves the header out), the method from the first byte: the
 * reply is one of 200, 206, 304, 412, 416, and its body has exactly the
 * announced Content-Length and what rp.bytes counts.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "file.h"
#include "fuzz.h"
#include "limits.h"
#include "reply.h"
#include "req.h"

#define OFF_MAX	  INT64_MAX
#define FILE_SIZE 26

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The model's number: 1*DIGIT saturating at OFF_MAX, or -1. */
static int64_t
model_num(const char *s, size_t n)
{
	int64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (OFF_MAX - (s[i] - '0')) / 10)
			v = OFF_MAX;
		else
			v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * One element (trimmed, not empty) against size into *f, *l.  Returns
 * RANGE_OK, RANGE_UNSATISFIABLE, RANGE_IGNORE (the empty file case), or
 * -1 for a syntax error.
 */
static int
model_spec(const char *s, size_t n, int64_t size, int64_t *f, int64_t *l)
{
	const char *dash = memchr(s, '-', n);
	int64_t a, b;

	if (dash == NULL)
		return -1;
	a = model_num(s, (size_t)(dash - s));
	b = model_num(dash + 1, n - (size_t)(dash - s) - 1);
	if (dash == s) { /* suffix */
		if (b < 0)
			return -1;
		if (size == 0)
			return RANGE_IGNORE;
		if (b == 0)
			return RANGE_UNSATISFIABLE;
		*f = b >= size ? 0 : size - b;
		*l = size - 1;
		return RANGE_OK;
	}
	if (a < 0 || (dash + 1 < s + n && (b < 0 || b < a)))
		return -1;
	if (dash + 1 == s + n)
		b = OFF_MAX;
	if (size == 0)
		return a == 0 ? RANGE_IGNORE : RANGE_UNSATISFIABLE;
	if (a >= size)
		return RANGE_UNSATISFIABLE;
	*f = a;
	*l = b >= size ? size - 1 : b;
	return RANGE_OK;
}

/* The model of http_range_parse, without its output: rc and count. */
static int
model(const char *s, size_t n, int64_t size, size_t max, size_t *count)
{
	const char *e, *end = s + n, *b;
	int64_t f, l, total = 0;
	int rc, specs = 0;

	*count = 0;
	if (size < 0 || n < 6 || strncasecmp(s, "bytes=", 6) != 0)
		return RANGE_IGNORE;
	for (s += 6;; s = e + 1) {
		e = memchr(s, ',', (size_t)(end - s));
		if (e == NULL)
			e = end;
		for (b = e; b > s && (b[-1] == ' ' || b[-1] == '\t'); b--)
			;
		while (s < b && (*s == ' ' || *s == '\t'))
			s++;
		rc = s == b ? RANGE_UNSATISFIABLE
			    : model_spec(s, (size_t)(b - s), size, &f, &l);
		specs += s != b;
		if (rc == RANGE_OK && *count < max &&
		    l - f + 1 <= size - total) {
			total += l - f + 1;
			(*count)++;
		} else if (rc != RANGE_UNSATISFIABLE) {
			*count = 0;
			return RANGE_IGNORE;
		}
		if (e == end)
			break;
	}
	if (specs == 0)
		return RANGE_IGNORE;
	return *count > 0 ? RANGE_OK : RANGE_UNSATISFIABLE;
}

static void
check_ranges(const char *s, size_t n, int64_t size, size_t max)
{
	struct http_range rg[LIM_RANGES];
	size_t count = 77, mcount, i;
	int64_t total = 0;
	int rc, mrc;

	rc = http_range_parse(s, n, (off_t)size, rg, max, &count);
	mrc = model(s, n, size, max, &mcount);
	FUZZ_CHECK(rc == mrc && count == mcount);
	FUZZ_CHECK(rc == RANGE_OK || count == 0);
	FUZZ_CHECK(rc != RANGE_OK || (count >= 1 && count <= max));
	for (i = 0; i < count; i++) {
		FUZZ_CHECK(rg[i].first >= 0 && rg[i].first <= rg[i].last);
		FUZZ_CHECK(rg[i].last < size);
		total += rg[i].last - rg[i].first + 1;
		FUZZ_CHECK(total <= size);
	}
}

static void
check_date(const char *s, size_t n, struct arena *a)
{
	const char *again;
	time_t t, u;

	if (http_date_parse(s, n, &t) == -1)
		return;
	FUZZ_CHECK(n == 24 || n == 29 || (n >= 30 && n <= 33));
	again = http_date(a, t);
	if (t >= 253402300800) /* 9999-12-31 23:59:60: a year 10000 */
		return;
	FUZZ_CHECK(strlen(again) == 29);
	FUZZ_CHECK(http_date_parse(again, 29, &u) == 0 && u == t);
}

/* The file file_reply serves: FILE_SIZE letters in memory. */
static int
the_file(void)
{
	static int fd = -1;

	if (fd == -1) {
		fd = memfd_create("fuzz_http_range", MFD_CLOEXEC);
		FUZZ_CHECK(fd != -1);
		FUZZ_CHECK(write(fd, "abcdefghijklmnopqrstuvwxyz", FILE_SIZE) ==
		    FILE_SIZE);
	}
	return fd;
}

static struct buf out;

static int
sink(void *o, const char *p, size_t n)
{
	(void)o;
	return buf_add(&out, p, n);
}

/* file_reply for r; checks the status and the body's length. */
static void
check_reply(struct req *r, struct arena *a, struct buf *body)
{
	static const char *const ok[] = { "Status: 200 ", "Status: 206 ",
		"Status: 304 ", "Status: 412 ", "Status: 416 " };
	struct reply rp;
	struct stat st;
	const char *end, *cl;
	size_t i, blen;
	int fd = dup(the_file()), known = 0;

	FUZZ_CHECK(fd != -1 && fstat(fd, &st) == 0);
	buf_clear(&out);
	reply_init(&rp, a, body, NULL);
	FUZZ_CHECK(file_reply(r, &rp, fd, &st, "audio/wav") == E_OK);
	FUZZ_CHECK(reply_finish(&rp) == 0);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		known |= strncmp(buf_cstr(&out), ok[i], 12) == 0;
	FUZZ_CHECK(known);
	end = strstr(buf_cstr(&out), "\r\n\r\n");
	FUZZ_CHECK(end != NULL);
	blen = out.len - (size_t)(end + 4 - out.data);
	FUZZ_CHECK(blen == rp.bytes);
	cl = strstr(buf_cstr(&out), "\r\nContent-Length: ");
	if (r->m == M_HEAD || rp.status == 304)
		FUZZ_CHECK(blen == 0);
	else
		FUZZ_CHECK(cl != NULL && cl < end &&
		    strtoull(cl + 18, NULL, 10) == blen);
	if (rp.status == 304)
		FUZZ_CHECK(cl == NULL || cl > end);
}

/* A request of the method and the input's lines as headers. */
static struct req *
request(struct arena *a, unsigned m, const char *s, size_t n)
{
	static const char *const names[] = { "HTTP_RANGE", "HTTP_IF_RANGE",
		"HTTP_IF_NONE_MATCH", "HTTP_IF_MATCH", "HTTP_IF_MODIFIED_SINCE",
		"HTTP_IF_UNMODIFIED_SINCE" };
	struct req *r = arena_zalloc(a, sizeof(*r));
	const char *nl, *end = s + n;
	size_t i, k = 0, len;

	r->arena = a;
	r->m = m;
	r->envp = arena_zalloc(a, 8 * sizeof(*r->envp));
	for (i = 0; i < 6 && s <= end; i++, s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		len = (size_t)(nl - s);
		if ((len == 1 && *s == '-') || memchr(s, '\0', len) != NULL)
			continue;
		r->envp[k++] =
		    arena_printf(a, "%s=%.*s", names[i], (int)len, s);
		check_date(s, len, a);
	}
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t sizes[] = { 0, 1, 2, 10, 1000, OFF_MAX };
	static const unsigned methods[] = { M_GET, M_HEAD, M_POST, M_GET };
	static struct arena *a;
	static struct buf body;
	const char *s = (const char *)data, *nl;
	size_t i, n;

	if (a == NULL) {
		a = arena_new();
		buf_init(&body, 1 << 20);
		buf_init(&out, 1 << 20);
		reply_write = sink;
	}
	if (size == 0)
		return 0;
	nl = memchr(s + 1, '\n', size - 1);
	n = nl != NULL ? (size_t)(nl - s - 1) : size - 1;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		check_ranges(s + 1, n, sizes[i], LIM_RANGES);
		check_ranges(s + 1, n, sizes[i], data[0] % 4);
	}
	check_ranges(s + 1, n, data[0] * 37, LIM_RANGES);
	check_reply(
	    request(a, methods[data[0] % 4], s + 1, size - 1), a, &body);
	arena_reset(a);
	return 0;
}
