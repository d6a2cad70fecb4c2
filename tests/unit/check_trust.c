/*
 * What the supervisor takes from a child, as tables: which kind of child
 * may send which message, that no message from a child may carry a
 * descriptor, and which exits stop the daemon.
 */
#include <sys/wait.h>

#include <signal.h>

#include "child.h"
#include "suites.h"
#include "supervisor/supervisor.h"

#define E	(1u << PROC_ELECTOR)
#define P	((1u << PROC_WRITER) | (1u << PROC_READER) | \
		    (1u << PROC_BRIDGE))
#define A	(1u << PROC_ADMIN)
#define W	(1u << PROC_WRITER)
#define ANY	(E | P | A)

#define R	(1u << PROC_READER)

/* The policy, written out again independently of trust.c. */
static const struct {
	uint32_t	type;
	unsigned	from;
	unsigned	to;
	enum sv_keep	keep;
	int		own;
} senders[] = {
	{ MSG_HELLO, ANY, 0, KEEP_NONE, 0 },
	{ MSG_READY, ANY, 0, KEEP_NONE, 0 },
	{ MSG_CONFIG_ACK, ANY, 0, KEEP_NONE, 0 },
	{ MSG_STOP_REFUSED, E, 0, KEEP_NONE, 0 },
	{ MSG_PING, E, 0, KEEP_NONE, 0 },
	{ MSG_SESSION, E, E, KEEP_LATEST, 0 },
	{ MSG_ROLE, E, P | A, KEEP_LATEST, 0 },
	{ MSG_PEERS, E, P | A, KEEP_PER_SERVICE, 0 },
	{ MSG_TLS_LEAF, E, P, KEEP_PER_SERVICE, 1 },
	{ MSG_TLS_ROOTS, E, P, KEEP_LATEST, 0 },
	{ MSG_SERVER_STATE, E, P | A, KEEP_LATEST, 0 },
	{ MSG_LEASE, E, W, KEEP_LATEST, 0 },
	{ MSG_AUTHZ_REQ, P, E, KEEP_NONE, 0 },
	{ MSG_AUTHZ_RESP, E, P, KEEP_NONE, 0 },
	{ MSG_STATS, ANY, A, KEEP_NONE, 0 },
	{ MSG_CTL_REQ, A, E, KEEP_NONE, 0 },
	{ MSG_CTL_RESP, E, A, KEEP_NONE, 0 },
	{ MSG_CTL_PROGRESS, E, A, KEEP_NONE, 0 },
	{ MSG_INTENTIONS, E, W | R, KEEP_NONE, 0 },
	{ MSG_WRITER_QUIET, W, E, KEEP_NONE, 0 },
};

#define NSENDERS	(sizeof(senders) / sizeof(senders[0]))

static int
sender_row(uint32_t type)
{
	size_t	i;

	for (i = 0; i < NSENDERS; i++)
		if (senders[i].type == type)
			return (int)i;
	return -1;
}

/*
 * Every kind (the supervisor and out-of-range ones included) against every
 * type of both directions and some that do not exist, with and without a
 * descriptor.
 */
START_TEST(test_msg_check_table)
{
	static const uint32_t	 odd[] = { 0, 1, MSG_HELLO - 1, 199, 299,
				    400, 0xffffffffu };
	uint32_t		 types[64], type;
	size_t			 ntypes = 0, i;
	int			 kind, fd, row, want;

	for (type = MSG_HELLO; type <= MSG_STOP_REFUSED + 1; type++)
		types[ntypes++] = type;
	for (type = MSG_CONFIG; type <= MSG_PING + 1; type++)
		types[ntypes++] = type;
	for (type = MSG_SESSION; type <= MSG_WRITER_QUIET + 1; type++)
		types[ntypes++] = type;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		types[ntypes++] = odd[i];
	ck_assert_uint_le(ntypes, sizeof(types) / sizeof(types[0]));

	for (kind = -1; kind <= PROC_MAX; kind++)
		for (i = 0; i < ntypes; i++)
			for (fd = 0; fd <= 1; fd++) {
				row = sender_row(types[i]);
				if (row == -1)
					want = SV_MSG_UNKNOWN;
				else if (kind < 0 || kind >= PROC_MAX ||
				    !(senders[row].from & (1u << kind)))
					want = SV_MSG_WRONG_SENDER;
				else if (fd)
					want = SV_MSG_UNEXPECTED_FD;
				else
					want = SV_MSG_OK;
				ck_assert_msg((int)sv_msg_check(kind, types[i],
				    fd) == want, "kind %d type %u fd %d: %d, "
				    "want %d", kind, types[i], fd,
				    (int)sv_msg_check(kind, types[i], fd),
				    want);
			}
}
END_TEST

