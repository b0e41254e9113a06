/*
 * FusionPBX's database::save() for the create actions (fusionpbx.md
 * §3.4, §3.6, §3.7): the same rows in the same tables, in one real
 * transaction (rolled back on any error, where the reference would
 * answer 200 false), with the v_database_transactions audit row that
 * FusionPBX's UI lists.  The audit row's transaction_new holds the rows
 * as the reference's pretty-printed JSON, secrets redacted (§12); its
 * transaction_result holds the outcome only, not the SQL.
 *
 * Every INSERT names all the columns the reference writes, each from a
 * bound parameter: the same value arrays fill the statement and the
 * audit JSON.
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "fusionpbx.h"
#include "json.h"
#include "pgsql.h"
#include "req.h"
#include "util.h"

#define TXLOG_MAX (1024 * 1024) /* transaction_new of one create */

/* v_extensions: 38 columns, then insert_date and insert_user. */
static const char *const ext_cols[] = { "domain_uuid", "extension_uuid",
	"extension", "password", "accountcode", "effective_caller_id_name",
	"effective_caller_id_number", "outbound_caller_id_name",
	"outbound_caller_id_number", "emergency_caller_id_name",
	"emergency_caller_id_number", "directory_first_name",
	"directory_last_name", "directory_visible", "directory_exten_visible",
	"max_registrations", "limit_max", "limit_destination", "user_context",
	"missed_call_app", "missed_call_data", "toll_allow", "call_timeout",
	"call_group", "call_screen_enabled", "user_record", "hold_music",
	"auth_acl", "cidr", "sip_force_contact", "sip_force_expires",
	"mwi_account", "sip_bypass_media", "absolute_codec_string",
	"force_ping", "dial_string", "enabled", "description" };
static const struct pg_stmt ext_insert = { "fpx_insert_extensions",
	"INSERT INTO v_extensions (domain_uuid, extension_uuid, "
	"extension, password, accountcode, "
	"effective_caller_id_name, effective_caller_id_number, "
	"outbound_caller_id_name, outbound_caller_id_number, "
	"emergency_caller_id_name, emergency_caller_id_number, "
	"directory_first_name, directory_last_name, "
	"directory_visible, directory_exten_visible, "
	"max_registrations, limit_max, limit_destination, "
	"user_context, missed_call_app, missed_call_data, "
	"toll_allow, call_timeout, call_group, call_screen_enabled, "
	"user_record, hold_music, auth_acl, cidr, "
	"sip_force_contact, sip_force_expires, mwi_account, "
	"sip_bypass_media, absolute_codec_string, force_ping, "
	"dial_string, enabled, description, insert_date, "
	"insert_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
	"$10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, "
	"$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, "
	"$32, $33, $34, $35, $36, $37, $38, now(), NULL)",
	38 };
const struct fpx_table fpx_t_ext = { "extensions", ext_cols, nitems(ext_cols),
	&ext_insert };

/* v_voicemails: 11 columns, then insert_date and insert_user. */
static const char *const vm_cols[] = { "domain_uuid", "voicemail_uuid",
	"voicemail_id", "voicemail_password", "voicemail_mail_to",
	"voicemail_file", "voicemail_local_after_email",
	"voicemail_transcription_enabled", "voicemail_tutorial",
	"voicemail_enabled", "voicemail_description" };
static const struct pg_stmt vm_insert = { "fpx_insert_voicemails",
	"INSERT INTO v_voicemails (domain_uuid, voicemail_uuid, "
	"voicemail_id, voicemail_password, voicemail_mail_to, "
	"voicemail_file, voicemail_local_after_email, "
	"voicemail_transcription_enabled, voicemail_tutorial, "
	"voicemail_enabled, voicemail_description, insert_date, "
	"insert_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now(), NULL)",
	11 };
const struct fpx_table fpx_t_vm = { "voicemails", vm_cols, nitems(vm_cols),
	&vm_insert };

/* v_destinations: 27 columns, then insert_date and insert_user. */
static const char *const dest_cols[] = { "dialplan_uuid", "domain_uuid",
	"destination_uuid", "fax_uuid", "user_uuid", "group_uuid",
	"destination_type", "destination_number", "destination_number_regex",
	"destination_prefix", "destination_caller_id_name",
	"destination_caller_id_number", "destination_cid_name_prefix",
	"destination_context", "destination_hold_music",
	"destination_distinctive_ring", "destination_record",
	"destination_accountcode", "destination_type_voice",
	"destination_type_fax", "destination_type_text",
	"destination_type_emergency", "destination_conditions",
	"destination_actions", "destination_order", "destination_enabled",
	"destination_description" };
