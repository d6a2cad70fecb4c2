/*
 * Command classes: what a client may send through the writer (W) and
 * reader (R) listeners, and what a follower may send through a bridge (B).
 *
 * Each server kind has a table of the commands it knows (cmd_table.c),
 * sorted by name.  An entry is a command ("CLIENT") or one of its
 * subcommands ("CLIENT|SETNAME"), with a class and flags.  A name-level
 * entry is always the strictest class among its subcommands and carries
 * all their flags: a subcommand the proxy cannot read for sure (unknown,
 * too long, quoted) falls back to it, so a sub-level entry can only make
 * a subcommand less strict.  A name not in the table is CMD_UNKNOWN and
 * always refused: the proxy cannot tell what a command it does not know
 * would do.
 *
 * A policy says which entries a listener allows, and which a client
 * identity (the SPIFFE service name of its certificate) may use beyond
 * that.  Its text is a list of words, separated by spaces or commas:
 *
 *	read write	a class: allow its commands
 *	-admin		refuse a class
 *	+FLUSHDB	allow one command (a bare name does the same)
 *	-CLIENT|KILL	refuse one command or subcommand
 *
 * A named command beats its class whatever the order of the words (for
 * the same name, the last word wins), and a named subcommand beats its
 * command.  A command is allowed through its name-level entry (the
 * fallback) only if every one of its subcommands is allowed too.  The
 * replication class is never allowed to clients.
 *
 * Grants read "SERVICE: words; SERVICE: words".  A grant's words follow
 * its listener's, for that service only, by the same rules: a command
 * the listener names keeps its verdict unless the grant names it too.
 *
 * Pure functions: no I/O, tested by tests/unit/check_cmd_class.c.
 */
#ifndef CMD_CLASS_H
#define CMD_CLASS_H

#include <stddef.h>

/* The scanner keeps this much of a name or first argument. */
#define CMD_NAME_MAX	32

/* Defaults of proxy.writer.commands and proxy.reader.commands. */
#define CMD_RULES_WRITER	"read write connection"
#define CMD_RULES_READER	"read connection"

/* In order of strictness. */
enum cmd_class {
	CMD_CONNECTION = 0,	/* connection state, pub/sub, transactions */
	CMD_READ,
	CMD_WRITE,
	CMD_ADMIN,		/* the server as a whole, or other clients */
	CMD_REPLICATION,	/* the replication protocol: bridges only */
	CMD_UNKNOWN,		/* not in the table: always refused */
};

/*
 * What the relay needs to know beyond the class.  A name-level entry
 * has every flag of its subcommands.
 *
 * CMD_F_UNORDERED	the server may then send replies that are not one
 *			per command: SUBSCRIBE and its family, MONITOR, a
 *			replication stream (Tile38's live geofences,
 *			NEARBY ... FENCE, cannot be told by name)
 * CMD_F_BLOCKING	may hold its reply for long: BLPOP, XREAD, WAIT
 * CMD_F_CLOSE		the server closes the connection after its reply
 * CMD_F_PROTOCOL	changes the protocol or format of the replies that
 *			follow: HELLO, RESET, Tile38's OUTPUT
 * CMD_F_WRAPPER	runs a command given in its later arguments, which
 *			the scanner does not see (Tile38's TIMEOUT), and is
 *			classed as the strictest command it could run
 * CMD_F_SUBS		the table has "NAME|SUB" entries for this name
 */
#define CMD_F_UNORDERED	0x01
#define CMD_F_BLOCKING	0x02
#define CMD_F_CLOSE	0x04
#define CMD_F_PROTOCOL	0x08
#define CMD_F_WRAPPER	0x10
#define CMD_F_SUBS	0x20

struct cmd_def {
	const char	*name;		/* "GET", "CLIENT|SETNAME" */
	enum cmd_class	 cls;
	unsigned	 flags;		/* CMD_F_* */
};

/* The tables, in cmd_table.c; use cmd_table(). */
extern const struct cmd_def	cmd_table_tile38[], cmd_table_redis[];
extern const size_t		cmd_table_tile38_len, cmd_table_redis_len;

/* "read", "write", ...; "unknown" for CMD_UNKNOWN and out of range. */
const char	*cmd_class_name(enum cmd_class);

/* The table of a server kind (enum server_kind), or NULL. */
const struct cmd_def *cmd_table(int kind, size_t *n);

/*
 * The entry of a command as the scanner gives it: name and sub upper
 * case, sub the first argument or NULL/"" when there is none, name_long
 * and sub_long set when the scanner cut them short.  NULL when unknown.
 * Never allocates: called once per command.
 */
const struct cmd_def *cmd_lookup(int kind, const char *name, int name_long,
	    const char *sub, int sub_long);
/* Its class, and its flags (0 when unknown) if flags is not NULL. */
enum cmd_class	 cmd_class_of(int kind, const char *name, int name_long,
	    const char *sub, int sub_long, unsigned *flags);

/*
 * 1 if a follower may send this through a bridge: only the commands of
 * the replication handshake and stream, whatever the policies say.
 * No name on those lists is near CMD_NAME_MAX long, so a name the
 * scanner cut short never matches; sub is not looked at.
 */
int	 cmd_bridge_allowed(int kind, const char *name, const char *sub);

/* For one client identity; private to cmd_policy.c. */
struct cmd_grant {
	char		*service;
	unsigned char	*allow;	/* per table entry: 1 if allowed */
};

/* One per listener, built once per configuration; private fields. */
struct cmd_policy {
	int		 kind;
	const struct cmd_def *table;
	size_t		 n;
	unsigned char	*allow;	/* per table entry: 1 if allowed */
	struct cmd_grant *grants;	/* sorted by service */
	size_t		 ngrants;
};

/*
 * Build a policy from a listener's words and its grants (either may be
 * NULL, meaning ""); commands are checked against the table of kind.
 * The policy need not be initialised, and what it held is not freed:
 * parse a new one, then free the old.  0, or -1 with err saying what is
 * wrong (the caller names the option) and the policy empty: it refuses
 * everything and may be freed.
 */
int	cmd_policy_parse(struct cmd_policy *, int kind, const char *rules,
	    const char *grants, char *err, size_t errlen);
void	cmd_policy_free(struct cmd_policy *);

/*
 * 1 if the policy allows the command to the client whose service is
 * given (NULL: none, or a service without a grant: the listener's own
 * set).  _def takes an entry from cmd_lookup() on the policy's kind, so
 * that the relay looks a command up once for its flags and its verdict;
 * NULL (unknown) is refused.
 */
int	cmd_policy_allows(const struct cmd_policy *, const char *service,
	    const char *name, int name_long, const char *sub, int sub_long);
int	cmd_policy_allows_def(const struct cmd_policy *, const char *service,
	    const struct cmd_def *);

#endif
