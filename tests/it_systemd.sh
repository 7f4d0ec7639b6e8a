#!/bin/bash
# it_systemd.sh: the systemd integration files and the install rules.
#
#  1. `cmake --install` into a DESTDIR puts every file where
#     cmake/wegauge_install.cmake says, and the installed unit differs from
#     systemd/wegauged.service only in ExecStart's path.
#  2. The unit has the settings docs/operator.md requires, and every
#     program of its Exec*= lines is the package's own or comes from a
#     package that is Essential or in the package's Depends (so it exists
#     on a minimal Debian: tests/it_boot.sh boots one).
#  3. `systemd-analyze verify` accepts the installed unit (ExecStart pointed
#     at the DESTDIR's wegauged, Documentation= at the build's man pages)
#     without a word about it, and `systemd-analyze security --offline=true`
#     rates its exposure 2.0 or lower.
#  4. sysusers.d and tmpfiles.d entries, applied to an empty root directory,
#     make the user, the group and the directories with the right modes.
#  5. The example configuration is accepted by `wegauged -t`, also with its
#     example workspace uncommented; it sets every [daemon] key of
#     src/config_table.c to that key's default, and wegauged.conf(5)
#     describes every key of the table.
#  6. The man pages are built and name every flag of `wegauged --help`.
#
# Needs systemd-analyze, systemd-sysusers and systemd-tmpfiles (Debian's
# systemd package) and dpkg-query. Runs as any user; touches nothing
# outside $TEST_TMP.
set -euo pipefail

: "${WEGAUGED:?}" "${BIN_DIR:?}" "${SOURCE_DIR:?}" "${TEST_TMP:?}"
BUILD_DIR=$(cd "$BIN_DIR/.." && pwd)
FAILS=0

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}
ok() { echo "ok: $*"; }
# ok_since MARK TEXT: "ok: TEXT" when no check failed since FAILS was MARK.
ok_since() {
	if [ "$FAILS" = "$1" ]; then
		ok "$2"
	fi
}

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles dpkg-query; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found: install the Debian packages systemd and dpkg (scripts/deps does)" >&2
		exit 1
	fi
done

T=$(mktemp -d "$TEST_TMP/it_systemd.XXXXXX")
trap 'rm -rf "$T"' EXIT

# --- 1. install into a DESTDIR ---------------------------------------------
DEST=$T/dest
if ! DESTDIR=$DEST cmake --install "$BUILD_DIR" --prefix /usr >"$T/install.log" 2>&1; then
	cat "$T/install.log" >&2
	echo "FAIL: cmake --install into $DEST" >&2
	exit 1
