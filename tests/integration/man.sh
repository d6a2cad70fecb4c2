#!/bin/bash
# The manual pages against the daemon they describe.  The option list is
# taken from "tile38-cluster-manager --help", which prints the option
# table: every option with its environment variable and default.  Both
# tile38-cluster-manager.8 and tile38-cluster-manager.conf.5 must document
# each option, in the table's order, with that variable and default, and
# nothing else; the EXAMPLES block of the .conf.5 page must be
# etc/tile38-cluster-manager.conf byte for byte; and all three pages must
# pass "mandoc -Tlint -W warning" (skipped, saying so, without mandoc).
#
# An entry of an OPTIONS list looks like this (see the comment at the top
# of each page):
#
#	.It Fl -key ...		(.8)	.It Ic key ...		(.5)
#	Environment:			No environment variable.
#	.Ev ENV_VAR .
#	Default:			Required.
#	.Ql value .			Default: empty.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
t_begin man

export LC_ALL=C

mandir=$TESTS_SRCDIR/man
page8=$mandir/tile38-cluster-manager.8
page5=$mandir/tile38-cluster-manager.conf.5
pagectl=$mandir/tile38-clusterctl.8
example=$TESTS_SRCDIR/etc/tile38-cluster-manager.conf

for f in "$page8" "$page5" "$pagectl" "$example"; do
	[ -f "$f" ] || t_fail "$f is missing"
done

# --- The option table, from the daemon ------------------------------------

env -i PATH="$PATH" \
    ${ASAN_OPTIONS+"ASAN_OPTIONS=$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS+"UBSAN_OPTIONS=$UBSAN_OPTIONS"} \
    "$TCM" --help >"$T_DIR/help" 2>"$T_DIR/help.err" ||
	t_fail "--help exited $?: $(cat "$T_DIR/help.err")"

# "  --key placeholder   ENV (default value)": the placeholder is absent
# for booleans, ENV is absent when the option has none (then the
# parenthesis ends in "; no environment variable"), and "required"
# stands for the default of a required option.  A line that starts an
# option entry (its help text follows, indented six spaces) and does not
# read like this fails the test, so a changed --help format cannot make
# options silently disappear from the check.
re='^  --([a-z0-9._]+)( [a-z0-9|]+)? +(([A-Z][A-Z0-9_]*) )?\((required|default .*)\)$'
ind='^      [^ ]'
keys=()
declare -A OPT_ENV=() OPT_DEF=()
prev=
while IFS= read -r line || [ -n "$line" ]; do
	if [[ $prev == "  --"* && $line =~ $ind ]]; then
		[[ $prev =~ $re ]] || t_fail "cannot read this --help line: $prev"
		key=${BASH_REMATCH[1]}
		env=${BASH_REMATCH[4]}
		paren=${BASH_REMATCH[5]}
		noenv=0
		if [[ $paren == *"; no environment variable" ]]; then
			paren=${paren%"; no environment variable"}
			noenv=1
		fi
		if { [ -n "$env" ] && [ "$noenv" = 1 ]; } ||
		    { [ -z "$env" ] && [ "$noenv" = 0 ]; }; then
			t_fail "--help line is ambiguous about its environment: $prev"
		fi
		case $paren in
		required)	def=REQUIRED ;;
		'default ""')	def=EMPTY ;;
		"default "*)	def=${paren#default } ;;
		*)		t_fail "cannot read the default of: $prev" ;;
		esac
		[ -z "${OPT_DEF[$key]+set}" ] || t_fail "--help lists --$key twice"
		keys+=("$key")
		OPT_ENV[$key]=$env
		OPT_DEF[$key]=$def
	fi
	prev=$line
done <"$T_DIR/help"
# The Go original alone had 17 options; fewer means the parse went wrong.
[ "${#keys[@]}" -ge 17 ] ||
	t_fail "read only ${#keys[@]} options from --help"
t_ok "--help lists ${#keys[@]} options"

# --- The pages ------------------------------------------------------------

