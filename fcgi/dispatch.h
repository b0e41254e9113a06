/*
 * Dispatch: one mechanism for every dialect.  A route table maps a path
 * to a dialect; the dialect authenticates the request and names the
 * command; the command's table entry says which methods and scope it
 * needs and declares every parameter (where it comes from, its type,
 * whether it is required, its maximum length and validator).  dispatch()
 * decodes the input, checks all of that in one pass and hands the
 * handler validated arguments: handlers never read raw input.  What
 * differs between dialects is said by the dialect's flags (D_*) and
 * hooks, never by a second pass.
 */
#ifndef PBXAPI_DISPATCH_H
#define PBXAPI_DISPATCH_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "req.h"
#include "util.h"

struct reply;

enum src {
	SRC_QUERY, /* $_GET */
	SRC_BODY,  /* $_POST or the decoded JSON body */
	SRC_PATH,  /* a segment of the path, named by the dialect's route */
	SRC_ANY,   /* the body's value if it has one, else the query's */
};

enum ptype {
	PT_STR, /* (string) cast */
	PT_INT, /* (int) cast of the string */
};

/* Parameter flags. */
#define P_REQUIRED 0x01u /* absent or "" is an error */
#define P_NOCTL	   0x02u /* CR, LF or NUL is an error (AMI/ESL-bound) */
#define P_UTF8	   0x04u /* invalid UTF-8 is an error */
#define P_NONEMPTY 0x08u /* present but "" is an error */
#define P_LIST	   0x10u /* may be a list in a D_JSON_SCALARS dialect */
#define P_ICASE	   0x20u /* .values compared without case */

struct param {
	const char *name;
	enum src src;
	enum ptype type;
	unsigned flags;
	size_t maxlen;	 /* 0: the value_max setting */
	const char *def; /* when absent; NULL leaves it absent */
	/* Returns 0 if the value is acceptable. */
	int (*valid)(const char *s, size_t n);
	/* Another name for it, used when this one is PHP-empty. */
	const char *alias;
	/* The values allowed, NULL-terminated (NULL: any). */
	const char *const *values;
};

/* What is wrong with a parameter (struct dialect's param_error). */
enum perr {
	PE_MISSING, /* required, absent (or PHP-empty: D_PHP_EMPTY) */
	PE_EMPTY,   /* required or P_NONEMPTY, and "" */
	PE_LONG,    /* longer than its maximum */
	PE_CTL,	    /* CR, LF or NUL (P_NOCTL), NUL (D_JSON_SCALARS) */
	PE_UTF8,    /* not UTF-8 (P_UTF8) */
	PE_INVALID, /* refused by its validator, or a list */
};

/*
 * Command flags: what a command does that operations care about (the
 * audit log, the origination cap).  Whether it changes anything at all is
 * its scope's (write, ari-control).
 */
#define C_ORIGINATE 0x01u /* places a call */
#define C_HANGUP    0x02u /* ends a call */
#define C_RECORDING 0x04u /* reads a recording's audio */

/*
 * One command: one row of a family's table, in designated initialisers,
 * with its parameters given by PARAMS() (none: no PARAMS()):
 *	{ .name = "originatecall", .methods = M_ANY, .scope = SCOPE_WRITE,
 *	    PARAMS(originate_params), .run = originatecall },
 * Handlers read r->args in the order of the parameter array.
 */
struct cmd {
	const char *name;
	unsigned methods; /* M_* bits */
	unsigned scope;	  /* SCOPE_* bits the token must hold */
	unsigned flags;	  /* C_* bits */
	const struct param *params;
	size_t nparams;
	enum err (*run)(struct req *, struct reply *);
	/* A REST dialect's path template ("/channels/{channelId}"). */
	const char *path;
	/*
	 * The parameter naming what the command acts on, for the audit log;
	 * NULL: its first SRC_PATH parameter, if any.
	 */
	const char *target;
	/* What the dialect keeps per command (a status, a summary...). */
	const void *ext;
};

/* The parameters of a command, an array, and their count. */
#define PARAMS(a) .params = (a), .nparams = nitems(a)

/*
 * One handlers/ file: a family of commands of one dialect, e.g.
 *	const struct family ami_family = { .name = "ami", CMDS(cmds) };
 */
struct family {
	const char *name;
	const struct cmd *cmds;
	size_t ncmds;
};

/* The commands of a family, an array, and their count. */
#define CMDS(a) .cmds = (a), .ncmds = nitems(a)

/*
 * Dialect flags: how a dialect's input rules differ from the ?cmd= ones.
 * D_BODY_FIRST    the command is named in the body: decode it first.
 * D_PARAMS_FIRST  parameters are checked before scope and method.
 * D_PHP_EMPTY     required means PHP's !empty(); every required
 *                 parameter is checked before the others, and the last
 *                 one missing is reported.
 * D_JSON_SCALARS  values are json_decode()'s: a list (unless P_LIST) or
 *                 a NUL byte is invalid; a PHP-empty value is not
 *                 checked further.
 */
#define D_BODY_FIRST   0x01u
#define D_PARAMS_FIRST 0x02u
#define D_PHP_EMPTY    0x04u
#define D_JSON_SCALARS 0x08u

/*
 * How a dialect authenticates, for its API description: an OpenAPI
 * security scheme.  type "apiKey" (with in and param) or "http" (with
 * scheme).
 */
