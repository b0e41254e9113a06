/*
 * Files (fcgi/file.c): the Range parser case by case (first bytes,
 * middle, suffix, open end, past the end, empty file, several,
 * overlapping, too many, garbage, other units, overflow, white space),
 * HTTP-dates in their three forms and back, the ETag, which requests
 * are conditional; then file_reply's exact bytes through the reply sink:
 * 200, 206, multipart/byteranges, 416, 304, 412, If-Range with current
 * and stale ETags and dates, HEAD.  t_file_open.c tests the file system
 * side (file_open_beneath, file_uri_escape, file_handoff).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "file.h"
#include "limits.h"
#include "reply.h"
#include "req.h"
#include "tap.h"
#include "testlib.h"

#define SIZE  1000	  /* the served file's size */
#define MTIME 1700000000L /* its mtime: 0x6553f100 */
#define ETAG  "\"6553f100-3e8\""
#define LMOD  "Tue, 14 Nov 2023 22:13:20 GMT"
#define VALID "ETag: " ETAG "\r\nLast-Modified: " LMOD "\r\n"

static struct arena *A;
static struct buf out;	/* what reached the client */
static struct buf body; /* the worker's reply buffer */
static char data[SIZE + 1];

static int
sink(void *o, const char *p, size_t n)
{
	(void)o;
	return buf_add(&out, p, n);
}

/* The result of http_range_parse as text: "a-b,c-d", "ignore", "416". */
static const char *
ranges_of(const char *h, size_t n, off_t size, size_t max)
{
	struct http_range rg[LIM_RANGES + 4];
	size_t count = 99, i;
	struct buf b;
	const char *s;
	int rc;

	rc = http_range_parse(h, n, size, rg, max, &count);
	if (rc != RANGE_OK)
		return arena_printf(A, "%s%s",
		    rc == RANGE_IGNORE ? "ignore" : "416",
		    count == 0 ? "" : " (count not 0)");
	buf_init(&b, 4096);
	for (i = 0; i < count; i++)
		buf_printf(&b, "%s%lld-%lld", i ? "," : "",
		    (long long)rg[i].first, (long long)rg[i].last);
	s = arena_strdup(A, count ? buf_cstr(&b) : "(ok, no range)");
	buf_free(&b);
	return s;
}

