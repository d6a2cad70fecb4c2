/*
 * The leadership state machine: every state, mode and event against a
 * table of rules (the first that matches says what must happen; no rule:
 * nothing happens), then the invariants of DESIGN.md §5.2 over every
 * combination.
 */
#include <stdint.h>
#include <string.h>

#include "leadership.h"
#include "lock_flags.h"
#include "proto.h"
#include "suites.h"

#define ANY		(-1)

/* What leaving leadership without a release does. */
#define LOST		(LACT_LOST | LACT_LEASE_REVOKE | LACT_SERVER_FENCE | \
			    LACT_CATALOG)
#define TAKE		(LACT_TAKEN | LACT_SERVER_LEAD | LACT_LEASE_GRANT | \
			    LACT_CATALOG)
#define RELEASE		(LACT_LEASE_REVOKE | LACT_SERVER_FENCE | \
			    LACT_RELEASE | LACT_CATALOG)
/* A handover stops the writer first, then the server. */
#define HANDOVER	(LACT_LEASE_REVOKE | LACT_QUIET_WAIT)

static const struct rule {
	int		state;		/* ANY matches all */
	int		mode;
	int		ev;
	int		anyone;		/* LEV_DEADLINE's inputs */
	int		release;
	int		next;		/* ANY: unchanged */
	int		next_mode;	/* ANY: unchanged */
	unsigned	act;
	int		reason;		/* of LACT_RELEASE */
} rules[] = {
	/* Taking the lock: an acquire, or a confirmed read. */
	{ LEAD_NONE, MODE_STOP, LEV_ACQUIRED, ANY, ANY, ANY, ANY,
	    LACT_REFUSED, 0 },
	{ LEAD_CONFIRMING, MODE_STOP, LEV_ACQUIRED, ANY, ANY, ANY, ANY,
	    LACT_REFUSED, 0 },
	{ LEAD_RELEASED, MODE_STOP, LEV_ACQUIRED, ANY, ANY, ANY, ANY,
	    LACT_REFUSED, 0 },
	{ LEAD_NONE, ANY, LEV_ACQUIRED, ANY, ANY, LEAD_STARTING, ANY, TAKE, 0 },
	{ LEAD_CONFIRMING, ANY, LEV_ACQUIRED, ANY, ANY, LEAD_STARTING, ANY,
	    TAKE, 0 },
	{ LEAD_RELEASED, ANY, LEV_ACQUIRED, ANY, ANY, LEAD_STARTING, ANY,
	    TAKE, 0 },
	{ LEAD_NONE, MODE_STOP, LEV_LOCK_OURS, ANY, ANY, ANY, ANY, 0, 0 },
	{ LEAD_NONE, ANY, LEV_LOCK_OURS, ANY, ANY, LEAD_CONFIRMING, ANY,
	    LACT_CONFIRM, 0 },
	{ LEAD_CONFIRMING, ANY, LEV_LOCK_OURS, ANY, ANY, ANY, ANY,
	    LACT_CONFIRM, 0 },
	{ LEAD_CONFIRMING, MODE_STOP, LEV_CONFIRMED, ANY, ANY, LEAD_NONE, ANY,
	    0, 0 },
	{ LEAD_CONFIRMING, ANY, LEV_CONFIRMED, ANY, ANY, LEAD_STARTING, ANY,
	    TAKE, 0 },

	/* Losing it: the lock says otherwise. */
	{ LEAD_CONFIRMING, ANY, LEV_LOCK_LOST, ANY, ANY, LEAD_NONE, ANY, 0, 0 },
	{ LEAD_CONFIRMING, ANY, LEV_CONFIRM_LOST, ANY, ANY, LEAD_NONE, ANY,
	    0, 0 },
	{ LEAD_STARTING, ANY, LEV_LOCK_LOST, ANY, ANY, LEAD_NONE, ANY, LOST, 0 },
	{ LEAD_LEADING, ANY, LEV_LOCK_LOST, ANY, ANY, LEAD_NONE, ANY, LOST, 0 },
	{ LEAD_FENCED, ANY, LEV_LOCK_LOST, ANY, ANY, LEAD_NONE, ANY, LOST, 0 },
	{ LEAD_QUIESCING, ANY, LEV_LOCK_LOST, ANY, ANY, LEAD_NONE, ANY,
	    LOST, 0 },
	{ LEAD_HANDOVER, ANY, LEV_LOCK_LOST, ANY, ANY, LEAD_NONE, ANY, LOST, 0 },
	{ LEAD_STARTING, ANY, LEV_CONFIRM_LOST, ANY, ANY, LEAD_NONE, ANY,
	    LOST, 0 },
	{ LEAD_LEADING, ANY, LEV_CONFIRM_LOST, ANY, ANY, LEAD_NONE, ANY,
	    LOST, 0 },
	{ LEAD_FENCED, ANY, LEV_CONFIRM_LOST, ANY, ANY, LEAD_NONE, ANY,
	    LOST, 0 },
	{ LEAD_QUIESCING, ANY, LEV_CONFIRM_LOST, ANY, ANY, LEAD_NONE, ANY,
	    LOST, 0 },
	{ LEAD_HANDOVER, ANY, LEV_CONFIRM_LOST, ANY, ANY, LEAD_NONE, ANY,
	    LOST, 0 },

	/* Leading: the lease, the server, fencing. */
	{ LEAD_STARTING, ANY, LEV_CONFIRMED, ANY, ANY, ANY, ANY,
	    LACT_LEASE_GRANT, 0 },
	{ LEAD_LEADING, ANY, LEV_CONFIRMED, ANY, ANY, ANY, ANY,
	    LACT_LEASE_GRANT, 0 },
	{ LEAD_FENCED, ANY, LEV_CONFIRMED, ANY, ANY, LEAD_STARTING, ANY,
	    LACT_LEASE_GRANT | LACT_UNFENCE_LOG, 0 },
	{ LEAD_STARTING, ANY, LEV_SERVER_READY, ANY, ANY, LEAD_LEADING, ANY,
	    LACT_READY, 0 },
	{ LEAD_STARTING, ANY, LEV_LEASE_EXPIRED, ANY, ANY, LEAD_FENCED, ANY,
	    LACT_LEASE_REVOKE | LACT_FENCE_LOG, 0 },
	{ LEAD_LEADING, ANY, LEV_LEASE_EXPIRED, ANY, ANY, LEAD_FENCED, ANY,
	    LACT_LEASE_REVOKE | LACT_FENCE_LOG, 0 },
	{ LEAD_STARTING, ANY, LEV_SERVER_DOWN, ANY, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_SERVER_DOWN },
	{ LEAD_LEADING, ANY, LEV_SERVER_DOWN, ANY, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_SERVER_DOWN },
	{ LEAD_FENCED, ANY, LEV_SERVER_DOWN, ANY, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_SERVER_DOWN },
	{ LEAD_QUIESCING, ANY, LEV_SERVER_DOWN, ANY, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_SERVER_DOWN },
	{ LEAD_HANDOVER, ANY, LEV_SERVER_DOWN, ANY, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_SERVER_DOWN },

	/* Switchover and graceful stop. */
	{ LEAD_LEADING, MODE_RUN, LEV_SWITCHOVER, ANY, ANY, LEAD_QUIESCING,
	    MODE_SWITCH, HANDOVER, 0 },
	{ ANY, ANY, LEV_SWITCHOVER, ANY, ANY, ANY, ANY, LACT_REFUSED, 0 },
	{ LEAD_STARTING, ANY, LEV_STOP, ANY, ANY, LEAD_QUIESCING, MODE_STOP,
	    HANDOVER, 0 },
	{ LEAD_LEADING, ANY, LEV_STOP, ANY, ANY, LEAD_QUIESCING, MODE_STOP,
	    HANDOVER, 0 },
	{ LEAD_FENCED, ANY, LEV_STOP, ANY, ANY, LEAD_QUIESCING, MODE_STOP,
	    HANDOVER, 0 },
	/* The writer passes nothing more: now the server's writes stop. */
	{ LEAD_QUIESCING, ANY, LEV_WRITER_QUIET, ANY, ANY, LEAD_HANDOVER, ANY,
	    LACT_SERVER_HOLD, 0 },
	{ LEAD_CONFIRMING, ANY, LEV_STOP, ANY, ANY, LEAD_NONE, MODE_STOP, 0, 0 },
	{ ANY, ANY, LEV_STOP, ANY, ANY, ANY, MODE_STOP, 0, 0 },
	{ LEAD_HANDOVER, MODE_STOP, LEV_CAUGHT_UP, ANY, ANY, LEAD_RELEASING,
	    ANY, RELEASE, LOCK_REASON_STOP },
	{ LEAD_HANDOVER, ANY, LEV_CAUGHT_UP, ANY, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_SWITCHOVER },
	/* Nobody caught up in time (or the writer never answered). */
	{ LEAD_QUIESCING, MODE_STOP, LEV_DEADLINE, 0, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_STOP },
	{ LEAD_QUIESCING, MODE_STOP, LEV_DEADLINE, 1, 1, LEAD_RELEASING, ANY,
	    RELEASE | LACT_LAGGING_LOG, LOCK_REASON_STOP },
	{ LEAD_QUIESCING, ANY, LEV_DEADLINE, ANY, 1, LEAD_RELEASING, ANY,
	    RELEASE | LACT_LAGGING_LOG, LOCK_REASON_SWITCHOVER },
	{ LEAD_QUIESCING, MODE_STOP, LEV_DEADLINE, 1, 0, LEAD_STARTING,
	    MODE_RUN, LACT_STOP_REFUSED | LACT_SERVER_LEAD, 0 },
	{ LEAD_QUIESCING, ANY, LEV_DEADLINE, ANY, 0, LEAD_STARTING, MODE_RUN,
	    LACT_SWITCH_FAIL | LACT_SERVER_LEAD, 0 },
	{ LEAD_HANDOVER, MODE_STOP, LEV_DEADLINE, 0, ANY, LEAD_RELEASING, ANY,
	    RELEASE, LOCK_REASON_STOP },
	{ LEAD_HANDOVER, MODE_STOP, LEV_DEADLINE, 1, 1, LEAD_RELEASING, ANY,
	    RELEASE | LACT_LAGGING_LOG, LOCK_REASON_STOP },
	{ LEAD_HANDOVER, ANY, LEV_DEADLINE, ANY, 1, LEAD_RELEASING, ANY,
	    RELEASE | LACT_LAGGING_LOG, LOCK_REASON_SWITCHOVER },
	{ LEAD_HANDOVER, MODE_STOP, LEV_DEADLINE, 1, 0, LEAD_STARTING, MODE_RUN,
	    LACT_STOP_REFUSED | LACT_SERVER_LEAD, 0 },
	{ LEAD_HANDOVER, ANY, LEV_DEADLINE, ANY, 0, LEAD_STARTING, MODE_RUN,
	    LACT_SWITCH_FAIL | LACT_SERVER_LEAD, 0 },
	{ LEAD_RELEASING, ANY, LEV_RELEASE_DONE, ANY, ANY, LEAD_RELEASED, ANY,
	    0, 0 },
	{ LEAD_QUIESCING, ANY, LEV_SWITCH_END, ANY, ANY, ANY, ANY, 0, 0 },
	{ LEAD_HANDOVER, ANY, LEV_SWITCH_END, ANY, ANY, ANY, ANY, 0, 0 },
	{ ANY, MODE_SWITCH, LEV_SWITCH_END, ANY, ANY, ANY, MODE_RUN, 0, 0 },
};

