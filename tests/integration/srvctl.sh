#!/bin/bash
# Server control (src/elector/srvctl.c) against real servers: two
# redis-server instances always, two more with a password, and two
# tile38-server instances when one is installed (PATH or TILE38_SERVER).
# Each case is one run of the probe program, whose comment lists what
# every case checks; this script starts, kills and restarts the servers.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
t_begin "srvctl: replication control of real servers"

if [ -z "${SRVCTL_PROBE:-}" ] || [ ! -x "$SRVCTL_PROBE" ]; then
	t_fail "SRVCTL_PROBE is not the probe program: '${SRVCTL_PROBE:-}'"
fi
command -v redis-server >/dev/null 2>&1 ||
    t_fail "redis-server not found: run contrib/ci/install-deps"

declare -A PID

# probe ARGS...: one case; its "ok -" lines go to our output, srvctl's
# log lines to probe.log (shown by t_fail).
probe() {
	printf '# srvctl_probe %s\n' "$*"
	"$SRVCTL_PROBE" "$@" 2>>"$T_DIR/probe.log" ||
	    t_fail "srvctl_probe $*"
}

# redis_start NAME PORT [ARGS...]
redis_start() {
	local name=$1 port=$2
	shift 2
	# One directory each: a replica stores the leader's snapshot there.
	mkdir -p "$T_DIR/$name"
	t_bg "$name" redis-server --bind 127.0.0.1 --port "$port" --save "" \
	    --appendonly no --dir "$T_DIR/$name" --daemonize no "$@"
	PID[$name]=$T_LAST_PID
	t_wait "redis-server $name on port $port" 10 t_port_open "$port"
}

# tile38_start NAME PORT: the data directory survives restarts.
tile38_start() {
	local name=$1 port=$2
	mkdir -p "$T_DIR/$name"
	t_bg "$name" "$TILE38" -h 127.0.0.1 -p "$port" -d "$T_DIR/$name"
	PID[$name]=$T_LAST_PID
	t_wait "tile38-server $name on port $port" 20 t_port_open "$port"
}

_gone() {
	! t_alive "$1"
}

# probe_down KIND NAME PORT RESTART...: the probe watches NAME while it is
# killed (SIGKILL, a crash) and started again by the RESTART command.
probe_down() {
	local kind=$1 name=$2 port=$3 log pid rc=0
	shift 3
	log="$T_DIR/probe-down-$name.log"
	printf '# srvctl_probe -k %s down %s (kill and restart %s)\n' \
	    "$kind" "$port" "$name"
	t_bg "probe-down-$name" "$SRVCTL_PROBE" -k "$kind" down "$port"
	pid=$T_LAST_PID
	t_wait "the probe to see $name up" 30 grep -q '^ok - up$' "$log"
	kill -KILL "${PID[$name]}"
	wait "${PID[$name]}" 2>/dev/null
	t_wait "the probe to see $name down" 30 grep -q '^ok - down' "$log"
	"$@"
	t_wait "the probe to see $name up again" 60 _gone "$pid"
	wait "$pid" || rc=$?
	grep -E '^(not )?ok - ' "$log"
	[ "$rc" -eq 0 ] || t_fail "srvctl_probe -k $kind down $port: exit $rc"
}

# Redis -------------------------------------------------------------------

PA=$(t_port) && PB=$(t_port) && PX=$(t_port) && PC=$(t_port) &&
    PD=$(t_port) || t_fail "no free ports"
# PX stays closed: a target nobody listens on.
redis_start a "$PA"
redis_start b "$PB"

probe -k redis basic "$PA" "$PX"
probe -k redis lead "$PA" "$PX"
probe -k redis follow "$PA" "$PB"
probe -k redis fresh "$PA" "$PB"
probe -k redis fence "$PA" "$PX"
probe -k redis bogus
probe_down redis a "$PA" redis_start a "$PA"
# The restarted, empty leader is followed again.
probe -k redis follow "$PA" "$PB"
t_ok "Redis: observe, lead, follow, fresh follow, fence, crash and restart"

redis_start c "$PC" --requirepass secret
redis_start d "$PD" --requirepass secret
probe -k redis -w secret follow "$PC" "$PD"
probe -k redis -w wrong authfail "$PC"
t_ok "Redis with a password: AUTH and masterauth; a wrong one is reported"

# Tile38 ------------------------------------------------------------------

TILE38=${TILE38_SERVER:-$(command -v tile38-server 2>/dev/null || true)}
if [ -z "$TILE38" ] || [ ! -x "$TILE38" ]; then
	printf '# %s: Tile38 cases skipped\n' \
	    "tile38-server not found (PATH or TILE38_SERVER)"
	exit 0
fi

QA=$(t_port) && QB=$(t_port) && QX=$(t_port) || t_fail "no free ports"
tile38_start ta "$QA"
tile38_start tb "$QB"

probe -k tile38 basic "$QA" "$QX"
probe -k tile38 lead "$QA" "$QX"
probe -k tile38 follow "$QA" "$QB"
probe -k tile38 fresh "$QA" "$QB"
probe -k tile38 retry "$QB" "$QX" "$QA"
probe -k tile38 fence "$QA" "$QX"
probe_down tile38 ta "$QA" tile38_start ta "$QA"
probe -k tile38 follow "$QA" "$QB"
t_ok "Tile38: observe, lead, follow, fresh follow and its retries, fence," \
    "crash and restart"
