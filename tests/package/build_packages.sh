#!/usr/bin/env bash
# The release packages the package tests read, built once into DEB_DIR with packaging/build-deb.sh:
# VERSION for amd64 and arm64, and VERSION+test1 for amd64, the same sources as a newer version for the
# upgrade tests. Without their unit tests, which the two developer builds run: compiling them again
# with gcc 10, and running the arm64 ones under qemu-user, would cost CI about fifteen minutes.
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
build --no-check --arch arm64
for deb in "$out"/jmem_*.deb; do
  echo "$(basename "$deb"): $(stat -c %s "$deb") bytes, installed $(dpkg-deb -f "$deb" Installed-Size) KiB"
done
