/*
 * Replies (fcgi/reply.c): the exact bytes of the CGI header block
 * (Status, Content-Type, the extra headers in order, Content-Length, the
 * blank line) and of the body for buffered JSON and text, streamed JSON
 * (flushed once 32 KiB are buffered, no Content-Length) and file bodies
 * (whole, or parts: slices and framing); head-only replies (HEAD, 304);
 * reset, commit and write failures.  Output goes through reply_write,
 * replaced here by a sink that records it and can be told to fail; the
 * default sink (FCGX_PutStr) runs once on a writer stream built on memory.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "limits.h"
#include "reply.h"
#include "tap.h"
#include "testlib.h"

#define STREAM_AT (32 * 1024)

static struct arena *A;
static struct buf out;	/* what reached the client */
static struct buf body; /* the worker's reply buffer */
static int writes;	/* calls of the sink */
static int fail_from;	/* the sink fails from this call on, 0 never */
static int (*fcgx_default)(void *, const char *, size_t); /* reply.c's */

static int
sink(void *o, const char *p, size_t n)
{
	(void)o;
	writes++;
	if (fail_from > 0 && writes >= fail_from)
		return -1;
	return buf_add(&out, p, n);
}

/* A fresh reply on the sink. */
static void
start(struct reply *rp)
{
	buf_clear(&out);
	writes = 0;
	fail_from = 0;
	reply_init(rp, A, &body, NULL);
}

/* The output as a C string (it may hold NULs: use out.len then). */
static const char *
output(void)
{
	return buf_cstr(&out);
}

/* reply_finish, then the output compared with want (a C string). */
static void
finish_is(struct reply *rp, const char *want, const char *name)
{
	int rc = reply_finish(rp);

	ok(rc == 0, "%s: reply_finish returns 0", name);
	is_mem(out.data, out.len, want, name);
}

/* Returns nonzero if fd is not open. */
static int
is_closed(int fd)
{
	return fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

static void
init_and_defaults(void)
{
	struct reply rp;

	buf_adds(&body, "left from the last request");
	start(&rp);
	ok(rp.status == 200 && rp.ctype == NULL && rp.nhdr == 0 &&
		rp.fd == -1 && body.len == 0 && !rp.headers_sent,
	    "reply_init: 200, no type, no headers, no file, empty body");
	ok(!reply_committed(&rp), "reply_init: not committed");
	finish_is(&rp, "Status: 200 OK\r\nContent-Length: 0\r\n\r\n",
	    "empty reply: status and Content-Length 0 only");
	ok(reply_committed(&rp), "committed after reply_finish");
	is_int(writes, 1, "empty reply: one write, no body write");
}

static void
text_and_json(void)
{
	struct reply rp;
	struct jw *w;

	start(&rp);
	reply_text(&rp, "text/plain; charset=UTF-8", "hello", 5);
	ok(out.len == 0 && writes == 0, "nothing is sent before reply_finish");
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Length: 5\r\n\r\nhello",
	    "text: Status, Content-Type, Content-Length, body");
	is_int((long long)rp.bytes, 5, "text: bytes counts the body");
	start(&rp);
	reply_text(&rp, "application/octet-stream", "a\0b", 3);
	reply_finish(&rp);
	ok(out.len >= 3 && memcmp(out.data + out.len - 3, "a\0b", 3) == 0 &&
		strstr(output(), "Content-Length: 3\r\n") != NULL,
	    "text: NUL bytes are body bytes");
	start(&rp);
	reply_status(&rp, 404);
	w = reply_json(&rp, JW_PHP);
	is_str(rp.ctype, "application/json", "reply_json sets the type");
	jw_obj_open(w);
	jw_keyz(w, "error");
	jw_strz(w, "a/b");
	jw_obj_close(w);
	finish_is(&rp,
	    "Status: 404 Not Found\r\nContent-Type: application/json\r\n"
	    "Content-Length: 16\r\n\r\n{\"error\":\"a\\/b\"}",
	    "json: 404 with its reason and the JSON body");
	start(&rp);
	reply_status(&rp, 599);
	finish_is(&rp, "Status: 599 Unknown\r\nContent-Length: 0\r\n\r\n",
	    "a status without a reason phrase: Unknown");
}

