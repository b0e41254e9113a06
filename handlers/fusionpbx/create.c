/*
 * The create actions of the {"action": ...} dialect (fusionpbx.md §3.4,
 * §3.6, §3.7): extension-create, destination-create and ringgroup-create.
 * Same checks, rows, dialplan XML, status codes and answers as the
 * reference, with its broken paths fixed: a failed insert rolls back and
 * answers 500 "error adding <thing>" (not 200 false), every value that
 * reaches dialplan XML or a regular expression was validated and is
 * escaped, and the FusionPBX cache entry is deleted afterwards (§4).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "esl.h"
#include "fusionpbx.h"
#include "json.h"
#include "log.h"
#include "netio.h"
#include "pgsql.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "str.h"

#define RG_DESTS_MAX 256 /* destinations of one ring group */
#define XML_MAX	     (64 * 1024)

static const struct pg_stmt st_domain_name = { "fpx_domain_name",
	"SELECT domain_name FROM v_domains WHERE domain_uuid = $1", 1 };
static const struct pg_stmt st_ext_exists = { "fpx_extension_exists",
	"SELECT extension_uuid FROM v_extensions "
	"WHERE extension = $1 AND domain_uuid = $2",
	2 };
static const struct pg_stmt st_dest_exists = { "fpx_destination_exists",
	"SELECT destination_uuid FROM v_destinations "
	"WHERE destination_number = $1",
	1 };
static const struct pg_stmt st_rg_exists = { "fpx_ring_group_exists",
	"SELECT ring_group_uuid FROM v_ring_groups "
	"WHERE ring_group_extension = $1 AND domain_uuid = $2",
	2 };
static const struct pg_stmt st_ext_row = { "fpx_extension_row",
	"SELECT * FROM v_extensions WHERE extension_uuid = $1", 1 };
static const struct pg_stmt st_dest_row = { "fpx_destination_row",
	"SELECT * FROM v_destinations WHERE destination_uuid = $1", 1 };
static const struct pg_stmt st_rg_row = { "fpx_ring_group_row",
	"SELECT * FROM v_ring_groups WHERE ring_group_uuid = $1", 1 };

enum err
fpx_target_domain(struct req *r, const char *domain_uuid, enum err notfound,
    const char **name)
{
	const char *vals[1] = { domain_uuid };
	struct pg_res *res;
	enum err e;

	if ((e = fpx_domain_allowed(r, domain_uuid)) != E_OK)
		return e;
	e = fpx_db(r, &st_domain_name, vals, &res);
	if (e == E_BADREQ ||
	    (e == E_OK &&
		(pg_nrows(res) == 0 || pg_isnull(res, 0, 0) ||
		    *pg_value(res, 0, 0) == '\0')))
		return req_error(r, notfound, "domain not found");
	if (e == E_OK)
		*name = pg_value(res, 0, 0);
	return e;
}

/* Runs a duplicate check.  Returns E_OK (none), E_CONFLICT or an error. */
static enum err
exists(struct req *r, const struct pg_stmt *st, const char *const *vals)
{
	struct pg_res *res;
	enum err e;

	if ((e = fpx_db(r, st, vals, &res)) != E_OK)
		return e;
	return pg_nrows(res) > 0 ? E_CONFLICT : E_OK;
}

/* Deletes <dir>/<name> if it is there (no path may be smuggled in). */
static void
cache_unlink(const char *dir, const char *name)
{
	int dfd;

	if (strchr(name, '/') != NULL || name[0] == '.')
		return;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return;
	if (unlinkat(dfd, name, 0) == -1)
		log_debug("cache file '%s/%s' not removed", dir, name);
	close(dfd);
}

/*
 * FusionPBX's cache->delete(key) (§4), best-effort: tell FreeSWITCH with
 * sendevent, then drop the file (file method) or the memcache entry.
 * Failures are logged, never answered.
 */
