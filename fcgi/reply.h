/*
 * Replies: status, headers and a body that is either buffered (JSON or
 * text, sent with a Content-Length), streamed (JSON flushed as it grows),
 * or a file descriptor copied out in chunks: the whole file, or parts
 * (slices of the file and bytes in memory, for ranges and multipart
 * bodies).  Nothing reaches the client until reply_finish(), except in
 * streaming mode, so an error can still replace a half-built reply.
 */
#ifndef PBXAPI_REPLY_H
#define PBXAPI_REPLY_H

#include <sys/types.h>

#include <stddef.h>

#include "buf.h"
#include "json.h"
#include "limits.h"

struct arena;

struct reply_header {
	const char *name;
	const char *value;
};

/*
 * One piece of a file body: the len bytes at mem if mem is not NULL
 * (framing, kept alive by the caller until reply_finish: the arena),
 * else the len bytes of the reply's file at offset off.
 */
struct reply_part {
	const char *mem;
	off_t off;
	off_t len;
};

/* What reply_head_only leaves out. */
#define REPLY_BODY	0 /* nothing: status, headers and body */
#define REPLY_HEAD	1 /* the body; Content-Length stays (HEAD) */
#define REPLY_NO_LENGTH 2 /* the body and Content-Length (304) */

struct reply {
	struct arena *arena;
	void *out; /* FCGX_Stream, NULL in tests */
	int status;
	const char *reason; /* the status line's text, NULL: the standard one */
	const char *ctype;
	struct reply_header hdr[LIM_REPLY_HEADERS];
	size_t nhdr;
	struct buf *body; /* the worker's buffer, kept between requests */
	struct jw jw;
	int is_json;
	int php_empty_on_fail; /* json_encode failure: empty body (PHP) */
	int streaming;
	int headers_sent;
	const char *id; /* the request id: X-Request-Id, NULL: none */
	int fd;		/* file body, -1 if none */
	const struct reply_part *parts; /* its pieces, in order */
	size_t nparts;
	int head_only; /* REPLY_BODY, REPLY_HEAD or REPLY_NO_LENGTH */
	size_t bytes;  /* body bytes handed to the stream */
	int failed;    /* the client went away or a write failed */
	int overflow;  /* a text body over the ceiling: answered 500 */
};

/* Prepares rp for a new request. */
void reply_init(struct reply *rp, struct arena *a, struct buf *body, void *out);

/* Drops status, headers and body (not possible once streaming). */
void reply_reset(struct reply *rp);

void reply_status(struct reply *rp, int status);

/*
 * Sets the status with a reason phrase of its own ("400 Invalid Reason",
 * as Asterisk words some); a phrase with a control byte, or longer than
 * 63 bytes, gives way to the standard one.
 */
void reply_status_reason(struct reply *rp, int status, const char *reason);

/*
 * Adds a header (or replaces one of the same name); name and value are
 * copied, the value cut at LIM_HEADER_VALUE bytes.  A value holding CR
 * or LF is refused and logged: nothing a handler passes can add a header
 * or end the block.
 */
void reply_header(struct reply *rp, const char *name, const char *value);

/* Sets Content-Type: application/json and returns the body's writer. */
struct jw *reply_json(struct reply *rp, unsigned jw_flags);

/*
 * Like reply_json, but the body is sent as it grows (no Content-Length);
 * status and headers must be final before the first element.
 */
struct jw *reply_json_stream(struct reply *rp, unsigned jw_flags);

/* Sets a text body (copied) and its Content-Type. */
void reply_text(struct reply *rp, const char *ctype, const char *s, size_t n);

/*
 * Sends the file open on fd (size bytes from offset 0) as the body; fd
 * is closed by reply_finish or reply_reset.
 */
void reply_file(struct reply *rp, int fd, off_t size);

/*
 * Sends the n parts in order as the body (slices of the file open on fd,
 * read with pread, and bytes in memory); Content-Length is the sum of
 * their lengths.  The parts array is not copied: it must live until
 * reply_finish (the arena).  fd is closed as by reply_file.
 */
void reply_file_parts(
    struct reply *rp, int fd, const struct reply_part *parts, size_t n);

/*
 * Leaves the body out of a buffered or file reply (not a stream):
 * REPLY_HEAD keeps the Content-Length the body would have had (HEAD),
 * REPLY_NO_LENGTH sends none (304 Not Modified), REPLY_BODY undoes it.
 * A body set before or after is not sent; a file is closed unread.
 */
void reply_head_only(struct reply *rp, int how);

/*
 * Returns the bytes of body the reply will send (0 for HEAD and 304),
 * before it is sent: what an access log counts.
 */
long long reply_body_length(const struct reply *rp);

/* Sends what is left.  Returns 0, or -1 if the client went away. */
int reply_finish(struct reply *rp);

/* Returns nonzero once the status line left, so it can't change. */
int reply_committed(const struct reply *rp);

/*
 * Sink used by reply_finish; tests replace it to capture the bytes.
 * Returns 0 or -1.
 */
extern int (*reply_write)(void *out, const char *p, size_t n);

/*
 * Called once a reply's headers have left (the worker's request timeout
 * can then no longer answer 504); NULL: nothing to do.
 */
extern void (*reply_on_headers)(void);

#endif
