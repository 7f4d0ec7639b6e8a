#!/bin/bash
# boot_scenario.sh: the operator's whole day with the installed package, run
# by tests/it_boot.sh inside a booted minimal Debian 12 (systemd-nspawn) as
# the unit it-boot.service. It writes its log to /results/scenario.log (the
# unit's stdout), its exit status to /results/rc and the whole journal to
# /results/journal.txt; the container powers off when it ends.
#
#  1. wesim (4 accounts) as the transient unit wesim.service on loopback
#  2. wegauged.conf written, `systemctl enable --now wegauged`: active, Status
#  3. `wegauge connect` of three workspaces, key on stdin: connected
#  4. an account revoked in wesim: the workspace turns auth_failed;
#     `wegauge reconnect` with the new key: connected
#  5. `wegauge disconnect`: removed, its history kept in the store
#  6. a broken file in include_dir, `systemctl reload` (on a root without
#     /bin/kill): still active, Status names file:line; fixed and reloaded
#  7. `systemctl restart`, then `wegauge status` exits 0 at once
#  8. a watchdog kill (WatchdogSec=3s drop-in, SIGSTOP): Result watchdog,
#     restarted, the store's integrity_check ok
#  9. `systemctl stop`: exit 0, ExecMainStatus 0
# 10. no key in the journal, no seccomp or EPERM line, and
#     `systemd-analyze security` of the running unit at most 1.5
# 11. `apt-get purge wegauge`: no unit enabled, the package gone
#
# Each check prints "ok: [step] ..."; a miss prints "FAIL: [step] ...", the
# journal since the step began and `journalctl -u wegauged -n 50`, and ends
# that step; the next steps still run, and the scenario exits 1.
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER='' SYSTEMD_COLORS=0 LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive

R=/results
CONF=/etc/wegauge/wegauged.conf
WSDIR=/etc/wegauge/workspaces.d
KEYDIR=/etc/wegauge/keys
DB=/var/lib/wegauge/wegauge.db
ACCOUNTS=/etc/wesim.accounts
NAMES=(ws-0001 ws-0002 ws-0003)

FAILED=""
PASSED=""
STEP=""
CURSOR=""

finish() {
	local rc=$?
	set +e
	[ -n "$FAILED" ] && rc=1
	echo "passed steps:${PASSED:- none}"
	echo "failed steps:${FAILED:- none}"
	echo "boot_scenario: $([ "$rc" = 0 ] && echo 'all passed' || echo "exit $rc") in ${SECONDS}s"
	journalctl -b --no-pager -o short-precise >"$R/journal.txt" 2>&1
	echo "$rc" >"$R/rc"
	sync
	exit "$rc"
}
trap finish EXIT

ok() { echo "ok: [$STEP] $*"; }
# miss TEXT: the FAIL line, the step's journal and the daemon's; returns 1.
miss() {
	echo "FAIL: [$STEP] $*"
	echo "---- journal since step $STEP began"
	journalctl --no-pager --after-cursor="$CURSOR" -o short-precise 2>&1 | tail -n 80
	echo "---- journalctl -u wegauged -n 50"
	journalctl --no-pager -u wegauged -n 50 -o short-precise 2>&1
	echo "----"
	return 1
}
# step NAME FUNCTION: run one step of the day; a miss fails it, not the rest.
step() {
	STEP=$1
	CURSOR=$(journalctl -n 1 -o export 2>/dev/null | sed -n 's/^__CURSOR=//p')
	local t=$SECONDS
	echo "== $1"
	if "$2"; then
		PASSED="$PASSED $1"
		echo "   ($1 took $((SECONDS - t))s)"
	else
		FAILED="$FAILED $1"
	fi
}
# wait_until SECONDS CMD...: poll CMD until it succeeds; 1 after SECONDS.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
prop() { systemctl show -p "$1" --value wegauged.service; }
# state NAME: the workspace's state as `wegauge status` shows it (CSV).
state() {
	wegauge status --workspace "$1" --format csv 2>/dev/null | tr -d '\r' |
		awk -F, -v n="$1" '$1 == n { print $2 }' || true
}
is_state() { [ "$(state "$1")" = "$2" ]; }
status_has() { prop StatusText | grep -qF -- "$1"; }
status_lacks() { ! prop StatusText | grep -qF -- "$1"; }
wesim_reloads() { journalctl -u wesim --no-pager -o cat | grep -c '^wesim: reloaded' || true; }
wesim_reloaded_since() { [ "$(wesim_reloads)" -gt "$1" ]; }
# wesim_hup: re-read the accounts file; wait until wesim says it did.
wesim_hup() {
	local n
	n=$(wesim_reloads)
	systemctl kill -s HUP wesim.service || return 1
	wait_until 30 wesim_reloaded_since "$n"
}

