# tests/lib_fleet.sh: a fleet of wegauged members on one PostgreSQL store
# (issue 16), for tests/it_pg_fleet*.sh. Source it after lib.sh and
# lib_pg.sh and t_init:
#
#   fleet_setup N INTERVAL LEASE [WESIM_ARGS...]   PostgreSQL, wesim with N
#                                  workspaces, the base configuration
#   start_member NAME [CMD...]     a member (its own configuration and log,
#                                  $T_DIR/NAME.log, metrics on a free port);
#                                  CMD, e.g. env LD_PRELOAD=..., runs
#                                  wegauged; MEMBER_PID[NAME]
#   member_metric NAME METRIC      a value of the member's /metrics
#   leases NAME                    leases NAME holds now (server's clock)
#   fleet_ticks FROM_MS TO_MS      every (workspace, tick) of the window
#                                  checked in the pull table and in wesim's
#                                  request log (below)
#
# Ticks. A workspace's ticks fall at phase + k * interval on the store's
# clock, phase = FNV-1a 64 of its name mod interval (src/schedule.c), the
# same on every member. A pull belongs to the tick it started in: its
# started_at (whole seconds, cut) + 0.999 s, minus the phase, divided by
# the interval. fleet_ticks counts, per workspace and tick whose whole
# interval lies in [FROM_MS, TO_MS), the pulls that ended ok or partial
# (the pull table) and the stats requests wesim served (its log: one per
# pull that got that far; a request counts in the tick of the pull row that
# started at most 2 s before it, else in its own); it sets TICKS (ticks checked), DUPS (ticks with
# two ok pulls, over the whole run), RDUPS (ticks with two pulls' requests
# in wesim's log but not two ok pulls), RALLOWED (such ticks that contain
# one of the instants of FLEET_ALLOW_TICK, in ms: a member killed, or
# stopped and fenced, in the middle of pulls that left no row, whose tick
# the next owner pulls again), REPULLS (such ticks that
# hold a pull that ended cancelled: its writes were refused or fenced, and
# the next owner pulled the tick again; nothing was stored twice) and MISSED
# (ticks of the window pulled no time), and fails when DUPS or RDUPS is not 0.

declare -A MEMBER_PID=() MEMBER_PORT=()

# fleet_setup N INTERVAL LEASE [WESIM_ARGS...]
fleet_setup() {
	FLEET_N=$1
	FLEET_INTERVAL=$2
	FLEET_LEASE=$3
	shift 3
	start_pg
	start_wesim --workspaces "$FLEET_N" --seed 16 --log-size 5000 --write-config "$T_DIR/cfg" \
		--config-extra "interval = $FLEET_INTERVAL" --config-extra "jitter = 0" \
		--config-extra "lookback_days = 1" "$@"
	wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
	FLEET_CONF="$T_DIR/cfg/wegauged.conf"
	pg_configure "$FLEET_CONF"
	# name -> license code, for wesim's log
	awk -F' *= *' '/^\[workspace "/ { n = $0; sub(/^\[workspace "/, "", n); sub(/"\].*/, "", n) }
		/^license_code/ { print n, $2 }' "$T_DIR"/cfg/workspaces.d/*.conf >"$T_DIR/names"
	[ "$(wc -l <"$T_DIR/names")" = "$FLEET_N" ] || fail "cannot read the workspaces' license codes"
}

# start_member NAME [CMD...]
start_member() {
	local name=$1
	shift
	free_port
	MEMBER_PORT[$name]=$FREE_PORT
	sed "s/^\[daemon\]\$/&\nmetrics_listen = 127.0.0.1:$FREE_PORT/" "$FLEET_CONF" >"$T_DIR/$name.conf"
	printf '\n[fleet]\nmember_name = %s\nlease = %s\n' "$name" "$FLEET_LEASE" >>"$T_DIR/$name.conf"
	"$@" "$WEGAUGED" -c "$T_DIR/$name.conf" >>"$T_DIR/$name.log" 2>&1 &
	MEMBER_PID[$name]=$!
	t_track "${MEMBER_PID[$name]}"
	t_log "member $name started (pid ${MEMBER_PID[$name]})"
}