static void
body_switch(void)
{
	struct reply rp;
	struct jw *w;

	start(&rp);
	reply_text(&rp, "text/plain", "old text", 8);
	w = reply_json(&rp, JW_UTF8);
	jw_int(w, 7);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n7",
	    "reply_json drops an earlier text body");
	start(&rp);
	w = reply_json(&rp, JW_UTF8);
	jw_int(w, 7);
	reply_text(&rp, "text/csv", "x,y", 3);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: text/csv\r\n"
	    "Content-Length: 3\r\n\r\nx,y",
	    "reply_text drops an earlier JSON body and type");
	start(&rp);
	w = reply_json(&rp, JW_PHP);
	jw_str(w, "\xff", 1);
	reply_text(&rp, "text/plain", "fallback", 8);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 8\r\n\r\nfallback",
	    "reply_text after a failed JSON body: the text is sent");
}

static void
headers(void)
{
	struct reply rp;
	char name[16] = "X-Name", value[16] = "v1";

	start(&rp);
	reply_text(&rp, "text/plain", "b", 1);
	reply_header(&rp, name, value);
	reply_header(&rp, "X-Second", "2");
	memcpy(name, "Y-Gone", 7);
	memcpy(value, "zz", 3);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\nX-Name: v1\r\n"
	    "X-Second: 2\r\nContent-Length: 1\r\n\r\nb",
	    "headers: in order, after Content-Type, copied");
	start(&rp);
	reply_header(&rp, "X-A", "1");
	reply_header(&rp, "X-B", "2");
	reply_header(&rp, "x-a", "3");
	finish_is(&rp,
	    "Status: 200 OK\r\nx-a: 3\r\nX-B: 2\r\nContent-Length: 0\r\n\r\n",
	    "headers: the same name (any case) is replaced in its place");
	is_int((long long)rp.nhdr, 2, "headers: replacing does not add");
}

static void
header_limits(void)
{
	struct reply rp;
	char *v = arena_alloc(A, LIM_HEADER_VALUE + 100);
	const char *p;
	size_t i;

	memset(v, 'v', LIM_HEADER_VALUE + 99);
	v[LIM_HEADER_VALUE + 99] = '\0';
	start(&rp);
	reply_header(&rp, "X-Long", v);
	reply_finish(&rp);
	p = strstr(output(), "X-Long: ");
	ok(p != NULL && strspn(p + 8, "v") == LIM_HEADER_VALUE &&
		strncmp(p + 8 + LIM_HEADER_VALUE, "\r\n", 2) == 0,
	    "headers: a value is cut at LIM_HEADER_VALUE bytes");
	start(&rp);
	for (i = 0; i <= LIM_REPLY_HEADERS; i++)
		reply_header(&rp, arena_printf(A, "X-H%zu", i), "x");
	reply_header(&rp, "X-H3", "replaced");
	reply_finish(&rp);
	ok(rp.nhdr == LIM_REPLY_HEADERS &&
		strstr(output(), "X-H15: x\r\n") != NULL &&
		strstr(output(), "X-H16") == NULL,
	    "headers: past LIM_REPLY_HEADERS a new one is dropped");
	ok(strstr(output(), "X-H3: replaced\r\n") != NULL,
	    "headers: a full table still replaces an existing name");
}

/*
 * LIM_REPLY_HEADERS values of LIM_HEADER_VALUE bytes under names of 100
 * bytes: the header block is larger than send_headers' buffer.
 */
static void
big_header_block(void)
{
	struct reply rp;
	char *v = arena_alloc(A, LIM_HEADER_VALUE + 1);
	size_t i;

	memset(v, 'v', LIM_HEADER_VALUE);
	v[LIM_HEADER_VALUE] = '\0';
	start(&rp);
	for (i = 0; i < LIM_REPLY_HEADERS; i++)
		reply_header(&rp, arena_printf(A, "X-%0*zu", 98, i), v);
	(void)reply_finish(&rp);
}

