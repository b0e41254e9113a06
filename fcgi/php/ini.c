/*
 * parse_ini_file($path, true, INI_SCANNER_RAW) of PHP 8.2 (see ini.h).
 *
 * The scanner is the one of Zend/zend_ini_scanner.l in raw mode, where
 * re2c takes the longest match of the rules of the current state and the
 * first rule on a tie; the parser is Zend/zend_ini_parser.y, whose
 * statements are:
 *
 *	"[" name "]"		a section; a later one of the same name
 *				replaces it in place
 *	label "=" value		key => value in the active section
 *	label "[" offset "]" "=" value
 *				key[] => value, or key[offset] => value
 *	label			nothing (a bare word, "#include x")
 *	end of line
 *
 * Anything else (a key holding "(){}^~!$&|\"", a bare "yes" or "none",
 * a "(" after a section such as the Asterisk template "[x](!)", an
 * unclosed "[x") is a syntax error that fails the whole file.  ';'
 * starts a comment; '#' is an ordinary label character (PHP 7 dropped
 * '#' comments).
 *
 * Raw values run to the end of the line, are cut at the first ';' (unless
 * the value starts with '"' and a later '"' follows it), lose surrounding
 * blanks, and lose one pair of double quotes if they are wholly quoted.
 * Offsets are scanned as in the other modes: '...' and "..." strings
 * (the latter with \" \\ \$ escapes), ${VAR} and constants.
 *
 * Where PHP 8.2's binary differs from the current scanner source (NUL and
 * ']' are label characters, keywords ignore case), the binary wins: the
 * emulation was compared with php8.2-cli 8.2.36 on some 50,000 generated
 * and fuzzed files, equal on all of them but the ones naming PHP
 * constants other than true, false and null in an offset.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "ini.h"
#include "limits.h"
#include "pv.h"

/* Tokens of the INITIAL state, as the parser sees them. */
enum tok {
	T_END,	   /* end of input, or a byte no rule takes */
	T_ERR,	   /* a token no statement starts with: syntax error */
	T_EOL,	   /* END_OF_LINE (a line end or a comment line) */
	T_SECTION, /* "[" */
	T_LABEL,   /* TC_LABEL */
	T_OFFSET,  /* TC_OFFSET: a label followed by "[" */
	T_EQ,	   /* "=" (the scanner then enters ST_RAW) */
};

/* The INITIAL rules after "[", in the order of the scanner source. */
enum rule {
	R_NONE,	   /* <*>[^]: return 0 */
	R_OFFSET,  /* {LABEL}"["{TABS_AND_SPACES}* */
	R_BOOL,	   /* true on yes false off no none null, blanks */
	R_LABEL,   /* {LABEL} */
	R_EQ,	   /* {TABS_AND_SPACES}*[=]{TABS_AND_SPACES}* */
	R_TOKEN,   /* {TOKENS} */
	R_BLANK,   /* {TABS_AND_SPACES}+: skipped */
	R_EOL,	   /* {TABS_AND_SPACES}*{NEWLINE} */
	R_COMMENT, /* {TABS_AND_SPACES}*[;][^\r\n]*{NEWLINE} */
};

static const enum tok rule_tok[] = {
	[R_NONE] = T_END,
	[R_OFFSET] = T_OFFSET,
	[R_BOOL] = T_ERR,
	[R_LABEL] = T_LABEL,
	[R_EQ] = T_EQ,
	[R_TOKEN] = T_ERR,
	[R_BLANK] = T_END,
	[R_EOL] = T_EOL,
	[R_COMMENT] = T_EOL,
};

struct match {
	enum rule rule;
	size_t len;
};

struct ini {
	struct arena *a;
	const char *s;
	size_t n, p;
	size_t last_eol; /* one past the last CR or LF; 0: none */
	const char *tok; /* text of the last T_LABEL or T_OFFSET */
	size_t toklen;
	struct pv *root;
	struct pv *sec; /* the active section; NULL before the first */
};

/* A string assembled from pieces (option offsets). */
struct sb {
	char *s;
	size_t len, cap;
};

/* The byte at i; NUL past the end, like PHP's zero padding. */
static unsigned char
at(const struct ini *x, size_t i)
{
	return i < x->n ? (unsigned char)x->s[i] : '\0';
}

/*
 * LABEL_CHAR as PHP 8.2 behaves: [^=\n\r\t;&|^$~(){}!"[] (NUL and ']'
 * are label characters there; later versions exclude them).
 */
static int
label_char(unsigned char c)
{
	return c == '\0' || strchr("=\n\r\t;&|^$~(){}!\"[", c) == NULL;
}

