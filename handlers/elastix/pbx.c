/*
 * The PBX distributions (see pbx.h).
 */
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "asterisk.h"
#include "mysql.h"
#include "pbx.h"
#include "pbxconf.h"
#include "pv.h"
#include "req.h"

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
 * FreePBX keeps its PJSIP settings in the pjsip table: "SELECT id,
 * keyword, data FROM pjsip ORDER BY id, flags" into out[id][keyword] =
 * data, a later keyword overwriting in place.  A failure is logged by the
 * MySQL driver and is no error here: the ini file is read instead.
 */
static int
freepbx_sip_extensions(struct req *r, struct pv **out)
{
	struct sql_stmt st = { .text = "SELECT id, keyword, data FROM pjsip "
				       "ORDER BY id, flags" };
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
	.sip_extensions = freepbx_sip_extensions,
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
