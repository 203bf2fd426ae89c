"""One boot of the OOM scenario, read back: what the kernel log, the journal, the units' end states
and the 100 ms sampler of the batch unit say happened. Pure: it takes the files' texts."""
import dataclasses
import re

from vm import journal_entries, message

KERNEL_KILL = re.compile(r"Out of memory: Killed process (\d+) \(([^)]*)\)")
EARLYOOM_KILL = re.compile(r'sending (SIG\w+) to process (\d+) uid \d+ "([^"]*)"')
OOMD_KILL = re.compile(r"Killed (\S+) due to")
BATCH_START = re.compile(r"batch: start, target (\d+) MiB.* t=([\d.]+)")
BATCH_STEP = re.compile(r"batch: step (\d+) (\d+) MiB t=([\d.]+)")
BATCH_DONE = re.compile(r"batch: released, done t=([\d.]+)")
INFERENCE_PEAK_PASSED = re.compile(r"inference: peak passed.* t=([\d.]+)")
SAMPLE_FIELD = re.compile(r"(\w+)=(\S*)")
# The structured fields jmemd writes with each action (daemon/throttle/action_log.cpp).
JMEM_FIELDS = ("JMEM_ACTION", "JMEM_UNIT", "JMEM_ORIGIN", "JMEM_RESULT", "JMEM_MEMORY_HIGH_BYTES",
               "JMEM_FREEZE_METHOD")
JMEM_ACTIONS = ("throttle", "freeze", "stop", "thaw", "restore_memory_high", "start")
PAGE_BYTES = 4096


@dataclasses.dataclass
class Action:
    t: float  # wall clock in the VM, seconds
    by: str
    what: str
    value: str | None = None  # a sampled memory.high: the cgroup file's text


def governor(case):
    """The governor a case runs: "jmemd" for "jmemd+zram"."""
    return case.removesuffix("+zram")


@dataclasses.dataclass
class Outcome:
    case: str
    governor_active: bool = False
    batch_start_t: float | None = None
    batch_target_mib: int = 0
    batch_reached_mib: int = 0
    batch_done: bool = False
    inference_peak_passed_t: float | None = None  # when its peak passed, wall clock in the VM
    # The inference's work: the longest time between two rounds from the batch's start until its
    # peak passed, and its rounds per second before the batch and during that time.
    longest_stall_s: float | None = None
    rate_before: float | None = None
    rate_during: float | None = None
    peak_psi_full_avg10: float | None = None  # the machine's, from the batch's start on, percent
    oom_invocations: int = 0  # "invoked oom-killer" lines in the kernel log
    kills: list = dataclasses.field(default_factory=list)  # Actions that killed a process
    governor_actions: list = dataclasses.field(default_factory=list)  # jmemd's JMEM_ACTION entries
    action_entries: list = dataclasses.field(default_factory=list)  # the same entries, whole
    sampled: list = dataclasses.field(default_factory=list)  # the batch cgroup's changes, sampled
    units: dict = dataclasses.field(default_factory=dict)  # unit -> its end state (systemctl show)

    def first_action_s(self):
        times = [a.t for a in self.kills + self.governor_actions + self.sampled]
        if not times or self.batch_start_t is None:
            return None
        return min(times) - self.batch_start_t

    def inference_alive(self):
        return self.units.get("inference", {}).get("ActiveState") == "active"

    def batch_finished(self):
        end = self.units.get("batch", {})
        return self.batch_done and end.get("Result") == "success" and end.get("ExecMainStatus") == "0"

    def died(self):
        """unit -> how it ended, for each workload that did not end as it should: the kill that
        names it, else systemd's record (lost when systemd unloaded the inactive unit)."""
        dead = {}
        for unit, end in self.units.items():
            should_run = unit == "inference"
            if (end.get("ActiveState") == "active") == should_run and end.get("Result") == "success":
                continue
            kills = [k for k in self.kills if k.what.startswith(unit + " (") or f"/{unit}.service" in k.what]
            if kills:
                dead[unit] = f"killed by {kills[0].by}"
            else:
                dead[unit] = f"{end.get('ActiveState', '?')}, result {end.get('Result', '?')}"
        return dead


