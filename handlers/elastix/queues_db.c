/*
 * getqueues (elastix-api.md §5.21): the FreePBX queues_config table,
 * SELECT * ordered by extension.  Only the freepbx driver has it; the
 * others answer 501 with the reference's body.  (queueaddmember and
 * queueremovemember go through AMI, in ami_cmds.c.)
 */
#include <string.h>

#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "asterisk.h"
#include "mysql.h"
#include "pbx.h"
#include "reply.h"
#include "req.h"

static enum err
getqueues(struct req *r, struct reply *rp)
{
	const struct pbx_distro *drv = pbx_distro(r->tenant);
	struct sql_stmt st = { .text = drv->queues_sql };
	enum err e;

	if (drv->queues_sql == NULL)
		return req_error(
		    r, E_NOTSUP, "getqueues requires FreePBX driver");
	if ((e = ast_sql_open(r, AST_DB)) != E_OK)
		return e;
	return ast_sql_json(r, AST_DB, &st, elastix_json(r, rp, 200));
}

static const struct cmd cmds[] = {
	{ .name = "getqueues",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = getqueues },
};

const struct family queues_db_family = {
	.name = "queues_db",
	CMDS(cmds),
};
