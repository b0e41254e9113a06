/*
 * The parse_ini_file emulation (fcgi/php/ini.c), the PBX credential
 * readers (handlers/host/pbxconf.c) and the auth and sipextensions commands
 * (handlers/elastix/pbxinfo.c): every example of elastix-api.md §2.4-§2.6, §5.1
 * and §5.3, rules of PHP's scanner the spec does not list, and, when the
 * golden corpus is present (PBXAPI_GOLDEN, default
 * /work/shared/golden/elastix), every 200 case of the sipextensions,
 * auth-cmd and authentication groups byte for byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "arena.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "fusionpbx.h"
#include "ini.h"
#include "json.h"
#include "pbx.h"
#include "pbxconf.h"
#include "pool.h"
#include "pv.h"
#include "reply.h"
#include "req.h"
#include "tap.h"
#include "testlib.h"
#include "util.h"

static struct arena *A;
static const char *tmpdir; /* the scratch directory (testlib.h) */
static size_t unmoved;	   /* golden .env texts naming the fixture root */

/*
 * An INI text, the JSON of what ini_parse makes of it ("FAIL" if PHP
 * returns false) and a name.  INI(text) gives a literal with its length:
 * it may hold NUL bytes.
 */
struct ini_case {
	const char *text;
	size_t len;
	const char *want, *name;
};
#define INI(text) (text), sizeof(text) - 1

static void
ini_cases(const struct ini_case *c, size_t n)
{
	const char *got;
	struct pv *v;
	size_t i;

	for (i = 0; i < n; i++) {
		got = "FAIL";
		if (ini_parse(A, c[i].text, c[i].len, &v) == E_OK)
			got = tl_json(A, v, JW_PHP);
		is_str(got, c[i].want, c[i].name);
	}
}

/* The verified examples of elastix-api.md §2.4: comments and keys. */
static const struct ini_case spec_keys[] = {
	{ INI("[100]\nsecret=ab;cd\n"), "{\"100\":{\"secret\":\"ab\"}}",
	    "';' starts a comment" },
	{ INI("[100]\n# hash comment\nsecret=pass\n"),
	    "{\"100\":{\"secret\":\"pass\"}}", "'#' line ignored" },
	{ INI("#include pjsip_custom.conf\n[100]\nsecret=pass\n"),
	    "{\"100\":{\"secret\":\"pass\"}}", "#include not followed" },
	{ INI("[100]\n  secret  =  pass word  \n"),
	    "{\"100\":{\"secret\":\"pass word\"}}", "blanks trimmed" },
	{ INI("[100]\nmy key = v\n"), "{\"100\":{\"my key\":\"v\"}}",
	    "key with a space" },
	{ INI("[100]\na.b=1\nc-d=2\nkey?=3\n"),
	    "{\"100\":{\"a.b\":\"1\",\"c-d\":\"2\",\"key?\":\"3\"}}",
	    "keys with . - ?" },
	{ INI("[100]\nx(y)=1\n"), "FAIL", "key with ( fails the file" },
	{ INI("[100]\nkey{x}=1\n"), "FAIL", "key with { fails the file" },
	{ INI("[100]\nx^y=1\n"), "FAIL", "key with ^ fails the file" },
	{ INI("[100]\n~x=1\n"), "FAIL", "key with ~ fails the file" },
	{ INI("[100]\n!x=1\n"), "FAIL", "key with ! fails the file" },
	{ INI("[tpl](!)\ntype=endpoint\n[100](tpl)\nsecret=x\n"), "FAIL",
	    "Asterisk template fails the file" },
	{ INI("[100](tpl)\nsecret=x\n"), "FAIL", "[100](tpl) fails" },
	{ INI("[100\na=1\n"), "FAIL", "unclosed section fails" },
	{ INI("[100] ; comment\na=1\n"), "{\"100\":{\"a\":\"1\"}}",
	    "comment after a section header" },
	{ INI("[ 100 ]\na=1\n"), "{\" 100 \":{\"a\":\"1\"}}",
	    "blanks inside brackets kept" },
};

