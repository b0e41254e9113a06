/*
 * The websocket client (drivers/ws.c) against a scripted server on
 * loopback, in a thread: the handshake (the Accept check, Basic auth, a
 * refusal, no reply), messages under a deadline (a partial message kept
 * across a timeout), ping and pong, close both ways, the ceiling, a
 * refused port, and TLS with certificates made here (verified; refused
 * for another CA and for a name the certificate lacks).  The framing
 * alone is t_ws_frame.c.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "netio.h"
#include "tap.h"
#include "testlib.h"
#include "ws.h"

/* ---- against a scripted server ---- */

struct peer {
	int fd;
	SSL *ssl;
};

struct srv {
	int lfd;
	char port[16];
	void (*script)(struct srv *, struct peer *);
	char head[4096]; /* the request head the client sent */
	SSL_CTX *tls;
	pthread_t th;
	int result; /* the script's own checks: 0 all good */
};

static ssize_t
p_read(struct peer *p, void *b, size_t n)
{
	return p->ssl ? SSL_read(p->ssl, b, (int)n) : read(p->fd, b, n);
}

static void
p_write(struct peer *p, const void *b, size_t n)
{
	if (p->ssl)
		SSL_write(p->ssl, b, (int)n);
	else if (write(p->fd, b, n) != (ssize_t)n)
		return;
}

/* Reads the request head; returns its key or "". */
static const char *
read_head(struct srv *s, struct peer *p, char *key)
{
	size_t n = 0;
	ssize_t r;
	const char *k;

	while (n < sizeof(s->head) - 1 && strstr(s->head, "\r\n\r\n") == NULL) {
		if ((r = p_read(p, s->head + n, 1)) <= 0)
			break;
		n += (size_t)r;
		s->head[n] = '\0';
	}
	key[0] = '\0';
	if ((k = strstr(s->head, "Sec-WebSocket-Key: ")) != NULL)
		sscanf(k + 19, "%24s", key);
	return key;
}

static void
say_101(struct srv *s, struct peer *p)
{
	char key[64], acc[29], r[256];

	read_head(s, p, key);
	ws_accept_of(key, acc);
	snprintf(r, sizeof(r),
	    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
	    acc);
	p_write(p, r, strlen(r));
}

static void
send_frame(struct peer *p, int fin, int op, const char *d, size_t n)
{
	uint8_t b[70000];
	size_t len = 0;

	tl_ws_frame(b, &len, fin, op, d, n, NULL);
	p_write(p, b, len);
}

/* Reads one client frame: its opcode and unmasked payload; -1 if it was
 * not masked or the connection ended. */
static int
read_frame(struct peer *p, char *out, size_t *n)
{
	uint8_t h[2], mask[4];
	size_t len, i;

	if (p_read(p, h, 2) != 2 || !(h[1] & 0x80))
		return -1;
	len = h[1] & 0x7F;
	if (len >= 126 || p_read(p, mask, 4) != 4)
		return -1;
	for (i = 0; i < len; i++)
		if (p_read(p, out + i, 1) != 1)
			return -1;
	for (i = 0; i < len; i++)
		out[i] ^= (char)mask[i & 3];
	*n = len;
	return h[0] & 0x0F;
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	struct peer p = { .fd = accept(s->lfd, NULL, NULL) };

	if (p.fd == -1)
		return NULL;
	if (s->tls != NULL) {
		p.ssl = SSL_new(s->tls);
		SSL_set_fd(p.ssl, p.fd);
		if (SSL_accept(p.ssl) != 1) {
			SSL_free(p.ssl);
			close(p.fd);
			return NULL;
		}
	}
	s->script(s, &p);
	if (p.ssl != NULL) {
		SSL_shutdown(p.ssl);
		SSL_free(p.ssl);
	}
	close(p.fd);
	return NULL;
}

static void
srv_start(struct srv *s, void (*script)(struct srv *, struct peer *))
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);

	s->script = script;
	s->head[0] = '\0';
	s->result = 0;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->lfd == -1 || bind(s->lfd, (void *)&sin, sizeof(sin)) == -1 ||
	    listen(s->lfd, 4) == -1 ||
	    getsockname(s->lfd, (void *)&sin, &sl) == -1) {
		printf("Bail out! cannot listen: %s\n", strerror(errno));
		exit(255);
	}
	snprintf(s->port, sizeof(s->port), "%d", ntohs(sin.sin_port));
	pthread_create(&s->th, NULL, srv_main, s);
}

