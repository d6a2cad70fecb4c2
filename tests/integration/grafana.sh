#!/bin/bash
# contrib/grafana: the dashboard is valid JSON, every panel has a data
# source and a query, its PromQL parses (promtool), and every metric its
# expressions name is a family that a live cluster (Consul dev agent, two
# redis-server, two managers with the admin HTTP listener) exports on
# /metrics.  GRAFANA_DASHBOARD names another dashboard file to check.
. "$TESTS_SRCDIR/tests/integration/lib.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/tcm.sh" || exit 99
. "$TESTS_SRCDIR/tests/integration/cluster.sh" || exit 99
t_begin grafana

DASH=${GRAFANA_DASHBOARD:-$TESTS_SRCDIR/contrib/grafana/tile38-cluster-manager.json}
[ -f "$DASH" ] || t_fail "no dashboard at $DASH"
command -v jq >/dev/null || t_fail "jq not found: run contrib/ci/install-deps"

# --- the dashboard alone ----------------------------------------------------

jq -e 'type == "object"' "$DASH" >/dev/null 2>"$T_DIR/jq.err" ||
	t_fail "$DASH is not a JSON object: $(cat "$T_DIR/jq.err")"

# The data source variable every query goes through, so that the
# dashboard imports into any Grafana without a fixed data source uid.
DSVAR=$(jq -r '[.templating.list[]? | select(.type == "datasource" and
	.query == "prometheus") | .name][0] // empty' "$DASH")
[ -n "$DSVAR" ] || t_fail "no template variable of type datasource for prometheus"
jq -e '.schemaVersion >= 36' "$DASH" >/dev/null ||
	t_fail "schemaVersion $(jq .schemaVersion "$DASH"), not 36 or later"
