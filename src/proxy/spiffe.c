/*
 * spiffe://<trust-domain>/<path>: the trust domain is the authority of
 * the URI, compared with the roots' as Consul's own CA compares the
 * identities it may sign (SpiffeIDSigning.CanSign): whole, ignoring
 * ASCII case, since it is a host name, and nothing else left out.  A
 * trailing dot, a port, user information or the trust domain without
 * its ".consul" (ExternalTrustDomain) are another name, as they are to
 * the CA, which never signs them.
 */
#include <string.h>
#include <strings.h>

#include "spiffe.h"

#define SPIFFE_SCHEME	"spiffe://"

const char *
spiffe_refusal(const char *uri, const char *trust_domain)
{
	const char	*host, *slash;
	size_t		 len;

	if (uri == NULL)
		return "no single SPIFFE id";
	if (trust_domain == NULL || *trust_domain == '\0')
		return "no trust domain known yet";
	/* A scheme is case-insensitive (RFC 3986), as Go's url.Parse has it. */
	if (strncasecmp(uri, SPIFFE_SCHEME, strlen(SPIFFE_SCHEME)) != 0)
		return "not a spiffe:// URI";
	host = uri + strlen(SPIFFE_SCHEME);
	if ((slash = strchr(host, '/')) == NULL || slash[1] == '\0')
		return "no path after the trust domain";
	len = (size_t)(slash - host);
	if (len != strlen(trust_domain) ||
	    strncasecmp(host, trust_domain, len) != 0)
		return "another trust domain";
	return NULL;
}
