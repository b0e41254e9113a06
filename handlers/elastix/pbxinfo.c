/*
 * Commands of the ?cmd= dialect answered from the PBX's own files: auth
 * (the AMI user and secret, elastix-api.md §5.1) and sipextensions (the
 * parsed pjsip.conf or sip_additional.conf, §5.3).
 */
#include <string.h>

#include "arena.h"
#include "asterisk.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "ini.h"
#include "json.h"
#include "pbx.h"
#include "pbxconf.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "str.h"

/* auth: {"lordword": base64(user ":" secret)}. */
static enum err
auth(struct req *r, struct reply *rp)
{
	const char *user, *secret, *pair;
	struct jw *w;

	req_op(r, "manager.conf");
	pbx_ami_credentials(r->arena, r->tenant, &user, &secret);
	pair = arena_printf(r->arena, "%s:%s", user, secret);
	w = elastix_json(r, rp, 200);
	jw_obj_open(w);
	jw_keyz(w, "lordword");
	jw_strz(w, base64(r->arena, pair, strlen(pair)));
	jw_obj_close(w);
	return E_OK;
}

/* One pjsip row into out[id][keyword] = data (PHP's assignment). */
static enum err
pjsip_row(
    void *ctx, const struct sql_col *cols, const struct sql_val *v, size_t n)
{
	struct req *r = ((void **)ctx)[0];
	struct pv *out = ((void **)ctx)[1], *sec;
	const char *id, *kw, *data;

	(void)cols;
	if (n < 3)
		return E_OK;
	id = arena_strndup(r->arena, v[0].s ? v[0].s : "", v[0].len);
	kw = arena_strndup(r->arena, v[1].s ? v[1].s : "", v[1].len);
	data = arena_strndup(r->arena, v[2].s ? v[2].s : "", v[2].len);
	sec = pv_get(out, id, v[0].len);
	if (sec == NULL || sec->type != PV_ARR)
		sec =
		    pv_set(r->arena, out, id, v[0].len, *pv_new_arr(r->arena));
	pv_set(r->arena, sec, kw, v[1].len, pv_str(data, v[2].len));
	return E_OK;
}

/*
 * The SIP extensions a distribution keeps in its database (FreePBX's
 * pjsip table: id, keyword, data) into out[id][keyword] = data, a later
 * keyword overwriting in place.  A failure is logged by the backend call
 * and is no error here: the ini file is read instead.  Returns 0 or -1.
 */
static int
sip_from_db(struct req *r, const char *sql, struct pv **out)
{
	struct sql_stmt st = { .text = sql };
	void *ctx[2];

	*out = pv_new_arr(r->arena);
	ctx[0] = r;
	ctx[1] = *out;
	if (ast_sql_query(r, AST_DB, &st, pjsip_row, ctx) != E_OK) {
		req_error(r, E_OK, "%s", "");
		*out = NULL;
		return -1;
	}
	return 0;
}

/*
 * sipextensions: the PBX database's SIP extensions if the driver keeps
 * them there and they are not empty (FreePBX's pjsip table); otherwise
 * parse_ini_file(PJSIP_CONF_PATH when CHAN_DRIVER is exactly "pjsip", else
 * SIP_CONF_PATH, true, INI_SCANNER_RAW), and [] when that file cannot be read
 * or does not parse.
 */
static enum err
sipextensions(struct req *r, struct reply *rp)
{
	const struct pbx_distro *drv = pbx_distro(r->tenant);
	const struct tenant *t = r->tenant;
	struct pv *conf = NULL;
	const char *key;

	if (drv->sip_sql != NULL) {
		req_op(r, "pjsip table");
		if (sip_from_db(r, drv->sip_sql, &conf) == -1 ||
		    pv_count(conf) == 0)
			conf = NULL;
	}
	if (conf == NULL) {
		key = strcmp(tenant_get(t, "CHAN_DRIVER"), "pjsip") == 0
		    ? "PJSIP_CONF_PATH"
		    : "SIP_CONF_PATH";
		req_op(r, "parse_ini_file");
		if (ini_load(r->arena, tenant_get(t, key), &conf) != E_OK)
			conf = pv_new_arr(r->arena);
	}
	pv_encode(elastix_json(r, rp, 200), conf);
	return E_OK;
}

static const struct cmd cmds[] = {
	{ .name = "auth", .methods = M_ANY, .scope = SCOPE_READ, .run = auth },
	{ .name = "sipextensions",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = sipextensions },
};

const struct family pbxinfo_family = {
	.name = "pbxinfo",
	CMDS(cmds),
};
