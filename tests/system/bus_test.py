#!/usr/bin/env python3
"""jmemd and jmemctl on a private system bus: the interface, properties and their signals,
jmemctl --json against jmemd --dump, authorization, bad callers, signals to the process; the policy's
verdict where no systemd can be observed; a ledger gone stale (every sample failing) reported as a
failed state by status, the bus, the metrics and STATUS=, and its recovery; a policy's warnings
printed by --check-config and logged at the start and at each reload."""
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

from harness import ROOT, Checks, Jmemd, PrivateBus, wait_for

NOBODY = "65534"
IFACE = "org.jmem.Governor1.Manager"
OBJ = ("org.jmem.Governor1", "/org/jmem/Governor1")


def members(interface_element):
    found = set()
    for kind in ("method", "property", "signal"):
        for element in interface_element.findall(kind):
            args = tuple((a.get("direction", ""), a.get("type")) for a in element.findall("arg"))
            found.add((kind, element.get("name"), element.get("type"), args))
    return found


def test_interface(t, d):
    source = ET.parse(os.path.join(ROOT, "units/dbus/org.jmem.Governor1.Manager.xml")).getroot()
    expected = members(source.find(f"interface[@name='{IFACE}']"))
    t.check("the XML declares the interface", len(expected) >= 20, len(expected))
    result = d.busctl("introspect", "--xml-interface", *OBJ)
    t.check("introspection succeeds", result.returncode == 0, result.stderr)
    live = ET.fromstring(result.stdout).find(f"interface[@name='{IFACE}']")
    # Signal args carry no direction in the source; sd-bus prints none either.
    t.check("the live interface is the XML's", members(live) == expected,
            f"\nonly live: {members(live) - expected}\nonly xml: {expected - members(live)}")


def get_property(d, name, user=None):
    result = d.busctl("get-property", *OBJ, IFACE, name, "--json=short", user=user)
    return json.loads(result.stdout)["data"] if result.returncode == 0 else None


def test_properties(t, d):
    with open("/proc/meminfo") as f:
        mem_total = next(int(l.split()[1]) for l in f if l.startswith("MemTotal:")) * 1024
    t.check("MemTotalBytes is /proc/meminfo's", get_property(d, "MemTotalBytes") == mem_total)
    t.check("Mode is audit", get_property(d, "Mode") == "audit")
    t.check("Version is a version", isinstance(get_property(d, "Version"), str))
    t.check("SampleIntervalUsec follows --interval-ms", get_property(d, "SampleIntervalUsec") == 200000)

    # Announced changes: allocate well past the 1 MiB step and watch for PropertiesChanged.
    monitor = subprocess.Popen([d.jmemctl, "monitor", "--json"], env=d.bus.env, stdout=subprocess.PIPE)
    time.sleep(0.5)
    hog = subprocess.Popen([sys.executable, "-c", "b = bytearray(64 << 20); import time; time.sleep(3)"])
    changed = set()
    deadline = time.monotonic() + 10
    buffer = b""
    # Raw reads of whatever the pipe holds: a text stream read without blocking can fail mid-character.
    while time.monotonic() < deadline and "PssTotalBytes" not in changed and monitor.poll() is None:
        if select.select([monitor.stdout], [], [], 0.05)[0]:
            buffer += os.read(monitor.stdout.fileno(), 65536)
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            event = json.loads(line)
            if event["event"] == "properties_changed":
                changed |= set(event["properties"])
    hog.kill()
    monitor.send_signal(signal.SIGINT)
    t.check("monitor stops cleanly on SIGINT", monitor.wait(timeout=10) == 0)
    t.check("a 64 MiB process announces PssTotalBytes", "PssTotalBytes" in changed, changed)
    t.check("LastSampleUsec is never announced", "LastSampleUsec" not in changed)


