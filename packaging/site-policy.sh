#!/usr/bin/env bash
# Builds jmem-policy-SITE_VERSION_all.deb: a site's policy drop-ins for /etc/jmem/policy.d.
#
#   packaging/site-policy.sh --name SITE [--version V] [--out DIR] [--jmemd FILE] [--base FILE]
#                            [--maintainer "NAME <EMAIL>"] DROPIN.toml...
#
# Each drop-in is validated first by jmemd --check-config, the code a reload runs, against jmem's
# default policy (the one jmemd has built in, which the jmem package ships as /etc/jmem/policy.toml;
# --base FILE validates against FILE instead), on its own and then all together: a drop-in with a
# problem is refused with jmemd's message and no package is written. The jmemd is --jmemd FILE, else
# $JMEMD, else /usr/sbin/jmemd (jmem installed on this machine). jmemd reads the policy only from
# /etc/jmem, so it runs in a mount namespace of its own where /etc/jmem is a temporary directory:
# as root, or as a user where unprivileged user namespaces are allowed. Nothing on the machine changes.
#
# The package depends on jmem, ships the drop-ins as conffiles, and reloads jmemd when it is
# installed, upgraded or removed (nothing happens where jmemd is not running: it reads the policy
# when it starts). Removal sets the drop-ins aside as NAME.toml.dpkg-removed, which jmemd does not
# read, so that the policy without them applies; a reinstall puts them back, purge deletes them. An
# upgrade that no longer ships a drop-in takes it away (kept as NAME.toml.dpkg-bak if it was edited).
#
# --version defaults to the time of the build (YYYYMMDD.HHMMSS, UTC), so each build is newer than the
# last. --maintainer defaults to "$DEBFULLNAME <$DEBEMAIL>" when both are set.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# The package's files and the directories jmemd checks are modes others may read, never write.
umask 022

usage() {
  echo "Usage: packaging/site-policy.sh --name SITE [--version V] [--out DIR] [--jmemd FILE] [--base FILE]" >&2
  echo "                                [--maintainer \"NAME <EMAIL>\"] DROPIN.toml..." >&2
  exit 2
}

die() {
  echo "site-policy.sh: $*" >&2
  exit 1
}

site=""
version=""
out=.
jmemd=${JMEMD:-/usr/sbin/jmemd}
base=""
maintainer=""
if [[ -n ${DEBFULLNAME:-} && -n ${DEBEMAIL:-} ]]; then maintainer="$DEBFULLNAME <$DEBEMAIL>"; fi
dropins=()
while (($#)); do
  case $1 in
    --name|--version|--out|--jmemd|--base|--maintainer)
      if (($# < 2)) || [[ -z $2 ]]; then echo "site-policy.sh: $1 needs a value" >&2; usage; fi
      case $1 in
        --name) site=$2 ;;
        --version) version=$2 ;;
        --out) out=$2 ;;
        --jmemd) jmemd=$2 ;;
        --base) base=$2 ;;
        --maintainer) maintainer=$2 ;;
      esac
      shift ;;
    --) shift; dropins+=("$@"); break ;;
    -*) echo "site-policy.sh: unknown option \"$1\"" >&2; usage ;;
    *) dropins+=("$1") ;;
  esac
  shift