/* Where each message goes and what is kept of it, against the same rows. */
START_TEST(test_relay_table)
{
	const struct sv_msg_rule	*r;
	size_t				 i;

	for (i = 0; i < NSENDERS; i++) {
		ck_assert_ptr_nonnull(r = sv_msg_rule(senders[i].type));
		ck_assert_msg(r->to == senders[i].to && r->keep ==
		    senders[i].keep && r->own_service == senders[i].own,
		    "%s: to %x keep %d own %d, want %x %d %d",
		    msg_name(r->type), r->to, (int)r->keep, r->own_service,
		    senders[i].to, (int)senders[i].keep, senders[i].own);
		ck_assert_ptr_eq(sv_msg_rule_at(sv_msg_rule_index(r)), r);
	}
	/* Every rule is a row above: none more. */
	for (i = 0; (r = sv_msg_rule_at(i)) != NULL; i++)
		ck_assert_int_ne(sender_row(r->type), -1);
	ck_assert_uint_eq(i, NSENDERS);
	ck_assert_ptr_null(sv_msg_rule(MSG_CONFIG));
}
END_TEST

/* The cases the table above stands for, spelt out. */
START_TEST(test_msg_check_examples)
{
	/* The one message that carries an fd goes the other way. */
	ck_assert_int_eq(sv_msg_check(PROC_WRITER, MSG_LISTENER, 1),
	    SV_MSG_UNKNOWN);
	ck_assert_int_eq(sv_msg_check(PROC_READER, MSG_STATS, 1),
	    SV_MSG_UNEXPECTED_FD);
	ck_assert_int_eq(sv_msg_check(PROC_READER, MSG_STATS, 0), SV_MSG_OK);
	ck_assert_int_eq(sv_msg_check(PROC_ELECTOR, MSG_HELLO, 1),
	    SV_MSG_UNEXPECTED_FD);
	ck_assert_int_eq(sv_msg_check(PROC_BRIDGE, MSG_ROLE, 0),
	    SV_MSG_WRONG_SENDER);
	ck_assert_int_eq(sv_msg_check(PROC_ADMIN, MSG_AUTHZ_REQ, 0),
	    SV_MSG_WRONG_SENDER);
	ck_assert_int_eq(sv_msg_check(PROC_ELECTOR, MSG_CTL_REQ, 0),
	    SV_MSG_WRONG_SENDER);
	ck_assert_int_eq(sv_msg_check(PROC_SUPERVISOR, MSG_HELLO, 0),
	    SV_MSG_WRONG_SENDER);
}
END_TEST

/* Only a refusal before ready stops the daemon. */
START_TEST(test_exit_action_table)
{
	static const struct {
		int	ready;
		int	status;
		int	want;
	} rows[] = {
		{ 0, W_EXITCODE(CHILD_EXIT_CONFIG, 0), SV_EXIT_STOP },
		{ 1, W_EXITCODE(CHILD_EXIT_CONFIG, 0), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(0, 0), SV_EXIT_RESTART },
		{ 1, W_EXITCODE(0, 0), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(1, 0), SV_EXIT_RESTART },
		{ 1, W_EXITCODE(1, 0), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(77, 0), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(79, 0), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(127, 0), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(255, 0), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(0, SIGKILL), SV_EXIT_RESTART },
		{ 1, W_EXITCODE(0, SIGKILL), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(0, SIGSEGV), SV_EXIT_RESTART },
		{ 0, W_EXITCODE(0, SIGABRT) | WCOREFLAG, SV_EXIT_RESTART },
	};
	size_t	i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg((int)sv_exit_action(rows[i].ready,
		    rows[i].status) == rows[i].want, "row %zu", i);
}
END_TEST

Suite *
trust_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("trust");
	tc = tcase_create("messages");
	tcase_add_test(tc, test_msg_check_table);
	tcase_add_test(tc, test_msg_check_examples);
	tcase_add_test(tc, test_relay_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("exits");
	tcase_add_test(tc, test_exit_action_table);
	suite_add_tcase(s, tc);
	return s;
}
