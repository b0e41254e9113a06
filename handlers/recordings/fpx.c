/*
 * The FusionPBX store: records from the v_xml_cdr rows that name a
 * recording (record_path, record_name), over the tenant's pooled
 * FusionPBX database (fpx_db), audio from record_path below the tenant's
 * FreeSWITCH recordings directory (FUSIONPBX_RECORDINGS_DIR).
 * docs/recordings.md has the mapping.
 *
 * A tenant with FUSIONPBX_DOMAIN is that one FusionPBX domain, as for
 * the ARI dialect: every statement is limited to the domain's rows, and
 * a recording must lie in the domain's own directory
 * (<dir>/<domain>/...).  Without it the tenant sees every domain.
 *
 * A record is a call leg, its id the leg's xml_cdr_uuid; newest first by
 * (start_stamp, xml_cdr_uuid), which has no integer, so the keyset
 * cursor keeps "start_stamp xml_cdr_uuid" as its position (rowid 0).
 * Statements are built from fixed fragments, every value bound, and run
 * unprepared (planned with their values).  What v_xml_cdr cannot answer
 * is 501: the queueCallStatus and attached data filters, attaching
 * data, and the history of an interface (it keeps no channel names).
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "fusionpbx.h"
#include "log.h"
#include "pgsql.h"
#include "rec_store.h"
#include "recordings.h"
#include "req.h"

#define RECORDINGS_DIR "/var/lib/freeswitch/recordings"

/* The records: id, position, start, ..., record_path, record_name. */
#define RECORDS                                                               \
	"SELECT x.xml_cdr_uuid, to_char(x.start_stamp, "                      \
	"'YYYY-MM-DD HH24:MI:SS.USOF'), to_char(x.start_stamp, "              \
	"'YYYY-MM-DD HH24:MI:SS'), CASE WHEN x.answer_stamp IS NULL THEN '' " \
	"ELSE to_char(COALESCE(x.billsec, 0) * interval '1 second', "         \
	"'HH24:MI:SS') END, x.caller_id_number, x.destination_number, "       \
	"NULLIF(x.cc_agent, ''), NULLIF(x.cc_queue, ''), CASE WHEN "          \
	"x.answer_stamp IS NULL THEN 'missed' ELSE 'answered' END, "          \
	"NULLIF(x.accountcode, ''), x.record_path, x.record_name "            \
	"FROM v_xml_cdr x WHERE x.record_name <> '' AND x.record_path <> '' " \
	"AND x.start_stamp IS NOT NULL"
#define NEWEST " ORDER BY x.start_stamp DESC, x.xml_cdr_uuid DESC"
/* The agent who last answered a caller through a call center queue. */
#define LAST_AGENT                                                       \
	"SELECT x.cc_agent FROM v_xml_cdr x WHERE x.cc_agent <> '' AND " \
	"x.cc_queue_answered_epoch IS NOT NULL"

/*
 * The tenant's FusionPBX domain (FUSIONPBX_DOMAIN), NULL if it has none.
 * Returns E_OK, or E_INTERNAL if the setting cannot be a domain name.
 */
static enum err
domain(struct req *r, const char **out)
{
	*out = rec_setting(r, "FUSIONPBX_DOMAIN", NULL);
	if (*out == NULL || rec_component_ok(*out) == 0)
		return E_OK;
	log_warnx("tenant '%s': FUSIONPBX_DOMAIN is not a domain name",
	    r->tenant->name);
	return req_error(r, E_INTERNAL, "the recording store is misconfigured");
}

/* Starts the statement sql, limited to the tenant's domain. */
static enum err
q_init(struct rec_q *q, struct req *r, const char *sql)
{
	const char *dom;
	enum err e;

	rec_q_init(q, r->arena, REC_Q_PG, sql);
	if ((e = domain(r, &dom)) != E_OK)
		return e;
	if (dom != NULL)
		rec_q_cond(q,
		    "x.domain_uuid = (SELECT domain_uuid FROM v_domains "
		    "WHERE domain_name = ? LIMIT 1)",
		    dom);
	return E_OK;
}

/*
 * Runs q unprepared.  Returns E_OK with *res, or r's error (a statement
 * the server refused is a 500).
 */
static enum err
run(struct req *r, const struct rec_q *q, struct pg_res **res)
{
	struct pg_stmt st = {
		.name = NULL,
		.sql = rec_q_text(q),
		.nparams = (int)q->n,
	};
	enum err e;

	if (st.sql == NULL)
		return req_error(r, E_INTERNAL, "statement too long");
	e = fpx_db(r, &st, rec_q_pgvals(q), res);
	if (e == E_BADREQ)
		return req_error(
		    r, E_INTERNAL, "the FusionPBX database refused the query");
	return e;
}

