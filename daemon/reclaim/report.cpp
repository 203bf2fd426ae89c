#include "reclaim/report.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <span>

#include "core/saturating.h"
#include "core/text.h"
#include "policy/unit_match.h"
#include "policy/unit_pattern.h"
#include "sources/cgroup_unit.h"

namespace jmem::reclaim {
namespace {

using compliance::ItemKind;
using compliance::ItemState;

// What a desktop session runs in its user manager: counted where the user has another session that
// keeps the manager running, and for the whole desktop when systemd and logind could not be asked.
constexpr std::array<std::string_view, 18> kDesktopPrograms = {
    "Xorg",          "Xwayland", "gnome-shell",     "gnome-session-b", "gnome-session-c", "gdm-wayland-ses",
    "gdm-x-session", "gsd-",     "nvweston",        "weston",          "ibus-",           "tracker-miner-f",
    "evolution-",    "nautilus", "xdg-desktop-por", "at-spi",          "gnome-",          "unity-"};

// The container runtime and what it starts beside each container.
constexpr std::array<std::string_view, 5> kRuntimePrograms = {"dockerd", "containerd", "containerd-shim",
                                                              "docker-proxy", "runc"};

// The scopes container runtimes put each container's processes in.
constexpr std::array<std::string_view, 3> kContainerScopes = {"docker-", "libpod-", "cri-containerd-"};

// Names of the carveouts NVIDIA's guide says a device without a display, or a camera, can reflash away.
constexpr std::array<std::string_view, 4> kDisplayCarveouts = {"dce", "disp", "fb", "tsec"};
constexpr std::array<std::string_view, 2> kCameraCarveouts = {"camera", "rce"};

bool containsAny(std::string_view name, std::span<const std::string_view> words) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return name.find(w) != std::string::npos; });
}

bool startsWithAny(std::string_view text, std::span<const std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return text.starts_with(p); });
}

bool inClass(const policy::UnitClass& c, const ProcessSample& sample) {
  const bool user_scope = c.scope.value == policy::UnitScope::kGlobalUser;
  if (isSystemManager(sample.placement.manager) == user_scope) return false;
  return std::any_of(c.units.begin(), c.units.end(), [&](const policy::UnitPattern& p) {
    return policy::unitPatternMatches(p, sample.placement.unit);
  });
}

const policy::UnitClass* classNamed(const policy::Policy& policy, std::string_view name) {
  const auto it = std::find_if(policy.classes.begin(), policy.classes.end(),
                               [&](const policy::UnitClass& c) { return c.name == name; });
  return it == policy.classes.end() ? nullptr : &*it;
}

// A row and what each of its processes gives to it, so that the totals count a process once.
struct Built {
  Row row;
  std::map<pid_t, std::uint64_t> pids;
};

// Collects processes into a row, each once, and names the largest contributors by unit.
struct RowBuilder {
  Built built;
  Row& row = built.row;
  std::map<std::string, std::uint64_t> by_unit;

  void add(const LedgerProcess& p, std::uint64_t bytes) {
    if (!built.pids.emplace(p.sample.pid, bytes).second) return;
    row.bytes += bytes;
    by_unit[p.sample.placement.unit] += bytes;
  }
  void add(const LedgerProcess& p) { add(p, p.costBytes()); }
  Built finish() {
    std::vector<std::pair<std::string, std::uint64_t>> units(by_unit.begin(), by_unit.end());
    std::stable_sort(units.begin(), units.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [unit, bytes] : units) row.parts.push_back(unit + " " + formatIec(bytes));
    return std::move(built);
  }
};

// The check's word on items of one kind (and class): taken when all comply, would take on any drift.
Taken takenBy(const compliance::CheckReport* check, std::optional<ItemKind> kind, std::string_view class_name,
              std::string_view subject = {}) {
  if (check == nullptr) return Taken::kUnknown;
  bool any = false;
  bool unknown = false;
  for (const auto& item : check->items) {
    if (kind && item.kind != *kind) continue;
    if (!class_name.empty() && item.policy_class != class_name) continue;
    if (!subject.empty() && item.subject != subject) continue;
    any = true;
    if (item.state == ItemState::kDrift) return Taken::kWouldTake;
    if (item.state == ItemState::kUnknown) unknown = true;
  }
  return !any || unknown ? Taken::kUnknown : Taken::kTaken;
}

