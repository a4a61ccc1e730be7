# shellcheck shell=bash
# HTTP/1.1 over bash's /dev/tcp, for the scripts that talk to a local Ember without curl (an image has none).
# Source it and set $port; `request METHOD PATH [JSON body]` prints the status code, 000 when nothing listens.
request() {
  local method=$1 path=$2 body=${3:-} status=000
  # not listening yet: 000, quietly
  { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || { printf '000'; return 0; }
  printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$method" "$path" "${#body}" "$body" >&3
  IFS=' ' read -r _ status _ <&3 || true
  cat <&3 >/dev/null || true
  exec 3>&-
  printf '%s' "$status"
}
