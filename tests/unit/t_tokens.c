/*
 * The token file (tokens.c): its line and file parsers, scopes with
 * command lists, token_allows() on the real tables, and a worker's copy
 * (conf_token through the store): found, expired, re-read on change,
 * the last good set kept when the file goes bad, gone with the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "dispatch.h"
#include "limits.h"
#include "tap.h"
#include "testlib.h"
#include "tokens.h"

static char errbuf[256];

/* The file line of secret for tenant with scopes and not-after. */
static const char *
line_of(struct arena *a, const char *tenant, const char *secret,
    const char *scopes, long long not_after)
{
	uint8_t d[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1];
	size_t i;

	sha256(secret, strlen(secret), d);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	if (not_after == 0)
		return arena_printf(a, "%.12s %s %s %s 1700000000 - label %s\n",
		    hex, tenant, hex, scopes, secret);
	return arena_printf(a, "%.12s %s %s %s 1700000000 %lld\n", hex, tenant,
	    hex, scopes, not_after);
}

static int
parse_z(const char *s, struct tokline *tl)
{
	size_t n = strlen(s);

	errbuf[0] = '\0';
	if (n > 0 && s[n - 1] == '\n') /* as tokfile_parse() hands it */
		n--;
	return tokline_parse(s, n, tl, errbuf, sizeof(errbuf));
}

static void
bad_line(const char *s, const char *want, const char *name)
{
	struct tokline tl;

	ok(parse_z(s, &tl) == -1 && strstr(errbuf, want) != NULL, "%s: %s",
	    name, errbuf);
}

static void
test_line(struct arena *a)
{
	const char *good =
	    line_of(a, "acme", "s3cret", "read,cmd:cdrreport", 0);
	const char *digest = strchr(good, ' ') + 6;
	struct tokline tl;
	char out[LIM_CONF_LINE];
	FILE *fp;
	size_t n;

	ok(parse_z(good, &tl) == 1, "a good line parses: %s", errbuf);
	ok(strcmp(tl.tenant, "acme") == 0 && tl.created == 1700000000 &&
		tl.not_after == 0 &&
		strcmp(tl.scopes, "read,cmd:cdrreport") == 0,
	    "its fields");
	ok(strcmp(tl.label, "label s3cret") == 0, "the label is the rest: '%s'",
	    tl.label);
	ok(parse_z("", &tl) == 0 && parse_z("  # note", &tl) == 0 &&
		parse_z(" \t\r", &tl) == 0,
	    "blank and comment lines are no tokens");
	fp = fmemopen(out, sizeof(out), "w");
	ok(fp != NULL && tokline_write(fp, &tl) == 0, "written back");
	n = fp != NULL ? (size_t)ftell(fp) : 0;
	if (fp != NULL)
		fclose(fp);
	ok(n == strlen(good) && memcmp(out, good, n) == 0,
	    "written back as read");
	bad_line("abc", "bad id", "one short field");
	bad_line("0123456789ab", "bad tenant", "one field");
	bad_line(arena_printf(a, "000000000000 acme %.64s read 1 -", digest),
	    "id is not the digest's", "an id that is not the digest's");
	bad_line(
	    "0123456789ab acme 0123 read 1 -", "bad sha256", "a short digest");
	bad_line(arena_printf(a, "%.12s acme %.64s read x -", digest, digest),
	    "bad created", "a created time that is no number");
	bad_line(arena_printf(a, "%.12s acme %.64s read 0 -", digest, digest),
	    "bad created", "created 0");
	bad_line(arena_printf(a, "%.12s acme %.64s read 1 -5", digest, digest),
	    "bad not-after", "a negative not-after");
	bad_line(arena_printf(a, "%.12s acme %.64s read 1", digest, digest),
	    "bad not-after", "no not-after");
	bad_line(
	    arena_printf(a, "%.12s acme %.64s read 1 - l\001", digest, digest),
	    "control", "a control byte");
	bad_line(arena_printf(
		     a, "%.12s acme %.64s read 1 - %0200d", digest, digest, 7),
	    "label too long", "a label of 200 bytes");
	bad_line(
	    arena_printf(a, "%.12s %0100d %.64s read 1 -", digest, 1, digest),
	    "bad tenant", "a tenant name too long");
}

/* Appends the C string s to the buffer text (len bytes, size max). */
static void
append(char *text, size_t *len, size_t max, const char *s)
{
	size_t n = strlen(s);

	if (*len + n <= max) {
		memcpy(text + *len, s, n);
		*len += n;
	}
}

