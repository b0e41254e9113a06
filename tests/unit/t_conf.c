/*
 * Configuration (conf.c, settings.c): .env parsing (elastix-api.md §2.2),
 * durations, sizes and scopes, and conf_load on temporary files: settings and
 * their bounds, tenants, tokens, env files, includes and the pm checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "limits.h"
#include "tap.h"
#include "testlib.h"
#include "util.h"

static const char *dir; /* the scratch directory (testlib.h) */
static char errbuf[512];

static struct conf *
load(const char *text)
{
	errbuf[0] = '\0';
	return conf_load(
	    tl_put("pbxapi.conf", text), NULL, 0, errbuf, sizeof(errbuf));
}

/* The configuration text must fail with a message containing want. */
static void
bad(const char *text, const char *want, const char *name)
{
	struct conf *c = load(text);

	ok(c == NULL && strstr(errbuf, want) != NULL, "%s: %s", name, errbuf);
	conf_free(c);
}

/* A configuration text that must fail, a part of its message, a name. */
struct bad_case {
	const char *text, *want, *name;
};

static void
bads(const struct bad_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		bad(c[i].text, c[i].want, c[i].name);
}

static void
dotenv(void)
{
	static const char text[] =
	    "# comment\n  KEY1 = value1  \nNOEQUALS\n\n"
	    "KEY2=\"quoted\"\nKEY3='single'\n"
	    "KEY4=\"mismatch'\nKEY5=b # c\n  # X=1\n"
	    "KEY6=\"\nKEY7=a=b\r\n"
	    "KEY8=\"\"\nKEY9=\f x \v\nKEY10=v\0\0\nKEY1=later\nKEY2\0x=nul in the key\n"
	    "\tKEY11\t=\t\" padded \"\t";
	/* Each key's value after the parse, and what that shows. */
	static const struct {
		const char *key, *value, *name;
	} want[] = {
		{ "KEY2", "quoted",
		    "double quotes stripped; a key with a NUL is skipped" },
		{ "KEY3", "single", "single quotes stripped" },
		{ "KEY4", "\"mismatch'", "mismatched quotes kept" },
		{ "KEY5", "b # c", "no inline comments" },
		{ "KEY6", "\"", "a lone quote is kept" },
		{ "KEY7", "a=b", "split at the first '=', CR trimmed" },
		{ "KEY8", "", "\"\" is empty" },
		{ "KEY9", "\f x", "PHP trim(): \\f kept, \\v trimmed" },
		{ "KEY10", "v", "PHP trim(): NULs trimmed" },
		{ "KEY11", " padded ", "quotes protect blanks" },
		{ "NOEQUALS", "", "a line without '=' is skipped" },
		{ "X", "", "an indented comment is skipped" },
		{ "AMI_PORT", "5038", "unset keys: elastix default" },
		{ "NOT_A_KEY", "", "unknown keys: ''" },
	};
	struct arena *a = arena_new();
	struct tenant t = { .name = "t" };
	size_t i;

	env_parse(a, &t, text, sizeof(text) - 1);
	is_str(tenant_get(&t, "KEY1"), "later", "later duplicate wins");
	is_str(t.env[0].key, "KEY1", "and keeps the first position");
	for (i = 0; i < nitems(want); i++)
		is_str(
		    tenant_get(&t, want[i].key), want[i].value, want[i].name);
	arena_free(a);
}

/* A setting's text and the value parsed from it; -1: the parse fails. */
struct unit_case {
	const char *s;
	long want;
};

static const struct unit_case durations[] = {
	{ "30s", 30000 },
	{ "500ms", 500 },
	{ "2m", 120000 },
	{ "1h", 3600000 },
	{ "1d", 86400000 },
	{ "5", 5000 },
	{ "0", 0 },
	{ "100d", 8640000000L },
	{ "101d", -1 },
	{ "-1", -1 },
	{ "", -1 },
	{ "s", -1 },
	{ "5x", -1 },
	{ "5 s", -1 },
	{ "99999999999999999999", -1 },
};

