#!/bin/bash
# tree.sh apply|export
#   apply:  make $TREE a git work tree = one base commit + one commit per patch
#           listed in series/series (git am).  Skipped when nothing changed.
#   export: write the commits since the base back to series/ (format-patch),
#           byte-identical when nothing changed (zero hashes, no signature).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SERIES=$TOP/series
G=(git -C "$TREE" -c core.abbrev=12 -c diff.algorithm=myers -c diff.noprefix=false
   -c diff.mnemonicPrefix=false -c format.signature= -c format.numbered=auto)

patches() { entries "$SERIES/series"; }

make_base() {
	"$(dirname "$0")/base.sh"
	log "creating the base commit in $TREE (once)"
	rm -rf "$TREE"
	cp -a "$BASE_SRC" "$TREE"
	# Debian's .gitignore ends with a packaging rule "/*" that ignores every
	# top-level path: drop it, or files that patches add could not be added.
	sed -i '/^# Debian packaging: ignore everything/,$d' "$TREE/.gitignore"
	git -C "$TREE" init -q -b series
	git -C "$TREE" add -Af .
	GIT_AUTHOR_DATE="2026-11-15T22:30:00Z" GIT_COMMITTER_DATE="2026-11-15T22:30:00Z" \
		git -C "$TREE" -c user.name=Debian -c user.email=debian-kernel@lists.debian.org \
		commit -q -m "Linux $BASE_VERSION (Debian linux-source-7.3)" \
		-m "Unpacked from $BASE_DEB (sha256 $BASE_SHA256); Debian's top-level '/*' ignore rule dropped."
	git -C "$TREE" tag base
}

series_id() { (cd "$SERIES" && cat series $(patches)) | sha256sum | cut -d' ' -f1; }

apply() {
	[ -d "$TREE/.git" ] && git -C "$TREE" rev-parse -q --verify base >/dev/null || make_base
	local id stamp=$TREE/.git/series-applied
	id=$(series_id)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$id $(git -C "$TREE" rev-parse HEAD)" ] &&
		[ -z "$(git -C "$TREE" status --porcelain)" ]; then
		log "tree up to date ($(git -C "$TREE" rev-list --count base..HEAD) patches on base)"
		return 0
	fi
	if [ -z "${FORCE:-}" ] && [ -f "$stamp" ] &&
		{ [ -n "$(git -C "$TREE" status --porcelain)" ] ||
		  [ "$(cut -d' ' -f2 "$stamp")" != "$(git -C "$TREE" rev-parse HEAD)" ]; }; then
		die "$TREE has changes or commits that are not in series/ (run 'make export' first, or FORCE=1 to discard them)"
	fi
	# Identity for git am: the committer of this repository.
	git -C "$TREE" config user.name "$(git -C "$TOP" config user.name || echo 'kvm-lifecycle bench')"
	git -C "$TREE" config user.email "$(git -C "$TOP" config user.email || echo 'bench@localhost')"
	git -C "$TREE" am --abort >/dev/null 2>&1 || true
	git -C "$TREE" checkout -q -f -B series base
	git -C "$TREE" clean -qfdx
	local p n=0
	for p in $(patches); do
		[ -f "$SERIES/$p" ] || die "series/series lists $p, which is not in series/"
		git -C "$TREE" am -q --committer-date-is-author-date "$SERIES/$p" ||
			die "git am failed on series/$p (tree left mid-am in $TREE)"
		n=$((n + 1))
	done
	echo "$id $(git -C "$TREE" rev-parse HEAD)" >"$stamp"
	log "tree: base + $n patches at $TREE"
}

export_series() {
	[ -d "$TREE/.git" ] || die "no tree at $TREE: run 'make tree' first"
	[ -z "$(git -C "$TREE" status --porcelain)" ] || die "$TREE has uncommitted changes: commit them first"
	find "$SERIES" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-cover-letter.patch' -delete
	"${G[@]}" format-patch -q --zero-commit --no-signature --no-cover-letter \
		-o "$SERIES" base..HEAD >/dev/null
	{
		echo "# Patch order for 'git am' on top of the base (written by 'make export')."
		(cd "$SERIES" && ls [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '^0000-cover-letter.patch$' || true)
	} >"$SERIES/series"
	update_cover
	echo "$(series_id) $(git -C "$TREE" rev-parse HEAD)" >"$TREE/.git/series-applied"
	log "exported $(git -C "$TREE" rev-list --count base..HEAD) patches to series/"
}

# The cover letter's prose is written by hand; its patch count, shortlog and
# diffstat are regenerated from the tree.
update_cover() {
	local cover=$SERIES/0000-cover-letter.patch n
	[ -f "$cover" ] || return 0
	n=$(git -C "$TREE" rev-list --count base..HEAD)
	{
		awk '/^[^ ].* \([0-9]+\):$/ || /^-- $/ { exit } { print }' "$cover" |
			sed -E "s|^Subject: \[PATCH [0-9]+/[0-9]+\]|Subject: [PATCH 0/$n]|" |
			sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}'
		echo
		if [ "$n" -gt 0 ]; then
			"${G[@]}" shortlog -w72,2,4 base..HEAD </dev/null
			"${G[@]}" diff --stat=72 base..HEAD
			echo
		fi
		echo "-- "
	} >"$cover.tmp"
	mv "$cover.tmp" "$cover"
}

case ${1:-} in
apply) apply ;;
export) export_series ;;
*) die "usage: $0 apply|export" ;;
esac