static void
cache_delete(struct req *r, const char *key)
{
	const char *dir, *hdrs[8];
	enum fpx_cache m = fpx_cache_method(r, &dir);
	char *dotted = arena_strdup(r->arena, key), *p, *body, why[256];
	uint64_t deadline = net_deadline(r->conf->backend_ms);
	struct esl *c;
	size_t blen;
	enum err e;

	if (m == FPX_CACHE_OFF)
		return;
	for (p = dotted; *p != '\0'; p++)
		if (*p == ':')
			*p = '.';
	hdrs[0] = "Event-Name";
	hdrs[1] = "CUSTOM";
	hdrs[2] = "Event-Subclass";
	hdrs[3] = m == FPX_CACHE_FILE ? "fusion::file" : "fusion::memcache";
	hdrs[4] = "API-Command";
	hdrs[5] = m == FPX_CACHE_FILE ? "cache" : "memcache";
	hdrs[6] = "API-Command-Argument";
	hdrs[7] = arena_printf(
	    r->arena, "delete %s", m == FPX_CACHE_FILE ? dotted : key);
	req_op(r, "esl sendevent");
	if (fpx_esl(r, &c) == E_OK) {
		e = esl_sendevent(
		    c, "CUSTOM", hdrs, 4, deadline, why, sizeof(why));
		if (e == E_OK && m == FPX_CACHE_MEMCACHE)
			e = esl_api(c,
			    arena_printf(r->arena, "memcache delete %s", key),
			    deadline, r->arena, &body, &blen, why, sizeof(why));
		if (e != E_OK)
			log_info("cache delete '%s': %s", key, why);
		if (esl_broken(c))
			fpx_esl_drop(r);
	}
	if (m == FPX_CACHE_FILE)
		cache_unlink(dir, dotted);
}

/* Answers the new row of st (the reference's final SELECT *). */
static enum err
answer_row(struct req *r, struct reply *rp, const struct pg_stmt *st,
    const char *uuid, const char *thing)
{
	const char *vals[1] = { uuid };
	struct pg_res *res;
	enum err e;

	e = fpx_db(r, st, vals, &res);
	if (e != E_OK && e != E_BADREQ)
		return e;
	if (e == E_BADREQ || pg_nrows(res) == 0)
		return req_error(r, E_INTERNAL, "error adding %s", thing);
	pg_write_row(fpx_json(rp, 200), res, 0);
	return E_OK;
}

/*
 * The transaction every create runs: lock, duplicate check, rows,
 * commit.  dup_err and dup_msg answer a duplicate.
 */
static enum err
create(struct req *r, const char *lock, const struct pg_stmt *dup,
    const char *const *dupvals, enum err dup_err, const char *dup_msg,
    const struct fpx_row *rows, size_t n, const char *thing)
{
	enum err e;

	if ((e = fpx_tx_begin(r, lock)) != E_OK)
		return e == E_BADREQ
		    ? req_error(r, E_INTERNAL, "error adding %s", thing)
		    : e;
	e = exists(r, dup, dupvals);
	if (e == E_OK)
		e = fpx_tx_save(r, rows, n);
	if (e == E_OK)
		e = fpx_tx_commit(r);
	if (e == E_OK)
		return E_OK;
	if (e != E_CONFLICT && e != E_BADREQ)
		return e; /* the connection is gone, and the transaction */
	if (e == E_CONFLICT)
		req_error(r, dup_err, "%s", dup_msg);
	else
		req_error(r, E_INTERNAL, "error adding %s", thing);
	fpx_tx_abort(r);
	return e == E_CONFLICT ? dup_err : E_INTERNAL;
}

/* The domain's canonical uuid for lock names (as given if unparsable). */
static const char *
canon(struct req *r, const char *uuid)
{
	char *out = arena_alloc(r->arena, FPX_UUID_LEN + 1);

	return fpx_uuid_parse(uuid, strlen(uuid), out) == 0 ? out : uuid;
}

/* PHP's trim() of a value save() binds. */
static const char *
trimmed(struct req *r, const char *s)
{
	return s != NULL ? str_trim(arena_strdup(r->arena, s)) : NULL;
}

