/*
 * ari_double's REST side: the captures of shared/fixtures/ari, replies
 * rebuilt from them, Basic auth and the template routing of everything
 * but /ari/channels (channels.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "pv.h"
#include "world.h"
#include "ari_double.h"

static const char html404[] =
    "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\r\n"
    "<html><head>\r\n<title>404 Not Found</title>\r\n</head><body>\r\n<h1>Not Found</h1>\r\n"
    "<p>The requested URL was not found on this server.</p>\r\n"
    "<hr />\r\n<address>Asterisk Server</address>\r\n</body></html>\r\n";

static struct fixture *fx; /* the captures */
static size_t nfx;

/* ---- fixtures ---- */

void
load_fixtures(void)
{
	const char *dir = S.opt.fixtures, *name;
	struct pv_ent *e;
	struct pv *idx;
	size_t n;
	char *text;

	text = slurp(arena_printf(S.arena, "%s/index.json", dir), &n);
	if (text == NULL)
		die("cannot read '%s/index.json'", dir);
	idx = decode(text, n);
	fx = arena_zalloc(S.arena, (pv_count(idx) + 1) * sizeof(*fx));
	for (e = idx->u.arr->head; e != NULL; e = e->next) {
		name = pv_s(&e->val, "name");
		fx[nfx].name = name;
		fx[nfx].method = pv_s(&e->val, "method");
		fx[nfx].path = pv_s(&e->val, "path");
		fx[nfx].http =
		    slurp(arena_printf(S.arena, "%s/%s.http", dir, name),
			&fx[nfx].len);
		if (fx[nfx].http == NULL)
			die("cannot read '%s/%s.http'", dir, name);
		nfx++;
	}
}

const struct fixture *
fixture(const char *name)
{
	size_t i;

	for (i = 0; i < nfx; i++)
		if (strcmp(fx[i].name, name) == 0)
			return &fx[i];
	die("no fixture '%s'", name);
	return NULL;
}

/* The body of a capture (after the head). */
static const char *
fx_body(const struct fixture *f, size_t *n)
{
	const char *p = strstr(f->http, "\r\n\r\n");

	p = p != NULL ? p + 4 : f->http + f->len;
	*n = (size_t)(f->http + f->len - p);
	return p;
}

/* ---- replies ---- */

