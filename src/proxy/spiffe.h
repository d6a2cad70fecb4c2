/*
 * A client's Connect identity, checked by the proxy itself before the
 * agent is asked about it: the SPIFFE id of its certificate must name
 * the trust domain of the CA roots it chained to.  Consul 1.8's
 * /v1/agent/connect/authorize does not compare trust domains (it said
 * yes to spiffe://bogus.consul/...), so a leaf made for another trust
 * domain by anyone holding a key the roots trust would otherwise pass.
 * A pure function, tested by tests/unit/check_spiffe.c.
 */
#ifndef SPIFFE_H
#define SPIFFE_H

/*
 * uri: the certificate's single URI SAN (tls_peer_uri(): NULL when it
 * has none, or several); trust_domain: the roots' TrustDomain.  NULL
 * when the identity belongs to that trust domain, else why not.
 */
const char	*spiffe_refusal(const char *uri, const char *trust_domain);

#endif