/* Returns nonzero if the output is one header block without NULs. */
static int
well_formed(void)
{
	return out.len > 20 && memchr(out.data, '\0', out.len) == NULL &&
	    strncmp(out.data, "Status: 200 OK\r\n", 16) == 0 &&
	    strstr(out.data, "\r\n\r\n") == out.data + out.len - 4;
}

static void
full_header_block(void)
{
	pid_t pid;
	int st = 0;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		/* The overflow report would only be noise. */
		dup2(open("/dev/null", O_WRONLY | O_CLOEXEC), 2);
		big_header_block();
		_exit(well_formed() ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		WEXITSTATUS(st) == 0,
	    "headers: a block larger than send_headers' buffer does not "
	    "overflow it");
}

/* A header with CR or LF could add headers or end the block. */
static void
header_injection(void)
{
	struct reply rp;

	buf_clear(&out);
	reply_init(&rp, A, &body, NULL);
	reply_header(&rp, "X-A", "1\r\nX-Injected: 1");
	reply_header(&rp, "X-B\r\nX-Injected", "1");
	reply_header(&rp, "X-C", "2\nSet-Cookie: x");
	reply_header(&rp, "X-D", "ok");
	reply_text(&rp, "text/plain", "", 0);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\nX-D: ok\r\n"
	    "Content-Length: 0\r\n\r\n",
	    "headers: a name or value with CR or LF is dropped");
}

static void
reset(void)
{
	struct reply rp;
	struct jw *w;
	int fd;

	start(&rp);
	reply_status(&rp, 503);
	reply_header(&rp, "Retry-After", "5");
	w = reply_json(&rp, JW_UTF8);
	jw_strz(w, "half-built");
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	reply_file(&rp, fd, 10);
	reply_reset(&rp);
	ok(is_closed(fd), "reply_reset closes a file body");
	finish_is(&rp, "Status: 200 OK\r\nContent-Length: 0\r\n\r\n",
	    "reply_reset drops status, type, headers and body");
	start(&rp);
	reply_text(&rp, "text/plain", "x", 1);
	reply_reset(&rp);
	reply_status(&rp, 400);
	reply_text(&rp, "text/plain", "again", 5);
	finish_is(&rp,
	    "Status: 400 Bad Request\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 5\r\n\r\nagain",
	    "after reply_reset a new reply is built from scratch");
}

/* An element of 1000 bytes in the JSON text ("x" * 998 quoted). */
static void
elem(struct jw *w)
{
	static char s[998];

	memset(s, 'x', sizeof(s));
	jw_str(w, s, sizeof(s));
}

/* The JSON text of elem() n times in an array. */
static const char *
elems(size_t n)
{
	struct buf b;
	struct jw w;
	const char *s;
	size_t i;

	buf_init(&b, 1 << 22);
	jw_init(&w, &b, JW_UTF8);
	jw_arr_open(&w);
	for (i = 0; i < n; i++)
		elem(&w);
	jw_arr_close(&w);
	s = arena_strdup(A, buf_cstr(&b));
	buf_free(&b);
	return s;
}

#define STREAM_HEAD "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"

