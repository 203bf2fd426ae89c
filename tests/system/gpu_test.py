#!/usr/bin/env python3
"""GPU memory from NVML through the real binaries, with the scripted stand-in libnvidia-ml
(tests/daemon/gpu/nvml_standin.cpp) in place of NVIDIA's: jmemd --dump, then the governor on a private
system bus with jmemctl top and status. Usage: gpu_test.py JMEMD JMEMCTL STANDIN_LIBRARY"""
import json
import os
import subprocess
import sys
import tempfile
import time

from harness import Checks, Jmemd, PrivateBus

MIB = 1 << 20


def absent_pid():
    pid = 4000000
    while os.path.exists(f"/proc/{pid}"):
        pid += 1
    return pid


def script(me, gone):
    return (
        "device\nname NVIDIA H100 80GB HBM3\nuuid GPU-1111\n"
        f"memory 0 {81559 * MIB} {1536 * MIB} {480 * MIB}\n"
        f"compute 0 {me}:{1024 * MIB} {gone}:{256 * MIB}\ngraphics 0\n"
        "device\nname NVIDIA Thor\nuuid GPU-2222\nmemory 3 0 0\n"
        f"compute 0 {me}:{64 * MIB}\ngraphics 0\n")


def write(path, text):
    with open(path + ".new", "w") as f:
        f.write(text)
    os.rename(path + ".new", path)


def dump(jmemd, *args, env=None):
    result = subprocess.run([jmemd, "--dump", *args], capture_output=True, text=True, env=env, timeout=60)
    return json.loads(result.stdout) if result.returncode == 0 else {"error": result.stderr}


def test_dump(t, jmemd, standin, script_path, me, gone):
    env = dict(os.environ, JMEM_NVML_STANDIN=script_path)
    d = dump(jmemd, "--nvml-library", standin, env=env)
    t.check("the dump reads NVML from the stand-in", d.get("nvml") == {"available": True}, d.get("nvml", d))
    gpus = d.get("gpus", [])
    t.check("two GPUs", len(gpus) == 2, gpus)
    if len(gpus) != 2:
        return
    h100, thor = gpus
    t.check("the discrete GPU's figures", (h100["name"], h100["total_bytes"], h100["reserved_bytes"],
                                           h100["used_bytes"], h100["integrated"])
            == ("NVIDIA H100 80GB HBM3", 81559 * MIB, 480 * MIB, 1536 * MIB, False), h100)
    t.check("its unattributed memory is used minus its processes", h100["unattributed_bytes"] == 256 * MIB, h100)
    t.check("the integrated GPU has no memory figures of its own", thor["integrated"] is True
            and thor["total_bytes"] is None and thor["used_bytes"] is None, thor)
    mine = next((p for p in d["processes"] if p["pid"] == me), None)
    t.check("this process is in the ledger", mine is not None)
    if mine:
        t.check("its gpu_bytes span both GPUs", mine["gpu_bytes"] == 1088 * MIB, mine["gpu_bytes"])
        t.check("the integrated GPU's share is in its cost (no NvMap here)",
                mine["gpu_shared_bytes"] == 64 * MIB and mine["cost_bytes"] == mine["pss_bytes"] + 64 * MIB
                + mine["nvmap_bytes"], mine)
    t.check("a PID that is no process is unmatched", d["totals"]["gpu_unmatched_bytes"] == 256 * MIB,
            d["totals"]["gpu_unmatched_bytes"])
    t.check("units add up the GPU bytes", sum(u["gpu_bytes"] for u in d["units"]) == 1088 * MIB)

    off = dump(jmemd, "--nvml-library", "")
    t.check("--nvml-library '' turns NVML off, with the reason",
            off.get("nvml") == {"available": False, "reason": "no NVML library configured"}
            and off.get("gpus") == [], off.get("nvml", off))
    missing = dump(jmemd, "--nvml-library", "/nonexistent/libnvidia-ml.so.1")
    t.check("a missing library is unavailable, not zero, and --dump still succeeds",
            missing.get("nvml", {}).get("available") is False
            and "Failed to load NVML" in missing["nvml"].get("reason", ""), missing.get("nvml", missing))


def top_gpu(d, me):
    top = json.loads(d.ctl("top", "--json", "--sort", "gpu", "--lines", "0").stdout)
    return next((p["gpu_bytes"] for p in top["processes"] if p["pid"] == me), None), top


def test_governor(t, jmemd, jmemctl, standin, script_path, me, gone):
    with PrivateBus() as bus:
        bus.env["JMEM_NVML_STANDIN"] = script_path
        d = Jmemd(jmemd, jmemctl, bus, "--interval-ms", "200", "--nvml-library", standin)
        try:
            mine, top = top_gpu(d, me)
            t.check("jmemctl top --sort gpu puts this process first",
                    top["processes"] and top["processes"][0]["pid"] == me, top["processes"][:2])
            t.check("with its gpu_bytes", mine == 1088 * MIB, mine)
            human = d.ctl("top", "--lines", "3").stdout
            titles = next((line for line in human.splitlines() if line.startswith("UNIT / PID")), "")
            t.check("the process table has a GPU column", "GPU" in titles.split(), human)
            status = json.loads(d.ctl("status", "--json").stdout)
            t.check("status --json carries the GPUs", [g["name"] for g in status.get("gpus", [])]
                    == ["NVIDIA H100 80GB HBM3", "NVIDIA Thor"], status.get("gpus"))
            dumped = dump(jmemd, "--nvml-library", standin, env=dict(os.environ, JMEM_NVML_STANDIN=script_path))
            t.check("status --json writes each GPU as the dump does, its processes too",
                    status.get("gpus") == dumped.get("gpus"), (status.get("gpus"), dumped.get("gpus")))
            text = d.ctl("status").stdout
            t.check("status shows a row per GPU", "GPU 0: NVIDIA H100 80GB HBM3" in text
                    and "GPU 1: NVIDIA Thor (integrated" in text, text)
            units = json.loads(d.ctl("top", "--units", "--json", "--lines", "0").stdout)["units"]
            t.check("units carry gpu_bytes", sum(u["gpu_bytes"] for u in units) == 1088 * MIB)

            write(script_path, script(gone, gone + 1))
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and top_gpu(d, me)[0] != 0:
                time.sleep(0.1)
            t.check("a process that left the GPU has no GPU memory at the next ticks", top_gpu(d, me)[0] == 0)
        finally:
            if d.process.poll() is None:
                t.check("jmemd stops cleanly", d.stop() == 0)


def main():
    jmemd, jmemctl, standin = sys.argv[1:4]
    t = Checks()
    me, gone = os.getpid(), absent_pid()
    with tempfile.TemporaryDirectory() as tmp:
        script_path = os.path.join(tmp, "script")
        write(script_path, script(me, gone))
        test_dump(t, jmemd, standin, script_path, me, gone)
        write(script_path, script(me, gone))
        test_governor(t, jmemd, jmemctl, standin, script_path, me, gone)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