def entry_time(entry):
    return int(entry["__REALTIME_TIMESTAMP"]) / 1e6


def unit_state(text):
    """systemctl show's KEY=VALUE lines as a dict."""
    return dict(line.split("=", 1) for line in (text or "").splitlines() if "=" in line)


def read_samples(text):
    """The sampler's lines as dicts of their key=value fields, in order."""
    samples = []
    for line in (text or "").splitlines():
        fields = dict(SAMPLE_FIELD.findall(line))
        if "t" in fields:
            try:
                fields["t"] = float(fields["t"])
            except ValueError:
                continue
            samples.append(fields)
    return samples


def sampled_changes(samples):
    """Each change of the batch cgroup's memory.high and freezer while it existed, as Actions:
    "memory.high=N MiB", "memory.high=max", "frozen", "thawed"."""
    changes = []
    high, frozen = "max", "0"
    for s in samples:
        if s.get("memory_high", "-") not in ("-", high):
            high = s["memory_high"]
            shown = high if high == "max" else f"{int(high) >> 20} MiB"
            changes.append(Action(s["t"], "sampled", f"memory.high={shown}", high))
        if s.get("frozen", "-") not in ("-", frozen):
            frozen = s["frozen"]
            changes.append(Action(s["t"], "sampled", "frozen" if frozen == "1" else "thawed"))
    return changes


def read_rounds(text):
    """The times the inference's rounds ended, in order."""
    rounds = []
    for line in (text or "").split():
        try:
            rounds.append(float(line))
        except ValueError:
            continue
    return sorted(rounds)


def work_during(out, rounds):
    """Fills the inference's longest stall and its rates before and during the ramp."""
    start, peak_passed_t = out.batch_start_t, out.inference_peak_passed_t
    if start is None or peak_passed_t is None:
        return
    before = [t for t in rounds if t <= start]
    during = [t for t in rounds if start < t <= peak_passed_t]
    if len(before) >= 2:
        out.rate_before = (len(before) - 1) / (before[-1] - before[0])
    if before and during:
        # Rounds that ended within the ramp, over its length: a stall at its end counts too.
        out.rate_during = len(during) / (peak_passed_t - before[-1])
        ends = [before[-1]] + during + [peak_passed_t]
        out.longest_stall_s = max(b - a for a, b in zip(ends, ends[1:]))


def peak_psi_full(samples, start):
    if start is None:
        return None
    values = []
    for s in samples:
        try:
            if s["t"] >= start:
                values.append(float(s.get("psi_full_avg10", "-")))
        except ValueError:
            continue
    return max(values) if values else None


