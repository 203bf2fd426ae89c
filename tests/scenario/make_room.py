#!/usr/bin/env python3
"""The make-room scenario: room made before a model loads, in one boot of the test VM (tests/system/vm.py:
Debian 12, cgroup v2, PSI, the kernel's OOM killer, 1536 MiB of RAM, zram as JetPack sets it up), with
jmemd in enforce mode (tests/scenario/make_room.toml).

    make_room.py --jmemd PATH --jmemctl PATH [--keep DIR]

A batch (batch.service, priority 10, may be throttled to 128 MiB and frozen) touches 55 % of MemTotal;
the page cache holds a file read once. A loader (loader.c) then reads its weights into 20 % of
MemTotal beside a copy buffer of 20 %, frees the buffer and is ready. Side by side in the one boot:
  - plain: loader-plain.service starts with no request: the kernel and jmemd's reaction to pressure make
    what room they can while it loads;
  - make-room: loader.service starts with ExecStartPre=jmemctl make-room (40 % of MemTotal, held 20 s):
    jmemd drops the page cache, throttles and, if need be, freezes the batch first; the loader starts
    once the room is there; after the hold the batch is released and works again;
  - refused: a request for 90 % of MemTotal, which the policy cannot give, fails (exit 8) saying what
    was done and why; a request from uid 65534 is not allowed (exit 4).
The table gives each loader's time to ready (from its start, make-room included), the peak PSI some
and full avg10 during the load, OOM kills, and what make-room did and how long it took. Exit status 1
when an expectation fails."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests/system"))

import vm  # noqa: E402

MEMORY_MIB = 1536
PARAMS = {"BATCH_PERMILLE": 550, "WEIGHTS_PERMILLE": 200, "COPY_PERMILLE": 200, "ROOM_PERMILLE": 400,
          "CACHE_MIB": 300, "HOLD_S": 20}


def build_payload(into):
    for program in ("inference", "loader"):
        subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o",
                        os.path.join(into, program), os.path.join(HERE, program + ".c")], check=True)


def phases(boot):
    out = {}
    for line in (boot.read("phases.txt") or "").splitlines():
        name, _, t = line.partition(" ")
        out.setdefault(name, float(t))
    return out


def samples(boot):
    rows = []
    for line in (boot.read("samples.txt") or "").splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        try:
            rows.append((float(fields["t"]), float(fields["psi_some_avg10"]), float(fields["psi_full_avg10"])))
        except (KeyError, ValueError):
            pass
    return rows


def peak_psi(rows, start, end):
    window = [r for r in rows if start <= r[0] <= end + 10]  # avg10 lags: ten seconds after
    return (max((r[1] for r in window), default=None), max((r[2] for r in window), default=None))


def oom_kills(kernel, start, end):
    kills = []
    for entry in kernel:
        text = vm.message(entry)
        t = int(entry.get("__REALTIME_TIMESTAMP", 0)) / 1e6
        if start <= t <= end + 5 and ("Killed process" in text or "invoked oom-killer" in text):
            kills.append(text.strip())
    return kills


def ready_s(text, started):
    """From the unit's start to ready (make-room included), and the load alone."""
    fields = (text or "").split()
    return (float(fields[0]) - started, float(fields[1])) if len(fields) == 2 else (None, None)


