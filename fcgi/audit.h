/*
 * The audit log: one JSON line per mutation, origination, hangup and
 * recording access, hash-chained per tenant so that a removed, altered or
 * reordered line is detected (docs/operations.md, "Audit log").
 *
 * A line is C + ',"hash":"' + H + '"}' where C is '{...,"prev":"P"', P is
 * the hash of the previous line of the same tenant (64 zeros for the
 * first) and H = SHA-256(C + '}') in lower-case hex.  The same code seals
 * lines in the workers and checks them in `pbxapi audit verify`.
 *
 * Writers: the master opens the target (a file, O_APPEND, or syslog) and
 * maps the chain state, each tenant's last hash, in shared memory under a
 * process-shared robust mutex, before it forks; the workers append under
 * that mutex, so the lines of a tenant are written in chain order.  A
 * new file (SIGUSR1, a reload) is written to once the workers forked
 * before it are gone, so each file holds an unbroken part of each chain.
 * A master that starts resumes each chain from the file's last line of
 * the tenant.
 */
#ifndef PBXAPI_AUDIT_H
#define PBXAPI_AUDIT_H

#include <stddef.h>
#include <stdio.h>

#include "digest.h"
#include "err.h"
#include "limits.h"

struct arena;
struct cmd;
struct reply;
struct req;

#define AUDIT_HEX	 (2 * SHA256_LEN)  /* a hash in hex */
#define AUDIT_LINE_MAX	 4096		   /* one line, without its newline */
#define AUDIT_TARGET_MAX 256		   /* bytes of "target" */
#define AUDIT_TENANTS	 (4 * LIM_TENANTS) /* chains in a file, or mapped */

/* Writes the SHA-256 of the n bytes at p in lower-case hex, NUL-ended. */
void audit_hash(const void *p, size_t n, char out[AUDIT_HEX + 1]);

/* What a line says of its chain (audit_parse). */
struct audit_rec {
	char tenant[LIM_TENANT_NAME + 1];
	char prev[AUDIT_HEX + 1];
	char hash[AUDIT_HEX + 1];
	int sealed; /* hash is SHA-256 of the line's canonical bytes */
};

/*
 * Parses the n bytes of one line (without its newline).  Returns 0 and
 * fills *out (its sealed says whether the hash matches), or -1 with the
 * reason in why if it is not an audit line.  Uses a for scratch.
 */
int audit_parse(struct arena *a, const char *line, size_t n,
    struct audit_rec *out, const char **why);

/*
 * Reads the next line of fp into line, which holds AUDIT_LINE_MAX + 1
 * bytes: the rest of a longer one is skipped (audit_parse refuses it).
 * Returns its length, or -1 at the end of the file; *complete says if
 * its newline was read.
 */
long audit_read_line(FILE *fp, char *line, int *complete);

/* Returns 1 if requests for c are audited (its scope or flags), else 0. */
int audit_wanted(const struct cmd *c);

/*
 * Master: sets the target, "off", "syslog" or a path (created 0640,
 * appended to), and maps the chain state the first time one is set; a
 * first file target resumes the chains from it.  Called again (reload,
 * SIGUSR1) it reopens the file and the chains go on.  Returns 0, or -1
 * with a message in err (the old target stays).
 */
int audit_open(const char *target, char *err, size_t errlen);

/*
 * Master: lets the file before the last audit_open() go, once no worker
 * forked before it is left (they may write to it until then).
 */
void audit_settle(void);

/*
 * Worker: writes the audit line of r (whose command is known and
 * audited) after its reply: status from rp, outcome from e.  Never
 * fails the request; a line that cannot be written is logged.
 */
void audit_request(const struct req *r, const struct reply *rp, enum err e);

/*
 * `pbxapi audit verify FILE...`: checks the chains of the files, read in
 * order as one log, and prints "N lines, M tenants, OK" or the first
 * broken line and why to out.  Returns 0 if every chain holds, 1 if not
 * (or a file cannot be read: the reason goes to err).
 */
int audit_verify_files(char *const files[], int nfiles, FILE *out, FILE *err);

/*
 * The verifier, line by line (audit_verify_files, tests, fuzzing):
 * audit_verify_line() takes one line of n bytes, complete if its newline
 * was read; audit_verify_end() ends the input.  Both return 0 while every
 * chain holds, -1 once one is broken: v->why then says where and why
 * (the first break only; later lines only help to say why).
 */
struct audit_verify;
struct audit_verify *audit_verify_new(void);
void audit_verify_free(struct audit_verify *v);
int audit_verify_line(struct audit_verify *v, const char *file,
    unsigned long lineno, const char *line, size_t n, int complete);
int audit_verify_end(struct audit_verify *v);
/* The verdict so far: lines, tenants, and the first break or "". */
const char *audit_verify_why(const struct audit_verify *v);
unsigned long audit_verify_lines(const struct audit_verify *v);
size_t audit_verify_tenants(const struct audit_verify *v);

#endif
