#!/usr/bin/env python3
"""apt installs the release package and it runs, on each Debian release that stands in for a JetPack's
Ubuntu: 11 bullseye (glibc 2.31, systemd 247: Ubuntu 20.04, JetPack 5), 12 bookworm (252: Ubuntu 22.04,
JetPack 6) and 13 trixie (257: Ubuntu 24.04, JetPack 7), and on arm64 under qemu-user (binfmt_misc).

Each root is bare (minbase with systemd, systemd-sysv and dbus), built once and cached, and booted once
under systemd-nspawn for every check: `apt-get install ./jmem_VERSION_ARCH.deb` (apt resolves the
dependencies, and the Recommends: apt's default on Debian and Ubuntu, so what a device gets) ->
jmemd.service running and READY -> `jmemctl status` for an ordinary user -> `jmemctl check` reports the
bare root's drift (its default target is graphical.target, the policy's multi-user.target) -> `jmemctl
apply` as root sets it -> `apt-get remove jmem` reverts it, leaving the unit files and /etc as they were.
Prints a table of the roots and the time each took. Under qemu-user no unit gets a network namespace of
its own, so there jmemd.service runs without PrivateNetwork=, and the table says so.

DEB_DIR holds jmem_VERSION_amd64.deb and jmem_VERSION_arm64.deb."""
import json
import os
import re
import subprocess
import sys
import time

import jetson_units
from container import Container, native_arch, rootfs
from harness import Checks, wait_for
from installed import ctl, version
from package_test import without_jmem
from policy_test import differences

BARE = ["systemd", "systemd-sysv", "dbus"]
# arm64 under emulation costs about a minute a boot (four to make its root): one, the oldest glibc.
ROOTS = [("bullseye", "amd64"), ("bookworm", "amd64"), ("trixie", "amd64"), ("bullseye", "arm64")]
NOBODY = "65534"
EMULATION_DROPIN = "/run/systemd/system/jmemd.service.d/qemu-user.conf"
COLUMNS = ["boot", "installed", "running", "status", "check", "apply", "removal"]


class Row:
    """One root's line of the table: each column pass, fail or skipped, with the reason."""

    def __init__(self, t, suite, arch):
        self.t = t
        self.suite = suite
        self.arch = arch
        self.glibc = self.systemd = "?"
        self.emulated = ""  # what the hardened unit does without under qemu-user
        self.cells = {}
        self.notes = []
        self.times = []

    def record(self, column, name, ok, reason, detail=""):
        self.t.check(f"{self.suite} {self.arch}: {name}", ok, detail or reason)
        self.cells[column] = ("pass", "") if ok else ("fail", reason)
        return ok

    def skip_rest(self, reason):
        for column in COLUMNS:
            self.cells.setdefault(column, ("skipped", reason))


