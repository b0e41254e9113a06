/*
 * The ARI channels operations over the FreeSWITCH event socket, for a
 * FusionPBX tenant: not translated yet.
 */
#include "ari_dialect.h"

enum err
ari_esl_run(struct req *r, struct reply *rp)
{
	(void)rp;
	return ari_fail(r, E_NOTSUP, 501, NULL,
	    "%s is not supported by the event socket backend", r->cmd->name);
}