done
[[ -n $site ]] || { echo "site-policy.sh: --name SITE is required" >&2; usage; }
((${#dropins[@]})) || { echo "site-policy.sh: give at least one DROPIN.toml" >&2; usage; }
# SITE completes a Debian package name: lowercase letters, digits, + - and .
if [[ ! $site =~ ^[a-z0-9][a-z0-9+.-]*$ ]]; then
  echo "site-policy.sh: invalid site name \"$site\": expected lowercase letters, digits, + - and ., starting" \
       "with a letter or digit (it becomes the package name jmem-policy-SITE)" >&2
  usage
fi
version=${version:-$(date -u +%Y%m%d.%H%M%S)}
# A native version (no revision, no epoch): the file name and the changelog's name stay simple.
if [[ ! $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
  echo "site-policy.sh: invalid version \"$version\": expected a digit, then letters, digits, . + ~" >&2
  usage
fi
if [[ -z $maintainer ]]; then
  maintainer=$(sed -n 's/^Maintainer: *//p' "$root/packaging/debian/control" 2>/dev/null | head -n 1)
fi
[[ $maintainer =~ ^[^\<\>]+\ \<[^\<\>@\ ]+@[^\<\>@\ ]+\>$ ]] ||
  die "invalid maintainer \"$maintainer\": expected \"NAME <EMAIL>\" (--maintainer, or DEBFULLNAME and DEBEMAIL)"
package=jmem-policy-$site

[[ -x $jmemd && -f $jmemd ]] ||
  die "no jmemd to validate with at $jmemd: install jmem on this machine, or give its jmemd with --jmemd FILE or JMEMD"
if [[ -n $base ]]; then
  [[ -f $base && -r $base ]] || die "--base $base: not a readable regular file"
fi
declare -A names=()
for dropin in "${dropins[@]}"; do
  [[ -e $dropin ]] || die "$dropin: no such file"
  [[ -f $dropin && -r $dropin ]] || die "$dropin: not a readable regular file"
  name=${dropin##*/}
  # jmemd reads only *.toml in lexical order; a plain name keeps the package's paths simple.
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9_.+-]*\.toml$ && ${#name} -le 64 ]] ||
    die "$dropin: a drop-in's name must end in .toml and hold only letters, digits, _ . + - (at most 64 characters)"
  [[ -z ${names[$name]:-} ]] || die "$dropin: named like ${names[$name]}: both would be /etc/jmem/policy.d/$name"
  names[$name]=$dropin
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# jmemd --check-config with /etc/jmem replaced by ETC_JMEM (base policy, policy.d with the drop-ins
# given) in a mount namespace of its own. Where /etc/jmem does not exist there is nothing to bind
# over: a read-only overlay lays a directory holding jmem/ over /etc instead.
unshare=(unshare --mount)
if ((EUID != 0)); then unshare=(unshare --user --map-root-user --mount); fi
"${unshare[@]}" -- true 2>/dev/null ||
  die "cannot make a mount namespace (${unshare[*]}) to run jmemd in: run as root, or where unprivileged user" \
      "namespaces are allowed"
check_config() {  # check_config ETC_JMEM: jmemd's output; its status (90: the mount failed)
  # shellcheck disable=SC2016  # expanded by the inner shell
  "${unshare[@]}" -- sh -c '
    if [ -d /etc/jmem ]; then
      mount --bind "$1" /etc/jmem || exit 90
    else
      mount -t overlay overlay -o "lowerdir=${1%/jmem}:/etc" /etc || exit 90
    fi
    exec "$2" --check-config' sh "$1" "$jmemd" 2>&1
}

# check DESCRIPTION DROPIN...: validates DROPIN... as /etc/jmem/policy.d/; says why not.
check() {
  local what=$1 dropin output status=0
  shift
  rm -rf "$work/check"
  mkdir -p "$work/check/jmem/policy.d"
  if [[ -n $base ]]; then install -m 0644 "$base" "$work/check/jmem/policy.toml"; fi
  for dropin; do install -m 0644 "$dropin" "$work/check/jmem/policy.d/${dropin##*/}"; done
  output=$(check_config "$work/check/jmem") || status=$?
  if ((status == 90)); then
    die "cannot lay a temporary /etc/jmem over this machine's in a mount namespace: $output"
  elif ((status != 0)); then
    echo "site-policy.sh: $what does not validate against ${base:-the default policy}; $jmemd --check-config says:" >&2
    printf '%s\n' "$output" | sed 's/^/  /' >&2
    return 1
  fi
}
failed=0
for dropin in "${dropins[@]}"; do
  check "$dropin (as /etc/jmem/policy.d/${dropin##*/})" "$dropin" || failed=1
done
if ((!failed && ${#dropins[@]} > 1)); then
  check "the drop-ins together ($(printf '%s ' "${dropins[@]}" | sed 's/ $//'))" "${dropins[@]}" || failed=1
fi
((!failed)) || die "refused: no package written"
summary=$(check_config "$work/check/jmem")

# The package's tree.
tree=$work/$package
doc=$tree/usr/share/doc/$package
mkdir -p "$tree/DEBIAN" "$tree/etc/jmem/policy.d" "$doc"
mapfile -t sorted < <(printf '%s\n' "${!names[@]}" | LC_ALL=C sort)
conffiles=()
for name in "${sorted[@]}"; do
  install -m 0644 "${names[$name]}" "$tree/etc/jmem/policy.d/$name"
  conffiles+=("/etc/jmem/policy.d/$name")
done
date=$(date -R ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"})
{
  printf '%s (%s) unstable; urgency=medium\n\n' "$package" "$version"
  printf '  * Site policy drop-ins for jmem: %s.\n' "${sorted[*]}" | fold -s -w 76 | sed '2,$s/^/    /'
  printf '\n -- %s  %s\n' "$maintainer" "$date"
} | gzip -9n >"$doc/changelog.gz"
cat >"$doc/copyright" <<EOF
$package: the jmem policy drop-ins of the site $site.

Copyright $(date -u +%Y ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"}) $maintainer
EOF
chmod 0644 "$doc/changelog.gz" "$doc/copyright"

printf '%s\n' "${conffiles[@]}" >"$tree/DEBIAN/conffiles"
files="${conffiles[*]}"
# The maintainer scripts. jmemd reloads through its unit (ExecReload sends SIGHUP): a policy with a
# problem is refused and the one that runs stays, so the scripts say so instead of failing.
# shellcheck disable=SC2016  # expanded by the maintainer scripts
reload='
reload_jmemd() {
	if [ -d /run/systemd/system ] && [ -z "${DPKG_ROOT:-}" ]; then
		deb-systemd-invoke try-reload-or-restart jmemd.service || true
	fi
	if command -v jmemd >/dev/null 2>&1 && ! problems=$(jmemd --check-config 2>&1 >/dev/null); then
		echo "'"$package"': jmemd refuses the policy in /etc/jmem and keeps running the one it had:" >&2
		printf "%s\n" "$problems" >&2
	fi
}'
cat >"$tree/DEBIAN/preinst" <<EOF
#!/bin/sh
# Reinstalled after a removal: the drop-ins set aside then (with any local edit) come back before
# dpkg unpacks, so that it handles them as the conffiles they are. An upgrade takes away the
# drop-ins the new version no longer ships: jmemd would go on reading them.
set -e

FILES="$files"

if [ "\$1" = install ] || [ "\$1" = upgrade ]; then
	for file in \$FILES; do
		if [ -e "\$file.dpkg-removed" ] && [ ! -e "\$file" ]; then
			mv "\$file.dpkg-removed" "\$file"
		fi
	done
fi

if [ "\$1" = upgrade ]; then
	dpkg-query -W -f='\${Conffiles}\n' $package 2>/dev/null | while read -r file sum rest; do
		case " \$FILES " in *" \$file "*) continue ;; esac
		case "\$file" in /etc/jmem/policy.d/*) ;; *) continue ;; esac
		[ -e "\$file" ] || continue
		if [ "\$(md5sum <"\$file" | cut -d ' ' -f 1)" = "\$sum" ]; then
			rm -f "\$file"
		else
			echo "$package: \$file is no longer shipped and was edited: kept as \$file.dpkg-bak" >&2
			mv -f "\$file" "\$file.dpkg-bak"
		fi
	done
fi

exit 0
EOF
cat >"$tree/DEBIAN/postinst" <<EOF
#!/bin/sh
# jmemd reads the drop-ins now, not at its next start.
set -e
$reload

if [ "\$1" = configure ]; then
	reload_jmemd
fi

exit 0
EOF
cat >"$tree/DEBIAN/postrm" <<EOF
#!/bin/sh
# dpkg keeps conffiles on removal, and jmemd would go on reading them: they are set aside so that
# the policy without them applies, and deleted on purge.
set -e
$reload

FILES="$files"

case "\$1" in
	remove)
		for file in \$FILES; do
			if [ -e "\$file" ]; then mv -f "\$file" "\$file.dpkg-removed"; fi
		done
		reload_jmemd
		;;
	purge)
		for file in \$FILES; do
			rm -f "\$file.dpkg-removed"
		done
		rmdir /etc/jmem/policy.d 2>/dev/null || true
		;;
esac

exit 0
EOF
chmod 0755 "$tree/DEBIAN/preinst" "$tree/DEBIAN/postinst" "$tree/DEBIAN/postrm"

(cd "$tree" && find etc usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$tree/DEBIAN/md5sums"
chmod 0644 "$tree/DEBIAN/md5sums" "$tree/DEBIAN/conffiles"
installed_size=$(du -k -s --exclude=DEBIAN "$tree" | cut -f 1)
{
  cat <<EOF
Package: $package
Version: $version
Architecture: all
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: jmem
Section: admin
Priority: optional
Description: jmem policy of the site $site
 Policy drop-ins for the jmem memory governor, installed in
 /etc/jmem/policy.d and merged after /etc/jmem/policy.toml:
EOF
  for name in "${sorted[@]}"; do echo "  $name"; done
  cat <<EOF
 .
 jmemd reloads its policy when this package is installed, upgraded or
 removed.
EOF
} >"$tree/DEBIAN/control"
chmod 0644 "$tree/DEBIAN/control"
if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +; fi

mkdir -p "$out"
deb=$out/${package}_${version}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$tree" "$work/package.deb" >/dev/null
mv -f "$work/package.deb" "$deb"
echo "jmemd --check-config with the drop-ins: $summary"
echo "Built $deb"
