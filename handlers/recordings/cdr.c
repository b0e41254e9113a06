/*
 * The Asterisk store (FreePBX, Issabel, Elastix): records from the rows
 * of asteriskcdrdb.cdr that name a recordingfile, audio from the
 * tenant's monitor directory (RECORDINGS_PATH), over the elastix
 * dialect's pooled "mysql asteriskcdrdb" connection and its retry rules
 * (asterisk.h).  docs/recordings.md has the mapping.
 *
 * A record is a uniqueid, which is its id (FreePBX names the file after
 * it).  One uniqueid often has several rows (a ring group or a queue
 * rings several phones), each with the recordingfile; the record is the
 * row that ranks first (RANK: answered, the longest billsec, the
 * earliest calldate, then every other column it shows, so the choice is
 * total; equal rows are one record by DISTINCT), and the filters apply
 * to that row.  Uniqueids that are not file ids (spec §10.6) are left
 * out: such a record could not be fetched.
 *
 * Newest first by (calldate, uniqueid); the CDR has no integer key, so
 * the keyset cursor keeps "calldate uniqueid" as its position (rowid 0).
 * What the CDR cannot answer is 501: the direction and queueCallStatus
 * filters, the attached data ones, and attaching data.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <string.h>

#include "arena.h"
#include "asterisk.h"
#include "conf.h"
#include "log.h"
#include "mysql.h"
#include "rec_store.h"
#include "recordings.h"
#include "req.h"

#define NCOLS 11 /* columns of RECORDS */

/* A row's rank among the rows of its uniqueid (x above y: x > y). */
#define RANK(x, y)                                                           \
	"(" x ".disposition = 'ANSWERED', " x ".billsec, " y ".calldate, " x \
	".duration, " x ".dstchannel, " x ".disposition, " x ".src, " x      \
	".dst, " x ".lastapp, " x ".lastdata, " x ".recordingfile, " x       \
	".userfield, " x ".accountcode, " x ".channel, " x ".cnam, " x       \
	".dst_cnam)"
/* c ranks first among the rows of its uniqueid that match m. */
#define FIRST(m)                                              \
	"NOT EXISTS (SELECT 1 FROM cdr b WHERE b.uniqueid = " \
	"c.uniqueid AND " m " AND " RANK("b", "c") " > " RANK("c", "b") ")"
/* A uniqueid that is a file id, compared as bytes. */
#define ID_OK                         \
	"CAST(c.uniqueid AS BINARY) " \
	"REGEXP '^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$'"
/* An Agent/<n> channel (chan_agent) answered: n. */
#define AGENT                                                     \
	"NULLIF(IF(c.dstchannel LIKE 'Agent/%', SUBSTRING_INDEX(" \
	"SUBSTRING(c.dstchannel, 7), '-', 1), ''), '')"
/* The call ended in Queue(<name>,...): name. */
#define QUEUE                                                         \
	"NULLIF(IF(c.lastapp = 'Queue', SUBSTRING_INDEX(c.lastdata, " \
	"',', 1), ''), '')"
/* Answered: billsec as HH:MM:SS. */
#define DURATION                                                      \
	"IF(c.disposition = 'ANSWERED', CAST(SEC_TO_TIME(c.billsec) " \
	"AS CHAR), '')"
#define STATUS "IF(c.disposition = 'ANSWERED', 'answered', 'missed')"

/* The records: id, calldate, ..., recordingfile (NCOLS). */
#define RECORDS                                                              \
	"SELECT DISTINCT c.uniqueid, c.calldate, " DURATION ", c.src, "      \
	"c.dst, " AGENT ", " QUEUE ", " STATUS ", NULLIF(c.userfield, ''), " \
	"NULLIF(c.accountcode, ''), c.recordingfile FROM cdr c WHERE "       \
	"c.recordingfile <> '' AND " ID_OK                                   \
	" AND " FIRST("b.recordingfile <> ''")
#define NEWEST " ORDER BY c.calldate DESC, c.uniqueid DESC"

