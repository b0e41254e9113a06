/*
 * getwavfile (elastix-api.md §5.23): a recording under the tenant's
 * RECORDINGS_PATH, named by the query parameter "name".
 *
 * The name is resolved as the reference did (realpath of root + "/" +
 * name, so "//a/./b.wav" and links that stay inside the root work) and
 * must land strictly below the resolved root.  The resolved path is then
 * opened component by component from the root with openat(O_NOFOLLOW)
 * (file_open_beneath, fcgi/file.c), so a link swapped in after the check
 * is refused, and fstat() must say it is a regular file.  Control bytes
 * (NUL, CR, LF ...) in the name are a 404 (the reference answered 500
 * for NUL).  The file goes out as the body (with ranges and validators
 * when the client asks for them: serve()), or is handed to the web
 * server: X-Accel-Redirect to the recordings_accel location (nginx) or
 * X-Sendfile (lighttpd), file_handoff.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "file.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "str.h"

#define OCTET	     "application/octet-stream"
#define REC_PATH_MAX 4096 /* PATH_MAX of Linux (<limits.h> is ours) */

/* The reference's 404: JSON with the CORS header, status not error. */
static enum err
not_found(struct req *r, struct reply *rp, const char *why)
{
	struct jw *w;

	log_debug("getwavfile: %s", why);
	w = elastix_json(r, rp, 404);
	jw_obj_open(w);
	jw_keyz(w, "status");
	jw_strz(w, "File not found");
	jw_keyz(w, "code");
	jw_int(w, 404);
	jw_obj_close(w);
	return E_OK;
}

/* realpath() into the arena; NULL if it fails. */
static char *
real(struct arena *a, const char *path)
{
	char *p = realpath(path, NULL), *q;

	if (p == NULL)
		return NULL;
	q = arena_strdup(a, p);
	free(p);
	return q;
}

/*
 * Resolves name below the tenant's root as the reference did.  Returns
 * the path relative to the resolved root (never empty, no "." or ".."
 * component, no symlink at the time of the check), the root in *root.
 */
static const char *
resolve(struct req *r, const char *name, const char **root)
{
	const char *cfg = tenant_get(r->tenant, "RECORDINGS_PATH");
	size_t n = strlen(cfg), rl;
	char *dir, *path;

	while (n > 0 && cfg[n - 1] == '/')
		n--;
	if (n == 0 || n >= REC_PATH_MAX)
		return NULL;
	dir = real(r->arena, arena_strndup(r->arena, cfg, n));
	if (dir == NULL)
		return NULL;
	name += strspn(name, "/");
	path = arena_printf(r->arena, "%s/%s", dir, name);
	if (strlen(path) >= REC_PATH_MAX)
		return NULL;
	path = real(r->arena, path);
	if (path == NULL)
		return NULL;
	rl = strlen(dir);
	if (rl == 1) /* the root is "/" */
		rl = 0;
	if (strncmp(path, dir, rl) != 0 || path[rl] != '/' ||
	    path[rl + 1] == '\0')
		return NULL;
	*root = dir;
	return path + rl + 1;
}

/*
 * Content-Disposition for the base name, as a quoted-string: '"' and '\'
 * are escaped, a control byte (only possible through a link's target)
 * becomes '_', other bytes (UTF-8) pass as the reference sent them.
 */
static const char *
disposition(struct arena *a, const char *base)
{
	static const char pre[] = "attachment; filename=\"";
	size_t n = strlen(base), i, o = sizeof(pre) - 1;
	char *s = arena_alloc(a, sizeof(pre) + 2 * n + 2);

	memcpy(s, pre, o);
	for (i = 0; i < n; i++) {
		if (base[i] == '"' || base[i] == '\\')
			s[o++] = '\\';
		if ((unsigned char)base[i] < 0x20 || base[i] == 0x7f)
			s[o++] = '_';
		else
			s[o++] = base[i];
	}
	s[o++] = '"';
	s[o] = '\0';
	return s;
}

/*
 * The X-Accel-Redirect prefix of r's tenant: its RECORDINGS_ACCEL, else
 * recordings_accel for the tenant "default" only (one nginx location
 * aliases one root: another tenant's names must never map into it).
 */
static const char *
accel_prefix(const struct req *r)
{
	const char *p = tenant_get(r->tenant, "RECORDINGS_ACCEL");

	if (*p != '\0')
		return p;
	if (strcmp(r->tenant->name, "default") == 0 &&
	    r->conf->recordings_accel != NULL)
		return r->conf->recordings_accel;
	return "";
}

/*
 * Sends the file.  A request without Range or a precondition gets the
 * reference's reply byte for byte (readfile(): no ETag, Last-Modified or
 * Accept-Ranges, which the golden corpus would not check but clients
 * never saw), through reply_file; one with them gets file_reply's RFC
 * 7232/7233 answer (206, multipart, 304, 412, 416), as nginx gives when
 * it serves the file through recordings_accel.  Content-Disposition
 * goes with a body only (200, 206).
 */
static void
serve(struct req *r, struct reply *rp, int fd, const struct stat *st,
    const char *disp)
{
	if (!file_conditional(r)) {
		reply_status(rp, 200);
		reply_header(rp, "Content-Disposition", disp);
		reply_file(rp, fd, st->st_size);
		rp->ctype = OCTET;
		return;
	}
	(void)file_reply(r, rp, fd, st, OCTET);
	if (rp->status == 200 || rp->status == 206)
		reply_header(rp, "Content-Disposition", disp);
}

static enum err
getwavfile(struct req *r, struct reply *rp)
{
	const struct arg *a = &r->args[0];
	const char *root = NULL, *rel, *base, *disp, *hv, *hn = NULL;
	struct stat st;
	int fd;

	if (a->s == NULL || a->len == 0)
		return not_found(r, rp, "no name");
	if (a->v != NULL && a->v->type == PV_ARR)
		return not_found(r, rp, "name is an array");
	if (a->len >= REC_PATH_MAX || str_has_ctl(a->s, a->len))
		return not_found(r, rp, "control byte or name too long");
	rel = resolve(r, a->s, &root);
	if (rel == NULL)
		return not_found(r, rp, "not below the recordings root");
	fd = file_open_beneath(r->arena, root, rel, &st);
	if (fd == -1)
		return not_found(r, rp, "not a regular file");
	base = strrchr(rel, '/');
	base = base != NULL ? base + 1 : rel;
	disp = disposition(r->arena, base);
	hv = file_handoff(r, accel_prefix(r), (int)r->conf->recordings_sendfile,
	    root, rel, &hn);
	if (hv == NULL) {
		serve(r, rp, fd, &st, disp);
		return E_OK;
	}
	close(fd);
	reply_status(rp, 200);
	reply_header(rp, "Content-Disposition", disp);
	reply_text(rp, OCTET, "", 0);
	reply_header(rp, hn, hv);
	return E_OK;
}

static const struct param wav_params[] = {
	/* Long names are a 404, as realpath() failing was. */
	{ .name = "name", .src = SRC_QUERY, .maxlen = LIM_QUERY_MAX },
};

static const struct cmd cmds[] = {
	{ .name = "getwavfile",
	    .methods = M_ANY,
	    .scope = SCOPE_RECORDINGS,
	    .flags = C_RECORDING,
	    PARAMS(wav_params),
	    .target = "name",
	    .run = getwavfile },
};

const struct family recordings_family = {
	.name = "recordings",
	CMDS(cmds),
};
