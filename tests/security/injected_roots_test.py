#!/usr/bin/env python3
"""Injected roots are read-only (issue 12, item 9). jmemd --dump over a captured tree where a kernel file is
a FIFO (meminfo, pressure/memory, a process's smaps_rollup, cmdline and status, the NvMap clients file):
each run ends at once without the FIFO's writer, names the file, and leaves no reader on the FIFO. Then
jmemd serving on a private bus with --proc-root: the tree's pressure/memory is byte-identical afterwards
(no PSI trigger written into it) and the log says so once, not every tick."""
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "system"))
from harness import ROOT, Checks, Jmemd, PrivateBus  # noqa: E402

DUMP_TIMEOUT_S = 10
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "captured")
PID = 4481  # the process whose files are attacked
OTHER_PID = 1731
IOVMM_CLIENTS = """CLIENT                        PROCESS      PID        SIZE
user                              gem     4481     118372K
user                             Xorg     1731      18140K
total                                              136512K
"""


def write(root, relative, data):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def captured_tree(root):
    """proc/ and debugfs/ from the captures in tests/fixtures/captured, with two processes."""
    shutil.copy(os.path.join(FIXTURES, "meminfo"), _made(root, "proc/meminfo"))
    shutil.copy(os.path.join(FIXTURES, "pressure-memory"), _made(root, "proc/pressure/memory"))
    for pid, comm in ((PID, "gem"), (OTHER_PID, "Xorg")):
        base = f"proc/{pid}/"
        write(root, base + "comm", comm + "\n")
        write(root, base + "cmdline", comm + "\0--serve\0")
        shutil.copy(os.path.join(FIXTURES, "self-status"), _made(root, base + "status"))
        write(root, base + "cgroup", f"0::/system.slice/{comm}.service\n")
        shutil.copy(os.path.join(FIXTURES, "self-statm"), _made(root, base + "statm"))
        shutil.copy(os.path.join(FIXTURES, "self-smaps_rollup"), _made(root, base + "smaps_rollup"))
    shutil.copy(os.path.join(FIXTURES, "self-cgroup"), _made(root, "proc/self/cgroup"))
    write(root, "debugfs/nvmap/iovmm/clients", IOVMM_CLIENTS)


def _made(root, relative):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def fifo_in_place_of(root, relative):
    path = os.path.join(root, relative)
    os.remove(path)
    os.mkfifo(path, 0o600)
    return path


def nobody_reads(fifo):
    """A non-blocking open for writing fails with ENXIO exactly when no reader holds the FIFO."""
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        return e.errno == errno.ENXIO
    os.close(fd)
    return False


def dump(jmemd, root):
    command = [jmemd, "--dump", "--proc-root", os.path.join(root, "proc"),
               "--debugfs-root", os.path.join(root, "debugfs")]
    start = time.monotonic()
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=DUMP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - start
    return result, time.monotonic() - start


def test_clean_tree(t, jmemd):
    with tempfile.TemporaryDirectory() as root:
        captured_tree(root)
        result, _ = dump(jmemd, root)
        t.check("the clean captured tree dumps", result is not None and result.returncode == 0,
                result and result.stderr)
        d = json.loads(result.stdout)
        t.check("both processes are in the clean dump", sorted(p["pid"] for p in d["processes"]) == [OTHER_PID, PID],
                d["processes"])
        t.check("NvMap is read from the clean tree", d["nvmap"]["available"] is True, d["nvmap"])


def test_fifo_system_file(t, jmemd, relative):
    with tempfile.TemporaryDirectory() as root:
        captured_tree(root)
        fifo = fifo_in_place_of(root, relative)
        result, took = dump(jmemd, root)
        print(f"--dump with a FIFO as {relative}: {took * 1000:.1f} ms")
        if not t.check(f"{relative} as a FIFO: --dump ends without a writer", result is not None,
                       f"still running after {DUMP_TIMEOUT_S} s"):
            return
        t.check(f"{relative} as a FIFO: exit 1", result.returncode == 1, result.returncode)
        t.check(f"{relative} as a FIFO: the error names the file and what it is",
                fifo in result.stderr and "not a regular file (a FIFO)" in result.stderr, result.stderr)
        t.check(f"{relative} as a FIFO: nothing on stdout", result.stdout == "", result.stdout[:200])
        t.check(f"{relative} as a FIFO: no reader left on it", nobody_reads(fifo))


