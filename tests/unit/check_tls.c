/*
 * TLS tests.  The PKI is made at run time with the OpenSSL API: a Connect
 * CA and another CA (EC P-256), and leaf certificates shaped like
 * Consul's, whose identity is a spiffe:// URI SAN.  Handshakes run both
 * ends over a socketpair in one event loop; a guard timer turns a hang
 * into a failure.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "event.h"
#include "proxy_tls.h"
#include "suites.h"
#include "tls_resume.h"


#define GUARD_MS	3000
#define HS_MS		2000

#define TD		"spiffe://7a3e1b2c-0d4f-4e5a-9b6c-1d2e3f4a5b6c.consul"
#define SRV_URI		TD "/ns/default/dc/dc1/svc/tile38-writer"
#define CLI_URI		TD "/ns/default/dc/dc1/svc/web"
#define SRV_SERIAL	0x1a2b3c4d5e6fULL
#define CLI_SERIAL	0xabcdef0123ULL

struct cred {
	EVP_PKEY	*pkey;
	X509		*x509;
	char		*cert;		/* PEM */
	char		*key;		/* PEM */
};

static struct {
	struct cred	ca;		/* the Connect CA */
	struct cred	ca2;		/* someone else's */
	struct cred	srv;		/* DNS and URI SAN, from ca */
	struct cred	cli;		/* URI SAN, from ca */
	struct cred	two;		/* two URI SANs */
	struct cred	nosan;		/* no SAN at all */
	struct cred	foreign;	/* URI SAN, from ca2 */
	char		*roots2;	/* ca2 then ca, in one text */
} pki;

static EVP_PKEY *
gen_key(void)
{
	EVP_PKEY_CTX	*pc;
	EVP_PKEY	*k = NULL;

	ck_assert_ptr_nonnull(pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL));
	ck_assert_int_eq(EVP_PKEY_keygen_init(pc), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc,
	    NID_X9_62_prime256v1), 1);
	ck_assert_int_eq(EVP_PKEY_keygen(pc, &k), 1);
	EVP_PKEY_CTX_free(pc);
	return k;
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &v3, nid,
	    value));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

static char *
bio_string(BIO *b)
{
	char	*data, *s;
	long	 n;

	n = BIO_get_mem_data(b, &data);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(s = strndup(data, (size_t)n));
	BIO_free(b);
	return s;
}

/* A CA when issuer is NULL, else a leaf with san (NULL: none). */
static void
cred_make(struct cred *c, const char *cn, const struct cred *issuer,
    const char *san, uint64_t serial)
{
	X509		*x;
	X509_NAME	*name;
	BIO		*b;

	c->pkey = gen_key();
	ck_assert_ptr_nonnull(x = c->x509 = X509_new());
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ck_assert_int_eq(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x),
	    serial), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_eq(X509_set_pubkey(x, c->pkey), 1);
	name = X509_get_subject_name(x);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	if (issuer == NULL) {
		ck_assert_int_eq(X509_set_issuer_name(x, name), 1);
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, x, NID_subject_key_identifier, "hash");
		ck_assert_int_gt(X509_sign(x, c->pkey, EVP_sha256()), 0);
	} else {
		ck_assert_int_eq(X509_set_issuer_name(x,
		    X509_get_subject_name(issuer->x509)), 1);
		add_ext(x, issuer->x509, NID_basic_constraints,
		    "critical,CA:FALSE");
		add_ext(x, issuer->x509, NID_key_usage,
		    "critical,digitalSignature,keyAgreement");
		add_ext(x, issuer->x509, NID_ext_key_usage,
		    "serverAuth,clientAuth");
		if (san != NULL)
			add_ext(x, issuer->x509, NID_subject_alt_name, san);
		ck_assert_int_gt(X509_sign(x, issuer->pkey, EVP_sha256()), 0);
	}

	ck_assert_ptr_nonnull(b = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_X509(b, x), 1);
	c->cert = bio_string(b);
	ck_assert_ptr_nonnull(b = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, c->pkey, NULL, NULL, 0,
	    NULL, NULL), 1);
	c->key = bio_string(b);
}

