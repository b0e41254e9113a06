/*
 * cdrreport (elastix-api.md §5.12): call detail records from
 * asteriskcdrdb.cdr, newest first, with the reference's filters and
 * quirks (empty() on the dates, the field_name allow-list, LIKE
 * wildcards left as they are, an unknown status meaning ALL), but with
 * every value bound and the limit bounded (§12.7).
 */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "asterisk.h"
#include "mysql.h"
#include "pv.h"
#include "reply.h"
#include "req.h"

/* The largest limit served; a larger one is cut to it. */
#define CDR_LIMIT_MAX	  10000
#define CDR_LIMIT_DEFAULT 100

enum { A_START, A_END, A_FNAME, A_FPATTERN, A_STATUS, A_LIMIT, A_CUSTOM };

static const char *const cdr_fields[] = { "src", "dst", "channel", "dstchannel",
	"accountcode", "clid", "cnum", "cnam" };

static const char *const cdr_statuses[] = { "ANSWERED", "BUSY", "FAILED",
	"NO ANSWER" };

/* PHP's !empty() of an argument: present, not "" and not "0". */
static int
filled(const struct arg *a)
{
	return a->present && !pv_empty(a->v);
}

/* Returns the allowed column named by the n bytes at s, or NULL. */
static const char *
cdr_field(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(cdr_fields) / sizeof(cdr_fields[0]); i++)
		if (strlen(cdr_fields[i]) == n &&
		    memcmp(cdr_fields[i], s, n) == 0)
			return cdr_fields[i];
	return NULL;
}

/*
 * The disposition to filter on: strtoupper(status) if it is one of the
 * four the reference accepts, else NULL for "all of them" (ALL, empty,
 * CONGESTION and anything else).
 */
static const char *
cdr_status(const char *s, size_t n)
{
	char up[16];
	size_t i;

	if (n == 0 || n >= sizeof(up))
		return NULL;
	for (i = 0; i < n; i++)
		up[i] = s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i];
	up[n] = '\0';
	for (i = 0; i < sizeof(cdr_statuses) / sizeof(cdr_statuses[0]); i++)
		if (strcmp(cdr_statuses[i], up) == 0)
			return cdr_statuses[i];
	return NULL;
}

static struct sql_param
str_param(const char *s, size_t n)
{
	return (struct sql_param){ .type = SQLP_STR, .s = s, .len = n };
}

/*
 * Builds the statement: the reference's WHERE clauses in its order, the
 * values as parameters.  p has room for 5.
 */
static void
cdr_sql(struct req *r, struct buf *sql, struct sql_param *p, size_t *np)
{
	const struct arg *a = r->args;
	const char *field, *status;
	char *like;
	size_t n;

	buf_adds(sql, "SELECT * FROM cdr WHERE ");
	if (filled(&a[A_START]) && filled(&a[A_END])) {
		buf_adds(sql, "(calldate BETWEEN ? AND ?) AND ");
		p[(*np)++] = str_param(a[A_START].s, a[A_START].len);
		p[(*np)++] = str_param(a[A_END].s, a[A_END].len);
	}
	field = filled(&a[A_FNAME]) ? cdr_field(a[A_FNAME].s, a[A_FNAME].len)
				    : NULL;
	if (field != NULL) {
		buf_printf(sql, "(%s LIKE ?) AND ", field);
		n = a[A_FPATTERN].len;
		like = arena_alloc(r->arena, n + 3);
		like[0] = '%';
		if (n > 0)
			memcpy(like + 1, a[A_FPATTERN].s, n);
		like[n + 1] = '%';
		like[n + 2] = '\0';
		p[(*np)++] = str_param(like, n + 2);
	}
	status = cdr_status(a[A_STATUS].s, a[A_STATUS].len);
	if (status == NULL) {
		buf_adds(sql,
		    "(disposition IN ('ANSWERED','BUSY','FAILED','NO ANSWER')) AND ");
	} else {
		buf_adds(sql, "(disposition = ?) AND ");
		p[(*np)++] = str_param(status, strlen(status));
	}
	buf_adds(sql, "dst != 's' ORDER BY calldate DESC LIMIT ?");
}

/*
 * The limit: 100 when absent, the (int) cast otherwise; a negative one is
 * refused (the reference sent it to SQL and answered 503 with the syntax
 * error), one above CDR_LIMIT_MAX is cut to it.
 */
static enum err
cdr_limit(struct req *r, int64_t *limit)
{
	const struct arg *a = &r->args[A_LIMIT];

	*limit = a->present ? a->i : CDR_LIMIT_DEFAULT;
	if (*limit < 0)
		return req_error(r, E_BADREQ, "limit must not be negative");
	if (*limit > CDR_LIMIT_MAX)
		*limit = CDR_LIMIT_MAX;
	return E_OK;
}

static void
sql_free(void *arg)
{
	buf_free(arg);
}

static enum err
cdrreport(struct req *r, struct reply *rp)
{
	struct sql_param p[5];
	struct sql_stmt st;
	struct buf *sql;
	int64_t limit;
	size_t np = 0;
	enum err e;

	if ((e = cdr_limit(r, &limit)) != E_OK)
		return e;
	sql = arena_zalloc(r->arena, sizeof(*sql));
	buf_init(sql, 1024);
	arena_cleanup(r->arena, sql_free, sql);
	cdr_sql(r, sql, p, &np);
	p[np++] = (struct sql_param){ .type = SQLP_INT, .i = limit };
	if ((e = ast_sql_open(r, AST_CDRDB)) != E_OK)
		return e;
	st = (struct sql_stmt){
		.text = buf_cstr(sql), .params = p, .nparams = np
	};
	return ast_sql_json(r, AST_CDRDB, &st, elastix_json(r, rp, 200));
}

#define CDR_STR(n)                                                          \
	{                                                                   \
		.name = n, .src = SRC_BODY, .type = PT_STR, .flags = P_UTF8 \
	}

static const struct param cdr_params[] = {
	[A_START] = CDR_STR("start_date"),
	[A_END] = CDR_STR("end_date"),
	[A_FNAME] = CDR_STR("field_name"),
	[A_FPATTERN] = CDR_STR("field_pattern"),
	[A_STATUS] = { .name = "status",
	    .src = SRC_BODY,
	    .type = PT_STR,
	    .def = "ALL" },
	[A_LIMIT] = { .name = "limit", .src = SRC_BODY, .type = PT_INT },
	/* Read and ignored, as the reference does. */
	[A_CUSTOM] = { .name = "custom", .src = SRC_BODY, .type = PT_STR },
};

static const struct cmd cmds[] = {
	{ .name = "cdrreport",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(cdr_params),
	    .run = cdrreport },
};

const struct family cdr_family = {
	.name = "cdr",
	CMDS(cmds),
};