static void
http_date(char *dst, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(dst, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/*
 * A capture's reply with its headers in order: Date is now, Connection
 * only when closing, Content-Length that of body (+ extra for the
 * length-mismatch fault).  body NULL: the capture's own.
 */
int
respond(struct conn *c, const struct fixture *f, const char *body, size_t n,
    long extra)
{
	const char *p = f->http, *e;
	char date[64];

	if (body == NULL)
		body = fx_body(f, &n);
	http_date(date, sizeof(date));
	buf_clear(&c->out);
	e = strstr(p, "\r\n");
	buf_add(&c->out, p, (size_t)(e - p) + 2);
	for (p = e + 2; strncmp(p, "\r\n", 2) != 0; p = e + 2) {
		e = strstr(p, "\r\n");
		if (strncasecmp(p, "Date:", 5) == 0)
			buf_printf(&c->out, "Date: %s\r\n", date);
		else if (strncasecmp(p, "Connection:", 11) == 0) {
			if (c->q.close)
				buf_adds(&c->out, "Connection: close\r\n");
		} else if (strncasecmp(p, "Content-Length:", 15) == 0)
			buf_printf(&c->out, "Content-Length: %zu\r\n",
			    n + (size_t)(extra + S.cl_extra));
		else
			buf_add(&c->out, p, (size_t)(e - p) + 2);
	}
	buf_adds(&c->out, "\r\n");
	buf_add(&c->out, body, n);
	return 0;
}

static void
respond_html404(struct conn *c)
{
	char date[64];

	http_date(date, sizeof(date));
	buf_clear(&c->out);
	buf_printf(&c->out,
	    "HTTP/1.1 404 Not Found\r\nServer: Asterisk\r\nDate: %s\r\n"
	    "%sCache-Control: no-cache, no-store\r\nContent-Length: %zu\r\n"
	    "Content-type: text/html\r\n\r\n%s",
	    date, c->q.close ? "Connection: close\r\n" : "",
	    sizeof(html404) - 1, html404);
}

int
auth_check(struct conn *c)
{
	const char *a = c->q.auth;
	char dec[512], want[512], key[512];
	size_t n;

	snprintf(want, sizeof(want), "%s:%s", S.opt.user, S.opt.secret);
	if (a != NULL && strncasecmp(a, "Basic ", 6) == 0) {
		/* 4 base64 bytes give 3: cap what is decoded to fit dec. */
		n = strcspn(a + 6, "\r\n");
		if (n > (sizeof(dec) - 1) / 3 * 4)
			n = (sizeof(dec) - 1) / 3 * 4;
		n = dbl_b64_decode(a + 6, n, dec);
		dec[n] = '\0';
		if (strcmp(S.cur.fault, "auth-fail") != 0 &&
		    strcmp(dec, want) == 0)
			return 0;
		respond(c, fixture("error_401_bad_credentials"), NULL, 0, 0);
		return -1;
	}
	if (qparam(c->q.query, "api_key", key, sizeof(key))) {
		if (strcmp(S.cur.fault, "auth-fail") != 0 &&
		    strcmp(key, want) == 0)
			return 0;
		respond(c, fixture("error_401_bad_credentials"), NULL, 0, 0);
		return -1;
	}
	respond(c, fixture("error_401_no_credentials"), NULL, 0, 0);
	return -1;
}

/*
 * The capture answering method + path by template: the path segments
 * equal, the third (an id) free; an exact match (query included) first.
 */
const struct fixture *
fx_match(const char *method, const char *target, const char *path)
{
	const char *a, *b;
	size_t i, seg, na, nb;

	for (i = 0; i < nfx; i++)
		if (strcmp(fx[i].method, method) == 0 &&
		    strcmp(fx[i].path, target) == 0)
			return &fx[i];
	for (i = 0; i < nfx; i++) {
		if (strcmp(fx[i].method, method) != 0)
			continue;
		a = fx[i].path;
		b = path;
		for (seg = 0;; seg++) {
			na = strcspn(a, "/?");
			nb = strcspn(b, "/?");
			if (seg != 3 && (na != nb || strncmp(a, b, na) != 0))
				break;
			a += na;
			b += nb;
			if ((*a == '\0' || *a == '?') && *b == '\0')
				return &fx[i];
			if (*a != '/' || *b != '/')
				break;
			a++;
			b++;
		}
	}
	return NULL;
}

/*
 * POST /ari/bridges/{id}/addChannel|removeChannel?channel=a,b: the
 * channels of the call world enter or leave the bridge (their events).
 */
static void
bridge_op(const struct conn *c, const char *rest)
{
	char bid[128], list[1024], *ch, *save = NULL;
	const char *slash = strchr(rest, '/');
	int add;

	if (slash == NULL)
		return;
	add = strcmp(slash, "/addChannel") == 0;
	if ((!add && strcmp(slash, "/removeChannel") != 0) ||
	    !qparam(c->q.query, "channel", list, sizeof(list)))
		return;
	copyn(bid, sizeof(bid), rest, (size_t)(slash - rest));
	for (ch = strtok_r(list, ",", &save); ch != NULL;
	     ch = strtok_r(NULL, ",", &save))
		world_bridge(ch, add ? bid : NULL);
}

/* Builds the reply to c->q into c->out.  Under the lock. */
void
route(struct conn *c)
{
	const struct fixture *f;
	const char *p = c->q.path;

	if (strncmp(p, "/ari/", 5) != 0 ||
	    strcmp(S.cur.fault, "html404") == 0) {
		respond_html404(c);
		return;
	}
	if (auth_check(c) == -1)
		return;
	if (strncmp(p, "/ari/channels", 13) == 0 &&
	    (p[13] == '\0' || p[13] == '/')) {
		channels(c, p + 13);
		return;
	}
	f = fx_match(c->q.method, c->q.target, p);
	respond(c, f != NULL ? f : fixture("error_404_resource"), NULL, 0, 0);
	if (f != NULL && strcmp(c->q.method, "POST") == 0 &&
	    strncmp(p, "/ari/bridges/", 13) == 0)
		bridge_op(c, p + 13);
}
