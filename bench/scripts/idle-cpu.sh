#!/usr/bin/env bash
# The CPU an idle `./cqrs dev` burns: the whole JVM (the service with its embedded broker and registry)
# and its busiest threads, as a percentage of one core, over a quiet window after a warm-up.
#
#   bench/scripts/idle-cpu.sh [warm-up seconds, default 60] [window seconds, default 60]
#
# It starts `./cqrs dev` on a data directory of its own (so it never touches .cqrs/dev) and free
# ports, waits for /health/ready, sends nothing at all, samples /proc/<pid>/task/*/stat at the start
# and the end of the window, and stops the service. Linux only (it reads /proc). Run it on a quiet
# machine: it measures what this one process costs, so anything else running only adds noise to the
# JIT's share, not to the threads'.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WARMUP=${1:-60}
WINDOW=${2:-60}
HTTP_PORT=${CQRS_HTTP_PORT:-18080}
DATA=$(mktemp -d "${TMPDIR:-/tmp}/cqrs-idle-cpu.XXXXXX")
LOG=$DATA/dev.log
TICKS=$(getconf CLK_TCK)

cleanup() {
  if [[ -n ${DEV:-} ]] && kill -0 "$DEV" 2>/dev/null; then
    kill "$DEV" 2>/dev/null || true
    wait "$DEV" 2>/dev/null || true
  fi
}
trap cleanup EXIT

echo "idle-cpu: starting ./cqrs dev (data $DATA, log $LOG) ..." >&2
(cd "$ROOT" && CQRS_DEV_DATA_DIR=$DATA/data CQRS_HTTP_PORT=$HTTP_PORT CQRS_DEV_KAFKA_PORT=0 \
  CQRS_DEV_REGISTRY_PORT=0 CQRS_DEV_DB_PORT=0 exec ./cqrs dev) >"$LOG" 2>&1 &
DEV=$!

for ((i = 0; i < 600; i++)); do
  if curl -fs "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null 2>&1; then break; fi
  kill -0 "$DEV" 2>/dev/null || { tail -n 40 "$LOG" >&2; echo "idle-cpu: ./cqrs dev ended" >&2; exit 1; }
  sleep 1
done
curl -fs "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null || { echo "idle-cpu: not ready in 600 s" >&2; exit 1; }

# The JVM that serves: the java process listening on the HTTP port.
JVM=$(ss -ltnpH "sport = :$HTTP_PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
[[ -n $JVM ]] || { echo "idle-cpu: no process listens on $HTTP_PORT" >&2; exit 1; }
echo "idle-cpu: ready; JVM pid $JVM; warming up ${WARMUP} s, then ${WINDOW} s of nothing" >&2
sleep "$WARMUP"

# One line per thread: tid, name, utime+stime in ticks. The name is between the parentheses.
sample() {
  local stat
  for stat in /proc/"$JVM"/task/*/stat; do
    sed -n 's/^\([0-9]*\) (\(.*\)) [A-Za-z] \(.*\)$/\1\t\2\t\3/p' "$stat" 2>/dev/null \
      | awk -F'\t' '{ split($3, f, " "); printf "%s\t%s\t%d\n", $1, $2, f[11] + f[12] }'
  done
}

BEFORE=$DATA/before.tsv
AFTER=$DATA/after.tsv
sample >"$BEFORE"
LOAD_BEFORE=$(cut -d ' ' -f 1 /proc/loadavg)
sleep "$WINDOW"
sample >"$AFTER"
LOAD_AFTER=$(cut -d ' ' -f 1 /proc/loadavg)

# Java's names for the threads (the kernel's are cut at 15 characters): jcmd beside the JVM's java.
NAMES=$DATA/names.tsv
JCMD=$(dirname "$(readlink -f /proc/"$JVM"/exe)")/jcmd
if [[ -x $JCMD ]]; then
  "$JCMD" "$JVM" Thread.print 2>/dev/null \
    | sed -n -E 's/^"(.*)" .* nid=(0x[0-9a-f]+|[0-9]+)( .*)?$/\2\t\1/p' \
    | while IFS=$'\t' read -r nid name; do printf '%d\t%s\n' "$nid" "$name"; done >"$NAMES"
else
  : >"$NAMES"
fi

echo
echo "idle ./cqrs dev at $(git -C "$ROOT" rev-parse --short HEAD), $(date -u '+%Y-%m-%d %H:%M UTC'):" \
  "${WINDOW} s after ${WARMUP} s of warm-up; load average $LOAD_BEFORE -> $LOAD_AFTER"
# Per thread: the ticks used in the window, under Java's name where jcmd gave one; threads of one
# kind (the JIT's compiler threads, GC workers) add up under their shared name.
awk -F'\t' -v ticks="$TICKS" -v window="$WINDOW" '
  FILENAME == ARGV[1] { java[$1] = $2; next }
  FILENAME == ARGV[2] { before[$1] = $3; next }
  {
    name = ($1 in java) ? java[$1] : $2
    gsub(/#[0-9]+|-[0-9]+$| [0-9]+$/, "", name)
    used[name] += $3 - (($1 in before) ? before[$1] : 0)
    total += $3 - (($1 in before) ? before[$1] : 0)
  }
  END {
    printf "TOTAL\t%.1f\n", 100 * total / ticks / window
    for (name in used) if (used[name] > 0) printf "%s\t%.1f\n", name, 100 * used[name] / ticks / window
  }' "$NAMES" "$BEFORE" "$AFTER" >"$DATA/result.tsv"
printf '  %-60s %6s%% of a core\n' "the whole JVM" "$(awk -F'\t' '$1 == "TOTAL" { print $2 }' "$DATA/result.tsv")"
grep -v '^TOTAL' "$DATA/result.tsv" | sort -t $'\t' -k2 -nr | head -n 12 \
  | while IFS=$'\t' read -r name pct; do printf '  %-60s %6s%%\n' "${name:0:60}" "$pct"; done
