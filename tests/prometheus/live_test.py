#!/usr/bin/env python3
"""jmem's rules and dashboards against a live Prometheus: jmemd.service under systemd 252 in a container
with the Jetson stand-in units (audit mode: the policy drifts), Debian's node_exporter serving jmemd's
textfile, and Debian's Prometheus scraping it every second, all on the container's own loopback. The
rules run scaled to the test (every duration a minute becomes a second, the staleness threshold 12 s
for a file written every 3 s). Every rule's expression and every dashboard panel's is queried through
the HTTP API: no error, and data. Then induced conditions fire their alerts: the drift
(JmemPolicyDrift), and jmemd stopped (JmemMetricsStale). Prints the series one device exports.

    live_test.py JMEMD JMEMCTL"""
import json
import os
import re
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests/system"))
sys.dont_write_bytecode = True

import jetson_units  # noqa: E402
from container import Container, jmem_binds  # noqa: E402
from harness import Checks, wait_for  # noqa: E402

RULES = {name: os.path.join(ROOT, "packaging/prometheus", name) for name in ("jmem-alerts.yml", "jmem-recording.yml")}
DASHBOARDS = [os.path.join(ROOT, "packaging/grafana", name) for name in ("jmem-device.json", "jmem-fleet.json")]
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"
# A realistic device exports far fewer; 10,000 devices at this bound stay under 2 million series.
MAX_SERIES_PER_DEVICE = 200

PROMETHEUS_CONFIG = """global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [/run/prom/jmem-alerts.yml, /run/prom/jmem-recording.yml]
scrape_configs:
  - job_name: node
    static_configs: [{targets: ["127.0.0.1:9100"]}]
"""
QUERY = ("import json, sys, urllib.parse, urllib.request\n"
         "url = 'http://127.0.0.1:9090/api/v1/' + sys.argv[1] + '?' + urllib.parse.urlencode({'query': sys.argv[2]})\n"
         "try:\n"
         "    print(urllib.request.urlopen(url, timeout=10).read().decode())\n"
         "except Exception as e:\n"
         "    print(json.dumps({'status': 'error', 'error': str(e)}))\n")


def scaled(text):
    """The rules with every duration a minute shorter per minute (5m -> 5s, 1h -> 60s)."""
    text = re.sub(r"\b(for|interval): (\d+)m\b", r"\1: \2s", text)
    text = re.sub(r"\bfor: 1h\b", "for: 60s", text)
    text = re.sub(r"\[(\d+)m\]", r"[\1s]", text)
    text = text.replace("[1h]", "[60s]")
    return text.replace("node_textfile_mtime_seconds{file=~\"(.*/)?jmem\\\\.prom\"} > 120",
                        "node_textfile_mtime_seconds{file=~\"(.*/)?jmem\\\\.prom\"} > 12")


def dashboard_exprs():
    exprs = []
    for path in DASHBOARDS:
        with open(path) as f:
            for panel in json.load(f)["panels"]:
                for target in panel["targets"]:
                    exprs.append((panel["title"], target["expr"].replace("$instance", ".*")))
    return exprs