static const struct unit_case sizes[] = {
	{ "512", 512 },
	{ "64k", 65536 },
	{ "64K", 65536 },
	{ "1m", 1048576 },
	{ "1g", 1073741824L },
	{ "1024g", 1L << 40 },
	{ "1025g", -1 },
	{ "1kb", -1 },
	{ "k", -1 },
	{ "-1", -1 },
	{ "", -1 },
};

static const struct unit_case scope_lists[] = {
	{ "read,write", SCOPE_READ | SCOPE_WRITE },
	{ "read write\tadmin", SCOPE_READ | SCOPE_WRITE | SCOPE_ADMIN },
	{ "recordings", SCOPE_RECORDINGS },
	{ "all", SCOPE_DEFAULT | SCOPE_ADMIN },
	{ "read,,write,", SCOPE_READ | SCOPE_WRITE },
	{ "", 0 },
	{ "READ", -1 },
	{ "read,bogus", -1 },
};

/* parse_scopes with the signature of the other two. */
static int
parse_scopes_long(const char *s, long *v)
{
	unsigned sc = 0xffff;
	int rc = parse_scopes(s, &sc);

	*v = (long)sc;
	return rc;
}

/* Checks the n cases of c against parse, called fn in the names. */
static void
parses(const char *fn, int (*parse)(const char *, long *),
    const struct unit_case *c, size_t n)
{
	size_t i;
	long v;
	int rc;

	for (i = 0; i < n; i++) {
		v = -42;
		rc = parse(c[i].s, &v);
		if (c[i].want < 0)
			ok(rc == -1, "%s('%s') fails", fn, c[i].s);
		else
			ok(rc == 0 && v == c[i].want, "%s('%s') = %ld", fn,
			    c[i].s, c[i].want);
	}
}

static void
units(void)
{
	parses("parse_duration", parse_duration, durations, nitems(durations));
	parses("parse_size", parse_size, sizes, nitems(sizes));
	parses("parse_scopes", parse_scopes_long, scope_lists,
	    nitems(scope_lists));
}

static void
defaults(void)
{
	struct conf *c = conf_load(NULL, NULL, 0, errbuf, sizeof(errbuf));
	const struct tenant *t;

	ok(c != NULL, "built-in defaults load");
	if (c == NULL)
		return;
	is_str(c->listen, "/run/pbxapi/pbxapi.sock", "default listen");
	is_int(c->pm, PM_DYNAMIC, "default pm");
	is_int(c->max_children, 5, "default pm.max_children");
	is_int(c->listen_mode, 0660, "default listen.mode");
	is_int(c->control_ms, 10000, "default process_control_timeout");
	is_int(c->body_max, 1048576, "default body_max");
	is_int(c->value_max, 65536, "default value_max");
	is_int((long long)c->ntenants, 1, "one tenant");
	t = conf_tenant(c, "default");
	ok(t != NULL, "called 'default'");
	is_int((long long)c->ntokens, 0, "the placeholder is no token");
	ok(conf_token(c, API_KEY_PLACEHOLDER, strlen(API_KEY_PLACEHOLDER)) ==
		NULL,
	    "the placeholder never authenticates");
	ok(conf_token(c, "", 0) == NULL, "nor does ''");
	is_str(tenant_get(t, "API_SECRET_KEY"), API_KEY_PLACEHOLDER,
	    "API_SECRET_KEY default");
	is_str(tenant_get(t, "CHAN_DRIVER"), "pjsip", "CHAN_DRIVER default");
	is_int(tenant_getint(t, "AMI_PORT"), 5038, "AMI_PORT as an int");
	is_int(tenant_getbool(t, "ARI_ENABLED"), 0, "ARI_ENABLED false");
	ok(conf_tenant(c, "nope") == NULL, "no tenant 'nope'");
	conf_free(c);
}

