/*
 * The XiVO CC store: the xivo_stats PostgreSQL database that XiVO CC's
 * own recording server reads (spec §6; sql/pgsql/xivo_stats/), reached
 * with the tenant's RECORDING_DB_* keys, and the flat audio directory
 * RECORDING_AUDIO_DIR holding <id>.wav (§5).
 *
 * Searches are built from fixed SQL fragments, one per filter given,
 * every value bound; they run unprepared, planned with their values
 * (drivers/pgsql.h).  Newest first by (start_time, id), which the keyset
 * cursor continues.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "json.h"
#include "log.h"
#include "netio.h"
#include "pgsql.h"
#include "pool.h"
#include "rec_store.h"
#include "recordings.h"
#include "req.h"

#define AGENT_CALLS	 1000 /* an agent's calls searched from the agent */
#define AGENT_CALLS_TEXT "1000"

/* The columns of a Record, from call_data cd and its joins. */
#define RECORD_COLUMNS                                                        \
	"SELECT cd.id, to_char(cd.start_time, 'YYYY-MM-DD HH24:MI:SS.US'), "  \
	"rec.value, to_char(cd.start_time, 'YYYY-MM-DD HH24:MI:SS'), "        \
	"CASE WHEN cd.end_time IS NULL OR cd.answer_time IS NULL THEN '' "    \
	"ELSE to_char(cd.end_time - cd.answer_time, 'HH24:MI:SS') END, "      \
	"cd.src_num, cd.dst_num, "                                            \
	"CASE WHEN af.id IS NULL THEN NULL ELSE trim(af.firstname || ' ' || " \
	"af.lastname) || ' (' || af.number || ')' END, "                      \
	"CASE WHEN qf.id IS NULL THEN NULL "                                  \
	"ELSE qf.name || ' (' || qf.number || ')' END, "                      \
	"COALESCE(coq.status::text, CASE WHEN cd.end_time IS NULL "           \
	"THEN 'ongoing' WHEN cd.answer_time IS NOT NULL THEN 'answered' "     \
	"ELSE 'missed' END) "                                                 \
	"FROM call_data cd JOIN attached_data rec "                           \
	"ON rec.id_call_data = cd.id AND rec.key = 'recording' "              \
	"LEFT JOIN LATERAL (SELECT c.status, c.agent_num, c.queue_ref "       \
	"FROM call_on_queue c WHERE c.callid = cd.uniqueid "                  \
	"ORDER BY (c.answer_time IS NULL), c.queue_time DESC LIMIT 1) coq "   \
	"ON TRUE "                                                            \
	"LEFT JOIN agentfeatures af "                                         \
	"ON af.number = COALESCE(coq.agent_num, cd.dst_agent) "               \
	"LEFT JOIN queuefeatures qf ON qf.name = coq.queue_ref "

#define NEWEST " ORDER BY cd.start_time DESC, cd.id DESC"

static const struct pg_stmt st_by_callid = { "rec_by_callid",
	RECORD_COLUMNS "WHERE cd.uniqueid = $1" NEWEST
		       " LIMIT " REC_CALLID_MAX_TEXT,
	1 };
static const struct pg_stmt st_by_id = { "rec_by_id",
	RECORD_COLUMNS "WHERE rec.value = $1" NEWEST " LIMIT 1", 1 };
/* The attached data of the calls $1 (an int[]), last value per key. */
static const struct pg_stmt st_attached = { "rec_attached",
	"SELECT id_call_data, key, value FROM (SELECT d.*, row_number() OVER "
	"(PARTITION BY id_call_data ORDER BY key) AS n FROM (SELECT DISTINCT "
	"ON (id_call_data, key) id_call_data, key, value FROM attached_data "
	"WHERE id_call_data = ANY($1::int[]) ORDER BY id_call_data, key, "
	"id DESC) d) x WHERE n <= " REC_ATTACHED_MAX_TEXT
	" ORDER BY id_call_data, key",
	1 };
/* All the pairs of $3 (JSON) or none; the call by id or unique id. */
#define ATTACH(where)                                                     \
	"WITH c AS (SELECT id FROM call_data WHERE " where                \
	" ORDER BY id DESC LIMIT 1), ins AS (INSERT INTO attached_data "  \
	"(id_call_data, key, value) SELECT c.id, e.key, e.value FROM c, " \
	"json_to_recordset($2::json) AS e(key text, value text) "         \
	"RETURNING 1) SELECT (SELECT count(*) FROM c), "                  \
	"(SELECT count(*) FROM ins)"
