#!/bin/bash
# contrib/demo, as a user runs it: "contrib/demo", "contrib/demo status",
# "contrib/demo failover", "contrib/demo stop" on free ports, with this
# build's binaries (DEMO_BIN_DIR) and TILE38_SERVER when it is set.  The
# demo's output shows the value read back through all three readers; a
# write and a read through the TLS listeners with the demo's certificate
# work; the failover names a new leader and the cluster has three nodes
# again; after "stop" nothing the demo started is left, and a second
# "stop" is a no-op.  A working directory that is a symbolic link or
# another user's is refused.
#
# As root the whole sequence runs twice: as root with DEMO_DIR in the
# test's directory, and as a temporary system user (created here, removed
# at exit) with the per-user default directory.  As another user it runs
# once, with the default directory under XDG_RUNTIME_DIR.
#
# DEMO_SCRIPT runs another copy of the demo (e.g. an old one, to see this
# test fail).
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
t_begin "contrib/demo"
trap '' PIPE

for p in consul redis-server redis-cli jq curl ss; do
	command -v "$p" >/dev/null 2>&1 ||
		t_fail "$p not found: run contrib/ci/install-deps"
done
case $(redis-cli --help 2>&1) in *--tls*) ;; *) t_fail "redis-cli without TLS" ;; esac
if [ ! -x "$TCM" ] || [ ! -x "$TCMCTL" ]; then
	t_fail "no built daemon and tile38-clusterctl (TCM, TCMCTL)"
fi
DEMO_SRC=${DEMO_SCRIPT:-$TESTS_SRCDIR/contrib/demo}
[ -f "$DEMO_SRC" ] || t_fail "$DEMO_SRC is missing"
if [ -n "${TILE38_SERVER:-}" ]; then
	[ -x "$TILE38_SERVER" ] || t_fail "TILE38_SERVER $TILE38_SERVER is not executable"
	KIND=tile38
else
	KIND=redis
fi
echo "# servers: $KIND${TILE38_SERVER:+ ($TILE38_SERVER)}"

# Everything the demo and its user need, readable by any user: the demo,
# the binaries and the Tile38 server (the checkout may live where another
# user cannot go).  The binaries are where the demo would build them,
# too, so that a demo that ignores DEMO_BIN_DIR still finds them.
chmod 0711 "$T_DIR"
STAGE=$T_DIR/stage
mkdir -p "$STAGE/contrib" "$STAGE/build-demo"
cp "$DEMO_SRC" "$STAGE/contrib/demo"
cp "$TCM" "$TCMCTL" "$STAGE/build-demo/"
if [ "$KIND" = tile38 ]; then
	cp "$TILE38_SERVER" "$STAGE/build-demo/tile38-server"
