/*
 * ARI's words for an invalid parameter of /ari/channels: the status,
 * reason and message Asterisk answers for each operation's parameter
 * (a table, most specific row first), and the same table as the
 * OpenAPI description's error responses.
 */
#include <string.h>

#include "ari_dialect.h"
#include "conf.h"
#include "json.h"
#include "reply.h"
#include "str.h"

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
