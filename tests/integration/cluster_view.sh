#!/bin/bash
# A view of the cluster from any node (Consul dev agent, three
# redis-server, three managers): tile38-clusterctl list shows every
# member once, one leader, the followers caught up and a "*" on the node
# that answered, as text and as the same data in JSON; history records
# each leadership change, newest first, with its reason: the first
# leader, a switchover, a leader killed (expired) and a leader stopped.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin cluster_view
trap '' PIPE

[ -x "$TCMCTL" ] || t_fail "no tile38-clusterctl ($TCMCTL)"

ctl() {
	local i=$1
	shift
	"$TCMCTL" -s "$T_DIR/n$i.ctl" "$@"
}

cl_start3

# Every member with a live record, and both followers caught up.
settled() {
	ctl "$1" -j list >"$T_DIR/list.json" &&
		jq -e '(.members | length) == 3 and
			all(.members[]; .record == "live" and .in_catalog and
			    (.role == "leader" or .caught_up == true))' \
			"$T_DIR/list.json"
}
t_wait "n2 to see three live members" 20 settled 2

# status follows the server's figures without a role change: offset and
# keys move with writes; a leader shows neither catching up nor lag.
offset_of() { ctl "$1" -j status | jq -r .server.offset; }
before=$(offset_of 1)
cl_client
for k in s1 s2 s3; do
	[ "$(cl_write "${MGR_W[1]}" "$k" v)" = OK ] || t_fail "write $k"
done
moved() { [ "$(offset_of 1)" -gt "$before" ] && [ "$(offset_of 2)" -gt "$before" ]; }
t_wait "status to show the new offsets" 5 moved
ctl 1 status >"$T_DIR/status1.txt"
! grep -Eq '^  (caught up|lag):' "$T_DIR/status1.txt" ||
	t_fail "the leader's status shows catching up: $(cat "$T_DIR/status1.txt")"
ctl 2 status | grep -Eq '^  caught up: +yes' ||
	t_fail "a follower's status lacks caught up: $(ctl 2 status)"
t_ok "status: offsets follow writes; the leader shows no catching up"

# The text rows as "id address role server caught-up lag epoch paused",
# and the same made from the JSON.
rows_text() {
	ctl "$1" list | sed -n 's/^[* ] \(n[0-9]\)/\1/p' | awk '{ $1 = $1; print }' |
		sed 's/CAUGHT UP/CAUGHT_UP/'
}
rows_json() {
	ctl "$1" -j list | jq -r '.members[] | [.id, (.address // "-"), .role,
		(if .up == null then "-" elif .up then "up" else "down" end),
		(if .caught_up == null then "-" elif .caught_up then "yes" else "no" end),
		(.lag // "-" | tostring), (.epoch // "-" | tostring),
		(if .paused == null then "-" elif .paused then "yes" else "no" end)]
		| join(" ")'
}
same_rows() {
	rows_text "$1" >"$T_DIR/rows.text"
	rows_json "$1" >"$T_DIR/rows.json"
	diff "$T_DIR/rows.json" "$T_DIR/rows.text"
}

ctl 2 list >"$T_DIR/list.out" || t_fail "list on n2: $(cat "$T_DIR/list.out")"
echo "# list on n2:"
sed 's/^/#   /' "$T_DIR/list.out"
[ "$(grep -c '^[* ] n[123] ' "$T_DIR/list.out")" = 3 ] ||
	t_fail "list does not show three members: $(cat "$T_DIR/list.out")"
head -n 1 "$T_DIR/list.out" | grep -q '^Cluster: 3 members, leader n1, epoch [0-9][0-9]*$' ||
	t_fail "list's first line: $(head -n 1 "$T_DIR/list.out")"
grep -q '^  ID  *ADDRESS  *ROLE  *SERVER  *CAUGHT UP  *LAG  *EPOCH  *PAUSED$' \
	"$T_DIR/list.out" || t_fail "list's header: $(cat "$T_DIR/list.out")"
[ "$(grep -c '^\*' "$T_DIR/list.out")" = 1 ] || t_fail "not one '*' in the list"
grep -q '^\* n2 ' "$T_DIR/list.out" || t_fail "the '*' is not on n2"
[ "$(grep -Ec '^[* ] n[123] .* leader ' "$T_DIR/list.out")" = 1 ] ||
	t_fail "not exactly one leader in the list"
grep -Eq '^  n1  +127\.0\.0\.1:'"${MGR_W[1]}"'  +leader  +up  +-  +-  +[0-9]+  +no$' \
	"$T_DIR/list.out" || t_fail "n1's row: $(grep ' n1 ' "$T_DIR/list.out")"
for i in 2 3; do
	grep -Eq '^[* ] n'$i'  +127\.0\.0\.1:'"${MGR_W[$i]}"'  +follower  +up  +yes  +[0-9]+  +[0-9]+  +no$' \
		"$T_DIR/list.out" || t_fail "n$i's row: $(grep " n$i " "$T_DIR/list.out")"
done
ctl 3 list | grep -q '^\* n3 ' || t_fail "the '*' is not on n3 in n3's list"
t_ok "list: three members, one leader, the followers caught up, '*' on the node asked"