fi
chmod -R a+rX "$STAGE"
chmod 0755 "$STAGE/contrib/demo" "$STAGE"/build-demo/*
# A working directory every user of this test can be in.
cd "$STAGE" || t_fail "cd $STAGE"
DEMO=$STAGE/contrib/demo
SYS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The identity a run uses: RUN_USER empty for this test's own user.
RUN_USER=
RUN_UID=
RUN_GID=
RUN_HOME=

# as_user CMD...: CMD as the run's identity, from $STAGE.
as_user() (
	cd "$STAGE" || exit 1
	if [ -n "$RUN_USER" ]; then
		exec setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --init-groups \
			env HOME="$RUN_HOME" USER="$RUN_USER" LOGNAME="$RUN_USER" "$@"
	fi
	exec "$@"
)

# The demo's environment for this run, as env(1) arguments: the variables
# to unset (-u NAME), then those to set.
DEMO_ENV=()

# Every demo directory a run used, for the clean-up; the session of
# every demo command.
DEMO_DIRS=()
DEMO_OWNERS=()
DEMO_SIDS=()

# demo NAME ARGS...: run the demo in a session of its own, its output in
# $T_DIR/NAME.log; its exit status.  What it recorded as started is added
# to this test's own copy, $T_DIR/pids.K, for the clean-up.
demo() {
	local name=$1 rc=0 k=$((${#DEMO_DIRS[@]} - 1))
	local -a who=()
	shift
	: >"$T_DIR/$name.log"
	[ ! -f "$D/pids" ] || cat "$D/pids" >>"$T_DIR/pids.$k"
	if [ -n "$RUN_USER" ]; then
		who=(setpriv --reuid="$RUN_UID" --regid="$RUN_GID" --init-groups
			env HOME="$RUN_HOME" USER="$RUN_USER" LOGNAME="$RUN_USER")
	fi
	# t_bg's subshell is no process group leader: setsid makes its
	# session there, with its pid as the session id.
	t_bg "$name" setsid "${who[@]}" env "${DEMO_ENV[@]}" timeout 120 "$DEMO" "$@"
	DEMO_SIDS+=("$T_LAST_PID")
	wait "$T_LAST_PID" || rc=$?
	[ ! -f "$D/pids" ] || cat "$D/pids" >>"$T_DIR/pids.$k"
	return "$rc"
}

# fail_with MESSAGE: the end of the demo's own logs, then fail.
fail_with() {
	local f
	if [ -n "${D:-}" ] && [ -d "$D" ]; then
		for f in "$D"/n?.log "$D"/server?.log; do
			[ -f "$f" ] || continue
			echo "# --- last 15 lines of $f ---"
			tail -n 15 "$f"
		done
	fi
	t_fail "$1"
}

# A clean-up that does not rely on the demo: "stop" as the run's user,
# then SIGKILL to every recorded process still the one started, and its
# descendants.
descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null || true); do
		printf '%s\n' "$c"
		descendants "$c"
	done
}

starttime() {
	t_proc_stat "$1" 19
}

# The processes recorded in FILE (a demo's pids, or this test's copy)
# still alive: "name pid".  Lines are "name pid starttime"; a line of a
# pid alone (an older demo's) is taken as it is.
recorded_alive() {
	local n p st
	[ -f "$1" ] || return 0
	while read -r n p st; do
		if [ -z "$p" ]; then
			p=$n
			n=process
		elif [ "$(starttime "$p")" != "$st" ]; then
			continue
		fi
		if t_alive "$p"; then
			printf '%s %s\n' "$n" "$p"
		fi
	done <"$1"
}

kill_recorded() {
	local n p c
	while read -r n p; do
		[ -n "$p" ] || continue
		_t_say "# clean-up: SIGKILL to $n (pid $p) and its descendants"
		for c in $(descendants "$p"); do
			kill -KILL "$c" 2>/dev/null || true
		done
		kill -KILL "$p" 2>/dev/null || true
	done < <(recorded_alive "$1")
}

# Every process the demo commands of this test started, wherever they
# put their files and whatever they call themselves: each demo command
# runs in a session of its own (setsid), which what it starts inherits.
demo_procs() {
	local sids p
	[ "${#DEMO_SIDS[@]}" -gt 0 ] || return 0
	sids=$(IFS=,; printf '%s' "${DEMO_SIDS[*]}")
	for p in $(pgrep -s "$sids" 2>/dev/null || true); do
		if t_alive "$p"; then
			printf '%s %s\n' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
		fi
	done
}

demo_cleanup() {
	local k d p left
	# A demo command still running (the test was interrupted) first.
	_t_kill_all
	for k in "${!DEMO_DIRS[@]}"; do
		d=${DEMO_DIRS[k]}
		if [ -f "$d/pids" ] && [ -n "${DEMO_OWNERS[k]}" ]; then
			(cd "$STAGE" && timeout 60 setpriv \
				--reuid="${DEMO_OWNERS[k]%:*}" \
				--regid="${DEMO_OWNERS[k]#*:}" --clear-groups \
				env DEMO_DIR="$d" "$DEMO" stop) >/dev/null 2>&1 || true
		elif [ -f "$d/pids" ]; then
			DEMO_DIR=$d timeout 60 "$DEMO" stop >/dev/null 2>&1 || true
		fi
		kill_recorded "$d/pids"
		kill_recorded "$T_DIR/pids.$k"
	done
	while read -r p left; do
		[ -n "$p" ] || continue
		_t_say "# clean-up: SIGKILL to pid $p: $left"
		kill -KILL "$p" 2>/dev/null || true
	done < <(demo_procs)
	if [ -n "${TMP_USER:-}" ]; then
		# Whatever still runs as the temporary user, by pid.
		for p in $(pgrep -u "$TMP_UID" 2>/dev/null || true); do
			kill -KILL "$p" 2>/dev/null || true
		done
		for _ in $(seq 100); do
			left=0
			for p in $(pgrep -u "$TMP_UID" 2>/dev/null || true); do
				t_alive "$p" && left=1
			done
			[ "$left" = 1 ] || break
			sleep 0.1
		done
		userdel "$TMP_USER" >/dev/null 2>&1 || true
		getent group "$TMP_USER" >/dev/null && groupdel "$TMP_USER" >/dev/null 2>&1
		rm -rf "/tmp/tile38-cluster-manager-demo-$TMP_UID"
	fi
	return 0
}
trap 'rc=$?; demo_cleanup; (exit "$rc"); _t_exit' EXIT

has() {
	grep -qF -- "$2" "$T_DIR/$1.log"
}

must_have() {
	has "$1" "$2" || fail_with "$1: no \"$2\" in the demo's output"
}

# TLS through the demo's certificate, as the run's user.
dtls() {
	local port=$1
	shift
	as_user timeout 5 redis-cli --tls --cert "$D/client.pem" \
		--key "$D/client.key" --cacert "$D/roots.pem" \
		-h 127.0.0.1 -p "$port" "$@" 2>/dev/null
}

dread_is() {
	local want=$1 port=$2 key=$3
	if [ "$KIND" = tile38 ]; then
		[ "$(dtls "$port" GET demotest "$key")" = "$want" ]
	else
		[ "$(dtls "$port" GET "$key")" = "$want" ]
	fi
}

# Exactly one leader and two followers, over the control sockets.
three_nodes() {
	local roles
	roles=$(for i in 1 2 3; do
		as_user timeout 5 "$STAGE/build-demo/tile38-clusterctl" -s "$D/n$i.sock" \
			-j status | jq -r .role
	done | sort | tr '\n' ' ')
	[ "$roles" = "follower follower leader " ]
}

# Processes whose command line names DIR, or one of the ports: "pid
# command line" each.  Read from /proc without a pipeline, so that no
# process of this check names them.
leftovers() {
	local dir=$1 f pid cmd p
	local -a argv
	shift
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		if [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ]; then
			continue
		fi
		mapfile -d "" -t argv 2>/dev/null <"$f" || continue
		if [ "${#argv[@]}" -eq 0 ] || ! t_alive "$pid"; then
			continue
		fi
		cmd=" ${argv[*]} "
		if [[ $cmd == *"$dir/"* ]]; then
			printf '%s %s\n' "$pid" "$cmd"
			continue
		fi
		for p in "$@"; do
			if [[ $cmd =~ [^0-9]${p}[^0-9] ]]; then
				printf '%s %s\n' "$pid" "$cmd"
				break
			fi
		done
	done
}

# run_sequence LABEL: the whole demo as the current RUN_USER, in D
# (DEMO_DIR when D_EXPLICIT=1, else the demo's default for that user).
run_sequence() {
	local l=$1 i p out old new outage rw key leader_now
	local -a ports w r pids

	for i in $(seq 13); do
		ports+=("$(t_port)") || t_fail "no free port"
	done
	w=("${ports[@]:7:3}")
	r=("${ports[@]:10:3}")
	DEMO_ENV=(-u DEMO_PORT_BASE -u DEMO_SERVER_KIND)
	[ "$D_EXPLICIT" = 1 ] || DEMO_ENV+=(-u DEMO_DIR)
	[ -n "${XDG:-}" ] || DEMO_ENV+=(-u XDG_RUNTIME_DIR)
	[ "$KIND" = tile38 ] || DEMO_ENV+=(-u TILE38_SERVER)
	DEMO_ENV+=(PATH="$SYS_PATH" DEMO_BIN_DIR="$STAGE/build-demo"
		DEMO_CONSUL_HTTP_PORT="${ports[0]}"
		DEMO_CONSUL_SERVER_PORT="${ports[1]}"
		DEMO_CONSUL_SERF_LAN_PORT="${ports[2]}"
		DEMO_CONSUL_SERF_WAN_PORT="${ports[3]}"
		DEMO_SERVER_PORTS="${ports[4]} ${ports[5]} ${ports[6]}"
		DEMO_WRITER_PORTS="${w[*]}" DEMO_READER_PORTS="${r[*]}")
	[ "$D_EXPLICIT" = 0 ] || DEMO_ENV+=(DEMO_DIR="$D")
	[ -z "${XDG:-}" ] || DEMO_ENV+=(XDG_RUNTIME_DIR="$XDG")
	[ "$KIND" = redis ] || DEMO_ENV+=(TILE38_SERVER="$STAGE/build-demo/tile38-server")
	DEMO_DIRS+=("$D")
	DEMO_OWNERS+=("${RUN_UID:+$RUN_UID:$RUN_GID}")

	# --- start ---
	demo "$l-start" start || fail_with "$l: contrib/demo exited $?"
	[ -d "$D" ] || fail_with "$l: the demo did not use $D"
	[ "$(stat -c '%a %u' "$D")" = "700 $(as_user id -u)" ] ||
		fail_with "$l: $D is $(stat -c '%a %U' "$D"), not 700 and its user's"
	[ "$(stat -c '%a' "$D/client.key")" = 600 ] ||
		fail_with "$l: client.key is mode $(stat -c '%a' "$D/client.key")"
	for i in 1 2 3; do
		if [ "$KIND" = tile38 ]; then
			grep -Eq "GET fleet truck1 through n$i's reader \(127\.0\.0\.1:${r[i - 1]}\): .*33\.5" \
				"$T_DIR/$l-start.log" ||
				fail_with "$l: the point is not shown read back through n$i's reader"
		else
			grep -Eq "GET demo through n$i's reader \(127\.0\.0\.1:${r[i - 1]}\): hello from n1" \
				"$T_DIR/$l-start.log" ||
				fail_with "$l: the value is not shown read back through n$i's reader"
		fi
	done
	t_ok "$l: the demo wrote through n1 and read back through all three readers"

	must_have "$l-start" "What to try"
	for p in status list history switchover; do
		grep -Eq "tile38-clusterctl -s $D/n[123]\.sock $p\$" "$T_DIR/$l-start.log" ||
			fail_with "$l: no \"tile38-clusterctl -s $D/nN.sock $p\" in the output"
	done
	must_have "$l-start" "redis-cli --tls --cert $D/client.pem --key $D/client.key --cacert $D/roots.pem -h 127.0.0.1 -p ${w[0]}"
	must_have "$l-start" "demo failover"
	must_have "$l-start" "demo stop"
	must_have "$l-start" "$D/*.log"
	t_ok "$l: \"What to try\" names the sockets, the certificate files, failover, logs and stop"

	# The commands it prints work, as its user.
	out=$(as_user timeout 5 "$STAGE/build-demo/tile38-clusterctl" -s "$D/n1.sock" status) ||
		fail_with "$l: tile38-clusterctl -s $D/n1.sock status failed: $out"
	grep -q 'n1' <<<"$out" || fail_with "$l: tile38-clusterctl status does not name n1: $out"
	out=$(as_user timeout 5 "$STAGE/build-demo/tile38-clusterctl" -s "$D/n1.sock" -j status |
		jq -r .role)
	[ "$out" = leader ] || fail_with "$l: n1 is not the leader but \"$out\""
	# The cluster's first leadership is in the history, even when n1
	# took the lock before its lock watch had answered.
	hist() {
		as_user timeout 5 "$STAGE/build-demo/tile38-clusterctl" -s "$D/n1.sock" \
		    -j history | jq -e '.history[-1] | .leader == "n1" and .reason == "first"'
	}
	t_wait "$l: the first leadership in the history" 10 hist
	t_wait "one leader, two followers" 20 three_nodes
	demo "$l-status" status || fail_with "$l: contrib/demo status exited $?"
	must_have "$l-status" "n1: leader"
	t_ok "$l: tile38-clusterctl over n1.sock and \"contrib/demo status\" show the roles"

	# A write and a read of our own through the TLS listeners.
	if [ "$KIND" = tile38 ]; then
		key=k1
		rw=$(dtls "${w[1]}" SET demotest "$key" STRING "v-$l")
	else
		key=demotest:k1
		rw=$(dtls "${w[1]}" SET "$key" "v-$l")
	fi
	[ "$rw" = OK ] || fail_with "$l: write through n2's writer: \"$rw\""
	for i in 1 2 3; do
		t_wait "$l: the write read back through n$i's reader" 15 \
			dread_is "v-$l" "${r[i - 1]}" "$key"
	done
	if timeout 5 redis-cli --tls --cacert "$D/roots.pem" -h 127.0.0.1 \
		-p "${w[0]}" PING 2>/dev/null | grep -q PONG; then
		fail_with "$l: a client without a certificate was served"
	fi
	t_ok "$l: with the demo's certificate files, a write through n2's writer reads back everywhere"

	# --- failover ---
	demo "$l-failover" failover || fail_with "$l: contrib/demo failover exited $?"
	old=$(sed -n 's/^  old leader: *\(n[123]\) .*/\1/p' "$T_DIR/$l-failover.log")
	new=$(sed -n 's/^  new leader: *\(n[123]\)$/\1/p' "$T_DIR/$l-failover.log")
	outage=$(sed -n 's/^  writes failed for: *\([0-9][0-9]*\) ms.*/\1/p' "$T_DIR/$l-failover.log")
	if [ -z "$old" ] || [ -z "$new" ]; then
		fail_with "$l: failover printed no old and new leader"
	fi
	[ "$old" != "$new" ] || fail_with "$l: failover: the new leader is the old one, $old"
	[ -n "$outage" ] || fail_with "$l: failover printed no outage in ms"
	_t_say "# $l failover: $(grep -E '^  (old leader|new leader|writes|acknowledged)' \
		"$T_DIR/$l-failover.log" | sed 's/^  //; s/  */ /g' | tr '\n' ';')"
	t_wait "$l: one leader, two followers after the failover" 30 three_nodes
	leader_now=$(as_user timeout 5 "$STAGE/build-demo/tile38-clusterctl" -s "$D/n1.sock" -j status | jq -r .leader)
	[ "$leader_now" = "$new" ] || fail_with "$l: n1 follows $leader_now, not $new"
	t_ok "$l: failover: $old -> $new, writes failed for $outage ms; three nodes again"

	# --- stop ---
	mapfile -t pids < <(awk '{ print $1 ":" $2 }' "$D/pids")
	while read -r p; do
		for i in $(descendants "$p"); do
			pids+=("child:$i")
		done
	done < <(awk '$1 ~ /^n[123]$/ { print $2 }' "$D/pids")
	[ "${#pids[@]}" -ge 7 ] || fail_with "$l: only ${#pids[@]} processes recorded: ${pids[*]}"
	demo "$l-stop" stop || fail_with "$l: contrib/demo stop exited $?"
	must_have "$l-stop" "demo stopped"
	for p in "${pids[@]}"; do
		! t_alive "${p#*:}" || fail_with "$l: ${p%%:*} (pid ${p#*:}) is still running after stop"
	done
	out=$(leftovers "$D" "${ports[@]}")
	[ -z "$out" ] || fail_with "$l: still running after stop: $out"
	out=$(demo_procs)
	[ -z "$out" ] || fail_with "$l: processes the demo started still run after stop: $out"
	for p in "${ports[@]}"; do
		[ -z "$(ss -Htln "sport = :$p")" ] ||
			fail_with "$l: something still listens on 127.0.0.1:$p"
	done
	if grep -El 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
		"$D"/n?.log; then
		fail_with "$l: a sanitizer report in a manager's log"
	fi
	demo "$l-stop2" stop || fail_with "$l: a second contrib/demo stop exited $?"
	must_have "$l-stop2" "nothing running"
	t_ok "$l: stop leaves none of the ${#pids[@]} processes, nothing on the ports; stop again is a no-op"
}