static size_t
label_len(const struct ini *x, size_t p)
{
	size_t i = p;

	while (i < x->n && label_char((unsigned char)x->s[i]))
		i++;
	return i - p;
}

/* TABS_AND_SPACES* at p. */
static size_t
blank_len(const struct ini *x, size_t p)
{
	size_t i = p;

	while (i < x->n && (x->s[i] == ' ' || x->s[i] == '\t'))
		i++;
	return i - p;
}

/* NEWLINE ("\r", "\n" or "\r\n") at p: its length, or 0. */
static size_t
eol_len(const struct ini *x, size_t p)
{
	if (at(x, p) == '\r')
		return at(x, p + 1) == '\n' ? 2 : 1;
	return at(x, p) == '\n' ? 1 : 0;
}

/* [;][^\r\n]*{NEWLINE} at p: its length, or 0 if no line end follows. */
static size_t
comment_len(const struct ini *x, size_t p)
{
	size_t i = p + 1;

	if (at(x, p) != ';' || p >= x->last_eol)
		return 0;
	while (i < x->n && x->s[i] != '\r' && x->s[i] != '\n')
		i++;
	return i - p + eol_len(x, i);
}

/*
 * ("true"|"on"|"yes"|"false"|"off"|"no"|"none"|"null") and blanks at p,
 * in any case (PHP runs re2c with --case-inverted: "..." ignores case).
 */
static size_t
bool_len(const struct ini *x, size_t p)
{
	static const char *const words[] = { "true", "on", "yes", "false",
		"off", "no", "none", "null" };
	size_t i, k, best = 0;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		k = strlen(words[i]);
		if (k > best && k <= x->n - p &&
		    strncasecmp(x->s + p, words[i], k) == 0)
			best = k;
	}
	return best == 0 ? 0 : best + blank_len(x, p + best);
}

/* Keeps rule r if it matches longer than the best so far. */
static void
cand(struct match *m, enum rule r, size_t len)
{
	if (len > m->len) {
		m->rule = r;
		m->len = len;
	}
}

/*
 * The scanner reads on into the zero padding after the input, and
 * returns 0 (the end) as soon as it steps past it, whatever it matched
 * before: so does a label that runs to the end of the input (NUL is a
 * label character), and a ';' comment with no line end after it.
 */
static int
runs_off(const struct ini *x, size_t p, size_t lab, size_t ws)
{
	return (lab > 0 && p + lab == x->n) ||
	    (at(x, p + ws) == ';' && p + ws >= x->last_eol);
}

/* The INITIAL rule that wins at p (p < n, the byte there is not "["). */
static struct match
match_initial(const struct ini *x, size_t p)
{
	struct match m = { R_NONE, 0 };
	size_t lab = label_len(x, p), ws = blank_len(x, p), k;
	unsigned char c = at(x, p);

	if (runs_off(x, p, lab, ws))
		return m;
	if (lab > 0 && at(x, p + lab) == '[')
		cand(&m, R_OFFSET, lab + 1 + blank_len(x, p + lab + 1));
	cand(&m, R_BOOL, bool_len(x, p));
	cand(&m, R_LABEL, lab);
	if (at(x, p + ws) == '=')
		cand(&m, R_EQ, ws + 1 + blank_len(x, p + ws + 1));
	if (c != '\0' && strchr(":,.[]\"'()&|^+-/*=%$!~<>?@{}", c) != NULL)
		cand(&m, R_TOKEN, 1);
	cand(&m, R_BLANK, ws);
	k = eol_len(x, p + ws);
	if (k > 0)
		cand(&m, R_EOL, ws + k);
	k = comment_len(x, p + ws);
	if (k > 0)
		cand(&m, R_COMMENT, ws + k);
	return m;
}

/*
 * Sets the token text: the len bytes at p without leading blanks and
 * without trailing blanks, line ends and (if not NUL) extra bytes
 * (EAT_LEADING_WHITESPACE, EAT_TRAILING_WHITESPACE_EX).
 */
static void
token_set(struct ini *x, size_t p, size_t len, char extra)
{
	const char *s = x->s + p;
	char c;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0) {
		c = s[len - 1];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n' &&
		    (extra == '\0' || c != extra))
			break;
		len--;
	}
	x->tok = s;
	x->toklen = len;
}

