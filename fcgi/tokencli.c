/*
 * pbxapi token add|list|revoke|rotate: the only writer of the token file
 * (see tokens.h).  Every change is read-modify-write under an flock of
 * "FILE.lock", so two commands at once do not lose each other's change,
 * and lands by rename of a written and fsync'ed "FILE.tmp", so a worker
 * reads the old file or the new one, never half of one.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "digest.h"
#include "dispatch.h"
#include "file.h"
#include "str.h"
#include "tokens.h"

#define SECRET_BYTES  32
#define DEFAULT_OVERL (24 * 3600) /* rotate: the old token lives on */
#define MAX_DURATION  (100LL * 366 * 86400)

struct tfile {
	struct arena *a;
	const char *path;
	struct tokline *lines;
	size_t n, cap;
	int lockfd;
};

/* The options of a verb, after its positional arguments. */
struct opts {
	const char *pos[64];
	size_t npos;
	const char *label, *expires, *overlap;
};

static void
usage_token(void)
{
	fprintf(stderr,
	    "usage: pbxapi [-c file] token add TENANT [SCOPE...] [--label L] "
	    "[--expires DURATION]\n"
	    "       pbxapi [-c file] token list [TENANT]\n"
	    "       pbxapi [-c file] token revoke ID\n"
	    "       pbxapi [-c file] token rotate ID [--overlap DURATION] "
	    "[--expires DURATION]\n");
}

static int err1(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "pbxapi: token: message" on stderr; returns 1 (exit status). */
static int
err1(const char *fmt, ...)
{
	va_list ap;

	fputs("pbxapi: token: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
	return 1;
}

/* Splits argv into positional arguments and --options.  Returns 0/-1. */
static int
get_opts(int argc, char **argv, struct opts *o)
{
	const char **dst;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--label") == 0)
			dst = &o->label;
		else if (strcmp(argv[i], "--expires") == 0)
			dst = &o->expires;
		else if (strcmp(argv[i], "--overlap") == 0)
			dst = &o->overlap;
		else if (argv[i][0] == '-' && argv[i][1] == '-') {
			err1("unknown option '%s'", argv[i]);
			return -1;
		} else {
			if (o->npos == nitems(o->pos))
				return -1;
			o->pos[o->npos++] = argv[i];
			continue;
		}
		if (i + 1 == argc) {
			err1("'%s' needs a value", argv[i]);
			return -1;
		}
		*dst = argv[++i];
	}
	return 0;
}

/* Parses "90d", "24h", "15m", "30s", "2w" or seconds.  Returns 0 or -1. */
static int
duration(const char *s, long long *secs)
{
	static const char units[] = "smhdw";
	static const long long mul[] = { 1, 60, 3600, 86400, 7 * 86400 };
	const char *u;
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno != 0 || v < 0 || *s == '-' || *s == '+')
		return -1;
	if (*end != '\0') {
		if ((u = strchr(units, *end)) == NULL || end[1] != '\0')
			return -1;
		if (v > MAX_DURATION / mul[u - units])
			return -1;
		v *= mul[u - units];
	}
	if (v > MAX_DURATION)
		return -1;
	*secs = v;
	return 0;
}

/* Reads and parses the token file into f (absent: empty). */
static int
tf_read(struct tfile *f)
{
	char err[256], *text;
	const char *why;
	struct stat st;
	ssize_t r = 0;
	size_t got = 0;
	int fd;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT
		    ? 0
		    : err1("cannot open '%s': %s", f->path, strerror(errno));
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > LIM_CONF_FILE) {
		close(fd);
		return err1("'%s' is not a regular file of at most %d bytes",
		    f->path, LIM_CONF_FILE);
	}
	text = arena_alloc(f->a, (size_t)st.st_size + 1);
	r = file_read_full(fd, text, (size_t)st.st_size);
	why = r == -1 ? strerror(errno) : "file shrank";
	got = r == -1 ? 0 : (size_t)r;
	close(fd);
	/* A change written from half a file would drop the other half. */
	if (got != (size_t)st.st_size)
		return err1("cannot read '%s': %s", f->path, why);
	if (memchr(text, '\0', got) != NULL)
		return err1("'%s' contains a NUL byte", f->path);
	if (tokfile_parse(
		f->a, text, got, &f->lines, &f->n, err, sizeof(err)) == -1)
		return err1("'%s': %s (fix or restore it first)", f->path, err);
	f->cap = f->n;
	return 0;
}

