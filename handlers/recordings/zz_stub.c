#include "conf.h"
#include "rec_auth.h"
#include "recordings.h"
const struct family rec_audio = { .name = "audio" };
enum err
rec_signed_auth(struct req *r, const struct tenant *fixed)
{
	(void)fixed;
	return req_error(r, E_UNAUTH, "invalid or missing X-Auth-Token");
}
