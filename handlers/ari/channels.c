/*
 * /ari/channels: the 28 operations of the seed, one row each, with their
 * parameters and ARI's words for each invalid one.  Every operation runs
 * the same way on the ARI backend: the validated arguments, and nothing
 * else, are sent on to Asterisk, and its reply is passed back as it came.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ari.h"
#include "ari_dialect.h"
#include "ari_model.h"
#include "arena.h"
#include "asterisk.h"
#include "buf.h"
#include "conf.h"
#include "fusionpbx.h"
#include "json.h"
#include "log.h"
#include "php/pv.h"
#include "reply.h"
#include "str.h"

#define ARI_ID_MAX 149 /* Asterisk's unique id */

/* ---- validators ---- */

/* Ids of channels, playbacks and snoops: no '/', no "..", no control. */
static int
v_id(const char *s, size_t n)
{
	size_t i;

	if (n > ARI_ID_MAX || strstr(s, "..") != NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] == '/' || s[i] == 0x7f || s[i] == '%' ||
		    s[i] == '?' || s[i] == '#' || s[i] == '&')
			return -1;
	return 0;
}

/* Printable, no space: names, media URIs, endpoints. */
static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return -1;
	return 0;
}

/* "Tech/resource", both non-empty. */
static int
v_endpoint(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);

	return printable(s, n) == -1 || slash == NULL || slash == s ||
		slash == s + n - 1
	    ? -1
	    : 0;
}

static int
v_int(const char *s, size_t n)
{
	size_t i = s[0] == '-' ? 1 : 0;

	if (n == i || n > i + 9)
		return -1;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	return 0;
}

static int
v_nonneg(const char *s, size_t n)
{
	return v_int(s, n) == -1 || s[0] == '-' ? -1 : 0;
}

/* The values of the enumerations (Asterisk 22's channels.json). */
static const char *const reasons[] = { "normal", "busy", "congestion",
	"no_answer", "timeout", "rejected", "unallocated", "normal_unspecified",
	"number_incomplete", "codec_mismatch", "interworking", "failure",
	"answered_elsewhere", NULL };
static const char *const directions[] = { "both", "in", "out", NULL };
static const char *const spy_dirs[] = { "none", "both", "out", "in", NULL };
static const char *const if_exists[] = { "fail", "overwrite", "append", NULL };
static const char *const terminate_on[] = { "none", "any", "*", "#", NULL };
/* Asterisk's ast_true() and ast_false() words. */
static const char *const booleans[] = { "yes", "true", "y", "t", "1", "on",
	"no", "false", "n", "f", "0", "off", NULL };

/* DTMF digits, and ',' or 'w' for a pause. */
static int
v_dtmf(const char *s, size_t n)
{
	return strspn(s, "0123456789ABCDabcd*#wW,") == n ? 0 : -1;
}

/* Media URIs: scheme:resource, comma-separated. */
static int
v_media(const char *s, size_t n)
{
	return printable(s, n) == -1 || memchr(s, ':', n) == NULL ? -1 : 0;
}

/* A recording name: a path under Asterisk's recordings, never out of it. */
static int
v_rec_name(const char *s, size_t n)
{
	return printable(s, n) == -1 || s[0] == '/' || strstr(s, "..") != NULL
	    ? -1
	    : 0;
}

