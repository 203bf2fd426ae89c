#!/usr/bin/env python3
"""What could not be observed is unknown, never compliant: jmemd on a private system bus where no systemd
answers, then beside a stand-in systemd manager (systemd_standin) scripted to fail some calls with a
D-Bus error and answer the others, then to answer every call as a compliant device would. jmemctl
check exits 6 with "verdict": "unknown" and "compliant": null, each failed item unknown and each
answered one as answered; plan exits 6 and names under "Cannot plan" what it could not observe; the
compliant device exits 0 both ways.

Usage: unknown_state_test.py JMEMD JMEMCTL SYSTEMD_STANDIN"""
import json
import os
import re
import subprocess
import sys
import tempfile

from harness import ROOT, Checks, Jmemd, PrivateBus, standin_systemd_policy, wait_for

# The items whose state only systemd knows.
SYSTEMD_ITEMS = ("default-target", "unit-file", "unit-active")
EXIT_UNKNOWN = 6

# The stand-in's policy: the default target, a class to mask, one to disable and one that is a glob
# (its units are listed with ListUnitFilesByPatterns), and no user units or boot arguments, so that
# nothing but the stand-in's answers decides.
STANDIN_POLICY = """mode = "audit"
default_target = "multi-user.target"
keep = ["ssh.service"]

[classes.gui]
action = "mask"
units = ["gdm3.service", "lightdm.service"]

[classes.network]
action = "disable"
units = ["ModemManager.service", "avahi-daemon.service", "bluetooth.service"]

[classes.printing]
action = "disable"
units = ["cups*.service"]
"""

DENIED = "org.freedesktop.DBus.Error.AccessDenied"
FAILED = "org.freedesktop.DBus.Error.Failed"


def masked():
    return {"file_state": "masked", "load_state": "masked", "active_state": "inactive", "sub_state": "dead"}


def disabled():
    return {"file_state": "disabled", "load_state": "loaded", "active_state": "inactive", "sub_state": "dead"}


def failure(name, message):
    return {"error": name, "message": message}


# Some calls fail: the default target, ModemManager's unit file state, loading bluetooth.service, the
# list of unit files for cups*.service. The others answer as a compliant device would; lightdm has no
# unit file.
PARTLY_FAILING = {
    "default_target": failure(DENIED, "stand-in refuses GetDefaultTarget"),
    "units": {
        "gdm3.service": masked(),
        "ModemManager.service": dict(disabled(), file_state=failure(FAILED, "stand-in fails GetUnitFileState")),
        "avahi-daemon.service": disabled(),
        "bluetooth.service": dict(disabled(), load=failure(FAILED, "stand-in fails loading bluetooth.service")),
    },
    "unit_files": failure(FAILED, "stand-in fails ListUnitFilesByPatterns"),
}
# (item, subject) -> the state check must give it, and the stand-in's message where it failed.
PARTLY_FAILING_EXPECTED = {
    ("default-target", "default.target"): ("unknown", "stand-in refuses GetDefaultTarget"),
    ("unit-file", "ModemManager.service"): ("unknown", "stand-in fails GetUnitFileState"),
    ("unit-active", "ModemManager.service"): ("ok", None),
    ("unit-file", "bluetooth.service"): ("ok", None),
    ("unit-active", "bluetooth.service"): ("unknown", "stand-in fails loading bluetooth.service"),
    ("unit-file", "cups*.service"): ("unknown", "stand-in fails ListUnitFilesByPatterns"),
    ("unit-file", "gdm3.service"): ("ok", None),
    ("unit-active", "gdm3.service"): ("ok", None),
    ("unit-file", "avahi-daemon.service"): ("ok", None),
    ("unit-active", "avahi-daemon.service"): ("ok", None),
    ("unit-file", "lightdm.service"): ("not applicable", None),
}

# Every call answered, every unit as the policy wants it: compliant.
COMPLIANT = {
    "default_target": "multi-user.target",
    "units": {
        "gdm3.service": masked(),
        "ModemManager.service": disabled(),
        "avahi-daemon.service": disabled(),
        "bluetooth.service": disabled(),
        "cups.service": disabled(),
    },
    "unit_files": [["/usr/lib/systemd/system/cups.service", "disabled"]],
}


def default_without_user_units():
    """The built-in default policy without its class of user units: those are read from this machine's
    /etc/systemd/user and /usr/lib/systemd/user, not from systemd, and could drift here whatever systemd
    says."""
    with open(os.path.join(ROOT, "policy/default-policy.toml")) as f:
        text = f.read()
    stripped = re.sub(r"(?ms)^\[classes\.audio\]\n.*?(?=^\[)", "", text)
    if stripped == text or 'scope = "global-user"' in stripped:
        raise RuntimeError("the default policy's user-unit class was not found")
    return stripped


