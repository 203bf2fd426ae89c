#!/usr/bin/env python3
"""The .deb's lifecycle under real systemd 252 and dpkg in a container with polkit: install (enabled,
running, READY; `jmemctl status` for an ordinary user) -> upgrade to a newer build (restarted; the
operator's edit of the policy conffile kept; applied changes kept) -> remove (stopped; every change
jmem applied reverted) -> purge (/etc/jmem and /var/lib/jmem gone) -> reinstall; and removal with
JMEM_KEEP_CHANGES=1, after which purge keeps the journal so that a reinstalled jmem can still revert.

Debian's prometheus-node-exporter is in the container before jmem (its textfile directory exists when
jmemd first starts) and runs as its own service; the container has a network of its own, so its port
9100 meets no other. The installed, sandboxed jmemd.service writes jmem.prom there, and a scrape of
node_exporter on loopback inside the container must agree with `jmemctl status --json`.

Reads both packages from DEB_DIR, where tests/package/build_packages.sh put them."""
import json
import os
import re
import subprocess
import sys
import time

import jetson_units
from container import PACKAGES_WITH_POLKIT, Container
from harness import ROOT, Checks, wait_for
from installed import check_service_ready, ctl, version
from metrics_textfile_test import parse_exposition, single

NOBODY = "65534"
UPGRADE_SUFFIX = "+test1"
JOURNAL = "/var/lib/jmem/changes.jsonl"
OPERATOR_EDIT = "\n# Edited by the operator: keep through upgrades.\n"
PACKAGES = PACKAGES_WITH_POLKIT + ["prometheus-node-exporter"]
NODE_EXPORTER = "prometheus-node-exporter"
TEXTFILE = "/var/lib/prometheus/node-exporter/jmem.prom"
SCRAPE = "http://127.0.0.1:9100/metrics"


def dpkg(c, *args, env=()):
    return c.run("env", "DEBIAN_FRONTEND=noninteractive", *env, "dpkg", *args, timeout=180)


def jmem_own(path):
    """jmem's own entries under /etc, which installing and removing the package legitimately change:
    /etc/jmem (the conffile stays until purge) and jmemd.service's links in /etc/systemd/system (enabled
    on install, masked by the removal until purge). Its bus policy and polkit action are in /usr/share."""
    return (path == "/etc/jmem" or path.startswith("/etc/jmem/") or
            re.fullmatch(r"/etc/systemd/system/([^/]+\.(wants|requires)/)?jmemd\.service", path) is not None)


def without_jmem(snapshot):
    """What the policy touches, without jmem's own: jmemd.service's line among the unit files and its
    files under /etc (jetson_units.snapshot leaves jmemd.service out of the running units already)."""
    kept = dict(snapshot)
    kept["unit_files"] = "".join(l + "\n" for l in snapshot["unit_files"].splitlines()
                                 if l.split()[:1] != ["jmemd.service"])
    # Lines of find (PATH TYPE LINK MODE) and of sha256sum (DIGEST PATH).
    kept["etc"] = "".join(l + "\n" for l in snapshot["etc"].splitlines()
                          if not any(jmem_own(word) for word in l.split()[:2]))
    return kept


def snapshot_differences(before, after):
    """Each part of the snapshots that differs, with its lines on one side only."""
    out = {}
    for key in before:
        if before[key] != after[key]:
            left, right = set(before[key].splitlines()), set(after[key].splitlines())
            out[key] = {"only before": sorted(left - right)[:8], "only after": sorted(right - left)[:8]}
    return out


def exists(c, path):
    return c.run("test", "-e", path).returncode == 0


