#!/usr/bin/env bash
# supervisor-rss: how much memory and CPU the processes fsviews keeps
# around a daemon use while it idles, for [namespaces] pid = true (the
# supervisor outside, fsviews' init inside) — docs/systemd.md. Needs root.
#
#   scripts/supervisor-rss.sh [FSVIEWS_BIN]
#
# Prints the resident set (VmRSS) of each, after one forwarded signal,
# and the CPU ticks (utime+stime) they used over 2 idle seconds.
set -euo pipefail
bin=${1:-$(dirname "$0")/../bin/fsviews}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/rss.toml" <<'TOML'
include = ["base/libc.toml"]
[proc]
[dev]
[namespaces]
pid = true
TOML
"$bin" run "$dir/rss.toml" -- /bin/sh -c 'trap : HUP; echo ready; sleep 5 & wait; sleep 5 & wait' > "$dir/out" &
sup=$!
while ! grep -q ready "$dir/out" 2>/dev/null; do sleep 0.05; done
kill -HUP "$sup"
sleep 0.5
init=$(pgrep -P "$sup")
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
s0=$(ticks "$sup"); i0=$(ticks "$init")
sleep 2
printf 'supervisor  %s  cpu ticks idle 2s: %d\n' "$(grep VmRSS "/proc/$sup/status" | tr -s '\t ' ' ')" $(( $(ticks "$sup") - s0 ))
printf 'init        %s  cpu ticks idle 2s: %d\n' "$(grep VmRSS "/proc/$init/status" | tr -s '\t ' ' ')" $(( $(ticks "$init") - i0 ))
kill -TERM "$sup"
wait "$sup" || true
