/*
 * The follow-me commands (elastix-api.md §5.16-§5.20): the findmefollow
 * row of an extension in the `asterisk` database and its
 * AMPUSER/<grpnum>/followme/<name> keys in the Asterisk database, then
 * the reloads.
 *
 * The reference wrote the Asterisk database with seven
 * `asterisk -rx "database put ..."` shell commands (remote shell
 * execution, N-1) whose keys carried literal quotes (N-2), before it
 * even knew whether the row existed (N-3), and validated nothing (N-4).
 * Here: the input is checked (grpnum 1-20 digits, grptime 1-60, pre_ring
 * 0-60, the ids within int, every text within its column), the row is
 * looked up first, the database row is written, then the keys go through
 * AMI DBPut/DBDelTree (family AMPUSER, key <grpnum>/followme/<name>,
 * fixedcid a valid empty value), then retrieve_conf and the reload.  Like
 * the reference's ignored shell commands, a failed AMI write is logged
 * and does not fail the command.  Reads stay as lenient as the
 * reference's (any grpnum, bound).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ami.h"
#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "log.h"
#include "asterisk.h"
#include "mysql.h"
#include "reload.h"
#include "reply.h"
#include "req.h"

#define GRPNUM_MAX 20 /* findmefollow.grpnum: varchar(20) */

/* The arguments, in the column order of findmefollow. */
enum {
	A_GRPNUM,
	A_STRATEGY,
	A_GRPTIME,
	A_GRPPRE,
	A_GRPLIST,
	A_ANNMSG,
	A_POSTDEST,
	A_DRING,
	A_REMOTEALERT,
	A_NEEDSCONF,
	A_TOOLATE,
	A_PRERING,
	A_RINGING,
	A__MAX
};

/*
 * Limits per argument: characters of a text column, or the range of an
 * integer one (grptime and pre_ring as documented: at most 60 seconds).
 */
static const struct {
	size_t chars; /* 0: an integer */
	int64_t min, max;
} fm_limits[A__MAX] = {
	[A_GRPNUM] = { GRPNUM_MAX, 0, 0 },
	[A_STRATEGY] = { 50, 0, 0 },
	[A_GRPTIME] = { 0, 1, 60 },
	[A_GRPPRE] = { 100, 0, 0 },
	[A_GRPLIST] = { 255, 0, 0 },
	[A_ANNMSG] = { 0, INT32_MIN, INT32_MAX },
	[A_POSTDEST] = { 255, 0, 0 },
	[A_DRING] = { 255, 0, 0 },
	[A_REMOTEALERT] = { 0, INT32_MIN, INT32_MAX },
	[A_NEEDSCONF] = { 10, 0, 0 },
	[A_TOOLATE] = { 0, INT32_MIN, INT32_MAX },
	[A_PRERING] = { 0, 0, 60 },
	[A_RINGING] = { 80, 0, 0 },
};

/* grpnum: present, 1-20 digits.  Returns E_OK or E_BADREQ. */
static enum err
check_grpnum(struct req *r)
{
	const struct arg *a = &r->args[A_GRPNUM];
	size_t i;

	if (!a->present || a->len == 0)
		return req_error(
		    r, E_BADREQ, "Missing required follow-me field: grpnum");
	for (i = 0; i < a->len; i++)
		if (a->s[i] < '0' || a->s[i] > '9')
			break;
	if (i < a->len || a->len > GRPNUM_MAX)
		return req_error(
		    r, E_BADREQ, "Invalid follow-me field: grpnum");
	return E_OK;
}

