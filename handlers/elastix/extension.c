/*
 * addextension, updateextension and deleteextension (elastix-api.md
 * §5.13-§5.15): the sip, users and devices rows of a chan_sip extension
 * in the FreePBX/Issabel `asterisk` database, then the reload.
 *
 * The reference's order, statements and answers are kept: the database
 * is connected before the input is checked (a database failure is a 503
 * even for bad input), the first missing field of account, name, secret,
 * context, type is the 400, an existing sip row is ALREADY EXISTS,
 * INSERT IGNORE for add and the upsert for update, fields not given fall
 * back to their defaults.  What is added: the account must be 1-20
 * digits and every value must fit its column (the reference truncated
 * silently, §12.7), values are bound parameters.
 */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "asterisk.h"
#include "mysql.h"
#include "reload.h"
#include "reply.h"
#include "req.h"

#define ACCOUNT_MAX 20	       /* sip.id, users.extension: varchar(20) */
#define NAME_MAX    50	       /* users.name: varchar(50) */
#define DIAL_MAX    255	       /* devices.dial: varchar(255) */
#define DATA_MAX    8100       /* sip.data: varchar(8100) */
#define NSIP	    26	       /* sip keywords taken from the body */
#define NROWS	    (NSIP + 1) /* + the "account" row */

/*
 * The arguments: account, name, then the NSIP sip keywords in flags order
 * (flags = index + 2), named as the body fields (ext_params below).
 */
enum { A_ACCOUNT, A_NAME, A_SIP };
#define A_SECRET  (A_SIP + 1)
#define A_CONTEXT (A_SIP + 4)
#define A_TYPE	  (A_SIP + 8)
#define A_DIAL	  (A_SIP + 19)

/* "account" must be 1-20 digits.  Returns E_OK or E_BADREQ. */
static enum err
check_account(struct req *r)
{
	const struct arg *a = &r->args[A_ACCOUNT];

	if (!a->present || a->len == 0)
		return req_error(
		    r, E_BADREQ, "Missing required extension field: account");
	if (a->len > ACCOUNT_MAX || v_digits(a->s, a->len) != 0)
		return req_error(
		    r, E_BADREQ, "Invalid extension field: account");
	return E_OK;
}

static enum err
too_long(struct req *r, int i, size_t max)
{
	const struct arg *a = &r->args[i];

	if (a->s != NULL && sql_chars(a->s, a->len) > max)
		return req_error(r, E_BADREQ, "Extension field too long: %s",
		    r->cmd->params[i].name);
	return E_OK;
}

/*
 * The reference's checks in its order (account, name, secret, context,
 * type present and not empty), then ours.
 */
static enum err
check_fields(struct req *r)
{
	static const int required[] = { A_NAME, A_SECRET, A_CONTEXT, A_TYPE };
	enum err e;
	size_t i;

	if ((e = check_account(r)) != E_OK)
		return e;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!r->args[required[i]].present ||
		    r->args[required[i]].len == 0)
			return req_error(r, E_BADREQ,
			    "Missing required extension field: %s",
			    r->cmd->params[required[i]].name);
	if ((e = too_long(r, A_NAME, NAME_MAX)) != E_OK ||
	    (e = too_long(r, A_DIAL, DIAL_MAX)) != E_OK)
		return e;
	for (i = 0; i < NSIP; i++)
		if ((e = too_long(r, A_SIP + (int)i, DATA_MAX)) != E_OK)
			return e;
	return E_OK;
}

static struct sql_param
arg_param(const struct arg *a)
{
	return (struct sql_param){ .type = SQLP_STR,
		.s = a->s ? a->s : "",
		.len = a->s ? a->len : 0 };
}

static struct sql_param
str_param(const char *s)
{
	return (struct sql_param){ .type = SQLP_STR, .s = s, .len = strlen(s) };
}

