#!/usr/bin/env bash
# Builds the JVM image (src/main/docker/Dockerfile.jvm) with buildah and runs it the way
# Knative would, without a daemon or a cluster:
#   - uid 185 (the image's USER), read-only root filesystem, a tmpfs at /tmp, $PORT and
#     Knative's K_SERVICE/K_REVISION/K_CONFIGURATION set (the revision must show in the log);
#   - proves the root is read-only (a write as uid 0 inside fails with EROFS) and /tmp is
#     writable, and that the running JVM itself has "/" mounted read-only;
#   - waits for GET /v2/health/ready = 200, makes one POST /functions/embed and checks the
#     answer holds a 384-element embedding;
#   - sends SIGTERM to the JVM (as the kubelet does) and checks it exits in time;
#   - prints the image size and the time from container start to ready.
#
#   scripts/image-check.sh [--package]
#
# --package runs `mvn -B -q -Paot package -DskipTests` on a JDK 25 first; without it the
# existing functions/target/quarkus-app is used (and packaged only if missing). The base
# image (scripts/build-base-image.sh, with EMBER_BASE_JDK = that JDK 25) is built if missing.
# The JDK 25 is $JAVA_HOME when it is one, else the first under /usr/lib/jvm. Needs root, buildah, curl, ss and
# unshare; network only to 127.0.0.1 (and to Debian's mirror when the base is built).
# Every wait is bounded; the last line is `image-check: PASS` or `image-check: FAIL <why>`
# and the exit status is 0 only for PASS.
#
# Knobs (environment): EMBER_BASE_IMAGE (localhost/ember-base-jdk:25),
# EMBER_CHECK_IMAGE (localhost/ember:jvm-check), EMBER_CHECK_PORT (8080),
# EMBER_CHECK_READY_TIMEOUT (240 s), EMBER_CHECK_KEEP=1 keeps the work directory.
#
# How the read-only root is made: buildah run has no --read-only, and with chroot
# isolation it bind-mounts the container's root directory into its own mount namespace,
# inheriting that mount's flags. So each `buildah run` is started inside a private mount
# namespace (unshare -m) in which the container's root directory has been bind-mounted
# read-only onto itself, with a tmpfs on /tmp (the emptyDir) and a root-only tmpfs on /run
# (buildah creates and deletes its /run/.containerenv there around every run).
# Needs about 2 GB free under /var/lib/containers (vfs keeps full copies) and /var/tmp.
# Without root: sudo scripts/image-check.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_IMAGE="${EMBER_BASE_IMAGE:-localhost/ember-base-jdk:25}"
IMAGE="${EMBER_CHECK_IMAGE:-localhost/ember:jvm-check}"
PORT="${EMBER_CHECK_PORT:-8080}"
READY_TIMEOUT="${EMBER_CHECK_READY_TIMEOUT:-240}"
BUILD_TIMEOUT=900
PACKAGE_TIMEOUT=1800
REQUEST_TIMEOUT=60
STOP_TIMEOUT=60
EMBEDDING_SIZE=384
APP_DIR="$ROOT/functions/target/quarkus-app"
BUILDAH=(buildah --storage-driver vfs)

started=$SECONDS
work=""
ctr=""
buildah_pid=""
java_pid=""
failure=""

log() { printf '[image-check] %s\n' "$*"; }
fail() { failure="$*"; exit 1; }

# Waits up to $2 seconds (polling every 0.1 s) for process $1 to be gone.
wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Wall-clock seconds with milliseconds, for start-to-ready.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

on_error() { [[ -n "$failure" ]] || failure="unexpected error (line $1: $2)"; }
trap 'on_error "$LINENO" "$BASH_COMMAND"' ERR