def check(d):
    """jmemctl check, human and --json: (exit status, text, exit status of --json, the document)."""
    human = d.ctl("check")
    as_json = d.ctl("check", "--json")
    try:
        report = json.loads(as_json.stdout)
    except json.JSONDecodeError:
        report = {"unparsed": as_json.stdout + as_json.stderr}
    return human, as_json.returncode, report


def plan(d):
    human = d.ctl("plan")
    as_json = d.ctl("plan", "--json")
    try:
        planned = json.loads(as_json.stdout)
    except json.JSONDecodeError:
        planned = {"unparsed": as_json.stdout + as_json.stderr}
    return human, as_json.returncode, planned


def states(report):
    return {(i["item"], i["subject"]): i for i in report.get("items", [])}


def test_no_systemd(t, d):
    """Nobody owns org.freedesktop.systemd1 on this bus: every call to systemd fails at once."""
    human, rc, report = check(d)
    items = report.get("items", [])
    needing = [i for i in items if i["item"] in SYSTEMD_ITEMS]
    t.check("without systemd, check exits 6", human.returncode == EXIT_UNKNOWN,
            (human.returncode, human.stdout[-1500:], human.stderr))
    t.check("and says unknown, not compliant", "not compliant" in human.stdout and
            "Compliant" not in human.stdout, human.stdout[-400:])
    t.check("check --json exits 6 with verdict unknown and compliant null",
            rc == EXIT_UNKNOWN and report.get("verdict") == "unknown" and "compliant" in report and
            report["compliant"] is None, (rc, report.get("verdict"), report.get("compliant")))
    t.check("the default target and the policy's system units are all among the items",
            ("default-target", "default.target") in states(report) and
            {("unit-file", u) for u in ("gdm3.service", "rsyslog.service", "ModemManager.service")} <=
            set(states(report)), sorted(states(report)))
    t.check("no item that needs systemd says ok", not [i for i in needing if i["state"] == "ok"],
            [i for i in needing if i["state"] == "ok"])
    t.check("every item that needs systemd says unknown, none not applicable",
            needing and all(i["state"] == "unknown" for i in needing),
            [(i["item"], i["subject"], i["state"], i["actual"]) for i in needing if i["state"] != "unknown"])
    unknown = [i for i in items if i["state"] == "unknown"]

    human, rc, planned = plan(d)
    t.check("without systemd, plan exits 6", human.returncode == EXIT_UNKNOWN,
            (human.returncode, human.stdout[-800:], human.stderr))
    cannot = [l for l in human.stdout.splitlines() if l.startswith("Cannot plan ")]
    t.check("plan prints a \"Cannot plan\" line for each unknown item", unknown and len(cannot) == len(unknown),
            (len(cannot), len(unknown), human.stdout[-1500:]))
    t.check("plan never says \"Nothing to change.\"", "Nothing to change." not in human.stdout.splitlines(),
            human.stdout[-400:])
    t.check("plan --json exits 6 with a non-empty \"unknown\"",
            rc == EXIT_UNKNOWN and isinstance(planned.get("unknown"), list) and len(planned["unknown"]) == len(unknown),
            (rc, planned))


