#!/usr/bin/env python3
"""The throttle under real systemd 252 in a container (cgroup v1, like JetPack 5), with jmemd.service
running in its hardened unit and an enforce-mode policy naming a stand-in batch.service workload
(throttle, then freeze): the status says MemoryHigh is unavailable and freezing is done by stop
signal; an operator's throttle skips the throttle rung and stops every process of the unit
(state T), shown in the status and in the journal with its structured fields; release lets them
run again; an ordinary user is refused both, and essential and protected units are refused to
root; after jmemd is killed with SIGKILL the restarted jmemd thaws what its predecessor froze, and
a clean stop thaws before jmemd exits."""
import json
import os
import re
import sys
import threading

from container import PACKAGES_WITH_POLKIT, Container, jmem_binds
from hardening_test import NOBODY, ctl, ctl_json, start_jmemd
from harness import ROOT, Checks, wait_for

JOURNAL = "/var/lib/jmem/throttle/changes.jsonl"
BATCH = "batch.service"
PROTECTED = "inference.service"
# Two processes, so that "every process of the unit" means something: a shell holding 64 MiB it
# has written to, and a child of it.
BATCH_UNIT = ("[Unit]\nDescription=stand-in batch workload\n[Service]\n"
              "ExecStart=/usr/bin/python3 -c \"import subprocess, time; "
              "child = subprocess.Popen(['/bin/sleep', 'infinity']); data = b'x' * (64 << 20); "
              "time.sleep(1 << 30)\"\n")
PROTECTED_UNIT = "[Unit]\nDescription=stand-in inference workload\n[Service]\nExecStart=/bin/sleep infinity\n"
# The controller must not act on its own while the operator's requests are checked: no trigger can
# hold (MemAvailable below 0, PSI above 100%), and the kernel's PSI trigger asks for a whole second
# of stall within its window. The trigger is still registered (or the reason it cannot be is logged).
POLICY = f"""mode = "enforce"
sample_interval_ms = 200

[pressure]
available_low_mib = 0
available_high_mib = 1
psi_some_avg10_percent = 100
psi_full_avg10_percent = 100
psi_trigger_some_ms = 1000
exhaustion_horizon_s = 0

[[workloads]]
unit = "{PROTECTED}"
protected = true

[[workloads]]
unit = "{BATCH}"
priority = 10
actions = ["throttle", "freeze"]
"""


def batch_pids(c):
    """The processes of batch.service, from its cgroup in systemd's own hierarchy."""
    group = c.show(BATCH, "ControlGroup")
    for hierarchy in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup"):
        procs = c.run("cat", f"{hierarchy}{group}/cgroup.procs")
        if procs.returncode == 0 and procs.stdout.split():
            return [int(p) for p in procs.stdout.split()]
    return []


def process_states(c):
    """{pid: state letter} of every process of batch.service, from /proc/PID/stat in the container."""
    states = {}
    for pid in batch_pids(c):
        stat = c.run("cat", f"/proc/{pid}/stat").stdout
        if stat:
            states[pid] = stat.rsplit(")", 1)[1].split()[0]
    return states


def all_stopped(c):
    states = process_states(c)
    return len(states) >= 2 and all(s == "T" for s in states.values())


def all_running(c):
    states = process_states(c)
    return len(states) >= 2 and all(s in ("S", "R") for s in states.values())


def wait_check(t, name, predicate, timeout_s, detail):
    try:
        wait_for(predicate, timeout_s, name)
        return t.check(name, True)
    except TimeoutError:
        return t.check(name, False, detail())


def throttle_json(c):
    return ctl_json(c, "status").get("throttle", {})


def held(c):
    return [u for u in throttle_json(c).get("units", []) if u["unit"] == BATCH]


def journal_lines(c):
    return [json.loads(line) for line in c.run("cat", JOURNAL).stdout.splitlines() if line.strip()]


def latest_state(lines, seq):
    states = [line["state"] for line in lines if line["seq"] == seq]
    return states[-1] if states else None


def freeze_entries(c):
    """The journal's freezes of batch.service: {seq: its latest state}."""
    lines = journal_lines(c)
    return {l["seq"]: latest_state(lines, l["seq"]) for l in lines
            if l["kind"] == "freeze" and l["target"] == BATCH}


def logged_actions(c, action):
    """jmemd's structured journal entries for `action` on batch.service."""
    out = c.run("journalctl", "--no-pager", "-o", "json", f"JMEM_UNIT={BATCH}", f"JMEM_ACTION={action}").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def jmemd_log(c):
    return c.run("journalctl", "-u", "jmemd", "--no-pager", "-o", "cat").stdout


