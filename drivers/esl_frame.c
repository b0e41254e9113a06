/*
 * Event-socket framing (see esl_frame.h).
 */
#include <string.h>
#include <strings.h>

#include "esl_frame.h"

/* Counts the CR and LF bytes before the message.  Returns -1 past the
 * limit. */
static long
skip_blanks(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && (p[i] == '\r' || p[i] == '\n'); i++)
		if (i >= ESL_SKIP_MAX)
			return -1;
	return (long)i;
}

/*
 * Finds the blank line that ends the header block starting at p (n
 * bytes), resuming at *scanned.  Returns the offset just past it, 0 if it
 * is not there yet, or -1 for a NUL byte.
 */
static long
find_end(const char *p, size_t n, size_t *scanned)
{
	size_t i = *scanned;

	for (; i < n; i++) {
		if (p[i] == '\0')
			return -1;
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return (long)(i + 2);
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return (long)(i + 3);
		if (i + 2 >= n)
			break; /* decide when more bytes came */
	}
	*scanned = i;
	return 0;
}

/* Splits one header line (without its LF) into msg.  Returns 0 or -1. */
static int
header_line(const char *s, size_t n, struct esl_msg *msg)
{
	const char *colon;
	struct esl_hdr *h;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	colon = memchr(s, ':', n);
	if (colon == NULL) {
		msg->err = "header line without ':'";
		return -1;
	}
	if (colon == s) {
		msg->err = "empty header name";
		return -1;
	}
	if (msg->nhdr >= ESL_HDRS_MAX) {
		msg->err = "too many header lines";
		return -1;
	}
	h = &msg->hdr[msg->nhdr++];
	h->name = s;
	h->nlen = (size_t)(colon - s);
	for (colon++; colon < s + n && *colon == ' '; colon++)
		;
	h->value = colon;
	h->vlen = (size_t)(s + n - colon);
	return 0;
}

/* Parses the header block (n bytes, the blank line excluded). */
static int
headers(const char *p, size_t n, struct esl_msg *msg)
{
	const char *end = p + n, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (header_line(p, (size_t)(nl - p), msg) == -1)
			return -1;
		p = nl + 1;
	}
	return 0;
}

/* Reads Content-Length.  Returns its value, -1 if absent, -2 if bad. */
static long
content_length(const struct esl_msg *msg)
{
	const char *v;
	size_t len, i;
	long n = 0;

	v = esl_msg_get(msg, "Content-Length", &len);
	if (v == NULL)
		return -1;
	if (len == 0 || len > ESL_CLEN_MAXD)
		return -2;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -2;
		n = n * 10 + (v[i] - '0');
	}
	return n > ESL_BODY_MAX ? -2 : n;
}

enum esl_frame_rc
esl_frame_parse(const char *p, size_t n, struct esl_frame_state *st,
    struct esl_msg *msg, size_t *used)
{
	long skip, end, clen;

	memset(msg, 0, sizeof(*msg));
	if ((skip = skip_blanks(p, n)) == -1) {
		msg->err = "too many blank lines before a message";
		return ESL_FRAME_ERR;
	}
	if (st->scanned < (size_t)skip)
		st->scanned = (size_t)skip;
	end = find_end(p, n, &st->scanned);
	if (end == -1) {
		msg->err = "NUL byte in the headers";
		return ESL_FRAME_ERR;
	}
	if (end == 0 && n - (size_t)skip <= ESL_HEAD_MAX)
		return ESL_FRAME_MORE;
	if (end == 0 || end - skip > ESL_HEAD_MAX) {
		msg->err = "header block too long";
		return ESL_FRAME_ERR;
	}
	/* The block without its blank line ("\n" or "\r\n"). */
	if (headers(p + skip,
		(size_t)(end - skip) - (p[end - 2] == '\r' ? 2 : 1), msg) == -1)
		return ESL_FRAME_ERR;
	clen = content_length(msg);
	if (clen == -2) {
		msg->err = "bad Content-Length";
		return ESL_FRAME_ERR;
	}
	if (clen >= 0) {
		if (n - (size_t)end < (size_t)clen)
			return ESL_FRAME_MORE;
		msg->body = p + end;
		msg->blen = (size_t)clen;
		*used = (size_t)end + (size_t)clen;
	} else
		*used = (size_t)end;
	return ESL_FRAME_OK;
}

const char *
esl_msg_get(const struct esl_msg *msg, const char *name, size_t *len)
{
	size_t i, n = strlen(name);

	for (i = 0; i < msg->nhdr; i++)
		if (msg->hdr[i].nlen == n &&
		    strncasecmp(msg->hdr[i].name, name, n) == 0) {
			*len = msg->hdr[i].vlen;
			return msg->hdr[i].value;
		}
	return NULL;
}

int
esl_msg_is(const struct esl_msg *msg, const char *name, const char *want)
{
	const char *v;
	size_t len;

	v = esl_msg_get(msg, name, &len);
	return v != NULL && len == strlen(want) && memcmp(v, want, len) == 0;
}
