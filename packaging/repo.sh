#!/usr/bin/env bash
# Builds or updates a signed apt repository for a fleet from .deb files (reprepro and gnupg).
#
#   packaging/repo.sh --out DIR [--key-dir DIR] [--key-id ID | --create-test-key] [--rotate-key]
#                     [--codename NAME] [--valid-for DURATION] [DEB...]
#
# DIR is reprepro's base directory: dists/ and pool/ (what apt fetches), conf/ and db/ (reprepro's
# bookkeeping, nothing secret), and jmem-archive-keyring.gpg, the public key as a binary keyring for
# `signed-by=`. One distribution, NAME (default: jmem), component main, holds amd64 and arm64
# packages; an Architecture: all package goes to both. Run it again with newer packages to publish
# an upgrade: each package keeps its newest version. A package already there in the same version
# is skipped if it is the same file and refused if not; an older version is refused.
#
# Release and InRelease are signed with a key from the GnuPG home --key-dir (default: $GNUPGHOME,
# else ~/.gnupg): --key-id names it (a fingerprint, e-mail or name; the fleet's own key, which is
# never created). Without --key-id the key whose name is "jmem archive signing key" is used; with
# --create-test-key it is created there, without a passphrase, if there is none: good for tests and
# trials; a fleet keeps its own key (with a passphrase, or on a smartcard) and passes it with --key-id.
# A repository stays with the key that first signed it (conf/distributions, SignWith): another key
# is refused unless --rotate-key says so, once the new key has reached every device.
#
# Release carries Valid-Until, DURATION after it was signed (--valid-for, reprepro's ValidFor: a
# number and d, m or y; default 30d, or what the repository has): apt refuses an older Release, so a
# replayed old repository is refused. Export it again before then: run repo.sh with no DEB, or
# `reprepro --basedir DIR export` with the key's GNUPGHOME, from cron.
set -euo pipefail

usage() {
  echo "Usage: packaging/repo.sh --out DIR [--key-dir DIR] [--key-id ID | --create-test-key] [--rotate-key]" >&2
  echo "                         [--codename NAME] [--valid-for DURATION] [DEB...]" >&2
  exit 2
}

die() {
  echo "repo.sh: $*" >&2
  exit 1
}

readonly KEY_NAME="jmem archive signing key"
readonly ARCHITECTURES="amd64 arm64"
readonly KEYRING=jmem-archive-keyring.gpg

out=""
key_dir=""
key_id=""
codename=jmem
valid_for=""
create_test_key=0
rotate_key=0
debs=()
while (($#)); do
  case $1 in
    --out|--key-dir|--key-id|--codename|--valid-for)
      if (($# < 2)) || [[ -z $2 ]]; then echo "repo.sh: $1 needs a value" >&2; usage; fi
      case $1 in
        --out) out=$2 ;;
        --key-dir) key_dir=$2 ;;
        --key-id) key_id=$2 ;;
        --codename) codename=$2 ;;
        --valid-for) valid_for=$2 ;;
      esac
      shift ;;
    --create-test-key) create_test_key=1 ;;
    --rotate-key) rotate_key=1 ;;
    --) shift; debs+=("$@"); break ;;
    -*) echo "repo.sh: unknown option \"$1\"" >&2; usage ;;
    *) debs+=("$1") ;;
  esac
  shift
done
[[ -n $out ]] || { echo "repo.sh: --out DIR is required" >&2; usage; }
if [[ ! $codename =~ ^[a-z0-9][a-z0-9.-]*$ ]]; then
  echo "repo.sh: invalid codename \"$codename\": expected lowercase letters, digits, . and -" >&2
  usage
fi
if [[ -n $valid_for && ! $valid_for =~ ^[1-9][0-9]{0,4}[dmy]$ ]]; then
  echo "repo.sh: invalid --valid-for \"$valid_for\": expected a number and d (days), m (31 days) or y (365 days)" >&2
  usage
fi
if [[ -n $key_id ]] && ((create_test_key)); then
  echo "repo.sh: --key-id and --create-test-key exclude each other" >&2
  usage
fi
for tool in reprepro gpg gpgv dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install reprepro gnupg gpgv)"
done