static void
cred_free(struct cred *c)
{
	EVP_PKEY_free(c->pkey);
	X509_free(c->x509);
	free(c->cert);
	free(c->key);
	memset(c, 0, sizeof(*c));
}

static void
pki_setup(void)
{
	/* a peer that fails mid-write must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	cred_make(&pki.ca, "Consul CA 7", NULL, NULL, 7);
	cred_make(&pki.ca2, "Other CA", NULL, NULL, 9);
	cred_make(&pki.srv, "tile38-writer", &pki.ca,
	    "DNS:tile38-writer.svc.consul,URI:" SRV_URI, SRV_SERIAL);
	cred_make(&pki.cli, "web", &pki.ca, "URI:" CLI_URI, CLI_SERIAL);
	cred_make(&pki.two, "two", &pki.ca,
	    "URI:" CLI_URI ",URI:" SRV_URI, 21);
	cred_make(&pki.nosan, "nosan", &pki.ca, NULL, 22);
	cred_make(&pki.foreign, "web", &pki.ca2, "URI:" CLI_URI, 23);
	ck_assert_int_gt(asprintf(&pki.roots2, "%s%s", pki.ca2.cert,
	    pki.ca.cert), 0);
}

static void
pki_teardown(void)
{
	cred_free(&pki.ca);
	cred_free(&pki.ca2);
	cred_free(&pki.srv);
	cred_free(&pki.cli);
	cred_free(&pki.two);
	cred_free(&pki.nosan);
	cred_free(&pki.foreign);
	free(pki.roots2);
	pki.roots2 = NULL;
}

static SSL_CTX *
srv_ctx(const struct cred *c, const char *roots)
{
	SSL_CTX	*ctx;
	char	 err[256] = "";

	ctx = tls_server_ctx(c->cert, c->key, roots, "test", 0, err,
	    sizeof(err));
	ck_assert_msg(ctx != NULL, "server ctx: %s", err);
	return ctx;
}

static SSL_CTX *
cli_ctx(const struct cred *c, const char *roots)
{
	SSL_CTX	*ctx;
	char	 err[256] = "";

	ctx = tls_client_ctx(c->cert, c->key, roots, 0, err, sizeof(err));
	ck_assert_msg(ctx != NULL, "client ctx: %s", err);
	return ctx;
}

/* Handshakes in one loop */

struct hs_side {
	struct hs_run	*run;
	struct tls_hs	*hs;
	int		 fd;		/* as handed to tls_hs_start */
	int		 calls;
	int		 ok;
	int		 outfd;
	SSL		*ssl;
	char		 err[256];
	struct tls_hs	*victim;	/* cancelled from the callback */
};

struct hs_run {
	struct ev_loop	*loop;
	struct hs_side	 side[2];	/* [0] server, [1] client */
	int		 want;
	int		 ndone;
};

static void
hs_cb(struct tls_hs *hs, int ok, int fd, SSL *ssl, const char *err,
    void *arg)
{
	struct hs_side	*s = arg;

	ck_assert_ptr_eq(hs, s->hs);
	s->calls++;
	s->ok = ok;
	s->outfd = fd;
	s->ssl = ssl;
	if (ok) {
		ck_assert_int_eq(fd, s->fd);
		ck_assert_ptr_nonnull(ssl);
		ck_assert_ptr_null(err);
	} else {
		ck_assert_ptr_nonnull(err);
		strlcpy(s->err, err, sizeof(s->err));
		ck_assert_int_eq(fd, -1);
		ck_assert_ptr_null(ssl);
		/* closed before we were told */
		ck_assert_int_eq(fcntl(s->fd, F_GETFD), -1);
		ck_assert_int_eq(errno, EBADF);
	}
	/* nothing left behind for the next connection to trip over */
	ck_assert_uint_eq(ERR_peek_error(), 0);
	if (s->victim != NULL) {
		tls_hs_cancel(s->run->loop, s->victim);
		s->victim = NULL;
	}
	if (++s->run->ndone == s->run->want)
		ev_break(s->run->loop);
}

struct guard {
	struct ev_loop	*loop;
	int		 fired;
};

static void
guard_cb(void *arg)
{
	struct guard	*g = arg;

	g->fired = 1;
	ev_break(g->loop);
}

/* Run until a callback breaks; fail if only the guard ever did. */
static void
run_guarded(struct ev_loop *loop, uint64_t ms)
{
	struct ev_timer	t;
	struct guard	g = { loop, 0 };

	ev_timer_init(&t, guard_cb, &g);
	ev_timer_start(loop, &t, ms);
	ck_assert_int_eq(ev_run(loop), 0);
	ck_assert_msg(!g.fired, "loop timed out after %llu ms",
	    (unsigned long long)ms);
	ev_timer_stop(loop, &t);
}

/* Run for ms whatever happens. */
static void
run_for(struct ev_loop *loop, uint64_t ms)
{
	struct ev_timer	t;
	struct guard	g = { loop, 0 };

	ev_timer_init(&t, guard_cb, &g);
	ev_timer_start(loop, &t, ms);
	ck_assert_int_eq(ev_run(loop), 0);
	ck_assert(g.fired);
}

static void
nb_socketpair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
}