/* Words: formats, languages, music-on-hold classes. */
static int
v_word(const char *s, size_t n)
{
	return strspn(s,
		   "abcdefghijklmnopqrstuvwxyz"
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-,.") == n
	    ? 0
	    : -1;
}

/* Dialplan names: printable, no ',' or '|' (application separators). */
static int
v_dialplan(const char *s, size_t n)
{
	return printable(s, n) == -1 || strpbrk(s, ",|;") != NULL ? -1 : 0;
}

/* ---- parameters ---- */

#define PATH_ID(n)                                                 \
	{                                                          \
		.name = (n), .src = SRC_PATH, .flags = P_REQUIRED, \
		.maxlen = ARI_ID_MAX, .valid = v_id                \
	}
#define ANY(n, f, len, v)                                            \
	{                                                            \
		.name = (n), .src = SRC_ANY, .flags = P_NOCTL | (f), \
		.maxlen = (len), .valid = (v)                        \
	}
#define ANY_IN(n, f, len, vals)                                      \
	{                                                            \
		.name = (n), .src = SRC_ANY, .flags = P_NOCTL | (f), \
		.maxlen = (len), .values = (vals)                    \
	}
#define ANY_INT(n, v)                                                          \
	{                                                                      \
		.name = (n), .src = SRC_ANY, .type = PT_INT, .flags = P_NOCTL, \
		.maxlen = 12, .valid = (v)                                     \
	}

static const struct param no_params[] = { PATH_ID("channelId") };

/*
 * list's fresh=1 asks the backend, not the live state; pbxapi's own, it
 * is never sent on (backend_query).  Its values are ARI's booleans.
 */
static const struct param list_params[] = {
	{ .name = "fresh",
	    .src = SRC_QUERY,
	    .flags = P_ICASE,
	    .maxlen = 8,
	    .values = booleans },
};

#define ORIGINATE_COMMON                                                    \
	ANY("endpoint", P_REQUIRED, 256, v_endpoint),                       \
	    ANY("extension", 0, 80, v_dialplan),                            \
	    ANY("context", 0, 80, v_dialplan), ANY_INT("priority", v_int),  \
	    ANY("label", 0, 80, v_dialplan), ANY("app", 0, 80, v_dialplan), \
	    ANY("appArgs", P_UTF8, 1024, NULL),                             \
	    ANY("callerId", P_UTF8, 256, NULL), ANY_INT("timeout", v_int),  \
	    ANY("otherChannelId", 0, ARI_ID_MAX, v_id),                     \
	    ANY("originator", 0, ARI_ID_MAX, v_id),                         \
	    ANY("formats", 0, 256, v_word),                                 \
	{                                                                   \
		.name = "variables", .src = SRC_BODY, .flags = P_LIST       \
	}

static const struct param originate_params[] = {
	ANY("channelId", 0, ARI_ID_MAX, v_id),
	ORIGINATE_COMMON,
};

static const struct param originate_id_params[] = {
	PATH_ID("channelId"),
	ORIGINATE_COMMON,
};

static const struct param create_params[] = {
	ANY("endpoint", P_REQUIRED, 256, v_endpoint),
	ANY("app", 0, 80, v_dialplan),
	ANY("appArgs", P_UTF8, 1024, NULL),
	ANY("channelId", 0, ARI_ID_MAX, v_id),
	ANY("otherChannelId", 0, ARI_ID_MAX, v_id),
	ANY("originator", 0, ARI_ID_MAX, v_id),
	ANY("formats", 0, 256, v_word),
	{ .name = "variables", .src = SRC_BODY, .flags = P_LIST },
};

static const struct param hangup_params[] = {
	PATH_ID("channelId"),
	ANY_IN("reason", 0, 32, reasons),
	ANY("reason_code", 0, 12, v_int),
};

static const struct param continue_params[] = {
	PATH_ID("channelId"),
	ANY("context", 0, 80, v_dialplan),
	ANY("extension", 0, 80, v_dialplan),
	ANY_INT("priority", v_int),
	ANY("label", 0, 80, v_dialplan),
};

static const struct param redirect_params[] = {
	PATH_ID("channelId"),
	ANY("endpoint", P_REQUIRED, 256, v_endpoint),
};

static const struct param dtmf_params[] = {
	PATH_ID("channelId"),
	ANY("dtmf", P_REQUIRED, 256, v_dtmf),
	ANY_INT("before", v_nonneg),
	ANY_INT("between", v_nonneg),
	ANY_INT("duration", v_nonneg),
	ANY_INT("after", v_nonneg),
};

static const struct param mute_params[] = {
	PATH_ID("channelId"),
	ANY_IN("direction", P_REQUIRED, 8, directions),
};

static const struct param moh_params[] = {
	PATH_ID("channelId"),
	ANY("mohClass", 0, 80, v_word),
};

#define PLAY_COMMON                                                    \
	ANY("media", P_REQUIRED | P_LIST, 2048, v_media),              \
	    ANY("lang", 0, 16, v_word), ANY_INT("offsetms", v_nonneg), \
	    ANY_INT("skipms", v_nonneg)

static const struct param play_params[] = {
	PATH_ID("channelId"),
	PLAY_COMMON,
	ANY("playbackId", 0, ARI_ID_MAX, v_id),
};

static const struct param play_id_params[] = {
	PATH_ID("channelId"),
	PATH_ID("playbackId"),
	PLAY_COMMON,
};

static const struct param record_params[] = {
	PATH_ID("channelId"),
	ANY_INT("maxDurationSeconds", v_nonneg),
	ANY_INT("maxSilenceSeconds", v_nonneg),
	ANY("name", P_REQUIRED, 256, v_rec_name),
	ANY("format", P_REQUIRED, 16, v_word),
	ANY_IN("ifExists", P_ICASE, 16, if_exists),
	ANY_IN("beep", P_ICASE, 8, booleans),
	ANY_IN("terminateOn", P_ICASE, 8, terminate_on),
};

static const struct param getvar_params[] = {
	ANY("variable", P_REQUIRED, 256, printable),
	PATH_ID("channelId"),
};

static const struct param setvar_params[] = {
	ANY("variable", P_REQUIRED, 256, printable),
	PATH_ID("channelId"),
	ANY("value", P_UTF8, 4096, NULL),
	ANY_IN("report_events", P_ICASE, 8, booleans),
};

#define SNOOP_COMMON                                                      \
	ANY_IN("spy", 0, 8, spy_dirs), ANY_IN("whisper", 0, 8, spy_dirs), \
	    ANY("app", P_REQUIRED, 80, v_dialplan),                       \
	    ANY("appArgs", P_UTF8, 1024, NULL)

static const struct param snoop_params[] = {
	PATH_ID("channelId"),
	SNOOP_COMMON,
	ANY("snoopId", 0, ARI_ID_MAX, v_id),
};

static const struct param snoop_id_params[] = {
	PATH_ID("channelId"),
	PATH_ID("snoopId"),
	SNOOP_COMMON,
};

static const struct param dial_params[] = {
	PATH_ID("channelId"),
	ANY("caller", 0, ARI_ID_MAX, v_id),
	ANY_INT("timeout", v_nonneg),
};

/* Asterisk 22's operations beyond the seed's 28. */

static const struct param move_params[] = {
	PATH_ID("channelId"),
	ANY("app", P_REQUIRED, 80, v_dialplan),
	ANY("appArgs", P_UTF8, 1024, NULL),
};

static const struct param getvars_params[] = {
	PATH_ID("channelId"),
	ANY("variables", P_REQUIRED | P_LIST, 4096, printable),
};

static const struct param setvars_params[] = {
	PATH_ID("channelId"),
	{ .name = "variables", .src = SRC_BODY, .flags = P_REQUIRED | P_LIST },
};

static const char *const encapsulations[] = { "rtp", "audiosocket", "none",
	NULL };
static const char *const transports[] = { "udp", "tcp", "websocket", NULL };
static const char *const connection_types[] = { "client", "server", NULL };
static const char *const media_directions[] = { "both", NULL };

static const struct param external_params[] = {
	ANY("channelId", 0, ARI_ID_MAX, v_id),
	ANY("app", P_REQUIRED, 80, v_dialplan),
	{ .name = "variables", .src = SRC_BODY, .flags = P_LIST },
	ANY("external_host", P_REQUIRED, 256, printable),
	ANY_IN("encapsulation", 0, 16, encapsulations),
	ANY_IN("transport", 0, 16, transports),
	ANY_IN("connection_type", 0, 16, connection_types),
	ANY("format", P_REQUIRED, 16, v_word),
	ANY_IN("direction", 0, 8, media_directions),
	ANY("data", P_UTF8, 1024, NULL),
	ANY("transport_data", P_UTF8, 1024, NULL),
};

static const char *const transfer_states[] = { "channel_progress",
	"channel_answered", "channel_unavailable", "channel_declined", NULL };

static const struct param transfer_params[] = {
	PATH_ID("channelId"),
	ANY_IN("states", P_REQUIRED, 32, transfer_states),
};

/* ---- ARI's words for an invalid parameter ---- */

#define W(x)	 (1u << (x))
#define W_ABSENT (W(PE_MISSING) | W(PE_EMPTY))
#define W_ALL	 0xffu

struct perr_text {
	const char *cmd; /* NULL: any */
	const char *param;
	unsigned why; /* W(PE_*) */
	int status;
	const char *reason; /* status line text, NULL: the standard one */
	const char *msg;    /* "%s": the value */
};

static const struct perr_text perr_texts[] = {
	{ "originate", "channelId", W(PE_LONG), 400, NULL,
	    "Uniqueid length exceeds maximum of 149" },
	{ NULL, "channelId", W_ALL, 404, NULL, "Channel not found" },
	{ NULL, "playbackId", W_ALL, 404, NULL, "Playback not found" },
	{ NULL, "snoopId", W_ALL, 400, NULL, "Invalid snoop id" },
	{ "redirect", "endpoint", W_ABSENT, 400, "Not Found",
	    "Required parameter 'endpoint' not provided." },
	{ "redirect", "endpoint", W_ALL, 422, NULL,
	    "Endpoint parameter '%s' does not contain tech/resource" },
	{ NULL, "endpoint", W_ABSENT, 400, NULL, "Endpoint must be specified" },
	{ NULL, "endpoint", W_ALL, 400, NULL, "Invalid endpoint specified" },
	{ "hangup", "reason", W_ALL, 400, "Invalid Reason",
	    "Invalid reason for hangup reason provided" },
	{ "hangup", "reason_code", W_ALL, 400, "Invalid Reason Code",
	    "Invalid reason for hangup reason code provided" },
	{ "sendDTMF", "dtmf", W_ABSENT, 400, NULL, "DTMF is required" },
	{ "sendDTMF", "dtmf", W_ALL, 400, NULL, "Invalid DTMF specified" },
	{ NULL, "direction", W_ABSENT, 400, NULL, "Direction is required" },
	{ NULL, "direction", W_ALL, 400, NULL, "Invalid direction specified" },
	{ NULL, "media", W_ABSENT, 500, NULL,
	    "Failed to queue media for playback" },
	{ NULL, "skipms", W_ALL, 400, NULL, "skipms cannot be negative" },
	{ NULL, "offsetms", W_ALL, 400, NULL, "offsetms cannot be negative" },
	{ NULL, "maxDurationSeconds", W_ALL, 400, NULL,
	    "max_duration_seconds cannot be negative" },
	{ NULL, "maxSilenceSeconds", W_ALL, 400, NULL,
	    "max_silence_seconds cannot be negative" },
	{ NULL, "ifExists", W_ALL, 400, NULL, "ifExists invalid" },
	{ NULL, "terminateOn", W_ALL, 400, NULL, "terminateOn invalid" },
	{ "record", "name", W_ALL, 400, NULL, "Recording name invalid" },
	{ "record", "format", W_ALL, 422, NULL,
	    "specified format is unknown on this system" },
	{ NULL, "variable", W_ABSENT, 400, NULL, "Variable name is required" },
	{ NULL, "spy", W_ALL, 400, NULL,
	    "Invalid direction specified for spy" },
	{ NULL, "whisper", W_ALL, 400, NULL,
	    "Invalid direction specified for whisper" },
	{ NULL, "app", W_ABSENT, 400, NULL, "Application name is required" },
};

enum err
ari_param_error(struct req *r, const struct param *p, enum perr why)
{
	const struct perr_text *t = NULL;
	const char *cmd = r->cmd->name, *v = "", *pct;
	char msg[LIM_ERRMSG];
	size_t n;
	size_t i, k = (size_t)(p - r->cmd->params);

	/* originateWithId and the play and snoop pairs word as the first. */
	if (strcmp(cmd, "originateWithId") == 0)
		cmd = "originate";
	if (k < r->cmd->nparams && r->args[k].s != NULL)
		v = r->args[k].s;
	for (i = 0; i < nitems(perr_texts); i++) {
		t = &perr_texts[i];
		if ((t->cmd == NULL || strcmp(t->cmd, cmd) == 0) &&
		    strcmp(t->param, p->name) == 0 && (t->why & W(why)))
			break;
	}
	if (i < nitems(perr_texts)) {
		/* "%s" in the text is the value. */
		(void)str_copy(msg, t->msg, sizeof(msg));
		if ((pct = strstr(msg, "%s")) != NULL) {
			n = (size_t)(pct - msg);
			n += str_copy(msg + n, v, sizeof(msg) - n);
			if (n < sizeof(msg) - 1)
				(void)str_copy(msg + n,
				    strstr(t->msg, "%s") + 2, sizeof(msg) - n);
		}
		return ari_fail(r,
		    t->status == 500	   ? E_INTERNAL
			: t->status == 404 ? E_NOTFOUND
			: t->status == 422 ? E_UNPROC
					   : E_BADREQ,
		    t->status, t->reason, "%s", msg);
	}
	if (why == PE_MISSING || why == PE_EMPTY)
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "Required parameter '%s' not provided.", p->name);
	return ari_fail(r, E_BADREQ, 400, NULL,
	    "Invalid value for parameter '%s'", p->name);
}

