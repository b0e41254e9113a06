/*
 * Configuration (conf.c): .env parsing (elastix-api.md §2.2), durations,
 * sizes and scopes, and conf_load on temporary files: settings and their
 * bounds, tenants, tokens, env files, includes and the pm checks.
 */
#include <sys/stat.h>

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

static char dir[64];
static char errbuf[512];

/* Returns dir/name (static storage, 16 slots). */
static const char *
path(const char *name)
{
	static char paths[16][128];
	static int next;
	char *p = paths[next++ % 16];

	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

/* Writes n bytes to dir/name and returns the path. */
static const char *
putn(const char *name, const char *text, size_t n)
{
	const char *p = path(name);
	FILE *fp = fopen(p, "w");

	if (fp != NULL) {
		fwrite(text, 1, n, fp);
		fclose(fp);
	}
	return p;
}

static const char *
put(const char *name, const char *text)
{
	return putn(name, text, strlen(text));
}

static struct conf *
load(const char *text)
{
	errbuf[0] = '\0';
	return conf_load(
	    put("pbxapi.conf", text), NULL, 0, errbuf, sizeof(errbuf));
}

/* The configuration text must fail with a message containing want. */
static void
bad(const char *text, const char *want, const char *name)
{
	struct conf *c = load(text);

	ok(c == NULL && strstr(errbuf, want) != NULL, "%s: %s", name, errbuf);
	conf_free(c);
}

static const char *
env(const struct tenant *t, const char *k)
{
	return tenant_get(t, k);
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
	struct arena *a = arena_new();
	struct tenant t = { .name = "t" };

	env_parse(a, &t, text, sizeof(text) - 1);
	is_str(env(&t, "KEY1"), "later", "later duplicate wins");
	is_str(t.env[0].key, "KEY1", "and keeps the first position");
	is_str(env(&t, "KEY2"), "quoted",
	    "double quotes stripped; a key with a NUL is skipped");
	is_str(env(&t, "KEY3"), "single", "single quotes stripped");
	is_str(env(&t, "KEY4"), "\"mismatch'", "mismatched quotes kept");
	is_str(env(&t, "KEY5"), "b # c", "no inline comments");
	is_str(env(&t, "KEY6"), "\"", "a lone quote is kept");
	is_str(env(&t, "KEY7"), "a=b", "split at the first '=', CR trimmed");
	is_str(env(&t, "KEY8"), "", "\"\" is empty");
	is_str(env(&t, "KEY9"), "\f x", "PHP trim(): \\f kept, \\v trimmed");
	is_str(env(&t, "KEY10"), "v", "PHP trim(): NULs trimmed");
	is_str(env(&t, "KEY11"), " padded ", "quotes protect blanks");
	is_str(env(&t, "NOEQUALS"), "", "a line without '=' is skipped");
	is_str(env(&t, "X"), "", "an indented comment is skipped");
	is_str(env(&t, "AMI_PORT"), "5038", "unset keys: elastix default");
	is_str(env(&t, "NOT_A_KEY"), "", "unknown keys: ''");
	arena_free(a);
}

static void
dur(const char *s, long want)
{
	long ms = -42;
	int rc = parse_duration(s, &ms);

	if (want < 0)
		ok(rc == -1, "parse_duration('%s') fails", s);
	else
		ok(rc == 0 && ms == want, "parse_duration('%s') = %ld", s,
		    want);
}

static void
size(const char *s, long want)
{
	long n = -42;
	int rc = parse_size(s, &n);

	if (want < 0)
		ok(rc == -1, "parse_size('%s') fails", s);
	else
		ok(rc == 0 && n == want, "parse_size('%s') = %ld", s, want);
}

static void
scopes(const char *s, long want)
{
	unsigned sc = 0xffff;
	int rc = parse_scopes(s, &sc);

	if (want < 0)
		ok(rc == -1, "parse_scopes('%s') fails", s);
	else
		ok(rc == 0 && sc == (unsigned)want, "parse_scopes('%s') = %ld",
		    s, want);
}

static void
units(void)
{
	dur("30s", 30000);
	dur("500ms", 500);
	dur("2m", 120000);
	dur("1h", 3600000);
	dur("1d", 86400000);
	dur("5", 5000);
	dur("0", 0);
	dur("100d", 8640000000L);
	dur("101d", -1);
	dur("-1", -1);
	dur("", -1);
	dur("s", -1);
	dur("5x", -1);
	dur("5 s", -1);
	dur("99999999999999999999", -1);
	size("512", 512);
	size("64k", 65536);
	size("64K", 65536);
	size("1m", 1048576);
	size("1g", 1073741824L);
	size("1024g", 1L << 40);
	size("1025g", -1);
	size("1kb", -1);
	size("k", -1);
	size("-1", -1);
	size("", -1);
	scopes("read,write", SCOPE_READ | SCOPE_WRITE);
	scopes("read write\tadmin", SCOPE_READ | SCOPE_WRITE | SCOPE_ADMIN);
	scopes("recordings", SCOPE_RECORDINGS);
	scopes("all", SCOPE_DEFAULT | SCOPE_ADMIN);
	scopes("read,,write,", SCOPE_READ | SCOPE_WRITE);
	scopes("", 0);
	scopes("READ", -1);
	scopes("read,bogus", -1);
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

static void
setting_errors(void)
{
	bad("\n\nfoo = 1\n", "pbxapi.conf:3: unknown setting 'foo'",
	    "unknown key with file:line");
	bad("pm.max_children = 0\n", "pbxapi.conf:1: 'pm.max_children'",
	    "below the minimum");
	bad("pm.max_children = 1025\n", "out of range", "above the maximum");
	bad("pm.max_children = 5x\n", "not a number", "not a number");
	bad("pm.max_children = \n", "not a number", "empty number");
	bad("listen.mode = 0999\n", "octal", "not octal");
	bad("listen.mode = 01777\n", "out of range", "mode past 0777");
	bad("pm = ondemand\n", "unknown value 'ondemand'", "unknown enum");
	bad("backend_timeout = 5 s\n", "not a duration", "bad duration");
	bad("body_max = 65m\n", "out of range", "body_max past ceiling");
	bad("value_max = 1q\n", "not a size", "bad size");
	bad("listen\n", "expected 'key = value'", "line without '='");
	bad(" = 1\n", "empty key", "empty key");
	bad("listen = \"\"\n", "'listen' is empty", "empty listen");
	bad("[foo]\n", "unknown section '[foo]'", "unknown section");
	bad("[tenant]\n", "unknown section", "tenant without a name");
	bad("[tenant a b]\n", "bad tenant name", "bad tenant name");
	bad("[tenant x\n", "unterminated section", "unterminated section");
	bad("[tenant x]\nlisten = y\n", "unknown tenant setting 'listen'",
	    "global setting in a tenant");
	bad("[tenant x]\nlower_case = 1\n", "unknown tenant setting",
	    "tenant keys are upper case");
}

static void
pm_checks(void)
{
	struct conf *c;

	bad("pm.start_servers = 4\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n",
	    "pm.start_servers (4) must lie", "start above max_spare");
	bad("pm.start_servers = 1\npm.min_spare_servers = 2\npm.max_spare_servers = 3\n",
	    "pm.start_servers (1) must lie", "start below min_spare");
	bad("pm.min_spare_servers = 4\npm.max_spare_servers = 3\n",
	    "is above pm.max_spare_servers", "min_spare above max_spare");
	bad("pm.max_children = 2\npm.start_servers = 1\n", "pm.max_children",
	    "max_spare above max_children");
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

static void
token_errors(void)
{
	bad("[tenant a]\ntoken = same\n[tenant b]\ntoken = same\n",
	    "the same token is given to tenants 'a' and 'b'",
	    "one token for two tenants");
	bad("[tenant a]\nAPI_SECRET_KEY = k\n[tenant b]\ntoken = k\n",
	    "the same token", "API key of one tenant as token of another");
	bad("[tenant a]\ntoken = " API_KEY_PLACEHOLDER "\n", "placeholder",
	    "the placeholder as a token");
	bad("[tenant a]\ntoken = x reed\n", "unknown scope", "bad scope");
	bad("[tenant a]\ntoken = sha256:abcd\n", "sha256",
	    "short sha256 digest");
	bad("[tenant a]\ntoken = sha256:"
	    "zz00000000000000000000000000000000000000000000000000000000000000\n",
	    "bad sha256 digest", "non-hex sha256 digest");
	bad("[tenant a]\ntoken =\n", "without a value", "empty token");
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
	    put("e.env",
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
	c = conf_load(NULL, put("d.env", "PBX_DRIVER=issabel\n"), 0, errbuf,
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
	char text[512], sub[128];

	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	mkdir(sub, 0700);
	put("conf.d/a.conf", "pm.max_children = 7\n");
	put("conf.d/b.conf", "[tenant t2]\ntoken = t2tok\n");
	put("conf.d/c.txt", "garbage\n");
	snprintf(text, sizeof(text),
	    "include = %s/*.conf\ninclude = %s/none-*.conf\n", sub, sub);
	c = load(text);
	ok(c != NULL, "include glob loads (%s)", errbuf);
	if (c != NULL) {
		is_int(c->max_children, 7, "setting from a.conf");
		ok(conf_token(c, "t2tok", 5) != NULL, "tenant from b.conf");
	}
	conf_free(c);
	put("conf.d/z.conf", "\nbogus = 1\n");
	snprintf(text, sizeof(text), "\ninclude = %s/*.conf\n", sub);
	/* Inclusion is textual: z.conf continues b.conf's section. */
	bad(text, "z.conf:2: unknown tenant setting 'bogus'",
	    "error in an included file names it");
	unlink(path("conf.d/z.conf"));
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
	c = conf_load(putn("nul.conf", "listen = a\0b\n", 13), NULL, 0, errbuf,
	    sizeof(errbuf));
	ok(c == NULL && strstr(errbuf, "NUL byte") != NULL, "NUL byte: %s",
	    errbuf);
	unlink(path("nul.conf"));
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/t_conf.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
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
	/* Remove the scratch directory. */
	unlink(path("conf.d/a.conf"));
	unlink(path("conf.d/b.conf"));
	unlink(path("conf.d/c.txt"));
	rmdir(path("conf.d"));
	unlink(path("pbxapi.conf"));
	unlink(path("e.env"));
	unlink(path("d.env"));
	rmdir(dir);
	return done_testing();
}
