/*
 * audit.c and audit_log.c: the writer's lines (fields, the canonical
 * form a third party recomputes, per-tenant links), which commands are
 * audited, the tables' .target names, and the verifier on a good log,
 * split logs, and tampered copies (altered, removed, reordered, inserted,
 * truncated, garbage, too long).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "buf.h"
#include "conf.h"
#include "dispatch.h"
#include "reply.h"
#include "req.h"
#include "tap.h"
#include "testlib.h"

#define NLINES 5

static struct arena *A;
static char *lines[NLINES + 3];
static size_t nlines;

static const struct dialect *
dialect(const char *name)
{
	const struct dialect *const *d;

	for (d = dialects; *d != NULL; d++)
		if (strcmp((*d)->name, name) == 0)
			return *d;
	return NULL;
}

/* Writes one audit line: command name of dialect dn for tenant tn. */
static void
one(const char *dn, const char *name, const char *tn, const char *target,
    int status, enum err e)
{
	static struct tenant t[2] = { { .name = "acme" }, { .name = "beta" } };
	static char ra[] = "REMOTE_ADDR=192.0.2.7";
	static char *envp[] = { ra, NULL };
	struct req r;
	struct reply rp;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(&rp, 0, sizeof(rp));
	r.arena = A;
	r.envp = envp;
	r.dialect = dialect(dn);
	r.cmd = cmd_find(r.dialect, name);
	r.tenant = strcmp(tn, "acme") == 0 ? &t[0] : &t[1];
	r.token_id = "0123456789ab";
	snprintf(r.id, sizeof(r.id), "req-%zu", nlines + 1);
	if (target != NULL) {
		r.args =
		    arena_zalloc(A, (r.cmd->nparams + 1) * sizeof(*r.args));
		for (i = 0; i < r.cmd->nparams; i++)
			if (strcmp(r.cmd->params[i].name,
				r.cmd->target ? r.cmd->target : "channelId") ==
			    0) {
				r.args[i].present = 1;
				r.args[i].s = target;
				r.args[i].len = strlen(target);
			}
	}
	rp.status = status;
	audit_request(&r, &rp, e);
	nlines++;
}

/* Reads the log back into lines[]; returns how many. */
static size_t
readback(const char *path)
{
	char buf[AUDIT_LINE_MAX + 2];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp == NULL)
		return 0;
	while (n < nitems(lines) && fgets(buf, sizeof(buf), fp) != NULL)
		lines[n++] = arena_strdup(A, buf);
	fclose(fp);
	return n;
}

/* What a third party does: SHA-256 of line[:-75] + "}" is line[-66:-2]. */
static int
canonical(const char *line)
{
	size_t n = strlen(line) - 1; /* the newline */
	char *c = arena_strndup(A, line, n - 75 + 1), h[AUDIT_HEX + 1];

	c[n - 75] = '}';
	audit_hash(c, n - 75 + 1, h);
	return strncmp(h, line + n - 66, AUDIT_HEX) == 0;
}

/* The value of "key":"..." in line (64 hex digits), or "". */
static const char *
member(const char *line, const char *key)
{
	const char *p = strstr(line, arena_printf(A, "\"%s\":\"", key));

	if (p == NULL)
		return "";
	p += strlen(key) + 4;
	return arena_strndup(A, p, AUDIT_HEX);
}

