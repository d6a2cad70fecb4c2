#!/bin/bash
# The supervisor trusts no child: a child that stops reading its channel
# while the supervisor sends to it is killed at the queue cap and
# restarted, and the daemon and the other children run on.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin untrusted_child

[ -x "$TCMCTL" ] || t_fail "no tile38-clusterctl ($TCMCTL)"

conf=$T_DIR/tcm.conf
tcm_conf "$conf"
cp "$conf" "$T_DIR/base.conf"
tcm_start d "$conf"

# kind pid: the same child, still there
same_child() {
	[ "$(tcm_child d "$1")" = "$2" ]
}
# kind old: a new child of that kind, ready
child_back() {
	local pid
	pid=$(tcm_child d "$1")
	[ -n "$pid" ] && [ "$pid" != "$2" ] &&
		tcm_log_has d "supervisor: $1 ready \\(pid $pid\\)"
}

# A stopped reader reads nothing.  Each reload pushes the configuration,
# here about 5 KB with a long proxy.reader.grant, to every child that uses
# it: the reader's share piles up in its socket, then in the supervisor's
# queue for it, until the 1 MiB cap.  Each reload is answered before the
# next.
reader=$(tcm_child d reader)
others=
for kind in elector writer bridge admin; do
	others+="$kind=$(tcm_child d "$kind") "
done
kill -STOP "$reader"
killed="supervisor: reader \\(pid $reader\\): not reading its channel \\([0-9]+ bytes queued\\); killing it"
n=0
while ! tcm_log_has d "$killed"; do
	n=$((n + 1))
	# 1 MiB and the socket's share in 5 KB steps, with room to spare
	[ "$n" -le 600 ] || t_fail "reader not killed after $((n - 1)) reloads"
	grant=
	for i in $(seq 150); do
		grant+="s$RANDOM-$n-$i: +GET; "
	done
	{
		cat "$T_DIR/base.conf"
		printf 'proxy.reader.grant "%s"\n' "$grant"
	} >"$conf"
	"$TCMCTL" -s "${conf%.conf}.ctl" reload >"$T_DIR/reload.out" 2>&1 ||
		t_fail "reload $n: $(cat "$T_DIR/reload.out")"
done
t_ok "a stopped reader is killed at the queue cap after $n reloads"

tcm_wait_log d "supervisor: reader killed by signal 9; restarting it in 100 ms"
t_wait "a new reader, ready" 10 child_back reader "$reader"
t_port_open "$TCM_PORT_R" || t_fail "the new reader does not accept connections"
for kv in $others; do
	same_child "${kv%%=*}" "${kv#*=}" || t_fail "${kv%%=*} was restarted too"
done
t_alive "$TCM_PID" || t_fail "the supervisor died"
t_ok "the reader is restarted; the supervisor and the other children run on"

tcm_check_log d
