#!/bin/sh
# libfuzzer.sh BINARY: run one libFuzzer build of a fuzz harness
# (tests/fuzz/NAME.lf) for FUZZ_LIBFUZZER_SECONDS (10) on its in-tree
# corpus tests/fuzz/corpus/NAME/.  What it finds new goes to a scratch
# directory, removed afterwards; a crash, a sanitizer report, a leak or
# an input taking longer than FUZZ_LIBFUZZER_TIMEOUT (30 s) fails the
# test and leaves the input in tests/fuzz/ of the build tree, next to
# the binary, to be replayed with "BINARY FILE" (or fuzz_NAME FILE).
#
# FUZZ_LIBFUZZER_SECONDS=0 skips the run (libFuzzer would take 0 for no
# limit at all).
#
# libfuzzer.sh without an argument only says that the runs are skipped:
# make check runs it so when configure found no clang with libFuzzer.
set -u

if [ $# -eq 0 ]; then
	echo "libfuzzer: no C compiler linking -fsanitize=fuzzer was found" \
	    "(configure FUZZ_CC=...; contrib/ci/install-deps installs clang):" \
	    "libFuzzer runs skipped"
	exit 77
fi

bin=$1
name=$(basename "$bin" .lf)
srcdir=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
corpus=$srcdir/tests/fuzz/corpus/$name
secs=${FUZZ_LIBFUZZER_SECONDS:-10}
timeout=${FUZZ_LIBFUZZER_TIMEOUT:-30}

if [ "$secs" = 0 ]; then
	echo "libfuzzer: FUZZ_LIBFUZZER_SECONDS=0: $name skipped"
	exit 77
fi
if [ ! -d "$corpus" ]; then
	echo "libfuzzer: no corpus $corpus" >&2
	exit 99
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
trap 'exit 143' TERM INT

# libFuzzer's own exit status for a crash is 77, which would read as a
# skip: any failure is 1 here.
"$bin" -max_total_time="$secs" -timeout="$timeout" -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$(dirname "$bin")/$name-" "$work" "$corpus"
rc=$?
if [ "$rc" -ne 0 ]; then
	echo "libfuzzer: $name failed (exit $rc); the input is in" \
	    "$(dirname "$bin")/$name-*" >&2
	exit 1
fi
exit 0