/* LIM_TOKENS tokens (and a comment after them), then one more. */
static void
test_limit(struct arena *a)
{
	const size_t max = (size_t)(LIM_TOKENS + 2) * 160;
	char *text = arena_alloc(a, max), secret[32];
	struct tokline *v;
	size_t n = 0, len = 0;
	int i, rc;

	for (i = 0; i < LIM_TOKENS; i++) {
		snprintf(secret, sizeof(secret), "s%d", i);
		append(text, &len, max,
		    line_of(a, "t", secret, "read", 2000000000LL));
	}
	append(text, &len, max, "# the end\n");
	rc = tokfile_parse(a, text, len, &v, &n, errbuf, sizeof(errbuf));
	ok(rc == 0 && n == LIM_TOKENS, "LIM_TOKENS tokens, then a comment: %s",
	    rc ? errbuf : "");
	append(text, &len, max, line_of(a, "t", "one more", "read", 0));
	ok(tokfile_parse(a, text, len, &v, &n, errbuf, sizeof(errbuf)) == -1 &&
		strstr(errbuf, "more than") != NULL,
	    "one more: %s", errbuf);
}

static void
test_file(struct arena *a)
{
	const char *l1 = line_of(a, "acme", "one", "read", 0);
	const char *l2 = line_of(a, "acme", "two", "write", 2000000000LL);
	struct tokline *v;
	const char *text;
	size_t n = 0;
	char *big;
	int rc;

	text = arena_printf(a, "# header\n%s\n%s", l1, l2);
	rc = tokfile_parse(
	    a, text, strlen(text), &v, &n, errbuf, sizeof(errbuf));
	ok(rc == 0 && n == 2 && v[1].not_after == 2000000000LL,
	    "a file of two tokens: %s", rc ? errbuf : "");
	rc = tokfile_parse(a, "", 0, &v, &n, errbuf, sizeof(errbuf));
	ok(rc == 0 && n == 0, "an empty file");
	text = arena_printf(a, "%s%s", l1, l1);
	ok(tokfile_parse(
	       a, text, strlen(text), &v, &n, errbuf, sizeof(errbuf)) == -1 &&
		strstr(errbuf, "line 2: id") != NULL,
	    "an id given twice: %s", errbuf);
	text = arena_printf(a, "%s\nrubbish\n", l1);
	ok(tokfile_parse(
	       a, text, strlen(text), &v, &n, errbuf, sizeof(errbuf)) == -1 &&
		strncmp(errbuf, "line 3:", 7) == 0,
	    "a bad line is named: %s", errbuf);
	test_limit(a);
	big = arena_alloc(a, LIM_CONF_LINE + 2);
	memset(big, '#', LIM_CONF_LINE + 1);
	big[LIM_CONF_LINE + 1] = '\0';
	ok(tokfile_parse(a, big, strlen(big), &v, &n, errbuf, sizeof(errbuf)) ==
		    -1 &&
		strstr(errbuf, "longer than") != NULL,
	    "a line of LIM_CONF_LINE bytes: %s", errbuf);
}

static void
test_scopes(struct arena *a)
{
	const char *const *cmds;
	size_t n;
	unsigned s;

	ok(token_scopes(a, "read,cmd:cdrreport,family:recordings", &s, &cmds,
	       &n, errbuf, sizeof(errbuf)) == 0 &&
		s == SCOPE_READ && n == 2 &&
		strcmp(cmds[0], "cmd:cdrreport") == 0 &&
		strcmp(cmds[1], "family:recordings") == 0,
	    "scope names and command entries");
	ok(token_scopes(
	       a, "read,,write,", &s, &cmds, &n, errbuf, sizeof(errbuf)) == 0 &&
		s == (SCOPE_READ | SCOPE_WRITE) && n == 0 && cmds == NULL,
	    "empty items are skipped, no list is NULL");
	ok(token_scopes(
	       a, "ari-control", &s, &cmds, &n, errbuf, sizeof(errbuf)) == 0 &&
		s == (SCOPE_ARI_READ | SCOPE_ARI_CONTROL),
	    "ari-control includes ari-read");
	ok(token_scopes(
	       a, "read,bogus", &s, &cmds, &n, errbuf, sizeof(errbuf)) == -1 &&
		strstr(errbuf, "'bogus'") != NULL,
	    "an unknown scope: %s", errbuf);
	ok(token_scopes(a, "cmd:", &s, &cmds, &n, errbuf, sizeof(errbuf)) == -1,
	    "'cmd:' without a name is an unknown scope");
}