int
ari_nonneg(const struct param *p)
{
	return p->valid == v_nonneg;
}

/* Returns 1 if c has a parameter called name. */
static int
has_param(const struct cmd *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return 1;
	return 0;
}

static void
error_response(struct jw *w, int code, const char *reason)
{
	jw_obj_open(w);
	jw_keyz(w, "code");
	jw_int(w, code);
	jw_keyz(w, "reason");
	jw_strz(w, reason);
	jw_obj_close(w);
}

/* Returns 1 if an earlier text words t's case for cmd (the lookup's
 * precedence: the first match wins). */
static int
shadowed(const struct perr_text *t, const char *cmd)
{
	const struct perr_text *u;

	for (u = perr_texts; u < t; u++)
		if ((u->cmd == NULL || strcmp(u->cmd, cmd) == 0) &&
		    strcmp(u->param, t->param) == 0 && (u->why & t->why) != 0)
			return 1;
	return 0;
}

void
ari_error_responses(struct jw *w, const struct cmd *c)
{
	const struct perr_text *t;
	const char *cmd =
	    strcmp(c->name, "originateWithId") == 0 ? "originate" : c->name;
	size_t i;

	jw_arr_open(w);
	for (i = 0; i < nitems(perr_texts); i++) {
		t = &perr_texts[i];
		if ((t->cmd == NULL || strcmp(t->cmd, cmd) == 0) &&
		    has_param(c, t->param) && strstr(t->msg, "%s") == NULL &&
		    !shadowed(t, cmd))
			error_response(w, t->status, t->msg);
	}
	/* Every control operation of a channel needs it in Stasis. */
	if (c->scope == SCOPE_ARI_CONTROL && has_param(c, "channelId") &&
	    c->params[0].src == SRC_PATH && strcmp(c->name, "hangup") != 0 &&
	    strncmp(c->name, "snoop", 5) != 0 &&
	    strcmp(c->name, "originateWithId") != 0)
		error_response(w, 409, "Channel not in Stasis application");
	jw_arr_close(w);
}

