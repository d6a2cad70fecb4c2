# Write probes across a change of leader, for the fencing tests (fence.sh,
# fence_faults.sh).  Sourced after cluster.sh.  Times are µs since the
# epoch, the clock of EPOCHREALTIME and of the managers' log lines.
#
# probe_start I			start one case's probes: a long-lived mTLS
#				connection to node I's writer, and through
#				each node's writer a new connection per write
# probe_stop			stop them and wait until they are gone
# probe_ll_late US		writes acknowledged on the long-lived
#				connection after US
# probe_ll_acked		how many it acknowledged
# probe_last_ll			when it acknowledged the last one
# probe_first_after US		the first acknowledgement of either probe
#				after US ("" when none yet)
# probe_acked			the keys of every acknowledged write
# probe_acked_at		"<µs> <key>" of every acknowledged write
# probe_failed I		how many writes through node I's writer
#				failed (refused, or not answered in 2 s)
# probe_missing_at I		"<µs> <key>" of the acknowledged writes that
#				server I lacks
# probe_all_on I [US WHAT]	fail unless server I has every acknowledged
#				write; with US (when WHAT, a crash of the
#				leader's proxies, was) but for those
#				acknowledged within 100 ms of it, which a
#				stream may not have carried.  PROBE_ON says
#				what it found, for the ok line.
# probe_acquired NODE US	when NODE first took the lock after US, from
#				its log ("" when it did not)
# probe_log_us NODE REGEX	when the last line of NODE.log matching REGEX
#				was written ("" when none)

PROBE_N=0
PROBE_DIR=

# One write of KEY, inline, as the long-lived probe sends it.
_probe_cmd() {
	if [ "$CL_KIND" = tile38 ]; then
		printf 'SET kv %s STRING v\r\n' "$1"
	else
		printf 'SET %s v\r\n' "$1"
	fi
}

# A write every 100 ms on one connection until the case stops; each reply
# line stamped with the time it arrived.  Replies come in the order of the
# writes, so reply N answers write N (key <case>-llN).
_probe_long_lived() {
	local port=$1 dir=$2 i=0
	while [ ! -e "$dir/stop" ]; do
		i=$((i + 1))
		_probe_cmd "${dir##*/}-ll$i"
		sleep 0.1
	done | timeout 120 openssl s_client -quiet -no_ign_eof -nocommands \
	    -connect "127.0.0.1:$port" -cert "$T_DIR/client.pem" \
	    -key "$T_DIR/client.key" -CAfile "$T_DIR/roots.pem" 2>/dev/null |
	while IFS= read -r line; do
		printf '%s %s\n' "${EPOCHREALTIME/./}" "${line%$'\r'}"
	done
}

# Every 100 ms a write through node I's writer on a new connection;
# "<µs> <key>" for each acknowledged one.  One loop per node, so a node
# that does not answer (stopped) delays only its own writes; a write not
# answered in 2 s is given up (a writer may hold a client for
# proxy.hold.timeout while there is no leader), so the probe tries again
# soon after a new leader is there.
_probe_new_conns() {
	local i=$1 dir=$2 n=0 key CL_TLS_TIMEOUT=2
	while [ ! -e "$dir/stop" ]; do
		n=$((n + 1))
		key="${dir##*/}-nc$i-$n"
		if [ "$(cl_write "${MGR_W[i]}" "$key" v)" = OK ]; then
			printf '%s %s\n' "${EPOCHREALTIME/./}" "$key"
		else
			printf '%s %s\n' "${EPOCHREALTIME/./}" "$key" \
			    >>"$dir/failed$i"
		fi
		sleep 0.1
	done
}

probe_start() {
	local i
	PROBE_N=$((PROBE_N + 1))
	PROBE_DIR=$T_DIR/c$PROBE_N
	PROBE_PIDS=()
	mkdir -p "$PROBE_DIR"
	t_bg "c$PROBE_N/ll" _probe_long_lived "${MGR_W[$1]}" "$PROBE_DIR"
	PROBE_PIDS+=("$T_LAST_PID")
	for i in "${!MGR_W[@]}"; do
		t_bg "c$PROBE_N/nc$i" _probe_new_conns "$i" "$PROBE_DIR"
		PROBE_PIDS+=("$T_LAST_PID")
	done
	t_wait "writes on the long-lived connection" 10 _probe_ll_min 5
}