/* The attached data: recording, and accountcode if set. */
static void
attached(struct req *r, struct rec_record *rec, const char *accountcode)
{
	rec->keys = arena_alloc(r->arena, 2 * sizeof(char *));
	rec->vals = arena_alloc(r->arena, 2 * sizeof(char *));
	if (accountcode != NULL) {
		rec->keys[rec->nattached] = "accountcode";
		rec->vals[rec->nattached++] = accountcode;
	}
	rec->keys[rec->nattached] = "recording";
	rec->vals[rec->nattached++] = rec->id;
}

/* Runs a RECORDS query; at most max rows are kept, has_next past them. */
static enum err
records(struct req *r, const struct rec_q *q, size_t max, struct rec_list *l,
    struct pg_res **resp)
{
	struct pg_res *res;
	struct rec_record *v;
	size_t i;
	enum err e;

	if ((e = run(r, q, &res)) != E_OK)
		return e;
	l->n = pg_nrows(res) > max ? max : pg_nrows(res);
	l->has_next = pg_nrows(res) > max;
	l->v = v = arena_zalloc(r->arena, (l->n + 1) * sizeof(*v));
	for (i = 0; i < l->n; i++) {
		v[i].id = pg_get(res, i, 0);
		v[i].cursor_ts =
		    rec_pos_join(r->arena, pg_get(res, i, 1), v[i].id);
		v[i].start = pg_get(res, i, 2);
		v[i].duration = pg_get(res, i, 3);
		v[i].src_num = pg_get(res, i, 4);
		v[i].dst_num = pg_get(res, i, 5);
		v[i].agent = pg_get(res, i, 6);
		v[i].queue = pg_get(res, i, 7);
		v[i].status = pg_get(res, i, 8);
		attached(r, &v[i], pg_get(res, i, 9));
	}
	if (resp != NULL)
		*resp = res;
	return E_OK;
}

/* How v_xml_cdr answers each filter (rec_store.h). */
static const struct rec_sql sql = {
	.store = "fusionpbx",
	.agent = { "x.cc_agent = ?" },
	.queue = { "x.cc_queue = ? OR split_part(x.cc_queue, '@', 1) = ?" },
	/* Calls that start or end after it (a call of over a day is cut). */
	.start = { "x.start_stamp >= ?::timestamp - interval '1 day' AND "
		   "(x.start_stamp >= ?::timestamp OR x.end_stamp >= "
		   "?::timestamp)" },
	.end = { "x.start_stamp <= ?::timestamp" },
	.callee = { "x.destination_number" },
	.caller = { "x.caller_id_number" },
	.direction = { "x.direction = CASE ? WHEN 'incoming' THEN 'inbound' "
		       "ELSE 'outbound' END" },
	.qstatus = { NULL, "v_xml_cdr keeps no queue exit status" },
	.keyvalue = { NULL, "v_xml_cdr has none" },
};

/* Adds the keyset position after_ts ("start uuid").  Returns 0 or -1. */
static int
after(struct rec_q *q, const char *pos)
{
	char uuid[FPX_UUID_LEN + 1];
	const char *ts, *id;

	if (rec_pos_split(q->a, pos, &ts, &id) == -1 ||
	    fpx_uuid_parse(id, strlen(id), uuid) == -1)
		return -1;
	/* A row comparison: the index's range (013_..._indexes.sql). */
	rec_q_sql(q, " AND (x.start_stamp, x.xml_cdr_uuid) < (");
	rec_q_str(q, ts);
	rec_q_sql(q, "::timestamptz, ");
	rec_q_str(q, arena_strdup(q->a, uuid));
	rec_q_sql(q, "::uuid)");
	return 0;
}

/*
 * A page of records: by number (OFFSET), or after the keyset position
 * "start_stamp xml_cdr_uuid".  Returns E_OK, or 400 for a cursor that
 * holds no such position, 501 for a filter v_xml_cdr cannot answer.
 */
static enum err
search(struct req *r, const struct rec_filter *f, const struct rec_page *pg,
    struct rec_list *out)
{
	struct rec_q q;
	enum err e;

	if ((e = q_init(&q, r, RECORDS)) != E_OK ||
	    (e = rec_q_filters(r, &q, &sql, f)) != E_OK)
		return e;
	if (pg->keyset && pg->after_ts != NULL && after(&q, pg->after_ts) == -1)
		return req_error(r, E_BADREQ, "'cursor' is invalid");
	rec_q_page(&q, NEWEST, pg->size + 1,
	    pg->keyset ? 0 : (long long)(pg->page - 1) * pg->size);
	return records(r, &q, (size_t)pg->size, out, NULL);
}

/*
 * The legs of the call whose uuid is callid: that leg, the legs it
 * originated, and the legs bridged to it.  A callid that is no uuid has
 * none.
 */