/* The VALUES of the NROWS sip rows: (id, keyword, data, flags) each. */
#define ROW	   "(?, ?, ?, ?)"
#define ROWS3	   ROW "," ROW "," ROW
#define ROWS9	   ROWS3 "," ROWS3 "," ROWS3
#define SIP_VALUES ROWS9 "," ROWS9 "," ROWS9

static const char sip_insert[] = "INSERT IGNORE INTO sip (id, keyword, "
				 "data, flags) VALUES " SIP_VALUES;
static const char sip_upsert[] =
    "INSERT INTO sip (id, keyword, data, flags) VALUES " SIP_VALUES
    " ON DUPLICATE KEY UPDATE id=VALUES(id), keyword=VALUES(keyword), "
    "data=VALUES(data), flags=VALUES(flags)";

/* Runs sip_insert or sip_upsert with the 4 * NROWS values. */
static enum err
sip_rows(struct req *r, const char *text)
{
	struct sql_param *p = arena_alloc(r->arena, 4 * NROWS * sizeof(*p));
	const struct arg *acct = &r->args[A_ACCOUNT];
	struct sql_stmt st = {
		.text = text, .params = p, .nparams = 4 * NROWS
	};
	size_t i;

	for (i = 0; i < NROWS; i++) {
		p[4 * i] = arg_param(acct);
		p[4 * i + 1] = str_param(
		    i < NSIP ? r->cmd->params[A_SIP + i].name : "account");
		p[4 * i + 2] = arg_param(i < NSIP ? &r->args[A_SIP + i] : acct);
		p[4 * i + 3] =
		    (struct sql_param){ .type = SQLP_INT, .i = (int64_t)i + 2 };
	}
	return ast_sql_exec(r, AST_DB, &st, NULL);
}

/* Runs text with the given parameters. */
static enum err
run(struct req *r, const char *text, const struct sql_param *p, size_t n)
{
	struct sql_stmt st = { .text = text, .params = p, .nparams = n };

	return ast_sql_exec(r, AST_DB, &st, NULL);
}

/* Sets *found if a sip row of the account exists. */
static enum err
sip_exists(struct req *r, int *found)
{
	struct sql_param p = arg_param(&r->args[A_ACCOUNT]);
	struct sql_stmt st = { .text =
				   "SELECT id FROM sip WHERE id = ? LIMIT 1",
		.params = &p,
		.nparams = 1 };

	return ast_sql_exists(r, AST_DB, &st, found);
}

static enum err
add_users_devices(struct req *r)
{
	struct sql_param acct = arg_param(&r->args[A_ACCOUNT]);
	struct sql_param u[] = { acct, arg_param(&r->args[A_NAME]), acct };
	struct sql_param d[] = { acct, arg_param(&r->args[A_DIAL]), acct,
		acct };
	enum err e;

	e = run(r,
	    "INSERT IGNORE INTO users (extension, password, name, voicemail, "
	    "ringtimer, noanswer, recording, outboundcid, sipname, mohclass, "
	    "noanswer_cid, busy_cid, chanunavail_cid, noanswer_dest, "
	    "busy_dest, chanunavail_dest) VALUES (?, '', ?, 'novm', 0, '', "
	    "'', '', ?, 'default', '', '', '', '', '', '')",
	    u, 3);
	if (e != E_OK)
		return e;
	return run(r,
	    "INSERT IGNORE INTO devices (id, tech, dial, devicetype, user, "
	    "description, emergency_cid) VALUES (?, 'sip', ?, 'fixed', ?, ?, '')",
	    d, 4);
}

static enum err
addextension(struct req *r, struct reply *rp)
{
	int found;
	enum err e;

	if ((e = ast_sql_open(r, AST_DB)) != E_OK)
		return e;
	if ((e = check_fields(r)) != E_OK)
		return e;
	if ((e = sip_exists(r, &found)) != E_OK)
		return e;
	if (found)
		return elastix_status(r, rp, "ALREADY EXISTS");
	if ((e = sip_rows(r, sip_insert)) != E_OK ||
	    (e = add_users_devices(r)) != E_OK)
		return e;
	pbx_reload(r, RELOAD_MODULE_ADMIN);
	return elastix_status(r, rp, "INSERT OK");
}