# --- 1. wesim ------------------------------------------------------------------
declare -A LC KEY
NEWKEY=""
URL=""
step_wesim() {
	local name lc key port
	: >"$ACCOUNTS"
	chmod 600 "$ACCOUNTS"
	while read -r name lc key; do
		LC[$name]=$lc
		KEY[$name]=$key
	done < <(wesim --workspaces 4 --list --show-keys)
	[ ${#KEY[@]} = 4 ] || miss "wesim --list gave ${#KEY[@]} accounts, want 4" || return 1
	NEWKEY=$(printf 'it-boot new key %s' "$(date +%s%N)" | sha256sum | cut -c1-32)
	systemd-run --unit wesim --quiet --property=Type=exec \
		/usr/local/bin/wesim --workspaces 4 --accounts "$ACCOUNTS" \
		--listen 127.0.0.1 --port 0 --port-file /run/wesim.port ||
		miss "systemd-run wesim" || return 1
	wait_until 30 test -s /run/wesim.port || miss "no port file from wesim in 30 s" || return 1
	port=$(cat /run/wesim.port)
	URL=http://127.0.0.1:$port
	# bash's /dev/tcp: the root has no HTTP client.
	exec 3<>"/dev/tcp/127.0.0.1/$port" || miss "cannot connect to wesim on $port" || return 1
	printf 'GET /_wesim/stats HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	local answer
	answer=$(timeout 10 cat <&3 || true)
	exec 3<&-
	case $answer in
	"HTTP/1."?" 200"*) ;;
	*) miss "GET /_wesim/stats: $(echo "$answer" | head -1)" || return 1 ;;
	esac
	ok "wesim.service on $URL with 4 accounts, /_wesim/stats answers 200"
}

# --- 2. wegauged enabled and started -------------------------------------------
step_enable() {
	cat >"$CONF" <<EOF
[daemon]
database = $DB
include_dir = $WSDIR
interval = 5s
jitter = 0
lookback_days = 3
EOF
	systemctl enable --now wegauged 2>&1 || miss "systemctl enable --now wegauged failed" || return 1
	[ "$(systemctl is-active wegauged)" = active ] || miss "is-active: $(systemctl is-active wegauged)" || return 1
	[ "$(systemctl is-enabled wegauged)" = enabled ] || miss "is-enabled: $(systemctl is-enabled wegauged)" || return 1
	wait_until 10 status_has "0 workspaces" || miss "StatusText: '$(prop StatusText)'" || return 1
	ok "enabled and active (READY), StatusText '$(prop StatusText)'"
}

# shown TEXT: what a command printed, as the operator saw it, indented.
shown() { printf '%s\n' "$1" | sed 's/^/    | /'; }

# --- 3. connect ------------------------------------------------------------------
# These steps use `wegauge connect/reconnect/disconnect`.
step_connect() {
	local n rc out
	for n in "${NAMES[@]}"; do
		rc=0
		out=$(printf '%s\n' "${KEY[$n]}" |
			timeout 120 wegauge connect "$n" --license-code "${LC[$n]}" --base-url "$URL" 2>&1) || rc=$?
		[ $rc = 0 ] || miss "wegauge connect $n exited $rc: $out" || return 1
		[ -f "$WSDIR/$n.conf" ] || miss "connect did not write $WSDIR/$n.conf" || return 1
		[ -f "$KEYDIR/$n.key" ] || miss "connect did not write $KEYDIR/$n.key" || return 1
		case $(stat -c %A "$KEYDIR/$n.key") in
		*---) ;;
		*) miss "$KEYDIR/$n.key is $(stat -c '%A %U:%G' "$KEYDIR/$n.key"): readable by others" || return 1 ;;
		esac
		is_state "$n" connected || miss "after connect, $n is '$(state "$n")'" || return 1
		ok "wegauge connect $n (key on stdin): exit 0, $n.conf and keys/$n.key written, connected"
		shown "$out"
	done
}

