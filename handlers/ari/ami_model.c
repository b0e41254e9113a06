/*
 * ARI's models from what AMI says (see ari_ami.h): the Channel of a
 * CoreShowChannel or Status event, its creationtime, callerId parsing
 * and hangup's causes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami.h"
#include "ari_ami.h"
#include "json.h"
#include "util.h"

#define EPOCH_DIGITS_MIN 9  /* 2001 on: Asterisk's uniqueid prefix */
#define EPOCH_DIGITS_MAX 11 /* and no further than an int64 needs */
#define AGE_SLACK	 2  /* seconds between Duration and the id */

/* ARI's state names, by AMI's ChannelState number (ast_state2str). */
static const char *const states[] = { "Down", "Rsrved", "OffHook", "Dialing",
	"Ring", "Ringing", "Up", "Busy", "Dialing Offhook", "Pre-ring" };

/* Hangup's reason names and their Q.850 causes (ARI's table). */
static const struct {
	const char *reason;
	int cause;
} causes[] = {
	{ "normal", 16 },
	{ "busy", 17 },
	{ "congestion", 34 },
	{ "no_answer", 19 },
	{ "timeout", 18 }, /* AST_CAUSE_NO_USER_RESPONSE */
	{ "rejected", 21 },
	{ "unallocated", 1 },
	{ "normal_unspecified", 31 },
	{ "number_incomplete", 28 },
	{ "codec_mismatch", 58 },
	{ "interworking", 127 },
	{ "failure", 38 },
	{ "answered_elsewhere", 26 },
};

static int
eq(struct ari_str v, const char *s)
{
	return v.n == strlen(s) && memcmp(v.s, s, v.n) == 0;
}

/* The value of header name of m, else of alt (if not NULL), else "". */
static struct ari_str
get(const struct ami_msg *m, const char *name, const char *alt)
{
	struct ari_str v = { NULL, 0 };

	v.s = ami_get(m, name, &v.n);
	if (v.s == NULL && alt != NULL)
		v.s = ami_get(m, alt, &v.n);
	if (v.s == NULL)
		v = ari_strz("");
	return v;
}

/* A caller or connected party's field: AMI's "<unknown>" is "". */
static struct ari_str
party(const struct ami_msg *m, const char *name)
{
	struct ari_str v = get(m, name, NULL);

	return eq(v, "<unknown>") ? ari_strz("") : v;
}

/*
 * Reads the decimal digits at s[*i] on, up to n.  Returns their number
 * (0: none, or more than 18) with the value in *v.
 */
static size_t
digits(const char *s, size_t n, size_t *i, long long *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && s[*i] >= '0' && s[*i] <= '9' && *i - start < 18)
		*v = *v * 10 + (s[(*i)++] - '0');
	if (*i < n && s[*i] >= '0' && s[*i] <= '9')
		return 0;
	return *i - start;
}

/* Returns v as a number, or -1 if it is not only digits. */
static long long
number(struct ari_str v)
{
	long long k;
	size_t i = 0;

	return digits(v.s, v.n, &i, &k) > 0 && i == v.n ? k : -1;
}

/* ARI's state from ChannelStateDesc, else ChannelState; "Unknown". */
static struct ari_str
state(const struct ami_msg *m)
{
	struct ari_str d = get(m, "ChannelStateDesc", NULL);
	long long k;
	size_t i;

	if (eq(d, "Rsrvd")) /* ast_state2str's word for Rsrved */
		return ari_strz("Rsrved");
	for (i = 0; i < nitems(states); i++)
		if (eq(d, states[i]))
			return ari_strz(states[i]);
	k = number(get(m, "ChannelState", NULL));
	if (k >= 0 && (size_t)k < nitems(states))
		return ari_strz(states[k]);
	return ari_strz("Unknown");
}

/*
 * The channel's age in seconds: CoreShowChannel's Duration ("H:MM:SS",
 * from its creation time) or Status' Seconds.  Returns -1 if neither.
 */
