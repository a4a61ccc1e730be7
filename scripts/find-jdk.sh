# shellcheck shell=bash
# `find_jdk MIN`: prints a JDK home of feature release MIN or later: $JAVA_HOME when it is one, else the first
# under /usr/lib/jvm; prints nothing when there is none. Sourced by build-aot.sh and image-check.sh.
jdk_feature_release() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p'
}

find_jdk() {
  local min=$1 candidate release
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    if [[ -n $candidate && -x $candidate/bin/java && -x $candidate/bin/javac ]]; then
      release=$(jdk_feature_release "$candidate")
      if [[ -n $release && $release -ge $min ]]; then
        printf '%s' "$candidate"
        return 0
      fi
    fi
  done
}
