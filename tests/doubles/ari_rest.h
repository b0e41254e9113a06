/*
 * ari_double's REST side (see ari_double.c, which includes this file
 * once): the fixtures of shared/fixtures/ari, HTTP request parsing and
 * logging, replies rebuilt from the captures, Basic auth, the stateful
 * /ari/channels family and the template routing of everything else.
 */
/* ---- fixtures ---- */

static const char *
pv_s(const struct pv *obj, const char *key)
{
	const struct pv *v = pv_getz(obj, key);
	size_t n;

	if (v == NULL || v->type == PV_NULL)
		return NULL;
	return pv_to_str(A, v, &n);
}

static struct pv *
decode(const char *s, size_t n)
{
	struct in_limits lim = { .nest_max = 64 };
	struct pv *v = NULL;
	char err[128];

	if (json_decode_pv(A, s, n, &lim, &v, err, sizeof(err)) != E_OK)
		die("invalid JSON: %s", err);
	return v;
}

static void
load_fixtures(void)
{
	const char *dir = opt.fixtures, *name;
	struct pv_ent *e;
	struct pv *idx;
	size_t n;
	char *text;

	text = slurp(arena_printf(A, "%s/index.json", dir), &n);
	if (text == NULL)
		die("cannot read '%s/index.json'", dir);
	idx = decode(text, n);
	fx = arena_zalloc(A, (pv_count(idx) + 1) * sizeof(*fx));
	for (e = idx->u.arr->head; e != NULL; e = e->next) {
		name = pv_s(&e->val, "name");
		fx[nfx].name = name;
		fx[nfx].method = pv_s(&e->val, "method");
		fx[nfx].path = pv_s(&e->val, "path");
		fx[nfx].http = slurp(
		    arena_printf(A, "%s/%s.http", dir, name), &fx[nfx].len);
		if (fx[nfx].http == NULL)
			die("cannot read '%s/%s.http'", dir, name);
		nfx++;
	}
}

static const struct fixture *
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

/* ---- requests ---- */

struct request {
	char method[16];
	char *target, *path, *query; /* query: after '?', or "" */
	const char *auth;	     /* Authorization value, or NULL */
	int close; /* the client wants the connection closed */
	char *raw; /* head and body as received */
	size_t rawlen, headlen;
};

struct conn {
	int fd;
	unsigned long n;
	struct buf in;
	struct buf out;
	struct request q;
};

static const char *
header(const char *head, const char *name)
{
	size_t n = strlen(name);
	const char *p = strstr(head, "\r\n");

	for (; p != NULL && p[2] != '\r'; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, n) == 0 && p[2 + n] == ':')
			return p + 3 + n + strspn(p + 3 + n, " \t");
	return NULL;
}

/* Parses the head in q->raw (NUL-terminated at its blank line). */
static int
parse_head(struct request *q)
{
	const char *v;
	char *sp, *sp2;

	sp = strchr(q->raw, ' ');
	if (sp == NULL || (size_t)(sp - q->raw) >= sizeof(q->method))
		return -1;
	memcpy(q->method, q->raw, (size_t)(sp - q->raw));
	q->method[sp - q->raw] = '\0';
	sp2 = strchr(sp + 1, ' ');
	if (sp2 == NULL)
		return -1;
	q->target = strndup(sp + 1, (size_t)(sp2 - sp - 1));
	q->path = strdup(q->target);
	sp = strchr(q->path, '?');
	q->query = sp != NULL ? sp + 1 : q->path + strlen(q->path);
	if (sp != NULL)
		*sp = '\0';
	q->close = strncmp(sp2 + 1, "HTTP/1.0", 8) == 0;
	v = header(q->raw, "Connection");
	if (v != NULL && strncasecmp(v, "close", 5) == 0)
		q->close = 1;
	q->auth = header(q->raw, "Authorization");
	return 0;
}

