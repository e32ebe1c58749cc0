#!/bin/bash
# lint.sh checkpatch|sparse|cocci|docs: checkpatch --strict on every patch;
# sparse (C=2) per arch; coccicheck's report rules on the .c files the
# series touches; the virt docs build: each compared with the base (reports
# of the base are cached).  Every checker is first shown to actually run: a
# lint that checked nothing fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SPARSE=$CACHE/sparse/sparse
L=$BUILD/logs/lint
mkdir -p "$L" "$CACHE/lint-cache"
fail=0
touched=$(git -C "$TREE" diff --name-only base..HEAD)

# "file:line:col: msg" -> "file: msg" with the source prefix removed, sorted,
# so that reports compare as multisets across trees and line shifts.
norm() { sed -E "s#^($1|$2)/##; s#^(\.\./)+##; s#^([^: ]+):[0-9]+(:[0-9]+)?(-[0-9]+)?:#\1:#" | sort; }

# compare NAME BASEFILE TREEFILE: fail on reports the tree has and the base has not.
compare() {
	local new; new=$(comm -13 "$2" "$3")
	if [ -n "$new" ]; then
		echo "$1: $(echo "$new" | wc -l) new report(s) against the base:"; echo "$new" | sed 's/^/  /'; fail=1
	else
		echo "$1: ok ($(wc -l <"$2") on the base, $(wc -l <"$3") with the series, 0 new)"
	fi
}

# cached KEY CMD...: run CMD once per KEY, print the path of its saved
# output.  Base runs are keyed by what they read; tree runs also by the
# tree's HEAD, and only while the tree is clean (same input, same output).
cached() {
	local key=$1; shift
	local f=$CACHE/lint-cache/$(echo "$key" | sha256sum | cut -c1-16).txt
	[ -f "$f" ] || { "$@" >"$f.tmp" || return 1; mv "$f.tmp" "$f"; }
	echo "$f"
}
tree_key() { # prints a key part for the tree, or a unique one when it is dirty
	[ -z "$(git -C "$TREE" status --porcelain)" ] && git -C "$TREE" rev-parse HEAD || echo "dirty-$$-$RANDOM"
}

checkpatch() {
cp_probe=$(printf '%s\n' 'From: a <a@b.c>' 'Subject: [PATCH] x' '' '---' \
	'diff --git a/k.c b/k.c' '--- a/k.c' '+++ b/k.c' '@@ -1 +1,2 @@' ' int a;' '+int  b ;' |
	perl "$TREE/scripts/checkpatch.pl" --no-tree --strict --terse - 2>&1 || true)
grep -q 'ERROR' <<<"$cp_probe" || { echo "checkpatch did not run (probe gave: $cp_probe)"; exit 1; }
patches=$(entries "$TOP/series/series")
allow=$TOP/tests/checkpatch-allow
n=0 found=0
for p in $patches; do
	n=$((n + 1))
	out=$(cd "$TREE" && perl scripts/checkpatch.pl --strict --show-types "$TOP/series/$p" 2>&1 || true)
	echo "$out" >"$L/checkpatch-$p.log"
	# Proof that checkpatch read the patch: its closing count.  A here-string,
	# not a pipe: grep -q leaves at the match, and under pipefail the echo
	# still writing the lines after it would fail the test (SIGPIPE).
	grep -q '^total: .* lines checked' <<<"$out" ||
		{ echo "checkpatch did not finish on $p: $(echo "$out" | tail -3)"; found=$((found + 1)); continue; }
	while IFS= read -r line; do
		type=$(echo "$line" | sed -nE 's/^(ERROR|WARNING|CHECK):([A-Z0-9_]+):.*/\2/p')
		[ -n "$type" ] || continue
		grep -qE "^$p[[:space:]]+$type[[:space:]]+\S" "$allow" 2>/dev/null && continue
		echo "checkpatch: $p: $line"; found=$((found + 1))
	done <<<"$out"
done
[ $found -eq 0 ] && echo "checkpatch --strict: ok ($n patches, 0 findings outside tests/checkpatch-allow)" || fail=1
}