static const struct {
	const char *h;
	long long size;
	const char *want;
} rcases[] = {
	{ "bytes=0-499", 1000, "0-499" },
	{ "bytes=0-0", 1000, "0-0" },
	{ "bytes=100-199", 1000, "100-199" },
	{ "bytes=500-999", 1000, "500-999" },
	{ "bytes=-500", 1000, "500-999" },
	{ "bytes=-1", 1000, "999-999" },
	{ "bytes=-1000", 1000, "0-999" },
	{ "bytes=-5000", 1000, "0-999" },
	{ "bytes=500-", 1000, "500-999" },
	{ "bytes=999-", 1000, "999-999" },
	{ "bytes=0-", 1000, "0-999" },
	{ "bytes=900-5000", 1000, "900-999" },
	{ "bytes=0-999", 1000, "0-999" },
	{ "bytes=1000-", 1000, "416" },
	{ "bytes=1000-2000", 1000, "416" },
	{ "bytes=-0", 1000, "416" },
	{ "bytes=1000-,2000-3000,-0", 1000, "416" },
	{ "bytes=0-0,-1", 1000, "0-0,999-999" },
	{ "bytes=0-1,2000-3000", 1000, "0-1" },
	{ "bytes=2000-,5-9", 1000, "5-9" },
	{ "bytes=10-19,0-9", 1000, "10-19,0-9" },
	{ "bytes=0-9,5-14", 1000, "0-9,5-14" },
	{ "bytes=0-499,0-499", 1000, "0-499,0-499" },
	{ "bytes=0-499,0-500", 1000, "ignore" },
	{ "bytes=500-,0-", 1000, "ignore" },
	{ "bytes=0-,-1", 1000, "ignore" },
	{ "bytes=0-", 0, "ignore" },
	{ "bytes=0-0", 0, "ignore" },
	{ "bytes=0-10", 0, "ignore" },
	{ "bytes=-5", 0, "ignore" },
	{ "bytes=-0", 0, "ignore" },
	{ "bytes=5-", 0, "416" },
	{ "bytes=1-1", 0, "416" },
	{ "bytes=1-,0-", 0, "ignore" },
	{ "bytes=0-", 1, "0-0" },
	{ "bytes=-1", 1, "0-0" },
	{ "bytes=1-", 1, "416" },
	{ "BYTES=0-1", 1000, "0-1" },
	{ "Bytes=0-1", 1000, "0-1" },
	{ "bytes=0-1, 3-4", 1000, "0-1,3-4" },
	{ "bytes=0-1 ,\t3-4", 1000, "0-1,3-4" },
	{ "bytes= 0-1 ", 1000, "0-1" },
	{ "bytes=\t-5\t", 1000, "995-999" },
	{ "bytes=0-1,,3-4", 1000, "0-1,3-4" },
	{ "bytes=,0-1", 1000, "0-1" },
	{ "bytes=0-1,", 1000, "0-1" },
	{ "bytes=, ,0-1, ,", 1000, "0-1" },
	{ "bytes=0001-0002", 1000, "1-2" },
	{ "bytes=", 1000, "ignore" },
	{ "bytes=,", 1000, "ignore" },
	{ "bytes= , ", 1000, "ignore" },
	{ "bytes=abc", 1000, "ignore" },
	{ "bytes=5", 1000, "ignore" },
	{ "bytes=-", 1000, "ignore" },
	{ "bytes=5-4", 1000, "ignore" },
	{ "bytes=0-1,5-4", 1000, "ignore" },
	{ "bytes=2000-,5-4", 1000, "ignore" },
	{ "bytes=--5", 1000, "ignore" },
	{ "bytes=-1-2", 1000, "ignore" },
	{ "bytes=0-1-2", 1000, "ignore" },
	{ "bytes=0-1;2-3", 1000, "ignore" },
	{ "bytes=0-1 2-3", 1000, "ignore" },
	{ "bytes=1 -2", 1000, "ignore" },
	{ "bytes=1- 2", 1000, "ignore" },
	{ "bytes=0x10-", 1000, "ignore" },
	{ "bytes=+1-2", 1000, "ignore" },
	{ "bytes=1e3-", 1000, "ignore" },
	{ "bytes=0-1,abc", 1000, "ignore" },
	{ "bytes=0-1\r\n", 1000, "ignore" },
	{ "bytes=\xd9\xa1-", 1000, "ignore" },
	{ "", 1000, "ignore" },
	{ "bytes", 1000, "ignore" },
	{ "bytes =0-1", 1000, "ignore" },
	{ " bytes=0-1", 1000, "ignore" },
	{ "bytes:0-1", 1000, "ignore" },
	{ "byte=0-1", 1000, "ignore" },
	{ "bytesx=0-1", 1000, "ignore" },
	{ "items=0-1", 1000, "ignore" },
	{ "none", 1000, "ignore" },
	{ "bytes=0-99999999999999999999999999", 1000, "0-999" },
	{ "bytes=99999999999999999999999999-", 1000, "416" },
	{ "bytes=99999999999999999999999999-99999999999999999999999999", 1000,
	    "416" },
	{ "bytes=-99999999999999999999999999", 1000, "0-999" },
	{ "bytes=9223372036854775807-", 1000, "416" },
	{ "bytes=18446744073709551617-", 1000, "416" },
	{ "bytes=9223372036854775806-", INT64_MAX,
	    "9223372036854775806-9223372036854775806" },
	{ "bytes=-9223372036854775807", INT64_MAX, "0-9223372036854775806" },
	{ "bytes=-99999999999999999999", INT64_MAX, "0-9223372036854775806" },
	{ "bytes=0-", INT64_MAX, "0-9223372036854775806" },
	{ "bytes=0-0,-1", -1, "ignore" },
};

