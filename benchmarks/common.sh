# Shared by benchmarks/run.sh and benchmarks/generate.sh (sourced from the repository root).

# other java/mvn processes above 20% CPU, one line each
busy_java() {
  ps -eo pcpu=,args= | awk '$1 > 20' | grep -E 'java|mvn' | grep -v -E 'grep|awk' || true
}

# wait_quiet MINUTES: polls every 30 s, at most MINUTES, until busy_java is empty; sets quiet_note ("" for 0 minutes)
wait_quiet() {
  local minutes="$1" waited=0
  quiet_note=""
  [[ "$minutes" -gt 0 ]] || return 0
  while [[ -n "$(busy_java)" && $waited -lt $((minutes * 60)) ]]; do
    echo "[bench] waiting for a quiet machine ($((waited / 60)) of $minutes min); busy:"
    busy_java | cut -c1-120
    sleep 30
    waited=$((waited + 30))
  done
  if [[ -z "$(busy_java)" ]]; then
    quiet_note="waited $((waited / 60)) min $((waited % 60)) s for no other busy java/mvn process"
  else
    quiet_note="gave up waiting for a quiet machine after $minutes min"
  fi
}

# snapshot_classpath CLASSPATH_FILE LIB_DIR: copies the reactor's jars named in the file (and the benchmark classes)
# into LIB_DIR, so that a rebuild during the run cannot change what is measured; sets classpath to the copies
# followed by the other entries
snapshot_classpath() {
  local file="$1" lib="$2" entries entry
  rm -rf "$lib"
  mkdir -p "$lib"
  classpath=""
  # (the file has no final newline, so read reports end of file after filling the array)
  IFS=: read -r -a entries < "$file" || [[ ${#entries[@]} -gt 0 ]]
  for entry in "${entries[@]}"; do
    if [[ "$entry" == "$PWD"/* ]]; then
      cp "$entry" "$lib/"
      entry="$PWD/$lib/$(basename "$entry")"
    fi
    classpath="${classpath:+$classpath:}$entry"
  done
  cp -r benchmarks/target/classes "$lib/classes"
}