bool desktopProgram(std::string_view comm) {
  return startsWithAny(comm, kDesktopPrograms);
}

Built desktopRow(const Inputs& in, std::vector<std::string>& notes) {
  RowBuilder b;
  b.row.knob = "desktop";
  b.row.guide = "865 MB";
  const DesktopUnits* desktop = in.check && in.check->desktop ? &*in.check->desktop : nullptr;
  const policy::UnitClass* gui = classNamed(*in.policy, "gui");
  for (const LedgerProcess& p : in.ledger->processes) {
    const bool counted = desktop ? runsForDesktop(*desktop, p.sample.placement, p.sample.comm, desktopProgram)
                                 : (gui && inClass(*gui, p.sample)) || desktopProgram(p.sample.comm);
    if (counted) b.add(p);
  }
  if (!desktop) {
    const std::string why = !in.check                         ? "the device has not been checked yet"
                            : in.check->desktop_error.empty() ? "it was not asked"
                                                              : in.check->desktop_error;
    notes.push_back(
        "desktop: counted from the gui class and the names of desktop programs, since systemd "
        "and logind could not say what graphical.target runs: " +
        why);
  }
  const bool managed = in.policy->default_target && in.policy->default_target->value == "multi-user.target";
  b.row.way = Way::kPolicy;
  b.row.how = "default_target = \"multi-user.target\"";
  b.row.taken = managed ? takenBy(in.check, ItemKind::kDefaultTarget, "") : Taken::kNotInPolicy;
  // The default target is set, but what runs now stops only at the next boot.
  if (b.row.taken == Taken::kTaken && b.row.bytes > 0) b.row.taken = Taken::kNextBoot;
  return b.finish();
}

Built classRow(const Inputs& in, const policy::UnitClass& c) {
  RowBuilder b;
  b.row.knob = "class " + c.name;
  if (c.name == "network" || c.name == "journal") b.row.guide = "32 MB, network and journal";
  for (const LedgerProcess& p : in.ledger->processes) {
    if (inClass(c, p.sample) && !policy::isKept(*in.policy, p.sample.placement.unit)) b.add(p);
  }
  b.row.way = Way::kPolicy;
  b.row.how = "classes." + c.name + " (" + std::string(policy::toString(c.action.value)) + ")";
  b.row.taken = c.action.value == policy::UnitAction::kKeep ? Taken::kNotInPolicy
                                                            : takenBy(in.check, std::nullopt, c.name);
  return b.finish();
}

Built swiotlbRow(const Inputs& in) {
  Built built;
  Row& row = built.row;
  row.knob = "swiotlb";
  row.guide = "2 KiB a slab, never 0";
  row.bytes = in.swiotlb.bytes();
  const auto used = in.swiotlb.high_water_slabs;
  row.parts.push_back(std::to_string(in.swiotlb.slabs) + " slabs (" + in.swiotlb.source + ")");
  if (in.swiotlb.used_slabs)
    row.parts.push_back(std::to_string(*in.swiotlb.used_slabs) + " slabs in use now");
  if (used) {
    const std::uint64_t suggested = suggestedSwiotlbSlabs(*used, 50);
    row.parts.push_back(std::to_string(*used) + " slabs at most since boot");
    row.back_bytes = suggested < in.swiotlb.slabs ? swiotlbBytes(in.swiotlb.slabs - suggested) : 0;
    row.how = "swiotlb=" + std::to_string(suggested) + " (most used since boot + 50%)";
  } else {
    // Without the kernel's high-water mark, what is in use now is no safe size: nothing is claimed.
    row.back_bytes = 0;
    row.how = "swiotlb=N, once the kernel shows its most used";
  }
  row.way = Way::kBootArgument;
  const policy::SwiotlbRule& rule = in.policy->boot.swiotlb;
  if (rule.kind == policy::SwiotlbRule::Kind::kAny) {
    row.taken = Taken::kNotInPolicy;
    return built;
  }
  // The policy sizes it: what it gives back is down to the policy's size, not jmem's suggestion.
  row.taken = takenBy(in.check, ItemKind::kBootNext, "", "swiotlb");
  const std::uint64_t most = rule.kind == policy::SwiotlbRule::Kind::kAbsent
                                 ? kSwiotlbDefaultBytes / kSwiotlbSlabBytes
                                 : rule.max_slabs;
  row.back_bytes = in.swiotlb.slabs > most ? swiotlbBytes(in.swiotlb.slabs - most) : 0;
  row.how = "boot.swiotlb in the policy (at most " + std::to_string(most) + " slabs)";
  return built;
}