/* Returns the next token of the INITIAL state. */
static enum tok
lex_initial(struct ini *x)
{
	struct match m;

	for (;;) {
		if (x->p >= x->n)
			return T_END;
		if (x->s[x->p] == '[') {
			x->p++;
			return T_SECTION;
		}
		m = match_initial(x, x->p);
		if (m.rule != R_BLANK)
			break;
		x->p += m.len;
	}
	if (m.rule == R_OFFSET)
		token_set(x, x->p, m.len, '[');
	else if (m.rule == R_LABEL)
		token_set(x, x->p, m.len, '\0');
	x->p += m.len;
	return rule_tok[m.rule];
}

/*
 * ST_RAW after "=": sets *v to the value, "" if the line (or a comment,
 * or the input) ends first; leaves the cursor at the line end.  Returns
 * 0, or -1 if the scanner returns 0 there (a ';' with no line end after
 * it), which leaves the statement unfinished.
 */
static int
lex_raw(struct ini *x, struct pv *v)
{
	size_t p, q, end, cut = SIZE_MAX, k;
	unsigned char c;

	x->p += blank_len(x, x->p);
	p = x->p;
	*v = pv_str("", 0);
	if (p >= x->n)
		return 0;
	c = (unsigned char)x->s[p];
	if (c == ';' && comment_len(x, p) == 0)
		return -1;
	if (c == '\r' || c == '\n' || c == ';' || c == '\0') {
		k = c == ';' ? comment_len(x, p) : eol_len(x, p);
		x->p += k > 0 ? k : 1;
		return 0;
	}
	for (q = p + 1; q < x->n && x->s[q] != '\r' && x->s[q] != '\n'; q++) {
		if (x->s[q] == ';' && cut == SIZE_MAX)
			cut = q;
		else if (x->s[q] == '"' && c == '"')
			cut = SIZE_MAX;
	}
	end = cut != SIZE_MAX ? cut : q;
	while (end > p + 1 && (x->s[end - 1] == ' ' || x->s[end - 1] == '\t'))
		end--;
	if (end - p > 1 && c == '"' && x->s[end - 1] == '"') {
		p++;
		end--;
	}
	x->p = q;
	*v = pv_str(x->s + p, end - p);
	return 0;
}

