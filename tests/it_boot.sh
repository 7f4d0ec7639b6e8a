#!/bin/bash
# it_boot.sh: the Debian package on a minimal Debian 12, booted with systemd.
#
# A debootstrap `minbase` root of Debian 12 from the mirror that this
# machine's apt sources name, with systemd, systemd-sysv, dbus, sqlite3 and
# the libraries wesim needs (and nothing else: no procps, so no
# /bin/kill), is kept under $WEGAUGE_IT_BOOT_CACHE (default
# /var/cache/wegauge-it-boot), one directory per hash of the mirror, the
# suite and the package list, made on demand. Each run copies it, installs
# the .deb that `cpack -G DEB` builds from this tree with
# `apt-get install ./wegauge_*.deb` (Depends resolved by apt from the
# mirror, as a user's apt does; the downloaded packages are kept in the
# cache too), copies build/bin/wesim into /usr/local/bin, then boots the
# copy with `systemd-nspawn --boot` on a private network (loopback only).
# Inside, the unit it-boot.service runs tests/boot_scenario.sh, the
# operator's whole day (wesim, enable, connect, revoke and reconnect,
# disconnect, a broken reload, restart, a watchdog kill, stop, the journal
# and `systemd-analyze security`, purge), which writes its log and result
# to a directory bound from here, and then the container powers off.
#
# Only as root and only in a build without sanitizers (the package ships
# what `cmake --install` installs): otherwise it exits 77, which ctest
# reports as skipped. It never touches the host's /etc or packages. The
# trap stops the container and removes the copied root, also on failure;
# the rest of the run's directory (the scenario's log, the journal, the
# console) is kept when the test failed.
set -euo pipefail

: "${BIN_DIR:?}" "${SOURCE_DIR:?}" "${TEST_TMP:?}"
BUILD_DIR=$(cd "$BIN_DIR/.." && pwd)
T_START=$SECONDS

skip() {
	echo "SKIP: $*"
	exit 77
}
if [ "$(id -u)" != 0 ]; then
	skip "it_boot needs root (debootstrap, systemd-nspawn)"
fi
if grep -qx 'WEGAUGE_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
	skip "sanitizer build: the package is tested in the normal build"
fi
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps debootstrap systemd-nspawn flock sha256sum; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found: install cmake, dpkg-dev, debootstrap and systemd-container (scripts/deps does)" >&2
		exit 1
	fi
done

ok() { echo "ok: $*"; }
die() {
	echo "FAIL: $*" >&2
	exit 1
}
# elapsed SINCE: seconds since the $SECONDS value SINCE.
elapsed() { echo "$((SECONDS - $1))s"; }

# --- the mirror and the package list -----------------------------------------
SUITE=bookworm
# mirror: the first deb URI of this machine's apt sources that serves
# $SUITE itself (not -updates or -security), in one-line or deb822 form.
mirror() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v s="$SUITE" '$1 == "deb" {
			i = 2; if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == s) { print $i; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# Stanzas are separated by blank lines; keys are case-insensitive.
		awk -v s="$SUITE" 'BEGIN { RS = ""; FS = "\n" } {
			types = ""; uris = ""; suites = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^[ \t]*#/) continue
				k = tolower($i); sub(/:.*/, "", k); v = $i; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types") types = v; else if (k == "uris") uris = v; else if (k == "suites") suites = v
			}
			if ((" " types " ") ~ / deb / && (" " suites " ") ~ (" " s " ")) { split(uris, u, " "); print u[1]; exit }
		}' "$f"
	done
}
MIRROR=${WEGAUGE_IT_BOOT_MIRROR:-$(mirror | head -1)}
if [ -z "$MIRROR" ]; then
	MIRROR=http://deb.debian.org/debian
	echo "note: no apt source of $SUITE found on this machine; using $MIRROR"
fi
ARCH=$(dpkg --print-architecture)