Built carveoutRow(const Inputs& in, const Meminfo& meminfo) {
  const std::uint64_t mem_total_bytes = meminfo.mem_total_bytes;
  Built built;
  Row& row = built.row;
  row.knob = "carveouts";
  row.guide = "1 to 34 MB each";
  row.way = Way::kReflash;
  row.how = "reflash (jmem never does); reclaim.display, reclaim.camera";
  row.taken = Taken::kReportOnly;
  // CMA is lent to the kernel until a driver claims it: what is free of it is not lost.
  if (meminfo.cma_total_bytes)
    row.parts.push_back("CMA " + formatIec(*meminfo.cma_total_bytes) + ", " +
                        (meminfo.cma_free_bytes ? formatIec(*meminfo.cma_free_bytes) : std::string("?")) +
                        " free");
  if (!in.reserved.available) {
    row.parts.push_back(in.reserved.reason);
    return built;
  }
  std::uint64_t back = 0;
  for (const ReservedRegion& r : in.reserved.regions) {
    std::string lower = r.name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    const bool display = containsAny(lower, kDisplayCarveouts);
    const bool camera = !display && containsAny(lower, kCameraCarveouts);
    // A reusable region is lent to the kernel until claimed: not lost, not counted.
    if (!r.reusable && (display || camera)) {
      row.bytes = saturatingAdd(row.bytes, r.size_bytes);
      // Back only where the policy says the device has no display, or no camera.
      if ((display && !in.policy->reclaim.display.value) || (camera && !in.policy->reclaim.camera.value))
        back = saturatingAdd(back, r.size_bytes);
    }
    row.parts.push_back(r.name + " " + formatIec(r.size_bytes) + (r.reusable ? " (CMA, reusable)" : "") +
                        (r.no_map ? " (no-map)" : "") + (display ? " (display)" : "") +
                        (camera ? " (camera)" : ""));
  }
  row.back_bytes = back;
  if (in.reserved.cut)
    row.parts.push_back("the device tree has more nodes than are read: the figures may be short");
  if (in.reserved.dram_bytes > mem_total_bytes)
    row.parts.push_back("DRAM the kernel never sees: " + formatIec(in.reserved.dram_bytes - mem_total_bytes));
  return built;
}

// "45 s", "15 min", "3 h".
std::string idleText(std::uint64_t usec) {
  const std::uint64_t s = usec / 1'000'000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 7200) return std::to_string(s / 60) + " min";
  return std::to_string(s / 3600) + " h";
}

Built idleRow(const Inputs& in) {
  RowBuilder b;
  b.row.knob = "idle processes";
  b.row.guide = "unused python3, found with procrank";
  std::map<pid_t, std::uint64_t> idle_usec;
  for (const IdleProcess& p : in.idle) idle_usec[p.pid] = p.idle_usec;
  for (const LedgerProcess& p : in.ledger->processes) {
    const auto found = idle_usec.find(p.sample.pid);
    if (found == idle_usec.end()) continue;
    const std::string unit = p.sample.placement.unit;
    // Still outside protected and kept units: the policy may have changed since it was followed.
    if (policy::isProtected(*in.policy, unit) || policy::isKept(*in.policy, unit)) continue;
    b.built.pids.emplace(p.sample.pid, p.costBytes());
    b.row.bytes += p.costBytes();
    b.row.parts.push_back(p.sample.comm + " (" + std::to_string(p.sample.pid) + ") in " + unit + " " +
                          formatIec(p.costBytes()) + ", no CPU for " + idleText(found->second));
  }
  b.row.way = Way::kReportOnly;
  b.row.how = "stop it, if it is forgotten";
  b.row.taken = Taken::kReportOnly;
  return std::move(b.built);
}