static int
match(int want, int got)
{
	return want == ANY || want == got;
}

static const struct rule *
rule_for(int state, int mode, int ev, int anyone, int release)
{
	size_t	i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (match(rules[i].state, state) && match(rules[i].mode, mode) &&
		    match(rules[i].ev, ev) && match(rules[i].anyone, anyone) &&
		    match(rules[i].release, release))
			return &rules[i];
	return NULL;
}

#define GEN	7

/* One event from state s in mode m, with a read of the current gen. */
static unsigned
step(struct lead *l, int s, int m, int ev, int anyone, int release)
{
	struct lead_obs	o;

	memset(l, 0, sizeof(*l));
	l->state = s;
	l->mode = m;
	l->gen = GEN;
	memset(&o, 0, sizeof(o));
	o.ev = ev;
	o.gen = GEN;
	o.anyone = anyone;
	o.release = release;
	return lead_step(l, &o);
}

/* Every state x mode x event x inputs: the rule's outcome, or none. */
START_TEST(test_every_transition)
{
	const struct rule	*r;
	struct lead		 l;
	unsigned		 act;
	int			 s, m, ev, any, rel, next, next_mode;

	for (s = 0; s < LEAD_NSTATES; s++)
	for (m = 0; m < MODE_NMODES; m++)
	for (ev = 0; ev < LEV_NEVENTS; ev++)
	for (any = 0; any <= 1; any++)
	for (rel = 0; rel <= 1; rel++) {
		act = step(&l, s, m, ev, any, rel);
		r = rule_for(s, m, ev, any, rel);
		next = r != NULL && r->next != ANY ? r->next : s;
		next_mode = r != NULL && r->next_mode != ANY ? r->next_mode : m;
		ck_assert_msg((int)l.state == next && (int)l.mode == next_mode &&
		    act == (r != NULL ? r->act : 0u),
		    "%s/%d --%s (anyone %d, release %d)--> %s/%d act %#x, "
		    "want %s/%d act %#x", lead_state_name(s), m,
		    lead_event_name(ev), any, rel, lead_state_name(l.state),
		    l.mode, act, lead_state_name(next), next_mode,
		    r != NULL ? r->act : 0u);
		if (act & LACT_RELEASE)
			ck_assert_int_eq(l.reason, r->reason);
	}
}
END_TEST

