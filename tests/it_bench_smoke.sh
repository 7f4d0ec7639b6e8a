#!/usr/bin/env bash
# tests/it_bench_smoke.sh: bench/run --quick (200 workspaces, 5 s idle) runs
# to its end and prints every target line. No timing is asserted: the
# figures belong to docs/performance.md, not to a test on a shared machine.
# With PostgreSQL 15's server programs here (scripts/deps installs them)
# the run covers both stores (--store both: about 20-30 s more); without
# them, SQLite alone.
. "$SOURCE_DIR/tests/lib.sh"
t_init it_bench_smoke

store=sqlite
if [ -x /usr/lib/postgresql/15/bin/initdb ] &&
	{ [ "$(id -u)" != 0 ] || getent passwd postgres >/dev/null; }; then
	store=both
fi
t_log "bench/run --quick --store $store"
out=$T_DIR/bench.out
TMPDIR=$T_DIR "$SOURCE_DIR/bench/run" --quick --store "$store" >"$out" 2>"$T_DIR/bench.log" ||
	fail "bench/run --quick --store $store exited $? (see $T_DIR/bench.log)"
names="once-vs-http rows-vs-storage idle-cpu rss rss-per-workspace reload reload-inflight"
lines="^throughput: wegauged --once: wall|^HTTP limit: curl: wall|^storage limit: [0-9]+ rows|^idle: over|^memory: RSS|^reload: SIGHUP"
if [ "$store" = both ]; then
	names="$names pg_rows pg_loop_block"
	lines="$lines|^postgresql: wegauged --once: wall|^postgresql round 1: pg_limit .*unnest/1 [0-9]+ rows/s|^postgresql: daemon mode: 200 first pulls stored|^side by side: wegauged --once"
fi
for name in $names; do
	grep -Eq "^TARGET $name: .* \(target [^)]*\): (met|MISSED)" "$out" ||
		fail "no TARGET line for $name in the output of bench/run --quick"
done
IFS='|'
for line in $lines; do
	grep -Eq "$line" "$out" || fail "bench/run --quick printed no line matching $line"
done
t_pass