/* §2.4: values. */
static const struct ini_case spec_values[] = {
	{ INI("[100]\nsecret=\"a b\"\n"), "{\"100\":{\"secret\":\"a b\"}}",
	    "double-quoted value unquoted" },
	{ INI("[100]\nsecret=\"pass;word\"\n"),
	    "{\"100\":{\"secret\":\"pass;word\"}}", "';' inside quotes kept" },
	{ INI("[100]\ncallerid=\"Alice\" <100>\n"),
	    "{\"100\":{\"callerid\":\"\\\"Alice\\\" <100>\"}}",
	    "partial quotes kept" },
	{ INI("[100]\nx=a\"b\n"), "{\"100\":{\"x\":\"a\\\"b\"}}",
	    "inner quote kept" },
	{ INI("[100]\nsecret=\"abc\n"), "{\"100\":{\"secret\":\"\\\"abc\"}}",
	    "unbalanced quote kept" },
	{ INI("[100]\nx='a b'\n"), "{\"100\":{\"x\":\"'a b'\"}}",
	    "single quotes kept" },
	{ INI("[100]\nsetvar=X=1\n"), "{\"100\":{\"setvar\":\"X=1\"}}",
	    "= inside a value" },
	{ INI("[ctx]\nexten => 100,1,Dial(SIP/100)\n"),
	    "{\"ctx\":{\"exten\":\"> 100,1,Dial(SIP\\/100)\"}}",
	    "exten => is key exten" },
	{ INI("[100]\na=${VAR}\nb=p$ss\nc=a|b&c\nd=!all\ne=~x\n"),
	    "{\"100\":{\"a\":\"${VAR}\",\"b\":\"p$ss\",\"c\":\"a|b&c\","
	    "\"d\":\"!all\",\"e\":\"~x\"}}",
	    "${} $ | & ! ~ literal in values" },
	{ INI("[100]\nbs=C:\\path\\\"q\\\"\n"),
	    "{\"100\":{\"bs\":\"C:\\\\path\\\\\\\"q\\\\\\\"\"}}",
	    "backslashes literal" },
};

/* §2.4: keys, sections and whole files. */
static const struct ini_case spec_structure[] = {
	{ INI("[100]\njustakey\nb=2\n"), "{\"100\":{\"b\":\"2\"}}",
	    "valueless key dropped" },
	{ INI("[100]\ncallgroup=\n"), "{\"100\":{\"callgroup\":\"\"}}",
	    "k= is \"\"" },
	{ INI("[100]\nallow=ulaw\ntype=x\nallow=alaw\n"),
	    "{\"100\":{\"allow\":\"alaw\",\"type\":\"x\"}}",
	    "duplicate key overwrites in place" },
	{ INI("[100]\nallow[]=ulaw\nallow[]=alaw\n"),
	    "{\"100\":{\"allow\":[\"ulaw\",\"alaw\"]}}", "k[]= arrays" },
	{ INI("[100]\na=1\n[100]\nb=2\n"), "{\"100\":{\"b\":\"2\"}}",
	    "duplicate section replaces" },
	{ INI("a=1\n[100]\nb=2\n"), "{\"a\":\"1\",\"100\":{\"b\":\"2\"}}",
	    "keys before the first section" },
	{ INI("[a]\n[b]\n"), "{\"a\":[],\"b\":[]}", "empty sections are []" },
	{ INI(""), "[]", "empty file" },
	{ INI(";c\n;d\n"), "[]", "comment-only file" },
	{ INI("\xef\xbb\xbf[100]\nsecret=x\n"), "{\"100\":{\"secret\":\"x\"}}",
	    "BOM ignored" },
	{ INI("[100]\r\nsecret=pass\r\n"), "{\"100\":{\"secret\":\"pass\"}}",
	    "CRLF" },
	{ INI("[0]\na=1\n[1]\nb=2\n"), "[{\"a\":\"1\"},{\"b\":\"2\"}]",
	    "numeric sections make a list" },
	{ INI("[100]\nqualify=yes\nnat=no\nx=true\ny=null\n"),
	    "{\"100\":{\"qualify\":\"yes\",\"nat\":\"no\",\"x\":\"true\","
	    "\"y\":\"null\"}}",
	    "raw values are not typed" },
};