/*
 * The calls of an interface (?: its channel prefix as a LIKE pattern,
 * twice per side, then each side's limit and the limit): the ones its
 * channel made (emitted), the ones that rang it (answered or missed),
 * one per uniqueid and side.  The CDR has one name per side.
 */
#define SIDE(col, status)                                                     \
	"(SELECT DISTINCT c.calldate, c.uniqueid, " DURATION " AS d, c.src, " \
	"c.dst, " status " AS s, NULLIF(c.cnam, '') AS sn, "                  \
	"NULLIF(c.dst_cnam, '') AS dn FROM cdr c WHERE c." col                \
	" LIKE ? ESCAPE '!' AND " FIRST("b." col " LIKE ? ESCAPE '!'") NEWEST \
	    " LIMIT ?)"
static const char sql_history[] =
    "SELECT h.calldate, h.d, h.src, h.dst, h.s, h.sn, h.dn FROM (" SIDE(
	"channel", "'emitted'") " UNION " SIDE("dstchannel",
	STATUS) ") h ORDER BY h.calldate DESC, h.uniqueid DESC LIMIT ?";
/* The agent who last answered caller ? in the last ? days. */
static const char sql_last_agent[] =
    "SELECT " AGENT " FROM cdr c WHERE c.src = ? AND c.disposition = "
    "'ANSWERED' AND c.dstchannel LIKE 'Agent/%' AND c.calldate >= NOW() - "
    "INTERVAL ? DAY ORDER BY c.calldate DESC LIMIT 1";
/* FreePBX 13 and later add linkedid: the call a leg belongs to. */
static const char sql_has_linkedid[] =
    "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
    "DATABASE() AND TABLE_NAME = 'cdr' AND COLUMN_NAME = 'linkedid'";

/* How the CDR answers each filter (rec_store.h). */
static const struct rec_sql sql = {
	.store = "asterisk",
	/* By the dstchannel index: "Agent/<n>" or "Agent/<n>-<seq>". */
	.agent = { "(c.dstchannel = CONCAT('Agent/', ?) OR c.dstchannel LIKE "
		   "CONCAT('Agent/', ~, '-%') ESCAPE '!')" },
	.queue = { QUEUE " = ?" },
	/* Calls that start or end after it (a call of over a day is cut). */
	.start = { "c.calldate >= CAST(? AS DATETIME) - INTERVAL 1 DAY AND "
		   "(c.calldate >= CAST(? AS DATETIME) OR c.calldate + "
		   "INTERVAL c.duration SECOND >= CAST(? AS DATETIME))" },
	.end = { "c.calldate <= CAST(? AS DATETIME)" },
	.callee = { "c.dst" },
	.caller = { "c.src" },
	.direction = { NULL, "the CDR does not record where a call came from" },
	.qstatus = { NULL, "the CDR keeps no queue exit status" },
	.keyvalue = { NULL, "the CDR has none" },
};

/* What a record query keeps: at most max records, and their files. */
struct rows {
	struct req *r;
	struct rec_list *l;
	size_t max;
	const char **files; /* recordingfile of each record */
};

/* What a history query keeps. */
struct hist {
	struct req *r;
	struct rec_hist *h;
	size_t n, max;
};

/*
 * The public face of a failed statement: a database error's text (PDO's)
 * is logged, not shown.  Returns e.
 */
static enum err
failed(struct req *r, enum err e)
{
	if (e != E_BACKEND && e != E_TIMEOUT)
		return e; /* a row callback's, with its message */
	log_warnx("tenant '%s': asteriskcdrdb: %.*s", r->tenant->name,
	    (int)r->errlen, r->errmsg);
	if (e == E_TIMEOUT)
		return req_error(
		    r, e, "the CDR database did not answer in time");
	return req_error(r, e, "the CDR database is unavailable");
}

/*
 * Runs q, each row to fn(ctx).  Returns E_OK or r's error (failed()).
 */