/* A read sent under another generation says nothing, whatever it says. */
START_TEST(test_stale_reads)
{
	struct lead		l;
	struct lead_obs		o;
	int			s, m;

	for (s = 0; s < LEAD_NSTATES; s++)
	for (m = 0; m < MODE_NMODES; m++) {
		memset(&l, 0, sizeof(l));
		l.state = s;
		l.mode = m;
		l.gen = 8;
		memset(&o, 0, sizeof(o));
		o.gen = 7;
		o.ev = LEV_CONFIRMED;
		ck_assert_uint_eq(lead_step(&l, &o), 0);
		o.ev = LEV_CONFIRM_LOST;
		ck_assert_uint_eq(lead_step(&l, &o), 0);
		ck_assert_int_eq(l.state, s);
		ck_assert_uint_eq(l.gen, 8);
	}
}
END_TEST

/*
 * DESIGN.md §5.2 over every combination: the lease runs only where the
 * server may take writes, leaving leadership always revokes it and fences
 * the server, a generation ends with every leadership, and only an
 * acquire makes a node that let go leader again.
 */
START_TEST(test_invariants)
{
	struct lead		 l;
	unsigned		 act;
	int			 s, m, ev, any, rel, held, holds;

	for (s = 0; s < LEAD_NSTATES; s++)
	for (m = 0; m < MODE_NMODES; m++)
	for (ev = 0; ev < LEV_NEVENTS; ev++)
	for (any = 0; any <= 1; any++)
	for (rel = 0; rel <= 1; rel++) {
		held = s >= LEAD_STARTING && s <= LEAD_HANDOVER;
		act = step(&l, s, m, ev, any, rel);
		holds = lead_holds(&l);
		if (act & LACT_LEASE_GRANT)
			ck_assert(l.state == LEAD_STARTING ||
			    l.state == LEAD_LEADING);
		if (held && !holds)
			ck_assert((act & (LACT_LEASE_REVOKE |
			    LACT_SERVER_FENCE)) == (LACT_LEASE_REVOKE |
			    LACT_SERVER_FENCE) && l.gen != GEN);
		if (!held && holds)
			ck_assert(l.gen != GEN && (act & LACT_TAKEN));
		if (act & LACT_SERVER_LEAD)
			ck_assert_int_eq(l.state, LEAD_STARTING);
		/*
		 * Writes held for a handover, and only then: once the
		 * writer was told to stop, which comes first.
		 */
		if (act & LACT_SERVER_HOLD)
			ck_assert(l.state == LEAD_HANDOVER &&
			    s == LEAD_QUIESCING);
		if (l.state == LEAD_HANDOVER && s != LEAD_HANDOVER)
			ck_assert(act & LACT_SERVER_HOLD);
		if (l.state == LEAD_QUIESCING && s != LEAD_QUIESCING)
			ck_assert((act & HANDOVER) == HANDOVER);
		if (act & LACT_RELEASE)
			ck_assert_int_eq(l.state, LEAD_RELEASING);
		if (s == LEAD_RELEASED && ev != LEV_ACQUIRED)
			ck_assert(!holds);
		if (m == MODE_STOP)
			ck_assert(held || !holds);
		if (lead_role(&l, 1) == ROLE_LEADER)
			ck_assert_int_eq(l.state, LEAD_LEADING);
		/* A leader handing over takes no writes: no lease. */
		if (l.state == LEAD_QUIESCING || l.state == LEAD_HANDOVER)
			ck_assert(!(act & LACT_LEASE_GRANT));
	}
}
END_TEST