/* Rules of zend_ini_scanner.l / zend_ini_parser.y beyond the spec. */
static const struct ini_case scanner_rules[] = {
	{ INI("# a=b\n[s]\n"), "{\"# a\":\"b\",\"s\":[]}",
	    "'#' is a label character" },
	{ INI("# see (docs)\n[s]\n"), "FAIL", "'#' line with ( fails" },
	{ INI("[s]\nyes\n"), "FAIL", "bare yes is a syntax error" },
	{ INI("[s]\nnone=1\n"), "FAIL", "key none is a syntax error" },
	{ INI("[s]\nnobody=1\n"), "{\"s\":{\"nobody\":\"1\"}}",
	    "a longer label wins over no" },
	{ INI("  [s]\na=1\n"), "FAIL", "space-indented section is an offset" },
	{ INI("\t[s]\na=1\n"), "{\"s\":{\"a\":\"1\"}}",
	    "tab-indented section" },
	{ INI("[s] a=1\n"), "{\"s\":{\"a\":\"1\"}}",
	    "entry on the section line" },
	{ INI("[]\na=1\n"), "{\"\":{\"a\":\"1\"}}", "empty section name" },
	{ INI("[s]\na\tb=1\n"), "{\"s\":{\"b\":\"1\"}}",
	    "tab splits a label: the first word is bare" },
	{ INI("[s]\nk=\"a;b\" ; c\n"), "{\"s\":{\"k\":\"a;b\"}}",
	    "quoted value, then a comment" },
	{ INI("[s]\nk=\"a\" ;c \"d\"\n"), "{\"s\":{\"k\":\"a\\\" ;c \\\"d\"}}",
	    "a later quote cancels the comment" },
	{ INI("[s]\rk=v\r"), "{\"s\":{\"k\":\"v\"}}", "CR line ends" },
	{ INI("[s]\nk=v\n\0z=1\n"), "{\"s\":{\"k\":\"v\",\"\\u0000z\":\"1\"}}",
	    "NUL is a label character" },
	{ INI("[s]\nk=a\0b\n"), "{\"s\":{\"k\":\"a\\u0000b\"}}",
	    "NUL inside a value kept" },
	{ INI("[s]\nk=1\n;c=2"), "{\"s\":{\"k\":\"1\"}}",
	    "comment without a line end" },
	{ INI("[s]\nk=;a=b"), "FAIL",
	    "value ';' with no line end after it: the scan stops mid-statement" },
	{ INI("[s]\nk=v;c"), "{\"s\":{\"k\":\"v\"}}",
	    "comment after a value at the end of the input" },
	{ INI("[s]\nnull"), "{\"s\":[]}",
	    "a label running to the end of the input ends it" },
	{ INI("[s]\nNull\n"), "FAIL", "bool words ignore case" },
	{ INI("[s]\nx]y=1\n"), "{\"s\":{\"x]y\":\"1\"}}",
	    "']' is a label character" },
	{ INI("\xef\xbb\xbf"), "[]", "BOM alone is a bare label" },
	{ INI("[s]\nk=1\n[t]\n[s]\n"), "{\"s\":[],\"t\":[]}",
	    "a replaced section keeps its place" },
	{ INI("s=1\n[s]\nk=2\n"), "{\"s\":{\"k\":\"2\"}}",
	    "a section replaces a scalar" },
	{ INI("[s]\n=1\n"), "FAIL", "line starting with = fails" },
	{ INI("[s]\nk=\"\n"), "{\"s\":{\"k\":\"\\\"\"}}", "lone quote" },
	{ INI("[s]]\n"), "{\"s\":[]}", "']' after a section: a bare label" },
	{ INI("[s](\n"), "FAIL", "'(' after a section fails" },
};