static const struct pg_stmt st_attach_id = { "rec_attach_id",
	ATTACH("id = $1::int"), 2 };
static const struct pg_stmt st_attach_uid = { "rec_attach_uid",
	ATTACH("uniqueid = $1"), 2 };
/*
 * The calls of interface $1, newest first, at most $2: the ones it made
 * (emitted) and the ones that rang it (answered, missed or ongoing; a
 * queue call's own status).  Names from the line's user, or for a
 * destination that is no user, the queue's label.
 */
static const struct pg_stmt st_history = { "rec_history",
	"WITH ids AS ((SELECT id FROM call_data WHERE src_interface = $1 "
	"ORDER BY start_time DESC LIMIT $2) UNION (SELECT call_data_id "
	"FROM call_element WHERE interface = $1 ORDER BY call_data_id DESC "
	"LIMIT $2)) "
	"SELECT to_char(cd.start_time, 'YYYY-MM-DD HH24:MI:SS'), "
	"CASE WHEN cd.end_time IS NULL OR cd.answer_time IS NULL THEN '' "
	"ELSE to_char(cd.end_time - cd.answer_time, 'HH24:MI:SS') END, "
	"cd.src_num, cd.dst_num, "
	"CASE WHEN cd.src_interface = $1 THEN 'emitted' "
	"ELSE COALESCE((SELECT c.status::text FROM call_on_queue c "
	"WHERE c.callid = cd.uniqueid ORDER BY c.queue_time DESC LIMIT 1), "
	"CASE WHEN EXISTS (SELECT 1 FROM call_element e WHERE "
	"e.call_data_id = cd.id AND e.interface = $1 AND e.answer_time IS "
	"NOT NULL) THEN 'answered' WHEN cd.end_time IS NULL THEN 'ongoing' "
	"ELSE 'missed' END) END, "
	"su.firstname, su.lastname, du.firstname, du.lastname "
	"FROM ids JOIN call_data cd ON cd.id = ids.id "
	"LEFT JOIN LATERAL (SELECT u.firstname, u.lastname FROM linefeatures l "
	"JOIN user_line ul ON ul.line_id = l.id "
	"JOIN userfeatures u ON u.id = ul.user_id "
	"WHERE l.protocol::text = lower(split_part(cd.src_interface, '/', 1)) "
	"AND l.name = split_part(cd.src_interface, '/', 2) "
	"UNION ALL SELECT u.firstname, u.lastname FROM extensions x "
	"JOIN userfeatures u ON x.type = 'user' AND u.id::text = x.typeval "
	"WHERE x.exten = cd.src_num LIMIT 1) su ON TRUE "
	"LEFT JOIN LATERAL (SELECT u.firstname, u.lastname FROM extensions x "
	"JOIN userfeatures u ON x.type = 'user' AND u.id::text = x.typeval "
	"WHERE x.exten = cd.dst_num UNION ALL SELECT NULL, q.displayname "
	"FROM extensions x JOIN queuefeatures q ON x.type = 'queue' "
	"AND q.id::text = x.typeval WHERE x.exten = cd.dst_num LIMIT 1) du "
	"ON TRUE ORDER BY cd.start_time DESC, cd.id DESC LIMIT $2",
	2 };
/* The agent who last answered caller $1 in the last $2 days. */
static const struct pg_stmt st_last_agent = { "rec_last_agent",
	"SELECT a.agent FROM call_data cd CROSS JOIN LATERAL "
	"(SELECT COALESCE((SELECT c.agent_num FROM call_on_queue c "
	"WHERE c.callid = cd.uniqueid AND c.status = 'answered' "
	"AND c.agent_num IS NOT NULL ORDER BY c.answer_time DESC LIMIT 1), "
	"cd.dst_agent) AS agent) a "
	"WHERE cd.src_num = $1 AND cd.start_time >= localtimestamp - "
	"make_interval(days => $2::int) AND a.agent IS NOT NULL "
	"ORDER BY cd.start_time DESC LIMIT 1",
	2 };