static const struct pg_stmt dest_insert = { "fpx_insert_destinations",
	"INSERT INTO v_destinations (dialplan_uuid, domain_uuid, "
	"destination_uuid, fax_uuid, user_uuid, group_uuid, "
	"destination_type, destination_number, "
	"destination_number_regex, destination_prefix, "
	"destination_caller_id_name, destination_caller_id_number, "
	"destination_cid_name_prefix, destination_context, "
	"destination_hold_music, destination_distinctive_ring, "
	"destination_record, destination_accountcode, "
	"destination_type_voice, destination_type_fax, "
	"destination_type_text, destination_type_emergency, "
	"destination_conditions, destination_actions, "
	"destination_order, destination_enabled, "
	"destination_description, insert_date, insert_user) VALUES "
	"($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
	"$14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, "
	"$25, $26, $27, now(), NULL)",
	27 };
const struct fpx_table fpx_t_dest = { "destinations", dest_cols,
	nitems(dest_cols), &dest_insert };

/* v_dialplans: 11 columns, then insert_date and insert_user. */
static const char *const dp_cols[] = { "app_uuid", "dialplan_uuid",
	"domain_uuid", "dialplan_name", "dialplan_number", "dialplan_context",
	"dialplan_continue", "dialplan_order", "dialplan_enabled",
	"dialplan_description", "dialplan_xml" };
static const struct pg_stmt dp_insert = { "fpx_insert_dialplans",
	"INSERT INTO v_dialplans (app_uuid, dialplan_uuid, "
	"domain_uuid, dialplan_name, dialplan_number, "
	"dialplan_context, dialplan_continue, dialplan_order, "
	"dialplan_enabled, dialplan_description, dialplan_xml, "
	"insert_date, insert_user) VALUES ($1, $2, $3, $4, $5, $6, "
	"$7, $8, $9, $10, $11, now(), NULL)",
	11 };
const struct fpx_table fpx_t_dp = { "dialplans", dp_cols, nitems(dp_cols),
	&dp_insert };

/* v_dialplan_details: 7 columns, then insert_date and insert_user. */
static const char *const dpd_cols[] = { "domain_uuid", "dialplan_uuid",
	"dialplan_detail_uuid", "dialplan_detail_tag", "dialplan_detail_type",
	"dialplan_detail_data", "dialplan_detail_order" };
static const struct pg_stmt dpd_insert = { "fpx_insert_dialplan_details",
	"INSERT INTO v_dialplan_details (domain_uuid, "
	"dialplan_uuid, dialplan_detail_uuid, dialplan_detail_tag, "
	"dialplan_detail_type, dialplan_detail_data, "
	"dialplan_detail_order, insert_date, insert_user) VALUES "
	"($1, $2, $3, $4, $5, $6, $7, now(), NULL)",
	7 };
const struct fpx_table fpx_t_dpd = { "dialplan_details", dpd_cols,
	nitems(dpd_cols), &dpd_insert };

/* v_ring_groups: 24 columns, then insert_date and insert_user. */
static const char *const rg_cols[] = { "ring_group_uuid", "domain_uuid",
	"ring_group_name", "ring_group_extension", "ring_group_greeting",
	"ring_group_strategy", "ring_group_call_timeout",
	"ring_group_caller_id_name", "ring_group_caller_id_number",
	"ring_group_distinctive_ring", "ring_group_ringback",
	"ring_group_call_forward_enabled", "ring_group_follow_me_enabled",
	"ring_group_missed_call_app", "ring_group_missed_call_data",
	"ring_group_forward_enabled", "ring_group_forward_destination",
	"ring_group_forward_toll_allow", "ring_group_context",
	"ring_group_enabled", "ring_group_description", "dialplan_uuid",
	"ring_group_timeout_app", "ring_group_timeout_data" };