/* ---- rules across parameters (Asterisk's order) ---- */

const struct arg *
ari_arg(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->cmd->nparams; i++)
		if (strcmp(r->cmd->params[i].name, name) == 0)
			return r->args[i].present ? &r->args[i] : NULL;
	return NULL;
}

/*
 * originate's "variables": an object of strings, or of {"value": string,
 * "report_events": boolean}, with Asterisk's texts.  Keys and values
 * must not hold a control byte: they become channel variables.
 */
static enum err
check_variables(struct req *r, const struct pv *vars)
{
	const struct pv_ent *e;
	const struct pv *val, *rep;

	if (vars == NULL || vars->type != PV_ARR)
		return vars == NULL
		    ? E_OK
		    : ari_fail(r, E_BADREQ, 400, NULL,
			  "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'");
	for (e = vars->u.arr->head; e != NULL; e = e->next) {
		val = &e->val;
		if (val->type == PV_ARR) {
			rep = pv_getz(val, "report_events");
			val = pv_getz(val, "value");
			if (val == NULL || val->type != PV_STR)
				return ari_fail(r, E_BADREQ, 400, NULL,
				    "Each object value in 'variables' must include string field 'value'");
			if (rep != NULL && rep->type != PV_BOOL)
				return ari_fail(r, E_BADREQ, 400, NULL,
				    "Field 'report_events' in 'variables' entries must be boolean");
		} else if (val->type != PV_STR)
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'");
		if (strpbrk(e->key, "\r\n") != NULL ||
		    memchr(e->key, '\0', e->klen) != NULL ||
		    memchr(val->u.str.s, '\0', val->u.str.len) != NULL ||
		    memchr(val->u.str.s, '\r', val->u.str.len) != NULL ||
		    memchr(val->u.str.s, '\n', val->u.str.len) != NULL)
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Invalid variable '%s'", e->key);
	}
	return E_OK;
}

