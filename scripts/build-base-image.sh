#!/usr/bin/env bash
# Builds Ember's JVM base image without a registry or a container daemon:
# debootstrap a minimal Debian bookworm into an empty buildah container, install
# openjdk-17-jre-headless (with bookworm-security updates) inside it, commit.
#
#   scripts/build-base-image.sh [--force]
#   EMBER_BASE_JDK=/usr/lib/jvm/temurin-25-jdk-amd64 scripts/build-base-image.sh [--force]
#
# Result: localhost/ember-base-jre:17 (override with EMBER_BASE_IMAGE) in buildah's
# vfs storage, which src/main/docker/Dockerfile.gpu and Dockerfile.native take as BASE_IMAGE.
# With EMBER_BASE_JDK, a JDK found on this machine (a directory with bin/java, e.g. the
# Temurin 25 under /usr/lib/jvm; no JDK 25 is packaged for bookworm) is copied into the
# image at /opt/java/jdk instead of installing OpenJDK 17, and the default name becomes
# localhost/ember-base-jdk:<feature release>, e.g. localhost/ember-base-jdk:25: the base of
# src/main/docker/Dockerfile.jvm, whose JDK AOT cache needs a JDK 25. The JDK's own
# licence files come with it (legal/, and its release file names the build).
# Needs root, buildah and debootstrap (apt-get install buildah debootstrap) and
# network to a Debian mirror (DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR).
# The image runs as root on purpose: the application Dockerfiles switch to uid 185
# after their own build steps. The user 185 is created here so that it has a
# passwd entry (the JVM and glibc look it up) and its home is /tmp, the only
# writable path at run time.
set -euo pipefail

JDK_DIR="${EMBER_BASE_JDK:-}"
jdk_release=""
if [[ -n "$JDK_DIR" ]]; then
  [[ -x "$JDK_DIR/bin/java" && -f "$JDK_DIR/release" ]] \
    || { echo "[build-base-image] EMBER_BASE_JDK=$JDK_DIR is not a JDK (no bin/java or release file)" >&2; exit 1; }
  jdk_release=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$JDK_DIR/release")
  [[ -n "$jdk_release" ]] || { echo "[build-base-image] cannot read JAVA_VERSION in $JDK_DIR/release" >&2; exit 1; }
fi
IMAGE="${EMBER_BASE_IMAGE:-${JDK_DIR:+localhost/ember-base-jdk:$jdk_release}}"
IMAGE="${IMAGE:-localhost/ember-base-jre:17}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
BUILDAH=(buildah --storage-driver "${STORAGE_DRIVER:-vfs}")

force=false
case "${1:-}" in
  --force) force=true ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

log() { printf '[build-base-image] %s\n' "$*" >&2; }

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { log "missing $tool (apt-get install -y buildah debootstrap)"; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { log "must run as root (debootstrap, vfs storage)"; exit 1; }

previous_id=$("${BUILDAH[@]}" images --quiet --no-trunc "$IMAGE" 2>/dev/null || true)
if ! $force && [[ -n "$previous_id" ]]; then
  log "$IMAGE already exists (use --force to rebuild)"
  exit 0
fi

ctr=""
mounted=false
cleanup() {
  local rc=$?
  if [[ -n "$ctr" ]]; then
    if $mounted; then "${BUILDAH[@]}" umount "$ctr" >/dev/null 2>&1 || true; fi
    "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true
  fi
  exit "$rc"
}
trap cleanup EXIT

start=$SECONDS
ctr=$("${BUILDAH[@]}" from --name "ember-base-build-$$" scratch)
rootfs=$("${BUILDAH[@]}" mount "$ctr")
mounted=true

# minbase: essential packages + apt only; the JRE comes in the next step so that it
# gets bookworm-security's build, which debootstrap (one suite only) cannot fetch.
log "debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --arch="$(dpkg --print-architecture)" "$SUITE" "$rootfs" "$MIRROR" >&2

rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# No documentation, man pages or translations in a runtime image (dpkg honours this
# for every later install too).
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/01-ember-nodoc" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
"${BUILDAH[@]}" umount "$ctr" >/dev/null
mounted=false

if [[ -n "$JDK_DIR" ]]; then
  log "copying the JDK $JDK_DIR into /opt/java/jdk"
  rootfs=$("${BUILDAH[@]}" mount "$ctr")
  mounted=true
  mkdir -p "$rootfs/opt/java"
  cp -a "$JDK_DIR/." "$rootfs/opt/java/jdk/"
  # root-owned and read-only to everyone else, whoever owned the copy on this machine
  chown -R 0:0 "$rootfs/opt/java/jdk"
  chmod -R go-w "$rootfs/opt/java/jdk"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  mounted=false
  java_package=""
else
  java_package=openjdk-17-jre-headless
fi

log "installing ${java_package:-the runtime libraries}"
# libstdc++6/libgcc-s1: ONNX Runtime's and the tokenizers' native libraries link them.
"${BUILDAH[@]}" run --isolation chroot --network host --env DEBIAN_FRONTEND=noninteractive \
  --env "JAVA_PACKAGE=$java_package" "$ctr" -- sh -euc '
  apt-get update -qq
  apt-get upgrade -y -qq
  apt-get install -y -qq --no-install-recommends $JAVA_PACKAGE libstdc++6 libgcc-s1 zlib1g ca-certificates
  groupadd --system --gid 185 ember
  useradd --system --uid 185 --gid 185 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin ember
  apt-get clean
  # debootstrap installed its packages before the nodoc rule existed: prune them too.
  find /usr/share/doc -type f ! -name copyright -delete
  find /usr/share/doc -type d -empty -delete
  rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/* \
         /usr/share/man/* /usr/share/info/* /usr/share/locale/* /usr/share/lintian/*
' >&2

if [[ -n "$JDK_DIR" ]]; then
  java_home=/opt/java/jdk
  jre_version=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$JDK_DIR/release")
  description="Debian $SUITE minbase + JDK $jre_version (copied from $(basename "$JDK_DIR"))"
  path_env="PATH=/opt/java/jdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  # shellcheck disable=SC2016 # expanded inside the image, not here
  java_home=$("${BUILDAH[@]}" run --isolation chroot "$ctr" -- sh -c 'dirname "$(dirname "$(readlink -f /usr/bin/java)")"')
  # shellcheck disable=SC2016 # a dpkg-query format, not a shell expression
  jre_version=$("${BUILDAH[@]}" run --isolation chroot "$ctr" -- dpkg-query -W -f '${Version}' openjdk-17-jre-headless)
  description="Debian $SUITE minbase + openjdk-17-jre-headless $jre_version"
  path_env="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
fi
"${BUILDAH[@]}" run --isolation chroot --env "$path_env" "$ctr" -- java -version >&2

"${BUILDAH[@]}" config \
  --env "JAVA_HOME=$java_home" \
  --env "$path_env" \
  --env LANG=C.UTF-8 \
  --cmd '["java","-version"]' \
  --label "org.opencontainers.image.title=ember-base-jre" \
  --label "org.opencontainers.image.description=$description" \
  --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  "$ctr"
"${BUILDAH[@]}" commit --quiet --rm "$ctr" "$IMAGE" >/dev/null
ctr=""
# The image this one replaces is now untagged: drop it unless a container still uses it.
if [[ -n "$previous_id" ]]; then
  "${BUILDAH[@]}" rmi "$previous_id" >/dev/null 2>&1 || true
fi

log "built $IMAGE (Java $jre_version, JAVA_HOME $java_home) in $((SECONDS - start))s"
