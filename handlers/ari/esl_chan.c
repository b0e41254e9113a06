/*
 * FreeSWITCH's channels as ARI sees them, and what client text may
 * stand in an ESL command (see ari_esl.h).  Pure functions: no socket,
 * no request.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ari_esl.h"
#include "ari_model.h"
#include "arena.h"
#include "esl.h"
#include "json.h"
#include "phpin.h"
#include "pv.h"
#include "utf8.h"

#define AESL_NEST_MAX 8 /* {"rows":[{...}]} is three deep */

/* ---- show channels as json ---- */

/* Column key of row as a NUL-terminated arena string, "" if none. */
static const char *
col(struct arena *a, const struct pv *row, const char *key)
{
	const struct pv *v = pv_getz(row, key);
	const char *s;
	size_t n;

	if (v == NULL || v->type == PV_ARR || v->type == PV_NULL)
		return "";
	s = pv_to_str(a, v, &n);
	return arena_strndup(a, s, n);
}

static void
fill(struct arena *a, const struct pv *row, struct aesl_chan *c)
{
	c->uuid = col(a, row, "uuid");
	c->direction = col(a, row, "direction");
	c->created_epoch = col(a, row, "created_epoch");
	c->name = col(a, row, "name");
	c->state = col(a, row, "state");
	c->cid_name = col(a, row, "cid_name");
	c->cid_num = col(a, row, "cid_num");
	c->callee_name = col(a, row, "callee_name");
	c->callee_num = col(a, row, "callee_num");
	c->dest = col(a, row, "dest");
	c->application = col(a, row, "application");
	c->application_data = col(a, row, "application_data");
	c->context = col(a, row, "context");
	c->presence_id = col(a, row, "presence_id");
	c->callstate = col(a, row, "callstate");
}

int
aesl_parse_channels(
    struct arena *a, const char *s, size_t n, struct aesl_chan **rows)
{
	static const struct in_limits lim = { .nest_max = AESL_NEST_MAX };
	const struct pv *list;
	const struct pv_ent *e;
	struct aesl_chan *out;
	struct pv *v;
	char why[128];
	int k = 0;

	*rows = NULL;
	s = utf8_scrub(a, s, n);
	if (json_decode_pv(a, s, n, &lim, &v, why, sizeof(why)) != E_OK ||
	    v->type != PV_ARR || pv_getz(v, "row_count") == NULL)
		return -1;
	if ((list = pv_getz(v, "rows")) == NULL)
		return 0;
	if (list->type != PV_ARR)
		return -1;
	out = arena_zalloc(a, (pv_count(list) + 1) * sizeof(*out));
	for (e = list->u.arr->head; e != NULL; e = e->next) {
		if (e->val.type != PV_ARR)
			return -1;
		fill(a, &e->val, &out[k]);
		if (out[k].uuid[0] != '\0')
			k++;
	}
	*rows = out;
	return k;
}

int
aesl_in_domain(const struct aesl_chan *c, const char *domain)
{
	const char *at = strrchr(c->presence_id, '@');

	if (*domain == '\0')
		return 0;
	if (strcasecmp(c->context, domain) == 0)
		return 1;
	return at != NULL && at != c->presence_id &&
	    strcasecmp(at + 1, domain) == 0;
}

const char *
aesl_state(const struct aesl_chan *c)
{
	/* FreeSWITCH's call states; "Ring" is a call coming in. */
	static const struct {
		const char *fs, *in, *out;
	} map[] = {
		{ "DOWN", "Down", "Down" },
		{ "DIALING", "Dialing", "Dialing" },
		{ "RINGING", "Ring", "Ringing" },
		{ "EARLY", "Ring", "Ringing" },
		{ "RING_WAIT", "Ring", "Ringing" },
		{ "ACTIVE", "Up", "Up" },
		{ "HELD", "Up", "Up" },
		{ "UNHELD", "Up", "Up" },
		{ "HANGUP", "Down", "Down" },
	};
	int in = strcasecmp(c->direction, "inbound") == 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(c->callstate, map[i].fs) == 0)
			return in ? map[i].in : map[i].out;
	return "Unknown";
}

