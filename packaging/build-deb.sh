#!/usr/bin/env bash
# Builds the jmem .deb from this checkout and checks it with lintian (any error or warning fails).
#
#   packaging/build-deb.sh [--arch ARCH] [--version-suffix SUFFIX] [--out DIR] [--no-check] [--clean]
#
# dpkg-buildpackage wants debian/ at the root of the sources: the checkout's files (tracked and new,
# not ignored) are copied to OUT/stage-ARCH/jmem with packaging/debian as debian/, and it runs
# there. The packages land in OUT (default: build-deb). The CMake build directory OUT/build-ARCH
# is kept, so a second build rebuilds only what changed (--clean starts afresh).
#
# --arch arm64 cross-builds (crossbuild-essential-arm64 and the :arm64 build dependencies) and
# runs the unit tests of the arm64 build under qemu-user. --version-suffix +test1 builds the same
# sources as a newer version, 0.1.0+test1. --no-check skips the unit tests (DEB_BUILD_OPTIONS=nocheck).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
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

options=(-us -uc -nc -jauto)
profiles=()
if [[ $arch == "$(dpkg --print-architecture)" ]]; then
  options+=(-F)  # the source package too, so that lintian checks it
else
  options+=(-B "--host-arch=$arch")
  profiles+=(cross)
fi
if ((!check)); then
  export DEB_BUILD_OPTIONS="nocheck ${DEB_BUILD_OPTIONS:-}"
  profiles+=(nocheck)
fi
if ((${#profiles[@]})); then options+=("--build-profiles=$(IFS=,; echo "${profiles[*]}")"); fi
export JMEM_DEB_BUILDDIR=$build
(cd "$stage" && dpkg-buildpackage "${options[@]}")

# dpkg-buildpackage writes next to the sources; the packages go to OUT.
changes=jmem_${version}_$arch.changes
mapfile -t files < <(sed -n '/^Files:/,/^[^ ]/s/^ [0-9a-f]* [0-9]* [^ ]* [^ ]* //p' "$stage/../$changes")
for file in "$changes" "${files[@]}"; do mv -f "$stage/../$file" "$out/"; done
rm -f "$stage"/../*.buildinfo "$stage"/../*.changes

lintian --fail-on error,warning --display-info "$out/$changes"
echo "Built $(printf '%s ' "${files[@]}" | tr ' ' '\n' | grep '\.deb$' | sed "s|^|$out/|")"
