#!/bin/bash
# it_docs.sh: the repository documents itself, and only from inside.
#
#  1. No tracked file refers to a place outside the repository: no path
#     through a sibling "shared" directory or to its spec directory, and
#     no absolute path of a build machine under /work, /home or /root.
#     (System paths such as /etc, /var and /usr are fine.)
#  2. Every relative link of every tracked Markdown file, README.md and
#     docs/*.md included, names a file or directory of the repository
#     (tracked, not something a build left behind), and every #anchor
#     names a heading of its target (GitHub's rules: lower case,
#     punctuation dropped, spaces to '-', -1, -2 ... for repeats; ASCII
#     headings only). Links inside code blocks and code spans are text,
#     not links; http(s) and mailto links are not followed.
#  3. docs/api.md prints the examples tests/test_weapi.c parses: each
#     tests/fixtures/api/*_example.json appears in it line for line.
#  4. docs/operator.md names every configuration key of src/config_table.c
#     and every long option of `wegauged -h` and `wegauge -h`; wegauge(1)
#     and wesim(1) name every long option of their program's help.
#     (wegauged(8) and wegauged.conf(5) are checked by it_systemd.sh.)
#
# Reads the source tree only; needs git for "tracked" (without a git
# checkout every file under SOURCE_DIR but build directories counts).
# Environment (ctest): SOURCE_DIR; WEGAUGED, WEGAUGE, WESIM for part 4.
set -euo pipefail
export LC_ALL=C

: "${SOURCE_DIR:?}"
ROOT=$(cd "$SOURCE_DIR" && pwd -P)
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

T=$(mktemp -d "${TEST_TMP:-/tmp}/it_docs.XXXXXX")
trap 'rm -rf "$T"' EXIT

# The tracked files, one per line, relative to ROOT.
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	HAVE_GIT=1
	# Tracked, and new files not ignored (so a file not committed yet counts).
	git -C "$ROOT" ls-files -co --exclude-standard | sort -u >"$T/files"
else
	HAVE_GIT=0
	echo "note: $ROOT is not a git checkout: every file but build directories counts"
	(cd "$ROOT" && find . -type f ! -path './.git/*' ! -path './build*' | sed 's|^\./||' |
		sort) >"$T/files"
