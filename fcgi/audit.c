/*
 * The audit chain: parsing a line, checking its seal, and the verifier
 * (see audit.h).  The writer is audit_log.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "audit.h"
#include "digest.h"
#include "phpin.h"
#include "pv.h"

/* The two members every line ends with, in this order. */
#define PREV_KEY ",\"prev\":\""
#define HASH_KEY ",\"hash\":\""
#define KEY_LEN	 (sizeof(HASH_KEY) - 1)
#define PREV_LEN (KEY_LEN + AUDIT_HEX + 1) /* ,"prev":"P" */
#define SEAL_LEN (KEY_LEN + AUDIT_HEX + 2) /* ,"hash":"H"} */

/* Verifier's table of chains: open addressing, at most half full. */
#define VT_FIRST 64

/* Returns 1 if the n bytes at s are lower-case hex digits. */
static int
is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void
audit_hash(const void *p, size_t n, char out[AUDIT_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t d[SHA256_LEN];
	size_t i;

	sha256(p, n, d);
	for (i = 0; i < SHA256_LEN; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[AUDIT_HEX] = '\0';
}

/* Writes the hash of c (n bytes, '{...,"prev":"P"') followed by '}'. */
static void
seal_of(struct arena *a, const char *c, size_t n, char out[AUDIT_HEX + 1])
{
	char *tmp = arena_alloc(a, n + 1);

	memcpy(tmp, c, n);
	tmp[n] = '}';
	audit_hash(tmp, n + 1, out);
}

/* Returns 1 if member key of v is the string s (AUDIT_HEX bytes). */
static int
member_is(const struct pv *v, const char *key, const char *s, size_t n)
{
	const struct pv *m = pv_getz(v, key);

	return m != NULL && m->type == PV_STR && m->u.str.len == n &&
	    memcmp(m->u.str.s, s, n) == 0;
}

/*
 * Finds the '"prev":"P"' and '"hash":"H"}' every line ends with.  Returns
 * 0 with *prev and *seal at their commas, or -1 with the reason in why.
 */
static int
tail(const char *line, size_t n, const char **prev, const char **seal,
    const char **why)
{
	*why = "not an audit line";
	if (n > AUDIT_LINE_MAX) {
		*why = "longer than the longest audit line";
		return -1;
	}
	if (n < 1 + PREV_LEN + SEAL_LEN || line[0] != '{')
		return -1;
	*seal = line + n - SEAL_LEN;
	*prev = *seal - PREV_LEN;
	if (memcmp(*seal, HASH_KEY, KEY_LEN) != 0 ||
	    !is_hex(*seal + KEY_LEN, AUDIT_HEX) ||
	    memcmp(*seal + KEY_LEN + AUDIT_HEX, "\"}", 2) != 0 ||
	    memcmp(*prev, PREV_KEY, KEY_LEN) != 0 ||
	    !is_hex(*prev + KEY_LEN, AUDIT_HEX) ||
	    (*prev)[KEY_LEN + AUDIT_HEX] != '"') {
		*why = "no \"prev\" and \"hash\" at its end";
		return -1;
	}
	return 0;
}

int
audit_parse(struct arena *a, const char *line, size_t n, struct audit_rec *out,
    const char **why)
{
	static const struct in_limits lim = { .params_max = 64,
		.name_max = 64,
		.value_max = AUDIT_LINE_MAX,
		.nest_max = 2 };
	const char *seal, *prev;
	const struct pv *v, *t;
	char errbuf[128], want[AUDIT_HEX + 1];
	struct pv *doc;

	if (tail(line, n, &prev, &seal, why) == -1)
		return -1;
	if (json_decode_pv(a, line, n, &lim, &doc, errbuf, sizeof(errbuf)) !=
		E_OK ||
	    (v = doc)->type != PV_ARR) {
		*why = "not a JSON object";
		return -1;
	}
	t = pv_getz(v, "tenant");
	if (t == NULL || t->type != PV_STR || t->u.str.len > LIM_TENANT_NAME ||
	    memchr(t->u.str.s, '\0', t->u.str.len) != NULL) {
		*why = "no valid \"tenant\"";
		return -1;
	}
	/* One "prev" and one "hash", the ones at the end. */
	if (!member_is(v, "prev", prev + KEY_LEN, AUDIT_HEX) ||
	    !member_is(v, "hash", seal + KEY_LEN, AUDIT_HEX)) {
		*why = "\"prev\" or \"hash\" given twice";
		return -1;
	}
	memcpy(out->tenant, t->u.str.s, t->u.str.len);
	out->tenant[t->u.str.len] = '\0';
	memcpy(out->prev, prev + KEY_LEN, AUDIT_HEX);
	out->prev[AUDIT_HEX] = '\0';
	memcpy(out->hash, seal + KEY_LEN, AUDIT_HEX);
	out->hash[AUDIT_HEX] = '\0';
	seal_of(a, line, (size_t)(seal - line), want);
	out->sealed = memcmp(want, out->hash, AUDIT_HEX) == 0;
	return 0;
}

/* One chain: its tenant and the hash and place of its last line. */
struct vt {
	char name[LIM_TENANT_NAME + 1];
	char hash[AUDIT_HEX + 1];
	const char *file;
	unsigned long line;
	/* Its first line's prev and place: a line moved after it says so. */
	char first[AUDIT_HEX + 1];
	const char *first_file;
	unsigned long first_line;
	int used;
};

/* Where a line is, for messages. */
struct at {
	const char *file;
	unsigned long line;
};

struct audit_verify {
	struct arena *a;
	struct vt *tab; /* cap slots, a power of two */
	size_t cap, ntenants;
	unsigned long lines;
	int state; /* 0 holding, 1 broken link (diagnosing), 2 broken */
	char why[768];
	/* A broken link: the line, its tenant, the prev wanted and given. */
	struct at bad, last, pred, succ;
	char tenant[LIM_TENANT_NAME + 1];
	char want[AUDIT_HEX + 1], got[AUDIT_HEX + 1];
};

struct audit_verify *
audit_verify_new(void)
{
	struct audit_verify *v = calloc(1, sizeof(*v));

	if (v == NULL || (v->tab = calloc(VT_FIRST, sizeof(*v->tab))) == NULL)
		abort();
	v->cap = VT_FIRST;
	v->a = arena_new();
	return v;
}

void
audit_verify_free(struct audit_verify *v)
{
	if (v == NULL)
		return;
	arena_free(v->a);
	free(v->tab);
	free(v);
}

static uint32_t
name_hash(const char *name)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

/* Returns the free slot or the chain of name in tab (cap slots). */
static struct vt *
slot_find(struct vt *tab, size_t cap, const char *name)
{
	size_t i;

	for (i = name_hash(name) & (cap - 1); tab[i].used;
	     i = (i + 1) & (cap - 1))
		if (strcmp(tab[i].name, name) == 0)
			break;
	return &tab[i];
}

/* Doubles the table of chains. */
static void
grow(struct audit_verify *v)
{
	struct vt *tab = calloc(2 * v->cap, sizeof(*tab));
	size_t i;

	if (tab == NULL)
		abort();
	for (i = 0; i < v->cap; i++)
		if (v->tab[i].used)
			*slot_find(tab, 2 * v->cap, v->tab[i].name) = v->tab[i];
	free(v->tab);
	v->tab = tab;
	v->cap *= 2;
}

/* Returns the chain of tenant name, a new one if need be, or NULL. */
static struct vt *
chain(struct audit_verify *v, const char *name)
{
	struct vt *t = slot_find(v->tab, v->cap, name);

	if (t->used)
		return t;
	if (v->ntenants >= AUDIT_TENANTS)
		return NULL;
	if (2 * (v->ntenants + 1) > v->cap) {
		grow(v);
		t = slot_find(v->tab, v->cap, name);
	}
	v->ntenants++;
	t->used = 1;
	snprintf(t->name, sizeof(t->name), "%s", name);
	return t;
}

static int
broken(struct audit_verify *v, const char *file, unsigned long line,
    const char *why)
{
	snprintf(v->why, sizeof(v->why), "%s:%lu: %s", file, line, why);
	v->state = 2;
	return -1;
}

/* After a broken link: is this the line it wanted, or the one after? */
static void
diagnose(struct audit_verify *v, const struct audit_rec *rec, struct at at)
{
	if (!rec->sealed)
		return;
	if (v->pred.file == NULL && strcmp(rec->hash, v->got) == 0)
		v->pred = at;
	if (v->succ.file == NULL && strcmp(rec->tenant, v->tenant) == 0 &&
	    strcmp(rec->prev, v->want) == 0)
		v->succ = at;
}

/* Records a link that does not hold: line at of chain t gives prev. */
static int
link_broken(struct audit_verify *v, const struct vt *t,
    const struct audit_rec *rec, struct at at)
{
	if (strcmp(rec->hash, t->first) == 0) {
		snprintf(v->why, sizeof(v->why),
		    "%s:%lu: tenant '%s': reordered: it comes before %s:%lu, "
		    "the tenant's first line",
		    at.file, at.line, t->name, t->first_file, t->first_line);
		v->state = 2;
		return -1;
	}
	v->state = 1;
	v->bad = at;
	v->last = (struct at){ t->file, t->line };
	snprintf(v->tenant, sizeof(v->tenant), "%s", t->name);
	memcpy(v->want, t->hash, sizeof(v->want));
	memcpy(v->got, rec->prev, sizeof(v->got));
	return -1;
}

int
audit_verify_line(struct audit_verify *v, const char *file,
    unsigned long lineno, const char *line, size_t n, int complete)
{
	struct at at = { file, lineno };
	struct audit_rec rec;
	const char *why;
	struct vt *t;
	int rc;

	v->lines++;
	if (v->state == 2)
		return -1;
	arena_reset(v->a);
	rc = audit_parse(v->a, line, n, &rec, &why);
	if (v->state == 1) {
		if (rc == 0)
			diagnose(v, &rec, at);
		return -1;
	}
	if (!complete)
		return broken(
		    v, file, lineno, "truncated: the last line has no newline");
	if (rc == -1)
		return broken(v, file, lineno, why);
	if (!rec.sealed)
		return broken(v, file, lineno,
		    "altered: its hash is not the hash of its contents");
	if ((t = chain(v, rec.tenant)) == NULL)
		return broken(v, file, lineno, "too many tenants");
	/* A tenant's first line starts its chain here, whatever its prev. */
	if (t->file == NULL) {
		memcpy(t->first, rec.prev, sizeof(t->first));
		t->first_file = file;
		t->first_line = lineno;
	} else if (strcmp(t->hash, rec.prev) != 0)
		return link_broken(v, t, &rec, at);
	memcpy(t->hash, rec.hash, sizeof(t->hash));
	t->file = file;
	t->line = lineno;
	return 0;
}

int
audit_verify_end(struct audit_verify *v)
{
	char head[256];

	if (v->state == 0)
		return 0;
	if (v->state == 2)
		return -1;
	v->state = 2;
	snprintf(head, sizeof(head), "%s:%lu: tenant '%s'", v->bad.file,
	    v->bad.line, v->tenant);
	if (v->pred.file != NULL)
		snprintf(v->why, sizeof(v->why),
		    "%s: reordered: the line it follows is %s:%lu, after it",
		    head, v->pred.file, v->pred.line);
	else if (v->succ.file != NULL)
		snprintf(v->why, sizeof(v->why),
		    "%s: inserted or altered: it does not follow %s:%lu, "
		    "%s:%lu does",
		    head, v->last.file, v->last.line, v->succ.file,
		    v->succ.line);
	else
		snprintf(v->why, sizeof(v->why),
		    "%s: removed: a line of the tenant between %s:%lu and "
		    "this one is missing",
		    head, v->last.file, v->last.line);
	return -1;
}

const char *
audit_verify_why(const struct audit_verify *v)
{
	return v->why;
}

unsigned long
audit_verify_lines(const struct audit_verify *v)
{
	return v->lines;
}

size_t
audit_verify_tenants(const struct audit_verify *v)
{
	return v->ntenants;
}

long
audit_read_line(FILE *fp, char *line, int *complete)
{
	size_t n = 0;
	int c;

	*complete = 0;
	while ((c = getc_unlocked(fp)) != EOF) {
		if (c == '\n') {
			*complete = 1;
			return (long)n;
		}
		if (n <= AUDIT_LINE_MAX)
			line[n++] = (char)c;
	}
	return n > 0 ? (long)n : -1;
}

/* Feeds the lines of file to v.  Returns 0, or -1 if it cannot be read. */
static int
verify_file(struct audit_verify *v, const char *file, FILE *err)
{
	static char line[AUDIT_LINE_MAX + 1];
	unsigned long lineno = 0;
	int complete;
	long n;
	FILE *fp;

	if ((fp = fopen(file, "r")) == NULL) {
		fprintf(err, "pbxapi: cannot open '%s': %s\n", file,
		    strerror(errno));
		return -1;
	}
	while ((n = audit_read_line(fp, line, &complete)) != -1)
		(void)audit_verify_line(
		    v, file, ++lineno, line, (size_t)n, complete);
	if (ferror(fp)) {
		fprintf(err, "pbxapi: cannot read '%s': %s\n", file,
		    strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

int
audit_verify_files(char *const files[], int nfiles, FILE *out, FILE *err)
{
	struct audit_verify *v = audit_verify_new();
	int i, rc = 0;

	for (i = 0; i < nfiles && rc == 0; i++)
		rc = verify_file(v, files[i], err);
	if (rc == 0) {
		if (audit_verify_end(v) == 0)
			fprintf(out, "%lu lines, %zu tenants, OK\n",
			    audit_verify_lines(v), audit_verify_tenants(v));
		else {
			fprintf(out, "%s\n", audit_verify_why(v));
			rc = -1;
		}
	}
	audit_verify_free(v);
	return rc == 0 ? 0 : 1;
}