def test_json_against_dump(t, d, jmemd):
    # A reload starts the sampler afresh: every process is read now, none is up to max age old.
    t.check("reload before comparing", d.ctl("reload").returncode == 0)
    status = json.loads(d.ctl("status", "--json").stdout)
    top = json.loads(d.ctl("top", "--json", "--lines", "0").stdout)
    units = json.loads(d.ctl("top", "--units", "--json", "--lines", "0").stdout)
    dump = json.loads(subprocess.run([jmemd, "--dump"], capture_output=True, text=True, check=True).stdout)
    t.check("status mem_total_bytes matches the dump",
            status["meminfo"]["mem_total_bytes"] == dump["meminfo"]["mem_total_bytes"])
    t.check("status nvmap availability matches the dump", status["nvmap"]["available"] == dump["nvmap"]["available"])
    for section in ("meminfo", "totals"):
        t.check(f"status {section} has the dump's names, in its order", list(status[section]) == list(dump[section]),
                (list(status[section]), list(dump[section])))
    t.check("status pressure has the dump's names and the level",
            set(status["pressure"]) == set(dump["pressure"]) | {"level"}, status["pressure"])
    room = status["headroom"]
    t.check("status headroom is MemAvailable above the policy's low watermark",
            room["headroom_bytes"] == max(0, room["mem_available_bytes"] - room["low_watermark_bytes"])
            and room["low_watermark_bytes"] > 0, room)
    t.check("status headroom's throttle figure is the sum of its units",
            room["throttle_bytes"] == sum(u["bytes"] for u in room["units"]), room)
    live = get_property(d, "HeadroomBytes")
    t.check("HeadroomBytes is GetHeadroom's headroom, within the 1 MiB announcement step",
            isinstance(live, int) and abs(live - room["headroom_bytes"]) <= 64 << 20, (live, room["headroom_bytes"]))
    t.check("status shows the headroom", "Headroom: " in d.ctl("status", "--no-pager").stdout)
    t.check("status nvmap is the dump's without its heaps",
            set(status["nvmap"]) == set(dump["nvmap"]) - {"heaps", "clients"}, status["nvmap"])
    ours = {p["pid"]: p for p in top["processes"]}
    theirs = {p["pid"]: p for p in dump["processes"]}
    common = [pid for pid in ours if pid in theirs]
    t.check("most processes are in both", len(common) >= 0.8 * min(len(ours), len(theirs)), (len(common), len(ours)))
    same_identity = all(ours[p]["comm"] == theirs[p]["comm"] and ours[p]["unit"] == theirs[p]["unit"]
                        and ours[p]["uid"] == theirs[p]["uid"] for p in common)
    t.check("identity fields agree with the dump", same_identity)
    keys = set(next(iter(theirs.values())).keys()) - {"slice", "swap_bytes"}
    t.check("top --json uses the dump's keys", keys <= set(next(iter(ours.values())).keys()),
            keys - set(next(iter(ours.values())).keys()))
    ours_sum = sum(ours[p]["pss_bytes"] for p in common if p not in (d.process.pid,))
    theirs_sum = sum(theirs[p]["pss_bytes"] for p in common if p not in (d.process.pid,))
    t.check("sum of PSS within 5% of the dump (taken moments apart)",
            abs(ours_sum - theirs_sum) <= 0.05 * theirs_sum, (ours_sum, theirs_sum))
    costs = [p["cost_bytes"] for p in top["processes"]]
    t.check("top is sorted by cost", costs == sorted(costs, reverse=True))
    # The units and the total must come from the same tick: retry until a status before and after agree.
    for _ in range(60):
        before = json.loads(d.ctl("status", "--json").stdout)
        units = json.loads(d.ctl("top", "--units", "--json", "--lines", "0").stdout)
        after = json.loads(d.ctl("status", "--json").stdout)
        if before["last_sample_usec"] == after["last_sample_usec"]:
            break
    t.check("units add up to the status total",
            sum(u["pss_bytes"] for u in units["units"]) == after["totals"]["pss_bytes"],
            (sum(u["pss_bytes"] for u in units["units"]), after["totals"]["pss_bytes"]))
    limited = json.loads(d.ctl("top", "--json", "--lines", "3", "--sort", "pss").stdout)["processes"]
    t.check("-n limits the rows", len(limited) == min(3, len(ours)))
    human = d.ctl("top", "--no-legend", "--lines", "2").stdout.splitlines()
    t.check("--no-legend prints rows only", len(human) == min(2, len(ours)) and not human[0].lstrip().startswith("PID"))
    t.check("no colors when not on a terminal", "\x1b[" not in d.ctl("status").stdout)


