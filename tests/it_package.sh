#!/bin/bash
# it_package.sh: the Debian package, built and installed for real.
#
# Builds the .deb with `cpack -G DEB` from this build tree into a temporary
# directory, checks its control data (shlibdeps, conffile, maintainer
# scripts), runs the maintainer scripts against a fake systemctl in a
# private mount namespace where /run/systemd/system exists (so their
# systemd branch is tested without a running systemd), then `dpkg -i`s it
# and checks the files, the user, the directories, `wegauged -t` on the
# installed configuration and one `wegauged --once` as the user wegauge;
# `dpkg -r` must keep the store and the configuration, `dpkg --purge` must
# remove them.
#
# Only as root and only in a build without sanitizers (the package ships
# what `cmake --install` installs): otherwise it exits 77, which ctest
# reports as skipped. It also skips when wegauge is already installed or
# /etc/wegauge or /var/lib/wegauge exist, since it could not leave those as
# it found them. It always leaves the machine as it found it: the trap
# purges the package and removes the user it created, also on failure.
set -euo pipefail

: "${BIN_DIR:?}" "${SOURCE_DIR:?}" "${TEST_TMP:?}"
BUILD_DIR=$(cd "$BIN_DIR/.." && pwd)

skip() {
	echo "SKIP: $*"
	exit 77
}
if [ "$(id -u)" != 0 ]; then
	skip "it_package needs root (dpkg -i)"
fi
if grep -qx 'WEGAUGE_SANITIZE:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
	skip "sanitizer build: the package is tested in the normal build"
fi
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found: install cmake and dpkg-dev (scripts/deps does)" >&2
		exit 1
	fi
done
if dpkg-query -W -f='${Status}' wegauge 2>/dev/null | grep -qv 'not-installed'; then
	skip "a package wegauge is already on this machine; not touching it"
fi
for d in /etc/wegauge /var/lib/wegauge; do
	if [ -e "$d" ]; then
		skip "$d exists; a purge would remove what is not ours"
	fi
done

FAILS=0
fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}
ok() { echo "ok: $*"; }
ok_since() {
	if [ "$FAILS" = "$1" ]; then
		ok "$2"
	fi
}

had_user=0
had_group=0
getent passwd wegauge >/dev/null && had_user=1
getent group wegauge >/dev/null && had_group=1

T=$(mktemp -d "$TEST_TMP/it_package.XXXXXX")

# dpkg ARGS...: dpkg, waiting up to 120 s for a lock held by another
# package manager (apt-get of another job on this machine).
dpkg_wait() {
	local deadline=$((SECONDS + 120)) rc
	while :; do
		rc=0
		DEBIAN_FRONTEND=noninteractive dpkg "$@" >"$T/dpkg.out" 2>&1 || rc=$?
		if [ $rc = 0 ] || ! grep -q 'lock' "$T/dpkg.out" || [ $SECONDS -ge $deadline ]; then
			cat "$T/dpkg.out"
			return $rc
		fi
		sleep 1
	done
}