static enum err
cross_checks(struct req *r)
{
	const char *c = r->cmd->name;
	const struct arg *spy, *whisper;

	if (strcmp(c, "originate") == 0 || strcmp(c, "originateWithId") == 0 ||
	    strcmp(c, "create") == 0) {
		if (check_variables(r, pv_getz(r->post, "variables")) != E_OK)
			return E_BADREQ;
		if (ari_arg(r, "originator") && ari_arg(r, "formats"))
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Originator and formats can't both be specified");
		if (strcmp(c, "create") != 0 && !ari_arg(r, "app") &&
		    !ari_arg(r, "extension"))
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Application or extension must be specified");
	}
	if (strcmp(c, "externalMedia") == 0 &&
	    check_variables(r, pv_getz(r->post, "variables")) != E_OK)
		return E_BADREQ;
	if (strcmp(c, "setChannelVars") == 0 &&
	    check_variables(r, pv_getz(r->post, "variables")) != E_OK)
		return E_BADREQ;
	if (strcmp(c, "hangup") == 0 && ari_arg(r, "reason") &&
	    ari_arg(r, "reason_code"))
		return ari_fail(r, E_BADREQ, 400, NULL,
		    "The reason and reason_code can't both be specified");
	if (strncmp(c, "snoopChannel", 12) == 0) {
		spy = ari_arg(r, "spy");
		whisper = ari_arg(r, "whisper");
		if ((spy == NULL || strcmp(spy->s, "none") == 0) &&
		    (whisper == NULL || strcmp(whisper->s, "none") == 0))
			return ari_fail(r, E_BADREQ, 400, NULL,
			    "Direction must be specified for at least spy or whisper");
	}
	return E_OK;
}

