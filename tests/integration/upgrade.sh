#!/bin/bash
# The last step of an upgrade from the Go original: its leader releases
# the lock gracefully, and its lock library leaves its own flag value on
# the key (api.LockFlagValue, 0x2ddccbc058a50c18).  That value is not a
# switchover of ours: the next node must contend at once, not hold back
# for election.handover.timeout as for a switchover to another node.
#
# The Go leader is stood in for by its lock, taken and released over
# Consul's HTTP API exactly as its library does: a session of its own,
# ?acquire with the flag, then ?release with the flag.
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"

GO_FLAG=3304740253564472344	# 0x2ddccbc058a50c18
HANDOVER=10s			# what a wrong hold-back would cost

t_begin "the Go original's released lock is taken at once"
[ "$(printf '%x' "$GO_FLAG")" = 2ddccbc058a50c18 ] || t_fail "GO_FLAG"

cl_init
key="http://$CONSUL_HTTP_ADDR/v1/kv/$CL_PREFIX/leader"
session=$(curl -sf -X PUT "http://$CONSUL_HTTP_ADDR/v1/session/create" \
    -d '{"Name":"go-original","TTL":"30s","LockDelay":"15s"}' | jq -r .ID) ||
	t_fail "session"
[ "$(curl -sf -X PUT "$key?acquire=$session&flags=$GO_FLAG" -d go-leader)" = true ] ||
	t_fail "the stand-in Go leader could not take the lock"

for i in 2 3; do
	cl_server "$i"
	cl_manager "$i" "election.handover.timeout $HANDOVER"
done
cl_client
# Both follow nobody yet: the lock names a node that is not ours.
t_wait "n2 and n3 see the Go leader" 15 sh -c \
    "grep -q 'follower of go-leader' '$T_DIR/n2.log' && grep -q 'follower of go-leader' '$T_DIR/n3.log'"
cl_leader_is go-leader || t_fail "the lock moved before the release"
# Not through jq: it reads numbers as doubles, and this one needs 62 bits.
curl -sf "$key" | tr -d " \n" | grep -q "\"Flags\":$GO_FLAG[,}]" ||
	t_fail "the key does not carry the Go flag"

write_ok() { [ "$(cl_write "${MGR_W[2]}" k "$1")" = OK ]; }

released=$(cl_now_ms)
[ "$(curl -sf -X PUT "$key?release=$session&flags=$GO_FLAG" -d go-leader)" = true ] ||
	t_fail "release"
t_wait "one of ours takes the lock" 20 cl_leader_not go-leader
took=$(( $(cl_now_ms) - released ))
t_wait "a write through n2's writer" 20 write_ok v1
written=$(( $(cl_now_ms) - released ))
new=$(cl_leader)

! grep -h 'released for another node' "$T_DIR/n2.log" "$T_DIR/n3.log" ||
	t_fail "a node held back: it took the Go flag for a switchover"
[ "$took" -lt 1500 ] ||
	t_fail "the lock was taken ${took} ms after the release, not at once"
t_ok "$new took the lock ${took} ms after the release; first write acknowledged after ${written} ms"

# And a switchover of ours still names its node: from n2/n3 to the other.
other=n2
[ "$new" = n2 ] && other=n3
t_wait "$other has caught up" 30 cl_link_up "${other#n}"
out=$(TCM_CONTROL_SOCKET="$T_DIR/$new.ctl" "$TCMCTL" switchover --to "$other" 2>&1) ||
	t_fail "switchover --to $other: $out"
t_wait "$other leads" 15 cl_leader_is "$other"
grep -Eq "^leadership moved to $other; writes held for [0-9]+ ms$" <<<"$out" ||
	t_fail "switchover does not say how long writes were held: $out"
t_ok "switchover --to $other still works: $out"

# While the leader waits for its target, tile38-clusterctl says for whom
# and how far behind it is: the target's bridge is stopped, so its server
# falls behind, and let go again once the wait was shown.
t_wait "$new has caught up" 30 cl_link_up "${new#n}"
bridge=$(pgrep -P "${MGR_PID[${new#n}]}" -x t38cm-bridge | head -n 1)
[ -n "$bridge" ] || t_fail "no bridge of $new"
kill -STOP "$bridge"
for k in 1 2 3; do
	[ "$(cl_write "${MGR_W[${other#n}]}" "k$k" "v$k")" = OK ] || t_fail "write k$k"
done
TCM_CONTROL_SOCKET="$T_DIR/$other.ctl" t_bg switchover2 "$TCMCTL" switchover --to "$new"
sw=$T_LAST_PID
t_wait "the switchover shows its wait" 8 grep -Eq \
    "^waiting for $new to catch up: [1-9][0-9]* bytes behind$" "$T_DIR/switchover2.log"
kill -CONT "$bridge"
ended() { ! t_alive "$sw"; }
t_wait "the switchover's end" 15 ended
wait "$sw" || t_fail "switchover --to $new: $(cat "$T_DIR/switchover2.log")"
grep -Eq "^leadership moved to $new; writes held for [0-9]+ ms$" "$T_DIR/switchover2.log" ||
	t_fail "switchover: $(cat "$T_DIR/switchover2.log")"
t_wait "$new leads" 15 cl_leader_is "$new"
t_ok "switchover shows its target's lag while it waits: $(tr '\n' '|' <"$T_DIR/switchover2.log")"

# A leader that has released never takes a stale answer naming its own
# session for a new leadership, and none fences itself.
for i in 2 3; do
	bad=$(cl_false_acquisitions "$T_DIR/n$i.log")
	[ "$bad" = 0 ] || t_fail "n$i took the lock back $bad times after releasing it"
done
! grep -h 'leadership not confirmed' "$T_DIR/n2.log" "$T_DIR/n3.log" ||
	t_fail "a leader fenced itself in a healthy cluster"
t_ok "no lock taken back after a release; no leader fenced itself"

curl -sf -X PUT "http://$CONSUL_HTTP_ADDR/v1/session/destroy/$session" >/dev/null
for i in 2 3; do
	t_stop "${MGR_PID[i]}" 20 || t_fail "manager n$i exited $? on SIGTERM"
	tcm_check_log "n$i"
done