sparse() {
[ "$(sh "$TREE/scripts/checker-valid.sh" "$SPARSE")" = 1 ] ||
	{ echo "sparse $SPARSE is refused by scripts/checker-valid.sh: C=2 would check nothing"; exit 1; }
sparse_run() { # src obj arch dirs...: sorted reports on stdout; fails if make
	local src=$1 obj=$2 arch=$3 out; shift 3   # failed or sparse checked no file
	out=$(mktemp)
	make -C "$src" O="$obj" ARCH="$arch" CROSS_COMPILE="$(cross "$arch")" -j"$JOBS" \
		C=2 CHECK="$SPARSE" "${@/%//}" >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; return 1; }
	local n; n=$(grep -cE '^ +CHECK ' "$out" || true)
	[ "$n" -gt 0 ] || { echo "sparse checked no file in $src [$*]" >&2; rm -f "$out"; return 1; }
	echo "sparse: $n files checked in $src" >&2
	grep -E ': (warning|error): ' "$out" | norm "$src" "$obj" || true
	rm -f "$out"
}
spv=$(cat "$CACHE/sparse/VERSION")
for arch in arm64 riscv; do
	dirs="arch/$arch/kvm"   # virt/kvm is built (and checked) from here
	for f in $touched; do
		case $f in *.c) ;; *) continue ;; esac
		d=$(dirname "$f")
		case $d in arch/$arch/kvm*|virt/kvm*|tools/*|Documentation/*) continue ;; arch/*) [[ $d == arch/$arch/* ]] || continue ;; esac
		dirs="$dirs $d"
	done
	dirs=$(echo "$dirs" | tr ' ' '\n' | sort -u | tr '\n' ' ')
	bobj=$CACHE/obj/base-$arch
	mkdir -p "$bobj"
	cmp -s "$CACHE/obj/$arch/.config" "$bobj/.config" || {
		cp "$CACHE/obj/$arch/.config" "$bobj/.config"
		make -s -C "$BASE_SRC" O="$bobj" ARCH="$arch" CROSS_COMPILE="$(cross "$arch")" olddefconfig >/dev/null
	}
	bdirs=$(for d in $dirs; do [ -d "$BASE_SRC/$d" ] && echo "$d"; done | tr '\n' ' ')
	b=$(cached "sparse $arch $bdirs $(sha256sum <"$bobj/.config") $spv" \
		sparse_run "$BASE_SRC" "$bobj" "$arch" $bdirs)
	t=$(cached "sparse tree $(tree_key) $arch $dirs $(sha256sum <"$CACHE/obj/$arch/.config") $spv" \
		sparse_run "$TREE" "$CACHE/obj/$arch" "$arch" $dirs)
	cp "$t" "$L/sparse-$arch.txt"
	compare "sparse C=2 $arch [$dirs]" "$b" "$L/sparse-$arch.txt"
done
}

# coccicheck's report mode (scripts/coccicheck: every rule with "virtual
# report", its "Options:", its "Requires:") on the .c files the series
# touches, not their whole dirs: the same rules on the same files of the
# base give the reports to compare with.  One spatch per rule over all the
# files; reports are cached by the files' contents.
cocci() {
command -v spatch >/dev/null || { echo "spatch (coccinelle) is not installed: coccicheck would check nothing"; exit 1; }
spv=$(spatch --version | sed -n '1s/^spatch version \([^ ]*\).*/\1/p')
cocci_run() { # src files...: sorted reports; fails if spatch failed or ran no rule
	local src=$1 r req rules=() i k p pids=() rc=0 d; shift
	for r in $(cd "$src" && find scripts/coccinelle -name '*.cocci' -type f | sort); do
		grep -q 'virtual[[:space:]]\+report' "$src/$r" || continue
		req=$(grep 'Requires:' "$src/$r" | cut -d: -f2 | tr -d ' ') || true
		[ -z "$req" ] || printf '%s\n%s\n' "$req" "$spv" | sort -CV || continue
		rules+=("$r")
	done
	[ ${#rules[@]} -gt 0 ] || { echo "coccicheck found no semantic patch in $src" >&2; return 1; }
	d=$(mktemp -d)
	for ((i = 0; i < JOBS; i++)); do   # JOBS streams of rules, one spatch per rule
		(for ((k = i; k < ${#rules[@]}; k += JOBS)); do
			r=${rules[k]}
			# shellcheck disable=SC2046 # the rule's "Options:" are spatch options
			(cd "$src" && spatch -D report --no-show-diff --very-quiet --cocci-file "$r" \
				$(grep 'Options:' "$r" | cut -d: -f2) \
				-I arch/arm64/include -I arch/riscv/include -I arch/x86/include -I include "$@") \
				>>"$d/$i" 2>&1 || { echo "spatch failed on $r" >>"$d/$i"; exit 1; }
		done) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	[ $rc -eq 0 ] || { cat "$d"/* >&2; rm -rf "$d"; return 1; }
	echo "coccicheck: ${#rules[@]} semantic patches on $# files in $src" >&2
	cat "$d"/* | grep -E '^[^ ]+:[0-9]+' | norm "$src" "$src" || true
	rm -rf "$d"
}
files=() bfiles=()
for f in $touched; do
	case $f in *.c) ;; *) continue ;; esac
	[ -f "$TREE/$f" ] || continue   # removed by the series
	files+=("$f")
	[ -f "$BASE_SRC/$f" ] && bfiles+=("$f")   # a file the series adds has no base reports
done
[ ${#files[@]} -gt 0 ] || { echo "coccicheck: the series touches no .c file"; return; }
contents() { (cd "$1" && shift && sha256sum "$@" | sha256sum | cut -c1-16); }
b=$L/empty; : >"$b"
[ ${#bfiles[@]} -eq 0 ] || b=$(cached "cocci base $(contents "$BASE_SRC" "${bfiles[@]}") $spv" cocci_run "$BASE_SRC" "${bfiles[@]}")
t=$(cached "cocci tree $(contents "$TREE" "${files[@]}") $spv" cocci_run "$TREE" "${files[@]}")
cp "$t" "$L/cocci.txt"
compare "coccicheck (${#files[@]} .c files the series touches, ${#bfiles[@]} of them in the base)" "$b" "$L/cocci.txt"
}

docs() {
docs_run() { # src obj
	rm -rf "$2/Documentation/output"
	make -C "$1" O="$2" ARCH=arm64 SPHINXDIRS=virt htmldocs >"$2.log" 2>&1 || { cat "$2.log" >&2; return 1; }
	[ -f "$2/Documentation/output/virt/kvm/api.html" ] || { echo "docs build made no api.html" >&2; cat "$2.log" >&2; return 1; }
	grep -E 'WARNING|ERROR' "$2.log" | norm "$1" "$2" || true
}
mkdir -p "$CACHE/obj/docs" "$CACHE/obj/docs-base"
b=$(cached "docs $(sphinx-build --version)" docs_run "$BASE_SRC" "$CACHE/obj/docs-base")
t=$(cached "docs tree $(tree_key) $(sphinx-build --version)" docs_run "$TREE" "$CACHE/obj/docs")
cp "$t" "$L/docs.txt"
compare "htmldocs SPHINXDIRS=virt" "$b" "$L/docs.txt"
}

case ${1:-} in
checkpatch|sparse|cocci|docs) "$1" ;;
*) die "usage: $0 checkpatch|sparse|cocci|docs" ;;
esac
exit $fail
