/*
 * The ARI dialect: the Asterisk REST Interface's /ari/channels resource,
 * a drop-in twin (docs/ari.md).  Each command row carries its path under
 * /ari (.path) and, in .ext, its success status; the dialect's route
 * matches method and path against those rows (fcgi/rest.c), and the errors are
 * ARI's:
 * {"message":...} with Asterisk's status line.
 */
#ifndef PBXAPI_ARI_DIALECT_H
#define PBXAPI_ARI_DIALECT_H

#include "dispatch.h"

/* What a command row of the dialect keeps in .ext. */
struct ari_op {
	int ok; /* the success status: 200, 201 or 204 */
	const char *summary;
};

/* A row's path under /ari ("{name}" a path parameter) and its .ext. */
#define ARI_OP(p, s, sum)                          \
	.path = (p), .ext = &(const struct ari_op) \
	{                                          \
		.ok = (s), .summary = (sum)        \
	}

/* Per-request state (r->dctx). */
struct ari_req {
	int status;	    /* the error's status, 0: err_status() */
	const char *reason; /* its status line text, NULL: standard */
	const char *allow;  /* Allow header of a 405 */
};

/* Writes r's error (ari_fail's, else e's) as ARI's JSON reply. */
void ari_error(struct req *r, struct reply *rp, enum err e);

/*
 * Sets the error of r as ARI words it: status (0: e's), its status line
 * text (NULL: the standard one) and the message.  Returns e.
 */
enum err ari_fail(struct req *r, enum err e, int status, const char *reason,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Returns the argument called name of r's command if the request gave
 * it (validated), else NULL.
 */
const struct arg *ari_arg(const struct req *r, const char *name);

enum ari_backend { ARI_BE_ARI, ARI_BE_AMI, ARI_BE_ESL };

/* The backend that serves r's tenant (ARI_BACKEND, or guessed). */
enum ari_backend ari_backend(struct req *r);

/*
 * The operation r->cmd (validated, its cross-parameter rules checked)
 * translated for an AMI-only Asterisk (ami.c) or the FreeSWITCH event
 * socket (esl.c); what a backend cannot do is 501.
 */
enum err ari_ami_run(struct req *r, struct reply *rp);
enum err ari_esl_run(struct req *r, struct reply *rp);

/*
 * GET /ari/channels from the event companion's live state (live.c).
 * Returns 1 if it answered, 0 if the backend should (fresh, events off
 * or of another backend, no companion, not synced).
 */
int ari_live_list(struct req *r, struct reply *rp, int fresh);

/*
 * Runs fn (an origination) once per Idempotency-Key header (idem.c):
 * a key seen before gets the first answer again.
 */
enum err ari_idempotent(struct req *r, struct reply *rp,
    enum err (*fn)(struct req *, struct reply *));

/* The dialect's param_error: ARI's words for an invalid parameter. */
enum err ari_param_error(struct req *r, const struct param *p, enum perr why);

extern const struct family ari_channels;
extern const struct family ari_apidocs;
extern const struct family ari_events;

struct jw;

/* Returns 1 if p takes a number not below 0 (api-docs' RANGE). */
int ari_nonneg(const struct param *p);

/* Writes the errorResponses array of c for api-docs. */
void ari_error_responses(struct jw *w, const struct cmd *c);

#endif
