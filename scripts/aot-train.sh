#!/usr/bin/env bash
# Trains a JDK AOT cache (JDK 25+, JEP 483/514) for an aot-jar build of Ember: starts the application with
# -XX:AOTCacheOutput, waits for readiness (the bundled embed loads and warms up at start), sends a few embeddings
# through /functions/embed, /v1/embeddings and a CloudEvent-free v2 metadata call, then stops it with SIGTERM; the JVM
# writes the cache as it exits (it runs a second JVM for that, which takes a while).
#
#   scripts/aot-train.sh <quarkus-app dir> [cache file, default <dir>/app.aot]
#
# The cache is only used by the same JDK build, with the same classpath (the jar files as they are now: moved,
# touched or rebuilt jars make the JVM ignore it, with a warning) and compatible flags (GC, compressed oops), so
# train where it will run: scripts/build-aot.sh runs this after the build, Dockerfile.jvm inside the image.
# Needs only bash (HTTP goes through bash's /dev/tcp, so no curl in an image).
#
# Environment: JAVA (the java to train with; default $JAVA_HOME/bin/java, else java on PATH), JAVA_OPTS (the flags
# the cache will run with), AOT_TRAIN_PORT (18080), AOT_TRAIN_TIMEOUT (seconds to readiness, 180),
# AOT_TRAIN_REQUESTS (embeddings per endpoint, 5).
set -euo pipefail

[[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 <quarkus-app dir> [cache file]" >&2; exit 2; }
app=$(cd "$1" && pwd)
cache=${2:-$app/app.aot}
java=${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/java}}
java=${java:-java}
port=${AOT_TRAIN_PORT:-18080}
timeout=${AOT_TRAIN_TIMEOUT:-180}
requests=${AOT_TRAIN_REQUESTS:-5}

log() { printf '[aot-train] %s\n' "$*" >&2; }

[[ -f $app/quarkus-run.jar ]] || { log "no $app/quarkus-run.jar: package with -Paot first"; exit 1; }
feature=$("$java" -XX:+PrintFlagsFinal -version 2>/dev/null | grep -c 'AOTCacheOutput' || true)
[[ $feature -gt 0 ]] || { log "$java has no -XX:AOTCacheOutput: a JDK 25 or later is needed ($("$java" -version 2>&1 | head -1))"; exit 1; }

# shellcheck source=scripts/http.sh
source "$(dirname "${BASH_SOURCE[0]}")/http.sh"

rm -f "$cache"
training_log=$(mktemp)
# shellcheck disable=SC2086 # JAVA_OPTS is a list of flags
(cd "$app" && exec "$java" ${JAVA_OPTS:-} -XX:AOTCacheOutput="$cache" -Dquarkus.http.host=127.0.0.1 \
  -Dquarkus.http.port="$port" -Dquarkus.shutdown.delay=0s -jar quarkus-run.jar) >"$training_log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$training_log"' EXIT

start=$SECONDS
until [[ $(request GET /q/health/ready) == 200 ]]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    log "the application exited during training:"; cat "$training_log" >&2; exit 1
  fi
  if (( SECONDS - start > timeout )); then
    log "not ready within ${timeout}s:"; tail -40 "$training_log" >&2; exit 1
  fi
  sleep 0.2
done
log "ready after $((SECONDS - start))s; training with $requests requests per endpoint"

for ((i = 0; i < requests; i++)); do
  for call in "/functions/embed|{\"input\": \"Training the cache, sentence $i.\"}" \
              "/v1/embeddings|{\"model\": \"embed\", \"input\": [\"first text $i\", \"a second, somewhat longer text $i\"]}"; do
    status=$(request POST "${call%%|*}" "${call#*|}")
    [[ $status == 200 ]] || { log "POST ${call%%|*} answered $status"; tail -40 "$training_log" >&2; exit 1; }
  done
done
for path in /v2/models/embed /v1/models /q/health/live /q/metrics; do
  request GET "$path" >/dev/null
done

kill -TERM "$pid"
wait "$pid" || { log "the application did not exit cleanly:"; tail -40 "$training_log" >&2; exit 1; }
trap - EXIT
rm -f "$training_log"
[[ -s $cache ]] || { log "the JVM wrote no cache at $cache"; exit 1; }
log "wrote $cache ($(du -h "$cache" | cut -f1)) in $((SECONDS - start))s; run with: cd $app && $java -XX:AOTCache=$cache -jar quarkus-run.jar"
