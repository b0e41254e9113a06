/*
 * Audio (spec §3.3, §10.6): GET /records/<id>/audio (the seed's layout)
 * and /records/<id>/audio/<action>, action listen (inline), download
 * (an attachment) or metadata (JSON: the Record and the file); signed
 * short-lived URLs for an <audio> element; one line in the recording
 * access log for every listen, download and metadata read.
 *
 * The id must match the whitelist, the store says where its file is,
 * and the file is opened below the tenant's root without following a
 * link.  Then nginx (X-Accel-Redirect) or lighttpd (X-Sendfile) sends
 * it with full Range support, or pbxapi sends it itself with the same
 * semantics (fcgi/file.c).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "digest.h"
#include "file.h"
#include "json.h"
#include "log.h"
#include "pv.h"
#include "rec_auth.h"
#include "recordings.h"
#include "reply.h"
#include "str.h"

#define WAV	  "audio/wav"
#define SIG_BYTES 16 /* HMAC bytes in a signature */

enum action { A_LISTEN, A_DOWNLOAD, A_METADATA };

static const char *const action_names[] = { "listen", "download", "metadata" };

/* ---- signed URLs ---- */

/* The signature of (tenant, id, action, expires), hex. */
static const char *
signature(struct req *r, const struct tenant *t, const char *id,
    const char *action, const char *expires)
{
	uint8_t mac[SHA256_LEN];

	rec_mac(r, t,
	    arena_printf(r->arena, "audio\n%s\n%s\n%s\n%s", t->name, id, action,
		expires),
	    mac);
	return hex_encode(r->arena, mac, SIG_BYTES);
}

/* A query value as a C string, or NULL. */
static const char *
qarg(struct req *r, const char *name)
{
	const struct pv *v = pv_getz(r->get, name);

	if (v == NULL || v->type != PV_STR)
		return NULL;
	return arena_strndup(r->arena, v->u.str.s, v->u.str.len);
}

/*
 * The raw id segment of ".../records/<id>/audio[/<action>]" and the
 * action (a bare /audio is "listen"), or NULL.
 */
static const char *
path_id(struct req *r, const char **action)
{
	const char *p = r->path, *end;

	if (strncmp(p, REC_PREFIX "/", sizeof(REC_PREFIX)) == 0)
		p += sizeof(REC_PREFIX) - 1;
	if (strncmp(p, "/records/", 9) != 0)
		return NULL;
	p += 9;
	end = strchr(p, '/');
	if (end == NULL || strncmp(end, "/audio", 6) != 0)
		return NULL;
	if (end[6] == '\0')
		*action = "listen";
	else if (end[6] == '/')
		*action = end + 7;
	else
		return NULL;
	return arena_strndup(r->arena, p, (size_t)(end - p));
}

enum err
rec_signed_auth(struct req *r, const struct tenant *fixed)
{
	const char *tn, *exp, *sig, *id, *want, *action = NULL;
	const struct tenant *t;
	char *end;
	long long when;

	if (req_parse_query(r) != E_OK || (sig = qarg(r, "signature")) == NULL)
		return req_error(
		    r, E_UNAUTH, "invalid or missing X-Auth-Token");
	tn = qarg(r, "tenant");
	exp = qarg(r, "expires");
	id = path_id(r, &action);
	if (tn == NULL || exp == NULL || id == NULL ||
	    (t = conf_tenant(r->conf, tn)) == NULL ||
	    (fixed != NULL && t != fixed))
		return req_error(r, E_FORBIDDEN, "invalid signed URL");
	want = signature(r, t, id, action, exp);
	if (strlen(sig) != strlen(want) || !ct_equal(sig, want, strlen(want)))
		return req_error(r, E_FORBIDDEN, "invalid signed URL");
	when = strtoll(exp, &end, 10);
	if (*end != '\0' || when < (long long)time(NULL))
		return req_error(r, E_FORBIDDEN, "the signed URL has expired");
	r->tenant = t;
	r->scopes = 0;
	rec_state(r)->signed_id = id;
	rec_state(r)->signed_action = action;
	r->token_id = "signed";
	return E_OK;
}

/* 1 .. REC_URL_TTL_MAX seconds. */
static int
v_ttl(const char *s, size_t n)
{
	long v;

	if (v_digits(s, n) != 0 || n > 6)
		return -1;
	v = strtol(s, NULL, 10);
	return v >= 1 && v <= REC_URL_TTL_MAX ? 0 : -1;
}

static const char *const actions[] = { "listen", "download", NULL };

static const struct param url_params[] = {
	{ .name = "id",
	    .src = SRC_PATH,
	    .flags = P_REQUIRED,
	    .maxlen = REC_ID_MAX,
	    .valid = rec_valid_id },
	{ .name = "ttl", .src = SRC_QUERY, .def = "300", .valid = v_ttl },
	{ .name = "action",
	    .src = SRC_QUERY,
	    .def = "listen",
	    .values = actions },
};

