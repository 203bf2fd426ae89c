#!/usr/bin/env python3
"""jmemd.service's sandbox under real systemd 252 with polkit, in a container: the exposure score of
`systemd-analyze security` is at most 1.5, the process holds only CAP_SYS_PTRACE and CAP_SYS_RESOURCE, sees the file
system read-only but for its own paths and has no network, and the governor still does all its work
under it: READY, other users' smaps_rollup, NvMap from debugfs, status and check for an ordinary
user, apply (units, global user masks, extlinux.conf) and revert as root; the mutating calls refused
to an ordinary user and decided by polkit."""
import json
import os
import re
import sys

import jetson_units
from container import PACKAGES_WITH_POLKIT, Container, jmem_binds
from harness import ROOT, Checks, wait_for

NOBODY = "65534"
MAX_EXPOSURE = 1.5
CAP_SYS_PTRACE = 19
CAP_SYS_RESOURCE = 24
NVMAP_FIXTURE = os.path.join(ROOT, "tests/fixtures/nvmap/jetpack5-iovmm-clients")
EXTLINUX_FIXTURE = os.path.join(ROOT, "tests/fixtures/boot/jetpack6-extlinux.conf")
ALLOW_NOBODY_RULE = "/etc/polkit-1/rules.d/50-jmem-test.rules"


def ctl(c, *args, user=None):
    return c.run("jmemctl", "--no-pager", *args, user=user, timeout=120)


def ctl_json(c, *args):
    result = ctl(c, "--json", *args)
    return json.loads(result.stdout) if result.returncode == 0 else {}


def nvmap_total_bytes(clients_text):
    """The heap's own total line, read independently of jmemd's parser."""
    line = [l for l in clients_text.splitlines() if l.startswith("total")][0]
    return int(line.split()[-1].rstrip("K")) * 1024


def status_field(c, pid, name):
    for line in c.run("cat", f"/proc/{pid}/status").stdout.splitlines():
        if line.startswith(name + ":"):
            return line.split()[1]
    return None


def in_service_namespace(c, pid, command):
    """A shell command in jmemd's own mount namespace, where its sandbox is in force."""
    return c.run("nsenter", "-t", pid, "-m", "sh", "-c", command)


def start_jmemd(c):
    result = c.run("systemctl", "restart", "jmemd.service", timeout=60)
    wait_for(lambda: ctl(c, "status").returncode == 0, 30, "jmemd on the bus")
    return result


def test_sandbox(t, c, pid):
    analysis = c.run("systemd-analyze", "security", "--no-pager", "jmemd.service")
    found = re.search(r"Overall exposure level for jmemd\.service: ([0-9.]+)", analysis.stdout)
    exposure = float(found.group(1)) if found else 99.0
    print(f"systemd-analyze security jmemd.service: exposure {exposure}")
    print("\n".join(line for line in analysis.stdout.splitlines() if line.startswith("✗")))
    t.check(f"the exposure is at most {MAX_EXPOSURE}", exposure <= MAX_EXPOSURE, analysis.stdout[-400:])

    # Of the two, those the container's own bounding set holds (a host may withhold CAP_SYS_RESOURCE).
    container = int(status_field(c, "1", "CapBnd") or "0", 16)
    expected = f"{((1 << CAP_SYS_PTRACE) | (1 << CAP_SYS_RESOURCE)) & container:016x}"
    t.check("jmemd's capabilities are CAP_SYS_PTRACE and CAP_SYS_RESOURCE, nothing else",
            status_field(c, pid, "CapEff") == expected and status_field(c, pid, "CapBnd") == expected,
            (status_field(c, pid, "CapEff"), status_field(c, pid, "CapBnd"), expected))
    t.check("it cannot gain privileges", status_field(c, pid, "NoNewPrivs") == "1")
    # nspawn filters every process of the container already: the unit's filter comes on top.
    t.check("a system-call filter of its own is in force",
            int(status_field(c, pid, "Seccomp_filters") or 0) > int(status_field(c, "1", "Seccomp_filters") or 0),
            (status_field(c, pid, "Seccomp_filters"), status_field(c, "1", "Seccomp_filters")))
    devices = [l.split(":")[0].strip() for l in c.run("cat", f"/proc/{pid}/net/dev").stdout.splitlines()[2:]]
    t.check("its network namespace has only loopback", devices == ["lo"], devices)

    etc = in_service_namespace(c, pid, "touch /etc/jmem-probe")
    t.check("/etc is read-only to it", etc.returncode != 0 and "Read-only" in etc.stderr, etc.stderr)
    usr = in_service_namespace(c, pid, "touch /usr/jmem-probe")
    t.check("/usr is read-only to it", usr.returncode != 0 and "Read-only" in usr.stderr, usr.stderr)
    for path in ("/etc/systemd/user", "/boot", "/var/lib/jmem"):
        probe = in_service_namespace(c, pid, f"touch {path}/.jmem-probe && rm {path}/.jmem-probe")
        t.check(f"{path} is writable to it", probe.returncode == 0, probe.stderr)
    c.write("/root/jmem-probe", "private\n")
    home = in_service_namespace(c, pid, "test -e /root/jmem-probe")
    t.check("/root is hidden from it", home.returncode != 0)