static void
srv_end(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static struct ws_conf
conf_of(struct srv *s)
{
	return (struct ws_conf){ .host = "127.0.0.1",
		.port = s->port,
		.path = "/ari/events?app=pbxapi&subscribeAll=true",
		.user = "ari_user",
		.secret = "ari_password",
		.timeout_ms = 2000 };
}

/* Talks: text, ping (the pong checked), a message split over a timeout
 * finished once the client says "go", a close from the client. */
static void
script_talk(struct srv *s, struct peer *p)
{
	char b[256];
	size_t n = 0;

	say_101(s, p);
	send_frame(p, 1, WS_TEXT, "{\"type\":\"x\"}", 12);
	send_frame(p, 1, WS_PING, "beat", 4);
	if (read_frame(p, b, &n) != WS_PONG || n != 4 || memcmp(b, "beat", 4))
		s->result |= 1;
	send_frame(p, 0, WS_TEXT, "par", 3);
	if (read_frame(p, b, &n) != WS_TEXT || n != 2 || memcmp(b, "go", 2))
		s->result |= 2;
	send_frame(p, 1, WS_CONT, "tial", 4);
	if (read_frame(p, b, &n) != WS_CLOSE || n != 2 || b[0] != 0x03 ||
	    (uint8_t)b[1] != 0xe8)
		s->result |= 4;
}

static void
talk(void)
{
	struct srv s = { 0 };
	struct ws_conf cf;
	struct ws *w = NULL;
	struct ws_msg m;
	char err[256];
	uint64_t t0;

	srv_start(&s, script_talk);
	cf = conf_of(&s);
	is_int(ws_connect(&cf, &w, err, sizeof(err)), E_OK, "connect");
	ok(strstr(s.head,
	       "GET /ari/events?app=pbxapi&subscribeAll=true "
	       "HTTP/1.1\r\n") == s.head,
	    "request line");
	ok(strstr(s.head,
	       "\r\nAuthorization: Basic "
	       "YXJpX3VzZXI6YXJpX3Bhc3N3b3Jk\r\n") != NULL,
	    "Basic auth header (the capture's)");
	ok(strstr(s.head, "\r\nHost: 127.0.0.1:") != NULL &&
		strstr(s.head, "\r\nSec-WebSocket-Version: 13\r\n") != NULL &&
		strstr(s.head, "\r\nUpgrade: websocket\r\n") != NULL,
	    "Host, Upgrade, version");
	is_int(ws_read(w, net_deadline(2000), &m, err, sizeof(err)), E_OK,
	    "read a text message");
	is_mem(m.data, m.len, "{\"type\":\"x\"}", "its bytes");
	t0 = net_deadline(0);
	is_int(ws_read(w, net_deadline(300), &m, err, sizeof(err)), E_TIMEOUT,
	    "ping answered, half a message, then the deadline");
	ok(net_deadline(0) - t0 >= 290 && net_deadline(0) - t0 < 1500,
	    "the deadline held");
	is_int(
	    ws_send(w, WS_TEXT, "go", 2, net_deadline(1000), err, sizeof(err)),
	    E_OK, "send text");
	is_int(ws_read(w, net_deadline(2000), &m, err, sizeof(err)), E_OK,
	    "the message, finished after the timeout");
	is_mem(m.data, m.len, "partial", "joined across the timeout");
	ok(ws_idle_ms(w) < 1000, "idle since the last bytes");
	ws_close(w);
	srv_end(&s);
	is_int(
	    s.result, 0, "server saw the pong, the masked text, a close 1000");
}

static void
script_close(struct srv *s, struct peer *p)
{
	char b[256];
	size_t n;

	say_101(s, p);
	send_frame(p, 1, WS_CLOSE, "\x03\xe9shutting down", 15);
	if (read_frame(p, b, &n) != WS_CLOSE)
		s->result = 1;
}

static void
script_eof(struct srv *s, struct peer *p)
{
	say_101(s, p);
	send_frame(p, 1, WS_TEXT, "last", 4);
}

static void
script_big(struct srv *s, struct peer *p)
{
	char b[256];
	size_t n;

	say_101(s, p);
	send_frame(p, 1, WS_TEXT, "0123456789abcdef", 16);
	if (read_frame(p, b, &n) != WS_CLOSE || n < 2 || b[0] != 0x03 ||
	    (uint8_t)b[1] != 0xf1)
		s->result = 1;
}

static void
script_401(struct srv *s, struct peer *p)
{
	char key[64];
	static const char r[] = "HTTP/1.1 401 Unauthorized\r\n"
				"WWW-Authenticate: Basic realm=\"Asterisk "
				"REST Interface\"\r\nContent-Length: 0\r\n\r\n";

	read_head(s, p, key);
	p_write(p, r, strlen(r));
}

static void
script_badaccept(struct srv *s, struct peer *p)
{
	char key[64];
	static const char r[] = "HTTP/1.1 101 Switching Protocols\r\n"
				"Upgrade: websocket\r\nConnection: Upgrade\r\n"
				"Sec-WebSocket-Accept: AAAA\r\n\r\n";

	read_head(s, p, key);
	p_write(p, r, strlen(r));
}

static void
script_silent(struct srv *s, struct peer *p)
{
	char key[64], b[1];

	read_head(s, p, key);
	(void)p_read(p, b, 1); /* until the client gives up */
}

static enum err
run_once(void (*script)(struct srv *, struct peer *), size_t max, enum err *rd,
    char *err, size_t errlen, int *result)
{
	struct srv s = { 0 };
	struct ws_conf cf;
	struct ws *w = NULL;
	struct ws_msg m;
	enum err rc;

	srv_start(&s, script);
	cf = conf_of(&s);
	cf.max = max;
	cf.timeout_ms = 500;
	rc = ws_connect(&cf, &w, err, errlen);
	*rd = E_OK;
	while (rc == E_OK && *rd == E_OK)
		*rd = ws_read(w, net_deadline(2000), &m, err, errlen);
	ws_close(w);
	srv_end(&s);
	*result = s.result;
	return rc;
}

static void
ends(void)
{
	char err[256];
	enum err rd;
	int res;

	is_int(run_once(script_close, 0, &rd, err, sizeof(err), &res), E_OK,
	    "close: connected");
	is_int(rd, E_BACKEND, "server's close: E_BACKEND");
	is_str(err, "websocket closed by the server (code 1001: shutting down)",
	    "with its code and reason");
	is_int(res, 0, "the close answered");

	run_once(script_eof, 0, &rd, err, sizeof(err), &res);
	is_int(rd, E_BACKEND, "end of stream: E_BACKEND");
	ok(strstr(err, "without a close frame") != NULL, "%s", err);

	run_once(script_big, 10, &rd, err, sizeof(err), &res);
	is_int(rd, E_TOOLARGE, "over the ceiling: E_TOOLARGE");
	ok(strstr(err, "size limit") != NULL, "%s", err);
	is_int(res, 0, "close 1009 sent");

	is_int(run_once(script_401, 0, &rd, err, sizeof(err), &res), E_BACKEND,
	    "401: E_BACKEND");
	is_str(err, "websocket handshake refused: HTTP/1.1 401 Unauthorized",
	    "the status line said");
	is_int(run_once(script_badaccept, 0, &rd, err, sizeof(err), &res),
	    E_PROTO, "wrong Accept: E_PROTO");
	ok(strstr(err, "Sec-WebSocket-Accept") != NULL, "%s", err);
	is_int(run_once(script_silent, 0, &rd, err, sizeof(err), &res),
	    E_TIMEOUT, "no handshake reply: E_TIMEOUT");
}

static void
refused_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct ws_conf cf = {
		.host = "127.0.0.1", .path = "/", .timeout_ms = 1000
	};
	struct ws *w = NULL;
	char port[16], err[256];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (void *)&sin, sizeof(sin));
	getsockname(fd, (void *)&sin, &sl);
	snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	close(fd); /* bound once, listened never: refused */
	cf.port = port;
	is_int(ws_connect(&cf, &w, err, sizeof(err)), E_BACKEND,
	    "refused: E_BACKEND");
	ok(strstr(err, "Connection refused") != NULL, "%s", err);
	ok(w == NULL, "no connection");
}