/* label[offset]= (ZEND_INI_PARSER_POP_ENTRY). */
static const struct ini_case offsets[] = {
	{ INI("[s]\nk[x]=1\nk[y]=2\n"),
	    "{\"s\":{\"k\":{\"x\":\"1\",\"y\":\"2\"}}}", "k[x]=" },
	{ INI("[s]\nk[2]=a\nk[]=b\n"),
	    "{\"s\":{\"k\":{\"2\":\"a\",\"3\":\"b\"}}}", "k[2]= then k[]=" },
	{ INI("[s]\nk[ ]=a\n"), "{\"s\":{\"k\":[\"a\"]}}", "k[ ]= pushes" },
	{ INI("[s]\nk[\"a b\"]=1\n"), "{\"s\":{\"k\":{\"a b\":\"1\"}}}",
	    "double-quoted offset" },
	{ INI("[s]\nk[\"a\\\"b\"]=1\n"), "{\"s\":{\"k\":{\"a\\\"b\":\"1\"}}}",
	    "escape in a double-quoted offset" },
	{ INI("[s]\nk['q r']=1\n"), "{\"s\":{\"k\":{\"q r\":\"1\"}}}",
	    "single-quoted offset" },
	{ INI("[s]\nk[TRUE]=1\nk[null]=2\n"),
	    "{\"s\":{\"k\":{\"1\":\"1\",\"2\":\"2\"}}}",
	    "constants true and null" },
	{ INI("[s]\nk[${X}]=1\n"), "{\"s\":{\"k\":[\"1\"]}}",
	    "${X} in an offset reads as \"\"" },
	{ INI("[s]\nk=1\nk[]=2\n"), "{\"s\":{\"k\":[\"2\"]}}",
	    "k[]= replaces a scalar" },
	{ INI("[s]\nk[]=1\nk=2\n"), "{\"s\":{\"k\":\"2\"}}",
	    "k= replaces an array" },
	{ INI("[s]\n5[]=a\n"), "{\"s\":{\"5\":[\"a\"]}}", "numeric label" },
	{ INI("[s]\n05[]=a\n"), "{\"s\":{\"05\":[\"a\"]}}",
	    "label with a leading zero stays a string" },
	{ INI("[s]\nk[]\n"), "FAIL", "k[] without =" },
	{ INI("[s]\nk[a;b]=1\n"), "FAIL", "; inside an offset" },
	{ INI("[s]\nk[a=1\n"), "FAIL", "unclosed offset" },
	{ INI("[s]\nk[x] = \"v\"\n"), "{\"s\":{\"k\":{\"x\":\"v\"}}}",
	    "offset value is raw" },
};

static struct buf out;

static int
capture(void *ctx, const char *p, size_t n)
{
	(void)ctx;
	return buf_add(&out, p, n);
}

/*
 * Runs cmd with a tenant made from the .env text env.  Returns the body
 * and sets *head to the CGI header block.
 */
static const char *
run(const char *env, const char *cmd, const char **head)
{
	struct tenant *t = arena_zalloc(A, sizeof(*t));
	const struct cmd *c = cmd_find(&elastix_dialect, cmd);
	struct buf body;
	struct reply rp;
	struct req r;
	const char *sep;

	t->name = "default";
	env_parse(A, t, env, strlen(env));
	static const struct conf conf = { .backend_ms = 2000 };

	memset(&r, 0, sizeof(r));
	r.arena = A;
	r.conf = &conf;
	r.tenant = t;
	r.pool = pool_new(1, 0);
	buf_init(&body, 1 << 20);
	buf_clear(&out);
	reply_init(&rp, A, &body, NULL);
	if (c == NULL || c->run(&r, &rp) != E_OK || reply_finish(&rp) == -1)
		buf_adds(&out, "(failed)\r\n\r\n");
	pool_free(r.pool);
	buf_free(&body);
	sep = strstr(buf_cstr(&out), "\r\n\r\n");
	*head = sep ? arena_strndup(A, out.data, (size_t)(sep - out.data)) : "";
	return sep
	    ? arena_strndup(A, sep + 4, out.len - (size_t)(sep - out.data) - 4)
	    : "";
}

static void
lordword(const char *env, const char *want, const char *name)
{
	const char *head, *body = run(env, "auth", &head);

	is_str(body, arena_printf(A, "{\"lordword\":\"%s\"}", want), name);
}