cleanup() {
  local rc=$?
  trap - ERR
  set +e
  # Only the processes this script started: the JVM it found, then its buildah run.
  if [[ -n "$java_pid" ]] && kill -0 "$java_pid" 2>/dev/null; then
    kill -KILL "$java_pid" 2>/dev/null
  fi
  if [[ -n "$buildah_pid" ]] && kill -0 "$buildah_pid" 2>/dev/null; then
    kill -TERM "$buildah_pid" 2>/dev/null
    wait_gone "$buildah_pid" 10 || kill -KILL "$buildah_pid" 2>/dev/null
  fi
  if [[ -n "$ctr" ]]; then
    "${BUILDAH[@]}" umount "$ctr" >/dev/null 2>&1
    "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1
  fi
  if [[ -n "$work" ]]; then
    if [[ $rc -ne 0 && -s "$work/app.log" ]]; then
      log "last lines of the application log:"
      tail -n 40 "$work/app.log" | sed 's/^/    /'
    fi
    if [[ "${EMBER_CHECK_KEEP:-0}" == 1 ]]; then log "kept $work"; else rm -rf "$work"; fi
  fi
  log "total time $((SECONDS - started))s"
  if [[ $rc -eq 0 ]]; then
    echo "image-check: PASS"
  else
    echo "image-check: FAIL ${failure:-exit status $rc}"
    [[ $rc -ne 0 ]] || rc=1
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'failure="interrupted"; exit 130' INT TERM

# --- preconditions ---------------------------------------------------------------------
package=false
case "${1:-}" in
  --package) package=true ;;
  "") ;;
  *) echo "usage: $0 [--package]" >&2; failure="bad arguments"; exit 2 ;;
esac
[[ $(id -u) -eq 0 ]] || fail "must run as root (buildah vfs storage, mount namespaces)"
for tool in buildah curl ss unshare mount timeout awk gzip; do
  command -v "$tool" >/dev/null || fail "missing tool: $tool"
done
[[ "$PORT" =~ ^[0-9]+$ ]] || fail "EMBER_CHECK_PORT must be a number"
# chroot isolation shares the host network: something else on the port would answer for us.
if ss -Hltn "sport = :$PORT" | grep -q .; then
  fail "port $PORT is already in use on this machine (set EMBER_CHECK_PORT)"
fi

# shellcheck source=scripts/find-jdk.sh
source "$ROOT/scripts/find-jdk.sh"
JDK=$(find_jdk 25)
[[ -n "$JDK" ]] || fail "no JDK 25 or later (JAVA_HOME or /usr/lib/jvm): the image's AOT cache needs one"

work=$(mktemp -d /var/tmp/ember-image-check.XXXXXX)

# --- application -----------------------------------------------------------------------
if $package || [[ ! -f "$APP_DIR/quarkus-run.jar" ]]; then
  log "packaging the application (mvn -B -q -Paot package -DskipTests, JAVA_HOME=$JDK)"
  t=$SECONDS
  (cd "$ROOT" && JAVA_HOME=$JDK timeout "$PACKAGE_TIMEOUT" mvn -B -q -Paot package -DskipTests) \
    || fail "mvn package failed"
  log "packaged in $((SECONDS - t))s"
fi
[[ -f "$APP_DIR/quarkus-run.jar" && -f "$APP_DIR/quarkus/quarkus-application.dat" ]] \
  || fail "no packaged application in $APP_DIR"

# Snapshot the build context: the checkout is shared, and a concurrent `mvn package`
# rewriting quarkus-app mid-COPY would break the build or mix two versions.
ctx="$work/context"
mkdir -p "$ctx/functions/target" "$ctx/src/main/docker" "$ctx/scripts"
cp -a "$APP_DIR" "$ctx/functions/target/"
cp "$ROOT/src/main/docker/prepare-natives.sh" "$ctx/src/main/docker/"
cp "$ROOT/scripts/aot-train.sh" "$ROOT/scripts/http.sh" "$ctx/scripts/"
[[ -f "$ctx/functions/target/quarkus-app/quarkus-run.jar" ]] || fail "the application changed while being copied; retry"

# --- images ----------------------------------------------------------------------------
if ! "${BUILDAH[@]}" inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE missing: building it"
  t=$SECONDS
  EMBER_BASE_IMAGE="$BASE_IMAGE" EMBER_BASE_JDK="$JDK" timeout "$BUILD_TIMEOUT" "$ROOT/scripts/build-base-image.sh" \
    || fail "base image build failed"
  log "base image built in $((SECONDS - t))s"
fi

previous_id=$("${BUILDAH[@]}" images --quiet --no-trunc "$IMAGE" 2>/dev/null || true)
log "building $IMAGE from src/main/docker/Dockerfile.jvm"
t=$SECONDS
timeout "$BUILD_TIMEOUT" "${BUILDAH[@]}" build --quiet --isolation chroot \
  -f "$ROOT/src/main/docker/Dockerfile.jvm" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  -t "$IMAGE" "$ctx" >"$work/build.log" 2>&1 \
  || { sed 's/^/    /' "$work/build.log" | tail -n 30; fail "image build failed"; }
