# Helpers for tests that run the real daemon; sourced after lib.sh.
#
# tcm_conf FILE [LINE...]	write a complete configuration with free ports
# tcm_start NAME FILE		start the daemon in the foreground; sets TCM_PID
# tcm_wait_log NAME REGEX [S]	wait until NAME.log matches REGEX
# tcm_child NAME KIND		pid of the supervisor's child of that kind
# tcm_check_log NAME		fail on any sanitizer report in NAME.log
# tcm_udp_sink			a DogStatsD sink on DSD_PORT, writing $T_DIR/dsd.out

tcm_conf() {
	local file=$1 line key
	shift
	TCM_PORT_W=$(t_port)
	TCM_PORT_R=$(t_port)
	TCM_PORT_B=$(t_port)
	local -a lines=(
		"id test-1"
		"advertise 127.0.0.1"
		"server.port $(t_port)"
		"bind.addr.leader 127.0.0.1"
		"bind.port.leader $TCM_PORT_W"
		"bind.addr.follower 127.0.0.1"
		"bind.port.follower $TCM_PORT_R"
		"bind.port.bridge $TCM_PORT_B"
		"shutdown.timeout 10s"
		"control.socket ${file%.conf}.ctl"
	)
	# As root the children drop to nobody.  No chroot here: the
	# sanitizers' leak check reads /proc at exit; sandbox_root.sh covers
	# the chroot.
	if [ "$(id -u)" = 0 ]; then
		lines+=("user nobody" 'chroot ""')
	fi
	# A line given by the caller replaces the default of the same key;
	# a key alone drops it.
	for line in "$@"; do
		key=${line%% *}
		lines=("${lines[@]/#$key */}")
		[ "$line" = "$key" ] || lines+=("$line")
	done
	printf '%s\n' "${lines[@]}" | grep -v '^$' >"$file"
}

tcm_start() {
	local name=$1 file=$2
	t_bg "$name" "$TCM" -d -f "$file"
	TCM_PID=$T_LAST_PID
	tcm_wait_log "$name" 'supervisor: running: elector, writer, reader, bridge and admin ready'
}

tcm_log_has() {
	grep -Eq -- "$2" "$T_DIR/$1.log"
}

tcm_wait_log() {
	t_wait "\"$2\" in $1.log" "${3:-15}" tcm_log_has "$1" "$2"
}

tcm_child() {
	pgrep -P "$TCM_PID" -x "t38cm-$2" 2>/dev/null | head -n 1
}

tcm_check_log() {
	if grep -Eq 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$T_DIR/$1.log"; then
		t_fail "sanitizer report in $1.log"
	fi
}

# Established TCP connections whose local port is $1.
tcm_established() {
	ss -Htn state established "( sport = :$1 )" | wc -l
}

tcm_udp_sink() {
	[ -x "$UDP_SINK" ] || t_fail "no udp_sink ($UDP_SINK)"
	t_bg udp_sink "$UDP_SINK" "$T_DIR/dsd.port" "$T_DIR/dsd.out"
	t_wait "the UDP sink" 5 test -s "$T_DIR/dsd.port"
	DSD_PORT=$(cat "$T_DIR/dsd.port")
}