static enum err
run(struct req *r, const struct rec_q *q, sql_row_fn fn, void *ctx)
{
	struct sql_param p[REC_Q_VALS];
	struct sql_stmt st = {
		.text = rec_q_text(q),
		.params = p,
		.nparams = q->n,
	};
	size_t i;
	enum err e;

	if (st.text == NULL)
		return req_error(r, E_INTERNAL, "statement too long");
	for (i = 0; i < q->n; i++)
		p[i] = q->v[i].is_int
		    ? (struct sql_param){ .type = SQLP_INT, .i = q->v[i].i }
		    : (struct sql_param){ .type = SQLP_STR,
			      .s = q->v[i].s,
			      .len = strlen(q->v[i].s) };
	if ((e = ast_sql_query(r, AST_CDRDB, &st, fn, ctx)) != E_OK)
		return failed(r, e);
	return E_OK;
}

/* The value v in r's arena, NULL for SQL NULL. */
static const char *
val(struct req *r, const struct sql_val *v)
{
	return v->null ? NULL : arena_strndup(r->arena, v->s, v->len);
}

/* The attached data: recording, and accountcode and userfield if set. */
static void
attached(struct req *r, struct rec_record *rec, const char *userfield,
    const char *accountcode)
{
	rec->keys = arena_alloc(r->arena, 3 * sizeof(char *));
	rec->vals = arena_alloc(r->arena, 3 * sizeof(char *));
	if (accountcode != NULL) {
		rec->keys[rec->nattached] = "accountcode";
		rec->vals[rec->nattached++] = accountcode;
	}
	rec->keys[rec->nattached] = "recording";
	rec->vals[rec->nattached++] = rec->id;
	if (userfield != NULL) {
		rec->keys[rec->nattached] = "userfield";
		rec->vals[rec->nattached++] = userfield;
	}
}

/* A row of RECORDS into the list (ctx: struct rows). */
static enum err
record_row(
    void *ctx, const struct sql_col *cols, const struct sql_val *v, size_t n)
{
	struct rows *x = ctx;
	struct req *r = x->r;
	struct rec_record *rec;

	(void)cols;
	if (n != NCOLS)
		return req_error(r, E_INTERNAL, "unexpected CDR columns");
	if (x->l->n == x->max) {
		x->l->has_next = 1;
		return E_OK;
	}
	x->files[x->l->n] = val(r, &v[10]);
	rec = &x->l->v[x->l->n++];
	rec->id = val(r, &v[0]);
	rec->start = val(r, &v[1]);
	rec->cursor_ts = rec_pos_join(r->arena, rec->start, rec->id);
	rec->duration = val(r, &v[2]);
	rec->src_num = val(r, &v[3]);
	rec->dst_num = val(r, &v[4]);
	rec->agent = val(r, &v[5]);
	rec->queue = val(r, &v[6]);
	rec->status = val(r, &v[7]);
	attached(r, rec, val(r, &v[8]), val(r, &v[9]));
	return E_OK;
}

/* Runs a RECORDS query into l, keeping at most max records. */
static enum err
records(struct req *r, const struct rec_q *q, size_t max, struct rec_list *l,
    const char ***files)
{
	struct rows x = { .r = r, .l = l, .max = max };

	l->n = 0;
	l->has_next = 0;
	l->v = arena_zalloc(r->arena, (max + 1) * sizeof(*l->v));
	x.files = arena_zalloc(r->arena, (max + 1) * sizeof(char *));
	if (files != NULL)
		*files = x.files;
	return run(r, q, record_row, &x);
}

/*
 * A page of records: by number (OFFSET), or after the keyset position
 * "calldate uniqueid".  Returns E_OK, or 400 for a cursor that holds
 * no such position, 501 for a filter the CDR cannot answer.
 */
static enum err
search(struct req *r, const struct rec_filter *f, const struct rec_page *pg,
    struct rec_list *out)
{
	const char *ts, *uid;
	struct rec_q q;
	enum err e;

