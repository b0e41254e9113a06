/*
 * libFuzzer target for the configuration loader (conf_load): the input
 * is written to a file in a scratch directory, which is also the working
 * directory, and loaded.  Inputs with a '/' are skipped so that include
 * and env_file stay inside the scratch directory.  A loaded
 * configuration is dumped, its tokens looked up, and freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void
cleanup(void)
{
	unlink("pbxapi.conf");
	if (dir[0] != '\0')
		rmdir(dir);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/fuzz_conf.XXXXXX");
	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		abort();
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char errbuf[512];
	struct conf *c;
	FILE *fp;
	size_t i;

	if (dir[0] == '\0')
		setup();
	if (memchr(data, '/', size) != NULL)
		return 0;
	fp = fopen("pbxapi.conf", "w");
	if (fp == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	errbuf[0] = '\0';
	c = conf_load("pbxapi.conf", NULL, 0, errbuf, sizeof(errbuf));
	if (c == NULL) {
		FUZZ_CHECK(errbuf[0] != '\0');
		return 0;
	}
	fp = fopen("/dev/null", "w");
	if (fp != NULL) {
		conf_dump(c, fp);
		fclose(fp);
	}
	for (i = 0; i < c->ntokens; i++)
		FUZZ_CHECK(c->tokens[i].tenant ==
		    &c->tenants[c->tokens[i].tenant_index]);
	FUZZ_CHECK(conf_token(c, "", 0) == NULL || c->ntokens > 0);
	conf_free(c);
	return 0;
}