/* Every field of add and update against fm_limits. */
static enum err
check_fields(struct req *r)
{
	const struct arg *a;
	enum err e;
	size_t i;

	if ((e = check_grpnum(r)) != E_OK)
		return e;
	for (i = 1; i < A__MAX; i++) {
		a = &r->args[i];
		if (fm_limits[i].chars > 0 &&
		    sql_chars(a->s, a->len) > fm_limits[i].chars)
			return req_error(r, E_BADREQ,
			    "Follow-me field too long: %s",
			    r->cmd->params[i].name);
		if (fm_limits[i].chars == 0 &&
		    (a->i < fm_limits[i].min || a->i > fm_limits[i].max))
			return req_error(r, E_BADREQ,
			    "Invalid follow-me field: %s (%" PRId64
			    " not within %" PRId64 "..%" PRId64 ")",
			    r->cmd->params[i].name, a->i, fm_limits[i].min,
			    fm_limits[i].max);
	}
	return E_OK;
}

/* Argument i as a bound value: integers as (int), texts as given. */
static struct sql_param
fm_param(const struct req *r, int i)
{
	const struct arg *a = &r->args[i];

	if (i != A_GRPNUM && fm_limits[i].chars == 0)
		return (struct sql_param){ .type = SQLP_INT, .i = a->i };
	return (struct sql_param){ .type = SQLP_STR, .s = a->s, .len = a->len };
}

/* AMI DBPut of AMPUSER/<grpnum>/followme/<name>.  Returns E_OK or why. */
static enum err
astdb_put(struct req *r, const char *name, const char *val, size_t vlen)
{
	const struct arg *g = &r->args[A_GRPNUM];
	char *key =
	    arena_printf(r->arena, "%.*s/followme/%s", (int)g->len, g->s, name);
	struct ami_kv kv[] = { { "Family", "AMPUSER", 7 },
		{ "Key", key, strlen(key) }, { "Val", val, vlen } };
	struct ami_reply rep;
	enum err e;
	const struct ami_action act = { .action = "DBPut", .kv = kv, .nkv = 3 };

	e = ast_ami(r, &act, &rep);
	if (e == E_OK &&
	    (rep.n == 0 || !ami_is(&rep.msg[0], "Response", "Success")))
		e = req_error(r, E_BACKEND, "DBPut %s refused", key);
	return e;
}

/*
 * The seven keys the reference's putAmpUser wrote, in its order, without
 * its quotes.  Stops at the first failure, which is logged and dropped
 * (the reference ignored its shell's failures too).
 */
static void
astdb_followme(struct req *r)
{
	const struct arg *a = r->args;
	char t[24], p[24];
	const struct {
		const char *name, *val;
		size_t len;
	} keys[] = {
		{ "changecid", "default", 7 },
		{ "ddial", "DIRECT", 6 },
		{ "fixedcid", "", 0 },
		{ "grpconf", "ENABLED", 7 },
		{ "grplist", a[A_GRPLIST].s, a[A_GRPLIST].len },
		{ "grptime", t,
		    (size_t)snprintf(
			t, sizeof(t), "%" PRId64, a[A_GRPTIME].i) },
		{ "prering", p,
		    (size_t)snprintf(
			p, sizeof(p), "%" PRId64, a[A_PRERING].i) },
	};
	size_t i;

	req_op(r, "ami DBPut");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (astdb_put(r, keys[i].name, keys[i].val, keys[i].len) !=
		    E_OK) {
			log_warnx("followme %.*s: AstDB not written: %s",
			    (int)a[A_GRPNUM].len, a[A_GRPNUM].s, r->errmsg);
			break;
		}
	}
	req_error(r, E_OK, "%s", "");
}

/* AMI DBDelTree of AMPUSER/<grpnum>/followme; failures as above. */
static void
astdb_followme_delete(struct req *r)
{
	const struct arg *g = &r->args[A_GRPNUM];
	char *key = arena_printf(r->arena, "%.*s/followme", (int)g->len, g->s);
	struct ami_kv kv[] = { { "Family", "AMPUSER", 7 },
		{ "Key", key, strlen(key) } };
	struct ami_reply rep;
	const struct ami_action act = {
		.action = "DBDelTree", .kv = kv, .nkv = 2
	};

	req_op(r, "ami DBDelTree");
	if (ast_ami(r, &act, &rep) != E_OK)
		log_warnx("followme %s: AstDB not deleted: %s", key, r->errmsg);
	else if (rep.n > 0 && !ami_is(&rep.msg[0], "Response", "Success"))
		log_info("followme %s: DBDelTree refused", key);
	req_error(r, E_OK, "%s", "");
}

