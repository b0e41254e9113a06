/*
 * ARI driver (see ari.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "arena.h"
#include "ari.h"
#include "buf.h"
#include "log.h"
#include "netio.h"
#include "phpin.h"
#include "pv.h"

#define PHP_JSON_DEPTH 512 /* json_decode's default depth */

struct ari {
	CURL *h;
	struct curl_slist *hdrs;
	struct buf body;
	char cerr[CURL_ERROR_SIZE];
	char reason[ARI_REASON_MAX]; /* of the last status line */
	char location[ARI_LOCATION_MAX];
};

void
ari_close(void *p)
{
	struct ari *c = p;

	if (c == NULL)
		return;
	curl_easy_cleanup(c->h);
	curl_slist_free_all(c->hdrs);
	buf_free(&c->body);
	free(c);
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct ari *c = ctx;

	if (buf_add(&c->body, p, size * nmemb) == -1)
		return 0; /* CURLE_WRITE_ERROR; c->body.overflow says why */
	return size * nmemb;
}

/* Keeps the reason phrase of the status line and the Location header. */
static size_t
on_header(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct ari *c = ctx;
	size_t n = size * nmemb, k;
	const char *sp;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
		c->reason[0] = c->location[0] = '\0';
		/* "HTTP/1.1 404 Variable Not Found" */
		if ((sp = memchr(p, ' ', n)) != NULL &&
		    (sp = memchr(sp + 1, ' ', n - (size_t)(sp + 1 - p))) !=
			NULL) {
			k = n - (size_t)(sp + 1 - p);
			if (k < sizeof(c->reason)) {
				memcpy(c->reason, sp + 1, k);
				c->reason[k] = '\0';
			}
		}
	} else if (n > 9 && strncasecmp(p, "Location:", 9) == 0) {
		for (p += 9, n -= 9; n > 0 && *p == ' '; p++, n--)
			;
		if (n < sizeof(c->location)) {
			memcpy(c->location, p, n);
			c->location[n] = '\0';
		}
	}
	return size * nmemb;
}

/*
 * Aborts the transfer (CURLE_ABORTED_BY_CALLBACK) once the calling
 * thread's source is stopping (net_watch); curl calls it at least once
 * a second, connecting included.  Always 0 in a worker.
 */
static int
on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	(void)ctx;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return net_stopped();
}