# Every package is checked before any is added, so a bad one leaves the repository as it was.
declare -A seen=()
names=() versions=() archs=()
for deb in "${debs[@]}"; do
  [[ -e $deb ]] || die "$deb: no such file"
  [[ -f $deb && -r $deb ]] || die "$deb: not a readable regular file"
  [[ $deb == *.deb ]] || die "$deb: not a .deb file"
  # shellcheck disable=SC2016  # dpkg-deb's fields, not the shell's
  fields=$(dpkg-deb --show --showformat='${Package}\t${Version}\t${Architecture}\t${Section}\t${Priority}\n' \
    "$deb" 2>&1) || die "$deb: not a Debian package: $fields"
  IFS=$'\t' read -r name version arch section priority <<<"$fields"
  [[ -n $section && -n $priority ]] || die "$deb: no Section or Priority field, which the repository's index needs"
  case " $ARCHITECTURES all " in
    *" $arch "*) ;;
    *) die "$deb: architecture \"$arch\" is not one of $ARCHITECTURES all" ;;
  esac
  if [[ -n ${seen[$name/$arch]:-} ]]; then
    die "$deb: $name ($arch) is given twice (also ${seen[$name/$arch]}); give one version per run"
  fi
  seen[$name/$arch]=$deb
  names+=("$name") versions+=("$version") archs+=("$arch")
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
distributions=$out/conf/distributions
if [[ -f $distributions ]]; then
  existing=$(sed -n 's/^Codename: *//p' "$distributions")
  [[ $existing == "$codename" ]] ||
    die "$out holds the distribution \"$existing\", not \"$codename\": give --codename $existing or another --out"
elif [[ -n $(ls -A "$out") ]]; then
  die "$out is not empty and holds no repository made by repo.sh (no conf/distributions)"
fi
# The key that signs the repository now, and how long its Release stays valid.
recorded_key=""
if [[ -f $distributions ]]; then
  recorded_key=$(sed -n 's/^SignWith: *//p' "$distributions")
  if [[ -z $valid_for ]]; then valid_for=$(sed -n 's/^ValidFor: *//p' "$distributions"); fi
fi
valid_for=${valid_for:-30d}

# What the repository already holds decides, package by package: add, skip or refuse.
add=()
repo() { reprepro --basedir "$out" --silent "$@"; }
for i in "${!debs[@]}"; do
  deb=${debs[i]} name=${names[i]} version=${versions[i]} arch=${archs[i]}
  if [[ ! -f $distributions ]]; then add+=("$deb"); continue; fi
  list_arch=$arch
  [[ $arch == all ]] && list_arch=${ARCHITECTURES%% *}
  # shellcheck disable=SC2016  # reprepro's fields
  current=$(repo -A "$list_arch" -T deb --list-format '${version}\t${$fullfilename}\n' list "$codename" "$name")
  if [[ -z $current ]]; then add+=("$deb"); continue; fi
  IFS=$'\t' read -r have have_file <<<"$current"
  if dpkg --compare-versions "$version" gt "$have"; then
    add+=("$deb")
  elif dpkg --compare-versions "$version" lt "$have"; then
    die "$deb: $name $version ($arch) is older than $have, which the repository holds: publish a newer version"
  elif [[ $(sha256sum <"$deb") == "$(sha256sum <"$have_file")" ]]; then
    echo "$name $version ($arch) is already published: skipped"
  else
    die "$deb: $name $version ($arch) is already published as a different file: publish it as a newer version"
  fi
done

# The signing key.
export GNUPGHOME=${key_dir:-${GNUPGHOME:-$HOME/.gnupg}}
mkdir -p "$GNUPGHOME"
chmod 700 "$GNUPGHOME"
GNUPGHOME=$(cd "$GNUPGHOME" && pwd)
if [[ -n $key_dir ]]; then
  # An agent started for a key directory of its own is not left running.
  trap 'gpgconf --kill gpg-agent >/dev/null 2>&1 || true' EXIT