/* Opens the token file of c: locked (for a change) and read. */
static int
tf_open(struct tfile *f, const struct conf *c, int lock)
{
	const char *lockpath;

	memset(f, 0, sizeof(*f));
	f->lockfd = -1;
	if (c->store == NULL)
		return err1("no token file: 'tokens_file' is off in '%s'",
		    c->path ? c->path : "(built-in defaults)");
	f->a = c->arena;
	f->path = tokstore_path(c->store);
	if (lock) {
		lockpath = arena_printf(f->a, "%s.lock", f->path);
		f->lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
		if (f->lockfd == -1)
			return err1(
			    "cannot open '%s': %s", lockpath, strerror(errno));
		if (flock(f->lockfd, LOCK_EX) == -1)
			return err1(
			    "cannot lock '%s': %s", lockpath, strerror(errno));
	}
	return tf_read(f);
}

static void
tf_close(struct tfile *f)
{
	if (f->lockfd != -1)
		close(f->lockfd);
	f->lockfd = -1;
}

/* Gives fd to the workers' group when root writes (0640 lets them read). */
static int
give_group(int fd, const struct conf *c)
{
	const struct passwd *pw;
	const struct group *gr;
	gid_t gid;

	if (geteuid() != 0 || (c->user[0] == '\0' && c->group[0] == '\0'))
		return 0;
	if (c->group[0] != '\0') {
		if ((gr = getgrnam(c->group)) == NULL)
			return err1("unknown group '%s'", c->group);
		gid = gr->gr_gid;
	} else {
		if ((pw = getpwnam(c->user)) == NULL)
			return err1("unknown user '%s'", c->user);
		gid = pw->pw_gid;
	}
	if (fchown(fd, 0, gid) == -1)
		return err1("cannot chown: %s", strerror(errno));
	return 0;
}

/* Writes the lines not yet expired to fp. */
static int
tf_lines(const struct tfile *f, FILE *fp)
{
	long long now = (long long)time(NULL);
	size_t i;

	fputs("# pbxapi token file: written by 'pbxapi token', read by the "
	      "workers.\n# ID TENANT SHA256 SCOPES CREATED NOT-AFTER "
	      "[LABEL]\n",
	    fp);
	for (i = 0; i < f->n; i++)
		if ((f->lines[i].not_after == 0 ||
			f->lines[i].not_after > now) &&
		    tokline_write(fp, &f->lines[i]) == -1)
			return -1;
	return fflush(fp) == EOF ? -1 : 0;
}

/* Syncs the directory of path, so that the rename is durable. */
static void
sync_dir(struct arena *a, const char *path)
{
	char *copy = arena_strdup(a, path);
	int fd;

	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(fd);
		close(fd);
	}
}

/* Writes f atomically (temp file, fsync, rename).  Returns 0 or 1. */
static int
tf_write(struct tfile *f, const struct conf *c)
{
	const char *tmp = arena_printf(f->a, "%s.tmp", f->path);
	FILE *fp;
	int fd, rc;

	(void)unlink(tmp);
	fd = open(
	    tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1)
		return err1("cannot create '%s': %s", tmp, strerror(errno));
	if (fchmod(fd, 0640) == -1 || give_group(fd, c) != 0 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		(void)unlink(tmp);
		return err1("cannot prepare '%s': %s", tmp, strerror(errno));
	}
	rc = tf_lines(f, fp);
	if (rc == 0 && fsync(fileno(fp)) == -1)
		rc = -1;
	if (fclose(fp) == EOF)
		rc = -1;
	if (rc == 0 && rename(tmp, f->path) == -1)
		rc = -1;
	if (rc == -1) {
		rc = err1("cannot write '%s': %s", f->path, strerror(errno));
		(void)unlink(tmp);
		return rc;
	}
	sync_dir(f->a, f->path);
	return 0;
}

/* Returns the line of id, or NULL. */
static struct tokline *
tf_find(struct tfile *f, const char *id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->lines[i].id, id) == 0)
			return &f->lines[i];
	return NULL;
}

