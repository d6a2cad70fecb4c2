/*
 * The elector's heartbeat.  An elector that exits is noticed through
 * SIGCHLD; one that hangs (stopped, or its event loop stuck) is not, and
 * meanwhile it neither refreshes its Consul check nor extends the
 * writer's lease.  The supervisor pings it every HEARTBEAT_MS; when no
 * answer came for election.check.ttl (never less than
 * HEARTBEAT_MIN_HUNG_MS) it treats it as dead: the lease is revoked, the
 * elector killed, and the restart goes through the usual backoff, which
 * hands the new one its session.  By then the hung one's check has gone
 * critical anyway, so waiting longer would keep nothing.
 *
 * The elector answers from its one event loop, including while it hands
 * over on a graceful stop, so a stop is never cut short by the heartbeat
 * unless the elector really stops answering.
 */
#include <stdio.h>

#include "log.h"
#include "supervisor.h"

static uint64_t
heartbeat_hung_ms(const struct supervisor *sv)
{
	uint64_t	ms = sv->cfg.election_check_ttl;

	return ms < HEARTBEAT_MIN_HUNG_MS ? HEARTBEAT_MIN_HUNG_MS : ms;
}

static void
heartbeat_tick(void *arg)
{
	struct sv_child		*ch = arg;
	struct supervisor	*sv = ch->sv;
	struct msg_ping		 p;
	uint64_t		 now = ev_now(), hung = heartbeat_hung_ms(sv);
	char			 why[64];

	/*
	 * A tick that comes far later than asked means we did not run
	 * either (the whole manager was stopped, or starved of CPU): the
	 * elector cannot be blamed for that time, so the count starts again
	 * and it gets a whole period to answer a fresh ping.
	 */
	if (now - ch->hb_tick > HEARTBEAT_MS + hung / 2) {
		log_debug("heartbeat: %llu ms since the last tick; counting"
		    " again", (unsigned long long)(now - ch->hb_tick));
		ch->hb_heard = now;
	}
	ch->hb_tick = now;
	if (now - ch->hb_heard >= hung) {
		/* Once per hang: the kill ends it, the backoff spaces them. */
		snprintf(why, sizeof(why), "not answering for %llu ms",
		    (unsigned long long)(now - ch->hb_heard));
		sv_child_kill(ch, why);
		return;
	}
	p.seq = ++ch->hb_sent;
	proto_send_ping(ch->chan, &p);
	if (ch->chan != NULL)
		ev_timer_start(sv->loop, &ch->hb_timer, HEARTBEAT_MS);
}

void
sv_heartbeat_start(struct sv_child *ch)
{
	ch->hb_sent = ch->hb_answered = 0;
	ch->hb_heard = ch->hb_tick = ev_now();
	ev_timer_init(&ch->hb_timer, heartbeat_tick, ch);
	ev_timer_start(ch->sv->loop, &ch->hb_timer, HEARTBEAT_MS);
}

void
sv_heartbeat_stop(struct sv_child *ch)
{
	ev_timer_stop(ch->sv->loop, &ch->hb_timer);
}

/* Answers come back once each, in the order of the pings. */
int
sv_heartbeat_pong(struct sv_child *ch, const struct imsg *m)
{
	struct msg_ping	p;

	if (msg_ping_decode(&p, m->data, m->datalen) == -1 ||
	    ch->hb_answered == ch->hb_sent || p.seq != ch->hb_answered + 1)
		return -1;
	ch->hb_answered = p.seq;
	ch->hb_heard = ev_now();
	return 0;
}