static void
request_free(struct request *q)
{
	free(q->target);
	free(q->path);
	free(q->raw);
	memset(q, 0, sizeof(*q));
}

/* Reads one request.  Returns 1, or 0 at EOF or on a broken request. */
static int
read_request(struct conn *c)
{
	struct request *q = &c->q;
	char tmp[16384], *end;
	const char *cl;
	size_t head, body = 0;
	ssize_t k;

	for (;;) {
		end = c->in.len ? memmem(c->in.data, c->in.len, "\r\n\r\n", 4)
				: NULL;
		if (end != NULL) {
			head = (size_t)(end - c->in.data) + 4;
			c->in.data[head - 2] = '\0';
			cl = header(c->in.data, "Content-Length");
			c->in.data[head - 2] = '\r';
			body = cl != NULL ? strtoul(cl, NULL, 10) : 0;
			if (body > BODY_MAX)
				return 0;
			if (c->in.len >= head + body)
				break;
		} else if (c->in.len > HEAD_MAX)
			return 0;
		k = recv(c->fd, tmp, sizeof(tmp), 0);
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0 || buf_add(&c->in, tmp, (size_t)k) == -1)
			return 0;
	}
	q->rawlen = head + body;
	q->headlen = head;
	q->raw = malloc(q->rawlen + 1);
	memcpy(q->raw, c->in.data, q->rawlen);
	q->raw[q->rawlen] = '\0';
	memmove(c->in.data, c->in.data + q->rawlen, c->in.len - q->rawlen);
	c->in.len -= q->rawlen;
	q->raw[head - 2] = '\0';
	if (parse_head(q) == -1)
		return 0;
	q->raw[head - 2] = '\r';
	return 1;
}

/* One JSON line per request into the --log file. */
static void
log_request(const struct conn *c)
{
	const struct request *q = &c->q;
	const char *p, *e, *colon;
	struct buf b;

	if (logfd == -1)
		return;
	buf_init(&b, (size_t)-1);
	buf_printf(&b, "{\"conn\":%lu,\"t\":%.6f,\"method\":", c->n, elapsed());
	jstr(&b, q->method, strlen(q->method));
	buf_adds(&b, ",\"path\":");
	jstr(&b, q->target, strlen(q->target));
	buf_adds(&b, ",\"headers\":[");
	p = strstr(q->raw, "\r\n") + 2;
	for (; p < q->raw + q->headlen - 2; p = e + 2) {
		e = strstr(p, "\r\n");
		colon = memchr(p, ':', (size_t)(e - p));
		if (colon == NULL)
			continue;
		buf_adds(&b, p == strstr(q->raw, "\r\n") + 2 ? "[" : ",[");
		jstr(&b, p, (size_t)(colon - p));
		buf_addc(&b, ',');
		colon++;
		colon += strspn(colon, " \t");
		jstr(&b, colon, (size_t)(e - colon));
		buf_addc(&b, ']');
	}
	buf_adds(&b, "],\"body\":");
	jstr(&b, q->raw + q->headlen, q->rawlen - q->headlen);
	buf_adds(&b, ",\"raw\":");
	jstr(&b, q->raw, q->rawlen);
	buf_adds(&b, "}\n");
	pthread_mutex_lock(&lock);
	(void)!write(logfd, b.data, b.len);
	pthread_mutex_unlock(&lock);
	buf_free(&b);
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
static int
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
			    n + (size_t)(extra + cl_extra));
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

/* Percent-decodes the query parameter key into dst; 0 if absent. */
static int
qparam(const char *query, const char *key, char *dst, size_t size)
{
	size_t kl = strlen(key), o = 0;
	const char *p = query;
	unsigned v;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
			for (p += kl + 1;
			     *p != '\0' && *p != '&' && o + 1 < size; p++) {
				if (*p == '%' &&
				    sscanf(p + 1, "%2x", &v) == 1) {
					dst[o++] = (char)v;
					p += 2;
				} else
					dst[o++] = *p == '+' ? ' ' : *p;
			}
			dst[o] = '\0';
			return 1;
		}
		p = strchr(p, '&');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* 0 if the request carries the configured credentials. */