/* Sets *found if the findmefollow row of grpnum exists. */
static enum err
fm_exists(struct req *r, int *found)
{
	struct sql_param p = fm_param(r, A_GRPNUM);
	struct sql_stmt st = {
		.text =
		    "SELECT grpnum FROM findmefollow WHERE grpnum = ? LIMIT 1",
		.params = &p,
		.nparams = 1
	};

	return ast_sql_exists(r, AST_DB, &st, found);
}

/* Runs text with the arguments as parameters, in the order of idx. */
static enum err
fm_run(struct req *r, const char *text, const int *idx, size_t n)
{
	struct sql_param p[A__MAX];
	struct sql_stmt st = { .text = text, .params = p, .nparams = n };
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = fm_param(r, idx[i]);
	return ast_sql_exec(r, AST_DB, &st, NULL);
}

/* Connects, then checks the input (the reference connected first). */
static enum err
fm_open(struct req *r, int full)
{
	enum err e;

	if ((e = ast_sql_open(r, AST_DB)) != E_OK)
		return e;
	return full ? check_fields(r) : check_grpnum(r);
}

static void
fm_reload(struct req *r)
{
	pbx_reload(r, RELOAD_RETRIEVE_CONF);
	pbx_reload(r, RELOAD_MODULE_ADMIN);
}

static enum err
addfollowmeextension(struct req *r, struct reply *rp)
{
	static const int cols[] = { A_GRPNUM, A_STRATEGY, A_GRPTIME, A_GRPPRE,
		A_GRPLIST, A_ANNMSG, A_POSTDEST, A_DRING, A_REMOTEALERT,
		A_NEEDSCONF, A_TOOLATE, A_PRERING, A_RINGING };
	int found;
	enum err e;

	if ((e = fm_open(r, 1)) != E_OK || (e = fm_exists(r, &found)) != E_OK)
		return e;
	if (found)
		return elastix_status(r, rp, "ALREADY EXISTS");
	e = fm_run(r,
	    "INSERT INTO findmefollow (grpnum, strategy, grptime, grppre, "
	    "grplist, annmsg_id, postdest, dring, remotealert_id, needsconf, "
	    "toolate_id, pre_ring, ringing) VALUES "
	    "(?,?,?,?,?,?,?,?,?,?,?,?,?)",
	    cols, A__MAX);
	if (e != E_OK)
		return e;
	astdb_followme(r);
	fm_reload(r);
	return elastix_status(r, rp, "INSERT OK");
}

/*
 * The reference answered UPDATE OK whether or not the row existed, and
 * wrote the keys and reloaded anyway.  The answer stays; without a row
 * nothing is written and nothing reloaded.
 */
static enum err
updatefollowmeextension(struct req *r, struct reply *rp)
{
	static const int cols[] = { A_STRATEGY, A_GRPTIME, A_GRPPRE, A_GRPLIST,
		A_ANNMSG, A_POSTDEST, A_DRING, A_REMOTEALERT, A_NEEDSCONF,
		A_TOOLATE, A_PRERING, A_RINGING, A_GRPNUM };
	int found;
	enum err e;

	if ((e = fm_open(r, 1)) != E_OK || (e = fm_exists(r, &found)) != E_OK)
		return e;
	if (!found)
		return elastix_status(r, rp, "UPDATE OK");
	e = fm_run(r,
	    "UPDATE findmefollow SET strategy=?, grptime=?, grppre=?, "
	    "grplist=?, annmsg_id=?, postdest=?, dring=?, remotealert_id=?, "
	    "needsconf=?, toolate_id=?, pre_ring=?, ringing=? WHERE grpnum=?",
	    cols, A__MAX);
	if (e != E_OK)
		return e;
	astdb_followme(r);
	fm_reload(r);
	return elastix_status(r, rp, "UPDATE OK");
}