def test_reading(t, c, nvmap_expected):
    status = ctl_json(c, "status")
    t.check("status works for root", bool(status), status)
    t.check("no process is denied to it", status.get("totals", {}).get("processes_denied") == 0, status.get("totals"))
    t.check("NvMap is read from debugfs", status.get("nvmap", {}).get("available") is True, status.get("nvmap"))
    t.check("the NvMap total is the heap's total line", status.get("nvmap", {}).get("total_bytes") == nvmap_expected,
            status.get("nvmap"))
    other = [p for p in ctl_json(c, "top", "--lines", "0").get("processes", []) if p["unit"] == "other-user.service"]
    t.check("another user's process is in the ledger with its PSS",
            len(other) == 1 and other[0]["uid"] == int(NOBODY) and (other[0]["pss_bytes"] or 0) > 0, other)

    result = ctl(c, "status", user=NOBODY)
    t.check("an ordinary user can read the status", result.returncode == 0 and "jmemd" in result.stdout, result.stderr)
    result = ctl(c, "check", user=NOBODY)
    t.check("an ordinary user can check (drift: 5)", result.returncode == 5, (result.returncode, result.stderr))


def test_refusals(t, c):
    for verb in (["reload"], ["apply"], ["revert"], ["throttle", "other-user.service"],
                 ["release", "other-user.service"]):
        result = ctl(c, *verb, user=NOBODY)
        t.check(f"an ordinary user may not {verb[0]} (exit 4)", result.returncode == 4, (result.returncode, result.stderr))
    t.check("polkit answered", c.run("systemctl", "is-active", "polkit.service").stdout.strip() == "active")
    # The refusal is polkit's decision: a rule that grants the action to nobody lets it through.
    c.write(ALLOW_NOBODY_RULE, 'polkit.addRule(function(action, subject) {\n'
            '  if (action.id == "org.jmem.governor1.manage" && subject.user == "nobody") return polkit.Result.YES;\n'
            '});\n')
    try:
        wait_for(lambda: ctl(c, "reload", user=NOBODY).returncode == 0, 20, "polkit to load the rule")
        t.check("with a polkit rule for it, an ordinary user may reload", True)
    except TimeoutError:
        t.check("with a polkit rule for it, an ordinary user may reload", False, ctl(c, "reload", user=NOBODY).stderr)
    c.run("rm", ALLOW_NOBODY_RULE)
    wait_for(lambda: ctl(c, "reload", user=NOBODY).returncode == 4, 20, "polkit to drop the rule")


def test_work_as_root(t, c, extlinux):
    before = jetson_units.snapshot(c)
    applied = ctl(c, "apply")
    t.check("root may apply", applied.returncode == 0, applied.stderr + applied.stdout[-600:])
    check = ctl(c, "--json", "check")
    report = json.loads(check.stdout or "{}")
    # The next boot has swiotlb=65536; this boot will not have it until the reboot jmem never makes.
    waiting = [(i["item"], i["subject"], i["state"]) for i in report.get("items", [])
               if i["state"] not in ("ok", "not applicable")]
    t.check("the device then complies but for this boot's swiotlb, reboot pending",
            waiting == [("boot-now", "swiotlb", "reboot pending")], waiting or check.stderr)
    t.check("check says reboot-pending, compliant false, and exits 7",
            check.returncode == 7 and report.get("verdict") == "reboot-pending" and report.get("compliant") is False,
            (check.returncode, report.get("verdict"), report.get("compliant"), check.stderr))
    t.check("gdm3 is masked through systemd", c.run("systemctl", "is-enabled", "gdm3.service").stdout.strip() == "masked")
    t.check("pulseaudio is masked for every user in /etc/systemd/user",
            c.run("readlink", "/etc/systemd/user/pulseaudio.service").stdout.strip() == "/dev/null")
    edited = c.run("cat", "/boot/extlinux/extlinux.conf").stdout
    t.check("extlinux.conf is rewritten", "swiotlb=65536" in edited and edited != extlinux)
    journal = c.run("stat", "-c", "%a %s", "/var/lib/jmem", "/var/lib/jmem/changes.jsonl").stdout.split()
    t.check("the journal is private to root and holds the changes",
            journal[:1] == ["700"] and journal[2:3] == ["600"] and int(journal[3]) > 0, journal)

    reverted = ctl(c, "revert")
    t.check("root may revert", reverted.returncode == 0, reverted.stderr + reverted.stdout[-600:])
    t.check("revert restores the units and /etc exactly", jetson_units.snapshot(c) == before)
    t.check("revert restores extlinux.conf byte for byte", c.run("cat", "/boot/extlinux/extlinux.conf").stdout == extlinux)