/* s with control and non-ASCII bytes as \xNN, for a test's name. */
static const char *
vis(const char *s)
{
	struct buf b;
	const char *v;

	buf_init(&b, 1024);
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			buf_printf(&b, "\\x%02x", (unsigned char)*s);
		else
			buf_addc(&b, *s);
	v = arena_strdup(A, buf_cstr(&b));
	buf_free(&b);
	return v;
}

static void
range_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++)
		is_str(ranges_of(rcases[i].h, strlen(rcases[i].h),
			   (off_t)rcases[i].size, LIM_RANGES),
		    rcases[i].want,
		    arena_printf(A, "range '%s' of %lld", vis(rcases[i].h),
			rcases[i].size));
}

/* "bytes=0-0,2-2,..." with n ranges; what follows "bytes=" is the
 * expected result. */
static const char *
many(size_t n)
{
	struct buf b;
	const char *s;
	size_t i;

	buf_init(&b, 4096);
	buf_adds(&b, "bytes=");
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%zu-%zu", i ? "," : "", 2 * i, 2 * i);
	s = arena_strdup(A, buf_cstr(&b));
	buf_free(&b);
	return s;
}

static void
range_limits(void)
{
	const char *h = many(LIM_RANGES), *want = h + 6;

	is_str(ranges_of(h, strlen(h), 1000, LIM_RANGES), want,
	    "LIM_RANGES ranges: all of them");
	h = many(LIM_RANGES + 1);
	is_str(ranges_of(h, strlen(h), 1000, LIM_RANGES), "ignore",
	    "LIM_RANGES + 1 ranges: the header is ignored (200)");
	h = arena_printf(A, "%s,5000-", want - 6);
	is_str(ranges_of(h, strlen(h), 1000, LIM_RANGES), want,
	    "an unsatisfiable one more does not count against the cap");
	is_str(ranges_of("bytes=0-0,2-2,4-4", 17, 1000, 2), "ignore",
	    "max 2, three ranges: ignored");
	is_str(ranges_of("bytes=0-0", 9, 1000, 0), "ignore",
	    "max 0: any range is ignored");
	is_str(ranges_of("bytes=0-19", 9, 1000, LIM_RANGES), "0-1",
	    "only n bytes are read (\"bytes=0-1\" of \"bytes=0-19\")");
	is_str(ranges_of("bytes=0-1\0,2-3", 14, 1000, LIM_RANGES), "ignore",
	    "a NUL inside the n bytes: ignored");
	is_str(ranges_of("bytes=0-1,\0", 11, 1000, LIM_RANGES), "ignore",
	    "a NUL after a comma: ignored");
}

/* The seconds of an HTTP-date, or -1 if it does not parse. */
static long long
date_of(const char *s)
{
	time_t t;

	return http_date_parse(s, strlen(s), &t) == 0 ? (long long)t : -1;
}

static const struct {
	const char *s;
	long long t;
} good_dates[] = {
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },	 /* IMF-fixdate */
	{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 }, /* RFC 850 */
	{ "Sun Nov  6 08:49:37 1994", 784111777 },	 /* asctime */
	{ "Sun Nov 16 08:49:37 1994", 784111777 + 864000 },
	{ "Mon, 06 Nov 1994 08:49:37 GMT", 784111777 }, /* weekday unchecked */
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Wed, 31 Dec 1969 23:59:59 GMT", -1 },
	{ "Thu, 29 Feb 1996 00:00:00 GMT", 825552000 },
	{ "Tue, 29 Feb 2000 00:00:00 GMT", 951782400 },
	{ "Wed, 31 Dec 1998 23:59:60 GMT", 915148800 }, /* leap second */
	{ "Thursday, 01-Jan-70 00:00:00 GMT", 0 },
	{ "Sunday, 01-Jan-69 00:00:00 GMT", 3124224000LL }, /* 2069 */
	{ "Fri, 31 Dec 9999 23:59:59 GMT", 253402300799LL },
	{ "Sat, 01 Jan 0000 00:00:00 GMT", -62167219200LL },
};

