/*
 * The host as a backend: what uptime(1), df(1), du(1) and the iptables
 * service report, read from the kernel without starting a process.
 */
#ifndef PBXAPI_SYSINFO_H
#define PBXAPI_SYSINFO_H

#include <stddef.h>
#include <stdint.h>

struct sys_df {
	char size[24], used[24], avail[24], usepercent[24], mount[8];
};

/*
 * Writes the line uptime(1) of procps-ng prints, e.g.
 * " 12:16:00 up 10 min,  0 user,  load average: 0.82, 1.30, 0.71".
 * Returns 0 or -1.
 */
int sys_uptime_line(char *dst, size_t size);

/* Fills df -H figures for the filesystem holding path.  Returns 0/-1. */
int sys_df(const char *path, struct sys_df *df);

/*
 * Writes the disk usage of path as du -sh shows it ("864K", "4.3M").
 * Returns 0, or -1 if path does not exist (du prints nothing then).
 */
int sys_du(const char *path, char *dst, size_t size);

/*
 * Writes a description of the loaded iptables tables ("Table: filter",
 * one per line) or "iptables: Firewall is not running.".  Returns the
 * number of tables.
 */
int sys_iptables(char *dst, size_t size);

/*
 * Formats n bytes like coreutils' human_readable with ceiling rounding:
 * base 1024 ("K", "M"...) or 1000 ("k", "M"...).
 */
void human_size(uint64_t n, unsigned base, char *dst, size_t size);

#endif
