/*
 * The actions of the {"action": ...} dialect that only read
 * (fusionpbx.md §3.1-§3.3, §3.5, §3.9): domain-details, extension-list,
 * extension-details, destination-details and cdr-list.  The SQL is the
 * reference's, with its column order; extension-details is repaired.
 */
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "fusionpbx.h"
#include "json.h"
#include "pgsql.h"
#include "reply.h"
#include "req.h"

static const struct pg_stmt st_domain_uuid = { "fpx_domain_by_uuid",
	"SELECT * FROM v_domains WHERE domain_uuid = $1", 1 };
static const struct pg_stmt st_domain_name = { "fpx_domain_by_name",
	"SELECT * FROM v_domains WHERE domain_name = $1", 1 };
static const struct pg_stmt st_ext_list = { "fpx_extension_list",
	"SELECT extension_uuid, extension, emergency_caller_id_number "
	"FROM v_extensions WHERE v_extensions.domain_uuid = $1",
	1 };
/* The reference's column list; forward_caller_id_uuid left FusionPBX in
 * 5.0 and stays as a NULL so that the keys keep their order (§3.3). */
static const struct pg_stmt st_ext_details = { "fpx_extension_details",
	"SELECT v_extensions.extension_uuid, v_extensions.extension, "
	"v_extensions.number_alias, v_extensions.effective_caller_id_name, "
	"v_extensions.effective_caller_id_number, "
	"v_extensions.outbound_caller_id_name, "
	"v_extensions.outbound_caller_id_number, "
	"v_extensions.emergency_caller_id_name, "
	"v_extensions.emergency_caller_id_number, "
	"v_extensions.directory_first_name, "
	"v_extensions.directory_last_name, v_extensions.directory_visible, "
	"v_extensions.directory_exten_visible, v_extensions.limit_max, "
	"v_extensions.limit_destination, v_extensions.missed_call_app, "
	"v_extensions.missed_call_data, v_extensions.user_context, "
	"v_extensions.toll_allow, v_extensions.call_timeout, "
	"v_extensions.call_group, v_extensions.call_screen_enabled, "
	"v_extensions.user_record, v_extensions.hold_music, "
	"v_extensions.auth_acl, v_extensions.cidr, "
	"v_extensions.sip_force_contact, v_extensions.nibble_account, "
	"v_extensions.sip_force_expires, v_extensions.mwi_account, "
	"v_extensions.sip_bypass_media, v_extensions.unique_id, "
	"v_extensions.dial_string, v_extensions.dial_user, "
	"v_extensions.dial_domain, v_extensions.do_not_disturb, "
	"v_extensions.forward_all_destination, "
	"v_extensions.forward_all_enabled, "
	"v_extensions.forward_busy_destination, "
	"v_extensions.forward_busy_enabled, "
	"v_extensions.forward_no_answer_destination, "
	"v_extensions.forward_no_answer_enabled, "
	"v_extensions.forward_user_not_registered_destination, "
	"v_extensions.forward_user_not_registered_enabled, "
	"v_extensions.follow_me_uuid, v_extensions.enabled, "
	"v_extensions.description, NULL::uuid AS forward_caller_id_uuid, "
	"v_extensions.absolute_codec_string, v_extensions.force_ping, "
	"v_extensions.follow_me_enabled, "
	"v_extensions.follow_me_destinations, "
	"v_extensions.max_registrations, v_extensions.insert_date, "
	"v_extensions.insert_user, v_extensions.update_date, "
	"v_extensions.update_user FROM v_extensions "
	"WHERE domain_uuid = $1 AND extension_uuid = $2",
	2 };
static const struct pg_stmt st_destination = { "fpx_destination_details",
	"SELECT * FROM v_destinations WHERE destination_number = $1", 1 };
/* For a key limited to a domain: that domain's row first. */
static const struct pg_stmt st_destination_dom = { "fpx_destination_dom",
	"SELECT * FROM v_destinations WHERE destination_number = $1 "
	"ORDER BY domain_uuid::text = $2 DESC",
	2 };
static const struct pg_stmt st_cdr_list = { "fpx_cdr_list",
	"SELECT xml_cdr_uuid, extension_uuid, direction, start_stamp, "
	"end_stamp, hangup_cause, duration, missed_call, record_name, "
	"bridge_uuid, caller_id_name, caller_id_number, caller_destination, "
	"source_number, destination_number, leg FROM v_xml_cdr "
	"WHERE domain_uuid = $1 ORDER BY end_stamp DESC LIMIT 100",
	1 };

/* Writes all rows as a list of objects. */
static enum err
rows(struct reply *rp, const struct pg_res *res)
{
	struct jw *w = fpx_json(rp, 200);
	size_t i;

	jw_arr_open(w);
	for (i = 0; i < pg_nrows(res); i++)
		pg_write_row(w, res, i);
	jw_arr_close(w);
	return E_OK;
}

/* Runs a one-parameter list query of domain_uuid (argument 0). */
static enum err
domain_list(struct req *r, struct reply *rp, const struct pg_stmt *st)
{
	const char *vals[1] = { fpx_arg(r, 0) };
	struct pg_res *res;
	enum err e;

	if ((e = fpx_domain_allowed(r, vals[0])) != E_OK)
		return e;
	e = fpx_db(r, st, vals, &res);
	if (e == E_BADREQ)
		return fpx_false(rp); /* the reference's failed select */
	if (e != E_OK)
		return e;
	return rows(rp, res);
}