dup=$(jq -r '[.panels[]? | ., .panels[]? | .id] | group_by(.) |
	map(select(length > 1) | .[0]) | .[]' "$DASH")
[ -z "$dup" ] || t_fail "panel ids used twice: $dup"

# Every panel but a row, also inside (collapsed) rows: a data source, at
# least one target, and an expression in each target.
bad=$(jq -r --arg ds "\${$DSVAR}" '
	[.panels[]? | ., .panels[]? | select(.type != "row")] |
	if length == 0 then "the dashboard has no panels" else .[] |
	"panel \(.id) \"\(.title)\"" as $p |
	(if (.datasource | type) == "object" and .datasource.uid == $ds
	    then empty
	    else "\($p): datasource is not {\"uid\": \"\($ds)\"}" end),
	(if (.targets | type) == "array" and (.targets | length) > 0
	    then empty else "\($p): no targets" end),
	(.targets[]? |
	    select((.expr | type) != "string" or .expr == "") |
	    "\($p): target \(.refId // "?") has no expr"),
	(.targets[]? | select(.datasource != null and .datasource.uid != $ds) |
	    "\($p): target \(.refId // "?") has another datasource")
	end' "$DASH")
[ -z "$bad" ] || t_fail "$bad"
npanels=$(jq '[.panels[]? | ., .panels[]? | select(.type != "row")] | length' "$DASH")
t_ok "$npanels panels, each with datasource \${$DSVAR} and at least one query"

# Every PromQL expression: each "expr" anywhere (panel targets, panels in
# rows, annotations) and the selector of each label_values() variable.
# From each, the metric names: strings, Grafana variables, label
# matchers, ranges and by/on/... label lists removed, then every
# identifier that is not a keyword and not a function (followed by "(").
cat >"$T_DIR/exprs.jq" <<'EOF'
def exprs:
  [.. | objects | .expr? | strings]
  + [.templating.list[]? | select(.type == "query")
     | (.query | if type == "object" then .query else . end) | strings
     | (capture("^\\s*label_values\\((?<e>.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$")
        // capture("^\\s*query_result\\((?<e>.*)\\)\\s*$")
        // empty) | .e]
  | .[];
def metric_names:
  ([scan("__name__\\s*=\\s*\"([A-Za-z_:][A-Za-z0-9_:]*)\"") | .[0]] | .[]),
  (gsub("\"(\\\\.|[^\"\\\\])*\""; " ")
   | gsub("'(\\\\.|[^'\\\\])*'"; " ")
   | gsub("`[^`]*`"; " ")
   | gsub("\\$\\{[^}]*\\}|\\$[A-Za-z0-9_]+|\\[\\[[^\\]]*\\]\\]"; " ")
   | gsub("\\{[^}]*\\}"; " ")
   | gsub("\\[[^\\]]*\\]"; " ")
   | gsub("(?<![A-Za-z0-9_:])(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)"; " ")
   | scan("(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*(?![A-Za-z0-9_:])(?!\\s*\\()")
   | select(IN("by", "without", "on", "ignoring", "group_left",
       "group_right", "bool", "and", "or", "unless", "offset", "atan2",
       "inf", "nan", "Inf", "NaN") | not));
EOF
jq -r -L "$T_DIR" 'include "exprs"; [exprs | metric_names] | unique | .[]' \
	"$DASH" >"$T_DIR/names" || t_fail "jq could not list the metric names"
[ -s "$T_DIR/names" ] || t_fail "no metric names in the dashboard's queries"
echo "# $(jq -L "$T_DIR" 'include "exprs"; [exprs] | length' "$DASH") expressions; metrics: $(tr '\n' ' ' <"$T_DIR/names")"

# Each expression as a recording rule, Grafana's variables replaced (a
# range by 5m, any other by a regular expression: they stand in =~
# matchers), for promtool to parse.
if command -v promtool >/dev/null; then
	jq -L "$T_DIR" 'include "exprs"; {groups: [{name: "grafana",
	    rules: ([exprs] | to_entries | map({
		record: "grafana:expr_\(.key)",
		expr: (.value
		    | gsub("\\$\\{__[A-Za-z_]*\\}|\\$__[A-Za-z_]*"; "5m")
		    | gsub("\\$\\{[^}]*\\}|\\$[A-Za-z0-9_]+|\\[\\[[^\\]]*\\]\\]"; ".+"))
	    }))}]}' "$DASH" >"$T_DIR/rules.yml" ||
		t_fail "could not write the rules file"
	promtool check rules "$T_DIR/rules.yml" >"$T_DIR/promtool.out" 2>&1 ||
		t_fail "promtool check rules: $(cat "$T_DIR/promtool.out")"
	t_ok "promtool parses every expression"
else
	echo "# no promtool: PromQL syntax not checked"
fi

# --- a live cluster ---------------------------------------------------------

cl_init
declare -a HTTP
for i in 1 2; do
	cl_server $i
	HTTP[i]=$(t_port) || t_fail "no free port"
done
cl_manager 1 "http.port ${HTTP[1]}"
t_wait "n1 to lead" 15 cl_leader_is n1
cl_manager 2 "http.port ${HTTP[2]}"

scrape() {
	curl -sf --max-time 5 "http://127.0.0.1:${HTTP[$1]}/metrics" \
		>"$T_DIR/metrics.n$1.tmp" &&
		mv "$T_DIR/metrics.n$1.tmp" "$T_DIR/metrics.n$1"
}
# n1 leads, n2 follows and has caught up, and the supervisor's and the
# proxies' figures have reached both admins.
formed() {
	local i m
	scrape 1 && scrape 2 || return 1
	grep -q '^tile38_cluster_info{id="n1",role="leader",' "$T_DIR/metrics.n1" &&
		grep -qx 'tile38_cluster_role_leader 1' "$T_DIR/metrics.n1" &&
		grep -q '^tile38_cluster_info{id="n2",role="follower",' "$T_DIR/metrics.n2" &&
		grep -qx 'tile38_cluster_role_leader 0' "$T_DIR/metrics.n2" &&
		grep -qx 'tile38_cluster_caught_up 1' "$T_DIR/metrics.n2" || return 1
	for i in 1 2; do
		m=$T_DIR/metrics.n$i
		grep -q '^tile38_cluster_child_up{' "$m" &&
			grep -q '^tile38_cluster_connections_open{' "$m" &&
			grep -qx 'tile38_cluster_server_up 1' "$m" || return 1
	done
}
t_wait "/metrics of n1 and n2 to show n1 leading and n2 caught up" 30 formed
t_ok "the cluster formed: n1 leads, n2 follows, both export their figures"

# NAME is a family of the text in FILE: typed, or sampled, or the bucket,
# sum or count series of a histogram or summary.
has_family() {
	local file=$1 name=$2
	grep -q "^# TYPE $name " "$file" && return 0
	grep -Eq "^$name(\{| )" "$file" && return 0
	case $name in
	*_bucket)
		grep -q "^# TYPE ${name%_bucket} histogram\$" "$file" ;;
	*_sum)
		grep -Eq "^# TYPE ${name%_sum} (histogram|summary)\$" "$file" ;;
	*_count)
		grep -Eq "^# TYPE ${name%_count} (histogram|summary)\$" "$file" ;;
	*)
		return 1 ;;
	esac
}

# Every node exports every family the dashboard shows per node.
missing=
while read -r name; do
	for i in 1 2; do
		has_family "$T_DIR/metrics.n$i" "$name" ||
			missing="$missing $name (n$i)"
	done
done <"$T_DIR/names"
[ -z "$missing" ] ||
	t_fail "the dashboard queries metrics missing from /metrics:$missing"
t_ok "all $(wc -l <"$T_DIR/names") metrics the dashboard queries are in both nodes' /metrics"

unused=$(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$T_DIR/metrics.n1" |
	grep -vxF -f "$T_DIR/names" | tr '\n' ' ')
[ -z "$unused" ] || echo "# families not on the dashboard: $unused"

t_stop "${MGR_PID[2]}" 20 || t_fail "stopping n2"
t_stop "${MGR_PID[1]}" 20 || t_fail "stopping n1"
tcm_check_log n1
tcm_check_log n2
