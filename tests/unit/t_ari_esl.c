/*
 * The pure helpers of the ARI dialect's event-socket backend
 * (handlers/ari/esl_chan.c): "show channels as json" into ARI's Channel
 * model, the domain scoping rule, the state and cause maps, and the
 * checks that keep client text from changing an ESL command.
 */
#include <string.h>

#include "arena.h"
#include "ari_esl.h"
#include "buf.h"
#include "json.h"
#include "tap.h"

static struct arena *A;

static const char ROWS[] =
    "{\"row_count\":3,\"rows\":[{\"uuid\":\"u1\",\"direction\":\"inbound\","
    "\"created_epoch\":\"1795350220\",\"name\":\"sofia/internal/100@d.example\","
    "\"state\":\"CS_EXECUTE\",\"cid_name\":\"Al\\u00e9\",\"cid_num\":\"100\","
    "\"dest\":\"200\",\"application\":\"bridge\",\"application_data\":"
    "\"user/200@d.example\",\"context\":\"d.example\",\"presence_id\":"
    "\"100@d.example\",\"callstate\":\"ACTIVE\",\"callee_name\":\"Bob\","
    "\"callee_num\":\"200\"},{\"uuid\":\"u2\",\"context\":\"public\","
    "\"presence_id\":\"101@D.EXAMPLE\",\"callstate\":\"RINGING\","
    "\"direction\":\"outbound\"},{\"uuid\":\"\",\"context\":\"d.example\"}]}\n";

static void
parse(void)
{
	struct aesl_chan *rows;
	const char *latin1 = "{\"row_count\":1,\"rows\":[{\"uuid\":\"u3\","
			     "\"cid_name\":\"Jos\xe9\"}]}";

	is_int(aesl_parse_channels(A, ROWS, strlen(ROWS), &rows), 2,
	    "two rows (one without a uuid dropped)");
	is_str(rows[0].uuid, "u1", "first uuid");
	is_str(rows[0].cid_name, "Al\xc3\xa9", "\\u escapes decoded");
	is_str(rows[1].name, "", "absent columns are \"\"");
	is_int(aesl_parse_channels(A, "{\"row_count\":0}\n", 16, &rows), 0,
	    "{\"row_count\":0}: none");
	is_int(aesl_parse_channels(A, latin1, strlen(latin1), &rows), 1,
	    "a Latin-1 caller name does not hide the list");
	is_str(rows[0].cid_name, "Jos?", "its byte is '?'");
	is_int(aesl_parse_channels(A, "-ERR no reply\n", 14, &rows), -1,
	    "not JSON: -1");
	is_int(
	    aesl_parse_channels(A, "[1,2]", 5, &rows), -1, "no row_count: -1");
	is_int(
	    aesl_parse_channels(A, "{\"row_count\":1,\"rows\":[3]}", 26, &rows),
	    -1, "a row that is not an object: -1");
}

static void
scoping(void)
{
	struct aesl_chan c = { .context = "d.example", .presence_id = "" };

	ok(aesl_in_domain(&c, "d.example"), "by context");
	ok(aesl_in_domain(&c, "D.Example"), "without case");
	ok(!aesl_in_domain(&c, "other.example"), "not another domain");
	ok(!aesl_in_domain(&c, ""), "never the empty domain");
	c.context = "public";
	c.presence_id = "101@d.example";
	ok(aesl_in_domain(&c, "d.example"), "by presence_id");
	c.presence_id = "101@d.example.evil";
	ok(!aesl_in_domain(&c, "d.example"), "the whole domain");
	c.presence_id = "@d.example";
	ok(!aesl_in_domain(&c, "d.example"), "a user before the '@'");
}

static void
model(void)
{
	struct aesl_chan *rows;
	struct buf b;
	struct jw w;
	char when[ARI_TIME_SIZE];

	(void)aesl_parse_channels(A, ROWS, strlen(ROWS), &rows);
	buf_init(&b, 65536);
	jw_init(&w, &b, JW_UTF8);
	aesl_channel_json(&w, &rows[0]);
	buf_addc(&b, '\0');
	is_str(b.data,
	    "{\"id\":\"u1\",\"name\":\"sofia/internal/100@d.example\","
	    "\"state\":\"Up\",\"protocol_id\":\"\",\"caller\":{\"name\":"
	    "\"Al\xc3\xa9\",\"number\":\"100\"},\"connected\":{\"name\":"
	    "\"Bob\",\"number\":\"200\"},\"accountcode\":\"\",\"dialplan\":"
	    "{\"context\":\"d.example\",\"exten\":\"200\",\"priority\":1,"
	    "\"app_name\":\"bridge\",\"app_data\":\"user/200@d.example\"},"
	    "\"creationtime\":\"2026-11-22T12:23:40.000+0000\","
	    "\"language\":\"en\"}",
	    "the Channel, ARI's keys in ARI's order");
	buf_free(&b);
	is_str(aesl_state(&rows[1]), "Ringing", "outbound RINGING: Ringing");
	rows[1].direction = "inbound";
	is_str(aesl_state(&rows[1]), "Ring", "inbound RINGING: Ring");
	rows[1].callstate = "HELD";
	is_str(aesl_state(&rows[1]), "Up", "HELD: Up");
	rows[1].callstate = "";
	is_str(aesl_state(&rows[1]), "Unknown", "none: Unknown");
	ari_time(when, 0, 0);
	is_str(when, "1970-01-01T00:00:00.000+0000", "ISO time");
}