static void
side_start(struct hs_run *run, int i, SSL_CTX *ctx, int fd, int server,
    uint64_t ms)
{
	struct hs_side	*s = &run->side[i];

	s->run = run;
	s->fd = fd;
	s->hs = tls_hs_start(run->loop, ctx, fd, server, ms, hs_cb, s);
	ck_assert_ptr_nonnull(s->hs);
	run->want++;
}

static void
side_close(struct hs_side *s)
{
	if (s->ok && s->ssl != NULL) {
		SSL_free(s->ssl);
		close(s->outfd);
	}
	s->ssl = NULL;
}

/* Server and client handshake over a socketpair; both report once. */
static void
handshake(struct hs_run *run, struct ev_loop *loop, SSL_CTX *sctx,
    SSL_CTX *cctx)
{
	int	sv[2];

	memset(run, 0, sizeof(*run));
	run->loop = loop;
	nb_socketpair(sv);
	side_start(run, 0, sctx, sv[0], 1, HS_MS);
	side_start(run, 1, cctx, sv[1], 0, HS_MS);
	run_guarded(loop, GUARD_MS);
	ck_assert_int_eq(run->side[0].calls, 1);
	ck_assert_int_eq(run->side[1].calls, 1);
}

static void
assert_str_free(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(test_ctx_good)
{
	SSL_CTX	*s, *c;

	s = srv_ctx(&pki.srv, pki.ca.cert);
	c = cli_ctx(&pki.cli, pki.ca.cert);
	ck_assert_int_eq(SSL_CTX_get_min_proto_version(s), TLS1_2_VERSION);
	ck_assert_int_eq(SSL_CTX_get_verify_mode(s), SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
	ck_assert_int_eq(SSL_CTX_get_verify_mode(c), SSL_VERIFY_PEER);
	ck_assert(SSL_CTX_get_mode(s) & SSL_MODE_RELEASE_BUFFERS);
	ck_assert(SSL_CTX_get_mode(c) & SSL_MODE_ENABLE_PARTIAL_WRITE);
	ck_assert(SSL_CTX_get_mode(c) & SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
}
END_TEST

START_TEST(test_handshake_ok)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;
	char		 buf[8];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	c = cli_ctx(&pki.cli, pki.ca.cert);
	handshake(&run, loop, s, c);
	ck_assert_msg(run.side[0].ok, "server: %s", run.side[0].err);
	ck_assert_msg(run.side[1].ok, "client: %s", run.side[1].err);

	/* each side sees the other's identity, and only that */
	assert_str_free(tls_peer_uri(run.side[0].ssl), CLI_URI);
	assert_str_free(tls_peer_uri(run.side[1].ssl), SRV_URI);
	assert_str_free(tls_peer_serial(run.side[0].ssl), "abcdef0123");
	assert_str_free(tls_peer_serial(run.side[1].ssl), "1a2b3c4d5e6f");

	/* and it carries data: a socketpair delivers at once */
	ck_assert_int_eq(SSL_write(run.side[1].ssl, "ping", 4), 4);
	ck_assert_int_eq(SSL_read(run.side[0].ssl, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);

	side_close(&run.side[0]);
	side_close(&run.side[1]);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

/*
 * An internal hop names its number in ALPN, a replication stream says
 * so (TLS_REPL); the server selects it, so both ends know it.  Saying
 * nothing is hop 0, and only 1..TLS_HOPS_MAX or TLS_REPL may be offered.
 */
START_TEST(test_handshake_hop)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;
	int		 hop, sv[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	c = cli_ctx(&pki.cli, pki.ca.cert);
	for (hop = 0; hop <= TLS_REPL; hop++) {
		memset(&run, 0, sizeof(run));
		run.loop = loop;
		nb_socketpair(sv);
		side_start(&run, 0, s, sv[0], 1, HS_MS);
		side_start(&run, 1, c, sv[1], 0, HS_MS);
		ck_assert_int_eq(tls_hs_hop(run.side[1].hs, 0), -1);
		ck_assert_int_eq(tls_hs_hop(run.side[1].hs, TLS_REPL + 1),
		    -1);
		if (hop != 0)
			ck_assert_int_eq(tls_hs_hop(run.side[1].hs, hop), 0);
		run_guarded(loop, GUARD_MS);
		ck_assert_msg(run.side[0].ok, "server: %s", run.side[0].err);
		ck_assert_msg(run.side[1].ok, "client: %s", run.side[1].err);
		ck_assert_int_eq(tls_hop(run.side[0].ssl),
		    hop == TLS_REPL ? 0 : hop);
		ck_assert_int_eq(tls_hop(run.side[1].ssl),
		    hop == TLS_REPL ? 0 : hop);
		ck_assert_int_eq(tls_repl(run.side[0].ssl), hop == TLS_REPL);
		ck_assert_int_eq(tls_repl(run.side[1].ssl), hop == TLS_REPL);
		side_close(&run.side[0]);
		side_close(&run.side[1]);
	}
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_roots_bundle)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	/* the Connect CA is the second certificate of the roots text */
	s = srv_ctx(&pki.srv, pki.roots2);
	c = cli_ctx(&pki.cli, pki.roots2);
	handshake(&run, loop, s, c);
	ck_assert_msg(run.side[0].ok, "server: %s", run.side[0].err);
	ck_assert_msg(run.side[1].ok, "client: %s", run.side[1].err);
	side_close(&run.side[0]);
	side_close(&run.side[1]);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

/* A chain that verifies but names no single service: no identity. */
static void
uri_none(const struct cred *client)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;
	char		*serial;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	c = cli_ctx(client, pki.ca.cert);
	handshake(&run, loop, s, c);
	ck_assert_msg(run.side[0].ok, "server: %s", run.side[0].err);
	ck_assert_ptr_null(tls_peer_uri(run.side[0].ssl));
	/* the serial does not depend on the SAN */
	ck_assert_ptr_nonnull(serial = tls_peer_serial(run.side[0].ssl));
	free(serial);
	side_close(&run.side[0]);
	side_close(&run.side[1]);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}

START_TEST(test_uri_two)
{
	uri_none(&pki.two);
}
END_TEST

START_TEST(test_uri_nosan)
{
	uri_none(&pki.nosan);
}
END_TEST

START_TEST(test_client_other_ca)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	/* the client trusts the server; the server does not trust it */
	c = cli_ctx(&pki.foreign, pki.ca.cert);
	handshake(&run, loop, s, c);
	ck_assert(!run.side[0].ok);
	ck_assert_msg(strncmp(run.side[0].err, "handshake: ", 11) == 0 &&
	    strstr(run.side[0].err, "verify") != NULL, "%s", run.side[0].err);
	/* TLS 1.3: the client may be done before the server refuses */
	side_close(&run.side[1]);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_server_other_ca)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.foreign, pki.ca.cert);
	c = cli_ctx(&pki.cli, pki.ca.cert);
	handshake(&run, loop, s, c);
	ck_assert(!run.side[1].ok);
	ck_assert_msg(strstr(run.side[1].err, "verify") != NULL, "%s",
	    run.side[1].err);
	ck_assert(!run.side[0].ok);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_client_no_cert)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	/* a bare client: no certificate to present */
	ck_assert_ptr_nonnull(c = SSL_CTX_new(TLS_client_method()));
	SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	handshake(&run, loop, s, c);
	ck_assert(!run.side[0].ok);
	ck_assert_msg(strncmp(run.side[0].err, "handshake: ", 11) == 0,
	    "%s", run.side[0].err);
	side_close(&run.side[1]);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_key_mismatch)
{
	char	err[256] = "";

	ck_assert_ptr_null(tls_server_ctx(pki.srv.cert, pki.cli.key,
	    pki.ca.cert, "test", 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "does not match") != NULL, "%s", err);
	err[0] = '\0';
	ck_assert_ptr_null(tls_client_ctx(pki.cli.cert, pki.srv.key,
	    pki.ca.cert, 0, err, sizeof(err)));
	ck_assert_msg(strstr(err, "does not match") != NULL, "%s", err);
	ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(test_garbage_pem)
{
	char	 err[256];
	char	*half;
	size_t	 i;
	struct {
		const char	*cert, *key, *roots, *prefix;
	} cases[] = {
		{ "garbage", pki.srv.key, pki.ca.cert, "certificate: " },
		{ pki.srv.cert, "garbage", pki.ca.cert, "key: " },
		{ pki.srv.cert, pki.srv.key, "garbage", "roots: " },
		{ pki.srv.cert, pki.srv.key, "", "roots: " },
		{ "", pki.srv.key, pki.ca.cert, "certificate: " },
		/* a key where the certificate belongs */
		{ pki.srv.key, pki.srv.key, pki.ca.cert, "certificate: " },
		{ NULL, pki.srv.key, pki.ca.cert, "missing" },
	};

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ck_assert_ptr_null(tls_server_ctx(cases[i].cert, cases[i].key,
		    cases[i].roots, "test", 0, err, sizeof(err)));
		ck_assert_msg(strncmp(err, cases[i].prefix,
		    strlen(cases[i].prefix)) == 0 && strlen(err) >
		    strlen(cases[i].prefix), "case %zu: %s", i, err);
		err[0] = '\0';
		ck_assert_ptr_null(tls_client_ctx(cases[i].cert, cases[i].key,
		    cases[i].roots, 0, err, sizeof(err)));
		ck_assert_msg(err[0] != '\0', "case %zu", i);
		ck_assert_uint_eq(ERR_peek_error(), 0);
	}

	/* a certificate cut in half: the base64 no longer decodes */
	ck_assert_ptr_nonnull(half = strdup(pki.srv.cert));
	strlcpy(half + strlen(half) / 2, "\n-----END CERTIFICATE-----\n",
	    strlen(half) - strlen(half) / 2);
	err[0] = '\0';
	ck_assert_ptr_null(tls_server_ctx(half, pki.srv.key, pki.ca.cert,
	    "test", 0, err, sizeof(err)));
	ck_assert_msg(strncmp(err, "certificate: ", 13) == 0, "%s", err);
	free(half);

	/* NULL err is allowed */
	ck_assert_ptr_null(tls_server_ctx("garbage", pki.srv.key,
	    pki.ca.cert, "test", 0, NULL, 0));
}
END_TEST

