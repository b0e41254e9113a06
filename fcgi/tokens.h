/*
 * The token file (the tokens_file setting): tokens that `pbxapi token`
 * adds, rotates and revokes, one line each, holding only the SHA-256
 * digest of each secret:
 *
 *	ID TENANT SHA256-HEX SCOPES CREATED NOT-AFTER [LABEL]
 *
 * ID is the first TOKEN_ID_LEN hex digits of the digest; SCOPES a comma
 * list of scope names, "cmd:NAME" and "family:NAME"; CREATED and
 * NOT-AFTER seconds since the epoch ("-": never); LABEL the rest of the
 * line.  Lines starting with '#' and blank lines are ignored.
 *
 * Each worker keeps its own copy (a struct tokstore hanging off its
 * configuration): conf_token() stats the file and re-reads it when its
 * inode, size or mtime changed, so revocation needs no reload.  A file
 * that fails to parse keeps the last good set, logged once.
 */
#ifndef PBXAPI_TOKENS_H
#define PBXAPI_TOKENS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "limits.h"

struct arena;
struct cmd;
struct dialect;

#define TOKEN_LABEL_MAX	 128  /* label bytes, with the NUL */
#define TOKEN_SCOPES_MAX 1024 /* scopes field bytes, with the NUL */

/* One line of the token file. */
struct tokline {
	char id[TOKEN_ID_LEN + 1];
	char tenant[LIM_TENANT_NAME];
	uint8_t digest[SHA256_LEN];
	char scopes[TOKEN_SCOPES_MAX];
	long long created;
	long long not_after; /* 0: never */
	char label[TOKEN_LABEL_MAX];
};

/*
 * Parses the n bytes at s (one line, without its newline) into tl.
 * Returns 1 for a token line, 0 for a blank or comment line, -1 with a
 * message in err for anything else (bad field, ID not the digest's).
 */
int tokline_parse(
    const char *s, size_t n, struct tokline *tl, char *err, size_t errlen);

/* Writes tl as one line of the token file.  Returns 0 or -1. */
int tokline_write(FILE *fp, const struct tokline *tl);

/*
 * Parses a whole token file of n bytes at text into an array allocated
 * from a (*lines, *count).  Returns 0, or -1 with "line N: why" in err
 * for a bad line, a NUL byte, a line of LIM_CONF_LINE bytes or more,
 * more than LIM_TOKENS tokens or an ID given twice.
 */
int tokfile_parse(struct arena *a, const char *text, size_t n,
    struct tokline **lines, size_t *count, char *err, size_t errlen);

/*
 * Parses a SCOPES field (comma-separated) into scope bits and the list
 * of "cmd:"/"family:" entries, allocated from a.  The names are not
 * checked against the tables here (the CLI does, at add).  Returns 0,
 * or -1 with the unknown word in err.
 */
int token_scopes(struct arena *a, const char *s, unsigned *scopes,
    const char *const **cmds, size_t *ncmds, char *err, size_t errlen);

/*
 * Returns 1 if token t may run command c of dialect d: it lists no
 * commands, or lists c's name ("cmd:NAME") or its family's
 * ("family:NAME").  Scope bits are checked apart (dispatch).
 */
int token_allows(
    const struct token *t, const struct dialect *d, const struct cmd *c);

/* Returns an empty store of the file at path (not read yet). */
struct tokstore *tokstore_new(struct arena *a, const char *path);

/* Frees the store's current set (s may be NULL). */
void tokstore_free(struct tokstore *s);

/*
 * Re-reads the file if it changed since the last look (a stat), with
 * tenants resolved in c.  A file that is gone is an empty set; one that
 * cannot be read or parsed leaves the set as it was, logged once.
 */
void tokstore_refresh(struct tokstore *s, const struct conf *c);

/* Returns the store's tokens and sets *n to their count. */
const struct token *tokstore_tokens(const struct tokstore *s, size_t *n);

/* Returns the path of the store's file. */
const char *tokstore_path(const struct tokstore *s);

/*
 * The CLI (fcgi/tokencli.c): runs `pbxapi token VERB ...` on the token
 * file of c; argv[0] is "token".  Returns the exit status: 0, 1 if the
 * verb failed (with a message on stderr), 2 for a usage error.
 */
int token_main(const struct conf *c, int argc, char **argv);

#endif
