/*
 * esl_double's channels: "show channels as json" from the scenario's
 * channel lines, the uuid_* APIs against them, and canned replies.
 * Scenario lines (see the top of main.c):
 *
 *   channel <one JSON object>     a row of show channels, in order
 *   var <uuid> <name> <value>     what uuid_getvar answers
 *   reply <api> <text>            the output of <api>, whatever it is
 *                                 given ("\n" in text is a newline)
 *
 * uuid_exists answers true or false; every other uuid_* API answers
 * "-ERR No such channel!" for a uuid that is in no channel line, the
 * variable (or _undef_) for uuid_getvar, "+OK" otherwise.  Nothing is
 * remembered: a test changes the channels by rewriting the scenario.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esl_double.h"

#define UUID_MAX 256

/* The "uuid" of a JSON row, or "" (out holds UUID_MAX bytes). */
static void
row_uuid(const char *row, char *out)
{
	const char *p = strstr(row, "\"uuid\"");
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 6;
	p += strspn(p, " ");
	if (*p++ != ':')
		return;
	p += strspn(p, " ");
	if (*p++ != '"')
		return;
	n = strcspn(p, "\"");
	if (n >= UUID_MAX)
		n = UUID_MAX - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

struct rows {
	FILE *fp;
	int n;
};

static void
add_row(void *arg, const char *text)
{
	struct rows *r = arg;

	fprintf(r->fp, "%s%s", r->n++ ? "," : "", text);
}

/* The length of the JSON object at s (strings without braces in them). */
static size_t
row_end(const char *s)
{
	size_t i;
	int depth = 0, instr = 0;

	for (i = 0; s[i] != '\0'; i++) {
		if (instr && s[i] == '\\' && s[i + 1] != '\0')
			i++;
		else if (s[i] == '"')
			instr = !instr;
		else if (!instr && s[i] == '{')
			depth++;
		else if (!instr && s[i] == '}' && --depth == 0)
			return i + 1;
	}
	return i;
}

/* {"row_count":N,"rows":[...]} as FreeSWITCH's show ... as json. */
static char *
show_channels(const struct conn *c)
{
	struct rows r = { .n = 0 };
	char *rows = NULL, *out, *live = live_rows();
	size_t len = 0;

	if ((r.fp = open_memstream(&rows, &len)) == NULL)
		abort();
	scenario_each(c, "channel", add_row, &r);
	if (live != NULL) /* the call world's live calls after them */
		for (out = live; *out != '\0'; r.n++) {
			len = row_end(out);
			fprintf(r.fp, "%s%.*s", r.n ? "," : "", (int)len, out);
			out += len + (out[len] == ',');
		}
	free(live);
	fclose(r.fp);
	out = r.n == 0 ? fmt("{\"row_count\":0}\n")
		       : fmt("{\"row_count\":%d,\"rows\":[%s]}\n", r.n, rows);
	free(rows);
	return out;
}

struct find {
	const char *uuid, *name;
	int found;
	char *value;
};

static void
match_row(void *arg, const char *text)
{
	struct find *f = arg;
	char uuid[UUID_MAX];

	row_uuid(text, uuid);
	if (strcmp(uuid, f->uuid) == 0)
		f->found = 1;
}

static void
match_var(void *arg, const char *text)
{
	struct find *f = arg;
	size_t u = strcspn(text, " "), n;

	if (strlen(f->uuid) != u || strncmp(text, f->uuid, u) != 0 ||
	    text[u] != ' ')
		return;
	text += u + 1;
	n = strcspn(text, " ");
	if (strlen(f->name) != n || strncmp(text, f->name, n) != 0)
		return;
	free(f->value);
	f->value = fmt("%s", text[n] == ' ' ? text + n + 1 : "");
}

/* The output of uuid_<x> args. */
static char *
uuid_api(const struct conn *c, const char *cmd, const char *args)
{
	char uuid[UUID_MAX] = "", name[UUID_MAX] = "";
	struct find f = { .uuid = uuid, .name = name };

	if (strcmp(cmd, "uuid_hold") == 0 &&
	    (strncmp(args, "off ", 4) == 0 || strncmp(args, "toggle ", 7) == 0))
		args = strchr(args, ' ') + 1;
	sscanf(args, "%255s %255s", uuid, name);
	scenario_each(c, "channel", match_row, &f);
	if (strcmp(cmd, "uuid_exists") == 0)
		return fmt("%s", f.found ? "true" : "false");
	if (!f.found)
		return fmt("-ERR No such channel!\n");
	if (strcmp(cmd, "uuid_getvar") != 0)
		return fmt("+OK\n");
	scenario_each(c, "var", match_var, &f);
	return f.value != NULL ? f.value : fmt("_undef_");
}

struct canned {
	const char *cmd;
	char *text;
};

static void
match_reply(void *arg, const char *text)
{
	struct canned *k = arg;
	size_t n = strcspn(text, " "), i, o = 0;

	if (strlen(k->cmd) != n || strncmp(text, k->cmd, n) != 0)
		return;
	free(k->text);
	text += n + (text[n] == ' ');
	k->text = fmt("%s", text);
	for (i = 0; text[i] != '\0'; i++, o++)
		if (text[i] == '\\' && text[i + 1] == 'n') {
			k->text[o] = '\n';
			i++;
		} else
			k->text[o] = text[i];
	k->text[o] = '\0';
}

char *
chan_api(const struct conn *c, const char *cmd, const char *args)
{
	struct canned k = { .cmd = cmd };
	char *out;

	scenario_each(c, "reply", match_reply, &k);
	if (k.text != NULL)
		return k.text;
	if (strcmp(cmd, "show") == 0 && strcmp(args, "channels as json") == 0)
		return show_channels(c);
	if (strncmp(cmd, "uuid_", 5) == 0 &&
	    (out = live_uuid(cmd, args)) != NULL)
		return out;
	if (strncmp(cmd, "uuid_", 5) == 0)
		return uuid_api(c, cmd, args);
	return NULL;
}
