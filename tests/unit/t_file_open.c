/*
 * Files below a root (fcgi/file.c): file_open_beneath refuses links,
 * directories, FIFOs, "..", "." and empty components, a missing root;
 * file_uri_escape keeps '/' and the unreserved characters; file_handoff
 * builds X-Accel-Redirect and X-Sendfile values (escaped for lighttpd, as
 * is for Apache, no control byte) or gives way when they would not fit a
 * header.  t_file.c tests the HTTP side.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "file.h"
#include "limits.h"
#include "req.h"
#include "tap.h"
#include "testlib.h"

static struct arena *A;

/*
 * file_open_beneath's verdict on rel below the scratch directory root:
 * the file's size, or -1; the fd is checked for close-on-exec and closed.
 */
static long long
opened_in(const char *root, const char *rel)
{
	struct stat st;
	long long size;
	int fd = file_open_beneath(A, tl_path(root), rel, &st);

	if (fd == -1)
		return -1;
	size =
	    (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0 ? (long long)st.st_size : -2;
	close(fd);
	return size;
}

#define opened(rel) opened_in("root", (rel))

static void
open_beneath(void)
{
	static const char *const refused[] = { "missing", "dir", "sub", "link",
		"linkdir/f", "fifo", "sub/../f", "../outside", "./f", "sub/./g",
		"sub//g", "/f", "", "sub/", "f/", "sub/g/", "dangling" };
	size_t i;

	tl_put("root/f", "12345");
	tl_put("root/sub/g", "123");
	tl_put("root/dir/x", "1");
	tl_put("outside", "secret");
	ok(symlink("f", tl_path("root/link")) == 0 &&
		symlink("sub", tl_path("root/linkdir")) == 0 &&
		symlink("nowhere", tl_path("root/dangling")) == 0 &&
		mkfifo(tl_path("root/fifo"), 0600) == 0,
	    "open_beneath: links and a FIFO made");
	is_int(opened("f"), 5, "open_beneath: a file in the root");
	is_int(opened("sub/g"), 3, "open_beneath: a file in a directory");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		is_int(opened(refused[i]), -1,
		    arena_printf(A, "open_beneath refuses '%s'", refused[i]));
	is_int(opened_in("nope", "f"), -1, "open_beneath: a missing root");
	is_int(opened_in("root/f", "f"), -1, "open_beneath: a file as root");
}

static void
escape(void)
{
	struct buf b;

	buf_init(&b, 64);
	ok(file_uri_escape(&b, "a b/\xc3\xbc%.~_-\"\n?#", 15) == 0,
	    "uri_escape returns 0");
	is_str(buf_cstr(&b), "a%20b/%C3%BC%25.~_-%22%0A%3F%23",
	    "uri_escape: '/' and unreserved kept, the rest %XX");
	buf_clear(&b);
	/* strchr() would find the NUL in its set of kept bytes. */
	ok(file_uri_escape(&b, "a\0b", 3) == 0 &&
		strcmp(buf_cstr(&b), "a%00b") == 0,
	    "uri_escape: NUL is %%00");
	buf_free(&b);
	buf_init(&b, 4);
	ok(file_uri_escape(&b, "ab c", 4) == -1,
	    "uri_escape: -1 past the ceiling");
	buf_free(&b);
}

static void
handoff(void)
{
	struct req *r = arena_zalloc(A, sizeof(*r));
	const char *hn = NULL, *v;
	char *lng = arena_alloc(A, LIM_HEADER_VALUE + 1);

	r->arena = A;

	v = file_handoff(r, "/_rec/", 0, "/srv/r", "a b/c.wav", &hn);
	ok(v != NULL && strcmp(hn, "X-Accel-Redirect") == 0 &&
		strcmp(v, "/_rec/a%20b/c.wav") == 0,
	    "handoff: X-Accel-Redirect, prefix and escaped path (%s)", v);
	v = file_handoff(r, "/_rec", 1, "/srv/r", "c.wav", &hn);
	ok(v != NULL && strcmp(hn, "X-Accel-Redirect") == 0 &&
		strcmp(v, "/_rec/c.wav") == 0,
	    "handoff: a '/' added; the prefix wins over sendfile");
	v = file_handoff(r, "", 1, "/srv/my r", "d/c\".wav", &hn);
	ok(v != NULL && strcmp(hn, "X-Sendfile") == 0 &&
		strcmp(v, "/srv/my%20r/d/c%22.wav") == 0,
	    "handoff: X-Sendfile, root and path escaped (%s)", v);
	v = file_handoff(r, "", 2, "/srv/my r", "d/c\"+%41\xc3\xa9.wav", &hn);
	ok(v != NULL && strcmp(hn, "X-Sendfile") == 0 &&
		strcmp(v, "/srv/my r/d/c\"+%41\xc3\xa9.wav") == 0,
	    "handoff: X-Sendfile for Apache, the path as is (%s)", v);
	ok(file_handoff(r, "", 2, "/srv", "a\nX-Evil: 1.wav", &hn) == NULL &&
		file_handoff(r, "", 2, "/s\rv", "c.wav", &hn) == NULL,
	    "handoff: Apache, a control byte in the path: NULL");
	v = file_handoff(r, "/_rec/", 2, "/srv", "c d.wav", &hn);
	ok(v != NULL && strcmp(v, "/_rec/c%20d.wav") == 0,
	    "handoff: the prefix wins over Apache's X-Sendfile too");
	ok(file_handoff(r, NULL, 0, "/srv", "c.wav", &hn) == NULL &&
		file_handoff(r, "", 0, "/srv", "c.wav", &hn) == NULL,
	    "handoff: neither configured: NULL");
	memset(lng, 'x', LIM_HEADER_VALUE);
	lng[LIM_HEADER_VALUE] = '\0';
	ok(file_handoff(r, "/_rec/", 0, "/srv", lng, &hn) == NULL &&
		file_handoff(r, "", 1, "/srv", lng + 5, &hn) == NULL,
	    "handoff: a value that would not fit a header: NULL");
	v = file_handoff(r, "", 1, "/srv", lng + 6, &hn);
	ok(v != NULL && strlen(v) == LIM_HEADER_VALUE - 1,
	    "handoff: a value of LIM_HEADER_VALUE - 1 bytes fits");
	v = file_handoff(r, "", 2, "/srv", lng + 6, &hn);
	ok(v != NULL && strlen(v) == LIM_HEADER_VALUE - 1,
	    "handoff: Apache, a value of LIM_HEADER_VALUE - 1 bytes fits");
	ok(file_handoff(r, "", 2, "/srv", lng + 5, &hn) == NULL,
	    "handoff: Apache, one byte more: NULL");
}

int
main(void)
{
	A = arena_new();
	tl_tmpdir("t_file_open");
	open_beneath();
	escape();
	handoff();
	tl_rmtmp();
	arena_free(A);
	return done_testing();
}
