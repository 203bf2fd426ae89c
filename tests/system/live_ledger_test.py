#!/usr/bin/env python3
"""jmemd --dump against an independent reading of this machine's /proc.

The independent reading is plain Python over smaps_rollup. A process that starts changes the PSS of
every process it shares pages with, jmemd included, so the independent reading is taken while jmemd
is still alive: its stdout is a one-page pipe, and it blocks on the dump once it has sampled. Only
processes present and steady in both readings are compared (processes come and go). Any process
that starts or exits elsewhere also moves the PSS of everyone sharing libc with it, so a busy machine
gets up to three attempts.
"""
import array
import fcntl
import json
import os
import subprocess
import sys
import termios
import time

F_SETPIPE_SZ = 1031
PIPE_BYTES = 4096


def independent_pss_bytes():
    pss = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        pss[int(name)] = int(line.split()[1]) * 1024
                        break
        except OSError:
            continue  # exited, a kernel thread, or not ours to read
    return pss


def compare_once(jmemd):
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, PIPE_BYTES)
    daemon = subprocess.Popen([jmemd, "--dump"], stdout=write_end)
    os.close(write_end)
    deadline = time.monotonic() + 30
    pending = array.array("i", [0])
    while pending[0] < PIPE_BYTES:
        if time.monotonic() > deadline or daemon.poll() is not None:
            print("FAIL: jmemd --dump did not block on a full pipe (is the dump smaller than a page?)")
            return 1
        time.sleep(0.01)
        fcntl.ioctl(read_end, termios.FIONREAD, pending)
    before = independent_pss_bytes()
    after = independent_pss_bytes()
    with os.fdopen(read_end, "rb") as output:
        dump = json.loads(output.read())
    if daemon.wait(timeout=30) != 0:
        print("FAIL: jmemd --dump exited with", daemon.returncode)
        return 1
    before.pop(daemon.pid, None)

    ours = {p["pid"]: p["pss_bytes"] for p in dump["processes"]}
    # A process whose PSS changed between the two independent readings is moving; compare the rest.
    steady = {pid for pid in ours if pid in before and pid in after and before[pid] == after[pid]}
    if len(steady) < 3:
        print(f"FAIL: only {len(steady)} steady processes to compare")
        return 1
    expected = sum(after[pid] for pid in steady)
    measured = sum(ours[pid] for pid in steady)
    error = abs(measured - expected) / expected
    print(f"processes compared: {len(steady)} of {len(ours)} in the dump; "
          f"sum of PSS: jmemd {measured} bytes, /proc {expected} bytes, error {error:.4%}")
    if error > 0.01:
        print("FAIL: sum of PSS differs by more than 1%")
        return 1

    totals = dump["totals"]
    if totals["pss_bytes"] != sum(ours.values()):
        print("FAIL: totals.pss_bytes is not the sum of processes[].pss_bytes")
        return 1
    if sum(u["pss_bytes"] for u in dump["units"]) != totals["pss_bytes"]:
        print("FAIL: units do not add up to the total")
        return 1
    with open("/proc/meminfo") as meminfo:
        mem_total_kib = next(int(l.split()[1]) for l in meminfo if l.startswith("MemTotal:"))
    if dump["meminfo"]["mem_total_bytes"] != mem_total_kib * 1024:
        print("FAIL: MemTotal differs from /proc/meminfo")
        return 1
    return 0


def main():
    for attempt in range(1, 4):
        if compare_once(sys.argv[1]) == 0:
            print("1 passed, 0 failed")
            return 0
        print(f"attempt {attempt} failed")
    print("0 passed, 1 failed")
    return 1


if __name__ == "__main__":
    sys.exit(main())