def test_install(t, c, deb, default_policy):
    result = dpkg(c, "-i", deb)
    t.check("dpkg -i installs the package", result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:])
    t.check("the service is enabled", c.run("systemctl", "is-enabled", "jmemd.service").stdout.strip() == "enabled")
    check_service_ready(t, c, "the service is running and READY")
    result = ctl(c, "status", user=NOBODY)
    t.check("jmemctl status works for an ordinary user", result.returncode == 0 and "jmemd" in result.stdout,
            result.stderr)
    result = ctl(c, "apply", user=NOBODY)
    t.check("apply is refused to an ordinary user (exit 4)", result.returncode == 4, result.stderr)
    conffiles = c.run("dpkg-query", "-W", "-f=${Conffiles}", "jmem").stdout
    t.check("/etc/jmem/policy.toml is a conffile", "/etc/jmem/policy.toml" in conffiles, conffiles)
    t.check("it is the default policy, in audit mode", c.run("cat", "/etc/jmem/policy.toml").stdout == default_policy)
    t.check("jmemd runs the shipped policy in audit mode", '"mode": "audit"' in ctl(c, "--json", "status").stdout)
    analysis = c.run("systemd-analyze", "security", "--no-pager", "jmemd.service").stdout
    found = re.search(r"Overall exposure level for jmemd\.service: ([0-9.]+)", analysis)
    t.check("the installed unit's exposure is at most 1.5", found and float(found.group(1)) <= 1.5, analysis[-300:])
    for path in ("/usr/share/man/man8/jmemd.8.gz", "/usr/share/man/man1/jmemctl.1.gz",
                 "/usr/share/man/man5/jmem-policy.5.gz", "/usr/share/polkit-1/actions/org.jmem.governor1.policy",
                 "/usr/share/dbus-1/system.d/org.jmem.Governor1.conf",
                 "/usr/share/zsh/vendor-completions/_jmemctl", "/usr/share/fish/vendor_completions.d/jmemctl.fish",
                 "/usr/share/jmem/prometheus/jmem-alerts.yml", "/usr/share/jmem/prometheus/jmem-recording.yml",
                 "/usr/share/jmem/grafana/jmem-device.json", "/usr/share/jmem/grafana/jmem-fleet.json"):
        t.check(f"{path} is installed", exists(c, path))
    completion = c.run("bash", "-c", "source /usr/share/bash-completion/bash_completion; "
                       "source /usr/share/bash-completion/completions/jmemctl; "
                       "COMP_LINE='jmemctl throttle jmem'; COMP_POINT=${#COMP_LINE}; COMP_WORDS=(jmemctl throttle jmem); "
                       "COMP_CWORD=2; _jmemctl; echo ${COMPREPLY[*]}")
    t.check("bash completion offers running units to throttle", completion.stdout.split() == ["jmemd.service"],
            completion.stdout + completion.stderr)


def scrape(c):
    """/metrics of the container's node_exporter, fetched inside the container."""
    result = c.run("python3", "-c", "import sys, urllib.request; "
                   "sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())", SCRAPE)
    return parse_exposition(result.stdout) if result.returncode == 0 else {}


def labelled(families, name, label):
    return {s[1].get(label): s[2] for s in families.get(name, {}).get("samples", [])}


def test_metrics(t, c, package_version):
    """The packaged jmemd.service publishes jmem.prom; node_exporter's service serves it on loopback."""
    started = time.monotonic()
    t.check("node_exporter's own service runs", c.show(NODE_EXPORTER, "ActiveState") == "active",
            c.run("systemctl", "status", "--no-pager", NODE_EXPORTER).stdout)
    try:
        written = wait_for(lambda: exists(c, TEXTFILE), 20, "jmemd.service to write jmem.prom")
    except TimeoutError:
        written = False
    stat = c.run("stat", "-c", "%a %u:%g", TEXTFILE).stdout.strip()
    t.check("jmem.prom is mode 0644, owned by root", written and stat == "644 0:0", stat)

    def agreeing():
        """A scrape whose jmem families are those of the file, read before and after it (a rewrite
        every 15 ticks may add the compliance families in between)."""
        before = parse_exposition(c.run("cat", TEXTFILE).stdout)
        families = scrape(c)
        after = parse_exposition(c.run("cat", TEXTFILE).stdout)
        jmem = {n: (f["help"], f["type"]) for n, f in families.items() if n.startswith("jmem_")}
        in_file = {n: (f["help"], f["type"]) for n, f in before.items()}
        return (families, in_file) if jmem == in_file == {n: (f["help"], f["type"]) for n, f in after.items()} \
            else None

    try:
        families, in_file = wait_for(agreeing, 30, "a scrape that serves jmem.prom's families")
    except TimeoutError:
        families, in_file = scrape(c), {}
    status = json.loads(ctl(c, "--json", "status").stdout or "{}")
    jmem = {n: f for n, f in families.items() if n.startswith("jmem_")}
    t.check("the scrape serves every family of jmem.prom", jmem and set(jmem) == set(in_file),
            (sorted(jmem), sorted(in_file)))
    missing = [n for n, f in jmem.items() if not f["help"] or f["type"] not in ("gauge", "counter")]
    t.check(f"each of jmem's {len(jmem)} families has HELP and TYPE", jmem and not missing, missing)
    t.check("node_exporter reads the textfile without error", single(families, "node_textfile_scrape_error") == 0,
            families.get("node_textfile_scrape_error"))
    t.check("node_exporter names jmem.prom", TEXTFILE in labelled(families, "node_textfile_mtime_seconds", "file"),
            labelled(families, "node_textfile_mtime_seconds", "file"))
    t.check("jmem_memory_total_bytes is jmemctl's MemTotal",
            single(families, "jmem_memory_total_bytes") == status.get("meminfo", {}).get("mem_total_bytes"),
            (single(families, "jmem_memory_total_bytes"), status.get("meminfo")))
    modes = labelled(families, "jmem_policy_mode", "mode")
    t.check("jmem_policy_mode is jmemctl's mode, the other 0",
            modes == {m: float(m == status.get("mode")) for m in ("audit", "enforce")}, (modes, status.get("mode")))
    phases = labelled(families, "jmem_throttle_phase", "phase")
    phase = status.get("throttle", {}).get("phase")
    t.check("jmem_throttle_phase is jmemctl's phase, the other three 0",
            len(phases) == 4 and phases.get(phase) == 1 and sum(phases.values()) == 1, (phases, phase))
    actions = families.get("jmem_actions_total", {})
    series = {(s[1].get("source"), s[1].get("action")): s[2] for s in actions.get("samples", [])}
    t.check("jmem_actions_total is a counter of 12 series, 6 per source, none taken yet",
            actions.get("type") == "counter" and len(actions.get("samples", [])) == len(series) == 12 and
            sorted(source for source, _ in series) == ["policy"] * 6 + ["throttle"] * 6 and
            set(series.values()) == {0}, series)
    build = [s[1].get("version") for s in families.get("jmem_build_info", {}).get("samples", [])]
    t.check("jmem_build_info names the package's version, as jmemctl does",
            build == [package_version] == [status.get("version")], (build, package_version, status.get("version")))
    print(f"metrics checks: {time.monotonic() - started:.1f} s")