/* Appends a line (a copy of tl) and returns it. */
static struct tokline *
tf_append(struct tfile *f, const struct tokline *tl)
{
	struct tokline *v;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		v = arena_alloc(f->a, f->cap * sizeof(*v));
		if (f->n > 0)
			memcpy(v, f->lines, f->n * sizeof(*v));
		f->lines = v;
	}
	f->lines[f->n] = *tl;
	return &f->lines[f->n++];
}

/* base64url without padding of the n bytes at p into out. */
static void
b64url(const uint8_t *p, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789-_";
	uint32_t v;
	size_t i, k = 0;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[k++] = abc[v >> 18 & 63];
		out[k++] = abc[v >> 12 & 63];
		out[k++] = abc[v >> 6 & 63];
		out[k++] = abc[v & 63];
	}
	if (n - i == 1) {
		out[k++] = abc[p[i] >> 2];
		out[k++] = abc[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 8 | p[i + 1];
		out[k++] = abc[v >> 10 & 63];
		out[k++] = abc[v >> 4 & 63];
		out[k++] = abc[(v & 15) << 2];
	}
	out[k] = '\0';
}

/*
 * Makes a new secret into secret (at least 64 bytes) and its digest and
 * id into tl, an id no line of f has.  An ARI credential is
 * "user:password", so a token with an ari scope gets a user part.
 */
static void
new_secret(struct tfile *f, struct tokline *tl, unsigned scopes, char *secret,
    size_t size)
{
	uint8_t raw[SECRET_BYTES], user[4];
	char b[2 * SECRET_BYTES];
	size_t i;

	do {
		random_bytes(raw, sizeof(raw));
		b64url(raw, sizeof(raw), b);
		random_bytes(user, sizeof(user));
		if (scopes & (SCOPE_ARI_READ | SCOPE_ARI_CONTROL))
			snprintf(secret, size, "pbxapi-%02x%02x%02x%02x:%s",
			    user[0], user[1], user[2], user[3], b);
		else
			snprintf(secret, size, "%s", b);
		sha256(secret, strlen(secret), tl->digest);
		for (i = 0; i < TOKEN_ID_BYTES; i++)
			snprintf(tl->id + 2 * i, 3, "%02x", tl->digest[i]);
	} while (tf_find(f, tl->id) != NULL);
}

/*
 * Looks for the commands called name ("cmd:NAME") or of the family called
 * name ("family:NAME") in every dialect.  Returns 1 if one of them needs
 * no scope beyond scopes, else 0, with *found set if any exists and
 * *need to the scopes the first one lacks.
 */
static int
runnable(
    const char *name, int family, unsigned scopes, int *found, unsigned *need)
{
	const struct dialect *const *d;
	const struct family *const *f;
	const struct cmd *c;
	size_t i;

	*found = 0;
	for (d = dialects; *d != NULL; d++)
		for (f = (*d)->families; *f != NULL; f++)
			for (i = 0; i < (*f)->ncmds; i++) {
				c = &(*f)->cmds[i];
				if (strcmp(family ? (*f)->name : c->name,
					name) != 0)
					continue;
				if ((c->scope & scopes) == c->scope)
					return 1;
				if (!*found)
					*need = c->scope & ~scopes;
				*found = 1;
			}
	return 0;
}

/* Checks the command list against the tables and the scopes. */
static int
check_cmds(const char *const *cmds, size_t n, unsigned scopes)
{
	unsigned need = 0;
	size_t i, j;
	int family, found;

	for (i = 0; i < n; i++) {
		family = strncmp(cmds[i], "family:", 7) == 0;
		if (runnable(strchr(cmds[i], ':') + 1, family, scopes, &found,
			&need))
			continue;
		if (!found)
			return err1("no %s '%s' (pbxapi -L lists the commands)",
			    family ? "command family" : "command",
			    strchr(cmds[i], ':') + 1);
		for (j = 0; j < nscope_names; j++)
			if (need & scope_names[j].bit)
				break;
		return err1("'%s' needs the scope '%s', which the token lacks",
		    cmds[i], j < nscope_names ? scope_names[j].name : "?");
	}
	return 0;
}

