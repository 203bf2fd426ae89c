#!/usr/bin/env python3
"""Compares `jmemd --dump` with nvidia-smi for run_on_gpu.sh, one table row a check.

  compare_gpu.py held DUMP APPS_CSV GPUS_CSV NAME:PID:MIB...   each allocator's GPU memory and the GPUs
  compare_gpu.py gone DUMP APPS_CSV NAME:PID:freed|exited...   after SIGUSR1 (freed) or SIGTERM (exited)

APPS_CSV: nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits
GPUS_CSV: nvidia-smi --query-gpu=index,uuid,memory.total,memory.reserved,memory.used --format=csv,noheader,nounits
Prints the rows; exit status 1 when a check fails, 2 on bad input.
"""
import json
import sys

MIB = 1 << 20
TOLERANCE_MIB = 1


def read_csv(path):
    with open(path) as f:
        return [[field.strip() for field in line.split(",")] for line in f if line.strip()]


def smi_apps(path):
    used = {}
    for pid, mib in read_csv(path):
        used[int(pid)] = used.get(int(pid), 0) + int(mib)
    return used


def mib(value):
    return "null" if value is None else f"{value / MIB:.2f} MiB"


class Table:
    def __init__(self):
        self.rows = []
        self.failed = 0

    def row(self, check, jmem, smi, ok):
        self.rows.append((check, jmem, smi, "ok" if ok else "FAIL"))
        self.failed += 0 if ok else 1

    def print(self):
        widths = [max(len(str(r[i])) for r in self.rows + [("check", "jmemd --dump", "nvidia-smi", "")])
                  for i in range(4)]
        for r in [("check", "jmemd --dump", "nvidia-smi", "")] + self.rows:
            print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())


def gpu_rows_of(dump, pid):
    return [p for gpu in dump["gpus"] for p in gpu["processes"] if p["pid"] == pid]


def held(t, dump, apps, gpus_csv, expected):
    t.row("NVML available", json.dumps(dump["nvml"]), "-", dump["nvml"]["available"] is True)
    processes = {p["pid"]: p for p in dump["processes"]}
    for name, pid, asked_mib in expected:
        ours = processes.get(pid, {}).get("gpu_bytes")
        theirs = apps.get(pid)
        close = ours is not None and theirs is not None and abs(ours - theirs * MIB) <= TOLERANCE_MIB * MIB
        t.row(f"{name} (pid {pid}, {asked_mib} MiB asked): processes[].gpu_bytes", mib(ours),
              "missing" if theirs is None else f"{theirs} MiB", close)
        t.row(f"{name}: at least what it asked for", mib(ours), f">= {asked_mib} MiB",
              ours is not None and ours >= asked_mib * MIB)
        rows = gpu_rows_of(dump, pid)
        t.row(f"{name}: gpus[].processes agree with gpu_bytes", mib(sum(r["bytes"] or 0 for r in rows)), "-",
              ours is not None and sum(r["bytes"] or 0 for r in rows) == ours)
    for pid, theirs in sorted(apps.items()):
        ours = processes.get(pid, {}).get("gpu_bytes")
        t.row(f"every process nvidia-smi lists: pid {pid}", mib(ours), f"{theirs} MiB",
              ours is not None and abs(ours - theirs * MIB) <= TOLERANCE_MIB * MIB)
    by_uuid = {g["uuid"]: g for g in dump["gpus"]}
    for index, uuid, total, reserved, used in read_csv(gpus_csv):
        gpu = by_uuid.get(uuid)
        t.row(f"GPU {index} {uuid} found", gpu["name"] if gpu else "missing", uuid, gpu is not None)
        if not gpu:
            continue
        for label, ours, theirs in (("total", gpu["total_bytes"], total), ("reserved", gpu["reserved_bytes"], reserved),
                                    ("used", gpu["used_bytes"], used)):
            close = ours is not None and abs(ours - int(theirs) * MIB) <= TOLERANCE_MIB * MIB
            t.row(f"GPU {index}: {label}_bytes", mib(ours), f"{theirs} MiB", close)
        t.row(f"GPU {index}: used - processes = unattributed_bytes", mib(gpu["unattributed_bytes"]), "-",
              gpu["unattributed_bytes"] is not None
              and gpu["unattributed_bytes"] == max(gpu["used_bytes"] - gpu["attributed_bytes"], 0))
        t.row(f"GPU {index}: discrete, not integrated", str(gpu["integrated"]).lower(), "-",
              gpu["integrated"] is False)
        t.row(f"GPU {index}: no problem", "; ".join(gpu["problems"]) or "none", "-", not gpu["problems"])


def gone(t, dump, apps, expected):
    processes = {p["pid"]: p for p in dump["processes"]}
    for name, pid, state in expected:
        rows = gpu_rows_of(dump, pid)
        t.row(f"{name} (pid {pid}, {state}): absent from gpus[].processes", f"{len(rows)} rows", "-", not rows)
        t.row(f"{name}: absent from nvidia-smi", "-", "listed" if pid in apps else "absent", pid not in apps)
        if state == "freed":
            ours = processes.get(pid, {}).get("gpu_bytes")
            t.row(f"{name}: still running, gpu_bytes 0", mib(ours), "-", ours == 0)
        else:
            t.row(f"{name}: gone from processes[]", "listed" if pid in processes else "absent", "-",
                  pid not in processes)


def main(argv):
    if len(argv) < 4 or argv[0] not in ("held", "gone"):
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        dump = json.load(f)
    apps = smi_apps(argv[2])
    t = Table()
    if argv[0] == "held":
        expected = [(n, int(p), int(m)) for n, p, m in (a.split(":") for a in argv[4:])]
        held(t, dump, apps, argv[3], expected)
    else:
        expected = [(n, int(p), s) for n, p, s in (a.split(":") for a in argv[3:])]
        gone(t, dump, apps, expected)
    t.print()
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