START_TEST(test_timeout)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;
	uint64_t	 t0, dt;
	int		 sv[2], cv[2];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	c = cli_ctx(&pki.cli, pki.ca.cert);
	memset(&run, 0, sizeof(run));
	run.loop = loop;
	/* peers that never speak: sv[1] and cv[1] stay silent and open */
	nb_socketpair(sv);
	nb_socketpair(cv);
	t0 = ev_now();
	side_start(&run, 0, s, sv[0], 1, 100);
	side_start(&run, 1, c, cv[0], 0, 150);
	run_guarded(loop, GUARD_MS);
	dt = ev_now() - t0;
	ck_assert(!run.side[0].ok);
	ck_assert(!run.side[1].ok);
	ck_assert_str_eq(run.side[0].err, "handshake timeout");
	ck_assert_str_eq(run.side[1].err, "handshake timeout");
	ck_assert_msg(dt >= 149 && dt < 1000, "took %llu ms",
	    (unsigned long long)dt);
	close(sv[1]);
	close(cv[1]);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

/* Not TLS from the peer: fail at once, cleanly, and leave no errors. */
START_TEST(test_garbage_peer)
{
	static const char	 junk[] =
	    "GET / HTTP/1.1\r\nHost: tile38\r\n\r\n";
	struct ev_loop		*loop;
	struct hs_run		 run;
	SSL_CTX			*s, *c;
	uint64_t		 t0;
	int			 sv[2], cv[2];
	char			 buf[512];

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	c = cli_ctx(&pki.cli, pki.ca.cert);
	memset(&run, 0, sizeof(run));
	run.loop = loop;
	nb_socketpair(sv);
	nb_socketpair(cv);
	ck_assert_int_eq(write(sv[1], junk, sizeof(junk) - 1),
	    (ssize_t)sizeof(junk) - 1);
	ck_assert_int_eq(write(cv[1], junk, sizeof(junk) - 1),
	    (ssize_t)sizeof(junk) - 1);
	t0 = ev_now();
	side_start(&run, 0, s, sv[0], 1, HS_MS);
	side_start(&run, 1, c, cv[0], 0, HS_MS);
	run_guarded(loop, GUARD_MS);
	ck_assert(!run.side[0].ok);
	ck_assert(!run.side[1].ok);
	ck_assert_msg(strncmp(run.side[0].err, "handshake: ", 11) == 0,
	    "%s", run.side[0].err);
	ck_assert_msg(strncmp(run.side[1].err, "handshake: ", 11) == 0,
	    "%s", run.side[1].err);
	ck_assert_uint_lt(ev_now() - t0, HS_MS);
	/* the client did send its hello before it read the junk */
	ck_assert_int_gt(read(cv[1], buf, sizeof(buf)), 0);
	close(sv[1]);
	close(cv[1]);

	/* and the next connection is not disturbed by the last one */
	handshake(&run, loop, s, c);
	ck_assert_msg(run.side[0].ok, "server: %s", run.side[0].err);
	ck_assert_msg(run.side[1].ok, "client: %s", run.side[1].err);
	side_close(&run.side[0]);
	side_close(&run.side[1]);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

START_TEST(test_cancel)
{
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s;
	int		 sv[2], qv[2], fd;
	struct tls_hs	*quiet;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);

	/* before the loop ever ran: fd closed, no callback */
	memset(&run, 0, sizeof(run));
	run.loop = loop;
	nb_socketpair(sv);
	side_start(&run, 0, s, sv[0], 1, 50);
	tls_hs_cancel(loop, run.side[0].hs);
	ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1);
	close(sv[1]);

	/*
	 * From another handshake's callback, while the victim is still
	 * armed: it must not report, and its timer must not fire later.
	 */
	memset(&run, 0, sizeof(run));
	run.loop = loop;
	nb_socketpair(sv);
	nb_socketpair(qv);
	ck_assert_int_eq(write(sv[1], "junk junk junk junk", 19), 19);
	fd = qv[0];
	ck_assert_ptr_nonnull(quiet = tls_hs_start(loop, s, fd, 1, 200,
	    hs_cb, &run.side[1]));
	run.side[1].run = &run;
	run.side[1].hs = quiet;
	run.side[1].fd = fd;
	run.side[0].victim = quiet;
	side_start(&run, 0, s, sv[0], 1, 100);
	run_guarded(loop, GUARD_MS);
	ck_assert_int_eq(run.side[0].calls, 1);
	ck_assert(!run.side[0].ok);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);

	/* past both timeouts: still nothing from the victim */
	run_for(loop, 300);
	ck_assert_int_eq(run.side[1].calls, 0);
	close(sv[1]);
	close(qv[1]);
	SSL_CTX_free(s);
	ev_loop_free(loop);
}
END_TEST

