#!/bin/bash
# Three managers started with the Go original's flags alone (no file, no
# option of ours) on one host run side by side: each has a control
# socket of its own (control.socket auto), tile38-clusterctl finds them,
# and as root on a host without the user tile38cm or /var/empty the
# children run as nobody, unchrooted, with a warning.  An explicitly
# configured user that does not exist is still a configuration error.
#
# Tile38 servers when there is one (server.kind defaults to tile38, as in
# the original); else Redis, which needs --server.kind redis as well.
set -uo pipefail
. "$TESTS_SRCDIR/tests/integration/lib.sh"
. "$TESTS_SRCDIR/tests/integration/tcm.sh"
. "$TESTS_SRCDIR/tests/integration/cluster.sh"

tile38=${TILE38_SERVER:-$(command -v tile38-server 2>/dev/null)}
if [ -n "$tile38" ] && [ -x "$tile38" ]; then
	CL_KIND=tile38
	TILE38_SERVER=$tile38
	kind_flags=()
else
	CL_KIND=redis
	kind_flags=(--server.kind redis)
fi

t_begin "three managers with the original's flags only, side by side ($CL_KIND)"

# As root: a missing explicit user is refused, exit 78 (EX_CONFIG).
if [ "$(id -u)" = 0 ]; then
	rc=0
	"$TCM" -d --id x --advertise 127.0.0.1 --server.port 1 \
	    --bind.port.leader 2 --bind.port.follower 3 --user tcm-no-such-user \
	    >"$T_DIR/nouser.out" 2>&1 || rc=$?
	[ "$rc" = 78 ] || t_fail "an explicit missing user: exit $rc, not 78: $(cat "$T_DIR/nouser.out")"
	grep -q 'user "tcm-no-such-user" does not exist' "$T_DIR/nouser.out" ||
		t_fail "no reason given: $(cat "$T_DIR/nouser.out")"
	t_ok "an explicitly configured user that does not exist: exit 78"
fi

cl_init
prefix=$CL_PREFIX
ids=()
for i in 1 2 3; do
	cl_server "$i"
	ids[i]="dflt$$-n$i"
	w=$(t_port) r=$(t_port)
	MGR_W[i]=$w
	# Only flags of the Go original (DESIGN.md section 2).
	t_bg "n$i" "$TCM" -d --id "${ids[i]}" --advertise 127.0.0.1 \
	    --server.addr 127.0.0.1 --server.port "${SRV_PORT[i]}" \
	    --bind.addr.leader 127.0.0.1 --bind.port.leader "$w" \
	    --bind.addr.follower 127.0.0.1 --bind.port.follower "$r" \
	    --consul.addr "$CONSUL_HTTP_ADDR" --consul.lock.prefix "$prefix" \
	    --service.manage "${kind_flags[@]}"
	MGR_PID[i]=$T_LAST_PID
done
for i in 1 2 3; do
	tcm_wait_log "n$i" 'supervisor: running: elector, writer, reader, bridge and admin ready' 30
done
for i in 1 2 3; do
	t_alive "${MGR_PID[i]}" || t_fail "manager n$i exited"
done
t_ok "three managers run"

# Each one's socket, from its own log: <dir>/<id>.sock, three different.
socks=()
for i in 1 2 3; do
	s=$(sed -n 's/.*control socket \(\/.*\)$/\1/p' "$T_DIR/n$i.log" | head -n 1)
	[ "${s##*/}" = "${ids[i]}.sock" ] ||
		t_fail "n$i's control socket is \"$s\", not <dir>/${ids[i]}.sock"
	[ -S "$s" ] || t_fail "n$i's control socket $s is not a socket"
	socks[i]=$s
done
[ "${socks[1]}" != "${socks[2]}" ] && [ "${socks[2]}" != "${socks[3]}" ] ||
	t_fail "two managers share a socket: ${socks[*]}"
if [ "$(id -u)" = 0 ]; then
	[ "${socks[1]%/*}" = /run/tile38-cluster-manager ] ||
		t_fail "as root the socket is not in /run/tile38-cluster-manager: ${socks[1]}"
fi
t_ok "each has its own control socket: ${socks[*]}"

# tile38-clusterctl finds each by its id, and names them all without one.
for i in 1 2 3; do
	env -u TCM_CONTROL_SOCKET "$TCMCTL" --id "${ids[i]}" -j status \
	    >"$T_DIR/st$i.json" 2>&1 ||
		t_fail "clusterctl --id ${ids[i]} status: $(cat "$T_DIR/st$i.json")"
	[ "$(jq -r .id "$T_DIR/st$i.json")" = "${ids[i]}" ] ||
		t_fail "clusterctl --id ${ids[i]} reached $(jq -r .id "$T_DIR/st$i.json")"
done
rc=0
env -u TCM_CONTROL_SOCKET "$TCMCTL" status >"$T_DIR/many.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || t_fail "clusterctl status with several daemons: exit $rc, not 2"
for i in 1 2 3; do
	grep -qF "${socks[i]}" "$T_DIR/many.out" ||
		t_fail "clusterctl does not name ${socks[i]}: $(cat "$T_DIR/many.out")"
done
grep -q -- '--id' "$T_DIR/many.out" || t_fail "clusterctl does not say how to choose"
t_ok "tile38-clusterctl finds each by --id and names them all without one"

# One leader, the others follow it; a write through a follower's writer.
t_wait "a leader" 30 cl_has_leader
cl_client
write_n2() { cl_write "${MGR_W[2]}" dkey dval | grep -q OK; }
t_wait "a write through n2's writer" 30 write_n2
t_ok "a cluster: leader $(cl_leader), writes through any node"

if [ "$(id -u)" = 0 ]; then
	user=tile38cm
	if ! getent passwd tile38cm >/dev/null; then
		user=nobody
		grep -q 'user "tile38cm" does not exist: the children run as "nobody"' \
		    "$T_DIR/n1.log" || t_fail "no warning about the missing user"
	fi
	for k in writer elector admin; do
		pid=$(pgrep -P "${MGR_PID[1]}" -x "t38cm-$k" | head -n 1)
		[ -n "$pid" ] || t_fail "no $k child of n1"
		got=$(ps -o user= -p "$pid" | tr -d ' ')
		[ "$got" = "$user" ] || t_fail "n1's $k runs as $got, not $user"
	done
	if [ ! -e /var/empty ]; then
		grep -q 'chroot "/var/empty" does not exist: the proxies and the admin are not chrooted' \
		    "$T_DIR/n1.log" || t_fail "no warning about the missing chroot"
	fi
	t_ok "as root the children run as $user"
fi

for i in 3 2 1; do
	t_stop "${MGR_PID[i]}" 20 || t_fail "manager n$i exited $? on SIGTERM"
	[ ! -e "${socks[i]}" ] || t_fail "n$i left ${socks[i]} behind"
done
for i in 1 2 3; do
	tcm_check_log "n$i"
done
t_ok "stopped; no socket left behind"
