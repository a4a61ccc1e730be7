#!/usr/bin/env bash
# Fast start (README): builds the shipped application with Quarkus's aot-jar packaging on a JDK 25 and trains a JDK
# AOT cache for it on a short run (scripts/aot-train.sh: start, readiness, a few embeddings, SIGTERM).
#
#   scripts/build-aot.sh [extra mvn arguments...]
#
# Result: functions/target/quarkus-app/ with app.aot beside quarkus-run.jar; run it with the same JDK:
#   cd functions/target/quarkus-app && $JAVA_HOME/bin/java -XX:AOTCache=app.aot -jar quarkus-run.jar
# The JDK is $JAVA_HOME when it is 25 or later, else the first JDK 25+ under /usr/lib/jvm. Tests are skipped (the
# plain Java 17 build, `mvn -B verify`, is what CI runs). The cache is tied to that exact JDK build and to the jars
# as built here: rebuild or copy the jars elsewhere (other modification times) and train again.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '[build-aot] %s\n' "$*" >&2; }

# shellcheck source=scripts/find-jdk.sh
source "$ROOT/scripts/find-jdk.sh"
jdk=$(find_jdk 25)
[[ -n $jdk ]] || { log "no JDK 25 or later: set JAVA_HOME to one (the AOT cache needs JDK 25's -XX:AOTCacheOutput)"; exit 1; }
log "JDK: $jdk ($("$jdk/bin/java" -version 2>&1 | sed -n 2p))"

cd "$ROOT"
JAVA_HOME=$jdk mvn -B -q -Paot -pl functions -am package -DskipTests "$@"
JAVA_HOME=$jdk "$ROOT/scripts/aot-train.sh" "$ROOT/functions/target/quarkus-app"