def analyse(case, files):
    """files: name -> text for journal.json, kernel.json, samples.txt, final-inference.txt,
    final-batch.txt, governor.txt, inference-rounds.txt (None where missing)."""
    out = Outcome(case)
    out.governor_active = unit_state(files.get("governor.txt")).get("active") == "active"
    for entry in journal_entries(files.get("kernel.json")):
        text = message(entry)
        if "invoked oom-killer" in text:
            out.oom_invocations += 1
        match = KERNEL_KILL.search(text)
        if match:
            out.kills.append(Action(entry_time(entry), "kernel OOM killer", f"{match[2]} (pid {match[1]})"))
    for entry in journal_entries(files.get("journal.json")):
        unit = entry.get("_SYSTEMD_UNIT", "")
        text = message(entry)
        if unit == "batch.service":
            if match := BATCH_START.search(text):
                out.batch_target_mib, out.batch_start_t = int(match[1]), float(match[2])
            elif match := BATCH_STEP.search(text):
                out.batch_reached_mib = max(out.batch_reached_mib, int(match[2]))
            elif BATCH_DONE.search(text):
                out.batch_done = True
        elif unit == "inference.service" and (match := INFERENCE_PEAK_PASSED.search(text)):
            out.inference_peak_passed_t = float(match[1])
        elif unit == "earlyoom.service" and (match := EARLYOOM_KILL.search(text)):
            out.kills.append(Action(entry_time(entry), "earlyoom", f"{match[3]} (pid {match[2]}, {match[1]})"))
        elif unit == "systemd-oomd.service" and (match := OOMD_KILL.search(text)):
            out.kills.append(Action(entry_time(entry), "systemd-oomd", match[1]))
        if "JMEM_ACTION" in entry:
            out.action_entries.append(entry)
            out.governor_actions.append(
                Action(entry_time(entry), "jmemd", f"{entry['JMEM_ACTION']} {entry.get('JMEM_UNIT', '?')}"))
    samples = read_samples(files.get("samples.txt"))
    out.sampled = sampled_changes(samples)
    out.peak_psi_full_avg10 = peak_psi_full(samples, out.batch_start_t)
    work_during(out, read_rounds(files.get("inference-rounds.txt")))
    for unit in ("inference", "batch"):
        out.units[unit] = unit_state(files.get(f"final-{unit}.txt"))
    return out


def expectation_failures(out):
    """What this case was expected to show and did not; empty when it held."""
    failures = []
    if out.batch_start_t is None:
        failures.append("the batch never started")
    if out.case == "none":  # without swap: with zram, the kernel may only thrash
        if not any(k.by == "kernel OOM killer" for k in out.kills):
            failures.append("the kernel OOM killer did not fire: the scenario does not run the machine out of memory")
    elif governor(out.case) != "none" and not out.governor_active:
        failures.append(f"{governor(out.case)} was not running")
    if governor(out.case) != "jmemd":
        return failures
    if out.oom_invocations or out.kills:
        failures.append(f"processes were killed: {', '.join(k.by + ': ' + k.what for k in out.kills) or 'none'};"
                        f" {out.oom_invocations} OOM-killer invocations")
    if not out.inference_alive():
        failures.append("the inference did not survive")
    if out.inference_peak_passed_t is None:
        failures.append("the inference's peak never passed")
    # Protected means responsive: alive is not enough.
    if out.longest_stall_s is None or out.longest_stall_s >= MAX_STALL_S:
        failures.append(f"the inference stalled {out.longest_stall_s} s at once (at most {MAX_STALL_S} s)")
    if out.rate_before is None or out.rate_during is None or out.rate_during < MIN_RATE_KEPT * out.rate_before:
        failures.append(f"the inference's rounds/s went from {out.rate_before} to {out.rate_during} during the"
                        f" ramp (at least {MIN_RATE_KEPT:.0%} kept)")
    failures += release_order_failures(out.sampled)
    actions = [e["JMEM_ACTION"] for e in out.action_entries]
    if actions != list(EXPECTED_ACTIONS):
        failures.append(f"jmemd's actions were {actions or 'none'}, not {list(EXPECTED_ACTIONS)}"
                        " (one each: a second escalation after the release is flapping)")
    for entry in out.action_entries:
        failures += [f"the journal entry of {entry.get('JMEM_ACTION')} at {entry_time(entry):.3f}: {problem}"
                     for problem in action_field_problems(entry, out.sampled)]
    if not out.batch_finished():
        failures.append(f"the batch did not finish (reached {out.batch_reached_mib} of {out.batch_target_mib} MiB,"
                        f" result {out.units.get('batch', {}).get('Result')})")
    return failures


# The protected unit's work under jmemd, with and without zram: no stall of a second, nine tenths of
# its rounds per second kept while the batch ramps.
MAX_STALL_S = 1.0
MIN_RATE_KEPT = 0.9