static enum err
by_callid(struct req *r, const char *callid, struct rec_list *out)
{
	char uuid[FPX_UUID_LEN + 1];
	struct rec_q q;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (fpx_uuid_parse(callid, strlen(callid), uuid) == -1)
		return E_OK;
	if ((e = q_init(&q, r, RECORDS)) != E_OK)
		return e;
	rec_q_cond(&q,
	    "x.xml_cdr_uuid = ?::uuid OR x.originating_leg_uuid = ?::uuid "
	    "OR x.bridge_uuid = ?::text",
	    arena_strdup(r->arena, uuid));
	rec_q_page(&q, NEWEST, REC_CALLID_MAX, 0);
	return records(r, &q, REC_CALLID_MAX, out, NULL);
}

/* The record id (a uuid as v_xml_cdr writes it), its row in *res. */
static enum err
record_of(
    struct req *r, const char *id, struct rec_list *out, struct pg_res **res)
{
	char uuid[FPX_UUID_LEN + 1];
	struct rec_q q;
	enum err e;

	memset(out, 0, sizeof(*out));
	if (fpx_uuid_parse(id, strlen(id), uuid) == -1 || strcmp(uuid, id) != 0)
		return E_OK;
	if ((e = q_init(&q, r, RECORDS)) != E_OK)
		return e;
	rec_q_cond(&q, "x.xml_cdr_uuid = ?::uuid", id);
	rec_q_sql(&q, " LIMIT 1");
	return records(r, &q, 1, out, res);
}

/* The record id (out->n 0 or 1). */
static enum err
by_id(struct req *r, const char *id, struct rec_list *out)
{
	return record_of(r, id, out, NULL);
}

/*
 * The call center agent (cc_agent) who last answered caller in the last
 * days.  Returns E_OK, E_NOTFOUND, or r's error.
 */
static enum err
last_agent(struct req *r, const char *caller, long days, const char **agent)
{
	struct pg_res *res;
	struct rec_q q;
	enum err e;

	if ((e = q_init(&q, r, LAST_AGENT)) != E_OK)
		return e;
	rec_q_cond(&q, "x.caller_id_number = ?", caller);
	rec_q_cond(&q, "x.start_stamp >= now() - make_interval(days => ?::int)",
	    arena_printf(r->arena, "%ld", days));
	rec_q_sql(&q, " ORDER BY x.start_stamp DESC LIMIT 1");
	if ((e = run(r, &q, &res)) != E_OK)
		return e;
	if (pg_nrows(res) == 0)
		return E_NOTFOUND;
	*agent = pg_value(res, 0, 0);
	return E_OK;
}

/*
 * The file of record_path and record_name relative to root: below
 * root/dom when the tenant has a domain (dom not NULL), below root
 * otherwise.  Returns 0 with *rel, or -1 for a row that names anything
 * else (rec_path_below).
 */
static int
file_rel(struct arena *a, const char *root, const char *dom, const char *path,
    const char *name, const char **rel)
{
	const char *in;

	if (dom == NULL)
		return rec_path_below(a, root, path, name, rel);
	if (rec_path_below(
		a, arena_printf(a, "%s/%s", root, dom), path, name, &in) == -1)
		return -1;
	*rel = arena_printf(a, "%s/%s", dom, in);
	return 0;
}

/* Where the recording id is (file_rel). */
static enum err
locate(struct req *r, const char *id, struct rec_file *out)
{
	const char *root =
	    rec_setting(r, "FUSIONPBX_RECORDINGS_DIR", RECORDINGS_DIR);
	const char *dom;
	struct pg_res *res;
	struct rec_list l;
	enum err e;

	if ((e = record_of(r, id, &l, &res)) != E_OK ||
	    (e = domain(r, &dom)) != E_OK)
		return e;
	if (l.n == 0)
		return req_error(r, E_NOTFOUND, "no recording '%s'", id);
	if (file_rel(r->arena, root, dom, pg_value(res, 0, 10),
		pg_value(res, 0, 11), &out->rel) == -1) {
		log_warnx("tenant '%s': recording '%s': record_path and "
			  "record_name name no file below '%s%s%s'",
		    r->tenant->name, id, root, dom != NULL ? "/" : "",
		    dom != NULL ? dom : "");
		return req_error(r, E_NOTFOUND, "no recording '%s'", id);
	}
	out->root = root;
	out->accel = rec_setting(r, "RECORDING_AUDIO_ACCEL", "");
	return E_OK;
}

const struct rec_store rec_fpx = {
	.name = "fusionpbx",
	.search = search,
	.by_callid = by_callid,
	.by_id = by_id,
	.last_agent = last_agent,
	.locate = locate,
};