static enum err
updateextension(struct req *r, struct reply *rp)
{
	struct sql_param acct = arg_param(&r->args[A_ACCOUNT]);
	struct sql_param u[] = { acct, arg_param(&r->args[A_NAME]), acct,
		acct };
	enum err e;

	if ((e = ast_sql_open(r, AST_DB)) != E_OK)
		return e;
	if ((e = check_fields(r)) != E_OK)
		return e;
	if ((e = sip_rows(r, sip_upsert)) != E_OK)
		return e;
	e = run(r,
	    "UPDATE users SET extension=?, name=?, sipname=? WHERE extension=?",
	    u, 4);
	if (e != E_OK)
		return e;
	pbx_reload(r, RELOAD_MODULE_ADMIN);
	return elastix_status(r, rp, "UPDATE OK");
}

static enum err
deleteextension(struct req *r, struct reply *rp)
{
	struct sql_param acct = arg_param(&r->args[A_ACCOUNT]);
	enum err e;

	if ((e = ast_sql_open(r, AST_DB)) != E_OK)
		return e;
	if ((e = check_account(r)) != E_OK)
		return e;
	if ((e = run(r, "DELETE FROM sip WHERE id=?", &acct, 1)) != E_OK ||
	    (e = run(r, "DELETE FROM users WHERE extension=?", &acct, 1)) !=
		E_OK ||
	    (e = run(r, "DELETE FROM devices WHERE id=?", &acct, 1)) != E_OK)
		return e;
	pbx_reload(r, RELOAD_MODULE_ADMIN);
	return elastix_status(r, rp, "DELETE OK");
}

#define EXT_STR(n, d)                                                        \
	{                                                                    \
		.name = n, .src = SRC_BODY, .type = PT_STR, .flags = P_UTF8, \
		.def = d                                                     \
	}

/*
 * account, name, then the sip keywords in flags order with the
 * reference's defaults (NULL: required).
 */
static const struct param ext_params[] = {
	EXT_STR("account", NULL),
	EXT_STR("name", NULL),
	EXT_STR("deny", ""),
	EXT_STR("secret", NULL),
	EXT_STR("dtmfmode", "rfc2833"),
	EXT_STR("canreinvite", "no"),
	EXT_STR("context", NULL),
	EXT_STR("host", "dynamic"),
	EXT_STR("trustrpid", "yes"),
	EXT_STR("sendrpid", "no"),
	EXT_STR("type", NULL),
	EXT_STR("nat", "no"),
	EXT_STR("port", "5060"),
	EXT_STR("qualify", "yes"),
	EXT_STR("qualifyfreq", "60"),
	EXT_STR("transport", "udp"),
	EXT_STR("avpf", "no"),
	EXT_STR("icesupport", "no"),
	EXT_STR("encryption", "no"),
	EXT_STR("callgroup", ""),
	EXT_STR("pickupgroup", ""),
	EXT_STR("dial", ""),
	EXT_STR("mailbox", ""),
	EXT_STR("permit", "0.0.0.0/0.0.0.0"),
	EXT_STR("callerid", ""),
	EXT_STR("callcounter", "yes"),
	EXT_STR("faxdetect", "no"),
	EXT_STR("accountcode", ""),
};

static const struct param account_params[] = {
	EXT_STR("account", NULL),
};

static const struct cmd cmds[] = {
	{ .name = "addextension",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(ext_params),
	    .target = "account",
	    .run = addextension },
	{ .name = "updateextension",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(ext_params),
	    .target = "account",
	    .run = updateextension },
	{ .name = "deleteextension",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(account_params),
	    .target = "account",
	    .run = deleteextension },
};

const struct family extension_family = {
	.name = "extension",
	CMDS(cmds),
};