fi
# Directories holding tracked files (a link may name one).
sed -n 's|/[^/]*$||p' "$T/files" | sort -u >"$T/dirs.tmp"
while read -r d; do
	while [ -n "$d" ]; do
		echo "$d"
		case $d in */*) d=${d%/*} ;; *) d="" ;; esac
	done
done <"$T/dirs.tmp" | sort -u >"$T/dirs"

# --- 1. no reference to a place outside the repository ----------------------
# The patterns are put together here so that this file does not match them.
mark=$FAILS
up=..
sh=shared
outside=(-e "$up/$sh" -e "$sh/spec" -e "(^|[^A-Za-z0-9_./-])/(work|home|root)/")
(cd "$ROOT" && xargs -d '\n' grep -n -s -I -E "${outside[@]}" -- <"$T/files") >"$T/outside" || true
if [ -s "$T/outside" ]; then
	cat "$T/outside" >&2
	fail "$(wc -l <"$T/outside") lines refer to a path outside the repository (above)"
fi
ok_since $mark "no tracked file refers to a path outside the repository ($(wc -l <"$T/files") files)"

# --- 2. Markdown links ---------------------------------------------------------
# md_scan FILE: "H<TAB>anchor" per heading and "L<TAB>line<TAB>target" per
# link, outside fenced code blocks and code spans.
md_scan() {
	awk '
	function slug(h,   s, k) {
		s = tolower(h)
		gsub(/[^a-z0-9 _-]/, "", s)
		gsub(/ /, "-", s)
		k = s
		if (s in seen)
			k = s "-" seen[s]
		seen[s]++
		return k
	}
	/^[ \t]*(```|~~~)/ { fence = !fence; next }
	fence { next }
	/^#+[ \t]/ {
		h = $0
		sub(/^#+[ \t]+/, "", h)
		sub(/[ \t]+#+[ \t]*$/, "", h)
		sub(/[ \t]+$/, "", h)
		print "H\t" slug(h)
	}
	{
		line = $0
		gsub(/`[^`]*`/, "", line)
		if (match(line, /^[ ]*\[[^]]+\]:[ \t]+[^ \t]+/)) {
			t = line
			sub(/^[ ]*\[[^]]+\]:[ \t]+/, "", t)
			sub(/[ \t].*$/, "", t)
			print "L\t" FNR "\t" t
		}
		while (match(line, /\]\([^) \t]+/)) {
			print "L\t" FNR "\t" substr(line, RSTART + 2, RLENGTH - 2)
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$1"
}

# anchors FILE (relative to ROOT): its heading anchors, one per line (cached).
anchors() {
	local key=${1//\//_}
	if [ ! -f "$T/anchors.$key" ]; then
		md_scan "$ROOT/$1" | sed -n 's/^H\t//p' >"$T/anchors.$key"
	fi
	cat "$T/anchors.$key"
}

# tracked REL: the file or directory REL (relative to ROOT) is in the repository.
tracked() {
	grep -qxF -- "$1" "$T/files" || grep -qxF -- "$1" "$T/dirs"
}

mark=$FAILS
n_links=0
grep -E '\.md$' "$T/files" >"$T/md" || true
while IFS= read -r md; do
	dir=$(dirname "$md")
	while IFS=$'\t' read -r kind line target; do
		[ "$kind" = L ] || continue
		case $target in
		[A-Za-z]*:*) continue ;; # http:, https:, mailto: ...
		esac
		n_links=$((n_links + 1))
		path=${target%%#*}
		frag=""
		case $target in *'#'*) frag=${target#*#} ;; esac
		if [ -z "$path" ]; then
			rel=$md
		else
			case $path in
			/*)
				fail "$md:$line: $target: an absolute path, not a link inside the repository"
				continue
				;;
			esac
			abs=$(realpath -m -- "$ROOT/$dir/$path")
			case $abs in
			"$ROOT") rel=. ;;
			"$ROOT"/*) rel=${abs#"$ROOT"/} ;;
			*)
				fail "$md:$line: $target: points outside the repository"
				continue
				;;
			esac
			if [ "$rel" != . ] && ! tracked "$rel"; then
				fail "$md:$line: $target: no such file in the repository ($rel)"
				continue
			fi
		fi
		if [ -n "$frag" ]; then
			case $rel in
			*.md)
				anchors "$rel" | grep -qxF -- "$frag" ||
					fail "$md:$line: $target: $rel has no heading #$frag"
				;;
			esac
		fi
	done < <(md_scan "$ROOT/$md")
done <"$T/md"
ok_since $mark "$n_links relative links in $(wc -l <"$T/md") Markdown files resolve (files and anchors)"
for must in README.md docs/api.md docs/operator.md; do
	grep -qxF "$must" "$T/md" || fail "$must is missing"
done

# --- 3. the examples of docs/api.md are the fixtures ---------------------------
mark=$FAILS
for fx in "$ROOT"/tests/fixtures/api/*_example.json; do
	awk 'NR == FNR { f[++n] = $0; next }
	     { a[++m] = $0 }
	     END {
		for (i = 1; i + n - 1 <= m; i++) {
			for (j = 1; j <= n && a[i + j - 1] == f[j]; j++)
				;
			if (j > n)
				exit 0
		}
		exit 1
	     }' "$fx" "$ROOT/docs/api.md" ||
		fail "docs/api.md does not print tests/fixtures/api/$(basename "$fx") as it is"
done
ok_since $mark "docs/api.md prints every tests/fixtures/api/*_example.json"

# --- 4. the interface is named in docs/operator.md and the man pages -----------
mark=$FAILS
OP=$ROOT/docs/operator.md
sed -n 's/^[[:space:]]*{"\([a-z_]*\)", CT_.*/\1/p' "$ROOT/src/config_table.c" | sort -u >"$T/keys"
[ -s "$T/keys" ] || fail "no configuration keys found in src/config_table.c"
while read -r key; do
	grep -qF -- "\`$key\`" "$OP" || fail "docs/operator.md does not name the key $key"
done <"$T/keys"
ok_since $mark "docs/operator.md names all $(wc -l <"$T/keys") configuration keys"

# long_opts PROGRAM HELP-FLAG: the long options its help text names.
long_opts() {
	"$1" "$2" 2>&1 | grep -oE -- '--[a-z][a-z-]*' | sort -u
}
mark=$FAILS
checked=""
if [ -x "${WEGAUGED:-}" ]; then
	while read -r opt; do
		grep -qF -- "$opt" "$OP" || fail "docs/operator.md does not name wegauged $opt"
	done < <(long_opts "$WEGAUGED" -h)
	checked="$checked wegauged"
fi
if [ -x "${WEGAUGE:-}" ]; then
	while read -r opt; do
		grep -qF -- "$opt" "$OP" || fail "docs/operator.md does not name wegauge $opt"
		grep -qF -- "*$opt*" "$ROOT/docs/man/wegauge.1.scd" ||
			fail "wegauge.1.scd does not document $opt"
	done < <(long_opts "$WEGAUGE" -h)
	checked="$checked wegauge"
fi
if [ -x "${WESIM:-}" ]; then
	while read -r opt; do
		grep -qF -- "*$opt*" "$ROOT/docs/man/wesim.1.scd" ||
			fail "wesim.1.scd does not document $opt"
	done < <(long_opts "$WESIM" --help)
	checked="$checked wesim"
fi
if [ -n "$checked" ]; then
	ok_since $mark "every long option is documented:$checked"
else
	echo "note: no programs in the environment: options not checked"
fi

if [ "$FAILS" -gt 0 ]; then
	echo "$FAILS check(s) failed" >&2
	exit 1
fi
echo PASS