/*
 * What one established, idle connection costs in the heap: both ends
 * live in this process, so the growth over a handshake and a first
 * exchange of data, halved.  Only glibc's own allocator can tell.
 */
START_TEST(test_idle_memory)
{
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && \
    __GLIBC_PREREQ(2, 33)
	struct ev_loop	*loop;
	struct hs_run	 run;
	SSL_CTX		*s, *c;
	struct mallinfo2 m0, m1;
	char		 buf[64];
	size_t		 per;
	int		 pass;

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	s = srv_ctx(&pki.srv, pki.ca.cert);
	c = cli_ctx(&pki.cli, pki.ca.cert);
	/* the first pass warms OpenSSL's lazily built tables */
	for (pass = 0; pass < 2; pass++) {
		m0 = mallinfo2();
		handshake(&run, loop, s, c);
		ck_assert(run.side[0].ok && run.side[1].ok);
		ck_assert_int_eq(SSL_write(run.side[1].ssl, "ping", 4), 4);
		ck_assert_int_eq(SSL_read(run.side[0].ssl, buf, sizeof(buf)),
		    4);
		ck_assert_int_eq(SSL_write(run.side[0].ssl, "pong", 4), 4);
		ck_assert_int_eq(SSL_read(run.side[1].ssl, buf, sizeof(buf)),
		    4);
		/* idle: the last read found nothing more and let go */
		ck_assert_int_eq(SSL_read(run.side[1].ssl, buf, sizeof(buf)),
		    -1);
		ck_assert_int_eq(SSL_read(run.side[0].ssl, buf, sizeof(buf)),
		    -1);
		ERR_clear_error();
		m1 = mallinfo2();
		per = (m1.uordblks - m0.uordblks) / 2;
		side_close(&run.side[0]);
		side_close(&run.side[1]);
	}
	ck_assert_msg(per <= 32 * 1024, "idle TLS connection: %zu bytes",
	    per);
	if (getenv("TLS_SHOW_MEMORY") != NULL)
		fprintf(stderr, "idle TLS connection: %zu bytes\n", per);
	SSL_CTX_free(s);
	SSL_CTX_free(c);
	ev_loop_free(loop);
#endif
}
END_TEST