/* ---- TLS ---- */

/* A self-signed certificate for 127.0.0.1 and its key, in PEM files. */
static int
make_cert(const char *crt, const char *keyf, EVP_PKEY **key, X509 **x)
{
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	FILE *fp;

	*key = EVP_RSA_gen(2048);
	*x = X509_new();
	if (*key == NULL || *x == NULL)
		return -1;
	ASN1_INTEGER_set(X509_get_serialNumber(*x), 1);
	X509_gmtime_adj(X509_getm_notBefore(*x), -60);
	X509_gmtime_adj(X509_getm_notAfter(*x), 3600);
	X509_set_pubkey(*x, *key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(*x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"t_ws", -1, -1, 0);
	X509_set_issuer_name(*x, X509_get_subject_name(*x));
	X509V3_set_ctx(&v3, *x, *x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(
	    NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
	if (ext == NULL || X509_add_ext(*x, ext, -1) != 1)
		return -1;
	X509_EXTENSION_free(ext);
	if (X509_sign(*x, *key, EVP_sha256()) == 0)
		return -1;
	if ((fp = fopen(crt, "w")) == NULL)
		return -1;
	PEM_write_X509(fp, *x);
	fclose(fp);
	if ((fp = fopen(keyf, "w")) == NULL)
		return -1;
	PEM_write_PrivateKey(fp, *key, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	return 0;
}

static void
script_tls(struct srv *s, struct peer *p)
{
	say_101(s, p);
	send_frame(p, 1, WS_TEXT, "secret", 6);
	send_frame(p, 1, WS_CLOSE, "\x03\xe8", 2);
}

static void
tls(void)
{
	const char *crt = tl_path("cert.pem"), *keyf = tl_path("key.pem");
	const char *other = tl_path("other.pem"), *okey = tl_path("okey.pem");
	struct srv s = { 0 };
	struct ws_conf cf;
	struct ws *w = NULL;
	struct ws_msg m;
	EVP_PKEY *key, *k2;
	X509 *x, *x2;
	char err[256];

	if (make_cert(crt, keyf, &key, &x) == -1 ||
	    make_cert(other, okey, &k2, &x2) == -1) {
		skip("cannot make a certificate", "TLS");
		return;
	}
	s.tls = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(s.tls, x);
	SSL_CTX_use_PrivateKey(s.tls, key);
	srv_start(&s, script_tls);
	cf = conf_of(&s);
	cf.tls = 1;
	cf.cafile = crt;
	is_int(ws_connect(&cf, &w, err, sizeof(err)), E_OK, "wss: connect");
	is_int(ws_read(w, net_deadline(2000), &m, err, sizeof(err)), E_OK,
	    "wss: read");
	is_mem(m.data, m.len, "secret", "wss: the message");
	is_int(ws_read(w, net_deadline(2000), &m, err, sizeof(err)), E_BACKEND,
	    "wss: closed");
	ws_close(w);
	srv_end(&s);

	srv_start(&s, script_tls);
	cf = conf_of(&s);
	cf.tls = 1;
	cf.cafile = other;
	is_int(ws_connect(&cf, &w, err, sizeof(err)), E_BACKEND,
	    "wss: a certificate of another CA refused");
	ok(strstr(err, "certificate verify failed") != NULL, "%s", err);
	srv_end(&s);

	srv_start(&s, script_tls);
	cf = conf_of(&s);
	cf.tls = 1;
	cf.cafile = crt;
	cf.host = "localhost"; /* the certificate names 127.0.0.1 only */
	is_int(ws_connect(&cf, &w, err, sizeof(err)), E_BACKEND,
	    "wss: a name the certificate does not hold refused");
	ok(strstr(err, "certificate verify failed") != NULL, "%s", err);
	srv_end(&s);
	SSL_CTX_free(s.tls);
	EVP_PKEY_free(key);
	EVP_PKEY_free(k2);
	X509_free(x);
	X509_free(x2);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	tl_tmpdir("t_ws");
	talk();
	ends();
	refused_port();
	tls();
	tl_rmtmp();
	return done_testing();
}