/* Writes the canonical scopes field of scopes and cmds into out. */
static int
scopes_field(
    unsigned scopes, const char *const *cmds, size_t n, char *out, size_t size)
{
	size_t i, k = 0;
	int w;

	out[0] = '\0';
	for (i = 0; i < nscope_names + n; i++) {
		if (i < nscope_names && !(scopes & scope_names[i].bit))
			continue;
		w = snprintf(out + k, size - k, "%s%s", k ? "," : "",
		    i < nscope_names ? scope_names[i].name
				     : cmds[i - nscope_names]);
		if (w < 0 || (size_t)w >= size - k)
			return err1("scopes longer than %zu bytes", size - 1);
		k += (size_t)w;
	}
	return 0;
}

/* Fills tl's scopes from the SCOPE arguments (default: the default). */
static int
add_scopes(struct arena *a, const char *const *args, size_t n,
    struct tokline *tl, unsigned *bits)
{
	const char *const *cmds;
	const char *joined = "";
	char err[256];
	size_t i, ncmds;

	for (i = 0; i < n; i++)
		joined = arena_printf(a, "%s%s,", joined, args[i]);
	if (token_scopes(a, joined, bits, &cmds, &ncmds, err, sizeof(err)) ==
	    -1)
		return err1("%s", err);
	if (*bits == 0)
		*bits = SCOPE_DEFAULT;
	if (check_cmds(cmds, ncmds, *bits) != 0)
		return 1;
	return scopes_field(*bits, cmds, ncmds, tl->scopes, sizeof(tl->scopes));
}

static int
check_label(const char *s)
{
	size_t i, n = strlen(s);

	if (n >= TOKEN_LABEL_MAX)
		return err1("label longer than %d bytes", TOKEN_LABEL_MAX - 1);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return err1("label with a control or non-ASCII byte");
	return 0;
}

/* Returns the number of tokens of f not yet expired. */
static size_t
live(const struct tfile *f)
{
	long long now = (long long)time(NULL);
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		n += f->lines[i].not_after == 0 || f->lines[i].not_after > now;
	return n;
}

/* Issues a new token like tl (tenant, scopes, label), prints it. */
static int
issue(struct tfile *f, const struct conf *c, struct tokline *tl,
    const char *expires)
{
	char secret[128];
	unsigned bits;
	const char *const *cmds;
	size_t ncmds;
	long long secs;
	char err[256];

	if (expires != NULL && (duration(expires, &secs) == -1 || secs == 0))
		return err1("--expires: '%s' is not a duration", expires);
	if (live(f) >= LIM_TOKENS)
		return err1("'%s' holds %d tokens, the most there may be: "
			    "revoke some first",
		    f->path, LIM_TOKENS);
	if (token_scopes(
		f->a, tl->scopes, &bits, &cmds, &ncmds, err, sizeof(err)) == -1)
		return err1("%s", err);
	tl->created = (long long)time(NULL);
	tl->not_after = expires != NULL ? tl->created + secs : 0;
	new_secret(f, tl, bits, secret, sizeof(secret));
	tf_append(f, tl);
	if (tf_write(f, c) != 0)
		return 1;
	printf("id: %s\ntoken: %s\n", tl->id, secret);
	if (fflush(stdout) == EOF)
		return err1("cannot write the token: %s", strerror(errno));
	fprintf(stderr,
	    "pbxapi: token %s of tenant '%s': the secret above is "
	    "not stored and is shown only now\n",
	    tl->id, tl->tenant);
	return 0;
}

static int
cmd_add(const struct conf *c, const struct opts *o)
{
	struct tokline tl;
	struct tfile f;
	unsigned bits;
	int rc;

	if (o->npos < 1 || o->overlap != NULL) {
		usage_token();
		return 2;
	}
	memset(&tl, 0, sizeof(tl));
	if (conf_tenant(c, o->pos[0]) == NULL)
		return err1("no tenant '%s' in '%s'", o->pos[0],
		    c->path ? c->path : "(built-in defaults)");
	snprintf(tl.tenant, sizeof(tl.tenant), "%s", o->pos[0]);
	if (o->label != NULL && check_label(o->label) != 0)
		return 1;
	snprintf(tl.label, sizeof(tl.label), "%s", o->label ? o->label : "");
	if (add_scopes(c->arena, o->pos + 1, o->npos - 1, &tl, &bits) != 0)
		return 1;
	if (tf_open(&f, c, 1) != 0) {
		tf_close(&f);
		return 1;
	}
	rc = issue(&f, c, &tl, o->expires);
	tf_close(&f);
	return rc;
}

