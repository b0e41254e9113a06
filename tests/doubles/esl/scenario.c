/*
 * esl_double's scenario file, read again for every connection and every
 * command (see the top of main.c).
 */
#include <stdio.h>
#include <string.h>

#include "esl_double.h"

/* Reads the scenario line that starts with key and matches scope. */
int
scenario(const struct conn *c, const char *key, const char *cmd, char *out,
    size_t outlen)
{
	char line[LINE_MAX_], scope[64], want[64];
	FILE *fp;
	int found = 0;

	if (c->o->scenario == NULL || (fp = fopen(c->o->scenario, "r")) == NULL)
		return 0;
	snprintf(want, sizeof(want), "conn=%d", c->n);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, key, strlen(key)) != 0 ||
		    line[strlen(key)] != ' ')
			continue;
		if (strcmp(key, "fault") != 0) {
			snprintf(out, outlen, "%s", line + strlen(key) + 1);
			found = 1;
			continue;
		}
		if (sscanf(line + 6, "%63s", scope) != 1)
			continue;
		if (strcmp(scope, "all") == 0 || strcmp(scope, want) == 0 ||
		    (cmd != NULL && strncmp(scope, "cmd=", 4) == 0 &&
			strcmp(scope + 4, cmd) == 0)) {
			snprintf(out, outlen, "%s",
			    line + 6 + strlen(scope) + 1 > line + strlen(line)
				? ""
				: line + 6 + strlen(scope) + 1);
			found = 1;
		}
	}
	fclose(fp);
	return found;
}

int
scenario_each(const struct conn *c, const char *key,
    void (*fn)(void *, const char *), void *arg)
{
	char line[LINE_MAX_];
	FILE *fp;
	int n = 0;

	if (c->o->scenario == NULL || (fp = fopen(c->o->scenario, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, key, strlen(key)) != 0 ||
		    line[strlen(key)] != ' ')
			continue;
		fn(arg, line + strlen(key) + 1);
		n++;
	}
	fclose(fp);
	return n;
}

/* The fault for this connection and command, mode "" if none. */
void
fault_for(const struct conn *c, const char *cmd, struct fault *f)
{
	char text[256];

	f->mode[0] = f->arg[0] = '\0';
	if (scenario(c, "fault", cmd, text, sizeof(text)))
		sscanf(text, "%31s %63s", f->mode, f->arg);
}
