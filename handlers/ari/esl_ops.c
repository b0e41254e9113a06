/*
 * The operations on one channel over the event socket (see esl.c):
 * each checks its arguments, finds the channel in the tenant's domain,
 * then sends one FreeSWITCH api command per effect (docs/ari.md lists
 * them).  Nothing is sent before every argument passed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ari_dialect.h"
#include "ari_esl.h"
#include "conf.h"
#include "esl.h"
#include "fusionpbx.h"
#include "json.h"
#include "log.h"
#include "php/pv.h"
#include "reply.h"

#define SOUNDS_DIR     "/usr/share/freeswitch/sounds/en/us/callie"
#define RECORDINGS_DIR "/var/lib/freeswitch/recordings"
#define MEDIA_MAX      16 /* media URIs of one play */
#define CAUSE_MAX      127

/* "<verb> <id><tail>", for the found channel. */
static enum err
send_on(struct req *r, struct aesl_ctx *x, const char *verb, const char *tail)
{
	return aesl_command(
	    r, x, arena_printf(r->arena, "%s %s%s", verb, x->id, tail));
}

/* ---- no arguments ---- */

enum err
aesl_simple(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	static const char *const map[][3] = {
		{ "answer", "uuid_answer", "" },
		{ "ring", "uuid_ring_ready", "" },
		{ "hold", "uuid_hold", "" },
		{ "unhold", "uuid_hold off", "" },
		{ "stopMoh", "uuid_break", "" },
		{ "startSilence", "uuid_broadcast", " silence_stream://-1" },
		{ "stopSilence", "uuid_break", "" },
	};
	size_t i;
	enum err e;

	for (i = 0; i < nitems(map); i++)
		if (strcmp(r->cmd->name, map[i][0]) == 0)
			break;
	if (i == nitems(map))
		return ari_fail(r, E_NOTSUP, 501, NULL, "not translated");
	if ((e = aesl_find(r, x)) != E_OK ||
	    (e = send_on(r, x, map[i][1], map[i][2])) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/* ---- hangup ---- */

enum err
aesl_hangup(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *reason = aesl_arg(r, "reason");
	const struct arg *code = aesl_arg(r, "reason_code");
	const char *cause = "NORMAL_CLEARING";
	int64_t c;
	enum err e;

	if (reason != NULL && (cause = aesl_cause(reason->s)) == NULL)
		return ari_fail(r, E_BADREQ, 400, "Invalid Reason",
		    "Invalid reason for hangup reason provided");
	if (code != NULL) {
		c = php_intval(code->s, code->len);
		if (c < 1 || c > CAUSE_MAX)
			return ari_fail(r, E_BADREQ, 400, "Invalid Reason Code",
			    "Invalid reason for hangup reason code provided");
		cause = arena_printf(r->arena, "%d", (int)c);
	}
	if ((e = aesl_find(r, x)) != E_OK ||
	    (e = send_on(r, x, "uuid_kill",
		 arena_printf(r->arena, " %s", cause))) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/* ---- uuid_transfer ---- */

/* A context given must be the tenant's domain. */
static enum err
own_context(struct req *r, struct aesl_ctx *x)
{
	const struct arg *ctx = aesl_arg(r, "context");

	if (ctx != NULL && strcasecmp(ctx->s, x->domain) != 0)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Context '%.80s' is outside this tenant's domain; "
		    "the event socket backend uses '%s'",
		    ctx->s, x->domain);
	return E_OK;
}

static enum err
transfer(struct req *r, struct reply *rp, struct aesl_ctx *x, const char *ext)
{
	enum err e;

	e = send_on(r, x, "uuid_transfer",
	    arena_printf(r->arena, " %s XML %s", ext, x->domain));
	return e != E_OK ? e : ari_reply_empty(rp);
}

enum err
aesl_continue(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *ext = aesl_arg(r, "extension");
	const char *to;
	enum err e;

	if ((e = own_context(r, x)) != E_OK)
		return e;
	if (ext != NULL && !esl_dial_token_ok(ext->s, ext->len))
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Invalid extension: the event socket backend takes "
		    "letters, digits and _.*#+-");
	if ((e = aesl_find(r, x)) != E_OK)
		return e;
	/* Without an extension: the one the channel is at, again. */
	to = ext != NULL ? ext->s : x->ch.dest;
	if (!esl_dial_token_ok(to, strlen(to)))
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "The channel's extension cannot be continued at; "
		    "give an extension");
	return transfer(r, rp, x, to);
}

enum err
aesl_redirect(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *ep = aesl_arg(r, "endpoint");
	const char *dial, *ext;
	char why[160];
	enum err e;

	if (ep == NULL ||
	    aesl_endpoint(r->arena, ep->s, x->domain, &dial, &ext, why,
		sizeof(why)) == -1)
		return ari_fail(r, E_UNPROC, 422, NULL, "%s",
		    ep == NULL ? "Endpoint must be specified" : why);
	if ((e = aesl_find(r, x)) != E_OK)
		return e;
	return transfer(r, rp, x, ext);
}

/* ---- DTMF, mute, music on hold ---- */

enum err
aesl_dtmf(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *d = aesl_arg(r, "dtmf");
	const struct arg *dur = aesl_arg(r, "duration");
	char *digits;
	size_t i;
	enum err e;

	if (d == NULL)
		return ari_fail(r, E_BADREQ, 400, NULL, "DTMF is required");
	/* ARI's pause ',' is FreeSWITCH's 'w' (500 ms). */
	digits = arena_strndup(r->arena, d->s, d->len);
	for (i = 0; i < d->len; i++)
		if (digits[i] == ',')
			digits[i] = 'w';
	if (dur != NULL && dur->i > 0)
		digits = arena_printf(r->arena, "%s@%d", digits, (int)dur->i);
	if ((e = aesl_find(r, x)) != E_OK ||
	    (e = send_on(r, x, "uuid_send_dtmf",
		 arena_printf(r->arena, " %s", digits))) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/*
 * mute: a media bug that mutes what FreeSWITCH reads from the channel
 * (in), writes to it (out), or both; unmute of both removes the bug.
 */
enum err
aesl_mute(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *dir = aesl_arg(r, "direction");
	int on = strcmp(r->cmd->name, "mute") == 0;
	const char *d = dir != NULL ? dir->s : "both";
	enum err e;

	if ((e = aesl_find(r, x)) != E_OK)
		return e;
	if (!on && strcmp(d, "both") == 0)
		e = send_on(r, x, "uuid_audio", " stop");
	else {
		if (strcmp(d, "out") != 0)
			e = send_on(r, x, "uuid_audio",
			    on ? " start read mute 1" : " start read mute 0");
		if (e == E_OK && strcmp(d, "in") != 0)
			e = send_on(r, x, "uuid_audio",
			    on ? " start write mute 1" : " start write mute 0");
	}
	return e != E_OK ? e : ari_reply_empty(rp);
}

enum err
aesl_moh(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *cls = aesl_arg(r, "mohClass");
	const char *stream = cls != NULL ? cls->s : "moh";
	enum err e;

	if (aesl_v_relpath(stream, strlen(stream), 0) == -1)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Invalid music on hold class: a local_stream name");
	if ((e = aesl_find(r, x)) != E_OK ||
	    (e = send_on(r, x, "uuid_broadcast",
		 arena_printf(r->arena, " local_stream://%s", stream))) != E_OK)
		return e;
	return ari_reply_empty(rp);
}

/* ---- play ---- */

/* A directory setting: absolute, and nothing an ESL line would split. */
static enum err
dir_setting(struct req *r, const char *key, const char *def, const char **out)
{
	const char *d = aesl_setting(r, key, def);

	if (d[0] != '/' || aesl_v_relpath(d + 1, strlen(d + 1), 1) == -1) {
		log_warnx("tenant '%s': %s is not a plain absolute path",
		    r->tenant->name, key);
		return ari_fail(r, E_INTERNAL, 500, NULL,
		    "Event socket backend not configured");
	}
	*out = d;
	return E_OK;
}

/* The file of "sound:<name>" under dir; 501/400 for other media. */
static enum err
media_path(struct req *r, const char *uri, size_t n, const char *dir,
    const char **path)
{
	static const char *const later[] = {
		"recording:", "tone:", "digits:", "number:", "characters:", NULL
	};
	size_t i;

	if (n > 6 && strncmp(uri, "sound:", 6) == 0 &&
	    aesl_v_relpath(uri + 6, n - 6, 0) == 0) {
		*path = arena_printf(
		    r->arena, "%s/%.*s.wav", dir, (int)(n - 6), uri + 6);
		return E_OK;
	}
	for (i = 0; later[i] != NULL; i++)
		if (n >= strlen(later[i]) &&
		    strncmp(uri, later[i], strlen(later[i])) == 0)
			return ari_fail(r, E_NOTSUP, 501, NULL,
			    "Media '%.*s' is not supported by the event "
			    "socket backend: only sound:",
			    (int)(n > 64 ? 64 : n), uri);
	return ari_fail(r, E_BADREQ, 400, NULL,
	    "Invalid media: sound:<name>, the name letters, digits, '_', "
	    "'-' and '/'");
}

/*
 * What uuid_broadcast plays for the comma-separated media: one file, or
 * file_string://a!b for several.
 */
static enum err
media(struct req *r, const struct arg *m, const char **what)
{
	const char *dir, *s = m->s, *end = m->s + m->len, *path = NULL;
	const char *files = NULL;
	size_t n, count = 0;
	enum err e;

	if ((e = dir_setting(r, "FUSIONPBX_SOUNDS_DIR", SOUNDS_DIR, &dir)) !=
	    E_OK)
		return e;
	for (; s <= end && count <= MEDIA_MAX; s += n + 1, count++) {
		n = strcspn(s, ",");
		if ((e = media_path(r, s, n, dir, &path)) != E_OK)
			return e;
		files = files == NULL
		    ? path
		    : arena_printf(r->arena, "%s!%s", files, path);
	}
	if (count > MEDIA_MAX)
		return ari_fail(r, E_BADREQ, 400, NULL, "Too many media");
	*what = count > 1 ? arena_printf(r->arena, "file_string://%s", files)
			  : files;
	return E_OK;
}

/* ARI's Playback (queued), with next_media_uri when more follow. */
static void
playback(struct req *r, struct reply *rp, struct aesl_ctx *x, const char *id)
{
	const struct arg *m = aesl_arg(r, "media"), *lang = aesl_arg(r, "lang");
	size_t n = strcspn(m->s, ",");
	struct jw *w;

	reply_header(
	    rp, "Location", arena_printf(r->arena, "/ari/playbacks/%s", id));
	w = ari_reply_json(rp, 201);
	jw_obj_open(w);
	jw_keyz(w, "id");
	jw_strz(w, id);
	jw_keyz(w, "media_uri");
	jw_str(w, m->s, n);
	if (n < m->len) {
		jw_keyz(w, "next_media_uri");
		jw_str(w, m->s + n + 1, strcspn(m->s + n + 1, ","));
	}
	jw_keyz(w, "target_uri");
	jw_strz(w, arena_printf(r->arena, "channel:%s", x->id));
	jw_keyz(w, "language");
	jw_strz(w, lang != NULL ? lang->s : "en");
	jw_keyz(w, "state");
	jw_strz(w, "queued");
	jw_obj_close(w);
}

enum err
aesl_play(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *m = aesl_arg(r, "media");
	const struct arg *pid = aesl_arg(r, "playbackId");
	char id[FPX_UUID_LEN + 1];
	const char *what = NULL;
	enum err e;

	if (m == NULL)
		return ari_fail(r, E_INTERNAL, 500, NULL,
		    "Failed to queue media for playback");
	if ((e = media(r, m, &what)) != E_OK || (e = aesl_find(r, x)) != E_OK ||
	    (e = send_on(r, x, "uuid_broadcast",
		 arena_printf(r->arena, " %s", what))) != E_OK)
		return e;
	if (pid == NULL)
		fpx_uuid_new(id);
	playback(r, rp, x, pid != NULL ? pid->s : id);
	return E_OK;
}

/* ---- record ---- */

static int
known_format(const char *f)
{
	static const char *const formats[] = { "wav", "mp3", "ogg", "flac",
		NULL };
	size_t i;

	for (i = 0; formats[i] != NULL; i++)
		if (strcmp(f, formats[i]) == 0)
			return 1;
	return 0;
}

static void
live_recording(struct req *r, struct reply *rp, struct aesl_ctx *x,
    const char *name, const char *format)
{
	struct jw *w;

	reply_header(rp, "Location",
	    arena_printf(r->arena, "/ari/recordings/live/%s", name));
	w = ari_reply_json(rp, 201);
	jw_obj_open(w);
	jw_keyz(w, "name");
	jw_strz(w, name);
	jw_keyz(w, "format");
	jw_strz(w, format);
	jw_keyz(w, "state");
	jw_strz(w, "queued");
	jw_keyz(w, "target_uri");
	jw_strz(w, arena_printf(r->arena, "channel:%s", x->id));
	jw_obj_close(w);
}

/* uuid_record into <FUSIONPBX_RECORDINGS_DIR>/<domain>/<name>.<format>. */
enum err
aesl_record(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *name = aesl_arg(r, "name");
	const struct arg *fmt = aesl_arg(r, "format");
	const struct arg *max = aesl_arg(r, "maxDurationSeconds");
	const char *dir, *path;
	enum err e;

	if (name == NULL || fmt == NULL)
		return ari_fail(
		    r, E_BADREQ, 400, NULL, "Recording name invalid");
	if (memchr(name->s, '/', name->len) != NULL ||
	    aesl_v_relpath(name->s, name->len, 1) == -1)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Recording name invalid: the event socket backend takes "
		    "letters, digits, '.', '_' and '-'");
	if (!known_format(fmt->s))
		return ari_fail(r, E_UNPROC, 422, NULL,
		    "specified format is unknown on this system");
	if ((e = dir_setting(
		 r, "FUSIONPBX_RECORDINGS_DIR", RECORDINGS_DIR, &dir)) != E_OK)
		return e;
	path = arena_printf(
	    r->arena, "%s/%s/%s.%s", dir, x->domain, name->s, fmt->s);
	if (max != NULL && max->i > 0)
		path = arena_printf(r->arena, "%s %d", path, (int)max->i);
	if ((e = aesl_find(r, x)) != E_OK ||
	    (e = send_on(r, x, "uuid_record",
		 arena_printf(r->arena, " start %s", path))) != E_OK)
		return e;
	live_recording(r, rp, x, name->s, fmt->s);
	return E_OK;
}

/* ---- channel variables ---- */

/* The variable argument: a plain name (a dialplan function is 501). */
static enum err
var_name(struct req *r, const char **out)
{
	const struct arg *v = aesl_arg(r, "variable");

	if (v == NULL)
		return ari_fail(
		    r, E_BADREQ, 400, NULL, "Variable name is required");
	if (v->len > 2 && v->s[v->len - 1] == ')' &&
	    memchr(v->s, '(', v->len) != NULL)
		return ari_fail(r, E_NOTSUP, 501, NULL,
		    "Dialplan functions are not supported by the event "
		    "socket backend");
	if (aesl_v_varname(v->s, v->len) == -1)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Invalid variable name: letters, digits, '_' and '-'");
	*out = v->s;
	return E_OK;
}

enum err
aesl_getvar(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	static const char gone[] = "-ERR No such channel";
	const char *name;
	char *body;
	size_t n;
	struct jw *w;
	enum err e;

	if ((e = var_name(r, &name)) != E_OK || (e = aesl_find(r, x)) != E_OK ||
	    (e = aesl_api(r,
		 arena_printf(r->arena, "uuid_getvar %s %s", x->id, name),
		 &body, &n)) != E_OK)
		return e;
	if (n >= sizeof(gone) - 1 &&
	    strncasecmp(body, gone, sizeof(gone) - 1) == 0)
		return ari_fail(r, E_NOTFOUND, 404, "Channel Not Found",
		    "Provided channel was not found");
	if (strcmp(body, "_undef_") == 0)
		return ari_fail(r, E_NOTFOUND, 404, "Variable Not Found",
		    "Provided variable was not found");
	w = ari_reply_json(rp, 200);
	jw_obj_open(w);
	jw_keyz(w, "value");
	jw_str(w, body, n);
	jw_obj_close(w);
	return E_OK;
}

enum err
aesl_setvar(struct req *r, struct reply *rp, struct aesl_ctx *x)
{
	const struct arg *val = aesl_arg(r, "value");
	const char *name;
	enum err e;

	if ((e = var_name(r, &name)) != E_OK)
		return e;
	if (!aesl_var_settable(name))
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Variable '%s' may not be set through the event socket "
		    "backend",
		    name);
	if (val != NULL && aesl_v_text(val->s, val->len) == -1)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Invalid value for variable '%s': no quotes, backslashes, "
		    "control characters or '${'",
		    name);
	/* Without a value FreeSWITCH unsets the variable. */
	if ((e = aesl_find(r, x)) != E_OK ||
	    (e = send_on(r, x, "uuid_setvar",
		 arena_printf(r->arena, " %s%s%s", name, val ? " " : "",
		     val ? val->s : ""))) != E_OK)
		return e;
	return ari_reply_empty(rp);
}
