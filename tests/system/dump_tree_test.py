#!/usr/bin/env python3
"""jmemd --dump over captured trees (--proc-root, --debugfs-root): a Jetson Orin Nano with NvMap,
a machine without debugfs or PSI, and trees with bad input."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

KIB = 1024
passed = 0
failed = 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name} {detail}")


def write(root, relative, text):
    path = os.path.join(root, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


ORIN_MEMINFO = """MemTotal:        7802736 kB
MemFree:         5123456 kB
MemAvailable:    6000000 kB
Buffers:           61234 kB
Cached:           812345 kB
SwapCached:            0 kB
Shmem:             40960 kB
SwapTotal:       3901344 kB
SwapFree:        3901344 kB
CmaTotal:         262144 kB
CmaFree:          200000 kB
"""

# (pid, comm, cgroup path, Pss KiB, Pss_Anon KiB)
PROCESSES = [
    (1731, "Xorg", "/system.slice/gdm.service", 18140, 12000),
    (2831, "gnome-shell", "/user.slice/user-1000.slice/session-2.scope", 90000, 70000),
    (4481, "gem", "/system.slice/gem.service", 50000, 45000),
    (1012, "nvargus-daemon", "/system.slice/nvargus-daemon.service", 9000, 8000),
    (3001, "pulseaudio", "/user.slice/user-1000.slice/user@1000.service/app.slice/pulseaudio.service", 7000, 5000),
]

IOVMM_CLIENTS = """CLIENT                        PROCESS      PID        SIZE
user                              gem     4481     118372K
user                      gnome-shell     2831       5384K
user                             Xorg     1731      18140K
user                   nvargus-daemon     1012          0K
total                                              141896K
"""
# An old kernel's carveout heap: rows without the K suffix, notes after the total.
CARVEOUT_CLIENTS = """CLIENT                        PROCESS      PID        SIZE
user                              gem     4481       2048
kernel                         kernel        0       1024
total                                                3072K
Note: total memory is precise account of pages allocated by NvMap.
"""


def orin_tree(root):
    write(root, "proc/meminfo", ORIN_MEMINFO)
    write(root, "proc/pressure/memory",
          "some avg10=1.25 avg60=0.50 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=42\n")
    for pid, comm, cgroup, pss, anon in PROCESSES:
        base = f"proc/{pid}/"
        write(root, base + "comm", comm + "\n")
        write(root, base + "cmdline", comm + "\0")
        write(root, base + "status", f"Name:\t{comm}\nUid:\t1000\t1000\t1000\t1000\n")
        write(root, base + "cgroup", f"0::{cgroup}\n")
        write(root, base + "statm", f"{pss} {pss // 4} 10 1 0 100 0\n")
        write(root, base + "smaps_rollup",
              f"Rss: {pss + 100} kB\nPss: {pss} kB\nPss_Anon: {anon} kB\nPss_File: {pss - anon} kB\n"
              f"Pss_Shmem: 0 kB\nSwap: 0 kB\nSwapPss: 0 kB\n")
    # a kernel thread: empty rollup, zero statm
    write(root, "proc/2/comm", "kthreadd\n")
    write(root, "proc/2/cmdline", "")
    write(root, "proc/2/status", "Name:\tkthreadd\nUid:\t0\t0\t0\t0\n")
    write(root, "proc/2/cgroup", "0::/\n")
    write(root, "proc/2/statm", "0 0 0 0 0 0 0\n")
    write(root, "proc/2/smaps_rollup", "")
    write(root, "debugfs/nvmap/iovmm/clients", IOVMM_CLIENTS)
    write(root, "debugfs/nvmap/generic-0/clients", CARVEOUT_CLIENTS)
    # zram as nvzramconfig sets it up on JetPack 6: six devices sharing half of RAM, printed as the
    # 5.15 kernel prints mm_stat.
    for device, (orig, compr, used) in enumerate(ZRAM):
        write(root, f"sys/block/zram{device}/disksize", f"{ZRAM_DISKSIZE}\n")
        write(root, f"sys/block/zram{device}/mm_stat",
              " ".join(f"{v:8d}" for v in (orig, compr, used, 0, used, 11, 0, 2, 0)) + "\n")
    write(root, "sys/block/mmcblk0/size", "1000\n")


# (orig_data_size, compr_data_size, mem_used_total) of each zram device, bytes.
ZRAM = [(300 << 20, 75 << 20, 80 << 20), (120 << 20, 40 << 20, 41 << 20)] + [(0, 0, 0)] * 4
ZRAM_DISKSIZE = 3901344 * KIB // 6


def dump(jmemd, root, debugfs="debugfs"):
    result = subprocess.run(
        [jmemd, "--dump", "--proc-root", os.path.join(root, "proc"), "--debugfs-root", os.path.join(root, debugfs),
         "--sys-root", os.path.join(root, "sys")],
        capture_output=True, text=True)
    return result


def test_orin_tree(jmemd):
    with tempfile.TemporaryDirectory() as root:
        orin_tree(root)
        result = dump(jmemd, root)
        check("orin dump exits 0", result.returncode == 0, result.stderr)
        d = json.loads(result.stdout)
        check("MemTotal in bytes", d["meminfo"]["mem_total_bytes"] == 7802736 * KIB)
        check("CmaTotal in bytes", d["meminfo"]["cma_total_bytes"] == 262144 * KIB)
        check("pressure some avg10", d["pressure"]["some"]["avg10_permyriad"] == 125)
        check("nvmap available", d["nvmap"]["available"] is True)
        check("nvmap total is the sum of the heaps' total lines",
              d["nvmap"]["total_bytes"] == (141896 + 3072) * KIB, d["nvmap"])
        procs = {p["pid"]: p for p in d["processes"]}
        check("kernel thread not among processes", 2 not in procs)
        check("kernel thread counted", d["totals"]["processes_without_memory"] == 1)
        check("gem's NvMap share spans both heaps", procs[4481]["nvmap_bytes"] == (118372 + 2048) * KIB)
        check("gem's cost is PSS plus NvMap", procs[4481]["cost_bytes"] == (50000 + 118372 + 2048) * KIB)
        check("pulseaudio is a user unit", procs[3001]["unit"] == "pulseaudio.service"
              and procs[3001]["manager"] == "user@1000.service", procs[3001])
        check("sum of PSS", d["totals"]["pss_bytes"] == sum(p[3] for p in PROCESSES) * KIB)
        units = {(u["manager"], u["unit"]): u for u in d["units"]}
        check("gdm.service unit", units[("system", "gdm.service")]["processes"] == [1731])
        check("the kernel's carveout row is unattributed", d["totals"]["nvmap_unattributed_bytes"] == 1024 * KIB)
        used = (7802736 - 6000000) * KIB
        unreclaimable = sum(p[4] for p in PROCESSES) * KIB
        zram_used = sum(used for _, _, used in ZRAM)
        check("unaccounted", d["totals"]["unaccounted_bytes"]
              == used - unreclaimable - (141896 + 3072) * KIB - zram_used)
        check("six zram devices, by number", [z["name"] for z in d["zram"]["devices"]]
              == [f"zram{i}" for i in range(6)], d["zram"])
        check("zram0 as its mm_stat says", (d["zram"]["devices"][0]["orig_data_bytes"],
              d["zram"]["devices"][0]["compr_data_bytes"], d["zram"]["devices"][0]["mem_used_bytes"]) == ZRAM[0])
        check("zram totals are the devices' sums", d["zram"]["totals"]["mem_used_bytes"] == zram_used
              and d["zram"]["totals"]["disksize_bytes"] == 6 * ZRAM_DISKSIZE, d["zram"]["totals"])


def test_no_debugfs_no_psi(jmemd):
    with tempfile.TemporaryDirectory() as root:
        orin_tree(root)
        os.remove(os.path.join(root, "proc/pressure/memory"))
        result = dump(jmemd, root, debugfs="missing")
        check("dump without debugfs exits 0", result.returncode == 0, result.stderr)
        d = json.loads(result.stdout)
        check("nvmap unavailable, not zero", d["nvmap"]["available"] is False and d["nvmap"]["total_bytes"] is None)
        check("nvmap reason names the directory", "nvmap" in d["nvmap"]["reason"], d["nvmap"]["reason"])
        check("pressure unavailable", d["pressure"]["available"] is False)
    with tempfile.TemporaryDirectory() as root:
        orin_tree(root)
        shutil.rmtree(os.path.join(root, "sys/block/zram3"))
        for device in range(6):
            if device != 3:
                shutil.rmtree(os.path.join(root, f"sys/block/zram{device}"))
        write(root, "sys/block/zram3/disksize", "1073741824\n")
        write(root, "sys/block/zram3/mm_stat", "4096 1024\n")
        result = dump(jmemd, root)
        check("a bad zram device still gives a dump", result.returncode == 0, result.stderr)
        zram = json.loads(result.stdout)["zram"]
        check("zram unavailable, not zero", zram["available"] is False and zram["totals"] is None, zram)
        check("the reason names the file", "zram3/mm_stat" in zram["reason"], zram)
        check("processes carry no NvMap", all(p["nvmap_bytes"] == 0 for p in d["processes"]))


def test_bad_input(jmemd):
    with tempfile.TemporaryDirectory() as root:
        orin_tree(root)
        write(root, "proc/meminfo", "MemTotal:  lots kB\nMemFree: 1 kB\n")
        result = dump(jmemd, root)
        check("corrupt meminfo exits 1", result.returncode == 1, result.returncode)
        check("error names the file and the line", "meminfo" in result.stderr and "line 1" in result.stderr,
              result.stderr)
        check("nothing on stdout", result.stdout == "")
    with tempfile.TemporaryDirectory() as root:
        orin_tree(root)
        write(root, "proc/4481/smaps_rollup", "Rss: 1 kB\nPss: \x01\x02 kB\n")
        write(root, "proc/1012/smaps_rollup", "Rss: 1 kB\nPss: 99999999999999999999 kB\n")
        write(root, "debugfs/nvmap/iovmm/clients", IOVMM_CLIENTS.replace("total", "t0tal"))
        result = dump(jmemd, root)
        check("bad process files still give a dump", result.returncode == 0, result.stderr)
        d = json.loads(result.stdout)
        pids = {p["pid"] for p in d["processes"]}
        check("bad processes skipped", 4481 not in pids and 1012 not in pids, pids)
        check("bad processes counted", d["totals"]["processes_invalid"] == 2, d["totals"])
        check("a heap without its total makes NvMap unavailable, not partial",
              d["nvmap"]["available"] is False, d["nvmap"])
    result = subprocess.run([jmemd, "--dump", "--proc-root"], capture_output=True, text=True)
    check("a missing option value exits 2 and says which", result.returncode == 2 and "--proc-root" in result.stderr,
          result.stderr)
    result = subprocess.run([jmemd, "--bogus"], capture_output=True, text=True)
    check("an unknown option names it", result.returncode == 2 and "--bogus" in result.stderr, result.stderr)


def main():
    jmemd = sys.argv[1]
    test_orin_tree(jmemd)
    test_no_debugfs_no_psi(jmemd)
    test_bad_input(jmemd)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