jq -e '.ok == true and .self == "n2" and .leader == "n1" and .epoch > 0 and
	([.members[] | select(.role == "leader")] | length) == 1 and
	([.members[] | select(.role == "follower" and .caught_up and .up)] |
	    length) == 2 and
	([.members[] | select(.self)] | map(.id)) == ["n2"] and
	(.members | map(.id)) == ["n1", "n2", "n3"]' "$T_DIR/list.json" \
	>/dev/null || t_fail "list --json: $(cat "$T_DIR/list.json")"
t_wait "list's text and JSON to agree" 10 same_rows 2
t_ok "list --json: the same members, parsed with jq"

# Read-only: a member of the daemon's group may list, though not change.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	member() {
		setpriv --reuid=4242 --regid=nogroup --clear-groups \
			"$TCMCTL" -s "$T_DIR/n2.ctl" "$@" >"$T_DIR/as.out" 2>&1
	}
	chmod 0711 "$T_DIR"
	member list || t_fail "list as a group member: $(cat "$T_DIR/as.out")"
	grep -q '^\* n2 ' "$T_DIR/as.out" || t_fail "list as a group member: $(cat "$T_DIR/as.out")"
	member -j history || t_fail "history as a group member: $(cat "$T_DIR/as.out")"
	member pause
	rc=$?
	[ $rc = 4 ] || t_fail "pause as a group member: exit status $rc, not 4"
	chmod 0700 "$T_DIR"
	t_ok "list and history: read-only, open to the daemon's group"
fi

# history: the first leader, then every change, newest first.
hist_len() {
	[ "$(ctl "$1" -j history | jq '.history | length')" = "$2" ]
}
t_wait "n1's entry in the history" 10 hist_len 3 1
ctl 3 -j history >"$T_DIR/h1.json" || t_fail "history --json"
jq -e '.ok and .history[0].leader == "n1" and .history[0].previous == "" and
	.history[0].reason == "first" and .history[0].epoch > 0 and
	(.history[0].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))' \
	"$T_DIR/h1.json" >/dev/null || t_fail "the first entry: $(cat "$T_DIR/h1.json")"

# 1: a switchover to n2.
ctl 1 switchover --to n2 >"$T_DIR/sw.out" ||
	t_fail "switchover --to n2: $(cat "$T_DIR/sw.out")"
cl_leader_is n2 || t_fail "n$(cl_leader) leads, not n2"
t_wait "the switchover in the history" 10 hist_len 1 2

# 2: n2's manager killed: its session goes, and the lock with it.
t_wait "n1 to replicate from n2" 20 cl_link_up 1
t_wait "n3 to replicate from n2" 20 cl_link_up 3
cl_kill_manager 2
t_wait "another node to lead" 30 cl_leader_not n2
NEXT=$(cl_leader)
NEXT=${NEXT#n}
t_wait "the expiry in the history" 10 hist_len "$NEXT" 3

# 3: the new leader stopped (SIGTERM): it hands over to the last node.
LAST=$((NEXT == 1 ? 3 : 1))
t_wait "n$LAST to replicate from n$NEXT" 20 cl_link_up $LAST
t_stop "${MGR_PID[$NEXT]}" 20 || t_fail "stopping n$NEXT"
t_wait "n$LAST to lead" 20 cl_leader_is "n$LAST"
t_wait "the stop in the history" 10 hist_len $LAST 4

ctl $LAST history >"$T_DIR/history.out" ||
	t_fail "history: $(cat "$T_DIR/history.out")"
echo "# history on n$LAST:"
sed 's/^/#   /' "$T_DIR/history.out"
ctl $LAST -j history >"$T_DIR/history.json" || t_fail "history --json"
jq -e --arg next "n$NEXT" --arg last "n$LAST" '.ok and (.history | length) == 4 and
	([.history[] | .reason] == ["stop", "expired", "switchover", "first"]) and
	([.history[] | .leader] == [$last, $next, "n2", "n1"]) and
	([.history[] | .previous] == [$next, "n2", "n1", ""]) and
	(.history | map(.epoch) | . == (sort | reverse) and
	    (unique | length) == 4)' "$T_DIR/history.json" >/dev/null ||
	t_fail "history --json: $(cat "$T_DIR/history.json")"
grep -q '^EPOCH  *TIME  *LEADER  *PREVIOUS  *REASON$' "$T_DIR/history.out" ||
	t_fail "history's header: $(cat "$T_DIR/history.out")"
jq -r '.history[] | [.epoch, .time, .leader, (if .previous == "" then "-"
	else .previous end), .reason] | join(" ")' "$T_DIR/history.json" \
	>"$T_DIR/history.want"
tail -n +2 "$T_DIR/history.out" | awk '{ $1 = $1; print }' >"$T_DIR/history.got"
diff "$T_DIR/history.want" "$T_DIR/history.got" >/dev/null ||
	t_fail "history's text and JSON differ: $(diff "$T_DIR/history.want" "$T_DIR/history.got")"
t_ok "history: first, switchover, expired and stop, newest first, epochs increasing"

# The killed node is gone from the catalog and its record with its
# session; the stopped one deregistered.
gone() {
	ctl $LAST -j list | jq -e '(.members | map(.id)) == ["n'"$LAST"'"] and
		.leader == "n'"$LAST"'"'
}
t_wait "n$LAST alone in its list" 90 gone
t_ok "list: members that left are gone"

t_stop "${MGR_PID[$LAST]}" 20 || t_fail "stopping n$LAST"
tcm_check_log n1
tcm_check_log n2
tcm_check_log n3
