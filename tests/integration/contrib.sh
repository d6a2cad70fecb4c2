#!/bin/bash
# The files in contrib/ that other programs read: the systemd unit
# (systemd-analyze verify, and its exposure score), the sysusers.d and
# tmpfiles.d files (applied to a scratch root directory), and the OpenRC
# script (syntax, and its functions run with OpenRC's helpers stubbed).
# A part whose tool is not installed is skipped, saying so.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
t_begin contrib

contrib=$TESTS_SRCDIR/contrib

# Each tool's diagnostics; any line is a failure.
complaints() {
	if [ -s "$T_DIR/err" ]; then
		cat "$T_DIR/err"
		t_fail "$1"
	fi
}

# --- systemd unit ---------------------------------------------------------

unit_in=$contrib/systemd/tile38-cluster-manager.service.in
[ -f "$unit_in" ] || t_fail "$unit_in is missing"

# The unit make generates for "make install", if this build installs one.
built=${TCM%/*}/tile38-cluster-manager.service
if [ -f "$built" ]; then
	if grep -n '@[A-Za-z_]*@' "$built"; then
		t_fail "$built: placeholders left unsubstituted"
	fi
	t_ok "the generated unit has every placeholder substituted"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
	# verify needs the programs the unit runs to exist: point it at
	# this build's daemon.
	mkdir "$T_DIR/unit"
	unit=$T_DIR/unit/tile38-cluster-manager.service
	sed -e "s|@sbindir@|${TCM%/*}|g" -e "s|@sysconfdir@|$T_DIR|g" \
	    "$unit_in" >"$unit"
	grep -q "^ExecStart=$TCM -d" "$unit" ||
		t_fail "ExecStart does not run \"$TCM -d\""
	# It reports problems on stderr and may still exit 0.
	systemd-analyze verify --man=no "$unit" >"$T_DIR/out" 2>"$T_DIR/err" ||
		t_fail "systemd-analyze verify exited $?: $(cat "$T_DIR/err")"
	complaints "systemd-analyze verify complains about the unit"
	t_ok "systemd-analyze verify: no warnings"

	if systemd-analyze --help 2>/dev/null | grep -q -- '--offline'; then
		# Exposure is 0.0 (best) to 10.0; keep the unit "OK" or better.
		if ! systemd-analyze security --offline=yes --threshold=49 \
		    --no-pager "$unit" >"$T_DIR/out" 2>&1; then
			cat "$T_DIR/out"
			t_fail "the unit's exposure level is above 4.9"
		fi
		t_ok "systemd-analyze security: $(grep -o \
		    'Overall exposure level.*' "$T_DIR/out")"
	else
		echo "# systemd-analyze has no --offline: exposure check skipped"
	fi
else
	echo "# systemd-analyze is not installed: unit checks skipped"
fi

# --- sysusers.d, tmpfiles.d ---------------------------------------------
# Applied to a scratch root: --root keeps every change inside it, users
# and groups included.

root=$T_DIR/root
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
cp "$contrib/systemd/tile38-cluster-manager.sysusers" \
    "$root/usr/lib/sysusers.d/tile38-cluster-manager.conf"
cp "$contrib/systemd/tile38-cluster-manager.tmpfiles" \
    "$root/usr/lib/tmpfiles.d/tile38-cluster-manager.conf"

have_user=0
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers --root="$root" >"$T_DIR/out" 2>"$T_DIR/err" ||
		t_fail "systemd-sysusers exited $?: $(cat "$T_DIR/err")"
	# Its only messages are what it creates.
	grep -v "^Creating \(group\|user\) 'tile38cm'" "$T_DIR/err" \
	    >"$T_DIR/err2" || true
	mv "$T_DIR/err2" "$T_DIR/err"
	complaints "systemd-sysusers complains about the sysusers.d file"
	grep -Eq '^tile38cm:x:[0-9]+:[0-9]+:tile38-cluster-manager:/var/empty:/usr/sbin/nologin$' \
	    "$root/etc/passwd" ||
		t_fail "no user tile38cm as expected: $(cat "$root/etc/passwd")"
	grep -Eq '^tile38cm:x:[0-9]+:$' "$root/etc/group" ||
		t_fail "no group tile38cm: $(cat "$root/etc/group")"
	t_ok "systemd-sysusers creates the user and group tile38cm"
	have_user=1
else
	echo "# systemd-sysusers is not installed: sysusers.d check skipped"
fi

if command -v systemd-tmpfiles >/dev/null 2>&1 && [ "$have_user" = 1 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		systemd-tmpfiles --root="$root" --create \
		    >"$T_DIR/out" 2>"$T_DIR/err" ||
			t_fail "systemd-tmpfiles --create exited $?: $(cat "$T_DIR/err")"
		complaints "systemd-tmpfiles complains about the tmpfiles.d file"
		gid=$(awk -F: '$1 == "tile38cm" { print $3 }' "$root/etc/group")
		got=$(stat -c '%a %u:%g' "$root/var/empty")
		[ "$got" = "555 0:0" ] ||
			t_fail "/var/empty is \"$got\", not \"555 0:0\""
		got=$(stat -c '%a %u:%g' "$root/run/tile38-cluster-manager")
		[ "$got" = "750 0:$gid" ] ||
			t_fail "/run/tile38-cluster-manager is \"$got\", not \"750 0:$gid\""
		t_ok "systemd-tmpfiles creates /var/empty and /run/tile38-cluster-manager"
	else
		# Only root may chown: parse and resolve users without creating.
		systemd-tmpfiles --root="$root" --clean \
		    >"$T_DIR/out" 2>"$T_DIR/err" ||
			t_fail "systemd-tmpfiles --clean exited $?: $(cat "$T_DIR/err")"
		complaints "systemd-tmpfiles complains about the tmpfiles.d file"
		t_ok "systemd-tmpfiles parses the tmpfiles.d file (not root: nothing created)"
	fi
elif [ "$have_user" = 1 ]; then
	echo "# systemd-tmpfiles is not installed: tmpfiles.d check skipped"
else
	echo "# tmpfiles.d check skipped: its group comes from systemd-sysusers"
fi

# --- OpenRC -------------------------------------------------------------

rc=$contrib/openrc/tile38-cluster-manager
[ -f "$rc" ] || t_fail "$rc is missing"
[ "$(head -n 1 "$rc")" = "#!/sbin/openrc-run" ] ||
	t_fail "$rc does not start with #!/sbin/openrc-run"
[ -x "$rc" ] || t_fail "$rc is not executable"
sh -n "$rc" 2>"$T_DIR/err" ||
	t_fail "sh -n: $(cat "$T_DIR/err")"
t_ok "the OpenRC script parses (sh -n)"
if command -v shellcheck >/dev/null 2>&1; then
	# SC2034: the variables are read by openrc-run, not by the script.
	shellcheck -s sh -e SC2034 "$rc" >"$T_DIR/out" 2>&1 || {
		cat "$T_DIR/out"
		t_fail "shellcheck complains about the OpenRC script"
	}
	t_ok "shellcheck: no warnings on the OpenRC script"
else
	echo "# shellcheck is not installed: lint of the OpenRC script skipped"
fi

# Run one function of the script as openrc-run would, with its helpers
# stubbed by programs that log their arguments to calls, and this build's
# daemon as the command.  openrc FUNCTION [VAR=VALUE...]
mkdir "$T_DIR/bin"
for f in ebegin need use after checkpath start-stop-daemon; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$f" "$T_DIR" \
	    >"$T_DIR/bin/$f"
done
printf '#!/bin/sh\necho "eend $*" >>"%s/calls"\nexit "$1"\n' "$T_DIR" \
    >"$T_DIR/bin/eend"
chmod +x "$T_DIR"/bin/*
openrc() {
	local fn=$1
	shift
	env -i PATH="$T_DIR/bin:$PATH" RC_SVCNAME=tile38-cluster-manager \
	    ${ASAN_OPTIONS+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
	    "$@" sh -c '. "$1" && command=$2 && "$3"' sh "$rc" "$TCM" "$fn" \
	    >"$T_DIR/out" 2>"$T_DIR/err"
}

: >"$T_DIR/calls"
openrc depend || t_fail "depend() failed"
grep -qx 'need net' "$T_DIR/calls" || t_fail "depend() does not need net"
grep -qx 'after consul' "$T_DIR/calls" ||
	t_fail "depend() does not order after consul"
t_ok "depend(): need net, after consul"

cp "$TESTS_SRCDIR/etc/tile38-cluster-manager.conf" "$T_DIR/good.conf"
printf 'id node-1\nno.such.key 1\n' >"$T_DIR/bad.conf"

: >"$T_DIR/calls"
openrc reload TCM_OPTIONS="-f $T_DIR/good.conf" ||
	t_fail "reload with a good configuration failed: $(cat "$T_DIR/err")"
grep -q 'configuration OK' "$T_DIR/err" ||
	t_fail "reload did not check the configuration: $(cat "$T_DIR/err")"
grep -qx "start-stop-daemon --signal HUP --pidfile /run/tile38-cluster-manager.pid" \
    "$T_DIR/calls" || t_fail "reload sent no SIGHUP: $(cat "$T_DIR/calls")"
t_ok "reload: checks the configuration, then sends SIGHUP"

: >"$T_DIR/calls"
if openrc reload TCM_OPTIONS="-f $T_DIR/bad.conf"; then
	t_fail "reload with a bad configuration succeeded"
fi
grep -q 'no.such.key' "$T_DIR/err" ||
	t_fail "reload did not say what is wrong: $(cat "$T_DIR/err")"
if grep -q '^start-stop-daemon' "$T_DIR/calls"; then
	t_fail "reload signalled the daemon despite a bad configuration"
fi
t_ok "reload: a bad configuration is refused, the daemon left alone"

: >"$T_DIR/calls"
if openrc start_pre TCM_OPTIONS="-f $T_DIR/bad.conf"; then
	t_fail "start_pre with a bad configuration succeeded"
fi
grep -q '^checkpath -d -m 0750 -o root:tile38cm /run/tile38-cluster-manager$' \
    "$T_DIR/calls" || t_fail "start_pre does not create the runtime directory"
t_ok "start_pre: creates the runtime directory, refuses a bad configuration"

# --- not checked here ------------------------------------------------------

echo "# contrib/docker and contrib/nomad are not checked: no Docker or Nomad here"
