#!/usr/bin/env python3
"""The release packages against the JetPack releases they must install on, which are not reachable
here: the symbol versions their binaries need (objdump -T, objdump -p), and their Depends and
Recommends against what Ubuntu 20.04, 22.04 and 24.04 ship (from Ubuntu's package pages, as
shared/reference/targets.md lists them) and what the Debian stand-ins ship.

Usage: compat_test.py DEB_DIR (jmem_VERSION_amd64.deb and jmem_VERSION_arm64.deb)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from harness import Checks
from installed import version

# The oldest target, Ubuntu 20.04 (JetPack 5): glibc 2.31, libsystemd0 245. libstdc++ is linked in.
GLIBC_MAX = "2.31"
LIBSYSTEMD_MAX = 245
BINARIES = ["usr/sbin/jmemd", "usr/bin/jmemctl"]
ALLOWED_NEEDED = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "libsystemd.so.0",
                  "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}

# The systemd version that brought each directive jmemd.service uses (systemd's NEWS and
# shared/reference/targets.md). On 245 (Ubuntu 20.04) an unknown directive would be ignored with a
# warning: none may be newer, and a directive missing here fails the test until it is looked up.
OLDEST_SYSTEMD = 245
DIRECTIVE_SINCE = {
    "Description": 1, "Documentation": 1, "Requires": 1, "After": 1, "WantedBy": 1, "Type": 1, "ExecStart": 1,
    "ExecReload": 1, "Restart": 1, "RestartSec": 1, "NotifyAccess": 1, "OOMScoreAdjust": 1, "LimitNOFILE": 1,
    "UMask": 1, "PrivateTmp": 1, "PrivateNetwork": 1, "CapabilityBoundingSet": 1, "DeviceAllow": 1,
    "DevicePolicy": 1, "WatchdogSec": 1, "SystemCallFilter": 187, "SystemCallErrorNumber": 187,
    "NoNewPrivileges": 187, "SystemCallArchitectures": 209, "RestrictAddressFamilies": 211, "ProtectHome": 214,
    "ProtectSystem": 214, "ReadWritePaths": 231, "MemoryDenyWriteExecute": 231, "RestrictRealtime": 231,
    "ProtectKernelTunables": 232, "ProtectKernelModules": 232, "ProtectControlGroups": 232, "RemoveIPC": 232,
    "RestrictNamespaces": 233, "StateDirectory": 235, "StateDirectoryMode": 235, "IPAddressDeny": 235,
    "LockPersonality": 235, "ProtectHostname": 242, "RestrictSUIDSGID": 242, "ProtectKernelLogs": 244,
    "ProtectClock": 245,
}
SYSTEM_CALL_SETS_SINCE = {"@system-service": 242, "@privileged": 231, "@resources": 231}

# What each target has: package -> (version, [virtual packages it provides]).
TARGETS = {
    "Ubuntu 20.04 (JetPack 5)": {
        "libc6": ("2.31-0ubuntu9", []),
        "libsystemd0": ("245.4-4ubuntu3", []),
        "dbus": ("1.12.16-2ubuntu2", []),
        "policykit-1": ("0.105-26ubuntu1", []),
    },
    "Ubuntu 22.04 (JetPack 6)": {
        "libc6": ("2.35-0ubuntu3", []),
        "libsystemd0": ("249.11-0ubuntu3", []),
        "dbus": ("1.12.20-2ubuntu4", ["default-dbus-system-bus", "dbus-system-bus"]),
        "polkitd": ("0.105-33", []),
        "policykit-1": ("0.105-33", []),
    },
    "Ubuntu 24.04 (JetPack 7)": {
        "libc6": ("2.39-0ubuntu8", []),
        "libsystemd0": ("255.4-1ubuntu8", []),
        "dbus": ("1.14.10-4ubuntu4", ["default-dbus-system-bus", "dbus-system-bus"]),
        "polkitd": ("124-2ubuntu1", []),
    },
    "Debian 11": {
        "libc6": ("2.31-13+deb11u11", []),
        "libsystemd0": ("247.3-7+deb11u6", []),
        "dbus": ("1.12.28-0+deb11u1", ["dbus-system-bus", "default-dbus-system-bus"]),
        "policykit-1": ("0.105-31+deb11u1", []),
    },
    "Debian 12": {
        "libc6": ("2.36-9+deb12u10", []),
        "libsystemd0": ("252.36-1~deb12u1", []),
        "dbus": ("1.14.10-1~deb12u1", ["dbus-system-bus", "default-dbus-system-bus"]),
        "polkitd": ("122-3", []),
    },
    "Debian 13": {
        "libc6": ("2.41-12", []),
        "libsystemd0": ("257.9-1~deb13u1", []),
        "dbus": ("1.16.2-2", ["dbus-system-bus", "default-dbus-system-bus"]),
        "polkitd": ("126-2", []),
    },
}


def version_holds(have, op, want):
    ops = {">=": "ge", "<=": "le", ">>": "gt", "<<": "lt", "=": "eq"}
    return subprocess.run(["dpkg", "--compare-versions", have, ops[op], want]).returncode == 0


def satisfied(alternative, target):
    """One alternative of a relation, "name (op version)" or "name", on a target's packages."""
    match = re.fullmatch(r"([a-z0-9.+-]+)(?::any)?(?: \((>=|<=|>>|<<|=) ([^)]+)\))?", alternative.strip())
    if not match:
        return False
    name, op, wanted = match.groups()
    if name in target:
        return op is None or version_holds(target[name][0], op, wanted)
    # A virtual package satisfies only an unversioned relation.
    return op is None and any(name in provides for _, provides in target.values())