class Monitor:
    """`jmemctl monitor` in the container, its lines collected as they come."""

    def __init__(self, c):
        self.c = c
        self.lines = []
        # The shell tells its pid inside the container, so that the monitor can be stopped there.
        self.process = c.popen("sh", "-c", "echo $$; exec jmemctl --no-pager monitor")
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")),
                                       daemon=True)
        self.reader.start()
        # The state at a glance is printed once the client is subscribed to the signals.
        wait_for(lambda: len(self.lines) >= 3, 20, "jmemctl monitor to start")
        self.pid = self.lines[0].strip()

    def stop(self):
        self.c.run("kill", self.pid)
        self.process.wait(timeout=20)
        self.reader.join(timeout=20)


def unchanged(c, before_journal):
    return (not held(c) and all_running(c) and c.run("cat", JOURNAL).stdout == before_journal)


def test_controls(t, c):
    status = ctl(c, "status")
    t.check("status works", status.returncode == 0, status.stderr)
    t.check("status says throttling is unavailable on cgroup v1, with the reason",
            re.search(r"Cannot: throttle: cgroup v1 has no memory\.high", status.stdout) is not None,
            status.stdout[-1200:])
    t.check("status does not list freezing as unavailable", "Cannot: freeze" not in status.stdout)
    controls = throttle_json(c).get("controls", {})
    throttle, freeze = controls.get("throttle", {}), controls.get("freeze", {})
    t.check("status --json: throttle unavailable, with the cgroup v1 reason",
            throttle.get("available") is False and "cgroup v1" in throttle.get("note", ""), controls)
    t.check("status --json: freeze available by stop signal",
            freeze.get("available") is True and "SIGSTOP" in freeze.get("note", ""), controls)
    t.check("status --json: calm, nothing held", throttle_json(c).get("phase") == "calm" and not held(c),
            throttle_json(c))
    log = jmemd_log(c)
    t.check("jmemd logs that it cannot throttle here", "This device cannot throttle: cgroup v1" in log, log[-1500:])
    t.check("jmemd logs how it freezes", "Freezing: systemd cannot freeze units on cgroup v1" in log, log[-1500:])
    armed = re.search(r"PSI trigger armed: \d+ ms of memory stall within \d+ ms", log)
    refused = re.search(r"No PSI trigger, the controller acts on the tick alone: \S.*", log)
    print("PSI trigger:", (armed or refused).group(0) if armed or refused else "nothing logged")
    t.check("the PSI trigger is armed, or jmemd says why not", bool(armed or refused), log[-1500:])


def test_refusals_before(t, c):
    before_journal = c.run("cat", JOURNAL).stdout
    for verb in ("throttle", "release"):
        result = ctl(c, verb, BATCH, user=NOBODY)
        t.check(f"an ordinary user may not {verb} (exit 4)", result.returncode == 4,
                (result.returncode, result.stderr))
        t.check(f"the refused {verb} changed nothing", unchanged(c, before_journal),
                (process_states(c), held(c)))
    for unit, why in (("dbus.service", "is essential to the system"), (PROTECTED, "is a protected workload")):
        result = ctl(c, "throttle", unit)
        print(f"throttle {unit}: exit {result.returncode}: {result.stderr.strip()}")
        t.check(f"root may not throttle {unit}", result.returncode not in (0, 4) and
                f"Refusing to throttle {unit}" in result.stderr, (result.returncode, result.stderr))
        t.check(f"the refusal for {unit} says why", f"{unit} {why}" in result.stderr, result.stderr)
        t.check(f"the refused throttle of {unit} changed nothing",
                unchanged(c, before_journal) and not throttle_json(c).get("units"), throttle_json(c))
    stat = c.run("cat", f"/proc/{c.show(PROTECTED, 'MainPID')}/stat").stdout
    t.check(f"{PROTECTED} still runs", stat != "" and stat.rsplit(")", 1)[1].split()[0] in ("S", "R"), stat)