static const char *const bad_dates[] = { "Sun, 06 Nov 1994 08:49:37 UTC",
	"Sun, 06 Nov 1994 08:49:37 gmt", "Sun, 06 Nov 1994 08:49:37",
	"Sun, 06 Nov 1994 08:49:37 GMT ", " Sun, 06 Nov 1994 08:49:37 GMT",
	"Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 nov 1994 08:49:37 GMT",
	"Sux, 06 Nov 1994 08:49:37 GMT", "Sun 06 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nox 1994 08:49:37 GMT", "Sun, 31 Nov 1994 08:49:37 GMT",
	"Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
	"Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
	"Wed, 29 Feb 1995 00:00:00 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
	"Sunday, 06-Nov-1994 08:49:37 GMT", "Sun, 06-Nov-94 08:49:37 GMT",
	"Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94", "1994-11-06", "",
	"Sun, 06 Nov 1994 08:49:37 GMT\r\n", "784111777" };

static void
dates(void)
{
	size_t i;
	int good = 1;

	for (i = 0; i < sizeof(good_dates) / sizeof(good_dates[0]); i++)
		is_int(date_of(good_dates[i].s), good_dates[i].t,
		    arena_printf(A, "HTTP-date '%s'", good_dates[i].s));
	for (i = 0; i < sizeof(bad_dates) / sizeof(bad_dates[0]); i++)
		is_int(date_of(bad_dates[i]), -1,
		    arena_printf(
			A, "not an HTTP-date: '%s'", vis(bad_dates[i])));
	is_str(http_date(A, 784111777), "Sun, 06 Nov 1994 08:49:37 GMT",
	    "http_date: IMF-fixdate");
	is_str(http_date(A, 0), "Thu, 01 Jan 1970 00:00:00 GMT",
	    "http_date: the epoch");
	for (i = 0; i < 5000 && good; i++) {
		time_t t = (time_t)((long long)i * 50599217LL - 2000000000LL);
		good = date_of(http_date(A, t)) == (long long)t;
	}
	ok(good,
	    "http_date then http_date_parse: 5000 times from 1906 to "
	    "9990 give the time back");
}

static void
etag(void)
{
	struct stat st = { 0 };

	st.st_mtime = MTIME;
	st.st_size = SIZE;
	is_str(file_etag(A, &st), ETAG, "ETag: nginx's \"mtime-size\" in hex");
	st.st_mtime = 0;
	st.st_size = 0;
	is_str(file_etag(A, &st), "\"0-0\"", "ETag of an empty file at 0");
}

/* Returns nonzero if fd is not open. */
static int
is_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

/* A request of method m with FastCGI parameters (NULL-terminated). */
static struct req *
mkreq(unsigned m, ...)
{
	struct req *r = arena_zalloc(A, sizeof(*r));
	const char *p;
	size_t n = 0;
	va_list ap;

	r->envp = arena_zalloc(A, 16 * sizeof(*r->envp));
	va_start(ap, m);
	for (p = va_arg(ap, const char *); p != NULL && n < 15;
	     p = va_arg(ap, const char *))
		r->envp[n++] = arena_strdup(A, p);
	va_end(ap);
	r->arena = A;
	r->m = m;
	return r;
}

static void
conditional(void)
{
	static const char *const hs[] = { "HTTP_RANGE=bytes=0-1",
		"HTTP_IF_MATCH=*", "HTTP_IF_NONE_MATCH=*",
		"HTTP_IF_MODIFIED_SINCE=x", "HTTP_IF_UNMODIFIED_SINCE=x" };
	size_t i;

	ok(!file_conditional(
	       mkreq(M_GET, "HTTP_IF_RANGE=" ETAG, "HTTP_ACCEPT=*/*", NULL)),
	    "file_conditional: If-Range alone, Accept: no");
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
		ok(file_conditional(mkreq(M_GET, hs[i], NULL)),
		    "file_conditional: %s", hs[i]);
}