static void
streaming(void)
{
	struct reply rp;
	struct jw *w;
	size_t i, before = 0, quiet = 1, first = 0;
	const char *want = elems(100);

	start(&rp);
	reply_header(&rp, "X-Stream", "1");
	w = reply_json_stream(&rp, JW_UTF8);
	jw_arr_open(w);
	for (i = 0; i < 100 && out.len == 0; i++) {
		before = body.len;
		elem(w);
		if (out.len == 0 && before >= STREAM_AT)
			quiet = 0;
	}
	first = out.len;
	ok(quiet && before >= STREAM_AT && before < STREAM_AT + 1002,
	    "stream: nothing sent until 32 KiB are buffered (%zu)", before);
	ok(first == strlen(STREAM_HEAD) + 13 + before + 1 &&
		strncmp(output(),
		    "Status: 200 OK\r\nContent-Type: "
		    "application/json\r\nX-Stream: 1\r\n\r\n[",
		    strlen(STREAM_HEAD) + 13 + 1) == 0,
	    "stream: the first flush sends headers without Content-Length and the buffered bytes");
	ok(reply_committed(&rp), "stream: committed at the first flush");
	reply_status(&rp, 500);
	reply_reset(&rp);
	ok(rp.headers_sent && rp.streaming,
	    "stream: reply_reset cannot undo a committed reply");
	for (; i < 100; i++)
		elem(w);
	jw_arr_close(w);
	ok(reply_finish(&rp) == 0, "stream: reply_finish returns 0");
	ok(out.len == strlen(STREAM_HEAD) + 13 + strlen(want) &&
		strcmp(output() + strlen(STREAM_HEAD) + 13, want) == 0,
	    "stream: the body is the whole JSON text, once");
	is_int((long long)rp.bytes, (long long)strlen(want),
	    "stream: bytes counts the body");
	ok(strstr(output(), "Content-Length") == NULL,
	    "stream: no Content-Length anywhere");
}

static void
streaming_small(void)
{
	struct reply rp;
	struct jw *w;
	const char *want = elems(3);

	start(&rp);
	w = reply_json_stream(&rp, JW_UTF8);
	jw_arr_open(w);
	elem(w);
	elem(w);
	elem(w);
	jw_arr_close(w);
	ok(out.len == 0, "small stream: nothing sent before reply_finish");
	finish_is(&rp,
	    arena_printf(A,
		"Status: 200 OK\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		strlen(want), want),
	    "small stream: sent whole, with a Content-Length");
	start(&rp);
	w = reply_json_stream(&rp, JW_PHP);
	jw_str(w, "\xff", 1);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
	    "small stream, invalid UTF-8 under JW_PHP: no body (PHP)");
}

static void
json_failures(void)
{
	struct reply rp;
	struct buf small;
	struct jw *w;

	start(&rp);
	w = reply_json(&rp, JW_PHP);
	jw_arr_open(w);
	jw_str(w, "ok\xc3(", 4);
	jw_arr_close(w);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
	    "JW_PHP, invalid UTF-8: json_encode failed, no body");
	start(&rp);
	w = reply_json(&rp, JW_UTF8);
	jw_str(w, "ok\xff", 3);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: application/json\r\n"
	    "Content-Length: 7\r\n\r\n\"ok\xef\xbf\xbd\"",
	    "JW_UTF8, invalid UTF-8: U+FFFD");
	buf_init(&small, 16);
	buf_clear(&out);
	writes = 0;
	reply_init(&rp, A, &small, NULL);
	reply_header(&rp, "X-Gone", "1");
	w = reply_json(&rp, JW_UTF8);
	jw_strz(w, "more than sixteen bytes");
	finish_is(&rp,
	    "Status: 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
	    "JSON over the body ceiling: 500, headers and body dropped");
	buf_clear(&out);
	reply_init(&rp, A, &small, NULL);
	reply_text(&rp, "text/plain", "more than sixteen bytes", 23);
	reply_finish(&rp);
	ok(strncmp(output(), "Status: 200 OK\r\n", 16) != 0 ||
		strstr(output(), "Content-Length: 0\r\n") == NULL,
	    "text over the body ceiling: not a 200 with an empty body");
	buf_free(&small);
}

static void
write_failures(void)
{
	struct reply rp;
	struct jw *w;
	size_t i;

	start(&rp);
	reply_text(&rp, "text/plain", "body", 4);
	fail_from = 1;
	ok(reply_finish(&rp) == -1 && rp.failed && reply_committed(&rp),
	    "header write fails: -1, failed, committed");
	start(&rp);
	reply_text(&rp, "text/plain", "body", 4);
	fail_from = 2;
	ok(reply_finish(&rp) == -1 && rp.failed,
	    "body write fails: -1, failed");
	start(&rp);
	w = reply_json_stream(&rp, JW_UTF8);
	jw_arr_open(w);
	fail_from = 2;
	for (i = 0; i < 40; i++)
		elem(w);
	jw_arr_close(w);
	ok(rp.failed && w->error, "stream: a failed flush marks the reply");
	ok(reply_finish(&rp) == -1, "stream: then reply_finish returns -1");
}