/* Appends n bytes to b. */
static void
sb_add(struct arena *a, struct sb *b, const char *s, size_t n)
{
	char *t;

	if (n == 0)
		return;
	if (n > b->cap - b->len) {
		b->cap = (b->len + n) * 2 + 16;
		t = arena_alloc(a, b->cap);
		if (b->len > 0)
			memcpy(t, b->s, b->len);
		b->s = t;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
}

/* A section: [name] replaces an earlier [name] in place. */
static void
on_section(struct ini *x, const char *name, size_t n)
{
	struct pv *arr = pv_new_arr(x->a);

	x->sec = pv_set(x->a, x->root, name, n, *arr);
}

/* is_numeric_string's blanks. */
static int
php_space(char c)
{
	return c != '\0' && strchr(" \t\n\r\v\f", c) != NULL;
}

/*
 * The label of label[...]= becomes an integer key when it does not start
 * with '0' (unless it is "0") and is_numeric_string() calls it a long:
 * blanks, a sign, digits within int64, blanks.  PHP converts it with
 * strtol(label, NULL, 0), so "+010" is 8.  Returns 1 with *out, or 0.
 */
static int
pop_index(struct arena *a, const char *k, size_t n, int64_t *out)
{
	static const char lmin[] = "9223372036854775808";
	size_t i = 0, d;
	int neg = 0;

	if (n > 1 && k[0] == '0')
		return 0;
	while (i < n && php_space(k[i]))
		i++;
	if (i < n && (k[i] == '+' || k[i] == '-'))
		neg = k[i++] == '-';
	if (i == n || k[i] < '0' || k[i] > '9')
		return 0;
	while (i < n && k[i] == '0')
		i++;
	for (d = i; i < n && k[i] >= '0' && k[i] <= '9'; i++)
		;
	if (i - d > 19 ||
	    (i - d == 19 && memcmp(k + d, lmin, 19) >= 0 &&
		!(neg && memcmp(k + d, lmin, 19) == 0)))
		return 0;
	while (i < n && php_space(k[i]))
		i++;
	if (i != n)
		return 0;
	*out = strtoll(arena_strndup(a, k, n), NULL, 0);
	return 1;
}

/* label[offset] = value (ZEND_INI_PARSER_POP_ENTRY). */
static void
on_pop_entry(
    struct ini *x, const char *k, size_t n, const struct sb *off, struct pv v)
{
	struct pv *t = x->sec != NULL ? x->sec : x->root, *h;
	int64_t idx;

	if (pop_index(x->a, k, n, &idx)) {
		k = arena_printf(x->a, "%" PRId64, idx);
		n = strlen(k);
	}
	h = pv_get(t, k, n);
	if (h == NULL)
		h = pv_set(x->a, t, k, n, *pv_new_arr(x->a));
	else if (h->type != PV_ARR)
		*h = *pv_new_arr(x->a);
	if (off->len == 0)
		pv_push(x->a, h, v);
	else
		pv_set(x->a, h, off->s, off->len, v);
}

/*
 * ST_SECTION_RAW after "[": the name runs to "]", which must come before
 * the line ends; blanks and one line end after it are part of the token.
 * Returns 0, or -1 on a syntax error.
 */
static int
parse_section(struct ini *x)
{
	size_t p = x->p, q = p;

	while (q < x->n && x->s[q] != ']' && x->s[q] != '\n' && x->s[q] != '\r')
		q++;
	if (at(x, q) != ']')
		return -1;
	on_section(x, x->s + p, q - p);
	q++;
	q += blank_len(x, q);
	x->p = q + eol_len(x, q);
	return 0;
}

/* Bit k set: SECTION_VALUE_CHARS can go from i to i + k. */
static unsigned
svc_steps(const struct ini *x, size_t i)
{
	unsigned char c = at(x, i), d = at(x, i + 1);
	unsigned m = 0;

	if (i >= x->n)
		return 0;
	if (c == '\0' || strchr("$\n\r;\"']\\", c) == NULL)
		m |= 1u << 1;
	if (c == '\\' && i + 1 < x->n)
		m |= 1u << 2;
	if (c == '$' && i + 1 < x->n && d != '{' && d != '\0')
		m |= 1u << 2;
	if (c == '$' && d == '\\' && i + 2 < x->n)
		m |= 1u << 3;
	return m;
}

/*
 * {SECTION_VALUE_CHARS}+ at p, the longest match: bytes but
 * $ \n \r ; " ' ] \, a backslash and any byte, "$" and a byte but "{" or
 * NUL, "$\" and any byte.  Returns its length, 0 if none.
 */
static size_t
svc_len(const struct ini *x, size_t p)
{
	size_t i, best = p;
	unsigned reach = 1; /* bit k: position i + k is reachable */

	for (i = p; reach != 0; i++, reach >>= 1) {
		if ((reach & 1u) == 0)
			continue;
		best = i;
		reach |= svc_steps(x, i);
	}
	return best - p;
}

/* {CONSTANT} at p: [a-zA-Z_][a-zA-Z0-9_]*. */
static size_t
const_len(const struct ini *x, size_t p)
{
	size_t i = p;
	unsigned char c;

	for (; i < x->n; i++) {
		c = (unsigned char)x->s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			c == '_' || (i > p && c >= '0' && c <= '9')))
			break;
	}
	return i - p;
}

/*
 * TC_CONSTANT: PHP substitutes a defined constant.  Of those only true,
 * false and null (any case) are known here; other names stay as written.
 */
static void
constant(struct ini *x, struct sb *b, const char *s, size_t n)
{
	if (n == 4 && strncasecmp(s, "true", 4) == 0)
		sb_add(x->a, b, "1", 1);
	else if (!(n == 5 && strncasecmp(s, "false", 5) == 0) &&
	    !(n == 4 && strncasecmp(s, "null", 4) == 0))
		sb_add(x->a, b, s, n);
}

/*
 * ${name}: PHP reads the php.ini setting or environment variable of that
 * name, which a PBX's config never relies on; it reads as "" here.
 */
static int
varref(struct ini *x)
{
	size_t p = x->p + 2, lab = label_len(x, p);

	if (lab == 0 || at(x, p + lab) != '}')
		return -1;
	x->p = p + lab + 1;
	return 0;
}

/* ST_DOUBLE_QUOTES text at p: up to '"', "${", or a \" ending a line. */
static size_t
dq_len(const struct ini *x, size_t p)
{
	size_t q = p;
	unsigned char c;

	while (q < x->n) {
		c = (unsigned char)x->s[q++];
		if (c == '"' || (c == '$' && q < x->n && x->s[q] == '{'))
			return q - 1 - p;
		if (c != '\\' || q >= x->n)
			continue;
		c = (unsigned char)x->s[q++];
		if (c == '"' &&
		    (q >= x->n || x->s[q] == '\n' || x->s[q] == '\r'))
			return q - 1 - p;
	}
	return q - p;
}

