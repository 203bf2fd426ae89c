#!/usr/bin/env python3
"""The attacks again, against jmemd.service as it ships (the hardened unit, its bus policy, polkit
deciding for users) under real systemd 252 in a container: a caller whose real uid is 0 and effective
uid is not, refused by polkit; ten unprivileged callers flooding the journal with refusals; a policy
that is group-writable or crashes the parser refused on reload with the running policy kept; a state
directory others can write refused at start; a forged journal record reported by status and refused by
revert; /proc mounted with hidepid=invisible hiding other users' processes from a caller.
Usage: container_attack_test.py JMEMD JMEMCTL"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "system"))
from container import PACKAGES_WITH_POLKIT, Container, jmem_binds  # noqa: E402
from harness import ROOT, Checks, wait_for  # noqa: E402

NOBODY = "65534"
SCRIPTS = "/opt/jmem-security"
t = Checks()


def ctl(c, *args, user=None):
    return c.run("jmemctl", "--no-pager", *args, user=user, timeout=120)


def restart(c):
    c.run("systemctl", "reset-failed", "jmemd.service")
    result = c.run("systemctl", "restart", "jmemd.service", timeout=60)
    if result.returncode == 0:
        wait_for(lambda: ctl(c, "status").returncode == 0, 30, "jmemd on the bus")
    return result


def journal(c, since):
    return c.run("journalctl", "-u", "jmemd", "--no-pager", "-o", "cat", "--since", since).stdout


def now(c):
    return c.run("date", "+%Y-%m-%d %H:%M:%S").stdout.strip()


def test_identity(c):
    result = c.run("setpriv", f"--euid={NOBODY}", f"--egid={NOBODY}", "--clear-groups", "python3",
                   f"{SCRIPTS}/raw_bus.py", "call", "unix:path=/run/dbus/system_bus_socket", "Reload",
                   "Revert", timeout=60)
    answers = dict(line.split(" ", 1) for line in result.stdout.split("\n") if line)
    for method in ("Reload", "Revert"):
        t.check(f"under the unit, {method} from real uid 0 with effective uid nobody is refused",
                answers.get(method, "").endswith("AccessDenied"), result.stdout + result.stderr)


def test_log_flood(c):
    since = now(c)
    time.sleep(1)
    flood = c.run("sh", "-c", f"for i in $(seq 10); do setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups "
                  f"python3 {SCRIPTS}/raw_bus.py flood unix:path=/run/dbus/system_bus_socket 10 & done; "
                  "wait", timeout=120)
    calls = sum(int(n) for n in flood.stdout.split())
    time.sleep(11)
    log = journal(c, since)
    refused = log.count("Refused Reload")
    print(f"under the unit: {calls} refused calls from 10 clients in 10 s, {refused} 'Refused' lines in the journal, "
          f"{log.count('were not logged')} summary lines")
    t.check("under the unit, the flood made many calls", calls >= 50, flood.stderr[-300:])
    t.check("under the unit, the journal holds at most 10 refusal lines for it", refused <= 10, refused)
    t.check("under the unit, the rest is summed up", "more calls from uid 65534 were not logged" in log, log[-500:])


def test_policy(c):
    mode_before = json.loads(ctl(c, "--json", "status").stdout)["mode"]
    good = c.run("cat", "/etc/jmem/policy.toml").stdout
    for name, setup in (("a group-writable policy", lambda: c.run("chmod", "0664", "/etc/jmem/policy.toml")),
                        ("a 31,000-part dotted header", lambda: c.write(
                            "/etc/jmem/policy.toml", "[" + ".".join(["a"] * 31000) + "]\n"))):
        setup()
        since = now(c)
        reload = c.run("systemctl", "reload", "jmemd.service", timeout=60)
        time.sleep(1)
        log = journal(c, since)
        t.check(f"{name} is refused on reload and jmemd stays up",
                c.show("jmemd", "ActiveState") == "active" and "Reload refused" in log, (reload.stderr, log[-400:]))
        status = ctl(c, "--json", "status")
        t.check(f"after {name}, the running policy stays", status.returncode == 0 and
                json.loads(status.stdout)["mode"] == mode_before, status.stderr)
        c.write("/etc/jmem/policy.toml", good)
        c.run("chmod", "0644", "/etc/jmem/policy.toml")


def test_state(c):
    # systemd puts StateDirectoryMode back on the directory itself; a directory above it is jmemd's to judge.
    c.run("chmod", "0777", "/var/lib")
    since = now(c)
    started = restart(c)
    time.sleep(1)
    log = journal(c, since)
    t.check("under the unit, a state directory below one anyone can write keeps jmemd from starting, and says so",
            started.returncode != 0 and "/var/lib" in log, (started.returncode, log[-500:]))
    c.run("systemctl", "stop", "jmemd.service")
    c.run("chmod", "0755", "/var/lib")
    # A forged record: revert would copy a file of the attacker's over /etc/shadow.
    c.write("/var/lib/jmem/changes.jsonl",
            '{"seq":1,"txn":"t","state":"done","kind":"file","target":"/etc/shadow","before":{"backup":"/tmp/x"},'
            '"after":{},"time_usec":1}\n')
    c.run("chmod", "0600", "/var/lib/jmem/changes.jsonl")
    shadow = c.run("sha256sum", "/etc/shadow").stdout
    started = restart(c)
    t.check("jmemd starts beside a forged journal", started.returncode == 0, started.stderr)
    status = ctl(c, "status")
    t.check("status shows the forged record", "changes.jsonl:1" in status.stdout, status.stdout[-600:])
    revert = ctl(c, "revert")
    t.check("revert refuses it, naming the line, and exits non-zero",
            revert.returncode != 0 and "changes.jsonl:1" in revert.stdout + revert.stderr, (revert.returncode,
                                                                                          revert.stdout[-400:]))
    t.check("/etc/shadow is untouched", c.run("sha256sum", "/etc/shadow").stdout == shadow)
    c.run("systemctl", "stop", "jmemd.service")
    c.run("rm", "/var/lib/jmem/changes.jsonl")
    restart(c)


def test_output_and_roots(c):
    # Item 8: a drop-in whose name and content carry escapes; the journal gets them escaped.
    name = "/etc/jmem/policy.d/\x1b[31mred\nforged.toml:1:1: fake.toml"
    c.run("mkdir", "-p", "/etc/jmem/policy.d")
    c.run("sh", "-c", 'printf "mode = \\"\\033]0;pwned\\007\\"\\n" > "$1"', "sh", name)
    since = now(c)
    c.run("systemctl", "reload", "jmemd.service", timeout=60)
    time.sleep(1)
    log = journal(c, since)
    t.check("under the unit, a hostile drop-in is refused on reload", "Reload refused" in log, log[-400:])
    t.check("under the unit, no raw escape from a file name or policy string reaches the journal",
            "\x1b" not in log and "\x07" not in log and "\\x1b" in log, log[-600:])
    t.check("under the unit, a newline in a file name forges no extra problem line",
            not any(line.startswith("forged.toml") for line in log.splitlines()), log[-600:])
    c.run("sh", "-c", 'rm -f /etc/jmem/policy.d/*')
    # Item 9: a FIFO where the NvMap heap's clients file should be; jmemd neither hangs nor reads it.
    c.run("mount", "-t", "tmpfs", "debugfs-stand-in", "/sys/kernel/debug")
    c.run("mkdir", "-p", "/sys/kernel/debug/nvmap/iovmm")
    c.run("mkfifo", "/sys/kernel/debug/nvmap/iovmm/clients")
    started_at = time.monotonic()
    started = restart(c)
    seconds = time.monotonic() - started_at
    status = ctl(c, "--json", "status")
    nvmap = json.loads(status.stdout).get("nvmap", {}) if status.returncode == 0 else {}
    print(f"under the unit: with a FIFO as NvMap's clients file jmemd was ready in {seconds:.1f} s")
    t.check("under the unit, a FIFO in debugfs does not hold jmemd's start", started.returncode == 0, started.stderr)
    t.check("under the unit, NvMap is unavailable, not zero, with a FIFO as its file",
            nvmap.get("available") is False, nvmap)
    c.run("umount", "/sys/kernel/debug")
    # Item 2 as the unit serves it: a list for everything is answered to an ordinary user.
    listed = c.run("busctl", "call", "org.jmem.Governor1", "/org/jmem/Governor1", "org.jmem.Governor1.Manager",
                   "ListProcesses", "us", "0", "cost", user=NOBODY)
    t.check("under the unit, ListProcesses for everything is answered to an ordinary user, with its flag",
            listed.returncode == 0 and listed.stdout.rstrip().endswith("false"), listed.stderr or listed.stdout[-200:])
    restart(c)


def test_privacy(c):
    mounted = c.run("mount", "-o", "remount,hidepid=invisible", "/proc")
    t.check("the container's /proc is remounted hidepid=invisible", mounted.returncode == 0, mounted.stderr)
    restart(c)
    as_nobody = ctl(c, "--json", "top", "--lines", "0", user=NOBODY)
    as_root = ctl(c, "--json", "top", "--lines", "0")
    mine = [p for p in json.loads(as_nobody.stdout)["processes"]] if as_nobody.returncode == 0 else None
    every = [p for p in json.loads(as_root.stdout)["processes"]] if as_root.returncode == 0 else []
    t.check("under hidepid=invisible, nobody sees only its own processes",
            mine is not None and all(p["uid"] == int(NOBODY) for p in mine), (as_nobody.stderr, mine and mine[:3]))
    t.check("under hidepid=invisible, root sees everyone's", any(p["uid"] == 0 for p in every))
    print(f"under the unit with hidepid=invisible: nobody sees {len(mine or [])} of {len(every)} processes")
    c.run("mount", "-o", "remount,hidepid=off", "/proc")


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    binds = jmem_binds(jmemd, jmemctl)
    binds[os.path.join(ROOT, "units/polkit/org.jmem.governor1.policy")] = \
        "/usr/share/polkit-1/actions/org.jmem.governor1.policy"
    binds[HERE] = SCRIPTS
    with open(os.path.join(ROOT, "policy/default-policy.toml")) as f:
        policy = f.read()
    with Container(binds, PACKAGES_WITH_POLKIT) as c:
        c.run("busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig")
        c.write("/etc/jmem/policy.toml", policy)
        c.run("chmod", "0644", "/etc/jmem/policy.toml")
        c.run("systemd-run", "--unit=other-user.service", f"--uid={NOBODY}", "/bin/sleep", "infinity")
        started = restart(c)
        t.check("jmemd.service starts", started.returncode == 0, started.stderr)
        test_identity(c)
        t.check("polkit answered", c.run("systemctl", "is-active", "polkit.service").stdout.strip() == "active")
        test_log_flood(c)
        test_policy(c)
        test_state(c)
        test_output_and_roots(c)
        test_privacy(c)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
