#!/usr/bin/env bash
# Times one start of a packaged Ember: milliseconds from launching java to the first 200 of /q/health/live (the
# listener is up), of /q/health/ready (the warm set is loaded) and of a first POST /functions/embed. One run, one
# line; repeat it and take the median yourself, and say how busy the machine was.
#
#   scripts/start-time.sh <quarkus-app dir> [extra java flags...]
#   e.g. scripts/start-time.sh functions/target/quarkus-app -XX:AOTCache=app.aot
#
# Environment: JAVA (default $JAVA_HOME/bin/java, else java on PATH), START_TIME_PORT (18081),
# START_TIME_TIMEOUT (seconds, 180). Prints: live_ms=... ready_ms=... first_embed_ms=... (java -version's first line)
set -euo pipefail

[[ $# -ge 1 ]] || { echo "usage: $0 <quarkus-app dir> [java flags...]" >&2; exit 2; }
app=$(cd "$1" && pwd)
shift
java=${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/java}}
java=${java:-java}
port=${START_TIME_PORT:-18081}
timeout=${START_TIME_TIMEOUT:-180}

# shellcheck source=scripts/http.sh
source "$(dirname "${BASH_SOURCE[0]}")/http.sh"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
until_200() { # method path [body] -> ms since launch
  while [[ $(request "$@") != 200 ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "the application exited: $(tail -20 "$out")" >&2; exit 1; }
    (( $(now_ms) - t0 < timeout * 1000 )) || { echo "timed out: $(tail -20 "$out")" >&2; exit 1; }
    sleep 0.02
  done
  echo $(( $(now_ms) - t0 ))
}

out=$(mktemp)
t0=$(now_ms)
(cd "$app" && exec "$java" "$@" -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$port" \
  -Dquarkus.shutdown.delay=0s -jar quarkus-run.jar) >"$out" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
live=$(until_200 GET /q/health/live)
ready=$(until_200 GET /q/health/ready)
embed=$(until_200 POST /functions/embed '{"input": "A man is playing a guitar."}')
echo "live_ms=$live ready_ms=$ready first_embed_ms=$embed ($("$java" -version 2>&1 | head -1))"
grep -E "loaded on|warm-at-start|AOT|aot" "$out" | sed 's/^/  log: /' | head -5 >&2 || true
