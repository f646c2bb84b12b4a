#!/usr/bin/env bash
# Times `devbox-harden assess` and Lynis (`lynis audit system --quick`, Debian's package) on this
# machine in the same run, and prints both times and the ratio. Target: assess at least 100 times
# faster than Lynis and under half a second. Run as root so both can read everything.
# Usage: bench/assess-vs-lynis.sh [PATH-TO-devbox-harden] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(readlink -f "${1:-build/devbox-harden}")
runs=${2:-10}
[ -x "$bin" ] || { echo "bench: $bin not built; run scripts/build.sh" >&2; exit 2; }
if ! command -v lynis >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "bench: lynis is not installed; run as root to install it" >&2; exit 2; }
  echo "bench: installing Debian's lynis" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q lynis >&2
fi
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

times=()
for _ in $(seq "$runs"); do
  start=$(now_ms)
  "$bin" assess --json >/dev/null || true   # exit 1 only means "something is concerning"
  times+=($(( $(now_ms) - start )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

echo "bench: lynis audit system --quick (one run; it takes a while)" >&2
start=$(now_ms)
lynis audit system --quick --no-colors --no-log >/dev/null 2>&1 || true
lynis_ms=$(( $(now_ms) - start ))

ratio=$(awk -v l="$lynis_ms" -v a="$median" 'BEGIN { printf "%.0f", (a > 0 ? l / a : l) }')
echo "devbox-harden assess: median ${median} ms over ${runs} runs (all: ${times[*]})"
echo "lynis audit system --quick: ${lynis_ms} ms"
echo "ratio: lynis / devbox-harden assess = ${ratio}x (target >= 100x, assess < 500 ms)"
