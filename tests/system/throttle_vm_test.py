#!/usr/bin/env python3
"""The throttle on cgroup v2 (JetPack 6) in the test VM (vm.py: Debian 12, systemd 252), jmemd.service
as shipped, in enforce mode. Its PSI trigger is armed with a 1 s window (CAP_SYS_RESOURCE). An
operator's first throttle sets MemoryHigh below the unit's own 256 MiB, the second freezes it with
the cgroup freezer; jmemd killed with SIGKILL comes back through Restart=on-failure and adopts both
(the kernel's memory.high and freezer untouched, its status holding them again); a release restores
the unit's own MemoryHigh and thaws it, and the write-ahead journal marks both reverted. An entry
made in another boot (its boot_id rewritten) is let go without touching the unit, and a MemoryHigh an
operator sets during a throttle stands at the release. The same boot sets up two zram devices, one
holding 48 MiB: jmemctl status must show each as the kernel's mm_stat says.

    throttle_vm_test.py JMEMD JMEMCTL"""
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing written into the source tree
import vm  # noqa: E402
from harness import Checks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = "batch.service"
OWN_MEMORY_HIGH = 256 << 20
# Nothing acts but the operator: no trigger can hold (MemAvailable below 0, PSI above 100%, the
# kernel's trigger asking for a whole second of stall, no exhaustion horizon).
POLICY = f"""mode = "enforce"

[pressure]
available_low_mib = 0
available_high_mib = 1
psi_some_avg10_percent = 100
psi_full_avg10_percent = 100
psi_trigger_some_ms = 1000
exhaustion_horizon_s = 0

[[workloads]]
unit = "{BATCH}"
priority = 10
actions = ["throttle", "freeze"]
"""


class Step:
    """What throttle_vm.sh recorded after one step: the cgroup's state, jmemctl's status and the
    write-ahead journal."""

    def __init__(self, boot, name):
        text = boot.read(f"{name}.state") or ""
        self.kernel = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        try:
            self.status = json.loads(boot.read(f"{name}.status.json") or "")
        except ValueError:
            self.status = {}
        self.changes = [json.loads(line) for line in (boot.read(f"{name}.changes.jsonl") or "").splitlines()
                        if line.strip()]

    def held(self):
        return [u for u in self.status.get("throttle", {}).get("units", []) if u.get("unit") == BATCH]

    def memory_high(self):
        value = self.kernel.get("memory_high", "")
        return int(value) if value.isdigit() else value

    def latest_states(self):
        """kind -> the latest state of each change to batch.service, in the order made."""
        latest = {}
        for line in self.changes:
            if line.get("target") == BATCH:
                latest[line["seq"]] = (line["kind"], line["state"])
        return list(latest.values())


def command(boot, name):
    rc = (boot.read(f"{name}.rc") or "").strip()
    return (int(rc) if rc.isdigit() else None), boot.read(f"{name}.out") or ""


