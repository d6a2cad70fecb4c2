#!/bin/bash
# Golden configurations: for every tests/golden/NAME.conf, "-nv -f
# NAME.conf" prints exactly NAME.nv; and the shipped example under etc/
# passes "-n".  An empty environment keeps the caller's CONSUL_HTTP_ADDR
# and friends out of the result; the sanitizers' settings are passed on
# so that a report still fails the test.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
t_begin golden

run() {
	env -i PATH="$PATH" \
	    ${ASAN_OPTIONS+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
	    "$@" >"$T_DIR/out" 2>"$T_DIR/err"
}

golden=$TESTS_SRCDIR/tests/golden
n=0
for conf in "$golden"/*.conf; do
	[ -f "$conf" ] || continue
	name=${conf##*/}
	name=${name%.conf}
	want=$golden/$name.nv
	[ -f "$want" ] || t_fail "$name: $want is missing"
	run "$TCM" -nv -f "$conf" ||
		t_fail "$name: -nv exited $?: $(cat "$T_DIR/err")"
	if ! diff -u "$want" "$T_DIR/out" >"$T_DIR/diff"; then
		cat "$T_DIR/diff"
		t_fail "$name: -nv output differs from $name.nv"
	fi
	t_ok "$name"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || t_fail "no golden configurations in $golden"

example=$TESTS_SRCDIR/etc/tile38-cluster-manager.conf
run "$TCM" -n -f "$example" ||
	t_fail "the shipped example does not pass -n (exit $?): $(cat "$T_DIR/err")"
t_ok "the shipped example passes -n"
