/*
 * Credentials from the PBX's own files (see pbxconf.h).
 */
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "err.h"
#include "ini.h"
#include "limits.h"
#include "pbxconf.h"
#include "pv.h"

int
pbx_manager_user(struct arena *a, const struct pv *conf, const char **user,
    const char **secret)
{
	const struct pv_ent *e;
	const struct pv *v;
	const char *s;
	size_t n;

	if (conf == NULL || conf->type != PV_ARR)
		return 0;
	for (e = conf->u.arr->head; e != NULL; e = e->next) {
		if (e->klen == 7 && memcmp(e->key, "general", 7) == 0)
			continue;
		/* isset($ini[$section]['secret']): false for scalars */
		if (e->val.type != PV_ARR)
			continue;
		v = pv_get(&e->val, "secret", 6);
		if (v == NULL || v->type == PV_NULL)
			continue;
		*user = arena_strndup(a, e->key, e->klen);
		s = pv_to_str(a, v, &n);
		*secret = arena_strndup(a, s, n);
		return 1;
	}
	return 0;
}

void
pbx_ami_credentials(struct arena *a, const struct tenant *t, const char **user,
    const char **secret)
{
	struct pv *conf;

	*user = tenant_get(t, "AMI_USERNAME");
	*secret = tenant_get(t, "AMI_SECRET");
	if (**user != '\0' && **secret != '\0')
		return;
	if (ini_load(a, tenant_get(t, "AMI_CONF_PATH"), &conf) != E_OK)
		return;
	(void)pbx_manager_user(a, conf, user, secret);
}

/* PHP's trim() set: " \t\n\r\0\x0B". */
static int
trim_char(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' ||
	    c == '\v';
}