static void
checks(void)
{
	ok(aesl_v_token("7f3c-a.b_c", 10) == 0, "token: uuid-like");
	ok(aesl_v_token("", 0) == -1, "token: not empty");
	ok(aesl_v_token("a b", 3) == -1, "token: no space");
	ok(aesl_v_token("a'b", 3) == -1, "token: no quote");
	ok(aesl_v_token("a{b", 3) == -1, "token: no brace");
	ok(aesl_v_text("hello world, x=y", 16) == 0, "text: blanks, commas");
	ok(aesl_v_text("$5", 2) == 0, "text: a dollar");
	ok(aesl_v_text("${x}", 4) == -1, "text: no ${");
	ok(aesl_v_text("a\nb", 3) == -1, "text: no LF");
	ok(aesl_v_text("a\\b", 3) == -1, "text: no backslash");
	ok(aesl_v_text("a\"b", 3) == -1, "text: no double quote");
	ok(aesl_v_brace("Fixture Two", 11) == 0, "brace: blanks");
	ok(aesl_v_brace("a,b", 3) == -1, "brace: no comma");
	ok(aesl_v_brace("a}b", 3) == -1, "brace: no }");
	ok(aesl_v_brace("^^:a", 4) == -1, "brace: no ^");
	ok(aesl_v_brace("a|b", 3) == -1, "brace: no |");
	ok(aesl_v_varname("FIXTURE_VAR1", 12) == 0, "varname");
	ok(aesl_v_varname("1X", 2) == -1, "varname: not a digit first");
	ok(aesl_v_varname("sip_h_X-Foo", 11) == 0, "varname: '-' inside");
	ok(aesl_v_varname("-a", 2) == -1, "varname: not '-' first");
	ok(aesl_v_varname("a.b", 3) == -1, "varname: no '.'");
	ok(aesl_var_settable("FIXTURE_ORIG_VAR"), "settable: a plain one");
	ok(aesl_var_settable("sip_h_X-Foo"), "settable: a SIP header");
	ok(!aesl_var_settable("api_hangup_hook"), "not api_hangup_hook");
	ok(!aesl_var_settable("Execute_On_Answer"), "not execute_on_* (case)");
	ok(!aesl_var_settable("exec_after_bridge_app"), "not exec_after_*");
	ok(!aesl_var_settable("presence_id"), "not presence_id");
	ok(!aesl_var_settable("domain_name"), "not domain_name");
	ok(!aesl_var_settable("user_context"), "not user_context");
	ok(!aesl_var_settable("hold_music"), "not hold_music");
	ok(aesl_v_relpath("ivr/ivr-welcome", 15, 0) == 0, "relpath");
	ok(aesl_v_relpath("a/../b", 6, 1) == -1, "relpath: no ..");
	ok(aesl_v_relpath("/a", 2, 0) == -1, "relpath: relative");
	ok(aesl_v_relpath("a//b", 4, 0) == -1, "relpath: no //");
	ok(aesl_v_relpath("a.wav", 5, 0) == -1, "relpath: no dot unless");
	ok(aesl_v_relpath("a.wav", 5, 1) == 0, "relpath: dots allowed");
	ok(aesl_v_relpath(".a", 2, 1) == -1, "relpath: no hidden file");
	is_str(aesl_cause("answered_elsewhere"), "LOSE_RACE", "cause");
	ok(aesl_cause("bogus") == NULL, "no cause for a bogus reason");
}

static void
endpoints(void)
{
	static const char *const good[][2] = {
		{ "PJSIP/100", "user/100@d.example" },
		{ "user/100@D.EXAMPLE", "user/100@d.example" },
		{ "Local/*97@d.example", "loopback/*97/d.example" },
		{ "loopback/5035550100", "loopback/5035550100/d.example" },
	};
	static const char *const bad[] = { "sofia/gateway/gw/1",
		"user/100@other.example", "Local/1@d.example/n", "PJSIP/1@x",
		"user/1,user/2", "user/", "/1", "user/a b", "loopback/1/x y" };
	const char *dial, *ext;
	char why[160];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(aesl_endpoint(A, good[i][0], "d.example", &dial, &ext, why,
		       sizeof(why)) == 0,
		    "endpoint %s", good[i][0]);
		ok(strcmp(dial, good[i][1]) == 0, "dials %s", good[i][1]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(aesl_endpoint(A, bad[i], "d.example", &dial, &ext, why,
		       sizeof(why)) == -1,
		    "endpoint %s refused: %s", bad[i], why);
}

static void
callerids(void)
{
	static const char *const cases[][3] = {
		{ "ARI Test <5554000>", "ARI Test", "5554000" },
		{ "\"Bob\" <+1 (503)>", "Bob", "+1 (503)" },
		{ "<100>", "", "100" },
		{ "+15035550100", "", "+15035550100" },
		{ "Front Desk", "Front Desk", "" },
	};
	const char *name, *num;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		aesl_callerid(A, cases[i][0], &name, &num);
		ok(strcmp(name, cases[i][1]) == 0 &&
			strcmp(num, cases[i][2]) == 0,
		    "callerId '%s': '%s', '%s'", cases[i][0], name, num);
	}
}

int
main(void)
{
	A = arena_new();
	parse();
	scoping();
	model();
	checks();
	endpoints();
	callerids();
	arena_free(A);
	return done_testing();
}
