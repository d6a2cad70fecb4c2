#!/bin/bash
# Started as root, children run as the configured user with no new
# privileges, under their system call filters, proxies and admin chrooted;
# a missing user is refused at start.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
t_begin sandbox_root

[ "$(id -u)" = 0 ] || t_skip "needs root to test privilege separation"
# Leak checking reads /proc at exit, which a chroot does not have; the
# same code runs leak-checked unchrooted in the other tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

nobody_uid=$(id -u nobody)
mkdir -p "$T_DIR/empty"
tcm_conf "$T_DIR/tcm.conf" "user nobody" "chroot $T_DIR/empty"
tcm_start d "$T_DIR/tcm.conf"

field() { awk -v k="$2:" '$1 == k { print $2 " " $3 " " $4 " " $5 }' "/proc/$1/status"; }
[ "$(field "$TCM_PID" Uid)" = "0 0 0 0" ] || t_fail "supervisor should stay root"
for kind in elector writer reader bridge admin; do
	pid=$(tcm_child d "$kind")
	[ "$(field "$pid" Uid)" = "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" ] ||
		t_fail "$kind uids: $(field "$pid" Uid)"
	[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "/proc/$pid/status")" = 1 ] ||
		t_fail "$kind without no_new_privs"
	[ "$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$pid/status")" = 2 ] ||
		t_fail "$kind without its system call filter"
	[ "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/status")" = 0000000000000000 ] ||
		t_fail "$kind keeps capabilities"
	root=$(readlink "/proc/$pid/root")
	if [ "$kind" = elector ]; then
		[ "$root" = / ] || t_fail "$kind chrooted to $root"
	else
		[ "$root" = "$T_DIR/empty" ] || t_fail "$kind root is $root"
	fi
done
t_ok "children run as nobody, no new privileges, filtered, no capabilities, proxies and admin chrooted"
t_stop "$TCM_PID" 15 || t_fail "stop"

# A user that does not exist is refused before anything starts.
tcm_conf "$T_DIR/bad.conf" "user no-such-user-t38"
if env -i PATH="$PATH" "$TCM" -d -f "$T_DIR/bad.conf" 2>"$T_DIR/bad.err"; then
	t_fail "started with a missing user"
fi
grep -q 'user "no-such-user-t38" does not exist' "$T_DIR/bad.err" ||
	t_fail "unexpected error: $(cat "$T_DIR/bad.err")"
t_ok "a missing user is refused at start"
tcm_check_log d