def test_upgrade(t, c, deb, new_version):
    # The operator edits the conffile (a slower tick) and applies the policy before the upgrade.
    c.run("sh", "-c", f"sed -i 's/^sample_interval_ms = 1000/sample_interval_ms = 500/' /etc/jmem/policy.toml && "
          f"printf '{OPERATOR_EDIT}' >> /etc/jmem/policy.toml")
    t.check("the operator's policy loads", ctl(c, "reload").returncode == 0)
    applied = ctl(c, "apply")
    t.check("root applies the policy", applied.returncode == 0, applied.stderr + applied.stdout[-500:])
    edited = c.run("cat", "/etc/jmem/policy.toml").stdout
    old_pid = c.show("jmemd", "MainPID")

    result = dpkg(c, "-i", deb)
    t.check("dpkg -i upgrades the package", result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:])
    t.check("the newer version is installed",
            c.run("dpkg-query", "-W", "-f=${Version}", "jmem").stdout == new_version)
    t.check("the service was restarted", c.show("jmemd", "MainPID") not in (old_pid, "0") and
            c.show("jmemd", "SubState") == "running", (old_pid, c.show("jmemd", "MainPID")))
    t.check("the operator's edit of the conffile is kept", c.run("cat", "/etc/jmem/policy.toml").stdout == edited)
    status = json.loads(ctl(c, "--json", "status").stdout or "{}")
    t.check("the restarted jmemd runs the operator's policy", status.get("sample_interval_usec") == 500_000,
            status.get("sample_interval_usec"))
    check = ctl(c, "check")
    t.check("the applied changes are kept through the upgrade", check.returncode == 0, check.stdout[-600:])
    t.check("so is their journal", c.run("test", "-s", JOURNAL).returncode == 0)


def test_remove_and_purge(t, c, before):
    t.check("jmem.prom is there before the removal", exists(c, TEXTFILE))
    result = dpkg(c, "-r", "jmem")
    t.check("dpkg -r removes the package", result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:])
    t.check("the service is stopped", c.show("jmemd", "ActiveState") in ("inactive", "") and
            c.run("pgrep", "-x", "jmemd").returncode == 1)
    t.check("the binaries are gone", not exists(c, "/usr/sbin/jmemd") and not exists(c, "/usr/bin/jmemctl"))
    for unit in jetson_units.STARTED:
        t.check(f"the removal started {unit} again", c.run("systemctl", "is-active", unit).stdout.strip() == "active")
    after = jetson_units.snapshot(c)
    t.check("every change jmem applied is reverted on removal: the running units, unit files, default target and "
            "/etc but jmem's own files are as before jmem was installed", without_jmem(after) == without_jmem(before),
            snapshot_differences(without_jmem(before), without_jmem(after)))
    t.check("the journal, now empty of changes, is gone", not exists(c, JOURNAL))
    t.check("the conffile stays until purge", exists(c, "/etc/jmem/policy.toml"))
    t.check("jmem.prom is gone: node_exporter serves no stale jmem figures", not exists(c, TEXTFILE))

    result = dpkg(c, "--purge", "jmem")
    t.check("dpkg --purge purges the package", result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:])
    t.check("/etc/jmem is gone", not exists(c, "/etc/jmem"))
    t.check("/var/lib/jmem is gone", not exists(c, "/var/lib/jmem"))
    leftovers = c.run("sh", "-c", "find /etc/systemd /lib/systemd/system -name 'jmemd*'").stdout
    t.check("no link to the unit is left", leftovers == "", leftovers)
    t.check("dpkg knows it no more",
            c.run("dpkg-query", "-W", "-f=${db:Status-Status}", "jmem").stdout in ("", "not-installed"))