# --- 4. a revoked key, auth_failed, reconnect -------------------------------------
step_revoke() {
	local n=ws-0002 rc out
	is_state "$n" connected || miss "$n is '$(state "$n")', not connected (step connect)" || return 1
	echo "$n revoked=yes" >"$ACCOUNTS"
	wesim_hup || miss "wesim did not reload its accounts" || return 1
	# The next pull (interval 5s) meets 401.
	wait_until 60 is_state "$n" auth_failed ||
		miss "$n is '$(state "$n")' 60 s after its account was revoked, want auth_failed" || return 1
	ok "account of $n revoked in wesim: $n is auth_failed"
	echo "$n key=$NEWKEY" >"$ACCOUNTS"
	wesim_hup || miss "wesim did not reload its accounts" || return 1
	rc=0
	out=$(printf '%s\n' "$NEWKEY" | timeout 120 wegauge reconnect "$n" 2>&1) || rc=$?
	[ $rc = 0 ] || miss "wegauge reconnect $n exited $rc: $out" || return 1
	is_state "$n" connected || miss "after reconnect, $n is '$(state "$n")'" || return 1
	ok "wegauge reconnect $n with a new key: exit 0, connected"
	shown "$out"
}

# --- 5. disconnect -----------------------------------------------------------------
step_disconnect() {
	local n=ws-0003 rc out pulls
	is_state "$n" connected || miss "$n is '$(state "$n")', not connected (step connect)" || return 1
	rc=0
	out=$(timeout 120 wegauge disconnect "$n" 2>&1) || rc=$?
	[ $rc = 0 ] || miss "wegauge disconnect $n exited $rc: $out" || return 1
	is_state "$n" removed || miss "after disconnect, $n is '$(state "$n")'" || return 1
	[ ! -e "$WSDIR/$n.conf" ] || miss "$WSDIR/$n.conf still there" || return 1
	[ ! -e "$KEYDIR/$n.key" ] || miss "$KEYDIR/$n.key still there" || return 1
	pulls=$(sqlite3 -readonly "$DB" "SELECT count(*) FROM pull WHERE workspace = '$n'" 2>&1) ||
		miss "sqlite3: $pulls" || return 1
	[ "$pulls" -gt 0 ] 2>/dev/null || miss "$n has '$pulls' pulls in the store, want > 0" || return 1
	ok "wegauge disconnect $n: exit 0, removed, files gone, its $pulls pulls kept in the store"
	shown "$out"
}

# --- 6. a broken reload ----------------------------------------------------------------
step_broken_reload() {
	local pid broken=$WSDIR/zz-broken.conf
	[ ! -e /bin/kill ] && [ ! -e /usr/bin/kill ] ||
		miss "this root has a kill program; the reload would not prove the unit needs none" || return 1
	pid=$(prop MainPID)
	printf '[workspace "broken"]\nthis line is not ini\n' >"$broken"
	systemctl reload wegauged 2>&1 || miss "systemctl reload wegauged failed (with a broken file)" || return 1
	wait_until 20 status_has "$broken:2" ||
		miss "StatusText does not name $broken:2: '$(prop StatusText)'" || return 1
	[ "$(systemctl is-active wegauged)" = active ] && [ "$(prop MainPID)" = "$pid" ] ||
		miss "after the broken reload: $(systemctl is-active wegauged), MainPID $(prop MainPID) (was $pid)" || return 1
	ok "systemctl reload (no /bin/kill in this root) with a broken file: exit 0, still active (pid $pid), StatusText '$(prop StatusText)'"
	rm -f "$broken"
	systemctl reload wegauged 2>&1 || miss "systemctl reload wegauged failed (fixed)" || return 1
	wait_until 20 status_lacks "$broken" ||
		miss "StatusText still names the removed file: '$(prop StatusText)'" || return 1
	[ "$(systemctl is-active wegauged)" = active ] || miss "not active after the second reload" || return 1
	ok "broken file removed, reloaded: StatusText '$(prop StatusText)'"
}

