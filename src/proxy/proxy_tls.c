/*
 * TLS for the proxies: SSL_CTXs built from PEM text in memory, the peer's
 * SPIFFE id from its URI SAN, and a non-blocking handshake driven by the
 * event loop.
 *
 * OpenSSL reports errors through a per-thread queue that SSL_get_error()
 * also consults, so every operation here starts and ends with an empty
 * queue: a stale entry left by one connection would otherwise turn the
 * next connection's harmless WANT_READ into a fatal error.
 */
#include <sys/epoll.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "event.h"
#include "proxy_tls.h"
#include "tls_resume.h"

struct tls_hs {
	struct ev_loop	*loop;
	SSL		*ssl;
	int		 fd;
	/* set before the callback runs: the finishing path owns hs */
	int		 done;
	struct ev_io	 io;
	struct ev_timer	 timer;
	tls_hs_cb	 cb;
	void		*arg;
	char		 err[192];
};

static void	 tls_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static const char *tls_reason(void);
static int	 tls_nopass(char *, int, int, void *);
static int	 tls_pem_eof(void);
static int	 tls_load_cert(SSL_CTX *, const char *, char *, size_t);
static int	 tls_load_key(SSL_CTX *, const char *, char *, size_t);
static int	 tls_load_roots(SSL_CTX *, const char *, char *, size_t);
static SSL_CTX	*tls_ctx_new(int, const char *, const char *,
		    const char *, const char *, uint64_t, char *, size_t);
static X509	*tls_peer_cert(SSL *);
static void	 tls_hs_io(int, uint32_t, void *);
static void	 tls_hs_timeout(void *);
static void	 tls_hs_step(struct tls_hs *);
static void	 tls_hs_fail(struct tls_hs *, int, int);
static void	 tls_hs_finish(struct tls_hs *, int);

/*
 * The reason of the oldest queued error: the first failure is the cause,
 * later entries are callers giving up because of it.
 */
int
tls_init(char *err, size_t errlen)
{
	if (OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1) {
		tls_err(err, errlen, "OpenSSL start-up");
		return -1;
	}
	if (RAND_status() != 1) {
		tls_err(err, errlen, "OpenSSL random generator");
		return -1;
	}
	return 0;
}

static const char *
tls_reason(void)
{
	static char	 buf[64];
	unsigned long	 e;
	const char	*s;

	if ((e = ERR_peek_error()) == 0)
		return "unknown error";
	if ((s = ERR_reason_error_string(e)) != NULL)
		return s;
	snprintf(buf, sizeof(buf), "error %08lx", e);
	return buf;
}

/* err = "<what>: <OpenSSL reason>", then an empty queue. */
static void
tls_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;
	char	 what[64];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", what, tls_reason());
	ERR_clear_error();
}

/*
 * Keys arrive unencrypted over the channel.  Without a callback OpenSSL
 * would prompt on the terminal for an encrypted one; fail instead.
 */
static int
tls_nopass(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/* Did the last PEM read fail only because the text ran out? */
static int
tls_pem_eof(void)
{
	unsigned long	e = ERR_peek_last_error();

	return ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

/*
 * The leaf, then any intermediates after it in the same text (Consul may
 * send a chain), which the peer needs to reach our roots.
 */
static int
tls_load_cert(SSL_CTX *ctx, const char *pem, char *err, size_t errlen)
{
	BIO	*bio;
	X509	*x = NULL;
	int	 n;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		tls_err(err, errlen, "certificate");
		return -1;
	}
	if ((x = PEM_read_bio_X509(bio, NULL, tls_nopass, NULL)) == NULL) {
		tls_err(err, errlen, "certificate");
		goto fail;
	}
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		tls_err(err, errlen, "certificate");
		goto fail;
	}
	X509_free(x);
	for (n = 1; ; n++) {
		if ((x = PEM_read_bio_X509(bio, NULL, tls_nopass, NULL)) ==
		    NULL) {
			if (!tls_pem_eof()) {
				tls_err(err, errlen, "certificate %d", n + 1);
				goto fail;
			}
			ERR_clear_error();
			break;
		}
		/* add0 takes the reference only when it succeeds */
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			tls_err(err, errlen, "certificate %d", n + 1);
			goto fail;
		}
	}
	BIO_free(bio);
	return 0;

 fail:
	X509_free(x);
	BIO_free(bio);
	return -1;
}