/* zend_ini_escape_string: \" \\ \$ lose the backslash, others keep it. */
static void
unescape(struct ini *x, struct sb *b, const char *s, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n ||
		    strchr("\"\\$", s[i + 1]) == NULL || s[i + 1] == '\0')
			continue;
		sb_add(x->a, b, s + run, i - run);
		run = ++i;
	}
	sb_add(x->a, b, s + run, n - run);
}

/* After '"' in an offset: the string up to its closing '"' and blanks. */
static int
offset_dquote(struct ini *x, struct sb *b)
{
	size_t k;

	for (;;) {
		if (x->p >= x->n)
			return -1;
		if (x->s[x->p] == '"') {
			x->p++;
			x->p += blank_len(x, x->p);
			return 0;
		}
		if (x->s[x->p] == '$' && at(x, x->p + 1) == '{') {
			if (varref(x) == -1)
				return -1;
			continue;
		}
		k = dq_len(x, x->p);
		unescape(x, b, x->s + x->p, k);
		x->p += k;
	}
}

/* An offset piece that is not a double-quoted string. */
static int
offset_piece(struct ini *x, struct sb *b)
{
	size_t p = x->p, k;
	const char *q;

	if (at(x, p) == '\'') {
		/* "'"[^']+"'", quotes dropped */
		q = p + 1 < x->n ? memchr(x->s + p + 1, '\'', x->n - p - 1)
				 : NULL;
		if (q == NULL || q == x->s + p + 1)
			return -1;
		sb_add(x->a, b, x->s + p + 1, (size_t)(q - x->s) - p - 1);
		x->p = (size_t)(q - x->s) + 1;
		return 0;
	}
	if (at(x, p) == '$' && at(x, p + 1) == '{')
		return varref(x);
	k = svc_len(x, p);
	if (k == 0)
		return -1;
	if (const_len(x, p) == k)
		constant(x, b, x->s + p, k);
	else
		sb_add(x->a, b, x->s + p, k); /* TC_NUMBER, TC_STRING */
	x->p += k;
	return 0;
}

/* ST_OFFSET after "label[": the offset up to "]" into b. */
static int
parse_offset(struct ini *x, struct sb *b)
{
	size_t ws;
	unsigned char c;

	for (;;) {
		ws = blank_len(x, x->p);
		c = at(x, x->p + ws);
		if (c == ']' || c == '"') {
			x->p += ws + 1;
			if (c == ']')
				return 0;
			if (offset_dquote(x, b) == -1)
				return -1;
		} else if (offset_piece(x, b) == -1) {
			return -1;
		}
	}
}

/* label[offset] = value, after T_OFFSET. */
static int
stmt_offset(struct ini *x)
{
	const char *k = x->tok;
	size_t n = x->toklen;
	struct sb off = { NULL, 0, 0 };
	struct pv v;

	if (parse_offset(x, &off) == -1 || lex_initial(x) != T_EQ ||
	    lex_raw(x, &v) == -1)
		return -1;
	on_pop_entry(x, k, n, &off, v);
	return 0;
}

/* The statement list.  Returns 0, or -1 on a syntax error. */
static int
parse(struct ini *x)
{
	enum tok t = lex_initial(x);
	const char *k;
	size_t n;
	struct pv v;

	for (;;) {
		switch (t) {
		case T_END:
			return 0;
		case T_EOL:
			break;
		case T_SECTION:
			if (parse_section(x) == -1)
				return -1;
			break;
		case T_LABEL:
			k = x->tok;
			n = x->toklen;
			t = lex_initial(x);
			if (t != T_EQ)
				continue; /* a bare label: nothing */
			if (lex_raw(x, &v) == -1)
				return -1;
			/* label = value: zend_symtable_update */
			pv_set(
			    x->a, x->sec != NULL ? x->sec : x->root, k, n, v);
			break;
		case T_OFFSET:
			if (stmt_offset(x) == -1)
				return -1;
			break;
		default:
			return -1;
		}
		t = lex_initial(x);
	}
}

enum err
ini_parse(struct arena *a, const char *text, size_t n, struct pv **out)
{
	struct ini x = { .a = a, .s = text, .n = n };
	size_t i;

	*out = NULL;
	if (n > LIM_INI_FILE)
		return E_TOOLARGE;
	for (i = n; i > 0; i--)
		if (text[i - 1] == '\r' || text[i - 1] == '\n')
			break;
	x.last_eol = i;
	/* The scanner skips a UTF-8 BOM when more bytes follow it. */
	if (n > 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		x.p = 3;
	x.root = pv_new_arr(a);
	if (parse(&x) == -1)
		return E_BADREQ;
	*out = x.root;
	return E_OK;
}