static enum err
deletefollowmeextension(struct req *r, struct reply *rp)
{
	static const int cols[] = { A_GRPNUM };
	enum err e;

	if ((e = fm_open(r, 0)) != E_OK)
		return e;
	e = fm_run(r, "DELETE FROM findmefollow WHERE grpnum=?", cols, 1);
	if (e != E_OK)
		return e;
	astdb_followme_delete(r);
	fm_reload(r);
	return elastix_status(r, rp, "DELETE OK");
}

static enum err
getfollowmeextension(struct req *r, struct reply *rp)
{
	struct sql_param p = fm_param(r, A_GRPNUM);
	struct sql_stmt st = {
		.text = "SELECT * FROM findmefollow WHERE grpnum = ?",
		.params = &p,
		.nparams = 1
	};
	enum err e;

	if ((e = ast_sql_open(r, AST_DB)) != E_OK)
		return e;
	return ast_sql_json(r, AST_DB, &st, elastix_json(r, rp, 200));
}

static enum err
getallfollowmeextensions(struct req *r, struct reply *rp)
{
	struct sql_stmt st = { .text = "SELECT * FROM findmefollow" };
	enum err e;

	if ((e = ast_sql_open(r, AST_DB)) != E_OK)
		return e;
	return ast_sql_json(r, AST_DB, &st, elastix_json(r, rp, 200));
}

#define FM_STR(n, d, f)                                                   \
	{                                                                 \
		.name = n, .src = SRC_BODY, .type = PT_STR, .flags = (f), \
		.def = d                                                  \
	}
#define FM_INT(n, d)                                                 \
	{                                                            \
		.name = n, .src = SRC_BODY, .type = PT_INT, .def = d \
	}

/* The reference's defaults when a field is absent. */
static const struct param fm_params[A__MAX] = {
	[A_GRPNUM] = FM_STR("grpnum", "", 0),
	[A_STRATEGY] = FM_STR("strategy", "", P_UTF8),
	[A_GRPTIME] = FM_INT("grptime", "20"),
	[A_GRPPRE] = FM_STR("grppre", "", P_UTF8),
	[A_GRPLIST] = FM_STR("grplist", "", P_UTF8 | P_NOCTL),
	[A_ANNMSG] = FM_INT("annmsg_id", "0"),
	[A_POSTDEST] = FM_STR("postdest", "", P_UTF8),
	[A_DRING] = FM_STR("dring", "", P_UTF8),
	[A_REMOTEALERT] = FM_INT("remotealert_id", "0"),
	[A_NEEDSCONF] = FM_STR("needsconf", "", P_UTF8),
	[A_TOOLATE] = FM_INT("toolate_id", "0"),
	[A_PRERING] = FM_INT("pre_ring", "0"),
	[A_RINGING] = FM_STR("ringing", "Ring", P_UTF8),
};

/* delete and get take the group number only. */
static const struct param grpnum_params[] = {
	[A_GRPNUM] = FM_STR("grpnum", "", 0),
};

static const struct cmd cmds[] = {
	{ .name = "addfollowmeextension",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(fm_params),
	    .target = "grpnum",
	    .run = addfollowmeextension },
	{ .name = "updatefollowmeextension",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(fm_params),
	    .target = "grpnum",
	    .run = updatefollowmeextension },
	{ .name = "deletefollowmeextension",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    PARAMS(grpnum_params),
	    .target = "grpnum",
	    .run = deletefollowmeextension },
	{ .name = "getfollowmeextension",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    PARAMS(grpnum_params),
	    .run = getfollowmeextension },
	{ .name = "getallfollowmeextensions",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = getallfollowmeextensions },
};

const struct family followme_family = {
	.name = "followme",
	CMDS(cmds),
};