static int
auth_check(struct conn *c)
{
	const char *a = c->q.auth;
	char dec[512], want[512], key[512];
	size_t n;

	snprintf(want, sizeof(want), "%s:%s", opt.user, opt.secret);
	if (a != NULL && strncasecmp(a, "Basic ", 6) == 0) {
		n = b64_decode(a + 6, strcspn(a + 6, "\r\n"), dec);
		dec[n] = '\0';
		if (strcmp(cur.fault, "auth-fail") != 0 &&
		    strcmp(dec, want) == 0)
			return 0;
		respond(c, fixture("error_401_bad_credentials"), NULL, 0, 0);
		return -1;
	}
	if (qparam(c->q.query, "api_key", key, sizeof(key))) {
		if (strcmp(cur.fault, "auth-fail") != 0 &&
		    strcmp(key, want) == 0)
			return 0;
		respond(c, fixture("error_401_bad_credentials"), NULL, 0, 0);
		return -1;
	}
	respond(c, fixture("error_401_no_credentials"), NULL, 0, 0);
	return -1;
}

/* ---- channels ---- */

/* The Channel JSON of Asterisk 22 (asterisk-protocol.md §3.3). */
static char *
chan_json(const char *id, const char *name, const char *cname, const char *cnum,
    const char *ctx, const char *exten, const char *app, const char *data)
{
	char when[64];
	struct buf b;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000+0000", &tm);
	buf_init(&b, (size_t)-1);
	buf_adds(&b, "{\"id\":\"");
	jesc(&b, id);
	buf_adds(&b, "\",\"name\":\"");
	jesc(&b, name);
	buf_adds(&b,
	    "\",\"state\":\"Up\",\"protocol_id\":\"\",\"caller\":"
	    "{\"name\":\"");
	jesc(&b, cname);
	buf_adds(&b, "\",\"number\":\"");
	jesc(&b, cnum);
	buf_adds(&b, "\"},\"connected\":{\"name\":\"");
	jesc(&b, cname);
	buf_adds(&b, "\",\"number\":\"");
	jesc(&b, cnum);
	buf_adds(&b, "\"},\"accountcode\":\"\",\"dialplan\":{\"context\":\"");
	jesc(&b, ctx);
	buf_adds(&b, "\",\"exten\":\"");
	jesc(&b, exten);
	buf_adds(&b, "\",\"priority\":1,\"app_name\":\"");
	jesc(&b, app);
	buf_adds(&b, "\",\"app_data\":\"");
	jesc(&b, data);
	buf_printf(
	    &b, "\"},\"creationtime\":\"%s\",\"language\":\"en\"}", when);
	return b.data;
}

static struct chan *
chan_find(const char *id)
{
	size_t i;

	for (i = 0; i < nchan; i++)
		if (strcmp(chans[i].id, id) == 0)
			return &chans[i];
	return NULL;
}

/* Adds a channel (under the lock).  Returns it, or NULL when full. */
static struct chan *
chan_add(const char *id, char *json, int stasis)
{
	struct chan *ch;

	if (nchan == CHAN_MAX) {
		free(json);
		return NULL;
	}
	ch = &chans[nchan++];
	snprintf(ch->id, sizeof(ch->id), "%s", id);
	ch->json = json;
	ch->stasis = stasis;
	return ch;
}

static void
chan_del(struct chan *ch)
{
	free(ch->json);
	*ch = chans[--nchan];
}

