/*
 * The input checks of the follow-me commands (handlers/elastix/followme.c,
 * included): what the reference let through and pbxapi refuses
 * (elastix-api.md §12.7, docs/elastix-db.md), and how the arguments are
 * bound.  The commands themselves run in tests/integration/61-*.t.
 */
#include <stdint.h>
#include <string.h>

#include "../../handlers/elastix/followme.c"
#include "arena.h"
#include "pv.h"
#include "tap.h"

static struct arena *A;

/*
 * A request for addfollowmeextension from "k=v&k=v" (no decoding), with
 * the defaults of fm_params for absent fields, as dispatch fills them.
 */
static void
request(struct req *r, const char *body)
{
	char *copy = arena_strdup(A, body), *kv, *eq, *next;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->arena = A;
	r->cmd = &cmds[0];
	r->args = arena_zalloc(A, (A__MAX + 1) * sizeof(*r->args));
	for (kv = copy; kv != NULL && *kv != '\0'; kv = next) {
		next = strchr(kv, '&');
		if (next != NULL)
			*next++ = '\0';
		if ((eq = strchr(kv, '=')) == NULL)
			continue;
		*eq = '\0';
		for (i = 0; i < A__MAX; i++)
			if (strcmp(fm_params[i].name, kv) == 0) {
				r->args[i].present = 1;
				r->args[i].s = eq + 1;
				r->args[i].len = strlen(eq + 1);
			}
	}
	for (i = 0; i < A__MAX; i++) {
		struct arg *a = &r->args[i];

		if (!a->present) {
			a->s = fm_params[i].def;
			a->len = strlen(a->s);
		}
		if (fm_params[i].type == PT_INT)
			a->i = php_intval(a->s, a->len);
	}
}

/* Runs check_fields on body; returns the error and the message. */
static enum err
check(const char *body, const char **msg)
{
	static struct req r;
	enum err e;

	request(&r, body);
	e = check_fields(&r);
	*msg = r.errmsg;
	return e;
}

static void
refused(const char *body, const char *want, const char *name)
{
	const char *msg;

	ok(check(body, &msg) == E_BADREQ, "%s: 400", name);
	is_str(msg, want, name);
}

static void
accepted(const char *body, const char *name)
{
	const char *msg;
	enum err e = check(body, &msg);

	ok(e == E_OK, "%s", name);
	if (e != E_OK)
		printf("#   %s\n", msg);
}

static void
grpnum(void)
{
	refused("strategy=hunt", "Missing required follow-me field: grpnum",
	    "absent grpnum");
	refused("grpnum=", "Missing required follow-me field: grpnum",
	    "empty grpnum");
	refused("grpnum=20a", "Invalid follow-me field: grpnum", "letters");
	refused("grpnum=-200", "Invalid follow-me field: grpnum", "sign");
	refused("grpnum= 200", "Invalid follow-me field: grpnum", "blank");
	refused("grpnum=123456789012345678901",
	    "Invalid follow-me field: grpnum", "21 digits");
	refused("grpnum=$(id)", "Invalid follow-me field: grpnum", "shell");
	accepted("grpnum=12345678901234567890", "20 digits");
	accepted("grpnum=0", "0");
}

static void
numbers(void)
{
	accepted("grpnum=1", "defaults: grptime 20, pre_ring 0");
	accepted("grpnum=1&grptime=1&pre_ring=0", "lowest");
	accepted("grpnum=1&grptime=60&pre_ring=60", "highest");
	accepted("grpnum=1&grptime=1e1&pre_ring=+2", "PHP casts: 10 and 2");
	refused("grpnum=1&grptime=0",
	    "Invalid follow-me field: grptime (0 not within 1..60)",
	    "grptime 0");
	refused("grpnum=1&grptime=abc",
	    "Invalid follow-me field: grptime (0 not within 1..60)",
	    "grptime abc is 0");
	refused("grpnum=1&grptime=61",
	    "Invalid follow-me field: grptime (61 not within 1..60)",
	    "grptime 61");
	refused("grpnum=1&grptime=99999",
	    "Invalid follow-me field: grptime (99999 not within 1..60)",
	    "grptime 99999 (the reference's 503)");
	refused("grpnum=1&pre_ring=-1",
	    "Invalid follow-me field: pre_ring (-1 not within 0..60)",
	    "pre_ring -1");
	accepted("grpnum=1&annmsg_id=-2147483648&toolate_id=2147483647",
	    "int range");
	refused("grpnum=1&remotealert_id=99999999999999999999",
	    "Invalid follow-me field: remotealert_id (9223372036854775807 "
	    "not within -2147483648..2147483647)",
	    "saturated id");
}

static void
texts(void)
{
	char body[512];

	snprintf(body, sizeof(body), "grpnum=1&strategy=%050d", 0);
	accepted(body, "strategy of 50");
	snprintf(body, sizeof(body), "grpnum=1&strategy=%051d", 0);
	refused(body, "Follow-me field too long: strategy", "strategy of 51");
	snprintf(body, sizeof(body), "grpnum=1&needsconf=%011d", 0);
	refused(body, "Follow-me field too long: needsconf", "needsconf of 11");
	accepted("grpnum=1&needsconf=\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    "characters, not bytes: 10 x e-acute");
	accepted("grpnum=1&strategy=x'; DROP TABLE findmefollow; --",
	    "SQL text is just text");
	is_int((long long)sql_chars("a\xc3\xa9\xf0\x9f\x98\x80", 7), 3,
	    "sql_chars counts characters");
}

static void
params(void)
{
	struct req r;
	struct sql_param p;

	request(&r, "grpnum=007&grptime=1e1&ringing=");
	p = fm_param(&r, A_GRPNUM);
	ok(p.type == SQLP_STR && p.len == 3 && memcmp(p.s, "007", 3) == 0,
	    "grpnum bound as a string (leading zeros kept)");
	p = fm_param(&r, A_GRPTIME);
	ok(p.type == SQLP_INT && p.i == 10, "grptime bound as its (int)");
	p = fm_param(&r, A_RINGING);
	ok(p.type == SQLP_STR && p.len == 0, "present but empty stays ''");
	p = fm_param(&r, A_PRERING);
	ok(p.type == SQLP_INT && p.i == 0, "absent pre_ring is 0");
	request(&r, "grpnum=1");
	p = fm_param(&r, A_RINGING);
	ok(p.type == SQLP_STR && p.len == 4 && memcmp(p.s, "Ring", 4) == 0,
	    "absent ringing is Ring");
}

int
main(void)
{
	A = arena_new();
	grpnum();
	numbers();
	texts();
	params();
	arena_free(A);
	return done_testing();
}