def test_reinstall(t, c, deb, default_policy):
    result = dpkg(c, "-i", deb)
    t.check("reinstalling works", result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:])
    t.check("the reinstalled service runs", c.show("jmemd", "SubState") == "running")
    t.check("with the default policy again", c.run("cat", "/etc/jmem/policy.toml").stdout == default_policy)
    t.check("and serves an ordinary user", ctl(c, "status", user=NOBODY).returncode == 0)


def test_keep_changes(t, c, deb, before):
    """JMEM_KEEP_CHANGES=1: the changes stay, and purge keeps the journal so they can still be reverted."""
    t.check("root applies the policy again", ctl(c, "apply").returncode == 0)
    applied = jetson_units.snapshot(c)
    result = dpkg(c, "-r", "jmem", env=["JMEM_KEEP_CHANGES=1"])
    t.check("removal with JMEM_KEEP_CHANGES=1 works", result.returncode == 0, result.stderr[-1500:])
    kept = jetson_units.snapshot(c)
    t.check("it keeps the changes", without_jmem(kept) == without_jmem(applied),
            snapshot_differences(without_jmem(applied), without_jmem(kept)))
    result = dpkg(c, "--purge", "jmem")
    t.check("purge works", result.returncode == 0, result.stderr[-1500:])
    t.check("purge keeps the journal of changes not reverted", c.run("test", "-s", JOURNAL).returncode == 0)
    t.check("and says so", "keeping /var/lib/jmem/changes.jsonl" in result.stderr, result.stderr[-800:])
    t.check("/etc/jmem is gone all the same", not exists(c, "/etc/jmem"))
    t.check("reinstalling works", dpkg(c, "-i", deb).returncode == 0)
    reverted = ctl(c, "revert")
    t.check("the reinstalled jmem reverts the kept changes", reverted.returncode == 0, reverted.stderr)
    after = jetson_units.snapshot(c)
    t.check("everything is as before jmem changed it", without_jmem(after) == without_jmem(before),
            snapshot_differences(without_jmem(before), without_jmem(after)))


def main():
    deb_dir = os.path.abspath(sys.argv[1])
    t = Checks()
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True).stdout.strip()
    first, newer = version(), version() + UPGRADE_SUFFIX
    for name in (f"jmem_{first}_{arch}.deb", f"jmem_{newer}_{arch}.deb"):
        if not t.check(f"{name} was built (tests/package/build_packages.sh)",
                       os.path.exists(os.path.join(deb_dir, name))):
            return t.finish()
    with open(os.path.join(ROOT, "policy/default-policy.toml")) as f:
        default_policy = f.read()
    with Container({deb_dir: "/debs"}, PACKAGES, private_network=True) as c:
        jetson_units.install(c)
        # polkit starts on the first question jmemd asks it (an ordinary user's apply, below) and keeps
        # running: started now, it runs in every snapshot.
        c.run("systemctl", "start", "polkit.service", timeout=60)
        before = jetson_units.snapshot(c)
        t.check("the stand-ins run before jmem is installed",
                all(f"{unit} active" in before["active_units"].splitlines() for unit in jetson_units.STARTED),
                before["active_units"])
        test_install(t, c, f"/debs/jmem_{first}_{arch}.deb", default_policy)
        test_metrics(t, c, first)
        test_upgrade(t, c, f"/debs/jmem_{newer}_{arch}.deb", newer)
        test_remove_and_purge(t, c, before)
        test_reinstall(t, c, f"/debs/jmem_{newer}_{arch}.deb", default_policy)
        test_keep_changes(t, c, f"/debs/jmem_{newer}_{arch}.deb", before)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
