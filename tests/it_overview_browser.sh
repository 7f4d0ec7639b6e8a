#!/bin/bash
# it_overview_browser.sh: the overview's page as headless Chromium renders
# it (issue 17).
#
# The store of tests/fixtures/cli/overview.sql (test_cli_overview.c
# computes its figures by hand), its page written by
# `wegauge overview --days 7 --html-dir`, then Chromium (Debian's, from
# scripts/deps) on the file:
#  - --screenshot: a PNG of the window's size, with something drawn on it;
#  - --dump-dom with scripts on: the totals, each ranking's table with its
#    rows in their order, the table of every workspace with a row per
#    workspace, its links, and an SVG sparkline with one path for each
#    workspace with daily deliveries (alpha, delta), the rendered page
#    holding the stored hostile text as text only;
#  - the sorting script: a copy of the page that clicks the full table's
#    "unused" header (twice) and a ranking's header before the DOM is
#    dumped: the rows come back ordered by that column, both ways;
#  - the page without its script (a copy): the same tables and rows (the
#    page reads the same without it).
# Each Chromium runs in a session of its own with a fresh profile and a
# deadline, and its process group is killed at exit, also on failure.
# Environment (ctest): WEGAUGE, SOURCE_DIR, FIXTURES, TEST_TMP.
. "$(dirname "$0")/lib.sh"
t_init it_overview_browser

command -v chromium >/dev/null || fail "chromium is not installed (scripts/deps installs it)"

DB="$T_DIR/store.db"
{
	for f in "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql; do echo ".read $f"; done
	echo ".read $FIXTURES/cli/overview.sql"
	set -- "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql
	echo "PRAGMA user_version = $#;"
} | sqlite3 -bail "$DB" >/dev/null || fail "cannot build the store"
"$WEGAUGE" -d "$DB" overview --days 7 --html-dir "$T_DIR/site" >/dev/null || fail "overview --html-dir"
PAGE="$T_DIR/site/index.html"

# chromium_run ARGS...: headless Chromium, a fresh profile, at most 120 s,
# in its own session; its process group is killed at exit.
chromium_run() {
	local profile pid rc=0
	profile=$(mktemp -d "$T_DIR/chromium.XXXXXX")
	setsid timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$profile" "$@" 2>>"$T_DIR/chromium.log" &
	pid=$!
	t_on_exit "kill -KILL -- -$pid 2>/dev/null || true"
	wait "$pid" || rc=$?
	return "$rc"
}

# ---- the screenshot ----
chromium_run --window-size=1280,1600 --screenshot="$T_DIR/page.png" "file://$PAGE" >/dev/null ||
	fail "chromium --screenshot exited $?"
[ -f "$T_DIR/page.png" ] || fail "chromium wrote no screenshot"
head -c 8 "$T_DIR/page.png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' || fail "not a PNG"
# IHDR: width and height, big-endian, at bytes 16..23.
dims=$(od -An -tu1 -j16 -N8 "$T_DIR/page.png" | awk '{ print ($1*16777216+$2*65536+$3*256+$4) "x" ($5*16777216+$6*65536+$7*256+$8) }')
[ "$dims" = 1280x1600 ] || fail "the screenshot is $dims, not 1280x1600"
size=$(stat -c %s "$T_DIR/page.png")
[ "$size" -gt 30000 ] || fail "the screenshot is only $size bytes: nothing much drawn"

# ---- the DOM, scripts on ----
chromium_run --dump-dom "file://$PAGE" >"$T_DIR/on.dom" || fail "chromium --dump-dom exited $?"
# rows_of DOM ID: the first cell's text of each body row of table ID (the
# full table's chunks for ID all), one per line.
rows_of() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
dom, tid = open(sys.argv[1]).read(), sys.argv[2]
if tid == "all":
    start = dom.index('<div id="all"')
    end = dom.find("<script>", start)
    end = end if end >= 0 else dom.index("</body>", start)
else:
    start = dom.index('<table class="sortable" id="%s">' % tid)
    end = dom.index("</table>", start)
part = dom[start:end]
for tbody in re.findall(r"<tbody>(.*?)</tbody>", part, re.S):
    for row in re.findall(r"<tr>(.*?)</tr>", tbody, re.S):
        first = re.search(r"<td[^>]*>(.*?)</td>", row, re.S).group(1)
        print(re.sub(r"<[^>]+>", "", first))
