/*
 * TLS 1.3 session resumption: ticket keys that rotate, tickets that carry
 * when their client was last verified in full, and a client's sessions
 * kept per address.  See tls_resume.h.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "event.h"
#include "tls_resume.h"

/* ---- decisions ---- */

enum resume_key
resume_key_seal(uint64_t now, uint64_t born, uint64_t life)
{
	return now - born < life ? RESUME_KEY_USE : RESUME_KEY_ROTATE;
}

/*
 * The current key opens what it sealed; the one before it opens for one
 * lifetime after it stopped sealing, and its tickets are renewed.
 */
enum resume_key
resume_key_open(uint64_t now, uint64_t born, uint64_t life, int current)
{
	if (now - born >= 2 * life)
		return RESUME_KEY_REFUSE;
	if (current && now - born < life)
		return RESUME_KEY_USE;
	return RESUME_KEY_RENEW;
}

int
resume_ticket_ok(uint64_t now, uint64_t verified, uint64_t life, int cert_ok)
{
	return cert_ok && verified != 0 && verified <= now &&
	    now - verified < life;
}

/* ---- the server's ticket keys ---- */

struct ticket_key {
	unsigned char	 name[16];
	unsigned char	 aes[32];
	unsigned char	 hmac[32];
	uint64_t	 born;
	int		 set;
};

struct tickets {
	struct ticket_key key[2];
	int		 cur;
	uint64_t	 life;
};

struct sessions {
	struct {
		struct sockaddr_storage	 addr;
		socklen_t		 len;
		SSL_SESSION		*sess;
		uint64_t		 used;
	}		 slot[8];
};

static int	tickets_idx = -1, sessions_idx = -1;

static void
tickets_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	if (ptr != NULL) {
		explicit_bzero(ptr, sizeof(struct tickets));
		free(ptr);
	}
}

static void
sessions_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	struct sessions	*s = ptr;
	size_t		 i;

	if (s == NULL)
		return;
	for (i = 0; i < sizeof(s->slot) / sizeof(s->slot[0]); i++)
		SSL_SESSION_free(s->slot[i].sess);
	free(s);
}

static int
ex_indexes(void)
{
	if (tickets_idx == -1)
		tickets_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    tickets_free);
	if (sessions_idx == -1)
		sessions_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
		    sessions_free);
	return tickets_idx == -1 || sessions_idx == -1 ? -1 : 0;
}

static int
key_new(struct ticket_key *k, uint64_t now)
{
	if (RAND_bytes(k->name, sizeof(k->name)) != 1 ||
	    RAND_bytes(k->aes, sizeof(k->aes)) != 1 ||
	    RAND_bytes(k->hmac, sizeof(k->hmac)) != 1)
		return -1;
	k->born = now;
	k->set = 1;
	return 0;
}

static int
key_mac(EVP_MAC_CTX *hctx, struct ticket_key *k)
{
	OSSL_PARAM	p[3];

	p[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k->hmac,
	    sizeof(k->hmac));
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	p[2] = OSSL_PARAM_construct_end();
	return EVP_MAC_CTX_set_params(hctx, p) == 1 ? 0 : -1;
}

/*
 * OpenSSL asks for a key to seal a ticket (enc) or for the key a ticket
 * names: 1 use it, 2 use it and renew, 0 none (full handshake), -1 error.
 */