static void
writer(const char *path)
{
	char err[256];
	size_t n;

	ok(audit_open("off", err, sizeof(err)) == 0, "audit.log = off");
	one("elastix", "originatecall", "acme", "SIP/1001", 200, E_OK);
	ok(readback(path) == 0, "off: nothing written");
	ok(audit_open(path, err, sizeof(err)) == 0, "audit.log = %s", path);
	nlines = 0;
	one("elastix", "originatecall", "acme", "SIP/1001", 200, E_OK);
	one("ari", "hangup", "beta", "chan-1", 204, E_OK);
	one("elastix", "deleteextension", "acme", NULL, 403, E_FORBIDDEN);
	one("ari", "hangup", "beta", "chan-2", 404, E_NOTFOUND);
	one("elastix", "getwavfile", "acme", "a\"b\n.wav", 200, E_OK);
	n = readback(path);
	is_int((long long)n, NLINES, "one line per request");
	if (n != NLINES)
		return;
	ok(strncmp(lines[0], "{\"time\":\"", 9) == 0,
	    "line 1 starts with the time");
	ok(strstr(lines[0],
	       "\"id\":\"req-1\",\"tenant\":\"acme\",\"token\":\"0123456789ab\","
	       "\"client\":\"192.0.2.7\",\"dialect\":\"elastix\","
	       "\"cmd\":\"originatecall\",\"target\":\"SIP/1001\","
	       "\"status\":200,\"outcome\":\"ok\",\"prev\":\"") != NULL,
	    "line 1: its fields, in order");
	ok(strstr(lines[2],
	       "\"target\":null,\"status\":403,"
	       "\"outcome\":\"forbidden\"") != NULL,
	    "a refused call: no target, its status and error");
	ok(strstr(lines[3],
	       "\"target\":\"chan-2\",\"status\":404,"
	       "\"outcome\":\"notfound\"") != NULL,
	    "ari: the path argument is the target");
	ok(strstr(lines[4], "\"target\":\"a\\\"b\\n.wav\"") != NULL,
	    "the target is JSON-escaped");
	for (n = 0; n < NLINES; n++)
		ok(canonical(lines[n]), "line %zu: canonical hash", n + 1);
	is_str(member(lines[0], "prev"),
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "acme's first prev: zeros");
	is_str(member(lines[1], "prev"),
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "beta's first prev: zeros");
	is_str(member(lines[2], "prev"), member(lines[0], "hash"),
	    "acme's second line links to its first");
	is_str(member(lines[3], "prev"), member(lines[1], "hash"),
	    "beta's second line links to its first");
	is_str(member(lines[4], "prev"), member(lines[2], "hash"),
	    "acme's third line links to its second");
}

/* Writes the lines of order (indexes into lines[], -1 ends) to name. */
static char *
copy(const char *name, const int *order, const char *extra)
{
	struct buf b;
	const char *p;

	buf_init(&b, 1 << 20);
	for (; *order != -1; order++)
		if (*order == 99)
			buf_adds(&b, extra);
		else
			buf_adds(&b, lines[*order]);
	p = tl_putn(name, b.data ? b.data : "", b.len);
	buf_free(&b);
	return arena_strdup(A, p);
}

/* Runs the verifier on files; returns its exit and its output in *out. */
static int
verify(char *const *files, int n, char **out)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int rc = audit_verify_files(files, n, fp, fp);

	fclose(fp);
	*out = arena_strdup(A, text);
	free(text);
	return rc;
}

static void
check(const char *name, const int *order, const char *extra, int want_rc,
    const char *want)
{
	char *files[1], *out;
	int rc;

	files[0] = copy(name, order, extra);
	rc = verify(files, 1, &out);
	ok(rc == want_rc, "%s: exit %d", name, want_rc);
	if (!ok(strstr(out, arena_printf(A, "%s%s", files[0], want)) != NULL ||
		    (want_rc == 0 && strcmp(out, want) == 0),
		"%s: says what and where", name))
		printf("# got: %s", out);
}

/* A sealed line of tenant acme whose prev is no line's hash. */
static const char *
forged(void)
{
	const char *l = lines[2];
	size_t n = strlen(l) - 1;
	char *c = arena_strndup(A, l, n - 75 + 1), h[AUDIT_HEX + 1];
	char *pp = c + n - 75 - 65;

	memset(pp, 'e', AUDIT_HEX);
	c[n - 75] = '}';
	audit_hash(c, n - 75 + 1, h);
	c[n - 75] = '\0';
	return arena_printf(A, "%s,\"hash\":\"%s\"}\n", c, h);
}

