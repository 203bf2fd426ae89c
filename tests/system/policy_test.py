#!/usr/bin/env python3
"""The policy under real systemd 252 in a container with stand-in units named like a Jetson's
(gdm3, pulseaudio as a user unit, ModemManager, avahi-daemon .service and .socket, rsyslog, bluetooth)
and graphical.target as default: audit changes nothing; apply reaches compliance; revert restores the
unit-file state and /etc byte for byte, also after jmemd is killed with SIGKILL halfway through an
apply; an invalid policy is refused and changes nothing."""
import os
import sys
import time

import jetson_units
from container import Container, jmem_binds
from harness import ROOT, Checks, wait_for

JOURNAL = "/var/lib/jmem/changes.jsonl"


def differences(a, b):
    out = []
    for key in a:
        if a[key] != b[key]:
            left, right = set(a[key].splitlines()), set(b[key].splitlines())
            out.append(f"{key}: only before {sorted(left - right)[:5]} only after {sorted(right - left)[:5]}")
    return "; ".join(out)


def ctl(c, *args):
    return c.run("jmemctl", "--no-pager", *args, timeout=120)


def restart_jmemd(c):
    c.run("systemctl", "restart", "jmemd.service", timeout=60)
    wait_for(lambda: ctl(c, "status").returncode == 0, 30, "jmemd on the bus")


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    t = Checks()
    with Container(jmem_binds(jmemd, jmemctl)) as c:
        jetson_units.install(c)
        c.run("busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig")
        # jmemd's own runtime state lives outside /etc, so the snapshots see only what the policy touches.
        c.run("systemctl", "start", "jmemd.service", timeout=60)
        wait_for(lambda: ctl(c, "status").returncode == 0, 30, "jmemd on the bus")
        before = jetson_units.snapshot(c)

        # Audit: the built-in default policy reports drift and changes nothing.
        check = ctl(c, "check")
        t.check("check exits 5 on drift", check.returncode == 5, (check.returncode, check.stderr))
        for unit in ("gdm3.service", "ModemManager.service", "avahi-daemon.socket", "rsyslog.service",
                     "pulseaudio.service", "graphical.target"):
            t.check(f"check reports {unit}", unit in check.stdout, check.stdout[-800:])
        t.check("check prices the drift", "in use by what the policy would stop" in check.stdout)
        time.sleep(3)
        t.check("audit mode changed nothing", jetson_units.snapshot(c) == before,
                differences(before, jetson_units.snapshot(c)))

        plan = ctl(c, "plan")
        t.check("plan lists the changes", "mask" in plan.stdout and "set-default-target" in plan.stdout, plan.stdout)
        t.check("plan changed nothing", jetson_units.snapshot(c) == before)

        # Apply, then check is clean.
        applied = ctl(c, "apply")
        t.check("apply succeeds", applied.returncode == 0, applied.stderr + applied.stdout)
        check = ctl(c, "check")
        t.check("check exits 0 after apply", check.returncode == 0, check.stdout[-1500:])
        t.check("gdm3 is masked", c.run("systemctl", "is-enabled", "gdm3.service").stdout.strip() == "masked")
        t.check("gdm3 is stopped", c.run("systemctl", "is-active", "gdm3.service").stdout.strip() == "inactive")
        t.check("the default target is multi-user", c.run("systemctl", "get-default").stdout.strip() == "multi-user.target")
        t.check("pulseaudio is masked for every user",
                c.run("systemctl", "--global", "is-enabled", "pulseaudio.service").stdout.strip() == "masked")

        # Revert restores everything byte for byte.
        reverted = ctl(c, "revert")
        t.check("revert succeeds", reverted.returncode == 0, reverted.stderr + reverted.stdout)
        after = jetson_units.snapshot(c)
        t.check("revert restores unit files, the default target and /etc exactly", after == before,
                differences(before, after))

        # SIGKILL halfway through an apply, then revert: still exact.
        c.run("sh", "-c", f"cp {JOURNAL} /run/journal-before-kill")
        base_lines = int(c.run("sh", "-c", f"wc -l < {JOURNAL}").stdout.strip() or 0)
        apply = c.popen("jmemctl", "apply")
        killed = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = int(c.run("sh", "-c", f"wc -l < {JOURNAL}").stdout.strip() or 0)
            if lines >= base_lines + 3:  # at least one change made and a second begun
                c.run("systemctl", "kill", "--signal=SIGKILL", "jmemd.service")
                killed = True
                break
            time.sleep(0.01)
        apply.wait(timeout=60)
        t.check("jmemd was killed in the middle of an apply", killed)
        journal = c.run("cat", JOURNAL).stdout
        t.check("the journal holds the interrupted apply", journal.count('"intent"') > 0)
        restart_jmemd(c)
        reverted = ctl(c, "revert")
        t.check("revert after SIGKILL succeeds", reverted.returncode == 0, reverted.stderr + reverted.stdout)
        after = jetson_units.snapshot(c)
        t.check("revert after SIGKILL restores everything exactly", after == before, differences(before, after))

        # Enforce mode: the policy is applied by itself, and drift that appears later (an upgrade
        # re-enables gdm3) is corrected and announced.
        with open(os.path.join(ROOT, "policy/default-policy.toml")) as f:
            enforce = f.read().replace('mode = "audit"', 'mode = "enforce"').replace(
                "sample_interval_ms = 1000", "sample_interval_ms = 100")
        c.write("/etc/jmem/policy.toml", enforce)
        t.check("reload into enforce mode", ctl(c, "reload").returncode == 0)
        try:
            wait_for(lambda: ctl(c, "check").returncode == 0, 30, "enforce mode to reach compliance")
            t.check("enforce mode reached compliance by itself", True)
        except TimeoutError:
            t.check("enforce mode reached compliance by itself", False, ctl(c, "check").stdout[-800:])
        c.run("systemctl", "unmask", "gdm3.service")
        c.run("systemctl", "enable", "--now", "gdm3.service")
        t.check("the drift is there", c.run("systemctl", "is-active", "gdm3.service").stdout.strip() == "active")
        try:
            wait_for(lambda: c.run("systemctl", "is-enabled", "gdm3.service").stdout.strip() == "masked" and
                     c.run("systemctl", "is-active", "gdm3.service").stdout.strip() == "inactive", 30,
                     "the drift to be corrected")
            t.check("enforce mode corrected the drift", True)
        except TimeoutError:
            t.check("enforce mode corrected the drift", False)
        log = c.run("journalctl", "-u", "jmemd", "--no-pager", "-o", "cat").stdout
        t.check("the correction is logged", "Drift from the policy" in log, log[-600:])
        c.run("rm", "-rf", "/etc/jmem")
        t.check("reload back to the built-in audit policy", ctl(c, "reload").returncode == 0)
        reverted = ctl(c, "revert")
        t.check("revert after enforce mode succeeds", reverted.returncode == 0, reverted.stderr + reverted.stdout)
        after = jetson_units.snapshot(c)
        t.check("revert after enforce mode restores everything exactly", after == before, differences(before, after))

        # Mutating calls are refused to an ordinary user.
        result = c.run("jmemctl", "apply", user="65534")
        t.check("an ordinary user may not apply (exit 4)", result.returncode == 4, result.stderr)
        result = c.run("jmemctl", "revert", user="65534")
        t.check("an ordinary user may not revert (exit 4)", result.returncode == 4, result.stderr)
        t.check("an ordinary user may check", c.run("jmemctl", "check", user="65534").returncode in (0, 5))

        # Boot arguments: extlinux.conf is rewritten only when the policy allows it, atomically, and
        # restored byte for byte by revert; the reboot is reported, not done.
        with open(os.path.join(ROOT, "tests/fixtures/boot/jetpack6-extlinux.conf")) as f:
            extlinux = f.read()
        c.write("/boot/extlinux/extlinux.conf", extlinux)
        with open(os.path.join(ROOT, "policy/default-policy.toml")) as f:
            boot_policy = f.read().replace("edit_extlinux = false", "edit_extlinux = true").replace(
                "swiotlb = { any = true }", "swiotlb = { slabs = 65536 }")
        c.write("/etc/jmem/policy.toml", boot_policy)
        t.check("reload with a swiotlb rule", ctl(c, "reload").returncode == 0)
        check = ctl(c, "check")
        t.check("check shows swiotlb for this boot and the next", "boot-now" in check.stdout and "boot-next" in check.stdout,
                check.stdout[-600:])
        plan = ctl(c, "plan")
        t.check("plan edits the boot arguments and says a reboot is needed",
                "edit-boot-arguments" in plan.stdout and "reboot is needed" in plan.stdout, plan.stdout[-600:])
        t.check("apply edits extlinux.conf", ctl(c, "apply").returncode == 0)
        edited = c.run("cat", "/boot/extlinux/extlinux.conf").stdout
        default_append = [l for l in edited.splitlines() if "APPEND" in l][0]
        t.check("the DEFAULT entry now has swiotlb=65536", "swiotlb=65536" in default_append, default_append)
        t.check("every other line is untouched",
                [l for l in edited.splitlines() if "swiotlb" not in l] ==
                [l for l in extlinux.splitlines() if l != [x for x in extlinux.splitlines() if "APPEND" in x][0]])
        c.run("rm", "-rf", "/etc/jmem")
        ctl(c, "reload")
        t.check("revert of the boot edit succeeds", ctl(c, "revert").returncode == 0)
        t.check("extlinux.conf is restored byte for byte", c.run("cat", "/boot/extlinux/extlinux.conf").stdout == extlinux)
        after = jetson_units.snapshot(c)
        t.check("and /etc is as before", after == before, differences(before, after))

        # An invalid policy is refused on reload and changes nothing; the running one stays.
        c.write("/etc/jmem/policy.toml", 'mode = "enforce"\n[classes.gui]\naction = "mask"\nunits = ["dbus.service"]\n')
        before_bad = jetson_units.snapshot(c)
        reload = ctl(c, "reload")
        t.check("reload of an invalid policy fails", reload.returncode != 0)
        t.check("the error names file, line and column", "/etc/jmem/policy.toml:4:" in reload.stderr, reload.stderr)
        result = c.run("jmemd", "--check-config")
        t.check("jmemd --check-config exits 1", result.returncode == 1 and "policy.toml:4:" in result.stderr,
                result.stderr)
        t.check("jmemd still runs in audit mode", c.show("jmemd", "SubState") == "running" and
                "audit" in ctl(c, "status").stdout)
        c.run("systemctl", "reload", "jmemd.service", timeout=60)
        time.sleep(1)
        t.check("systemctl reload with a bad policy keeps jmemd running", c.show("jmemd", "SubState") == "running")
        after = jetson_units.snapshot(c)
        t.check("an invalid policy changed nothing", after == before_bad, differences(before_bad, after))
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