/* channels=N: N Local channels in Stasis, "double-1" ... (under lock). */
static void
chan_seed(long n)
{
	char id[64], name[96];
	long i;

	while (nchan > 0)
		chan_del(&chans[0]);
	for (i = 1; i <= n && i <= CHAN_MAX; i++) {
		snprintf(id, sizeof(id), "double-%ld", i);
		snprintf(name, sizeof(name), "Local/600@test-%08lx;%ld",
		    (i + 1) / 2, 2 - i % 2);
		chan_add(id,
		    chan_json(id, name, "Double", "5550100", "test", "600",
			"Stasis", "pbxapi"),
		    1);
	}
	seeded = n;
}

static void
chan_list(struct conn *c)
{
	const struct fixture *f = fixture("channels_list");
	struct buf b;
	size_t i;

	buf_init(&b, REPLY_MAX);
	buf_addc(&b, '[');
	for (i = 0; i < nchan; i++) {
		if (i > 0)
			buf_addc(&b, ',');
		buf_adds(&b, chans[i].json);
	}
	buf_addc(&b, ']');
	respond(c, f, b.data, b.len, 0);
	buf_free(&b);
}

/* fault=huge: a valid channel list of at least cur.huge bytes. */
static void
chan_list_huge(struct conn *c)
{
	struct buf b;
	char id[64], *j;
	long i;

	buf_init(&b, REPLY_MAX);
	buf_addc(&b, '[');
	for (i = 1; b.len < (size_t)cur.huge; i++) {
		snprintf(id, sizeof(id), "huge-%ld", i);
		j = chan_json(id, "Local/600@test-00000001;1", "Huge", "1",
		    "test", "600", "Stasis", "pbxapi");
		if (i > 1)
			buf_addc(&b, ',');
		if (buf_adds(&b, j) == -1) {
			free(j);
			break;
		}
		free(j);
	}
	buf_addc(&b, ']');
	respond(c, fixture("channels_list"), b.data, b.len, 0);
	buf_free(&b);
}

/* Splits "Name <number>" (or a bare number) as Asterisk does. */
static void
callerid(char *cid, char *name, size_t nsize, char *num, size_t numsize)
{
	char *lt = strchr(cid, '<');

	copyn(num, numsize, lt ? lt + 1 : cid, strlen(lt ? lt + 1 : cid));
	num[strcspn(num, ">")] = '\0';
	if (lt == NULL)
		return;
	while (lt > cid && lt[-1] == ' ')
		lt--;
	*lt = '\0';
	copyn(name, nsize, cid, strlen(cid));
}

/* POST /ari/channels[/{id}]: the checks Asterisk makes, in its order. */
static int
chan_originate(struct conn *c, const char *id)
{
	char ep[256], app[128], ext[128], ctx[128], cid[256], nid[128];
	char name[300], cname[256] = "", cnum[128] = "", *lt;
	const char *q = c->q.query;
	int has_app = qparam(q, "app", app, sizeof(app));
	int has_ext = qparam(q, "extension", ext, sizeof(ext));

	if (!qparam(q, "endpoint", ep, sizeof(ep)))
		return respond(
		    c, fixture("error_400_originate_no_endpoint"), NULL, 0, 0);
	if (!has_app && !has_ext)
		return respond(c,
		    fixture("error_400_originate_no_app_or_exten"), NULL, 0, 0);
	if (strchr(ep, '/') == NULL)
		return respond(
		    c, fixture("error_400_originate_bad_endpoint"), NULL, 0, 0);
	if (strncasecmp(ep, "Local/", 6) != 0 &&
	    strncasecmp(ep, "PJSIP/", 6) != 0)
		return respond(
		    c, fixture("error_500_originate_bad_tech"), NULL, 0, 0);
	if (id == NULL && !qparam(q, "channelId", nid, sizeof(nid)))
		snprintf(nid, sizeof(nid), "pbxtest-%ld.%lu", (long)time(NULL),
		    ++seq);
	else if (id != NULL)
		copyn(nid, sizeof(nid), id, strlen(id));
	if (chan_find(nid) != NULL)
		return respond(
		    c, fixture("error_409_channel_id_in_use"), NULL, 0, 0);
	if (qparam(q, "callerId", cid, sizeof(cid)))
		callerid(cid, cname, sizeof(cname), cnum, sizeof(cnum));
	if (!qparam(q, "context", ctx, sizeof(ctx)))
		snprintf(ctx, sizeof(ctx), "default");
	snprintf(name, sizeof(name), "%s-%08lx%s", ep, ++seq,
	    strncasecmp(ep, "Local/", 6) == 0 ? ";1" : "");
	lt = chan_json(nid, name, cname, cnum, ctx, has_ext ? ext : "s",
	    has_app ? "Stasis" : "AppDial2", has_app ? app : "(Outgoing Line)");
	if (chan_add(nid, lt, has_app) == NULL)
		return respond(
		    c, fixture("error_500_originate_bad_tech"), NULL, 0, 0);
	return respond(c, fixture("channel_originate"), lt, strlen(lt), 0);
}