Built runtimeRow(const Inputs& in) {
  RowBuilder b;
  b.row.knob = "container runtime";
  b.row.guide = "70 MB";
  // The containers' own processes, beside the runtime: what the workloads cost, not what it does.
  std::uint64_t containers = 0;
  std::set<std::string> scopes;
  for (const LedgerProcess& p : in.ledger->processes) {
    const std::string& unit = p.sample.placement.unit;
    if (startsWithAny(p.sample.comm, kRuntimePrograms)) {
      b.add(p);
    } else if (unit.ends_with(".scope") && startsWithAny(unit, kContainerScopes)) {
      containers += p.costBytes();
      scopes.insert(unit);
    }
  }
  b.row.way = Way::kReportOnly;
  b.row.how = "bare metal";
  b.row.taken = Taken::kReportOnly;
  Built built = b.finish();
  if (!scopes.empty())
    built.row.parts.push_back("beside it, the workloads in " + std::to_string(scopes.size()) +
                              " container(s): " + formatIec(containers));
  return built;
}

Built gpuRow(const Inputs& in) {
  RowBuilder b;
  b.row.knob = "GPU buffers outside workloads";
  b.row.guide = "in nvmap's clients";
  for (const LedgerProcess& p : in.ledger->processes) {
    const std::uint64_t gpu = p.nvmap_bytes + p.gpu_shared_bytes;
    if (gpu > 0 && policy::workloadFor(*in.policy, p.sample.placement.unit) == nullptr) b.add(p, gpu);
  }
  b.row.way = Way::kReportOnly;
  b.row.how = "stop what holds them";
  b.row.taken = Taken::kReportOnly;
  return b.finish();
}

}  // namespace

std::string_view toString(Way way) {
  switch (way) {
    case Way::kPolicy:
      return "policy";
    case Way::kBootArgument:
      return "boot argument";
    case Way::kReflash:
      return "reflash";
    case Way::kReportOnly:
      break;
  }
  return "report only";
}

std::string_view toString(Taken taken) {
  switch (taken) {
    case Taken::kTaken:
      return "taken";
    case Taken::kWouldTake:
      return "would take";
    case Taken::kNotInPolicy:
      return "not in the policy";
    case Taken::kUnknown:
      return "unknown";
    case Taken::kNextBoot:
      return "at next boot";
    case Taken::kReportOnly:
      break;
  }
  return "report only";
}

Report reclaimReport(const Inputs& in) {
  Report report;
  std::vector<Built> built;
  built.push_back(desktopRow(in, report.notes));
  for (const policy::UnitClass& c : in.policy->classes) built.push_back(classRow(in, c));
  built.push_back(swiotlbRow(in));
  built.push_back(carveoutRow(in, in.ledger->system.meminfo));
  built.push_back(idleRow(in));
  built.push_back(runtimeRow(in));
  built.push_back(gpuRow(in));

  // A process several rows name counts once: what the policy would take first, then the most any
  // other row gives of it.
  std::map<pid_t, std::uint64_t> would_take;
  std::map<pid_t, std::uint64_t> other;
  for (Built& b : built) {
    const Row& row = b.row;
    const bool policy_takes = row.taken == Taken::kWouldTake;
    const bool other_means =
        row.taken == Taken::kReportOnly || (row.taken == Taken::kNotInPolicy && row.way != Way::kPolicy);
    if (b.pids.empty()) {
      if (policy_takes) report.policy_would_take_bytes += row.backBytes();
      if (other_means) report.other_means_bytes += row.backBytes();
    }
    for (const auto& [pid, bytes] : b.pids) {
      if (policy_takes) would_take[pid] = std::max(would_take[pid], bytes);
      if (other_means) other[pid] = std::max(other[pid], bytes);
    }
    report.rows.push_back(std::move(b.row));
  }
  for (const auto& [pid, bytes] : would_take) report.policy_would_take_bytes += bytes;
  for (const auto& [pid, bytes] : other) {
    if (!would_take.count(pid)) report.other_means_bytes += bytes;
  }
  return report;
}

}  // namespace jmem::reclaim
