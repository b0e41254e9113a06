/*
 * The FreeSWITCH event source (event.h's contract) for FusionPBX
 * tenants: the event socket's "event json" stream and "show channels as
 * json" for the rebuild, mapped to struct ev.  The mapping functions are
 * pure (a JSON text in, events out) so that they are tested without a
 * socket.
 */
#ifndef PBXAPI_SRC_ESL_H
#define PBXAPI_SRC_ESL_H

#include <stddef.h>

#include "esl.h"
#include "event.h"

struct arena;

/* The most events one FreeSWITCH event maps to (a bridge: both legs). */
#define SRC_ESL_EV_MAX 2

/*
 * The events the source subscribes to ("event json <this>"): the
 * channel events it maps and sofia's registrations (EV_PEER).  Every
 * word after CUSTOM is a subclass to mod_event_socket, so CUSTOM and its
 * subclasses come last.
 */
#define SRC_ESL_EVENTS                                                 \
	"CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA "      \
	"CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE CHANNEL_HOLD " \
	"CHANNEL_UNHOLD DTMF CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE "  \
	"CHANNEL_DESTROY CHANNEL_CALLSTATE "                           \
	"CUSTOM sofia::register sofia::unregister sofia::expire"

/*
 * The source: connects to the tenant's event socket (ESL_HOST, ESL_PORT,
 * ESL_PASSWORD, else FusionPBX's config.conf, else 127.0.0.1:8021
 * ClueCon), subscribes, rebuilds from show channels, then delivers
 * events until the connection fails or *stop is set; with
 * FUSIONPBX_DOMAIN, only that domain's (src_esl_scope()).  Returns as
 * ev_source_fn says, and E_BADREQ if FUSIONPBX_DOMAIN is not a domain
 * name.
 */
enum err src_esl(const struct tenant *t, struct ev_sink *sink,
    const _Atomic int *stop, char *errbuf, size_t errlen);

/*
 * Maps one text/event-json body (n bytes) to at most SRC_ESL_EV_MAX
 * events in out, their strings in the arena.  Returns how many (0 for an
 * event the model does not carry), or -1 if the text is not a JSON
 * object or has no Event-Name.
 */
int src_esl_map(struct arena *a, const char *json, size_t n, struct ev *out);

/*
 * Parses the answer of "show channels as json" (n bytes) into one
 * EV_CREATED per row in *out (arena).  Returns the count, or -1 if the
 * text is not FreeSWITCH's {"row_count":N,"rows":[...]}.
 */
int src_esl_rows(struct arena *a, const char *json, size_t n, struct ev **out);

/* Returns the Q.850 number of a FreeSWITCH hangup cause name, or -1. */
int src_esl_cause(const char *name);

/*
 * Returns the state of a channel from FreeSWITCH's call state (DOWN,
 * RINGING, EARLY, ACTIVE ...) and direction ("inbound": a call coming in,
 * which rings here).  ST_UNKNOWN when it says nothing (HANGUP, NULL).
 */
enum ev_state src_esl_state(const char *callstate, const char *direction);

/* A tenant's settings for the source (src_esl_tenant.c). */
struct src_esl_conf {
	struct esl_conf esl; /* ESL_HOST, ESL_PORT, ESL_PASSWORD */
	const char *domain;  /* FUSIONPBX_DOMAIN; NULL: every domain */
	long keep_ms;	     /* ESL_KEEPALIVE: silence before "api status" */
};

/*
 * Reads t's settings into out, strings in the arena: ESL_HOST, ESL_PORT,
 * ESL_PASSWORD (else FusionPBX's config.conf: FUSIONPBX_CONFIG, or
 * /etc/fusionpbx/ or /usr/local/etc/fusionpbx/; else 127.0.0.1, 8021,
 * ClueCon), FUSIONPBX_DOMAIN and ESL_KEEPALIVE (seconds, 1 to 3600,
 * default 20).  Returns E_OK, or E_BADREQ naming the bad setting in
 * errbuf.
 */
enum err src_esl_conf(struct arena *a, const struct tenant *t,
    struct src_esl_conf *out, char *errbuf, size_t errlen);

/*
 * A tenant's share of FreeSWITCH (src_esl_tenant.c): with a domain
 * (FUSIONPBX_DOMAIN), the channels whose context or domain is that
 * domain, as the ARI dialect's event socket backend scopes them; without
 * one, everything.
 */
struct esl_scope;

enum esl_verdict {
	SCOPE_DROP,	   /* not the tenant's */
	SCOPE_PASS,	   /* deliver it */
	SCOPE_CREATE_FIRST /* deliver an EV_CREATED of its channel first */
};

/* Returns a scope of domain (NULL or "": every channel). */
struct esl_scope *src_esl_scope_new(const char *domain);

/* Forgets the channels it let through (a sync comes). */
void src_esl_scope_reset(struct esl_scope *sc);

void src_esl_scope_free(struct esl_scope *sc);

/*
 * Returns what becomes of e: the domain's channels pass and are
 * remembered, and so do the later events of a channel remembered,
 * whatever they say (until EV_DESTROYED); the first event of a channel
 * that enters the domain after its creation asks for a creation first;
 * an EV_PEER passes when its host is the domain.
 */
enum esl_verdict src_esl_scope(struct esl_scope *sc, const struct ev *e);

#endif