/* Writes t (seconds since the epoch) as UTC ISO 8601, or "never". */
static const char *
when(struct arena *a, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (t == 0)
		return "never";
	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "?";
	return arena_strdup(a, buf);
}

static int
cmd_list(const struct conf *c, const struct opts *o)
{
	long long now = (long long)time(NULL);
	const struct tokline *tl;
	struct tfile f;
	size_t i;

	if (o->npos > 1 || o->label || o->expires || o->overlap) {
		usage_token();
		return 2;
	}
	if (tf_open(&f, c, 0) != 0)
		return 1;
	printf("%-12s  %-16s  %-20s  %-20s  %-28s  %s\n", "ID", "TENANT",
	    "CREATED", "EXPIRES", "SCOPES", "LABEL");
	for (i = 0; i < f.n; i++) {
		tl = &f.lines[i];
		if (o->npos == 1 && strcmp(tl->tenant, o->pos[0]) != 0)
			continue;
		printf("%-12s  %-16s  %-20s  %-20s%s %-28s  %s\n", tl->id,
		    tl->tenant, when(f.a, tl->created),
		    when(f.a, tl->not_after),
		    tl->not_after && tl->not_after <= now ? "!" : " ",
		    tl->scopes, tl->label);
	}
	return fflush(stdout) == EOF ? err1("cannot write: %s", strerror(errno))
				     : 0;
}

static int
cmd_revoke(const struct conf *c, const struct opts *o)
{
	struct tokline *tl;
	struct tfile f;
	int rc;

	if (o->npos != 1 || o->label || o->expires || o->overlap) {
		usage_token();
		return 2;
	}
	if (tf_open(&f, c, 1) != 0) {
		tf_close(&f);
		return 1;
	}
	if ((tl = tf_find(&f, o->pos[0])) == NULL)
		rc = err1("no token '%s' in '%s'", o->pos[0], f.path);
	else {
		*tl = f.lines[--f.n];
		if ((rc = tf_write(&f, c)) == 0)
			fprintf(
			    stderr, "pbxapi: token %s revoked\n", o->pos[0]);
	}
	tf_close(&f);
	return rc;
}

static int
cmd_rotate(const struct conf *c, const struct opts *o)
{
	long long overlap = DEFAULT_OVERL, end;
	struct tokline *old, tl;
	struct tfile f;
	int rc;

	if (o->npos != 1 || o->label) {
		usage_token();
		return 2;
	}
	if (o->overlap != NULL && duration(o->overlap, &overlap) == -1)
		return err1("--overlap: '%s' is not a duration", o->overlap);
	if (tf_open(&f, c, 1) != 0) {
		tf_close(&f);
		return 1;
	}
	if ((old = tf_find(&f, o->pos[0])) == NULL) {
		rc = err1("no token '%s' in '%s'", o->pos[0], f.path);
		tf_close(&f);
		return rc;
	}
	tl = *old;
	/* The old one lives on for the overlap, never longer than it was. */
	end = (long long)time(NULL) + overlap;
	if (old->not_after == 0 || old->not_after > end)
		old->not_after = end;
	end = old->not_after; /* issue() may move the lines */
	rc = issue(&f, c, &tl, o->expires);
	if (rc == 0)
		fprintf(stderr, "pbxapi: token %s is refused from %s\n",
		    o->pos[0], when(f.a, end));
	tf_close(&f);
	return rc;
}

int
token_main(const struct conf *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const struct conf *, const struct opts *);
	} verbs[] = {
		{ "add", cmd_add },
		{ "list", cmd_list },
		{ "revoke", cmd_revoke },
		{ "rotate", cmd_rotate },
	};
	struct opts o;
	size_t i;

	if (argc < 2) {
		usage_token();
		return 2;
	}
	for (i = 0; i < nitems(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			break;
	if (i == nitems(verbs)) {
		usage_token();
		return 2;
	}
	if (get_opts(argc - 2, argv + 2, &o) == -1)
		return 2;
	return verbs[i].run(c, &o);
}