def check_zram(t, status, kernel):
    """jmemctl status's zram against the kernel's /sys/block/zramN/{disksize,mm_stat}, read after it."""
    print(f"zram: {kernel}")
    devices = status.get("devices", [])
    t.check("status lists the kernel's zram devices, by number", [d.get("name") for d in devices] == sorted(kernel),
            (devices, kernel))
    for device in devices:
        disksize, orig, compr, used = kernel.get(device.get("name"), [None] * 4)[:4]
        t.check(f"{device.get('name')}: disksize, original, compressed and used bytes as mm_stat says",
                (device.get("disksize_bytes"), device.get("orig_data_bytes"), device.get("compr_data_bytes"),
                 device.get("mem_used_bytes")) == (disksize, orig, compr, used), (device, kernel))
    held = [d for d in devices if d.get("orig_data_bytes")]
    t.check("zram1 holds the 48 MiB written, compressed to less",
            [d.get("name") for d in held] == ["zram1"] and held[0]["compr_data_bytes"] < held[0]["orig_data_bytes"],
            held)
    totals = status.get("totals") or {}
    t.check("the totals are the devices' sums",
            totals.get("devices") == len(devices) and
            totals.get("mem_used_bytes") == sum(d.get("mem_used_bytes", 0) for d in devices), totals)


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    t = Checks()
    with tempfile.TemporaryDirectory(prefix="jmem-throttle-vm-") as work:
        share = os.path.join(work, "share")
        os.makedirs(share)
        vm.stage_jmem(share, jmemd, jmemctl, {"policy.toml": POLICY})
        with open(os.path.join(HERE, "throttle_vm.sh")) as source, open(os.path.join(share, "run.sh"), "w") as f:
            f.write(source.read())
        os.chmod(os.path.join(share, "run.sh"), 0o755)
        boot = vm.boot(share, memory_mib=1024, timeout_s=900)
        print(f"the VM ran {boot.elapsed_s:.0f}s")
        if not t.check("the payload ran to its end", boot.rc == 0, boot.read("run.log")):
            return t.finish()
        start, throttled, frozen, adopted, released, other_boot, overridden = (
            Step(boot, name)
            for name in ("start", "throttled", "frozen", "adopted", "released", "other_boot", "overridden"))
        commands = {name: command(boot, name) for name in ("throttle", "freeze", "release", "rethrottle",
                                                             "override_throttle", "override_release")}
        jmemd_log = [vm.message(e) for e in boot.journal() if e.get("_SYSTEMD_UNIT") == "jmemd.service"]
        zram_status = json.loads(boot.read("zram.status.json") or "{}").get("zram", {})
        zram_kernel = {line.split()[0]: [int(v) for v in line.split()[1:]]
                       for line in (boot.read("zram.mm_stat") or "").splitlines() if line.strip()}

    t.check("batch.service starts under its own MemoryHigh, not frozen, held by nobody",
            start.memory_high() == OWN_MEMORY_HIGH and start.kernel.get("frozen") == "0" and start.held() == [],
            (start.kernel, start.held()))
    controls = start.status.get("throttle", {}).get("controls", {})
    t.check("jmemd reports both controls available: MemoryHigh and systemd's FreezeUnit",
            controls.get("throttle", {}).get("available") is True and controls.get("freeze", {}).get("available") is True
            and "FreezeUnit" in controls.get("freeze", {}).get("note", ""), controls)

    armed = [line for line in jmemd_log if line.startswith("PSI trigger armed:")]
    t.check("with the unit's CAP_SYS_RESOURCE the kernel takes the PSI trigger's 1 s window",
            armed and all(line.endswith("within 1000 ms") for line in armed), armed)

    check_zram(t, zram_status, zram_kernel)

    rc, out = commands["throttle"]
    print(f"jmemctl throttle: exit {rc}: {out.strip()}")
    t.check("the first throttle is the throttle rung", rc == 0 and out.startswith(f"throttle {BATCH}:"), (rc, out))
    high = throttled.memory_high()
    t.check("the kernel's memory.high is now below the unit's own", isinstance(high, int) and 0 < high < OWN_MEMORY_HIGH,
            throttled.kernel)
    held = throttled.held()
    t.check("status holds the throttle the kernel has, and the MemoryHigh it replaced",
            len(held) == 1 and held[0]["memory_high_bytes"] == high and
            held[0]["prior_memory_high_bytes"] == OWN_MEMORY_HIGH and not held[0]["frozen"] and held[0]["by_operator"],
            held)

    rc, out = commands["freeze"]
    print(f"jmemctl throttle (again): exit {rc}: {out.strip()}")
    t.check("the second throttle freezes", rc == 0 and out.startswith(f"freeze {BATCH}:"), (rc, out))
    t.check("the kernel says frozen, memory.high unchanged",
            frozen.kernel.get("frozen") == "1" and frozen.memory_high() == high, frozen.kernel)
    t.check("the write-ahead journal has both changes, done",
            frozen.latest_states() == [("memory_high", "done"), ("freeze", "done")], frozen.latest_states())

    t.check("systemd restarted the killed jmemd",
            adopted.kernel.get("jmemd_pid") not in ("", "0", frozen.kernel.get("jmemd_pid")) and
            adopted.kernel.get("jmemd_restarts") not in ("", "0"), (frozen.kernel, adopted.kernel))
    t.check("the restart left the kernel's throttle and freeze as they were",
            adopted.memory_high() == high and adopted.kernel.get("frozen") == "1", adopted.kernel)
    held = adopted.held()
    t.check("the restarted jmemd holds both again, with the MemoryHigh to give back",
            len(held) == 1 and held[0]["memory_high_bytes"] == high and held[0]["frozen"] and
            held[0]["prior_memory_high_bytes"] == OWN_MEMORY_HIGH and held[0]["by_operator"], held)
    lefts = [line for line in jmemd_log if line.startswith("Left by a previous run:")]
    left = [line for line in lefts if "made before the last reboot" not in line]
    left_again = [line for line in lefts if line not in left]
    print("\n".join(left))
    t.check("it says what it adopted", any(f"{BATCH}: still throttled, adopted" in l for l in left) and
            any(f"{BATCH}: still frozen, adopted" in l for l in left), left)

    rc, out = commands["release"]
    print(f"jmemctl release: exit {rc}: {out.strip()}")
    t.check("the release succeeds", rc == 0, (rc, out))
    t.check("the kernel has the unit's own MemoryHigh back and the unit thawed",
            released.memory_high() == OWN_MEMORY_HIGH and released.kernel.get("frozen") == "0", released.kernel)
    t.check("batch.service still runs", released.kernel.get("batch_state") == "active", released.kernel)
    t.check("status holds nothing", released.held() == [], released.held())
    t.check("the write-ahead journal marks both reverted",
            released.latest_states() == [("memory_high", "reverted"), ("freeze", "reverted")],
            released.latest_states())

    rc, out = commands["rethrottle"]
    t.check("throttled again", rc == 0 and out.startswith(f"throttle {BATCH}:"), (rc, out))
    t.check("the entry names its boot", any(line.get("after", {}).get("boot_id") for line in released.changes),
            released.changes[-1:])
    t.check("an entry of another boot is let go, unasked",
            any(f"{BATCH}: memory_high is no longer in effect (made before the last reboot" in l for l in left_again),
            left_again)
    t.check("and the unit is not touched: the kernel still has the throttle",
            other_boot.memory_high() not in ("", OWN_MEMORY_HIGH), other_boot.kernel)
    t.check("the restarted jmemd holds nothing", other_boot.held() == [], other_boot.held())
    t.check("the journal marks it reverted", other_boot.latest_states()[-1:] == [("memory_high", "reverted")],
            other_boot.latest_states())

    rc, out = commands["override_throttle"]
    t.check("throttled once more", rc == 0 and out.startswith(f"throttle {BATCH}:"), (rc, out))
    rc, out = commands["override_release"]
    t.check("released", rc == 0, (rc, out))
    t.check("the MemoryHigh an operator set during the throttle stands", overridden.memory_high() == 200 << 20,
            overridden.kernel)
    t.check("jmemd says it left it", any("was changed since jmemd throttled it: left as it is" in l
                                         for l in jmemd_log), jmemd_log[-5:])
    t.check("and holds nothing, its throttle marked reverted",
            overridden.held() == [] and overridden.latest_states()[-1:] == [("memory_high", "reverted")],
            (overridden.held(), overridden.latest_states()[-2:]))
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