static void
settings(void)
{
	struct conf *c;

	c = load(
	    "# comment\n; comment\nlisten = /tmp/x.sock\npm = static\npm.max_children = 10\nbody_max = 2m\n"
	    "request_terminate_timeout = 30s\nlisten.mode = 0600\nlog_level = debug\n"
	    "ping.response = \"pong pong\"\n   max_input_vars=50   \n");
	ok(c != NULL, "settings load (%s)", errbuf);
	if (c == NULL)
		return;
	is_str(c->listen, "/tmp/x.sock", "listen");
	is_int(c->pm, PM_STATIC, "pm = static");
	is_int(c->max_children, 10, "pm.max_children");
	is_int(c->body_max, 2 * 1048576, "body_max = 2m");
	is_int(c->terminate_ms, 30000, "request_terminate_timeout = 30s");
	is_int(c->listen_mode, 0600, "listen.mode is octal");
	is_int(c->log_level, 4, "log_level = debug");
	is_str(c->ping_response, "pong pong", "quotes stripped");
	is_int(c->params_max, 50, "blanks around key and value");
	conf_free(c);
}

static const struct bad_case setting_cases[] = {
	{ "events.publish = 127.0.0.1:80\n",
	    "'events.publish': '127.0.0.1:80' is not off or unix:/path",
	    "events.publish: not a unix socket" },
	{ "events.publish = unix:relative.sock\n", "is not off or unix:/path",
	    "events.publish: a relative path" },
	{ "events.publish_queue = 0\n", "'events.publish_queue'",
	    "events.publish_queue: below the minimum" },
	{ "\n\nfoo = 1\n", "pbxapi.conf:3: unknown setting 'foo'",
	    "unknown key with file:line" },
	{ "pm.max_children = 0\n", "pbxapi.conf:1: 'pm.max_children'",
	    "below the minimum" },
	{ "pm.max_children = 1025\n", "out of range", "above the maximum" },
	{ "pm.max_children = 5x\n", "not a number", "not a number" },
	{ "pm.max_children = \n", "not a number", "empty number" },
	{ "listen.mode = 0999\n", "octal", "not octal" },
	{ "listen.mode = 01777\n", "out of range", "mode past 0777" },
	{ "pm = ondemand\n", "unknown value 'ondemand'", "unknown enum" },
	{ "backend_timeout = 5 s\n", "not a duration", "bad duration" },
	{ "body_max = 65m\n", "out of range", "body_max past ceiling" },
	{ "value_max = 1q\n", "not a size", "bad size" },
	{ "listen\n", "expected 'key = value'", "line without '='" },
	{ " = 1\n", "empty key", "empty key" },
	{ "listen = \"\"\n", "'listen' is empty", "empty listen" },
	{ "[foo]\n", "unknown section '[foo]'", "unknown section" },
	{ "[tenant]\n", "unknown section", "tenant without a name" },
	{ "[tenant a b]\n", "bad tenant name", "bad tenant name" },
	{ "[tenant x\n", "unterminated section", "unterminated section" },
	{ "[tenant x]\nlisten = y\n", "unknown tenant setting 'listen'",
	    "global setting in a tenant" },
	{ "[tenant x]\nlower_case = 1\n", "unknown tenant setting",
	    "tenant keys are upper case" },
};

static void
setting_errors(void)
{
	struct conf *c;

	bads(setting_cases, nitems(setting_cases));
	c = load("events.publish = unix:/run/pbxapi-nchan/nchan.sock\n");
	ok(c != NULL &&
		strcmp(c->events_publish,
		    "unix:/run/pbxapi-nchan/nchan.sock") == 0 &&
		c->events_publish_queue == 10000,
	    "events.publish = unix:/path, the queue's default (%s)", errbuf);
	conf_free(c);
}