static void
verifier(void)
{
	static const int all[] = { 0, 1, 2, 3, 4, -1 };
	static const int removed[] = { 0, 1, 3, 4, -1 };
	static const int swapped[] = { 0, 1, 4, 3, 2, -1 };
	static const int first2[] = { 2, 1, 0, 3, 4, -1 };
	static const int garbage[] = { 0, 99, 1, 2, 3, 4, -1 };
	static const int inserted[] = { 0, 1, 2, 99, 3, 4, -1 };
	static const int none[] = { -1 };
	static const int head[] = { 0, 1, 2, -1 }, tail[] = { 3, 4, -1 };
	char *files[2], *out, *altered, *cut, *longline, *p;

	check("good", all, NULL, 0, "5 lines, 2 tenants, OK\n");
	check("empty", none, NULL, 0, "0 lines, 0 tenants, OK\n");
	check("removed", removed, NULL, 1,
	    ":4: tenant 'acme': removed: a line of the tenant between ");
	check("swapped", swapped, NULL, 1,
	    ":3: tenant 'acme': reordered: the line it follows is ");
	check("first2", first2, NULL, 1,
	    ":3: tenant 'acme': reordered: it comes before ");
	check("garbage", garbage, "hello\n", 1, ":2: not an audit line");
	check("inserted", inserted, forged(), 1,
	    ":4: tenant 'acme': inserted or altered");
	/* The refused call made a success: 403 becomes 200. */
	altered = arena_strdup(A, lines[2]);
	if ((p = strstr(altered, "\"status\":403")) != NULL)
		memcpy(p + 9, "200", 3);
	lines[5] = altered;
	{
		static const int alt[] = { 0, 1, 5, 3, 4, -1 };
		check("altered", alt, NULL, 1,
		    ":3: altered: its hash is not the hash of its contents");
	}
	cut = arena_strndup(A, lines[4], strlen(lines[4]) / 2);
	lines[6] = cut;
	{
		static const int trunc[] = { 0, 1, 2, 3, 6, -1 };
		check("truncated", trunc, NULL, 1,
		    ":5: truncated: the last line has no newline");
	}
	longline = arena_alloc(A, AUDIT_LINE_MAX + 3);
	memset(longline, '{', AUDIT_LINE_MAX + 1);
	memcpy(longline + AUDIT_LINE_MAX + 1, "\n", 2);
	check("long", garbage, longline, 1,
	    ":2: longer than the longest audit line");
	files[0] = copy("head", head, NULL);
	files[1] = copy("tail", tail, NULL);
	is_int(verify(files, 2, &out), 0, "split in two files: exit 0");
	is_str(out, "5 lines, 2 tenants, OK\n", "split: one log");
	files[0] = files[1];
	files[1] = copy("head2", head, NULL);
	is_int(verify(files, 2, &out), 1, "files in the wrong order: exit 1");
	files[0] = arena_strdup(A, tl_path("nonexistent"));
	is_int(verify(files, 1, &out), 1, "a missing file: exit 1");
	ok(strstr(out, "cannot open") != NULL, "a missing file: says so");
}

/* A line cut short before a reopen stays a line of its own. */
static void
partial(const char *path)
{
	char err[256], *files[1], *out;
	FILE *fp = fopen(path, "a");

	fputs("{\"time\":\"cut short", fp);
	fclose(fp);
	ok(audit_open(path, err, sizeof(err)) == 0, "reopened");
	nlines = 0;
	one("ari", "hangup", "beta", "chan-3", 204, E_OK);
	is_int((long long)readback(path), NLINES + 2,
	    "the cut line and a new one");
	ok(strncmp(lines[NLINES], "{\"time\":\"cut short\n", 21) == 0,
	    "the cut line was ended");
	is_str(member(lines[NLINES + 1], "prev"), member(lines[3], "hash"),
	    "the new line continues beta's chain");
	files[0] = arena_strdup(A, path);
	ok(verify(files, 1, &out) == 1 &&
		strstr(out, ":6: not an audit line") != NULL,
	    "verify reports the cut line");
}