fi
unitdir=$(sed -n 's/^WEGAUGE_SYSTEMD_UNITDIR:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt")
case $unitdir in /*) ;; *) unitdir=/usr/$unitdir ;; esac
expect_files=(
	"usr/sbin/wegauged"
	"${unitdir#/}/wegauged.service"
	"usr/lib/sysusers.d/wegauge.conf"
	"usr/lib/tmpfiles.d/wegauge.conf"
	"etc/wegauge/wegauged.conf"
	"usr/share/doc/wegauge/examples/wegauged.conf"
	"usr/share/doc/wegauge/examples/notify-reload.conf.example"
	"usr/share/wegauge/prometheus/wegauge-alerts.yml"
)
for f in "$SOURCE_DIR"/schema/pg/*.sql; do
	expect_files+=("usr/share/wegauge/schema/pg/$(basename "$f")")
done
for f in "$SOURCE_DIR"/schema/*.sql; do
	expect_files+=("usr/share/wegauge/schema/$(basename "$f")")
done
HAVE_MAN=0
if [ -d "$BUILD_DIR/man/man8" ]; then
	HAVE_MAN=1
	expect_files+=("usr/share/man/man8/wegauged.8" "usr/share/man/man5/wegauged.conf.5")
fi
if [ -x "$BIN_DIR/wegauge" ]; then
	expect_files+=("usr/bin/wegauge")
	[ $HAVE_MAN = 1 ] && expect_files+=("usr/share/man/man1/wegauge.1")
fi
# Exactly these files: wesim is not installed by default.
(cd "$DEST" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) >"$T/got.txt"
printf '%s\n' "${expect_files[@]}" | sort >"$T/want.txt"
if diff -u "$T/want.txt" "$T/got.txt"; then
	ok "install puts exactly the ${#expect_files[@]} expected files"
else
	fail "installed files differ from the expected list (- expected, + installed)"
fi
cmp -s "$SOURCE_DIR/systemd/wegauged.conf" "$DEST/etc/wegauge/wegauged.conf" ||
	fail "/etc/wegauge/wegauged.conf is not systemd/wegauged.conf"
UNIT=$DEST/${unitdir#/}/wegauged.service
if diff <(grep -v '^ExecStart=' "$SOURCE_DIR/systemd/wegauged.service") \
	<(grep -v '^ExecStart=' "$UNIT") >/dev/null &&
	[ "$(grep '^ExecStart=' "$UNIT")" = "ExecStart=/usr/sbin/wegauged -c /etc/wegauge/wegauged.conf" ]; then
	ok "installed unit = source unit, ExecStart=/usr/sbin/wegauged"
else
	fail "installed unit differs from systemd/wegauged.service beyond ExecStart"
fi

# --- 2. what docs/operator.md and the issue require of the unit -----------------
required=(
	"Type=notify"
	"ExecReload=/bin/sh -c 'kill -HUP \$\$MAINPID'"
	"WatchdogSec=30s"
	"Restart=on-failure"
	"RestartPreventExitStatus=78"
	"StateDirectory=wegauge"
	"ConfigurationDirectory=wegauge"
	"User=wegauge"
	"Group=wegauge"
	"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"
	"NoNewPrivileges=yes"
	"ProtectSystem=strict"
	"CapabilityBoundingSet="
)
mark=$FAILS
for line in "${required[@]}"; do
	grep -qxF -- "$line" "$UNIT" || fail "unit lacks the line '$line'"
done
if grep -q '^DynamicUser=' "$UNIT"; then
	fail "unit sets DynamicUser= (key files need a stable owner)"
fi
ok_since $mark "unit has the ${#required[@]} required settings"

# Every program the unit runs exists on a minimal Debian 12 with the
# package installed: the package's own, or from a package that is
# Essential: yes or in the package's Depends (CPACK_DEBIAN_PACKAGE_DEPENDS;
# dpkg-shlibdeps adds only libraries). ExecReload=/bin/kill failed there
# with 203/EXEC: kill is in procps, which debootstrap's minbase lacks.
depends=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_DEPENDS "\(.*\)")$/\1/p' "$BUILD_DIR/CPackConfig.cmake")
dep_names=" $(echo "$depends" | sed 's/[,|]/\n/g' | sed 's/(.*)//; s/^ *//; s/ *$//' | grep . | tr '\n' ' ')"
# owner PATH: the packages that ship PATH on this machine (merged /usr:
# dpkg knows /bin/sh, not /usr/bin/sh), comma-separated; empty when none.
owner() {
	local p alt
	for p in "$1" "${1#/usr}" "/usr$1"; do
		alt=$(dpkg-query -S "$p" 2>/dev/null | grep -v '^diversion ' | grep -F ": $p" | sed 's/: .*//' | head -1 || true)
		if [ -n "$alt" ]; then
			echo "$alt"
			return
		fi
	done
}
mark=$FAILS
n_exec=0
while IFS= read -r line; do
	key=${line%%=*}
	val=${line#*=}
	[ -n "$val" ] || continue # an empty Exec*= resets the list
	val=${val##[-@:+!]}       # prefixes: - @ : + ! !!
	val=${val##[-@:+!]}
	prog=${val%% *}
	n_exec=$((n_exec + 1))
	case $prog in
	/*) ;;
	*)
		fail "$key= runs '$prog': not an absolute path"
		continue
		;;
	esac
	if [ -e "$DEST$prog" ]; then
		continue # the package's own
	fi
	pkgs=$(owner "$prog")
	if [ -z "$pkgs" ]; then
		fail "$key= runs $prog, which no installed package ships (dpkg-query -S)"
		continue
	fi
	found=0
	for pkg in ${pkgs//,/ }; do
		pkg=${pkg%%:*} # drop :arch
		if [ "$(dpkg-query -W -f='${Essential}' "$pkg" 2>/dev/null)" = yes ] ||
			[[ $dep_names == *" $pkg "* ]]; then
			found=1
		fi
	done
	[ $found = 1 ] ||
		fail "$key= runs $prog of $pkgs: neither Essential nor in Depends ($depends)"
done < <(grep -E '^Exec[A-Za-z]*=' "$UNIT")
[ $n_exec -ge 2 ] || fail "found only $n_exec Exec*= lines in the unit"
ok_since $mark "the unit's $n_exec programs are the package's own, Essential or in Depends ($depends)"

# --- 3. systemd-analyze verify and security --------------------------------
V=$T/verify
mkdir -p "$V"
sed "s|^ExecStart=/usr/sbin/wegauged |ExecStart=$DEST/usr/sbin/wegauged |" "$UNIT" >"$V/wegauged.service"
grep -q "^ExecStart=$DEST/usr/sbin/wegauged " "$V/wegauged.service" ||
	fail "could not point ExecStart at $DEST/usr/sbin/wegauged"
man_opt=(--man=no)
if [ $HAVE_MAN = 1 ] && command -v man >/dev/null; then
	# Documentation=man:... must resolve: MANPATH finds the build's pages.
	man_opt=(--man=yes)
	export MANPATH=$BUILD_DIR/man
else
	echo "note: Documentation= man pages not checked (no scdoc build or no man)"
fi
rc=0
(cd "$V" && systemd-analyze verify "${man_opt[@]}" ./wegauged.service) >"$T/verify.out" 2>&1 || rc=$?
unset MANPATH
if [ $rc != 0 ] || grep -qi 'wegauge' "$T/verify.out"; then
	cat "$T/verify.out" >&2
	fail "systemd-analyze verify: exit $rc, or warnings about the unit (above)"
else
	ok "systemd-analyze verify: clean"
fi

rc=0
(cd "$V" && systemd-analyze security --offline=true ./wegauged.service) >"$T/security.out" 2>&1 || rc=$?
exposure=$(sed -n 's/.*Overall exposure level for wegauged\.service: \([0-9][0-9]*\.[0-9]\).*/\1/p' "$T/security.out")
if [ -z "$exposure" ]; then
	cat "$T/security.out" >&2
	fail "systemd-analyze security (exit $rc): no 'Overall exposure level' line"
elif awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
	ok "systemd-analyze security --offline=true: exposure $exposure <= 2.0"
else
	grep '✗' "$T/security.out" >&2 || true
	fail "exposure $exposure > 2.0 (the exposed settings above)"
fi

# The notify-reload drop-in: only systemd 253 or newer knows its keys.
dropin=$SOURCE_DIR/systemd/wegauged.service.d/notify-reload.conf.example
mark=$FAILS
for line in "Type=notify-reload" "ExecReload=" "ReloadSignal=SIGHUP"; do
	grep -qxF "$line" "$dropin" || fail "notify-reload drop-in lacks '$line'"
done
sdver=$(systemd-analyze --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')
if [ "${sdver:-0}" -ge 253 ]; then
	mkdir -p "$V/wegauged.service.d"
	cp "$dropin" "$V/wegauged.service.d/notify-reload.conf"
	rc=0
	(cd "$V" && systemd-analyze verify --man=no ./wegauged.service) >"$T/verify2.out" 2>&1 || rc=$?
	if [ $rc != 0 ] || grep -qi 'wegauge' "$T/verify2.out"; then
		cat "$T/verify2.out" >&2
		fail "systemd-analyze verify with the notify-reload drop-in (systemd $sdver)"
	else
		ok "notify-reload drop-in verifies on systemd $sdver"
	fi
else
	ok "notify-reload drop-in not verified: systemd ${sdver:-?} < 253 does not know it"
fi

# --- 4. sysusers.d and tmpfiles.d in an empty root -------------------------
R=$T/root
mkdir -p "$R/etc"
if ! systemd-sysusers --root="$R" - <"$DEST/usr/lib/sysusers.d/wegauge.conf" >"$T/sysusers.out" 2>&1; then
	cat "$T/sysusers.out" >&2
	fail "systemd-sysusers rejected sysusers.d/wegauge.conf"
fi
pw=$(grep '^wegauge:' "$R/etc/passwd" || true)
gr=$(grep '^wegauge:' "$R/etc/group" || true)
IFS=: read -r pw_name _ pw_uid pw_gid pw_gecos pw_home pw_shell <<<"$pw" || true
IFS=: read -r gr_name _ gr_gid _ <<<"$gr" || true
if [ "${pw_name:-}" = wegauge ] && [ "${gr_name:-}" = wegauge ] && [ "$pw_gid" = "$gr_gid" ] &&
	[ "$pw_uid" -gt 0 ] && [ "$pw_uid" -lt 1000 ] && [ "$pw_home" = /var/lib/wegauge ] &&
	[ "$pw_shell" = /usr/sbin/nologin ] && [ "$pw_gecos" = "wegauge collector daemon" ]; then
	ok "sysusers: system user wegauge:$pw_uid:$pw_gid home /var/lib/wegauge, nologin"
else
	fail "sysusers made passwd '$pw' group '$gr'"
fi
if ! systemd-tmpfiles --root="$R" --create - <"$DEST/usr/lib/tmpfiles.d/wegauge.conf" >"$T/tmpfiles.out" 2>&1; then
	cat "$T/tmpfiles.out" >&2
	fail "systemd-tmpfiles rejected tmpfiles.d/wegauge.conf"
fi
# path mode uid gid, as stat prints them
tmpfiles_want=(
	"etc/wegauge 755 0 0"
	"etc/wegauge/workspaces.d 755 0 0"
	"etc/wegauge/keys 750 0 ${gr_gid:-?}"
	"var/lib/wegauge 750 ${pw_uid:-?} ${gr_gid:-?}"
)
mark=$FAILS
for w in "${tmpfiles_want[@]}"; do
	p=${w%% *}
	got="$p $(stat -c '%a %u %g' "$R/$p" 2>/dev/null || echo missing)"
	[ "$got" = "$w" ] || fail "tmpfiles: want '$w', got '$got'"
done
ok_since $mark "tmpfiles: ${#tmpfiles_want[@]} directories with their modes and owners"

# --- 5. the example configuration ------------------------------------------
CONF=$SOURCE_DIR/systemd/wegauged.conf
C=$T/conf
mkdir -p "$C/workspaces.d"
# As is, but for include_dir, which must exist (/etc/wegauge/workspaces.d
# is made by tmpfiles on a real installation).
sed "s|^include_dir = /etc/wegauge/workspaces.d\$|include_dir = $C/workspaces.d|" "$CONF" >"$C/a.conf"
grep -qx "include_dir = $C/workspaces.d" "$C/a.conf" || fail "no include_dir line to point at $C"
grep -qx "database = /var/lib/wegauge/wegauge.db" "$CONF" || fail "example database is not /var/lib/wegauge/wegauge.db"
rc=0
out=$("$WEGAUGED" -t -c "$C/a.conf" 2>&1) || rc=$?
if [ $rc = 0 ] && [ "$out" = "configuration OK" ]; then
	ok "wegauged -t accepts the example configuration"
else
	fail "wegauged -t on the example: exit $rc, output: $out"
fi
# With its example workspace uncommented ('#key' lines; '##' stay comments).
printf 'k3y-of-the-example\n' >"$C/acme-prod.key"
chmod 600 "$C/acme-prod.key"
sed -e 's|^#\([a-z[]\)|\1|' -e "s|/etc/wegauge/keys/acme-prod.key|$C/acme-prod.key|" "$C/a.conf" >"$C/b.conf"
fp=$(printf 'k3y-of-the-example' | sha256sum | cut -c1-16)
want="configuration OK
acme-prod  global  interval=15m jitter=30s lookback=3d streams=stats,campaigns,active_users,team enabled key=file:$C/acme-prod.key fp=$fp"
rc=0
out=$("$WEGAUGED" -t -c "$C/b.conf" 2>&1) || rc=$?
if [ $rc = 0 ] && [ "$out" = "$want" ]; then
	ok "wegauged -t accepts the example workspace: $(echo "$out" | sed -n 2p | cut -c1-40)..."
else
	fail "example workspace: exit $rc, got:
$out
want:
$want"
fi

# Every [daemon] key of the option table, set to its default.
TABLE=$SOURCE_DIR/src/config_table.c
sed -n 's/^ *{"\([a-z_]*\)", CT_[A-Z_]*, D([a-z_]*), [^,]*, [^,]*, \(NULL\|"[^"]*"\).*/\1 \2/p' \
	"$TABLE" >"$T/daemon_keys.txt"
mark=$FAILS
n_daemon=$(wc -l <"$T/daemon_keys.txt")
[ "$n_daemon" -ge 20 ] || fail "found only $n_daemon [daemon] keys in $TABLE: parser out of date?"
while read -r key def; do
	[ "$def" = NULL ] && def='' || def=${def//\"/}
	[ "$key" = include_dir ] && def=/etc/wegauge/workspaces.d # set, on purpose
	got=$(grep -E "^$key *=" "$CONF" || true)
	n=$(printf '%s' "$got" | grep -c . || true)
	val=$(printf '%s' "$got" | sed 's/^[^=]*= *//; s/ *$//')
	if [ "$n" != 1 ] || [ "$val" != "$def" ]; then
		fail "example [daemon] $key: want one line '$key = $def', got '$got'"
	fi
done <"$T/daemon_keys.txt"
ok_since $mark "example sets all $n_daemon [daemon] keys to their defaults"

# Every key of the table is described in wegauged.conf(5).
sed -n 's/^ *{"\([a-z_]*\)", CT_[A-Z_]*, \(D\|W\|WP\)(.*/\1/p' "$TABLE" | sort -u >"$T/all_keys.txt"
n_keys=$(wc -l <"$T/all_keys.txt")
mark=$FAILS
while read -r key; do
	grep -qF "*$key*" "$SOURCE_DIR/docs/man/wegauged.conf.5.scd" ||
		fail "wegauged.conf.5.scd does not describe *$key*"
done <"$T/all_keys.txt"
ok_since $mark "wegauged.conf(5) describes all $n_keys keys"

# --- 6. man pages ----------------------------------------------------------
if [ $HAVE_MAN = 1 ]; then
	mark=$FAILS
	for page in man8/wegauged.8 man5/wegauged.conf.5 man1/wegauge.1 man1/wesim.1; do
		f=$BUILD_DIR/man/$page
		if [ ! -s "$f" ] || ! head -c 200 "$f" | grep -q '^\.TH'; then
			fail "$f: missing or not a roff page"
		elif command -v groff >/dev/null; then
			# groff's warnings (bad escapes, quoting) would show in man(1).
			w=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$f" 2>&1 || echo "groff failed")
			[ -z "$w" ] || fail "$f: groff warns: $w"
		fi
	done
	# Every long flag of wegauged --help is documented in wegauged(8).
	"$WEGAUGED" --help | grep -o -- '--[a-z][a-z-]*' | sort -u >"$T/flags.txt"
	while read -r flag; do
		grep -qF -- "*$flag*" "$SOURCE_DIR/docs/man/wegauged.8.scd" ||
			fail "wegauged.8.scd does not document $flag"
	done <"$T/flags.txt"
	ok_since $mark "man pages built; wegauged(8) documents all $(wc -l <"$T/flags.txt") flags"
else
	echo "note: scdoc not found at configure time: man pages not checked"
fi

if [ $FAILS != 0 ]; then
	echo "it_systemd: $FAILS failed" >&2
	exit 1
fi
echo "it_systemd: all passed"