# --- 7. restart ------------------------------------------------------------------------
step_restart() {
	local rc out n
	# Not a vacuous check: the workspaces connected before are there.
	for n in ws-0001 ws-0002; do
		is_state "$n" connected || miss "$n is '$(state "$n")' before the restart, not connected (steps connect, revoke)" || return 1
	done
	systemctl restart wegauged 2>&1 || miss "systemctl restart wegauged failed" || return 1
	rc=0
	out=$(wegauge status --format csv 2>&1) || rc=$?
	[ $rc = 0 ] || miss "wegauge status right after the restart exited $rc:
$out" || return 1
	for n in ws-0001 ws-0002; do
		echo "$out" | tr -d '\r' | grep -q "^$n,connected," || miss "right after the restart:
$out" || return 1
	done
	ok "systemctl restart, then wegauge status at once: exit 0, ws-0001 and ws-0002 connected"
}

# --- 8. the watchdog ---------------------------------------------------------------------
DROPIN=/etc/systemd/system/wegauged.service.d/it-boot-watchdog.conf
watchdog_done() {
	local pid=$1 n0=$2
	[ "$(prop NRestarts)" -gt "$n0" ] && [ "$(systemctl is-active wegauged)" = active ] &&
		[ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ]
}
step_watchdog() {
	local pid n0 result="" integrity end
	mkdir -p "${DROPIN%/*}"
	printf '[Service]\nWatchdogSec=3s\n' >"$DROPIN"
	systemctl daemon-reload && systemctl restart wegauged ||
		miss "restart with WatchdogSec=3s failed" || return 1
	[ "$(prop WatchdogUSec)" = 3s ] || miss "WatchdogUSec is $(prop WatchdogUSec), want 3s" || return 1
	pid=$(prop MainPID)
	n0=$(prop NRestarts)
	kill -STOP "$pid" || miss "kill -STOP $pid" || return 1
	# Result is watchdog from the kill until the restart (RestartSec=5s).
	end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ] && ! watchdog_done "$pid" "$n0"; do
		[ "$(prop Result)" = watchdog ] && result=watchdog
		sleep 0.1
	done
	watchdog_done "$pid" "$n0" ||
		miss "60 s after SIGSTOP: $(systemctl is-active wegauged), NRestarts $(prop NRestarts) (was $n0), MainPID $(prop MainPID) (was $pid)" ||
		return 1
	if [ -z "$result" ]; then
		journalctl --no-pager -u wegauged --after-cursor="$CURSOR" -o cat |
			grep -q "Failed with result 'watchdog'" && result=watchdog
	fi
	[ "$result" = watchdog ] || miss "no Result=watchdog seen (systemctl show, journal)" || return 1
	ok "SIGSTOP of pid $pid: Result=watchdog, restarted (NRestarts $n0 -> $(prop NRestarts), pid $(prop MainPID)), active"
	integrity=$(sqlite3 -readonly "$DB" 'PRAGMA integrity_check' 2>&1) || true
	[ "$integrity" = ok ] || miss "integrity_check after the watchdog kill: $integrity" || return 1
	ok "PRAGMA integrity_check: ok"
	rm -f "$DROPIN"
	systemctl daemon-reload && systemctl restart wegauged || miss "restart without the drop-in failed" || return 1
	[ "$(prop WatchdogUSec)" = 30s ] || miss "WatchdogUSec is $(prop WatchdogUSec) after removing the drop-in" || return 1
	ok "drop-in removed: WatchdogSec back to 30s, active"
}

