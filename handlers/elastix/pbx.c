/*
 * The PBX distributions (see pbx.h).
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "pbx.h"
#include "pbxconf.h"
#include "pv.h"

static const struct pbx_distro asterisk = {
	.name = "asterisk",
};

static const struct pbx_distro issabel = {
	.name = "issabel",
	.db_inject = pbx_issabel_inject,
	.modules_key = "issabel_modules",
	.modules_dir = "/opt/issabel",
};

static const struct pbx_distro freepbx = {
	.name = "freepbx",
	.db_inject = pbx_freepbx_inject,
	.sip_sql = "SELECT id, keyword, data FROM pjsip ORDER BY id, flags",
	.queues_sql = "SELECT * FROM queues_config ORDER BY extension",
};

const struct pbx_distro *
pbx_distro(const struct tenant *t)
{
	const char *name = tenant_get(t, "PBX_DRIVER");

	if (strcmp(name, issabel.name) == 0)
		return &issabel;
	if (strcmp(name, freepbx.name) == 0)
		return &freepbx;
	return &asterisk;
}

void
pbx_db_settings(
    struct arena *a, const struct tenant *t, struct db_settings *out)
{
	const struct pbx_distro *drv = pbx_distro(t);
	const char *port;
	int64_t p;

	port = tenant_get(t, "DB_PORT");
	p = php_intval(port, strlen(port)); /* Config::getInt */
	out->host = tenant_get(t, "DB_HOST");
	out->port = (long)p;
	out->user = tenant_get(t, "DB_USERNAME");
	out->password = tenant_get(t, "DB_PASSWORD");
	out->charset = tenant_get(t, "DB_CHARSET");
	if (*out->password == '\0' && drv->db_inject != NULL)
		drv->db_inject(a, t, out);
}