	rec_q_init(&q, r->arena, REC_Q_MYSQL, RECORDS);
	if ((e = rec_q_filters(r, &q, &sql, f)) != E_OK)
		return e;
	if (pg->keyset && pg->after_ts != NULL) {
		if (rec_pos_split(r->arena, pg->after_ts, &ts, &uid) == -1 ||
		    strlen(ts) != 19)
			return req_error(r, E_BADREQ, "'cursor' is invalid");
		rec_q_sql(&q,
		    " AND (c.calldate < ? OR (c.calldate = ? AND "
		    "c.uniqueid < ?))");
		rec_q_val(&q, ts);
		rec_q_val(&q, ts);
		rec_q_val(&q, uid);
	}
	rec_q_page(&q, NEWEST, pg->size + 1,
	    pg->keyset ? 0 : (long long)(pg->page - 1) * pg->size);
	return records(r, &q, (size_t)pg->size, out, NULL);
}

/* Sets *ctx (an int) if there is a row. */
static enum err
found(void *ctx, const struct sql_col *cols, const struct sql_val *v, size_t n)
{
	(void)cols;
	(void)v;
	(void)n;
	*(int *)ctx = 1;
	return E_OK;
}

/* The records of the call: its legs by uniqueid, or linkedid. */
static enum err
by_callid(struct req *r, const char *callid, struct rec_list *out)
{
	struct rec_q q;
	int linked = 0;
	enum err e;

	rec_q_init(&q, r->arena, REC_Q_MYSQL, sql_has_linkedid);
	if ((e = run(r, &q, found, &linked)) != E_OK)
		return e;
	rec_q_init(&q, r->arena, REC_Q_MYSQL, RECORDS);
	if (linked)
		rec_q_cond(&q, "c.uniqueid = ? OR c.linkedid = ?", callid);
	else
		rec_q_cond(&q, "c.uniqueid = ?", callid);
	rec_q_page(&q, NEWEST, REC_CALLID_MAX, 0);
	return records(r, &q, REC_CALLID_MAX, out, NULL);
}

/* The record id and its recordingfile (NULL: none). */
static enum err
record_of(
    struct req *r, const char *id, struct rec_list *out, const char **file)
{
	const char **files;
	struct rec_q q;
	enum err e;

	*file = NULL;
	out->n = 0;
	if (rec_valid_id(id, strlen(id)) == -1)
		return E_OK;
	rec_q_init(&q, r->arena, REC_Q_MYSQL, RECORDS);
	rec_q_cond(&q, "c.uniqueid = ?", id);
	rec_q_sql(&q, NEWEST " LIMIT 2");
	if ((e = records(r, &q, 1, out, &files)) != E_OK)
		return e;
	if (out->n == 1)
		*file = files[0];
	return E_OK;
}

/* The record id (out->n 0 or 1). */
static enum err
by_id(struct req *r, const char *id, struct rec_list *out)
{
	const char *file;

	return record_of(r, id, out, &file);
}

/* A row of sql_history into the entries (ctx: struct hist). */
static enum err
hist_row(
    void *ctx, const struct sql_col *cols, const struct sql_val *v, size_t n)
{
	struct hist *x = ctx;
	struct rec_hist *h;

	(void)cols;
	if (n != 7 || x->n == x->max)
		return E_OK;
	h = &x->h[x->n++];
	h->start = val(x->r, &v[0]);
	h->duration = val(x->r, &v[1]);
	h->src_num = val(x->r, &v[2]);
	h->dst_num = val(x->r, &v[3]);
	h->status = val(x->r, &v[4]);
	h->src_last = val(x->r, &v[5]);
	h->dst_last = val(x->r, &v[6]);
	return E_OK;
}

/* The last size calls of interface iface, newest first. */
static enum err
history(struct req *r, const char *iface, long size, struct rec_hist **out,
    size_t *n)
{
	const char *pat =
	    arena_printf(r->arena, "%s-%%", rec_like(r->arena, iface, 0));
	struct hist x = { .r = r, .max = (size_t)size };
	struct rec_q q;
	enum err e;
	int side;

	*out = x.h = arena_zalloc(r->arena, ((size_t)size + 1) * sizeof(**out));
	rec_q_init(&q, r->arena, REC_Q_MYSQL, sql_history);
	for (side = 0; side < 2; side++) {
		rec_q_val(&q, pat);
		rec_q_val(&q, pat);
		rec_q_ival(&q, size);
	}
	rec_q_ival(&q, size);
	e = run(r, &q, hist_row, &x);
	*n = x.n;
	return e;
}