EOF
}
expect_rows() { # DOM ID WANT (comma-separated)
	local got
	got=$(rows_of "$1" "$2" | paste -sd, -)
	[ "$got" = "$3" ] || fail "$(basename "$1") #$2: rows $got, want $3"
}
check_dom() {
	expect_rows "$1" health beta,gamma,delta
	expect_rows "$1" seats alpha,beta,delta,gamma,zeta
	expect_rows "$1" trend gamma,alpha,delta,beta,zeta
	expect_rows "$1" channels gamma,delta,alpha,beta,zeta
	expect_rows "$1" channel_totals EMAIL,PUSH_NOTIFICATION,SMS,WHATSAPP
	expect_rows "$1" all alpha,beta,delta,gamma,zeta
	grep -q '<div class="tile"><b>60.0 EUR per month</b><span>unused seat cost</span></div>' "$1" ||
		fail "$(basename "$1"): no tile for the cost of unused seats"
	grep -q '<a href="w/gamma.html">gamma</a>' "$1" || fail "$(basename "$1"): gamma is not linked"
	[ "$(grep -o '<svg viewBox="0 0 18 20"><path d="[^"]*"></path></svg>' "$1" | wc -l)" = 2 ] ||
		fail "$(basename "$1"): not two sparklines: $(grep -o '<svg[^>]*>' "$1" | head)"
	grep -q '<path d="M12 9l3-8"></path>' "$1" || fail "$(basename "$1"): alpha's sparkline"
	grep -q 'probe: HTTP 401 &lt;script&gt;' "$1" || fail "$(basename "$1"): the stored text is not text"
}
check_dom "$T_DIR/on.dom"
for ws in alpha beta delta gamma zeta; do
	[ -f "$T_DIR/site/w/$ws.html" ] || fail "no page w/$ws.html"
done

# ---- the sorting script ----
# A copy of the page with a script of the test's own at its end: it clicks
# headers, notes the rows' order in data attributes, and the DOM shows it.
sed 's|</body>|<script>(function(){function first(id){var o=[];document.querySelectorAll(id).forEach(function(r){o.push(r.cells[0].textContent)});return o.join(",")}var h=document.querySelectorAll("#all thead th")[3];h.click();document.body.setAttribute("data-up",first("#all .c tr"));h.click();document.body.setAttribute("data-down",first("#all .c tr"));document.querySelectorAll("#seats thead th")[0].click();document.body.setAttribute("data-seats",first("#seats tbody tr"))})();</script></body>|' \
	"$PAGE" >"$T_DIR/site/sort.html"
chromium_run --dump-dom "file://$T_DIR/site/sort.html" >"$T_DIR/sort.dom" || fail "chromium (sort) exited $?"
# unused: alpha 3, beta 3, delta 0, gamma 0, zeta 0; ties keep the order they had.
grep -q 'data-up="delta,gamma,zeta,alpha,beta"' "$T_DIR/sort.dom" ||
	fail "sorted by unused, ascending: $(grep -o 'data-up="[^"]*"' "$T_DIR/sort.dom")"
grep -q 'data-down="alpha,beta,delta,gamma,zeta"' "$T_DIR/sort.dom" ||
	fail "sorted by unused, descending: $(grep -o 'data-down="[^"]*"' "$T_DIR/sort.dom")"
grep -q 'data-seats="alpha,beta,delta,gamma,zeta"' "$T_DIR/sort.dom" ||
	fail "seats sorted by name: $(grep -o 'data-seats="[^"]*"' "$T_DIR/sort.dom")"
grep -q 'aria-sort="ascending"' "$T_DIR/sort.dom" || fail "the sorted header is not marked"

# ---- the page without its script: the same tables and rows ----
# (--dump-dom needs scripts on: the page's own is taken out of a copy.)
sed 's|<script>.*</script>||' "$PAGE" >"$T_DIR/site/noscript.html"
grep -q '<script' "$T_DIR/site/noscript.html" && fail "the copy still has a script"
chromium_run --dump-dom "file://$T_DIR/site/noscript.html" >"$T_DIR/off.dom" ||
	fail "chromium (no script) exited $?"
check_dom "$T_DIR/off.dom"
grep -q ' aria-sort="' "$T_DIR/off.dom" && fail "a header is marked sorted without the script"

t_pass
