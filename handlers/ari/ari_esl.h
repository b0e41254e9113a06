/*
 * The ARI dialect's event-socket backend (docs/ari.md, "Event socket
 * backend"): esl.c runs the operations, esl_orig.c builds originate,
 * esl_chan.c turns "show channels as json" into ARI Channels, scopes
 * them to the tenant's domain and holds the checks that keep client
 * text from changing the meaning of an ESL command.  The pure helpers
 * are declared here for the unit tests (tests/unit/t_ari_esl.c) and
 * the fuzz target.
 */
#ifndef PBXAPI_ARI_ESL_H
#define PBXAPI_ARI_ESL_H

#include <stddef.h>
#include <time.h>

#include "ari_model.h"
#include "err.h"

struct arena;
struct arg;
struct jw;
struct reply;
struct req;

#define AESL_ID_MAX   149 /* a channel id, as ARI's */
#define AESL_NAME_MAX 64  /* a channel variable's name */

/*
 * A row of "show channels as json": the columns the Channel model and
 * the scoping read, each "" when FreeSWITCH gave none.
 */
struct aesl_chan {
	const char *uuid, *direction, *created_epoch, *name, *state;
	const char *cid_name, *cid_num, *callee_name, *callee_num;
	const char *dest, *application, *application_data, *context;
	const char *presence_id, *callstate;
};

/*
 * Parses the n bytes at s, the output of "show channels as json"
 * ({"row_count":N,"rows":[{...},...]}, or {"row_count":0}), into an
 * arena array.  Returns the number of rows, or -1 if s is not such an
 * output.
 */
int aesl_parse_channels(
    struct arena *a, const char *s, size_t n, struct aesl_chan **rows);

/*
 * Returns 1 if channel c belongs to the FusionPBX domain: its context is
 * the domain name, or its presence_id is <user>@<domain> (compared
 * without case), as FusionPBX sets them.
 */
int aesl_in_domain(const struct aesl_chan *c, const char *domain);

/* ARI's state name for c's callstate (and direction). */
const char *aesl_state(const struct aesl_chan *c);

/* Writes c as ARI's Channel model, keys in ARI's order. */
void aesl_channel_json(struct jw *w, const struct aesl_chan *c);

/*
 * Writes a Channel that is not in FreeSWITCH's list yet (originate's
 * snapshot): state Down, created now.
 */
void aesl_new_channel_json(struct jw *w, const struct aesl_chan *c);

/* ---- what may stand in an ESL command (0 = acceptable) ---- */

/* One argument token: 1..AESL_ID_MAX bytes of [A-Za-z0-9_.-]. */
int aesl_v_token(const char *s, size_t n);

/*
 * Free text on an ESL api line: no control byte, no quote or backslash
 * (FreeSWITCH's argument splitter strips and unescapes them) and no
 * "${" (variable and api expansion).
 */
int aesl_v_text(const char *s, size_t n);

/*
 * A value inside originate's {...}: aesl_v_text, and none of , { } [ ]
 * < > ^ | (which end the value, the block, or change the separator).
 */
int aesl_v_brace(const char *s, size_t n);

/*
 * A variable name: [A-Za-z_][A-Za-z0-9_-]* (sip_h_X-Foo), at most
 * AESL_NAME_MAX bytes.
 */
int aesl_v_varname(const char *s, size_t n);

/*
 * Returns 1 if a client may set the variable called name: not one that
 * runs applications or APIs, changes the call's dialplan, context or
 * domain (and so its tenant), or names files and media (the list is in
 * docs/ari.md).
 */
int aesl_var_settable(const char *name);

/*
 * A relative path of names: segments of [A-Za-z0-9_-] (and '.' inside
 * a segment when dots), separated by single '/', none "..".
 */
int aesl_v_relpath(const char *s, size_t n, int dots);

/* FreeSWITCH's cause name for an ARI hangup reason, or NULL. */
const char *aesl_cause(const char *reason);

/*
 * Turns an ARI endpoint into a FreeSWITCH dial string scoped to domain:
 * user/X[@domain], PJSIP/X and SIP/X dial the domain's user X
 * (user/X@domain); loopback/X[/domain] and Local/X[@domain] dial X
 * through the domain's dialplan (loopback/X/domain).  Sets *dial and
 * *exten (X).  Returns 0, or -1 with the reason in why.
 */
int aesl_endpoint(struct arena *a, const char *ep, const char *domain,
    const char **dial, const char **exten, char *why, size_t whylen);

/*
 * Splits an ARI callerId ("Name <number>", "<number>", a number or a
 * name) into *name and *number ("" when absent).
 */
void aesl_callerid(
    struct arena *a, const char *s, const char **name, const char **number);

/* ---- the operations (esl.c, esl_ops.c, esl_orig.c) ---- */

/* What an operation works on. */
struct aesl_ctx {
	const char *domain;  /* the tenant's FusionPBX domain */
	const char *id;	     /* the channelId argument (checked), or NULL */
	struct aesl_chan ch; /* the channel, once aesl_find found it */
};

/* An operation: what it checks, then what it sends. */
typedef enum err aesl_op(struct req *, struct reply *, struct aesl_ctx *);

aesl_op aesl_hangup, aesl_continue, aesl_redirect, aesl_simple, aesl_dtmf,
    aesl_mute, aesl_moh, aesl_play, aesl_record, aesl_getvar, aesl_setvar,
    aesl_originate;

/* The argument called name of r's command, or NULL if absent or "". */
const struct arg *aesl_arg(const struct req *r, const char *name);

/*
 * Runs "api <cmd>" on the tenant's event socket.  Returns E_OK with the
 * reply body, or the ARI error: 503 when the socket is down, stalls or
 * breaks, 400 for a command the event socket refuses to send.
 */
enum err aesl_api(struct req *r, const char *cmd, char **body, size_t *n);

/* Runs "bgapi <cmd>" with a new Job-UUID.  Returns as aesl_api. */
enum err aesl_bgapi(struct req *r, const char *cmd);

/*
 * Finds x->id among FreeSWITCH's channels of x->domain into x->ch.
 * Returns E_OK, or the ARI error (404 Channel not found; for
 * getChannelVar, "404 Channel Not Found").
 */
enum err aesl_find(struct req *r, struct aesl_ctx *x);

/*
 * Sends cmd about the found channel.  Returns E_OK for "+OK", the 404 of
 * aesl_find for "-ERR No such channel", 500 for another answer.
 */
enum err aesl_command(struct req *r, struct aesl_ctx *x, const char *cmd);

/* A tenant setting, or def when it is unset or empty. */
const char *aesl_setting(const struct req *r, const char *key, const char *def);

#endif
