/*
 * cdrreport's statement building (handlers/elastix/cdr.c, included): the
 * reference's WHERE clauses in its order with every value bound, the
 * status and field_name rules, the limit (elastix-api.md §5.12).
 */
#include <stdint.h>
#include <string.h>

#include "../../handlers/elastix/cdr.c"
#include "arena.h"
#include "buf.h"
#include "pv.h"
#include "tap.h"

static struct arena *A;

/* A request whose args are the given name=value pairs (NULL: absent). */
static void
args(struct req *r, const char *const v[7])
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->arena = A;
	r->args = arena_zalloc(A, 8 * sizeof(*r->args));
	for (i = 0; i < 7; i++) {
		struct arg *a = &r->args[i];
		struct pv *p;

		if (v[i] == NULL) {
			if (i == A_STATUS) {
				a->s = "ALL";
				a->len = 3;
			}
			continue;
		}
		p = arena_zalloc(A, sizeof(*p));
		*p = pv_str(v[i], strlen(v[i]));
		a->present = 1;
		a->v = p;
		a->s = v[i];
		a->len = strlen(v[i]);
		a->i = php_intval(a->s, a->len);
	}
}

/* Builds the statement; returns its text, params in p, count in *np. */
static const char *
build(const char *const v[7], struct sql_param *p, size_t *np)
{
	struct req r;
	struct buf *b = arena_zalloc(A, sizeof(*b));
	const char *text;

	args(&r, v);
	buf_init(b, 1024);
	*np = 0;
	cdr_sql(&r, b, p, np);
	text = arena_strdup(A, buf_cstr(b));
	buf_free(b);
	return text;
}

static int
is_param(const struct sql_param *p, const char *s, size_t n, const char *name)
{
	return is_mem(p->type == SQLP_STR ? p->s : NULL, p->len, s, name) &&
	    (n == p->len || ok(0, "%s: length", name));
}

static void
statements(void)
{
	struct sql_param p[5];
	size_t np;
	const char *v0[7] = { 0 };
	const char *v1[7] = { "2024-01-01", "2024-01-31", "src", "0212",
		"answered", "50", " OR 1=1" };
	const char *v2[7] = { "0", "2024-01-31", "calldate", "x", "CONGESTION",
		NULL, NULL };
	const char *v3[7] = { NULL, NULL, "cnam", NULL, " answered", NULL,
		NULL };

	is_str(build(v0, p, &np),
	    "SELECT * FROM cdr WHERE (disposition IN ('ANSWERED','BUSY',"
	    "'FAILED','NO ANSWER')) AND dst != 's' ORDER BY calldate DESC LIMIT ?",
	    "no filters: all four dispositions, dst != 's'");
	is_int((long long)np, 0, "no filters: no parameters before the limit");
	is_str(build(v1, p, &np),
	    "SELECT * FROM cdr WHERE (calldate BETWEEN ? AND ?) AND (src "
	    "LIKE ?) AND (disposition = ?) AND dst != 's' ORDER BY calldate DESC LIMIT ?",
	    "every filter, in the reference's order; custom ignored");
	is_int((long long)np, 4, "four parameters");
	is_param(&p[0], "2024-01-01", 10, "start bound");
	is_param(&p[1], "2024-01-31", 10, "end bound");
	is_param(&p[2], "%0212%", 6, "pattern wrapped in %");
	is_param(&p[3], "ANSWERED", 8, "status upper-cased");
	is_str(build(v2, p, &np),
	    "SELECT * FROM cdr WHERE (disposition IN ('ANSWERED','BUSY',"
	    "'FAILED','NO ANSWER')) AND dst != 's' ORDER BY calldate DESC LIMIT ?",
	    "start_date 0 is empty, calldate not allowed, CONGESTION is all");
	is_str(build(v3, p, &np),
	    "SELECT * FROM cdr WHERE (cnam LIKE ?) AND (disposition IN "
	    "('ANSWERED','BUSY','FAILED','NO ANSWER')) AND dst != 's' ORDER BY calldate DESC LIMIT ?",
	    "no pattern: '%%'; a leading blank makes status all");
	is_param(&p[0], "%%", 2, "missing pattern is %%");
}

static void
rules(void)
{
	char nul[] = { 'a', '\0', 'b' };

	ok(cdr_field("dst", 3) != NULL, "dst allowed");
	ok(cdr_field("accountcode", 11) != NULL, "accountcode allowed");
	ok(cdr_field("SRC", 3) == NULL, "field names are case-sensitive");
	ok(cdr_field("src ", 4) == NULL, "no trailing blank");
	ok(cdr_field("sr", 2) == NULL, "no prefix");
	ok(cdr_field(nul, 3) == NULL, "NUL inside");
	is_str(cdr_status("no answer", 9), "NO ANSWER", "no answer");
	is_str(cdr_status("Busy", 4), "BUSY", "Busy");
	ok(cdr_status("ALL", 3) == NULL, "ALL");
	ok(cdr_status("", 0) == NULL, "empty");
	ok(cdr_status("ANSWERED ", 9) == NULL, "trailing blank");
	ok(cdr_status("\xc3\xa9", 2) == NULL, "non-ASCII");
	ok(cdr_status("ANSWEREDANSWEREDX", 17) == NULL, "long");
}

static void
limits(void)
{
	const char *none[7] = { 0 }, *neg[7] = { 0 }, *big[7] = { 0 },
		   *abc[7] = { 0 }, *frac[7] = { 0 };
	struct req r;
	int64_t l;

	neg[A_LIMIT] = "-5";
	big[A_LIMIT] = "99999999999999999999";
	abc[A_LIMIT] = "abc";
	frac[A_LIMIT] = "1e1";
	args(&r, none);
	ok(cdr_limit(&r, &l) == E_OK && l == 100, "absent: 100");
	args(&r, neg);
	ok(cdr_limit(&r, &l) == E_BADREQ, "negative: 400");
	is_str(r.errmsg, "limit must not be negative", "negative: message");
	args(&r, big);
	ok(cdr_limit(&r, &l) == E_OK && l == CDR_LIMIT_MAX, "huge: capped");
	args(&r, abc);
	ok(cdr_limit(&r, &l) == E_OK && l == 0, "abc: 0");
	args(&r, frac);
	ok(cdr_limit(&r, &l) == E_OK && l == 10, "1e1: 10");
}

static void
pattern_bytes(void)
{
	struct sql_param p[5];
	size_t np;
	const char *v[7] = { 0 };
	char pat[] = "a%_\\'";

	v[A_FNAME] = "clid";
	v[A_FPATTERN] = pat;
	build(v, p, &np);
	is_param(&p[0], "%a%_\\'%", 7, "wildcards and quotes kept as data");
}

int
main(void)
{
	A = arena_new();
	statements();
	rules();
	limits();
	pattern_bytes();
	arena_free(A);
	return done_testing();
}