/*
 * POST /records/<id>/signed_url?ttl=&action=: a URL of the audio that
 * works without X-Auth-Token until it expires.
 */
static enum err
signed_url(struct req *r, struct reply *rp)
{
	const char *id = r->args[0].s, *exp, *url;
	long ttl = strtol(r->args[1].s, NULL, 10);
	struct buf b;
	struct jw *w;

	exp = arena_printf(r->arena, "%lld", (long long)time(NULL) + ttl);
	buf_init(&b, 1024);
	buf_printf(&b, "%s/records/%s/audio/%s?tenant=",
	    rec_state(r)->prefixed ? REC_PREFIX : "", id, r->args[2].s);
	url_encode(&b, r->tenant->name, strlen(r->tenant->name));
	buf_printf(&b, "&expires=%s&signature=%s", exp,
	    signature(r, r->tenant, id, r->args[2].s, exp));
	url = arena_strndup(r->arena, b.data, b.len);
	buf_free(&b);
	w = reply_json(rp, JW_UTF8);
	jw_obj_open(w);
	jw_keyz(w, "url");
	jw_strz(w, url);
	jw_keyz(w, "expires");
	jw_number(w, exp, strlen(exp));
	jw_obj_close(w);
	return E_OK;
}

/* ---- the access log ---- */

/* One JSON line: who read which recording, how, and what they got. */
static void
access_line(struct req *r, const char *id, enum action a, long long bytes,
    int status, const char *via)
{
	const char *client = req_param(r, "REMOTE_ADDR");
	struct buf b;
	struct jw w;

	if (!log_recordings_on())
		return;
	buf_init(&b, 2048);
	jw_init(&w, &b, JW_UTF8);
	jw_obj_open(&w);
	jw_keyz(&w, "request_id");
	jw_strz(&w, r->id);
	jw_keyz(&w, "client");
	jw_strz_or_null(&w, client);
	jw_keyz(&w, "token");
	jw_strz_or_null(&w, r->token_id);
	jw_keyz(&w, "tenant");
	jw_strz(&w, r->tenant->name);
	jw_keyz(&w, "id");
	jw_strz(&w, id);
	jw_keyz(&w, "action");
	jw_strz(&w, action_names[a]);
	jw_keyz(&w, "bytes");
	jw_int(&w, bytes);
	jw_keyz(&w, "status");
	jw_int(&w, status);
	jw_keyz(&w, "via");
	jw_strz(&w, via);
	jw_obj_close(&w);
	if (buf_addc(&b, '\0') == 0)
		log_recording(b.data);
	buf_free(&b);
}

/* ---- audio ---- */

/*
 * Refuses a request that neither holds the scope nor a URL signed for
 * this id and action (a signed URL never reads metadata: it would show
 * the call's numbers and attached data to whoever holds the link).
 */
static enum err
may_read(struct req *r, const char *id, enum action a)
{
	const struct rec_req *q = rec_state(r);

	if (r->scopes & SCOPE_RECORDINGS)
		return E_OK;
	if (q->signed_id != NULL && strcmp(q->signed_id, id) == 0 &&
	    a != A_METADATA && strcmp(q->signed_action, action_names[a]) == 0)
		return E_OK;
	access_line(r, id, a, 0, 403, "pbxapi");
	return req_error(r, E_FORBIDDEN, "this URL is not for %s of '%s'",
	    action_names[a], id);
}

/*
 * The bytes a handed-off reply will carry: the ranges the request asks
 * for if they are satisfiable, else the whole file.
 */
static long long
planned(struct req *r, const struct stat *st)
{
	struct http_range rg[LIM_RANGES];
	const char *h = req_param(r, "HTTP_RANGE");
	long long sum = 0;
	size_t n = 0, i;

	if (h == NULL ||
	    http_range_parse(h, strlen(h), st->st_size, rg, LIM_RANGES, &n) !=
		RANGE_OK)
		return (long long)st->st_size;
	for (i = 0; i < n; i++)
		sum += (long long)(rg[i].last - rg[i].first + 1);
	return sum;
}

/* The metadata action: the Record (or null) and the file. */
static enum err
metadata(struct req *r, struct reply *rp, const char *id, const struct stat *st)
{
	const struct rec_store *s = rec_store(r);
	struct rec_list l = { 0 };
	struct jw *w;
	enum err e;

	if (s->by_id != NULL && (e = s->by_id(r, id, &l)) != E_OK)
		return e;
	w = reply_json(rp, JW_UTF8);
	jw_obj_open(w);
	jw_keyz(w, "id");
	jw_strz(w, id);
	jw_keyz(w, "contentType");
	jw_strz(w, WAV);
	jw_keyz(w, "size");
	jw_int(w, (int64_t)st->st_size);
	jw_keyz(w, "lastModified");
	jw_strz(w, http_date(r->arena, st->st_mtime));
	jw_keyz(w, "record");
	if (l.n > 0)
		rec_write_record(w, &l.v[0]);
	else
		jw_null(w);
	jw_obj_close(w);
	access_line(r, id, A_METADATA, reply_body_length(rp), 200, "pbxapi");
	return E_OK;
}