/* ---- backends ---- */

/*
 * ARI_BACKEND: "ari", "ami" or "esl"; unset or "auto": ARI when
 * ARI_ENABLED, the event socket for a tenant with FUSIONPBX_* settings,
 * else AMI.  (The FusionPBX dialect also serves a lone default tenant
 * without them; for ARI that tenant is an Asterisk's, AMI.)
 */
enum ari_backend
ari_backend(struct req *r)
{
	const char *b = tenant_get(r->tenant, "ARI_BACKEND");

	if (b != NULL && strcmp(b, "ari") == 0)
		return ARI_BE_ARI;
	if (b != NULL && strcmp(b, "ami") == 0)
		return ARI_BE_AMI;
	if (b != NULL && strcmp(b, "esl") == 0)
		return ARI_BE_ESL;
	if (tenant_getbool(r->tenant, "ARI_ENABLED"))
		return ARI_BE_ARI;
	return fpx_tenant_has_keys(r->tenant) ? ARI_BE_ESL : ARI_BE_AMI;
}

/* ---- the ARI backend ---- */

/* The path under /ari with the path parameters, percent-encoded. */
static int
backend_path(struct req *r, const struct cmd *c, struct buf *b)
{
	const char *t = c->path, *end;
	const struct pv *v;

	while (*t != '\0') {
		if (*t != '{') {
			end = t + strcspn(t, "{");
			if (buf_add(b, t, (size_t)(end - t)) == -1)
				return -1;
			t = end;
			continue;
		}
		end = strchr(t, '}');
		v = pv_get(r->pathargs, t + 1, (size_t)(end - t - 1));
		if (v == NULL || v->type != PV_STR ||
		    url_encode(b, v->u.str.s, v->u.str.len) == -1)
			return -1;
		t = end + 1;
	}
	return 0;
}

/*
 * The query: every argument the request gave that is not in the path,
 * nor pbxapi's own (list's fresh: Asterisk ignores a parameter it does
 * not know, but it is no business of the backend's).
 */
static int
backend_query(struct req *r, struct buf *b)
{
	const struct param *p;
	char sep = '?';
	size_t i;

	for (i = 0; i < r->cmd->nparams; i++) {
		p = &r->cmd->params[i];
		if (p->src == SRC_PATH || p->src == SRC_BODY ||
		    !r->args[i].present || p == list_params)
			continue;
		if (buf_addc(b, sep) == -1 || buf_adds(b, p->name) == -1 ||
		    buf_addc(b, '=') == -1 ||
		    url_encode(b, r->args[i].s, r->args[i].len) == -1)
			return -1;
		sep = '&';
	}
	return 0;
}

