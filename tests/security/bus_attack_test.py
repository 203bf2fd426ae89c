#!/usr/bin/env python3
"""Attacks on jmemd over the bus, as an unprivileged user on a private system bus with jmem's own bus
policy: a caller whose PID is reused by root, a caller whose real uid is 0, a reply past the bus's
message limit (10,000 processes with 4 KiB command lines), the bus itself restarted, and ten callers
flooding the log with refused calls. (hidepid= is tested under the unit in the container, where PID 1's
/proc can be remounted without touching this machine's.) Usage: bus_attack_test.py JMEMD JMEMCTL"""
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "system"))
sys.path.insert(0, HERE)
from harness import Checks, PrivateBus, wait_for  # noqa: E402
import raw_bus  # noqa: E402

NOBODY = 65534
checks = Checks()


class Daemon:
    """jmemd on a bus, its log in a file (a pipe it filled would stall it, hiding the flood)."""

    def __init__(self, jmemd, jmemctl, bus, workdir, *args):
        self.jmemctl, self.bus = jmemctl, bus
        self.log_path = os.path.join(workdir, "jmemd.log")
        self.log = open(self.log_path, "w")
        state = os.path.join(workdir, "state")
        # No guid in the address: a restarted bus has a new one, and the system bus's address has none.
        env = dict(bus.env, DBUS_SYSTEM_BUS_ADDRESS=bus.address.split(",guid=")[0])
        self.process = subprocess.Popen([jmemd, "--state-dir", state, "--metrics-dir", "", *args], env=env,
                                        stdout=self.log, stderr=self.log)
        wait_for(lambda: self.ctl("status").returncode == 0 or self.process.poll() is not None, 60, "jmemd on the bus")
        if self.process.poll() is not None:
            raise RuntimeError("jmemd exited: " + self.text())

    def ctl(self, *args, user=None):
        command = [self.jmemctl, "--no-pager", *args]
        if user is not None:
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
        return subprocess.run(command, env=self.bus.env, capture_output=True, text=True, timeout=60)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.process.terminate()
        code = self.process.wait(timeout=20)
        self.log.close()
        return code


def raw_client(*argv, user_args=()):
    """raw_bus.py as a client, run under setpriv with `user_args`."""
    return ["setpriv", *user_args, sys.executable, os.path.join(HERE, "raw_bus.py"), *argv]


def take_pid(target):
    """Starts a root process with PID `target` (ns_last_pid), or None when another process took it first."""
    for _ in range(50):
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(target - 1))
        holder = subprocess.Popen(["sleep", "60"])
        if holder.pid == target:
            return holder
        holder.kill()
        holder.wait()
    return None


