/*
 * AMI framing, with no I/O: the greeting line, frames of "Name: value"
 * lines ended by an empty line, and the Asterisk <= 13 Command reply
 * ("Response: Follows", raw CLI text, "--END COMMAND--", empty line).
 * Every function takes (bytes, length) and a limit; nothing allocates.
 *
 * Reading a stream: keep a struct ami_scan zeroed per frame, call
 * ami_frame_find() on what has arrived (it resumes where it stopped), and
 * once it says AMI_OK, ami_frame_parse() the len bytes and drop them from
 * the buffer; the rest is the start of the next frame.
 */
#ifndef PBXAPI_AMI_FRAME_H
#define PBXAPI_AMI_FRAME_H

#include <stddef.h>

struct arena;
struct pv;

#define AMI_LINE_MAX	 16384	       /* bytes in one line, EOL excluded */
#define AMI_HEADERS_MAX	 8192	       /* header lines in one frame */
#define AMI_FRAME_MAX	 (1024 * 1024) /* bytes in one frame */
#define AMI_GREETING_MAX 256	       /* the greeting line */
#define AMI_END_COMMAND	 "--END COMMAND--"

enum ami_rc {
	AMI_OK,	   /* a complete unit was found */
	AMI_MORE,  /* incomplete: read more */
	AMI_EPROTO /* not AMI, or past a limit */
};

/* One header, as offsets into the frame's bytes. */
struct ami_hdr {
	size_t name, nlen;
	size_t value, vlen;
};

struct ami_frame {
	size_t len;	   /* bytes of the frame, its empty line included */
	size_t nh;	   /* headers (0: a stray empty line) */
	struct ami_hdr *h; /* the caller's array */
	int follows;	   /* "Response: Follows" (Asterisk <= 13 Command) */
	size_t body, blen; /* follows: the CLI text before --END COMMAND-- */
};

/* Where ami_frame_find() stopped; zero it before each frame. */
struct ami_scan {
	size_t pos;    /* bytes examined */
	size_t line;   /* offset of the current line */
	size_t nlines; /* complete lines */
	int follows;   /* the first line is "Response: Follows" */
	int endcmd;    /* the last line ended with --END COMMAND-- */
};

/*
 * Looks for the end of the frame that starts at p (n bytes have arrived),
 * resuming from s.  A frame is lines ended by CRLF or LF up to an empty
 * line; a Response: Follows frame ends with a line ending in
 * "--END COMMAND--" followed by an empty line.  An empty first line is a
 * frame of its own (len 1 or 2).  Returns AMI_OK with *len set, AMI_MORE,
 * or AMI_EPROTO if a line passes AMI_LINE_MAX, the frame AMI_FRAME_MAX,
 * or a NUL byte appears.
 */
enum ami_rc ami_frame_find(
    const char *p, size_t n, struct ami_scan *s, size_t *len);

/*
 * Parses the complete frame of len bytes at p (as found by
 * ami_frame_find) into f, with at most hmax headers in h.  A header line
 * is a name of visible ASCII before the first ':', then the value after
 * one optional space.  Returns AMI_OK, or AMI_EPROTO for a line without
 * ':', an empty or non-visible name, a NUL, more than hmax headers, or a
 * frame that does not end as ami_frame_find requires.
 */
enum ami_rc ami_frame_parse(const char *p, size_t len, struct ami_frame *f,
    struct ami_hdr *h, size_t hmax);

/*
 * Finds and parses the frame at p in one step (no resumption).  Returns
 * as ami_frame_find, then ami_frame_parse; *used is the frame length.
 */
enum ami_rc ami_frame_next(const char *p, size_t n, struct ami_frame *f,
    struct ami_hdr *h, size_t hmax, size_t *used);

/* Returns the number of lines in the n bytes at p (an upper bound on the
 * headers of a frame). */
size_t ami_count_lines(const char *p, size_t n);

/*
 * Returns the value of the first header called name (ASCII
 * case-insensitive) of the parsed frame f at p, with its length in
 * *vlen, or NULL.
 */
const char *ami_frame_get(
    const char *p, const struct ami_frame *f, const char *name, size_t *vlen);

/*
 * Looks up a header in a complete frame without parsing it into an array:
 * the value of the first line "name: value" (name case-insensitive) of
 * the len bytes at p, or NULL.  Stops at the body of a Follows frame.
 */
const char *ami_peek(const char *p, size_t len, const char *name, size_t *vlen);

/*
 * Parses the greeting line "Asterisk Call Manager/<version>\r\n" at the
 * start of the n bytes at p.  Returns AMI_OK with *used (the line and its
 * EOL) and the version copied into ver (NUL-terminated, cut to versz-1),
 * AMI_MORE, or AMI_EPROTO if the line is something else or longer than
 * AMI_GREETING_MAX.
 */
enum ami_rc ami_greeting(
    const char *p, size_t n, size_t *used, char *ver, size_t versz);

#endif
