#!/usr/bin/env bash
# Runs the generation scenario (text generation on a decoder of GPT-2-small shape with seeded random weights) against
# the packaged application and a raw in-process ONNX Runtime greedy loop, and rewrites only the "Generation" section
# of BENCHMARKS.md (between its <!-- generation:begin --> and <!-- generation:end --> markers; appended when absent).
#
#   benchmarks/generate.sh [--wait-quiet MINUTES] [--build] [--quick] [--set KEY=VALUE,...]
#
#   --wait-quiet N  first wait (polling every 30 s, at most N minutes) until no other java/mvn process is above 20%
#                   CPU in `ps -eo pcpu,args`; the section says whether the machine was quiet
#   --build         rebuild even when the packaged app and the benchmark classes exist
#   --quick         a two-layer model, shorter streams and windows, written to benchmarks/target/BENCHMARKS-quick.md
#                   (a smoke test of the harness, not a measurement; about 1 minute)
#   --set k=v,...   an experiment: add these -D options to every Ember process (the raw loop follows
#                   ember.onnx.intra-op-threads, ember.functions.gpt2.concurrency and ember.onnx.allow-spinning);
#                   written to benchmarks/target/BENCHMARKS-generate-experiment.md, never to BENCHMARKS.md
#
# The model (about 650 MB) is written to benchmarks/target/gpt2-small-random/ on the first run and reused while its
# shape is unchanged. Builds with `mvn -B -DskipTests package -pl functions,benchmarks -am` when needed (never install;
# extra Maven options in $MVN_ARGS, e.g. -o). Servers listen on 127.0.0.1 only and are stopped when the run ends or is
# interrupted. About 6 minutes on 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/.."

command_line="benchmarks/generate.sh${*:+ $*}"
wait_quiet=0
build=false
quick=false
set_props=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wait-quiet) wait_quiet="${2:?--wait-quiet needs a number of minutes}"; shift 2 ;;
    --build) build=true; shift ;;
    --quick) quick=true; shift ;;
    --set) set_props="${2:?--set needs key=value pairs}"; shift 2 ;;
    *) echo "unknown option: $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done

app=functions/target/quarkus-app/quarkus-run.jar
classpath_file=benchmarks/target/classpath.txt
if $build || [[ ! -f "$app" || ! -f "$classpath_file" || ! -d benchmarks/target/classes ]]; then
  # shellcheck disable=SC2086
  mvn -B ${MVN_ARGS:-} -DskipTests package -pl functions,benchmarks -am
fi

source benchmarks/common.sh
wait_quiet "$wait_quiet"

# snapshots of the packaged app and of the reactor's jars on the classpath, so that a rebuild during the run cannot
# change what is measured (separate from run.sh's, so that the two can run one after the other)
snapshot=benchmarks/target/generate-app
rm -rf "$snapshot"
cp -r functions/target/quarkus-app "$snapshot"
snapshot_classpath "$classpath_file" benchmarks/target/generate-lib

out=BENCHMARKS.md
model_dir=benchmarks/target/gpt2-small-random
extra=()
if $quick; then
  out=benchmarks/target/BENCHMARKS-quick.md
  model_dir=benchmarks/target/gpt2-quick-random
  extra+=(--quick)
fi
if [[ -n "$set_props" ]]; then
  out=benchmarks/target/BENCHMARKS-generate-experiment.md
  extra+=(--set "$set_props")
fi

# the classpath goes in an argument file (ONNX Runtime's native start-up overflows a 1 MiB stack on a long command line)
printf -- '-Djava.util.logging.manager=org.jboss.logmanager.LogManager\n-cp "%s"\n' \
  "$PWD/benchmarks/target/generate-lib/classes:$classpath" > benchmarks/target/generate-java.args
java @benchmarks/target/generate-java.args dev.ember.benchmarks.GenerateMain \
  --app "$snapshot/quarkus-run.jar" --out "$out" --model-dir "$model_dir" \
  --logs benchmarks/target/logs --command "$command_line" --quiet-note "$quiet_note" "${extra[@]}" &
main_pid=$!
# the JVM's shutdown hook stops the server processes it started
trap 'kill "$main_pid" 2>/dev/null || true; wait "$main_pid" 2>/dev/null || true' INT TERM
wait "$main_pid"