/* created_epoch (decimal seconds) as a time, 0 if it is not one. */
static time_t
epoch(const char *s)
{
	time_t t = 0;
	size_t i, n = strlen(s);

	if (n == 0 || n > 12 || strspn(s, "0123456789") != n)
		return 0;
	for (i = 0; i < n; i++)
		t = t * 10 + (s[i] - '0');
	return t;
}

/* c as ARI's Channel, in state, created at t. */
static void
channel(struct jw *w, const struct aesl_chan *c, const char *state, time_t t)
{
	struct ari_chan ch = {
		.id = ari_strz(c->uuid),
		.name = ari_strz(c->name),
		.state = ari_strz(state),
		.caller_name = ari_strz(c->cid_name),
		.caller_number = ari_strz(c->cid_num),
		.connected_name = ari_strz(c->callee_name),
		.connected_number = ari_strz(c->callee_num),
		.accountcode = ari_strz(""),
		.context = ari_strz(c->context),
		.exten = ari_strz(c->dest),
		.app_name = ari_strz(c->application),
		.app_data = ari_strz(c->application_data),
		.priority = 1,
		.language = ari_strz("en"),
	};

	ari_time(ch.creationtime, t, 0);
	ari_chan_json(w, &ch);
}

void
aesl_channel_json(struct jw *w, const struct aesl_chan *c)
{
	channel(w, c, aesl_state(c), epoch(c->created_epoch));
}

void
aesl_new_channel_json(struct jw *w, const struct aesl_chan *c)
{
	channel(w, c, "Down", time(NULL));
}

/* ---- what may stand in an ESL command ---- */

static int
is_word(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

int
aesl_v_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > AESL_ID_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (!is_word((unsigned char)s[i]) && s[i] != '.')
			return -1;
	return 0;
}

int
aesl_v_text(const char *s, size_t n)
{
	unsigned char ch;
	size_t i;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f || ch == '\'' || ch == '"' ||
		    ch == '\\' || (ch == '$' && i + 1 < n && s[i + 1] == '{'))
			return -1;
	}
	return 0;
}

int
aesl_v_brace(const char *s, size_t n)
{
	size_t i;

	if (aesl_v_text(s, n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (strchr(",{}[]<>^|", s[i]) != NULL)
			return -1;
	return 0;
}

int
aesl_v_varname(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > AESL_NAME_MAX || (s[0] >= '0' && s[0] <= '9') ||
	    s[0] == '-')
		return -1;
	for (i = 0; i < n; i++)
		if (!is_word((unsigned char)s[i]))
			return -1;
	return 0;
}

int
aesl_var_settable(const char *name)
{
	/* Run applications or APIs; move the call out of its domain. */
	static const char *const words[] = { "exec", "api", "hook", "app",
		"script", "transfer", "context", "dialplan", "domain",
		"presence", "uuid", "accountcode", "music", "ringback",
		"record", "sound", "playback", "file", "path", "url", "cdr",
		NULL };
	char low[AESL_NAME_MAX + 1];
	size_t i, n = strlen(name);

	if (aesl_v_varname(name, n) == -1)
		return 0;
	for (i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	for (i = 0; words[i] != NULL; i++)
		if (strstr(low, words[i]) != NULL)
			return 0;
	return 1;
}

int
aesl_v_relpath(const char *s, size_t n, int dots)
{
	size_t i, seg = 0;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '/') {
			if (seg == 0)
				return -1;
			seg = 0;
			continue;
		}
		if (!is_word((unsigned char)s[i]) &&
		    !(dots && s[i] == '.' && seg > 0))
			return -1;
		seg++;
	}
	return seg == 0 ? -1 : 0;
}

