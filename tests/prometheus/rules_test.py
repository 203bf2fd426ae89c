#!/usr/bin/env python3
"""jmem's Prometheus rules against promtool (Debian's prometheus package): `promtool check rules`, then
`promtool test rules` with a case for every alert, each at the time its `for` lets it fire and just
before, beside a healthy device that must stay silent; and the fleet's recording rules on a small
fleet. The expected runbook comes from the rule itself (it is static text); every summary, which
templates fill in, is written out here.

    rules_test.py [PROMTOOL]"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = [os.path.join(ROOT, "packaging/prometheus", name) for name in ("jmem-alerts.yml", "jmem-recording.yml")]
TEXTFILE = "/var/lib/prometheus/node-exporter/jmem.prom"

# alert: (input series, [(eval time, firing instance or None, its extra labels, its summary)])
# Instance "a" is in trouble, instance "b" is healthy and never fires.
CASES = {
    "JmemMetricsStale": (
        [(f'node_textfile_mtime_seconds{{instance="a",job="node",file="{TEXTFILE}"}}', "0x20"),
         (f'node_textfile_mtime_seconds{{instance="b",job="node",file="{TEXTFILE}"}}', "0+60x20")],
        # Older than 120 s from 3m on; 5m later it fires.
        [("7m", None, {}, ""), ("8m", "a", {"job": "node", "file": TEXTFILE}, "jmem's metrics on a are 8m 0s old")]),
    "JmemMetricsMissing": (
        [('up{instance="a",job="node"}', "1x20"), ('up{instance="b",job="node"}', "1x20"),
         (f'node_textfile_mtime_seconds{{instance="b",job="node",file="{TEXTFILE}"}}', "0+60x20")],
        [("14m", None, {}, ""), ("15m", "a", {"job": "node"}, "a exports no jmem metrics")]),
    "JmemSamplingStale": (
        [('jmem_sample_stale{instance="a",job="node"}', "1x10"), ('jmem_sample_stale{instance="b",job="node"}', "0x10")],
        [("1m", None, {}, ""), ("2m", "a", {"job": "node"}, "jmemd on a cannot sample memory")]),
    "JmemWorkloadAtRisk": (
        [('jmem_headroom_bytes{instance="a",job="node"}', "104857600x10"),
         ('jmem_headroom_throttle_bytes{instance="a",job="node"}', "0x10"),
         ('jmem_pressure_some_avg10_ratio{instance="a",job="node"}', "0+0.01x10"),
         ('jmem_headroom_bytes{instance="b",job="node"}', "104857600x10"),
         ('jmem_headroom_throttle_bytes{instance="b",job="node"}', "0x10"),
         ('jmem_pressure_some_avg10_ratio{instance="b",job="node"}', "0.5x10")],
        # Stall rising from 1m on (delta needs two samples); 2m later it fires.
        [("2m", None, {}, ""),
         ("3m", "a", {"job": "node"}, "a: protected workloads are close to the OOM killer")]),
    "JmemPolicyDrift": (
        [('jmem_policy_verdict{instance="a",job="node",verdict="drift"}', "1x40"),
         ('jmem_policy_verdict{instance="b",job="node",verdict="compliant"}', "1x40")],
        [("29m", None, {}, ""),
         ("30m", "a", {"job": "node", "verdict": "drift"}, "a has drifted from its jmem policy for 30 minutes")]),
    "JmemRebootPending": (
        [('jmem_policy_reboot_pending_items{instance="a",job="node"}', "2x70"),
         ('jmem_policy_reboot_pending_items{instance="b",job="node"}', "0x70")],
        [("59m", None, {}, ""), ("60m", "a", {"job": "node"}, "a: 2 boot argument(s) wait for a reboot")]),
    "JmemThrottlingRecurs": (
        # Two escalations a minute on a; b only thaws, which is no escalation.
        [('jmem_actions_total{instance="a",job="node",source="throttle",action="throttle"}', "0+2x70"),
         ('jmem_actions_total{instance="b",job="node",source="throttle",action="thaw"}', "0+2x70")],
        # A counter that starts at 0 is not extrapolated below it: 4 by 2m, 10 by 5m.
        [("2m", None, {}, ""), ("5m", "a", {}, "a: 10 throttle actions in the last hour")]),
    "JmemMemoryStallSustained": (
        [('jmem_pressure_full_avg10_ratio{instance="a",job="node"}', "0.25x20"),
         ('jmem_pressure_full_avg10_ratio{instance="b",job="node"}', "0.05x20")],
        [("9m", None, {}, ""),
         ("10m", "a", {"job": "node"}, "a: all tasks stalled on memory 25% of the time")]),
    "JmemSelfCostOverBudget": (
        [('jmem_self_tick_cpu_mean_seconds{instance="a",job="node"}', "0.03x20"),
         ('jmem_self_tick_cpu_mean_seconds{instance="b",job="node"}', "0.005x20")],
        [("14m", None, {}, ""), ("15m", "a", {"job": "node"}, "jmemd on a spends 30ms of CPU a tick")]),
}

# The fleet: three devices, two drifting under one policy, one compliant under another, on two JetPacks.
FLEET_SERIES = [
    ('jmem_policy_verdict{instance="a",verdict="drift"}', "1x5"),
    ('jmem_policy_verdict{instance="b",verdict="drift"}', "1x5"),
    ('jmem_policy_verdict{instance="c",verdict="compliant"}', "1x5"),
    ('jmem_policy_info{instance="a",fingerprint="7bb13b2d939fe4cf"}', "1x5"),
    ('jmem_policy_info{instance="b",fingerprint="7bb13b2d939fe4cf"}', "1x5"),
    ('jmem_policy_info{instance="c",fingerprint="0123456789abcdef"}', "1x5"),
    ('jmem_device_info{instance="a",jetpack="5",l4t="35.4.1"}', "1x5"),
    ('jmem_device_info{instance="b",jetpack="6",l4t="36.4.0"}', "1x5"),
    ('jmem_device_info{instance="c",jetpack="6",l4t="36.4.0"}', "1x5"),
    ('jmem_reclaim_back_bytes{instance="a",knob="desktop"}', "800x5"),
    ('jmem_reclaim_back_bytes{instance="b",knob="desktop"}', "200x5"),
    ('jmem_reclaim_back_bytes{instance="c",knob="swiotlb"}', "60x5"),
]
FLEET_EXPECTED = [
    ("jmem:devices:count_by_verdict", [({"verdict": "drift"}, 2), ({"verdict": "compliant"}, 1)]),
    ("jmem:devices:count_by_policy",
     [({"fingerprint": "7bb13b2d939fe4cf"}, 2), ({"fingerprint": "0123456789abcdef"}, 1)]),
    ("jmem:devices:count_by_jetpack", [({"jetpack": "5"}, 1), ({"jetpack": "6"}, 2)]),
    ("jmem:reclaim_back_bytes:sum_by_knob", [({"knob": "desktop"}, 1000), ({"knob": "swiotlb"}, 60)]),
]


def labels_text(labels):
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def main():
    promtool = sys.argv[1] if len(sys.argv) > 1 else "promtool"
    rules = {}
    for path in RULES:
        with open(path) as f:
            for group in yaml.safe_load(f)["groups"]:
                for rule in group["rules"]:
                    if "alert" in rule:
                        rules[rule["alert"]] = rule
    failures = []
    checked = subprocess.run([promtool, "check", "rules", *RULES], capture_output=True, text=True)
    print(checked.stdout + checked.stderr)
    if checked.returncode != 0:
        failures.append("promtool check rules")
    if missing := sorted(set(rules) - set(CASES)):
        failures.append(f"alerts without a test: {missing}")
    tests = []
    for alert, (series, evals) in CASES.items():
        rule = rules.get(alert)
        if rule is None:
            failures.append(f"a test for an alert that does not exist: {alert}")
            continue
        alert_tests = []
        for at, instance, extra, summary in evals:
            expected = []
            if instance:
                expected.append({"exp_labels": {"instance": instance, **extra, **rule.get("labels", {})},
                                 "exp_annotations": {"summary": summary, "runbook": rule["annotations"]["runbook"]}})
            alert_tests.append({"eval_time": at, "alertname": alert, "exp_alerts": expected})
        tests.append({"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in series],
                      "alert_rule_test": alert_tests})
    tests.append({"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in FLEET_SERIES],
                  "promql_expr_test": [{"expr": name, "eval_time": "2m",
                                        "exp_samples": [{"labels": name + labels_text(l), "value": v} for l, v in samples]}
                                       for name, samples in FLEET_EXPECTED]})
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "jmem_rules_test.yml")
        with open(path, "w") as f:  # JSON is YAML
            json.dump({"rule_files": RULES, "evaluation_interval": "1m", "tests": tests}, f, indent=1)
        tested = subprocess.run([promtool, "test", "rules", path], capture_output=True, text=True)
    print(tested.stdout + tested.stderr)
    if tested.returncode != 0:
        failures.append("promtool test rules")
    evaluations = sum(len(e) for _, e in CASES.values())
    print(f"{len(CASES)} alerts, {evaluations} evaluations, {len(FLEET_EXPECTED)} recording rules tested; "
          f"{len(failures)} failures: {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