static const struct dialect *
dialect_named(const char *name)
{
	const struct dialect *const *d;

	for (d = dialects; *d != NULL; d++)
		if (strcmp((*d)->name, name) == 0)
			return *d;
	return NULL;
}

static void
test_allows(void)
{
	static const char *const crm[] = { "cmd:cdrreport",
		"family:recordings" };
	const struct dialect *d = dialect_named("elastix");
	struct token t = { .cmds = crm, .ncmds = 2 };
	struct token any = { .ncmds = 0 };

	if (d == NULL) {
		skip("no elastix dialect", "token_allows");
		return;
	}
	ok(token_allows(&t, d, cmd_find(d, "cdrreport")), "a listed command");
	ok(token_allows(&t, d, cmd_find(d, "getwavfile")),
	    "a command of a listed family");
	ok(!token_allows(&t, d, cmd_find(d, "originatecall")),
	    "another command");
	ok(!token_allows(&t, d, cmd_find(d, "sippeers")),
	    "another family's command");
	ok(token_allows(&any, d, cmd_find(d, "originatecall")) &&
		token_allows(NULL, d, cmd_find(d, "originatecall")),
	    "no list (or no token): anything the scopes allow");
}

/* Replaces name in the scratch directory with text (a new inode). */
static void
replace(const char *name, const char *text)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), "%s.new", name);
	tl_put(tmp, text);
	if (rename(tl_path(tmp), tl_path(name)) == -1)
		ok(0, "rename %s", tmp);
}

static void
test_store(struct arena *a)
{
	const long long now = (long long)time(NULL);
	const struct token *tk;
	struct conf *c;

	replace("tokens",
	    arena_printf(a, "%s%s%s", line_of(a, "acme", "one", "read", 0),
		line_of(a, "acme", "old", "read", now - 1),
		line_of(a, "nosuch", "lost", "read", 0)));
	c = conf_load(tl_put("pbxapi.conf",
			  "tokens_file = tokens\n"
			  "[tenant acme]\ntoken = conf-token-1 read\n"),
	    NULL, 0, errbuf, sizeof(errbuf));
	ok(c != NULL && c->store != NULL, "tokens_file relative to the conf");
	if (c == NULL)
		return;
	tk = conf_token(c, "one", 3);
	ok(tk != NULL && strcmp(tk->tenant->name, "acme") == 0 &&
		tk->scopes == SCOPE_READ,
	    "a file token is found with its tenant and scopes");
	ok(conf_token(c, "conf-token-1", 12) != NULL,
	    "the configuration's tokens still work");
	ok(conf_token(c, "old", 3) == NULL, "a token past not-after: refused");
	ok(conf_token(c, "lost", 4) == NULL,
	    "a token of an unknown tenant: ignored");
	replace("tokens", line_of(a, "acme", "two", "read,cmd:cdrreport", 0));
	ok(conf_token(c, "one", 3) == NULL, "gone from the file: refused");
	tk = conf_token(c, "two", 3);
	ok(tk != NULL && tk->ncmds == 1 &&
		strcmp(tk->cmds[0], "cmd:cdrreport") == 0,
	    "a new token is seen at once, with its command list");
	replace("tokens", "garbage\n");
	ok(conf_token(c, "two", 3) != NULL,
	    "a file that does not parse keeps the last good set");
	replace("tokens",
	    arena_printf(a, "%s%s", line_of(a, "acme", "three", "read", 0),
		line_of(a, "acme", "x", "frobnicate", 0)));
	ok(conf_token(c, "two", 3) != NULL && conf_token(c, "three", 5) == NULL,
	    "an unknown scope is a bad file too");
	unlink(tl_path("tokens"));
	ok(conf_token(c, "two", 3) == NULL, "no file: no file tokens");
	ok(conf_token(c, "conf-token-1", 12) != NULL,
	    "and the configuration's tokens still work");
	conf_free(c);
	c = conf_load(tl_put("pbxapi.conf", "tokens_file =\n"), NULL, 0, errbuf,
	    sizeof(errbuf));
	ok(c != NULL && c->store == NULL, "tokens_file empty: off");
	conf_free(c);
}

int
main(void)
{
	struct arena *a = arena_new();

	tl_tmpdir("t_tokens");
	test_line(a);
	test_file(a);
	test_scopes(a);
	test_allows();
	test_store(a);
	arena_free(a);
	tl_rmtmp();
	return done_testing();
}
