/*
 * getwavfile (elastix-api.md §5.23): a recording under the tenant's
 * RECORDINGS_PATH, named by the query parameter "name".
 *
 * The name is resolved as the reference did (realpath of root + "/" +
 * name, so "//a/./b.wav" and links that stay inside the root work) and
 * must land strictly below the resolved root.  The resolved path is then
 * opened component by component from the root with openat(O_NOFOLLOW), so
 * a link swapped in after the check is refused, and fstat() must say it
 * is a regular file.  Control bytes (NUL, CR, LF ...) in the name are a
 * 404 (the reference answered 500 for NUL).  The file goes out as the
 * body, or is handed to the web server: X-Accel-Redirect to the
 * recordings_accel location (nginx) or X-Sendfile (lighttpd).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "json.h"
#include "limits.h"
#include "log.h"
#include "pv.h"
#include "reply.h"
#include "req.h"

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

/* Returns 0 if no byte of the n at s is a control byte (NUL, CR, LF). */
static int
no_ctl(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	return 0;
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
 * Opens rel below root without following any link: every directory with
 * O_DIRECTORY|O_NOFOLLOW, the file with O_NOFOLLOW|O_NONBLOCK (a FIFO
 * must not block).  Returns the fd of a regular file (size in *st) or -1.
 */
static int
open_beneath(
    struct arena *a, const char *root, const char *rel, struct stat *st)
{
	char *copy = arena_strdup(a, rel), *comp, *slash;
	int dfd, fd;

	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (comp = copy; dfd != -1; comp = slash + 1) {
		slash = strchr(comp, '/');
		if (slash == NULL)
			break;
		*slash = '\0';
		fd = openat(
		    dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = fd;
	}
	if (dfd == -1)
		return -1;
	fd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
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
 * Appends the n bytes at s to b percent-encoded, '/' and unreserved
 * characters kept.  Returns 0 or -1 past b's ceiling.
 */
static int
uri_escape(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("/._~-", c) != NULL)
			rc = buf_addc(b, (char)c);
		else {
			rc = buf_addc(b, '%');
			rc |= buf_addc(b, hex[c >> 4]);
			rc |= buf_addc(b, hex[c & 15]);
		}
	}
	return rc;
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
 * The header that hands the file to the web server, or NULL (serve it
 * ourselves): X-Accel-Redirect to the prefix + the path below the root,
 * or X-Sendfile with the absolute path; NULL too if the value would not
 * fit a header.
 */
static const char *
handoff(struct req *r, const char *root, const char *rel, const char **name)
{
	const char *accel = accel_prefix(r);
	struct buf b;
	const char *v = NULL;
	int rc;

	buf_init(&b, LIM_HEADER_VALUE - 1);
	if (*accel != '\0') {
		*name = "X-Accel-Redirect";
		rc = buf_adds(&b, accel);
		if (rc == 0 && accel[strlen(accel) - 1] != '/')
			rc = buf_addc(&b, '/');
		rc |= uri_escape(&b, rel, strlen(rel));
	} else if (r->conf->recordings_sendfile) {
		*name = "X-Sendfile";
		rc = uri_escape(&b, root, strlen(root));
		rc |= buf_addc(&b, '/');
		rc |= uri_escape(&b, rel, strlen(rel));
	} else
		rc = -1;
	if (rc == 0)
		v = arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	return v;
}

static enum err
getwavfile(struct req *r, struct reply *rp)
{
	const struct arg *a = &r->args[0];
	const char *root = NULL, *rel, *base, *hv, *hn = NULL;
	struct stat st;
	int fd;

	if (a->s == NULL || a->len == 0)
		return not_found(r, rp, "no name");
	if (a->v != NULL && a->v->type == PV_ARR)
		return not_found(r, rp, "name is an array");
	if (a->len >= REC_PATH_MAX || no_ctl(a->s, a->len) == -1)
		return not_found(r, rp, "control byte or name too long");
	rel = resolve(r, a->s, &root);
	if (rel == NULL)
		return not_found(r, rp, "not below the recordings root");
	fd = open_beneath(r->arena, root, rel, &st);
	if (fd == -1)
		return not_found(r, rp, "not a regular file");
	base = strrchr(rel, '/');
	base = base != NULL ? base + 1 : rel;
	reply_status(rp, 200);
	reply_header(rp, "Content-Disposition", disposition(r->arena, base));
	hv = handoff(r, root, rel, &hn);
	if (hv != NULL) {
		close(fd);
		reply_text(rp, OCTET, "", 0);
		reply_header(rp, hn, hv);
		return E_OK;
	}
	reply_file(rp, fd, st.st_size);
	rp->ctype = OCTET;
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
	    PARAMS(wav_params),
	    .run = getwavfile },
};

const struct family recordings_family = {
	.name = "recordings",
	CMDS(cmds),
};
