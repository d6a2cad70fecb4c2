# Helpers for the integration tests; sourced by bash test scripts:
#
#	. "$TESTS_SRCDIR/tests/integration/lib.sh"
#	t_begin "what this test shows"
#
# Every test works in its own directory ($T_DIR), binds only 127.0.0.1,
# starts its processes with t_bg, waits with t_wait (never a bare sleep as
# a condition), and leaves no process behind: on exit, every process t_bg
# started that is still alive gets SIGTERM, then SIGKILL after 5 s.  The
# work directory is removed when the test passed or skipped, and kept (its
# path printed) otherwise.
#
# Exit codes follow automake: 0 pass, 77 skip, anything else fail.
# t_fail and t_skip exit the shell they run in, so call them (and the
# helpers that may call them) in the test's own shell, not inside $(...).
#
# The functions work with and without "set -euo pipefail".

if [ -z "${BASH_VERSION:-}" ]; then
	echo "lib.sh: needs bash" >&2
	exit 1
fi

T_NAME=
T_DIR=
T_LAST_PID=
T_PIDS=()
T_ATEXIT=()	# commands run at exit once the processes are gone
T_OUT=1		# the test's own stdout, also while t_wait redirects a check

_t_say() {
	printf '%s\n' "$*" >&"$T_OUT"
}

# Microseconds since the epoch.
_t_now_us() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s\n' "$t"
}

# "10", "1.5" or "0.25" seconds as microseconds.
_t_sec_to_us() {
	local s=$1 int frac
	int=${s%%.*}
	if [ "$int" = "$s" ]; then
		frac=
	else
		frac=${s#*.}
	fi
	frac=${frac}000000
	frac=${frac:0:6}
	printf '%s\n' "$(( 10#${int:-0} * 1000000 + 10#$frac ))"
}

t_begin() {
	T_NAME=$1
	T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tcm-test.XXXXXX")
	exec {T_OUT}>&1
	: >"$T_DIR/.ports"
	trap '_t_exit' EXIT
	trap '_t_signal INT' INT
	trap '_t_signal TERM' TERM
	_t_say "# $T_NAME"
}

t_ok() {
	_t_say "ok - $*"
}

t_skip() {
	_t_say "SKIP: $*"
	exit 77
}

t_fail() {
	local f
	_t_say "FAIL: $*"
	if [ -n "$T_DIR" ] && [ -d "$T_DIR" ]; then
		for f in "$T_DIR"/*.log; do
			[ -f "$f" ] || continue
			_t_say "# --- last 30 lines of ${f##*/} ---"
			tail -n 30 "$f" >&"$T_OUT"
			_t_say "# --- end of ${f##*/} ---"
		done
	fi
	exit 1
}

# A signal (the harness's timeout, ^C): fail, which runs the cleanup.
_t_signal() {
	trap '' INT TERM
	t_fail "interrupted by SIG$1"
}

_t_exit() {
	local rc=$?
	trap '' INT TERM
	trap - EXIT
	_t_kill_all
	_t_run_atexit
	if [ -n "$T_DIR" ] && [ -s "$T_DIR/.ports" ]; then
		(cd /tmp/tcm-test-ports 2>/dev/null &&
		    xargs rmdir -- <"$T_DIR/.ports" 2>/dev/null)
	fi
	if [ -n "$T_DIR" ] && [ -d "$T_DIR" ]; then
		if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; then
			rm -rf "$T_DIR"
		else
			_t_say "# work directory kept: $T_DIR"
		fi
	fi
	exit "$rc"
}

# t_atexit CMD ARGS...: run CMD on exit, after every t_bg process is
# gone, the last registered first: for what the processes used and that
# outlives them (network namespaces, links).  Its failure is ignored.
t_atexit() {
	T_ATEXIT+=("$(printf '%q ' "$@")")
}

