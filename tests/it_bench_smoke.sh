#!/usr/bin/env bash
# tests/it_bench_smoke.sh: bench/run --quick (200 workspaces, 5 s idle) runs
# to its end and prints every target line. No timing is asserted: the
# figures belong to docs/performance.md, not to a test on a shared machine.
. "$SOURCE_DIR/tests/lib.sh"
t_init it_bench_smoke

out=$T_DIR/bench.out
TMPDIR=$T_DIR "$SOURCE_DIR/bench/run" --quick >"$out" 2>"$T_DIR/bench.log" ||
	fail "bench/run --quick exited $? (see $T_DIR/bench.log)"
for name in once-vs-http rows-vs-storage idle-cpu rss rss-per-workspace reload reload-inflight; do
	grep -Eq "^TARGET $name: .* \(target [^)]*\): (met|MISSED)" "$out" ||
		fail "no TARGET line for $name in the output of bench/run --quick"
done
for line in '^throughput: wegauged --once: wall' '^HTTP limit: curl: wall' \
	'^storage limit: [0-9]+ rows' '^idle: over' '^memory: RSS' '^reload: SIGHUP'; do
	grep -Eq "$line" "$out" || fail "bench/run --quick printed no line matching $line"
done
t_pass