def main():
    jmemd, jmemctl = sys.argv[1], sys.argv[2]
    t = Checks()
    binds = jmem_binds(jmemd, jmemctl)
    binds.update({"/usr/bin/prometheus": "/usr/local/bin/prometheus",
                  "/usr/bin/prometheus-node-exporter": "/usr/local/bin/node_exporter"})
    with open(RULES["jmem-alerts.yml"]) as f:
        alerts_text = f.read()
    rules = []
    for text in (alerts_text, open(RULES["jmem-recording.yml"]).read()):
        for group in yaml.safe_load(text)["groups"]:
            rules += group["rules"]
    t.check("the staleness threshold was scaled", "> 12" in scaled(alerts_text))
    with Container(binds, private_network=True) as c:
        def api(kind, query=""):
            out = c.run("python3", "-c", QUERY, kind, query, timeout=30).stdout
            try:
                return json.loads(out)
            except json.JSONDecodeError:
                return {"status": "error", "error": out}

        def firing(name):
            alerts = api("alerts").get("data", {}).get("alerts", [])
            return [a for a in alerts if a["labels"].get("alertname") == name and a["state"] == "firing"]

        jetson_units.install(c)
        c.run("busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig")
        c.run("mkdir", "-p", TEXTFILE_DIR, "/run/prom")
        # A tick every 200 ms: the textfile every 3 s.
        c.write("/etc/jmem/policy.d/50-fast.toml", "sample_interval_ms = 200\n")
        c.write("/run/prom/prometheus.yml", PROMETHEUS_CONFIG)
        c.write("/run/prom/jmem-alerts.yml", scaled(alerts_text))
        c.write("/run/prom/jmem-recording.yml", scaled(open(RULES["jmem-recording.yml"]).read()))
        c.run("systemctl", "start", "jmemd.service", timeout=60)
        c.run("systemd-run", "--unit=node-exporter", "/usr/local/bin/node_exporter",
              "--web.listen-address=127.0.0.1:9100", "--collector.disable-defaults", "--collector.textfile",
              f"--collector.textfile.directory={TEXTFILE_DIR}")
        c.run("systemd-run", "--unit=prometheus", "/usr/local/bin/prometheus", "--config.file=/run/prom/prometheus.yml",
              "--storage.tsdb.path=/run/prom/data", "--web.listen-address=127.0.0.1:9090")
        try:
            wait_for(lambda: api("query", "jmem_build_info").get("data", {}).get("result"), 60,
                     "Prometheus to scrape jmem_build_info")
            t.check("Prometheus scrapes jmem through node_exporter", True)
        except TimeoutError:
            t.check("Prometheus scrapes jmem through node_exporter", False,
                    c.run("journalctl", "-u", "prometheus", "-u", "node-exporter", "--no-pager", "-n", "30").stdout)
        # Every recording rule evaluated at least once.
        try:
            wait_for(lambda: all(api("query", r["record"]).get("data", {}).get("result")
                                 for r in rules if "record" in r), 60, "every recording rule to have data")
        except TimeoutError:
            pass
        psi = c.run("test", "-e", "/proc/pressure/memory").returncode == 0
        for rule in rules:
            name = rule.get("alert") or rule.get("record")
            answer = api("query", rule["expr"])
            t.check(f"rule {name}: its expression is answered without error", answer.get("status") == "success",
                    answer.get("error"))
            if "record" in rule:
                answer = api("query", rule["record"])
                t.check(f"recording rule {name} has data", bool(answer.get("data", {}).get("result")), answer)
            # An alert has data only while it holds: the series it reads must exist all the same.
            for metric in sorted(set(re.findall(r"\b(?:jmem_[a-z0-9_]+|node_textfile_mtime_seconds|up)\b(?![:(])",
                                                rule["expr"]))):
                if "pressure" in metric and not psi:
                    continue
                answer = api("query", metric)
                t.check(f"rule {name}: {metric} has data", bool(answer.get("data", {}).get("result")), answer)
        for title, expr in dashboard_exprs():
            answer = api("query", expr)
            ok = answer.get("status") == "success"
            has_data = bool(answer.get("data", {}).get("result"))
            # jmem leaves the PSI families out on a kernel without PSI.
            t.check(f"dashboard '{title}': {expr} answers with data", ok and (has_data or ("pressure" in expr and not psi)),
                    answer)
        series = api("query", 'count({__name__=~"jmem_.+"})').get("data", {}).get("result", [])
        count = int(float(series[0]["value"][1])) if series else 0
        units = api("query", "count(jmem_unit_cost_bytes)").get("data", {}).get("result", [])
        processes = api("query", "jmem_processes").get("data", {}).get("result", [])
        print(f"series per device: {count} (jmem_unit_cost_bytes: {units[0]['value'][1] if units else 0} units; "
              f"{processes[0]['value'][1] if processes else '?'} processes in the container)")
        t.check(f"one device exports at most {MAX_SERIES_PER_DEVICE} jmem series", 0 < count <= MAX_SERIES_PER_DEVICE, count)

        # Induced: the stand-ins drift from the built-in policy (audit mode); 30 s scaled from 30 min.
        t.check("the stale alert is silent while jmemd writes", not firing("JmemMetricsStale"))
        try:
            wait_for(lambda: firing("JmemPolicyDrift"), 90, "JmemPolicyDrift to fire")
            t.check("a drifting device fires JmemPolicyDrift", True)
        except TimeoutError:
            t.check("a drifting device fires JmemPolicyDrift", False, api("alerts"))
        c.run("systemctl", "stop", "jmemd.service", timeout=60)
        try:
            wait_for(lambda: firing("JmemMetricsStale"), 60, "JmemMetricsStale to fire")
            t.check("jmemd stopped: JmemMetricsStale fires", True)
        except TimeoutError:
            t.check("jmemd stopped: JmemMetricsStale fires", False, api("alerts"))
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