/* §2.4 and §5.1. */
static void
auth_cmd(void)
{
	const char *m = tl_put("manager.conf",
	    ";\n[general]\nenabled = yes\n\n[admin]\nsecret = amp111\nread = all\n");
	const char *m2 = tl_put("manager2.conf",
	    "[general]\nenabled=yes\n[noauth]\nread=all\n[mark]\nsecret=pw2\n");
	const char *mt =
	    tl_put("manager3.conf", "[general]\n[admin](!)\nsecret=amp111\n");
	const char *head;

	lordword(arena_printf(A, "AMI_CONF_PATH=%s\n", m), "YWRtaW46YW1wMTEx",
	    "auth: [admin] secret = amp111");
	lordword(arena_printf(A, "AMI_CONF_PATH=%s\n", m2),
	    "bWFyazpwdzI=", "auth: first section with a secret");
	lordword("AMI_CONF_PATH=/nonexistent\n",
	    "Og==", "auth: unreadable file, nothing configured");
	lordword("AMI_CONF_PATH=/nonexistent\nAMI_USERNAME=bob\n",
	    "Ym9iOg==", "auth: unreadable file, AMI_USERNAME=bob");
	lordword(arena_printf(A, "AMI_CONF_PATH=%s\nAMI_USERNAME=bob\n", m),
	    "YWRtaW46YW1wMTEx", "auth: only AMI_USERNAME set, the file wins");
	lordword(arena_printf(A,
		     "AMI_CONF_PATH=%s\nAMI_USERNAME=bob\nAMI_SECRET=s3\n", m),
	    "Ym9iOnMz", "auth: both set");
	lordword(arena_printf(A, "AMI_CONF_PATH=%s\nAMI_USERNAME=bob\n", mt),
	    "Ym9iOg==", "auth: unparseable file, configured pair");
	lordword(arena_printf(A, "AMI_CONF_PATH=%s\n", tmpdir),
	    "Og==", "auth: a directory is unreadable");
	run("AMI_CONF_PATH=/nonexistent\nCORS_ALLOWED_ORIGINS=x.example\n",
	    "auth", &head);
	ok(strstr(head, "Status: 200 OK\r\n") != NULL &&
		strstr(head, "Content-Type: application/json\r\n") != NULL &&
		strstr(head, "Access-Control-Allow-Origin: x.example") != NULL,
	    "auth: status, Content-Type and CORS headers");
}

static void
sipext_is(const char *env, const char *want, const char *name)
{
	const char *head;

	is_str(run(env, "sipextensions", &head), want, name);
}

/* §5.3. */
static void
sipextensions(void)
{
	const char *pj = tl_put("pjsip.conf",
	    "[transport-udp]\ntype=transport\nprotocol=udp\nbind=0.0.0.0\n"
	    "[100]\ntype=endpoint\ncontext=from-internal\n"
	    "transport=transport-udp\nauth=auth100\naors=100\n");
	const char *sip = tl_put("sip.conf",
	    "[100]\ndeny=0.0.0.0/0.0.0.0\nsecret=strongpassword\ncallerid=Lowis <100>\n");
	const char *l1 = tl_put("latin1.conf", "[100]\ncallerid=\xc7\x61\n");
	const char *want_pj =
	    "{\"transport-udp\":{\"type\":\"transport\",\"protocol\":\"udp\","
	    "\"bind\":\"0.0.0.0\"},\"100\":{\"type\":\"endpoint\","
	    "\"context\":\"from-internal\",\"transport\":\"transport-udp\","
	    "\"auth\":\"auth100\",\"aors\":\"100\"}}";
	const char *want_sip =
	    "{\"100\":{\"deny\":\"0.0.0.0\\/0.0.0.0\","
	    "\"secret\":\"strongpassword\",\"callerid\":\"Lowis <100>\"}}";

	sipext_is(arena_printf(A, "PJSIP_CONF_PATH=%s\n", pj), want_pj,
	    "sipextensions: pjsip.conf");
	sipext_is(arena_printf(A, "CHAN_DRIVER=sip\nSIP_CONF_PATH=%s\n", sip),
	    want_sip, "sipextensions: CHAN_DRIVER=sip reads SIP_CONF_PATH");
	sipext_is(
	    arena_printf(A,
		"CHAN_DRIVER=PJSIP\nSIP_CONF_PATH=%s\nPJSIP_CONF_PATH=%s\n",
		sip, pj),
	    want_sip, "sipextensions: only exactly 'pjsip' means PJSIP");
	sipext_is("PJSIP_CONF_PATH=/nonexistent\n", "[]",
	    "sipextensions: missing file is []");
	sipext_is(arena_printf(A, "PJSIP_CONF_PATH=%s/manager3.conf\n", tmpdir),
	    "[]", "sipextensions: unparseable file is []");
	sipext_is(arena_printf(A, "PJSIP_CONF_PATH=%s\n", l1), "",
	    "sipextensions: invalid UTF-8 gives an empty body");
	sipext_is(
	    arena_printf(A, "PBX_DRIVER=issabel\nPJSIP_CONF_PATH=%s\n", pj),
	    want_pj, "sipextensions: issabel reads the file");
	sipext_is(arena_printf(A,
		      "PBX_DRIVER=freepbx\nDB_SOCKET=/"
		      "nonexistent\nPJSIP_CONF_PATH=%s\n",
		      pj),
	    want_pj, "sipextensions: freepbx falls back to the file");
	sipext_is(
	    arena_printf(A,
		"PBX_DRIVER=freepbx\nDB_SOCKET=/nonexistent\n"
		"CHAN_DRIVER=pjsip\nSIP_CONF_PATH=%s\nPJSIP_CONF_PATH=%s\n",
		sip, pj),
	    want_pj,
	    "sipextensions: freepbx, DB down, CHAN_DRIVER=pjsip: pjsip.conf");
	sipext_is(arena_printf(A,
		      "PBX_DRIVER=freepbx\nDB_SOCKET=/nonexistent\n"
		      "CHAN_DRIVER=sip\nSIP_CONF_PATH=%s\nPJSIP_CONF_PATH=%s\n",
		      sip, pj),
	    want_sip,
	    "sipextensions: freepbx, DB down, CHAN_DRIVER=sip: sip file");
}

