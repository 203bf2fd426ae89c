#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compliance/check.h"
#include "ledger/ledger.h"
#include "policy/policy.h"
#include "reclaim/idle.h"
#include "sources/reserved_memory.h"
#include "sources/swiotlb_pool.h"

namespace jmem::reclaim {

// How a row's memory comes back.
enum class Way {
  kPolicy,        // a key of the policy does it (apply, or enforce mode)
  kBootArgument,  // a boot argument, after a reboot
  kReflash,       // only a reflash: jmem never reflashes
  kReportOnly,    // a person's decision: jmem names it and does nothing
};
std::string_view toString(Way way);  // policy, boot argument, reflash, report only

// Whether the policy takes it already, as the last check saw the device.
enum class Taken {
  kTaken,        // the policy asks for it and the device complies
  kWouldTake,    // the policy asks for it and the device drifts: apply (or enforce mode) takes it
  kNotInPolicy,  // the policy does not ask for it
  kUnknown,      // the policy asks, but the device has not been checked, or could not be
  kNextBoot,     // the device complies, but what the row counts runs until the next boot
  kReportOnly,
};
// taken, would take, not in the policy, unknown, at next boot, report only
std::string_view toString(Taken taken);

// One knob of NVIDIA's guide, measured on this device now.
struct Row {
  std::string knob;                         // "desktop", "class gui", "swiotlb", ...
  std::uint64_t bytes = 0;                  // what it costs now
  std::optional<std::uint64_t> back_bytes;  // what taking it would give back, where that is less than
                                            // its cost (swiotlb keeps what is used); none: all of it
  std::string guide;                        // NVIDIA's figure for it, as they write it; "" for none
  Way way = Way::kReportOnly;
  std::string how;  // "default_target = multi-user.target", "swiotlb=2048"
  Taken taken = Taken::kReportOnly;
  std::vector<std::string> parts;  // what makes it up: "gdm3.service 120.0M"
  std::uint64_t backBytes() const { return back_bytes.value_or(bytes); }
};

struct Report {
  std::vector<Row> rows;
  // What the policy would still take (rows it asks for and the device does not yet give), each
  // process counted once however many rows name it.
  std::uint64_t policy_would_take_bytes = 0;
  // What remains reclaimable only by other means: boot arguments the policy does not set, reflash,
  // and a person's decisions.
  std::uint64_t other_means_bytes = 0;
  std::vector<std::string> notes;  // where a row is an estimate, and why
};

struct Inputs {
  const Ledger* ledger = nullptr;
  const policy::Policy* policy = nullptr;
  const compliance::CheckReport* check = nullptr;  // the last check; null before the first
  SwiotlbPool swiotlb;
  ReservedMemory reserved;
  std::vector<IdleProcess> idle;  // heavy processes without CPU for the policy's window (IdleTracker)
};

// Pure: every row, from the ledger, the kernel's figures and the policy; NVIDIA's figures only beside.
Report reclaimReport(const Inputs& inputs);

}  // namespace jmem::reclaim
