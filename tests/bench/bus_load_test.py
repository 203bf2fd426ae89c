#!/usr/bin/env python3
"""Clients cannot slow the governor: 50 clients call the list methods in a loop for 30 s while jmemd
samples every second. Goals: p99 tick lateness under 100 ms, no growth of jmemd's memory after the
first seconds of load, every call answered."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "system"))
from harness import Jmemd, PrivateBus  # noqa: E402


def own_memory_kib(pid):
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].rstrip(":") in ("Rss", "Pss", "Pss_Anon"):
                values[parts[0].rstrip(":")] = int(parts[1])
    return values


def self_stats(d):
    out = d.busctl("call", "org.jmem.Governor1", "/org/jmem/Governor1", "org.jmem.Governor1.Manager",
                   "GetSelfStats", "--json=short")
    record = json.loads(out.stdout)["data"][0]
    return {name: value["data"] for name, value in record.items()}


def main():
    jmemd, jmemctl, client = sys.argv[1:4]
    clients = int(os.environ.get("JMEM_LOAD_CLIENTS", "50"))
    seconds = int(os.environ.get("JMEM_LOAD_SECONDS", "30"))
    with PrivateBus() as bus:
        d = Jmemd(jmemd, jmemctl, bus)
        try:
            time.sleep(2)
            before = own_memory_kib(d.process.pid)
            ticks_before = self_stats(d)["ticks"]
            load = subprocess.Popen([client, str(clients), str(seconds)], env=bus.env, stdout=subprocess.PIPE,
                                    text=True)
            time.sleep(min(10, seconds / 3))
            warm = own_memory_kib(d.process.pid)
            output, _ = load.communicate(timeout=seconds + 60)
            after = own_memory_kib(d.process.pid)
            stats = self_stats(d)
            ticks, p50, p99 = stats["ticks"], stats["lateness_p50_usec"], stats["lateness_p99_usec"]
            late_max, cpu_mean = stats["lateness_max_usec"], stats["cpu_mean_usec"]
        finally:
            d.stop()
    print(output.strip())
    print(f"ticks during the run: {ticks - ticks_before}; lateness p50 {p50 / 1000:.1f} ms, "
          f"p99 {p99 / 1000:.1f} ms (goal < 100 ms), max {late_max / 1000:.1f} ms; mean tick CPU {cpu_mean} usec")
    print(f"jmemd memory KiB  idle: {before}  after {min(10, seconds / 3):.0f} s of load: {warm}  at the end: {after}")
    growth = after["Pss_Anon"] - warm["Pss_Anon"]
    ok = load.returncode == 0 and p99 < 100_000 and growth <= 128
    print(f"Pss_Anon growth under load after warm-up: {growth} KiB (goal: none beyond 128 KiB of allocator noise)")
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