/*
 * The capture answering method + path by template: the path segments
 * equal, the third (an id) free; an exact match (query included) first.
 */
static const struct fixture *
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

/* /ari/channels/{id}/{op}...: 404 unknown, 409 outside Stasis. */
static int
chan_op(struct conn *c, struct chan *ch, const char *op)
{
	const struct fixture *f;

	if (ch == NULL)
		return respond(
		    c, fixture("error_404_channel_hold"), NULL, 0, 0);
	if (!ch->stasis) {
		if (strncmp(op, "dtmf", 4) == 0)
			f = fixture("error_409_not_in_stasis_dtmf");
		else if (strncmp(op, "play", 4) == 0)
			f = fixture("error_409_not_in_stasis_play");
		else
			f = fixture("error_409_not_in_stasis_hold");
		return respond(c, f, NULL, 0, 0);
	}
	f = fx_match(c->q.method, c->q.target, c->q.path);
	if (f == NULL)
		f = fixture("error_404_resource");
	return respond(c, f, NULL, 0, 0);
}

/* The /ari/channels family, with state.  Under the lock. */
static int
channels(struct conn *c, const char *rest)
{
	const char *m = c->q.method, *slash;
	char id[128];
	struct chan *ch;

	if (*rest == '\0') {
		if (strcmp(m, "GET") == 0 && strcmp(cur.fault, "huge") == 0)
			chan_list_huge(c);
		else if (strcmp(m, "GET") == 0)
			chan_list(c);
		else if (strcmp(m, "POST") == 0)
			return chan_originate(c, NULL);
		else
			respond(c, fixture("error_405_method"), NULL, 0, 0);
		return 0;
	}
	rest++;
	slash = strchr(rest, '/');
	copyn(id, sizeof(id), rest,
	    slash ? (size_t)(slash - rest) : strlen(rest));
	ch = chan_find(id);
	if (slash != NULL)
		return chan_op(c, ch, slash + 1);
	if (strcmp(m, "POST") == 0)
		return chan_originate(c, id);
	if (strcmp(m, "GET") == 0 && ch != NULL)
		return respond(
		    c, fixture("channel_get"), ch->json, strlen(ch->json), 0);
	if (strcmp(m, "GET") == 0)
		return respond(c, fixture("error_404_channel"), NULL, 0, 0);
	if (strcmp(m, "DELETE") == 0 && ch == NULL)
		return respond(
		    c, fixture("error_404_channel_delete"), NULL, 0, 0);
	if (strcmp(m, "DELETE") == 0) {
		chan_del(ch);
		return respond(c, fixture("channel_hangup"), NULL, 0, 0);
	}
	return respond(c, fixture("error_405_method"), NULL, 0, 0);
}

/* Builds the reply to c->q into c->out.  Under the lock. */
static void
route(struct conn *c)
{
	const struct fixture *f;
	const char *p = c->q.path;

	if (strncmp(p, "/ari/", 5) != 0 || strcmp(cur.fault, "html404") == 0) {
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
}
