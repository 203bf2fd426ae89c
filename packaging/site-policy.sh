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
# The package depends on jmem (>= the version of the jmemd that validated it), ships the drop-ins as
# conffiles, and reloads jmemd when it is installed, upgraded or removed (nothing happens where jmemd
# is not running: it reads the policy when it starts). On the device its postinst validates the
# policy again with jmemd --check-config: where the device's policy makes the drop-ins invalid, they
# are set aside as NAME.toml.dpkg-refused, jmemd reloads without them, and the postinst fails with
# jmemd's messages (the package stays half-configured until a fixed version replaces it, or
# `dpkg --configure -a` after the device's policy is fixed). Removal sets the drop-ins aside as
# NAME.toml.dpkg-removed, which jmemd does not read, so that the policy without them applies; a
# reinstall puts them back, purge deletes them and any leftover. An upgrade that no longer ships a
# drop-in takes it away as dpkg-maintscript-helper's rm_conffile does (kept as NAME.toml.dpkg-bak if
# it was edited; put back if the upgrade fails).
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
maintainer_from=""
if [[ -n ${DEBFULLNAME:-} && -n ${DEBEMAIL:-} ]]; then
  maintainer="$DEBFULLNAME <$DEBEMAIL>" maintainer_from="DEBFULLNAME and DEBEMAIL"
fi
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
        --maintainer) maintainer=$2 maintainer_from=--maintainer ;;
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
  maintainer_from=packaging/debian/control
fi
# The maintainer goes into the control file and the changelog: a newline or another control
# character would add fields of its own.
if [[ $maintainer == *[[:cntrl:]]* ]]; then
  die "invalid maintainer $(printf '%q' "$maintainer") (from $maintainer_from): it holds a newline or another" \
      "control character"
fi
[[ $maintainer =~ ^[^\<\>]+\ \<[^\<\>@\ ]+@[^\<\>@\ ]+\>$ ]] ||
  die "invalid maintainer \"$maintainer\": expected \"NAME <EMAIL>\" (--maintainer, or DEBFULLNAME and DEBEMAIL)"
package=jmem-policy-$site

[[ -x $jmemd && -f $jmemd ]] ||
  die "no jmemd to validate with at $jmemd: install jmem on this machine, or give its jmemd with --jmemd FILE or JMEMD"
if [[ -n $base ]]; then
  [[ -f $base && -r $base ]] || die "--base $base: not a readable regular file"
fi
# The package depends on a jmem at least as new as the jmemd that validates it ("jmemd VERSION").
jmemd_version=$("$jmemd" --version 2>/dev/null) || die "$jmemd --version failed: is it jmemd?"
jmemd_version=${jmemd_version#jmemd }
[[ $jmemd_version =~ ^([0-9]+:)?[0-9][A-Za-z0-9.+~-]*$ ]] ||
  die "$jmemd --version printed $(printf '%q' "$jmemd_version"), not \"jmemd VERSION\": is it jmemd?"
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
# The maintainer scripts: a head naming the package and its drop-ins, then the script itself.
script_head() {
  printf '#!/bin/sh\n%s\nset -e\n\nPACKAGE=%s\nFILES="%s"\n' "$1" "$package" "$files"
  # shellcheck disable=SC2016  # expanded by the maintainer scripts
  printf '%s\n' '
# The drop-ins dpkg records for the package, with their md5sums: at preinst those of the version
# installed before; after an upgrade the ones no longer shipped stay listed (obsolete).
recorded_conffiles() {
	dpkg-query -W -f="\${Conffiles}\n" "$PACKAGE" 2>/dev/null | while read -r file sum rest; do
		case "$file" in /etc/jmem/policy.d/*.toml) echo "$file $sum" ;; esac
	done
}

shipped() {
	case " $FILES " in *" $1 "*) return 0 ;; esac
	return 1
}

# Whether a drop-in set aside as FILE.dpkg-* belongs to this package: dpkg lists it as owned by it,
# or by none (dpkg forgets a conffile an upgrade no longer ships once it is gone from its place).
ours() {
	owners=$(dpkg-query -S "$1" 2>/dev/null | sed -n "s/: .*//p")
	case "$owners" in "" | "$PACKAGE") return 0 ;; esac
	return 1
}

# jmemd reloads through its unit (ExecReload sends SIGHUP); nothing where it is not running.
reload_jmemd() {
	if [ -d /run/systemd/system ] && [ -z "${DPKG_ROOT:-}" ]; then
		deb-systemd-invoke try-reload-or-restart jmemd.service || true
	fi
}'
}
{
  script_head '# Puts back what the package set aside, and takes away the drop-ins an upgrade no longer ships.'
  cat <<'EOF'

case "$1" in
	install|upgrade)
		# Set aside by a removal (NAME.dpkg-removed) or refused by the device's jmemd
		# (NAME.dpkg-refused): a copy comes back before dpkg unpacks, so that dpkg handles it as the
		# conffile it is. The postinst deletes the set-aside file; the postrm deletes the copy if
		# the installation fails.
		for file in $FILES; do
			for aside in "$file.dpkg-removed" "$file.dpkg-refused"; do
				if [ -e "$aside" ] && [ ! -e "$file" ]; then cp -p "$aside" "$file"; fi
			done
		done
		;;
esac