static const struct bad_case pm_cases[] = {
	{ "pm.start_servers = 4\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n",
	    "pm.start_servers (4) must lie", "start above max_spare" },
	{ "pm.start_servers = 1\npm.min_spare_servers = 2\npm.max_spare_servers = 3\n",
	    "pm.start_servers (1) must lie", "start below min_spare" },
	{ "pm.min_spare_servers = 4\npm.max_spare_servers = 3\n",
	    "is above pm.max_spare_servers", "min_spare above max_spare" },
	{ "pm.max_children = 2\npm.start_servers = 1\n", "pm.max_children",
	    "max_spare above max_children" },
};

static void
pm_checks(void)
{
	struct conf *c;

	bads(pm_cases, nitems(pm_cases));
	c = load("pm = static\npm.start_servers = 9\n");
	ok(c != NULL, "static pm ignores the spare settings (%s)", errbuf);
	conf_free(c);
	c = load("pm.start_servers = 3\npm.min_spare_servers = 3\n"
		 "pm.max_spare_servers = 3\n");
	ok(c != NULL, "start == min_spare == max_spare (%s)", errbuf);
	conf_free(c);
}

static const char *
hexdigest(const char *secret)
{
	static char out[2 * SHA256_LEN + 1];
	uint8_t d[SHA256_LEN];
	int i;

	sha256(secret, strlen(secret), d);
	for (i = 0; i < SHA256_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	return out;
}

static void
tenants(void)
{
	const struct token *k;
	const struct tenant *t;
	struct conf *c;
	char text[1024];

	snprintf(text, sizeof(text),
	    "AMI_HOST = global-host\n[tenant acme]\nAMI_HOST = 10.0.0.1\ntoken = s3cret read\n"
	    "token = sha256:%s admin,write\n[tenant other.co-2]\n"
	    "API_SECRET_KEY = \"key two\"\n",
	    hexdigest("hashed-secret"));
	c = load(text);
	ok(c != NULL, "tenants load (%s)", errbuf);
	if (c == NULL)
		return;
	is_int((long long)c->ntenants, 3, "default, acme and other.co-2");
	t = conf_tenant(c, "acme");
	is_str(
	    t ? tenant_get(t, "AMI_HOST") : "", "10.0.0.1", "tenant setting");
	is_str(t ? tenant_get(t, "AMI_PORT") : "", "5038", "tenant default");
	is_str(tenant_get(conf_tenant(c, "default"), "AMI_HOST"), "global-host",
	    "upper-case key outside a section: default tenant");
	k = conf_token(c, "s3cret", 6);
	ok(k != NULL && k->tenant == t && k->scopes == SCOPE_READ,
	    "plain token with a scope");
	k = conf_token(c, "hashed-secret", 13);
	ok(k != NULL && k->tenant == t &&
		k->scopes == (SCOPE_ADMIN | SCOPE_WRITE),
	    "sha256: token with scopes");
	ok(conf_token(c, "s3cre", 5) == NULL, "a prefix is no token");
	k = conf_token(c, "key two", 7);
	ok(k != NULL && k->tenant == conf_tenant(c, "other.co-2") &&
		k->scopes == SCOPE_DEFAULT,
	    "API_SECRET_KEY is a token with the default scopes");
	conf_free(c);
}

static const struct bad_case token_cases[] = {
	{ "[tenant a]\ntoken = same\n[tenant b]\ntoken = same\n",
	    "the same token is given to tenants 'a' and 'b'",
	    "one token for two tenants" },
	{ "[tenant a]\nAPI_SECRET_KEY = k\n[tenant b]\ntoken = k\n",
	    "the same token", "API key of one tenant as token of another" },
	{ "[tenant a]\ntoken = " API_KEY_PLACEHOLDER "\n", "placeholder",
	    "the placeholder as a token" },
	{ "[tenant a]\ntoken = x reed\n", "unknown scope", "bad scope" },
	{ "[tenant a]\ntoken = sha256:abcd\n", "sha256",
	    "short sha256 digest" },
	{ "[tenant a]\ntoken = sha256:"
	  "zz00000000000000000000000000000000000000000000000000000000000000\n",
	    "bad sha256 digest", "non-hex sha256 digest" },
	{ "[tenant a]\ntoken =\n", "without a value", "empty token" },
};

static void
token_errors(void)
{
	bads(token_cases, nitems(token_cases));
}

static void
placeholder_key(void)
{
	struct conf *c;

	c = load("[tenant a]\nAPI_SECRET_KEY = " API_KEY_PLACEHOLDER "\n"
		 "[tenant b]\ntoken = t\ntoken = t read\n");
	ok(c != NULL, "placeholder key and a repeated token load (%s)", errbuf);
	if (c == NULL)
		return;
	ok(conf_token(c, API_KEY_PLACEHOLDER, strlen(API_KEY_PLACEHOLDER)) ==
		NULL,
	    "placeholder API_SECRET_KEY is no token");
	ok(conf_token(c, "t", 1) != NULL, "same token twice in one tenant");
	conf_free(c);
}

static void
env_files(void)
{
	const struct tenant *t;
	struct conf *c;
	char text[512];

	snprintf(text, sizeof(text),
	    "[tenant e]\nAMI_PORT = 2\nenv_file = %s\n",
	    tl_put("e.env",
		"AMI_HOST=1.2.3.4\nAPI_SECRET_KEY=\"k1\"\nAMI_PORT=1\n"));
	c = load(text);
	ok(c != NULL, "tenant env_file loads (%s)", errbuf);
	if (c == NULL)
		return;
	t = conf_tenant(c, "e");
	is_str(tenant_get(t, "AMI_HOST"), "1.2.3.4", "value from the .env");
	is_str(tenant_get(t, "AMI_PORT"), "2", "inline keys override it");
	ok(conf_token(c, "k1", 2) != NULL, ".env API_SECRET_KEY is a token");
	conf_free(c);
	snprintf(
	    text, sizeof(text), "[tenant e]\nenv_file = %s/missing.env\n", dir);
	bad(text, "tenant 'e': cannot read", "missing env_file");
	c = conf_load(NULL, tl_put("d.env", "PBX_DRIVER=issabel\n"), 0, errbuf,
	    sizeof(errbuf));
	ok(c != NULL &&
		strcmp(tenant_get(conf_tenant(c, "default"), "PBX_DRIVER"),
		    "issabel") == 0,
	    "env_file argument: the default tenant's .env");
	conf_free(c);
}

static void
environ_override(void)
{
	struct conf *c;

	setenv("AMI_HOST", "from-environ", 1);
	setenv("DB_HOST", "", 1);
	c = conf_load(NULL, NULL, 1, errbuf, sizeof(errbuf));
	ok(c != NULL, "use_environ loads");
	if (c != NULL) {
		is_str(tenant_get(conf_tenant(c, "default"), "AMI_HOST"),
		    "from-environ", "environment overrides the default");
		is_str(tenant_get(conf_tenant(c, "default"), "DB_HOST"),
		    "localhost", "an empty environment value does not");
	}
	conf_free(c);
	c = load("[tenant x]\nAMI_HOST = mine\n");
	ok(c != NULL &&
		strcmp(tenant_get(conf_tenant(c, "x"), "AMI_HOST"), "mine") ==
		    0,
	    "without use_environ the environment is ignored");
	conf_free(c);
	unsetenv("AMI_HOST");
	unsetenv("DB_HOST");
}

static void
includes(void)
{
	struct conf *c;
	const char *sub = tl_path("conf.d");
	char text[512];

	tl_put("conf.d/a.conf", "pm.max_children = 7\n");
	tl_put("conf.d/b.conf", "[tenant t2]\ntoken = t2tok\n");
	tl_put("conf.d/c.txt", "garbage\n");
	snprintf(text, sizeof(text),
	    "include = %s/*.conf\ninclude = %s/none-*.conf\n", sub, sub);
	c = load(text);
	ok(c != NULL, "include glob loads (%s)", errbuf);
	if (c != NULL) {
		is_int(c->max_children, 7, "setting from a.conf");
		ok(conf_token(c, "t2tok", 5) != NULL, "tenant from b.conf");
	}
	conf_free(c);
	tl_put("conf.d/z.conf", "\nbogus = 1\n");
	snprintf(text, sizeof(text), "\ninclude = %s/*.conf\n", sub);
	/* Inclusion is textual: z.conf continues b.conf's section. */
	bad(text, "z.conf:2: unknown tenant setting 'bogus'",
	    "error in an included file names it");
	unlink(tl_path("conf.d/z.conf"));
	snprintf(text, sizeof(text), "include = %s/pbxapi.conf\n", dir);
	bad(text, "nested too deeply", "a file including itself");
}

static void
many_tenants(void)
{
	char text[4096], name[32];
	const struct token *k;
	struct conf *c;
	size_t o = 0;
	int i, good = 1;

	for (i = 0; i < 20; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "[tenant t%d]\ntoken = tok%d\n", i, i);
	c = load(text);
	ok(c != NULL, "20 tenants load (%s)", errbuf);
	if (c == NULL)
		return;
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "tok%d", i);
		k = conf_token(c, name, strlen(name));
		snprintf(name, sizeof(name), "t%d", i);
		if (k == NULL || k->tenant != conf_tenant(c, name) ||
		    k->tenant->index != (size_t)i)
			good = 0;
	}
	ok(good, "every token maps to its tenant after the array grew");
	conf_free(c);
}

