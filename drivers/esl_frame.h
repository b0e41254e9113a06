/*
 * FreeSWITCH event-socket framing (fusionpbx.md §6.1), as a pure parser
 * so that it is tested and fuzzed without sockets.  A server message is
 * "Name: value\n" lines, an empty line, then exactly Content-Length body
 * bytes when that header is present.  Messages follow each other with no
 * separator; a read may hold part of one or several of them.
 */
#ifndef PBXAPI_ESL_FRAME_H
#define PBXAPI_ESL_FRAME_H

#include <stddef.h>

#define ESL_HEAD_MAX  (64 * 1024)	/* header block of one message */
#define ESL_BODY_MAX  (4 * 1024 * 1024) /* Content-Length ceiling */
#define ESL_HDRS_MAX  64		/* header lines of one message */
#define ESL_SKIP_MAX  4096		/* blank lines before a message */
#define ESL_CLEN_MAXD 10		/* Content-Length digits */

enum esl_frame_rc {
	ESL_FRAME_OK,	/* one whole message parsed */
	ESL_FRAME_MORE, /* the bytes end inside a message */
	ESL_FRAME_ERR,	/* protocol violation (msg->err says which) */
};

struct esl_hdr {
	const char *name;
	size_t nlen;
	const char *value; /* leading blanks skipped */
	size_t vlen;
};

struct esl_msg {
	struct esl_hdr hdr[ESL_HDRS_MAX];
	size_t nhdr;
	const char *body; /* NULL without Content-Length */
	size_t blen;
	const char *err; /* static text after ESL_FRAME_ERR */
};

/*
 * Where a parse left off, so that a message arriving a byte at a time is
 * not rescanned from its start: zero it before the first call on a new
 * message, keep it between calls on the same bytes.
 */
struct esl_frame_state {
	size_t scanned; /* bytes searched for the blank line */
};

/*
 * Parses the message at the start of the n bytes at p.  Returns
 * ESL_FRAME_OK with msg filled (pointers into p) and *used set to the
 * bytes it took, ESL_FRAME_MORE when the n bytes end inside it, or
 * ESL_FRAME_ERR if it breaks the protocol: a header block over
 * ESL_HEAD_MAX bytes or ESL_HDRS_MAX lines, a line without ':', a NUL
 * byte in the headers, a Content-Length that is not 1 to ESL_CLEN_MAXD
 * digits or is over ESL_BODY_MAX.  Leading CR and LF bytes are skipped
 * (at most ESL_SKIP_MAX); a CR before a line's LF is dropped.
 */
enum esl_frame_rc esl_frame_parse(const char *p, size_t n,
    struct esl_frame_state *st, struct esl_msg *msg, size_t *used);

/*
 * Returns the value of the first header called name (ASCII
 * case-insensitive) and its length in *len, or NULL.
 */
const char *esl_msg_get(
    const struct esl_msg *msg, const char *name, size_t *len);

/* Returns nonzero if header name has exactly the value want. */
int esl_msg_is(const struct esl_msg *msg, const char *name, const char *want);

#endif
