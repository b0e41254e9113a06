/*
 * Websocket client: connection, TLS, opening handshake, messages under
 * deadlines (see ws.h; the framing is ws_frame.c).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "digest.h"
#include "netio.h"
#include "ws.h"

#define WS_GUID	       "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_REPLY_MAX   8192 /* the handshake reply's head */
#define WS_CLOSE_WAIT  1000 /* ms ws_close() spends on its close frame */
#define WS_REQUEST_MAX 8192 /* the handshake request */
#define WS_KEEPIDLE    15   /* s: TCP keepalive: quiet before probes */
#define WS_KEEPINTVL   5    /* s: between probes */
#define WS_KEEPCNT     3    /* probes unanswered: the peer is gone */

struct ws {
	int fd;
	SSL_CTX *ctx; /* TLS, or NULL */
	SSL *ssl;
	struct ws_rx rx;
	int broken;	  /* the connection is no longer usable */
	uint64_t last_rx; /* when bytes last came (monotonic ms) */
};

/*
 * Waits for what an SSL call that returned r asks for.  Returns 0 to
 * call again, or -1 with errno (EPROTO for a TLS failure).
 */
static int
tls_wait(struct ws *w, int r, uint64_t deadline)
{
	switch (SSL_get_error(w->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		return net_wait(w->fd, POLLIN, deadline);
	case SSL_ERROR_WANT_WRITE:
		return net_wait(w->fd, POLLOUT, deadline);
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = ECONNRESET;
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* Reads at most n bytes: count, 0 at end of stream, -1/errno. */
static ssize_t
io_read(struct ws *w, void *p, size_t n, uint64_t deadline)
{
	int r;

	if (w->ssl == NULL)
		return net_read(w->fd, p, n, deadline);
	for (;;) {
		r = SSL_read(w->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
		if (r > 0)
			return r;
		if (SSL_get_error(w->ssl, r) == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (tls_wait(w, r, deadline) == -1)
			return -1;
	}
}

/* Writes all n bytes.  Returns 0 or -1/errno. */
static int
io_write(struct ws *w, const void *p, size_t n, uint64_t deadline)
{
	const char *s = p;
	int r;

	if (w->ssl == NULL)
		return net_write(w->fd, p, n, deadline);
	while (n > 0) {
		r = SSL_write(w->ssl, s, n > INT32_MAX ? INT32_MAX : (int)n);
		if (r > 0) {
			s += r;
			n -= (size_t)r;
			continue;
		}
		if (tls_wait(w, r, deadline) == -1)
			return -1;
	}
	return 0;
}

/* The last TLS error as text: the verification's if it failed. */
static void
tls_error(struct ws *w, char *errbuf, size_t errlen)
{
	char why[256];
	long v = w->ssl != NULL ? SSL_get_verify_result(w->ssl) : X509_V_OK;
	unsigned long e = ERR_get_error();

	if (v != X509_V_OK)
		snprintf(why, sizeof(why), "certificate verify failed: %s",
		    X509_verify_cert_error_string(v));
	else if (e != 0)
		ERR_error_string_n(e, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s",
		    errno == ETIMEDOUT ? "timed out" : strerror(errno));
	ERR_clear_error();
	snprintf(errbuf, errlen, "TLS handshake failed: %s", why);
}

/* Sets up TLS on w->fd for host: verified against cafile or the
 * system's store, the name (or address) checked, SNI sent. */
static int
tls_setup(struct ws *w, const struct ws_conf *cf)
{
	unsigned char addr[16];
	int fl, ip;

	ip = inet_pton(AF_INET, cf->host, addr) == 1 ||
	    inet_pton(AF_INET6, cf->host, addr) == 1;
	if ((w->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	SSL_CTX_set_min_proto_version(w->ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER, NULL);
	if (cf->cafile != NULL && cf->cafile[0] != '\0') {
		if (SSL_CTX_load_verify_locations(w->ctx, cf->cafile, NULL) !=
		    1)
			return -1;
	} else if (SSL_CTX_set_default_verify_paths(w->ctx) != 1)
		return -1;
	if ((w->ssl = SSL_new(w->ctx)) == NULL ||
	    SSL_set_fd(w->ssl, w->fd) != 1)
		return -1;
	if (ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(
			SSL_get0_param(w->ssl), cf->host) != 1)
			return -1;
	} else if (SSL_set_tlsext_host_name(w->ssl, cf->host) != 1 ||
	    SSL_set1_host(w->ssl, cf->host) != 1)
		return -1;
	fl = fcntl(w->fd, F_GETFL);
	if (fl == -1 || fcntl(w->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

static enum err
tls_start(struct ws *w, const struct ws_conf *cf, uint64_t deadline,
    char *errbuf, size_t errlen)
{
	int r;

	errno = 0;
	if (tls_setup(w, cf) == -1) {
		tls_error(w, errbuf, errlen);
		return E_BACKEND;
	}
	while ((r = SSL_connect(w->ssl)) != 1) {
		errno = 0;
		if (tls_wait(w, r, deadline) == -1) {
			tls_error(w, errbuf, errlen);
			return errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;
		}
	}
	return E_OK;
}

/*
 * A websocket lives long and may be quiet for hours: TCP keepalive finds
 * a peer that vanished without a word (about 30 s), as a read error.
 */
static void
keepalive_on(int fd)
{
	int on = 1, idle = WS_KEEPIDLE, intvl = WS_KEEPINTVL, cnt = WS_KEEPCNT;

	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

void
ws_accept_of(const char *key, char out[29])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char in[128];
	int n;

	n = snprintf(in, sizeof(in), "%s%s", key, WS_GUID);
	if (n < 0 || (size_t)n >= sizeof(in))
		n = 0;
	EVP_Digest(in, (size_t)n, md, &mdlen, EVP_sha1(), NULL);
	EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
}

/* Appends "Authorization: Basic <user:secret in base64>\r\n" to b. */
static void
basic_auth(struct buf *b, const char *user, const char *secret)
{
	size_t ul = strlen(user), sl = strlen(secret), n = ul + 1 + sl;
	unsigned char *cred, *b64;

	if ((cred = malloc(n)) == NULL ||
	    (b64 = malloc(4 * (n / 3 + 1) + 1)) == NULL)
		abort();
	memcpy(cred, user, ul);
	cred[ul] = ':';
	memcpy(cred + ul + 1, secret, sl);
	EVP_EncodeBlock(b64, cred, (int)n);
	buf_printf(b, "Authorization: Basic %s\r\n", (char *)b64);
	explicit_bzero(cred, n);
	explicit_bzero(b64, strlen((char *)b64));
	free(cred);
	free(b64);
}

/*
 * Writes the opening handshake's request (key: 24 base64 characters) to
 * b.  Returns 0, or -1 if it passes the buffer's ceiling.
 */
static int
handshake_request(const struct ws_conf *cf, const char *key, struct buf *b)
{
	int v6 = strchr(cf->host, ':') != NULL;

	buf_printf(b, "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\n", cf->path,
	    v6 ? "[" : "", cf->host, v6 ? "]" : "", cf->port);
	buf_printf(b,
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
	    key);
	if (cf->user != NULL)
		basic_auth(b, cf->user, cf->secret != NULL ? cf->secret : "");
	buf_adds(b, "\r\n");
	return b->overflow ? -1 : 0;
}

/* Returns the value of header name in the reply head h (NUL-ended
 * lines), or NULL. */
static const char *
header(const char *h, size_t n, const char *name, char *val, size_t vlen)
{
	size_t nl = strlen(name);
	const char *p = h, *e = h + n, *eol, *v;

	while (p < e && (eol = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			v = p + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			n = (size_t)(eol - v);
			while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' '))
				n--;
			n = n < vlen ? n : vlen - 1;
			memcpy(val, v, n);
			val[n] = '\0';
			return val;
		}
		p = eol + 1;
	}
	return NULL;
}

/* Checks the reply head (n bytes at h) against the key sent. */
static enum err
check_reply(
    const char *h, size_t n, const char *key, char *errbuf, size_t errlen)
{
	char want[29], val[256];
	size_t sl = strcspn(h, "\r\n");

	if (sl < 12 || strncmp(h, "HTTP/1.1 101", 12) != 0) {
		sl = sl < sizeof(val) ? sl : sizeof(val) - 1;
		memcpy(val, h, sl);
		val[sl] = '\0';
		snprintf(
		    errbuf, errlen, "websocket handshake refused: %s", val);
		return strncmp(h, "HTTP/", 5) == 0 ? E_BACKEND : E_PROTO;
	}
	if (header(h, n, "Upgrade", val, sizeof(val)) == NULL ||
	    strcasecmp(val, "websocket") != 0) {
		snprintf(errbuf, errlen,
		    "websocket handshake: no Upgrade: "
		    "websocket in the reply");
		return E_PROTO;
	}
	if (header(h, n, "Connection", val, sizeof(val)) == NULL ||
	    strcasestr(val, "upgrade") == NULL) {
		snprintf(errbuf, errlen,
		    "websocket handshake: no Connection: "
		    "Upgrade in the reply");
		return E_PROTO;
	}
	ws_accept_of(key, want);
	if (header(h, n, "Sec-WebSocket-Accept", val, sizeof(val)) == NULL ||
	    strcmp(val, want) != 0) {
		snprintf(errbuf, errlen,
		    "websocket handshake: wrong "
		    "Sec-WebSocket-Accept");
		return E_PROTO;
	}
	return E_OK;
}

/*
 * Reads the reply's head into the receiver (what follows it stays there
 * as the first frames) and checks it.
 */
static enum err
read_reply(struct ws *w, const char *key, uint64_t deadline, char *errbuf,
    size_t errlen)
{
	const char *end = NULL;
	uint8_t *p;
	size_t room;
	ssize_t r;

	while (end == NULL) {
		if (w->rx.len >= WS_REPLY_MAX) {
			snprintf(errbuf, errlen,
			    "websocket handshake: reply "
			    "head over %d bytes",
			    WS_REPLY_MAX);
			return E_PROTO;
		}
		p = ws_rx_space(&w->rx, &room);
		if (room == 0) {
			snprintf(errbuf, errlen,
			    "websocket handshake: reply "
			    "head too long");
			return E_PROTO;
		}
		if ((r = io_read(w, p, room, deadline)) <= 0) {
			snprintf(errbuf, errlen, "websocket handshake: %s",
			    r == 0		     ? "connection closed"
				: errno == ETIMEDOUT ? "no reply in time"
						     : strerror(errno));
			return r == -1 && errno == ETIMEDOUT ? E_TIMEOUT
							     : E_BACKEND;
		}
		ws_rx_wrote(&w->rx, (size_t)r);
		end = memmem(w->rx.in, w->rx.len, "\r\n\r\n", 4);
	}
	w->rx.off = (size_t)(end - (const char *)w->rx.in) + 4;
	/* A NUL after the head for the string functions: overwrite the
	 * final LF's successor only within the head itself. */
	w->rx.in[w->rx.off - 1] = '\0';
	return check_reply(
	    (const char *)w->rx.in, w->rx.off - 1, key, errbuf, errlen);
}

static enum err
handshake(struct ws *w, const struct ws_conf *cf, uint64_t deadline,
    char *errbuf, size_t errlen)
{
	unsigned char raw[16];
	char key[25];
	struct buf req;
	int rc;

	random_bytes(raw, sizeof(raw));
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	buf_init(&req, WS_REQUEST_MAX);
	if (handshake_request(cf, key, &req) == -1) {
		buf_free(&req);
		snprintf(errbuf, errlen,
		    "websocket handshake: request over "
		    "%d bytes",
		    WS_REQUEST_MAX);
		return E_BADREQ;
	}
	rc = io_write(w, req.data, req.len, deadline);
	explicit_bzero(req.data, req.len);
	buf_free(&req);
	if (rc == -1) {
		snprintf(
		    errbuf, errlen, "websocket handshake: %s", strerror(errno));
		return errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;
	}
	return read_reply(w, key, deadline, errbuf, errlen);
}

enum err
ws_connect(
    const struct ws_conf *cf, struct ws **out, char *errbuf, size_t errlen)
{
	uint64_t deadline = net_deadline(cf->timeout_ms);
	char why[256];
	struct ws *w;
	enum err rc;

	*out = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		abort();
	ws_rx_init(&w->rx, cf->max);
	w->fd = net_connect(cf->host, cf->port, deadline, why, sizeof(why));
	if (w->fd == -1) {
		rc = errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;
		snprintf(errbuf, errlen, "cannot connect to '%s:%s': %s",
		    cf->host, cf->port, why);
		w->broken = 1;
		ws_close(w);
		return rc;
	}
	if (cf->host[0] != '/')
		keepalive_on(w->fd);
	rc = cf->tls ? tls_start(w, cf, deadline, errbuf, errlen) : E_OK;
	if (rc == E_OK)
		rc = handshake(w, cf, deadline, errbuf, errlen);
	if (rc != E_OK) {
		w->broken = 1;
		ws_close(w);
		return rc;
	}
	w->last_rx = net_deadline(0);
	*out = w;
	return E_OK;
}

long
ws_idle_ms(const struct ws *w)
{
	return (long)(net_deadline(0) - w->last_rx);
}

/* Sends one frame; see ws_send. */
static int
send_frame(
    struct ws *w, enum ws_op op, const void *p, size_t n, uint64_t deadline)
{
	uint8_t mask[4], small[WS_CONTROL_MAX + WS_HEAD_MAX], *f = small;
	size_t len;
	int rc;

	if (n > WS_CONTROL_MAX && (f = malloc(n + WS_HEAD_MAX)) == NULL)
		abort();
	random_bytes(mask, sizeof(mask));
	len = ws_frame_build(op, p, n, mask, f);
	rc = io_write(w, f, len, deadline);
	if (f != small)
		free(f);
	if (rc == -1)
		w->broken = 1;
	return rc;
}

enum err
ws_send(struct ws *w, enum ws_op op, const void *p, size_t n, uint64_t deadline,
    char *errbuf, size_t errlen)
{
	if (w->broken) {
		snprintf(errbuf, errlen, "websocket connection is closed");
		return E_BACKEND;
	}
	if (n > w->rx.max || ((op & 0x8) && n > WS_CONTROL_MAX)) {
		snprintf(errbuf, errlen,
		    "websocket frame of %zu bytes too "
		    "large to send",
		    n);
		return E_TOOLARGE;
	}
	if (send_frame(w, op, p, n, deadline) == -1) {
		snprintf(errbuf, errlen, "websocket write failed: %s",
		    strerror(errno));
		return errno == ETIMEDOUT ? E_TIMEOUT : E_BACKEND;
	}
	return E_OK;
}

/* Sends a close frame with code and reason, once; the connection is
 * done with afterwards. */
static void
send_close(struct ws *w, int code, const char *reason)
{
	uint8_t p[WS_CONTROL_MAX];
	size_t n = 0;

	if (w->broken)
		return;
	if (code != 1005) {
		p[0] = (uint8_t)(code >> 8);
		p[1] = (uint8_t)code;
		n = strlen(reason);
		n = n > WS_CONTROL_MAX - 2 ? WS_CONTROL_MAX - 2 : n;
		memcpy(p + 2, reason, n);
		n += 2;
	}
	send_frame(w, WS_CLOSE, p, n, net_deadline(WS_CLOSE_WAIT));
	w->broken = 1;
}

/* The peer's close frame: answered, and said in errbuf. */
static enum err
closed_by_peer(
    struct ws *w, const struct ws_msg *m, char *errbuf, size_t errlen)
{
	char why[WS_CONTROL_MAX];
	const char *reason;
	size_t rlen;
	int code = ws_close_code(m->data, m->len, &reason, &rlen);

	memcpy(why, reason, rlen); /* a control frame: at most 123 bytes */
	why[rlen] = '\0';
	snprintf(errbuf, errlen, "websocket closed by the server (code %d%s%s)",
	    code, rlen > 0 ? ": " : "", why);
	send_close(w, code == 1005 ? 1005 : 1000, "");
	return E_BACKEND;
}

/* Reads more bytes into the receiver.  Returns E_OK or the error. */
static enum err
fill(struct ws *w, uint64_t deadline, char *errbuf, size_t errlen)
{
	uint8_t *p;
	size_t room;
	ssize_t r;

	p = ws_rx_space(&w->rx, &room);
	r = io_read(w, p, room, deadline);
	if (r > 0) {
		ws_rx_wrote(&w->rx, (size_t)r);
		w->last_rx = net_deadline(0);
		return E_OK;
	}
	if (r == -1 && errno == ETIMEDOUT)
		return E_TIMEOUT;
	w->broken = 1;
	if (r == 0)
		snprintf(errbuf, errlen,
		    "websocket connection closed by the "
		    "server without a close frame");
	else
		snprintf(errbuf, errlen, "websocket read failed: %s",
		    strerror(errno));
	return E_BACKEND;
}

enum err
ws_read(struct ws *w, uint64_t deadline, struct ws_msg *m, char *errbuf,
    size_t errlen)
{
	enum ws_rx_rc rc;
	enum err e;

	if (w->broken) {
		snprintf(errbuf, errlen, "websocket connection is closed");
		return E_BACKEND;
	}
	for (;;) {
		rc = ws_rx_next(&w->rx, m);
		if (rc == WS_RX_ERR) {
			snprintf(errbuf, errlen, "websocket protocol error: %s",
			    w->rx.err);
			send_close(w, w->rx.code, w->rx.err);
			return w->rx.code == 1009 ? E_TOOLARGE : E_PROTO;
		}
		if (rc == WS_RX_MORE) {
			if ((e = fill(w, deadline, errbuf, errlen)) != E_OK)
				return e;
			continue;
		}
		if (m->op == WS_TEXT || m->op == WS_BINARY)
			return E_OK;
		if (m->op == WS_CLOSE)
			return closed_by_peer(w, m, errbuf, errlen);
		if (m->op == WS_PING &&
		    send_frame(w, WS_PONG, m->data, m->len, deadline) == -1) {
			snprintf(errbuf, errlen, "websocket pong failed: %s",
			    strerror(errno));
			return E_BACKEND;
		}
	}
}

void
ws_close(struct ws *w)
{
	if (w == NULL)
		return;
	send_close(w, 1000, "");
	if (w->ssl != NULL)
		SSL_free(w->ssl);
	if (w->ctx != NULL)
		SSL_CTX_free(w->ctx);
	if (w->fd != -1)
		close(w->fd);
	ws_rx_free(&w->rx);
	free(w);
}