static enum err
extension_create(struct req *r, struct reply *rp)
{
	const char *dom = fpx_arg(r, 0), *ext = fpx_arg(r, 1), *dname;
	const char *name = fpx_truthy(r, 2) ? trimmed(r, fpx_arg(r, 2)) : NULL;
	const char *num = fpx_truthy(r, 3) ? trimmed(r, fpx_arg(r, 3)) : NULL;
	char ext_uuid[FPX_UUID_LEN + 1], vm_uuid[FPX_UUID_LEN + 1];
	char pw[11], vmpw[9];
	const char *ev[38] = { NULL }, *vv[11] = { NULL }, *dup[2];
	struct fpx_row rows[2] = { { &fpx_t_ext, ev, -1 },
		{ &fpx_t_vm, vv, -1 } };
	enum err e;

	if ((e = fpx_target_domain(r, dom, E_INTERNAL, &dname)) != E_OK)
		return e;
	fpx_uuid_new(ext_uuid);
	fpx_uuid_new(vm_uuid);
	fpx_password(pw, 10, 4);
	fpx_password(vmpw, 8, 1);
	ev[0] = dom, ev[1] = ext_uuid, ev[2] = ext, ev[3] = pw, ev[4] = dname;
	ev[5] = ev[7] = ev[9] = name;
	ev[6] = ev[8] = ev[10] = num;
	ev[13] = ev[14] = "true", ev[16] = "5", ev[17] = "!USER_BUSY";
	ev[18] = dname, ev[22] = "30", ev[24] = "false", ev[36] = "true";
	vv[0] = dom, vv[1] = vm_uuid, vv[2] = ext, vv[3] = vmpw;
	vv[5] = "attach", vv[6] = "true", vv[7] = "false", vv[9] = "true";
	dup[0] = ext;
	dup[1] = dom;
	e = create(r,
	    arena_printf(r->arena, "fpx:extension:%s:%s", canon(r, dom), ext),
	    &st_ext_exists, dup, E_INTERNAL, "extension already exists", rows,
	    2, "extension");
	if (e != E_OK)
		return e;
	cache_delete(r, arena_printf(r->arena, "directory:%s@%s", ext, dname));
	return answer_row(r, rp, &st_ext_row, ext_uuid, "extension");
}

