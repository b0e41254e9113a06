/*
 * What the WCS methods ask (see wcs_dialect.h): the event companion's
 * registry and the tenant's Asterisk over ARI or AMI, each failure
 * worded as WCS answers it.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "asterisk.h"
#include "buf.h"
#include "client.h"
#include "conf.h"
#include "log.h"
#include "str.h"
#include "wcs_dialect.h"

/* ---- the companion ---- */

/*
 * Asks the companion line; E_OK with *body (NUL-terminated).  A
 * companion that is not running or refuses is the request's 503.  Why
 * it did not answer (timed out past companion.wait, its socket
 * refused ...) goes to the log only: the client learns no paths.
 */
enum err
wcs_ask(struct req *r, const char *line, const char **body, size_t *len)
{
	char why[256];
	enum err e;

	if (!companion_alive())
		return wcs_fail(
		    r, E_BACKEND, "the event companion is not running");
	e = companion_ask_wait(
	    r->conf, r->arena, line, body, len, why, sizeof(why));
	if (e == E_NOTFOUND)
		return wcs_fail(r, E_BACKEND, "event companion: %s", why);
	if (e != E_OK) {
		log_warnx("wcs: %s", why);
		return wcs_fail(r, E_BACKEND, "event companion unavailable");
	}
	return E_OK;
}

/*
 * The backend: ARI when the tenant's events come from ARI, AMI when
 * from AMI.  Without events there is no registry (503); the FreeSWITCH
 * event socket is not a WCS backend (501).
 */
enum err
wcs_backend(struct req *r, enum wcs_be *be)
{
	switch (tenant_events(r->tenant)) {
	case EVM_ARI:
		*be = WCS_BE_ARI;
		return E_OK;
	case EVM_AMI:
		*be = WCS_BE_AMI;
		return E_OK;
	case EVM_ESL:
		return wcs_fail(r, E_NOTSUP, "WCS calls need Asterisk");
	default:
		return wcs_fail(r, E_BACKEND,
		    "WCS calls need the event companion (events = ari or ami)");
	}
}

/* ---- ARI and AMI ---- */

/* path + "?" + the query, in the arena; NULL if too long. */
const char *
wcs_ari_path(struct req *r, const char *fmt, const char *id, const char *query)
{
	struct buf b;
	const char *s;

	buf_init(&b, 8192);
	buf_adds(&b, fmt);
	url_encode(&b, id, strlen(id));
	if (query != NULL)
		buf_adds(&b, query);
	s = b.overflow ? NULL : arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	return s;
}

/* Appends &name=value (value percent-encoded). */
void
wcs_q_add(struct buf *b, const char *name, const char *v)
{
	buf_printf(b, "%c%s=", b->len == 0 ? '?' : '&', name);
	url_encode(b, v, strlen(v));
}

/*
 * Runs an ARI request; E_OK with *status.  A failed transfer is 503, an
 * ARI 404 "no such call" 404, another refusal 500 (WCS's).
 */
enum err
wcs_ari_run(struct req *r, const char *method, const char *path, int originate)
{
	struct ari_call call = { .method = method, .path = path };
	struct ari_raw x;
	struct ari_err e;

	if (path == NULL)
		return wcs_fail(r, E_BADREQ, "request too large");
	if (ast_ari_forward(r, &call, &x, &e) != E_OK) {
		log_warnx("wcs: ari: %.*s", (int)e.len, e.msg);
		return wcs_fail(r, E_BACKEND, "Asterisk unavailable");
	}
	if (x.status == 404)
		return wcs_fail(r, E_NOTFOUND, "call not found");
	if (x.status == 409 && originate)
		return wcs_fail(r, E_CONFLICT, "callId in use");
	if (x.status >= 300) {
		log_warnx("wcs: ari %s %s: HTTP %ld", method, path, x.status);
		return wcs_fail(
		    r, E_INTERNAL, "Asterisk refused (HTTP %ld)", x.status);
	}
	return E_OK;
}

/*
 * Runs an AMI action, its ActionID ending in tail (NULL: none); "No
 * such channel" (and Asterisk's other "not found" texts) is 404, another
 * error 500, no answer 503.
 */
enum err
wcs_ami_run_tail(struct req *r, const char *action, const struct ami_kv *kv,
    size_t n, const char *tail)
{
	struct ami_action act = {
		.action = action, .kv = kv, .nkv = n, .id_tail = tail
	};
	struct ami_reply rep;
	const char *msg;
	size_t len = 0;
	enum err e;

	if ((e = ast_ami(r, &act, &rep)) != E_OK)
		return e == E_BADREQ
		    ? e
		    : wcs_fail(r, E_BACKEND, "Asterisk unavailable");
	if (rep.n == 0)
		return wcs_fail(r, E_BACKEND, "Asterisk unavailable");
	if (ami_is(&rep.msg[0], "Response", "Success"))
		return E_OK;
	msg = ami_get(&rep.msg[0], "Message", &len);
	if (msg != NULL &&
	    (strncasecmp(msg, "No such channel", 15) == 0 ||
		strstr(msg, "not found") != NULL))
		return wcs_fail(r, E_NOTFOUND, "call not found");
	return wcs_fail(r, E_INTERNAL, "Asterisk refused %s: %.*s", action,
	    (int)(len > 200 ? 200 : len), msg != NULL ? msg : "");
}

enum err
wcs_ami_run(
    struct req *r, const char *action, const struct ami_kv *kv, size_t n)
{
	return wcs_ami_run_tail(r, action, kv, n, NULL);
}