/* ---- the database: a pool kind ---- */

static void
db_close(void *p)
{
	pg_close(p);
}

static int
db_usable(void *p)
{
	return pg_usable(p, 1);
}

static enum err
db_open(void *ctx, uint64_t deadline, void **conn, char *why, size_t whylen)
{
	struct req *r = ctx;
	struct pg_conninfo ci = {
		.host = rec_setting(r, "RECORDING_DB_HOST", "127.0.0.1"),
		.port = rec_setting(r, "RECORDING_DB_PORT", "5432"),
		.dbname = rec_setting(r, "RECORDING_DB_NAME", "xivo_stats"),
		.user = rec_setting(r, "RECORDING_DB_USER", "stats"),
		.password = rec_setting(r, "RECORDING_DB_PASSWORD", ""),
		.sslmode = rec_setting(r, "RECORDING_DB_SSLMODE", ""),
		.stmt_timeout_ms = r->conf->backend_ms + 1000,
		/* rec_agent_calls: a busy or an idle agent, another plan */
		.custom_plans = 1,
	};
	enum err e = pg_open(&ci, deadline, (struct pg **)conn, why, whylen);

	if (e != E_OK)
		log_warnx("tenant '%s': cannot connect to the stats database "
			  "'%s': %s",
		    r->tenant->name, ci.dbname, why);
	return e == E_TIMEOUT ? E_TIMEOUT : e == E_OK ? E_OK : E_BACKEND;
}

static const struct backend be_stats = {
	.name = "pgsql xivo_stats",
	.open = db_open,
	.usable = db_usable,
	.close = db_close,
};

/* Runs st on the tenant's stats database.  Returns E_OK or r's error. */
static enum err
db(struct req *r, const struct pg_stmt *st, const char *const *vals,
    struct pg_res **out)
{
	char why[256];
	void *c;
	enum err e;

	req_op(r, "pgsql connect");
	e = pool_get(r->pool, r->tenant, &be_stats, r,
	    net_deadline(r->conf->backend_ms), &c, NULL, why, sizeof(why));
	if (e != E_OK)
		return req_error(r, e, "the stats database is unavailable");
	req_op(r, st->name != NULL ? st->name : "rec_search");
	e = pg_exec(c, st, vals, net_deadline(r->conf->backend_ms), r->arena,
	    out, why, sizeof(why));
	if (e == E_OK)
		return E_OK;
	if (e == E_BADREQ) {
		log_warnx("tenant '%s': %s: %s", r->tenant->name,
		    st->name != NULL ? st->name : "rec_search", why);
		return req_error(r, E_INTERNAL,
		    "the stats database refused "
		    "the query");
	}
	log_warnx("tenant '%s': %s", r->tenant->name, why);
	pool_drop(r->pool, r->tenant, &be_stats);
	return req_error(r, e,
	    e == E_TIMEOUT ? "the stats database did not answer in time"
			   : "lost the connection to the stats database");
}

/* ---- records ---- */

/* The rows ids of l's records as an int[] literal, "{1,2}". */
static const char *
id_array(struct req *r, const struct rec_list *l)
{
	struct buf b;
	const char *out;
	size_t i;

	buf_init(&b, 24 * (l->n + 1));
	buf_addc(&b, '{');
	for (i = 0; i < l->n; i++)
		buf_printf(&b, "%s%lld", i ? "," : "", l->v[i].rowid);
	buf_addc(&b, '}');
	out = arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	return out;
}

/*
 * Gives every record of l with rowid id the n pairs of res from row j
 * (at most REC_ATTACHED_MAX: rec_attached stops there).
 */
static void
give(struct req *r, struct rec_list *l, const struct pg_res *res, size_t j,
    size_t n, long long id)
{
	struct rec_record *v;
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		v = &l->v[i];
		if (v->rowid != id)
			continue;
		v->keys = arena_alloc(r->arena, n * sizeof(char *));
		v->vals = arena_alloc(r->arena, n * sizeof(char *));
		for (k = 0; k < n; k++) {
			v->keys[k] = pg_value(res, j + k, 1);
			v->vals[k] = pg_get(res, j + k, 2);
		}
		v->nattached = n;
	}
}