def first_line(text, pattern=""):
    """The first line matching pattern (an apt error, say), else the first line: a reason for the table."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    found = [l for l in lines if re.search(pattern, l)] if pattern else []
    return (found or lines or ["no output"])[0][:160]


def apt(c, *args, timeout=600):
    return c.run("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", "Dpkg::Use-Pty=0", *args, timeout=timeout)


def versions(c, row):
    found = re.search(r"([0-9]+\.[0-9]+)\s*$", (c.run("ldd", "--version").stdout.splitlines() or [""])[0])
    row.glibc = found.group(1) if found else "?"
    found = re.match(r"systemd ([0-9]+)", c.run("systemctl", "--version").stdout)
    row.systemd = found.group(1) if found else "?"


def install(c, row, deb):
    # A copy inside, readable by apt's unprivileged downloader.
    c.run("cp", f"/debs/{deb}", "/tmp/")
    # mmdebstrap leaves no package lists behind: the dependencies come from the release's mirror.
    update = apt(c, "-o", "Acquire::Languages=none", "update")
    if update.returncode != 0:
        return row.record("installed", "apt-get update reads the release's mirror", False,
                          "apt-get update: " + first_line(update.stderr + update.stdout, r"^(E|W):"),
                          update.stdout[-1500:] + update.stderr[-1500:])
    result = apt(c, "install", "-y", f"/tmp/{deb}")
    output = result.stdout + result.stderr
    new = re.search(r"The following NEW packages will be installed:\n((?:  .*\n)+)", result.stdout)
    if new:
        row.notes.append("apt installed: " + " ".join(new.group(1).split()))
    installed = c.run("dpkg-query", "-W", "-f=${db:Status-Status}", "jmem").stdout == "installed"
    if installed:
        polkit = c.run("dpkg-query", "-W", "-f=${db:Status-Status} ${Package}\n", "polkitd", "policykit-1").stdout
        found = [line.split()[1] for line in polkit.splitlines() if line.startswith("installed ")]
        row.notes.append(f"polkit from the Recommends: {', '.join(found)}" if found else
                         "no polkit came with the Recommends: only root may manage")
    return row.record("installed", "apt-get installs the package", result.returncode == 0 and installed,
                      "apt: " + first_line(output, r"Depends:|^E:|rror"), output[-3000:])


def running(c, row, timeout_s):
    def ready():
        return c.show("jmemd", "ActiveState") == "active" and c.show("jmemd", "SubState") == "running" and \
            "processes" in c.show("jmemd", "StatusText")
    try:
        ok = wait_for(ready, timeout_s, "jmemd.service to be READY")
    except TimeoutError:
        ok = False
    state = f"{c.show('jmemd', 'ActiveState')}/{c.show('jmemd', 'SubState')}, " \
            f"status \"{c.show('jmemd', 'StatusText')}\""
    log = c.run("journalctl", "-b", "-u", "jmemd", "--no-pager", "-n", "15").stdout
    return row.record("running", "jmemd.service is running and READY", ok, state, state + "\n" + log)


def status(c, row):
    result = ctl(c, "status", user=NOBODY)
    row.record("status", "jmemctl status works for an ordinary user", result.returncode == 0 and
               "jmemd" in result.stdout, f"exit {result.returncode}: {first_line(result.stderr)}", result.stderr)


def drift(c):
    """The items jmemctl check reports as drift, and its exit status."""
    result = ctl(c, "--json", "check")
    try:
        items = json.loads(result.stdout).get("items", [])
    except json.JSONDecodeError:
        items = []
    return result.returncode, [(i.get("item"), i.get("subject")) for i in items if i.get("state") == "drift"], result


def check_and_apply(c, row):
    """The bare root drifts from the policy in its default target; apply sets the policy's."""
    code, drifting, result = drift(c)
    row.record("check", "jmemctl check reports the default target's drift (exit 5)",
               code == 5 and any(item == "default-target" for item, _ in drifting),
               f"exit {code}, drift {drifting}", result.stdout[-1500:] + result.stderr)
    row.notes.append(f"drift before apply: {drifting}")
    applied = ctl(c, "apply")
    target = c.run("systemctl", "get-default").stdout.strip()
    code, drifting, result = drift(c)
    row.record("apply", "jmemctl apply as root sets multi-user.target, after which check finds no drift",
               applied.returncode == 0 and target == "multi-user.target" and code == 0 and not drifting,
               f"apply exit {applied.returncode}, default {target}, check exit {code}, drift {drifting}",
               applied.stdout[-1500:] + applied.stderr + result.stdout[-800:])


def removal(c, row, before, target_before):
    result = apt(c, "remove", "-y", "jmem")
    # Exactly as before: where only the vendor's default target applied, the revert leaves no
    # default.target link in /etc either.
    after = jetson_units.snapshot(c)
    target = c.run("systemctl", "get-default").stdout.strip()
    gone = c.run("dpkg-query", "-W", "-f=${db:Status-Status}", "jmem").stdout in ("config-files", "not-installed", "")
    # No procps in a bare root.
    stopped = c.show("jmemd", "ActiveState") in ("inactive", "") and \
        c.run("sh", "-c", "grep -qx jmemd /proc/[0-9]*/comm").returncode == 1
    differs = differences(without_jmem(before), without_jmem(after))
    row.record("removal", "apt-get remove jmem reverts the default target and leaves the system as before apply",
               result.returncode == 0 and gone and stopped and target == target_before and not differs,
               f"apt exit {result.returncode}, removed {gone}, stopped {stopped}, default {target}; {differs}",
               result.stdout[-1500:] + result.stderr[-1500:])


def emulation(c, row):
    """Under qemu-user systemd cannot give a unit a network namespace of its own (the unit fails at step
    NETWORK with EIO), whatever it runs; the hardened unit then runs without one, and the table says so."""
    probe = c.run("systemd-run", "--wait", "--quiet", "-p", "PrivateNetwork=yes", "/bin/true", timeout=120)
    if probe.returncode == 0:
        return
    c.write(EMULATION_DROPIN, "[Service]\nPrivateNetwork=no\n")
    c.run("systemctl", "daemon-reload")
    row.emulated = "PrivateNetwork=no"
    row.notes.append(f"under qemu-user no unit gets a network namespace (a bare unit with PrivateNetwork=yes exits "
                     f"{probe.returncode}): jmemd.service runs with PrivateNetwork=no from {EMULATION_DROPIN}")