# What jmemd does to the batch, once each: the scenario has one peak, and the release watermark is
# written so that the finishing batch does not bring a new trigger. The release lifts the throttle
# before the thaw: thawed under it, the batch would first sleep off the kernel's over-high penalty,
# up to 2 s of memory stall that reads as new pressure.
EXPECTED_ACTIONS = ("throttle", "freeze", "restore_memory_high", "thaw")
# The release undoes the unit whole in one step. Apart, thaw and restore would be two actions, at
# least the policy's min_action_interval_s (1 s) from each other.
RELEASE_STEP_MAX_S = 1.0


def release_order_failures(sampled):
    """From the kernel's view (the sampled cgroup): the batch throttled, then frozen, then
    memory.high back to max and thawed together. Empty when it held."""
    def first(what, after):
        return next((a.t for a in sampled if a.t >= after and what(a.what)), None)

    seen = [a.what for a in sampled]
    throttled = first(lambda w: w.startswith("memory.high=") and w != "memory.high=max", float("-inf"))
    frozen = None if throttled is None else first(lambda w: w == "frozen", throttled)
    if frozen is None:
        return [f"the batch was not throttled and then frozen (sampled: {seen})"]
    thawed = first(lambda w: w == "thawed", frozen)
    restored = first(lambda w: w == "memory.high=max", frozen)
    if thawed is None or restored is None:
        return [f"the frozen batch was not both given memory.high=max back and thawed (sampled: {seen})"]
    if abs(thawed - restored) > RELEASE_STEP_MAX_S:
        return [f"the batch was thawed and its memory.high restored {abs(thawed - restored):.1f}s apart, not in one"
                f" step (sampled: {seen})"]
    return []


def action_field_problems(entry, sampled):
    """What is wrong with the structured fields of one jmemd action entry in this scenario, where
    only the batch is ever acted on, on cgroup v2, under pressure."""
    problems = [f"{field} is missing" for field in JMEM_FIELDS if field not in entry]
    if problems:
        return problems
    action, high, method = entry["JMEM_ACTION"], entry["JMEM_MEMORY_HIGH_BYTES"], entry["JMEM_FREEZE_METHOD"]
    if action not in JMEM_ACTIONS:
        problems.append(f"JMEM_ACTION {action!r} is not one of {', '.join(JMEM_ACTIONS)}")
    if entry["JMEM_UNIT"] != "batch.service":
        problems.append(f"JMEM_UNIT is {entry['JMEM_UNIT']!r}, not the batch's unit")
    if entry["JMEM_ORIGIN"] != "pressure":
        problems.append(f"JMEM_ORIGIN is {entry['JMEM_ORIGIN']!r}, not pressure")
    if entry["JMEM_RESULT"] != "done":
        problems.append(f"JMEM_RESULT is {entry['JMEM_RESULT']!r}: {message(entry)}")
    if action == "throttle":
        # The kernel keeps memory.high in whole pages, rounded down.
        if not high.isdigit():
            problems.append(f"JMEM_MEMORY_HIGH_BYTES {high!r} is not a byte count")
        elif str(int(high) // PAGE_BYTES * PAGE_BYTES) not in [a.value for a in sampled]:
            problems.append(f"JMEM_MEMORY_HIGH_BYTES {high} was never the cgroup's memory.high")
    elif action == "restore_memory_high" and high != "infinity":
        problems.append(f"JMEM_MEMORY_HIGH_BYTES is {high!r}; the batch had no MemoryHigh before, so infinity")
    elif action not in ("throttle", "restore_memory_high") and high:
        problems.append(f"JMEM_MEMORY_HIGH_BYTES is {high!r} for a {action}")
    wanted_method = "cgroup-freezer" if action in ("freeze", "thaw") else ""
    if method != wanted_method:
        problems.append(f"JMEM_FREEZE_METHOD is {method!r}, not {wanted_method!r}")
    return problems