def test_freeze_and_release(t, c):
    memory_high = c.show(BATCH, "MemoryHigh")
    monitor = Monitor(c)
    result = ctl(c, "throttle", BATCH)
    print(f"throttle {BATCH}: exit {result.returncode}: {result.stdout.strip()} {result.stderr.strip()}")
    t.check("root may throttle batch.service", result.returncode == 0, result.stderr)
    t.check("the throttle rung is skipped, and said so: the action is a freeze",
            result.stdout.startswith(f"freeze {BATCH}:") and result.stdout.count("\n") == 1 and
            f"skipped: cannot throttle {BATCH}: memory.high needs cgroup v2" in result.stdout, result.stdout)
    t.check("MemoryHigh is untouched", c.show(BATCH, "MemoryHigh") == memory_high, c.show(BATCH, "MemoryHigh"))
    wait_check(t, "every process of batch.service is stopped (state T)", lambda: all_stopped(c), 10,
               lambda: process_states(c))

    # Each event line opens with the time of day: "14:03:07 freeze batch.service: ...".
    announced = lambda: [l for l in monitor.lines if l.split(" ", 1)[-1].startswith(f"freeze {BATCH}: asked by an operator")]
    wait_check(t, "the freeze is announced (ActionTaken, seen by jmemctl monitor)", announced, 10,
               lambda: monitor.lines[-5:])
    monitor.stop()

    units = held(c)
    t.check("status --json holds batch.service frozen, by the operator",
            len(units) == 1 and units[0]["frozen"] and units[0]["by_operator"] and not units[0]["stopped"] and
            units[0]["memory_high_bytes"] is None, units)
    recent = throttle_json(c).get("recent", [])
    last = recent[-1] if recent else {}
    t.check("status --json: the freeze is the last recent action",
            last.get("unit") == BATCH and last.get("action") == "freeze" and last.get("origin") == "operator" and
            last.get("ok") is True, recent)
    text = ctl(c, "status").stdout
    t.check("status shows batch.service held frozen", re.search(r"Holding: batch\.service: frozen", text) is not None,
            text[-1200:])

    def logged():
        entries = logged_actions(c, "freeze")
        return entries[-1] if entries else None
    try:
        entry = wait_for(logged, 10, "the freeze in the journal")
    except TimeoutError:
        entry = {}
    t.check("the journal entry has the structured fields",
            entry.get("JMEM_ORIGIN") == "operator" and entry.get("JMEM_RESULT") == "done" and
            entry.get("JMEM_FREEZE_METHOD") == "stop-signal" and entry.get("JMEM_MEMORY_HIGH_BYTES") == "" and
            entry.get("SYSLOG_IDENTIFIER") == "jmemd", {k: v for k, v in entry.items() if k.startswith(("JMEM", "MESS"))})
    entries = freeze_entries(c)
    t.check("the freeze is in the write-ahead journal, done, by stop signal",
            list(entries.values())[-1:] == ["done"] and
            [l for l in journal_lines(c) if l["kind"] == "freeze"][-1]["after"].get("method") == "stop-signal",
            c.run("cat", JOURNAL).stdout)

    again = ctl(c, "throttle", BATCH)
    t.check("a second throttle is refused: the unit is at the top of its ladder",
            again.returncode not in (0, 4) and "top of its ladder" in again.stderr, (again.returncode, again.stderr))
    before_journal = c.run("cat", JOURNAL).stdout
    refused = ctl(c, "release", BATCH, user=NOBODY)
    t.check("an ordinary user may not release (exit 4)", refused.returncode == 4, (refused.returncode, refused.stderr))
    t.check("the refused release changed nothing", all_stopped(c) and len(held(c)) == 1 and
            c.run("cat", JOURNAL).stdout == before_journal, (process_states(c), held(c)))

    released = ctl(c, "release", BATCH)
    print(f"release {BATCH}: exit {released.returncode}: {released.stdout.strip()} {released.stderr.strip()}")
    t.check("root may release batch.service", released.returncode == 0 and
            released.stdout.startswith(f"thaw {BATCH}:"), (released.returncode, released.stdout, released.stderr))
    wait_check(t, "every process of batch.service runs again (S or R)", lambda: all_running(c), 10,
               lambda: process_states(c))
    t.check("status --json holds nothing", throttle_json(c).get("units") == [], throttle_json(c))
    text = ctl(c, "status").stdout
    t.check("status says nothing is applied", "nothing applied" in text, text[-1200:])
    last = (throttle_json(c).get("recent") or [{}])[-1]
    t.check("status --json: the thaw is the last recent action",
            last.get("action") == "thaw" and last.get("unit") == BATCH and last.get("ok") is True, last)
    t.check("the freeze is marked reverted in the write-ahead journal",
            list(freeze_entries(c).values())[-1:] == ["reverted"], c.run("cat", JOURNAL).stdout)
    try:
        wait_for(lambda: logged_actions(c, "thaw"), 10, "the thaw in the journal")
        thaw = logged_actions(c, "thaw")[-1]
    except TimeoutError:
        thaw = {}
    t.check("the thaw is logged with its fields", thaw.get("JMEM_ORIGIN") == "operator" and
            thaw.get("JMEM_RESULT") == "done" and thaw.get("JMEM_FREEZE_METHOD") == "stop-signal",
            {k: v for k, v in thaw.items() if k.startswith("JMEM")})

    # jmemctl log tells the same story back: the freeze, then the thaw, by the operator.
    result = ctl(c, "log", "--json", "--unit", BATCH)
    entries = json.loads(result.stdout or "{}").get("entries", [])
    story = [(e["event"], e["what"], e["origin"], e["result"]) for e in entries]
    t.check("log --unit batch.service: the operator's freeze, then its thaw",
            story[-2:] == [("action", "freeze", "operator", "done"), ("action", "thaw", "operator", "done")], story)
    text = ctl(c, "log", "--unit", BATCH).stdout
    print(text)
    t.check("log as a table says both", "action freeze" in text and "action thaw" in text, text)