static int
ticket_key_cb(SSL *ssl, unsigned char name[16],
    unsigned char iv[EVP_MAX_IV_LENGTH], EVP_CIPHER_CTX *cctx,
    EVP_MAC_CTX *hctx, int enc)
{
	struct tickets		*t;
	struct ticket_key	*k;
	enum resume_key		 d;
	uint64_t		 now = ev_now();
	int			 i;

	t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tickets_idx);
	if (t == NULL)
		return enc ? -1 : 0;
	if (enc) {
		k = &t->key[t->cur];
		if (!k->set || resume_key_seal(now, k->born, t->life) ==
		    RESUME_KEY_ROTATE) {
			t->cur ^= 1;
			k = &t->key[t->cur];
			if (key_new(k, now) == -1)
				return -1;
		}
		if (RAND_bytes(iv, 16) != 1)
			return -1;
		memcpy(name, k->name, sizeof(k->name));
		if (EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1 || key_mac(hctx, k) == -1)
			return -1;
		return 1;
	}
	for (i = 0; i < 2; i++) {
		k = &t->key[i];
		if (!k->set || memcmp(name, k->name, sizeof(k->name)) != 0)
			continue;
		d = resume_key_open(now, k->born, t->life, i == t->cur);
		if (d == RESUME_KEY_REFUSE)
			return 0;
		if (EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes,
		    iv) != 1 || key_mac(hctx, k) == -1)
			return -1;
		return d == RESUME_KEY_RENEW ? 2 : 1;
	}
	return 0;
}

/* The ticket's own data: when its client was verified in full. */
static int
ticket_gen_cb(SSL *ssl, void *arg)
{
	SSL_SESSION	*s = SSL_get_session(ssl);
	unsigned char	 b[8];
	void		*old;
	size_t		 oldlen;
	uint64_t	 v;
	int		 i;

	if (s == NULL)
		return 0;
	/* A resumed session carries its ancestor's time: keep it. */
	if (SSL_SESSION_get0_ticket_appdata(s, &old, &oldlen) == 1 &&
	    oldlen == sizeof(b))
		return 1;
	v = ev_now();
	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)v;
	return SSL_SESSION_set1_ticket_appdata(s, b, sizeof(b));
}

static SSL_TICKET_RETURN
ticket_dec_cb(SSL *ssl, SSL_SESSION *s, const unsigned char *keyname,
    size_t keynamelen, SSL_TICKET_STATUS status, void *arg)
{
	struct tickets	*t;
	X509		*peer;
	void		*data;
	size_t		 len, i;
	uint64_t	 verified = 0;
	int		 cert_ok;

	switch (status) {
	case SSL_TICKET_SUCCESS:
	case SSL_TICKET_SUCCESS_RENEW:
		break;
	case SSL_TICKET_FATAL_ERR_MALLOC:
	case SSL_TICKET_FATAL_ERR_OTHER:
		return SSL_TICKET_RETURN_ABORT;
	default:
		/* none, or not ours: a full handshake and a new ticket */
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	}
	t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tickets_idx);
	if (SSL_SESSION_get0_ticket_appdata(s, &data, &len) == 1 && len == 8)
		for (i = 0; i < 8; i++)
			verified = verified << 8 | ((unsigned char *)data)[i];
	peer = SSL_SESSION_get0_peer(s);
	cert_ok = peer != NULL &&
	    X509_cmp_current_time(X509_get0_notAfter(peer)) > 0 &&
	    X509_cmp_current_time(X509_get0_notBefore(peer)) < 0;
	if (t == NULL || !resume_ticket_ok(ev_now(), verified, t->life,
	    cert_ok))
		return SSL_TICKET_RETURN_IGNORE_RENEW;
	/* A new ticket each time: one used once tells nobody more. */
	return SSL_TICKET_RETURN_USE_RENEW;
}