/* Key ages and tickets: every row of the decisions (tls_resume.h). */
START_TEST(test_resume_decisions)
{
	static const struct {
		uint64_t	now, born;
		int		current;
		enum resume_key	seal, open;
	} keys[] = {
		/* life 1000 ms throughout */
		{ 100, 100, 1, RESUME_KEY_USE, RESUME_KEY_USE },
		{ 1099, 100, 1, RESUME_KEY_USE, RESUME_KEY_USE },
		{ 1100, 100, 1, RESUME_KEY_ROTATE, RESUME_KEY_RENEW },
		{ 2099, 100, 1, RESUME_KEY_ROTATE, RESUME_KEY_RENEW },
		{ 2100, 100, 1, RESUME_KEY_ROTATE, RESUME_KEY_REFUSE },
		{ 500, 100, 0, RESUME_KEY_USE, RESUME_KEY_RENEW },
		{ 2099, 100, 0, RESUME_KEY_ROTATE, RESUME_KEY_RENEW },
		{ 2100, 100, 0, RESUME_KEY_ROTATE, RESUME_KEY_REFUSE },
		{ 90000, 100, 0, RESUME_KEY_ROTATE, RESUME_KEY_REFUSE },
	};
	static const struct {
		uint64_t	now, verified;
		int		cert_ok, want;
	} tickets[] = {
		{ 5000, 4500, 1, 1 },
		{ 5000, 4001, 1, 1 },
		{ 5000, 4000, 1, 0 },	/* verified a lifetime ago */
		{ 5000, 100, 1, 0 },
		{ 5000, 4500, 0, 0 },	/* certificate expired since */
		{ 5000, 0, 1, 0 },	/* no record of its verification */
		{ 5000, 5001, 1, 0 },	/* from the future: not ours */
		{ 5000, 5000, 1, 1 },
	};
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_msg(resume_key_seal(keys[i].now, keys[i].born,
		    1000) == keys[i].seal, "seal row %zu", i);
		ck_assert_msg(resume_key_open(keys[i].now, keys[i].born,
		    1000, keys[i].current) == keys[i].open, "open row %zu", i);
	}
	for (i = 0; i < sizeof(tickets) / sizeof(tickets[0]); i++)
		ck_assert_msg(resume_ticket_ok(tickets[i].now,
		    tickets[i].verified, 1000, tickets[i].cert_ok) ==
		    tickets[i].want, "ticket row %zu", i);
}
END_TEST

