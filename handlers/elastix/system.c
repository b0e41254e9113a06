/*
 * Host commands of the ?cmd= dialect that need no PBX: systemresources,
 * getharddrivers and getiptablesstatus (elastix-api.md §5.9-§5.11).  The
 * reference ran uptime, df, du and "sudo service iptables status" through
 * /bin/sh; here the same facts come from the kernel (/proc, statvfs,
 * utmp and a walk of the directories), with no process started.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#include "arena.h"
#include "conf.h"
#include "dispatch.h"
#include "elastix.h"
#include "json.h"
#include "log.h"
#include "pbx.h"
#include "reply.h"
#include "req.h"
#include "str.h"
#include "sysinfo.h"

/*
 * systemresources: the first line of uptime(1), then the reference's
 * string surgery, quirks included ("0 user" stays, "1 day," shifts).
 */
static enum err
systemresources(struct req *r, struct reply *rp)
{
	const char *parts[3] = { "", "", "" };
	char line[256];
	const char *sub[][2] = { { "load average: ", "" }, { " users", "" },
		{ "days,", "days" } };
	char *s, *p, *q;
	struct jw *w;
	size_t i, n = 0;

	req_op(r, "uptime");
	if (sys_uptime_line(line, sizeof(line)) == -1)
		line[0] = '\0';
	s = arena_strdup(r->arena, line);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		s = str_replace(r->arena, s, sub[i][0], sub[i][1]);
	if (*s != '\0') {
		for (p = s; n < 3; p = q + 3) {
			q = strstr(p, ",  ");
			if (q != NULL)
				*q = '\0';
			parts[n++] = str_trim(p);
			if (q == NULL)
				break;
		}
	}
	w = elastix_json(r, rp, 200);
	jw_obj_open(w);
	jw_keyz(w, "datetime");
	jw_strz(w, parts[0]);
	jw_keyz(w, "users");
	jw_strz(w, parts[1]);
	jw_keyz(w, "usage");
	jw_strz(w, parts[2]);
	jw_obj_close(w);
	return E_OK;
}

/* Writes ["<size>","<path>"] as du -sh would, or [] without the path. */
static void
du_entry(struct req *r, struct jw *w, const char *key, const char *path)
{
	char size[16];

	jw_keyz(w, key);
	jw_arr_open(w);
	req_op(r, "du");
	if (sys_du(path, size, sizeof(size)) == 0) {
		jw_strz(w, size);
		jw_strz(w, path);
	}
	jw_arr_close(w);
}

/*
 * getharddrivers: df -H / fixed to its documented meaning (the reference
 * took the Filesystem column as the size, N-12), then du -sh of the
 * directories the reference lists, in its order.
 */
static enum err
getharddrivers(struct req *r, struct reply *rp)
{
	const struct pbx_distro *drv = pbx_distro(r->tenant);
	struct sys_df df;
	struct jw *w;

	w = elastix_json(r, rp, 200);
	jw_obj_open(w);
	req_op(r, "statvfs");
	if (sys_df("/", &df) == 0) {
		jw_keyz(w, "harddisk");
		jw_obj_open(w);
		jw_keyz(w, "size");
		jw_strz(w, df.size);
		jw_keyz(w, "used");
		jw_strz(w, df.used);
		jw_keyz(w, "avail");
		jw_strz(w, df.avail);
		jw_keyz(w, "usepercent");
		jw_strz(w, df.usepercent);
		jw_keyz(w, "mount");
		jw_strz(w, df.mount);
		jw_obj_close(w);
	}
	du_entry(r, w, "logs", "/var/log");
	du_entry(r, w, "thirdparty", "/opt");
	du_entry(r, w, "voicemails", "/var/spool/asterisk/voicemail");
	du_entry(r, w, "backups", "/var/www/backup");
	du_entry(r, w, "configuration", "/etc");
	du_entry(r, w, "recording", tenant_get(r->tenant, "RECORDINGS_PATH"));
	if (drv->modules_key != NULL)
		du_entry(r, w, drv->modules_key, drv->modules_dir);
	jw_obj_close(w);
	return E_OK;
}

/*
 * getiptablesstatus: the reference printed "sudo service iptables status"
 * and called the firewall present when that text passed 100 bytes.  The
 * kernel's own list of loaded iptables tables replaces it.
 */
static enum err
getiptablesstatus(struct req *r, struct reply *rp)
{
	char text[1024];
	struct jw *w;
	int tables;

	req_op(r, "ip_tables_names");
	tables = sys_iptables(text, sizeof(text));
	w = elastix_json(r, rp, 200);
	jw_obj_open(w);
	jw_keyz(w, "pid");
	jw_strz(w, text);
	jw_keyz(w, "is_exist");
	jw_bool(w, tables > 0);
	jw_obj_close(w);
	return E_OK;
}

static const struct cmd cmds[] = {
	{ .name = "systemresources",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = systemresources },
	{ .name = "getharddrivers",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = getharddrivers },
	{ .name = "getiptablesstatus",
	    .methods = M_ANY,
	    .scope = SCOPE_READ,
	    .run = getiptablesstatus },
};

const struct family system_family = {
	.name = "system",
	CMDS(cmds),
};