static int last_fd;	  /* the fd file_reply was given */
static size_t last_bytes; /* rp.bytes after reply_finish */

/* Writes the served file: SIZE bytes of data, mtime MTIME. */
static void
make_served(const char *name, size_t n)
{
	struct timespec ts[2] = { { .tv_sec = MTIME }, { .tv_sec = MTIME } };

	tl_putn(name, data, n);
	if (utimensat(AT_FDCWD, tl_path(name), ts, 0) == -1)
		printf("# utimensat: %s\n", strerror(errno));
}

/*
 * file_reply of the scratch file name for r, then reply_finish: returns
 * the output (in the arena).
 */
static const char *
serve_file(struct req *r, const char *name, const char *ctype)
{
	struct reply rp;
	struct stat st;
	int fd = open(tl_path(name), O_RDONLY | O_CLOEXEC);

	buf_clear(&out);
	reply_init(&rp, A, &body, NULL);
	if (fd == -1 || fstat(fd, &st) == -1)
		return "(cannot open)";
	last_fd = fd;
	if (file_reply(r, &rp, fd, &st, ctype) != E_OK)
		return "(not E_OK)";
	if (reply_finish(&rp) == -1)
		return "(reply_finish failed)";
	last_bytes = rp.bytes;
	return arena_strndup(A, out.data, out.len);
}

#define serve(r) serve_file((r), "served", "audio/wav")

/* The 200 of the whole file (its head only if head). */
static const char *
whole(const char *ctype, int head)
{
	return arena_printf(A,
	    "Status: 200 OK\r\nContent-Type: %s\r\n" VALID
	    "Accept-Ranges: bytes\r\nContent-Length: %d\r\n\r\n%s",
	    ctype, SIZE, head ? "" : data);
}

/* The 206 of bytes first-last. */
static const char *
partial(int first, int last)
{
	return arena_printf(A,
	    "Status: 206 Partial Content\r\nContent-Type: audio/wav\r\n" VALID
	    "Accept-Ranges: bytes\r\nContent-Range: bytes %d-%d/%d\r\n"
	    "Content-Length: %d\r\n\r\n%.*s",
	    first, last, SIZE, last - first + 1, last - first + 1,
	    data + first);
}

static const char *
mname(unsigned m)
{
	return m == M_GET ? "GET" : m == M_HEAD ? "HEAD" : "POST";
}

/* Checks the reply's output, that the fd is closed and the bytes sent. */
static void
reply_is(const char *got, const char *want, size_t bytes, const char *name)
{
	is_str(got, want, name);
	ok(is_closed(last_fd) && last_bytes == bytes,
	    "%s: fd closed, %zu body bytes counted (%zu)", name, bytes,
	    last_bytes);
}

/* Range cases: method, header, then the 206's range or -1 (200). */
static const struct {
	unsigned m;
	const char *h;
	int first, last;
} ranged[] = {
	{ M_GET, "bytes=0-9", 0, 9 }, { M_GET, "bytes=500-", 500, 999 },
	{ M_GET, "bytes=-10", 990, 999 },
	{ M_GET, "bytes=998-5000", 998, 999 }, /* clamped */
	{ M_GET, "bytes=0-9,5000-", 0, 9 },    /* one satisfiable: one part */
	{ M_HEAD, "bytes=0-9", -1, -1 },       /* RFC 7233 3.1: GET only */
	{ M_POST, "bytes=0-9", -1, -1 },       /* likewise */
	{ M_GET, "bytes=abc", -1, -1 },	       /* garbage */
	{ M_GET, "items=0-9", -1, -1 },	       /* another unit */
	{ M_GET, "bytes=0-,0-", -1, -1 },      /* over the size */
};