def relations(field):
    return [[alt for alt in group.split("|")] for group in field.split(",") if group.strip()]


def objdump(binary):
    for tool in ("objdump", "aarch64-linux-gnu-objdump"):
        path = shutil.which(tool)
        if not path:
            continue
        symbols = subprocess.run([path, "-T", binary], capture_output=True, text=True)
        headers = subprocess.run([path, "-p", binary], capture_output=True, text=True)
        if symbols.returncode == 0 and headers.returncode == 0:
            return symbols.stdout, headers.stdout
    return None, None


def newest(versions):
    return max(versions, key=lambda v: [int(p) for p in v.split(".")], default=None)


def check_binaries(t, tree, arch, report):
    """tree: the package's files, unpacked."""
    for binary in BINARIES:
        path = os.path.join(tree, binary)
        name = os.path.basename(binary)
        symbols, headers = objdump(path)
        if not t.check(f"{arch} {name}: objdump reads it", symbols is not None):
            continue
        glibc = newest(re.findall(r"\(GLIBC_([0-9.]+)\)", symbols))
        glibcxx = sorted(set(re.findall(r"\((GLIBCXX_[0-9.]+|CXXABI_[0-9.]+)\)", symbols)))
        systemd = [int(v) for v in re.findall(r"\(LIBSYSTEMD_([0-9]+)\)", symbols)]
        needed = set(re.findall(r"NEEDED\s+(\S+)", headers))
        t.check(f"{arch} {name}: no glibc symbol newer than {GLIBC_MAX}", glibc is not None and
                newest([glibc, GLIBC_MAX]) == GLIBC_MAX, glibc)
        t.check(f"{arch} {name}: libstdc++ is linked in (no GLIBCXX or CXXABI symbol, no libstdc++.so)",
                not glibcxx and not any(n.startswith("libstdc++") for n in needed), (glibcxx, needed))
        t.check(f"{arch} {name}: no libsystemd symbol newer than {LIBSYSTEMD_MAX}",
                systemd and max(systemd) <= LIBSYSTEMD_MAX, max(systemd, default=None))
        t.check(f"{arch} {name}: it needs only libc and libsystemd", needed <= ALLOWED_NEEDED,
                needed - ALLOWED_NEEDED)
        report.append((arch, name, f"GLIBC_{glibc}", f"LIBSYSTEMD_{max(systemd, default=0)}",
                       " ".join(glibcxx) or "none (static)", os.path.getsize(path)))


def check_relations(t, deb, arch):
    fields = {}
    for field in ("Depends", "Recommends"):
        fields[field] = subprocess.run(["dpkg-deb", "-f", deb, field], capture_output=True, text=True).stdout.strip()
    print(f"{arch} Depends: {fields['Depends']}")
    print(f"{arch} Recommends: {fields['Recommends']}")
    names = {alt.split()[0].split(":")[0] for group in relations(fields["Depends"]) for alt in group}
    t.check(f"{arch}: Depends names only libc6, libsystemd0 and the system bus",
            names <= {"libc6", "libsystemd0", "dbus", "default-dbus-system-bus", "dbus-system-bus"}, names)
    for target_name, target in TARGETS.items():
        for field, text in fields.items():
            for group in relations(text):
                t.check(f"{arch} on {target_name}: {field} {'|'.join(a.strip() for a in group)} is met",
                        any(satisfied(alt, target) for alt in group))


def check_unit(t, tree):
    units = [os.path.join(d, f) for d, _, files in os.walk(tree) for f in files if f == "jmemd.service"]
    if not t.check("the package ships jmemd.service", len(units) == 1, units):
        return
    with open(units[0]) as f:
        lines = [line.strip() for line in f if "=" in line and not line.lstrip().startswith(("#", ";"))]
    newest_since = 0
    for line in lines:
        key, value = line.split("=", 1)
        since = DIRECTIVE_SINCE.get(key)
        t.check(f"jmemd.service: {key}= is known to systemd {OLDEST_SYSTEMD}",
                since is not None and since <= OLDEST_SYSTEMD, since)
        newest_since = max(newest_since, since or 0)
        if key == "SystemCallFilter":
            for group in re.findall(r"@[a-z-]+", value):
                t.check(f"jmemd.service: system call set {group} is known to systemd {OLDEST_SYSTEMD}",
                        SYSTEM_CALL_SETS_SINCE.get(group, OLDEST_SYSTEMD + 1) <= OLDEST_SYSTEMD)
    print(f"jmemd.service: {len(lines)} directives, the newest from systemd {newest_since}")


def main():
    deb_dir = os.path.abspath(sys.argv[1])
    t = Checks()
    report = []
    for arch in ("amd64", "arm64"):
        deb = os.path.join(deb_dir, f"jmem_{version()}_{arch}.deb")
        if not t.check(f"{os.path.basename(deb)} was built (tests/package/build_packages.sh)", os.path.exists(deb)):
            continue
        print(f"{os.path.basename(deb)}: {os.path.getsize(deb)} bytes")
        with tempfile.TemporaryDirectory() as tree:
            subprocess.run(["dpkg-deb", "-x", deb, tree], check=True)
            check_binaries(t, tree, arch, report)
            if arch == "amd64":
                check_unit(t, tree)
        check_relations(t, deb, arch)
    print("| arch | binary | newest GLIBC | newest LIBSYSTEMD | GLIBCXX/CXXABI | bytes |")
    print("|---|---|---|---|---|---|")
    for row in report:
        print("| " + " | ".join(str(cell) for cell in row) + " |")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