/* The agent of the row, if any (ctx: struct rows, the agent in files). */
static enum err
agent_row(
    void *ctx, const struct sql_col *cols, const struct sql_val *v, size_t n)
{
	struct rows *x = ctx;

	(void)cols;
	if (n == 1 && !v[0].null)
		x->files[0] = arena_strndup(x->r->arena, v[0].s, v[0].len);
	return E_OK;
}

/*
 * The agent (Agent/<n>) who last answered caller in the last days.
 * Returns E_OK, E_NOTFOUND, or r's error.
 */
static enum err
last_agent(struct req *r, const char *caller, long days, const char **agent)
{
	struct rows x = { .r = r, .files = agent };
	struct rec_q q;
	enum err e;

	*agent = NULL;
	rec_q_init(&q, r->arena, REC_Q_MYSQL, sql_last_agent);
	rec_q_val(&q, caller);
	rec_q_ival(&q, days);
	if ((e = run(r, &q, agent_row, &x)) != E_OK)
		return e;
	return *agent != NULL ? E_OK : E_NOTFOUND;
}

/* Returns 1 if root/rel is a regular file now (links are not followed). */
static int
exists(struct req *r, const char *root, const char *rel)
{
	struct stat st;
	const char *p = arena_printf(r->arena, "%s/%s", root, rel);

	return fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode);
}

/*
 * The file of a recordingfile below root: a plain name is FreePBX's
 * YYYY/MM/DD/<name> by the calldate if that file exists, else the flat
 * <name>; an absolute path (some Issabel versions) must lie below root.
 * Returns 0 with *rel, or -1 for a value that names nothing safe.
 */
static int
file_rel(struct req *r, const char *root, const struct rec_record *rec,
    const char *file, const char **rel)
{
	const char *slash = strrchr(file, '/'), *day;

	if (slash != NULL)
		return rec_path_below(r->arena, root,
		    arena_strndup(r->arena, file, (size_t)(slash - file)),
		    slash + 1, rel);
	if (rec_component_ok(file) == -1)
		return -1;
	*rel = file;
	if (rec->start == NULL || strlen(rec->start) != 19)
		return 0;
	day = arena_printf(r->arena, "%.4s/%.2s/%.2s/%s", rec->start,
	    rec->start + 5, rec->start + 8, file);
	if (exists(r, root, day))
		*rel = day;
	return 0;
}

/*
 * Where the recording id is: the monitor directory RECORDINGS_PATH and
 * the file of its record's recordingfile (file_rel).  E_NOTFOUND if
 * there is no such record or its recordingfile names nothing safe.
 */
static enum err
locate(struct req *r, const char *id, struct rec_file *out)
{
	const char *root = tenant_get(r->tenant, "RECORDINGS_PATH"), *file;
	struct rec_list l;
	enum err e;

	if ((e = record_of(r, id, &l, &file)) != E_OK)
		return e;
	if (l.n == 0 || file == NULL)
		return req_error(r, E_NOTFOUND, "no recording '%s'", id);
	if (file_rel(r, root, &l.v[0], file, &out->rel) == -1) {
		log_warnx("tenant '%s': recording '%s': recordingfile names "
			  "no file below '%s'",
		    r->tenant->name, id, root);
		return req_error(r, E_NOTFOUND, "no recording '%s'", id);
	}
	out->root = root;
	out->accel = rec_setting(
	    r, "RECORDING_AUDIO_ACCEL", rec_setting(r, "RECORDINGS_ACCEL", ""));
	return E_OK;
}

const struct rec_store rec_cdr = {
	.name = "asterisk",
	.search = search,
	.by_callid = by_callid,
	.by_id = by_id,
	.history = history,
	.last_agent = last_agent,
	.locate = locate,
};