static void
plain_and_ranges(void)
{
	size_t i;
	int f, l, head;

	reply_is(serve(mkreq(M_GET, NULL)), whole("audio/wav", 0), SIZE,
	    "GET: 200, validators, Accept-Ranges, the whole file");
	reply_is(serve_file(mkreq(M_GET, NULL), "served", NULL),
	    whole("application/octet-stream", 0), SIZE,
	    "GET, no type: application/octet-stream");
	reply_is(serve(mkreq(M_HEAD, NULL)), whole("audio/wav", 1), 0,
	    "HEAD: the same head, Content-Length 1000, no body");
	for (i = 0; i < sizeof(ranged) / sizeof(ranged[0]); i++) {
		f = ranged[i].first;
		l = ranged[i].last;
		head = ranged[i].m == M_HEAD;
		reply_is(
		    serve(mkreq(ranged[i].m,
			arena_printf(A, "HTTP_RANGE=%s", ranged[i].h), NULL)),
		    f == -1 ? whole("audio/wav", head) : partial(f, l),
		    f != -1    ? (size_t)(l - f + 1)
			: head ? 0
			       : SIZE,
		    arena_printf(A, "%s Range %s: %d", mname(ranged[i].m),
			ranged[i].h, f == -1 ? 200 : 206));
	}
	reply_is(serve(mkreq(M_GET, "HTTP_RANGE=bytes=1000-", NULL)),
	    "Status: 416 Range Not Satisfiable\r\n" VALID
	    "Accept-Ranges: bytes\r\nContent-Range: bytes */1000\r\n"
	    "Content-Length: 0\r\n\r\n",
	    0, "Range 1000-: 416, bytes */1000, no body");
}

/* Returns the multipart body file_reply should send for the ranges. */
static const char *
multipart_body(const char *bd, const int (*rg)[2], size_t n)
{
	struct buf b;
	const char *s;
	size_t i;

	buf_init(&b, 1 << 16);
	for (i = 0; i < n; i++)
		buf_printf(&b,
		    "\r\n--%s\r\nContent-Type: audio/wav\r\n"
		    "Content-Range: bytes %d-%d/%d\r\n\r\n%.*s",
		    bd, rg[i][0], rg[i][1], SIZE, rg[i][1] - rg[i][0] + 1,
		    data + rg[i][0]);
	buf_printf(&b, "\r\n--%s--\r\n", bd);
	s = arena_strdup(A, buf_cstr(&b));
	buf_free(&b);
	return s;
}

/* Checks a multipart reply to the header h for the ranges rg. */
static void
multipart_is(const char *h, const int (*rg)[2], size_t n, const char *name)
{
	const char *got = serve(mkreq(M_GET, h, NULL)), *p, *bd, *bdy;

	p = strstr(got, "boundary=");
	bd = arena_strndup(A, p != NULL ? p + 9 : "?", 20);
	ok(p != NULL && strspn(bd, "0123456789abcdef") == 20 && p[29] == '\r',
	    "%s: a boundary of 20 hex digits", name);
	bdy = multipart_body(bd, rg, n);
	reply_is(got,
	    arena_printf(A,
		"Status: 206 Partial Content\r\nContent-Type: "
		"multipart/byteranges; boundary=%s\r\n" VALID
		"Accept-Ranges: bytes\r\nContent-Length: %zu\r\n\r\n%s",
		bd, strlen(bdy), bdy),
	    strlen(bdy), name);
}

static void
multipart(void)
{
	static const int two[][2] = { { 0, 9 }, { 20, 29 } };
	static const int ovl[][2] = { { 990, 999 }, { 0, 0 }, { 995, 999 } };
	int cap[LIM_RANGES][2];
	const char *h = "HTTP_RANGE=bytes=0-0";
	size_t i;

	multipart_is("HTTP_RANGE=bytes=0-9, 20-29", two, 2,
	    "two ranges: multipart/byteranges");
	multipart_is("HTTP_RANGE=bytes=-10,0-0,995-", ovl, 3,
	    "overlapping, unordered: as asked");
	for (i = 0; i < LIM_RANGES; i++) {
		cap[i][0] = cap[i][1] = (int)(60 * i);
		if (i > 0)
			h = arena_printf(A, "%s,%zu-%zu", h, 60 * i, 60 * i);
	}
	multipart_is(h, (const int(*)[2])cap, LIM_RANGES,
	    "LIM_RANGES ranges: multipart");
	h = arena_printf(A, "%s,999-999", h);
	reply_is(serve(mkreq(M_GET, h, NULL)), whole("audio/wav", 0), SIZE,
	    "LIM_RANGES + 1 ranges: 200 whole");
	h = serve(mkreq(M_GET, "HTTP_RANGE=bytes=0-0,2-2", NULL));
	ok(strcmp(strstr(h, "boundary="),
	       strstr(serve(mkreq(M_GET, "HTTP_RANGE=bytes=0-0,2-2", NULL)),
		   "boundary=")) != 0,
	    "two multipart replies get two boundaries");
}

