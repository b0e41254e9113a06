/*
 * One request: the FastCGI parameters, the parsed input (as PHP would see
 * it), the validated arguments of the command, the tenant and scopes the
 * request authenticated as, and the public error message if it failed.
 * Everything hangs off the worker's arena and dies with the request.
 */
#ifndef PBXAPI_REQ_H
#define PBXAPI_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limits.h"
#include "phpin.h"

struct arena;
struct conf;
struct tenant;
struct token;
struct dialect;
struct cmd;
struct pv;
struct pool;
struct rl_note;

/* Methods, as bits so command tables can list several. */
#define M_GET	  0x01u
#define M_POST	  0x02u
#define M_PUT	  0x04u
#define M_DELETE  0x08u
#define M_HEAD	  0x10u
#define M_OPTIONS 0x20u
#define M_PATCH	  0x40u
#define M_OTHER	  0x80u
#define M_ANY	  0xffu

/* Body kinds a dialect accepts. */
#define BODY_FORM	0x01u /* urlencoded and multipart, POST only (PHP) */
#define BODY_JSON	0x02u /* application/json */
/*
 * json_decode(php://input): the body of any method and Content-Type;
 * anything but a JSON object counts as no body (an empty array).
 */
#define BODY_JSON_INPUT 0x04u

/* One validated argument (see struct param in dispatch.h). */
struct arg {
	int present;   /* the request carried it */
	const char *s; /* (string) cast, the default, or NULL */
	size_t len;
	int64_t i;	    /* (int) cast of s (0 if NULL) */
	const struct pv *v; /* the raw value, NULL if absent */
};

struct req {
	struct arena *arena;
	const struct conf *conf;
	struct pool *pool; /* the worker's backend connections */
	char **envp;	   /* FastCGI parameters */
	void *in;	   /* FCGX_Stream for the body, NULL in tests */

	const char *method;
	unsigned m;
	const char *path; /* without the query string */
	const char *query;
	size_t querylen;
	const char *ctype;  /* CONTENT_TYPE or "" */
	long long clen;	    /* CONTENT_LENGTH, -1 if absent */
	char id[LIM_SB_ID]; /* request id: logs, X-Request-Id */

	const struct dialect *dialect;
	const struct cmd *cmd;
	const char *cmdname; /* as requested, for logs */
	const struct tenant *tenant;
	unsigned scopes;
	/* Who: a token's id (struct token), or the dialect's own name for
	 * the credential ("shared", "signed", a FusionPBX key); NULL: none. */
	const char *token_id;
	/* The token it authenticated with (its command list); NULL: none. */
	const struct token *token;
	/* A backend may have acted on the request although its answer never
	 * came (a timeout after sending): an Idempotency-Key keeps the
	 * outcome rather than let a retry run it again (ari/idem.c). */
	int unsure;
	void *dctx;	    /* the dialect's per-request state (its auth's) */
	struct rl_note *rl; /* the rate limits it met (ratelimit.h), or NULL */

	struct pv *get;	     /* $_GET */
	struct pv *post;     /* $_POST, or the decoded JSON body */
	struct pv *pathargs; /* SRC_PATH values, set by the dialect's route */
	const char *body;
	size_t bodylen;
	int body_read;
	enum err body_err; /* what reading it gave */
	struct arg *args;  /* in the order of cmd->params */

	struct in_limits lim;
	char errmsg[LIM_ERRMSG]; /* public message, "" for err_str() */
	size_t errlen;		 /* its length (it may hold NULs) */
	const char *op;		 /* backend operation in progress */
	int op_kind;		 /* its backend kind (enum bk), 0: none */
	uint64_t op_start;	 /* when it began */
	uint64_t start_us;
};

/* Returns a FastCGI parameter or NULL. */
const char *req_param(const struct req *r, const char *name);

/* Fills the request line fields from envp.  Returns E_OK or E_BADREQ. */
enum err req_init(struct req *r);

/*
 * Sets the public error message (printf) and returns e, so that handlers
 * can write "return req_error(r, E_BADREQ, "...")".
 */
enum err req_error(struct req *r, enum err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Sets the public message to prefix followed by the n bytes at s (which
 * may hold NULs or invalid UTF-8: the encoder decides), returns e.
 */
enum err req_error_bytes(
    struct req *r, enum err e, const char *prefix, const char *s, size_t n);

/* Parses QUERY_STRING into r->get (once).  Returns E_OK or a limit err. */
enum err req_parse_query(struct req *r);

/*
 * Reads the body (at most body_max bytes; E_TOOLARGE beyond) and parses
 * it into r->post according to kinds and the Content-Type.  A body kind
 * the dialect does not accept is left unparsed.  Returns E_OK, E_TOOLARGE
 * or E_BADREQ.
 */
enum err req_parse_body(struct req *r, unsigned kinds);

/*
 * Reads the raw body into r->body (once: a second call returns the first
 * one's verdict).  Returns E_OK, E_TOOLARGE over body_max, or E_BADREQ
 * for a body shorter than its Content-Length.
 */
enum err req_read_body(struct req *r);

/*
 * Records the backend operation in progress (slow log, status), ending
 * the one before: its time goes to its backend kind's operation
 * histogram and the slow log's breakdown.  The kind is the first word of
 * op ("ami Originate"), else that of the connection the pool handed out
 * last (a statement's name after pool_get of "pgsql fusionpbx"), else
 * none (a file read).  A "<kind> connect" step in which the pool handed
 * out a kept connection is not counted.  NULL ends the last one.
 */
void req_op(struct req *r, const char *op);

/* Returns microseconds on the monotonic clock. */
uint64_t now_us(void);

#endif