/* Writes n bytes of a pattern to a scratch file; returns its fd. */
static int
tmpfile_(const char *name, size_t n, char **data)
{
	char *d = arena_alloc(A, n + 1);
	const char *path;
	size_t i;
	int fd;

	for (i = 0; i < n; i++)
		d[i] = (char)('a' + i % 26);
	d[n] = '\0';
	path = tl_putn(name, d, n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		printf("# cannot open %s: %s\n", path, strerror(errno));
	*data = d;
	return fd;
}

static void
files(void)
{
	struct reply rp;
	char *data, *head;
	size_t n = 150 * 1024;
	int fd, old;

	start(&rp);
	old = tmpfile_("old", 10, &data);
	reply_text(&rp, "text/plain", "dropped", 7);
	reply_file(&rp, old, 10);
	fd = tmpfile_("big", n, &data);
	reply_file(&rp, fd, (off_t)n);
	ok(is_closed(old), "reply_file closes an earlier file body");
	rp.ctype = "application/octet-stream";
	ok(out.len == 0, "file: nothing sent before reply_finish");
	ok(reply_finish(&rp) == 0, "file: reply_finish returns 0");
	head = arena_printf(A,
	    "Status: 200 OK\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Length: %zu\r\n\r\n",
	    n);
	ok(out.len == strlen(head) + n &&
		memcmp(out.data, head, strlen(head)) == 0 &&
		memcmp(out.data + strlen(head), data, n) == 0,
	    "file: header block, then the file in 64 KiB chunks, no text");
	is_int(writes, 4, "file: one header write and three chunks");
	ok(is_closed(fd) && rp.fd == -1, "file: closed after reply_finish");
	is_int((long long)rp.bytes, (long long)n, "file: bytes counted");
	start(&rp);
	fd = tmpfile_("short", 100, &data);
	reply_file(&rp, fd, 200);
	ok(reply_finish(&rp) == -1 && rp.failed && rp.bytes == 100,
	    "file shorter than announced: -1, failed, what there was sent");
	ok(strstr(output(), "Content-Length: 200\r\n") != NULL && is_closed(fd),
	    "file shorter than announced: the announced length, fd closed");
}

/*
 * reply_file_parts: memory and file slices in order, Content-Length
 * their sum, a slice the file no longer has.
 */
static void
file_parts(void)
{
	static const struct reply_part past = { .off = 90, .len = 20 };
	static const struct reply_part parts[] = {
		{ .mem = "<", .len = 1 },
		{ .off = 26, .len = 3 },
		{ .mem = "|", .len = 1 },
		{ .off = 70000, .len = 70000 },
		{ .off = 0, .len = 2 },
		{ .mem = ">", .len = 1 },
	};
	struct reply rp;
	char *data, *want;
	int fd;

	start(&rp);
	fd = tmpfile_("parts", 150 * 1024, &data);
	reply_file_parts(&rp, fd, parts, sizeof(parts) / sizeof(parts[0]));
	rp.ctype = "text/plain";
	ok(reply_finish(&rp) == 0, "parts: reply_finish returns 0");
	want = arena_printf(A,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 70008\r\n\r\n<abc|%.70000s"
	    "ab>",
	    data + 70000);
	is_mem(out.data, out.len, want, "parts: in order, slices by offset");
	ok(is_closed(fd) && rp.bytes == 70008,
	    "parts: fd closed, bytes is the body (%zu)", rp.bytes);
	start(&rp);
	fd = tmpfile_("slice", 100, &data);
	reply_file_parts(&rp, fd, &past, 1);
	ok(reply_finish(&rp) == -1 && rp.failed && rp.bytes == 10 &&
		is_closed(fd),
	    "a slice past the end of the file: -1, failed, what there was");
}

/* reply_head_only: the head with or without Content-Length, no body. */
static void
head_only(void)
{
	struct reply rp;
	char *data;
	int fd;

	start(&rp);
	fd = tmpfile_("head", 100, &data);
	reply_file(&rp, fd, 100);
	reply_head_only(&rp, REPLY_HEAD);
	finish_is(&rp, "Status: 200 OK\r\nContent-Length: 100\r\n\r\n",
	    "REPLY_HEAD, file: Content-Length kept, no body");
	ok(is_closed(fd) && rp.bytes == 0, "REPLY_HEAD, file: closed, 0 bytes");
	start(&rp);
	reply_text(&rp, "text/plain", "hello", 5);
	reply_head_only(&rp, REPLY_HEAD);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 5\r\n\r\n",
	    "REPLY_HEAD, text: Content-Length kept, no body");
	start(&rp);
	reply_status(&rp, 304);
	reply_head_only(&rp, REPLY_NO_LENGTH);
	reply_header(&rp, "ETag", "\"1\"");
	finish_is(&rp, "Status: 304 Not Modified\r\nETag: \"1\"\r\n\r\n",
	    "REPLY_NO_LENGTH: no Content-Length, no body");
	start(&rp);
	reply_head_only(&rp, REPLY_HEAD);
	reply_reset(&rp);
	reply_text(&rp, "text/plain", "x", 1);
	finish_is(&rp,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 1\r\n\r\nx",
	    "reply_reset undoes reply_head_only");
}

