/*
 * originate, the {"action": ...} dialect's one event-socket action
 * (fusionpbx.md §3.8): the reference's exact originate command sent as a
 * blocking "api" on the tenant's persistent event-socket connection.
 * Every field of the dial string was validated (§5 #2, #3), so nothing a
 * client sends can end the command, add arguments or channel variables,
 * or leave the domain's loopback context.
 */
#include <string.h>

#include "conf.h"
#include "dispatch.h"
#include "esl.h"
#include "fusionpbx.h"
#include "json.h"
#include "log.h"
#include "netio.h"
#include "reply.h"
#include "req.h"

#define ORIGINATE_TIMEOUT 30 /* originate_timeout of the reference */

/* {"success":...,"call_uuid":...} from the api/response body (§3.8). */
static enum err
answer(struct req *r, struct reply *rp, const char *body, size_t n)
{
	const char *sp = memchr(body, ' ', n), *u;
	size_t ulen;
	struct jw *w;
	int ok = sp != NULL && sp - body == 3 && memcmp(body, "+OK", 3) == 0;

	u = ok ? sp + 1 : NULL;
	ulen = ok ? n - (size_t)(u - body) : 0;
	while (ulen > 0 && strchr(" \t\n\r\v", u[0]) != NULL && u[0] != '\0')
		u++, ulen--;
	while (ulen > 0 && strchr(" \t\n\r\v", u[ulen - 1]) != NULL &&
	    u[ulen - 1] != '\0')
		ulen--;
	if (ok && utf8_valid(u, ulen) == -1) {
		fpx_esl_drop(r); /* a server that says this is not trusted */
		return req_error(r, E_PROTO, "invalid reply from FreeSWITCH");
	}
	w = fpx_json(rp, 200);
	jw_obj_open(w);
	jw_keyz(w, "success");
	jw_bool(w, ok);
	jw_keyz(w, "call_uuid");
	if (ok)
		jw_str(w, u, ulen);
	else
		jw_null(w);
	jw_obj_close(w);
	return E_OK;
}

/* Sends the command and waits up to ESL_TIMEOUT for FreeSWITCH. */
static enum err
run(struct req *r, struct reply *rp, const char *cmd)
{
	char why[256], *body;
	struct esl *c;
	size_t n;
	enum err e;

	if (fpx_esl(r, &c) != E_OK)
		return req_error(
		    r, E_BACKEND, "failed to connect to FreeSWITCH");
	req_op(r, "esl originate");
	e = esl_api(c, cmd, net_deadline(fpx_originate_ms(r)), r->arena, &body,
	    &n, why, sizeof(why));
	if (e != E_OK) {
		log_warnx("tenant '%s': originate: %s", r->tenant->name, why);
		if (esl_broken(c))
			fpx_esl_drop(r);
		if (e == E_BADREQ)
			return req_error(r, E_BADREQ, "invalid parameter");
		return req_error(r, e,
		    e == E_TIMEOUT ? "FreeSWITCH did not answer in time"
				   : "lost the connection to FreeSWITCH");
	}
	return answer(r, rp, body, n);
}

static enum err
originate(struct req *r, struct reply *rp)
{
	struct esl_originate o = { .timeout = ORIGINATE_TIMEOUT };
	const char *dom = fpx_arg(r, 0);
	char why[128], *cmd;
	enum err e;

	if ((e = fpx_target_domain(r, dom, E_NOTFOUND, &o.domain)) != E_OK)
		return e;
	if (!esl_domain_ok(o.domain, strlen(o.domain)))
		return req_error(r, E_INTERNAL, "invalid domain name");
	o.cid_number = fpx_arg(r, 1);
	o.dest_a = fpx_arg(r, 2);
	o.dest_b = fpx_arg(r, 3);
	o.cid_name = fpx_truthy(r, 4) ? fpx_arg(r, 4) : NULL;
	if (esl_originate_cmd(r->arena, &o, &cmd, why, sizeof(why)) != E_OK)
		return req_error(r, E_BADREQ, "%s", why);
	return run(r, rp, cmd);
}

static const struct param p_originate[] = {
	{ .name = "domain_uuid", .src = SRC_BODY, .flags = P_REQUIRED },
	{ .name = "caller_id_number",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_target },
	{ .name = "destination_a",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_target },
	{ .name = "destination_b",
	    .src = SRC_BODY,
	    .flags = P_REQUIRED,
	    .valid = fpx_v_target },
	{ .name = "caller_id_name",
	    .src = SRC_BODY,
	    .maxlen = 255,
	    .valid = fpx_v_text },
};

static const struct cmd cmds[] = {
	{ .name = "originate",
	    .methods = M_ANY,
	    .scope = SCOPE_WRITE,
	    .flags = C_ORIGINATE,
	    PARAMS(p_originate),
	    .target = "destination_a",
	    .run = originate },
};

const struct family fusionpbx_call_family = {
	.name = "fusionpbx-call",
	CMDS(cmds),
};
