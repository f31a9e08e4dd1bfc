#!/usr/bin/env bash
# Installs the Debian packages Chorus needs, only those missing.
#   scripts/deps.sh build        what building chorusd needs
#   scripts/deps.sh build test   and what the tests need
set -euo pipefail

build=(cmake ninja-build ccache g++ pkg-config
       libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
       libsqlite3-dev libjwt-dev libssl-dev libspdlog-dev prometheus-cpp-dev
       libjs-marked libpq-dev npm
       libhiredis-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc)
test=(libgtest-dev libgmock-dev python3 python3-pytest python3-websockets python3-jwt util-linux
      postgresql chromium redis-server nginx)

want=()
for set in "$@"; do
  case "$set" in
    build) want+=("${build[@]}") ;;
    test) want+=("${test[@]}") ;;
    *) echo "deps.sh: unknown set '$set'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  # Node and npm may come from outside Debian (this machine's image has Node 20).
  [ "$p" = npm ] && command -v npm >/dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
web_libs() {
  # The web app's browser libraries from npm (web/package.json), pinned by its lock file.
  local dir; dir="$(cd "$(dirname "$0")/.." && pwd)/web"
  if [ ! -d "$dir/node_modules/dompurify" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    # Without them chorusd still runs; the app then shows messages as plain text.
    npm ci --prefix "$dir" --no-audit --no-fund >/dev/null ||
      echo "deps.sh: warning: npm ci --prefix web failed; the web app will show messages as plain text" >&2
  fi
}
if [ ${#missing[@]} -eq 0 ]; then
  web_libs
  exit 0
fi

echo "deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
web_libs