/* Adds the attached data of every record in l (one query). */
static enum err
attached(struct req *r, struct rec_list *l)
{
	const char *vals[1];
	struct pg_res *res;
	size_t j, run, n;
	long long id;
	enum err e;

	if (l->n == 0)
		return E_OK;
	vals[0] = id_array(r, l);
	if ((e = db(r, &st_attached, vals, &res)) != E_OK)
		return e;
	n = pg_nrows(res);
	/* Rows come by call: one run of pairs per call. */
	for (j = 0; j < n; j += run) {
		id = strtoll(pg_value(res, j, 0), NULL, 10);
		for (run = 1; j + run < n &&
		     strtoll(pg_value(res, j + run, 0), NULL, 10) == id;
		     run++)
			;
		give(r, l, res, j, run, id);
	}
	return E_OK;
}

/* Runs a Record query; at most max rows are kept, has_next past them. */
static enum err
records(struct req *r, const struct pg_stmt *st, const char *const *vals,
    size_t max, struct rec_list *l)
{
	struct pg_res *res;
	struct rec_record *v;
	size_t i;
	enum err e;

	if ((e = db(r, st, vals, &res)) != E_OK)
		return e;
	l->n = pg_nrows(res) > max ? max : pg_nrows(res);
	l->has_next = pg_nrows(res) > max;
	l->v = v = arena_zalloc(r->arena, (l->n + 1) * sizeof(*v));
	for (i = 0; i < l->n; i++) {
		v[i].rowid = strtoll(pg_value(res, i, 0), NULL, 10);
		v[i].cursor_ts = pg_value(res, i, 1);
		v[i].id = pg_get(res, i, 2);
		v[i].start = pg_get(res, i, 3);
		v[i].duration = pg_get(res, i, 4);
		v[i].src_num = pg_get(res, i, 5);
		v[i].dst_num = pg_get(res, i, 6);
		v[i].agent = pg_get(res, i, 7);
		v[i].queue = pg_get(res, i, 8);
		v[i].status = pg_get(res, i, 9);
	}
	return attached(r, l);
}

/*
 * How the stats database answers each filter (rec_store.h).  Agent and
 * queue arrive as the arrays of numbers and names they name (names()),
 * so that each filter starts from an index of the few calls it matches
 * rather than walking every call until enough match.
 */
static const struct rec_sql sql = {
	.store = "xivo",
	/*
	 * The answering agent: the queue passage's, else the call's
	 * (agents(): the few calls of the agents, or all calls walked).
	 */
	.agent = { "COALESCE(coq.agent_num, cd.dst_agent) = ANY(?::text[])" },
	.queue = { "cd.uniqueid IN (SELECT callid FROM call_on_queue WHERE "
		   "queue_ref = ANY(?::text[])) AND coq.queue_ref = "
		   "ANY(?::text[])" },
	/*
	 * Calls that start or end after it; the first bound lets the
	 * start_time index limit the scan (a call of over a day is cut).
	 */
	.start = { "cd.start_time >= ?::timestamp - interval '1 day' AND "
		   "(cd.start_time >= ?::timestamp OR cd.end_time >= "
		   "?::timestamp)" },
	.end = { "cd.start_time <= ?::timestamp" },
	.callee = { "cd.dst_num" },
	.caller = { "cd.src_num" },
	.direction = { "cd.call_direction = ?::call_direction_type" },
	.qstatus = { "cd.uniqueid IN (SELECT callid FROM call_on_queue WHERE "
		     "status = ?::call_exit_type) AND coq.status = "
		     "?::call_exit_type" },
	.keyvalue = { "EXISTS (SELECT 1 FROM attached_data a WHERE "
		      "a.id_call_data = cd.id AND a.key = ? AND a.value = ?)" },
};

/* The agents' numbers and the queues' names a filter value names. */
static const struct pg_stmt st_agents = { "rec_agents",
	"SELECT array_agg(number) FROM agentfeatures WHERE number = $1 OR "
	"(firstname || ' ' || lastname) ILIKE '%' || $2 || '%' ESCAPE '!'",
	2 };
static const struct pg_stmt st_queues = { "rec_queues",
	"SELECT array_agg(name) FROM queuefeatures WHERE number = $1 OR "
	"name ILIKE '%' || $2 || '%' ESCAPE '!'",
	2 };