static long long
age(const struct ami_msg *m)
{
	struct ari_str d = get(m, "Duration", NULL);
	long long h, mi, s;
	size_t i = 0;

	if (digits(d.s, d.n, &i, &h) > 0 && i < d.n && d.s[i++] == ':' &&
	    digits(d.s, d.n, &i, &mi) > 0 && i < d.n && d.s[i++] == ':' &&
	    digits(d.s, d.n, &i, &s) > 0 && i == d.n)
		return h * 3600 + mi * 60 + s;
	return number(get(m, "Seconds", NULL));
}

/*
 * The epoch of a uniqueid Asterisk made: "[system-]1795350220.22".
 * Returns -1 for any other id (one a client chose).
 */
static long long
id_epoch(struct ari_str id)
{
	size_t i = id.n, start;
	long long t, seq;

	while (i > 0 && id.s[i - 1] != '-')
		i--;
	start = i;
	if (digits(id.s, id.n, &i, &t) < EPOCH_DIGITS_MIN ||
	    i - start > EPOCH_DIGITS_MAX || i == id.n || id.s[i++] != '.' ||
	    digits(id.s, id.n, &i, &seq) == 0 || i != id.n)
		return -1;
	return t;
}

/*
 * The creation time: the uniqueid's epoch when Asterisk made the id and
 * the age agrees with it, else now less the age, else now.
 */
static time_t
created(struct ari_str id, long long age, time_t now)
{
	long long t = id_epoch(id);

	if (t >= 0 && t <= now &&
	    (age < 0 || llabs((long long)now - age - t) <= AGE_SLACK))
		return (time_t)t;
	if (age >= 0 && age <= now)
		return now - (time_t)age;
	return now;
}

void
ari_chan_from_ami(struct ari_chan *c, const struct ami_msg *m, time_t now)
{
	c->id = get(m, "Uniqueid", NULL);
	c->name = get(m, "Channel", NULL);
	c->state = state(m);
	c->caller_name = party(m, "CallerIDName");
	c->caller_number = party(m, "CallerIDNum");
	c->connected_name = party(m, "ConnectedLineName");
	c->connected_number = party(m, "ConnectedLineNum");
	c->accountcode = get(m, "AccountCode", NULL);
	c->context = get(m, "Context", NULL);
	c->exten = get(m, "Exten", "Extension");
	c->priority = number(get(m, "Priority", NULL));
	if (c->priority < 0)
		c->priority = 0;
	c->app_name = get(m, "Application", NULL);
	c->app_data = get(m, "ApplicationData", "Data");
	ari_time(c->creationtime, created(c->id, age(m), now), 0);
	c->language.s = ami_get(m, "Language", &c->language.n);
	if (c->language.s == NULL)
		c->language = ari_strz("en"); /* Asterisk 11 does not say */
}

/* s without surrounding blanks, then without one pair of quotes. */
static struct ari_str
unquote(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s++;
		n -= 2;
	}
	return (struct ari_str){ s, n };
}

void
ari_callerid(
    const char *s, size_t n, struct ari_str *name, struct ari_str *number)
{
	const char *lt = NULL, *gt;
	struct ari_str t;
	size_t i;

	*name = *number = ari_strz("");
	for (i = n; i > 0 && lt == NULL; i--)
		if (s[i - 1] == '<')
			lt = s + i - 1;
	gt = lt != NULL ? memchr(lt, '>', n - (size_t)(lt - s)) : NULL;
	if (gt != NULL) {
		*number = (struct ari_str){ lt + 1, (size_t)(gt - lt - 1) };
		*name = unquote(s, (size_t)(lt - s));
		return;
	}
	t = unquote(s, n);
	for (i = 0; i < t.n && t.s[i] != '\0' &&
	     strchr("0123456789*#+", t.s[i]) != NULL;
	     i++)
		;
	if (t.n > 0 && i == t.n)
		*number = t;
	else
		*name = t;
}

int
ari_cause(const char *reason)
{
	size_t i;

	for (i = 0; i < nitems(causes); i++)
		if (strcmp(causes[i].reason, reason) == 0)
			return causes[i].cause;
	return -1;
}