/* The inbound route's dialplan XML (§3.6), every value escaped. */
static const char *
destination_xml(struct req *r, const char *number, const char *dp_uuid,
    const char *dom, const char *dname, const char *ext)
{
	struct buf b, re;
	const char *out;

	buf_init(&b, XML_MAX);
	buf_init(&re, XML_MAX);
	fpx_regex_escape(&re, number);
	buf_adds(&b, "<extension name=\"");
	fpx_xml_escape(&b, number, strlen(number));
	buf_adds(&b, "\" continue=\"false\" uuid=\"");
	fpx_xml_escape(&b, dp_uuid, strlen(dp_uuid));
	buf_adds(&b,
	    "\">\n\t<condition field=\"destination_number\" "
	    "expression=\"^\\+?1?(");
	fpx_xml_escape(&b, re.data ? re.data : "", re.len);
	buf_adds(&b,
	    ")$\">\n\t\t<action application=\"export\" "
	    "data=\"call_direction=inbound\" inline=\"true\" />\n"
	    "\t\t<action application=\"set\" data=\"domain_uuid=");
	fpx_xml_escape(&b, dom, strlen(dom));
	buf_adds(&b,
	    "\" inline=\"true\" />\n\t\t<action application=\"set\" "
	    "data=\"domain_name=");
	fpx_xml_escape(&b, dname, strlen(dname));
	buf_adds(&b,
	    "\" inline=\"true\" />\n\t\t<action application=\"set\" "
	    "data=\"hangup_after_bridge=true\" inline=\"true\"/>\n"
	    "\t\t<action application=\"set\" data=\"continue_on_fail=true\" "
	    "inline=\"true\"/>\n\t\t<action application=\"transfer\" data=\"");
	fpx_xml_escape(&b, ext, strlen(ext));
	buf_adds(&b, " XML ");
	fpx_xml_escape(&b, dname, strlen(dname));
	buf_adds(&b, "\"/>\n\t</condition>\n</extension>");
	out = arena_strndup(r->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	buf_free(&re);
	return out;
}

/* [{"destination_app":"transfer","destination_data":data}], PHP-encoded. */
static const char *
destination_actions(struct req *r, const char *data)
{
	struct buf b;
	struct jw w;
	const char *out;

	buf_init(&b, XML_MAX);
	jw_init(&w, &b, JW_PHP);
	jw_arr_open(&w);
	jw_obj_open(&w);
	jw_keyz(&w, "destination_app");
	jw_strz(&w, "transfer");
	jw_keyz(&w, "destination_data");
	jw_strz(&w, data);
	jw_obj_close(&w);
	jw_arr_close(&w);
	out = arena_strndup(r->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

static enum err
destination_create(struct req *r, struct reply *rp)
{
	const char *dom = fpx_arg(r, 0), *number = fpx_arg(r, 1);
	const char *ext = fpx_arg(r, 2), *dname, *data, *regex, *dup[1];
	char d_uuid[FPX_UUID_LEN + 1], dp_uuid[FPX_UUID_LEN + 1];
	char c_uuid[FPX_UUID_LEN + 1], a_uuid[FPX_UUID_LEN + 1];
	const char *dv[27] = { NULL }, *pv[11] = { NULL }, *cv[7], *av[7];
	struct fpx_row rows[4] = { { &fpx_t_dest, dv, -1 },
		{ &fpx_t_dp, pv, -1 }, { &fpx_t_dpd, cv, 1 },
		{ &fpx_t_dpd, av, 1 } };
	struct buf re;
	enum err e;

	if ((e = fpx_target_domain(r, dom, E_BADREQ, &dname)) != E_OK)
		return e;
	if (!esl_domain_ok(dname, strlen(dname)))
		return req_error(r, E_INTERNAL, "invalid domain name");
	fpx_uuid_new(d_uuid);
	fpx_uuid_new(dp_uuid);
	fpx_uuid_new(c_uuid);
	fpx_uuid_new(a_uuid);
	buf_init(&re, XML_MAX);
	buf_adds(&re, "^(");
	fpx_regex_escape(&re, number);
	buf_adds(&re, ")$");
	regex = arena_strndup(r->arena, re.data, re.len);
	buf_free(&re);
	data = arena_printf(r->arena, "%s XML %s", ext, dname);
	dv[0] = dp_uuid, dv[1] = dom, dv[2] = d_uuid, dv[6] = "inbound";
	dv[7] = number, dv[8] = regex, dv[11] = number, dv[13] = "public";
	dv[23] = destination_actions(r, data);
	dv[24] = "100", dv[25] = "true";
	pv[0] = FPX_APP_INBOUND, pv[1] = dp_uuid, pv[2] = dom;
	pv[3] = pv[4] = number, pv[5] = "public", pv[6] = "false";
	pv[7] = "100", pv[8] = "true";
	pv[10] = destination_xml(r, number, dp_uuid, dom, dname, ext);
	cv[0] = av[0] = dom, cv[1] = av[1] = dp_uuid;
	cv[2] = c_uuid, cv[3] = "condition", cv[4] = "destination_number";
	cv[5] = regex, cv[6] = "20";
	av[2] = a_uuid, av[3] = "action", av[4] = "transfer", av[5] = data;
	av[6] = "40";
	dup[0] = number;
	e = create(r, arena_printf(r->arena, "fpx:destination:%s", number),
	    &st_dest_exists, dup, E_BADREQ, "number already routed", rows, 4,
	    "destination");
	if (e != E_OK)
		return e;
	cache_delete(r, "dialplan:public");
	return answer_row(r, rp, &st_dest_row, d_uuid, "destination");
}

/* The ring group's dialplan XML (§3.7), every value escaped. */
static const char *
ring_group_xml(struct req *r, const char *name, const char *dp_uuid,
    const char *ext, const char *rg_uuid)
{
	struct buf b;
	const char *out;

	buf_init(&b, XML_MAX);
	buf_adds(&b, "<extension name=\"");
	fpx_xml_escape(&b, name, strlen(name));
	buf_adds(&b, "\" continue=\"\" uuid=\"");
	fpx_xml_escape(&b, dp_uuid, strlen(dp_uuid));
	buf_adds(&b,
	    "\">\n\t<condition field=\"destination_number\" "
	    "expression=\"^");
	fpx_xml_escape(&b, ext, strlen(ext));
	buf_adds(&b,
	    "$\">\n\t\t<action application=\"ring_ready\" data=\"\" "
	    "/>\n\t\t<action application=\"set\" "
	    "data=\"ring_group_uuid=");
	fpx_xml_escape(&b, rg_uuid, strlen(rg_uuid));
	buf_adds(&b,
	    "\" />\n\t\t<action application=\"lua\" "
	    "data=\"app.lua ring_groups\" />\n\t</condition>\n</extension>");
	out = arena_strndup(r->arena, b.data ? b.data : "", b.len);
	buf_free(&b);
	return out;
}

/* Returns 1 if the array's keys are 0..n-1 (a JSON list). */
static int
is_list(const struct pv *v)
{
	const struct pv_ent *e;
	int64_t i = 0;

	for (e = v->u.arr->head; e != NULL; e = e->next, i++)
		if (!e->is_int || e->ikey != i)
			return 0;
	return 1;
}

/*
 * The destinations, a JSON array in a string (the README's form) or a
 * real array: each an object with a valid "number".  Returns E_OK with
 * the numbers, E_BADREQ, or the reference's 500 for an empty list.
 */
static enum err
rg_numbers(struct req *r, const struct pv *v, const char ***nums, size_t *n)
{
	const struct pv_ent *e;
	const struct pv *num;
	struct pv *list = NULL;
	char why[LIM_ERRMSG];
	const char *s;
	size_t len, i = 0;

	if (v->type == PV_STR) {
		s = v->u.str.s;
		len = v->u.str.len;
		while (len > 0 && strchr(" \t\r\n", *s) != NULL)
			s++, len--;
		if (len == 0 || *s != '[' ||
		    json_decode_pv(r->arena, s, len, &r->lim, &list, why,
			sizeof(why)) != E_OK)
			return req_error(r, E_BADREQ, "invalid destinations");
		v = list;
	}
	if (v->type != PV_ARR || !is_list(v) || pv_count(v) > RG_DESTS_MAX)
		return req_error(r, E_BADREQ, "invalid destinations");
	if (pv_count(v) == 0)
		return req_error(r, E_INTERNAL,
		    "no destinations specified. Value must be a JSON array");
	*nums = arena_alloc(r->arena, pv_count(v) * sizeof(**nums));
	for (e = v->u.arr->head; e != NULL; e = e->next) {
		num = e->val.type == PV_ARR ? pv_getz(&e->val, "number") : NULL;
		if (num == NULL || (num->type != PV_STR && num->type != PV_INT))
			return req_error(r, E_BADREQ, "invalid destinations");
		s = pv_to_str(r->arena, num, &len);
		if (fpx_v_target(s, len) != 0)
			return req_error(r, E_BADREQ, "invalid destinations");
		(*nums)[i++] = s;
	}
	*n = i;
	return E_OK;
}

/* One v_ring_group_destinations row per number, children of row 0. */
static void
rg_dest_rows(struct req *r, struct fpx_row *rows, const char **nums, size_t n,
    const char *rg_uuid, const char *dom)
{
	const char **v;
	char *uuid;
	size_t i;

	for (i = 0; i < n; i++) {
		v = arena_zalloc(r->arena, 8 * sizeof(*v));
		uuid = arena_alloc(r->arena, FPX_UUID_LEN + 1);
		fpx_uuid_new(uuid);
		v[0] = rg_uuid, v[1] = uuid, v[2] = nums[i], v[3] = "0";
		v[4] = "30", v[6] = "true", v[7] = dom;
		rows[i].t = &fpx_t_rgd;
		rows[i].vals = v;
		rows[i].parent = 0;
	}
}

static enum err
ringgroup_create(struct req *r, struct reply *rp)
{
	const char *dom = fpx_arg(r, 0), *name = trimmed(r, fpx_arg(r, 1));
	const char *ext = fpx_arg(r, 2), *strategy = fpx_arg(r, 4), *dname;
	char rg_uuid[FPX_UUID_LEN + 1], dp_uuid[FPX_UUID_LEN + 1];
	const char *gv[24] = { NULL }, *pv[11] = { NULL }, **nums = NULL,
		   *dup[2];
	struct fpx_row *rows;
	size_t n = 0;
	enum err e;

	if ((e = fpx_target_domain(r, dom, E_INTERNAL, &dname)) != E_OK)
		return e;
	if ((e = rg_numbers(r, r->args[3].v, &nums, &n)) != E_OK)
		return e;
	fpx_uuid_new(rg_uuid);
	fpx_uuid_new(dp_uuid);
	rows = arena_zalloc(r->arena, (n + 2) * sizeof(*rows));
	rows[0] = (struct fpx_row){ &fpx_t_rg, gv, -1 };
	rg_dest_rows(r, rows + 1, nums, n, rg_uuid, dom);
	rows[n + 1] = (struct fpx_row){ &fpx_t_dp, pv, -1 };
	gv[0] = rg_uuid, gv[1] = dom, gv[2] = name, gv[3] = ext;
	gv[5] = strategy, gv[6] = "30", gv[10] = "${us-ring}";
	gv[15] = "false", gv[18] = dname, gv[19] = "true", gv[21] = dp_uuid;
	pv[0] = FPX_APP_RING_GROUPS, pv[1] = dp_uuid, pv[2] = dom;
	pv[3] = name, pv[4] = ext, pv[5] = dname, pv[6] = "false";
	pv[7] = "101", pv[8] = "true";
	pv[10] = ring_group_xml(r, name, dp_uuid, ext, rg_uuid);
	dup[0] = ext;
	dup[1] = dom;
	e = create(r,
	    arena_printf(r->arena, "fpx:ring_group:%s:%s", canon(r, dom), ext),
	    &st_rg_exists, dup, E_INTERNAL, "ring group already exists", rows,
	    n + 2, "ring group");
	if (e != E_OK)
		return e;
	cache_delete(r, arena_printf(r->arena, "dialplan:%s", dname));
	return answer_row(r, rp, &st_rg_row, rg_uuid, "ring group");
}

static const struct param p_ext_create[] = {
	{ .name = "domain_uuid", .src = SRC_BODY, .flags = P_REQUIRED },
	{ .name = "extension",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_exten },
	{ .name = "caller_id_name",
	    .src = SRC_BODY,
	    .maxlen = 255,
	    .valid = fpx_v_text },
	{ .name = "caller_id_number", .src = SRC_BODY, .valid = fpx_v_target },
};
static const struct param p_dest_create[] = {
	{ .name = "domain_uuid", .src = SRC_BODY, .flags = P_REQUIRED },
	{ .name = "number",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_number },
	{ .name = "extension",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_target },
};
static const struct param p_rg_create[] = {
	{ .name = "domain_uuid", .src = SRC_BODY, .flags = P_REQUIRED },
	{ .name = "name",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .maxlen = 255,
	    .valid = fpx_v_text },
	{ .name = "extension",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_rgexten },
	{ .name = "destinations",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED | P_LIST },
	{ .name = "strategy",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_strategy },
};

static const struct cmd cmds[] = {
	{ .name = "extension-create",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(p_ext_create),
	    .target = "extension",
	    .run = extension_create },
	{ .name = "destination-create",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(p_dest_create),
	    .target = "number",
	    .run = destination_create },
	{ .name = "ringgroup-create",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(p_rg_create),
	    .target = "extension",
	    .run = ringgroup_create },
};

const struct family fusionpbx_create_family = {
	.name = "fusionpbx-create",
	CMDS(cmds),
};
