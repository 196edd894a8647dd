#!/usr/bin/env bash
# Install every dependency from Debian's archive, build tunectl, install the CLI and the Python
# package. Idempotent: safe to run again. Must run as root on Debian bookworm (or newer).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake pkg-config git
  libboost-program-options-dev nlohmann-json3-dev
  libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libnl-idiag-3-dev
  pybind11-dev python3-pybind11 python3-dev python3-pytest python3-jsonschema
  libgtest-dev googletest libbenchmark-dev clang
  iproute2 ethtool numactl hwloc-nox util-linux procps e2fsprogs
  chromium
  dpkg-dev file help2man lintian  # the Debian package: scripts/build-deb and its test
  ansible-core                    # the Ansible collection's tests (bindings/ansible)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libFuzzer's runtime is only a Recommends of clang: install the one matching this clang.
clang_major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n1)
if [ -n "$clang_major" ] && ! dpkg-query -W -f='${Status}' "libclang-rt-$clang_major-dev" 2>/dev/null | grep -q "install ok installed"; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "libclang-rt-$clang_major-dev" >/dev/null
fi

build=${TUNECTL_BUILD_DIR:-$here/build}
# The installed binary never has the crash tests' fault switch (scripts/test.sh turns it on after).
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DTUNECTL_TEST_SWITCHES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)"
cmake --install "$build" >/dev/null
# Prove both front ends are where a new shell finds them.
(cd / && /usr/bin/python3 -c 'import tunectl') || { echo "setup: /usr/bin/python3 cannot import tunectl" >&2; exit 1; }
echo "setup: installed $(command -v tunectl) and the tunectl package for /usr/bin/python3"
