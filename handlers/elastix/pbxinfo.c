/*
 * Commands of the ?cmd= dialect answered from the PBX's own files: auth
 * (the AMI user and secret, elastix-api.md §5.1) and sipextensions (the
 * parsed pjsip.conf or sip_additional.conf, §5.3).
 */
#include <string.h>

#include "arena.h"
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

	if (drv->sip_extensions != NULL) {
		req_op(r, "pjsip table");
		if (drv->sip_extensions(r, &conf) == -1 || pv_count(conf) == 0)
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