class Standin:
    """The stand-in systemd manager on the bus, with a script, until the block ends."""

    def __init__(self, program, bus, workdir, name, script):
        self.script = os.path.join(workdir, f"{name}.json")
        self.log = os.path.join(workdir, f"{name}.calls")
        with open(self.script, "w") as f:
            json.dump(script, f)
        self.process = subprocess.Popen([program, self.script, self.log], env=bus.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            raise RuntimeError("the stand-in did not start: " + line + self.process.stderr.read())
        self.bus = bus

    def calls(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)
        # Until the bus has dropped its name, a call could still be routed to it.
        wait_for(lambda: subprocess.run(["busctl", "--system", "status", "org.freedesktop.systemd1"], env=self.bus.env,
                                        capture_output=True).returncode != 0, 10, "systemd's name to be released")


def test_partly_failing(t, d, standin):
    human, rc, report = check(d)
    got = states(report)
    t.check("with some calls failing, check exits 6", human.returncode == EXIT_UNKNOWN,
            (human.returncode, human.stdout[-1500:], human.stderr))
    t.check("check --json says verdict unknown and compliant null, and exits 6",
            rc == EXIT_UNKNOWN and report.get("verdict") == "unknown" and "compliant" in report and
            report["compliant"] is None, (rc, report.get("verdict"), report.get("compliant")))
    for (item, subject), (state, message) in PARTLY_FAILING_EXPECTED.items():
        seen = got.get((item, subject), {})
        if state == "unknown":
            t.check(f"{item} {subject}, whose call failed, is unknown and says why",
                    seen.get("state") == "unknown" and message in seen.get("actual", ""), seen)
        else:
            t.check(f"{item} {subject}, which the stand-in answered, is {state}", seen.get("state") == state, seen)
    t.check("no other item is reported", set(got) == set(PARTLY_FAILING_EXPECTED),
            sorted(set(got) ^ set(PARTLY_FAILING_EXPECTED)))
    calls = standin.calls()
    for call in ("GetDefaultTarget", "GetUnitFileState ModemManager.service", "LoadUnit bluetooth.service",
                 "ListUnitFilesByPatterns cups*.service"):
        t.check(f"jmemd asked the stand-in: {call}", call in calls, calls)

    human, rc, planned = plan(d)
    t.check("plan exits 6", human.returncode == EXIT_UNKNOWN, (human.returncode, human.stdout[-800:], human.stderr))
    cannot = [l for l in human.stdout.splitlines() if l.startswith("Cannot plan ")]
    failed = sorted(subject for (item, subject), (state, _) in PARTLY_FAILING_EXPECTED.items() if state == "unknown")
    named = sorted(subject for subject in failed if any(l.startswith(f"Cannot plan {subject} ") for l in cannot))
    t.check("plan names each failed item under \"Cannot plan\"", named == failed and len(cannot) == len(failed),
            (failed, cannot))
    t.check("and no answered one", not [l for l in cannot if "gdm3" in l or "avahi" in l], cannot)
    t.check("plan never says \"Nothing to change.\"", "Nothing to change." not in human.stdout.splitlines(),
            human.stdout[-400:])
    t.check("plan --json exits 6 with the failed items under \"unknown\"",
            rc == EXIT_UNKNOWN and len(planned.get("unknown", [])) == len(failed) and
            sorted(u.split(" ")[0] for u in planned.get("unknown", [])) == failed, (rc, planned))


def test_compliant(t, d, standin):
    human, rc, report = check(d)
    t.check("with every call answered as compliant, check exits 0", human.returncode == 0,
            (human.returncode, human.stdout[-1500:], human.stderr))
    t.check("and says Compliant.", human.stdout.rstrip().endswith("Compliant."), human.stdout[-300:])
    t.check("check --json says verdict compliant and compliant true, and exits 0",
            rc == 0 and report.get("verdict") == "compliant" and report.get("compliant") is True,
            (rc, report.get("verdict"), report.get("compliant")))
    got = states(report)
    t.check("the units the glob lists are checked: cups.service is ok",
            got.get(("unit-file", "cups.service"), {}).get("state") == "ok" and
            got.get(("unit-active", "cups.service"), {}).get("state") == "ok", got.get(("unit-file", "cups.service")))
    t.check("every item is ok or not applicable",
            got and all(i["state"] in ("ok", "not applicable") for i in got.values()),
            [i for i in got.values() if i["state"] not in ("ok", "not applicable")])
    human, rc, planned = plan(d)
    t.check("plan exits 0 and says \"Nothing to change.\"",
            human.returncode == 0 and human.stdout.splitlines()[:1] == ["Nothing to change."],
            (human.returncode, human.stdout))
    t.check("plan --json exits 0 with no change and nothing unknown",
            rc == 0 and planned.get("changes") == [] and planned.get("unknown") == [], (rc, planned))
    t.check("jmemd asked the stand-in for the default target", "GetDefaultTarget" in standin.calls())


def main():
    jmemd, jmemctl, standin_program = sys.argv[1:4]
    t = Checks()
    with tempfile.TemporaryDirectory(prefix="jmem-unknown-") as workdir:
        os.chmod(workdir, 0o755)
        policy_dir = standin_systemd_policy(workdir)
        policy = os.path.join(workdir, "policy.toml")
        with open(policy, "w") as f:
            f.write(default_without_user_units())
        with PrivateBus(policy_dir) as bus:
            d = Jmemd(jmemd, jmemctl, bus, "--policy", policy, "--state-dir", os.path.join(workdir, "state"),
                      "--metrics-dir", "")
            try:
                test_no_systemd(t, d)
                with open(policy, "w") as f:
                    f.write(STANDIN_POLICY)
                # jmemd gives an answer to Check or Plan up to a second old again: a reload forgets it,
                # so that each stand-in is asked afresh.
                with Standin(standin_program, bus, workdir, "partly-failing", PARTLY_FAILING) as standin:
                    reload = d.ctl("reload")
                    t.check("jmemd reloads with the stand-in's policy", reload.returncode == 0, reload.stderr)
                    test_partly_failing(t, d, standin)
                with Standin(standin_program, bus, workdir, "compliant", COMPLIANT) as standin:
                    t.check("jmemd reloads", d.ctl("reload").returncode == 0)
                    test_compliant(t, d, standin)
            finally:
                if d.process.poll() is None:
                    d.stop()
                else:
                    print(f"jmemd exited by itself with {d.process.returncode}:\n{d.process.stderr.read()[-3000:]}")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