def room_events(journal):
    return [e for e in journal if e.get("JMEM_EVENT") == "room"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jmemd", required=True)
    parser.add_argument("--jmemctl", required=True)
    parser.add_argument("--keep", help="keep the share (logs, journal, samples) here")
    args = parser.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="jmem-make-room-")
    os.makedirs(work, exist_ok=True)
    started = time.monotonic()
    failures = []

    def expect(what, ok, detail=""):
        print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f" ({detail})"))
        if not ok:
            failures.append(what)
    try:
        share = os.path.join(work, "share")
        os.makedirs(os.path.join(share, "bin"))
        build_payload(os.path.join(share, "bin"))
        shutil.copy(os.path.join(HERE, "make_room.sh"), os.path.join(share, "run.sh"))
        shutil.copy(os.path.join(HERE, "poll.sh"), share)
        with open(os.path.join(share, "params.sh"), "w") as f:
            f.writelines(f"{key}={value}\n" for key, value in PARAMS.items())
        with open(os.path.join(HERE, "make_room.toml")) as f:
            vm.stage_jmem(share, args.jmemd, args.jmemctl, {"policy.toml": f.read()})
        vm.image()
        boot = vm.boot(share, memory_mib=MEMORY_MIB, timeout_s=600)
        print(f"boot, scenario and power-off in {boot.elapsed_s:.0f}s")
        if boot.rc != 0:
            print(boot.read("run.log"))
        p = phases(boot)
        rows = samples(boot)
        kernel = boot.journal("kernel.json")
        journal = boot.journal()
        events = room_events(journal)
        made = [e for e in events if e.get("JMEM_RESULT") == "made"]
        refused = boot.read("refused.json") or ""
        denied = boot.read("denied.txt") or ""
        cases = []
        for name, ready_file, start, end in (("plain", "plain-ready.txt", "plain_start", "plain_end"),
                                             ("make-room", "room-ready.txt", "room_start", "room_end")):
            s, e = p.get(start), p.get(end)
            if s is None or e is None:
                cases.append((name, (None, None), (None, None), ["the case did not run"], ""))
                continue
            did = "-"
            if name == "make-room" and made:
                did = vm.message(made[0])
            cases.append((name, ready_s(boot.read(ready_file), s), peak_psi(rows, s, e), oom_kills(kernel, s, e), did))
        print()
        print("| case | loader: start to ready (load alone) | peak PSI some / full avg10 during the load | OOM kills |"
              " make-room |")
        print("| --- | --- | --- | --- | --- |")
        for name, (ready, load), (some, full), kills, did in cases:
            ready_text = "never" if ready is None else f"{ready:.1f} s ({load:.1f} s)"
            psi = "-" if some is None else f"{some:.1f} % / {full:.1f} %"
            print(f"| {name} | {ready_text} | {psi} | {len(kills)} | {did} |")
        print()
        print("refused:", refused.strip())
        print("denied:", denied.strip())
        print("batch:", (boot.read("batch-cpu.txt") or "").strip())

        room = cases[1]
        expect("make-room: the loader was ready", room[1][0] is not None, room)
        expect("make-room: no OOM kill during the load", not room[3], room[3])
        expect("make-room: jmemd made the room and said what it did",
               bool(made) and "Room made for loader.service" in vm.message(made[0]), [vm.message(e) for e in events])
        released = [e for e in events if e.get("JMEM_RESULT") == "released"]
        expect("make-room: the hold ended by itself", bool(released), [vm.message(e) for e in events])
        expect("make-room: the batch was released after the hold", "batch_released" in p, p)
        cpu = dict(re.findall(r"(\w+)=(\w+)", boot.read("batch-cpu.txt") or ""))
        expect("make-room: the batch works again after the hold (its CPU time grows)",
               cpu.get("held", "").isdigit() and cpu.get("after", "").isdigit() and int(cpu["after"]) > int(cpu["held"]),
               cpu)
        expect("make-room: the batch is alive at the end", cpu.get("batch") == "alive", cpu)
        holding = boot.read("status-holding.json") or ""
        expect("status shows the request while it holds", '"rooms"' in holding and "loader.service" in holding,
               holding[-400:])
        expect("refused: a request the policy cannot meet exits 8 saying why",
               "rc=8" in refused and "Not enough room can be made for loader.service" in refused, refused)
        expect("denied: uid 65534 may not ask for room (exit 4)", "rc=4" in denied, denied)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(failures)} expectations failed, in {time.monotonic() - started:.0f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