/*
 * The calls of the agents $1 (a text[]), as an int[] of at most
 * AGENT_CALLS + 1 (more: the agents are busy, walk the calls instead).
 */
static const struct pg_stmt st_agent_calls = { "rec_agent_calls",
	"SELECT count(*), array_agg(id) FROM (SELECT id FROM call_data WHERE "
	"dst_agent = ANY($1::text[]) UNION ALL SELECT d.id FROM call_on_queue q "
	"JOIN call_data d ON d.uniqueid = q.callid WHERE q.agent_num = "
	"ANY($1::text[]) LIMIT " AGENT_CALLS_TEXT " + 1) x",
	1 };

/*
 * Replaces *v (an agent or queue filter) by the array of what it names.
 * Returns E_OK with *none set if it names nothing, or r's error.
 */
static enum err
names(struct req *r, const struct pg_stmt *st, const char **v, int *none)
{
	const char *vals[2];
	struct pg_res *res;
	enum err e;

	if (*v == NULL)
		return E_OK;
	vals[0] = *v;
	vals[1] = rec_like(r->arena, *v, 0);
	if ((e = db(r, st, vals, &res)) != E_OK)
		return e;
	*v = pg_nrows(res) == 1 ? pg_get(res, 0, 0) : NULL;
	if (*v == NULL)
		*none = 1;
	return E_OK;
}

/*
 * Where the agents (an array) answered few calls, starts the search from
 * those calls (*ids, an int[]): walking every call newest first to find
 * the few would read the whole table for an agent with none lately.
 * Busy agents' calls are found soon enough by the walk (*ids NULL).
 */
static enum err
agents(struct req *r, const char *agents, const char **ids)
{
	const char *vals[1] = { agents };
	struct pg_res *res;
	enum err e;

	*ids = NULL;
	if (agents == NULL)
		return E_OK;
	if ((e = db(r, &st_agent_calls, vals, &res)) != E_OK)
		return e;
	if (pg_nrows(res) == 1 &&
	    strtol(pg_value(res, 0, 0), NULL, 10) <= AGENT_CALLS)
		*ids = pg_isnull(res, 0, 1) ? "{}" : pg_value(res, 0, 1);
	return E_OK;
}

static enum err
search(struct req *r, const struct rec_filter *f, const struct rec_page *pg,
    struct rec_list *out)
{
	struct pg_stmt st = { .name = NULL };
	struct rec_filter nf = *f;
	const char *ids;
	struct rec_q q;
	int none = 0;
	enum err e;

	if ((e = names(r, &st_agents, &nf.agent, &none)) != E_OK ||
	    (e = names(r, &st_queues, &nf.queue, &none)) != E_OK ||
	    (!none && (e = agents(r, nf.agent, &ids)) != E_OK))
		return e;
	if (none) {
		memset(out, 0, sizeof(*out));
		return E_OK; /* no such agent or queue: no call */
	}
	rec_q_init(&q, r->arena, REC_Q_PG, RECORD_COLUMNS "WHERE true");
	if (ids != NULL)
		rec_q_cond(&q, "cd.id = ANY(?::int[])", ids);
	if ((e = rec_q_filters(r, &q, &sql, &nf)) != E_OK)
		return e;
	if (pg->keyset && pg->after_ts != NULL) {
		rec_q_sql(&q, " AND (cd.start_time, cd.id) < (");
		rec_q_str(&q, pg->after_ts);
		rec_q_sql(&q, "::timestamp, ");
		rec_q_int(&q, pg->after_id);
		rec_q_sql(&q, "::int)");
	}
	rec_q_page(&q, NEWEST, pg->size + 1,
	    pg->keyset ? 0 : (long long)(pg->page - 1) * pg->size);
	if ((st.sql = rec_q_text(&q)) == NULL)
		return req_error(r, E_INTERNAL, "search too long");
	st.nparams = (int)q.n;
	return records(r, &st, rec_q_pgvals(&q), (size_t)pg->size, out);
}

static enum err
by_callid(struct req *r, const char *callid, struct rec_list *out)
{
	const char *vals[1] = { callid };

	return records(r, &st_by_callid, vals, REC_CALLID_MAX, out);
}