/* {"variables": {...}} as the request gave it (checked). */
static const char *
backend_body(struct req *r, size_t *n)
{
	const struct pv *vars = pv_getz(r->post, "variables"), *val, *rep;
	const struct pv_ent *e;
	struct buf b;
	struct jw w;
	char *out;

	if (vars == NULL || vars->type != PV_ARR)
		return NULL;
	buf_init(&b, 1024 * 1024);
	jw_init(&w, &b, JW_UTF8);
	jw_obj_open(&w);
	jw_keyz(&w, "variables");
	jw_obj_open(&w);
	for (e = vars->u.arr->head; e != NULL; e = e->next) {
		jw_key(&w, e->key, e->klen);
		if (e->val.type == PV_STR) {
			jw_str(&w, e->val.u.str.s, e->val.u.str.len);
			continue;
		}
		val = pv_getz(&e->val, "value");
		rep = pv_getz(&e->val, "report_events");
		jw_obj_open(&w);
		jw_keyz(&w, "value");
		jw_str(&w, val->u.str.s, val->u.str.len);
		if (rep != NULL) {
			jw_keyz(&w, "report_events");
			jw_bool(&w, rep->u.b);
		}
		jw_obj_close(&w);
	}
	jw_obj_close(&w);
	jw_obj_close(&w);
	out = arena_strndup(r->arena, b.data, b.len);
	*n = b.len;
	buf_free(&b);
	return out;
}

/* Passes Asterisk's reply on: status line, Location, body. */
static enum err
pass_back(struct reply *rp, const struct ari_raw *x)
{
	reply_status_reason(rp, (int)x->status, x->reason);
	reply_header(rp, "Cache-Control", "no-cache, no-store");
	if (x->location != NULL)
		reply_header(rp, "Location", x->location);
	if (x->n > 0)
		reply_text(rp, "application/json", x->body, x->n);
	return E_OK;
}

static enum err
run_backend(struct req *r, struct reply *rp)
{
	struct ari_call call = { .method = r->method };
	struct ari_raw x;
	struct ari_err e;
	struct buf path;
	enum err rc;

	if ((rc = cross_checks(r)) != E_OK)
		return rc;
	switch (ari_backend(r)) {
	case ARI_BE_AMI:
		return ari_ami_run(r, rp);
	case ARI_BE_ESL:
		return ari_esl_run(r, rp);
	default:
		break;
	}
	buf_init(&path, 64 * 1024);
	if (backend_path(r, r->cmd, &path) == -1 ||
	    backend_query(r, &path) == -1) {
		buf_free(&path);
		return ari_fail(r, E_BADREQ, 400, NULL, "Request too large");
	}
	call.path = arena_strndup(r->arena, path.data, path.len);
	buf_free(&path);
	call.body = backend_body(r, &call.n);
	rc = ast_ari_forward(r, &call, &x, &e);
	if (rc != E_OK) {
		r->unsure = e.sent;
		log_warnx("ari backend: %.*s", (int)e.len, e.msg);
		return ari_fail(r, E_BACKEND, 503, NULL,
		    "Asterisk REST Interface unavailable");
	}
	/* Asterisk without ARI (res_ari not loaded) answers HTML. */
	if (x.status == 404 && x.n > 0 && x.body[0] == '<') {
		log_warnx("ari backend: HTML 404, is res_ari loaded?");
		return ari_fail(r, E_BACKEND, 503, NULL,
		    "Asterisk REST Interface unavailable");
	}
	return pass_back(rp, &x);
}

/* An origination runs once per Idempotency-Key (idem.c). */
static enum err
run(struct req *r, struct reply *rp)
{
	if (r->cmd->flags & C_ORIGINATE)
		return ari_idempotent(r, rp, run_backend);
	return run_backend(r, rp);
}

/*
 * GET /ari/channels: from the event companion's live state unless
 * fresh=1 (live.c), else as every operation.
 */
static enum err
list(struct req *r, struct reply *rp)
{
	const struct arg *fresh = ari_arg(r, "fresh");

	if (ari_live_list(r, rp, fresh != NULL && ari_true(fresh->s)))
		return E_OK;
	return run(r, rp);
}

/* ---- the table ---- */

#define R SCOPE_ARI_READ
#define C SCOPE_ARI_CONTROL

