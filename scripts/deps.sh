#!/bin/bash
# Install what the bench needs, from Debian only, idempotently.
#  - host packages from bookworm (+ bookworm-backports for QEMU 10.0 and OpenSBI 1.5)
#  - sparse built from sid's *source* package (bookworm's 0.6.4 is refused by
#    7.3's scripts/checker-valid.sh, sid's binary needs glibc 2.38)
#  - busybox-static .debs for the guest architectures (arm64: bookworm,
#    riscv64: trixie), downloaded and unpacked, never installed
# Other suites are read through a private apt configuration under $CACHE/apt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BPO=/etc/apt/sources.list.d/bookworm-backports.sources
HOST_PKGS="make gcc git xz-utils bc flex bison libssl-dev libelf-dev cpio rsync
  gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu libc6-dev-arm64-cross libc6-dev-riscv64-cross
  coccinelle ocaml-nox python3-sphinx python3-sphinx-rtd-theme python3-yaml dpkg-dev
  pkg-config kmod b4"
BPO_PKGS="qemu-system-arm qemu-system-misc opensbi"

if [ ! -e "$BPO" ]; then
	log "adding bookworm-backports to the machine's apt sources ($BPO)"
	cat >"$BPO" <<EOS
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
fi

missing=()
for p in $HOST_PKGS; do [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == *'ok installed' ]] || missing+=("$p"); done
bpo_missing=()
for p in $BPO_PKGS; do
	v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)
	case "$v" in *"ok installed"*bpo*) ;; *) bpo_missing+=("$p") ;; esac
done
if [ ${#missing[@]} -gt 0 ] || [ ${#bpo_missing[@]} -gt 0 ]; then
	log "apt-get update"
	apt-get update -qq
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing from bookworm: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
	if [ ${#bpo_missing[@]} -gt 0 ]; then
		log "installing from bookworm-backports: ${bpo_missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-t bookworm-backports "${bpo_missing[@]}" >/dev/null
	fi
else
	log "host packages present"
fi

# Private apt configuration for suites the machine does not use.
APTDIR=$CACHE/apt
papt_sources "deb bookworm main" "deb trixie main" "deb-src sid main"
papt_update() {
	local stamp=$APTDIR/lists/.stamp-$1
	[ -e "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ] && return 0
	log "private apt update ($1)"
	papt "$1" apt-get update -qq || { sleep 20; papt "$1" apt-get update -qq; }
	touch "$stamp"
}

# busybox-static for each guest architecture.
fetch_busybox() { # debarch suite
	local arch=$1 suite=$2 out=$CACHE/busybox/$1
	[ -x "$out/busybox" ] && return 0
	papt_update "$arch"
	local tmp; tmp=$(mktemp -d)
	log "downloading busybox-static:$arch from $suite"
	(cd "$tmp" && papt "$arch" apt-get download -qq "busybox-static/$suite")
	dpkg-deb -x "$tmp"/busybox-static_*.deb "$tmp/x"
	mkdir -p "$out"
	local bb=$tmp/x/bin/busybox   # bookworm
	[ -f "$bb" ] || bb=$tmp/x/usr/bin/busybox
	[ "$(head -c4 "$bb" | od -An -c | tr -d ' ')" = "177ELF" ] || die "no busybox binary in busybox-static:$arch"
	cp "$bb" "$out/busybox"; chmod 755 "$out/busybox"
	basename "$tmp"/busybox-static_*.deb >"$out/VERSION"
	rm -rf "$tmp"
}
fetch_busybox arm64 bookworm
fetch_busybox riscv64 trixie

# sparse from sid's source package.
SPARSE=$CACHE/sparse/sparse
if [ ! -x "$SPARSE" ]; then
	papt_update amd64
	tmp=$(mktemp -d)
	log "building sparse from sid's source package"
	(cd "$tmp" && papt amd64 apt-get source -qq --download-only sparse/sid)
	mkdir -p "$CACHE/sparse"
	tar -C "$CACHE/sparse" --strip-components=1 -xf "$tmp"/sparse_*.orig.tar.*
	ls "$tmp"/sparse_*.dsc | xargs -n1 basename >"$CACHE/sparse/VERSION"
	make -s -C "$CACHE/sparse" -j"$JOBS" sparse >/dev/null
	rm -rf "$tmp"
fi
log "sparse: $("$SPARSE" --version) ($(cat "$CACHE/sparse/VERSION"))"
log "qemu: $(qemu-system-aarch64 --version | sed -n 1p); opensbi: $(dpkg-query -W -f='${Version}' opensbi)"
log "busybox: $(cat "$CACHE/busybox/arm64/VERSION") $(cat "$CACHE/busybox/riscv64/VERSION")"