# refused LABEL DIR WHY: the demo refuses DIR as DEMO_DIR, saying WHY,
# and starts nothing.
refused() {
	local l=$1 dir=$2 why=$3
	DEMO_ENV=(PATH="$SYS_PATH" DEMO_BIN_DIR="$STAGE/build-demo" DEMO_DIR="$dir"
		DEMO_PORT_BASE="$(t_port)")
	if demo "$l" start; then
		fail_with "$l: the demo accepted $dir"
	fi
	must_have "$l" "$why"
	! has "$l" "Consul dev agent" || fail_with "$l: the demo started something"
	if demo "$l-stop" stop; then
		fail_with "$l: \"stop\" accepted $dir"
	fi
}

# --- this test's user -----------------------------------------------------

if [ "$(id -u)" = 0 ]; then
	D=$T_DIR/root-demo
	D_EXPLICIT=1
	XDG=
	run_sequence root
else
	# The default directory, under a private XDG_RUNTIME_DIR of the test.
	XDG=$T_DIR/xdg
	mkdir -m 0700 "$XDG"
	D=$XDG/tile38-cluster-manager-demo
	D_EXPLICIT=0
	run_sequence "$(id -un)"
	echo "# not root: the run as root and as another user is skipped"
fi

ln -s "$T_DIR/stage" "$T_DIR/link"
refused symlink "$T_DIR/link" "is a symbolic link"
t_ok "a DEMO_DIR that is a symbolic link is refused"