if [ "$1" = upgrade ]; then
	# As dpkg-maintscript-helper rm_conffile: a drop-in the new version no longer ships (jmemd would
	# go on reading it) becomes NAME.dpkg-remove, or NAME.dpkg-backup if it was edited; the postinst
	# deletes it or keeps it as NAME.dpkg-bak, the postrm puts it back if the upgrade fails.
	recorded_conffiles | while read -r file sum; do
		if shipped "$file" || [ ! -e "$file" ]; then continue; fi
		if [ "$(md5sum <"$file" | cut -d ' ' -f 1)" = "$sum" ]; then
			mv -f "$file" "$file.dpkg-remove"
		else
			mv -f "$file" "$file.dpkg-backup"
		fi
	done
fi

exit 0
EOF
} >"$tree/DEBIAN/preinst"
{
  script_head '# Validates the policy with the drop-ins on the device, then jmemd reloads it.'
  cat <<'EOF'
JMEMD=/usr/sbin/jmemd

if [ "$1" = configure ]; then
	# What was set aside is no longer needed where the drop-in is in place; a retry of a refused
	# configuration (dpkg --configure -a) puts the refused drop-in back, to validate it again.
	for file in $FILES; do
		if [ -e "$file.dpkg-refused" ] && [ ! -e "$file" ]; then mv "$file.dpkg-refused" "$file"; fi
		if [ -e "$file" ]; then rm -f "$file.dpkg-removed" "$file.dpkg-refused"; fi
	done
	# rm_conffile, finished: a drop-in no longer shipped goes, or stays as NAME.dpkg-bak if edited.
	for aside in /etc/jmem/policy.d/*.toml.dpkg-remove /etc/jmem/policy.d/*.toml.dpkg-backup \
		/etc/jmem/policy.d/*.toml.dpkg-refused; do
		file=${aside%.dpkg-*}
		if [ ! -e "$aside" ] || shipped "$file" || ! ours "$file"; then continue; fi
		case "$aside" in
			*.dpkg-backup)
				echo "$PACKAGE: $file is no longer shipped and was edited: kept as $file.dpkg-bak" >&2
				mv -f "$aside" "$file.dpkg-bak"
				;;
			*) rm -f "$aside" ;;
		esac
	done

	# jmemd refuses to start on a policy with a problem: one the device's policy.toml or other
	# drop-ins give these drop-ins must not wait for the next start. They are set aside, jmemd runs
	# the policy without them, and the configuration fails, so that apt reports it.
	if [ -z "${DPKG_ROOT:-}" ] && [ -x "$JMEMD" ] && ! problems=$("$JMEMD" --check-config 2>&1 >/dev/null); then
		for file in $FILES; do
			if [ -e "$file" ]; then mv -f "$file" "$file.dpkg-refused"; fi
		done
		reload_jmemd
		echo "$PACKAGE: jmemd refuses the policy in /etc/jmem with this package's drop-ins:" >&2
		printf '%s\n' "$problems" >&2
		echo "$PACKAGE: they are set aside as NAME.toml.dpkg-refused and jmemd runs the policy without them." >&2
		if ! "$JMEMD" --check-config >/dev/null 2>&1; then
			echo "$PACKAGE: the policy has problems without them too: jmemd keeps the one it runs, and would not start." >&2
		fi
		echo "$PACKAGE: install a fixed version, or fix /etc/jmem and run dpkg --configure -a." >&2
		exit 1
	fi
	reload_jmemd
fi

exit 0
EOF
} >"$tree/DEBIAN/postinst"
{
  script_head '# Sets the drop-ins aside on removal, deletes them on purge, undoes the preinst if unpacking fails.'
  cat <<'EOF'
JMEMD=/usr/sbin/jmemd

case "$1" in
	remove)
		# dpkg keeps conffiles on removal, and jmemd would go on reading them: they are set aside
		# so that the policy without them applies.
		for file in $FILES; do
			if [ -e "$file" ]; then
				mv -f "$file" "$file.dpkg-removed"
			elif [ -e "$file.dpkg-refused" ]; then
				mv -f "$file.dpkg-refused" "$file.dpkg-removed"
			fi
		done
		reload_jmemd
		if [ -x "$JMEMD" ] && ! problems=$("$JMEMD" --check-config 2>&1 >/dev/null); then
			echo "$PACKAGE: jmemd refuses the policy in /etc/jmem and keeps running the one it had:" >&2
			printf '%s\n' "$problems" >&2
		fi
		;;
	purge)
		# dpkg deleted the conffiles; what the scripts set aside goes too, that of drop-ins earlier
		# versions shipped included (unless another package owns the drop-in).
		for aside in /etc/jmem/policy.d/*.toml.dpkg-removed /etc/jmem/policy.d/*.toml.dpkg-refused \
			/etc/jmem/policy.d/*.toml.dpkg-bak /etc/jmem/policy.d/*.toml.dpkg-remove \
			/etc/jmem/policy.d/*.toml.dpkg-backup; do
			if [ -e "$aside" ] && ours "${aside%.dpkg-*}"; then rm -f "$aside"; fi
		done
		rmdir /etc/jmem/policy.d 2>/dev/null || true
		;;
	abort-install|abort-upgrade)
		# The preinst undone: the copies it took back are deleted, the drop-ins it took away return.
		for file in $FILES; do
			for aside in "$file.dpkg-removed" "$file.dpkg-refused"; do
				if [ -e "$aside" ] && [ -e "$file" ]; then rm -f "$file"; fi
			done
		done
		for aside in /etc/jmem/policy.d/*.toml.dpkg-remove /etc/jmem/policy.d/*.toml.dpkg-backup; do
			file=${aside%.dpkg-*}
			if [ -e "$aside" ] && [ ! -e "$file" ] && ours "$file"; then mv "$aside" "$file"; fi
		done
		;;
esac

exit 0
EOF
} >"$tree/DEBIAN/postrm"
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
Depends: jmem (>= $jmemd_version)
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