def freeze(t, c, why):
    result = ctl(c, "throttle", BATCH)
    t.check(f"throttle before {why}", result.returncode == 0 and result.stdout.startswith(f"freeze {BATCH}:"),
            (result.returncode, result.stdout, result.stderr))
    wait_check(t, f"batch.service is stopped before {why}", lambda: all_stopped(c), 10, lambda: process_states(c))
    return max(freeze_entries(c))


def test_crash(t, c):
    seq = freeze(t, c, "the crash")
    old_pid = c.show("jmemd", "MainPID")
    c.run("systemctl", "kill", "-s", "KILL", "jmemd.service")

    def restarted():
        pid = c.show("jmemd", "MainPID")
        return pid not in ("0", old_pid) and ctl(c, "status").returncode == 0
    wait_check(t, "systemd restarts the killed jmemd", restarted, 60,
               lambda: c.run("systemctl", "status", "--no-pager", "jmemd").stdout)
    t.check("jmemd came back through Restart=on-failure", c.show("jmemd", "NRestarts") not in ("", "0"),
            c.show("jmemd", "NRestarts"))
    wait_check(t, "the restarted jmemd thawed batch.service", lambda: all_running(c), 20, lambda: process_states(c))
    log = jmemd_log(c)
    left = [l for l in log.splitlines() if l.startswith("Left by a previous run:")]
    print("\n".join(left))
    t.check("it says what it found: the stop-signal freeze, thawed with SIGCONT",
            any(f"{BATCH}: freeze is no longer in effect" in l and "SIGCONT" in l for l in left), left or log[-1500:])
    t.check("the freeze is marked reverted in the write-ahead journal", freeze_entries(c).get(seq) == "reverted",
            c.run("cat", JOURNAL).stdout)
    t.check("the restarted jmemd holds nothing", throttle_json(c).get("units") == [], throttle_json(c))


def test_clean_stop(t, c):
    seq = freeze(t, c, "a clean stop")
    stopped = c.run("systemctl", "stop", "jmemd.service", timeout=60)
    t.check("systemctl stop jmemd succeeds", stopped.returncode == 0 and
            c.show("jmemd", "ActiveState") == "inactive", (stopped.stderr, c.show("jmemd", "ActiveState")))
    wait_check(t, "batch.service runs again after jmemd stopped", lambda: all_running(c), 10,
               lambda: process_states(c))
    t.check("the freeze is marked reverted at the stop", freeze_entries(c).get(seq) == "reverted",
            c.run("cat", JOURNAL).stdout)
    shutdown = [e for e in logged_actions(c, "thaw") if e.get("JMEM_ORIGIN") == "shutdown"]
    t.check("the thaw at the stop is logged", len(shutdown) == 1 and shutdown[0].get("JMEM_RESULT") == "done",
            [{k: v for k, v in e.items() if k.startswith("JMEM")} for e in logged_actions(c, "thaw")])


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    binds = jmem_binds(jmemd, jmemctl)
    binds[os.path.join(ROOT, "units/polkit/org.jmem.governor1.policy")] = \
        "/usr/share/polkit-1/actions/org.jmem.governor1.policy"
    t = Checks()
    with Container(binds, PACKAGES_WITH_POLKIT) as c:
        c.write(f"/usr/lib/systemd/system/{BATCH}", BATCH_UNIT)
        c.write(f"/usr/lib/systemd/system/{PROTECTED}", PROTECTED_UNIT)
        c.write("/etc/jmem/policy.toml", POLICY)
        c.run("systemctl", "daemon-reload")
        c.run("systemctl", "start", BATCH, PROTECTED, timeout=60)
        c.run("busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig")
        wait_check(t, "batch.service runs with two processes", lambda: all_running(c), 20,
                   lambda: (process_states(c), c.run("systemctl", "status", "--no-pager", BATCH).stdout))
        started = start_jmemd(c)
        t.check("jmemd starts under the hardened unit with the enforce policy", started.returncode == 0 and
                c.show("jmemd", "SubState") == "running" and "enforce" in ctl(c, "status").stdout, started.stderr)

        test_controls(t, c)
        test_refusals_before(t, c)
        test_freeze_and_release(t, c)
        test_crash(t, c)
        test_clean_stop(t, c)

        log = jmemd_log(c)
        t.check("no call was refused by the sandbox or systemd", "Operation not permitted" not in log.replace(
            "Failed to configure loopback network device, ignoring: Operation not permitted", "") and
            "Access denied" not in log, log[-1500:])
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