/* The settings that never change for a handle. */
static int
ari_setup(struct ari *c)
{
	CURL *h = c->h;

	c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (c->hdrs == NULL)
		return -1;
	c->hdrs = curl_slist_append(c->hdrs, "Accept: application/json");
	if (c->hdrs == NULL)
		return -1;
	/* No SIGALRM from the resolver: the worker owns that signal. */
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->cerr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(
	    h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)LIM_ARI_BODY);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(
	    h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	return 0;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void
curl_init(void)
{
	curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

struct ari *
ari_new(void)
{
	struct ari *c;

	/*
	 * curl_global_init is not thread-safe, and the companion's ARI
	 * sources reach here on threads of their own at the same time; a
	 * worker is one thread and pays only the once.
	 */
	if (pthread_once(&curl_once, curl_init) != 0 || !curl_ok)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	buf_init(&c->body, LIM_ARI_BODY);
	c->h = curl_easy_init();
	if (c->h == NULL || ari_setup(c) == -1) {
		ari_close(c);
		return NULL;
	}
	return c;
}

static void err_set(struct ari_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
err_set(struct ari_err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	e->len = (size_t)n < sizeof(e->msg) ? (size_t)n : sizeof(e->msg) - 1;
}

static int
php_trim_char(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\0' || ch == '\v';
}

void
ari_status_error(long status, const char *body, size_t n, struct ari_err *e)
{
	size_t cut;

	while (n > 0 && php_trim_char(body[0])) {
		body++;
		n--;
	}
	while (n > 0 && php_trim_char(body[n - 1]))
		n--;
	if (n == 0) {
		err_set(e,
		    "ARI request failed with HTTP status %ld: [empty response body]",
		    status);
		return;
	}
	err_set(e, "ARI request failed with HTTP status %ld: ", status);
	cut = n > ARI_BODY_CUT ? ARI_BODY_CUT : n;
	if (cut > sizeof(e->msg) - 4 - e->len)
		cut = sizeof(e->msg) - 4 - e->len;
	memcpy(e->msg + e->len, body, cut);
	e->len += cut;
	if (n > ARI_BODY_CUT) {
		memcpy(e->msg + e->len, "...", 3);
		e->len += 3;
	}
	e->msg[e->len] = '\0';
}

struct pv *
ari_decode(struct arena *a, const char *body, size_t n)
{
	struct in_limits lim = { .params_max = (size_t)-1,
		.name_max = (size_t)-1,
		.value_max = (size_t)-1,
		.nest_max = PHP_JSON_DEPTH };
	char errbuf[128];
	struct pv *v = NULL;

	if (json_decode_pv(a, body, n, &lim, &v, errbuf, sizeof(errbuf)) !=
		E_OK ||
	    v == NULL || v->type != PV_ARR)
		return pv_new_arr(a);
	return v;
}

/* Sets the per-request options: URL, credentials, deadline, method. */
static void
ari_prepare(struct ari *c, struct arena *a, const struct ari_conf *cf,
    const char *method, const char *url, const char *body, size_t n)
{
	CURL *h = c->h;

	buf_clear(&c->body);
	c->cerr[0] = '\0';
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(
	    h, CURLOPT_USERPWD, arena_printf(a, "%s:%s", cf->user, cf->secret));
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cf->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, cf->timeout_ms);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		return;
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
}

/* The message of a failed transfer, as PHP's curl_error() gives it. */
static void
transfer_error(struct ari *c, CURLcode rc, struct ari_err *e)
{
	if (c->body.overflow || rc == CURLE_FILESIZE_EXCEEDED)
		err_set(e,
		    "ARI request failed (cURL error: reply larger than %d bytes)",
		    LIM_ARI_BODY);
	else
		err_set(e, "ARI request failed (cURL error: %s)",
		    c->cerr[0] != '\0' ? c->cerr : curl_easy_strerror(rc));
}

/*
 * Runs call on c; sets *status and *url.  Returns E_OK once a reply came
 * (any status), or E_BACKEND with the transfer's message in *e.
 */
static enum err
perform(struct ari *c, struct arena *a, const struct ari_conf *cf,
    const struct ari_call *call, long *status, const char **url,
    struct ari_err *e)
{
	CURLcode rc;

	e->len = 0;
	e->sent = 0;
	*status = 0;
	*url = arena_printf(a, "%s%s", cf->base, call->path);
	ari_prepare(c, a, cf, call->method, *url, call->body, call->n);
	c->reason[0] = c->location[0] = '\0';
	if ((rc = curl_easy_perform(c->h)) != CURLE_OK) {
		long out = 0;

		curl_easy_getinfo(c->h, CURLINFO_REQUEST_SIZE, &out);
		e->sent = out > 0;
		transfer_error(c, rc, e);
		log_warnx("ari %s '%s': %.*s", call->method, *url, (int)e->len,
		    e->msg);
		return E_BACKEND;
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, status);
	return E_OK;
}

enum err
ari_request(struct ari *c, struct arena *a, const struct ari_conf *cf,
    const struct ari_call *call, struct ari_reply *out, struct ari_err *e)
{
	const char *data, *url;
	enum err rc;

	if ((rc = perform(c, a, cf, call, &out->status, &url, e)) != E_OK)
		return rc;
	data = c->body.len > 0 ? c->body.data : "";
	if (out->status >= 400) {
		ari_status_error(out->status, data, c->body.len, e);
		log_warnx("ari %s '%s': HTTP status %ld", call->method, url,
		    out->status);
		return E_BACKEND;
	}
	out->body = ari_decode(a, data, c->body.len);
	return E_OK;
}

enum err
ari_forward(struct ari *c, struct arena *a, const struct ari_conf *cf,
    const struct ari_call *call, struct ari_raw *out, struct ari_err *e)
{
	const char *url;
	enum err rc;

	memset(out, 0, sizeof(*out));
	if ((rc = perform(c, a, cf, call, &out->status, &url, e)) != E_OK)
		return rc;
	out->body =
	    arena_strndup(a, c->body.len > 0 ? c->body.data : "", c->body.len);
	out->n = c->body.len;
	out->reason = arena_strdup(a, c->reason);
	out->location = c->location[0] ? arena_strdup(a, c->location) : NULL;
	return E_OK;
}