static const struct pg_stmt rg_insert = { "fpx_insert_ring_groups",
	"INSERT INTO v_ring_groups (ring_group_uuid, domain_uuid, "
	"ring_group_name, ring_group_extension, "
	"ring_group_greeting, ring_group_strategy, "
	"ring_group_call_timeout, ring_group_caller_id_name, "
	"ring_group_caller_id_number, ring_group_distinctive_ring, "
	"ring_group_ringback, ring_group_call_forward_enabled, "
	"ring_group_follow_me_enabled, ring_group_missed_call_app, "
	"ring_group_missed_call_data, ring_group_forward_enabled, "
	"ring_group_forward_destination, "
	"ring_group_forward_toll_allow, ring_group_context, "
	"ring_group_enabled, ring_group_description, dialplan_uuid, "
	"ring_group_timeout_app, ring_group_timeout_data, "
	"insert_date, insert_user) VALUES ($1, $2, $3, $4, $5, $6, "
	"$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
	"$19, $20, $21, $22, $23, $24, now(), NULL)",
	24 };
const struct fpx_table fpx_t_rg = { "ring_groups", rg_cols, nitems(rg_cols),
	&rg_insert };

/* v_ring_group_destinations: 8 columns, then insert_date and insert_user. */
static const char *const rgd_cols[] = { "ring_group_uuid",
	"ring_group_destination_uuid", "destination_number",
	"destination_delay", "destination_timeout", "destination_prompt",
	"destination_enabled", "domain_uuid" };
static const struct pg_stmt rgd_insert = { "fpx_insert_ring_group_destinations",
	"INSERT INTO v_ring_group_destinations (ring_group_uuid, "
	"ring_group_destination_uuid, destination_number, "
	"destination_delay, destination_timeout, "
	"destination_prompt, destination_enabled, domain_uuid, "
	"insert_date, insert_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), NULL)",
	8 };
const struct fpx_table fpx_t_rgd = { "ring_group_destinations", rgd_cols,
	nitems(rgd_cols), &rgd_insert };
static const struct pg_stmt st_begin = { "fpx_begin", "BEGIN", 0 };
static const struct pg_stmt st_commit = { "fpx_commit", "COMMIT", 0 };
static const struct pg_stmt st_rollback = { "fpx_rollback", "ROLLBACK", 0 };
/* Serialises concurrent creates of the same thing (the reference's
 * check-then-insert races without it). */
static const struct pg_stmt st_lock = { "fpx_lock",
	"SELECT pg_advisory_xact_lock(hashtext($1))", 1 };
static const struct pg_stmt st_txlog = { "fpx_insert_transaction",
	"INSERT INTO v_database_transactions (database_transaction_uuid, "
	"app_uuid, app_name, transaction_code, transaction_address, "
	"transaction_type, transaction_date, transaction_old, "
	"transaction_new, transaction_result) VALUES ($1, $2, $3, '200', "
	"$4, 'add', now(), NULL, $5, $6)",
	6 };

enum err
fpx_tx_begin(struct req *r, const char *lock)
{
	const char *vals[1] = { lock };
	struct pg_res *res;
	enum err e;

	if ((e = fpx_db(r, &st_begin, NULL, &res)) != E_OK)
		return e;
	if ((e = fpx_db(r, &st_lock, vals, &res)) == E_BADREQ)
		fpx_tx_abort(r);
	return e;
}

enum err
fpx_tx_commit(struct req *r)
{
	struct pg_res *res;
	enum err e;

	if ((e = fpx_db(r, &st_commit, NULL, &res)) == E_BADREQ)
		fpx_tx_abort(r);
	return e;
}

void
fpx_tx_abort(struct req *r)
{
	struct pg_res *res;
	char keep[LIM_ERRMSG];
	size_t len = r->errlen;

	memcpy(keep, r->errmsg, sizeof(keep));
	(void)fpx_db(r, &st_rollback, NULL, &res);
	memcpy(r->errmsg, keep, sizeof(keep));
	r->errlen = len;
}

/* Is col a secret the audit row must not hold in clear? */
static int
secret(const char *col)
{
	return strcmp(col, "password") == 0 ||
	    strcmp(col, "voicemail_password") == 0;
}

static void children_json(
    struct jw *w, const struct fpx_row *rows, size_t n, int parent);