static const struct cmd cmds[] = {
	{ .name = "list",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(list_params),
	    .run = list,
	    ARI_OP("/channels", 200, "List all active channels in Asterisk.") },
	{ .name = "originate",
	    .methods = M_POST,
	    .scope = C,
	    .flags = C_ORIGINATE,
	    PARAMS(originate_params),
	    .target = "endpoint",
	    .run = run,
	    ARI_OP("/channels", 200, "Create a new channel (originate).") },
	{ .name = "create",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(create_params),
	    .target = "endpoint",
	    .run = run,
	    ARI_OP("/channels/create", 200, "Create channel.") },
	{ .name = "get",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}", 200, "Channel details.") },
	{ .name = "originateWithId",
	    .methods = M_POST,
	    .scope = C,
	    .flags = C_ORIGINATE,
	    PARAMS(originate_id_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}", 200,
		"Create a new channel (originate with id).") },
	{ .name = "hangup",
	    .methods = M_DELETE,
	    .scope = C,
	    .flags = C_HANGUP,
	    PARAMS(hangup_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}", 204,
		"Delete (i.e. hangup) a channel.") },
	{ .name = "continueInDialplan",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(continue_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/continue", 204,
		"Exit application; continue execution in the dialplan.") },
	{ .name = "redirect",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(redirect_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/redirect", 204,
		"Redirect the channel to a different location.") },
	{ .name = "answer",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/answer", 204, "Answer a channel.") },
	{ .name = "ring",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/ring", 204,
		"Indicate ringing to a channel.") },
	{ .name = "ringStop",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/ring", 204,
		"Stop ringing indication on a channel if locally generated.") },
	{ .name = "sendDTMF",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(dtmf_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/dtmf", 204,
		"Send provided DTMF to a given channel.") },
	{ .name = "mute",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(mute_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/mute", 204, "Mute a channel.") },
	{ .name = "unmute",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(mute_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/mute", 204, "Unmute a channel.") },
	{ .name = "hold",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/hold", 204, "Hold a channel.") },
	{ .name = "unhold",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/hold", 204,
		"Remove a channel from hold.") },
	{ .name = "startMoh",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(moh_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/moh", 204,
		"Play music on hold to a channel.") },
	{ .name = "stopMoh",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/moh", 204,
		"Stop playing music on hold to a channel.") },
	{ .name = "startSilence",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/silence", 204,
		"Play silence to a channel.") },
	{ .name = "stopSilence",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/silence", 204,
		"Stop playing silence to a channel.") },
	{ .name = "play",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(play_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/play", 201,
		"Start playback of media.") },
	{ .name = "playWithId",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(play_id_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/play/{playbackId}", 201,
		"Start playback of media and specify the playbackId.") },
	{ .name = "record",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(record_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/record", 201, "Start a recording.") },
	{ .name = "getChannelVar",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(getvar_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/variable", 200,
		"Get the value of a channel variable or function.") },
	{ .name = "setChannelVar",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(setvar_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/variable", 204,
		"Set the value of a channel variable or function.") },
	{ .name = "snoopChannel",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(snoop_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/snoop", 200, "Start snooping.") },
	{ .name = "snoopChannelWithId",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(snoop_id_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/snoop/{snoopId}", 200,
		"Start snooping.") },
	{ .name = "dial",
	    .methods = M_POST,
	    .scope = C,
	    .flags = C_ORIGINATE,
	    PARAMS(dial_params),
	    .run = run,
	    ARI_OP(
		"/channels/{channelId}/dial", 204, "Dial a created channel.") },
	{ .name = "externalMedia",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(external_params),
	    .run = run,
	    ARI_OP("/channels/externalMedia", 200,
		"Start an External Media session.") },
	{ .name = "move",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(move_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/move", 204,
		"Move the channel from one Stasis application to another.") },
	{ .name = "progress",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/progress", 204,
		"Indicate progress on a channel.") },
	{ .name = "getChannelVars",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(getvars_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/variables", 200,
		"Get the values of channel variables or functions.") },
	{ .name = "setChannelVars",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(setvars_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/variables", 204,
		"Set the values of channel variables or functions.") },
	{ .name = "rtpstatistics",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(no_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/rtp_statistics", 200,
		"RTP stats on a channel.") },
	{ .name = "transfer_progress",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(transfer_params),
	    .run = run,
	    ARI_OP("/channels/{channelId}/transfer_progress", 204,
		"Inform the channel about the progress of an attended "
		"transfer.") },
};

const struct family ari_channels = { .name = "channels", CMDS(cmds) };
