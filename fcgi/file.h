/*
 * Files served from below a root, as nginx's static module serves them:
 * opened without following links (file_open_beneath), handed to the web
 * server (file_handoff: X-Accel-Redirect, X-Sendfile) or sent by the
 * worker with HTTP's validators and ranges (file_reply: RFC 7232 and
 * RFC 7233, ETag and Last-Modified as nginx makes them).  The parsers
 * (http_range_parse, http_date_parse) are pure and fuzzed.
 */
#ifndef PBXAPI_FILE_H
#define PBXAPI_FILE_H

#include <sys/stat.h>
#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "err.h"

struct arena;
struct buf;
struct reply;
struct req;

/* One satisfiable byte range: first <= last < the file's size. */
struct http_range {
	off_t first;
	off_t last; /* included */
};

/* What http_range_parse found. */
#define RANGE_IGNORE	    0 /* serve the whole file (200) */
#define RANGE_OK	    1 /* *count ranges to send (206) */
#define RANGE_UNSATISFIABLE 2 /* none overlaps the file (416) */

/*
 * Parses the n bytes at s, a Range header's value, against a file of size
 * bytes.  The unit is "bytes" (any case); the set is RFC 7233's: first-
 * last, first- (to the end), -suffix (the last suffix bytes, the whole
 * file if it is shorter), separated by commas with optional spaces or
 * tabs around them (empty elements are skipped, as RFC 7230's list rule
 * wants).  A last past the end is clamped to size - 1; numbers too large
 * for off_t count as infinite.  Overlapping or unordered ranges are kept
 * as written, in the request's order (RFC 7233 allows a server to send
 * them so), as long as their lengths add up to at most size; past that
 * the header is ignored, as nginx does, so a reply is never larger than
 * the file and its framing.
 *
 * Returns RANGE_OK with the satisfiable ranges in out[0..*count-1] (an
 * unsatisfiable one among them is dropped), RANGE_UNSATISFIABLE if
 * none is satisfiable (a first at or past the end, a suffix of 0), or
 * RANGE_IGNORE (*count 0): another unit, a syntax error (nginx answers
 * 416 there; RFC 9110 lets a server ignore it, and a 200 is what a client
 * that sent garbage can use), a last before its first, more than max
 * satisfiable ranges, lengths adding up past size, or an empty file
 * asked for from byte 0 or by suffix (nginx sends the empty file: no
 * 206 can describe an empty range).
 */
int http_range_parse(const char *s, size_t n, off_t size,
    struct http_range *out, size_t max, size_t *count);

/*
 * Parses the n bytes at s as an HTTP-date: IMF-fixdate ("Sun, 06 Nov
 * 1994 08:49:37 GMT") or the obsolete forms recipients must accept,
 * RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT", a year below 70 is 20xx)
 * and asctime ("Sun Nov  6 08:49:37 1994").  The weekday is not checked
 * against the date.  Returns 0 with the time in *t, or -1.
 */
int http_date_parse(const char *s, size_t n, time_t *t);

/* Returns t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
const char *http_date(struct arena *a, time_t t);

/*
 * Reads up to n bytes from fd into buf, again after EINTR and short
 * reads, until n or end of file.  Returns the bytes read, or -1 (errno)
 * if a read failed.
 */
ssize_t file_read_full(int fd, void *buf, size_t n);

/* Returns the ETag of st as nginx makes it: "<mtime hex>-<size hex>". */
const char *file_etag(struct arena *a, const struct stat *st);

/*
 * Opens rel below the directory root without following any link: every
 * directory component with O_DIRECTORY|O_NOFOLLOW from root's fd, the
 * file with O_NOFOLLOW|O_NONBLOCK (a FIFO must not block).  rel must be
 * relative, with no empty, "." or ".." component (a caller resolves
 * names first).  Returns the fd of a regular file (close-on-exec, its
 * fstat in *st) or -1.
 */
int file_open_beneath(
    struct arena *a, const char *root, const char *rel, struct stat *st);

/*
 * Appends the n bytes at s to b percent-encoded, '/' and RFC 3986's
 * unreserved characters kept.  Returns 0, or -1 past b's ceiling.
 */
int file_uri_escape(struct buf *b, const char *s, size_t n);

/*
 * The header that hands the file root/rel to the web server: with a
 * non-empty accel_prefix, X-Accel-Redirect to the prefix (a '/' added if
 * it lacks one) and rel escaped (nginx, an internal location); else with
 * sendfile SENDFILE_ESCAPED, X-Sendfile with root/rel escaped (lighttpd),
 * or with SENDFILE_RAW unescaped (Apache's mod_xsendfile, which does not
 * decode; NULL if the path holds a control byte).  Returns the value (its name
 * in *hname), or NULL: neither is set, or the value would not fit a header
 * (serve the file then).
 */
/* How X-Sendfile names a file: the recordings_sendfile setting's values. */
enum file_sendfile {
	SENDFILE_OFF,	  /* no X-Sendfile */
	SENDFILE_ESCAPED, /* percent-encoded: lighttpd decodes it */
	SENDFILE_RAW,	  /* as it is: Apache's mod_xsendfile */
};

const char *file_handoff(struct req *r, const char *accel_prefix, int sendfile,
    const char *root, const char *rel, const char **hname);

/*
 * Returns nonzero if r asks for a range (Range) or carries a
 * precondition (If-Match, If-None-Match, If-Modified-Since,
 * If-Unmodified-Since): what file_reply answers differently from a
 * plain 200.
 */
int file_conditional(const struct req *r);

/*
 * Sends the regular file open on fd (st its fstat) as the reply, as
 * nginx's static module would.  Every reply carries ETag and
 * Last-Modified, and all but a 304 Accept-Ranges: bytes.  Preconditions
 * in RFC 7232's order: If-Match (strong comparison, "*" matches), else
 * If-Unmodified-Since, failing: 412; If-None-Match (weak comparison),
 * else If-Modified-Since (GET and HEAD; a date not before the file's
 * mtime): 304 without body or Content-Length (412 for other methods).
 * Then, for GET only (RFC 7233 §3.1: other methods ignore it), Range:
 * If-Range, an ETag compared strongly (a weak one never matches) or a
 * date equal to Last-Modified, must match or the whole file is sent;
 * one range is a 206 with Content-Range and ctype, several a 206
 * multipart/byteranges (each part with Content-Type and Content-Range),
 * none satisfiable a 416 with no body and the unsatisfied form of
 * Content-Range (RFC 7233 §4.2: a star, then the size); a 412 has no
 * body either.  HEAD gets the headers GET would, with no body.  ctype
 * NULL is application/octet-stream.  fd belongs to the reply from here
 * on (closed in every case).  Returns E_OK.
 */
enum err file_reply(struct req *r, struct reply *rp, int fd,
    const struct stat *st, const char *ctype);

#endif