static enum err
by_id(struct req *r, const char *id, struct rec_list *out)
{
	const char *vals[1] = { id };

	return records(r, &st_by_id, vals, 1, out);
}

static enum err
attach(struct req *r, const char *call, int by_uniqueid,
    const char *const *keys, const char *const *vals, size_t n)
{
	const char *args[2] = { call, NULL };
	struct pg_res *res;
	struct buf b;
	struct jw w;
	size_t i;
	enum err e;

	buf_init(&b, REC_ATTACH_MAX * (REC_KEY_MAX + REC_VALUE_MAX) * 6 + 64);
	jw_init(&w, &b, JW_UTF8);
	jw_arr_open(&w);
	for (i = 0; i < n; i++) {
		jw_obj_open(&w);
		jw_keyz(&w, "key");
		jw_strz(&w, keys[i]);
		jw_keyz(&w, "value");
		jw_strz(&w, vals[i]);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	args[1] = arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	e = db(r, by_uniqueid ? &st_attach_uid : &st_attach_id, args, &res);
	if (e != E_OK)
		return e;
	if (strcmp(pg_value(res, 0, 0), "0") == 0)
		return req_error(r, E_NOTFOUND, "no call %s '%s'",
		    by_uniqueid ? "with unique id" : "data", call);
	return E_OK;
}

static enum err
history(struct req *r, const char *iface, long size, struct rec_hist **out,
    size_t *n)
{
	const char *vals[2] = { iface, arena_printf(r->arena, "%ld", size) };
	struct pg_res *res;
	struct rec_hist *h;
	size_t i;
	enum err e;

	if ((e = db(r, &st_history, vals, &res)) != E_OK)
		return e;
	*n = pg_nrows(res);
	*out = h = arena_zalloc(r->arena, (*n + 1) * sizeof(*h));
	for (i = 0; i < *n; i++) {
		h[i].start = pg_get(res, i, 0);
		h[i].duration = pg_get(res, i, 1);
		h[i].src_num = pg_get(res, i, 2);
		h[i].dst_num = pg_get(res, i, 3);
		h[i].status = pg_get(res, i, 4);
		h[i].src_first = pg_get(res, i, 5);
		h[i].src_last = pg_get(res, i, 6);
		h[i].dst_first = pg_get(res, i, 7);
		h[i].dst_last = pg_get(res, i, 8);
	}
	return E_OK;
}

static enum err
last_agent(struct req *r, const char *caller, long days, const char **agent)
{
	const char *vals[2] = { caller, arena_printf(r->arena, "%ld", days) };
	struct pg_res *res;
	enum err e;

	if ((e = db(r, &st_last_agent, vals, &res)) != E_OK)
		return e;
	if (pg_nrows(res) == 0)
		return E_NOTFOUND;
	*agent = pg_value(res, 0, 0);
	return E_OK;
}

/* Flat: RECORDING_AUDIO_DIR/<id>.wav. */
static enum err
locate(struct req *r, const char *id, struct rec_file *out)
{
	out->root = rec_setting(r, "RECORDING_AUDIO_DIR", REC_AUDIO_DIR);
	out->rel = arena_printf(r->arena, "%s.wav", id);
	out->accel = rec_setting(r, "RECORDING_AUDIO_ACCEL", "");
	return E_OK;
}

const struct rec_store rec_xivo = {
	.name = "xivo",
	.search = search,
	.by_callid = by_callid,
	.by_id = by_id,
	.attach = attach,
	.history = history,
	.last_agent = last_agent,
	.locate = locate,
};

/* ---- readiness ---- */

int
rec_probe_wants(const struct tenant *t, const char *kind)
{
	const char *b = tenant_get(t, "RECORDING_BACKEND");

	if (strcmp(kind, be_stats.name) != 0)
		return 0;
	if (*b != '\0')
		return strcmp(b, "xivo") == 0;
	return tenant_has_prefix(t, "RECORDING_DB_");
}

enum err
rec_probe(struct req *r, const char *kind, uint64_t deadline, char *why,
    size_t whylen)
{
	void *c;

	if (strcmp(kind, be_stats.name) != 0)
		return E_NOTFOUND;
	return pool_get(
	    r->pool, r->tenant, &be_stats, r, deadline, &c, NULL, why, whylen);
}
