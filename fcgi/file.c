/*
 * Files below a root, validators and ranges (see file.h).
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "file.h"
#include "limits.h"
#include "reply.h"
#include "req.h"
#include "str.h"

#define OCTET	"application/octet-stream"
#define OFF_MAX ((off_t)(((uintmax_t)1 << (sizeof(off_t) * 8 - 1)) - 1))

/* A read position in untrusted bytes. */
struct cur {
	const char *p;
	const char *end;
};

static const char *const wkdays[7] = { "Sunday", "Monday", "Tuesday",
	"Wednesday", "Thursday", "Friday", "Saturday" };
static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Skips optional white space (RFC 7230's OWS: spaces and tabs). */
static void
skip_ows(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

static int
at_digit(const struct cur *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/*
 * Reads 1*DIGIT into *v, saturating at OFF_MAX (a number off_t cannot
 * hold counts as infinite).  Returns 0, or -1 if no digit is there.
 */
static int
read_num(struct cur *c, off_t *v)
{
	off_t x = 0;
	int d;

	if (!at_digit(c))
		return -1;
	while (at_digit(c)) {
		d = *c->p++ - '0';
		x = x > (OFF_MAX - d) / 10 ? OFF_MAX : x * 10 + d;
	}
	*v = x;
	return 0;
}

/*
 * Reads one byte-range-spec: "first-last" or "first-" (*suffix 0, the
 * open end as OFF_MAX in *last), or "-length" (*suffix 1, the length in
 * *last).  Returns 0, or -1 on a syntax error or a last before its first.
 */
static int
read_spec(struct cur *c, off_t *first, off_t *last, int *suffix)
{
	*first = 0;
	*suffix = c->p < c->end && *c->p == '-';
	if (*suffix) {
		c->p++;
		return read_num(c, last);
	}
	if (read_num(c, first) == -1 || c->p == c->end || *c->p != '-')
		return -1;
	c->p++;
	*last = OFF_MAX;
	if (at_digit(c) && (read_num(c, last) == -1 || *last < *first))
		return -1;
	return 0;
}

/*
 * Resolves a spec against the size into *rg.  Returns RANGE_OK,
 * RANGE_UNSATISFIABLE, or RANGE_IGNORE for an empty file asked for from
 * byte 0 or by suffix (nginx sends it whole).
 */
static int
resolve(off_t first, off_t last, int suffix, off_t size, struct http_range *rg)
{
	if (size == 0)
		return suffix || first == 0 ? RANGE_IGNORE
					    : RANGE_UNSATISFIABLE;
	if (suffix) {
		if (last == 0)
			return RANGE_UNSATISFIABLE;
		rg->first = last >= size ? 0 : size - last;
		rg->last = size - 1;
		return RANGE_OK;
	}
	if (first >= size)
		return RANGE_UNSATISFIABLE;
	rg->first = first;
	rg->last = last >= size ? size - 1 : last;
	return RANGE_OK;
}

static int
ignore(size_t *count)
{
	*count = 0;
	return RANGE_IGNORE;
}

int
http_range_parse(const char *s, size_t n, off_t size, struct http_range *out,
    size_t max, size_t *count)
{
	struct cur c = { s, s + n };
	struct http_range rg;
	off_t first, last, total = 0;
	int suffix, rc, specs = 0;

	*count = 0;
	if (size < 0 || n < 6 || strncasecmp(s, "bytes=", 6) != 0)
		return RANGE_IGNORE;
	for (c.p += 6;; c.p++) {
		skip_ows(&c);
		if (c.p == c.end)
			break;
		if (*c.p == ',')
			continue; /* an empty list element */
		if (read_spec(&c, &first, &last, &suffix) == -1)
			return ignore(count);
		skip_ows(&c);
		if (c.p < c.end && *c.p != ',')
			return ignore(count);
		specs++;
		rc = resolve(first, last, suffix, size, &rg);
		if (rc == RANGE_IGNORE)
			return ignore(count);
		if (rc == RANGE_OK &&
		    (*count == max || rg.last - rg.first + 1 > size - total))
			return ignore(count);
		if (rc == RANGE_OK) {
			total += rg.last - rg.first + 1;
			out[(*count)++] = rg;
		}
		if (c.p == c.end)
			break;
	}
	if (specs == 0)
		return RANGE_IGNORE;
	return *count > 0 ? RANGE_OK : RANGE_UNSATISFIABLE;
}

/* Reads exactly k digits into *v.  Returns 0 or -1. */
static int
read_digits(struct cur *c, int k, int *v)
{
	*v = 0;
	for (; k > 0; k--) {
		if (!at_digit(c))
			return -1;
		*v = *v * 10 + (*c->p++ - '0');
	}
	return 0;
}

/* Reads the literal s.  Returns 0 or -1. */
static int
read_lit(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return -1;
	c->p += n;
	return 0;
}

/* Reads a month name ("Jan" ...) into *m (0-11).  Returns 0 or -1. */
static int
read_month(struct cur *c, int *m)
{
	for (*m = 0; *m < 12; (*m)++)
		if (read_lit(c, months[*m]) == 0)
			return 0;
	return -1;
}

/* Reads a weekday name, long or its first three letters.  0 or -1. */
static int
read_wkday(struct cur *c, int lng)
{
	size_t i, n;

	for (i = 0; i < 7; i++) {
		n = lng ? strlen(wkdays[i]) : 3;
		if ((size_t)(c->end - c->p) >= n &&
		    memcmp(c->p, wkdays[i], n) == 0) {
			c->p += n;
			return 0;
		}
	}
	return -1;
}

/* A broken-down UTC time as HTTP-date spells it. */
struct hdate {
	int year, mon, day, hour, min, sec;
};

/* Reads "HH:MM:SS".  Returns 0 or -1. */
static int
read_clock(struct cur *c, struct hdate *d)
{
	if (read_digits(c, 2, &d->hour) == -1 || read_lit(c, ":") == -1 ||
	    read_digits(c, 2, &d->min) == -1 || read_lit(c, ":") == -1 ||
	    read_digits(c, 2, &d->sec) == -1)
		return -1;
	return 0;
}

/* "DD Mon YYYY HH:MM:SS GMT" after "Sun, ".  Returns 0 or -1. */
static int
read_imf(struct cur *c, struct hdate *d)
{
	if (read_digits(c, 2, &d->day) == -1 || read_lit(c, " ") == -1 ||
	    read_month(c, &d->mon) == -1 || read_lit(c, " ") == -1 ||
	    read_digits(c, 4, &d->year) == -1 || read_lit(c, " ") == -1 ||
	    read_clock(c, d) == -1)
		return -1;
	return read_lit(c, " GMT");
}

/* "DD-Mon-YY HH:MM:SS GMT" after "Sunday, ".  Returns 0 or -1. */
static int
read_rfc850(struct cur *c, struct hdate *d)
{
	if (read_digits(c, 2, &d->day) == -1 || read_lit(c, "-") == -1 ||
	    read_month(c, &d->mon) == -1 || read_lit(c, "-") == -1 ||
	    read_digits(c, 2, &d->year) == -1 || read_lit(c, " ") == -1 ||
	    read_clock(c, d) == -1)
		return -1;
	d->year += d->year < 70 ? 2000 : 1900;
	return read_lit(c, " GMT");
}

/* "Mon DD HH:MM:SS YYYY" (DD may be " D") after "Sun ".  0 or -1. */
static int
read_asctime(struct cur *c, struct hdate *d)
{
	if (read_month(c, &d->mon) == -1 || read_lit(c, " ") == -1)
		return -1;
	if (read_lit(c, " ") == 0) {
		if (read_digits(c, 1, &d->day) == -1)
			return -1;
	} else if (read_digits(c, 2, &d->day) == -1)
		return -1;
	if (read_lit(c, " ") == -1 || read_clock(c, d) == -1 ||
	    read_lit(c, " ") == -1)
		return -1;
	return read_digits(c, 4, &d->year);
}

/* Days from 1970-01-01 to the date (proleptic Gregorian). */
static long long
days_from_civil(int y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Returns 0 if d is a real date and time (a leap second allowed). */
static int
valid_date(const struct hdate *d)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int leap =
	    (d->year % 4 == 0 && d->year % 100 != 0) || d->year % 400 == 0;

	if (d->day < 1 || d->day > mdays[d->mon] ||
	    (d->mon == 1 && d->day == 29 && !leap))
		return -1;
	return d->hour <= 23 && d->min <= 59 && d->sec <= 60 ? 0 : -1;
}

/* Reads one of HTTP-date's three forms into *d.  Returns 0 or -1. */
static int
read_form(struct cur *c, struct hdate *d)
{
	const char *s = c->p;

	if (read_wkday(c, 0) == 0 && read_lit(c, ", ") == 0)
		return read_imf(c, d);
	c->p = s;
	if (read_wkday(c, 1) == 0 && read_lit(c, ", ") == 0)
		return read_rfc850(c, d);
	c->p = s;
	if (read_wkday(c, 0) == 0 && read_lit(c, " ") == 0)
		return read_asctime(c, d);
	return -1;
}

int
http_date_parse(const char *s, size_t n, time_t *t)
{
	struct cur c = { s, s + n };
	struct hdate d = { 0 };

	if (read_form(&c, &d) == -1 || c.p != c.end || valid_date(&d) == -1)
		return -1;
	*t = (time_t)(days_from_civil(d.year, d.mon + 1, d.day) * 86400 +
	    d.hour * 3600 + d.min * 60 + d.sec);
	return 0;
}

const char *
http_date(struct arena *a, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	return arena_printf(a, "%.3s, %02d %s %04d %02d:%02d:%02d GMT",
	    wkdays[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

ssize_t
file_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, (char *)buf + got, n - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

const char *
file_etag(struct arena *a, const struct stat *st)
{
	return arena_printf(a, "\"%llx-%llx\"",
	    (unsigned long long)st->st_mtime, (unsigned long long)st->st_size);
}

/* Returns nonzero if the path component s is empty, "." or "..". */
static int
bad_component(const char *s)
{
	return *s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

int
file_open_beneath(
    struct arena *a, const char *root, const char *rel, struct stat *st)
{
	char *copy = arena_strdup(a, rel), *comp, *slash;
	int dfd, fd;

	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (comp = copy; dfd != -1; comp = slash + 1) {
		slash = strchr(comp, '/');
		if (slash != NULL)
			*slash = '\0';
		if (bad_component(comp)) {
			close(dfd);
			return -1;
		}
		if (slash == NULL)
			break;
		fd = openat(
		    dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = fd;
	}
	if (dfd == -1)
		return -1;
	fd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

int
file_uri_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || memchr("/._~-", c, 5) != NULL)
			rc = buf_addc(b, (char)c);
		else {
			rc = buf_addc(b, '%');
			rc |= buf_addc(b, hex[c >> 4]);
			rc |= buf_addc(b, hex[c & 15]);
		}
	}
	return rc;
}

const char *
file_handoff(struct req *r, const char *accel_prefix, int sendfile,
    const char *root, const char *rel, const char **hname)
{
	struct buf b;
	const char *v = NULL;
	int rc;

	buf_init(&b, LIM_HEADER_VALUE - 1);
	if (accel_prefix != NULL && *accel_prefix != '\0') {
		*hname = "X-Accel-Redirect";
		rc = buf_adds(&b, accel_prefix);
		if (rc == 0 && accel_prefix[strlen(accel_prefix) - 1] != '/')
			rc = buf_addc(&b, '/');
		rc |= file_uri_escape(&b, rel, strlen(rel));
	} else if (sendfile == SENDFILE_RAW) {
		*hname = "X-Sendfile";
		rc = str_has_ctl(root, strlen(root)) ||
		    str_has_ctl(rel, strlen(rel));
		if (rc == 0) {
			rc = buf_adds(&b, root);
			rc |= buf_addc(&b, '/');
			rc |= buf_adds(&b, rel);
		}
	} else if (sendfile == SENDFILE_ESCAPED) {
		*hname = "X-Sendfile";
		rc = file_uri_escape(&b, root, strlen(root));
		rc |= buf_addc(&b, '/');
		rc |= file_uri_escape(&b, rel, strlen(rel));
	} else
		rc = -1;
	if (rc == 0)
		v = arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	return v;
}

/*
 * Returns 1 if the list of entity tags s (If-Match, If-None-Match) holds
 * "*" or a tag equal to etag: compared weakly (W/ ignored) if weak, else
 * strongly (a weak tag never matches).  A malformed list matches nothing
 * from where it breaks on.
 */
static int
etag_match(const char *s, const char *etag, int weak)
{
	struct cur c = { s, s + strlen(s) };
	size_t el = strlen(etag);
	const char *q;
	int w;

	for (;; c.p++) {
		skip_ows(&c);
		if (c.p == c.end)
			return 0;
		if (*c.p == ',')
			continue;
		if (*c.p == '*')
			return 1;
		w = read_lit(&c, "W/") == 0;
		if (c.p == c.end || *c.p != '"')
			return 0;
		q = memchr(c.p + 1, '"', (size_t)(c.end - c.p - 1));
		if (q == NULL)
			return 0;
		if ((size_t)(q + 1 - c.p) == el && memcmp(c.p, etag, el) == 0 &&
		    (weak || !w))
			return 1;
		c.p = q + 1;
		skip_ows(&c);
		if (c.p == c.end || *c.p != ',')
			return 0;
	}
}

/* Returns 1 if the request header (FastCGI name) holds an HTTP-date. */
static int
header_date(const struct req *r, const char *name, time_t *t)
{
	const char *v = req_param(r, name);

	return v != NULL && http_date_parse(v, strlen(v), t) == 0;
}

/* RFC 7232 §6, steps 1 to 4.  Returns 0 (go on), 304 or 412. */
static int
preconditions(const struct req *r, const char *etag, time_t mtime)
{
	const char *im = req_param(r, "HTTP_IF_MATCH");
	const char *inm = req_param(r, "HTTP_IF_NONE_MATCH");
	int getlike = (r->m & (M_GET | M_HEAD)) != 0;
	time_t t;

	if (im != NULL && !etag_match(im, etag, 0))
		return 412;
	if (im == NULL && header_date(r, "HTTP_IF_UNMODIFIED_SINCE", &t) &&
	    mtime > t)
		return 412;
	if (inm != NULL && etag_match(inm, etag, 1))
		return getlike ? 304 : 412;
	if (inm == NULL && getlike &&
	    header_date(r, "HTTP_IF_MODIFIED_SINCE", &t) && mtime <= t)
		return 304;
	return 0;
}

/*
 * The ranges to send (RFC 7233 §3): Range on a GET, unless If-Range
 * names another validator.  Returns what http_range_parse returns.
 */
static int
ranges(const struct req *r, const struct stat *st, const char *etag,
    struct http_range *rg, size_t *n)
{
	const char *v = req_param(r, "HTTP_RANGE");
	const char *ir = req_param(r, "HTTP_IF_RANGE");
	time_t t;

	*n = 0;
	if (v == NULL || r->m != M_GET)
		return RANGE_IGNORE;
	if (ir != NULL && *ir == '"' && strcmp(ir, etag) != 0)
		return RANGE_IGNORE;
	if (ir != NULL && *ir != '"' &&
	    (http_date_parse(ir, strlen(ir), &t) == -1 || t != st->st_mtime))
		return RANGE_IGNORE; /* a weak ETag, a date, or garbage */
	return http_range_parse(v, strlen(v), st->st_size, rg, LIM_RANGES, n);
}

int
file_conditional(const struct req *r)
{
	static const char *const names[] = { "HTTP_RANGE", "HTTP_IF_MATCH",
		"HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
		"HTTP_IF_UNMODIFIED_SINCE" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (req_param(r, names[i]) != NULL)
			return 1;
	return 0;
}

/* A multipart boundary: 20 hex digits, random if the kernel gives. */
static const char *
boundary(struct arena *a)
{
	static uint64_t seq;
	unsigned char b[10];
	uint64_t x;
	size_t i;

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		x = now_us() ^ ((uint64_t)getpid() << 40) ^
		    ++seq * 0x9e3779b97f4a7c15u;
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)(x >> (i % 8 * 8));
	}
	return arena_printf(a, "%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x", b[0],
	    b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]);
}

/* One range: its slice of the file, Content-Range, the file's type. */
static void
send_single(struct reply *rp, int fd, const struct stat *st, const char *ctype,
    const struct http_range *rg)
{
	struct reply_part *p = arena_zalloc(rp->arena, sizeof(*p));

	p->off = rg->first;
	p->len = rg->last - rg->first + 1;
	reply_file_parts(rp, fd, p, 1);
	reply_header(rp, "Content-Range",
	    arena_printf(rp->arena, "bytes %lld-%lld/%lld",
		(long long)rg->first, (long long)rg->last,
		(long long)st->st_size));
	rp->ctype = ctype;
}

/*
 * Several ranges: multipart/byteranges framed as nginx frames it, each
 * part's head and the closing delimiter in the arena, the slices read
 * from the file in between.
 */
static void
send_multipart(struct reply *rp, int fd, const struct stat *st,
    const char *ctype, const struct http_range *rg, size_t n)
{
	struct reply_part *p =
	    arena_zalloc(rp->arena, (2 * n + 1) * sizeof(*p));
	const char *bd = boundary(rp->arena);
	size_t i;

	for (i = 0; i < n; i++) {
		p[2 * i].mem = arena_printf(rp->arena,
		    "\r\n--%s\r\nContent-Type: %s\r\n"
		    "Content-Range: bytes %lld-%lld/%lld\r\n\r\n",
		    bd, ctype, (long long)rg[i].first, (long long)rg[i].last,
		    (long long)st->st_size);
		p[2 * i].len = (off_t)strlen(p[2 * i].mem);
		p[2 * i + 1].off = rg[i].first;
		p[2 * i + 1].len = rg[i].last - rg[i].first + 1;
	}
	p[2 * n].mem = arena_printf(rp->arena, "\r\n--%s--\r\n", bd);
	p[2 * n].len = (off_t)strlen(p[2 * n].mem);
	reply_file_parts(rp, fd, p, 2 * n + 1);
	rp->ctype =
	    arena_printf(rp->arena, "multipart/byteranges; boundary=%s", bd);
}

/* A reply without a body: 304 (no Content-Length), 412, 416. */
static enum err
no_body(struct reply *rp, int fd, int status)
{
	close(fd);
	reply_status(rp, status);
	reply_text(rp, NULL, "", 0);
	if (status == 304)
		reply_head_only(rp, REPLY_NO_LENGTH);
	return E_OK;
}

enum err
file_reply(struct req *r, struct reply *rp, int fd, const struct stat *st,
    const char *ctype)
{
	struct http_range rg[LIM_RANGES];
	const char *etag = file_etag(r->arena, st);
	size_t n = 0;
	int code;

	if (ctype == NULL)
		ctype = OCTET;
	reply_header(rp, "ETag", etag);
	reply_header(rp, "Last-Modified", http_date(r->arena, st->st_mtime));
	code = preconditions(r, etag, st->st_mtime);
	if (code != 0)
		return no_body(rp, fd, code);
	reply_header(rp, "Accept-Ranges", "bytes");
	switch (ranges(r, st, etag, rg, &n)) {
	case RANGE_UNSATISFIABLE:
		reply_header(rp, "Content-Range",
		    arena_printf(
			r->arena, "bytes */%lld", (long long)st->st_size));
		return no_body(rp, fd, 416);
	case RANGE_OK:
		reply_status(rp, 206);
		if (n == 1)
			send_single(rp, fd, st, ctype, rg);
		else
			send_multipart(rp, fd, st, ctype, rg, n);
		break;
	default:
		reply_status(rp, 200);
		reply_file(rp, fd, st->st_size);
		rp->ctype = ctype;
	}
	if (r->m == M_HEAD)
		reply_head_only(rp, REPLY_HEAD);
	return E_OK;
}
