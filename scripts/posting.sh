#!/bin/bash
# posting.sh: the series as the mail it would be sent as (make posting).
# series/groups splits series/series into one group per maintainer tree.
# In a scratch clone of the tree, the groups are applied to the base in
# their order with plain git am (as a maintainer would), and must give
# the tree of series/series.  Then, per group, build/posting/N-NAME/:
# git format-patch with a cover letter (the group's subject and
# series/cover-NAME.txt), the To: (maintainers) and Cc: (reviewers,
# lists) that scripts/get_maintainer.pl gives for the group's patches,
# and base-commit / prerequisite-patch-id for the groups before it.
# Each group is checked with b4: its messages read as one complete
# thread, and b4's am-ready mbox applies and gives the group's tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
GROUPS_FILE=$TOP/series/groups OUT=$BUILD/posting P=$CACHE/posting-tree
command -v b4 >/dev/null || die "b4 is not installed (make deps)"

# The groups: "NAME<TAB>SUBJECT<TAB>patch files..." per line.
groups=$(entries "$GROUPS_FILE" | awk -v s="$TOP/series/series" '
	BEGIN { while ((getline l < s) > 0) { sub(/#.*/, "", l); if (l ~ /^[0-9][0-9][0-9][0-9]-/) file[substr(l, 1, 4)] = l } }
	/^= / { if (g) print g; n = $2; $1 = $2 = ""; sub(/^ +/, ""); g = n "\t" $0 "\t"; next }
	{ for (i = 1; i <= NF; i++) {
		if (!($i in file)) { print "error: " $i " is not in series/series" > "/dev/stderr"; exit 1 }
		if (used[$i]++) { print "error: " $i " is in two groups" > "/dev/stderr"; exit 1 }
		g = g " " file[$i] } }
	END { if (g) print g
	      for (k in file) if (!(k in used)) { print "error: " file[k] " is in no group" > "/dev/stderr"; exit 1 } }')
[ -n "$groups" ] || die "no group in $GROUPS_FILE"

# The scratch clone, at the base.
[ -d "$P/.git" ] || git clone -q --shared "$TREE" "$P"
git -C "$P" fetch -q "$TREE" '+refs/tags/*:refs/tags/*' HEAD
git -C "$P" checkout -q --detach base
git -C "$P" reset -q --hard base
git -C "$P" clean -qfdx
base=$(git -C "$P" rev-parse base)
am() { git -C "$P" -c user.name=posting -c user.email=posting@localhost am -q "$@"; }

rm -rf "$OUT"
mkdir -p "$OUT"
n=0 total=$(wc -l <<<"$groups")
while IFS=$'\t' read -r name subject files <&3; do
	n=$((n + 1))
	start=$(git -C "$P" rev-parse HEAD)
	for f in $files; do
		am "$TOP/series/$f" >/dev/null 2>&1 ||
			{ git -C "$P" am --abort 2>/dev/null || true; die "group $name: $f does not apply after the groups before it"; }
	done
	end=$(git -C "$P" rev-parse HEAD)
	d=$OUT/$n-$name
	# shellcheck disable=SC2046 # one argument per patch file
	maint() { (cd "$P" && perl scripts/get_maintainer.pl --no-rolestats --no-git --no-git-fallback "$@" \
		$(for f in $files; do echo "$TOP/series/$f"; done) 2>/dev/null) | sort -u; }
	tos=$(maint --m --no-r --no-l) to=() cc=()
	while read -r a; do [ -n "$a" ] && to+=(--to="$a"); done <<<"$tos"
	while read -r a; do [ -n "$a" ] && cc+=(--cc="$a"); done < <(maint --no-m --r --l | grep -vxF -e "$tos")
	[ ${#to[@]} -gt 0 ] || die "group $name: get_maintainer.pl gave no maintainer"
	git -C "$P" -c core.abbrev=12 -c format.signature= format-patch -q --cover-letter --thread=shallow \
		--base="$base" "${to[@]}" "${cc[@]}" -o "$d" "$start..$end"
	# The cover letter: the group's subject and text, and where it applies.
	c=$(ls "$d"/0000-cover-letter.patch)
	{
		case $n in
		1) before='.' ;;
		2) before=$' with\npart 1 applied first (prerequisite-patch-id).' ;;
		*) before=$' with\nparts 1-'$((n - 1))' applied first (prerequisite-patch-id).' ;;
		esac
		printf 'Part %d of %d of the series; it applies to the base-commit below%s\n\n' "$n" "$total" "$before"
		cat "$TOP/series/cover-$name.txt"
	} >"$d/.blurb"
	awk -v s="$subject" -v b="$d/.blurb" '
		/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, s) }
		/^\*\*\* BLURB HERE \*\*\*$/ { while ((getline l < b) > 0) print l; next }
		{ print }' "$c" >"$c.tmp" && mv "$c.tmp" "$c"
	rm -f "$d/.blurb"
	# b4: one complete thread, whose am-ready mbox applies to the group's start.
	# (b4 0.12 fails on a folded From:, which git format-patch writes for
	# a long name: b4 reads the headers unfolded, as RFC 5322 allows.)
	awk '/^From [0-9a-f]+ / { h = 1 } h && /^$/ { h = 0 }
		h && /^[ \t]/ { sub(/^[ \t]+/, " "); prev = prev $0; next }
		{ if (NR > 1) print prev; prev = $0 } END { print prev }' "$d"/*.patch >"$d.mbox"
	mkdir -p "$d.b4"
	b4 -n am -m "$d.mbox" -o "$d.b4" >"$d.b4.log" 2>&1 || { cat "$d.b4.log" >&2; die "group $name: b4 am failed"; }
	nb=$(find "$d.b4" -name "*.mbx" | wc -l)
	[ "$nb" -eq 1 ] || { cat "$d.b4.log" >&2; die "group $name: b4 made $nb am-ready mboxes, not one"; }
	! grep -qiE 'missing|incomplete|not found' "$d.b4.log" || { cat "$d.b4.log" >&2; die "group $name: b4 found the thread incomplete"; }
	git -C "$P" checkout -q --detach "$start"
	am "$d".b4/*.mbx >/dev/null 2>&1 || die "group $name: b4's mbox does not apply"
	git -C "$P" diff --quiet "$end" HEAD || die "group $name: b4's mbox gives another tree"
	git -C "$P" checkout -q --detach "$end"
	np=$(wc -w <<<"$files")
	printf 'posting %d-%s: %d patches + cover letter, %d To, %d Cc; b4: one complete thread, applies (%s)\n' \
		"$n" "$name" "$np" "${#to[@]}" "${#cc[@]}" "$d"
	rm -rf "$d.b4" "$d.mbox" "$d.b4.log"
done 3<<<"$groups"
git -C "$P" diff --quiet "$(git -C "$TREE" rev-parse HEAD)" HEAD ||
	die "the groups give another tree than series/series"
echo "posting: $n groups, the tree of series/series; send with: git send-email $OUT/N-NAME/*.patch"
