#!/usr/bin/env bash
# Sets up a Debian 12 machine for jmem from a fresh checkout, builds it, and then either runs the
# governor on this machine (`run`) or the whole test suite (`test`). Needs root for apt-get and for
# reading every process's smaps_rollup.
set -euo pipefail

cd "$(dirname "$0")/.."
verb=${1:-}
case "$verb" in
  run | test) ;;
  *)
    echo "Usage: packaging/dev.sh run|test" >&2
    exit 2
    ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "packaging/dev.sh needs root (apt-get, and reading every process): run it with sudo" >&2
  exit 1
fi

packages=(
  build-essential cmake ninja-build pkg-config python3 dbus systemd util-linux systemd-container mmdebstrap tmux
  clang libclang-rt-14-dev clang-format
  libsdbus-c++-dev libsdbus-c++-bin libsystemd-dev libspdlog-dev libtomlplusplus-dev catch2 nlohmann-json3-dev
)
# The footprint benchmark runs jmemd beside its peers.
if [ "$verb" = test ]; then packages+=(earlyoom nohang tuned); fi
# The OOM scenario boots a VM (qemu-img makes its overlays).
if [ "$verb" = test ]; then packages+=(qemu-system-x86 qemu-utils); fi
# The metrics test scrapes jmem's textfile through node_exporter; the rules are tested with promtool.
if [ "$verb" = test ]; then packages+=(prometheus-node-exporter prometheus python3-yaml); fi
# The package tests: the release build in a Debian 11 root (mmdebstrap above, curl), lintian, arm64
# containers under qemu-user through binfmt (mmdebstrap wants arch-test for their roots), objdump for
# arm64, and a signed apt repository (reprepro, gnupg).
if [ "$verb" = test ]; then
  packages+=(curl lintian qemu-user-static arch-test binutils-aarch64-linux-gnu reprepro gnupg)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# arm64 programs (the arm64 unit tests, the arm64 container) run through binfmt; where nothing
# registered qemu's handler at boot (no systemd), register it now.
if [ "$verb" = test ] && [ "$(dpkg --print-architecture)" != arm64 ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  /lib/systemd/systemd-binfmt /usr/lib/binfmt.d/qemu-aarch64.conf
fi

jobs=$(nproc)

build() {  # build DIR [cmake options...]
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

if [ "$verb" = run ]; then
  build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJMEM_TESTS=OFF
  jmemd=$PWD/build/daemon/jmemd
  jmemctl=$PWD/build/ctl/jmemctl
  if [ -d /run/systemd/system ] && [ -S /run/dbus/system_bus_socket ]; then
    # systemd and a system bus: run it as the service it ships as, until the next reboot (/run).
    install -m 0644 units/dbus/org.jmem.Governor1.conf /etc/dbus-1/system.d/org.jmem.Governor1.conf
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
    sed "s|^ExecStart=.*|ExecStart=$jmemd|" units/jmemd.service >/run/systemd/system/jmemd.service
    systemctl daemon-reload
    systemctl restart jmemd.service
    echo "jmemd runs as jmemd.service (systemctl stop jmemd to stop it)"
  else
    # No systemd: a private bus with the system bus's rules, and jmemd on it, until Ctrl-C.
    rundir=$(mktemp -d /tmp/jmem-run.XXXXXX)
    mapfile -t bus < <(packaging/private-bus.sh "$rundir")
    export DBUS_SYSTEM_BUS_ADDRESS=${bus[0]}
    "$jmemd" &
    jmemd_pid=$!
    trap 'kill $jmemd_pid ${bus[1]} 2>/dev/null; rm -rf "$rundir"' EXIT
    for _ in $(seq 100); do "$jmemctl" status >/dev/null 2>&1 && break; sleep 0.1; done
    echo "jmemd runs on a private system bus: DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS"
  fi
  echo "Its live state, then every change it announces (Ctrl-C to stop):"
  "$jmemctl" monitor
  exit 0
fi

# 1. GCC, warnings as errors: unit, system and benchmark tests.
build build-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJMEM_WERROR=ON
# The benchmarks and the VM scenario alone and in full: both print their figures.
(cd build-ci && ctest --output-on-failure -j "$jobs" -LE "bench|vm" && ctest -V -L "bench|vm")

# 2. clang with AddressSanitizer and UndefinedBehaviorSanitizer: the same tests, and the fuzzers briefly.
CC=clang CXX=clang++ build build-sanitize -DCMAKE_BUILD_TYPE=Debug -DJMEM_WERROR=ON -DJMEM_SANITIZE=ON -DJMEM_FUZZ=ON
(cd build-sanitize && ctest --output-on-failure -j "$jobs" -LE "bench|container|package")