int
tls_resume_server(SSL_CTX *ctx, const char *sid, uint64_t life_ms,
    char *err, size_t errlen)
{
	struct tickets	*t;

	/* Resuming with a client certificate needs a context named. */
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)sid,
	    (unsigned int)strlen(sid)) != 1)
		goto fail;
	if (life_ms == 0) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		if (SSL_CTX_set_num_tickets(ctx, 0) != 1)
			goto fail;
		return 0;
	}
	if (ex_indexes() == -1 || (t = calloc(1, sizeof(*t))) == NULL)
		goto fail;
	t->life = life_ms;
	if (SSL_CTX_set_ex_data(ctx, tickets_idx, t) != 1) {
		free(t);
		goto fail;
	}
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	/* whole seconds for OpenSSL's own check of a session's age */
	SSL_CTX_set_timeout(ctx, (long)((life_ms + 999) / 1000));
	if (SSL_CTX_set_num_tickets(ctx, 1) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) != 1 ||
	    SSL_CTX_set_session_ticket_cb(ctx, ticket_gen_cb, ticket_dec_cb,
	    NULL) != 1)
		goto fail;
	return 0;

 fail:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "session resumption: %s",
		    ERR_reason_error_string(ERR_peek_error()) != NULL ?
		    ERR_reason_error_string(ERR_peek_error()) : "out of memory");
	ERR_clear_error();
	return -1;
}

/* ---- the client's sessions, by address ---- */

static int
session_usable(SSL_SESSION *s)
{
	X509	*peer;

	if (s == NULL || !SSL_SESSION_is_resumable(s))
		return 0;
	if ((uint64_t)SSL_SESSION_get_time(s) +
	    (uint64_t)SSL_SESSION_get_timeout(s) <= (uint64_t)time(NULL))
		return 0;
	peer = SSL_SESSION_get0_peer(s);
	return peer != NULL &&
	    X509_cmp_current_time(X509_get0_notAfter(peer)) > 0;
}

/*
 * A new session for the SSL's address: a copy takes the slot of the last.
 * A copy, because OpenSSL marks the connection's own session unusable
 * when that connection ends without a close_notify, as a cut one does.
 */
static int
session_new_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct sessions		*s;
	struct sockaddr_storage	 a;
	SSL_SESSION		*copy;
	socklen_t		 len = sizeof(a);
	size_t			 i, pick = 0;

	s = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sessions_idx);
	if (s == NULL || getpeername(SSL_get_fd(ssl), (struct sockaddr *)&a,
	    &len) == -1 || (copy = SSL_SESSION_dup(sess)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	for (i = 0; i < sizeof(s->slot) / sizeof(s->slot[0]); i++) {
		if (s->slot[i].len == len &&
		    memcmp(&s->slot[i].addr, &a, len) == 0) {
			pick = i;
			break;
		}
		if (s->slot[i].used < s->slot[pick].used)
			pick = i;
	}
	SSL_SESSION_free(s->slot[pick].sess);
	s->slot[pick].addr = a;
	s->slot[pick].len = len;
	s->slot[pick].sess = copy;
	s->slot[pick].used = ev_now();
	return 0;	/* OpenSSL keeps its own reference */
}

int
tls_resume_client(SSL_CTX *ctx, char *err, size_t errlen)
{
	struct sessions	*s;

	if (ex_indexes() == -1 || (s = calloc(1, sizeof(*s))) == NULL ||
	    SSL_CTX_set_ex_data(ctx, sessions_idx, s) != 1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "session resumption: out of "
			    "memory");
		ERR_clear_error();
		return -1;
	}
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(ctx, session_new_cb);
	return 0;
}

void
tls_resume_offer(SSL *ssl, int fd)
{
	struct sessions		*s;
	SSL_SESSION		*copy;
	struct sockaddr_storage	 a;
	socklen_t		 len = sizeof(a);
	size_t			 i;

	s = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sessions_idx);
	if (s == NULL || getpeername(fd, (struct sockaddr *)&a, &len) == -1)
		return;
	for (i = 0; i < sizeof(s->slot) / sizeof(s->slot[0]); i++) {
		if (s->slot[i].len != len ||
		    memcmp(&s->slot[i].addr, &a, len) != 0)
			continue;
		/* a copy again: this connection may end uncleanly too */
		if (session_usable(s->slot[i].sess) &&
		    (copy = SSL_SESSION_dup(s->slot[i].sess)) != NULL) {
			s->slot[i].used = ev_now();
			SSL_set_session(ssl, copy);
			SSL_SESSION_free(copy);
		}
		break;
	}
	ERR_clear_error();
}
