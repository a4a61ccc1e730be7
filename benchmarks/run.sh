#!/usr/bin/env bash
# Runs every benchmark scenario against the packaged application and the DIY peer (benchmarks/diy-peer), side by
# side in one run, and rewrites BENCHMARKS.md.
#
#   benchmarks/run.sh [--wait-quiet MINUTES] [--build] [--quick] [--only DIGITS] [--set KEY=VALUE,...]
#                     [--aot-command 'JAVA ... -jar .../quarkus-run.jar' [--aot-dir DIR]]
#
#   --wait-quiet N  first wait (polling every 30 s, at most N minutes) until no other java/mvn process is
#                   above 20% CPU in `ps -eo pcpu,args`; the report says whether the machine was quiet
#   --build         rebuild even when the packaged apps and the benchmark classes exist
#   --quick         a tenth of the counts and durations, one start per kind, written to
#                   benchmarks/target/BENCHMARKS-quick.md (a smoke test of the harness, not a measurement; ~2 min)
#   --only 13       experiments: run only these scenarios (0-7; 4 implies 3) ...
#   --set k=v,...   ... and/or add these -D options to every Ember process (e.g. ember.onnx.intra-op-threads=1;
#                   the DIY peer runs as packaged); written to benchmarks/target/BENCHMARKS-experiment.md, never
#                   to BENCHMARKS.md
#   --aot-command C how to start Ember with the JDK 25 AOT cache (the harness adds its -D options after the first
#                   word); without it, a JDK 25 java (under /usr/lib/jvm, or $AOT_JAVA) and an app.aot beside a
#                   quarkus-run.jar under functions/target are detected (and run in that directory); with
#                   neither, the report says "not run"
#   --aot-dir DIR   where --aot-command runs (default: the repository root)
#
# Scenarios: 0 start-up and memory, 1 one client, 2 32 clients on one text, 3 32 clients on a length mix,
# 4 open loop at 80% of the DIY peer's capacity, 5 model cold start, 6 Ember's batching on and off, 7 many models.
#
# Builds with `mvn -B -DskipTests package -pl functions,benchmarks,benchmarks/diy-peer -am` when needed (never
# install: the classpath comes from the same reactor; extra Maven options in $MVN_ARGS, e.g. -o). Every server
# process listens on 127.0.0.1 only and is stopped when the run ends or is interrupted. About 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

command_line="benchmarks/run.sh${*:+ $*}"
wait_quiet=0
build=false
quick=false
only=""
set_props=""
aot_command=""
aot_dir="$PWD"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wait-quiet) wait_quiet="${2:?--wait-quiet needs a number of minutes}"; shift 2 ;;
    --build) build=true; shift ;;
    --quick) quick=true; shift ;;
    --only) only="${2:?--only needs scenario digits}"; shift 2 ;;
    --set) set_props="${2:?--set needs key=value pairs}"; shift 2 ;;
    --aot-command) aot_command="${2:?--aot-command needs a command}"; shift 2 ;;
    --aot-dir) aot_dir="${2:?--aot-dir needs a directory}"; shift 2 ;;
    *) echo "unknown option: $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done

app=functions/target/quarkus-app/quarkus-run.jar
diy_app=benchmarks/diy-peer/target/quarkus-app/quarkus-run.jar
classpath_file=benchmarks/target/classpath.txt
if $build || [[ ! -f "$app" || ! -f "$diy_app" || ! -f "$classpath_file" || ! -d benchmarks/target/classes ]]; then
  # shellcheck disable=SC2086
  mvn -B ${MVN_ARGS:-} -DskipTests package -pl functions,benchmarks,benchmarks/diy-peer -am
fi

source benchmarks/common.sh
wait_quiet "$wait_quiet"

# snapshots of the packaged apps and of the reactor's jars on the benchmark's classpath, so that a rebuild during
# the run cannot change what is measured (the AOT build is not copied: its cache is tied to its classpath's paths)
snapshot=benchmarks/target/quarkus-app
rm -rf "$snapshot" benchmarks/target/diy-app
cp -r functions/target/quarkus-app "$snapshot"
app="$snapshot/quarkus-run.jar"
cp -r benchmarks/diy-peer/target/quarkus-app benchmarks/target/diy-app
diy_app=benchmarks/target/diy-app/quarkus-run.jar
snapshot_classpath "$classpath_file" benchmarks/target/bench-lib

aot_args=()
if [[ -n "$aot_command" ]]; then
  aot_args=(--aot-command "$aot_command" --aot-dir "$aot_dir")
else
  aot_java="${AOT_JAVA:-$(ls -d /usr/lib/jvm/*-25*/bin/java /usr/lib/jvm/*25-jdk*/bin/java 2>/dev/null | head -1 || true)}"
  aot_cache="$(find functions/target -maxdepth 3 -name app.aot 2>/dev/null | head -1 || true)"
  if [[ -z "$aot_java" || ! -x "$aot_java" ]]; then
    aot_args=(--aot-absent "no JDK 25 java found (under /usr/lib/jvm, or \$AOT_JAVA)")
  elif [[ -z "$aot_cache" || ! -f "$(dirname "$aot_cache")/quarkus-run.jar" ]]; then
    aot_args=(--aot-absent "no AOT cache: no app.aot beside a quarkus-run.jar under functions/target (build it first, or pass --aot-command)")
  else
    # run where the cache was trained (Quarkus trains it in its quarkus-app directory): the class path matches
    aot_args=(--aot-command "$aot_java -XX:AOTCache=app.aot -XX:AOTMode=on -jar quarkus-run.jar"
      --aot-dir "$PWD/$(dirname "$aot_cache")")
  fi
fi

out=BENCHMARKS.md
extra=()
if $quick; then
  out=benchmarks/target/BENCHMARKS-quick.md
  extra+=(--quick)
fi
if [[ -n "$only" || -n "$set_props" ]]; then
  out=benchmarks/target/BENCHMARKS-experiment.md
  extra+=(--only "${only:-01234567}" --set "$set_props")
fi

# the classpath goes in an argument file: ONNX Runtime 1.29 crashes (a stack overflow in its native start-up)
# on a 1 MiB thread stack when the process's command line is longer than about 3.5 KB
# (the JBoss log manager comes with ember-runtime's dependencies: naming it keeps the JDK from warning about it)
printf -- '-Djava.util.logging.manager=org.jboss.logmanager.LogManager\n-cp "%s"\n' \
  "$PWD/benchmarks/target/bench-lib/classes:$classpath" > benchmarks/target/java.args
java @benchmarks/target/java.args dev.ember.benchmarks.Main \
  --app "$app" --diy-app "$diy_app" --out "$out" --logs benchmarks/target/logs --command "$command_line" \
  --quiet-note "$quiet_note" "${aot_args[@]}" "${extra[@]}" &
main_pid=$!
# the JVM's shutdown hook stops the server processes it started
trap 'kill "$main_pid" 2>/dev/null || true; wait "$main_pid" 2>/dev/null || true' INT TERM
wait "$main_pid"
