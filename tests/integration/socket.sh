#!/bin/bash
# server.socket: two servers that listen on a UNIX socket and on no TCP
# port at all (Redis --port 0, Tile38 -s), two managers given the socket
# and no server.port.  The elector controls its server over the socket
# (n2's follows n1's through its bridge), writes through both writers
# (n2's on two hops) are acknowledged and read back through n2's reader.
# As root the proxies are chrooted to the socket's directory, the admin
# to its chroot, and they run as nobody.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin "server.socket ($CL_KIND)"

cl_init
cl_client

# A directory of its own per socket, which the proxies' chroot becomes.
declare -a SOCK
for i in 1 2; do
	dir=$T_DIR/run$i
	mkdir -p "$dir" "$T_DIR/data$i"
	chmod 755 "$T_DIR" "$dir"
	SOCK[$i]=$dir/server.sock
	if [ "$CL_KIND" = tile38 ]; then
		t_bg "server$i" "$CL_TILE38" -s "${SOCK[$i]}" -d "$T_DIR/data$i"
	else
		t_bg "server$i" redis-server --port 0 --unixsocket "${SOCK[$i]}" \
			--unixsocketperm 777 --save "" --dir "$T_DIR/data$i" \
			--appendonly no --repl-diskless-sync-delay 0
	fi
	SRV_PID[$i]=$T_LAST_PID
	t_wait "server $i on ${SOCK[$i]}" 20 redis-cli -s "${SOCK[$i]}" ping
	# Tile38 makes its socket 0755: the children's user must write to it.
	chmod 777 "${SOCK[$i]}"
done

# No TCP port of either server.
for i in 1 2; do
	ports=$(ss -Htlnp 2>/dev/null | grep -c "pid=${SRV_PID[$i]},") || true
	[ "$ports" = 0 ] || t_fail "server $i listens on TCP: $(ss -Htlnp | grep "pid=${SRV_PID[$i]},")"
done

EXTRA=()
if [ "$(id -u)" = 0 ]; then
	# Leak checking reads /proc at exit, which a chroot does not have.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	mkdir -p "$T_DIR/empty"
	EXTRA=("chroot $T_DIR/empty")
fi
cl_manager 1 server.port "server.socket ${SOCK[1]}" "${EXTRA[@]}"
t_wait "n1 to lead" 20 cl_leader_is n1
cl_manager 2 server.port "server.socket ${SOCK[2]}" "${EXTRA[@]}"
grep -q '^server.port' "$T_DIR/n1.conf" && t_fail "n1.conf sets server.port"

# Tile38's INFO replication says whom it follows, as Redis' does; the
# reads below show it caught up.
n2_follows() {
	redis-cli -s "${SOCK[2]}" INFO replication 2>/dev/null | tr -d '\r' |
		grep -qx "master_port:${MGR_B[2]}"
}
t_wait "n2's server to follow n1 through n2's bridge" 30 n2_follows
t_ok "each elector controls its server over server.socket; n2 follows n1"

written() { [ "$(cl_write "${MGR_W[$1]}" "$2" "$3")" = OK ]; }
t_wait "a write through n1's writer" 15 written 1 k1 v1
t_wait "a write through n2's writer (two hops)" 15 written 2 k2 v2
read_back() { [ "$(cl_read "${MGR_R[2]}" "$1")" = "$2" ]; }
t_wait "k1 through n2's reader" 15 read_back k1 v1
t_wait "k2 through n2's reader" 15 read_back k2 v2
t_ok "writes through both writers acknowledged, read back through n2's reader"

if [ "$(id -u)" = 0 ]; then
	for kind in writer reader bridge admin; do
		pid=$(pgrep -P "${MGR_PID[1]}" -x "t38cm-$kind" | head -n 1)
		root=$(readlink "/proc/$pid/root")
		want=$T_DIR/run1
		[ "$kind" = admin ] && want=$T_DIR/empty
		[ "$root" = "$want" ] || t_fail "n1's $kind is chrooted to $root, not $want"
	done
	t_ok "as root, the proxies are chrooted to the socket's directory, the admin to its own"
fi

for i in 1 2; do
	t_stop "${MGR_PID[$i]}" 20 || t_fail "n$i did not stop"
	tcm_check_log "n$i"
done