static void
db_is(const char *env, const char *host, const char *user, const char *pw,
    const char *name)
{
	struct tenant *t = arena_zalloc(A, sizeof(*t));
	struct db_settings db;

	t->name = "default";
	env_parse(A, t, env, strlen(env));
	pbx_db_settings(A, t, &db);
	ok(strcmp(db.host, host) == 0 && strcmp(db.user, user) == 0 &&
		strcmp(db.password, pw) == 0,
	    "%s", name);
	if (strcmp(db.host, host) != 0 || strcmp(db.user, user) != 0 ||
	    strcmp(db.password, pw) != 0)
		printf("#   got %s %s '%s'\n", db.host, db.user, db.password);
}

/* §2.5, §2.6 and the N-18 fix. */
static void
db_settings(void)
{
	const char *is = tl_put("issabel.conf",
	    "mysqlrootpwd = sec=ret \r\n\namiadminpwd=amp111\n");
	const char *fp = tl_put("freepbx.conf",
	    "<?php\n$amp_conf['AMPDBUSER'] = 'freepbxuser';\n"
	    "$amp_conf[\"AMPDBPASS\"] = \"real\";\n"
	    "// $amp_conf[\"AMPDBPASS\"] = \"old\";\n"
	    "# $amp_conf['AMPDBHOST'] = 'hash';\n"
	    "/* $amp_conf['AMPDBHOST'] = 'block'; */\n"
	    "$amp_conf[ 'AMPDBHOST' ]\t=\n'db.example.com';\n"
	    "$amp_conf['datasource'] = '';\n");
	const char *fq = tl_put("freepbx2.conf",
	    "<?php $amp_conf['AMPDBUSER'] = 'pa\"ss'; "
	    "$amp_conf['AMPDBPASS'] = 'x#y//z';\n$amp_conf['AMPDBHOST']='';");
	const char *base = "DB_USERNAME=u\nDB_HOST=h\n";

	db_is(arena_printf(
		  A, "%sPBX_DRIVER=issabel\nISSABEL_CONF_PATH=%s\n", base, is),
	    "h", "u", "sec=ret", "issabel: mysqlrootpwd, split at the first =");
	db_is(arena_printf(A,
		  "%sPBX_DRIVER=issabel\nDB_PASSWORD=x\nISSABEL_CONF_PATH=%s\n",
		  base, is),
	    "h", "u", "x", "issabel: an explicit DB_PASSWORD wins");
	db_is(arena_printf(
		  A, "%sPBX_DRIVER=asterisk\nISSABEL_CONF_PATH=%s\n", base, is),
	    "h", "u", "", "asterisk: issabel.conf not read");
	db_is(arena_printf(
		  A, "%sPBX_DRIVER=freepbx\nFREEPBX_CONF_PATH=%s\n", base, fp),
	    "db.example.com", "freepbxuser", "real",
	    "freepbx: $amp_conf, commented-out lines ignored");
	db_is(arena_printf(
		  A, "%sPBX_DRIVER=freepbx\nFREEPBX_CONF_PATH=%s\n", base, fq),
	    "h", "pa", "x#y//z",
	    "freepbx: value cut at a quote, comment marks inside strings");
	db_is(arena_printf(A,
		  "%sPBX_DRIVER=freepbx\nDB_PASSWORD=p\nFREEPBX_CONF_PATH=%s\n",
		  base, fp),
	    "h", "u", "p", "freepbx: an explicit DB_PASSWORD wins");
}

