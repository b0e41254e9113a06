/*
 * A FusionPBX tenant's side of the FreeSWITCH source (src_esl.h): its
 * settings, and its share of a FreeSWITCH.
 *
 * The settings are found as the FusionPBX dialect finds them (the
 * tenant's key, config.conf's switch.event_socket.* and event_socket.*,
 * the default), but for FusionPBX <= 5.1's v_settings row, which needs
 * the database.
 *
 * The share: with FUSIONPBX_DOMAIN, the tenant is one domain of a
 * FreeSWITCH that others share, and its event stream holds that domain's
 * channels only, as the ARI dialect's event socket backend sees them
 * (docs/ari.md, "The tenant is one domain"): a channel is the domain's
 * when its context is the domain name or its domain
 * (variable_domain_name, the presence id's) is.
 *
 * An inbound call starts in the public context and is transferred into
 * the domain's: its creation is no one's, and its first event in the
 * domain must create it for the tenant.  So the scope remembers the
 * channels it let through (a bounded set of ids): their later events
 * pass whatever they say (a bridge's B leg says nothing), and the first
 * event of a channel that enters the domain is preceded by a creation.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conf.h"
#include "esl.h"
#include "ini.h"
#include "pv.h"
#include "src_esl.h"

#define SCOPE_BUCKETS 4096
#define SCOPE_MAX     100000 /* channels remembered; past it, not */
#define KEEP_S	      20     /* ESL_KEEPALIVE's default, seconds */
#define KEEP_MAX_S    3600
#define CONF_ETC      "/etc/fusionpbx/config.conf"
#define CONF_LOCAL    "/usr/local/etc/fusionpbx/config.conf"

/* ---- the settings ---- */

/* A config.conf value (FusionPBX's), or NULL. */
static const char *
cfg(struct arena *a, const struct pv *conf, const char *key)
{
	const struct pv *v = conf ? pv_getz(conf, key) : NULL;
	const char *s;
	size_t n;

	if (v == NULL || v->type == PV_ARR)
		return NULL;
	s = pv_to_str(a, v, &n);
	return n > 0 ? arena_strndup(a, s, n) : NULL;
}

/* The event socket's address and password. */
static void
settings(struct arena *a, const struct tenant *t, struct esl_conf *cf)
{
	static const char *const keys[3][3] = {
		{ "ESL_HOST", "switch.event_socket.host",
		    "event_socket.ip_address" },
		{ "ESL_PORT", "switch.event_socket.port", "event_socket.port" },
		{ "ESL_PASSWORD", "switch.event_socket.password",
		    "event_socket.password" },
	};
	static const char *const defs[3] = { "127.0.0.1", "8021", "ClueCon" };
	const char *path = tenant_get(t, "FUSIONPBX_CONFIG"), *got[3];
	struct pv *conf = NULL;
	size_t i;

	if (*path != '\0')
		(void)ini_load(a, path, &conf);
	else if (ini_load(a, CONF_ETC, &conf) != E_OK)
		(void)ini_load(a, CONF_LOCAL, &conf);
	for (i = 0; i < 3; i++) {
		got[i] = tenant_get(t, keys[i][0]);
		if (*got[i] == '\0' &&
		    (got[i] = cfg(a, conf, keys[i][1])) == NULL &&
		    (got[i] = cfg(a, conf, keys[i][2])) == NULL)
			got[i] = defs[i];
	}
	cf->host = got[0];
	cf->port = got[1];
	cf->password = got[2];
}

/* ESL_KEEPALIVE in seconds (unset: the default), or -1 if it is bad. */
static long
keep_s(const struct tenant *t)
{
	const char *v = tenant_get(t, "ESL_KEEPALIVE");
	long k = strtol(v, NULL, 10);

	if (*v == '\0')
		return KEEP_S;
	if (strlen(v) > 4 || strspn(v, "0123456789") != strlen(v) || k < 1 ||
	    k > KEEP_MAX_S)
		return -1;
	return k;
}

