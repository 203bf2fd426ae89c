#!/usr/bin/env python3
"""jmemctl as an operator uses it, against jmemd on a private system bus: help for each verb, top as
plain snapshots and as a live screen driven in tmux (keys sent with send-keys, the screen read back with
capture-pane), top waiting for a jmemd that restarts, --json on every verb, and validate's problems in
JSON."""
import json
import os
import re
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from harness import Checks, Jmemd, PrivateBus, wait_for

MARKER = "jmem-ctl-test-marker"


def test_help(t, d):
    for args, first in ((["help"], "Usage: jmemctl [OPTIONS] COMMAND"),
                        (["help", "top"], "Usage: jmemctl [OPTIONS] top "),
                        (["top", "--help"], "Usage: jmemctl [OPTIONS] top "),
                        (["throttle", "--help"], "Usage: jmemctl [OPTIONS] throttle UNIT")):
        result = d.ctl(*args)
        t.check(f"jmemctl {' '.join(args)} shows its usage", result.returncode == 0 and result.stdout.startswith(first),
                result.stdout[:200] + result.stderr)
    t.check("the help of top lists --lines", "--lines N" in d.ctl("help", "top").stdout)


def frames(text):
    return [line for line in text.splitlines() if line.startswith("jmemd ")]


def test_status_for_a_fleet(t, d):
    status = json.loads(d.ctl("status", "--json").stdout)
    policy = status["policy"]
    t.check("status --json names the policy files in force", policy["files"] == ["<built-in>"], policy)
    t.check("and the effective policy's fingerprint, as the bus has it",
            re.fullmatch(r"[0-9a-f]{16}", policy["fingerprint"] or "") is not None
            and d.busctl("get-property", "org.jmem.Governor1", "/org/jmem/Governor1", "org.jmem.Governor1.Manager",
                         "PolicyFingerprint").stdout.strip() == f's "{policy["fingerprint"]}"', policy)
    t.check("status shows them", "Policy files: <built-in> (fingerprint " in d.ctl("status").stdout)


def test_explain(t, d):
    result = d.ctl("explain", "gdm3.service")
    t.check("explain names the built-in class that matches, where it is written",
            result.returncode == 0 and re.search(r"class\s+gdm3\.service\s+<built-in>:\d+:\d+\s+mask", result.stdout),
            result.stdout + result.stderr)
    explained = json.loads(d.ctl("explain", "--json", "dbus.service").stdout)
    t.check("explain --json says dbus is essential and why the throttle never acts on it",
            explained["essential"] is True and "essential" in (explained["never_acted_on"] or ""), explained)
    bad = d.ctl("explain", "--", "../etc/passwd")
    t.check("a name that is no unit is refused with the value named", bad.returncode == 2 and "passwd" in bad.stderr,
            (bad.returncode, bad.stderr))
    nobody = d.ctl("explain", "gdm3.service", user="65534")
    t.check("explain is a read: anyone may ask", nobody.returncode == 0, nobody.stderr)


def test_snapshots(t, d, hog):
    result = d.ctl("top", "-b", "-n", "2", "--lines", "0")
    t.check("top -b -n 2 prints two snapshots", result.returncode == 0 and len(frames(result.stdout)) == 2,
            result.stdout[-500:] + result.stderr)
    t.check("each with the headroom", result.stdout.count("Headroom: ") == 2)
    row = next((line for line in result.stdout.splitlines() if line.split()[:1] == [str(hog.pid)]), None)
    t.check("the test's process is listed under a unit with its user's name", row is not None and " root " in row,
            result.stdout[-800:])
    t.check("by its name, not its command line", row is not None and MARKER not in row, row)
    full = d.ctl("top", "-b", "--full", "--lines", "0").stdout
    t.check("--full shows its command line", MARKER in full)
    bare = d.ctl("top", "-b", "--no-legend", "--lines", "3").stdout.splitlines()
    t.check("--no-legend prints the rows alone, --lines of them", len(bare) == 3 and not frames("\n".join(bare)), bare)
    units = d.ctl("top", "-b", "--units", "--lines", "0").stdout
    t.check("--units lists no process", str(hog.pid) not in units.split())
    t.check("sizes are written one way: no MiB in status or top",
            " MiB" not in d.ctl("status").stdout + units)


