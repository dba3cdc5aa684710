#!/usr/bin/env bash
# make bench: fsviews beside bubblewrap and the plain unshare + pivot_root
# recipe, one run, a markdown report on stdout (progress on stderr).
# docs/performance.md says what each figure means.
#
#   scripts/bench/run.sh [-quick] [-cases a,b,c,d,e,f,x]
#
# Needs root (it builds mount namespaces) and installs what is missing
# with apt-get: bubblewrap hyperfine strace gcc libseccomp-dev time.
# Everything it builds or writes lives in one temp dir, removed at exit.
# Benchmarks report; they never fail on timing.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" != 0 ]; then
	echo "make bench: run as root: every case builds mount namespaces (sudo make bench)" >&2
	exit 1
fi

# Tools and the packages that provide them.
missing=()
command -v bwrap >/dev/null || missing+=(bubblewrap)
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v strace >/dev/null || missing+=(strace)
command -v gcc >/dev/null || missing+=(gcc libc6-dev)
[ -e /usr/include/seccomp.h ] || missing+=(libseccomp-dev)
[ -x /usr/bin/time ] || missing+=(time)
command -v unshare >/dev/null || missing+=(util-linux)
if [ ${#missing[@]} -gt 0 ]; then
	if command -v apt-get >/dev/null; then
		echo "make bench: installing ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >&2 ||
			echo "make bench: could not install ${missing[*]}; the cases that need them will say so" >&2
	else
		echo "make bench: missing ${missing[*]} and no apt-get: install them; the cases that need them will say so" >&2
	fi
fi

tmp=$(mktemp -d /tmp/fsviews-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# The jails the benchmark starts register in its own temp dir, not in the
# host's registry (/run/fsviews), where they would stay as stale records.
export FSVIEWS_RUNTIME_DIR="$tmp/run" FSVIEWS_CHECKPOINT_DIR="$tmp/checkpoints"

echo "make bench: building helpers in $tmp" >&2
CGO_ENABLED=0 go build -o "$tmp/fsbench" ./scripts/bench/fsbench
CGO_ENABLED=0 go build -o "$tmp/gohello" ./scripts/bench/gohello
args=(-fsviews "$PWD/bin/fsviews" -hello "$tmp/gohello" -tmp "$tmp/work")
mkdir "$tmp/work"
# The plain recipe, static like fsviews: its start-up is the recipe alone.
gcc -O2 -static -o "$tmp/plain" scripts/bench/plain.c
args+=(-plain "$tmp/plain")
if [ -e /usr/include/seccomp.h ] && gcc -O2 -o "$tmp/seccomp_loader" scripts/bench/seccomp_loader.c -lseccomp; then
	args+=(-loader "$tmp/seccomp_loader")
fi
"$tmp/fsbench" "${args[@]}" "$@"
