/*
 * What the record stores share (store.c): the statement builder every
 * search is made with (fixed fragments, every value bound) and the table
 * in which a store says how it answers each filter; LIKE patterns; the
 * two-part keyset position the CDR stores keep in a cursor; and the rule
 * that turns a file named by a database row (untrusted) into a path
 * below the tenant's root.  Unit-tested in tests/unit/t_rec_store.c.
 */
#ifndef PBXAPI_REC_STORE_H
#define PBXAPI_REC_STORE_H

#include <stddef.h>

#include "recordings.h"

struct arena;
struct buf;

#define REC_ROOT_MAX 4096	 /* a root or a path built from a row */
#define REC_Q_VALS   16		 /* values bound to one statement */
#define REC_Q_MAX    (64 * 1024) /* its text */

/*
 * Returns s as a LIKE pattern (escape character "!", every fragment
 * says ESCAPE '!') matching s itself, or with wild, in which "%" stays a
 * wildcard ("_" never is).
 */
const char *rec_like(struct arena *a, const char *s, int wild);

/* Placeholders: PostgreSQL's $1, $2 ... or MySQL's ?. */
enum rec_q_style { REC_Q_PG, REC_Q_MYSQL };

/* A bound value: text, or an integer (MySQL's LIMIT wants one). */
struct rec_qv {
	const char *s;
	long long i;
	int is_int;
};

/* A statement being built from a store's fixed SQL. */
struct rec_q {
	struct arena *a;
	enum rec_q_style style;
	struct buf *sql; /* in the arena, freed with it */
	struct rec_qv v[REC_Q_VALS];
	size_t n;
	int overflow; /* more values than REC_Q_VALS */
};

/* Starts q with the text sql (which ends in a WHERE clause). */
void rec_q_init(
    struct rec_q *q, struct arena *a, enum rec_q_style style, const char *sql);

/* Appends the store's own text. */
void rec_q_sql(struct rec_q *q, const char *text);

/* Binds the text s, or the integer i, where the text now ends. */
void rec_q_str(struct rec_q *q, const char *s);
void rec_q_int(struct rec_q *q, long long i);

/*
 * Binds the next value of a statement whose fixed text already holds
 * its placeholders (the text is not touched).
 */
void rec_q_val(struct rec_q *q, const char *s);
void rec_q_ival(struct rec_q *q, long long i);

/*
 * Appends order (" ORDER BY ...") and the page: LIMIT and OFFSET, both
 * bound.
 */
void rec_q_page(
    struct rec_q *q, const char *order, long long limit, long long offset);

/*
 * Appends " AND (frag)": each "?" of frag binds v, each "~" binds v as a
 * LIKE pattern matching v itself (rec_like).
 */
void rec_q_cond(struct rec_q *q, const char *frag, const char *v);

/*
 * How a store answers one search filter: a fragment for rec_q_cond
 * (for caller and callee, the column: "=", or LIKE when the value holds
 * a "%"), or NULL and why it cannot.
 */
struct rec_sql_filter {
	const char *frag;
	const char *why;
};

/* How a store answers the filters of struct rec_filter. */
struct rec_sql {
	const char *store;
	struct rec_sql_filter agent, queue, start, end, callee, caller;
	struct rec_sql_filter direction, qstatus;
	/* key and value: "?" binds the key, then "?" the value */
	struct rec_sql_filter keyvalue;
};

/*
 * Adds f's filters to q as s says.  Returns E_OK, or r's 501 naming the
 * first filter the store cannot answer and why.
 */
enum err rec_q_filters(struct req *r, struct rec_q *q, const struct rec_sql *s,
    const struct rec_filter *f);

/* The text of q, NUL-terminated; NULL if it grew past its ceiling. */
const char *rec_q_text(const struct rec_q *q);

/* The values of q as libpq takes them (text), in the arena. */
const char *const *rec_q_pgvals(const struct rec_q *q);

/*
 * Joins a keyset position of two parts (the order column's text, then
 * the unique tie-breaker) as the cursor's "start time" string; the
 * tie-breaker must hold no space.
 */
const char *rec_pos_join(struct arena *a, const char *first, const char *tie);

/*
 * Splits a position made by rec_pos_join at its last space.  Returns 0
 * with *first and *tie (non-empty), or -1.
 */
int rec_pos_split(
    struct arena *a, const char *pos, const char **first, const char **tie);

/*
 * Returns 0 if s is one safe path component: not empty, not "." or "..",
 * no "/", no control byte (0x00-0x1f, 0x7f); at most 255 bytes.
 */
int rec_component_ok(const char *s);

/*
 * The path of the file name in directory dir relative to root, where
 * both root and dir are absolute paths whose repeated and trailing
 * slashes are ignored.  Returns 0 with *rel ("name", or "a/b/name"),
 * or -1 if root or dir is not absolute, holds a "." or ".." component or
 * a control byte, is too long, dir is not root or below it, or name is
 * not a safe component (rec_component_ok).  Nothing is resolved: links
 * are the opener's business (openat with O_NOFOLLOW beneath the root).
 */
int rec_path_below(struct arena *a, const char *root, const char *dir,
    const char *name, const char **rel);

#endif