if [ "$(id -u)" != 0 ]; then
	refused foreign / "belongs to"
	t_ok "a DEMO_DIR of another user is refused"
	exit 0
fi

# --- a temporary unprivileged user, the per-user default directory ---------

for p in useradd userdel setpriv; do
	command -v "$p" >/dev/null || t_fail "$p is needed as root"
done
TMP_USER=tcmdemo$$
TMP_USER=${TMP_USER:0:31}
useradd --system --user-group --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin "$TMP_USER" || t_fail "useradd $TMP_USER"
TMP_UID=$(id -u "$TMP_USER")
RUN_USER=$TMP_USER
RUN_UID=$TMP_UID
RUN_GID=$(id -g "$TMP_USER")
RUN_HOME=$T_DIR/home
mkdir -m 0700 "$RUN_HOME"
chown "$RUN_UID:$RUN_GID" "$RUN_HOME"

D=/tmp/tile38-cluster-manager-demo-$TMP_UID
# A directory of a user of this uid before is not ours: it goes.
rm -rf "$D"
D_EXPLICIT=0
XDG=
run_sequence "$TMP_USER"

# The user's directory as root's DEMO_DIR; root's as the user's.
RUN_USER=
refused foreign-root "$D" "belongs to $TMP_USER"
mkdir -m 0755 "$T_DIR/rootdir"
RUN_USER=$TMP_USER
refused foreign-user "$T_DIR/rootdir" "belongs to root"
t_ok "a DEMO_DIR of another user is refused, as root and as a user"
