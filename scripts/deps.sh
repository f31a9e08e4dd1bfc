#!/usr/bin/env bash
# Installs the Debian packages Chorus needs, only those missing.
#   scripts/deps.sh build        what building chorusd needs
#   scripts/deps.sh build test   and what the tests need
set -euo pipefail

build=(cmake ninja-build ccache g++ pkg-config
       libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
       libsqlite3-dev libjwt-dev libssl-dev libspdlog-dev prometheus-cpp-dev
       libjs-marked node-dompurify libpq-dev)
test=(libgtest-dev libgmock-dev python3 python3-pytest python3-websockets python3-jwt util-linux
      postgresql)

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
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
