/*
 * Host facts (see sysinfo.h).
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#include "sysinfo.h"

#define DU_DEPTH_MAX 128
#define DU_LINKS_MAX 4096

static int
count_users(void)
{
	struct utmpx *u;
	int n = 0;

	setutxent();
	while ((u = getutxent()) != NULL)
		if (u->ut_type == USER_PROCESS && u->ut_user[0] != '\0')
			n++;
	endutxent();
	return n;
}

int
sys_uptime_line(char *dst, size_t size)
{
	double up = 0, l1 = 0, l5 = 0, l15 = 0;
	int days, hours, mins, users, n;
	struct tm tm;
	time_t now;
	FILE *fp;

	if ((fp = fopen("/proc/uptime", "re")) == NULL)
		return -1;
	n = fscanf(fp, "%lf", &up);
	fclose(fp);
	if (n != 1)
		return -1;
	if ((fp = fopen("/proc/loadavg", "re")) != NULL) {
		if (fscanf(fp, "%lf %lf %lf", &l1, &l5, &l15) != 3)
			l1 = l5 = l15 = 0;
		fclose(fp);
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	days = (int)up / 86400;
	mins = (int)up / 60;
	hours = (mins / 60) % 24;
	mins %= 60;
	users = count_users();
	n = snprintf(
	    dst, size, " %02d:%02d:%02d up ", tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (days > 0)
		n += snprintf(dst + n, size - (size_t)n, "%d %s, ", days,
		    days > 1 ? "days" : "day");
	if (hours > 0)
		n += snprintf(
		    dst + n, size - (size_t)n, "%2d:%02d, ", hours, mins);
	else
		n += snprintf(dst + n, size - (size_t)n, "%d min, ", mins);
	snprintf(dst + n, size - (size_t)n,
	    "%2d %s,  load average: %.2f, %.2f, %.2f", users,
	    users > 1 ? "users" : "user", l1, l5, l15);
	return 0;
}

/* Returns n / div rounded up, without overflow. */
static uint64_t
div_ceil(uint64_t n, uint64_t div)
{
	return n / div + (n % div != 0);
}

void
human_size(uint64_t n, unsigned base, char *dst, size_t size)
{
	static const char si[] = "kMGTPE", iec[] = "KMGTPE";
	const char *units = base == 1000 ? si : iec;
	uint64_t div = 1, tenths;
	int p = -1;

	if (n < base) {
		snprintf(dst, size, "%llu", (unsigned long long)n);
		return;
	}
	while (p < 5 && n / div >= base) {
		div *= base;
		p++;
	}
	for (;;) {
		if (n / div < 10) {
			/* One decimal, rounded up (n % div * 10 fits). */
			tenths = n / div * 10 + div_ceil(n % div * 10, div);
			if (tenths < 100) {
				snprintf(dst, size, "%llu.%llu%c",
				    (unsigned long long)(tenths / 10),
				    (unsigned long long)(tenths % 10),
				    units[p]);
				return;
			}
			snprintf(dst, size, "10%c", units[p]);
			return;
		}
		tenths = div_ceil(n, div); /* whole units, rounded up */
		if (tenths < base || p == 5) {
			snprintf(dst, size, "%llu%c",
			    (unsigned long long)tenths, units[p]);
			return;
		}
		div *= base;
		p++;
	}
}

int
sys_df(const char *path, struct sys_df *df)
{
	struct statvfs sv;
	uint64_t total, used, avail, pct;

	if (statvfs(path, &sv) == -1)
		return -1;
	total = (uint64_t)sv.f_blocks * sv.f_frsize;
	used = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	human_size(total, 1000, df->size, sizeof(df->size));
	human_size(used, 1000, df->used, sizeof(df->used));
	human_size(avail, 1000, df->avail, sizeof(df->avail));
	if (used + avail == 0)
		snprintf(df->usepercent, sizeof(df->usepercent), "-");
	else {
		pct = (used * 100 + used + avail - 1) / (used + avail);
		snprintf(df->usepercent, sizeof(df->usepercent), "%llu%%",
		    (unsigned long long)pct);
	}
	snprintf(df->mount, sizeof(df->mount), "%s", path);
	return 0;
}

struct du {
	uint64_t bytes;
	struct {
		dev_t dev;
		ino_t ino;
	} links[DU_LINKS_MAX];
	size_t nlinks;
};

/* Counts a multiply-linked inode once (as du does); 1 if new. */
static int
first_link(struct du *d, const struct stat *st)
{
	size_t i;

	if (st->st_nlink < 2 || S_ISDIR(st->st_mode))
		return 1;
	for (i = 0; i < d->nlinks; i++)
		if (d->links[i].dev == st->st_dev &&
		    d->links[i].ino == st->st_ino)
			return 0;
	if (d->nlinks < DU_LINKS_MAX) {
		d->links[d->nlinks].dev = st->st_dev;
		d->links[d->nlinks].ino = st->st_ino;
		d->nlinks++;
	}
	return 1;
}

/* Adds the entries under the directory open on fd (consumes fd). */
static void
du_dir(struct du *d, int fd, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int sub;

	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		    -1)
			continue;
		if (first_link(d, &st))
			d->bytes += (uint64_t)st.st_blocks * 512;
		if (!S_ISDIR(st.st_mode) || depth >= DU_DEPTH_MAX)
			continue;
		sub = openat(dirfd(dir), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub != -1)
			du_dir(d, sub, depth + 1);
	}
	closedir(dir);
}

int
sys_du(const char *path, char *dst, size_t size)
{
	struct du *d;
	struct stat st;
	int fd;

	if (lstat(path, &st) == -1)
		return -1;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -1;
	d->bytes = (uint64_t)st.st_blocks * 512;
	if (S_ISDIR(st.st_mode) &&
	    (fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		du_dir(d, fd, 1);
	human_size(d->bytes, 1024, dst, size);
	free(d);
	return 0;
}

/* Appends s to dst (size bytes) at *n, truncating. */
static void
append(char *dst, size_t size, size_t *n, const char *s)
{
	size_t k = strlen(s);

	if (*n + k >= size)
		k = size - 1 - *n;
	memcpy(dst + *n, s, k);
	*n += k;
	dst[*n] = '\0';
}

int
sys_iptables(char *dst, size_t size)
{
	char name[64];
	size_t n = 0;
	int tables = 0;
	FILE *fp;

	dst[0] = '\0';
	if ((fp = fopen("/proc/net/ip_tables_names", "re")) != NULL) {
		while (fgets(name, sizeof(name), fp) != NULL) {
			name[strcspn(name, "\n")] = '\0';
			if (name[0] == '\0')
				continue;
			append(dst, size, &n, tables ? "\nTable: " : "Table: ");
			append(dst, size, &n, name);
			tables++;
		}
		fclose(fp);
	}
	if (tables == 0)
		append(dst, size, &n, "iptables: Firewall is not running.");
	return tables;
}
