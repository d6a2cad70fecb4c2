#!/bin/bash
# A manager short of descriptors (ulimit -n 64 for all its processes):
# each proxy takes no more connections than its descriptors leave room for,
# and says so once; the clients over that are refused at no cost.  A
# listener whose accept() fails for want of descriptors (the reader's limit
# lowered under it, the admin HTTP port given more clients than fit) is let
# be for a pause instead of spinning: its CPU stays low, the error is
# written a few times with a count of the rest, and once descriptors are
# free again new clients are served.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin "emfile: a manager short of descriptors"
# A write to a connection its peer closed fails; it must not kill the test.
trap '' PIPE

NOFILE=64
# CPU a process may spend over the 3 s it is starved, in ms.
CPU_MAX_MS=500
# "accept:" lines it may write over them, besides the counts.
LINES_MAX=5

for tool in prlimit setpriv; do
	command -v "$tool" >/dev/null || t_skip "$tool not found"
done
command -v cc >/dev/null || t_skip "no C compiler for bench/idle_tls.c"
# shellcheck disable=SC2046
cc -O2 -o "$T_DIR/idle_tls" "$TESTS_SRCDIR/bench/idle_tls.c" \
	$(pkg-config --cflags --libs openssl) || t_fail "cannot build idle_tls"

# utime + stime of PID in ms.
cpu_ms() {
	local u s
	u=$(t_proc_stat "$1" 11)
	s=$(t_proc_stat "$1" 12)
	echo $(( (u + s) * 1000 / $(getconf CLK_TCK) ))
}
lines() {
	grep -c -- "$1" "$T_DIR/n1.log"
}
ping_is() {
	[ "$(cl_tls "$1" PING)" = PONG ]
}
health() {
	curl -sf --max-time 2 "http://127.0.0.1:$HTTP/health" >/dev/null
}
# as_owner PID CMD...: CMD as the user PID runs as.  Another user's limits
# take CAP_SYS_RESOURCE, which root in a container may not have.
as_owner() {
	local pid=$1 uid gid
	shift
	uid=$(awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status")
	gid=$(awk '$1 == "Gid:" { print $2 }' "/proc/$pid/status")
	if [ "$uid" = "$(id -u)" ]; then
		"$@"
	else
		setpriv --reuid "$uid" --regid "$gid" --clear-groups "$@"
	fi
}
# The rest of 3 s since T0 (microseconds): a measure's length, not a wait
# for a condition.
sleep_rest() {
	local us=$(( $1 + 3000000 - ${EPOCHREALTIME/./} ))
	[ "$us" -gt 0 ] || return 0
	sleep "$((us / 1000000)).$(printf '%06d' $((us % 1000000)))"
}

cl_init
cl_server 1
# Every process of the manager gets NOFILE descriptors, soft and hard.
printf '#!/bin/bash\nulimit -n %d || exit 1\nexec %q "$@"\n' "$NOFILE" \
	"$TCM" >"$T_DIR/lowfd"
chmod +x "$T_DIR/lowfd"
HTTP=$(t_port)
real=$TCM
TCM=$T_DIR/lowfd
# Admin clients are not timed out while the test holds them.
cl_manager 1 "http.port $HTTP" "http.timeout 30s"
TCM=$real
t_wait "n1 leads" 15 cl_leader_is n1
cl_client
t_wait "n1's reader answers" 20 ping_is "${MGR_R[1]}"
TCM_PID=${MGR_PID[1]}
READER=$(tcm_child n1 reader)
ADMIN=$(tcm_child n1 admin)
[ -n "$READER" ] || t_fail "no reader process"
[ -n "$ADMIN" ] || t_fail "no admin process"
grep -Eq "^Max open files +$NOFILE +$NOFILE " "/proc/$READER/limits" ||
	t_fail "the reader does not run with $NOFILE descriptors"

# The clamp: every proxy says it once, with both figures.
for p in writer reader bridge; do
	tcm_wait_log n1 "$p: proxy.max_connections 10000 needs [0-9]+ descriptors, more than RLIMIT_NOFILE $NOFILE: taking [0-9]+ connections at most"
	[ "$(lines "$p: proxy.max_connections")" = 1 ] ||
		t_fail "$p warned more than once"
done
fit=$(sed -n 's/.*reader: proxy\.max_connections .* taking \([0-9]*\) connections at most$/\1/p' \
	"$T_DIR/n1.log")
if [ "${fit:-0}" -lt 8 ] || [ $((2 * fit)) -ge "$NOFILE" ]; then
	t_fail "the reader takes ${fit:-no} connections with $NOFILE descriptors"
fi
t_ok "proxy.max_connections clamped to $fit connections with $NOFILE descriptors, said once by each proxy"

# As many clients as fit are served and held; those past them are refused,
# without accept() failing or the reader spending anything on them.
t_bg idle "$T_DIR/idle_tls" 127.0.0.1 "${MGR_R[1]}" "$T_DIR/client.pem" \
	"$T_DIR/client.key" "$T_DIR/roots.pem" "$fit" 120
IDLE=$T_LAST_PID
t_wait "$fit connections held through the reader" 20 \
	grep -qx "ready $fit" "$T_DIR/idle.log"
relayed() {
	[ "$(tcm_established "${SRV_PORT[1]}")" -ge "$fit" ]
}
t_wait "$fit connections relayed to the server" 10 relayed
echo "# the reader holds $(find "/proc/$READER/fd" -mindepth 1 2>/dev/null | wc -l) descriptors with $fit connections"
c0=$(cpu_ms "$READER")
for i in 1 2 3 4 5; do
	ping_is "${MGR_R[1]}" && t_fail "client $((fit + i)) was served past the limit"
done
c1=$(cpu_ms "$READER")
[ "$(lines 'reader: accept:')" = 0 ] || t_fail "accept() failed under the clamp"
[ $((c1 - c0)) -lt "$CPU_MAX_MS" ] ||
	t_fail "the reader spent $((c1 - c0)) ms refusing 5 clients"
t_ok "$fit clients held, the ones past them refused ($((c1 - c0)) ms of CPU), accept() never short"

# Starved: the reader's limit lowered under the descriptors it holds, so
# accept() fails with EMFILE while clients wait in its backlog.
as_owner "$READER" prlimit --pid "$READER" --nofile=$((NOFILE / 2)):"$NOFILE" ||
	t_fail "prlimit on the reader"
waiting=()
for i in 1 2 3; do
	exec {fd}<>"/dev/tcp/127.0.0.1/${MGR_R[1]}" || t_fail "connect $i"
	waiting+=("$fd")
done
c0=$(cpu_ms "$READER")
t0=${EPOCHREALTIME/./}
t_wait "the reader's accept() to fail" 5 \
	grep -q 'reader: accept: Too many open files' "$T_DIR/n1.log"
sleep_rest "$t0"
c1=$(cpu_ms "$READER")
n=$(lines 'reader: accept: Too many open files')
counted=$(lines 'reader: accept: Too many open files ([0-9]* more like this in the last')
echo "# reader starved for 3 s: $((c1 - c0)) ms of CPU, $n accept lines, $counted with a count"
grep 'reader: accept:' "$T_DIR/n1.log" | sed 's/^/#   /'
[ $((c1 - c0)) -lt "$CPU_MAX_MS" ] ||
	t_fail "the reader spent $((c1 - c0)) ms of CPU in 3 s without descriptors"
[ "$n" -le "$LINES_MAX" ] || t_fail "$n accept lines in 3 s"
[ "$counted" -ge 1 ] || t_fail "no count of the accept lines left out"

# The held clients leave: descriptors free, the reader takes clients again.
t_stop "$IDLE" 5 >/dev/null
for fd in "${waiting[@]}"; do
	exec {fd}>&-
done
tcm_wait_log n1 'reader: accepting connections again after [0-9]+ ms' 10
t_wait "a new client served by the reader" 10 ping_is "${MGR_R[1]}"
t_ok "a starved reader pauses accepting (no spin, a few lines and a count) and serves again once descriptors are free"

# The admin HTTP port given more clients than its descriptors allow: its
# limit lowered to a few more than it holds (its pools would otherwise
# close the oldest clients of an address before descriptors run out).
held=$(find "/proc/$ADMIN/fd" -mindepth 1 2>/dev/null | wc -l)
as_owner "$ADMIN" prlimit --pid "$ADMIN" --nofile=$((held + 3)):"$NOFILE" ||
	t_fail "prlimit on the admin"
opened=()
for i in $(seq 1 12); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$HTTP" || t_fail "admin connect $i"
	opened+=("$fd")
done
c0=$(cpu_ms "$ADMIN")
t0=${EPOCHREALTIME/./}
t_wait "the admin's accept() to fail" 5 \
	grep -q 'admin: HTTP accept: Too many open files' "$T_DIR/n1.log"
sleep_rest "$t0"
c1=$(cpu_ms "$ADMIN")
n=$(lines 'admin: HTTP accept: Too many open files')
counted=$(lines 'admin: HTTP accept: Too many open files ([0-9]* more like this in the last')
echo "# admin starved for 3 s: $((c1 - c0)) ms of CPU, $n accept lines, $counted with a count"
[ $((c1 - c0)) -lt "$CPU_MAX_MS" ] ||
	t_fail "the admin spent $((c1 - c0)) ms of CPU in 3 s without descriptors"
[ "$n" -le "$LINES_MAX" ] || t_fail "$n admin accept lines in 3 s"
[ "$counted" -ge 1 ] || t_fail "no count of the admin accept lines left out"
for fd in "${opened[@]}"; do
	exec {fd}>&-
done
tcm_wait_log n1 'admin: HTTP: accepting connections again after [0-9]+ ms' 10
t_wait "the admin answers again" 10 health
t_ok "a starved admin HTTP port pauses accepting and answers again once its clients leave"

# A reload reads the limit again; a figure already warned about is not
# warned about again.  The reader's limit is still the lowered one.
sed -i 's/^proxy\.max_connections .*//' "$T_DIR/n1.conf"
echo "proxy.max_connections 5000" >>"$T_DIR/n1.conf"
kill -HUP "${MGR_PID[1]}"
tcm_wait_log n1 "reader: proxy.max_connections 5000 needs [0-9]+ descriptors, more than RLIMIT_NOFILE $((NOFILE / 2)): taking [0-9]+ connections at most"
tcm_wait_log n1 "writer: proxy.max_connections 5000 needs [0-9]+ descriptors, more than RLIMIT_NOFILE $NOFILE: taking $fit connections at most"
# Another change, the same figures: the reader applies it, silently.
sed -i 's/^http\.timeout .*/http.timeout 25s/' "$T_DIR/n1.conf"
kill -HUP "${MGR_PID[1]}"
applied() {
	[ "$(lines 'supervisor: reader applied configuration generation')" -ge 2 ]
}
t_wait "the reader to apply the second reload" 10 applied
t_wait "the reader served after the reloads" 10 ping_is "${MGR_R[1]}"
[ "$(lines 'reader: proxy.max_connections')" = 2 ] ||
	t_fail "the reader warned again about a figure it had warned about"
t_ok "a reload takes the limit again and warns only about a new figure"

t_stop "${MGR_PID[1]}" 20 || t_fail "stopping n1"
tcm_check_log n1