struct doc_auth {
	const char *id; /* its name in components.securitySchemes */
	const char *type;
	const char *in;	    /* apiKey: "header" or "query" */
	const char *param;  /* apiKey: the header's or parameter's name */
	const char *scheme; /* http: "basic", "bearer" */
	const char *text;
};

/*
 * What only a dialect knows of its wire form, for fcgi/openapi.c.  A
 * dialect whose commands are named by one parameter (path and key set)
 * is one operation per method on path, the commands a oneOf keyed by
 * key; a REST dialect is one path item per row's .path template.
 */
struct dialect_doc {
	const char *text;   /* what the dialect is, one sentence or two */
	const char *path;   /* the one path of a ?cmd=/action dialect */
	const char *key;    /* the parameter that names the command */
	enum src key_src;   /* SRC_QUERY or SRC_BODY (a JSON body) */
	const char *prefix; /* REST: before each row's .path ("/ari") */
	/* REST: other base paths of every row (path item servers). */
	const char *const *servers;
	/* The ways to authenticate, any one will do; none: public. */
	const struct doc_auth *const *auth;
	/* Returns the success status of c; NULL: 200. */
	int (*ok)(const struct cmd *c);
	/* Returns the summary of c, or NULL; NULL: none. */
	const char *(*summary)(const struct cmd *c);
};

struct dialect {
	const char *name;
	/* Its API description (fcgi/openapi.c); NULL: undocumented. */
	const struct dialect_doc *doc;
	unsigned body_kinds; /* BODY_* the dialect parses */
	unsigned flags;	     /* D_* */
	/* Its command families, NULL-terminated, searched in order. */
	const struct family *const *families;
	/* Authenticates: sets r->tenant and r->scopes, or fails. */
	enum err (*auth)(struct req *r);
	/* Names the command (n bytes, NUL-terminated) or fails. */
	enum err (*route)(struct req *r, const char **name, size_t *n);
	/* Writes an error reply in the dialect's shape. */
	void (*error)(struct req *r, struct reply *rp, enum err e);
	/* Sets the error for an unknown command name of n bytes. */
	enum err (*unknown)(struct req *r, const char *name, size_t n);
	/*
	 * Sets the error for parameter p in the dialect's words; returns
	 * E_OK to leave it to the generic text.  NULL: always generic.
	 */
	enum err (*param_error)(
	    struct req *r, const struct param *p, enum perr why);
};

struct route {
	const char *path; /* NULL: the path is the setting at conf_off */
	size_t conf_off;
	int prefix; /* match path as a prefix ("/ari/channels") */
	const struct dialect *dialect;
};

/*
 * Runs one request: route, authenticate, find the command, check method
 * and scope, parse and validate input, call the handler, and turn any
 * error into the dialect's error reply.  Returns the error of the request
 * (E_OK on success) for the access log.
 */
enum err dispatch(struct req *r, struct reply *rp);

/* dispatch() on the routes of table (ended by a NULL dialect). */
enum err dispatch_on(
    const struct route *table, struct req *r, struct reply *rp);

/* Returns the dialect serving path (and PBXAPI_DIALECT), or NULL. */
const struct dialect *route_find(const struct req *r);

/*
 * Returns the dialect of the first route of table (ended by a NULL
 * dialect) that serves r's path, or the one PBXAPI_DIALECT names; NULL
 * if none does.  route_find() is this on the registry's routes.
 */
const struct dialect *route_match(
    const struct route *table, const struct req *r);

/* Returns the command called name in the dialect, or NULL. */
const struct cmd *cmd_find(const struct dialect *d, const char *name);

/*
 * Writes every command of every dialect to fp, one line each, from the
 * tables (the format is in pbxapi(8), option -L).  Returns 0, or -1 if
 * writing failed.
 */
int dispatch_list(FILE *fp);

/*
 * Writes the OpenAPI 3.1 description of every documented dialect, from
 * the tables, to w (the document is in docs/operations.md).  Returns 0,
 * or -1 if w failed.
 */
struct jw;
int openapi_write(struct jw *w);

/*
 * Fills r->args from the request's input and validates them against
 * r->cmd's table, with the rules of r->dialect.  Returns E_OK, or the
 * error of the first parameter that fails (E_BADREQ unless the
 * dialect's param_error says otherwise).
 */
enum err params_validate(struct req *r);

/* Tables in handlers/registry.c; each ends with a NULL dialect. */
extern const struct route routes[];
extern const struct route status_routes[]; /* status and ping only */
extern const struct dialect *const dialects[];

/* A bit and its name (pbxapi -L, the API description). */
struct bitname {
	unsigned bit;
	const char *name;
};

/* The names of the SCOPE_* bits, as tokens' scopes name them. */
extern const struct bitname scope_names[];
extern const size_t nscope_names;

/*
 * Hooks for a dialect whose errors are plain JSON: {"error": message}
 * with the error's status, and a 404 for an unknown command.
 */
void dialect_json_error(struct req *r, struct reply *rp, enum err e);
enum err dialect_not_found(struct req *r, const char *name, size_t n);

/* Common validators (fcgi/valid.c). */
int v_digits(const char *s, size_t n);	  /* [0-9]+ */
int v_token(const char *s, size_t n);	  /* [A-Za-z0-9_.-]+ */
int v_printable(const char *s, size_t n); /* no control bytes */

#endif