def test_ptrace_is_needed(t, c):
    """Without CAP_SYS_PTRACE other processes' smaps_rollup is denied: the one capability is needed."""
    c.write("/run/systemd/system/jmemd.service.d/no-caps.conf", "[Service]\nCapabilityBoundingSet=\n")
    c.run("systemctl", "daemon-reload")
    start_jmemd(c)
    status = ctl_json(c, "status")
    denied = status.get("totals", {}).get("processes_denied")
    t.check("without CAP_SYS_PTRACE processes are denied", (denied or 0) > 0, denied)
    # Named, as /proc names them: each listed one's comm and owner are what /proc/PID says.
    listed = status.get("unreadable_processes", [])
    t.check("status lists the unreadable processes", 0 < len(listed) <= denied, (denied, listed[:3]))
    for p in listed[:5]:
        comm = c.run("cat", f"/proc/{p['pid']}/comm").stdout.strip()
        uid = c.run("awk", "/^Uid:/ {print $2}", f"/proc/{p['pid']}/status").stdout.strip()
        if comm:  # still there
            t.check(f"unreadable process {p['pid']} is named {comm}", p["comm"] == comm and str(p["uid"]) == uid,
                    (p, comm, uid))
    text = ctl(c, "status").stdout
    named = f"{denied} unreadable: {listed[0]['comm']} ({listed[0]['pid']})" if listed else "(none listed)"
    t.check("status names them in its text", named in text, text[:800])
    # An ordinary user sees them as /proc lets it: all where /proc hides nothing, else its own alone.
    nobody = json.loads(ctl(c, "--json", "status", user="65534").stdout or "{}").get("unreadable_processes")
    hides = "hidepid" in c.run("findmnt", "-no", "OPTIONS", "/proc").stdout
    t.check("an ordinary user is shown the unreadable processes as /proc would show them",
            nobody is not None and (all(p.get("uid") == 65534 for p in nobody) if hides else
                                    bool(nobody) == bool(listed) and
                                    {p["pid"] for p in nobody} <= {p["pid"] for p in listed}), (hides, nobody))
    c.run("rm", "/run/systemd/system/jmemd.service.d/no-caps.conf")
    c.run("systemctl", "daemon-reload")
    start_jmemd(c)


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    binds = jmem_binds(jmemd, jmemctl)
    binds[os.path.join(ROOT, "units/polkit/org.jmem.governor1.policy")] = \
        "/usr/share/polkit-1/actions/org.jmem.governor1.policy"
    with open(NVMAP_FIXTURE) as f:
        nvmap_clients = f.read()
    with open(EXTLINUX_FIXTURE) as f:
        extlinux = f.read()
    with open(os.path.join(ROOT, "policy/default-policy.toml")) as f:
        policy = f.read().replace("edit_extlinux = false", "edit_extlinux = true").replace(
            "swiotlb = { any = true }", "swiotlb = { slabs = 65536 }")
    t = Checks()
    with Container(binds, PACKAGES_WITH_POLKIT) as c:
        jetson_units.install(c)
        c.run("busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig")
        # debugfs as on a Jetson: an NvMap heap under /sys/kernel/debug (a tmpfs stands in for it).
        c.run("mount", "-t", "tmpfs", "debugfs-stand-in", "/sys/kernel/debug")
        c.write("/sys/kernel/debug/nvmap/iovmm/clients", nvmap_clients)
        c.write("/boot/extlinux/extlinux.conf", extlinux)
        c.write("/etc/jmem/policy.toml", policy)
        c.run("systemd-run", "--unit=other-user.service", f"--uid={NOBODY}", "/bin/sleep", "infinity")

        started = start_jmemd(c)
        t.check("jmemd starts and reports READY under the sandbox", started.returncode == 0 and
                c.show("jmemd", "SubState") == "running", started.stderr)
        test_sandbox(t, c, c.show("jmemd", "MainPID"))
        test_reading(t, c, nvmap_total_bytes(nvmap_clients))
        test_refusals(t, c)
        test_work_as_root(t, c, extlinux)
        test_ptrace_is_needed(t, c)
        log = c.run("journalctl", "-u", "jmemd", "--no-pager", "-o", "cat").stdout
        t.check("no request was refused by the sandbox", "Operation not permitted" not in log.replace(
            "Failed to configure loopback network device, ignoring: Operation not permitted", ""), log[-1500:])
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
