#!/usr/bin/env python3
"""The OOM scenario: a protected workload and a greedy one in a real kernel, with no governor, with
earlyoom, with systemd-oomd and with jmemd, each without swap and with zram as JetPack sets it up
(nvzramconfig: a device per CPU, half of MemTotal in all), each in its own boot of the test VM
(tests/system/vm.py: Debian 12, cgroup v2, PSI, the kernel's OOM killer, 1536 MiB of RAM).

    oom_scenario.py [--cases none,earlyoom+zram,...] [--jmemd PATH --jmemctl PATH] [--policy FILE]
                    [--keep DIR]

The workloads (C programs built here, statically, with gcc), sized from the VM's MemTotal:
  - inference.service (inference.c) fills 55% of MemTotal and keeps touching it, a round every
    0.1 s plus the time a pass takes. Its working set has a peak: after INFERENCE_PEAK_HOLD_S it
    drops to 8% and touches that until stopped. It must survive, and keep working.
  - batch.service (batch.c) starts BASELINE_S after the inference's peak is resident and allocates
    16 MiB steps, touching every page, to 62% of MemTotal, holds that for BATCH_HOLD_S, frees it and
    exits 0. With the peak, the two need more than the RAM and more than zram at 2:1 can give back:
    without a governor something is killed, or both thrash.
  Their pages compress about 2:1 (half random, half zero): pages of one byte would cost zram nothing.
How the batch's memory is released while it is frozen: it is not the batch that gives memory back
but the inference, whose peak passes; MemAvailable rises above the release watermark, jmemd
restores the batch's MemoryHigh and thaws it in one step, and the batch finishes beside the smaller
working set. The jmemd case also checks the structured fields of each action in the journal.

Each governor runs with its Debian defaults: earlyoom with /etc/default/earlyoom ("-r 3600": act
at 10% available), systemd-oomd with Debian's drop-ins (ManagedOOMSwap=kill on -.slice, which needs
swap, and ManagedOOMMemoryPressure=kill only for user@.service: it watches no system service);
jmemd in enforce mode with tests/scenario/policy.toml (--policy: another, to measure what a part of
the design contributes by turning it off). Installing either Debian package enables and
starts its service; the image disables both so that the "none" case has no governor.

For each case the table gives the inference's longest stall (the longest time between two of its
rounds from the batch's start until its peak passes), its rounds per second before the batch and
during the ramp, the peak of PSI's memory "full" avg10, then the first action (kernel OOM kill, earlyoom or oomd kill, a change
of the batch cgroup's memory.high or freezer as sampled every 100 ms from the kernel, or a jmemd
journal entry with JMEM_ACTION) in seconds after the batch started, the processes killed, the
kernel's "invoked oom-killer" lines, whether the inference survived and whether the batch
finished. Exit status 1 when a case's expectation fails (analysis.expectation_failures)."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written into the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests/system"))

import analysis  # noqa: E402
import vm  # noqa: E402

GOVERNORS = ["none", "earlyoom", "systemd-oomd", "jmemd"]
CASES = GOVERNORS + [g + "+zram" for g in GOVERNORS]
MEMORY_MIB = 1536  # policy.toml's watermarks are written for it
PARAMS = {
    "INFERENCE_PEAK_PERMILLE": 550,
    "INFERENCE_LOW_PERMILLE": 80,
    "INFERENCE_PEAK_HOLD_S": 35,
    "BASELINE_S": 5,  # the inference's rounds alone, before the batch starts
    "BATCH_TARGET_PERMILLE": 620,
    "BATCH_STEP_PAUSE_S": 0.1,
    "BATCH_HOLD_S": 2,
    "SETTLE_S": 150,  # from the batch's start until the run gives up waiting for it
}
BOOT_TIMEOUT_S = 420
RESULT_FILES = ["journal.json", "kernel.json", "samples.txt", "final-inference.txt", "final-batch.txt",
                "governor.txt", "inference-rounds.txt"]


def build_payload(into):
    for program in ("inference", "batch"):
        subprocess.run(["gcc", "-std=c11", "-D_GNU_SOURCE", "-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o",
                        os.path.join(into, program), os.path.join(HERE, program + ".c")], check=True)


def prepare_share(share, case, payload, jmemd, jmemctl, policy):
    os.makedirs(os.path.join(share, "bin"))
    for program in ("inference", "batch"):
        shutil.copy(os.path.join(payload, program), os.path.join(share, "bin"))
    shutil.copy(os.path.join(HERE, "run.sh"), share)
    shutil.copy(os.path.join(HERE, "poll.sh"), share)
    os.chmod(os.path.join(share, "run.sh"), 0o755)
    with open(os.path.join(share, "case"), "w") as f:
        f.write(case + "\n")
    with open(os.path.join(share, "params.sh"), "w") as f:
        f.writelines(f"{key}={value}\n" for key, value in PARAMS.items())
    if analysis.governor(case) == "jmemd":
        with open(policy) as f:
            vm.stage_jmem(share, jmemd, jmemctl, {"policy.toml": f.read()})


def run_case(number, case, work, payload, jmemd, jmemctl, policy):
    share = os.path.join(work, f"{number}-{case}")  # numbered: a case may be listed more than once
    prepare_share(share, case, payload, jmemd, jmemctl, policy)
    boot = vm.boot(share, memory_mib=MEMORY_MIB, timeout_s=BOOT_TIMEOUT_S)
    if boot.rc != 0:
        print(f"{case}: run.sh exited with {boot.rc}:\n{boot.read('run.log')}")
    outcome = analysis.analyse(case, {name: boot.read(name) for name in RESULT_FILES})
    return outcome, boot.elapsed_s


def seconds(value):
    return "-" if value is None else f"{value:.1f}"


def describe_limits(outcome):
    if not outcome.sampled:
        return "none"
    start = outcome.batch_start_t or 0
    return ", ".join(f"{a.what} at +{a.t - start:.1f}s" for a in outcome.sampled)


def work_figures(o):
    """The inference's longest stall, its rounds/s before -> during (ratio) and the peak PSI full."""
    stall = "-" if o.longest_stall_s is None else f"{o.longest_stall_s:.2f} s"
    if o.rate_before is None or o.rate_during is None:
        rates = "-"
    else:
        rates = f"{o.rate_before:.2f} -> {o.rate_during:.2f} ({o.rate_during / o.rate_before:.0%})"
    psi = "-" if o.peak_psi_full_avg10 is None else f"{o.peak_psi_full_avg10:.1f} %"
    return f"{stall} | {rates} | {psi}"


