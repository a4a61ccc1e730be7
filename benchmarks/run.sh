#!/usr/bin/env bash
# Runs every benchmark scenario against the packaged application and rewrites BENCHMARKS.md.
#
#   benchmarks/run.sh [--wait-quiet MINUTES] [--build] [--quick] [--only DIGITS] [--set KEY=VALUE,...]
#
#   --wait-quiet N  first wait (polling every 30 s, at most N minutes) until no other java/mvn process is
#                   above 20% CPU in `ps -eo pcpu,args`; the report says whether the machine was quiet
#   --build         rebuild even when the packaged app and the benchmark classes exist
#   --quick         a tenth of the counts and durations, written to benchmarks/target/BENCHMARKS-quick.md
#                   (a smoke test of the harness, not a measurement)
#   --only 13       experiments: run only these scenarios (0-4) ...
#   --set k=v,...   ... and/or add these -D options to every Ember process (e.g. ember.onnx.intra-op-threads=1);
#                   written to benchmarks/target/BENCHMARKS-experiment.md, never to BENCHMARKS.md
#
# Builds with `mvn -B -DskipTests install` when needed (extra Maven options in $MVN_ARGS, e.g. -o). Every Ember
# process listens on 127.0.0.1 only and is stopped when the run ends or is interrupted. About 7 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

command_line="benchmarks/run.sh${*:+ $*}"
wait_quiet=0
build=false
quick=false
only=""
set_props=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wait-quiet) wait_quiet="${2:?--wait-quiet needs a number of minutes}"; shift 2 ;;
    --build) build=true; shift ;;
    --quick) quick=true; shift ;;
    --only) only="${2:?--only needs scenario digits}"; shift 2 ;;
    --set) set_props="${2:?--set needs key=value pairs}"; shift 2 ;;
    *) echo "unknown option: $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done

app=functions/target/quarkus-app/quarkus-run.jar
classpath_file=benchmarks/target/classpath.txt
if $build || [[ ! -f "$app" || ! -f "$classpath_file" || ! -d benchmarks/target/classes ]]; then
  # shellcheck disable=SC2086
  mvn -B ${MVN_ARGS:-} -DskipTests install -pl functions,benchmarks -am
fi

busy_java() {
  ps -eo pcpu=,args= | awk '$1 > 20' | grep -E 'java|mvn' | grep -v -E 'grep|awk' || true
}

quiet_note=""
if [[ "$wait_quiet" -gt 0 ]]; then
  waited=0
  while [[ -n "$(busy_java)" && $waited -lt $((wait_quiet * 60)) ]]; do
    echo "[bench] waiting for a quiet machine ($((waited / 60)) of $wait_quiet min); busy:"
    busy_java | cut -c1-120
    sleep 30
    waited=$((waited + 30))
  done
  if [[ -z "$(busy_java)" ]]; then
    quiet_note="waited $((waited / 60)) min $((waited % 60)) s for no other busy java/mvn process"
  else
    quiet_note="gave up waiting for a quiet machine after $wait_quiet min"
  fi
fi

# a snapshot of the packaged app, so that a rebuild during the run cannot change what is measured
snapshot=benchmarks/target/quarkus-app
rm -rf "$snapshot"
cp -r functions/target/quarkus-app "$snapshot"
app="$snapshot/quarkus-run.jar"

out=BENCHMARKS.md
extra=()
if $quick; then
  out=benchmarks/target/BENCHMARKS-quick.md
  extra+=(--quick)
fi
if [[ -n "$only" || -n "$set_props" ]]; then
  out=benchmarks/target/BENCHMARKS-experiment.md
  extra+=(--only "${only:-01234}" --set "$set_props")
fi

# the classpath goes in an argument file: ONNX Runtime 1.29 crashes (a stack overflow in its native start-up)
# on a 1 MiB thread stack when the process's command line is longer than about 3.5 KB
# (the JBoss log manager comes with ember-runtime's dependencies: naming it keeps the JDK from warning about it)
printf -- '-Djava.util.logging.manager=org.jboss.logmanager.LogManager\n-cp "%s"\n' \
  "$PWD/benchmarks/target/classes:$(cat "$classpath_file")" > benchmarks/target/java.args
java @benchmarks/target/java.args dev.ember.benchmarks.Main \
  --app "$app" --out "$out" --logs benchmarks/target/logs --command "$command_line" \
  --quiet-note "$quiet_note" "${extra[@]}" &
main_pid=$!
# the JVM's shutdown hook stops the Ember processes it started
trap 'kill "$main_pid" 2>/dev/null || true; wait "$main_pid" 2>/dev/null || true' INT TERM
wait "$main_pid"