/* A scoped key sees only its own domain, whatever the lookup found. */
static enum err
row_domain_allowed(struct req *r, const struct pg_res *res)
{
	size_t col;

	if (fpx_key_domain(r) == NULL)
		return E_OK;
	for (col = 0; col < pg_ncols(res); col++)
		if (strcmp(pg_name(res, col), "domain_uuid") == 0)
			break;
	if (pg_nrows(res) == 0 || col == pg_ncols(res) ||
	    pg_isnull(res, 0, col))
		return fpx_domain_allowed(r, NULL);
	return fpx_domain_allowed(r, pg_value(res, 0, col));
}

static enum err
domain_details(struct req *r, struct reply *rp)
{
	const char *vals[1];
	struct pg_res *res;
	enum err e;
	int by_uuid = fpx_truthy(r, 0);

	if (!by_uuid && !fpx_truthy(r, 1))
		return req_error(r, E_BADREQ,
		    "missing required parameter domain_uuid or domain_name");
	vals[0] = fpx_arg(r, by_uuid ? 0 : 1);
	if (by_uuid && (e = fpx_domain_allowed(r, vals[0])) != E_OK)
		return e;
	e = fpx_db(r, by_uuid ? &st_domain_uuid : &st_domain_name, vals, &res);
	if (e != E_OK && e != E_BADREQ)
		return e;
	if (e == E_OK && (e = row_domain_allowed(r, res)) != E_OK)
		return e;
	if (e == E_BADREQ || pg_nrows(res) == 0)
		return req_error(r, E_NOTFOUND, "domain not found");
	pg_write_row(fpx_json(rp, 200), res, 0);
	return E_OK;
}

static enum err
extension_list(struct req *r, struct reply *rp)
{
	return domain_list(r, rp, &st_ext_list);
}

static enum err
extension_details(struct req *r, struct reply *rp)
{
	const char *vals[2] = { fpx_arg(r, 0), fpx_arg(r, 1) };
	struct pg_res *res;
	enum err e;

	if ((e = fpx_domain_allowed(r, vals[0])) != E_OK)
		return e;
	e = fpx_db(r, &st_ext_details, vals, &res);
	if (e != E_OK && e != E_BADREQ)
		return e;
	if (e == E_BADREQ || pg_nrows(res) == 0)
		return req_error(r, E_NOTFOUND, "extension not found");
	pg_write_row(fpx_json(rp, 200), res, 0);
	return E_OK;
}

/* The row, with destination_actions json_decode()d when truthy. */
static void
destination_row(struct jw *w, const struct pg_res *res)
{
	struct buf b;
	size_t col;

	jw_obj_open(w);
	for (col = 0; col < pg_ncols(res); col++) {
		jw_keyz(w, pg_name(res, col));
		if (strcmp(pg_name(res, col), "destination_actions") != 0 ||
		    pg_isnull(res, 0, col)) {
			pg_write_value(w, res, 0, col);
			continue;
		}
		buf_init(&b, 2 * pg_len(res, 0, col) + 64);
		if (fpx_json_php(
			&b, pg_value(res, 0, col), pg_len(res, 0, col)) == 1)
			jw_number(w, b.data, b.len); /* already JSON */
		else
			pg_write_value(w, res, 0, col);
		buf_free(&b);
	}
	jw_obj_close(w);
}

static enum err
destination_details(struct req *r, struct reply *rp)
{
	const char *vals[2] = { fpx_arg(r, 0), fpx_key_domain(r) };
	struct pg_res *res;
	enum err e;

	/*
	 * The same number may be routed in several domains: a key limited to
	 * one sees its own domain's row (the reference, without limits, took
	 * the first row).
	 */
	e = fpx_db(r, vals[1] != NULL ? &st_destination_dom : &st_destination,
	    vals, &res);
	if (e != E_OK && e != E_BADREQ)
		return e;
	if (e == E_BADREQ || pg_nrows(res) == 0)
		return req_error(r, E_NOTFOUND, "no such destination");
	if ((e = row_domain_allowed(r, res)) != E_OK)
		return e;
	destination_row(fpx_json(rp, 200), res);
	return E_OK;
}

static enum err
cdr_list(struct req *r, struct reply *rp)
{
	return domain_list(r, rp, &st_cdr_list);
}

static const struct param p_domain_details[] = {
	{ .name = "domain_uuid", .src = SRC_BODY },
	{ .name = "domain_name", .src = SRC_BODY },
};
static const struct param p_domain[] = {
	{ .name = "domain_uuid", .src = SRC_BODY, .flags = P_REQUIRED },
};
/* extension-details takes the README's extension_uuid too. */
static const struct param p_ext_details[] = {
	{ .name = "domain_uuid", .src = SRC_BODY, .flags = P_REQUIRED },
	{ .name = "extension",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .alias = "extension_uuid" },
};
static const struct param p_number[] = {
	{ .name = "number", .src = SRC_BODY, .flags = P_REQUIRED },
};

static const struct cmd cmds[] = {
	{ .name = "domain-details",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(p_domain_details),
	    .run = domain_details },
	{ .name = "extension-list",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(p_domain),
	    .run = extension_list },
	{ .name = "extension-details",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(p_ext_details),
	    .run = extension_details },
	{ .name = "destination-details",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(p_number),
	    .run = destination_details },
	{ .name = "cdr-list",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(p_domain),
	    .run = cdr_list },
};

const struct family fusionpbx_read_family = {
	.name = "fusionpbx-read",
	CMDS(cmds),
};