def table(outcomes):
    lines = ["| case | inference: longest stall | rounds/s before -> during | peak PSI full avg10 |"
             " first action (s after batch start) | by | killed | OOM-killer lines | inference survived |"
             " batch | batch memory.high / freezer (sampled) | jmemd actions |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for o in outcomes:
        actions = sorted(o.kills + o.governor_actions + o.sampled, key=lambda a: a.t)
        # A change seen in the batch's cgroup is the governor's: nothing else sets memory.high or freezes.
        first_by = "-" if not actions else actions[0].by if actions[0].by != "sampled" else f"{o.case} (cgroup)"
        killed = "; ".join(f"{k.what} by {k.by}" for k in o.kills) or "none"
        died = o.died()
        batch = (f"finished ({o.batch_reached_mib} MiB)" if o.batch_finished() else
                 f"died at {o.batch_reached_mib} of {o.batch_target_mib} MiB ({died.get('batch', '?')})")
        inference = "yes" if o.inference_alive() else f"no ({died.get('inference', '?')})"
        jmemd = ", ".join(a.what for a in o.governor_actions) or "-"
        case = o.case if analysis.governor(o.case) == "none" or o.governor_active else f"{o.case} (not running)"
        lines.append(f"| {case} | {work_figures(o)} | {seconds(o.first_action_s())} | {first_by} | {killed} | {o.oom_invocations} |"
                     f" {inference} | {batch} | {describe_limits(o)} | {jmemd} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--jmemd")
    parser.add_argument("--jmemctl")
    parser.add_argument("--policy", default=os.path.join(HERE, "policy.toml"), help="jmemd's policy")
    parser.add_argument("--keep", help="keep each case's share (logs, journal, samples) under this directory")
    args = parser.parse_args()
    cases = args.cases.split(",")
    if unknown := [c for c in cases if c not in CASES]:
        parser.error(f"unknown case {unknown[0]}; the cases are {', '.join(CASES)}")
    if any(analysis.governor(c) == "jmemd" for c in cases) and not (args.jmemd and args.jmemctl):
        parser.error("the jmemd case needs --jmemd and --jmemctl")

    work = args.keep or tempfile.mkdtemp(prefix="jmem-scenario-")
    os.makedirs(work, exist_ok=True)
    started = time.monotonic()
    try:
        payload = os.path.join(work, "payload")
        os.makedirs(payload, exist_ok=True)
        build_payload(payload)
        vm.image()  # built once and cached; timed apart from the boots
        print(f"VM image ready after {time.monotonic() - started:.0f}s")
        outcomes, failures = [], []
        for number, case in enumerate(cases, 1):
            outcome, elapsed_s = run_case(number, case, work, payload, args.jmemd, args.jmemctl, args.policy)
            print(f"{case}: boot, scenario and power-off in {elapsed_s:.0f}s", flush=True)
            outcomes.append(outcome)
            failures += [f"{case}: {failure}" for failure in analysis.expectation_failures(outcome)]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(outcomes))
    print()
    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(cases)} cases in {time.monotonic() - started:.0f}s, {len(failures)} expectations failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
