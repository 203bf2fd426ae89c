#!/usr/bin/env python3
"""jmem's metrics through Debian's prometheus-node-exporter: node_exporter runs on loopback with only
its textfile collector, over a fresh directory; the textfile comes from a real ledger of this machine
(metrics_driver, the formatter and writer jmemd uses); /metrics is scraped with urllib and jmem's
families must be there with the values that went in, and no textfile scrape error.

produce_textfile() is the one place that makes the file and says what it should contain: once jmemd
writes the file itself, it runs jmemd instead and reads the expected values from it.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Checks, Jmemd, PrivateBus, wait_for  # noqa: E402

NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
TOP_UNITS = 20


class StandInUnits:
    """Processes, each holding a different amount of memory, placed in cgroups named like system units
    (jmem-metrics-N.service), so this machine's ledger has more units than are published one by one.
    Only where no systemd runs the cgroup tree (PID 1 is not systemd) and the tree is writable: in
    systemd's tree that is systemd's job. Elsewhere the machine's own units are used."""

    def __init__(self, count):
        self.count = count
        self.processes = []
        self.cgroups = []

    @staticmethod
    def hierarchy():
        if os.path.exists("/run/systemd/system"):
            return None
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
        if any(":name=systemd:" in line for line in lines):
            root = "/sys/fs/cgroup/systemd"
        elif lines == ["0::/"] or any(line.startswith("0::") for line in lines):
            root = "/sys/fs/cgroup"
        else:
            return None
        return root if os.access(os.path.join(root, "cgroup.procs"), os.W_OK) else None

    def __enter__(self):
        root = self.hierarchy()
        if root is None:
            print("no writable cgroup tree outside systemd: using this machine's own units")
            return self
        code = ("import sys; b = bytearray(int(sys.argv[1])); b[::4096] = b'x' * len(b[::4096]); "
                "print('ready', flush=True); sys.stdin.read()")
        for i in range(self.count):
            cgroup = os.path.join(root, f"jmem-metrics-{i}.service")
            os.makedirs(cgroup, exist_ok=True)
            self.cgroups.append(cgroup)
            process = subprocess.Popen([sys.executable, "-c", code, str((i + 1) * 512 * 1024)],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            self.processes.append(process)
            with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
                procs.write(str(process.pid))
        for process in self.processes:
            if process.stdout.readline().strip() != "ready":  # blocks until it holds its memory
                raise RuntimeError("a stand-in process did not start")
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.stdin.close()  # its read returns and it exits
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for cgroup in self.cgroups:
            os.rmdir(cgroup)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeExporter:
    """node_exporter with the textfile collector alone, on a private loopback port."""

    def __init__(self, textfile_dir):
        self.textfile_dir = textfile_dir

    def __enter__(self):
        for _ in range(5):  # the port may be taken between the probe and the bind
            self.port = free_port()
            self.process = subprocess.Popen(
                [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{self.port}", "--collector.disable-defaults",
                 "--collector.textfile", f"--collector.textfile.directory={self.textfile_dir}", "--log.level=warn"],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                wait_for(lambda: self.process.poll() is not None or self._answers(), 20, "node_exporter on loopback")
            except TimeoutError:
                self.process.kill()
                raise
            if self.process.poll() is None:
                return self
        raise RuntimeError("node_exporter did not start: " + self.process.stderr.read())

    def _answers(self):
        try:
            self.scrape_text()
            return True
        except OSError:
            return False

    def scrape_text(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            return response.read().decode()

    def scrape(self):
        return parse_exposition(self.scrape_text())

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def unescape(value):
    out, i = [], 0
    while i < len(value):
        c = value[i]
        if c == "\\":
            i += 1
            out.append({"n": "\n", "\\": "\\", '"': '"'}[value[i]])
        else:
            out.append(c)
        i += 1
    return "".join(out)


def parse_labels(text):
    """'a="x",b="y\\"z"' -> {"a": "x", "b": 'y"z'}"""
    labels, i = {}, 0
    while i < len(text):
        eq = text.index("=", i)
        name = text[i:eq].strip(" ,")
        j = eq + 2  # past ="
        raw = []
        while text[j] != '"':
            if text[j] == "\\":
                raw.append(text[j:j + 2])
                j += 2
            else:
                raw.append(text[j])
                j += 1
        labels[name] = unescape("".join(raw))
        i = j + 1
    return labels


def parse_exposition(text):
    """{family: {"help": str, "type": str, "samples": [(name, labels, value)]}}"""
    families = {}
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            _, kind, name, rest = (line.split(" ", 3) + [""])[:4]
            families.setdefault(name, {"help": None, "type": None, "samples": []})[kind.lower()] = rest
            continue
        if not line or line.startswith("#"):
            continue
        if "{" in line:
            name, rest = line.split("{", 1)
            labels_text, value = rest.rsplit("} ", 1)
            labels = parse_labels(labels_text)
        else:
            name, value = line.split(" ", 1)
            labels = {}
        family = families.setdefault(name, {"help": None, "type": None, "samples": []})
        family["samples"].append((name, labels, float(value.split(" ")[0])))
    return families


def single(families, name):
    samples = families.get(name, {}).get("samples", [])
    return samples[0][2] if len(samples) == 1 else None


def produce_textfile(driver, textfile_dir, top_units=TOP_UNITS):
    """Writes jmem.prom into textfile_dir; returns what the file must say."""
    result = subprocess.run([driver, "--textfile-dir", textfile_dir, "--top-units", str(top_units), "--ticks", "3"],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"metrics_driver exited {result.returncode}: {result.stdout} {result.stderr}")
    return json.loads(result.stdout)


def expected_units(ledger, top_units):
    """The costliest units by cost, then manager, then name; the rest summed."""
    units = sorted(ledger["units"], key=lambda u: (-u["cost_bytes"], u["manager"], u["unit"]))
    top = {(u["manager"], u["unit"]): u["cost_bytes"] for u in units[:top_units]}
    return top, sum(u["cost_bytes"] for u in units[top_units:])


def check_families(checks, families, produced, top_units):
    ledger = produced["ledger"]
    meminfo = ledger["meminfo"]
    checks.check("node_exporter read the textfile without error", single(families, "node_textfile_scrape_error") == 0,
                 families.get("node_textfile_scrape_error"))
    mtimes = families.get("node_textfile_mtime_seconds", {}).get("samples", [])
    checks.check("node_exporter lists jmem.prom", any(s[1].get("file", "").endswith("jmem.prom") for s in mtimes),
                 mtimes)
    jmem = {name: f for name, f in families.items() if name.startswith("jmem_")}
    checks.check("jmem's families are exposed", len(jmem) >= 20, sorted(jmem))
    for name, family in jmem.items():
        checks.check(f"{name} has HELP and TYPE", family["help"] and family["type"] in ("gauge", "counter"), family)

    figures = {
        "jmem_memory_total_bytes": meminfo["mem_total_bytes"],
        "jmem_memory_available_bytes": meminfo["mem_available_bytes"],
        "jmem_pss_bytes": ledger["totals"]["pss_bytes"],
        "jmem_processes": len(ledger["processes"]),
        "jmem_units": len(ledger["units"]),
        "jmem_sample_timestamp_seconds": produced["sample_usec"] / 1e6,
        "jmem_self_ticks_total": produced["self"]["ticks"],
        "jmem_self_tick_cpu_mean_seconds": produced["self"]["tick_cpu_mean_usec"] / 1e6,
        "jmem_self_rollup_reads": produced["self"]["rollup_reads"],
        "jmem_throttle_units_acted_on": produced["throttle_units_acted_on"],
    }
    if meminfo["swap_total_bytes"] is not None:
        figures["jmem_swap_total_bytes"] = meminfo["swap_total_bytes"]
    for name, value in figures.items():
        # Prometheus carries float64: compare as node_exporter printed it.
        checks.check(f"{name} is the input's value", single(families, name) == float(value),
                     f"{single(families, name)} != {value}")

    nvmap = ledger["nvmap"]
    if nvmap["available"]:
        checks.check("jmem_nvmap_bytes is NvMap's total", single(families, "jmem_nvmap_bytes") == nvmap["total_bytes"])
    else:
        checks.check("jmem_nvmap_bytes is absent without NvMap, not 0", "jmem_nvmap_bytes" not in families)
    pressure = ledger["pressure"]
    for kind in ("some", "full"):
        name = f"jmem_pressure_{kind}_avg10_ratio"
        if pressure["available"]:
            checks.check(f"{name} is PSI's avg10", single(families, name) == pressure[kind]["avg10_permyriad"] / 10000,
                         f"{single(families, name)} vs {pressure[kind]}")
        else:
            checks.check(f"{name} is absent without PSI", name not in families)

    top, other = expected_units(ledger, top_units)
    samples = families.get("jmem_unit_cost_bytes", {}).get("samples", [])
    published = {(s[1].get("manager", ""), s[1]["unit"]): s[2] for s in samples if s[1]["unit"] != "other"}
    checks.check("the top units are published with their cost", published == {k: float(v) for k, v in top.items()},
                 f"{published} != {top}")
    others = [s[2] for s in samples if s[1]["unit"] == "other" and not s[1].get("manager")]
    checks.check("the other units are summed in one series", others == [float(other)], f"{others} != [{other}]")
    checks.check("no PID label anywhere", all("pid" not in s[1] for f in jmem.values() for s in f["samples"]))

    phases = {s[1]["phase"]: s[2] for s in families.get("jmem_throttle_phase", {}).get("samples", [])}
    checks.check("the controller's phase is the one set", phases.get(produced["throttle_phase"]) == 1 and
                 sum(phases.values()) == 1 and len(phases) == 4, phases)
    modes = {s[1]["mode"]: s[2] for s in families.get("jmem_policy_mode", {}).get("samples", [])}
    checks.check("the policy's mode is the one set", modes == {"audit": float(produced["mode"] == "audit"),
                                                               "enforce": float(produced["mode"] == "enforce")}, modes)
    actions = families.get("jmem_actions_total", {})
    checks.check("actions are counters, every known one present at 0",
                 actions.get("type") == "counter" and len(actions["samples"]) == 12 and
                 all(s[2] == 0 for s in actions["samples"]), actions)
    build = families.get("jmem_build_info", {}).get("samples", [])
    checks.check("build info names the version", [s[1].get("version") for s in build] == [produced["version"]], build)


def check_jmemd_writes(checks, jmemd, jmemctl, work):
    """jmemd itself publishes the file every 15 ticks (100 ms here): node_exporter serves what jmemctl
    reports, and the compliance families appear once the policy has been checked (at the first tick, then
    every 30)."""
    textfile_dir = os.path.join(work, "jmemd-node-exporter")
    os.mkdir(textfile_dir)
    path = os.path.join(textfile_dir, "jmem.prom")
    with PrivateBus() as bus, NodeExporter(textfile_dir) as exporter:
        daemon = Jmemd(jmemd, jmemctl, bus, "--interval-ms", "100", "--state-dir", os.path.join(work, "state"),
                       "--metrics-dir", textfile_dir)
        try:
            wait_for(lambda: "jmem_policy_compliant" in exporter.scrape(), 20, "jmemd's compliance metrics")
            families = exporter.scrape()
            status = json.loads(daemon.ctl("status", "--json").stdout)
            checks.check("jmemd writes the textfile, mode 0644", os.stat(path).st_mode & 0o7777 == 0o644)
            checks.check("node_exporter reads it without error", single(families, "node_textfile_scrape_error") == 0)
            checks.check("jmemd's MemTotal is jmemctl's",
                         single(families, "jmem_memory_total_bytes") == status["meminfo"]["mem_total_bytes"])
            phases = {s[1]["phase"]: s[2] for s in families["jmem_throttle_phase"]["samples"]}
            checks.check("jmemd's throttle phase is jmemctl's", phases.get(status["throttle"]["phase"]) == 1, phases)
            modes = {s[1]["mode"]: s[2] for s in families["jmem_policy_mode"]["samples"]}
            checks.check("jmemd's mode is jmemctl's", modes.get(status["mode"]) == 1, modes)
            checks.check("jmemd counts its ticks", single(families, "jmem_self_ticks_total") >= 15)
            checks.check("jmemd's ledger is fresh", single(families, "jmem_sample_stale") == 0)
            checks.check("jmemd counts failed samples, none here", single(families, "jmem_sample_failures_total") == 0)
            # No systemd answers on the private bus: the check observes nothing, so unknown, never compliant.
            verdicts = {s[1]["verdict"]: s[2] for s in families["jmem_policy_verdict"]["samples"]}
            checks.check("jmemd's policy verdict is unknown without systemd",
                         verdicts == {"compliant": 0, "reboot-pending": 0, "unknown": 1, "drift": 0}, verdicts)
            checks.check("so it is not compliant", single(families, "jmem_policy_compliant") == 0)
            checks.check("and the verdict is jmemctl's", status["policy"]["verdict"] == "unknown", status["policy"])
            checks.check("jmemd's action counters are all there", len(families["jmem_actions_total"]["samples"]) == 12)
            first = os.stat(path).st_mtime_ns
            wait_for(lambda: os.stat(path).st_mtime_ns != first, 10, "the next write")
            checks.check("jmemd rewrites it and leaves no temporary file", os.listdir(textfile_dir) == ["jmem.prom"],
                         os.listdir(textfile_dir))
        finally:
            checks.check("jmemd stops cleanly", daemon.stop() == 0)


def ticks(daemon):
    """jmemd's ticks so far, from GetSelfStats."""
    reply = daemon.busctl("call", "org.jmem.Governor1", "/org/jmem/Governor1", "org.jmem.Governor1.Manager",
                          "GetSelfStats", "--json=short")
    return json.loads(reply.stdout)["data"][0]["ticks"]["data"] if reply.returncode == 0 else 0


def check_write_failure_logged_once(checks, jmemd, jmemctl, work):
    """A textfile jmemd cannot write (jmem.prom is a directory) is logged once, not at each of the
    writes that fail, and its return once the way is clear."""
    textfile_dir = os.path.join(work, "jmemd-blocked")
    blocker = os.path.join(textfile_dir, "jmem.prom")
    os.makedirs(blocker)
    with PrivateBus() as bus:
        daemon = Jmemd(jmemd, jmemctl, bus, "--interval-ms", "100", "--state-dir", os.path.join(work, "state-blocked"),
                       "--metrics-dir", textfile_dir)
        try:
            wait_for(lambda: ticks(daemon) >= 50, 30, "three failed writes (every 15 ticks)")
            os.rmdir(blocker)
            wait_for(lambda: os.path.isfile(blocker), 10, "the write once the way is clear")
        finally:
            checks.check("jmemd stops cleanly after failed writes", daemon.stop() == 0)
        log = daemon.process.stderr.read()
    failures = [line for line in log.splitlines() if "Failed to publish metrics" in line]
    checks.check("three failed writes are logged once", len(failures) == 1, failures)
    checks.check("the write that succeeds again is logged",
                 sum("Metrics published again" in line for line in log.splitlines()) == 1, log[-1500:])


def main():
    driver = sys.argv[1]
    checks = Checks()
    if not NODE_EXPORTER:
        print("FAIL: prometheus-node-exporter is not installed (packaging/dev.sh test installs it)")
        return 1
    work = tempfile.mkdtemp(prefix="jmem-metrics-")
    try:
        textfile_dir = os.path.join(work, "node-exporter")

        # No directory: metrics are off, nothing is created, and that is no error.
        produced = produce_textfile(driver, textfile_dir)
        checks.check("a missing directory means off", produced["write"] == "directory_missing", produced["write"])
        checks.check("nothing is created when off", not os.path.exists(textfile_dir))

        os.mkdir(textfile_dir)
        with StandInUnits(TOP_UNITS + 5) as stand_ins, NodeExporter(textfile_dir) as exporter:
            produced = produce_textfile(driver, textfile_dir)
            if stand_ins.processes:
                units = {u["unit"] for u in produced["ledger"]["units"]}
                checks.check("the stand-in units are in the ledger",
                             all(f"jmem-metrics-{i}.service" in units for i in range(stand_ins.count)), units)
            checks.check("the textfile is written", produced["write"] == "written", produced)
            path = os.path.join(textfile_dir, "jmem.prom")
            checks.check("the textfile is mode 0644", os.stat(path).st_mode & 0o7777 == 0o644, oct(os.stat(path).st_mode))
            checks.check("no temporary file is left", os.listdir(textfile_dir) == ["jmem.prom"], os.listdir(textfile_dir))
            print(f"textfile: {produced['bytes']} bytes, {len(produced['ledger']['units'])} units in the ledger; "
                  f"format {produced['format_usec']:.0f} us, write {produced['write_usec']:.0f} us")
            check_families(checks, exporter.scrape(), produced, TOP_UNITS)

            # A new file replaces the old one: fewer units, and node_exporter sees the new set.
            produced = produce_textfile(driver, textfile_dir, top_units=3)
            families = exporter.scrape()
            check_families(checks, families, produced, 3)
            checks.check("the replaced file has at most 3 units and other",
                         len(families["jmem_unit_cost_bytes"]["samples"]) == min(3, len(produced["ledger"]["units"])) + 1,
                         families["jmem_unit_cost_bytes"])

            # The scrape-error check can fail: a broken file next to ours is reported.
            with open(os.path.join(textfile_dir, "broken.prom"), "w") as broken:
                broken.write("jmem_broken{unit=\"x} 1\n")
            checks.check("node_exporter reports a broken textfile",
                         single(exporter.scrape(), "node_textfile_scrape_error") == 1)
        if len(sys.argv) > 3:
            check_jmemd_writes(checks, sys.argv[2], sys.argv[3], work)
            check_write_failure_logged_once(checks, sys.argv[2], sys.argv[3], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