_t_run_atexit() {
	local i
	for (( i = ${#T_ATEXIT[@]} - 1; i >= 0; i-- )); do
		eval "${T_ATEXIT[i]}" >/dev/null 2>&1 || true
	done
}

# Every live descendant of a process, children first.
_t_descendants() {
	local c
	for c in $(pgrep -P "$1" 2>/dev/null || true); do
		printf '%s\n' "$c"
		_t_descendants "$c"
	done
}

# SIGTERM to every t_bg process still alive; 5 s later SIGKILL to what is
# left of them and of the processes they had started (which a parent
# killed first could have orphaned).
_t_kill_all() {
	local pid p deadline
	local -a mine=() victims=() left=()

	for pid in "${T_PIDS[@]}"; do
		# Only our own children: a reaped pid may have been reused.
		t_alive "$pid" || continue
		[ "$(_t_ppid "$pid")" = "$BASHPID" ] || continue
		mine+=("$pid")
		victims+=("$pid")
		while read -r p; do
			[ -n "$p" ] && victims+=("$p")
		done < <(_t_descendants "$pid")
	done
	[ "${#victims[@]}" -gt 0 ] || return 0

	kill -TERM "${mine[@]}" 2>/dev/null || true
	deadline=$(( $(_t_now_us) + 5000000 ))
	while :; do
		left=()
		for p in "${victims[@]}"; do
			t_alive "$p" && left+=("$p")
		done
		[ "${#left[@]}" -gt 0 ] || break
		if [ "$(_t_now_us)" -ge "$deadline" ]; then
			_t_say "# cleanup: SIGKILL to ${left[*]}"
			kill -KILL "${left[@]}" 2>/dev/null || true
			break
		fi
		sleep 0.1
	done
	for pid in "${T_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

# t_proc_stat PID N: field N of /proc/PID/stat counted from the state
# (0: state, 1: ppid, 19: starttime); nothing when PID is gone.
t_proc_stat() {
	local stat
	local -a f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	# "pid (comm) state ppid ...": comm may hold spaces and parentheses.
	read -r -a f <<<"${stat##*) }"
	printf '%s\n' "${f[$2]:-}"
}

_t_ppid() {
	t_proc_stat "$1" 1
}

# t_alive PID: the process exists and is not a zombie.
t_alive() {
	local stat rest state
	case "${1:-}" in
	''|*[!0-9]*) return 1 ;;
	esac
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$stat" ] || return 1
	rest=${stat##*) }
	state=${rest%% *}
	case "$state" in
	Z|X|x) return 1 ;;
	esac
	return 0
}

# t_bg NAME CMD ARGS...: run CMD in the background, output appended to
# $T_DIR/NAME.log; its pid is in T_LAST_PID.
t_bg() {
	local name=$1
	shift
	[ -n "$T_DIR" ] || { echo "t_bg: call t_begin first" >&2; exit 1; }
	case "$(type -t "$1")" in
	function|builtin)
		( trap - INT QUIT TERM EXIT; exec {T_OUT}>&-; "$@" ) \
		    </dev/null >>"$T_DIR/$name.log" 2>&1 &
		;;
	*)
		( trap - INT QUIT TERM EXIT; exec {T_OUT}>&-; exec "$@" ) \
		    </dev/null >>"$T_DIR/$name.log" 2>&1 &
		;;
	esac
	T_LAST_PID=$!
	T_PIDS+=("$T_LAST_PID")
}

# t_wait DESC TIMEOUT CMD ARGS...: run CMD every 0.1 s until it exits 0.
# Its output of the last try is shown when the wait times out.
t_wait() {
	local desc=$1 timeout=$2 deadline out
	shift 2
	out=${T_DIR:-${TMPDIR:-/tmp}}/.t_wait.out
	deadline=$(( $(_t_now_us) + $(_t_sec_to_us "$timeout") ))
	while :; do
		if "$@" >"$out" 2>&1; then
			rm -f "$out"
			return 0
		fi
		if [ "$(_t_now_us)" -ge "$deadline" ]; then
			if [ -s "$out" ]; then
				_t_say "# last output of: $*"
				tail -n 20 "$out" | sed 's/^/#   /' >&"$T_OUT"
			fi
			rm -f "$out"
			t_fail "timed out after ${timeout}s waiting for $desc"
		fi
		sleep 0.1
	done
}

# t_port: a free TCP port on 127.0.0.1, from 20000 to below the kernel's
# ephemeral range, not in use by any TCP or UDP socket now, not handed out
# before in this test nor to another test running now
# (/tmp/tcm-test-ports).  The ports given out are kept in a file because
# t_port runs in $(...).
t_port() {
	local used p low=32768 top dir=/tmp/tcm-test-ports
	# Below the kernel's ephemeral range: a port there may be any
	# outgoing connection's own, and a server could not bind it.
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	top=$((low > 21000 ? low - 1 : 45000))
	used=$(ss -Htuan 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }')
	mkdir -p "$dir" 2>/dev/null && chmod 1777 "$dir" 2>/dev/null
	for p in $(shuf -i "20000-$top" -n 200); do
		grep -qx "$p" <<<"$used" && continue
		if [ -n "$T_DIR" ] && [ -f "$T_DIR/.ports" ]; then
			grep -qx "$p" "$T_DIR/.ports" && continue
			# Tests run side by side: a port is handed to one of
			# them until it ends (_t_exit), or for an hour.
			find "$dir/$p" -maxdepth 0 -mmin +60 -exec rm -rf {} + \
			    2>/dev/null
			mkdir "$dir/$p" 2>/dev/null || continue
			printf '%s\n' "$p" >>"$T_DIR/.ports"
		fi
		printf '%s\n' "$p"
		return 0
	done
	echo "t_port: no free port found" >&2
	return 1
}

# t_port_open PORT [HOST]: a TCP connect succeeds within 1 s.
t_port_open() {
	timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${2:-127.0.0.1}" "$1" \
	    2>/dev/null
}

# t_stop PID [TIMEOUT]: SIGTERM, wait up to TIMEOUT (10) s, then SIGKILL.
# Returns the exit status when PID is a child of this shell, else 0.
t_stop() {
	local pid=$1 timeout=${2:-10} deadline child=0 p rc=0

	for p in "${T_PIDS[@]}"; do
		[ "$p" = "$pid" ] && child=1
	done
	[ "$(_t_ppid "$pid")" = "$BASHPID" ] && child=1

	kill -TERM "$pid" 2>/dev/null || true
	deadline=$(( $(_t_now_us) + $(_t_sec_to_us "$timeout") ))
	while t_alive "$pid"; do
		if [ "$(_t_now_us)" -ge "$deadline" ]; then
			_t_say "# t_stop: $pid still alive ${timeout}s after SIGTERM: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			while t_alive "$pid"; do
				sleep 0.1
			done
			break
		fi
		sleep 0.1
	done
	[ "$child" -eq 1 ] || return 0
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

# Consul -------------------------------------------------------------------

_t_consul_ready() {
	t_alive "$T_CONSUL_PID" || t_fail "consul agent exited during start-up"
	curl -sf --max-time 2 "http://$CONSUL_HTTP_ADDR/v1/status/leader" |
	    jq -e 'type == "string" and length > 0' >/dev/null
}

_t_consul_ca_ready() {
	t_alive "$T_CONSUL_PID" || t_fail "consul agent exited during start-up"
	curl -sf --max-time 2 "http://$CONSUL_HTTP_ADDR/v1/agent/connect/ca/roots" |
	    jq -e '.ActiveRootID as $id | $id != null and $id != "" and
		any(.Roots[]?; .ID == $id and .Active)' >/dev/null
}

# t_consul_start: a Consul dev agent with Connect, on free ports of
# 127.0.0.1 (DNS and gRPC off); exports CONSUL_HTTP_ADDR and T_CONSUL_PID,
# and returns once it has a leader and the Connect CA an active root.
# The files named in T_CONSUL_CONFIG (an array) are given to the agent
# after its own, e.g. a Connect CA of the test's making.
T_CONSUL_CONFIG=()
t_consul_start() {
	local http serf_lan serf_wan server

	command -v consul >/dev/null 2>&1 ||
	    t_fail "consul not found: run contrib/ci/install-deps"
	http=$(t_port) && serf_lan=$(t_port) && serf_wan=$(t_port) &&
	    server=$(t_port) || t_fail "no free ports for consul"
	mkdir -p "$T_DIR/consul"
	cat >"$T_DIR/consul/agent.hcl" <<EOF
disable_update_check = true
connect {
  enabled = true
}
ports {
  http     = $http
  https    = -1
  grpc     = -1
  dns      = -1
  serf_lan = $serf_lan
  serf_wan = $serf_wan
  server   = $server
}
EOF
	t_bg consul consul agent -dev -node "tcm-test-$$" \
	    -bind 127.0.0.1 -client 127.0.0.1 -advertise 127.0.0.1 \
	    -config-file "$T_DIR/consul/agent.hcl" \
	    "${T_CONSUL_CONFIG[@]/#/-config-file=}"
	T_CONSUL_PID=$T_LAST_PID
	CONSUL_HTTP_ADDR=127.0.0.1:$http
	export T_CONSUL_PID CONSUL_HTTP_ADDR
	t_wait "a Consul leader on $CONSUL_HTTP_ADDR" 30 _t_consul_ready
	t_wait "an active Connect CA root on $CONSUL_HTTP_ADDR" 30 \
	    _t_consul_ca_ready
}