static void
dump(void)
{
	struct conf *c;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	c = load("[tenant d]\nAMI_SECRET = hush\nDB_PASSWORD = pw\n"
		 "AMI_HOST = h\ntoken = tk\n");
	fp = open_memstream(&text, &len);
	if (c != NULL && fp != NULL)
		conf_dump(c, fp);
	if (fp != NULL)
		fclose(fp);
	ok(text != NULL && strstr(text, "listen = /run/pbxapi/pbxapi.sock") &&
		strstr(text, "[tenant d]\n# 1 token(s)") &&
		strstr(text, "AMI_SECRET = (hidden)") &&
		strstr(text, "DB_PASSWORD = (hidden)") &&
		strstr(text, "AMI_HOST = h") && !strstr(text, "hush"),
	    "conf_dump hides secrets");
	free(text);
	conf_free(c);
}

static void
file_errors(void)
{
	char text[LIM_CONF_LINE + 16];
	struct conf *c;

	c = conf_load(
	    "/nonexistent/pbxapi.conf", NULL, 0, errbuf, sizeof(errbuf));
	ok(c == NULL && strstr(errbuf, "cannot read") != NULL,
	    "missing file: %s", errbuf);
	c = conf_load(dir, NULL, 0, errbuf, sizeof(errbuf));
	ok(c == NULL && strstr(errbuf, "cannot read") != NULL,
	    "a directory: %s", errbuf);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	bad(text, "line longer than", "overlong line");
	c = conf_load(tl_putn("nul.conf", "listen = a\0b\n", 13), NULL, 0,
	    errbuf, sizeof(errbuf));
	ok(c == NULL && strstr(errbuf, "NUL byte") != NULL, "NUL byte: %s",
	    errbuf);
	unlink(tl_path("nul.conf"));
}

int
main(void)
{
	dir = tl_tmpdir("t_conf");
	dotenv();
	units();
	defaults();
	settings();
	setting_errors();
	pm_checks();
	tenants();
	token_errors();
	placeholder_key();
	env_files();
	environ_override();
	includes();
	many_tenants();
	dump();
	file_errors();
	is_mem("x", 1, "x", "tap sanity");
	tl_rmtmp();
	return done_testing();
}