# member_metric NAME METRIC: METRIC's value on member NAME's /metrics (empty
# when it cannot be read).
member_metric() {
	curl -sf "http://127.0.0.1:${MEMBER_PORT[$1]}/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

# stop_member NAME: SIGTERM, and it must exit 0.
stop_member() {
	stop_pid "${MEMBER_PID[$1]}"
}

leases() {
	pg_sql "SELECT count(*) FROM fleet_lease WHERE member = '$1' AND expires_at > clock_timestamp()"
}

# all_leased: every workspace has a live lease.
all_leased() {
	[ "$(pg_sql "SELECT count(*) FROM fleet_lease WHERE expires_at > clock_timestamp()")" = \
		"$FLEET_N" ]
}

# all_ok_since ID: every workspace had an ok pull with an id above ID.
all_ok_since() {
	[ "$(pg_sql "SELECT count(DISTINCT workspace) FROM pull WHERE status = 'ok' AND id > $1")" = \
		"$FLEET_N" ]
}

# server_ms: the store's clock, in ms since the epoch.
server_ms() {
	pg_sql "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint"
}

# wait_until_ms MS: the store's clock reached MS.
_past_ms() { [ "$(server_ms)" -ge "$1" ]; }
wait_until_ms() {
	local secs=$((($1 - $(server_ms)) / 1000 + 60))
	[ $secs -gt 60 ] || secs=60
	wait_for "$secs" "the store's clock at $1" _past_ms "$1"
}

# fleet_ticks FROM_MS TO_MS
fleet_ticks() {
	pg_sql "SELECT workspace, extract(epoch FROM started_at)::bigint, status FROM pull" \
		>"$T_DIR/pulls.txt"
	mkdir -p "$T_DIR/wesimlog"
	# One curl for every log: one connection, not one process per workspace.
	awk -v u="$WESIM_URL" -v d="$T_DIR/wesimlog" \
		'{ printf "url = \"%s/_wesim/log?lc=%s&limit=5000\"\noutput = \"%s/%s.json\"\n", u, $2, d, $1 }' \
		"$T_DIR/names" >"$T_DIR/wesimlog.curl"
	curl -sf --fail-early -K "$T_DIR/wesimlog.curl" || fail "wesim's logs"
	python3 - "$1" "$2" "$(
		units=${FLEET_INTERVAL%s}
		echo $((units * 1000))
	)" "$T_DIR" <<'EOF' >"$T_DIR/ticks.out"
import json, os, sys
lo, hi, iv, d = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def fnv(s):
    h = 0xcbf29ce484222325
    for c in s.encode():
        h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h

names = [l.split()[0] for l in open(os.path.join(d, "names"))]
phase = {n: fnv(n) % iv for n in names}
def tick(n, ms):
    return (ms - phase[n]) // iv

pulls, reqs, undone, starts = {}, {}, set(), {}
for line in open(os.path.join(d, "pulls.txt")):
    ws, started, status = line.strip().split("|")
    k = (ws, tick(ws, int(started) * 1000 + 999))
    starts.setdefault(ws, []).append(int(started))
    if status in ("ok", "partial"):
        pulls[k] = pulls.get(k, 0) + 1
    elif status == "cancelled":
        undone.add(k)
for n in names:
    log = json.load(open(os.path.join(d, "wesimlog", n + ".json")))
    entries = log["response"]["data"]["entries"] if "response" in log else log["entries"]
    for e in entries:
        if e["method"] == "POST" and e["path"].endswith("/stats"):
            t = int(e["t_ms"])
            # The pull it belongs to: the latest whose row started (whole
            # seconds) at most 2 s before; without one (its row never
            # landed), the request's own instant, 100 ms late at most.
            s = [x for x in starts.get(n, []) if x <= t // 1000 and t // 1000 - x <= 2]
            k = (n, tick(n, max(s) * 1000 + 999) if s else tick(n, t + 100))
            reqs[k] = reqs.get(k, 0) + 1
allow = [int(x) for x in (os.environ.get("FLEET_ALLOW_TICK") or "").split()]
pdups = sorted(k for k, c in pulls.items() if c > 1)
rdups = sorted(k for k, c in reqs.items() if c > 1 and pulls.get(k, 0) <= 1)
repulls = [k for k in rdups if k in undone]
allowed = [k for k in rdups if any(tick(k[0], t) == k[1] for t in allow) and k not in undone]
rdups = [k for k in rdups if k not in allowed and k not in undone]
dups = pdups + rdups
checked = missed = 0
for n in names:
    first = -(-(lo - phase[n]) // iv)          # the first tick starting at or after lo
    last = (hi - phase[n]) // iv - 1           # the last whose interval ends by hi
    for k in range(first, last + 1):
        checked += 1
        if pulls.get((n, k), 0) == 0 or reqs.get((n, k), 0) == 0:
            missed += 1
print("TICKS=%d DUPS=%d RDUPS=%d RALLOWED=%d REPULLS=%d MISSED=%d" % (checked, len(pdups), len(rdups), len(allowed), len(repulls), missed))
for k in dups[:10]:
    print("dup %s tick %d: %d pulls, %d stats requests" % (k[0], k[1], pulls.get(k, 0), reqs.get(k, 0)), file=sys.stderr)
EOF
	eval "$(head -1 "$T_DIR/ticks.out")"
	t_log "ticks $1..$2: $TICKS checked, $DUPS pulled twice (pull table), $RDUPS more by wesim's log" \
		"($RALLOWED in the allowed tick), $REPULLS pulled again after a pull cancelled 'lease lost'," \
		"$MISSED not pulled"
	[ "$DUPS" = 0 ] || fail "$DUPS ticks pulled more than once"
	[ "$RDUPS" = 0 ] || fail "$RDUPS ticks with the requests of two pulls in wesim's log"
}

# hrw_owners MEMBER...: "workspace member" for every workspace, sorted, as
# rendezvous hashing over MEMBER... says (src/fleet.c's fleet_weight).
hrw_owners() {
	python3 - "$T_DIR/names" "$@" <<'EOF2'
import sys
M = 0xFFFFFFFFFFFFFFFF
def fnv(h, b):
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & M
    return h
def mix(h):
    h ^= h >> 33; h = (h * 0xff51afd7ed558ccd) & M
    h ^= h >> 33; h = (h * 0xc4ceb9fe1a85ec53) & M
    h ^= h >> 33
    return h
def weight(m, w):
    return mix(fnv(fnv(0xcbf29ce484222325, m.encode() + b"\0"), w.encode()))
names = sorted(l.split()[0] for l in open(sys.argv[1]))
for w in names:
    best = max(sys.argv[2:], key=lambda m: (weight(m, w), [-ord(c) for c in m]))
    print(w, best)
EOF2
}

# owners_are MEMBER...: every lease is live and held as hrw_owners MEMBER... says.
owners_are() {
	hrw_owners "$@" >"$T_DIR/owners.want"
	pg_sql "SELECT workspace || ' ' || member FROM fleet_lease
		WHERE expires_at > clock_timestamp() ORDER BY 1" >"$T_DIR/owners.have"
	cmp -s "$T_DIR/owners.want" "$T_DIR/owners.have"
}

# counts_match_expect WESIM_ARGS...: per table and workspace, the store
# holds as many rows as wesim --expect (days FROM..TO of `window`, current
# seats): every workspace stored once and whole. The values are
# compare_pg_with_expect's (it_pg_fleet_fail.sh); this is its cheap form
# for hundreds of workspaces (json_norm of 300 workspaces' campaigns is
# half a minute).
counts_match_expect() {
	window_now
	"$WESIM" "$@" --expect all --from "$FROM" --to "$TO" |
		sed -E 's/^\{"table":"([a-z_]+)","license_code":"([^"]*)".*/\1 \2/' |
		LC_ALL=C sort | uniq -c | awk '{ print $2, $3, $1 }' >"$T_DIR/counts.want"
	pg_sql "SELECT t, lc, n FROM (
		SELECT 'active_users_daily' AS t, w.license_code AS lc, count(*) AS n
		  FROM active_users_daily a JOIN workspace w ON w.name = a.workspace
		 WHERE a.day BETWEEN '$FROM' AND '$TO' GROUP BY 2
		UNION ALL SELECT 'campaign', w.license_code, count(*)
		  FROM campaign c JOIN workspace w ON w.name = c.workspace GROUP BY 2
		UNION ALL SELECT 'feature_usage_daily', w.license_code, count(*)
		  FROM feature_usage_daily f JOIN workspace w ON w.name = f.workspace
		 WHERE f.day BETWEEN '$FROM' AND '$TO' GROUP BY 2
		UNION ALL SELECT 'seat', w.license_code, count(*)
		  FROM seat s JOIN workspace w ON w.name = s.workspace
		 WHERE s.removed_at IS NULL GROUP BY 2) AS x" | tr '|' ' ' | LC_ALL=C sort >"$T_DIR/counts.have"
	[ -s "$T_DIR/counts.want" ] || fail "wesim --expect printed nothing"
	cmp -s "$T_DIR/counts.want" "$T_DIR/counts.have" ||
		fail "rows per table and workspace differ from wesim --expect:" \
			"$(diff "$T_DIR/counts.want" "$T_DIR/counts.have" | head -5)"
	t_log "rows per table and workspace equal wesim --expect's:" \
		"$(awk '{ n += $3 } END { print n }' "$T_DIR/counts.want") rows"
}
