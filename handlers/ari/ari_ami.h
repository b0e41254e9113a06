/*
 * The AMI backend of the ARI dialect (docs/ari.md, "AMI backend"):
 * ami.c runs the operations AMI can do and holds the helpers below,
 * ami_originate.c originates, ami_model.c builds ARI's models from what
 * AMI says (the Channel of a CoreShowChannel or Status event, its
 * creationtime, callerId parsing, hangup's Q.850 causes).
 */
#ifndef PBXAPI_ARI_AMI_H
#define PBXAPI_ARI_AMI_H

#include <stddef.h>
#include <time.h>

#include "ami.h"
#include "ari_model.h"
#include "err.h"
#include "req.h"

struct jw;
struct reply;

/*
 * Fills c from a CoreShowChannel or Status event m (Asterisk 11 to 22
 * header names), its creation time worked out at now.  The strings point
 * into m.
 */
void ari_chan_from_ami(struct ari_chan *c, const struct ami_msg *m, time_t now);

/*
 * Splits a caller id as Asterisk's ast_callerid_parse() does:
 * "Name <number>" (the name unquoted and trimmed), a bare number, or a
 * bare name.  The parts point into s.
 */
void ari_callerid(
    const char *s, size_t n, struct ari_str *name, struct ari_str *number);

/*
 * Returns the Q.850 cause of one of hangup's reason names (ARI's
 * table), or -1 if reason is not one.
 */
int ari_cause(const char *reason);

/* ---- ami.c ---- */

/*
 * Runs act for r's tenant.  Returns E_OK only for Response: Success,
 * with the reply in *rep; else ARI's error, set: 503 {"message":
 * "Asterisk Manager Interface unavailable"} when AMI is down, stalled or
 * garbled (the detail logged), 400 for a value the driver refuses, and
 * for Response: Error 404 ("No such channel"), 501 (an action this
 * Asterisk lacks), 404 or 400 ("Invalid priority": a label, a
 * priority), else 500 with the operation's text.
 */
enum err ari_ami_action(
    struct req *r, const struct ami_action *act, struct ami_reply *rep);

/* ari_ami_action() of the action name with the nkv headers of kv. */
enum err ari_ami_simple(
    struct req *r, const char *name, const struct ami_kv *kv, size_t nkv);

/* CoreShowChannels: its response, then an event per channel.  As above. */
enum err ari_ami_channels(struct req *r, struct ami_reply *rep);

/*
 * Returns the CoreShowChannel event of rep whose Uniqueid is the n bytes
 * at id, or NULL.
 */
const struct ami_msg *ari_ami_find(
    const struct ami_reply *rep, const char *id, size_t n);

/* Sets 501 {"message":"<what> is not supported by the AMI backend"}. */
enum err ari_ami_unsupported(struct req *r, const char *what);

/* Appends the header name: the vlen bytes at v to kv[*n]. */
static inline void
ari_ami_add(
    struct ami_kv *kv, size_t *n, const char *name, const char *v, size_t vlen)
{
	kv[*n].name = name;
	kv[*n].value = v;
	kv[*n].vlen = vlen;
	(*n)++;
}

/* ari_ami_add() of an argument, if the request gave it. */
static inline void
ari_ami_add_arg(
    struct ami_kv *kv, size_t *n, const char *name, const struct arg *a)
{
	if (a != NULL)
		ari_ami_add(kv, n, name, a->s, a->len);
}

static inline void
ari_ami_add_str(
    struct ami_kv *kv, size_t *n, const char *name, struct ari_str v)
{
	ari_ami_add(kv, n, name, v.s != NULL ? v.s : "", v.s != NULL ? v.n : 0);
}

/* ---- ami_originate.c ---- */

/*
 * originate and originateWithId: an Async Originate into the dialplan;
 * 501 for an app (Stasis) or an originator.
 */
enum err ari_ami_originate(struct req *r, struct reply *rp);

#endif