def test_authorization(t, d):
    result = d.ctl("status", user=NOBODY)
    t.check("an ordinary user can read", result.returncode == 0, result.stderr)
    result = d.ctl("reload", user=NOBODY)
    t.check("an ordinary user is denied Reload with exit 4", result.returncode == 4, (result.returncode, result.stderr))
    t.check("the denial is one line", len(result.stderr.strip().splitlines()) == 1, result.stderr)
    result = d.busctl("set-property", *OBJ, IFACE, "Mode", "s", "enforce", user=NOBODY)
    t.check("properties cannot be set", result.returncode != 0)
    result = d.ctl("reload")
    t.check("root may reload", result.returncode == 0, result.stderr)
    result = d.busctl("call", *OBJ, "org.jmem.Governor1.Manager", "GetSystem", user=NOBODY)
    t.check("an ordinary user may call GetSystem", result.returncode == 0, result.stderr)


def test_bad_callers(t, d):
    result = d.busctl("call", *OBJ, IFACE, "ListProcesses", "ss", "ten", "cost")
    t.check("wrong argument types get an error reply", result.returncode != 0 and "nvalid" in result.stderr,
            result.stderr)
    result = d.busctl("call", *OBJ, IFACE, "ListProcesses", "us", "4000000000", "cost")
    t.check("an absurd limit gets InvalidArgument", "Limit 4000000000 is above the maximum" in result.stderr,
            result.stderr)
    result = d.busctl("call", *OBJ, IFACE, "ListUnits", "us", "1", "size")
    t.check("an unknown sort key is named", '"size"' in result.stderr, result.stderr)
    # A client that sends a call and disconnects before the reply changes nothing.
    for _ in range(20):
        p = subprocess.Popen(["busctl", "--system", "call", *OBJ, IFACE, "ListProcesses", "us", "0", "cost"],
                             env=d.bus.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        p.kill()
        p.wait()
    t.check("jmemd still answers after clients vanished mid-call", d.ctl("status").returncode == 0)


def test_make_room(t, d):
    """MakeRoom in audit mode (the built-in policy): answered at once, nothing done; refused to users and
    for what no device could give."""
    result = d.ctl("make-room", "10M", "--for", "loader.service", user=NOBODY)
    t.check("an ordinary user may not ask for room (exit 4)", result.returncode == 4, (result.returncode, result.stderr))
    result = d.ctl("make-room", "1M", "--json")
    answer = json.loads(result.stdout) if result.returncode in (0, 8) and result.stdout.startswith("{") else {}
    t.check("audit mode: room that is there is made, and nothing was done for it",
            result.returncode == 0 and answer.get("made") is True and answer.get("steps") == []
            and "audit mode did nothing" in answer.get("message", ""), (result.returncode, result.stdout, result.stderr))
    total = get_property(d, "MemTotalBytes")
    result = d.busctl("call", *OBJ, IFACE, "MakeRoom", "tsuu", str(total), "", "10", "0")
    t.check("room of all of memory is refused, naming what the device has",
            result.returncode != 0 and f"the device has {total} in all" in result.stderr, result.stderr)
    result = d.busctl("call", *OBJ, IFACE, "MakeRoom", "tsuu", "1048576", "../etc/passwd", "10", "0")
    t.check("a request for a unit that is no unit name is refused",
            result.returncode != 0 and "not a unit name" in result.stderr, result.stderr)
    result = d.busctl("call", *OBJ, IFACE, "MakeRoom", "tsuu", "1048576", "", "601", "0")
    t.check("a timeout past 600 s is refused", result.returncode != 0 and "timeout_sec" in result.stderr, result.stderr)
    result = d.busctl("call", *OBJ, IFACE, "GetRoomRequests", user=NOBODY)
    t.check("anyone may list the requests for room, none here", result.returncode == 0 and "aa{sv} 0" in result.stdout,
            (result.stdout, result.stderr))


def test_policy_verdict(t, d):
    """No systemd answers on the private bus: the periodic check cannot observe a unit, so its verdict is
    unknown, never compliant, on the bus and in status (which still exits 0: the ledger is fine)."""
    verdict = wait_for(lambda: get_property(d, "PolicyVerdict"), 20, "the first periodic check")
    t.check("without systemd the policy's verdict is unknown", verdict == "unknown", verdict)
    t.check("the check's time is set", get_property(d, "PolicyCheckUsec") > 0)
    status = d.ctl("status")
    t.check("status shows the verdict", "Policy: unknown (" in status.stdout, status.stdout)
    t.check("status exits 0 over an unknown verdict", status.returncode == 0, status.returncode)
    policy = json.loads(d.ctl("status", "--json").stdout)["policy"]
    t.check("status --json has the verdict and the items not observed",
            policy["verdict"] == "unknown" and policy["unknown_items"] == get_property(d, "PolicyUnknownItems"),
            policy)


def test_policy_verdict_stays_unknown(t, d):
    """After reloads (each checked again at the next tick) and many periodic checks: still never compliant."""
    t.check("the verdict is still unknown, never compliant", get_property(d, "PolicyVerdict") == "unknown",
            get_property(d, "PolicyVerdict"))


class NotifySocket:
    """Where jmemd sends sd_notify's messages (NOTIFY_SOCKET), as systemd would receive them: the STATUS=
    lines, read on a thread so that jmemd never waits on a full socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.statuses = []
        self.done = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while not self.done:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            with self.lock:
                self.statuses += [line[7:] for line in data.decode(errors="replace").split("\n")
                                  if line.startswith("STATUS=")]

    def last(self):
        with self.lock:
            return self.statuses[-1] if self.statuses else ""

    def close(self):
        self.done = True
        self.thread.join()
        self.sock.close()


class NotifyingBus:
    """The bus's environment with NOTIFY_SOCKET added, for the harness's Jmemd."""

    def __init__(self, bus, notify_path):
        self.dir = bus.dir
        self.env = dict(bus.env, NOTIFY_SOCKET=notify_path)


def metric(path, name):
    try:
        with open(path) as f:
            found = re.search(rf"^{name} (\S+)$", f.read(), re.M)
    except FileNotFoundError:
        return None
    return float(found.group(1)) if found else None


def test_stale_ledger(t, jmemd, jmemctl, bus):
    """Issue 14: a meminfo that turns malformed after start fails every sample. Within a few intervals
    the ledger is stale, a failed state: jmemctl status (a red cross, why, how old, exit 1), the bus
    (SampleState, SampleError, announced), the metrics textfile and STATUS= all say so; fixing the file
    brings every one of them back."""
    interval_s = 0.1
    work = os.path.join(bus.dir, "stale")
    proc = os.path.join(work, "proc")
    metrics_dir = os.path.join(work, "metrics")
    os.makedirs(proc)
    os.makedirs(metrics_dir)
    fixtures = os.path.join(ROOT, "tests", "fixtures", "captured")
    with open(os.path.join(fixtures, "meminfo")) as f:
        good = f.read()
    shutil.copy(os.path.join(fixtures, "pressure-memory"), os.path.join(proc, "pressure-memory"))
    os.makedirs(os.path.join(proc, "pressure"))
    os.replace(os.path.join(proc, "pressure-memory"), os.path.join(proc, "pressure", "memory"))
    meminfo = os.path.join(proc, "meminfo")

    def put_meminfo(text):  # atomically: a tick never reads half a file
        with open(meminfo + ".new", "w") as f:
            f.write(text)
        os.replace(meminfo + ".new", meminfo)

    put_meminfo(good)
    prom = os.path.join(metrics_dir, "jmem.prom")
    notify = NotifySocket(os.path.join(work, "notify"))
    d = Jmemd(jmemd, jmemctl, NotifyingBus(bus, notify.path), "--interval-ms", str(int(interval_s * 1000)),
              "--proc-root", proc, "--debugfs-root", os.path.join(work, "debugfs"), "--nvml-library", "",
              "--policy", os.path.join(ROOT, "policy", "default-policy.toml"),
              "--state-dir", os.path.join(work, "state"), "--metrics-dir", metrics_dir)
    monitor, out = None, ""
    try:
        t.check("the ledger starts fresh", get_property(d, "SampleState") == "fresh", get_property(d, "SampleState"))
        t.check("with no sampling error", get_property(d, "SampleError") == "")
        wait_for(lambda: metric(prom, "jmem_sample_stale") == 0, 10, "the first metrics")
        wait_for(lambda: "processes" in notify.last(), 10, "STATUS= with the ledger's summary")
        monitor = subprocess.Popen([jmemctl, "monitor", "--json"], env=bus.env, stdout=subprocess.PIPE)
        time.sleep(0.5)

        put_meminfo("MemTotal:       many kB\nMemFree:        1 kB\nMemAvailable:   1 kB\n")
        broken_at = time.monotonic()
        wait_for(lambda: get_property(d, "SampleState") == "stale", 10, "SampleState stale")
        took = time.monotonic() - broken_at
        # Three intervals make it stale; the rest is the tick's schedule and a loaded machine.
        t.check("the bus says stale within a few intervals", took < 30 * interval_s, f"{took:.2f} s")
        error = get_property(d, "SampleError")
        t.check("SampleError names the file and what is wrong",
                "meminfo" in error and 'invalid value "many' in error, error)

        status = d.ctl("status")
        lines = status.stdout.splitlines()
        t.check("status exits 1 over a stale ledger", status.returncode == 1, (status.returncode, status.stderr))
        t.check("status marks it failed, not with the green dot", lines and lines[0].startswith("\u00d7 jmemd"),
                lines[:1])
        t.check("status says the ledger is stale and how old it is",
                any(re.search(r"Sampled: \d+\.\ds ago - stale", line) for line in lines), status.stdout)
        t.check("status shows why", any(line.strip().startswith("Last error: ") and 'invalid value "many' in line
                                        for line in lines), status.stdout)
        sampling = json.loads(d.ctl("status", "--json").stdout)["sampling"]
        t.check("status --json says stale, with the error", sampling["state"] == "stale" and
                'invalid value "many' in sampling["error"], sampling)

        wait_for(lambda: metric(prom, "jmem_sample_stale") == 1, 10, "jmem_sample_stale 1 in the textfile")
        t.check("the metrics count the failed samples", (metric(prom, "jmem_sample_failures_total") or 0) >= 3,
                metric(prom, "jmem_sample_failures_total"))
        wait_for(lambda: notify.last().startswith("Sampling failing, last sample "), 10, "STATUS= on the failure")
        t.check("STATUS= says why", 'invalid value "many' in notify.last(), notify.last())

        put_meminfo(good)
        wait_for(lambda: get_property(d, "SampleState") == "fresh", 10, "SampleState fresh again")
        t.check("SampleError is empty again", get_property(d, "SampleError") == "", get_property(d, "SampleError"))
        status = d.ctl("status")
        t.check("status is well again, exit 0 and the dot", status.returncode == 0 and
                status.stdout.startswith("\u25cf jmemd") and "Last error" not in status.stdout, status.stdout[:300])
        wait_for(lambda: metric(prom, "jmem_sample_stale") == 0, 10, "jmem_sample_stale 0 again")
        wait_for(lambda: "processes" in notify.last(), 10, "STATUS= with the ledger's summary again")
        time.sleep(0.3)  # the announcements reach the monitor
    finally:
        if monitor:
            monitor.send_signal(signal.SIGINT)
            out = monitor.communicate(timeout=10)[0].decode()
        code = d.stop() if d.process.poll() is None else d.process.returncode
        notify.close()
    t.check("jmemd stops cleanly", code == 0, code)
    states = [e["properties"]["SampleState"] for e in map(json.loads, out.splitlines())
              if e["event"] == "properties_changed" and "SampleState" in e["properties"]]
    t.check("SampleState is announced as it goes stale and back", states == ["stale", "fresh"], states)
    log = d.process.stderr.read()
    t.check("the failure is logged once, not every tick",
            sum("Sampling failed" in line for line in log.splitlines()) == 1, log[-2000:])
    t.check("the stale ledger and the recovery are logged",
            "The ledger is stale" in log and "Sampling works again" in log, log[-2000:])


def test_policy_warnings(t, jmemd, jmemctl, bus):
    """A policy that is valid but has a setting that will never be used: jmemd --check-config prints the
    warning at its place and still passes; the start and each reload log it once."""
    work = os.path.join(bus.dir, "warned")
    os.makedirs(work)
    path = os.path.join(work, "policy.toml")
    with open(path, "w") as f:
        f.write('[[workloads]]\nunit = "batch-*.service"\nactions = ["freeze", "stop"]\n')
    warning = (f'{path}:3:22: warning: workloads[0].actions: "stop" will never be used: '
               'pressure.allow_stop is false by default; set it to true, or leave "stop" out')
    result = subprocess.run([jmemd, "--check-config", "--policy", path], capture_output=True, text=True)
    t.check("--check-config passes a policy with only a warning", result.returncode == 0,
            (result.returncode, result.stderr))
    t.check("--check-config prints the warning at its place, one line on stderr",
            result.stderr.splitlines() == [warning], result.stderr)
    t.check("--check-config still says the policy is valid", result.stdout.startswith("The policy is valid"),
            result.stdout)

    d = Jmemd(jmemd, jmemctl, bus, "--interval-ms", "200", "--policy", path,
              "--state-dir", os.path.join(work, "state"), "--metrics-dir", "")
    try:
        reloaded = d.ctl("reload")
        t.check("a policy with a warning reloads", reloaded.returncode == 0, reloaded.stderr)
    finally:
        code = d.stop() if d.process.poll() is None else d.process.returncode
    t.check("jmemd with a warned policy stops cleanly", code == 0, code)
    log = d.process.stderr.read().splitlines()
    t.check("the start and the reload log the warning once each, one line each",
            sum(warning in line for line in log) == 2, log[-20:])


def test_process_signals(t, d):
    d.process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    t.check("SIGHUP reloads and keeps serving", d.process.poll() is None and d.ctl("status").returncode == 0)
    t.check("SIGTERM stops with exit 0", d.stop() == 0)
    result = d.ctl("status")
    t.check("jmemctl says jmemd is not running, exit 3", result.returncode == 3, result.returncode)
    t.check("in one line", len(result.stderr.strip().splitlines()) == 1 and "not running" in result.stderr,
            result.stderr)


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    t = Checks()
    with PrivateBus() as bus:
        d = Jmemd(jmemd, jmemctl, bus, "--interval-ms", "200", "--state-dir", os.path.join(bus.dir, "state"),
                  "--metrics-dir", "")
        try:
            test_interface(t, d)
            test_policy_verdict(t, d)
            test_properties(t, d)
            test_json_against_dump(t, d, jmemd)
            test_authorization(t, d)
            test_bad_callers(t, d)
            test_make_room(t, d)
            test_policy_verdict_stays_unknown(t, d)
            test_process_signals(t, d)
        finally:
            if d.process.poll() is None:
                d.stop()
            elif not d.stopped:
                print(f"jmemd exited by itself with {d.process.returncode}:\n{d.process.stderr.read()[-3000:]}")
        test_stale_ledger(t, jmemd, jmemctl, bus)
        test_policy_warnings(t, jmemd, jmemctl, bus)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