enum err
src_esl_conf(struct arena *a, const struct tenant *t, struct src_esl_conf *out,
    char *errbuf, size_t errlen)
{
	const char *dom = tenant_get(t, "FUSIONPBX_DOMAIN");
	long k = keep_s(t);

	if (*dom != '\0' && !esl_domain_ok(dom, strlen(dom))) {
		snprintf(errbuf, errlen,
		    "FUSIONPBX_DOMAIN '%.64s' is not a domain name", dom);
		return E_BADREQ;
	}
	if (k < 0) {
		snprintf(errbuf, errlen,
		    "ESL_KEEPALIVE '%.16s' is not 1 to %d seconds",
		    tenant_get(t, "ESL_KEEPALIVE"), KEEP_MAX_S);
		return E_BADREQ;
	}
	settings(a, t, &out->esl);
	out->domain = *dom != '\0' ? arena_strdup(a, dom) : NULL;
	out->keep_ms = 1000 * k;
	return E_OK;
}

/* ---- the share ---- */

struct id {
	struct id *next;
	char s[]; /* the channel id */
};

struct esl_scope {
	char *domain; /* NULL: every channel */
	struct id *b[SCOPE_BUCKETS];
	size_t n;
};

/* FNV-1a: a bucket of an id. */
static size_t
bucket(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % SCOPE_BUCKETS;
}

/* The link that points at id, or at the end of its chain. */
static struct id **
slot(struct esl_scope *sc, const char *id)
{
	struct id **p = &sc->b[bucket(id)];

	while (*p != NULL && strcmp((*p)->s, id) != 0)
		p = &(*p)->next;
	return p;
}

static void
remember(struct esl_scope *sc, const char *id)
{
	struct id **p = slot(sc, id), *e;
	size_t n = strlen(id);

	if (*p != NULL || sc->n >= SCOPE_MAX)
		return;
	if ((e = malloc(sizeof(*e) + n + 1)) == NULL)
		abort();
	memcpy(e->s, id, n + 1);
	e->next = NULL;
	*p = e;
	sc->n++;
}

static void
forget(struct esl_scope *sc, const char *id)
{
	struct id **p = slot(sc, id), *e = *p;

	if (e == NULL)
		return;
	*p = e->next;
	free(e);
	sc->n--;
}

struct esl_scope *
src_esl_scope_new(const char *domain)
{
	struct esl_scope *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		abort();
	if (domain != NULL && *domain != '\0' &&
	    (sc->domain = strdup(domain)) == NULL)
		abort();
	return sc;
}

void
src_esl_scope_reset(struct esl_scope *sc)
{
	struct id *e, *next;
	size_t i;

	for (i = 0; i < SCOPE_BUCKETS; i++) {
		for (e = sc->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
		sc->b[i] = NULL;
	}
	sc->n = 0;
}

void
src_esl_scope_free(struct esl_scope *sc)
{
	if (sc == NULL)
		return;
	src_esl_scope_reset(sc);
	free(sc->domain);
	free(sc);
}

static int
same(const char *a, const char *b)
{
	return a != NULL && strcasecmp(a, b) == 0;
}

/* Whether e says it is the domain's. */
static int
in_domain(const struct esl_scope *sc, const struct ev *e)
{
	const char *at;

	if (e->type == EV_PEER) {
		at = e->peer != NULL ? strrchr(e->peer, '@') : NULL;
		return at != NULL && same(at + 1, sc->domain);
	}
	return same(e->chan.accountcode, sc->domain) ||
	    same(e->chan.context, sc->domain);
}

enum esl_verdict
src_esl_scope(struct esl_scope *sc, const struct ev *e)
{
	const char *id = e->chan.id;

	if (sc->domain == NULL)
		return SCOPE_PASS;
	if (e->type == EV_PEER)
		return in_domain(sc, e) ? SCOPE_PASS : SCOPE_DROP;
	if (id == NULL || *id == '\0')
		return SCOPE_DROP;
	if (*slot(sc, id) != NULL) {
		if (e->type == EV_DESTROYED)
			forget(sc, id);
		return SCOPE_PASS;
	}
	if (!in_domain(sc, e))
		return SCOPE_DROP;
	if (e->type == EV_HANGUP || e->type == EV_DESTROYED)
		return SCOPE_PASS; /* its end; nothing to create */
	remember(sc, id);
	return e->type == EV_CREATED ? SCOPE_PASS : SCOPE_CREATE_FIRST;
}