# The root's packages: systemd as init (systemd-sysv), dbus for
# `systemd-analyze security` of a running unit, sqlite3 for the store's
# checks, and the packages of wesim's shared libraries on this machine.
PKGS="systemd systemd-sysv dbus sqlite3"
WESIM_BIN=$BIN_DIR/wesim
[ -x "$WESIM_BIN" ] || die "$WESIM_BIN not built"
for lib in $(ldd "$WESIM_BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
	pkg=$(dpkg-query -S "$lib" 2>/dev/null | grep -v '^diversion ' | head -1 | sed 's/[:,].*//' || true)
	if [ -z "$pkg" ]; then
		real=$(readlink -f "$lib")
		pkg=$(dpkg-query -S "$real" 2>/dev/null | grep -v '^diversion ' | head -1 | sed 's/[:,].*//' || true)
	fi
	[ -n "$pkg" ] || die "wesim needs $lib, which no installed package ships"
	PKGS="$PKGS $pkg"
done
PKGS=$(echo "$PKGS" | tr ' ' '\n' | LC_ALL=C sort -u | tr '\n' ' ')
PKGS=${PKGS% }
# Bump when the way the root is made changes, so old caches are not reused.
RECIPE=1
KEY=$(printf 'recipe %s\nmirror %s\nsuite %s\narch %s\npackages %s\n' \
	"$RECIPE" "$MIRROR" "$SUITE" "$ARCH" "$PKGS" | sha256sum | cut -c1-16)

CACHE_TOP=${WEGAUGE_IT_BOOT_CACHE:-/var/cache/wegauge-it-boot}
CACHE=$CACHE_TOP/$KEY
mkdir -p "$CACHE_TOP"

# --- temporary directory and the trap ----------------------------------------
T=$(mktemp -d "$TEST_TMP/it_boot.XXXXXX")
ROOT=$T/root
RES=$T/results
mkdir -p "$RES"
MACHINE=it-boot-$$
NSPAWN_PID=""
BUILD_TMP=""

# stop_container: SIGTERM asks systemd-nspawn to power the container off;
# a second one, or SIGKILL after 30 s, ends it at once.
stop_container() {
	local deadline
	[ -n "$NSPAWN_PID" ] || return 0
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		echo "cleanup: stopping container $MACHINE"
		kill -TERM "$NSPAWN_PID" 2>/dev/null || true
		deadline=$((SECONDS + 30))
		while kill -0 "$NSPAWN_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
			sleep 0.2
		done
		kill -KILL "$NSPAWN_PID" 2>/dev/null || true
	fi
	wait "$NSPAWN_PID" 2>/dev/null || true
	NSPAWN_PID=""
}

cleanup() {
	local rc=$?
	set +e
	stop_container
	# Nothing of the container may stay mounted below $T (its mounts live
	# in its own namespace, but never rm -rf through a mount).
	while read -r m; do
		umount -l "$m"
	done < <(awk -v t="$T/" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
	[ -z "$BUILD_TMP" ] || rm -rf --one-file-system "$BUILD_TMP"
	rm -rf --one-file-system "$ROOT"
	if [ $rc = 0 ]; then
		rm -rf "$T"
	else
		echo "kept $T for inspection (results/: the scenario's log, journal and console; the root is removed)"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the cached root ------------------------------------------------------------
# One maker at a time per key (other worktrees run this test too); the
# finished root is renamed into place, so a root that exists is complete
# and never changes afterwards.
phase=$SECONDS
exec 8>"$CACHE_TOP/$KEY.lock"
flock -w 1200 8 || die "could not lock $CACHE_TOP/$KEY.lock within 20 minutes"
if [ -d "$CACHE/root" ]; then
	ok "cached root $CACHE/root (Debian $SUITE minbase from $MIRROR: $PKGS)"
else
	echo "making the root: debootstrap --variant=minbase $SUITE from $MIRROR with $PKGS"
	mkdir -p "$CACHE"
	BUILD_TMP=$(mktemp -d "$CACHE/.make.XXXXXX")
	# 20 minutes at most: a stuck mirror fails the test before ctest's
	# timeout would kill it (and its trap) from outside.
	if ! timeout 1200 debootstrap --variant=minbase --include="${PKGS// /,}" "$SUITE" \
		"$BUILD_TMP/root" "$MIRROR" >"$BUILD_TMP/debootstrap.log" 2>&1; then
		tail -n 30 "$BUILD_TMP/debootstrap.log" >&2
		die "debootstrap of $SUITE from $MIRROR (log above)"
	fi
	# The packages debootstrap fetched are not needed again; the package
	# lists stay, so apt can resolve the .deb's Depends offline when the
	# archives below hold them.
	rm -f "$BUILD_TMP/root/var/cache/apt/archives"/*.deb
	echo it-boot >"$BUILD_TMP/root/etc/hostname"
	mv "$BUILD_TMP/root" "$CACHE/root"
	mv "$BUILD_TMP/debootstrap.log" "$CACHE/debootstrap.log"
	rm -rf "$BUILD_TMP"
	BUILD_TMP=""
	ok "made the root $CACHE/root in $(elapsed $phase)"
fi
mkdir -p "$CACHE/archives/partial"
touch "$CACHE/used"
exec 8>&-
# Roots of other package lists not used for 30 days go.
find "$CACHE_TOP" -mindepth 2 -maxdepth 2 -name used -mtime +30 -printf '%h\n' |
	while read -r old; do
		[ "$old" = "$CACHE" ] || rm -rf --one-file-system "$old" "$old.lock"
	done

phase=$SECONDS
cp -a --reflink=auto "$CACHE/root" "$ROOT"
for k in /bin/kill /usr/bin/kill; do
	[ ! -e "$ROOT$k" ] || die "the root has $k: its package list pulled in procps"
done
ok "copied the root in $(elapsed $phase) (no /bin/kill in it)"

# --- the package, installed by apt ---------------------------------------------
phase=$SECONDS
if ! cpack --config "$BUILD_DIR/CPackConfig.cmake" -G DEB -B "$T/pkg" >"$T/cpack.log" 2>&1; then
	cat "$T/cpack.log" >&2
	die "cpack -G DEB"
fi
debs=("$T"/pkg/wegauge_*.deb)
if [ ${#debs[@]} != 1 ] || [ ! -f "${debs[0]}" ]; then
	die "expected one wegauge_*.deb in $T/pkg"
fi
DEB=$(basename "${debs[0]}")

# nspawn_pipe ARGS...: a command in the root, not booted, with the host's
# network (for the mirror) and the cached archives; 10 minutes at most.
nspawn_pipe() {
	timeout 600 systemd-nspawn -q --register=no --keep-unit -D "$ROOT" --machine="$MACHINE" \
		--pipe --bind="$CACHE/archives:/var/cache/apt/archives" --bind-ro="$T/pkg:/mnt/pkg" \
		--setenv=DEBIAN_FRONTEND=noninteractive -- "$@" </dev/null
}
install_deb() {
	nspawn_pipe sh -c "cd /mnt/pkg && apt-get install -y --no-install-recommends ./$DEB" >>"$T/apt.log" 2>&1
}
# The archives are shared with other runs: one apt at a time.
exec 8>"$CACHE/archives.lock"
flock -w 600 8 || die "could not lock $CACHE/archives.lock"
if ! install_deb; then
	# The root's package lists are as old as the root: when the mirror no
	# longer has a version they name, read them anew and try once more.
	if grep -qE '^(E: Failed to fetch|E: Unable to fetch|E: Unable to locate|E: Package .* has no installation candidate)' "$T/apt.log"; then
		echo "note: apt-get install failed with the cached root's package lists; apt-get update and again (remove $CACHE to make a fresh root)"
		nspawn_pipe apt-get update -q >>"$T/apt.log" 2>&1 || true
		install_deb || {
			cat "$T/apt.log" >&2
			die "apt-get install ./$DEB in the root"
		}
	else
		cat "$T/apt.log" >&2
		die "apt-get install ./$DEB in the root"
	fi
fi
exec 8>&-
fetched=$(grep -cE '^Get:[0-9]+ [a-z]+://' "$T/apt.log" || true)
ok "apt-get install ./$DEB in the root: $(grep -o '[0-9]* newly installed' "$T/apt.log" | tail -1), $fetched downloaded, in $(elapsed $phase)"

# wesim and the scenario; the scenario's unit runs after multi-user.target
# as the one job of the default target it-boot.target, and powers the
# container off when it ends, whatever its result.
install -m 0755 "$WESIM_BIN" "$ROOT/usr/local/bin/wesim"
install -m 0755 "$SOURCE_DIR/tests/boot_scenario.sh" "$ROOT/usr/local/bin/it-boot-scenario"
if missing=$(chroot "$ROOT" ldd /usr/local/bin/wesim | grep 'not found'); then
	die "wesim lacks libraries in the root: $missing"
fi
cat >"$ROOT/etc/systemd/system/it-boot.target" <<'EOF'
[Unit]
Description=it_boot: the scenario after a normal boot
Requires=multi-user.target
After=multi-user.target
Wants=it-boot.service
AllowIsolate=yes
EOF
cat >"$ROOT/etc/systemd/system/it-boot.service" <<'EOF'
[Unit]
Description=it_boot scenario (tests/boot_scenario.sh)
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/local/bin/it-boot-scenario
StandardOutput=append:/results/scenario.log
StandardError=inherit
TimeoutStartSec=420
EOF
ln -sf it-boot.target "$ROOT/etc/systemd/system/default.target"

# --- boot ---------------------------------------------------------------------------
phase=$SECONDS
: >"$RES/scenario.log"
systemd-nspawn --boot --register=no --keep-unit -D "$ROOT" --machine="$MACHINE" \
	--private-network --bind="$RES:/results" --console=read-only \
	</dev/null >"$RES/console.log" 2>&1 &
NSPAWN_PID=$!
# The scenario's unit times out after 420 s and then powers off too.
deadline=$((SECONDS + 480))
while kill -0 "$NSPAWN_PID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
	sleep 0.5
done
if kill -0 "$NSPAWN_PID" 2>/dev/null; then
	echo "FAIL: the container still runs after 480 s" >&2
	stop_container
	timed_out=1
else
	rc=0
	wait "$NSPAWN_PID" || rc=$?
	NSPAWN_PID=""
	timed_out=0
	[ $rc = 0 ] || echo "note: systemd-nspawn exited $rc"
fi
boot_time=$(elapsed $phase)

cat "$RES/scenario.log"
rc=$(cat "$RES/rc" 2>/dev/null || echo none)
if [ "$timed_out" = 1 ] || [ "$rc" != 0 ]; then
	echo "---- tail of the container's console" >&2
	sed 's/\x1b\[[0-9;]*m//g' "$RES/console.log" | tail -n 40 >&2
	if [ "$rc" = none ]; then
		die "the scenario did not finish (no $RES/rc)"
	fi
	die "the scenario failed (exit $rc) after $boot_time in the container; total $(elapsed $T_START)"
fi
ok "boot, scenario and poweroff in $boot_time"
echo "it_boot: all passed in $(elapsed $T_START)"
