/*
 * AMI framing (see ami_frame.h).  Pure functions over (bytes, length).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "ami_frame.h"

#define END_LEN (sizeof(AMI_END_COMMAND) - 1)

/* Length of the line at p up to the LF at p + n, without a CR before it. */
static size_t
line_len(const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* Returns 1 if the n bytes at s equal the NUL-terminated z, ignoring
 * ASCII case. */
static int
eq_ci(const char *s, size_t n, const char *z)
{
	return strlen(z) == n && strncasecmp(s, z, n) == 0;
}

/*
 * Splits a header line into name and value.  Returns 0, or -1 if the line
 * has no ':' or its name is empty or holds anything but visible ASCII.
 */
static int
split_header(const char *line, size_t n, size_t *nlen, size_t *value)
{
	const char *colon = memchr(line, ':', n);
	size_t i;

	if (colon == NULL || colon == line)
		return -1;
	*nlen = (size_t)(colon - line);
	for (i = 0; i < *nlen; i++)
		if ((unsigned char)line[i] <= 0x20 ||
		    (unsigned char)line[i] >= 0x7f)
			return -1;
	*value = *nlen + 1;
	if (*value < n && line[*value] == ' ')
		(*value)++;
	return 0;
}

/* Returns 1 if the line is a header called name with value val. */
static int
line_is(const char *line, size_t n, const char *name, const char *val)
{
	size_t nlen, v;

	if (split_header(line, n, &nlen, &v) == -1)
		return 0;
	return eq_ci(line, nlen, name) &&
	    (val == NULL || eq_ci(line + v, n - v, val));
}

/* The header lines a Follows frame may carry before its CLI text. */
static int
follows_header(const char *line, size_t n)
{
	return line_is(line, n, "Privilege", NULL) ||
	    line_is(line, n, "ActionID", NULL);
}

/* Feeds one complete line to the scanner; returns 1 at the frame end. */
static int
scan_line(const char *line, size_t n, struct ami_scan *s)
{
	if (s->nlines == 0) {
		if (n == 0)
			return 1; /* a stray empty line */
		s->follows = line_is(line, n, "Response", "Follows");
		return 0;
	}
	if (!s->follows)
		return n == 0;
	if (n == 0 && s->endcmd)
		return 1;
	s->endcmd = n >= END_LEN &&
	    memcmp(line + n - END_LEN, AMI_END_COMMAND, END_LEN) == 0;
	return 0;
}

enum ami_rc
ami_frame_find(const char *p, size_t n, struct ami_scan *s, size_t *len)
{
	const char *nl;
	size_t end;

	while (s->pos < n) {
		nl = memchr(p + s->pos, '\n', n - s->pos);
		end = nl ? (size_t)(nl - p) : n;
		if (memchr(p + s->pos, '\0', end - s->pos) != NULL)
			return AMI_EPROTO;
		if (nl == NULL) {
			s->pos = n;
			break;
		}
		if (line_len(p + s->line, end - s->line) > AMI_LINE_MAX ||
		    end + 1 > AMI_FRAME_MAX)
			return AMI_EPROTO;
		s->pos = end + 1;
		if (scan_line(
			p + s->line, line_len(p + s->line, end - s->line), s)) {
			*len = s->pos;
			return AMI_OK;
		}
		s->line = s->pos;
		s->nlines++;
	}
	if (n - s->line > AMI_LINE_MAX + 1 || n >= AMI_FRAME_MAX)
		return AMI_EPROTO;
	return AMI_MORE;
}

/* Appends a header; returns 0 or -1. */
static int
add_header(
    struct ami_frame *f, size_t hmax, const char *p, size_t off, size_t n)
{
	struct ami_hdr *h;
	size_t nlen, v;

	if (f->nh >= hmax || split_header(p + off, n, &nlen, &v) == -1)
		return -1;
	h = &f->h[f->nh++];
	h->name = off;
	h->nlen = nlen;
	h->value = off + v;
	h->vlen = n - v;
	return 0;
}

/* Strips one EOL (LF or CRLF) before offset e; returns the new end. */
static size_t
strip_eol(const char *p, size_t e)
{
	if (e > 0 && p[e - 1] == '\n')
		e--;
	if (e > 0 && p[e - 1] == '\r')
		e--;
	return e;
}

/* A Follows frame: CLI text from off to the --END COMMAND-- at its end. */
static enum ami_rc
follows_body(const char *p, size_t len, size_t off, struct ami_frame *f)
{
	size_t e = strip_eol(p, strip_eol(p, len));

	if (e < off + END_LEN ||
	    memcmp(p + e - END_LEN, AMI_END_COMMAND, END_LEN) != 0)
		return AMI_EPROTO;
	f->body = off;
	f->blen = e - END_LEN - off;
	return AMI_OK;
}

enum ami_rc
ami_frame_parse(const char *p, size_t len, struct ami_frame *f,
    struct ami_hdr *h, size_t hmax)
{
	const char *nl;
	size_t off = 0, n, next;

	memset(f, 0, sizeof(*f));
	f->h = h;
	f->len = len;
	if (len == 0 || memchr(p, '\0', len) != NULL)
		return AMI_EPROTO;
	while (off < len) {
		if ((nl = memchr(p + off, '\n', len - off)) == NULL)
			return AMI_EPROTO;
		next = (size_t)(nl - p) + 1;
		n = line_len(p + off, next - 1 - off);
		if (f->follows && (n == 0 || !follows_header(p + off, n)))
			return follows_body(p, len, off, f);
		if (n == 0)
			return next == len ? AMI_OK : AMI_EPROTO;
		if (add_header(f, hmax, p, off, n) == -1)
			return AMI_EPROTO;
		if (f->nh == 1)
			f->follows = line_is(p + off, n, "Response", "Follows");
		off = next;
	}
	return AMI_EPROTO;
}

enum ami_rc
ami_frame_next(const char *p, size_t n, struct ami_frame *f, struct ami_hdr *h,
    size_t hmax, size_t *used)
{
	struct ami_scan s;
	enum ami_rc rc;
	size_t len;

	memset(&s, 0, sizeof(s));
	if ((rc = ami_frame_find(p, n, &s, &len)) != AMI_OK)
		return rc;
	*used = len;
	return ami_frame_parse(p, len, f, h, hmax);
}

size_t
ami_count_lines(const char *p, size_t n)
{
	const char *q, *end = p + n;
	size_t c = 0;

	while (p < end && (q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		c++;
		p = q + 1;
	}
	return c;
}

const char *
ami_frame_get(
    const char *p, const struct ami_frame *f, const char *name, size_t *vlen)
{
	size_t i;

	for (i = 0; i < f->nh; i++)
		if (eq_ci(p + f->h[i].name, f->h[i].nlen, name)) {
			*vlen = f->h[i].vlen;
			return p + f->h[i].value;
		}
	return NULL;
}

const char *
ami_peek(const char *p, size_t len, const char *name, size_t *vlen)
{
	const char *nl, *line;
	size_t off = 0, n, nlen, v;
	int follows = 0;

	while (off < len && (nl = memchr(p + off, '\n', len - off)) != NULL) {
		line = p + off;
		n = line_len(line, (size_t)(nl - line));
		off = (size_t)(nl - p) + 1;
		if (n == 0 || (follows && !follows_header(line, n)))
			break;
		if (split_header(line, n, &nlen, &v) == -1)
			continue;
		if (!follows && line_is(line, n, "Response", "Follows"))
			follows = 1;
		if (eq_ci(line, nlen, name)) {
			*vlen = n - v;
			return line + v;
		}
	}
	return NULL;
}

enum ami_rc
ami_greeting(const char *p, size_t n, size_t *used, char *ver, size_t versz)
{
	static const char prefix[] = "Asterisk Call Manager";
	const char *nl, *slash;
	size_t m = n < AMI_GREETING_MAX ? n : AMI_GREETING_MAX, len, vl;

	if (n == 0)
		return AMI_MORE;
	if ((nl = memchr(p, '\n', m)) == NULL)
		return n >= AMI_GREETING_MAX ? AMI_EPROTO : AMI_MORE;
	len = line_len(p, (size_t)(nl - p));
	if (len < sizeof(prefix) - 1 ||
	    memcmp(p, prefix, sizeof(prefix) - 1) != 0 ||
	    memchr(p, '\0', len) != NULL)
		return AMI_EPROTO;
	*used = (size_t)(nl - p) + 1;
	if (versz == 0)
		return AMI_OK;
	slash = memchr(p, '/', len);
	vl = slash ? len - (size_t)(slash + 1 - p) : 0;
	if (vl > versz - 1)
		vl = versz - 1;
	if (vl > 0)
		memcpy(ver, slash + 1, vl);
	ver[vl] = '\0';
	return AMI_OK;
}