/*
 * One full handshake, then a ticket read with the first reply: the next
 * dial to the same address resumes, and the server still knows who the
 * client is.  A context built anew (rotated leaf or roots) and a server
 * with resumption off both mean a full handshake.
 */
static int
resume_round(struct ev_loop *loop, SSL_CTX *s, SSL_CTX *c)
{
	struct hs_run	 run;
	char		 buf[8];
	int		 reused;

	handshake(&run, loop, s, c);
	ck_assert_msg(run.side[0].ok, "server: %s", run.side[0].err);
	ck_assert_msg(run.side[1].ok, "client: %s", run.side[1].err);
	reused = SSL_session_reused(run.side[0].ssl);
	ck_assert_int_eq(SSL_session_reused(run.side[1].ssl), reused);
	assert_str_free(tls_peer_uri(run.side[0].ssl), CLI_URI);
	assert_str_free(tls_peer_uri(run.side[1].ssl), SRV_URI);
	/* the client takes its ticket with the first reply it reads */
	ck_assert_int_eq(SSL_write(run.side[0].ssl, "pong", 4), 4);
	ck_assert_int_eq(SSL_read(run.side[1].ssl, buf, sizeof(buf)), 4);
	side_close(&run.side[0]);
	side_close(&run.side[1]);
	ERR_clear_error();
	return reused;
}