#define NOT_MODIFIED "Status: 304 Not Modified\r\n" VALID "\r\n"
#define FAILED \
	"Status: 412 Precondition Failed\r\n" VALID "Content-Length: 0\r\n\r\n"
#define EARLIER "Tue, 14 Nov 2023 22:13:19 GMT"
#define LATER	"Tue, 14 Nov 2023 22:13:21 GMT"

#define INM "HTTP_IF_NONE_MATCH="
#define IMS "HTTP_IF_MODIFIED_SINCE="
#define IM  "HTTP_IF_MATCH="
#define IUS "HTTP_IF_UNMODIFIED_SINCE="

/* One precondition case: the method, one or two parameters, the reply. */
static const struct {
	unsigned m;
	const char *h1, *h2;
	int want; /* 200, 304, 412 */
} pcases[] = {
	{ M_GET, INM ETAG, NULL, 304 },
	{ M_HEAD, INM ETAG, NULL, 304 },
	{ M_GET, INM "W/" ETAG, NULL, 304 }, /* weak comparison */
	{ M_GET, INM "\"x\", " ETAG, NULL, 304 },
	{ M_GET, INM "\"x\",W/\"y\" ,\t" ETAG, NULL, 304 },
	{ M_GET, INM "*", NULL, 304 },
	{ M_GET, INM "\"x\"", NULL, 200 },
	{ M_GET, INM "\"6553f100-3e9\"", NULL, 200 },
	{ M_GET, INM "6553f100-3e8", NULL, 200 },
	{ M_GET, INM "\"x\" junk, " ETAG, NULL, 200 }, /* broken before */
	{ M_POST, INM ETAG, NULL, 412 },
	{ M_GET, IMS LMOD, NULL, 304 },
	{ M_GET, IMS LATER, NULL, 304 },
	{ M_GET, IMS EARLIER, NULL, 200 },
	{ M_GET, IMS "yesterday", NULL, 200 },
	{ M_GET, IMS "Tuesday, 14-Nov-23 22:13:20 GMT", NULL, 304 },
	{ M_POST, IMS LMOD, NULL, 200 },
	{ M_GET, INM "\"x\"", IMS LMOD, 200 }, /* If-None-Match wins */
	{ M_GET, IM ETAG, NULL, 200 },
	{ M_GET, IM "*", NULL, 200 },
	{ M_GET, IM "\"x\", " ETAG, NULL, 200 },
	{ M_GET, IM "\"x\"", NULL, 412 },
	{ M_GET, IM "W/" ETAG, NULL, 412 }, /* strong comparison */
	{ M_GET, IM "", NULL, 412 },
	{ M_HEAD, IM "\"x\"", NULL, 412 },
	{ M_GET, IUS LMOD, NULL, 200 },
	{ M_GET, IUS LATER, NULL, 200 },
	{ M_GET, IUS EARLIER, NULL, 412 },
	{ M_GET, IUS "never", NULL, 200 },
	{ M_GET, IM ETAG, IUS EARLIER, 200 }, /* If-Match wins */
	{ M_GET, IM "\"x\"", INM "\"x\"", 412 },
	{ M_GET, INM ETAG, "HTTP_RANGE=bytes=0-9", 304 },
	{ M_GET, IM "\"x\"", "HTTP_RANGE=bytes=5000-", 412 },
};