log "image built in $((SECONDS - t))s"
image_id=$("${BUILDAH[@]}" images --quiet --no-trunc "$IMAGE")
# The previous check image is now untagged: drop it rather than pile up copies in vfs.
if [[ -n "$previous_id" && "$previous_id" != "$image_id" ]]; then
  "${BUILDAH[@]}" rmi "$previous_id" >/dev/null 2>&1 || true
fi

# Size as a registry holds it: export the image (gzip layers, as pushed and pulled) and
# count each layer both compressed and uncompressed.
t=$SECONDS
timeout 600 "${BUILDAH[@]}" push --quiet "$IMAGE" "oci:$work/oci:check" >/dev/null 2>&1 \
  || fail "could not export the image to measure it"
size_compressed=0
size_uncompressed=0
for blob in "$work"/oci/blobs/sha256/*; do
  compressed=$(stat -c %s "$blob")
  # Layers are gzip; the manifest and the config are small JSON counted as they are.
  uncompressed=$(gzip -dc "$blob" 2>/dev/null | wc -c) || uncompressed=$compressed
  size_compressed=$((size_compressed + compressed))
  size_uncompressed=$((size_uncompressed + uncompressed))
done
rm -rf "$work/oci"
log "image size: ${size_uncompressed} bytes ($((size_uncompressed / 1000000)) MB) uncompressed," \
  "${size_compressed} bytes ($((size_compressed / 1000000)) MB) compressed (measured in $((SECONDS - t))s)"

# --- container -------------------------------------------------------------------------
ctr=$("${BUILDAH[@]}" from --quiet --name "ember-image-check-$$" "$IMAGE")
rootfs=$("${BUILDAH[@]}" mount "$ctr")

user=$("${BUILDAH[@]}" inspect --type container --format '{{.OCIv1.Config.User}}' "$ctr")
[[ "$user" == 185 || "$user" == 185:* ]] || fail "image USER is '$user', expected 185"
entrypoint=()
while IFS= read -r -d '' word; do entrypoint+=("$word"); done < <(
  "${BUILDAH[@]}" inspect --type container --format '{{range .OCIv1.Config.Entrypoint}}{{.}}{{"\x00"}}{{end}}' "$ctr")
[[ ${#entrypoint[@]} -gt 0 ]] || fail "image has no ENTRYPOINT"

# buildah run inside a private mount namespace where the container root is read-only;
# callers append run options, the container, -- and the command. No --user by default:
# the image's own USER applies (the probe also tries as root). /tmp is a fresh tmpfs, as
# an emptyDir would be. /run gets a root-owned tmpfs for buildah's own /run/.containerenv,
# which it creates before and deletes after each run (impossible on a read-only root);
# uid 185 cannot write there, and the probe shows it.
# shellcheck disable=SC2016 # expanded by the inner sh
run_read_only=(unshare --mount --propagation private -- sh -c '
    root=$1; shift
    mount --bind "$root" "$root" &&
    mount -t tmpfs -o mode=1777,size=256m,nosuid,nodev ember-tmp "$root/tmp" &&
    mount -t tmpfs -o mode=0755,size=1m,nosuid,nodev,noexec ember-run "$root/run" &&
    mount -o remount,bind,ro "$root" &&
    exec "$@"
  ' sh "$rootfs" "${BUILDAH[@]}" run --isolation chroot --network host)

# Each path: "w <path>" when a write succeeded, else "r <path> <error>"; then the uid and
# an end marker. One printf: buildah's output relay has been seen to drop a last line
# under heavy load, and a probe that lost its end marker is run again (up to 3 times).
# shellcheck disable=SC2016 # runs inside the container
probe='
result=""
for dir in / /deployments /deployments/lib/main /opt/ember/native /etc /usr /var/tmp /home /run /tmp; do
  if err=$(touch "$dir/.ember-write-probe" 2>&1); then result="${result}w $dir\n"; else result="${result}r $dir ${err##*: }\n"; fi
done
printf "${result}uid %s\nend\n" "$(id -u)"'
run_probe() {
  local attempt output
  for attempt in 1 2 3; do
    output=$(timeout 60 "${run_read_only[@]}" "$@" "$ctr" -- sh -c "$probe" 2>&1) || { echo "$output"; return 1; }
    if grep -qx end <<<"$output"; then grep -vx end <<<"$output"; return 0; fi
    log "probe output incomplete (attempt $attempt), running it again" >&2
  done
  echo "$output"
  return 1
}
log "read-only root check (a write attempted in each directory, inside the container):"
out_root=$(run_probe --user 0:0) || fail "probe as root failed: $out_root"
out_user=$(run_probe) || fail "probe as the image user failed: $out_user"
printf '%s\n' "$out_root" | sed 's/^/    [as uid 0]      /'
printf '%s\n' "$out_user" | sed 's/^/    [as image user] /'
grep -qx 'uid 185' <<<"$out_user" || fail "the image does not run as uid 185"
grep -qx 'w /tmp' <<<"$out_user" || fail "/tmp is not writable for uid 185"
if grep '^w ' <<<"$out_user" | grep -qvx 'w /tmp'; then fail "uid 185 can write outside /tmp"; fi
# uid 0 passes permission checks: only a read-only mount can have stopped it
# (/run is the harness's own tmpfs, see above).
if grep '^r ' <<<"$out_root" | grep -qv 'Read-only file system$'; then
  fail "as uid 0 a write failed for another reason than a read-only root"
fi
if grep '^w ' <<<"$out_root" | grep -qvx -e 'w /tmp' -e 'w /run'; then
  fail "the root filesystem is writable"
fi
log "read-only root: uid 0 gets EROFS everywhere but /tmp (and the harness's /run); uid 185 writes only /tmp"

# --- start, ready, embed, stop -----------------------------------------------------------
revision=ember-image-check-00001
log "starting the application: PORT=$PORT K_REVISION=$revision ${entrypoint[*]}"
t_start=$(now)
"${run_read_only[@]}" --env "PORT=$PORT" --env K_SERVICE=ember-image-check \
  --env "K_REVISION=$revision" --env K_CONFIGURATION=ember-image-check \
  "$ctr" -- "${entrypoint[@]}" >"$work/app.log" 2>&1 &
buildah_pid=$!

# The JVM: a descendant of our buildah run whose command is java.
find_java() {
  local frontier=("$buildah_pid") next pid comm
  while [[ ${#frontier[@]} -gt 0 ]]; do
    next=()
    for pid in "${frontier[@]}"; do
      while read -r child comm; do
        [[ "$comm" == java ]] && { printf '%s\n' "$child"; return 0; }
        next+=("$child")
      done < <(ps -o pid=,comm= --ppid "$pid" 2>/dev/null || true)
    done
    frontier=("${next[@]}")
  done
  return 1
}

deadline=$((SECONDS + READY_TIMEOUT))
status=000
while ((SECONDS < deadline)); do
  kill -0 "$buildah_pid" 2>/dev/null || fail "the application exited before it was ready"
  [[ -n "$java_pid" ]] || java_pid=$(find_java || true)
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/v2/health/ready" || true)
  [[ "$status" == 200 ]] && break
  sleep 0.2
done
t_ready=$(now)
[[ "$status" == 200 ]] || fail "/v2/health/ready not 200 within ${READY_TIMEOUT}s (last: $status)"
ready_seconds=$(elapsed "$t_start" "$t_ready")
log "ready: /v2/health/ready = 200, ${ready_seconds}s after container start"
started_line=$(grep -Eo 'started in [0-9.]+s' "$work/app.log" | head -n 1 || true)
[[ -z "$started_line" ]] || log "  (Quarkus reports: $started_line)"
grep -q "$revision" "$work/app.log" || fail "the log lines do not carry K_REVISION ($revision)"

[[ -n "$java_pid" ]] || fail "could not find the JVM process"
# What Kubernetes would see: the JVM itself, as uid 185, on a read-only "/".
java_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$java_pid/status")
[[ "$java_uid" == 185 ]] || fail "the JVM runs as uid $java_uid, not 185"
parent_comm=$(ps -o comm= -p "$(ps -o ppid= -p "$java_pid" | tr -d ' ')" || true)
[[ "$parent_comm" != sh && "$parent_comm" != bash ]] \
  || fail "java runs under a shell ($parent_comm): SIGTERM would not reach it"
root_mount=$(awk '$5 == "/" { print $6 }' "/proc/$java_pid/mountinfo" | head -n 1)
[[ "$root_mount" == ro* ]] || fail "the JVM's root mount is '$root_mount', not read-only"
log "JVM pid $java_pid: uid $java_uid, parent '$parent_comm' (no shell in between), '/' mounted $root_mount"
ss -Hltnp "sport = :$PORT" | grep -q "pid=$java_pid," \
  || fail "port $PORT is not held by the JVM of this check"

t=$(now)
embed_status=$(curl -s -o "$work/embed.json" -w '%{http_code}' --max-time "$REQUEST_TIMEOUT" \
  -H 'Content-Type: application/json' -d '{"input":"hello world"}' \
  "http://127.0.0.1:$PORT/functions/embed" || true)
embed_seconds=$(elapsed "$t" "$(now)")
[[ "$embed_status" == 200 ]] || fail "POST /functions/embed answered $embed_status: $(head -c 300 "$work/embed.json" 2>/dev/null)"
# The first "embedding": [ ... ] array of plain numbers in the answer.
numbers=$(grep -o '"embedding"[[:space:]]*:[[:space:]]*\[[^]]*\]' "$work/embed.json" | head -n 1 \
  | sed 's/^[^[]*\[//; s/\]$//' | tr ',' '\n' | tr -d ' \t\r' \
  | grep -cE '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$' || true)
[[ "$numbers" -eq $EMBEDDING_SIZE ]] \
  || fail "embed answer has $numbers numbers in \"embedding\", expected $EMBEDDING_SIZE: $(head -c 200 "$work/embed.json")"
log "embed: 200 with a $numbers-element embedding in ${embed_seconds}s (first request)"

# The native code must come from the image, not from a copy in /tmp.
native_maps=$(grep -oE '/opt/ember/native/[^ ]+\.so' "/proc/$java_pid/maps" | sort -u | tr '\n' ' ')
[[ "$native_maps" == */opt/ember/native/onnxruntime/libonnxruntime.so* ]] \
  || fail "the JVM did not load ONNX Runtime from /opt/ember/native (mapped: ${native_maps:-none})"
