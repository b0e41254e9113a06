/*
 * The ARI channels operations over AMI, for an Asterisk without ARI
 * (older Issabel and FreePBX): not translated yet.
 */
#include "ari_dialect.h"

enum err
ari_ami_run(struct req *r, struct reply *rp)
{
	(void)rp;
	return ari_fail(r, E_NOTSUP, 501, NULL,
	    "%s is not supported by the AMI backend", r->cmd->name);
}
