#!/bin/bash
# Secrets only where they are used: the Consul token and the server's
# password reach the elector alone, never a child's environment or any
# other child's memory; the process title masks them; and the supervisor,
# which holds them all, lets no process of its own user read its
# environment or memory.
#
# As root the daemon runs as nobody here, as the user the children of a
# root daemon run as, and the memory of every child is searched; as
# another user only the checks that need no privilege run.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin secrets

TOKEN=tok-$RANDOM$RANDOM-$$-consul
PASSWORD=pw-$RANDOM$RANDOM-$$-server

tcm_conf "$T_DIR/tcm.conf" "consul.addr 127.0.0.1:$(t_port)" \
    'control.socket ""' 'user nobody' 'chroot ""'

RUN=()
if [ "$(id -u)" = 0 ]; then
	chmod 755 "$T_DIR"
	chmod 644 "$T_DIR/tcm.conf"
	RUN=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	"${RUN[@]}" true 2>/dev/null || t_skip "setpriv cannot run as nobody"
fi

t_bg d env CONSUL_HTTP_TOKEN="$TOKEN" "${RUN[@]}" "$TCM" -d \
    -f "$T_DIR/tcm.conf" --server.password "$PASSWORD"
TCM_PID=$T_LAST_PID
tcm_wait_log d 'supervisor: admin ready'

# The title: the command line, the password masked.
title=$(tr '\0' ' ' <"/proc/$TCM_PID/cmdline")
case $title in
*"$PASSWORD"*) t_fail "the supervisor's title shows the password: $title" ;;
*"--server.password ********"*) ;;
*) t_fail "the supervisor's title does not mask the password: $title" ;;
esac
t_ok "the process title masks the server's password"

# The daemon's own user reads neither its environment nor its memory.
if "${RUN[@]}" cat "/proc/$TCM_PID/environ" >"$T_DIR/environ" 2>/dev/null; then
	grep -qa "$TOKEN" "$T_DIR/environ" &&
		t_fail "the daemon's user reads the token in /proc/$TCM_PID/environ"
	t_fail "the daemon's user reads /proc/$TCM_PID/environ"
fi
grep -Eq '^Max core file size +0 +0 ' "/proc/$TCM_PID/limits" ||
	t_fail "the supervisor may dump core: $(grep core "/proc/$TCM_PID/limits")"
t_ok "the supervisor is not dumpable and dumps no core"

if [ "$(id -u)" != 0 ]; then
	tcm_check_log d
	t_skip "not root: the children's environment and memory are not readable"
fi
[ -n "${MEMGREP:-}" ] || t_fail "MEMGREP not set"

for kind in elector writer reader bridge admin; do
	pid=$(tcm_child d "$kind")
	[ -n "$pid" ] || t_fail "no $kind child"
	tr '\0' '\n' <"/proc/$pid/environ" >"$T_DIR/$kind.environ"
	if grep -Eq "$TOKEN|$PASSWORD|^(CONSUL_HTTP_TOKEN|SERVER_PASSWORD)=" \
	    "$T_DIR/$kind.environ"; then
		t_fail "$kind's environment holds a secret: $(cat "$T_DIR/$kind.environ")"
	fi
	token=$("$MEMGREP" "$pid" "$TOKEN") || t_fail "cannot read $kind's memory"
	password=$("$MEMGREP" "$pid" "$PASSWORD") || t_fail "cannot read $kind's memory"
	echo "# $kind (pid $pid): token $token times, password $password times in memory"
	if [ "$kind" = elector ]; then
		# The elector uses both; finding them shows the search works.
		[ "$token" -gt 0 ] && [ "$password" -gt 0 ] ||
			t_fail "the elector does not hold the secrets it uses"
	elif [ "$token" != 0 ] || [ "$password" != 0 ]; then
		t_fail "$kind holds a secret it does not use"
	fi
done
t_ok "no child's environment holds a secret; only the elector's memory"

tcm_check_log d