/* A writer stream on memory of cap bytes, emptied into got when full. */
struct drain {
	FCGX_Stream s;
	unsigned char mem[7];
	struct buf got;
	int empties;
};

static void
drain_empty(FCGX_Stream *s, int doclose)
{
	struct drain *d = s->data;

	(void)doclose;
	buf_add(&d->got, d->mem, (size_t)(s->wrNext - d->mem));
	s->wrNext = d->mem;
	d->empties++;
}

static void
fcgx_sink(void)
{
	int (*mine)(void *, const char *, size_t) = reply_write;
	struct drain d;
	struct reply rp;

	reply_write = fcgx_default;
	memset(&d, 0, sizeof(d));
	buf_init(&d.got, 1 << 16);
	d.s.wrNext = d.mem;
	d.s.stop = d.mem + sizeof(d.mem);
	d.s.emptyBuffProc = drain_empty;
	d.s.data = &d;
	reply_init(&rp, A, &body, &d.s);
	reply_text(&rp, "text/plain", "through libfcgi", 15);
	ok(reply_finish(&rp) == 0, "FCGX sink: reply_finish returns 0");
	drain_empty(&d.s, 0);
	is_mem(d.got.data, d.got.len,
	    "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: 15\r\n\r\nthrough libfcgi",
	    "FCGX sink: FCGX_PutStr gets every byte through a small buffer");
	ok(d.empties > 5, "FCGX sink: the buffer was emptied (%d)", d.empties);
	reply_init(&rp, A, &body, &d.s);
	d.s.wrNext = d.s.stop;
	d.s.isClosed = 1;
	reply_text(&rp, "text/plain", "x", 1);
	ok(reply_finish(&rp) == -1 && rp.failed,
	    "FCGX sink: a closed stream is -1, failed");
	buf_free(&d.got);
	reply_write = mine;
}

int
main(void)
{
	A = arena_new();
	buf_init(&out, 1 << 22);
	buf_init(&body, LIM_REPLY_MAX);
	fcgx_default = reply_write;
	reply_write = sink;
	tl_tmpdir("t_reply");
	init_and_defaults();
	text_and_json();
	body_switch();
	headers();
	header_limits();
	full_header_block();
	header_injection();
	reset();
	streaming();
	streaming_small();
	json_failures();
	write_failures();
	files();
	file_parts();
	head_only();
	fcgx_sink();
	tl_rmtmp();
	buf_free(&body);
	buf_free(&out);
	arena_free(A);
	return done_testing();
}