static int
tls_load_key(SSL_CTX *ctx, const char *pem, char *err, size_t errlen)
{
	BIO		*bio;
	EVP_PKEY	*key = NULL;
	int		 rv = -1;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		tls_err(err, errlen, "key");
		return -1;
	}
	if ((key = PEM_read_bio_PrivateKey(bio, NULL, tls_nopass, NULL)) ==
	    NULL) {
		tls_err(err, errlen, "key");
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		/* it compares the key with the certificate when it can */
		if (ERR_GET_REASON(ERR_peek_error()) ==
		    X509_R_KEY_VALUES_MISMATCH)
			tls_err(err, errlen, "key does not match certificate");
		else
			tls_err(err, errlen, "key");
		goto out;
	}
	/* and this whatever it could not, such as a key without a cert */
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_err(err, errlen, "key does not match certificate");
		goto out;
	}
	rv = 0;
 out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	return rv;
}

/* Every certificate in the text is a trust anchor (old and new CA). */
static int
tls_load_roots(SSL_CTX *ctx, const char *pem, char *err, size_t errlen)
{
	X509_STORE	*store = SSL_CTX_get_cert_store(ctx);
	BIO		*bio;
	X509		*x;
	int		 n;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		tls_err(err, errlen, "roots");
		return -1;
	}
	for (n = 0; ; n++) {
		if ((x = PEM_read_bio_X509(bio, NULL, tls_nopass, NULL)) ==
		    NULL) {
			if (n > 0 && tls_pem_eof()) {
				ERR_clear_error();
				break;
			}
			tls_err(err, errlen, "roots: certificate %d", n + 1);
			goto fail;
		}
		if (X509_STORE_add_cert(store, x) != 1) {
			X509_free(x);
			tls_err(err, errlen, "roots: certificate %d", n + 1);
			goto fail;
		}
		X509_free(x);
	}
	BIO_free(bio);
	return 0;

 fail:
	BIO_free(bio);
	return -1;
}

/*
 * The ALPN names of the hops, by number, and of a replication stream:
 * length-prefixed, as on the wire.
 */
static const unsigned char *const tls_hops[TLS_REPL + 1] = {
	NULL,
	(const unsigned char *)"\x0at38cm-hop1",
	(const unsigned char *)"\x0at38cm-hop2",
	(const unsigned char *)"\x0at38cm-repl",
};

static int
tls_hop_find(const unsigned char *name, unsigned int len)
{
	int	i;

	for (i = 1; i <= TLS_REPL; i++)
		if (len == tls_hops[i][0] &&
		    memcmp(name, tls_hops[i] + 1, len) == 0)
			return i;
	return 0;
}

/* A server selects a hop it is offered, and nothing else. */
static int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned int	i, len;

	for (i = 0; i < inlen; i += 1 + len) {
		len = in[i];
		if (len > inlen - i - 1)
			break;
		if (tls_hop_find(in + i + 1, len) != 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)len;
			return SSL_TLSEXT_ERR_OK;
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

static int
tls_alpn(SSL *ssl)
{
	const unsigned char	*name;
	unsigned int		 len;

	SSL_get0_alpn_selected(ssl, &name, &len);
	return name != NULL ? tls_hop_find(name, len) : 0;
}

int
tls_hop(SSL *ssl)
{
	int	n = tls_alpn(ssl);

	return n <= TLS_HOPS_MAX ? n : 0;
}

int
tls_repl(SSL *ssl)
{
	return tls_alpn(ssl) == TLS_REPL;
}

static SSL_CTX *
tls_ctx_new(int server, const char *cert_pem, const char *key_pem,
    const char *roots_pem, const char *sid, uint64_t resume_ms, char *err,
    size_t errlen)
{
	SSL_CTX	*ctx;
	int	 mode;

	ERR_clear_error();
	if (cert_pem == NULL || key_pem == NULL || roots_pem == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "missing certificate, key or "
			    "roots");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(server ? TLS_server_method() :
	    TLS_client_method())) == NULL) {
		tls_err(err, errlen, "context");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		tls_err(err, errlen, "context");
		goto fail;
	}
	/*
	 * No renegotiation: it would let SSL_write want to read in TLS 1.2
	 * for no benefit.  No session cache: a session is resumed from a
	 * ticket (tls_resume.h) or not at all.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (server ? tls_resume_server(ctx, sid, resume_ms, err, errlen) == -1 :
	    resume_ms != 0 && tls_resume_client(ctx, err, errlen) == -1)
		goto fail;
	/*
	 * The relay writes from a ring buffer: it may pass a retry at a
	 * different address and wants each record's progress reported.
	 * Releasing buffers gives back the ~34 KB of record buffers while
	 * a connection is idle, which is most of the time.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/*
	 * Read ahead: one read(2) takes as many records as have arrived,
	 * rather than a header and then a body per record.  The relay
	 * asks SSL_has_pending() before it waits on the socket.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);

	if (tls_load_cert(ctx, cert_pem, err, errlen) == -1 ||
	    tls_load_key(ctx, key_pem, err, errlen) == -1 ||
	    tls_load_roots(ctx, roots_pem, err, errlen) == -1)
		goto fail;

	/*
	 * No hostname check: Connect identities are the URI SAN, which the
	 * caller checks with tls_peer_uri() once the chain has verified.
	 */
	mode = SSL_VERIFY_PEER;
	if (server)
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	if (server)
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	ERR_clear_error();
	return ctx;

 fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