def test_identity(d):
    # A connection opened by nobody, kept by its forked child after the opener exited; root then holds
    # the opener's PID. The bus knows the connection as nobody's; /proc/PID says root.
    client = subprocess.Popen(raw_client("reuse", d.bus.address,
                                         user_args=(f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    opener = int(client.stdout.readline())
    client.wait(timeout=10)
    holder = take_pid(opener)
    if checks.check("root holds the PID of the process that opened nobody's connection", holder is not None):
        with open(f"/proc/{opener}/status") as f:
            checks.check("/proc says that PID is root's", re.search(r"^Uid:\t0\t", f.read(), re.M) is not None)
        client.stdin.write("go\n")
        client.stdin.flush()
        answers = dict(line.split(" ", 1) for line in client.stdout.read().split("\n") if line)
        for method in ("Reload", "Revert", "Apply"):
            checks.check(f"{method} over a reused PID is refused as the bus's user, nobody",
                         answers.get(method, "").endswith("AccessDenied"), answers)
        holder.kill()
        holder.wait()
    client.stdin.close()

    # Real uid 0, effective uid nobody: the bus authenticated nobody.
    result = subprocess.run(raw_client("call", d.bus.address, "Reload", "Revert",
                                       user_args=(f"--euid={NOBODY}", f"--egid={NOBODY}", "--clear-groups")),
                            capture_output=True, text=True, timeout=60)
    answers = dict(line.split(" ", 1) for line in result.stdout.split("\n") if line)
    for method in ("Reload", "Revert"):
        checks.check(f"{method} from a process whose real uid is 0 and effective uid is not is refused",
                     answers.get(method, "").endswith("AccessDenied"), result.stdout + result.stderr)
    # Root itself still may.
    checks.check("root may reload", d.ctl("reload").returncode == 0, d.ctl("reload").stderr)


def test_log_flood(d):
    # Ten unprivileged callers refused as fast as they can ask, for 10 s.
    before = d.text().count("Refused Reload")
    seconds = 10
    flooders = [subprocess.Popen(raw_client("flood", d.bus.address, str(seconds),
                                            user_args=(f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")),
                                 stdout=subprocess.PIPE, text=True) for _ in range(10)]
    calls = sum(int(f.communicate(timeout=60)[0] or 0) for f in flooders)
    time.sleep(11)  # one more window: its summary line
    log = d.text()
    refused_lines = log.count("Refused Reload") - before
    summaries = re.findall(r"(\d+) more calls from uid 65534 were not logged", log)
    print(f"log flood: {calls} refused calls from 10 clients in {seconds} s made {refused_lines} 'Refused' lines "
          f"and {len(summaries)} summary lines ({sum(map(int, summaries))} calls summed up)")
    checks.check("the flood made many calls", calls >= 100, calls)
    checks.check("refusals logged at most 5 per uid per 10 s window", refused_lines <= 5 * (seconds // 10 + 2),
                 refused_lines)
    checks.check("the held-back refusals are summed up in a line", sum(map(int, summaries)) >= calls - refused_lines - 5,
                 (summaries, calls, refused_lines))
    checks.check("jmemd still serves after the flood", d.ctl("status", user=NOBODY).returncode == 0)


def proc_tree(root, count, cmdline_bytes):
    os.makedirs(os.path.join(root, "pressure"))
    with open(os.path.join(root, "meminfo"), "w") as f:
        f.write("MemTotal: 8000000 kB\nMemFree: 4000000 kB\nMemAvailable: 5000000 kB\nSwapTotal: 0 kB\n"
                "SwapFree: 0 kB\n")
    with open(os.path.join(root, "pressure", "memory"), "w") as f:
        f.write("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
    # A proc mount that hides nothing: every user may list every process (unknown would hide them).
    os.makedirs(os.path.join(root, "self"))
    with open(os.path.join(root, "self", "mountinfo"), "w") as f:
        f.write("22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n")
    cmdline = ("x" * (cmdline_bytes - 1)) + "\0"
    for i in range(count):
        base = os.path.join(root, str(100000 + i))
        os.mkdir(base)
        for name, text in (("comm", "hog\n"), ("cmdline", cmdline), ("status", "Name:\thog\nUid:\t1000\t1000\t1000\t1000\n"),
                           ("cgroup", "0::/user.slice/user-1000.slice/session-1.scope\n"), ("statm", "100 50 10 1 0 100 0\n"),
                           ("smaps_rollup", "Rss: 400 kB\nPss: 200 kB\nPss_Anon: 100 kB\nPss_File: 100 kB\n"
                                            "Pss_Shmem: 0 kB\nSwap: 0 kB\nSwapPss: 0 kB\n")):
            with open(os.path.join(base, name), "w") as f:
                f.write(text)


def test_reply_bound(jmemd, jmemctl, workdir):
    # jmemd holds two descriptors a process; the unit allows 524288, but a test may run under less.
    count = min(10000, (resource.getrlimit(resource.RLIMIT_NOFILE)[1] - 500) // 2)
    tree = os.path.join(workdir, "proc")
    started = time.monotonic()
    proc_tree(tree, count, 4096)
    print(f"reply bound: a proc tree of {count} processes with 4 KiB command lines ({count * 4096 / 1048576:.0f} MiB of "
          f"them, past dbus-daemon's 32 MiB message limit) built in {time.monotonic() - started:.1f} s")
    with PrivateBus() as bus:
        d = Daemon(jmemd, jmemctl, bus, workdir, "--proc-root", tree)
        wait_for(lambda: "10,000" in d.ctl("status").stdout or d.ctl("--json", "status").returncode == 0, 30, "sample")
        started = time.monotonic()
        result = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "busctl",
                                 "--system", "--json=short", "call", raw_bus.DEST, raw_bus.PATH, raw_bus.IFACE,
                                 "ListProcesses", "us", "0", "cost"],
                                env=bus.env, capture_output=True, text=True, timeout=60)
        elapsed = time.monotonic() - started
        checks.check("ListProcesses for everything is answered", result.returncode == 0, result.stderr[-500:])
        if result.returncode == 0:
            import json
            data = json.loads(result.stdout)["data"]
            rows, truncated = len(data[0]), data[1]
            print(f"reply bound: ListProcesses(0) answered {rows} of {count} rows in {elapsed:.2f} s, "
                  f"truncated={truncated}, {len(result.stdout) / 1048576:.1f} MiB as JSON")
            checks.check("the reply is cut short and says so", truncated is True and 0 < rows < count, (rows, truncated))
            checks.check("the rows kept stay under the 4 MiB bound", rows * (4096 + 100) <= 4 * 1048576 + 200000, rows)
        checks.check("jmemd is still on the bus after the call", d.ctl("status", user=NOBODY).returncode == 0)
        checks.check("jmemd did not exit", d.process.poll() is None)
        top = d.ctl("top", "--lines", "0", user=NOBODY)
        checks.check("jmemctl top says the list was cut short", top.returncode == 0 and "4 MiB" in top.stderr,
                     top.stderr[-300:])
        units = subprocess.run(["busctl", "--system", "call", raw_bus.DEST, raw_bus.PATH, raw_bus.IFACE,
                                "ListUnits", "us", "0", "cost"], env=bus.env, capture_output=True, text=True)
        checks.check("ListUnits with all of them in one unit is answered", units.returncode == 0, units.stderr)
        checks.check("jmemd stops cleanly", d.stop() == 0)


def self_ticks(d):
    result = subprocess.run(["busctl", "--system", "call", raw_bus.DEST, raw_bus.PATH, raw_bus.IFACE, "GetSelfStats",
                             "--json=short"], env=d.bus.env, capture_output=True, text=True)
    return json.loads(result.stdout)["data"][0]["ticks"]["data"] if result.returncode == 0 else None


def test_reconnect(d):
    pid = d.process.pid
    ticks_before = self_ticks(d)
    os.kill(d.bus.pid, 15)
    wait_for(lambda: not os.path.exists(d.bus.address[len("unix:path="):]), 10, "the bus gone")
    out = subprocess.run(["dbus-daemon", f"--config-file={d.bus.dir}/bus.conf", "--fork", "--print-address=1",
                          "--print-pid=1"], check=True, capture_output=True, text=True).stdout.split()
    d.bus.pid = int(out[1])
    d.bus.address = out[0]
    d.bus.env = dict(d.bus.env, DBUS_SYSTEM_BUS_ADDRESS=out[0])
    started = time.monotonic()
    back = False
    try:
        wait_for(lambda: d.ctl("status").returncode == 0, 15, "jmemd back on the bus")
        back = True
    except TimeoutError:
        pass
    print(f"reconnect: jmemd back on a restarted bus after {time.monotonic() - started:.1f} s")
    checks.check("jmemd is back on a restarted bus", back, d.text()[-2000:])
    checks.check("the same jmemd process came back", d.process.poll() is None and d.process.pid == pid)
    try:
        wait_for(lambda: (self_ticks(d) or 0) > (ticks_before or 0), 5, "a tick after the return")
    except TimeoutError:
        pass
    ticks_after = self_ticks(d)
    checks.check("its ledger kept going: the tick count carried on", ticks_before is not None and ticks_after is not None
                 and ticks_after > ticks_before, (ticks_before, ticks_after))
    checks.check("the loss and the return are logged", "Lost the system bus" in d.text() and "Back on the system bus"
                 in d.text())


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="jmem-attack-") as workdir:
        os.chmod(workdir, 0o755)
        with PrivateBus() as bus:
            d = Daemon(jmemd, jmemctl, bus, workdir)
            test_identity(d)
            test_log_flood(d)
            test_reconnect(d)
            checks.check("jmemd stops cleanly after the attacks", d.stop() == 0)
    # The tree's 60,000 files are made in memory where there is a tmpfs: on a busy disk it takes minutes.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(prefix="jmem-attack-", dir=shm) as workdir:
        os.chmod(workdir, 0o755)
        test_reply_bound(jmemd, jmemctl, workdir)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