class Screen:
    """jmemctl top in a tmux pane of 120 by 30."""

    def __init__(self, d):
        self.session = f"jmemctl-test-{os.getpid()}"
        command = f"{d.jmemctl} top; echo EXITED $?; sleep 600"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", "120", "-y", "30",
                        "env", f"DBUS_SYSTEM_BUS_ADDRESS={d.bus.address}", "TERM=xterm-256color", "sh", "-c", command],
                       check=True)

    def text(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session], capture_output=True,
                              text=True).stdout

    def coloured(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-e", "-t", self.session], capture_output=True,
                              text=True).stdout

    def keys(self, keys):
        subprocess.run(["tmux", "send-keys", "-t", self.session, keys], check=True)

    def wait(self, predicate, what, timeout_s=10):
        try:
            return wait_for(lambda: predicate(self.text()), timeout_s, what)
        except TimeoutError:
            return False

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)


def pid_row(screen_text, pid):
    return any(line.split()[:1] == [str(pid)] for line in screen_text.splitlines())


def test_live_screen(t, d, hog, jmemd_args):
    screen = Screen(d)
    try:
        t.check("the live screen shows the header and the table",
                screen.wait(lambda s: "Headroom: " in s and "UNIT / PID" in s, "the first frame"), screen.text())
        t.check("in colour on a terminal", "\x1b[" in screen.coloured())
        t.check("it fits the pane", all(len(line) <= 120 for line in screen.text().splitlines()))
        t.check("and the test's process is on it",
                screen.wait(lambda s: pid_row(s, hog.pid), "the test's process"), screen.text())
        screen.keys("n")
        t.check("n sorts by name", screen.wait(lambda s: "sorted by name" in s, "sorted by name"), screen.text())
        screen.keys("c")  # by cost again: the test's 48 MiB process near the top, on the screen
        screen.keys("f")
        t.check("f shows command lines", screen.wait(lambda s: MARKER in s, "a command line"), screen.text())
        screen.keys("u")
        t.check("u shows units alone", screen.wait(lambda s: not pid_row(s, hog.pid), "units alone"), screen.text())
        screen.keys("u")
        d.stop()
        t.check("with jmemd gone it says so and waits",
                screen.wait(lambda s: "Waiting for jmemd" in s, "the wait", 15), screen.text())
        d.__init__(*jmemd_args)
        t.check("and shows jmemd again once it is back",
                screen.wait(lambda s: "Headroom: " in s, "jmemd back", 20), screen.text())
        # A jmemd that holds its name but never answers (stopped) is waited for too, and q still quits
        # at once: top gives up on a call after 2 s, not the bus's 25.
        os.kill(d.process.pid, signal.SIGSTOP)
        try:
            t.check("a jmemd that does not answer is waited for",
                    screen.wait(lambda s: "Waiting for jmemd" in s, "the wait for a silent jmemd", 15), screen.text())
            screen.keys("q")
            t.check("q quits with 0 and leaves the terminal as it was, with jmemd silent",
                    screen.wait(lambda s: "EXITED 0" in s and "UNIT / PID" not in s, "the exit", 5), screen.text())
        finally:
            os.kill(d.process.pid, signal.SIGCONT)
    finally:
        screen.close()


class Lines:
    """A process's standard output, line by line, as it comes."""

    def __init__(self, command, env):
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        self.lines = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")),
                                       daemon=True)
        self.reader.start()

    def has(self, predicate, timeout_s=15):
        try:
            return wait_for(lambda: any(predicate(l) for l in self.lines), timeout_s, "a line")
        except TimeoutError:
            return False

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        return code


