#!/usr/bin/env bash
# Makes the root the release package is built in, once, and prints its path.
#
#   packaging/build-root.sh
#
# Debian 11 (glibc 2.31, as Ubuntu 20.04 / JetPack 5 has; gcc 10), with what the build needs for amd64
# and arm64, and under /opt/jmem-vendor what no JetPack release ships in a usable version
# (packaging/README.md): the headers of spdlog, fmt, toml++ and nlohmann-json from Debian 12's
# packages, and sdbus-c++ 2.1 from Debian's source, built as a static library for each architecture
# (with its code generator, for the build machine). Everything comes from Debian's registry.
#
# The root is cached under JMEM_BUILD_CACHE (default /var/cache/jmem-build) by the hash of this
# script, which pins every version it takes: a change here makes a new one. One build at a time
# makes it (a lock); a root is used only once it is complete. Needs root, mmdebstrap,
# systemd-nspawn, curl and apt-get (the headers are fetched through the build machine's apt sources,
# which must offer Debian 12's versions: a Debian 12 machine does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${JMEM_BUILD_CACHE:-/var/cache/jmem-build}
key=$(sha256sum "$here/build-root.sh" | cut -c1-12)
root=$cache/bullseye-$key
complete=.jmem-build-root-complete

mkdir -p "$cache"
# Whatever is in the cache is compiled into the package: only root may have put it there.
if [[ $(stat -c %u "$cache") != 0 ]] || [[ $(stat -c %A "$cache") == ?????w???? ]] || [[ $(stat -c %A "$cache") == ????????w? ]]; then
  echo "Refusing the build cache $cache: it must belong to root and be writable by root alone" >&2
  exit 1
fi
exec {lock}>"$cache/.lock"
flock "$lock"
if [[ -f $root/$complete ]]; then
  echo "$root"
  exit 0
fi
rm -rf "$root"  # an incomplete one, from a build that was stopped

mirror=http://deb.debian.org/debian
sdbus_version=2.1.0
sdbus_tarball=sdbus-cpp_$sdbus_version.orig.tar.gz
# As trixie's Sources index gives it.
sdbus_sha256=6025e5dc6cddd532ff960d14e68ced5f42a1916b23a73fea6bcb437f06992eaf
# Debian 12's header-only libraries, the versions the developer build uses (debian/copyright names them).
header_packages=(libspdlog-dev=1:1.10.0+ds-0.4 libfmt-dev=9.1.0+ds1-2 libtomlplusplus-dev=3.3.0+ds-1
                 nlohmann-json3-dev=3.11.2-2)

partial=$(mktemp -d "$cache/bullseye-$key.partial.XXXXXX")
downloads=$(mktemp -d)
trap 'rm -rf "$partial" "$downloads"' EXIT

echo "Making the Debian 11 build root (a few minutes, once)" >&2
mmdebstrap --quiet --variant=minbase --architectures=amd64,arm64 \
  --include=build-essential,cmake,ninja-build,pkg-config,python3,scdoc,debhelper,dpkg-dev,libsystemd-dev,libexpat1-dev,catch2,crossbuild-essential-arm64,libsystemd-dev:arm64 \
  bullseye "$partial" "deb $mirror bullseye main" >&2

vendor=$partial/opt/jmem-vendor
mkdir -p "$vendor/include" "$vendor/src" "$vendor/sources"
(cd "$downloads" && apt-get download -q "${header_packages[@]}" >&2 &&
  curl --fail --silent --show-error --location -o "$sdbus_tarball" "$mirror/pool/main/s/sdbus-cpp/$sdbus_tarball")
echo "$sdbus_sha256  $downloads/$sdbus_tarball" | sha256sum --check --quiet
for deb in "$downloads"/*.deb; do
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$vendor/include" --strip-components=3 ./usr/include/
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb" >>"$vendor/VERSIONS"
done
echo "sdbus-cpp $sdbus_version" >>"$vendor/VERSIONS"
tar -xzf "$downloads/$sdbus_tarball" -C "$vendor/src"
# The source of what is linked in, for whoever distributes the package (sdbus-c++ is LGPL-2.1):
# packaging/build-deb.sh puts it beside the packages.
cp "$downloads/$sdbus_tarball" "$vendor/sources/"

# sdbus-c++ static, position-independent (jmem's binaries are PIE) and hardened like the package. It
# is told libsystemd is 245 (Ubuntu 20.04's), whatever this root has, so that it calls nothing newer:
# 2.1 would otherwise check names with libsystemd 246's functions (the bus checks them anyway).
build_sdbus() {  # ARCH PREFIX [cmake options...]
  local arch=$1 prefix=$2
  shift 2
  systemd-nspawn --quiet --register=no --keep-unit --private-network -D "$partial" --setenv=DEB_HOST_ARCH="$arch" \
    -- bash -euc '
      export DEB_BUILD_MAINT_OPTIONS=hardening=+all
      oldest="-ULIBSYSTEMD_VERSION -DLIBSYSTEMD_VERSION=245"
      export CFLAGS="$(dpkg-architecture -a"$DEB_HOST_ARCH" -c dpkg-buildflags --get CFLAGS) $oldest"
      export CXXFLAGS="$(dpkg-architecture -a"$DEB_HOST_ARCH" -c dpkg-buildflags --get CXXFLAGS) $oldest"
      export LDFLAGS="$(dpkg-architecture -a"$DEB_HOST_ARCH" -c dpkg-buildflags --get LDFLAGS)"
      build=$(mktemp -d)
      cmake -S /opt/jmem-vendor/src/sdbus-cpp-'"$sdbus_version"' -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DSDBUSCPP_BUILD_DOCS=OFF \
        -DCMAKE_INSTALL_PREFIX='"$prefix"' "$@" >/dev/null
      cmake --build "$build" --target install >/dev/null
      rm -rf "$build"' bash "$@" >&2
}
build_sdbus amd64 /opt/jmem-vendor/amd64 -DSDBUSCPP_BUILD_CODEGEN=ON
build_sdbus arm64 /opt/jmem-vendor/arm64 -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=aarch64 \
  -DCMAKE_CXX_COMPILER=aarch64-linux-gnu-g++ -DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc \
  -DPKG_CONFIG_EXECUTABLE=/usr/bin/aarch64-linux-gnu-pkg-config
rm -rf "$vendor/src"

touch "$partial/$complete"
mv "$partial" "$root"
rm -rf "$downloads"
trap - EXIT
echo "$root"