/* Hands the file to the web server, or sends it; logs the access. */
static void
send_audio(struct req *r, struct reply *rp, const char *id, enum action a,
    const struct rec_file *f, int fd, const struct stat *st)
{
	const char *hv, *hn = NULL,
			*cd = arena_printf(r->arena, "%s; filename=\"%s.wav\"",
			    a == A_DOWNLOAD ? "attachment" : "inline", id);

	hv = file_handoff(r, f->accel, (int)r->conf->recordings_sendfile,
	    f->root, f->rel, &hn);
	if (hv != NULL) {
		reply_header(rp, "Content-Disposition", cd);
		close(fd);
		reply_status(rp, 200);
		reply_text(rp, WAV, "", 0);
		reply_header(rp, hn, hv);
		access_line(r, id, a, planned(r, st), 200,
		    *f->accel != '\0' ? "nginx" : "sendfile");
		return;
	}
	file_reply(r, rp, fd, st, WAV);
	/* A 304, 412 or 416 carries no file to name. */
	if (rp->status == 200 || rp->status == 206)
		reply_header(rp, "Content-Disposition", cd);
	access_line(r, id, a, reply_body_length(rp), rp->status, "pbxapi");
}

static enum err
audio(struct req *r, struct reply *rp, enum action a)
{
	const struct rec_store *s = rec_store(r);
	const char *id = r->args[0].s;
	struct rec_file f = { 0 };
	struct stat st;
	int fd;
	enum err e;

	if ((e = may_read(r, id, a)) != E_OK)
		return e;
	if (s->locate == NULL)
		return req_error(
		    r, E_NOTSUP, "the %s store has no audio", s->name);
	if ((e = s->locate(r, id, &f)) != E_OK) {
		access_line(r, id, a, 0, e == E_NOTFOUND ? 404 : 500, "pbxapi");
		return e;
	}
	fd = file_open_beneath(r->arena, f.root, f.rel, &st);
	if (fd == -1) {
		access_line(r, id, a, 0, 404, "pbxapi");
		return req_error(r, E_NOTFOUND, "no recording '%s'", id);
	}
	if (a == A_METADATA) {
		close(fd);
		return metadata(r, rp, id, &st);
	}
	send_audio(r, rp, id, a, &f, fd, &st);
	return E_OK;
}

static enum err
listen_audio(struct req *r, struct reply *rp)
{
	return audio(r, rp, A_LISTEN);
}

static enum err
download_audio(struct req *r, struct reply *rp)
{
	return audio(r, rp, A_DOWNLOAD);
}

static enum err
metadata_audio(struct req *r, struct reply *rp)
{
	return audio(r, rp, A_METADATA);
}

static const struct param id_params[] = {
	{ .name = "id",
	    .src = SRC_PATH,
	    .flags = P_REQUIRED,
	    .maxlen = REC_ID_MAX,
	    .valid = rec_valid_id },
};

/*
 * The audio rows need no scope of the table: a signed URL carries none,
 * and may_read() checks the recordings scope or the URL's id.
 */
static const struct cmd cmds[] = {
	{ .name = "audio",
	    .methods = M_GET | M_HEAD,
	    .flags = C_RECORDING,
	    .path = "/records/{id}/audio",
	    PARAMS(id_params),
	    .run = listen_audio },
	{ .name = "audio_listen",
	    .methods = M_GET | M_HEAD,
	    .flags = C_RECORDING,
	    .path = "/records/{id}/audio/listen",
	    PARAMS(id_params),
	    .run = listen_audio },
	{ .name = "audio_download",
	    .methods = M_GET | M_HEAD,
	    .flags = C_RECORDING,
	    .path = "/records/{id}/audio/download",
	    PARAMS(id_params),
	    .run = download_audio },
	{ .name = "audio_metadata",
	    .methods = M_GET,
	    .flags = C_RECORDING,
	    .path = "/records/{id}/audio/metadata",
	    PARAMS(id_params),
	    .run = metadata_audio },
	{ .name = "signed_url",
	    .methods = M_POST,
	    .scope = SCOPE_RECORDINGS,
	    .path = "/records/{id}/signed_url",
	    PARAMS(url_params),
	    .run = signed_url },
};

const struct family rec_audio = { .name = "audio", CMDS(cmds) };
