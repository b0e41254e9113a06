/*
 * chandoc.c's reader of the companion's channels document: the keys
 * asked for and no others, numbers and booleans as their text, absent
 * keys "", the head (synced, age, calls_seen), and what is not the
 * document refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "chandoc.h"
#include "limits.h"
#include "tap.h"

static const char *const keys[] = { "id", "priority", "held", "language" };

static const char doc[] =
    "{\"tenant\":\"t\",\"backend\":\"ari\",\"state\":\"connected\","
    "\"synced\":true,\"age\":0.000,\"calls_seen\":7,\"channels\":["
    "{\"id\":\"a.1\",\"name\":\"PJSIP/1\",\"priority\":3,\"held\":false,"
    "\"x\":{\"id\":\"nested\"}},"
    "{\"id\":\"a.2\",\"priority\":-1,\"held\":true,\"language\":\"fr\"}]}";

static void
many(struct arena *a, size_t n, int *rc)
{
	size_t len = 64 + n * 12, i;
	char *b = malloc(len), *p = b;
	struct cd_doc d;

	p += sprintf(p, "{\"synced\":true,\"age\":1,\"channels\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s{\"id\":\"c\"}", i ? "," : "");
	sprintf(p, "]}");
	*rc = cd_read(a, keys, 4, b, strlen(b), &d);
	free(b);
}

int
main(void)
{
	struct arena *a = arena_new();
	struct cd_doc d;
	int rc;

	is_int(cd_read(a, keys, 4, doc, strlen(doc), &d), 0, "the document");
	is_int(d.synced, 1, "synced");
	is_str(d.age.s, "0.000", "age, as written");
	is_int(d.calls_seen, 7, "calls_seen");
	is_int((long long)d.n, 2, "two channels");
	is_str(CD_GET(&d, 0, 0).s, "a.1", "a channel's id, not a nested one's");
	is_str(CD_GET(&d, 0, 1).s, "3", "a number as its text");
	is_str(CD_GET(&d, 0, 2).s, "0", "false as 0");
	is_str(CD_GET(&d, 0, 3).s, "", "an absent key is \"\"");
	is_str(CD_GET(&d, 1, 1).s, "-1", "a negative number");
	is_str(CD_GET(&d, 1, 2).s, "1", "true as 1");
	is_str(CD_GET(&d, 1, 3).s, "fr", "a string");
	is_int(cd_read(a, keys, 4, "{\"synced\":fals", 14, &d), -1,
	    "a cut document is refused");
	is_int(cd_read(a, keys, 4, "[[[[[1]]]]]", 11, &d), -1,
	    "deeper than a channel's fields is refused");
	is_int(cd_read(a, keys, 0, doc, strlen(doc), &d), -1, "no keys: -1");
	is_int(cd_read(a, keys, 4, "{\"channels\":[]}", 15, &d), 0,
	    "an empty list");
	is_int(d.synced + (int)d.age.n + (int)d.n, 0,
	    "not synced, no age, no channels");
	many(a, LIM_EV_CHANNELS, &rc);
	is_int(rc, 0, "LIM_EV_CHANNELS channels are read");
	many(a, LIM_EV_CHANNELS + 1, &rc);
	is_int(rc, -1, "one more is refused");
	arena_free(a);
	return done_testing();
}
