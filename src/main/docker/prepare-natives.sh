#!/usr/bin/env bash
# Runs inside the builder stage of Dockerfile.jvm / .gpu / .native, never at run time.
#
#   prepare-natives.sh [--gpu] LIB_MAIN_DIR OUT_DIR
#
# --gpu: the application must carry onnxruntime_gpu (mvn -Pgpu); without it, it must not
# (a CPU image cannot load the CUDA provider, and its libraries would be dead weight).
#
# ONNX Runtime and DJL's tokenizers ship their native libraries inside their jars and
# copy them out to a writable directory on first use. In a read-only container that costs
# a writable /tmp big enough for them (an emptyDir, memory-backed on many clusters: about
# 45 MB on CPU, 620 MB with the CUDA provider) and the copy on every cold start. So:
#   - the current architecture's libraries go to OUT_DIR/onnxruntime and OUT_DIR/tokenizers,
#     which the image points at with -Donnxruntime.native.path and RUST_LIBRARY_PATH;
#   - both jars are rewritten in place without any bundled native library (every
#     platform's), so the image holds one copy instead of two. Classes, resources and the
#     Maven metadata that scanners use are kept.
# Uses the jar tool of the image's own Java (module jdk.jartool: Debian's and Ubuntu's
# openjdk-17-jre-headless have it), so the base image needs no unzip.
set -euo pipefail

die() { echo "prepare-natives: $*" >&2; exit 1; }

gpu=false
if [[ "${1:-}" == --gpu ]]; then gpu=true; shift; fi
[[ $# -eq 2 ]] || die "usage: $0 [--gpu] LIB_MAIN_DIR OUT_DIR"
lib_dir=$1
out_dir=$2
[[ -d "$lib_dir" ]] || die "no directory $lib_dir (is the application packaged?)"

case "$(uname -m)" in
  x86_64) ort_platform=linux-x64; djl_platform=linux-x86_64 ;;
  aarch64) ort_platform=linux-aarch64; djl_platform=linux-aarch64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

java --list-modules 2>/dev/null | grep -q '^jdk\.jartool@' \
  || die "the base image's java lacks module jdk.jartool (use a JDK or Debian/Ubuntu's openjdk-17-jre-headless)"
jar() { java -m jdk.jartool/sun.tools.jar.Main "$@"; }

# The one jar in lib_dir matching a glob; more than one means a broken dependency tree.
find_jar() {
  local matches=()
  mapfile -t matches < <(find "$lib_dir" -maxdepth 1 -name "$1" | sort)
  [[ ${#matches[@]} -le 1 ]] || die "more than one jar matches $1: ${matches[*]}"
  [[ ${#matches[@]} -eq 1 ]] && printf '%s\n' "${matches[0]}"
  return 0
}

# Unpacks JAR to a fresh directory and prints that directory.
unpack() {
  local dir
  dir=$(mktemp -d)
  (cd "$dir" && jar xf "$1")
  printf '%s\n' "$dir"
}

# Rewrites JAR from the unpacked DIR with the same manifest. Fixed entry dates and the
# original file's mtime keep the jar, and so the image layer, identical across builds.
repack() {
  local jar_file=$1 dir=$2 manifest=()
  [[ -f "$dir/META-INF/MANIFEST.MF" ]] && manifest=(--manifest "$dir/META-INF/MANIFEST.MF")
  jar --create --file "$jar_file.new" "${manifest[@]}" --date=1980-02-01T00:00:00Z -C "$dir" .
  touch -r "$jar_file" "$jar_file.new"
  mv "$jar_file.new" "$jar_file"
  rm -rf "$dir"
}

mkdir -p "$out_dir/onnxruntime" "$out_dir/tokenizers"

# ONNX Runtime (onnxruntime or onnxruntime_gpu: same layout, the GPU jar adds the providers).
ort_jar=$(find_jar 'com.microsoft.onnxruntime.onnxruntime*.jar')
[[ -n "$ort_jar" ]] || die "no ONNX Runtime jar in $lib_dir"
dir=$(unpack "$ort_jar")
src="$dir/ai/onnxruntime/native/$ort_platform"
[[ -f "$src/libonnxruntime.so" ]] || die "$(basename "$ort_jar") has no $ort_platform/libonnxruntime.so"
if $gpu; then
  [[ -f "$src/libonnxruntime_providers_cuda.so" ]] \
    || die "$(basename "$ort_jar") has no CUDA provider: package the application with mvn -Pgpu"
  # Ember uses the CUDA provider; TensorRT's would need TensorRT libraries the base lacks.
  rm -f "$src/libonnxruntime_providers_tensorrt.so"
else
  [[ ! -f "$src/libonnxruntime_providers_cuda.so" ]] \
    || die "$(basename "$ort_jar") is the GPU build (mvn -Pgpu): use Dockerfile.gpu"
fi
mv "$src"/*.so "$out_dir/onnxruntime/"
rm -rf "$dir/ai/onnxruntime/native"
repack "$ort_jar" "$dir"

# DJL tokenizers: optional (only applications using Hugging Face tokenizers have it).
# native/lib/tokenizers.properties stays: DJL reads its version from it before loading.
tok_jar=$(find_jar 'ai.djl.huggingface.tokenizers-*.jar')
if [[ -n "$tok_jar" ]]; then
  dir=$(unpack "$tok_jar")
  src="$dir/native/lib/$djl_platform/cpu/libtokenizers.so"
  [[ -f "$src" ]] || die "$(basename "$tok_jar") has no $djl_platform/cpu/libtokenizers.so"
  mv "$src" "$out_dir/tokenizers/"
  find "$dir/native/lib" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
  repack "$tok_jar" "$dir"
else
  echo "prepare-natives: no DJL tokenizers jar, skipping" >&2
fi

# Fail the build, not the first request, when the base image lacks a library they link.
# libcuda.so.1 is the driver's: the NVIDIA container toolkit mounts it at run time.
# libonnxruntime.so.1 is the SONAME of libonnxruntime.so, which ONNX Runtime loads before
# its JNI library, so the loader already has it.
shopt -s nullglob
missing=$(LD_LIBRARY_PATH="$out_dir/onnxruntime" ldd "$out_dir"/onnxruntime/*.so "$out_dir"/tokenizers/*.so 2>/dev/null \
  | grep 'not found' | grep -v -e 'libcuda\.so\.1' -e 'libonnxruntime\.so\.1' | sort -u || true)
[[ -z "$missing" ]] || die "the base image lacks libraries the native code needs:"$'\n'"$missing"

chmod -R a+rX,go-w "$out_dir"
du -sh "$out_dir"/* >&2