# --- 9. stop ---------------------------------------------------------------------------------
step_stop() {
	systemctl stop wegauged 2>&1 || miss "systemctl stop wegauged failed" || return 1
	[ "$(prop ExecMainStatus)" = 0 ] && [ "$(prop Result)" = success ] ||
		miss "after stop: ExecMainStatus $(prop ExecMainStatus), Result $(prop Result)" || return 1
	[ "$(systemctl is-active wegauged)" = inactive ] || miss "after stop: $(systemctl is-active wegauged)" || return 1
	ok "systemctl stop: exit 0, ExecMainStatus 0, inactive"
}

# --- 10. the journal and the exposure ----------------------------------------------------
# Lines that match 'seccomp|EPERM|Operation not permitted' and are not the
# daemon's: dbus-daemon in a container may not raise its file limit.
JOURNAL_NOISE='dbus-daemon\[[0-9]+\]: .*Failed to set fd limit to [0-9]+: Operation not permitted$'
step_journal() {
	local k keys=() hits exposure out
	systemctl start wegauged 2>&1 || miss "systemctl start wegauged failed" || return 1
	for k in "${KEY[@]}" "$NEWKEY"; do
		[ -n "$k" ] && keys+=(-e "$k")
	done
	[ ${#keys[@]} -gt 0 ] || miss "no keys to look for (step wesim failed?)" || return 1
	hits=$(journalctl --no-pager -o export | grep -acF "${keys[@]}" || true)
	[ "$hits" = 0 ] || miss "$hits journal entries carry an API key" || return 1
	ok "none of the $((${#keys[@]} / 2)) keys used appears in the journal (all fields, -o export)"
	hits=$(journalctl --no-pager -o short | grep -Ei 'seccomp|EPERM|Operation not permitted' || true)
	local real
	real=$(printf '%s\n' "$hits" | grep -Ev "$JOURNAL_NOISE" | grep . || true)
	[ -z "$real" ] || miss "seccomp or EPERM in the journal:
$real" || return 1
	[ -z "$hits" ] || echo "   (ignored, the container's not the daemon's: $(printf '%s\n' "$hits" | wc -l) dbus-daemon fd-limit line(s))"
	ok "no seccomp, EPERM or 'Operation not permitted' line in the journal"
	out=$(systemd-analyze security --no-pager wegauged.service 2>&1) || true
	exposure=$(echo "$out" | sed -n 's/.*Overall exposure level for wegauged\.service: \([0-9][0-9]*\.[0-9]\).*/\1/p')
	[ -n "$exposure" ] || miss "systemd-analyze security wegauged: $(echo "$out" | tail -3)" || return 1
	awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }' ||
		miss "exposure $exposure > 1.5:
$(echo "$out" | grep '✗')" || return 1
	ok "systemd-analyze security wegauged (running): exposure $exposure <= 1.5"
}

# --- 11. purge ----------------------------------------------------------------------------------
step_purge() {
	local out wants
	out=$(apt-get purge -y -q wegauge 2>&1) || miss "apt-get purge -y wegauge failed:
$out" || return 1
	wants=$(find /etc/systemd/system/*.wants/ -name 'wegauged*' 2>/dev/null || true)
	[ -z "$wants" ] || miss "still enabled after purge: $wants" || return 1
	case $(dpkg-query -W -f='${Status}' wegauge 2>/dev/null || true) in
	"" | *not-installed) ;;
	*) miss "dpkg status after purge: $(dpkg-query -W -f='${Status}' wegauge)" || return 1 ;;
	esac
	[ ! -e /usr/sbin/wegauged ] || miss "/usr/sbin/wegauged still there" || return 1
	[ "$(systemctl is-active wegauged)" != active ] || miss "wegauged still active after purge" || return 1
	ok "apt-get purge wegauge: package gone, no unit enabled, not running"
}

# shellcheck source=/dev/null
echo "boot_scenario: $(. /etc/os-release && echo "$PRETTY_NAME"), systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), $(dpkg-query -W -f='${Package} ${Version}' wegauge)"
step wesim step_wesim
step enable step_enable
step connect step_connect
step revoke step_revoke
step disconnect step_disconnect
step broken-reload step_broken_reload
step restart step_restart
step watchdog step_watchdog
step stop step_stop
step journal step_journal
step purge step_purge
