/*
 * /ari/channels: the 28 operations of the seed, one row each, with their
 * parameters and validators.  ARI's words for an invalid parameter are
 * in perr.c; every row runs through run.c: on the ARI backend the
 * validated arguments, and nothing else, are sent on to Asterisk, and
 * its reply is passed back as it came.
 */
#include <string.h>

#include "ari_dialect.h"
#include "conf.h"

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

int
ari_nonneg(const struct param *p)
{
	return p->valid == v_nonneg;
}

/* ---- the table ---- */

#define R SCOPE_ARI_READ
#define C SCOPE_ARI_CONTROL

static const struct cmd cmds[] = {
	{ .name = "list",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(list_params),
	    .run = ari_op_list,
	    ARI_OP("/channels", 200, "List all active channels in Asterisk.") },
	{ .name = "originate",
	    .methods = M_POST,
	    .scope = C,
	    .flags = C_ORIGINATE,
	    PARAMS(originate_params),
	    .target = "endpoint",
	    .run = ari_op_run,
	    ARI_OP("/channels", 200, "Create a new channel (originate).") },
	{ .name = "create",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(create_params),
	    .target = "endpoint",
	    .run = ari_op_run,
	    ARI_OP("/channels/create", 200, "Create channel.") },
	{ .name = "get",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}", 200, "Channel details.") },
	{ .name = "originateWithId",
	    .methods = M_POST,
	    .scope = C,
	    .flags = C_ORIGINATE,
	    PARAMS(originate_id_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}", 200,
		"Create a new channel (originate with id).") },
	{ .name = "hangup",
	    .methods = M_DELETE,
	    .scope = C,
	    .flags = C_HANGUP,
	    PARAMS(hangup_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}", 204,
		"Delete (i.e. hangup) a channel.") },
	{ .name = "continueInDialplan",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(continue_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/continue", 204,
		"Exit application; continue execution in the dialplan.") },
	{ .name = "redirect",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(redirect_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/redirect", 204,
		"Redirect the channel to a different location.") },
	{ .name = "answer",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/answer", 204, "Answer a channel.") },
	{ .name = "ring",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/ring", 204,
		"Indicate ringing to a channel.") },
	{ .name = "ringStop",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/ring", 204,
		"Stop ringing indication on a channel if locally generated.") },
	{ .name = "sendDTMF",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(dtmf_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/dtmf", 204,
		"Send provided DTMF to a given channel.") },
	{ .name = "mute",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(mute_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/mute", 204, "Mute a channel.") },
	{ .name = "unmute",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(mute_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/mute", 204, "Unmute a channel.") },
	{ .name = "hold",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/hold", 204, "Hold a channel.") },
	{ .name = "unhold",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/hold", 204,
		"Remove a channel from hold.") },
	{ .name = "startMoh",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(moh_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/moh", 204,
		"Play music on hold to a channel.") },
	{ .name = "stopMoh",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/moh", 204,
		"Stop playing music on hold to a channel.") },
	{ .name = "startSilence",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/silence", 204,
		"Play silence to a channel.") },
	{ .name = "stopSilence",
	    .methods = M_DELETE,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/silence", 204,
		"Stop playing silence to a channel.") },
	{ .name = "play",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(play_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/play", 201,
		"Start playback of media.") },
	{ .name = "playWithId",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(play_id_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/play/{playbackId}", 201,
		"Start playback of media and specify the playbackId.") },
	{ .name = "record",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(record_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/record", 201, "Start a recording.") },
	{ .name = "getChannelVar",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(getvar_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/variable", 200,
		"Get the value of a channel variable or function.") },
	{ .name = "setChannelVar",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(setvar_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/variable", 204,
		"Set the value of a channel variable or function.") },
	{ .name = "snoopChannel",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(snoop_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/snoop", 200, "Start snooping.") },
	{ .name = "snoopChannelWithId",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(snoop_id_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/snoop/{snoopId}", 200,
		"Start snooping.") },
	{ .name = "dial",
	    .methods = M_POST,
	    .scope = C,
	    .flags = C_ORIGINATE,
	    PARAMS(dial_params),
	    .run = ari_op_run,
	    ARI_OP(
		"/channels/{channelId}/dial", 204, "Dial a created channel.") },
	{ .name = "externalMedia",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(external_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/externalMedia", 200,
		"Start an External Media session.") },
	{ .name = "move",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(move_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/move", 204,
		"Move the channel from one Stasis application to another.") },
	{ .name = "progress",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/progress", 204,
		"Indicate progress on a channel.") },
	{ .name = "getChannelVars",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(getvars_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/variables", 200,
		"Get the values of channel variables or functions.") },
	{ .name = "setChannelVars",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(setvars_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/variables", 204,
		"Set the values of channel variables or functions.") },
	{ .name = "rtpstatistics",
	    .methods = M_GET,
	    .scope = R,
	    PARAMS(no_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/rtp_statistics", 200,
		"RTP stats on a channel.") },
	{ .name = "transfer_progress",
	    .methods = M_POST,
	    .scope = C,
	    PARAMS(transfer_params),
	    .run = ari_op_run,
	    ARI_OP("/channels/{channelId}/transfer_progress", 204,
		"Inform the channel about the progress of an attended "
		"transfer.") },
};

const struct family ari_channels = { .name = "channels", CMDS(cmds) };