START_TEST(test_roles)
{
	static const struct {
		int	state;
		int	other;
		int	role;
	} t[] = {
		{ LEAD_NONE, 0, ROLE_UNKNOWN },
		{ LEAD_NONE, 1, ROLE_FOLLOWER },
		{ LEAD_CONFIRMING, 0, ROLE_UNKNOWN },
		{ LEAD_STARTING, 1, ROLE_UNKNOWN },
		{ LEAD_LEADING, 0, ROLE_LEADER },
		{ LEAD_LEADING, 1, ROLE_LEADER },
		{ LEAD_FENCED, 0, ROLE_UNKNOWN },
		{ LEAD_QUIESCING, 0, ROLE_HANDOVER },
		{ LEAD_HANDOVER, 0, ROLE_HANDOVER },
		{ LEAD_RELEASING, 0, ROLE_UNKNOWN },
		{ LEAD_RELEASED, 1, ROLE_FOLLOWER },
	};
	struct lead	l;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&l, 0, sizeof(l));
		l.state = t[i].state;
		ck_assert_msg(lead_role(&l, t[i].other) == t[i].role,
		    "row %zu", i);
	}
}
END_TEST

/* The story of a switchover, step by step, as election.c drives it. */
START_TEST(test_switchover_story)
{
	static const struct {
		int		ev;
		int		state;
		unsigned	act;
	} steps[] = {
		{ LEV_ACQUIRED, LEAD_STARTING, TAKE },
		{ LEV_SERVER_READY, LEAD_LEADING, LACT_READY },
		{ LEV_CONFIRMED, LEAD_LEADING, LACT_LEASE_GRANT },
		{ LEV_SWITCHOVER, LEAD_QUIESCING, HANDOVER },
		{ LEV_CONFIRMED, LEAD_QUIESCING, 0 },
		/* no follower can catch up while the server takes writes */
		{ LEV_CAUGHT_UP, LEAD_QUIESCING, 0 },
		{ LEV_WRITER_QUIET, LEAD_HANDOVER, LACT_SERVER_HOLD },
		{ LEV_WRITER_QUIET, LEAD_HANDOVER, 0 },
		{ LEV_CONFIRMED, LEAD_HANDOVER, 0 },
		{ LEV_CAUGHT_UP, LEAD_RELEASING, RELEASE },
		{ LEV_LOCK_OURS, LEAD_RELEASING, 0 },
		{ LEV_RELEASE_DONE, LEAD_RELEASED, 0 },
		/* a watch answer from before the release: not a leadership */
		{ LEV_LOCK_OURS, LEAD_RELEASED, 0 },
		{ LEV_CONFIRMED, LEAD_RELEASED, 0 },
		{ LEV_LOCK_LOST, LEAD_RELEASED, 0 },
		{ LEV_SWITCH_END, LEAD_RELEASED, 0 },
		{ LEV_ACQUIRED, LEAD_STARTING, TAKE },
	};
	struct lead	l;
	struct lead_obs	o;
	size_t		i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.ev = steps[i].ev;
		o.gen = l.gen;
		ck_assert_msg(lead_step(&l, &o) == steps[i].act &&
		    l.state == (enum lead_state)steps[i].state, "step %zu", i);
	}
	ck_assert_int_eq(l.mode, MODE_RUN);
}
END_TEST

START_TEST(test_names)
{
	int	i;

	for (i = 0; i < LEAD_NSTATES; i++)
		ck_assert_str_ne(lead_state_name(i), "?");
	for (i = 0; i < LEV_NEVENTS; i++)
		ck_assert_str_ne(lead_event_name(i), "?");
	ck_assert_str_eq(lead_state_name(LEAD_NSTATES), "?");
}
END_TEST

Suite *
leadership_suite(void)
{
	Suite	*s = suite_create("leadership");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_every_transition);
	tcase_add_test(tc, test_stale_reads);
	tcase_add_test(tc, test_invariants);
	tcase_add_test(tc, test_roles);
	tcase_add_test(tc, test_switchover_story);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	return s;
}
