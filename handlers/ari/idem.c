/*
 * Idempotency-Key on ARI's originations (originate, originateWithId,
 * create, dial: the C_ORIGINATE rows): the first answer, status and
 * body, is kept by the event companion for 24 hours (fcgi/companion/
 * wcs.h, the idem.* verbs), and a request with a key seen before gets
 * it again without a second origination.  See docs/ari.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ari_dialect.h"
#include "arena.h"
#include "buf.h"
#include "client.h"
#include "conf.h"
#include "log.h"
#include "reply.h"

#define KEY_MAX	  120 /* bytes of a key ("ari:" goes before it) */
#define CHUNK_MAX 255 /* a local interface argument */
#define BODY_MAX  8192

static int
visible(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

/* Asks the companion; 0 with *body, -1 if it did not answer OK. */
static int
ask(struct req *r, const char *line, const char **body, size_t *len)
{
	char why[256];

	if (companion_ask_wait(
		r->conf, r->arena, line, body, len, why, sizeof(why)) != E_OK) {
		log_warnx("ari: Idempotency-Key: %s: %s", line, why);
		return -1;
	}
	return 0;
}

/* Sends body in percent-encoded pieces of at most CHUNK_MAX bytes. */
static int
put_body(struct req *r, const char *key, const char *b, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char chunk[CHUNK_MAX + 1];
	const char *line, *ans;
	size_t i = 0, k, alen;
	unsigned char c;

	while (i < n) {
		for (k = 0; i < n && k + 3 <= CHUNK_MAX; i++) {
			c = (unsigned char)b[i];
			if (c <= 0x20 || c >= 0x7f || c == '%' || c == '+') {
				chunk[k++] = '%';
				chunk[k++] = hex[c >> 4];
				chunk[k++] = hex[c & 15];
			} else
				chunk[k++] = (char)c;
		}
		chunk[k] = '\0';
		line = arena_printf(
		    r->arena, "idem.put %s %s %s", r->tenant->name, key, chunk);
		if (ask(r, line, &ans, &alen) == -1)
			return -1;
	}
	return 0;
}

/* The first answer again, marked replayed. */
static enum err
replay(struct req *r, struct reply *rp, const char *ans, size_t len)
{
	const char *nl = memchr(ans, '\n', len);
	int status = atoi(ans + 5);

	if (status == 0)
		return ari_fail(r, E_CONFLICT, 409, NULL,
		    "A request with this Idempotency-Key is in progress");
	reply_status(rp, status);
	reply_header(rp, "Cache-Control", "no-cache, no-store");
	reply_header(rp, "Idempotent-Replayed", "true");
	if (nl != NULL && (size_t)(nl + 1 - ans) < len)
		reply_text(rp, "application/json", nl + 1,
		    len - (size_t)(nl + 1 - ans));
	return E_OK;
}

/*
 * Runs fn once per Idempotency-Key.  Without the header, or for a tenant
 * the companion does not follow (events = off), or when the companion
 * does not answer, fn simply runs: the key is a promise only where it
 * can be kept (docs/ari.md).  A refused origination placed nothing, so
 * its key is forgotten and a retry runs again; one whose answer was lost
 * (r->unsure: a timeout after sending) may have placed a call, so its
 * failure is kept and replayed like a success.  No room for another
 * running key: 503, never an unprotected run.
 */
enum err
ari_idempotent(struct req *r, struct reply *rp,
    enum err (*fn)(struct req *, struct reply *))
{
	const char *k = req_param(r, "HTTP_IDEMPOTENCY_KEY");
	const char *key, *line, *ans = NULL;
	size_t len;
	enum err e;

	if (k == NULL || *k == '\0')
		return fn(r, rp);
	if (strlen(k) > KEY_MAX || !visible(k))
		return ari_fail(
		    r, E_BADREQ, 400, NULL, "Invalid Idempotency-Key");
	if (tenant_events(r->tenant) == EVM_OFF || !companion_alive())
		return fn(r, rp);
	key = arena_printf(r->arena, "ari:%s", k);
	line = arena_printf(r->arena, "idem.claim %s %s", r->tenant->name, key);
	if (ask(r, line, &ans, &len) == -1 || strcmp(ans, "new") != 0) {
		if (ans != NULL && strncmp(ans, "seen ", 5) == 0)
			return replay(r, rp, ans, len);
		if (ans != NULL && strcmp(ans, "full") == 0)
			return ari_fail(r, E_BACKEND, 503, NULL,
			    "Too many Idempotency-Keys running");
		return fn(r, rp);
	}
	e = fn(r, rp);
	if (e != E_OK && r->unsure && !reply_committed(rp))
		ari_error(r, rp, e); /* what dispatch will answer, kept */
	if (reply_committed(rp) ||
	    ((e != E_OK || rp->status >= 400) && !r->unsure)) {
		line = arena_printf(
		    r->arena, "idem.done %s %s 0", r->tenant->name, key);
		ask(r, line, &ans, &len);
		return e;
	}
	if (rp->body != NULL && rp->body->len <= BODY_MAX &&
	    put_body(r, key, rp->body->data, rp->body->len) == -1)
		return e;
	line = arena_printf(
	    r->arena, "idem.done %s %s %d", r->tenant->name, key, rp->status);
	ask(r, line, &ans, &len);
	return e;
}