static void
preconditions(void)
{
	const char *want;
	size_t i;

	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		if (pcases[i].want == 304)
			want = NOT_MODIFIED;
		else if (pcases[i].want == 412)
			want = FAILED;
		else
			want = whole("audio/wav", pcases[i].m == M_HEAD);
		reply_is(
		    serve(mkreq(pcases[i].m, pcases[i].h1, pcases[i].h2, NULL)),
		    want, pcases[i].want == 200 ? SIZE : 0,
		    arena_printf(A, "%s %s %s: %d", mname(pcases[i].m),
			pcases[i].h1, pcases[i].h2 ? pcases[i].h2 : "",
			pcases[i].want));
	}
}

/* If-Range with Range 0-9: the validator decides 206 or 200. */
static void
if_range(void)
{
	static const struct {
		const char *v;
		int partial;
	} c[] = {
		{ ETAG, 1 },
		{ "\"6553f100-3e9\"", 0 },
		{ "W/" ETAG, 0 },
		{ LMOD, 1 },
		{ EARLIER, 0 },
		{ LATER, 0 },
		{ "Tuesday, 14-Nov-23 22:13:20 GMT", 1 },
		{ "garbage", 0 },
		{ "", 0 },
		{ ETAG " ", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		reply_is(
		    serve(mkreq(M_GET, "HTTP_RANGE=bytes=0-9",
			arena_printf(A, "HTTP_IF_RANGE=%s", c[i].v), NULL)),
		    c[i].partial ? partial(0, 9) : whole("audio/wav", 0),
		    c[i].partial ? 10 : SIZE,
		    arena_printf(A, "If-Range '%s': %s", c[i].v,
			c[i].partial ? "206" : "200 whole"));
	reply_is(serve(mkreq(M_GET, "HTTP_IF_RANGE=\"x\"", NULL)),
	    whole("audio/wav", 0), SIZE, "If-Range without Range: 200");
}

static void
empty_file(void)
{
	const char *head = "Status: 200 OK\r\nContent-Type: audio/wav\r\n"
			   "ETag: \"6553f100-0\"\r\nLast-Modified: " LMOD
			   "\r\nAccept-Ranges: bytes\r\nContent-Length: "
			   "0\r\n\r\n";

	reply_is(serve_file(mkreq(M_GET, NULL), "empty", "audio/wav"), head, 0,
	    "empty file: 200, Content-Length 0");
	reply_is(serve_file(mkreq(M_GET, "HTTP_RANGE=bytes=0-", NULL), "empty",
		     "audio/wav"),
	    head, 0, "empty file, Range 0-: 200 (nginx)");
	reply_is(serve_file(mkreq(M_GET, "HTTP_RANGE=bytes=-5", NULL), "empty",
		     "audio/wav"),
	    head, 0, "empty file, Range -5: 200");
	reply_is(serve_file(mkreq(M_GET, "HTTP_RANGE=bytes=1-", NULL), "empty",
		     "audio/wav"),
	    "Status: 416 Range Not Satisfiable\r\nETag: \"6553f100-0\"\r\n"
	    "Last-Modified: " LMOD "\r\nAccept-Ranges: bytes\r\n"
	    "Content-Range: bytes */0\r\nContent-Length: 0\r\n\r\n",
	    0, "empty file, Range 1-: 416 bytes */0");
}

int
main(void)
{
	size_t i;

	A = arena_new();
	buf_init(&out, 1 << 22);
	buf_init(&body, LIM_REPLY_MAX);
	reply_write = sink;
	for (i = 0; i < SIZE; i++)
		data[i] = (char)('a' + i % 26);
	tl_tmpdir("t_file");
	range_cases();
	range_limits();
	dates();
	etag();
	conditional();
	make_served("served", SIZE);
	make_served("empty", 0);
	plain_and_ranges();
	multipart();
	preconditions();
	if_range();
	empty_file();
	tl_rmtmp();
	buf_free(&body);
	buf_free(&out);
	arena_free(A);
	return done_testing();
}
