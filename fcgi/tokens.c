/*
 * The token file: its parser and each worker's copy of it (see
 * tokens.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "file.h"
#include "log.h"
#include "str.h"
#include "tokens.h"

struct tokstore {
	const char *path;
	struct arena *arena; /* the current set; NULL: none */
	struct token *tokens;
	size_t ntokens;
	/* What the last look found: the set is current while it holds. */
	int looked, absent, err;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
};

/* Splits the next space-separated field off *s (of *n bytes). */
static int
field(const char **s, size_t *n, const char **f, size_t *fl)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	*f = *s;
	while (*n > 0 && **s != ' ' && **s != '\t') {
		(*s)++;
		(*n)--;
	}
	*fl = (size_t)(*s - *f);
	return *fl > 0 ? 0 : -1;
}

/* Copies a field of n bytes into dst (size bytes).  Returns 0 or -1. */
static int
copy_field(char *dst, size_t size, const char *f, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, f, n);
	dst[n] = '\0';
	return 0;
}

/* Parses a time field: decimal seconds, or "-" (0) if dash_ok. */
static int
time_field(const char *f, size_t n, int dash_ok, long long *v)
{
	size_t i;

	if (n == 1 && f[0] == '-' && dash_ok) {
		*v = 0;
		return 0;
	}
	if (n == 0 || n > 12)
		return -1;
	for (*v = 0, i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '9')
			return -1;
		*v = *v * 10 + (f[i] - '0');
	}
	return *v > 0 ? 0 : -1;
}