/* Writes row i (and its children) as an object. */
static void
row_json(struct jw *w, const struct fpx_row *rows, size_t n, size_t i)
{
	const struct fpx_table *t = rows[i].t;
	size_t c;

	jw_obj_open(w);
	for (c = 0; c < t->ncols; c++) {
		jw_keyz(w, t->cols[c]);
		if (rows[i].vals[c] == NULL)
			jw_strz(w, "");
		else
			jw_strz(w,
			    secret(t->cols[c]) ? "********" : rows[i].vals[c]);
	}
	children_json(w, rows, n, (int)i);
	jw_obj_close(w);
}

/*
 * "<table>":[rows...] for the rows whose parent is parent (-1: the top
 * level), one array per run of rows of the same table, in order.
 */
static void
children_json(struct jw *w, const struct fpx_row *rows, size_t n, int parent)
{
	const struct fpx_table *t = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (rows[i].parent != parent)
			continue;
		if (rows[i].t != t) {
			if (t != NULL)
				jw_arr_close(w);
			t = rows[i].t;
			jw_keyz(w, t->name);
			jw_arr_open(w);
		}
		row_json(w, rows, n, i);
	}
	if (t != NULL)
		jw_arr_close(w);
}

/* {"<table>":[rows...],...} of the top-level rows, in order. */
static void
rows_json(struct jw *w, const struct fpx_row *rows, size_t n)
{
	jw_obj_open(w);
	children_json(w, rows, n, -1);
	jw_obj_close(w);
}

static void
indent(struct buf *out, int depth)
{
	buf_addc(out, '\n');
	while (depth-- > 0)
		buf_adds(out, "    ");
}

void
fpx_json_pretty(struct buf *out, const char *s, size_t n)
{
	int depth = 0, instr = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (instr) {
			buf_addc(out, s[i]);
			if (s[i] == '\\' && i + 1 < n)
				buf_addc(out, s[++i]);
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '{':
		case '[':
			buf_addc(out, s[i]);
			if (i + 1 < n && (s[i + 1] == '}' || s[i + 1] == ']'))
				buf_addc(out, s[++i]);
			else
				indent(out, ++depth);
			break;
		case '}':
		case ']':
			indent(out, --depth);
			buf_addc(out, s[i]);
			break;
		case ',':
			buf_addc(out, ',');
			indent(out, depth);
			break;
		case ':':
			buf_adds(out, ": ");
			break;
		default:
			if (s[i] == '"')
				instr = 1;
			buf_addc(out, s[i]);
			break;
		}
	}
}

/* The audit row of FusionPBX's save(), written inside the transaction. */
static enum err
txlog(struct req *r, const struct fpx_row *rows, size_t n)
{
	char uuid[FPX_UUID_LEN + 1];
	const char *vals[6], *addr = req_param(r, "REMOTE_ADDR");
	struct buf compact, pretty;
	struct pg_res *res;
	struct jw w;
	size_t i, last = 0;
	enum err e;

	for (i = 0; i < n; i++)
		if (rows[i].parent < 0)
			last = i;
	buf_init(&compact, TXLOG_MAX);
	buf_init(&pretty, 2 * TXLOG_MAX);
	jw_init(&w, &compact, JW_PHP);
	rows_json(&w, rows, n);
	fpx_json_pretty(&pretty, compact.data, compact.len);
	fpx_uuid_new(uuid);
	vals[0] = uuid;
	vals[1] = FPX_APP_REST_API;
	vals[2] = rows[last].t->name; /* the last table, as save() leaves it */
	vals[3] = addr != NULL ? addr : "";
	vals[4] =
	    arena_strndup(r->arena, pretty.data ? pretty.data : "", pretty.len);
	vals[5] = "{\n    \"message\": \"OK\",\n    \"code\": \"200\"\n}";
	e = compact.overflow || pretty.overflow || w.failed
	    ? E_BADREQ
	    : fpx_db(r, &st_txlog, vals, &res);
	buf_free(&compact);
	buf_free(&pretty);
	return e;
}

enum err
fpx_tx_save(struct req *r, const struct fpx_row *rows, size_t n)
{
	struct pg_res *res;
	enum err e;
	size_t i;

	for (i = 0; i < n; i++)
		if ((e = fpx_db(r, rows[i].t->insert, rows[i].vals, &res)) !=
		    E_OK)
			return e;
	return txlog(r, rows, n);
}
