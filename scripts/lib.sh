# Shared settings for the bench scripts (sourced).
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KVMLC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-lifecycle}
BUILD=$TOP/build
RESULTS=$BUILD/results
# KVMLC_DEBUG=1: the debug kernels (configs/debug.config), with an object
# dir of their own and results named ARCH-debug.
VARIANT=${KVMLC_DEBUG:+-debug}
# KVMLC_BASE=1 (make bench): the base kernel, built from the pristine base.
[ -n "${KVMLC_BASE:-}" ] && VARIANT=-base
JOBS=${JOBS:-$(($(nproc) + 1))}
BASE_VERSION=7.3.4-1~bpo13+1
BASE_DEB=linux-source-7.3_${BASE_VERSION}_all.deb
BASE_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
BASE_SRC=$CACHE/base/linux-source-7.3     # pristine unpacked base, never edited
TREE=${KVMLC_TREE:-$CACHE/tree}          # git work tree: base commit + series
mkdir -p "$CACHE"

# The entries of a list file (series/series, tests/default-*): comments and
# blank lines dropped.
entries() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1"; }

# Private apt configurations (deps.sh, check-distro.sh) for Debian suites the
# machine does not use: each in its own directory $APTDIR (sources.list,
# lists/, archives/).  papt ARCH CMD...: run the apt command CMD in it.
papt() {
	local arch=$1; shift
	"$@" -o Dir::Etc::SourceList="$APTDIR/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache::Archives="$APTDIR/archives" \
		-o Dir::State::Status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
		-o APT::Architecture="$arch" -o APT::Architectures="$arch" -o APT::Default-Release=
}
# papt_sources "TYPE SUITE COMPONENT"...: $APTDIR/sources.list from Debian's
# archive, rewritten only when it changes (a run beside it may be reading it).
papt_sources() {
	local l t s c out=
	mkdir -p "$APTDIR/lists/partial" "$APTDIR/archives/partial"
	for l in "$@"; do
		read -r t s c <<<"$l"
		out+="$t [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s $c"$'\n'
	done
	[ "$(cat "$APTDIR/sources.list" 2>/dev/null)"$'\n' = "$out" ] || printf %s "$out" >"$APTDIR/sources.list"
}

# A guest kernel's reports (lockdep, sleeping in atomic context, WARN, BUG,
# Oops, KASAN, UBSAN, KFENCE, kmemleak, hung tasks): any fails the run.
REPORTS='BUG:|WARNING:|Invalid wait context|possible (circular|recursive) locking|inconsistent lock state|Oops|UBSAN:|KASAN:|KFENCE:|unreferenced object|blocked for more than'

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

cross() { # kernel ARCH -> CROSS_COMPILE prefix
	case $1 in arm64) echo aarch64-linux-gnu- ;; riscv) echo riscv64-linux-gnu- ;; x86) echo ;; *) die "unknown ARCH $1" ;; esac
}

# step NAME LOGFILE CMD...: run CMD with its output in LOGFILE, print progress
# and elapsed time; on failure name the step and show the log's tail.
step() {
	local name=$1 logf=$2; shift 2
	local t0=$SECONDS rc=0
	mkdir -p "$(dirname "$logf")"
	log "$name ..."
	"$@" >"$logf" 2>&1 &
	local pid=$! n=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1; n=$((n + 1))
		[ $((n % 60)) -eq 0 ] && log "$name ... $((SECONDS - t0))s"
	done
	wait "$pid" || rc=$?
	if [ $rc -ne 0 ]; then
		printf '\nFAILED step: %s (exit %d, %ds). Last lines of %s:\n' "$name" "$rc" $((SECONDS - t0)) "$logf" >&2
		tail -n 40 "$logf" | sed 's/^/  | /' >&2
		return $rc
	fi
	log "$name done ($((SECONDS - t0))s)"
}

# The Makefile's command-line variables (ARCH, TESTS, ...) must not leak into
# the kernel's own make through MAKEFLAGS.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