def steps(c, row, deb_dir, deb, foreign, started):
    versions(c, row)
    if not os.path.exists(os.path.join(deb_dir, deb)):
        row.record("installed", f"{deb} is in DEB_DIR", False, f"no {deb}")
        return
    if foreign:
        emulation(c, row)
    if not install(c, row, deb):
        return
    row.times.append(f"installed at {time.monotonic() - started:.0f} s")
    if not running(c, row, 120 if foreign else 30):
        return
    status(c, row)
    # The state before apply, with jmem and what apt brought in installed.
    before = jetson_units.snapshot(c)
    target_before = c.run("systemctl", "get-default").stdout.strip()
    check_and_apply(c, row)
    removal(c, row, before, target_before)


def emulator(arch):
    """Why a root of arch cannot run here, or None."""
    name = {"arm64": "aarch64", "armhf": "arm", "ppc64el": "ppc64le"}.get(arch, arch)
    try:
        with open(f"/proc/sys/fs/binfmt_misc/qemu-{name}") as f:
            if f.readline().strip() == "enabled":
                return None
    except OSError:
        pass
    return f"no qemu-{name} in binfmt_misc (apt-get install qemu-user-static binfmt-support)"


def test_root(t, deb_dir, deb_version, suite, arch):
    row = Row(t, suite, arch)
    foreign = arch != native_arch()
    started = time.monotonic()
    why = emulator(arch) if foreign else None
    try:
        if not why:
            rootfs(BARE, suite, arch)  # once: later runs find it cached
    except subprocess.CalledProcessError as e:
        why = f"mmdebstrap exited {e.returncode}"
    row.times.append(f"root {time.monotonic() - started:.0f} s")
    if why:
        row.record("boot", "the root is made", False, why)
        row.skip_rest("no root")
        return row
    started = time.monotonic()
    container = Container({deb_dir: "/debs"}, BARE, suite=suite, arch=arch)
    try:
        c = container.__enter__()
    except (RuntimeError, TimeoutError, OSError, subprocess.SubprocessError) as e:
        row.record("boot", "the bare root boots under systemd-nspawn", False, str(e)[:160])
        row.skip_rest("no boot")
        c = None
    if c:
        try:
            row.times.append(f"booted at {time.monotonic() - started:.0f} s")
            row.record("boot", "the bare root boots under systemd-nspawn", True, "")
            steps(c, row, deb_dir, f"jmem_{deb_version}_{arch}.deb", foreign, started)
        except subprocess.TimeoutExpired as e:
            step = next(column for column in COLUMNS if column not in row.cells)
            row.record(step, f"{step}: a command ends in time", False, f"timed out: {' '.join(map(str, e.cmd))[-120:]}")
        finally:
            container.__exit__(None, None, None)
        done = [column for column in COLUMNS if column in row.cells]
        row.skip_rest(f"{done[-1]} {'failed' if row.cells[done[-1]][0] == 'fail' else 'passed, the rest not run'}")
    row.times.append(f"total {time.monotonic() - started:.0f} s")
    print(f"{suite} {arch}: {', '.join(row.times)}", flush=True)
    return row


def print_table(rows):
    header = ["release", "arch", "glibc", "systemd"] + COLUMNS

    def cell(r, column):
        verdict = r.cells[column][0]
        return verdict + "*" if column == "running" and verdict == "pass" and r.emulated else verdict

    lines = [[r.suite, r.arch + (" (qemu-user)" if r.arch != native_arch() else ""), r.glibc, r.systemd] +
             [cell(r, c) for c in COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in [header] + lines) for i in range(len(header))]
    for line in [header] + lines:
        print("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip())
    if any(r.emulated for r in rows):
        print("*: under qemu-user, which cannot run the unit's whole sandbox (see below)")
    for r in rows:
        failed = [(c, r.cells[c][1]) for c in COLUMNS if r.cells[c][0] == "fail"]
        skipped = [c for c in COLUMNS if r.cells[c][0] == "skipped"]
        for column, reason in failed:
            print(f"{r.suite} {r.arch}: {column} failed: {reason}")
        if skipped:
            print(f"{r.suite} {r.arch}: {', '.join(skipped)} skipped: {r.cells[skipped[0]][1]}")
        for note in r.notes:
            print(f"{r.suite} {r.arch}: {note}")
        print(f"{r.suite} {r.arch}: {', '.join(r.times)}")


def main():
    deb_dir = os.path.abspath(sys.argv[1])
    t = Checks()
    rows = [test_root(t, deb_dir, version(), suite, arch) for suite, arch in ROOTS]
    print_table(rows)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