/* To syslog the chain is computed the same: it goes on past the file. */
static void
to_syslog(const char *path)
{
	char err[256];
	const char *before;

	ok(audit_open("syslog", err, sizeof(err)) == 0, "audit.log = syslog");
	one("ari", "hangup", "beta", "chan-4", 204, E_OK);
	ok(audit_open(path, err, sizeof(err)) == 0, "back to the file");
	one("ari", "hangup", "beta", "chan-5", 204, E_OK);
	is_int((long long)readback(path), NLINES + 3,
	    "the syslog line is not in the file");
	before = member(lines[NLINES + 1], "hash");
	ok(strstr(lines[NLINES + 2], "chan-5") != NULL && *before != '\0' &&
		strcmp(member(lines[NLINES + 2], "prev"), before) != 0,
	    "the chain went on through the syslog line");
}

/* A minimal sealed line of tenant t after prev; its hash in h. */
static const char *
sealed(const char *t, const char *prev, char h[AUDIT_HEX + 1])
{
	const char *c =
	    arena_printf(A, "{\"tenant\":\"%s\",\"prev\":\"%s\"}", t, prev);

	audit_hash(c, strlen(c), h);
	return arena_printf(
	    A, "%.*s,\"hash\":\"%s\"}", (int)strlen(c) - 1, c, h);
}

/* Many chains (the verifier's table grows), fed line by line. */
static void
many(void)
{
	static char h[300][AUDIT_HEX + 1];
	struct audit_verify *v = audit_verify_new();
	const char *l;
	int i, round, bad = 0;

	for (i = 0; i < 300; i++)
		memset(h[i], '0', AUDIT_HEX);
	for (round = 0; round < 2; round++)
		for (i = 0; i < 300; i++) {
			l = sealed(arena_printf(A, "t%d", i), h[i], h[i]);
			bad |= audit_verify_line(v, "many",
			    (unsigned long)(round * 300 + i + 1), l, strlen(l),
			    1);
		}
	ok(bad == 0 && audit_verify_end(v) == 0, "300 chains, 600 lines hold");
	is_int((long long)audit_verify_tenants(v), 300, "300 tenants counted");
	l = sealed("t7", h[8], h[7]);
	ok(audit_verify_line(v, "many", 601, l, strlen(l), 1) == -1 &&
		audit_verify_end(v) == -1 &&
		strstr(audit_verify_why(v), "many:601: tenant 't7': removed") !=
		    NULL,
	    "a line linked to another tenant's chain breaks its own");
	audit_verify_free(v);
}

static void
tables(void)
{
	const struct dialect *const *d;
	const struct family *const *f;
	const struct cmd *c;
	size_t i, j, bad = 0, n = 0;

	ok(audit_wanted(cmd_find(dialect("elastix"), "originatecall")),
	    "originatecall is audited");
	ok(audit_wanted(cmd_find(dialect("elastix"), "getwavfile")),
	    "getwavfile (a recording) is audited");
	ok(!audit_wanted(cmd_find(dialect("elastix"), "sippeers")),
	    "sippeers (a read) is not");
	ok(audit_wanted(cmd_find(dialect("ari"), "hangup")),
	    "ari hangup is audited");
	ok(!audit_wanted(cmd_find(dialect("ari"), "list")), "ari list is not");
	for (d = dialects; *d != NULL; d++)
		for (f = (*d)->families; *f != NULL; f++)
			for (i = 0; i < (*f)->ncmds; i++) {
				c = &(*f)->cmds[i];
				if (c->target == NULL)
					continue;
				n++;
				for (j = 0; j < c->nparams; j++)
					if (strcmp(c->params[j].name,
						c->target) == 0)
						break;
				if (j == c->nparams) {
					bad++;
					printf("# %s %s: .target '%s' is no "
					       "parameter\n",
					    (*d)->name, c->name, c->target);
				}
			}
	ok(n > 0 && bad == 0, "every .target names a parameter (%zu)", n);
}

int
main(void)
{
	const char *path;

	A = arena_new();
	tl_tmpdir("t_audit");
	path = tl_path("audit.log");
	writer(path);
	if (nlines == NLINES && readback(path) == NLINES)
		verifier();
	else
		skip("the writer failed", "verifier");
	partial(path);
	to_syslog(path);
	many();
	tables();
	tl_rmtmp();
	arena_free(A);
	return done_testing();
}