fi
secret_keys() {  # the fingerprints of the secret keys that gpg matches with $1
  gpg --batch --with-colons --list-secret-keys -- "$@" 2>/dev/null |
    awk -F: '$1 == "sec" { primary = 1; next } $1 == "fpr" && primary { print $10; primary = 0 }'
}
if [[ -n $key_id ]]; then
  mapfile -t fingerprints < <(secret_keys "$key_id")
  ((${#fingerprints[@]})) || die "--key-id $key_id: no such secret key in $GNUPGHOME"
  ((${#fingerprints[@]} == 1)) ||
    die "--key-id $key_id matches ${#fingerprints[@]} secret keys in $GNUPGHOME: give a fingerprint"
else
  mapfile -t fingerprints < <(secret_keys "=$KEY_NAME")
  if ((${#fingerprints[@]} == 0)); then
    ((create_test_key)) ||
      die "no --key-id and no key named \"$KEY_NAME\" in $GNUPGHOME: sign with the fleet's key" \
          "(--key-id ID, --key-dir DIR where it is not in \$GNUPGHOME or ~/.gnupg), or give --create-test-key" \
          "to create a key without a passphrase there, for a trial"
    [[ -z $recorded_key ]] || ((rotate_key)) ||
      die "$out is signed by $recorded_key, not in $GNUPGHOME: give its --key-dir and --key-id" \
          "(--rotate-key to create another key instead)"
    gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
      --quick-generate-key "$KEY_NAME" ed25519 sign never 2>/dev/null ||
      die "could not create a signing key in $GNUPGHOME"
    mapfile -t fingerprints < <(secret_keys "=$KEY_NAME")
    ((${#fingerprints[@]} == 1)) || die "created a signing key in $GNUPGHOME but cannot find it"
    echo "Created the signing key ${fingerprints[0]} (\"$KEY_NAME\", no passphrase) in $GNUPGHOME"
  fi
  ((${#fingerprints[@]} == 1)) ||
    die "$GNUPGHOME holds ${#fingerprints[@]} keys named \"$KEY_NAME\": choose one with --key-id"
fi
fingerprint=${fingerprints[0]}
# Devices trust the key in their keyring: a repository signed by another one stops updating.
if [[ -n $recorded_key && ${recorded_key^^} != "${fingerprint^^}" ]] && ((!rotate_key)); then
  die "$out is signed by $recorded_key, not $fingerprint: sign with that key (--key-dir, --key-id), or give" \
      "--rotate-key once the new key's keyring has reached every device"
fi

mkdir -p "$out/conf"
cat >"$distributions.new" <<EOF
Origin: jmem
Label: jmem
Codename: $codename
Architectures: $ARCHITECTURES
Components: main
Description: jmem packages for the fleet
SignWith: $fingerprint
ValidFor: $valid_for
EOF
mv "$distributions.new" "$distributions"

# HTTP servers give Last-Modified in whole seconds and answer 304 to an If-Modified-Since that is not
# older: indices rewritten within the second of the last ones would never reach a device that has them.
index=$out/dists/$codename/InRelease
previous_mtime=$(stat -c %Y "$index" 2>/dev/null || echo 0)
for deb in "${add[@]}"; do
  repo --export=silent-never -C main includedeb "$codename" "$deb" || die "$deb: reprepro could not add it"
done
repo export "$codename" || die "reprepro could not export and sign the indices of $codename"
if (($(stat -c %Y "$index") <= previous_mtime)); then
  while (($(date +%s) <= previous_mtime)); do sleep 0.1; done
  find "$out/dists/$codename" -type f -exec touch {} +
fi

gpg --batch --export --export-options export-minimal "$fingerprint" >"$out/$KEYRING.new"
mv "$out/$KEYRING.new" "$out/$KEYRING"
chmod 644 "$out/$KEYRING"
gpgv --quiet --keyring "$out/$KEYRING" "$out/dists/$codename/InRelease" 2>/dev/null ||
  die "$out/dists/$codename/InRelease does not verify with $out/$KEYRING"

echo "Repository $out, distribution $codename, signed by $fingerprint, valid for $valid_for" \
     "(export it again before then):"
repo list "$codename" | sed 's/^/  /'
echo "Devices: $KEYRING to /usr/share/keyrings/, then in /etc/apt/sources.list.d/jmem.list:"
echo "  deb [signed-by=/usr/share/keyrings/$KEYRING] URL $codename main   (URL: where $out is served)"