# entries PAGE SECTION MACRO: for each ".It MACRO name" of the lists in
# section SECTION, "K<tab>name" and then "L<tab>name<tab>line" for every
# line of its body.  With MACRO Fl only long options (".It Fl -name")
# count, with the dashes stripped.
entries() {
	awk -v sec="$2" -v mac="$3" '
	/^\.Sh / { insec = ($2 == sec); key = ""; next }
	!insec { next }
	/^\.It / {
		key = ""
		if ($2 != mac)
			next
		k = $3
		if (mac == "Fl") {
			if (k !~ /^-./)
				next
			k = substr(k, 2)
		}
		key = k
		print "K\t" key
		next
	}
	/^\.El/ { key = ""; next }
	key != "" { print "L\t" key "\t" $0 }
	' "$1"
}

# body FILE KEY: the body lines of KEY from an entries() listing.
body() {
	awk -F '\t' -v k="$2" '$1 == "L" && $2 == k {
		sub(/^L\t[^\t]*\t/, ""); print }' "$1"
}

# check_options PAGE MACRO: every option, in order, with its variable and
# default; no option the daemon does not have.
check_options() {
	local page=$1 mac=$2 name=${1##*/} list=$T_DIR/${1##*/}.entries
	local key env def b have=() missing=() extra=()
	local -A seen=()

	entries "$page" OPTIONS "$mac" >"$list"
	while IFS=$'\t' read -r tag key; do
		[ "$tag" = K ] || continue
		[ -z "${seen[$key]+set}" ] ||
			t_fail "$name documents $key twice"
		seen[$key]=1
		have+=("$key")
		[ -n "${OPT_DEF[$key]+set}" ] || extra+=("$key")
	done <"$list"
	for key in "${keys[@]}"; do
		[ -n "${seen[$key]+set}" ] || missing+=("$key")
	done
	[ "${#missing[@]}" -eq 0 ] ||
		t_fail "$name does not document: ${missing[*]}"
	[ "${#extra[@]}" -eq 0 ] ||
		t_fail "$name documents options the daemon does not have: ${extra[*]}"
	[ "${have[*]}" = "${keys[*]}" ] ||
		t_fail "$name lists the options in another order than the table"

	for key in "${keys[@]}"; do
		env=${OPT_ENV[$key]}
		def=${OPT_DEF[$key]}
		b=$T_DIR/body
		body "$list" "$key" >"$b"
		if [ -n "$env" ]; then
			grep -qE "^\.Ev $env( |\$)" "$b" ||
				t_fail "$name: $key without its variable $env"
			! grep -qx 'No environment variable\.' "$b" ||
				t_fail "$name: $key has $env, not \"No environment variable\""
		else
			grep -qx 'No environment variable\.' "$b" ||
				t_fail "$name: $key has no variable but does not say so"
			! grep -qE '^\.Ev ' "$b" ||
				t_fail "$name: $key names a variable; the daemon reads none"
		fi
		case $def in
		REQUIRED)
			grep -qx 'Required\.' "$b" ||
				t_fail "$name: $key is required but does not say so"
			! grep -qE '^Default' "$b" ||
				t_fail "$name: $key is required but has a default"
			;;
		EMPTY)
			grep -qx 'Default: empty\.' "$b" ||
				t_fail "$name: $key without its default (empty)"
			;;
		*)
			grep -x -A1 'Default:' "$b" | grep -qxF ".Ql $def ." ||
				t_fail "$name: $key without its default $def"
			;;
		esac
	done
	t_ok "$name documents every option with its variable and default"
}

check_options "$page8" Fl
check_options "$page5" Ic

# ENVIRONMENT of the daemon's page: every variable, with its option.
entries "$page8" ENVIRONMENT Ev >"$T_DIR/env.entries"
declare -A ENVKEY=()
for key in "${keys[@]}"; do
	if [ -n "${OPT_ENV[$key]}" ]; then
		ENVKEY[${OPT_ENV[$key]}]=$key
	fi
done
while IFS=$'\t' read -r tag env; do
	[ "$tag" = K ] || continue
	[ -n "${ENVKEY[$env]+set}" ] ||
		t_fail "tile38-cluster-manager.8 ENVIRONMENT: the daemon reads no $env"
