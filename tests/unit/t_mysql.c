/*
 * The MySQL driver's pure parts (PDO's error texts, the JSON typing of
 * rows) and the reload runner (handlers/host/reload.c).  The driver itself
 * runs against a real MariaDB in tests/integration/50-mysql.t.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "mysql.h"
#include "reload.h"
#include "tap.h"

static void
sqlstates(void)
{
	is_str(pdo_sqlstate_text("23000"), "Integrity constraint violation",
	    "23000");
	is_str(
	    pdo_sqlstate_text("22003"), "Numeric value out of range", "22003");
	is_str(pdo_sqlstate_text("22001"), "String data, right truncated",
	    "22001");
	is_str(pdo_sqlstate_text("42000"), "Syntax error or access violation",
	    "42000");
	is_str(pdo_sqlstate_text("HY000"), "General error", "HY000");
	is_str(
	    pdo_sqlstate_text("XAE07"), "<<Unknown error>>", "unknown state");
}

static void
msg_errno(void)
{
	is_int(mysql_msg_errno("Can't connect to server on 'h' (115)"), 115,
	    "errno of a connect message");
	is_int(mysql_msg_errno("Unknown server host 'h' (-2)"), -2,
	    "negative resolver code");
	is_int(mysql_msg_errno("no number"), 0, "no number: 0");
	is_int(mysql_msg_errno("odd (x1)"), 0, "not a number: 0");
	is_int(mysql_msg_errno(""), 0, "empty: 0");
}

static void
stmt_msgs(void)
{
	char m[512];

	pdo_stmt_msg(m, sizeof(m), "23000", 1062,
	    "Duplicate entry '' for key 'PRIMARY'");
	is_str(m,
	    "SQLSTATE[23000]: Integrity constraint violation: 1062 "
	    "Duplicate entry '' for key 'PRIMARY'",
	    "1062 as PDO words it");
	pdo_stmt_msg(m, sizeof(m), "22003", 1264,
	    "Out of range value for column 'grptime' at row 1");
	is_str(m,
	    "SQLSTATE[22003]: Numeric value out of range: 1264 Out of "
	    "range value for column 'grptime' at row 1",
	    "1264 as PDO words it");
	pdo_stmt_msg(m, sizeof(m), "HY000", 2006, "Server has gone away");
	is_str(m, "SQLSTATE[HY000]: General error: 2006 Server has gone away",
	    "client error");
	pdo_stmt_msg(m, sizeof(m), NULL, 1, "x");
	is_str(m, "SQLSTATE[HY000]: General error: 1 x", "no state: HY000");
	pdo_stmt_msg(m, 20, "23000", 1062, "Duplicate entry");
	is_int((long long)strlen(m), 19, "truncated to the buffer");
}

static void
connect_msgs(void)
{
	char m[512];

	pdo_connect_msg(m, sizeof(m), 1045,
	    "Access denied for user 'elastix'@'localhost' (using password: YES)");
	is_str(m,
	    "SQLSTATE[HY000] [1045] Access denied for user "
	    "'elastix'@'localhost' (using password: YES)",
	    "1045 passes through");
	pdo_connect_msg(m, sizeof(m), 2002,
	    "Can't connect to local server through socket '/x' (111)");
	is_str(m, "SQLSTATE[HY000] [2002] Connection refused",
	    "socket refused as mysqlnd");
	pdo_connect_msg(m, sizeof(m), 2002,
	    "Can't connect to local server through socket '/x' (2)");
	is_str(m, "SQLSTATE[HY000] [2002] No such file or directory",
	    "socket missing as mysqlnd");
	pdo_connect_msg(
	    m, sizeof(m), 2003, "Can't connect to server on '127.0.0.1' (111)");
	is_str(m, "SQLSTATE[HY000] [2002] Connection refused",
	    "TCP refused is 2002 in mysqlnd");
	pdo_connect_msg(
	    m, sizeof(m), 2002, "Can't connect to server on 'h' (110)");
	is_str(m, "SQLSTATE[HY000] [2002] Connection timed out",
	    "connect timeout");
	pdo_connect_msg(m, sizeof(m), 2005,
	    "Unknown server host 'nonexistent.invalid' (-2)");
	is_str(m,
	    "SQLSTATE[HY000] [2002] php_network_getaddresses: getaddrinfo "
	    "for nonexistent.invalid failed: Name or service not known",
	    "unknown host as mysqlnd");
	pdo_connect_msg(m, sizeof(m), 2013,
	    "Lost connection to server at 'handshake: reading initial "
	    "communication packet', system error: 110");
	is_str(m, "SQLSTATE[HY000] [2006] MySQL server has gone away",
	    "no greeting");
	pdo_connect_msg(m, sizeof(m), 2002, "odd (text)");
	is_str(
	    m, "SQLSTATE[HY000] [2002] odd (text)", "no errno: the text as is");
	pdo_connect_msg(m, sizeof(m), 1049, "Unknown database 'x'");
	is_str(m, "SQLSTATE[HY000] [1049] Unknown database 'x'",
	    "server error at connect");
}

static void
row(struct buf *b, const struct sql_col *c, const struct sql_val *v, size_t n)
{
	struct jw w;

	buf_clear(b);
	jw_init(&w, b, JW_PHP);
	sql_row_json(&w, c, v, n);
}

#define V(s)                        \
	{                           \
		s, sizeof(s) - 1, 0 \
	}

static void
typing(void)
{
	struct buf b;
	struct sql_col c[] = { { "i", 1, SQLK_INT }, { "s", 1, SQLK_STR },
		{ "n", 1, SQLK_INT }, { "d", 1, SQLK_DOUBLE } };
	struct sql_val v[] = { V("20"), V("a/\xc3\xa9"), { NULL, 0, 1 },
		V("1.5") };
	struct sql_val big[] = { V("18446744073709551615"), V(""),
		V("-9223372036854775808"), V("0.1") };
	struct sql_val edge[] = { V("9223372036854775807"), V("0"),
		V("9223372036854775808"), V("2") };

	buf_init(&b, 4096);
	row(&b, c, v, 4);
	is_str(buf_cstr(&b),
	    "{\"i\":20,\"s\":\"a\\/\\u00e9\",\"n\":null,"
	    "\"d\":1.5}",
	    "int as number, string escaped, NULL as null, double");
	row(&b, c, big, 4);
	is_str(buf_cstr(&b),
	    "{\"i\":\"18446744073709551615\",\"s\":\"\",\"n\":"
	    "-9223372036854775808,\"d\":0.1}",
	    "unsigned past int64 stays a string");
	row(&b, c, edge, 4);
	is_str(buf_cstr(&b),
	    "{\"i\":9223372036854775807,\"s\":\"0\",\"n\":"
	    "\"9223372036854775808\",\"d\":2}",
	    "int64 edges; a whole double prints as json_encode does");
	buf_free(&b);
}

static void
split(void)
{
	char s1[] = "  /bin/x  reload\t-v ", s2[] = "", s3[] = "a b c d";
	char *argv[4];

	is_int(cmdline_split(s1, argv, 4), 3, "three words");
	is_str(argv[0], "/bin/x", "argv[0]");
	is_str(argv[2], "-v", "argv[2]");
	ok(argv[3] == NULL, "NULL-terminated");
	is_int(cmdline_split(s2, argv, 4), 0, "empty: no words");
	is_int(cmdline_split(s3, argv, 4), -1, "too many words");
}

static void
spawn(void)
{
	char p_true[] = "/bin/true", p_false[] = "/bin/false",
	     p_missing[] = "/nonexistent/pbxapi-reload",
	     p_sleep[] = "/bin/sleep", a_5[] = "5", p_sh[] = "/bin/sh",
	     a_c[] = "-c", a_fd[] = "test ! -e /proc/self/fd/7";
	char *t[] = { p_true, NULL }, *f[] = { p_false, NULL };
	char *missing[] = { p_missing, NULL }, *slow[] = { p_sleep, a_5, NULL };
	char *fds[] = { p_sh, a_c, a_fd, NULL };
	int st = -1, fd;

	is_int(spawn_wait(t, 5000, &st), 0, "true runs");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "true exits 0");
	is_int(spawn_wait(f, 5000, &st), 0, "false runs");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 1, "false exits 1");
	is_int(spawn_wait(missing, 5000, &st), -1, "missing program: -1");
	is_int(errno, ENOENT, "ENOENT");
	is_int(spawn_wait(slow, 100, &st), -2, "timeout: -2");
	fd = open("/dev/null", O_RDONLY);
	if (fd != -1 && fd != 7) {
		dup2(fd, 7);
		close(fd);
	}
	is_int(spawn_wait(fds, 5000, &st), 0, "sh runs");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "no descriptor past stderr inherited");
	close(7);
}

int
main(void)
{
	sqlstates();
	msg_errno();
	stmt_msgs();
	connect_msgs();
	typing();
	split();
	spawn();
	return done_testing();
}
