#!/usr/bin/env bash
# The release packages the package tests read, built once into DEB_DIR with packaging/build-deb.sh:
# VERSION for amd64 and arm64 (the arm64 build runs its unit tests under qemu-user), and VERSION+test1
# for amd64, the same sources as a newer version for the upgrade tests.
set -euo pipefail
out=${1:?"Usage: tests/package/build_packages.sh DEB_DIR"}
root=$(cd "$(dirname "$0")/../.." && pwd)

build() {
  local started=$SECONDS
  "$root/packaging/build-deb.sh" --out "$out" "$@"
  echo "packaging/build-deb.sh $*: $((SECONDS - started)) s"
}
build --no-check
build --no-check --version-suffix +test1
build --arch arm64
for deb in "$out"/jmem_*.deb; do
  echo "$(basename "$deb"): $(stat -c %s "$deb") bytes, installed $(dpkg-deb -f "$deb" Installed-Size) KiB"
done