done <"$T_DIR/env.entries"
for env in "${!ENVKEY[@]}"; do
	grep -qxF $'K\t'"$env" "$T_DIR/env.entries" ||
		t_fail "tile38-cluster-manager.8 ENVIRONMENT lacks $env"
	body "$T_DIR/env.entries" "$env" | grep -qxF ".Fl -${ENVKEY[$env]}" ||
		t_fail "tile38-cluster-manager.8 ENVIRONMENT: $env is not tied to --${ENVKEY[$env]}"
done
t_ok "tile38-cluster-manager.8 ENVIRONMENT lists all ${#ENVKEY[@]} variables"

# The control tool's page names the socket's default and variable.
if [ -n "${OPT_DEF[control.socket]+set}" ]; then
	if [ "${OPT_DEF[control.socket]}" = auto ]; then
		grep -qxF ".It Pa /run/tile38-cluster-manager/ Ns Ar id Ns Pa .sock" \
		    "$pagectl" ||
			t_fail "tile38-clusterctl.8: FILES lacks the sockets of control.socket auto"
	else
		grep -qxF ".It Pa ${OPT_DEF[control.socket]}" "$pagectl" ||
			t_fail "tile38-clusterctl.8: FILES lacks ${OPT_DEF[control.socket]}"
	fi
	[ -z "${OPT_ENV[control.socket]}" ] ||
		grep -qxF ".It Ev ${OPT_ENV[control.socket]}" "$pagectl" ||
		t_fail "tile38-clusterctl.8: ENVIRONMENT lacks ${OPT_ENV[control.socket]}"
	t_ok "tile38-clusterctl.8 names the control socket's default"
fi

# --- The example file -----------------------------------------------------

# The first literal display under EXAMPLES, with the two escapes the page
# uses undone: \& at the start of a line, \e for a backslash.  Any other
# backslash (such as \" that starts a roff comment) or an unescaped
# leading dot or apostrophe would render differently, so it fails.
awk '
/^\.Sh / { insec = ($2 == "EXAMPLES"); next }
insec && !done && /^\.Bd -literal/ { inbd = 1; next }
inbd && /^\.Ed$/ { inbd = 0; done = 1; next }
inbd { print }
' "$page5" >"$T_DIR/example.src"
[ -s "$T_DIR/example.src" ] ||
	t_fail "tile38-cluster-manager.conf.5 has no .Bd -literal block under EXAMPLES"
bad=$(awk '{
	l = $0
	if (l ~ /^[.'\'']/) { print NR ": " $0; exit }
	sub(/^\\&/, "", l)
	gsub(/\\e/, "", l)
	if (index(l, "\\")) { print NR ": " $0; exit }
}' "$T_DIR/example.src")
[ -z "$bad" ] ||
	t_fail "EXAMPLES block of tile38-cluster-manager.conf.5: write a backslash as \\e, a leading . or ' as \\&; line $bad"
sed -e 's/^\\&//' -e 's/\\e/\\/g' "$T_DIR/example.src" >"$T_DIR/example.conf"
if ! cmp -s "$example" "$T_DIR/example.conf"; then
	diff -u "$example" "$T_DIR/example.conf" | head -n 40
	t_fail "the EXAMPLES block of tile38-cluster-manager.conf.5 is not etc/tile38-cluster-manager.conf"
fi
t_ok "the EXAMPLES block of tile38-cluster-manager.conf.5 is the shipped example"

# --- mandoc ---------------------------------------------------------------

if ! command -v mandoc >/dev/null 2>&1; then
	echo "# mandoc is not installed: lint of the pages skipped"
else
	for p in "$page8" "$page5" "$pagectl"; do
		rc=0
		mandoc -Tlint -W warning "$p" >"$T_DIR/lint" 2>&1 || rc=$?
		if [ "$rc" -ne 0 ] || [ -s "$T_DIR/lint" ]; then
			cat "$T_DIR/lint"
			t_fail "mandoc -Tlint -W warning ${p##*/} (exit $rc)"
		fi
		mandoc -Tascii "$p" >/dev/null 2>"$T_DIR/lint" ||
			t_fail "mandoc -Tascii ${p##*/}: $(cat "$T_DIR/lint")"
	done
	t_ok "mandoc -Tlint -W warning: no warnings in the three pages"
fi
