/*
 * A FusionPBX tenant's share of a FreeSWITCH (src_esl.h): with
 * FUSIONPBX_DOMAIN, the tenant is one domain of a FreeSWITCH that others
 * share, and its event stream holds that domain's channels only, as the
 * ARI dialect's event socket backend sees them (docs/ari.md, "The tenant
 * is one domain"): a channel is the domain's when its context is the
 * domain name or its domain (variable_domain_name, the presence id's) is.
 *
 * An inbound call starts in the public context and is transferred into
 * the domain's: its creation is no one's, and its first event in the
 * domain must create it for the tenant.  So the scope remembers the
 * channels it let through (a bounded set of ids): their later events
 * pass whatever they say (a bridge's B leg says nothing), and the first
 * event of a channel that enters the domain is preceded by a creation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "src_esl.h"

#define SCOPE_BUCKETS 4096
#define SCOPE_MAX     100000 /* channels remembered; past it, not */

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
