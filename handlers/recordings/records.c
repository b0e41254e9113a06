/*
 * POST /records/search and POST /records/callid_search (spec §3.1,
 * §3.2): the filters and the page are checked here, the store runs them.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "recordings.h"
#include "reply.h"

static const char *const directions[] = { "incoming", "outgoing", "all", NULL };
/* XiVO's call_exit_type. */
static const char *const exits[] = { "abandoned", "answered", "divert_ca_ratio",
	"divert_waittime", "closed", "full", "joinempty", "leaveempty",
	"timeout", NULL };

/* The two digits at s. */
static int
two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/*
 * "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" (or with
 * ISO 8601's "T"), the digits where the format has them, a day that the
 * month has and a time of day: a date the databases would refuse (or,
 * MariaDB, turn into NULL) is the client's error.
 */
static int
v_datetime(const char *s, size_t n)
{
	static const char fmt[] = "dddd-dd-dd dd:dd:dd";
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	size_t i;
	int y, m;

	if (n != 10 && n != 16 && n != 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (fmt[i] == 'd' && (s[i] < '0' || s[i] > '9'))
			return -1;
		if (fmt[i] == ' ' && s[i] != ' ' && s[i] != 'T')
			return -1;
		if (fmt[i] != 'd' && fmt[i] != ' ' && s[i] != fmt[i])
			return -1;
	}
	y = two(s) * 100 + two(s + 2);
	m = two(s + 5);
	if (y == 0 || m < 1 || m > 12 || two(s + 8) < 1 ||
	    two(s + 8) > mdays[m - 1] ||
	    (m == 2 && two(s + 8) == 29 &&
		(y % 4 != 0 || (y % 100 == 0 && y % 400 != 0))))
		return -1;
	if (n > 10 && (two(s + 11) > 23 || two(s + 14) > 59))
		return -1;
	return n > 16 && two(s + 17) > 59 ? -1 : 0;
}

/* A number pattern: "%" may be a wildcard, but not the first byte. */
static int
v_pattern(const char *s, size_t n)
{
	return n > 0 && (s[0] == '%' || s[0] == '_') ? -1 : 0;
}

/* 1 .. 9999999 (deep pages are refused by REC_OFFSET_MAX). */
static int
v_page(const char *s, size_t n)
{
	return v_digits(s, n) == 0 && n <= 7 && strtol(s, NULL, 10) >= 1 ? 0
									 : -1;
}

/* A filter of the JSON body: its name, longest value, validator, set. */
#define FILTER(n, max, v, set)                                           \
	{                                                                \
		.name = (n), .src = SRC_BODY, .flags = P_NOCTL | P_UTF8, \
		.maxlen = (max), .valid = (v), .values = (set)           \
	}

/* search_params, by position (r->args follows the table). */
enum {
	A_PAGE,
	A_SIZE,
	A_CURSOR,
	A_AGENT,
	A_QUEUE,
	A_START,
	A_END,
	A_CALLEE,
	A_CALLER,
	A_DIRECTION,
	A_QSTATUS,
	A_KEY,
	A_VALUE,
};

static const struct param search_params[] = {
	{ .name = "page", .src = SRC_QUERY, .def = "1", .valid = v_page },
	{ .name = "pageSize",
	    .src = SRC_QUERY,
	    .def = "10",
	    .valid = rec_v_size },
	{ .name = "cursor", .src = SRC_QUERY, .maxlen = 512, .flags = P_NOCTL },
	FILTER("agent", 80, NULL, NULL),
	FILTER("queue", 128, NULL, NULL),
	FILTER("start", 19, v_datetime, NULL),
	FILTER("end", 19, v_datetime, NULL),
	FILTER("callee", 80, v_pattern, NULL),
	FILTER("caller", 80, v_pattern, NULL),
	FILTER("direction", 16, NULL, directions),
	FILTER("queueCallStatus", 16, NULL, exits),
	FILTER("key", REC_KEY_MAX, NULL, NULL),
	FILTER("value", REC_VALUE_MAX, NULL, NULL),
};

/* The argument i as a string, NULL if not given (or given empty). */
static const char *
opt(const struct req *r, size_t i)
{
	const struct arg *a = &r->args[i];

	return a->present && a->s != NULL && a->len > 0 ? a->s : NULL;
}

static enum err
search(struct req *r, struct reply *rp)
{
	const struct rec_store *st = rec_store(r);
	struct rec_filter f = {
		.agent = opt(r, A_AGENT),
		.queue = opt(r, A_QUEUE),
		.start = opt(r, A_START),
		.end = opt(r, A_END),
		.callee = opt(r, A_CALLEE),
		.caller = opt(r, A_CALLER),
		.direction = opt(r, A_DIRECTION),
		.qstatus = opt(r, A_QSTATUS),
		.key = opt(r, A_KEY),
		.value = opt(r, A_VALUE),
	};
	struct rec_page pg = { .page = strtol(r->args[A_PAGE].s, NULL, 10),
		.size = strtol(r->args[A_SIZE].s, NULL, 10) };
	struct rec_list l = { 0 };
	enum err e;

	if ((f.key == NULL) != (f.value == NULL))
		return req_error(r, E_BADREQ,
		    "'key' and 'value' filter attached data together");
	if (f.direction != NULL && strcmp(f.direction, "all") == 0)
		f.direction = NULL;
	if (r->args[A_CURSOR].present &&
	    rec_cursor_parse(r, r->args[A_CURSOR].s, &pg) == -1)
		return req_error(r, E_BADREQ, "'cursor' is invalid");
	if (pg.keyset && r->args[A_PAGE].present)
		return req_error(
		    r, E_BADREQ, "'page' and 'cursor' exclude each other");
	if ((pg.page - 1) * pg.size > REC_OFFSET_MAX)
		return req_error(r, E_BADREQ,
		    "pages start at most %d records in: use 'cursor' to go "
		    "deeper",
		    REC_OFFSET_MAX);
	if (st->search == NULL)
		return req_error(
		    r, E_NOTSUP, "the %s store cannot search", st->name);
	if ((e = st->search(r, &f, &pg, &l)) != E_OK)
		return e;
	return rec_reply_list(r, rp, &l, &pg);
}

static const struct param callid_params[] = {
	{ .name = "callid",
	    .src = SRC_QUERY,
	    .flags = P_REQUIRED | P_NOCTL,
	    .maxlen = 150,
	    .valid = v_printable },
};

static enum err
callid_search(struct req *r, struct reply *rp)
{
	const struct rec_store *st = rec_store(r);
	struct rec_list l = { 0 };
	enum err e;

	if (st->by_callid == NULL)
		return req_error(r, E_NOTSUP,
		    "the %s store cannot search by call id", st->name);
	if ((e = st->by_callid(r, r->args[0].s, &l)) != E_OK)
		return e;
	l.has_next = 0; /* one call, never paged (spec §3.2) */
	return rec_reply_list(r, rp, &l, NULL);
}

static const struct cmd cmds[] = {
	{ .name = "search",
	    .methods = M_POST,
	    .scope = SCOPE_RECORDINGS,
	    .path = "/records/search",
	    PARAMS(search_params),
	    .run = search },
	{ .name = "callid_search",
	    .methods = M_POST,
	    .scope = SCOPE_RECORDINGS,
	    .path = "/records/callid_search",
	    PARAMS(callid_params),
	    .run = callid_search },
};

const struct family rec_records = { .name = "records", CMDS(cmds) };