const char *
aesl_cause(const char *reason)
{
	static const char *const map[][2] = {
		{ "normal", "NORMAL_CLEARING" },
		{ "busy", "USER_BUSY" },
		{ "congestion", "NORMAL_CIRCUIT_CONGESTION" },
		{ "no_answer", "NO_ANSWER" },
		{ "timeout", "RECOVERY_ON_TIMER_EXPIRE" },
		{ "rejected", "CALL_REJECTED" },
		{ "unallocated", "UNALLOCATED_NUMBER" },
		{ "normal_unspecified", "NORMAL_UNSPECIFIED" },
		{ "number_incomplete", "INVALID_NUMBER_FORMAT" },
		{ "codec_mismatch", "INCOMPATIBLE_DESTINATION" },
		{ "interworking", "INTERWORKING" },
		{ "failure", "NETWORK_OUT_OF_ORDER" },
		{ "answered_elsewhere", "LOSE_RACE" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(reason, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* The endpoint technologies and how each reaches the domain. */
enum ep_kind { EP_USER, EP_DIALPLAN };

static const struct {
	const char *tech;
	char sep; /* before the domain, 0: no domain part */
	enum ep_kind kind;
} techs[] = {
	{ "user", '@', EP_USER },
	{ "PJSIP", 0, EP_USER },
	{ "SIP", 0, EP_USER },
	{ "loopback", '/', EP_DIALPLAN },
	{ "Local", '@', EP_DIALPLAN },
};

int
aesl_endpoint(struct arena *a, const char *ep, const char *domain,
    const char **dial, const char **exten, char *why, size_t whylen)
{
	const char *slash = strchr(ep, '/'), *res, *sep, *dom = NULL;
	size_t i, tlen, xlen;

	if (slash == NULL || slash == ep || slash[1] == '\0') {
		(void)snprintf(why, whylen, "Invalid endpoint specified");
		return -1;
	}
	tlen = (size_t)(slash - ep);
	res = slash + 1;
	for (i = 0; i < sizeof(techs) / sizeof(techs[0]); i++)
		if (strlen(techs[i].tech) == tlen &&
		    strncasecmp(ep, techs[i].tech, tlen) == 0)
			break;
	if (i == sizeof(techs) / sizeof(techs[0])) {
		(void)snprintf(why, whylen,
		    "Endpoint technology '%.*s' is not allowed: use user/, "
		    "loopback/, PJSIP/, SIP/ or Local/",
		    (int)(tlen > 32 ? 32 : tlen), ep);
		return -1;
	}
	sep = techs[i].sep ? strchr(res, techs[i].sep) : NULL;
	xlen = sep != NULL ? (size_t)(sep - res) : strlen(res);
	if (sep != NULL)
		dom = sep + 1;
	if (dom != NULL && !esl_domain_ok(dom, strlen(dom))) {
		(void)snprintf(why, whylen, "Invalid endpoint specified");
		return -1;
	}
	if (dom != NULL && strcasecmp(dom, domain) != 0) {
		(void)snprintf(why, whylen,
		    "Endpoint '%.64s' is outside this tenant's domain", ep);
		return -1;
	}
	if (!esl_dial_token_ok(res, xlen)) {
		(void)snprintf(why, whylen, "Invalid endpoint specified");
		return -1;
	}
	*exten = arena_strndup(a, res, xlen);
	*dial = arena_printf(a,
	    techs[i].kind == EP_USER ? "user/%s@%s" : "loopback/%s/%s", *exten,
	    domain);
	return 0;
}

/* Trims blanks and one pair of surrounding double quotes. */
static const char *
trim(struct arena *a, const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)s[0]))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	return arena_strndup(a, s, n);
}

void
aesl_callerid(
    struct arena *a, const char *s, const char **name, const char **number)
{
	const char *lt = strchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t n = strlen(s);

	*name = *number = "";
	if (lt != NULL && gt != NULL) {
		*name = trim(a, s, (size_t)(lt - s));
		*number = trim(a, lt + 1, (size_t)(gt - lt - 1));
	} else if (n > 0 && strspn(s, "0123456789+*#-() ") == n)
		*number = trim(a, s, n);
	else
		*name = trim(a, s, n);
}