static void
php_trim(const char **s, size_t *n)
{
	while (*n > 0 && trim_char(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && trim_char((*s)[*n - 1]))
		(*n)--;
}

const char *
pbx_issabel_rootpw(struct arena *a, const char *text, size_t n)
{
	const char *line, *end = text + n, *eol, *eq, *k, *v, *pw = NULL;
	size_t kl, vl;

	for (line = text; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		eq = memchr(line, '=', (size_t)(eol - line));
		if (eq == NULL)
			continue;
		k = line;
		kl = (size_t)(eq - line);
		v = eq + 1;
		vl = (size_t)(eol - v);
		php_trim(&k, &kl);
		php_trim(&v, &vl);
		if (kl == 12 && memcmp(k, "mysqlrootpwd", 12) == 0)
			pw = arena_strndup(a, v, vl);
	}
	return pw;
}

enum php_lex { PL_CODE, PL_SQ, PL_DQ, PL_LINE, PL_BLOCK };

/*
 * One step of the comment scanner over s[i]: returns the new state and
 * blanks comment bytes in o.  Strings are kept, with their escapes.
 */
static enum php_lex
uncomment_step(const char *s, size_t n, size_t *i, char *o, enum php_lex st)
{
	char c = s[*i], d = *i + 1 < n ? s[*i + 1] : '\0';

	switch (st) {
	case PL_CODE:
		if (c == '\'' || c == '"')
			return c == '\'' ? PL_SQ : PL_DQ;
		if ((c == '#' && d != '[') || (c == '/' && d == '/')) {
			o[*i] = ' ';
			return PL_LINE;
		}
		if (c == '/' && d == '*') {
			o[*i] = ' ';
			o[++*i] = ' ';
			return PL_BLOCK;
		}
		return PL_CODE;
	case PL_SQ:
	case PL_DQ:
		if (c == '\\' && *i + 1 < n)
			++*i;
		else if (c == (st == PL_SQ ? '\'' : '"'))
			return PL_CODE;
		return st;
	case PL_LINE:
		if (c == '\n' || c == '\r' || (c == '?' && d == '>'))
			return PL_CODE;
		o[*i] = ' ';
		return PL_LINE;
	case PL_BLOCK:
	default:
		o[*i] = ' ';
		if (c != '*' || d != '/')
			return PL_BLOCK;
		o[++*i] = ' ';
		return PL_CODE;
	}
}

/*
 * A copy of the PHP text s with the bytes of its comments (#, //, and
 * block comments) blanked, so that a commented-out $amp_conf line no
 * longer matches (the reference's regex reads it: elastix-api.md N-18).
 */
static char *
php_uncomment(struct arena *a, const char *s, size_t n)
{
	char *o = arena_alloc(a, n + 1);
	enum php_lex st = PL_CODE;
	size_t i;

	memcpy(o, s, n);
	o[n] = '\0';
	for (i = 0; i < n; i++)
		st = uncomment_step(s, n, &i, o, st);
	return o;
}

/* PCRE's \s: space, \t, \n, \v, \f, \r. */
static size_t
skip_space(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')))
		i++;
	return i;
}

/* ['"]([^'"]{min,})['"] at *i: sets the group and moves *i past it. */
static int
quoted(
    const char *s, size_t n, size_t *i, size_t min, const char **v, size_t *vl)
{
	size_t j = *i;

	if (j >= n || (s[j] != '\'' && s[j] != '"'))
		return 0;
	for (j++; j < n && s[j] != '\'' && s[j] != '"'; j++)
		;
	if (j >= n || j - *i - 1 < min)
		return 0;
	*v = s + *i + 1;
	*vl = j - *i - 1;
	*i = j + 1;
	return 1;
}

/*
 * The reference's /\$amp_conf\s*\[\s*['"]([^'"]+)['"]\s*\]\s*=\s*
 * ['"]([^'"]*)['"]/ at p, where "$amp_conf" starts.  Returns the end of
 * the match with the key and value set, or 0.
 */
static size_t
amp_match(const char *s, size_t n, size_t p, const char **k, size_t *kl,
    const char **v, size_t *vl)
{
	size_t i = skip_space(s, n, p + 9);

	if (i >= n || s[i] != '[')
		return 0;
	i = skip_space(s, n, i + 1);
	if (!quoted(s, n, &i, 1, k, kl))
		return 0;
	i = skip_space(s, n, i);
	if (i >= n || s[i] != ']')
		return 0;
	i = skip_space(s, n, i + 1);
	if (i >= n || s[i] != '=')
		return 0;
	i = skip_space(s, n, i + 1);
	if (!quoted(s, n, &i, 0, v, vl))
		return 0;
	return i;
}

static void
amp_set(struct arena *a, struct amp_conf *out, const char *k, size_t kl,
    const char *v, size_t vl)
{
	const char **dst = NULL;

	if (kl == 9 && memcmp(k, "AMPDBHOST", 9) == 0)
		dst = &out->host;
	else if (kl == 9 && memcmp(k, "AMPDBUSER", 9) == 0)
		dst = &out->user;
	else if (kl == 9 && memcmp(k, "AMPDBPASS", 9) == 0)
		dst = &out->pass;
	if (dst != NULL)
		*dst = arena_strndup(a, v, vl);
}

void
pbx_freepbx_parse(
    struct arena *a, const char *text, size_t n, struct amp_conf *out)
{
	const char *s = php_uncomment(a, text, n), *hit, *k, *v;
	size_t p = 0, end, kl, vl;

	memset(out, 0, sizeof(*out));
	for (;;) {
		hit = p < n ? memmem(s + p, n - p, "$amp_conf", 9) : NULL;
		if (hit == NULL)
			break;
		p = (size_t)(hit - s);
		end = amp_match(s, n, p, &k, &kl, &v, &vl);
		if (end == 0) {
			p++;
			continue;
		}
		amp_set(a, out, k, kl, v, vl);
		p = end;
	}
}

/* Takes v unless it is NULL or empty (an empty variable never wins). */
static void
take(const char **dst, const char *v)
{
	if (v != NULL && *v != '\0')
		*dst = v;
}

void
pbx_issabel_inject(
    struct arena *a, const struct tenant *t, struct db_settings *out)
{
	char *text;
	size_t n;

	if (ini_read_file(a, tenant_get(t, "ISSABEL_CONF_PATH"), LIM_CONF_FILE,
		&text, &n) != E_OK)
		return;
	take(&out->password, pbx_issabel_rootpw(a, text, n));
}

void
pbx_freepbx_inject(
    struct arena *a, const struct tenant *t, struct db_settings *out)
{
	struct amp_conf amp;
	char *text;
	size_t n;

	if (ini_read_file(a, tenant_get(t, "FREEPBX_CONF_PATH"), LIM_CONF_FILE,
		&text, &n) != E_OK)
		return;
	pbx_freepbx_parse(a, text, n, &amp);
	take(&out->host, amp.host);
	take(&out->user, amp.user);
	take(&out->password, amp.pass);
}