def test_fifo_process_file(t, jmemd, name):
    relative = f"proc/{PID}/{name}"
    with tempfile.TemporaryDirectory() as root:
        captured_tree(root)
        fifo = fifo_in_place_of(root, relative)
        result, took = dump(jmemd, root)
        print(f"--dump with a FIFO as {relative}: {took * 1000:.1f} ms")
        if not t.check(f"{relative} as a FIFO: --dump ends without a writer", result is not None,
                       f"still running after {DUMP_TIMEOUT_S} s"):
            return
        t.check(f"{relative} as a FIFO: the dump still comes, exit 0", result.returncode == 0, result.stderr)
        t.check(f"{relative} as a FIFO: the skipped process's file is named",
                f"{fifo}: not a regular file (a FIFO)" in result.stderr, result.stderr)
        d = json.loads(result.stdout)
        pids = [p["pid"] for p in d["processes"]]
        t.check(f"{relative} as a FIFO: that process is skipped and counted, the other kept",
                pids == [OTHER_PID] and d["totals"]["processes_invalid"] == 1, (pids, d["totals"]))
        t.check(f"{relative} as a FIFO: no reader left on it", nobody_reads(fifo))


def test_fifo_nvmap(t, jmemd):
    relative = "debugfs/nvmap/iovmm/clients"
    with tempfile.TemporaryDirectory() as root:
        captured_tree(root)
        fifo = fifo_in_place_of(root, relative)
        result, took = dump(jmemd, root)
        print(f"--dump with a FIFO as {relative}: {took * 1000:.1f} ms")
        if not t.check(f"{relative} as a FIFO: --dump ends without a writer", result is not None,
                       f"still running after {DUMP_TIMEOUT_S} s"):
            return
        t.check(f"{relative} as a FIFO: the dump still comes, exit 0", result.returncode == 0, result.stderr)
        nvmap = json.loads(result.stdout)["nvmap"]
        t.check(f"{relative} as a FIFO: NvMap unavailable, its reason names the file",
                nvmap["available"] is False and fifo in nvmap["reason"] and "a FIFO" in nvmap["reason"], nvmap)
        t.check(f"{relative} as a FIFO: no reader left on it", nobody_reads(fifo))


def trigger_lines(log):
    return [line for line in log.splitlines() if "PSI trigger" in line or "pressure/memory" in line]


def test_serving_leaves_the_tree_alone(t, jmemd, jmemctl):
    with tempfile.TemporaryDirectory() as root, PrivateBus() as bus:
        captured_tree(root)
        pressure = os.path.join(root, "proc", "pressure", "memory")
        with open(pressure, "rb") as f:
            before = f.read()
        d = Jmemd(jmemd, jmemctl, bus, "--proc-root", os.path.join(root, "proc"),
                  "--debugfs-root", os.path.join(root, "debugfs"), "--interval-ms", "200",
                  "--policy", os.path.join(ROOT, "policy", "default-policy.toml"),
                  "--state-dir", os.path.join(bus.dir, "state"), "--metrics-dir", "")
        try:
            time.sleep(3)  # some 15 ticks
            t.check("jmemd serves over the injected tree", d.ctl("status").returncode == 0)
        finally:
            code = d.stop() if d.process.poll() is None else d.process.returncode
        log = d.process.stderr.read()
        t.check("jmemd stops cleanly", code == 0, code)
        with open(pressure, "rb") as f:
            after = f.read()
        t.check("the tree's pressure/memory is byte-identical after serving", after == before, after[:200])
        lines = trigger_lines(log)
        t.check("the log has at most one line about the trigger, not one per tick", len(lines) <= 1, lines)
        # Otherwise the throttle never tried, and the byte-identical check above would prove nothing.
        t.check("the trigger was tried and refused", len(lines) == 1, log[-2000:])
        t.check("that line says the injected file is not the kernel's",
                all("not the kernel's pressure file" in line for line in lines), lines)
        t.check("no sampling failure on the injected tree", "Sampling failed" not in log, log[-2000:])
        print(f"trigger lines in {len(log.splitlines())} lines of log: {lines}")


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    t = Checks()
    test_clean_tree(t, jmemd)
    for relative in ("proc/meminfo", "proc/pressure/memory"):
        test_fifo_system_file(t, jmemd, relative)
    for name in ("smaps_rollup", "cmdline", "status"):
        test_fifo_process_file(t, jmemd, name)
    test_fifo_nvmap(t, jmemd)
    test_serving_leaves_the_tree_alone(t, jmemd, jmemctl)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
