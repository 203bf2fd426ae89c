#!/usr/bin/env python3
"""jmemd's own state files under attack (items 5 and 6 of issue 12), against the real jmemd and jmemctl
on a private bus: a state directory owned by nobody, open to all or a link is refused at start with a
message naming it; a changes.jsonl that is a link leaves its target untouched and a FIFO blocks
nothing, both refused and shown; a record of the wrong type, a forged file record (it would copy a
shadow-like file over a path outside) and garbage lines make `jmemctl revert` fail loudly, naming the
line, and change nothing; a forged throttle record for a kept unit is set aside, not acted on; a
torn last line left by a SIGKILL is repaired with a note. Prints how long each refusal took.

Usage: state_files_test.py JMEMD JMEMCTL"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "system"))
from harness import Checks, Jmemd, PrivateBus, wait_for  # noqa: E402

# Anything slower is a reader blocked on what it opened.
REFUSE_WITHIN_S = 5
NOBODY = 65534


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def record(seq, kind, target, before, after, state="intent", txn="1700000000000000-0badcafe"):
    """The lines of one change as jmemd writes them: its intent, then its state if it got further."""
    lines = ""
    for step in ["intent"] + ([state] if state != "intent" else []):
        lines += json.dumps({"seq": seq, "txn": txn, "state": step, "kind": kind, "target": target,
                             "before": before, "after": after, "time_usec": 1700000000000000}) + "\n"
    return lines


def mask_record(seq, unit="gdm3.service", state="done"):
    return record(seq, "unit_file", unit, {"unit_file_state": "enabled"}, {"action": "mask"}, state)


class Case:
    """A fresh state directory (0700) and policy for one attack, removed afterwards."""

    def __init__(self, work, name):
        self.dir = os.path.join(work, name)
        os.mkdir(self.dir)
        self.state = os.path.join(self.dir, "state")
        os.mkdir(self.state, 0o700)
        self.journal = os.path.join(self.state, "changes.jsonl")
        self.extlinux = write(os.path.join(self.dir, "extlinux.conf"), "DEFAULT primary\n", 0o644)
        self.policy = write(os.path.join(self.dir, "policy.toml"), f"""mode = "audit"
keep = ["ssh.service"]

[boot]
extlinux = "{self.extlinux}"