static int
hex_field(const char *f, size_t n, uint8_t out[SHA256_LEN])
{
	int hi, lo;
	size_t i;

	if (n != 2 * SHA256_LEN)
		return -1;
	for (i = 0; i < SHA256_LEN; i++) {
		hi = hex_digit(f[2 * i]);
		lo = hex_digit(f[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi * 16 + lo);
	}
	return 0;
}

/* Returns 1 if every byte of the n at s is printable ASCII. */
static int
printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* Writes the token id of digest d to id. */
static void
digest_id(const uint8_t *d, char id[TOKEN_ID_LEN + 1])
{
	size_t i;

	for (i = 0; i < TOKEN_ID_BYTES; i++) {
		id[2 * i] = "0123456789abcdef"[d[i] >> 4];
		id[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
	}
	id[TOKEN_ID_LEN] = '\0';
}

/* The fields of a token line up to NOT-AFTER; *s, *n: what follows. */
static const char *
fields(const char **s, size_t *n, struct tokline *tl)
{
	char id[TOKEN_ID_LEN + 1];
	const char *f;
	size_t fl;

	if (field(s, n, &f, &fl) == -1 || fl != TOKEN_ID_LEN ||
	    copy_field(tl->id, sizeof(tl->id), f, fl) == -1)
		return "bad id";
	if (field(s, n, &f, &fl) == -1 ||
	    copy_field(tl->tenant, sizeof(tl->tenant), f, fl) == -1)
		return "bad tenant";
	if (field(s, n, &f, &fl) == -1 || hex_field(f, fl, tl->digest) == -1)
		return "bad sha256 digest";
	digest_id(tl->digest, id);
	if (strcmp(id, tl->id) != 0)
		return "id is not the digest's";
	if (field(s, n, &f, &fl) == -1 ||
	    copy_field(tl->scopes, sizeof(tl->scopes), f, fl) == -1)
		return "bad scopes";
	if (field(s, n, &f, &fl) == -1 ||
	    time_field(f, fl, 0, &tl->created) == -1)
		return "bad created time";
	if (field(s, n, &f, &fl) == -1 ||
	    time_field(f, fl, 1, &tl->not_after) == -1)
		return "bad not-after time";
	return NULL;
}

int
tokline_parse(
    const char *s, size_t n, struct tokline *tl, char *err, size_t errlen)
{
	const char *why;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (
	    n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	if (n == 0 || *s == '#')
		return 0;
	memset(tl, 0, sizeof(*tl));
	if (!printable(s, n))
		why = "control or non-ASCII byte";
	else
		why = fields(&s, &n, tl);
	if (why == NULL) {
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (copy_field(tl->label, sizeof(tl->label), s, n) == -1)
			why = "label too long";
	}
	if (why != NULL) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 1;
}

int
tokline_write(FILE *fp, const struct tokline *tl)
{
	size_t i;

	fprintf(fp, "%s %s ", tl->id, tl->tenant);
	for (i = 0; i < SHA256_LEN; i++)
		fprintf(fp, "%02x", tl->digest[i]);
	fprintf(fp, " %s %lld ", tl->scopes, tl->created);
	if (tl->not_after == 0)
		fputs("-", fp);
	else
		fprintf(fp, "%lld", tl->not_after);
	if (tl->label[0] != '\0')
		fprintf(fp, " %s", tl->label);
	return putc('\n', fp) == EOF || ferror(fp) ? -1 : 0;
}

/* Returns 1 if lines[0..n) holds id. */
static int
has_id(const struct tokline *lines, size_t n, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(lines[i].id, id) == 0)
			return 1;
	return 0;
}

int
tokfile_parse(struct arena *a, const char *text, size_t n,
    struct tokline **lines, size_t *count, char *err, size_t errlen)
{
	const char *line = text, *end = text + n, *eol;
	struct tokline *tl, *v = NULL;
	size_t cap = 0, k = 0, lineno = 0;
	char why[128];
	int rc;

	for (; line < end; line = eol + 1) {
		lineno++;
		if ((eol = memchr(line, '\n', (size_t)(end - line))) == NULL)
			eol = end;
		if ((size_t)(eol - line) >= LIM_CONF_LINE) {
			snprintf(err, errlen, "line %zu: longer than %d bytes",
			    lineno, LIM_CONF_LINE);
			return -1;
		}
		if (k == cap) {
			cap = cap ? cap * 2 : 16;
			tl = arena_alloc(a, cap * sizeof(*tl));
			if (k > 0)
				memcpy(tl, v, k * sizeof(*tl));
			v = tl;
		}
		rc = tokline_parse(
		    line, (size_t)(eol - line), &v[k], why, sizeof(why));
		if (rc == 1 && k == LIM_TOKENS) {
			snprintf(why, sizeof(why), "more than %d tokens",
			    LIM_TOKENS);
			rc = -1;
		} else if (rc == 1 && has_id(v, k, v[k].id)) {
			snprintf(
			    why, sizeof(why), "id %s given twice", v[k].id);
			rc = -1;
		}
		if (rc == -1) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			return -1;
		}
		k += (size_t)rc;
	}
	*lines = v;
	*count = k;
	return 0;
}

/* Returns the bits of scope name s (n bytes), or 0 if unknown. */
static unsigned
scope_bits(const char *s, size_t n)
{
	char name[32];
	unsigned bits;

	if (n >= sizeof(name))
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	return parse_scopes(name, &bits) == 0 ? bits : 0;
}

int
token_scopes(struct arena *a, const char *s, unsigned *scopes,
    const char *const **cmds, size_t *ncmds, char *err, size_t errlen)
{
	const char **v;
	size_t n, k = 0, max = strlen(s) / 2 + 1;
	unsigned bits;

	v = arena_alloc(a, max * sizeof(*v));
	*scopes = 0;
	for (; *s != '\0'; s += n + (s[n] == ',')) {
		n = strcspn(s, ",");
		if (n == 0)
			continue;
		if ((n > 4 && strncmp(s, "cmd:", 4) == 0) ||
		    (n > 7 && strncmp(s, "family:", 7) == 0)) {
			v[k++] = arena_strndup(a, s, n);
			continue;
		}
		if ((bits = scope_bits(s, n)) == 0) {
			snprintf(err, errlen, "unknown scope '%.*s'",
			    n > 64 ? 64 : (int)n, s);
			return -1;
		}
		*scopes |= bits;
	}
	*cmds = k > 0 ? v : NULL;
	*ncmds = k;
	return 0;
}

/* Returns the family of d that holds c, or NULL. */
static const struct family *
family_of(const struct dialect *d, const struct cmd *c)
{
	const struct family *const *f;

	for (f = d->families; *f != NULL; f++)
		if (c >= (*f)->cmds && c < (*f)->cmds + (*f)->ncmds)
			return *f;
	return NULL;
}

int
token_allows(
    const struct token *t, const struct dialect *d, const struct cmd *c)
{
	const struct family *f;
	size_t i;

	if (t == NULL || t->ncmds == 0)
		return 1;
	f = family_of(d, c);
	for (i = 0; i < t->ncmds; i++) {
		if (strncmp(t->cmds[i], "cmd:", 4) == 0 &&
		    strcmp(t->cmds[i] + 4, c->name) == 0)
			return 1;
		if (f != NULL && strncmp(t->cmds[i], "family:", 7) == 0 &&
		    strcmp(t->cmds[i] + 7, f->name) == 0)
			return 1;
	}
	return 0;
}

struct tokstore *
tokstore_new(struct arena *a, const char *path)
{
	struct tokstore *s = arena_zalloc(a, sizeof(*s));

	s->path = path;
	return s;
}

void
tokstore_free(struct tokstore *s)
{
	if (s != NULL && s->arena != NULL) {
		arena_free(s->arena);
		s->arena = NULL;
		s->tokens = NULL;
		s->ntokens = 0;
	}
}

const struct token *
tokstore_tokens(const struct tokstore *s, size_t *n)
{
	*n = s->ntokens;
	return s->tokens;
}

const char *
tokstore_path(const struct tokstore *s)
{
	return s->path;
}

/* Returns 1 if st is what the store saw last. */
static int
same(const struct tokstore *s, const struct stat *st)
{
	return s->looked && !s->absent && s->dev == st->st_dev &&
	    s->ino == st->st_ino && s->size == st->st_size &&
	    s->mtim.tv_sec == st->st_mtim.tv_sec &&
	    s->mtim.tv_nsec == st->st_mtim.tv_nsec;
}

static void
remember(struct tokstore *s, const struct stat *st)
{
	s->looked = 1;
	s->absent = 0;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtim = st->st_mtim;
}

/* Turns the lines into tokens, in a (tenants resolved in c). */
static int
build(struct tokstore *s, struct arena *a, const struct conf *c,
    const struct tokline *lines, size_t n, char *err, size_t errlen)
{
	const struct tenant *t;
	struct token *tk;
	size_t i, k = 0, unknown = 0;

	s->tokens = arena_zalloc(a, (n + 1) * sizeof(*s->tokens));
	for (i = 0; i < n; i++) {
		if ((t = conf_tenant(c, lines[i].tenant)) == NULL) {
			unknown++;
			continue;
		}
		tk = &s->tokens[k];
		if (token_scopes(a, lines[i].scopes, &tk->scopes, &tk->cmds,
			&tk->ncmds, err, errlen) == -1)
			return -1;
		memcpy(tk->digest, lines[i].digest, SHA256_LEN);
		memcpy(tk->id, lines[i].id, sizeof(tk->id));
		tk->tenant = t;
		tk->tenant_index = t->index;
		tk->not_after = lines[i].not_after;
		k++;
	}
	s->ntokens = k;
	if (unknown > 0)
		log_warnx("tokens_file '%s': %zu token(s) of tenants the "
			  "configuration lacks: ignored",
		    s->path, unknown);
	return 0;
}

/*
 * Reads and parses the open file fd into a new set.  The text and its
 * lines are in a scratch arena: the set keeps only its tokens.  Returns
 * 0 or -1.
 */
static int
load(struct tokstore *s, const struct conf *c, int fd, off_t size, char *err,
    size_t errlen)
{
	struct arena *a = arena_new(), *tmp = arena_new();
	struct tokline *lines;
	struct tokstore next = *s;
	size_t n, got = (size_t)size;
	char *text;
	ssize_t r;
	int rc = -1;

	text = arena_alloc(tmp, got + 1);
	if ((r = file_read_full(fd, text, got)) != (ssize_t)got)
		snprintf(err, errlen, "%s",
		    r == -1 ? strerror(errno) : "short read");
	else if (memchr(text, '\0', got) != NULL)
		snprintf(err, errlen, "NUL byte");
	else if (tokfile_parse(tmp, text, got, &lines, &n, err, errlen) == 0 &&
	    build(&next, a, c, lines, n, err, errlen) == 0)
		rc = 0;
	arena_free(tmp);
	if (rc == -1) {
		arena_free(a);
		return -1;
	}
	tokstore_free(s);
	s->arena = a;
	s->tokens = next.tokens;
	s->ntokens = next.ntokens;
	return 0;
}

/* Logs a failure once per state of the file. */
static void
failed(struct tokstore *s, int err, const char *why)
{
	if (s->err == err && err != 0)
		return;
	s->err = err;
	log_warnx("tokens_file '%s': %s: keeping the last good set of %zu "
		  "token(s)",
	    s->path, why, s->ntokens);
}

void
tokstore_refresh(struct tokstore *s, const struct conf *c)
{
	char why[256];
	struct stat st;
	int fd;

	if (stat(s->path, &st) == -1) {
		if (errno == ENOENT) {
			tokstore_free(s);
			s->looked = s->absent = 1;
			s->err = 0;
		} else
			failed(s, errno, strerror(errno));
		return;
	}
	if (same(s, &st))
		return;
	fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1) {
		failed(s, errno, strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	/* What is read now is what a later stat is compared with. */
	remember(s, &st);
	if (!S_ISREG(st.st_mode) || st.st_size > LIM_CONF_FILE) {
		s->err = 0;
		failed(s, -1, S_ISREG(st.st_mode) ? "too large" : "not a file");
	} else if (load(s, c, fd, st.st_size, why, sizeof(why)) == -1) {
		s->err = 0;
		failed(s, -1, why);
	} else
		s->err = 0;
	close(fd);
}