/* The §2.1 defaults, and an issabel.conf without mysqlrootpwd. */
static void
db_defaults(void)
{
	struct tenant t0 = { .name = "default" };
	struct db_settings db;

	pbx_db_settings(A, &t0, &db);
	is_int(db.port, 3306, "db: DB_PORT default");
	ok(strcmp(db.host, "localhost") == 0 && strcmp(db.user, "root") == 0 &&
		strcmp(db.charset, "utf8mb4") == 0,
	    "db: the §2.1 defaults");
	ok(pbx_issabel_rootpw(A, "amiadminpwd=amp111\n", 19) == NULL,
	    "issabel: no mysqlrootpwd");
}

/*
 * The golden corpus: the fixture tree of base.json is written under
 * tmpdir, every path in the .env moved there.
 */
static yajl_val
jget(yajl_val v, const char *k)
{
	const char *path[] = { k, NULL };

	return v != NULL ? yajl_tree_get(v, path, yajl_t_any) : NULL;
}

static const char *
jstr(yajl_val v, const char *k)
{
	yajl_val s = jget(v, k);

	return YAJL_IS_STRING(s) ? YAJL_GET_STRING(s) : NULL;
}

static yajl_val
load_json(const char *text)
{
	char err[256];

	return yajl_tree_parse(text, err, sizeof(err));
}

/* Writes one fixture entry; returns 0, or -1 if it is unusable. */
static int
fixture(yajl_val e)
{
	const char *path = jstr(e, "path"), *text = jstr(e, "content");
	const char *b64 = jstr(e, "content_b64");
	yajl_val size = jget(e, "size");
	char *data;
	size_t n;

	if (path == NULL || strncmp(path, "etc/", 4) != 0 ||
	    !YAJL_IS_INTEGER(size))
		return 0;
	if (text != NULL) {
		data = arena_strdup(A, text);
		n = strlen(text);
	} else if (b64 != NULL) {
		data = fpx_base64_decode(A, b64, strlen(b64), &n);
	} else {
		return 0;
	}
	if ((long long)n != YAJL_GET_INTEGER(size))
		return -1; /* a NUL byte the tree parser cut */
	tl_putn(path, data, n);
	return 0;
}

/* Returns nonzero if the .env lines of base.json set k. */
static int
in_lines(yajl_val lines, const char *k)
{
	yajl_val kv;
	const char *lk;
	size_t i;

	for (i = 0; YAJL_IS_ARRAY(lines) && i < lines->u.array.len; i++) {
		kv = lines->u.array.values[i];
		lk = YAJL_GET_STRING(kv->u.array.values[0]);
		if (lk != NULL && strcmp(lk, k) == 0)
			return 1;
	}
	return 0;
}

/* v with the fixture root froot moved to tmpdir. */
static const char *
moved(const char *v, const char *froot)
{
	size_t fl = strlen(froot);

	if (strncmp(v, froot, fl) == 0 && (v[fl] == '/' || v[fl] == '\0'))
		return arena_printf(A, "%s%s", tmpdir, v + fl);
	return v;
}

/*
 * The .env of a case as golden-fixtures env makes it: the base lines with
 * driver_env on top (null removes a line, unknown keys are appended), every
 * path under the fixture root moved to tmpdir.  No path may be left under
 * fixture_root: that tree belongs to tests/golden/elastix, which empties and
 * rewrites it while other tests run.
 */
static const char *
case_env(yajl_val base, yajl_val denv, const char *froot)
{
	yajl_val lines = jget(jget(base, "env_file"), "lines"), kv, o;
	const char *env = "", *k, *v;
	size_t i, j;

	for (i = 0; YAJL_IS_ARRAY(lines) && i < lines->u.array.len; i++) {
		kv = lines->u.array.values[i];
		k = YAJL_GET_STRING(kv->u.array.values[0]);
		v = YAJL_GET_STRING(kv->u.array.values[1]);
		o = jget(denv, k);
		if (o != NULL)
			v = YAJL_IS_STRING(o) ? YAJL_GET_STRING(o) : NULL;
		if (v != NULL)
			env = arena_printf(
			    A, "%s%s=%s\n", env, k, moved(v, froot));
	}
	for (j = 0; YAJL_IS_OBJECT(denv) && j < denv->u.object.len; j++) {
		k = denv->u.object.keys[j];
		o = denv->u.object.values[j];
		if (YAJL_IS_STRING(o) && !in_lines(lines, k))
			env = arena_printf(A, "%s%s=%s\n", env, k,
			    moved(YAJL_GET_STRING(o), froot));
	}
	return env;
}