SSL_CTX *
tls_server_ctx(const char *cert_pem, const char *key_pem,
    const char *roots_pem, const char *sid, uint64_t resume_ms, char *err,
    size_t errlen)
{
	return tls_ctx_new(1, cert_pem, key_pem, roots_pem, sid, resume_ms,
	    err, errlen);
}

SSL_CTX *
tls_client_ctx(const char *cert_pem, const char *key_pem,
    const char *roots_pem, uint64_t resume_ms, char *err, size_t errlen)
{
	return tls_ctx_new(0, cert_pem, key_pem, roots_pem, NULL, resume_ms,
	    err, errlen);
}

/*
 * The peer's certificate, borrowed from the session, and only if it
 * verified: with SSL_VERIFY_PEER the handshake fails otherwise, but an
 * SSL from a context built elsewhere might not have asked.
 */
static X509 *
tls_peer_cert(SSL *ssl)
{
	X509	*x;

	if (ssl == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		return NULL;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	x = SSL_get0_peer_certificate(ssl);
#else
	/* The session keeps its own reference, so ours can go at once. */
	if ((x = SSL_get_peer_certificate(ssl)) != NULL)
		X509_free(x);
#endif
	return x;
}

char *
tls_peer_uri(SSL *ssl)
{
	GENERAL_NAMES		*names;
	const GENERAL_NAME	*gn;
	const ASN1_IA5STRING	*uri = NULL;
	X509			*x;
	char			*s = NULL;
	int			 i, n, crit, nuri = 0;

	if ((x = tls_peer_cert(ssl)) == NULL)
		return NULL;
	/* NULL also when the extension appears twice (crit == -2) */
	names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (names == NULL)
		goto out;
	n = sk_GENERAL_NAME_num(names);
	for (i = 0; i < n; i++) {
		gn = sk_GENERAL_NAME_value(names, i);
		if (gn->type != GEN_URI)
			continue;
		uri = gn->d.uniformResourceIdentifier;
		nuri++;
	}
	/*
	 * Exactly one: with two, which service the peer is would depend on
	 * which one we happened to pick.  An embedded NUL would let the
	 * name compare equal to something it is not.
	 */
	if (nuri == 1 && ASN1_STRING_length(uri) > 0 &&
	    memchr(ASN1_STRING_get0_data(uri), '\0',
	    (size_t)ASN1_STRING_length(uri)) == NULL)
		s = strndup((const char *)ASN1_STRING_get0_data(uri),
		    (size_t)ASN1_STRING_length(uri));
	GENERAL_NAMES_free(names);
 out:
	ERR_clear_error();
	return s;
}

char *
tls_peer_serial(SSL *ssl)
{
	X509	*x;
	BIGNUM	*bn = NULL;
	char	*hex = NULL, *s = NULL, *p;

	if ((x = tls_peer_cert(ssl)) == NULL)
		return NULL;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
	    NULL || (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	if ((s = strdup(hex)) == NULL)
		goto out;
	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	ERR_clear_error();
	return s;
}

/*
 * The fd belongs to the handshake from here on, also when starting
 * fails: the caller has nothing left to clean up either way.
 */
struct tls_hs *
tls_hs_start(struct ev_loop *loop, SSL_CTX *ctx, int fd, int server,
    uint64_t timeout_ms, tls_hs_cb cb, void *arg)
{
	struct tls_hs	*hs;
	int		 saved;

	ERR_clear_error();
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		goto fail;
	hs->loop = loop;
	hs->fd = fd;
	hs->cb = cb;
	hs->arg = arg;
	hs->io.fd = -1;
	ev_timer_init(&hs->timer, tls_hs_timeout, hs);
	if ((hs->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(hs->ssl, fd) != 1) {
		errno = ENOMEM;
		goto fail;
	}
	if (server)
		SSL_set_accept_state(hs->ssl);
	else {
		SSL_set_connect_state(hs->ssl);
		tls_resume_offer(hs->ssl, fd);
	}
	/*
	 * Nothing runs before the loop does, so a handshake that fails at
	 * once still reports from the loop: the client's hello waits for
	 * a writable socket, the server waits for that hello.
	 */
	if (ev_io_start(loop, &hs->io, fd, server ? EPOLLIN : EPOLLOUT,
	    tls_hs_io, hs) == -1)
		goto fail;
	ev_timer_start(loop, &hs->timer, timeout_ms);
	return hs;

 fail:
	saved = errno;
	ERR_clear_error();
	if (hs != NULL) {
		SSL_free(hs->ssl);
		free(hs);
	}
	close(fd);
	errno = saved;
	return NULL;
}

int
tls_hs_hop(struct tls_hs *hs, int hop)
{
	if (hop < 1 || hop > TLS_REPL)
		return -1;
	/* 0 on success, unlike the rest of OpenSSL */
	if (SSL_set_alpn_protos(hs->ssl, tls_hops[hop],
	    1 + tls_hops[hop][0]) != 0) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

void
tls_hs_cancel(struct ev_loop *loop, struct tls_hs *hs)
{
	/* From its own callback: tls_hs_finish() frees it on return. */
	if (hs == NULL || hs->done)
		return;
	ev_io_stop(loop, &hs->io);
	ev_timer_stop(loop, &hs->timer);
	SSL_free(hs->ssl);
	close(hs->fd);
	ERR_clear_error();
	free(hs);
}

static void
tls_hs_io(int fd, uint32_t events, void *arg)
{
	/*
	 * EPOLLERR and EPOLLHUP need no case of their own: the next read
	 * or write inside the handshake reports them.
	 */
	tls_hs_step(arg);
}

static void
tls_hs_timeout(void *arg)
{
	struct tls_hs	*hs = arg;

	snprintf(hs->err, sizeof(hs->err), "handshake timeout");
	tls_hs_finish(hs, 0);
}

static void
tls_hs_step(struct tls_hs *hs)
{
	uint32_t	want;
	int		r, e, saved;

	ERR_clear_error();
	errno = 0;
	r = SSL_do_handshake(hs->ssl);
	saved = errno;
	if (r == 1) {
		tls_hs_finish(hs, 1);
		return;
	}
	switch (e = SSL_get_error(hs->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		want = EPOLLIN;
		break;
	case SSL_ERROR_WANT_WRITE:
		want = EPOLLOUT;
		break;
	default:
		tls_hs_fail(hs, e, saved);
		return;
	}
	if (hs->io.events != want && ev_io_set(hs->loop, &hs->io, want) ==
	    -1) {
		snprintf(hs->err, sizeof(hs->err), "handshake: epoll: %s",
		    strerror(errno));
		tls_hs_finish(hs, 0);
	}
}

/* Word the failure of SSL_do_handshake(): e from SSL_get_error(). */
static void
tls_hs_fail(struct tls_hs *hs, int e, int saved_errno)
{
	long	vr;

	switch (e) {
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() != 0)
			snprintf(hs->err, sizeof(hs->err), "handshake: %s",
			    tls_reason());
		else if (saved_errno != 0)
			snprintf(hs->err, sizeof(hs->err), "handshake: %s",
			    strerror(saved_errno));
		else
			snprintf(hs->err, sizeof(hs->err),
			    "handshake: connection closed");
		break;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(hs->err, sizeof(hs->err),
		    "handshake: connection closed");
		break;
	default:
		/* "certificate verify failed" alone does not say why */
		vr = SSL_get_verify_result(hs->ssl);
		if (vr != X509_V_OK)
			snprintf(hs->err, sizeof(hs->err), "handshake: %s (%s)",
			    tls_reason(), X509_verify_cert_error_string(vr));
		else
			snprintf(hs->err, sizeof(hs->err), "handshake: %s",
			    tls_reason());
		break;
	}
	tls_hs_finish(hs, 0);
}

/*
 * Hand over or close, then report.  The callback may cancel or free
 * other handshakes: ours is off the loop before it runs, and only our
 * own memory is touched after it returns.
 */
static void
tls_hs_finish(struct tls_hs *hs, int ok)
{
	ev_io_stop(hs->loop, &hs->io);
	ev_timer_stop(hs->loop, &hs->timer);
	ERR_clear_error();
	hs->done = 1;
	if (ok)
		hs->cb(hs, 1, hs->fd, hs->ssl, NULL, hs->arg);
	else {
		SSL_free(hs->ssl);
		close(hs->fd);
		hs->ssl = NULL;
		hs->fd = -1;
		hs->cb(hs, 0, -1, NULL, hs->err, hs->arg);
	}
	ERR_clear_error();
	free(hs);
}