START_TEST(test_resume)
{
	struct ev_loop	*loop;
	SSL_CTX		*s, *s2, *off, *c;
	char		 err[256] = "";

	ck_assert_ptr_nonnull(loop = ev_loop_new());
	ck_assert_msg((s = tls_server_ctx(pki.srv.cert, pki.srv.key,
	    pki.ca.cert, "t38cm-writer", 60000, err, sizeof(err))) != NULL,
	    "%s", err);
	ck_assert_msg((s2 = tls_server_ctx(pki.srv.cert, pki.srv.key,
	    pki.ca.cert, "t38cm-writer", 60000, err, sizeof(err))) != NULL,
	    "%s", err);
	off = srv_ctx(&pki.srv, pki.ca.cert);
	ck_assert_msg((c = tls_client_ctx(pki.cli.cert, pki.cli.key,
	    pki.ca.cert, 60000, err, sizeof(err))) != NULL, "%s", err);

	ck_assert_int_eq(resume_round(loop, s, c), 0);
	ck_assert_int_eq(resume_round(loop, s, c), 1);
	ck_assert_int_eq(resume_round(loop, s, c), 1);
	/* another context's keys open none of these tickets */
	ck_assert_int_eq(resume_round(loop, s2, c), 0);
	ck_assert_int_eq(resume_round(loop, s2, c), 1);
	ck_assert_int_eq(resume_round(loop, s, c), 0);
	/* resumption off: no ticket is taken, none given */
	ck_assert_int_eq(resume_round(loop, off, c), 0);
	ck_assert_int_eq(resume_round(loop, off, c), 0);

	SSL_CTX_free(s);
	SSL_CTX_free(s2);
	SSL_CTX_free(off);
	SSL_CTX_free(c);
	ev_loop_free(loop);
}
END_TEST

Suite *
tls_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("tls");
	tc = tcase_create("tls");
	tcase_add_checked_fixture(tc, pki_setup, pki_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_ctx_good);
	tcase_add_test(tc, test_handshake_ok);
	tcase_add_test(tc, test_handshake_hop);
	tcase_add_test(tc, test_roots_bundle);
	tcase_add_test(tc, test_uri_two);
	tcase_add_test(tc, test_uri_nosan);
	tcase_add_test(tc, test_client_other_ca);
	tcase_add_test(tc, test_server_other_ca);
	tcase_add_test(tc, test_client_no_cert);
	tcase_add_test(tc, test_key_mismatch);
	tcase_add_test(tc, test_garbage_pem);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_garbage_peer);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_idle_memory);
	tcase_add_test(tc, test_resume_decisions);
	tcase_add_test(tc, test_resume);
	suite_add_tcase(s, tc);
	return s;
}
