/*
 * Event-socket framing (drivers/esl_frame.c) and the originate command
 * builder of drivers/esl.c: whole, split and coalesced messages, the
 * limits, and the exact bytes of fusionpbx.md §3.8.
 */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "esl.h"
#include "esl_frame.h"
#include "tap.h"

static enum esl_frame_rc
parse(const char *s, size_t n, struct esl_msg *m, size_t *used)
{
	struct esl_frame_state st = { 0 };

	*used = 0;
	return esl_frame_parse(s, n, &st, m, used);
}

static void
whole(void)
{
	static const char g[] = "Content-Type: auth/request\n\n";
	static const char api[] = "Content-Type: api/response\n"
				  "Content-Length: 15\n\n-ERR NO_ANSWER\n";
	struct esl_msg m;
	size_t used, len;
	const char *v;

	is_int(parse(g, strlen(g), &m, &used), ESL_FRAME_OK, "greeting");
	is_int((long long)used, (long long)strlen(g), "greeting: all used");
	ok(esl_msg_is(&m, "content-type", "auth/request"),
	    "names are case-insensitive");
	ok(m.body == NULL, "no Content-Length, no body");
	is_int(parse(api, strlen(api), &m, &used), ESL_FRAME_OK, "api");
	is_mem(m.body, m.blen, "-ERR NO_ANSWER\n", "api: exact body");
	is_int((long long)used, (long long)strlen(api), "api: all used");
	v = esl_msg_get(&m, "Content-Length", &len);
	is_mem(v, len, "15", "header value");
	is_int(parse(api, strlen(api) - 1, &m, &used), ESL_FRAME_MORE,
	    "body one byte short: more");
	is_int(parse(api, 20, &m, &used), ESL_FRAME_MORE,
	    "inside the headers: more");
	is_int(parse("", 0, &m, &used), ESL_FRAME_MORE, "nothing: more");
	is_int(parse("\n\r\n", 3, &m, &used), ESL_FRAME_MORE,
	    "blank lines only: more");
}

static void
coalesced(void)
{
	static const char two[] = "\nContent-Type: command/reply\nReply-Text: "
				  "+OK accepted\n\nContent-Length: 3\n"
				  "Content-Type: text/event-plain\n\nabc";
	struct esl_msg m;
	size_t used, off;

	is_int(parse(two, strlen(two), &m, &used), ESL_FRAME_OK, "first");
	ok(esl_msg_is(&m, "Reply-Text", "+OK accepted"), "first: reply");
	off = used;
	is_int(parse(two + off, strlen(two) - off, &m, &used), ESL_FRAME_OK,
	    "second from the leftover");
	is_mem(m.body, m.blen, "abc", "second: event body");
	is_int((long long)(off + used), (long long)strlen(two),
	    "both consumed exactly");
}

static void
crlf_and_spaces(void)
{
	static const char s[] = "Content-Type:    api/response\r\n"
				"Content-Length: 2\r\n\r\nok";
	struct esl_msg m;
	size_t used;

	is_int(parse(s, strlen(s), &m, &used), ESL_FRAME_OK, "CRLF lines");
	ok(esl_msg_is(&m, "Content-Type", "api/response"),
	    "leading blanks skipped, CR dropped");
	is_mem(m.body, m.blen, "ok", "CRLF: body");
}

static void
dripped(void)
{
	static const char s[] =
	    "Content-Type: api/response\nContent-Length: 4\n\n+OK\n";
	struct esl_frame_state st = { 0 };
	struct esl_msg m;
	size_t n, used = 0;
	enum esl_frame_rc rc = ESL_FRAME_MORE;

	for (n = 0; n <= strlen(s) && rc == ESL_FRAME_MORE; n++)
		rc = esl_frame_parse(s, n, &st, &m, &used);
	is_int(rc, ESL_FRAME_OK, "one byte at a time");
	is_int((long long)n - 1, (long long)strlen(s), "done at the last byte");
	is_mem(m.body, m.blen, "+OK\n", "dripped body");
}

static void
bad(const char *s, size_t n, const char *name)
{
	struct esl_msg m;
	size_t used;

	is_int(parse(s, n, &m, &used), ESL_FRAME_ERR, name);
	ok(m.err != NULL, "%s: says why", name);
}

static void
garbage(void)
{
	char *big;

	bad("no colon here\n\n", 15, "line without ':'");
	bad(": x\n\n", 5, "empty name");
	bad("A: b\0c\n\n", 8, "NUL in the headers");
	bad("Content-Length: -5\n\n", 20, "negative Content-Length");
	bad("Content-Length: 99999999999\n\n", 29, "huge Content-Length");
	bad("Content-Length: 4194305\n\n", 25, "Content-Length over the limit");
	bad("Content-Length: ten\n\n", 21, "non-numeric Content-Length");
	bad("Content-Length: \n\n", 18, "empty Content-Length");
	bad("Content-Length: 1 \n\n", 20, "Content-Length with a blank");
	big = malloc(ESL_HEAD_MAX + 2);
	memset(big, 'x', ESL_HEAD_MAX + 2);
	bad(big, ESL_HEAD_MAX + 2, "endless line");
	memset(big, '\n', ESL_SKIP_MAX + 2);
	bad(big, ESL_SKIP_MAX + 2, "endless blank lines");
	free(big);
}

static void
originate(void)
{
	struct arena *a = arena_new();
	struct esl_originate o = { .cid_number = "+12065550100",
		.cid_name = "Example Corp & Co/Sales",
		.dest_a = "100",
		.dest_b = "*9664",
		.domain = "fusionpbx.example.net",
		.timeout = 30 };
	const char *bad_values[] = { "101\n\napi system x", "1,x=y", "1}",
		"1 2", "100/other.example.org/XML", "1'", "1(", "1|sofia", "",
		"1=2", "1\r" };
	char why[64], *cmd;
	size_t i;

	is_int(esl_originate_cmd(a, &o, &cmd, why, sizeof(why)), E_OK,
	    "originate builds");
	is_str(cmd,
	    "originate {ignore_early_media=true,originate_timeout=30,"
	    "effective_caller_id_number=+12065550100,effective_caller_id_name="
	    "Example%20Corp%20%26%20Co%2FSales}loopback/*9664/"
	    "fusionpbx.example.net '&bridge({ignore_early_media=true,"
	    "originate_timeout=30,effective_caller_id_number=+12065550100,"
	    "effective_caller_id_name=Example%20Corp%20%26%20Co%2FSales}"
	    "loopback/100/fusionpbx.example.net)'",
	    "the golden bytes");
	o.cid_name = NULL;
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
		o.dest_b = bad_values[i];
		is_int(esl_originate_cmd(a, &o, &cmd, why, sizeof(why)),
		    E_BADREQ, "destination_b refused");
		is_str(why, "invalid destination_b", "names the field");
	}
	o.dest_b = "101";
	o.domain = "evil.example.org/XML";
	is_int(esl_originate_cmd(a, &o, &cmd, why, sizeof(why)), E_BADREQ,
	    "a domain with '/' is refused");
	is_str(esl_rawurlencode(a, "a-_.~ \xc3\xa9", 8), "a-_.~%20%C3%A9",
	    "rawurlencode keeps -_.~ only");
	arena_free(a);
}

int
main(void)
{
	whole();
	coalesced();
	crlf_and_spaces();
	dripped();
	garbage();
	originate();
	return done_testing();
}