/* Checks one case of the pbxinfo groups; returns 1 if it was checked. */
static int
golden_case(yajl_val c, yajl_val base, const char *froot)
{
	const char *id = jstr(c, "id"), *group = jstr(c, "group"), *query;
	const char *body, *head, *driver, *env;
	yajl_val resp = jget(c, "response"), st = jget(resp, "status");

	if (id == NULL || group == NULL ||
	    (strcmp(group, "sipextensions") != 0 &&
		strcmp(group, "auth-cmd") != 0 &&
		strcmp(group, "authentication") != 0))
		return 0;
	query = jstr(jget(c, "request"), "query");
	body = jstr(resp, "body");
	/* 401s are the dialect's; this checks the commands. */
	if (!YAJL_IS_INTEGER(st) || YAJL_GET_INTEGER(st) != 200 ||
	    query == NULL || strncmp(query, "cmd=", 4) != 0 || body == NULL)
		return 0;
	driver = jstr(jget(c, "driver_env"), "PBX_DRIVER");
	if (strcmp(group, "sipextensions") == 0 && driver != NULL &&
	    strcmp(driver, "freepbx") == 0)
		return skip("the pjsip table needs a database", "%s", id);
	env = case_env(base, jget(c, "driver_env"), froot);
	if (strstr(env, froot) != NULL)
		unmoved++;
	is_str(run(env, query + 4, &head), body, id);
	return 1;
}

/* Runs every case of visible.jsonl against the handlers. */
static void
golden_cases(const char *dir, yajl_val base, const char *froot)
{
	char *text, *line, *eol;
	size_t n, checked = 0;
	yajl_val c;

	if (ini_read_file(A, arena_printf(A, "%s/visible.jsonl", dir), 64 << 20,
		&text, &n) != E_OK) {
		ok(0, "golden: cannot read visible.jsonl");
		return;
	}
	for (line = text; line < text + n; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(text + n - line));
		if (eol == NULL)
			eol = text + n;
		c = load_json(arena_strndup(A, line, (size_t)(eol - line)));
		if (c != NULL)
			checked += (size_t)golden_case(c, base, froot);
		yajl_tree_free(c);
	}
	ok(checked >= 20, "golden: %zu cases checked", checked);
	is_int((long long)unmoved, 0,
	    "golden: no .env path left under the fixture root");
}

static void
golden(void)
{
	const char *dir = getenv("PBXAPI_GOLDEN"), *froot;
	yajl_val base, ents;
	char *text;
	size_t n, i;

	if (dir == NULL)
		dir = "/work/shared/golden/elastix";
	if (ini_read_file(A, arena_printf(A, "%s/base.json", dir), 64 << 20,
		&text, &n) != E_OK) {
		skip("not found", "golden corpus in %s", dir);
		return;
	}
	base = load_json(text);
	froot = jstr(base, "fixture_root");
	ents = jget(jget(base, "fixtures"), "entries");
	if (froot == NULL || !YAJL_IS_ARRAY(ents)) {
		ok(0, "golden: base.json has no fixtures");
		yajl_tree_free(base);
		return;
	}
	for (i = 0; i < ents->u.array.len; i++)
		if (fixture(ents->u.array.values[i]) == -1)
			printf("# fixture %s not usable\n",
			    jstr(ents->u.array.values[i], "path"));
	golden_cases(dir, base, froot);
	yajl_tree_free(base);
}

int
main(void)
{
	A = arena_new();
	buf_init(&out, 1 << 22);
	reply_write = capture;
	tmpdir = tl_tmpdir("t_ini");
	ini_cases(spec_keys, nitems(spec_keys));
	ini_cases(spec_values, nitems(spec_values));
	ini_cases(spec_structure, nitems(spec_structure));
	ini_cases(scanner_rules, nitems(scanner_rules));
	ini_cases(offsets, nitems(offsets));
	auth_cmd();
	sipextensions();
	db_settings();
	db_defaults();
	golden();
	tl_rmtmp();
	arena_free(A);
	return done_testing();
}
