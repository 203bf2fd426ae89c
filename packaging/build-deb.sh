#!/usr/bin/env bash
# Builds the release .deb from this checkout, the one that installs on every JetPack (Ubuntu 20.04,
# 22.04, 24.04) and Debian 11 to 13, and checks it with lintian (any error or warning fails).
#
#   packaging/build-deb.sh [--arch ARCH] [--version-suffix SUFFIX] [--out DIR] [--no-check] [--clean]
#
# It builds in the Debian 11 root of packaging/build-root.sh (glibc 2.31, libsystemd 247, gcc 10),
# with no network: packaging/README.md says what is linked in and why. dpkg-buildpackage wants
# debian/ at the root of the sources: the checkout's files (tracked and new, not ignored) are copied
# to OUT/stage-ARCH/jmem with packaging/debian as debian/, and it runs there. The packages land in
# OUT (default: build-deb). The CMake build directory OUT/build-ARCH is kept, so a second build
# rebuilds only what changed (--clean starts afresh).
#
# --arch arm64 cross-builds, and runs the unit tests of the arm64 build through this machine's binfmt
# (qemu-user-static). --version-suffix +test1 builds the same sources as a newer version,
# 0.1.0+test1 (a suffix with ~ builds an older one). --no-check skips the unit tests (DEB_BUILD_OPTIONS=nocheck).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
arch=amd64
suffix=""
out=$root/build-deb
check=1
clean=0
while (($#)); do
  case $1 in
    --arch) arch=${2:?--arch needs an architecture}; shift ;;
    --version-suffix) suffix=${2:?--version-suffix needs a suffix}; shift ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    --no-check) check=0 ;;
    --clean) clean=1 ;;
    *) echo "Usage: packaging/build-deb.sh [--arch ARCH] [--version-suffix SUFFIX] [--out DIR] [--no-check] [--clean]" >&2
       exit 2 ;;
  esac
  shift
done
if [[ $arch != amd64 && $arch != arm64 ]]; then
  echo "Unsupported architecture \"$arch\": the release is built for amd64 and arm64" >&2
  exit 2
fi
if [[ -n $suffix && ! $suffix =~ ^[+~][a-z0-9.+~]+$ ]]; then
  echo "Invalid version suffix \"$suffix\": expected + or ~ then lowercase letters, digits, . + ~" >&2
  exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# The package's version is the project's (CMakeLists.txt) and must match the changelog's newest entry.
upstream=$(sed -n 's/^project(jmem VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
changelog_version=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
if [[ $changelog_version != "$upstream" ]]; then
  echo "packaging/debian/changelog is at $changelog_version but CMakeLists.txt at $upstream: add a changelog entry" >&2
  exit 1
fi
version=$upstream$suffix

stage=$out/stage-$arch/jmem
build=$out/build-$arch
if ((clean)); then rm -rf "$build"; fi
rm -rf "$stage"
mkdir -p "$stage"
# Modification times are kept, so that the kept build directory sees only real changes.
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do if [[ -e $file || -L $file ]]; then printf '%s\0' "$file"; fi; done |
  tar --create --file=- --no-recursion --null --files-from=-) | tar --extract --file=- --directory="$stage"
cp -a "$root/packaging/debian" "$stage/debian"
if [[ -n $suffix ]]; then
  maintainer=$(dpkg-parsechangelog -l "$stage/debian/changelog" -S Maintainer)
  distribution=$(dpkg-parsechangelog -l "$stage/debian/changelog" -S Distribution)
  {
    printf 'jmem (%s) %s; urgency=medium\n\n  * The sources of %s built as a newer version.\n\n -- %s  %s\n\n' \
      "$version" "$distribution" "$upstream" "$maintainer" "$(date -R)"
    cat "$root/packaging/debian/changelog"
  } >"$stage/debian/changelog"
fi

build_root=$("$root/packaging/build-root.sh")
options=(-us -uc -nc -jauto -B)
profiles=()
build_options=${DEB_BUILD_OPTIONS:-}
if [[ $arch != amd64 ]]; then
  options+=("--host-arch=$arch")
  profiles+=(cross)
fi
if ((!check)); then
  build_options="nocheck $build_options"
  profiles+=(nocheck)
fi
if ((${#profiles[@]})); then options+=("--build-profiles=$(IFS=,; echo "${profiles[*]}")"); fi
# The same paths inside as outside, so that the kept build directory stays valid; a throwaway layer
# over the root, so that the build changes nothing in it.
mkdir -p "$build"
# One build at a time in the root.
flock "$(dirname "$build_root")/.lock" systemd-nspawn --quiet --register=no --keep-unit --private-network --volatile=overlay -D "$build_root" \
  --bind="$out" --chdir="$stage" \
  --setenv=JMEM_DEB_BUILDDIR="$build" --setenv=DEB_BUILD_OPTIONS="$build_options" \
  -- dpkg-buildpackage "${options[@]}"

# dpkg-buildpackage writes next to the sources; the packages go to OUT.
changes=jmem_${version}_$arch.changes
mapfile -t files < <(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]* [0-9]* [^ ]* [^ ]* //p' "$stage/../$changes")
for file in "$changes" "${files[@]}"; do mv -f "$stage/../$file" "$out/"; done
rm -f "$stage"/../*.buildinfo "$stage"/../*.changes

lintian --fail-on error,warning --display-info "$out/$changes"
# The sources of what is linked in (sdbus-c++ is LGPL-2.1), for whoever distributes the package.
cp "$build_root"/opt/jmem-vendor/sources/* "$out/"
echo "Built $(printf '%s ' "${files[@]}" | tr ' ' '\n' | grep '\.deb$' | sed "s|^|$out/|")"