[[ "$native_maps" == */opt/ember/native/tokenizers/libtokenizers.so* ]] \
  || fail "the JVM did not load the tokenizers from /opt/ember/native (mapped: ${native_maps:-none})"
tmp_libs=$(find "/proc/$java_pid/root/tmp" -name '*.so*' 2>/dev/null | head -n 3 || true)
[[ -z "$tmp_libs" ]] || fail "native libraries were extracted to /tmp: $tmp_libs"
log "native libraries mapped from the image: $native_maps"

tmp_usage=$(du -sk "/proc/$java_pid/root/tmp" 2>/dev/null | cut -f1 || echo "?")
tmp_entries=$(find "/proc/$java_pid/root/tmp" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null || true)
log "/tmp in use by the running application: ${tmp_usage} KiB (${tmp_entries:-empty})"

log "sending SIGTERM to the JVM"
t=$(now)
kill -TERM "$java_pid"
if ! wait_gone "$java_pid" "$STOP_TIMEOUT"; then
  fail "the JVM did not exit within ${STOP_TIMEOUT}s of SIGTERM"
fi
stop_seconds=$(elapsed "$t" "$(now)")
java_pid=""
app_rc=0
wait_gone "$buildah_pid" 10 || fail "buildah run did not end after the JVM exited"
wait "$buildah_pid" || app_rc=$?
buildah_pid=""
# 143 = 128 + SIGTERM: the JVM's status after it handled the signal and ran its shutdown
# hooks (Quarkus's graceful shutdown among them); a JVM killed outright makes buildah
# report "exited on killed" and status 1.
[[ $app_rc -eq 0 || $app_rc -eq 143 ]] || fail "the application exited with status $app_rc after SIGTERM"
# buildah 1.28's output relay can lose a process's last lines at exit, so Quarkus's
# shutdown line is reported when present, not required.
stopped_line=$(grep -Eo 'stopped in [0-9.]+s' "$work/app.log" | tail -n 1 || true)
log "stopped: exit status $app_rc, ${stopped_line:-Quarkus shutdown line not captured}, ${stop_seconds}s after SIGTERM"

log "summary: image $((size_uncompressed / 1000000)) MB ($((size_compressed / 1000000)) MB compressed), start-to-ready ${ready_seconds}s, first embed ${embed_seconds}s"