cleanup() {
	local rc=$?
	set +e
	if dpkg-query -W -f='${Status}' wegauge 2>/dev/null | grep -qv 'not-installed'; then
		echo "cleanup: purging wegauge"
		dpkg_wait --purge wegauge >/dev/null
	fi
	rm -rf /etc/wegauge /var/lib/wegauge # neither existed before (checked above)
	if [ $had_user = 0 ] && getent passwd wegauge >/dev/null; then
		userdel wegauge
	fi
	if [ $had_group = 0 ] && getent group wegauge >/dev/null; then
		groupdel wegauge
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

# --- build the package -----------------------------------------------------
if ! cpack --config "$BUILD_DIR/CPackConfig.cmake" -G DEB -B "$T/pkg" >"$T/cpack.log" 2>&1; then
	cat "$T/cpack.log" >&2
	echo "FAIL: cpack -G DEB" >&2
	exit 1
fi
debs=("$T"/pkg/wegauge_*.deb)
if [ ${#debs[@]} != 1 ] || [ ! -f "${debs[0]}" ]; then
	ls -l "$T/pkg" >&2
	echo "FAIL: expected one wegauge_*.deb in $T/pkg" >&2
	exit 1
fi
DEB=${debs[0]}
ok "cpack -G DEB built $(basename "$DEB")"

# --- control data ----------------------------------------------------------
mark=$FAILS
depends=$(dpkg-deb -f "$DEB" Depends)
for lib in systemd libc6 libcurl4 libevent-2.1-7 libjansson4 libsqlite3-0 libsystemd0 libinih1 libssl3; do
	case ", $depends," in
	*", $lib"[\ ,]*) ;;
	*) fail "Depends lacks $lib: $depends" ;;
	esac
done
[ "$(dpkg-deb -f "$DEB" Package)" = wegauge ] || fail "Package is not wegauge"
[ "$(dpkg-deb -f "$DEB" Version)" = "$("$BIN_DIR/wegauged" --version | cut -d' ' -f2)" ] ||
	fail "Version differs from wegauged --version"
CTL=$T/control
dpkg-deb -e "$DEB" "$CTL"
[ "$(cat "$CTL/conffiles")" = /etc/wegauge/wegauged.conf ] ||
	fail "conffiles is '$(cat "$CTL/conffiles")', want /etc/wegauge/wegauged.conf"
for s in postinst prerm postrm; do
	cmp -s "$CTL/$s" "$SOURCE_DIR/packaging/$s" || fail "$s is not packaging/$s"
	[ "$(stat -c %a "$CTL/$s")" = 755 ] || fail "$s is not mode 0755"
done
ok_since $mark "control: Depends from dpkg-shlibdeps ($depends), conffile, scripts"

# --- maintainer scripts against a fake systemd -----------------------------
# In a private mount namespace a tmpfs hides /run and holds an empty
# /run/systemd/system, the sign of a running systemd; systemctl,
# systemd-sysusers and systemd-tmpfiles are stand-ins that log their
# arguments. Nothing outside the namespace changes.
FAKE=$T/fake
mkdir -p "$FAKE/bin"
for tool in systemctl systemd-sysusers systemd-tmpfiles; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$tool" "$FAKE" >"$FAKE/bin/$tool"
	chmod 755 "$FAKE/bin/$tool"
done
# run_script SYSTEMD(0|1) SCRIPT ARGS...: the calls it made, joined by ';'
# (and "exit N" when it failed).
run_script() {
	local with_systemd=$1 script=$2
	shift 2
	: >"$FAKE/calls"
	if [ "$with_systemd" = 1 ]; then
		unshare -m sh -c 'mount -t tmpfs none /run && mkdir -p /run/systemd/system && exec "$@"' \
			sh env PATH="$FAKE/bin:$PATH" sh "$CTL/$script" "$@" >/dev/null 2>&1 ||
			echo "exit $?" >>"$FAKE/calls"
	else
		env PATH="$FAKE/bin:$PATH" sh "$CTL/$script" "$@" >/dev/null 2>&1 ||
			echo "exit $?" >>"$FAKE/calls"
	fi
	paste -sd';' "$FAKE/calls"
}
if unshare -m true 2>/dev/null; then
	mark=$FAILS
	users="systemd-sysusers wegauge.conf;systemd-tmpfiles --create wegauge.conf"
	# script | arguments | the calls expected with systemd running
	cases=(
		"postinst|configure|$users;systemctl --system daemon-reload"
		"postinst|configure 0.0.9|$users;systemctl --system daemon-reload;systemctl try-restart wegauged.service"
		"prerm|remove|systemctl stop wegauged.service"
		"prerm|upgrade 0.1.0|"
		"postrm|remove|systemctl --system daemon-reload"
		"postrm|upgrade 0.1.0|"
	)
	for c in "${cases[@]}"; do
		IFS='|' read -r script args want <<<"$c"
		# shellcheck disable=SC2086 # args are words
		got=$(run_script 1 "$script" $args)
		[ "$got" = "$want" ] || fail "$script $args with systemd: got '$got', want '$want'"
	done
	# Without systemd running, systemctl is never called.
	got=$(run_script 0 postinst configure)
	[ "$got" = "$users" ] || fail "postinst configure without systemd: got '$got'"
	got=$(run_script 0 prerm remove)
	[ -z "$got" ] || fail "prerm remove without systemd: got '$got'"
	ok_since $mark "maintainer scripts: ${#cases[@]} cases with systemd, 2 without; never enable or start"
else
	echo "note: unshare -m not permitted here: maintainer scripts' systemd branch not tested"
fi

# --- install ---------------------------------------------------------------
if ! dpkg_wait -i "$DEB" >"$T/install.log"; then
	cat "$T/install.log" >&2
	echo "FAIL: dpkg -i $(basename "$DEB")" >&2
	exit 1
fi
ok "dpkg -i"

mark=$FAILS
unitdir=$(sed -n 's/^WEGAUGE_SYSTEMD_UNITDIR:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
case $unitdir in /*) ;; *) unitdir=/usr/$unitdir ;; esac
installed=(
	/usr/sbin/wegauged
	"$unitdir/wegauged.service"
	/usr/lib/sysusers.d/wegauge.conf
	/usr/lib/tmpfiles.d/wegauge.conf
	/etc/wegauge/wegauged.conf
	/usr/share/doc/wegauge/examples/wegauged.conf
	/usr/share/doc/wegauge/examples/notify-reload.conf.example
	/usr/share/wegauge/prometheus/wegauge-alerts.yml
)
for f in "$SOURCE_DIR"/schema/*.sql; do
	installed+=("/usr/share/wegauge/schema/$(basename "$f")")
done
for f in "$SOURCE_DIR"/schema/pg/*.sql; do
	installed+=("/usr/share/wegauge/schema/pg/$(basename "$f")")
done
if [ -d "$BUILD_DIR/man/man8" ]; then
	installed+=(/usr/share/man/man8/wegauged.8 /usr/share/man/man5/wegauged.conf.5)
else
	echo "note: built without scdoc: no man pages in the package"
fi
if [ -x "$BIN_DIR/wegauge" ]; then
	installed+=(/usr/bin/wegauge)
	[ -d "$BUILD_DIR/man/man1" ] && installed+=(/usr/share/man/man1/wegauge.1)
fi
dpkg -L wegauge >"$T/list.txt"
for f in "${installed[@]}"; do
	[ -f "$f" ] || fail "$f not installed"
	grep -qxF "$f" "$T/list.txt" || fail "$f not in dpkg -L wegauge"
done
if grep -q 'wesim' "$T/list.txt"; then
	fail "wesim is in the package (WEGAUGE_INSTALL_WESIM is OFF by default)"
fi
[ "$(dpkg-query -W -f='${Conffiles}' wegauge | awk 'NF { print $1 }')" = /etc/wegauge/wegauged.conf ] ||
	fail "dpkg does not list /etc/wegauge/wegauged.conf as the conffile"
grep -q '^ExecStart=/usr/sbin/wegauged ' "$unitdir/wegauged.service" ||
	fail "installed unit's ExecStart is not /usr/sbin/wegauged"
ok_since $mark "${#installed[@]} files where they belong, wegauged.conf a conffile"

mark=$FAILS
IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd wegauge || true)"
if [ -z "${uid:-}" ]; then
	fail "no user wegauge after install"
else
	[ "$home" = /var/lib/wegauge ] || fail "wegauge's home is $home"
	[ "$shell" = /usr/sbin/nologin ] || fail "wegauge's shell is $shell"
	[ "$(getent group wegauge | cut -d: -f3)" = "$gid" ] || fail "group wegauge is not wegauge's group"
fi
for w in "/etc/wegauge 755 root root" "/etc/wegauge/workspaces.d 755 root root" \
	"/etc/wegauge/keys 750 root wegauge" "/var/lib/wegauge 750 wegauge wegauge"; do
	p=${w%% *}
	got="$p $(stat -c '%a %U %G' "$p" 2>/dev/null || echo missing)"
	[ "$got" = "$w" ] || fail "want '$w', got '$got'"
done
if [ -e /etc/systemd/system/multi-user.target.wants/wegauged.service ]; then
	fail "the package enabled wegauged.service"
fi
ok_since $mark "user and group wegauge (uid ${uid:-?}), directories and modes, service not enabled"

rc=0
out=$(/usr/sbin/wegauged -t -c /etc/wegauge/wegauged.conf 2>&1) || rc=$?
if [ $rc = 0 ] && [ "$out" = "configuration OK" ]; then
	ok "installed wegauged -t -c /etc/wegauge/wegauged.conf: configuration OK"
else
	fail "installed wegauged -t: exit $rc, output: $out"
fi

# The user wegauge can create the store in /var/lib/wegauge (no
# workspaces are configured, so --once has nothing to pull).
rc=0
out=$(runuser -u wegauge -- /usr/sbin/wegauged --once 2>&1) || rc=$?
owner=$(stat -c '%U' /var/lib/wegauge/wegauge.db 2>/dev/null || echo missing)
if [ $rc = 0 ] && [ "$owner" = wegauge ]; then
	ok "wegauged --once as wegauge created /var/lib/wegauge/wegauge.db"
else
	fail "wegauged --once as wegauge: exit $rc, store owner $owner, output: $out"
fi

# --- remove: binaries go, store and configuration stay -----------------------
if ! dpkg_wait -r wegauge >"$T/remove.log"; then
	cat "$T/remove.log" >&2
	fail "dpkg -r wegauge"
fi
mark=$FAILS
for f in /usr/sbin/wegauged /usr/bin/wegauge "$unitdir/wegauged.service" \
	/usr/lib/sysusers.d/wegauge.conf /usr/share/wegauge; do
	[ ! -e "$f" ] || fail "$f still there after dpkg -r"
done
[ -f /var/lib/wegauge/wegauge.db ] || fail "dpkg -r removed the store"
[ -f /etc/wegauge/wegauged.conf ] || fail "dpkg -r removed the conffile"
status=$(dpkg-query -W -f='${Status}' wegauge 2>/dev/null || true)
[ "$status" = "deinstall ok config-files" ] || fail "status after dpkg -r: '$status'"
ok_since $mark "dpkg -r: programs and unit gone; store and configuration kept"

# --- purge: the rest goes --------------------------------------------------
if ! dpkg_wait --purge wegauge >"$T/purge.log"; then
	cat "$T/purge.log" >&2
	fail "dpkg --purge wegauge"
fi
mark=$FAILS
for d in /etc/wegauge /var/lib/wegauge; do
	[ ! -e "$d" ] || fail "$d still there after dpkg --purge"
done
status=$(dpkg-query -W -f='${Status}' wegauge 2>/dev/null || true)
case $status in "" | *not-installed) ;; *) fail "status after purge: '$status'" ;; esac
ok_since $mark "dpkg --purge: /etc/wegauge and /var/lib/wegauge gone"

if [ $FAILS != 0 ]; then
	echo "it_package: $FAILS failed" >&2
	exit 1
fi
echo "it_package: all passed"