[[workloads]]
unit = "batch.service"
actions = ["throttle", "freeze"]
""", 0o644)

    def args(self):
        return ["--state-dir", self.state, "--policy", self.policy, "--interval-ms", "200", "--metrics-dir", ""]


def start(jmemd, jmemctl, bus, case):
    began = time.monotonic()
    daemon = Jmemd(jmemd, jmemctl, bus, *case.args())
    return daemon, time.monotonic() - began


def finish(t, name, daemon):
    """Stops jmemd; it must still be alive (no abort) and stop cleanly. Returns its log."""
    t.check(f"{name}: jmemd is still running (no abort)", daemon.process.poll() is None, daemon.process.returncode)
    t.check(f"{name}: jmemd stops cleanly", daemon.stop() == 0)
    return daemon.process.stderr.read()


def timed_ctl(daemon, *args):
    began = time.monotonic()
    result = daemon.ctl(*args)
    return result, time.monotonic() - began


def state_problems(daemon):
    status = daemon.ctl("status", "--json")
    return json.loads(status.stdout).get("state_problems", []) if status.returncode == 0 else None


def refused_at_start(t, name, jmemd, bus, args, expected):
    """jmemd exits at once with a non-zero status and says `expected`."""
    began = time.monotonic()
    try:
        result = subprocess.run([jmemd, *args], env=bus.env, capture_output=True, text=True,
                                timeout=REFUSE_WITHIN_S * 4)
    except subprocess.TimeoutExpired:
        t.check(f"{name}: jmemd refuses to start instead of running", False, "it kept running")
        return
    seconds = time.monotonic() - began
    print(f"{name}: jmemd refused to start in {seconds * 1000:.0f} ms")
    t.check(f"{name}: jmemd exits with a failure", result.returncode == 1, (result.returncode, result.stderr[-400:]))
    t.check(f"{name}: the message names the directory and why", expected in result.stderr, result.stderr[-600:])
    t.check(f"{name}: refused within {REFUSE_WITHIN_S} s", seconds < REFUSE_WITHIN_S, f"{seconds:.2f}s")


def check_state_directory(t, jmemd, bus, work):
    owned = Case(work, "owned-by-nobody")
    os.chown(owned.state, NOBODY, NOBODY)
    refused_at_start(t, "state dir owned by nobody", jmemd, bus, owned.args(),
                     f"Refusing to use {owned.state} as jmemd's state directory: it is owned by uid {NOBODY}")
    t.check("state dir owned by nobody: nothing was created in it", os.listdir(owned.state) == [])

    open_to_all = Case(work, "mode-0777")
    os.chmod(open_to_all.state, 0o777)
    refused_at_start(t, "state dir of mode 0777", jmemd, bus, open_to_all.args(),
                     f"Refusing to use {open_to_all.state} as jmemd's state directory: it is writable by its "
                     "group or by others (mode 0777)")

    linked = Case(work, "linked")
    shutil.rmtree(linked.state)
    real = os.path.join(linked.dir, "real")
    os.mkdir(real, 0o700)
    os.symlink(real, linked.state)
    refused_at_start(t, "state dir that is a symbolic link", jmemd, bus, linked.args(),
                     f"Refusing to use {linked.state} as jmemd's state directory: it is a symbolic link")
    t.check("state dir that is a symbolic link: nothing was created behind it", os.listdir(real) == [])


def check_symlinked_journal(t, jmemd, jmemctl, bus, work):
    case = Case(work, "journal-link")
    victim = write(os.path.join(case.dir, "victim"), "precious\n", 0o644)
    before = os.stat(victim)
    os.symlink(victim, case.journal)
    daemon, started = start(jmemd, jmemctl, bus, case)
    print(f"changes.jsonl a symbolic link: jmemd up in {started * 1000:.0f} ms")
    try:
        problems = state_problems(daemon)
        expected = f"Refusing to open {case.journal}: it is a symbolic link"
        t.check("journal link: status shows the refusal", problems == [expected], problems)
        status = daemon.ctl("status")
        t.check("journal link: jmemctl status prints it", expected in status.stdout, status.stdout[-800:])
        revert, seconds = timed_ctl(daemon, "revert")
        print(f"changes.jsonl a symbolic link: revert refused in {seconds * 1000:.0f} ms")
        t.check("journal link: revert fails", revert.returncode != 0, (revert.returncode, revert.stdout))
        t.check("journal link: revert says why", expected in revert.stderr + revert.stdout, revert.stderr[-400:])
    finally:
        log = finish(t, "journal link", daemon)
    t.check("journal link: jmemd logs the refusal", expected in log, log[-800:])
    after = os.stat(victim)
    t.check("journal link: the victim is untouched",
            open(victim).read() == "precious\n" and after.st_mtime_ns == before.st_mtime_ns
            and after.st_size == before.st_size)
    t.check("journal link: the link is still a link", os.path.islink(case.journal))


def check_fifo_journal(t, jmemd, jmemctl, bus, work):
    case = Case(work, "journal-fifo")
    os.mkfifo(case.journal, 0o600)
    daemon, started = start(jmemd, jmemctl, bus, case)
    print(f"changes.jsonl a FIFO: jmemd up in {started * 1000:.0f} ms (not blocked)")
    t.check(f"journal FIFO: jmemd comes up within {REFUSE_WITHIN_S} s", started < REFUSE_WITHIN_S, f"{started:.2f}s")
    try:
        expected = f"Refusing to open {case.journal}: it is a FIFO"
        problems = state_problems(daemon)
        t.check("journal FIFO: status shows the refusal", problems == [expected], problems)
        revert, seconds = timed_ctl(daemon, "revert")
        print(f"changes.jsonl a FIFO: revert refused in {seconds * 1000:.0f} ms")
        t.check("journal FIFO: revert fails at once", revert.returncode != 0 and seconds < REFUSE_WITHIN_S,
                (revert.returncode, f"{seconds:.2f}s"))
        t.check("journal FIFO: revert says why", expected in revert.stderr, revert.stderr[-400:])
        t.check("journal FIFO: jmemd still answers after it", daemon.ctl("status").returncode == 0)
    finally:
        finish(t, "journal FIFO", daemon)


def check_refused_revert(t, jmemd, jmemctl, bus, work, name, lines, line_number, why, untouched=()):
    """A journal holding `lines`: jmemd runs, shows the problem, and revert fails naming the line while
    nothing in `untouched` ({path: content}) changes."""
    case = Case(work, name)
    write(case.journal, "".join(line(case) if callable(line) else line for line in lines))
    daemon, _ = start(jmemd, jmemctl, bus, case)
    where = f"{case.journal}:{line_number}"
    try:
        problems = state_problems(daemon) or []
        t.check(f"{name}: status names the line", any(p.startswith(where + ": " + why) for p in problems), problems)
        revert, seconds = timed_ctl(daemon, "revert")
        print(f"{name}: revert refused in {seconds * 1000:.0f} ms")
        t.check(f"{name}: revert exits non-zero", revert.returncode == 1, (revert.returncode, revert.stderr[-300:]))
        t.check(f"{name}: revert names the line", f"FAILED journal {where}: {why}" in revert.stdout,
                revert.stdout[-800:])
        t.check(f"{name}: revert never says there was nothing to revert", "Nothing to revert" not in revert.stdout)
        t.check(f"{name}: revert says nothing was reverted", "nothing was reverted" in revert.stdout)
        t.check(f"{name}: a second revert fails the same way", daemon.ctl("revert").returncode == 1)
    finally:
        log = finish(t, name, daemon)
    t.check(f"{name}: jmemd logs the line", where in log, log[-800:])
    for path, content in untouched:
        t.check(f"{name}: {os.path.basename(path)} is untouched", open(path).read() == content)
    return case


def check_records(t, jmemd, jmemctl, bus, work):
    check_refused_revert(
        t, jmemd, jmemctl, bus, work, "wrong type",
        [mask_record(1), record(2, "default_target", "default.target", {"target": 5},
                                {"target": "multi-user.target"}, "done")],
        3, "rejected a record of kind default_target: before.target is not a string")

    check_refused_revert(
        t, jmemd, jmemctl, bus, work, "garbage lines",
        [mask_record(1), "this is not json\n", "\x00\x00\x00\n", mask_record(2, "lightdm.service")],
        3, "not a JSON object")
    check_refused_revert(t, jmemd, jmemctl, bus, work, "only garbage", ["{\"seq\": \"one\"}\n"], 1,
                         "no \"txn\"")

    # A forged file record: copy a shadow-like file over a path outside the policy's extlinux.conf.
    secret = "root:$6$forged$hash:19000:0:99999:7:::\n"
    shadow = write(os.path.join(work, "shadow-like"), secret, 0o600)
    target = write(os.path.join(work, "outside-target"), "mine\n", 0o644)
    check_refused_revert(
        t, jmemd, jmemctl, bus, work, "forged file record",
        [record(1, "file", target, {"backup": shadow, "append": ""}, {"append": "quiet"}, "done")],
        1, f"rejected a record of kind file: the file {target} is not the policy's extlinux.conf",
        untouched=[(target, "mine\n"), (shadow, secret)])
    # The same with the policy's own extlinux.conf, the backup outside the state directory.
    case = check_refused_revert(
        t, jmemd, jmemctl, bus, work, "forged backup",
        [lambda c: record(1, "file", c.extlinux, {"backup": shadow, "append": ""}, {"append": "quiet"}, "done")],
        1, f"rejected a record of kind file: before.backup {shadow} is not ")
    t.check("forged backup: extlinux.conf is untouched", open(case.extlinux).read() == "DEFAULT primary\n")


def check_throttle_record(t, jmemd, jmemctl, bus, work):
    """A forged escalation of a kept unit is set aside; a real-looking one of a workload is adopted (its
    unit unchecked: no systemd here), which shows that only the schema kept the first from being acted on."""
    case = Case(work, "throttle-record")
    throttle_dir = os.path.join(case.state, "throttle")
    os.mkdir(throttle_dir, 0o700)
    write(os.path.join(throttle_dir, "changes.jsonl"),
          record(1, "freeze", "ssh.service", {}, {"origin": "operator", "method": "stop-signal"}, "done") +
          record(2, "memory_high", "batch.service", {"memory_high_bytes": None},
                 {"origin": "pressure", "memory_high_bytes": 268435456}, "done"))
    daemon, _ = start(jmemd, jmemctl, bus, case)
    journal = os.path.join(throttle_dir, "changes.jsonl")
    try:
        problems = state_problems(daemon) or []
        expected = f"{journal}:1: rejected a record of kind freeze: ssh.service is in the policy's keep list"
        t.check("throttle record: the kept unit's record is set aside and shown", expected in problems, problems)
        throttle = json.loads(daemon.ctl("status", "--json").stdout)["throttle"]
        units = [u["unit"] for u in throttle.get("units", [])]
        t.check("throttle record: the kept unit is not adopted", "ssh.service" not in units, units)
        t.check("throttle record: the workload's record is adopted", "batch.service" in units, units)
    finally:
        log = finish(t, "throttle record", daemon)
    t.check("throttle record: no SIGCONT was sent for the kept unit", "sent SIGCONT" not in log, log[-800:])
    t.check("throttle record: jmemd logs the rejection", expected in log, log[-800:])


def check_torn_line(t, jmemd, jmemctl, bus, work):
    """jmemd is SIGKILLed, the write it was making left half a line; the next start repairs it."""
    case = Case(work, "torn")
    whole = mask_record(1)
    write(case.journal, whole)
    daemon, _ = start(jmemd, jmemctl, bus, case)
    daemon.process.send_signal(signal.SIGKILL)
    daemon.process.wait(timeout=10)
    t.check("torn line: jmemd died of SIGKILL", daemon.process.returncode == -signal.SIGKILL)
    torn = mask_record(2, "lightdm.service")[:57]  # within its intent line
    with open(case.journal, "a") as f:
        f.write(torn)
    daemon, _ = start(jmemd, jmemctl, bus, case)
    try:
        problems = state_problems(daemon) or []
        note = f"{case.journal}:3: dropped a torn last line of {len(torn)} bytes"
        t.check("torn line: status carries the note", any(p.startswith(note) for p in problems), problems)
        t.check("torn line: the file is cut back to its last whole line", open(case.journal).read() == whole)
    finally:
        log = finish(t, "torn line", daemon)
    t.check("torn line: jmemd logs the repair", note in log, log[-800:])


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("FAIL: this test runs jmemd as root and gives files to nobody: run it as root")
        return 1
    t = Checks()
    work = tempfile.mkdtemp(prefix="jmem-state-files-")
    try:
        with PrivateBus() as bus:
            check_state_directory(t, jmemd, bus, work)
            check_symlinked_journal(t, jmemd, jmemctl, bus, work)
            check_fifo_journal(t, jmemd, jmemctl, bus, work)
            check_records(t, jmemd, jmemctl, bus, work)
            check_throttle_record(t, jmemd, jmemctl, bus, work)
            check_torn_line(t, jmemd, jmemctl, bus, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