_probe_ll_min() {
	[ "$(probe_ll_acked)" -ge "$1" ]
}

_probe_gone() {
	local p
	for p in "${PROBE_PIDS[@]}"; do
		t_alive "$p" && return 1
	done
	return 0
}

# The probes finish their write in flight (at most cl_tls's 5 s).
probe_stop() {
	local p
	: >"$PROBE_DIR/stop"
	t_wait "the probes to stop" 15 _probe_gone
	for p in "${PROBE_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
}

probe_ll_late() {
	awk -v t="$1" '$2 == "+OK" && $1 > t' "$PROBE_DIR/ll.log" | wc -l
}

probe_ll_acked() {
	cat "$PROBE_DIR/ll.log" 2>/dev/null | grep -c ' +OK$'
}

probe_last_ll() {
	awk '$2 == "+OK" { t = $1 } END { print t }' "$PROBE_DIR/ll.log"
}

probe_first_after() {
	{
		awk '$2 == "+OK" { print $1 }' "$PROBE_DIR/ll.log"
		cat "$PROBE_DIR"/nc*.log | awk '{ print $1 }'
	} | awk -v t="$1" '$1 > t && (f == "" || $1 < f) { f = $1 } END { print f }'
}

probe_acked_at() {
	awk -v c="${PROBE_DIR##*/}" '$2 == "+OK" { print $1, c "-ll" NR }' \
	    "$PROBE_DIR/ll.log"
	cat "$PROBE_DIR"/nc*.log
}

probe_acked() {
	probe_acked_at | awk '{ print $2 }'
}

probe_failed() {
	cat "$PROBE_DIR/failed$1" 2>/dev/null | wc -l
}

probe_missing_at() {
	local us key
	probe_acked_at | while read -r us key; do
		cl_stored "$1" "$key" || printf '%s %s\n' "$us" "$key"
	done
}

# Replication is asynchronous: a server answers a write and sends it down
# its followers' streams independently, and both pass through the
# leader's proxies.  A crash of those between the answer and the stream's
# bytes leaves the followers without a write its client saw acknowledged,
# and nothing carries it once another node leads: DESIGN 5.5 promises no
# loss on a planned stop, not on a crash.
probe_all_on() {
	local total missing near="" far a b
	total=$(probe_acked | wc -l)
	missing=$(probe_missing_at "$1")
	far=$missing
	if [ -n "${2:-}" ] && [ -n "$missing" ]; then
		a=$(($2 - 100000)) b=$(($2 + 100000))
		near=$(awk -v a=$a -v b=$b '$1 >= a && $1 <= b' <<<"$missing")
		far=$(awk -v a=$a -v b=$b '$1 < a || $1 > b' <<<"$missing")
	fi
	[ -z "$far" ] ||
		t_fail "$(wc -l <<<"$far") of $total acknowledged writes are not on n$1: $(awk '{ print $2 }' <<<"$far" | head -n 5 | tr '\n' ' ')"
	PROBE_ON="all $total acknowledged writes are on n$1"
	[ -z "$near" ] ||
		PROBE_ON="$((total - $(wc -l <<<"$near"))) of $total acknowledged writes are on n$1; not replicated, acknowledged within 100 ms of $3: $(awk '{ print $2 }' <<<"$near" | tr '\n' ' ')"
	PROBE_ON=${PROBE_ON% }
}

probe_log_us() {
	local ts
	ts=$(grep -E -- "$2" "$T_DIR/$1.log" | tail -n 1 | cut -d' ' -f1)
	[ -n "$ts" ] || return 0
	date -d "$ts" +%s%6N
}

probe_acquired() {
	local ts us
	while read -r ts; do
		us=$(date -d "$ts" +%s%6N) || continue
		if [ "$us" -gt "$2" ]; then
			printf '%s\n' "$us"
			return 0
		fi
	done < <(grep -h 'elector: lock .*/leader acquired' "$T_DIR/$1.log" |
	    cut -d' ' -f1)
}