def test_monitor(t, d, jmemd_args):
    human = Lines([d.jmemctl, "monitor"], d.bus.env)
    machine = Lines([d.jmemctl, "monitor", "--json"], d.bus.env)
    try:
        t.check("monitor --json starts with the whole status", machine.has(lambda l: '"event":"snapshot"' in l)
                and json.loads(machine.lines[0])["status"]["headroom"]["low_watermark_bytes"] > 0, machine.lines[:1])
        hog = subprocess.Popen([sys.executable, "-c", "b = bytearray(96 << 20); import time; time.sleep(5)"])
        t.check("a figure that moved is a timestamped line in words",
                human.has(lambda l: re.match(r"\d\d:\d\d:\d\d (memory available|PSS of all processes|headroom) ", l)),
                human.lines[-5:])
        hog.kill()
        d.stop()
        t.check("jmemd leaving is an event, and monitor stays", human.has(lambda l: "jmemd left the bus" in l)
                and human.process.poll() is None, human.lines[-3:])
        d.__init__(*jmemd_args)
        t.check("jmemd coming back is an event", human.has(lambda l: "jmemd is back" in l), human.lines[-3:])
        t.check("and in JSON, followed by a fresh snapshot",
                machine.has(lambda l: '"event":"governor_back"' in l)
                and machine.has(lambda l: '"event":"snapshot"' in l and l is not machine.lines[0]), machine.lines[-3:])
        events = [json.loads(l) for l in machine.lines]
        t.check("every JSON event carries its time", all(isinstance(e.get("time_usec"), int) for e in events))
        repeated = [a for a, b in zip(human.lines, human.lines[1:]) if a.split(" ", 1)[1:] == b.split(" ", 1)[1:]]
        t.check("no line said twice in a row", not repeated, repeated)
    finally:
        t.check("monitor stops on SIGINT with 0", human.stop() == 0 and machine.stop() == 0)


def test_json_everywhere(t, d, directory):
    for args in (["status"], ["top"], ["top", "--units"], ["check"], ["plan"], ["reload"]):
        result = d.ctl("--json", *args)
        try:
            document = json.loads(result.stdout)
        except ValueError:
            document = None
        t.check(f"jmemctl --json {' '.join(args)} prints one JSON document", isinstance(document, dict),
                result.stdout[:300] + result.stderr)
    short = d.ctl("--json=short", "status")
    t.check("--json=short prints it on one line", short.stdout.count("\n") == 1 and json.loads(short.stdout))
    refused = d.ctl("--json", "release", "nothing-held.service")
    t.check("a refusal stays on stderr with --json: stdout holds no half document",
            refused.returncode == 1 and refused.stdout == "" and "not throttled" in refused.stderr,
            (refused.returncode, refused.stdout, refused.stderr))
    bad = os.path.join(directory, "bad.toml")
    with open(bad, "w") as f:
        f.write("[pressure]\navailable_low_mib = -3\n")
    result = d.ctl("validate", "--json", bad)
    report = json.loads(result.stdout) if result.stdout else {}
    problems = report.get("problems", [])
    t.check("validate --json fails a bad file and says where, as numbers",
            result.returncode == 5 and report.get("valid") is False and problems
            and problems[0]["file"] == bad and problems[0]["line"] == 2 and isinstance(problems[0]["column"], int),
            result.stdout + result.stderr)
    t.check("and prints nothing on stderr", result.stderr == "", result.stderr)


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    if not shutil.which("tmux"):
        print("tmux is missing: packaging/dev.sh test installs it")
        return 1
    t = Checks()
    directory = tempfile.mkdtemp(prefix="jmem-ctl-test-")
    # The marker is its argv[0]: first on its command line, never its name (comm is the executable's).
    hog = subprocess.Popen([MARKER, "-c", "import time; b = bytearray(48 << 20); time.sleep(600)"],
                           executable=sys.executable)
    try:
        with PrivateBus() as bus:
            jmemd_args = (jmemd, jmemctl, bus, "--interval-ms", "200", "--state-dir", os.path.join(directory, "state"),
                          "--metrics-dir", "")
            d = Jmemd(*jmemd_args)
            try:
                time.sleep(0.5)  # a tick or two, so that the test's process is sampled
                test_help(t, d)
                test_status_for_a_fleet(t, d)
                test_explain(t, d)
                test_snapshots(t, d, hog)
                test_json_everywhere(t, d, directory)
                test_live_screen(t, d, hog, jmemd_args)
                test_monitor(t, d, jmemd_args)
            finally:
                if d.process.poll() is None:
                    d.stop()
    finally:
        hog.kill()
        shutil.rmtree(directory, ignore_errors=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
